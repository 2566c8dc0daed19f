//! A worker's local run queue: a bounded ring that its owner pushes and pops,
//! and other workers steal half of.
//!
//! # Protocol
//!
//! - `head` and `tail` are positions that only grow (wrapping `usize`); the
//!   item at position `p` lives in `slots[p % CAP]`.
//! - Only the owner writes `tail` and the slots. It writes slot `tail` only
//!   when `tail - head < CAP` for a `head` it loaded, so it never overwrites
//!   an item not yet taken (head only grows: a stale head is conservative).
//! - Anyone takes items by reading the slots `[head, head + n)` and then
//!   moving `head` from that same value with one CAS. The CAS succeeding
//!   proves nobody else took them, so the reads were of live items and
//!   ownership passes to the taker; a failed CAS discards the reads. Slots are
//!   atomics, so reading one the owner is rewriting is a harmless race whose
//!   result the failing CAS throws away.
//!
//! Items are pointers that carry ownership ([`QueueItem`]): a `Notified` task
//! in keel, plain boxes in the models.
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use crate::sync::{AtomicPtr, AtomicUsize, Ordering};

/// Capacity of a local queue; small under loom so models hit overflow.
#[cfg(not(keel_loom))]
pub(crate) const LOCAL_CAP: usize = 256;
#[cfg(keel_loom)]
pub(crate) const LOCAL_CAP: usize = 4;

/// An owning pointer that can travel through the queue as a raw pointer.
pub(crate) trait QueueItem: Sized {
    /// The pointee.
    type Target;
    /// Gives up ownership into a pointer.
    fn into_ptr(self) -> NonNull<Self::Target>;
    /// Takes ownership back.
    ///
    /// # Safety
    /// `ptr` came from `into_ptr` and ownership was not taken back before.
    unsafe fn from_ptr(ptr: NonNull<Self::Target>) -> Self;
}

/// The run queue of one worker.
pub(crate) struct Local<T: QueueItem> {
    head: AtomicUsize,
    tail: AtomicUsize,
    slots: Box<[AtomicPtr<T::Target>]>,
    _owns: PhantomData<T>,
}

// SAFETY: items move between threads through the queue, so they must be Send;
// all shared state is atomic.
unsafe impl<T: QueueItem + Send> Send for Local<T> {}
// SAFETY: as above.
unsafe impl<T: QueueItem + Send> Sync for Local<T> {}

impl<T: QueueItem> Local<T> {
    /// An empty queue.
    pub(crate) fn new() -> Local<T> {
        Local {
            head: AtomicUsize::new(0),
            tail: AtomicUsize::new(0),
            slots: (0..LOCAL_CAP)
                .map(|_| AtomicPtr::new(ptr::null_mut()))
                .collect(),
            _owns: PhantomData,
        }
    }

    /// Items queued (a snapshot).
    pub(crate) fn len(&self) -> usize {
        let head = self.head.load(Ordering::Acquire);
        let tail = self.tail.load(Ordering::Acquire);
        tail.wrapping_sub(head).min(LOCAL_CAP)
    }

    /// Owner only: queues `item` at the back. When full, half the queue plus
    /// `item` go to `overflow` (the shared injector) instead.
    pub(crate) fn push_back(&self, item: T, overflow: impl FnOnce(Vec<T>)) {
        let tail = self.tail.load(Ordering::Relaxed);
        loop {
            let head = self.head.load(Ordering::Acquire);
            if tail.wrapping_sub(head) < LOCAL_CAP {
                self.slots[tail % LOCAL_CAP].store(item.into_ptr().as_ptr(), Ordering::Relaxed);
                self.tail.store(tail.wrapping_add(1), Ordering::Release);
                return;
            }
            // Full: move the older half out, so the owner keeps the newest.
            if let Some(mut batch) = self.take(head, tail, LOCAL_CAP / 2) {
                batch.push(item);
                overflow(batch);
                return;
            }
            // A stealer moved head meanwhile: there may be room now.
        }
    }

    /// Owner only: takes the oldest item.
    pub(crate) fn pop(&self) -> Option<T> {
        let tail = self.tail.load(Ordering::Relaxed);
        loop {
            let head = self.head.load(Ordering::Acquire);
            if head == tail {
                return None;
            }
            let p = self.slots[head % LOCAL_CAP].load(Ordering::Relaxed);
            if self
                .head
                .compare_exchange(
                    head,
                    head.wrapping_add(1),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_ok()
            {
                // SAFETY: the CAS gave us position `head`, pushed by us (the
                // owner) before; see `take` for the argument.
                return Some(unsafe {
                    T::from_ptr(NonNull::new(p).expect("a queued slot is never null"))
                });
            }
        }
    }

    /// Steals half of this queue (rounded up) into `dst` (the stealer's own,
    /// empty queue) and returns one of them to run now.
    pub(crate) fn steal_into(&self, dst: &Local<T>) -> Option<T> {
        loop {
            let head = self.head.load(Ordering::Acquire);
            let tail = self.tail.load(Ordering::Acquire);
            let n = tail.wrapping_sub(head);
            if n == 0 {
                return None;
            }
            if n > LOCAL_CAP {
                // Torn snapshot (head moved between the loads): try again.
                crate::sync::spin_loop();
                continue;
            }
            let Some(mut batch) = self.take(head, tail, n - n / 2) else {
                crate::sync::spin_loop();
                continue;
            };
            let first = batch.pop();
            for item in batch {
                dst.push_back(item, |_| unreachable!("a stealer's own queue is empty"));
            }
            return first;
        }
    }

    /// Reads up to `n` items at `[head, ..)` and claims them with one CAS on
    /// `head`; `None` if someone else moved `head` first.
    fn take(&self, head: usize, tail: usize, n: usize) -> Option<Vec<T>> {
        let n = n.min(tail.wrapping_sub(head));
        let ptrs: Vec<*mut T::Target> = (0..n)
            .map(|i| self.slots[head.wrapping_add(i) % LOCAL_CAP].load(Ordering::Relaxed))
            .collect();
        self.head
            .compare_exchange(
                head,
                head.wrapping_add(n),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .ok()?;
        Some(
            ptrs.into_iter()
                .map(|p| {
                    // SAFETY: the CAS gave us these positions; each slot held
                    // an item pushed by the owner (published by its Release
                    // store of `tail`, which our caller loaded with Acquire).
                    unsafe { T::from_ptr(NonNull::new(p).expect("a queued slot is never null")) }
                })
                .collect(),
        )
    }
}

impl<T: QueueItem> Drop for Local<T> {
    fn drop(&mut self) {
        while let Some(item) = self.pop() {
            drop(item);
        }
    }
}

impl<T: QueueItem> std::fmt::Debug for Local<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Local").field("len", &self.len()).finish()
    }
}

#[cfg(test)]
pub(crate) mod test_item {
    //! A boxed number as a queue item, for the tests and models.
    use super::*;

    /// A queue item for tests.
    pub(crate) struct Item(pub(crate) Box<usize>);

    impl QueueItem for Item {
        type Target = usize;
        fn into_ptr(self) -> NonNull<usize> {
            NonNull::from(Box::leak(self.0))
        }
        unsafe fn from_ptr(ptr: NonNull<usize>) -> Self {
            // SAFETY: per the trait contract, `ptr` came from `into_ptr`.
            Item(unsafe { Box::from_raw(ptr.as_ptr()) })
        }
    }
}

#[cfg(all(test, not(keel_loom)))]
mod tests {
    use super::test_item::Item;
    use super::*;

    #[test]
    fn fifo_for_the_owner() {
        let q = Local::<Item>::new();
        for i in 0..10 {
            q.push_back(Item(Box::new(i)), |_| panic!("no overflow"));
        }
        let got: Vec<usize> = std::iter::from_fn(|| q.pop()).map(|i| *i.0).collect();
        assert_eq!(got, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn overflow_moves_the_older_half_and_the_new_item() {
        let q = Local::<Item>::new();
        for i in 0..LOCAL_CAP {
            q.push_back(Item(Box::new(i)), |_| panic!("no overflow yet"));
        }
        let mut spilled = Vec::new();
        q.push_back(Item(Box::new(LOCAL_CAP)), |b| spilled = b);
        let spilled: Vec<usize> = spilled.into_iter().map(|i| *i.0).collect();
        let mut expected: Vec<usize> = (0..LOCAL_CAP / 2).collect();
        expected.push(LOCAL_CAP);
        assert_eq!(spilled, expected);
        assert_eq!(q.len(), LOCAL_CAP / 2);
        assert_eq!(q.pop().map(|i| *i.0), Some(LOCAL_CAP / 2));
    }

    #[test]
    fn steal_takes_half_rounded_up() {
        let src = Local::<Item>::new();
        let dst = Local::<Item>::new();
        for i in 0..5 {
            src.push_back(Item(Box::new(i)), |_| panic!("no overflow"));
        }
        let first = src.steal_into(&dst).map(|i| *i.0);
        assert_eq!(first, Some(2));
        assert_eq!(dst.len(), 2);
        assert_eq!(src.len(), 2);
        assert_eq!(src.pop().map(|i| *i.0), Some(3));
        assert_eq!(dst.pop().map(|i| *i.0), Some(0));
    }
}

#[cfg(all(test, keel_loom))]
mod loom_tests {
    use super::test_item::Item;
    use super::*;
    use crate::sync::{thread, Arc};

    /// Steal vs pop (and push into overflow) on a queue of capacity 4: every
    /// item is taken exactly once, by the owner, the thief or the overflow.
    #[test]
    fn queue_steal_vs_pop() {
        loom::model(|| {
            let owner = Arc::new(Local::<Item>::new());
            let thief_queue = Arc::new(Local::<Item>::new());
            for i in 0..3 {
                owner.push_back(Item(Box::new(i)), |_| unreachable!("room for 4"));
            }
            let thief = {
                let (owner, mine) = (owner.clone(), thief_queue.clone());
                thread::spawn(move || {
                    let mut got: Vec<usize> =
                        owner.steal_into(&mine).map(|i| *i.0).into_iter().collect();
                    got.extend(std::iter::from_fn(|| mine.pop()).map(|i| *i.0));
                    got
                })
            };
            let mut got: Vec<usize> = owner.pop().map(|i| *i.0).into_iter().collect();
            for i in 3..6 {
                owner.push_back(Item(Box::new(i)), |batch| {
                    got.extend(batch.into_iter().map(|i| *i.0))
                });
            }
            got.extend(std::iter::from_fn(|| owner.pop()).map(|i| *i.0));
            got.extend(thief.join().unwrap());
            got.sort_unstable();
            assert_eq!(got, (0..6).collect::<Vec<_>>());
        });
    }
}
