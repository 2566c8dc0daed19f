//! A single-slot atomic waker: one consumer registers, any thread wakes.
//!
//! # Protocol
//!
//! `state` holds two bits:
//!
//! - `REGISTERING`: the consumer is writing `waker`; only it sets this bit
//!   (one consumer at a time, enforced by `register` taking `&self` only on
//!   the receiving side of a mailbox, which is unique).
//! - `WAKING`: a waker is taking the stored waker out to wake it.
//!
//! Rules:
//! 1. `waker` is written only while `REGISTERING` is held, and read (taken)
//!    only by the thread that moved the word from `0` to `WAKING`.
//! 2. A `wake` that finds `REGISTERING` set only leaves `WAKING` behind; the
//!    registrar sees it when it tries to release `REGISTERING`, and wakes the
//!    waker it just stored itself. So a wake racing a registration is never
//!    lost.
//! 3. A `register` that finds `WAKING` set wakes its own waker at once (the
//!    concurrent wake may have found the old one or none).
use std::task::Waker;

use crate::sync::{AtomicUsize, Ordering, UnsafeCell};

const REGISTERING: usize = 0b01;
const WAKING: usize = 0b10;

/// A slot for one `Waker`, registered by one consumer and woken from anywhere.
pub(crate) struct AtomicWaker {
    state: AtomicUsize,
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the `waker` cell is only accessed under the REGISTERING or WAKING
// bit (module rules 1-3), which exclude each other; `Waker` is Send + Sync.
unsafe impl Send for AtomicWaker {}
// SAFETY: as above.
unsafe impl Sync for AtomicWaker {}

impl AtomicWaker {
    /// An empty slot.
    pub(crate) fn new() -> AtomicWaker {
        AtomicWaker {
            state: AtomicUsize::new(0),
            waker: UnsafeCell::new(None),
        }
    }

    /// Stores `waker` (a no-op if it would wake the same task). Called by the
    /// single consumer only.
    pub(crate) fn register(&self, waker: &Waker) {
        match self
            .state
            .compare_exchange(0, REGISTERING, Ordering::Acquire, Ordering::Acquire)
        {
            Ok(_) => {
                // SAFETY: we hold REGISTERING, so no waker reads the cell
                // (rule 1) and no other registrar exists.
                unsafe {
                    self.waker.with_mut(|slot| match &mut *slot {
                        Some(old) if old.will_wake(waker) => {}
                        other => *other = Some(waker.clone()),
                    });
                }
                if let Err(actual) =
                    self.state
                        .compare_exchange(REGISTERING, 0, Ordering::AcqRel, Ordering::Acquire)
                {
                    // A wake came in while we registered (rule 2): it left
                    // WAKING and could not take the waker; wake it ourselves.
                    debug_assert_eq!(actual, REGISTERING | WAKING);
                    // SAFETY: REGISTERING is still ours.
                    let taken = unsafe { self.waker.with_mut(|slot| (*slot).take()) };
                    self.state.swap(0, Ordering::AcqRel);
                    if let Some(w) = taken {
                        w.wake();
                    }
                }
            }
            Err(WAKING) => {
                // Rule 3: a wake is in progress; make sure we are polled again,
                // and give the waking thread a chance to finish (under loom a
                // yield, so the model does not spin here forever).
                waker.wake_by_ref();
                crate::sync::spin_loop();
            }
            Err(state) => {
                debug_assert!(state == REGISTERING || state == REGISTERING | WAKING);
            }
        }
    }

    /// Takes the registered waker, if any, and wakes it.
    pub(crate) fn wake(&self) {
        if let Some(w) = self.take() {
            w.wake();
        }
    }

    fn take(&self) -> Option<Waker> {
        match self.state.fetch_or(WAKING, Ordering::AcqRel) {
            0 => {
                // SAFETY: we moved the word from 0 to WAKING: rule 1.
                let w = unsafe { self.waker.with_mut(|slot| (*slot).take()) };
                self.state.fetch_and(!WAKING, Ordering::Release);
                w
            }
            // A registrar or another waker is active; rule 2 covers us.
            _ => None,
        }
    }
}

impl std::fmt::Debug for AtomicWaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtomicWaker")
            .field("state", &self.state.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}
