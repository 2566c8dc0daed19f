//! The errors of sending, asking, starting and linking. A failed send hands
//! the message back; none of them needs `M: Debug`.
use std::fmt;
use std::sync::Arc;

use crate::actor::exit::ExitReason;

/// A `tell` or `send` that could not be done; the message comes back.
#[derive(PartialEq, Eq)]
pub enum TellError<M> {
    /// The bounded mailbox is full and its overflow policy is `FailFast`.
    Full(M),
    /// The actor is gone: its address is closed.
    Closed(M),
}

impl<M> TellError<M> {
    /// The message that was not sent.
    pub fn into_inner(self) -> M {
        match self {
            TellError::Full(m) | TellError::Closed(m) => m,
        }
    }

    /// True for `Closed`.
    pub fn is_closed(&self) -> bool {
        matches!(self, TellError::Closed(_))
    }

    /// The same error with the message mapped.
    pub fn map<N>(self, f: impl FnOnce(M) -> N) -> TellError<N> {
        match self {
            TellError::Full(m) => TellError::Full(f(m)),
            TellError::Closed(m) => TellError::Closed(f(m)),
        }
    }
}

impl<M> fmt::Debug for TellError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TellError::Full(_) => f.write_str("Full(..)"),
            TellError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<M> fmt::Display for TellError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TellError::Full(_) => f.write_str("the actor's mailbox is full"),
            TellError::Closed(_) => f.write_str("the actor is gone"),
        }
    }
}

impl<M> std::error::Error for TellError<M> {}

/// Why an ask got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AskError {
    /// No reply within the ask's timeout (default 5 s, on the System's
    /// clock). A reply that comes later is a dead letter (`LateReply`).
    #[error("the ask timed out")]
    Timeout,
    /// The actor was already gone when the ask was made, or its address
    /// closed while the ask waited for room in a full bounded mailbox.
    #[error("the actor is not running")]
    NotRunning,
    /// The incarnation ended while handling the ask (a panic gives
    /// `Exited(Panic(..))`), or the address closed with the ask queued.
    #[error("the actor exited: {0}")]
    Exited(ExitReason),
    /// The handler dropped the `ReplyTo` without answering.
    #[error("the actor dropped the request without replying")]
    NoReply,
    /// An actor asked itself (it would wait for its own turn forever), or a
    /// blocking ask was made on a keel thread.
    #[error("the ask would deadlock")]
    WouldDeadlock,
}

/// Why `spawn_ready` did not return a running actor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// `started` returned `Err`, panicked, or the actor was killed while
    /// starting; the reason it exited with.
    #[error("the actor failed to start: {0}")]
    Failed(ExitReason),
    /// `started` returned `Start::Ignore`.
    #[error("the actor chose not to start (Start::Ignore)")]
    Ignored,
    /// The System is shutting down and starts nothing new.
    #[error("the system is shutting down")]
    ShuttingDown,
    /// The actor asked for a dispatcher the System does not have.
    #[error("no dispatcher named {0:?}")]
    UnknownDispatcher(String),
    /// A supervision tree did not start (`system.supervise`): its child
    /// `child` failed to start with `reason` (the children started before
    /// it were stopped again).
    #[error("child {child:?} failed to start: {reason}")]
    ChildFailed {
        /// The child's id in its supervisor.
        child: Arc<str>,
        /// Why its start failed.
        reason: ExitReason,
    },
}

/// A link that could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The other actor is not running (OTP sends a `noproc` exit signal;
    /// keel returns this error instead).
    #[error("the actor to link with is not running")]
    NoProc,
}
