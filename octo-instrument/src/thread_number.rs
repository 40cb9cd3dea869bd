//! A small number per thread, handed out in the order threads first ask: what spreads the
//! threads of a process over sharded state (metric cells, log buffers) so that two threads
//! rarely share a shard.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

thread_local! {
    static NUMBER: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// This thread's number: 0 for the first thread that asks, 1 for the next, and so on.
#[inline]
pub(crate) fn get() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    NUMBER
        .try_with(|number| {
            let mut value = number.get();
            if value == usize::MAX {
                value = NEXT.fetch_add(1, Relaxed);
                number.set(value);
            }
            value
        })
        // A thread being torn down: any shard will do.
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn stable_on_a_thread_and_distinct_across_threads() {
        let here = super::get();
        assert_eq!(super::get(), here);
        let there = std::thread::spawn(super::get).join().unwrap();
        assert_ne!(here, there);
    }
}
