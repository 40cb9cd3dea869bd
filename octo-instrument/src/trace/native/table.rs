//! The open spans of the native pipeline, by their `tracing` id. Kept here rather than in the
//! registry's span extensions, whose every insertion allocates a box: a table of pooled records
//! costs a span no allocation. Sharded, so threads opening spans at once rarely meet on a lock.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::record::SpanRecord;

const SHARDS: usize = 64;

/// A span id is already unique: a multiplication spreads it over the buckets.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 << 8 | u64::from(*byte)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u64(&mut self, id: u64) {
        self.0 = id.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type Shard = HashMap<u64, Box<SpanRecord>, BuildHasherDefault<IdHasher>>;

/// 128 bytes apart: two shards never share a cache line (or its prefetched neighbour).
#[repr(align(128))]
struct Padded(Mutex<Shard>);

pub(crate) struct SpanTable {
    shards: Box<[Padded]>,
}

impl std::fmt::Debug for SpanTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpanTable").finish_non_exhaustive()
    }
}

impl SpanTable {
    pub(crate) fn new() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Padded(Mutex::default())).collect(),
        }
    }

    #[inline]
    fn shard(&self, id: u64) -> MutexGuard<'_, Shard> {
        // The registry's ids are slab keys: their low bits vary the most.
        let index = (id.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58) as usize % SHARDS;
        self.shards[index]
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    #[inline]
    pub(crate) fn insert(&self, id: u64, record: Box<SpanRecord>) {
        self.shard(id).insert(id, record);
    }

    #[inline]
    pub(crate) fn remove(&self, id: u64) -> Option<Box<SpanRecord>> {
        self.shard(id).remove(&id)
    }

    /// Reads the record of span `id`, under its shard's lock: keep `f` short.
    #[inline]
    pub(crate) fn with<R>(&self, id: u64, f: impl FnOnce(&SpanRecord) -> R) -> Option<R> {
        self.shard(id).get(&id).map(|record| f(record))
    }

    /// Changes the record of span `id`, under its shard's lock: keep `f` short.
    #[inline]
    pub(crate) fn with_mut<R>(&self, id: u64, f: impl FnOnce(&mut SpanRecord) -> R) -> Option<R> {
        self.shard(id).get_mut(&id).map(|record| f(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_read_change_remove() {
        let table = SpanTable::new();
        for id in 1..=1000u64 {
            let mut record = Box::<SpanRecord>::default();
            record.span_id = id.to_be_bytes();
            table.insert(id, record);
        }
        assert_eq!(table.with(7, |r| r.span_id), Some(7u64.to_be_bytes()));
        table.with_mut(7, |r| r.sampled = true);
        assert_eq!(table.remove(7).map(|r| r.sampled), Some(true));
        assert!(table.with(7, |_| ()).is_none());
    }
}
