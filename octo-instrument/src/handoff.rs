//! Handing work from calling threads to one background thread (the log writer, the span
//! exporter) without a wake-up per item and without threads meeting on one lock or counter.
//!
//! Items go into a few batches, each behind its own lock: a calling thread appends to the batch
//! its thread number picks, so two threads rarely share one. The batches together hold at most
//! the configured bytes, each an equal share: an item that finds its batch full tries the others,
//! and when none has room it is refused (the caller counts the drop). The worker swaps each batch
//! for an empty one it keeps, so a lock is held for an append or a swap, never for I/O.
//!
//! The worker is woken from sleep, or when a batch passes half its share: when it finds nothing
//! to do it marks itself idle, looks once more, and sleeps; the next append sees the mark and
//! wakes it. Otherwise a busy worker comes back on its own schedule and takes everything gathered
//! meanwhile. Flushes and closing wake it too.
//!
//! What a batch holds counts against its share until the worker takes it, or, for a handoff
//! made [`held_until_released`](Handoff::held_until_released), until the worker says it is done
//! with it: so the budget can cover what the worker holds too.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// Batches at most: enough that threads appending at once rarely share one.
pub(crate) const MAX_BATCHES: usize = 8;

/// One batch with the bytes and items it holds; 128 bytes apart from the next, so that threads
/// appending to neighbouring batches do not share a cache line.
#[repr(align(128))]
struct Slot<B>(Mutex<Held<B>>);

#[derive(Default)]
struct Held<B> {
    batch: B,
    /// Bytes and items counted against the batch's share.
    bytes: usize,
    items: usize,
    /// Items in `batch`, waiting for the worker.
    waiting: usize,
}

/// Where an item went: what [`Handoff::append`]'s `add` is told.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Place {
    /// The batch's index, for [`Handoff::release`].
    #[cfg_attr(
        not(any(feature = "otlp", test)),
        expect(dead_code, reason = "only the span export queue releases")
    )]
    pub(crate) index: usize,
    /// The batch's share of the budget, in bytes.
    pub(crate) budget: usize,
}

/// Flushes asked for and done, by number.
#[derive(Default)]
struct Flushes {
    asked: u64,
    done: u64,
}

/// The batches between the calling threads and one worker.
pub(crate) struct Handoff<B> {
    slots: Box<[Slot<B>]>,
    /// Bytes one batch may hold.
    slot_bytes: usize,
    /// Items one batch may hold.
    slot_items: usize,
    /// Taken items count until released, not until taken.
    held_until_released: bool,
    worker: OnceLock<Thread>,
    /// The worker sleeps with nothing to do: the next append wakes it.
    idle: AtomicBool,
    flushes: Mutex<Flushes>,
    flushed: Condvar,
    closed: AtomicBool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<B: Default> Handoff<B> {
    /// Batches holding `max_bytes` and `max_items` together, each given at least
    /// `min_batch_bytes` (a small budget is one batch rather than many tiny ones).
    pub(crate) fn new(max_bytes: usize, max_items: usize, min_batch_bytes: usize) -> Self {
        let count = (max_bytes / min_batch_bytes.max(1))
            .min(max_items)
            .clamp(1, MAX_BATCHES);
        Self {
            slots: (0..count).map(|_| Slot(Mutex::default())).collect(),
            slot_bytes: max_bytes / count,
            slot_items: max_items / count,
            held_until_released: false,
            worker: OnceLock::new(),
            idle: AtomicBool::new(false),
            flushes: Mutex::default(),
            flushed: Condvar::new(),
            closed: AtomicBool::new(false),
        }
    }

    /// Items the worker takes keep counting against the budget until it
    /// [`release`](Self::release)s them.
    #[cfg_attr(
        not(any(feature = "otlp", test)),
        expect(dead_code, reason = "only the span export queue releases")
    )]
    pub(crate) fn held_until_released(mut self) -> Self {
        self.held_until_released = true;
        self
    }

    /// The worker: what appends, flushes and closing wake from [`sleep`](Self::sleep) and
    /// [`pause`](Self::pause).
    pub(crate) fn set_worker(&self, worker: Thread) {
        let _ = self.worker.set(worker);
    }

    fn wake(&self) {
        if let Some(worker) = self.worker.get() {
            worker.unpark();
        }
    }

    /// Adds `item`, `bytes` long, to the calling thread's batch (with `add`) or, when that one is
    /// full, to another; gives it back when it fits in none.
    pub(crate) fn append<T>(
        &self,
        item: T,
        bytes: usize,
        add: impl FnOnce(&mut B, T, Place),
    ) -> Result<(), T> {
        let count = self.slots.len();
        let own = crate::thread_number::get() % count;
        for offset in 0..count {
            let index = (own + offset) % count;
            let mut slot = lock(&self.slots[index].0);
            if slot.bytes + bytes > self.slot_bytes || slot.items >= self.slot_items {
                continue;
            }
            // Past half its share, the batch calls the worker even if busy, so that it is taken
            // before it fills.
            let half = slot.bytes < self.slot_bytes / 2
                && slot.bytes + bytes >= self.slot_bytes / 2
                || slot.items + 1 == self.slot_items.div_ceil(2);
            slot.bytes += bytes;
            slot.items += 1;
            slot.waiting += 1;
            add(
                &mut slot.batch,
                item,
                Place {
                    index,
                    budget: self.slot_bytes,
                },
            );
            drop(slot);
            // Read after the append, under whose lock the worker looked before it slept: either
            // it saw this item, or this sees it asleep.
            if half || self.idle.load(Ordering::Relaxed) && self.idle.swap(false, Ordering::AcqRel)
            {
                self.wake();
            }
            return Ok(());
        }
        Err(item)
    }

    /// Swaps every batch for the matching one of `spares` (which must be empty, one per batch);
    /// returns the items taken.
    pub(crate) fn take(&self, spares: &mut [B]) -> usize {
        let mut taken = 0;
        for (slot, spare) in self.slots.iter().zip(spares) {
            let mut slot = lock(&slot.0);
            std::mem::swap(&mut slot.batch, spare);
            taken += std::mem::take(&mut slot.waiting);
            if !self.held_until_released {
                slot.bytes = 0;
                slot.items = 0;
            }
        }
        taken
    }

    /// The worker is done with `items` taken from batch `index`, `bytes` long.
    #[cfg_attr(
        not(any(feature = "otlp", test)),
        expect(dead_code, reason = "only the span export queue releases")
    )]
    pub(crate) fn release(&self, index: usize, bytes: usize, items: usize) {
        if let Some(slot) = self.slots.get(index) {
            let mut slot = lock(&slot.0);
            slot.bytes = slot.bytes.saturating_sub(bytes);
            slot.items = slot.items.saturating_sub(items);
        }
    }

    /// Empty batches to swap with, one per batch.
    pub(crate) fn spares(&self) -> Vec<B> {
        self.slots.iter().map(|_| B::default()).collect()
    }

    /// Whether an item waits in any batch.
    fn pending(&self) -> bool {
        self.slots.iter().any(|slot| lock(&slot.0).waiting > 0)
    }

    /// The worker sleeps until an item, a flush or closing wakes it, or `timeout` passes.
    pub(crate) fn sleep(&self, timeout: Option<Duration>) {
        self.idle.store(true, Ordering::SeqCst);
        if !self.pending() && !self.closed() {
            match timeout {
                Some(timeout) => std::thread::park_timeout(timeout),
                None => std::thread::park(),
            }
        }
        self.idle.store(false, Ordering::Relaxed);
    }

    /// The worker pauses for `pause` while items keep coming (a busy worker is never woken by
    /// them, only by a flush or closing).
    pub(crate) fn pause(pause: Duration) {
        std::thread::park_timeout(pause);
    }

    /// The latest flush asked for, which the worker reports done (with [`flushed`]) once it
    /// has written out what it took after reading this.
    ///
    /// [`flushed`]: Self::flushed
    pub(crate) fn flush_asked(&self) -> u64 {
        lock(&self.flushes).asked
    }

    /// Whether a flush is waiting for the worker.
    pub(crate) fn flush_waiting(&self) -> bool {
        let flushes = lock(&self.flushes);
        flushes.asked > flushes.done
    }

    /// Flushes up to `asked` are done.
    pub(crate) fn flushed(&self, asked: u64) {
        let mut flushes = lock(&self.flushes);
        flushes.done = flushes.done.max(asked);
        self.flushed.notify_all();
    }

    /// Waits until the worker has written out everything appended before this call, or
    /// `timeout` passes; returns whether it did.
    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut flushes = lock(&self.flushes);
        flushes.asked += 1;
        let wanted = flushes.asked;
        self.wake();
        while flushes.done < wanted {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            flushes = self
                .flushed
                .wait_timeout(flushes, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    /// Asks the worker to write out what is left and stop.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.wake();
    }

    pub(crate) fn closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn add(batch: &mut Vec<u32>, item: u32, _: Place) {
        batch.push(item);
    }

    #[test]
    fn a_full_batch_spills_into_the_next_and_then_items_are_refused() {
        let handoff = Handoff::<Vec<u32>>::new(20, 100, 10);
        assert_eq!(handoff.slots.len(), 2);
        assert_eq!(handoff.append(1, 8, add), Ok(()));
        assert_eq!(
            handoff.append(2, 8, add),
            Ok(()),
            "the other batch takes it"
        );
        assert_eq!(handoff.append(3, 8, add), Err(3), "both full");
        assert_eq!(handoff.append(4, 2, add), Ok(()), "a small one still fits");
        let mut spares = handoff.spares();
        assert_eq!(handoff.take(&mut spares), 3);
        let mut items: Vec<u32> = spares.concat();
        items.sort_unstable();
        assert_eq!(items, [1, 2, 4]);
        assert!(!handoff.pending());
        assert_eq!(handoff.append(3, 8, add), Ok(()), "room again once taken");
    }

    #[test]
    fn held_items_count_until_released() {
        let handoff = Handoff::<Vec<(u32, usize)>>::new(10, 100, 10).held_until_released();
        let add =
            |batch: &mut Vec<(u32, usize)>, item, place: Place| batch.push((item, place.index));
        assert_eq!(handoff.append(1, 6, add), Ok(()));
        let mut spares = handoff.spares();
        assert_eq!(handoff.take(&mut spares), 1);
        assert!(!handoff.pending(), "taken");
        assert_eq!(handoff.append(2, 6, add), Err(2), "still held");
        let (_, index) = spares[0][0];
        handoff.release(index, 6, 1);
        assert_eq!(handoff.append(2, 6, add), Ok(()), "released");
    }

    #[test]
    fn items_are_bounded_in_number_too() {
        let handoff = Handoff::<Vec<u32>>::new(1 << 20, 4, 1);
        assert_eq!(handoff.slots.len(), 4);
        for item in 0..4 {
            assert_eq!(handoff.append(item, 1, add), Ok(()));
        }
        assert_eq!(handoff.append(4, 1, add), Err(4));
    }

    #[test]
    fn a_sleeping_worker_is_woken_by_an_item_and_a_flush_waits_for_it() {
        let handoff = Arc::new(Handoff::<Vec<u32>>::new(1 << 20, 1000, 1 << 10));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let worker = {
            let handoff = handoff.clone();
            let seen = seen.clone();
            std::thread::spawn(move || {
                let mut spares = handoff.spares();
                loop {
                    let asked = handoff.flush_asked();
                    let closed = handoff.closed();
                    handoff.take(&mut spares);
                    for batch in &mut spares {
                        lock(&seen).append(batch);
                    }
                    handoff.flushed(asked);
                    if closed {
                        return;
                    }
                    handoff.sleep(None);
                }
            })
        };
        handoff.set_worker(worker.thread().clone());
        std::thread::sleep(Duration::from_millis(20));
        for item in 0..100 {
            handoff.append(item, 4, add).unwrap();
        }
        assert!(handoff.flush(Duration::from_secs(10)));
        assert_eq!(lock(&seen).len(), 100);
        handoff.append(100, 4, add).unwrap();
        handoff.close();
        worker.join().unwrap();
        assert_eq!(lock(&seen).len(), 101, "closing takes what is left");
    }
}
