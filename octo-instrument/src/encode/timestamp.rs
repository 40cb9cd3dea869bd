//! RFC 3339 UTC timestamps with microseconds, written without allocating.

use std::cell::Cell;
use std::fmt::Write;

use octo_instrument_core::json::{push_ascii, write_padded};
use std::time::{SystemTime, UNIX_EPOCH};

thread_local! {
    /// The second last formatted on this thread and its `YYYY-MM-DDTHH:MM:SS` text: lines come
    /// many per second, so the calendar arithmetic runs once a second, not once a line.
    static SECOND: Cell<(u64, [u8; 19])> = const { Cell::new((u64::MAX, [0; 19])) };
}

/// Appends `2025-11-10T10:30:45.123456Z` for `now` to `out`.
pub(crate) fn write_rfc3339(out: &mut String, now: SystemTime) {
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since_epoch.as_secs();
    let (cached, mut prefix) = SECOND.get();
    if cached != seconds {
        let mut text = String::with_capacity(19);
        write_seconds(&mut text, seconds);
        prefix.copy_from_slice(text.as_bytes());
        SECOND.set((seconds, prefix));
    }
    let mut text = [b'.'; 20];
    text[..19].copy_from_slice(&prefix);
    push_ascii(out, &text);
    write_padded(out, u64::from(since_epoch.subsec_micros()), 6);
    out.push('Z');
}

fn write_seconds(out: &mut String, seconds: u64) {
    let days = seconds / 86_400;
    let second_of_day = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    );
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(seconds: u64, micros: u32) -> String {
        let mut out = String::new();
        write_rfc3339(&mut out, UNIX_EPOCH + Duration::new(seconds, micros * 1000));
        out
    }

    #[test]
    fn known_instants() {
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(at(1_762_770_645, 123_456), "2025-11-10T10:30:45.123456Z");
        assert_eq!(at(951_782_400, 1), "2000-02-29T00:00:00.000001Z");
        assert_eq!(at(4_107_542_399, 999_999), "2100-02-28T23:59:59.999999Z");
    }
}
