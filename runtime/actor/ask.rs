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
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use crate::actor::address::{ActorId, AnyAddress};
use crate::actor::error::AskError;
use crate::actor::events::DeadLetterReason;
use crate::actor::exit::ExitReason;
use crate::actor::kernel::Kernel;
use crate::core::reply::{ReplyReceiver, ReplySender};
use crate::time::Sleep;

/// The way back to an asker: answer it with [`reply`](ReplyTo::reply).
///
/// It may be stored and answered later, or sent to another actor to answer
/// (gen_server's deferred reply). Dropped unanswered, the ask completes with
/// [`AskError::NoReply`] (or `Exited` if the incarnation holding it ended,
/// see the module docs). A reply nobody waits for any more is a dead letter.
pub struct ReplyTo<T: Send + 'static> {
    tx: Option<ReplySender<Result<T, ExitReason>>>,
    to: ActorId,
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
    pub(crate) fn new(tx: ReplySender<Result<T, ExitReason>>, to: ActorId) -> Self {
        ReplyTo { tx: Some(tx), to }
    }

    /// Answers the ask. If the asker is gone (timed out, dropped its
    /// future), the reply is a dead letter (`LateReply`).
    pub fn reply(mut self, value: T) {
        if let Some(tx) = self.tx.take() {
            if tx.send(Ok(value)).is_err() {
                late_reply(self.to, std::any::type_name::<T>());
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
            .field("to", &self.to)
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

pub(crate) type Unanswered = Box<dyn FnOnce(Option<ExitReason>) + Send>;

/// What the thread's run loop does with an unanswered `ReplyTo`.
pub(crate) enum Scope {
    /// Collect them; the hook's outcome settles them.
    Defer(Vec<Unanswered>),
    /// Fail them with this reason now, counting them.
    Fail { reason: ExitReason, failed: usize },
}

thread_local! {
    static SCOPE: RefCell<Option<Scope>> = const { RefCell::new(None) };
    /// The actor whose turn this thread runs (for `WouldDeadlock`).
    static TURN: Cell<Option<ActorId>> = const { Cell::new(None) };
    /// The kernel of the last actor this thread ran (for late replies); set
    /// only when it changes, so a turn costs no reference count.
    static THREAD_KERNEL: RefCell<std::sync::Weak<Kernel>> = const { RefCell::new(std::sync::Weak::new()) };
}

fn unanswered(f: Unanswered) {
    let f = SCOPE.with(|s| match &mut *s.borrow_mut() {
        Some(Scope::Defer(list)) => {
            list.push(f);
            None
        }
        Some(Scope::Fail { reason, failed }) => {
            *failed += 1;
            Some((f, Some(reason.clone())))
        }
        None => Some((f, None)),
    });
    if let Some((f, reason)) = f {
        f(reason);
    }
}

fn late_reply(to: ActorId, type_name: &'static str) {
    match THREAD_KERNEL.with(|k| k.borrow().upgrade()) {
        Some(k) => k.dead_letter(to, type_name, DeadLetterReason::LateReply),
        None => tracing::debug!(
            target: "keel::dead_letters",
            actor = %to,
            message = type_name,
            reason = ?DeadLetterReason::LateReply,
            "dead letter (replied outside any actor)"
        ),
    }
}

/// Installs `scope` for the duration of `f`, returning what `f` returned
/// and the scope as `f` left it.
pub(crate) fn with_scope<R>(scope: Scope, f: impl FnOnce() -> R) -> (R, Scope) {
    struct Restore(Option<Option<Scope>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            if let Some(prev) = self.0.take() {
                SCOPE.with(|s| *s.borrow_mut() = prev);
            }
        }
    }
    let prev = SCOPE.with(|s| s.borrow_mut().replace(scope));
    let mut restore = Restore(Some(prev));
    let r = f();
    let prev = restore.0.take().unwrap_or_default();
    let scope = SCOPE.with(|s| std::mem::replace(&mut *s.borrow_mut(), prev));
    (r, scope.unwrap_or(Scope::Defer(Vec::new())))
}

/// Takes the unanswered requests deferred so far in this turn.
pub(crate) fn take_deferred() -> Vec<Unanswered> {
    SCOPE.with(|s| match &mut *s.borrow_mut() {
        Some(Scope::Defer(list)) => std::mem::take(list),
        _ => Vec::new(),
    })
}

/// How many unanswered requests the current `Fail` scope has failed.
pub(crate) fn failed_so_far() -> usize {
    SCOPE.with(|s| match &*s.borrow() {
        Some(Scope::Fail { failed, .. }) => *failed,
        _ => 0,
    })
}

/// Settles deferred unanswered requests: `None` → `NoReply`, `Some(reason)`
/// → `Exited(reason)`.
pub(crate) fn settle(deferred: &mut Vec<Unanswered>, reason: Option<&ExitReason>) {
    for f in deferred.drain(..) {
        f(reason.cloned());
    }
}

/// Runs `f` as part of actor `id`'s turn (for `WouldDeadlock` and late
/// replies).
pub(crate) fn in_turn<R>(id: ActorId, kernel: &Arc<Kernel>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<ActorId>);
    impl Drop for Restore {
        fn drop(&mut self) {
            TURN.with(|t| t.set(self.0));
        }
    }
    THREAD_KERNEL.with(|k| {
        let mut k = k.borrow_mut();
        if !std::ptr::eq(k.as_ptr(), Arc::as_ptr(kernel)) {
            *k = Arc::downgrade(kernel);
        }
    });
    let _restore = Restore(TURN.with(|t| t.replace(Some(id))));
    f()
}

/// The actor whose turn this thread is running, if any.
pub(crate) fn current_actor() -> Option<ActorId> {
    TURN.with(Cell::get)
}
