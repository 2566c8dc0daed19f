//! The task state word: schedule bits and a reference count in one atomic.
//!
//! # Layout
//!
//! ```text
//!  usize bits:  63 ............ 6 | 5 4 |    3   |    2     |    1    |     0
//!               reference count   | --- | CLOSED | NOTIFIED | RUNNING | SCHEDULED
//! ```
//!
//! - `SCHEDULED`: a `Notified` for the task exists (in a run queue, a LIFO
//!   slot, or in the hands of the thread that is about to queue it). Set only
//!   by [`State::transition_to_notified`] from idle; cleared by
//!   [`State::transition_to_running`] (the holder of the `Notified`) or turned
//!   back on by [`State::transition_to_idle`] when it answers `Requeue`.
//! - `RUNNING`: one thread has exclusive access to the future: a worker
//!   polling it, or the thread dropping it (cancellation, shutdown). Set only
//!   by the holder of a `Notified` or by [`State::transition_to_closed`] on an
//!   idle task; cleared by [`State::transition_to_idle`] or
//!   [`State::transition_to_complete`].
//! - `NOTIFIED`: woken while `RUNNING`; the runner requeues the task after the
//!   poll instead of going idle ("schedule while running": exactly one
//!   re-queue however many wakes arrive).
//! - `CLOSED`: the future is gone or about to be dropped; no more polls, wakes
//!   do nothing. Never cleared.
//! - reference count (`REF_ONE` = 1 << 6): one reference per `Waker`, per
//!   `Notified` (a queue entry), per `TaskHandle`, and one for the scheduler's
//!   list of owned tasks. The thread whose decrement reaches zero frees the
//!   task ([`State::ref_dec`] returns `true` to exactly one caller).
//!
//! Idle is "none of the four low bits": not queued, not running, not closed.
//!
//! # Protocol
//!
//! 1. Only the thread holding `RUNNING` touches the future's cell.
//! 2. A `Notified` carries one reference; it is either run (transition to
//!    running), or dropped by [`State::transition_to_running`] answering
//!    `Cancelled` after a close, so a queued task is dropped exactly once.
//! 3. Every transition is a pure function over a [`Snapshot`] run by the one
//!    CAS helper [`State::fetch_update_action`]; no other code writes the word.
pub(crate) use self::outcomes::*;
use crate::sync::{AtomicUsize, Ordering};

const SCHEDULED: usize = 1 << 0;
const RUNNING: usize = 1 << 1;
const NOTIFIED: usize = 1 << 2;
const CLOSED: usize = 1 << 3;
const LIFECYCLE: usize = SCHEDULED | RUNNING | NOTIFIED | CLOSED;
const REF_SHIFT: usize = 6;
const REF_ONE: usize = 1 << REF_SHIFT;

/// The atomic state word of one task.
#[derive(Debug)]
pub(crate) struct State {
    val: AtomicUsize,
}

/// A copy of the state word, on which transitions are computed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot(usize);

mod outcomes {
    /// What a waker must do after [`super::State::transition_to_notified`].
    #[must_use]
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum NotifyOutcome {
        /// The task was idle: it is now `SCHEDULED` and a reference was added
        /// for the queue; the caller must submit a `Notified`.
        Submit,
        /// Already queued, running (now `NOTIFIED`) or closed: nothing to do.
        DoNothing,
    }

    /// What the holder of a `Notified` must do after
    /// [`super::State::transition_to_running`].
    #[must_use]
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum RunOutcome {
        /// Poll the future.
        Run,
        /// The task was closed while queued: drop the future (the caller now
        /// holds `RUNNING`), then [`super::State::transition_to_complete`].
        Cancelled,
    }

    /// What the runner must do after a poll that returned `Pending`.
    #[must_use]
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum IdleOutcome {
        /// Idle now; the runner drops the queue's reference it held.
        Idle,
        /// Woken during the poll: `SCHEDULED` again, the runner's reference
        /// goes back into a run queue.
        Requeue,
        /// Closed during the poll: drop the future, then complete.
        Cancelled,
    }

    /// What a closer must do after [`super::State::transition_to_closed`].
    #[must_use]
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum CloseOutcome {
        /// The task was idle: the closer now holds `RUNNING` and must drop the
        /// future, then complete.
        DropNow,
        /// Running or queued: the runner or the queue's holder drops it.
        Deferred,
        /// Already closed by someone else.
        AlreadyClosed,
    }
}

impl Snapshot {
    fn is(self, bits: usize) -> bool {
        self.0 & bits == bits
    }

    fn set(&mut self, bits: usize) {
        self.0 |= bits;
    }

    fn unset(&mut self, bits: usize) {
        self.0 &= !bits;
    }

    fn is_idle(self) -> bool {
        self.0 & LIFECYCLE == 0
    }

    /// The reference count.
    pub(crate) fn refs(self) -> usize {
        self.0 >> REF_SHIFT
    }

    /// True once the task is closed.
    pub(crate) fn is_closed(self) -> bool {
        self.is(CLOSED)
    }

    fn ref_inc(&mut self) {
        assert!(
            self.0 <= isize::MAX as usize,
            "task reference count overflow"
        );
        self.0 += REF_ONE;
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("scheduled", &self.is(SCHEDULED))
            .field("running", &self.is(RUNNING))
            .field("notified", &self.is(NOTIFIED))
            .field("closed", &self.is(CLOSED))
            .field("refs", &self.refs())
            .finish()
    }
}

impl State {
    /// A new task: `SCHEDULED` (its first `Notified` is queued by `spawn`)
    /// with `refs` references.
    pub(crate) fn new_scheduled(refs: usize) -> State {
        State {
            val: AtomicUsize::new(SCHEDULED | refs << REF_SHIFT),
        }
    }

    /// The current word (for assertions and `is_finished`).
    pub(crate) fn load(&self) -> Snapshot {
        Snapshot(self.val.load(Ordering::Acquire))
    }

    /// A wake: queue the task if idle, mark it `NOTIFIED` if running.
    pub(crate) fn transition_to_notified(&self) -> NotifyOutcome {
        self.fetch_update_action(|mut s| {
            if s.is(CLOSED) || s.is(SCHEDULED) {
                (NotifyOutcome::DoNothing, None)
            } else if s.is(RUNNING) {
                if s.is(NOTIFIED) {
                    (NotifyOutcome::DoNothing, None)
                } else {
                    s.set(NOTIFIED);
                    (NotifyOutcome::DoNothing, Some(s))
                }
            } else {
                s.set(SCHEDULED);
                s.ref_inc();
                (NotifyOutcome::Submit, Some(s))
            }
        })
    }

    /// Taken from a run queue: acquire `RUNNING`.
    pub(crate) fn transition_to_running(&self) -> RunOutcome {
        self.fetch_update_action(|mut s| {
            debug_assert!(
                s.is(SCHEDULED),
                "running a task that was not scheduled: {s:?}"
            );
            debug_assert!(!s.is(RUNNING), "two runners on one task: {s:?}");
            s.unset(SCHEDULED);
            s.set(RUNNING);
            let outcome = if s.is(CLOSED) {
                RunOutcome::Cancelled
            } else {
                RunOutcome::Run
            };
            (outcome, Some(s))
        })
    }

    /// After a poll returned `Pending`.
    pub(crate) fn transition_to_idle(&self) -> IdleOutcome {
        self.fetch_update_action(|mut s| {
            debug_assert!(s.is(RUNNING) && !s.is(SCHEDULED), "{s:?}");
            if s.is(CLOSED) {
                (IdleOutcome::Cancelled, None)
            } else if s.is(NOTIFIED) {
                s.unset(RUNNING | NOTIFIED);
                s.set(SCHEDULED);
                (IdleOutcome::Requeue, Some(s))
            } else {
                s.unset(RUNNING);
                (IdleOutcome::Idle, Some(s))
            }
        })
    }

    /// The future completed or was dropped by the `RUNNING` holder.
    pub(crate) fn transition_to_complete(&self) {
        self.fetch_update_action(|mut s| {
            debug_assert!(s.is(RUNNING), "completing without RUNNING: {s:?}");
            s.unset(RUNNING | NOTIFIED);
            s.set(CLOSED);
            ((), Some(s))
        });
    }

    /// Cancellation from outside (a handle, or shutdown).
    pub(crate) fn transition_to_closed(&self) -> CloseOutcome {
        self.fetch_update_action(|mut s| {
            if s.is(CLOSED) {
                (CloseOutcome::AlreadyClosed, None)
            } else if s.is_idle() {
                s.set(CLOSED | RUNNING);
                (CloseOutcome::DropNow, Some(s))
            } else {
                s.set(CLOSED);
                (CloseOutcome::Deferred, Some(s))
            }
        })
    }

    /// Adds a reference (a cloned waker, a handle).
    pub(crate) fn ref_inc(&self) {
        let prev = self.val.fetch_add(REF_ONE, Ordering::Relaxed);
        assert!(prev <= isize::MAX as usize, "task reference count overflow");
    }

    /// Drops a reference; `true` for exactly one caller: the last, who frees
    /// the task.
    #[must_use]
    pub(crate) fn ref_dec(&self) -> bool {
        let prev = Snapshot(self.val.fetch_sub(REF_ONE, Ordering::AcqRel));
        debug_assert!(prev.refs() >= 1, "task reference count underflow: {prev:?}");
        prev.refs() == 1
    }

    /// The one CAS loop: `f` maps a snapshot to an outcome and, if the word
    /// must change, its new value.
    fn fetch_update_action<T>(&self, mut f: impl FnMut(Snapshot) -> (T, Option<Snapshot>)) -> T {
        let mut curr = Snapshot(self.val.load(Ordering::Acquire));
        loop {
            let (outcome, next) = f(curr);
            let Some(next) = next else { return outcome };
            match self
                .val
                .compare_exchange(curr.0, next.0, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return outcome,
                Err(actual) => curr = Snapshot(actual),
            }
        }
    }
}

#[cfg(all(test, not(keel_loom)))]
mod tests {
    use super::*;

    #[test]
    fn wake_while_running_requeues_once() {
        let s = State::new_scheduled(1);
        assert_eq!(s.transition_to_running(), RunOutcome::Run);
        assert_eq!(s.transition_to_notified(), NotifyOutcome::DoNothing);
        assert_eq!(s.transition_to_notified(), NotifyOutcome::DoNothing);
        assert_eq!(s.transition_to_idle(), IdleOutcome::Requeue);
        assert_eq!(s.transition_to_running(), RunOutcome::Run);
        assert_eq!(s.transition_to_idle(), IdleOutcome::Idle);
        assert_eq!(s.load().refs(), 1);
    }

    #[test]
    fn wake_idle_submits_and_adds_a_reference() {
        let s = State::new_scheduled(1);
        assert_eq!(s.transition_to_running(), RunOutcome::Run);
        assert_eq!(s.transition_to_idle(), IdleOutcome::Idle);
        assert_eq!(s.transition_to_notified(), NotifyOutcome::Submit);
        assert_eq!(s.transition_to_notified(), NotifyOutcome::DoNothing);
        assert_eq!(s.load().refs(), 2);
    }

    #[test]
    fn close_depends_on_who_holds_the_future() {
        let s = State::new_scheduled(1);
        assert_eq!(s.transition_to_closed(), CloseOutcome::Deferred);
        assert_eq!(s.transition_to_running(), RunOutcome::Cancelled);
        s.transition_to_complete();
        assert_eq!(s.transition_to_closed(), CloseOutcome::AlreadyClosed);
        assert_eq!(s.transition_to_notified(), NotifyOutcome::DoNothing);

        let s = State::new_scheduled(1);
        assert_eq!(s.transition_to_running(), RunOutcome::Run);
        assert_eq!(s.transition_to_idle(), IdleOutcome::Idle);
        assert_eq!(s.transition_to_closed(), CloseOutcome::DropNow);
        s.transition_to_complete();
        assert!(s.load().is_closed());

        let s = State::new_scheduled(1);
        assert_eq!(s.transition_to_running(), RunOutcome::Run);
        assert_eq!(s.transition_to_closed(), CloseOutcome::Deferred);
        assert_eq!(s.transition_to_idle(), IdleOutcome::Cancelled);
    }

    #[test]
    fn last_reference_is_reported_once() {
        let s = State::new_scheduled(2);
        s.ref_inc();
        assert!(!s.ref_dec());
        assert!(!s.ref_dec());
        assert!(s.ref_dec());
    }
}
