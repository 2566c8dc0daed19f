//! Tasks: a future plus its state word, on one heap cell.
//!
//! A task belongs to one scheduler ([`crate::core::scheduler`]). Its `Waker`
//! is a counted pointer to the cell: waking it runs
//! [`State::transition_to_notified`] and, if that says `Submit`, hands a
//! [`Notified`] to the scheduler, from whatever thread the wake comes (a
//! mailbox send, a tokio timer, a socket, another worker). So a task is woken
//! the same way whatever it waits on.
//!
//! # Handles and references
//!
//! Each of these holds one reference on the state word (see
//! [`crate::core::state`]):
//!
//! - [`Notified`]: permission to run the task once (`SCHEDULED` is set); held
//!   by run queues and LIFO slots;
//! - [`TaskRef`]: a plain counted pointer (the scheduler's list of owned tasks,
//!   a `TaskHandle`);
//! - each `Waker`.
//!
//! The future lives in `Cell::future` and is touched only by the thread that
//! holds `RUNNING` (rule 1 of the state module): the worker polling it, or
//! the thread dropping it on cancellation or shutdown.
use std::cell::Cell as StdCell;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::{self, NonNull};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use crate::core::scheduler::Shared;
use crate::core::state::{CloseOutcome, IdleOutcome, NotifyOutcome, RunOutcome, State};
use crate::sync::{const_thread_local, Arc, UnsafeCell};

/// The type-erased head of every task cell.
#[repr(C)]
pub(crate) struct Header {
    state: State,
    vtable: &'static Vtable,
    id: u64,
    scheduler: Arc<Shared>,
}

/// Permission to run a task once: it is `SCHEDULED`, and this holds the
/// queue's reference.
pub(crate) struct Notified(TaskRef);

/// A counted pointer to a task.
pub(crate) struct TaskRef {
    ptr: NonNull<Header>,
}

// SAFETY: a task's future is `Send` (required by `new`), and the cell is
// shared only through the state word's protocol.
unsafe impl Send for TaskRef {}
// SAFETY: every method of `&TaskRef` goes through the atomic state word.
unsafe impl Sync for TaskRef {}

struct Vtable {
    poll: unsafe fn(NonNull<Header>, &mut Context<'_>) -> Poll<()>,
    drop_future: unsafe fn(NonNull<Header>),
    dealloc: unsafe fn(NonNull<Header>),
}

/// The whole allocation: the header first, so a `*Header` is a `*Cell<F>`.
#[repr(C)]
struct Cell<F> {
    header: Header,
    future: UnsafeCell<Option<F>>,
}

/// Creates a task holding `future` with three references: the returned
/// `Notified` (its first run), and two `TaskRef`s (the scheduler's owned
/// list, the caller's handle).
pub(crate) fn new_task<F>(
    future: F,
    id: u64,
    scheduler: Arc<Shared>,
) -> (Notified, TaskRef, TaskRef)
where
    F: Future<Output = ()> + Send + 'static,
{
    let cell = Box::new(Cell {
        header: Header {
            state: State::new_scheduled(3),
            vtable: &Vtable {
                poll: poll_future::<F>,
                drop_future: drop_future::<F>,
                dealloc: dealloc::<F>,
            },
            id,
            scheduler,
        },
        future: UnsafeCell::new(Some(future)),
    });
    let ptr = NonNull::from(Box::leak(cell)).cast::<Header>();
    (Notified(TaskRef { ptr }), TaskRef { ptr }, TaskRef { ptr })
}

impl TaskRef {
    fn header(&self) -> &Header {
        // SAFETY: we hold a reference, so the cell is alive.
        unsafe { self.ptr.as_ref() }
    }

    /// The task's id (unique within its scheduler).
    pub(crate) fn id(&self) -> u64 {
        self.header().id
    }

    /// True once the future completed or was dropped.
    pub(crate) fn is_closed(&self) -> bool {
        self.header().state.load().is_closed()
    }

    /// Cancels the task: its future is dropped now if idle, else by whoever
    /// runs or dequeues it next. Idempotent.
    pub(crate) fn close(&self) {
        match self.header().state.transition_to_closed() {
            CloseOutcome::DropNow => self.finish(),
            CloseOutcome::Deferred | CloseOutcome::AlreadyClosed => {}
        }
    }

    /// Drops the future and completes; the caller holds `RUNNING`.
    fn finish(&self) {
        let header = self.header();
        // SAFETY: the caller holds RUNNING (state rule 1).
        unsafe { (header.vtable.drop_future)(self.ptr) };
        header.state.transition_to_complete();
        header.scheduler.release(header.id);
    }

    /// Takes over one counted reference to a live task (a waker's).
    ///
    /// # Safety
    /// The caller owns that reference and gives it up.
    unsafe fn from_raw(ptr: NonNull<Header>) -> TaskRef {
        TaskRef { ptr }
    }
}

impl Drop for TaskRef {
    fn drop(&mut self) {
        if self.header().state.ref_dec() {
            // SAFETY: we held the last reference.
            unsafe { (self.header().vtable.dealloc)(self.ptr) };
        }
    }
}

impl std::fmt::Debug for TaskRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskRef")
            .field("id", &self.id())
            .field("state", &self.header().state.load())
            .finish()
    }
}

impl Notified {
    /// Runs the task once: polls it with `budget` messages to spend, unless it
    /// was closed while queued (then drops it). A panic in the future ends
    /// the task (the actor layer catches its own panics; this is the last
    /// line of defence for the worker thread). Returns the task again if it
    /// was woken while it ran (or yielded): the caller queues it.
    pub(crate) fn run(self, budget: u32) -> Option<Notified> {
        let task = &self.0;
        let header = task.header();
        match header.state.transition_to_running() {
            RunOutcome::Cancelled => {
                task.finish();
                return None;
            }
            RunOutcome::Run => {}
        }
        let waker = ManuallyDrop::new(
            // SAFETY: a borrowed waker: it is never dropped (ManuallyDrop) and
            // clones add their own reference; our `Notified` keeps the cell
            // alive for the poll.
            unsafe { Waker::from_raw(raw_waker(task.ptr)) },
        );
        let mut cx = Context::from_waker(&waker);
        let polled = coop::with_budget(budget, || {
            catch_unwind(AssertUnwindSafe(|| {
                // SAFETY: we hold RUNNING.
                unsafe { (header.vtable.poll)(task.ptr, &mut cx) }
            }))
        });
        match polled {
            Ok(Poll::Pending) => match header.state.transition_to_idle() {
                IdleOutcome::Idle => None,
                // SCHEDULED again: our reference goes back into a queue.
                IdleOutcome::Requeue => Some(self),
                IdleOutcome::Cancelled => {
                    task.finish();
                    None
                }
            },
            Ok(Poll::Ready(())) | Err(_) => {
                task.finish();
                None
            }
        }
    }

    /// Drops the task without running it (scheduler shutdown).
    pub(crate) fn shutdown(self) {
        match self.0.header().state.transition_to_running() {
            RunOutcome::Run | RunOutcome::Cancelled => self.0.finish(),
        }
    }

    /// For run queues: the pointer carries the reference.
    pub(crate) fn into_raw(self) -> NonNull<Header> {
        ManuallyDrop::new(self).0.ptr
    }

    /// # Safety
    /// `ptr` came from [`Notified::into_raw`] and was not reclaimed yet.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> Notified {
        Notified(TaskRef { ptr })
    }
}

impl std::fmt::Debug for Notified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Notified").field(&self.0).finish()
    }
}

/// A wake: queue the task on its scheduler if it was idle.
fn schedule(ptr: NonNull<Header>) {
    // SAFETY: the caller (a waker) holds a reference.
    let header = unsafe { ptr.as_ref() };
    match header.state.transition_to_notified() {
        NotifyOutcome::Submit => {
            // The transition added the reference this Notified carries.
            // No clone of the scheduler's Arc (a refcount every wake in the
            // system would contend on): the caller's waker reference keeps
            // this header, and so its `scheduler`, alive through the call,
            // even if `schedule` drops the Notified.
            header.scheduler.schedule(Notified(TaskRef { ptr }));
        }
        NotifyOutcome::DoNothing => {}
    }
}

// ---- waker vtable ----

static WAKER_VTABLE: RawWakerVTable =
    RawWakerVTable::new(waker_clone, waker_wake, waker_wake_by_ref, waker_drop);

fn raw_waker(ptr: NonNull<Header>) -> RawWaker {
    RawWaker::new(ptr.as_ptr() as *const (), &WAKER_VTABLE)
}

unsafe fn waker_clone(data: *const ()) -> RawWaker {
    // SAFETY: `data` is a live task (the waker being cloned holds a ref).
    let header = unsafe { &*(data as *const Header) };
    header.state.ref_inc();
    RawWaker::new(data, &WAKER_VTABLE)
}

unsafe fn waker_wake(data: *const ()) {
    // SAFETY: as in clone; this consumes the waker's reference.
    unsafe { waker_wake_by_ref(data) };
    // SAFETY: the waker's reference is now dropped.
    unsafe { waker_drop(data) };
}

unsafe fn waker_wake_by_ref(data: *const ()) {
    // SAFETY: a waker's data pointer is never null.
    schedule(unsafe { NonNull::new_unchecked(data as *mut Header) });
}

unsafe fn waker_drop(data: *const ()) {
    // SAFETY: `data` is a live task; we give back the waker's reference.
    drop(unsafe { TaskRef::from_raw(NonNull::new_unchecked(data as *mut Header)) });
}

// ---- per-type functions ----

unsafe fn poll_future<F: Future<Output = ()>>(
    ptr: NonNull<Header>,
    cx: &mut Context<'_>,
) -> Poll<()> {
    let cell = ptr.cast::<Cell<F>>();
    // SAFETY: the caller holds RUNNING, so we have exclusive access to the
    // future; it never moves (it lives in the heap cell until dropped).
    unsafe {
        cell.as_ref().future.with_mut(|fut| match &mut *fut {
            Some(f) => Pin::new_unchecked(f).poll(cx),
            None => Poll::Ready(()),
        })
    }
}

unsafe fn drop_future<F>(ptr: NonNull<Header>) {
    let cell = ptr.cast::<Cell<F>>();
    // SAFETY: the caller holds RUNNING, so we have exclusive access to the
    // future. It was pinned where it lies, so it is dropped *in place* (a
    // future may have lent its address out, e.g. to an intrusive waiter
    // list, until its destructor runs), then the slot is overwritten with
    // `None` without dropping it again.
    unsafe {
        cell.as_ref().future.with_mut(|slot| {
            if (*slot).is_some() {
                // A panicking destructor must not take the worker down; its
                // fields are dropped by the unwinding all the same.
                let _ = catch_unwind(AssertUnwindSafe(|| ptr::drop_in_place(slot)));
                ptr::write(slot, None);
            }
        });
    }
}

unsafe fn dealloc<F>(ptr: NonNull<Header>) {
    // SAFETY: the last reference is gone; the cell came from Box::leak in
    // `new_task`.
    drop(unsafe { Box::from_raw(ptr.cast::<Cell<F>>().as_ptr()) });
}

/// The per-turn budget: how many messages a task may take from its mailbox
/// in one poll (the scheduler's `throughput`). Outside a worker it is
/// unlimited.
pub(crate) mod coop {
    use super::*;

    const_thread_local! {
        static BUDGET: StdCell<Option<u32>> = StdCell::new(None);
    }

    /// Runs `f` with `budget` units, restoring the previous budget after.
    pub(crate) fn with_budget<R>(budget: u32, f: impl FnOnce() -> R) -> R {
        struct Restore(Option<u32>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let prev = self.0;
                BUDGET.with(|b| b.set(prev));
            }
        }
        let _restore = Restore(BUDGET.with(|b| b.replace(Some(budget))));
        f()
    }

    /// True unless the running task spent its budget.
    #[inline]
    pub(crate) fn has_budget() -> bool {
        BUDGET.with(|b| b.get() != Some(0))
    }

    /// Spends one unit.
    #[inline]
    pub(crate) fn consume() {
        BUDGET.with(|b| {
            if let Some(n) = b.get() {
                b.set(Some(n.saturating_sub(1)));
            }
        });
    }
}
