//! Random bits for ids and sampling decisions: unique and well spread, not secret.

/// 64 random bits from the standard library's per-process random keys mixed with a counter
/// and the clock: unique per request, not a secret.
pub(crate) fn u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    thread_local! {
        static KEYS: std::collections::hash_map::RandomState =
            std::collections::hash_map::RandomState::new();
    }
    let mut hasher = KEYS.with(BuildHasher::build_hasher);
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.finish()
}
