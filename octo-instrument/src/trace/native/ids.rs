//! Trace and span ids: random, non-zero, from a per-thread generator seeded once from the
//! process's random keys, so making one costs a few instructions and no lock.

use std::cell::Cell;

thread_local! {
    /// xorshift64* state; never zero.
    static STATE: Cell<u64> = Cell::new(crate::random::u64() | 1);
}

/// 64 random bits, never zero.
#[inline]
fn next() -> u64 {
    STATE.with(|state| {
        let mut x = state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        // An odd multiplier maps non-zero to non-zero, and xorshift never reaches zero.
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    })
}

/// A new span id.
#[inline]
pub(crate) fn span_id() -> [u8; 8] {
    next().to_be_bytes()
}

/// A new trace id.
#[inline]
pub(crate) fn trace_id() -> [u8; 16] {
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&next().to_be_bytes());
    id[8..].copy_from_slice(&next().to_be_bytes());
    id
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_non_zero_and_differ() {
        let ids: std::collections::HashSet<[u8; 8]> =
            (0..10_000).map(|_| super::span_id()).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(!ids.contains(&[0; 8]));
        assert_ne!(super::trace_id(), super::trace_id());
    }
}
