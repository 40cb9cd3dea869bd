//! Histogram and counter cells sharded by thread, so that threads calling the same function do not
//! fight over one cache line. Each thread writes the shard it was assigned; a scrape sums them.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

const SLOTS_PER_LINE: usize = 16;

/// 128 bytes: two cache lines, since adjacent-line prefetch pairs them on x86.
#[repr(align(128))]
struct Line([AtomicU64; SLOTS_PER_LINE]);

impl Line {
    fn new() -> Self {
        Self(std::array::from_fn(|_| AtomicU64::new(0)))
    }
}

/// Number of shards: a power of two, about twice the cores, between 4 and 64.
fn shard_count() -> usize {
    static COUNT: OnceLock<usize> = OnceLock::new();
    *COUNT.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(4, std::num::NonZero::get);
        (cores * 2).next_power_of_two().clamp(4, 64)
    })
}

/// This thread's shard.
#[inline]
fn shard() -> usize {
    crate::thread_number::get() & (shard_count() - 1)
}

/// Rows of `slots` counters, one row per shard, each row on lines of its own.
struct Rows {
    lines_per_row: usize,
    lines: Box<[Line]>,
}

impl Rows {
    fn new(slots: usize) -> Self {
        let lines_per_row = slots.div_ceil(SLOTS_PER_LINE);
        let lines = (0..lines_per_row * shard_count())
            .map(|_| Line::new())
            .collect();
        Self {
            lines_per_row,
            lines,
        }
    }

    #[inline]
    fn slot(&self, row: usize, slot: usize) -> &AtomicU64 {
        &self.lines[row * self.lines_per_row + slot / SLOTS_PER_LINE].0[slot % SLOTS_PER_LINE]
    }

    /// The sum over shards of one slot.
    fn total(&self, slot: usize) -> u64 {
        (0..shard_count()).fold(0u64, |sum, row| {
            sum.wrapping_add(self.slot(row, slot).load(Relaxed))
        })
    }
}

/// A duration histogram: per shard, one counter per bucket (non-cumulative, `+Inf` last) and the
/// sum in nanoseconds. The count is the sum of the buckets, so a scrape is always consistent.
pub(crate) struct ShardedHistogram {
    bounds: &'static [f64],
    /// The bounds in whole nanoseconds, so a call's bucket is found by integer compares on the
    /// duration as measured, with no float conversion.
    bounds_nanos: Box<[u64]>,
    rows: Rows,
}

/// What a scrape reads.
pub(crate) struct HistogramSnapshot {
    /// Cumulative counts, one per bound (`le`), without `+Inf` (that is `count`).
    pub(crate) cumulative: Vec<u64>,
    pub(crate) count: u64,
    pub(crate) sum_seconds: f64,
}

impl ShardedHistogram {
    pub(crate) fn new(bounds: &'static [f64]) -> Self {
        // Bounds are positive seconds (checked by the macro); `as` saturates for huge ones.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let bounds_nanos = bounds.iter().map(|b| (b * 1e9).round() as u64).collect();
        Self {
            bounds,
            bounds_nanos,
            rows: Rows::new(bounds.len() + 2),
        }
    }

    /// Counts one observation; returns its bucket (the bound count for `+Inf`).
    #[inline]
    pub(crate) fn observe(&self, elapsed: Duration) -> usize {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        // Prometheus buckets are `le`: the first bound at or above the value. A linear scan: the
        // lists are short, and calls of one function mostly land in the same bucket, so the
        // branch predicts well (a binary search's does not).
        let bucket = self
            .bounds_nanos
            .iter()
            .position(|bound| nanos <= *bound)
            .unwrap_or(self.bounds_nanos.len());
        let row = shard();
        self.rows.slot(row, bucket).fetch_add(1, Relaxed);
        self.rows
            .slot(row, self.bounds.len() + 1)
            .fetch_add(nanos, Relaxed);
        bucket
    }

    pub(crate) fn snapshot(&self) -> HistogramSnapshot {
        let mut cumulative = Vec::with_capacity(self.bounds.len());
        let mut running = 0u64;
        for bucket in 0..self.bounds.len() {
            running += self.rows.total(bucket);
            cumulative.push(running);
        }
        let count = running + self.rows.total(self.bounds.len());
        let sum_seconds = self.rows.total(self.bounds.len() + 1) as f64 / 1e9;
        HistogramSnapshot {
            cumulative,
            count,
            sum_seconds,
        }
    }

    pub(crate) fn bounds(&self) -> &'static [f64] {
        self.bounds
    }
}

/// A counter that many threads increment; the value is the sum over shards.
pub(crate) struct ShardedCounter {
    rows: Rows,
}

impl ShardedCounter {
    pub(crate) fn new() -> Self {
        Self { rows: Rows::new(1) }
    }

    #[inline]
    pub(crate) fn inc(&self) {
        self.rows.slot(shard(), 0).fetch_add(1, Relaxed);
    }

    pub(crate) fn value(&self) -> u64 {
        self.rows.total(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static BOUNDS: &[f64] = &[0.1, 1.0];

    #[test]
    fn histogram_counts_le_buckets_across_threads() {
        let histogram = std::sync::Arc::new(ShardedHistogram::new(BOUNDS));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let histogram = histogram.clone();
                std::thread::spawn(move || {
                    histogram.observe(Duration::from_millis(100)); // le 0.1 (inclusive)
                    histogram.observe(Duration::from_millis(500)); // le 1
                    histogram.observe(Duration::from_secs(3)); // +Inf
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let snapshot = histogram.snapshot();
        assert_eq!(snapshot.cumulative, vec![4, 8]);
        assert_eq!(snapshot.count, 12);
        assert!((snapshot.sum_seconds - 4.0 * 3.6).abs() < 1e-9);
    }

    #[test]
    fn counter_sums_every_thread() {
        let counter = std::sync::Arc::new(ShardedCounter::new());
        counter.inc();
        let other = counter.clone();
        std::thread::spawn(move || (0..5).for_each(|_| other.inc()))
            .join()
            .unwrap();
        assert_eq!(counter.value(), 6);
    }
}
