//! Lowercase hex for trace, span and request ids.

/// The 16 lowercase hex digits of `value`, most significant first, computed eight bytes at a
/// time rather than digit by digit: every log line carries 48 of them.
#[inline]
pub(crate) fn hex_u64(value: u64) -> [u8; 16] {
    const fn lanes(byte: u8) -> u128 {
        u128::from_ne_bytes([byte; 16])
    }
    // Spread the 16 nibbles over the 16 bytes of a u128, nibble i (from the least significant)
    // into byte i: halves, then quarters, and so on.
    let mut spread = u128::from(value);
    spread = (spread & 0xffff_ffff) | ((spread & 0xffff_ffff_0000_0000) << 32);
    spread = (spread & 0x0000_0000_0000_ffff_0000_0000_0000_ffff)
        | ((spread & 0x0000_0000_ffff_0000_0000_0000_ffff_0000) << 16);
    spread = (spread & 0x0000_00ff_0000_00ff_0000_00ff_0000_00ff)
        | ((spread & 0x0000_ff00_0000_ff00_0000_ff00_0000_ff00) << 8);
    spread = (spread & lanes(0x0f)) | ((spread & lanes(0xf0)) << 4);
    // Each byte is now 0..=15: '0' + it, and 39 more ('a' - '0' - 10) where it is 10 or more
    // (adding 6 carries into the byte's fifth bit exactly then, and never out of the byte).
    let letters = ((spread + lanes(6)) >> 4) & lanes(1);
    let digits = spread + lanes(b'0') + letters * 39;
    digits.to_be_bytes()
}

/// Appends `bytes` as lowercase hex, without the formatting machinery.
pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    for chunk in bytes.chunks(8) {
        let mut word = [0u8; 8];
        word[8 - chunk.len()..].copy_from_slice(chunk);
        let digits = hex_u64(u64::from_be_bytes(word));
        let digits = &digits[16 - chunk.len() * 2..];
        octo_instrument_core::json::push_ascii(out, digits);
    }
}

/// The hex of a trace id (32 digits) and of a span id (16).
#[inline]
pub(crate) fn ids_hex(trace_id: &[u8; 16], span_id: [u8; 8]) -> ([u8; 32], [u8; 16]) {
    let mut high = [0u8; 8];
    let mut low = [0u8; 8];
    high.copy_from_slice(&trace_id[..8]);
    low.copy_from_slice(&trace_id[8..]);
    let mut trace = [0u8; 32];
    trace[..16].copy_from_slice(&hex_u64(u64::from_be_bytes(high)));
    trace[16..].copy_from_slice(&hex_u64(u64::from_be_bytes(low)));
    (trace, hex_u64(u64::from_be_bytes(span_id)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn lowercase_two_digits_a_byte() {
        let mut out = String::new();
        super::push_hex(&mut out, &[0x00, 0x0f, 0xa0, 0xff]);
        assert_eq!(out, "000fa0ff");
    }

    #[test]
    fn word_at_a_time_matches_digit_by_digit() {
        let mut value = 0x0123_4567_89ab_cdefu64;
        for _ in 0..10_000 {
            let expected = format!("{value:016x}");
            assert_eq!(
                std::str::from_utf8(&super::hex_u64(value)).unwrap(),
                expected
            );
            value = value.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17) ^ 0x5555;
        }
        for value in [0, u64::MAX, 0xa, 0x9, 0xf0f0_f0f0_f0f0_f0f0] {
            assert_eq!(
                std::str::from_utf8(&super::hex_u64(value)).unwrap(),
                format!("{value:016x}")
            );
        }
        let (trace, span) = super::ids_hex(&[0xab; 16], [0x01; 8]);
        assert_eq!(std::str::from_utf8(&trace).unwrap(), "ab".repeat(16));
        assert_eq!(std::str::from_utf8(&span).unwrap(), "01".repeat(8));
    }
}
