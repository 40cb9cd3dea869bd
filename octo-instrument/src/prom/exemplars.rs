//! Exemplars: for each histogram bucket and counter series, the trace and span id of a recent
//! sampled call that landed there, so that a spike on a panel leads to a trace. They are kept in
//! one fixed table of slots, each found by a hash of its series and bucket; a call writes its slot
//! with a few relaxed stores inside a sequence lock it only tries to take (a writer never waits:
//! if another thread is writing the slot, this call's exemplar is simply not kept, which a sample
//! can afford), so the per-call path takes no lock and allocates nothing. A scrape reads each slot
//! twice-checked against its sequence number and keeps it only if its key is the series' own
//! (two series that share a slot overwrite each other: the newest wins, the other shows none).
//! A slot that holds its series' exemplar from less than [`REFRESH`] ago is only read, not
//! written: a scrape needs one recent exemplar per bucket, and threads calling the same function
//! do not pass the slot's cache line between them on every call.

use std::hint::spin_loop;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering, fence};
use std::time::{Duration, Instant};

/// Slots in the table: a power of two.
const SLOTS: usize = 4096;

/// How long an exemplar stands before a call of its series replaces it.
const REFRESH: Duration = Duration::from_millis(100);

/// One exemplar as a scrape reads it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Exemplar {
    pub(crate) trace_id: [u8; 16],
    pub(crate) span_id: [u8; 8],
    /// The observed value: seconds for a duration, 1 for a counted event.
    pub(crate) value: f64,
}

/// One slot: an even `seq` when it is readable, odd while a writer fills it; `key` 0 = empty.
#[repr(align(64))]
struct Slot {
    seq: AtomicU64,
    key: AtomicU64,
    trace_high: AtomicU64,
    trace_low: AtomicU64,
    span: AtomicU64,
    value: AtomicU64,
    /// When it was written: milliseconds since [`epoch`].
    written: AtomicU64,
}

impl Slot {
    const fn empty() -> Self {
        Self {
            seq: AtomicU64::new(0),
            key: AtomicU64::new(0),
            trace_high: AtomicU64::new(0),
            trace_low: AtomicU64::new(0),
            span: AtomicU64::new(0),
            value: AtomicU64::new(0),
            written: AtomicU64::new(0),
        }
    }
}

static TABLE: [Slot; SLOTS] = [const { Slot::empty() }; SLOTS];

/// A series' key: a hash of its family and its label pairs other than `service`, sorted by label
/// name (the caller passes them sorted), the same at the call and at the scrape.
pub(crate) fn series_key(family: &str, labels: &[(&str, &str)]) -> u64 {
    let mut hash = Fnv::new();
    hash.write(family.as_bytes());
    for (name, value) in labels {
        hash.write(&[0xff]);
        hash.write(name.as_bytes());
        hash.write(&[0xfe]);
        hash.write(value.as_bytes());
    }
    hash.0
}

/// The key of bucket `bucket` (0 for the first bound, the bound count for `+Inf`) of a
/// histogram series; a counter's exemplar uses the series key itself.
#[inline]
pub(crate) fn bucket_key(series: u64, bucket: usize) -> u64 {
    mix(series ^ (bucket as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// The instant exemplar times count from.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Keeps `call` as the exemplar of the bucket of `bounds` (the `le` bounds of the histogram
/// series `series`) that `seconds` fell in.
pub(crate) fn record_in_bucket(series: u64, bounds: &[f64], seconds: f64, call: Sampled) {
    let bucket = bounds
        .iter()
        .position(|bound| seconds <= *bound)
        .unwrap_or(bounds.len());
    record(bucket_key(series, bucket), call, seconds);
}

/// The call an exemplar points to: its sampled span's ids, and when it ended.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sampled {
    pub(crate) trace_id: [u8; 16],
    pub(crate) span_id: [u8; 8],
    pub(crate) at: Instant,
}

/// Keeps `call` and `value` as the exemplar of `key`, unless the slot holds this series'
/// exemplar from less than [`REFRESH`] before, or another thread is writing it.
#[inline]
pub(crate) fn record(key: u64, call: Sampled, value: f64) {
    let key = key.max(1);
    let slot = &TABLE[slot_index(key)];
    // Milliseconds since the epoch, plus one so that a slot never written reads as old.
    let now = u64::try_from(call.at.saturating_duration_since(epoch()).as_millis())
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let refresh = u64::try_from(REFRESH.as_millis()).unwrap_or(u64::MAX);
    if slot.key.load(Ordering::Relaxed) == key
        && now.saturating_sub(slot.written.load(Ordering::Relaxed)) < refresh
    {
        return;
    }
    store(slot, key, (call.trace_id, call.span_id), value, now);
}

/// Writes the slot, unless another thread is writing it.
#[inline]
fn store(slot: &Slot, key: u64, ids: ([u8; 16], [u8; 8]), value: f64, now: u64) {
    let seq = slot.seq.load(Ordering::Relaxed);
    if seq & 1 == 1
        || slot
            .seq
            .compare_exchange(seq, seq + 1, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
    {
        return;
    }
    // The odd sequence number is seen before any of the stores below: a reader that reads a
    // new value also sees the slot marked as being written (crossbeam's `SeqLock::write`).
    fence(Ordering::Release);
    let (trace_high, trace_low) = ids.0.split_at(8);
    slot.key.store(key, Ordering::Relaxed);
    slot.trace_high.store(
        u64::from_be_bytes(trace_high.try_into().unwrap_or_default()),
        Ordering::Relaxed,
    );
    slot.trace_low.store(
        u64::from_be_bytes(trace_low.try_into().unwrap_or_default()),
        Ordering::Relaxed,
    );
    slot.span
        .store(u64::from_be_bytes(ids.1), Ordering::Relaxed);
    slot.value.store(value.to_bits(), Ordering::Relaxed);
    slot.written.store(now, Ordering::Relaxed);
    slot.seq.store(seq + 2, Ordering::Release);
}

/// The exemplar kept for `key`, if its slot holds one of it.
pub(crate) fn get(key: u64) -> Option<Exemplar> {
    let key = key.max(1);
    let slot = &TABLE[slot_index(key)];
    for _ in 0..64 {
        let before = slot.seq.load(Ordering::Acquire);
        if before & 1 == 1 {
            spin_loop();
            continue;
        }
        let found = slot.key.load(Ordering::Relaxed);
        let trace_high = slot.trace_high.load(Ordering::Relaxed);
        let trace_low = slot.trace_low.load(Ordering::Relaxed);
        let span = slot.span.load(Ordering::Relaxed);
        let value = slot.value.load(Ordering::Relaxed);
        fence(Ordering::Acquire);
        if slot.seq.load(Ordering::Relaxed) != before {
            continue;
        }
        if found != key {
            return None;
        }
        let mut trace_id = [0; 16];
        trace_id[..8].copy_from_slice(&trace_high.to_be_bytes());
        trace_id[8..].copy_from_slice(&trace_low.to_be_bytes());
        return Some(Exemplar {
            trace_id,
            span_id: span.to_be_bytes(),
            value: f64::from_bits(value),
        });
    }
    None
}

#[inline]
fn slot_index(key: u64) -> usize {
    // The low bits of a mixed key; the cast keeps them.
    #[allow(clippy::cast_possible_truncation)]
    let index = key as usize;
    index & (SLOTS - 1)
}

/// A 64-bit finaliser (splitmix64's), so that neighbouring buckets land in unrelated slots.
#[inline]
fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// FNV-1a, 64 bits: short keys, computed once per series where it matters.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sampled(id: u8, at: Instant) -> Sampled {
        Sampled {
            trace_id: [id; 16],
            span_id: [id; 8],
            at,
        }
    }

    #[test]
    fn an_exemplar_is_read_back_under_its_own_key_only() {
        let series = series_key("test_family", &[("event", "a.b"), ("outcome", "ok")]);
        let key = bucket_key(series, 3);
        record(key, sampled(7, Instant::now()), 0.25);
        assert_eq!(
            get(key),
            Some(Exemplar {
                trace_id: [7; 16],
                span_id: [7; 8],
                value: 0.25
            })
        );
        assert_eq!(get(bucket_key(series, 4)), None);
        let other = series_key("test_family", &[("event", "a.c"), ("outcome", "ok")]);
        assert_ne!(series, other);
    }

    #[test]
    fn a_recent_exemplar_stands_until_it_is_refreshed() {
        let key = bucket_key(series_key("test_refresh", &[]), 0);
        let now = Instant::now();
        record(key, sampled(1, now), 1.0);
        record(key, sampled(2, now + REFRESH / 2), 2.0);
        assert_eq!(get(key).unwrap().trace_id, [1; 16], "too soon to replace");
        record(key, sampled(3, now + REFRESH * 2), 3.0);
        assert_eq!(get(key).unwrap().trace_id, [3; 16], "replaced once old");
    }

    #[test]
    fn writers_on_many_threads_leave_whole_exemplars() {
        let key = bucket_key(series_key("test_concurrent", &[]), 0);
        std::thread::scope(|scope| {
            for thread in 1..=4u8 {
                scope.spawn(move || {
                    for _ in 0..10_000 {
                        let slot = &TABLE[slot_index(key)];
                        store(slot, key, ([thread; 16], [thread; 8]), f64::from(thread), 1);
                    }
                });
            }
            scope.spawn(|| {
                for _ in 0..10_000 {
                    if let Some(exemplar) = get(key) {
                        let thread = exemplar.trace_id[0];
                        assert_eq!(exemplar.trace_id, [thread; 16], "never torn");
                        assert_eq!(exemplar.span_id, [thread; 8]);
                        assert_eq!(exemplar.value.to_bits(), f64::from(thread).to_bits());
                    }
                }
            });
        });
    }
}
