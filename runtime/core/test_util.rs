//! Test support for the core's unit tests and loom models.
//!
//! A waker that counts its wakes, built on `crate::sync::Arc` so that
//! loom sees its reference count too.
use std::task::{RawWaker, RawWakerVTable, Waker};

use crate::sync::{Arc, AtomicUsize, Ordering};

/// Counts wakes.
pub(crate) struct WakeCounter {
    wakes: AtomicUsize,
}

impl WakeCounter {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            wakes: AtomicUsize::new(0),
        })
    }

    pub(crate) fn wakes(&self) -> usize {
        self.wakes.load(Ordering::Acquire)
    }

    pub(crate) fn waker(this: &Arc<Self>) -> Waker {
        let raw = Arc::into_raw(Arc::clone(this)).cast::<()>();
        // SAFETY: `raw` comes from `Arc::into_raw` of one strong count,
        // which the waker now owns; the vtable below honours the
        // `RawWaker` contract for that pointer.
        unsafe { Waker::from_raw(RawWaker::new(raw, &VTABLE)) }
    }
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// # Safety
/// `p` is a pointer from `Arc::<WakeCounter>::into_raw` whose strong count
/// the calling waker owns.
unsafe fn clone(p: *const ()) -> RawWaker {
    // SAFETY: per this function's contract, `p` is a live `Arc` pointer.
    unsafe { Arc::increment_strong_count(p.cast::<WakeCounter>()) };
    RawWaker::new(p, &VTABLE)
}

/// # Safety
/// As for [`clone`]; consumes the waker's count.
unsafe fn wake(p: *const ()) {
    // SAFETY: as for `wake_by_ref`, then `drop_waker` releases the count.
    unsafe {
        wake_by_ref(p);
        drop_waker(p);
    }
}

/// # Safety
/// As for [`clone`].
unsafe fn wake_by_ref(p: *const ()) {
    // SAFETY: per the contract, `p` points to a live `WakeCounter`.
    let counter = unsafe { &*p.cast::<WakeCounter>() };
    counter.wakes.fetch_add(1, Ordering::AcqRel);
}

/// # Safety
/// As for [`clone`]; consumes the waker's count.
unsafe fn drop_waker(p: *const ()) {
    // SAFETY: per the contract, `p` owns one strong count, released here.
    drop(unsafe { Arc::from_raw(p.cast::<WakeCounter>()) });
}

/// A value that counts its drops in a shared counter.
#[derive(Debug)]
pub(crate) struct Tracked(pub(crate) usize, pub(crate) Arc<AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.1.fetch_add(1, Ordering::AcqRel);
    }
}

/// Runs a future to completion on this thread, parking between polls.
#[cfg(not(keel_loom))]
pub(crate) fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    crate::core::blocking::block_on(fut)
}

/// Runs a future to completion inside a loom model.
#[cfg(keel_loom)]
pub(crate) fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    loom::future::block_on(fut)
}

/// Runs a loom model whose three threads make the default bound too slow,
/// at `LOOM_MAX_PREEMPTIONS` but at most `max` preemptions (STYLE: an
/// explicit bound for heavy models; the suite's table says which).
#[cfg(keel_loom)]
pub(crate) fn model_bounded(max: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(builder.preemption_bound.map_or(max, |b| b.min(max)));
    builder.check(f);
}
