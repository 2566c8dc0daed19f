//! Asks: [`ReplyTo`] travels with the request, [`AskFuture`] waits for it.
//!
//! # What an unanswered request becomes
//!
//! A `ReplyTo` dropped without a reply must tell the asker why. The run loop
//! keeps a *reply scope* in a thread-local while it runs an actor's turn:
//!
//! - while a hook runs, an unanswered `ReplyTo` dropped in it is *deferred*;
//!   when the hook ends, the run loop settles the deferred ones with the
//!   hook's outcome: `NoReply` if it returned `Ok`, `Exited(reason)` if it
//!   panicked, returned `Err`, or was killed (so a panicking handler fails its
//!   asks with `Exited(Panic)`, never `NoReply`);
//! - while the run loop drops what an ended incarnation leaves (its state,
//!   its queued messages), the scope *fails* them with `Exited(reason)` at
//!   once;
//! - anywhere else (a plain thread) a dropped `ReplyTo` is `NoReply`.
use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use crate::actor::address::{ActorId, AnyAddress, Incarnation};
use crate::actor::error::AskError;
use crate::actor::events::DeadLetterReason;
use crate::actor::exit::ExitReason;
use crate::core::reply::{ReplyReceiver, ReplySender};
use crate::sync::{AtomicBool, Mutex, Ordering};
use crate::time::Sleep;

/// The way back to an asker: answer it with [`reply`](ReplyTo::reply).
///
/// It may be stored and answered later, or sent to another actor to answer
/// (gen_server's deferred reply). Dropped unanswered, the ask completes with
/// [`AskError::NoReply`] (or `Exited` if the incarnation holding it ended,
/// see the module docs). A reply nobody waits for any more is a dead letter.
pub struct ReplyTo<T: Send + 'static> {
    tx: Option<ReplySender<Result<T, ExitReason>>>,
    /// The asked actor's address: a late reply is its dead letter.
    to: Weak<dyn AnyAddress>,
}

/// The answer to an ask: `Ok(reply)`, or why there is none.
///
/// The request was enqueued when `ask` was called (or waits for room in a
/// full bounded mailbox, within the timeout); awaiting this only waits. The
/// timeout (default 5 s, on the System's clock) runs from the first poll
/// that has to wait. Dropping it abandons the ask: a later reply is a dead
/// letter.
#[must_use = "an ask does nothing useful unless awaited"]
pub struct AskFuture<T> {
    state: AskState<T>,
}

type PendingSend = Pin<Box<dyn Future<Output = bool> + Send>>;

enum AskState<T> {
    Failed(AskError),
    Waiting {
        rx: ReplyReceiver<Result<T, ExitReason>>,
        target: Arc<dyn AnyAddress>,
        timeout: Duration,
        sleep: Option<Sleep>,
        /// A request still waiting for room in a full bounded mailbox.
        sending: Option<PendingSend>,
    },
    Done,
}

impl<T: Send + 'static> ReplyTo<T> {
    pub(crate) fn new(tx: ReplySender<Result<T, ExitReason>>, to: Weak<dyn AnyAddress>) -> Self {
        ReplyTo { tx: Some(tx), to }
    }

    /// Answers the ask. If the asker is gone (timed out, dropped its
    /// future), the reply is a dead letter (`LateReply`) of the asked
    /// actor, counted even when given from outside any actor.
    pub fn reply(mut self, value: T) {
        if let Some(tx) = self.tx.take() {
            if tx.send(Ok(value)).is_err() {
                let type_name = std::any::type_name::<T>();
                match self.to.upgrade() {
                    Some(to) => {
                        to.kernel()
                            .dead_letter(to.id(), type_name, DeadLetterReason::LateReply)
                    }
                    None => tracing::debug!(
                        target: "keel::dead_letters",
                        message = type_name,
                        reason = ?DeadLetterReason::LateReply,
                        "dead letter (the asked actor's System is gone)"
                    ),
                }
            }
        }
    }

    /// True if nobody waits for the reply any more.
    pub fn is_closed(&self) -> bool {
        self.tx.as_ref().is_none_or(ReplySender::is_closed)
    }
}

impl<T: Send + 'static> Drop for ReplyTo<T> {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            if tx.is_closed() {
                // Nobody waits (the ask timed out or was dropped): there is
                // no one to tell, and a drained request counts as a dead
                // letter instead.
                return;
            }
            unanswered(Box::new(move |reason: Option<ExitReason>| {
                if let Some(reason) = reason {
                    let _ = tx.send(Err(reason));
                }
                // `None`: dropping the sender tells the asker `NoReply`.
            }));
        }
    }
}

impl<T: Send + 'static> fmt::Debug for ReplyTo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyTo")
            .field("to", &self.to.upgrade().map(|a| a.id()))
            .field("answered", &self.tx.is_none())
            .finish()
    }
}

impl<T> AskFuture<T> {
    pub(crate) fn failed(e: AskError) -> Self {
        AskFuture {
            state: AskState::Failed(e),
        }
    }

    pub(crate) fn waiting(
        rx: ReplyReceiver<Result<T, ExitReason>>,
        target: Arc<dyn AnyAddress>,
        timeout: Duration,
        sending: Option<PendingSend>,
    ) -> Self {
        AskFuture {
            state: AskState::Waiting {
                rx,
                target,
                timeout,
                sleep: None,
                sending,
            },
        }
    }
}

impl<T> Unpin for AskFuture<T> {}

impl<T> Future for AskFuture<T> {
    type Output = Result<T, AskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let AskState::Waiting {
            rx,
            target,
            timeout,
            sleep,
            sending,
        } = &mut this.state
        else {
            return match std::mem::replace(&mut this.state, AskState::Done) {
                AskState::Failed(e) => Poll::Ready(Err(e)),
                _ => Poll::Ready(Err(AskError::NoReply)),
            };
        };
        if let Some(send) = sending {
            match send.as_mut().poll(cx) {
                Poll::Ready(true) => *sending = None,
                Poll::Ready(false) => {
                    this.state = AskState::Done;
                    return Poll::Ready(Err(AskError::NotRunning));
                }
                Poll::Pending => {}
            }
        }
        if sending.is_none() {
            match rx.poll_recv(cx) {
                Poll::Ready(outcome) => {
                    this.state = AskState::Done;
                    return Poll::Ready(match outcome {
                        Ok(Ok(v)) => Ok(v),
                        Ok(Err(reason)) => Err(AskError::Exited(reason)),
                        Err(_) => Err(AskError::NoReply),
                    });
                }
                Poll::Pending => {}
            }
        }
        let sleep = sleep.get_or_insert_with(|| target.kernel().clock.sleep(*timeout));
        if Pin::new(sleep).poll(cx).is_ready() {
            // A reply that raced the timeout still counts.
            let late = rx.close();
            this.state = AskState::Done;
            return Poll::Ready(match late {
                Some(Ok(v)) => Ok(v),
                Some(Err(reason)) => Err(AskError::Exited(reason)),
                None => Err(AskError::Timeout),
            });
        }
        Poll::Pending
    }
}

impl<T> fmt::Debug for AskFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            AskState::Failed(e) => format!("failed: {e}"),
            AskState::Waiting { sending, .. } if sending.is_some() => "waiting for room".into(),
            AskState::Waiting { .. } => "waiting".into(),
            AskState::Done => "done".into(),
        };
        f.debug_struct("AskFuture").field("state", &state).finish()
    }
}

// ---- the reply scope ----

/// A request dropped unanswered: called with the reason to fail it with, or
/// `None` for `NoReply`.
pub(crate) type Unanswered = Box<dyn FnOnce(Option<ExitReason>) + Send>;

/// The unanswered requests one hook dropped, kept by its incarnation until
/// the hook ends (it may move between threads while suspended).
#[derive(Default)]
pub(crate) struct Deferred {
    any: AtomicBool,
    list: Mutex<Vec<Unanswered>>,
}

impl Deferred {
    fn push(&self, f: Unanswered) {
        self.list.lock().push(f);
        self.any.store(true, Ordering::Relaxed);
    }

    /// Settles them: `None` → `NoReply`, `Some(reason)` → `Exited(reason)`.
    /// One relaxed load when there are none (only the run loop's thread of
    /// the moment touches the flag).
    #[inline]
    pub(crate) fn settle(&self, reason: Option<&ExitReason>) {
        if self.any.load(Ordering::Relaxed) {
            self.settle_slow(reason);
        }
    }

    #[inline(never)]
    fn settle_slow(&self, reason: Option<&ExitReason>) {
        self.any.store(false, Ordering::Relaxed);
        let list = std::mem::take(&mut *self.list.lock());
        for f in list {
            f(reason.cloned());
        }
    }
}

thread_local! {
    /// The incarnation whose turn this thread runs; null outside turns.
    static CURRENT: Cell<*const Incarnation> = const { Cell::new(std::ptr::null()) };
    /// Set while an ended incarnation's leftovers are dropped: fail every
    /// unanswered request with this reason (and count them).
    static FAIL: RefCell<Option<(ExitReason, usize)>> = const { RefCell::new(None) };
}

/// Runs `f` as a turn of `inc` (for deferred replies, `WouldDeadlock` and
/// late replies).
#[inline]
pub(crate) fn in_turn<R>(inc: &Incarnation, f: impl FnOnce() -> R) -> R {
    struct Restore(*const Incarnation);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(CURRENT.with(|c| c.replace(inc)));
    f()
}

fn with_current<R>(f: impl FnOnce(Option<&Incarnation>) -> R) -> R {
    let ptr = CURRENT.try_with(Cell::get).unwrap_or(std::ptr::null());
    // SAFETY: `CURRENT` is non-null only inside `in_turn`, which borrows the
    // incarnation for the whole call and restores the previous pointer when
    // it returns or unwinds; so a non-null pointer read on this thread
    // points at an incarnation that is alive for at least as long as this
    // function runs (it runs inside that call).
    let inc = unsafe { ptr.as_ref() };
    f(inc)
}

/// Runs `f` failing every request dropped unanswered in it with `reason`;
/// also returns how many it failed.
pub(crate) fn failing<R>(reason: &ExitReason, f: impl FnOnce() -> R) -> (R, usize) {
    struct Restore(Option<Option<(ExitReason, usize)>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            if let Some(prev) = self.0.take() {
                FAIL.with(|s| *s.borrow_mut() = prev);
            }
        }
    }
    let prev = FAIL.with(|s| s.borrow_mut().replace((reason.clone(), 0)));
    let mut restore = Restore(Some(prev));
    let r = f();
    let prev = restore.0.take().unwrap_or_default();
    let failed = FAIL.with(|s| std::mem::replace(&mut *s.borrow_mut(), prev));
    (r, failed.map_or(0, |(_, n)| n))
}

/// How many requests the current `failing` scope has failed so far.
pub(crate) fn failed_so_far() -> usize {
    FAIL.with(|s| s.borrow().as_ref().map_or(0, |(_, n)| *n))
}

fn unanswered(f: Unanswered) {
    // `try_with`: a request dropped while this thread's locals are being
    // destroyed is simply `NoReply`.
    let fail = FAIL
        .try_with(|s| {
            s.borrow_mut().as_mut().map(|(reason, n)| {
                *n += 1;
                reason.clone()
            })
        })
        .ok()
        .flatten();
    if let Some(reason) = fail {
        return f(Some(reason));
    }
    let f = with_current(|inc| match inc {
        Some(inc) => {
            inc.deferred.push(f);
            None
        }
        None => Some(f),
    });
    if let Some(f) = f {
        f(None);
    }
}

/// The actor whose turn this thread is running, if any.
pub(crate) fn current_actor() -> Option<ActorId> {
    with_current(|inc| inc.map(|i| i.id))
}
