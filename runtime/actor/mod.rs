//! Actors: the trait, refs, tell/send/ask, links, monitors, exit signals,
//! timers and the run loop, on top of the core (DESIGN.md §4).
//!
//! # Pieces
//!
//! - [`Actor`]: the trait users implement (by hand, or with the derive);
//! - `address`: the stable address (mailbox, status, current incarnation)
//!   and the incarnation (pid, exit cell, trap flag);
//! - `refs`: [`ActorRef`], [`WeakActorRef`], [`AnyRef`], [`Recipient`],
//!   [`Timed`], [`MonitorRef`];
//! - `ask`: [`ReplyTo`] and [`AskFuture`], and the reply scope that turns an
//!   unanswered request into `NoReply` or `Exited(reason)`;
//! - `context`: [`Context`], what a hook can do;
//! - `run`: the run loop, one per incarnation, and its outcome interpreter;
//! - `kernel`: what every actor of one System shares (schedulers, clock,
//!   events, dead letters, the live set); the System wraps it;
//! - `events`: [`SystemEvent`] and [`EventStream`].
//!
//! # The run loop in one paragraph
//!
//! An incarnation runs `started`, then takes one message at a time: the
//! control lane first (`kill`, exit signals that terminate it), then
//! `continue_with` messages, then the user lane (messages, `stop`, trapped
//! exit signals, `Down`s). Each hook is polled inside `catch_unwind` and
//! watched for `kill` while it is suspended. One function maps the outcome
//! (`Ok`, `Err`, a panic, a stop request, a kill) to the next step. On exit:
//! an unsupervised address closes and the requests the ending hook left
//! unanswered fail with its reason; `stopped` runs (if the rule of
//! DESIGN.md §4 says so); the state is dropped; the exit reason is claimed
//! (a later `kill` leaves it); what is still queued becomes dead letters or
//! `Exited` asks; then the exit is announced: the address is `Stopped` (or
//! `Restarting` when a supervisor will attach a new incarnation), links and
//! monitors are told, `wait_exit` resolves. A `kill` announces at once,
//! whatever the run loop is doing.
use std::borrow::Cow;
use std::fmt;
use std::future::Future;

pub(crate) mod address;
pub(crate) mod ask;
pub(crate) mod context;
pub(crate) mod derive;
pub(crate) mod error;
pub(crate) mod events;
pub(crate) mod exit;
pub(crate) mod kernel;
pub(crate) mod refs;
pub(crate) mod run;
#[cfg(test)]
mod tests;

pub use self::address::{ActorId, Pid, Status};
pub use self::ask::{AskFuture, ReplyTo};
pub use self::context::{Context, TimerRef};
pub use self::error::{AskError, LinkError, StartError, TellError};
pub use self::events::{DeadLetterReason, EventStream, SystemEvent};
pub use self::exit::ExitReason;
pub use self::kernel::{Interceptor, MessageAction, StartAction};
pub use self::refs::{ActorRef, AnyRef, MonitorRef, Recipient, Timed, WeakActorRef};

/// An actor: state that handles one message at a time.
///
/// Only [`handle`](Actor::handle) is required. Every hook takes the
/// [`Context`] last and returns a `Send` future (write `async fn`); an actor
/// runs one hook at a time, so while an async hook awaits, no other message
/// or trappable signal of this actor runs.
///
/// Which hooks run when (OTP's gen_server rules):
///
/// - [`started`](Actor::started) first; `Err` or a panic is a start failure
///   (`stopped` does not run), `Start::Ignore` ends the actor `Normal`;
/// - [`stopped`](Actor::stopped) when the actor ends itself (`ctx.stop`,
///   `ActorRef::stop`, `Err` from a hook, a panic in a hook) and when an exit
///   signal ends a trapping actor; **not** after `kill`, nor when an exit
///   signal kills an actor that does not trap exits;
/// - [`on_exit`](Actor::on_exit) for exit signals, only while trapping exits;
/// - [`on_down`](Actor::on_down) for monitors.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an actor",
    label = "not an actor",
    note = "add `#[derive(Actor)]` to `{Self}` (its messages come from a `#[keel::messages]` \
            impl block), or implement `keel::Actor` by hand"
)]
pub trait Actor: Send + Sized + 'static {
    /// The messages this actor handles.
    type Msg: Send + 'static;
    /// What a hook may fail with; `Err` ends the actor with
    /// [`ExitReason::Error`]. `std::convert::Infallible` works.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Handles one message.
    fn handle(
        &mut self,
        msg: Self::Msg,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Runs before the first message. `Start::Ignore` ends the actor
    /// quietly (OTP's `ignore`); `ctx.stop()` here takes effect when it
    /// returns.
    fn started(
        &mut self,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Result<Start, Self::Error>> + Send {
        let _ = ctx;
        async { Ok(Start::Ready) }
    }

    /// Runs when the actor ends itself or a trapped exit signal ends it
    /// (see the trait documentation).
    fn stopped(
        &mut self,
        reason: &ExitReason,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = ()> + Send {
        let _ = (reason, ctx);
        async {}
    }

    /// An exit signal from a linked actor, while trapping exits
    /// (`ctx.trap_exits(true)`).
    fn on_exit(
        &mut self,
        from: AnyRef,
        reason: ExitReason,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        let _ = (from, reason, ctx);
        async { Ok(()) }
    }

    /// A monitored actor ended (exactly once per monitor).
    fn on_down(
        &mut self,
        monitor: MonitorRef,
        reason: ExitReason,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        let _ = (monitor, reason, ctx);
        async { Ok(()) }
    }

    /// How actors of this type are spawned: mailbox, dispatcher, blocking,
    /// name. The default uses the System's default mailbox and dispatcher.
    fn config() -> ActorConfig {
        ActorConfig::default()
    }
}

/// What `started` decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Start handling messages.
    Ready,
    /// Do not run: the actor ends `Normal` at once, without `stopped`
    /// (OTP's `ignore`; a supervisor keeps the spec, not running).
    Ignore,
}

/// What a bounded mailbox does with a `tell` when it is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overflow {
    /// `tell` fails with `TellError::Full(msg)`, handing the message back.
    #[default]
    FailFast,
    /// `tell` succeeds and the message becomes a dead letter (`Overflow`).
    DropNewest,
}

/// An actor's mailbox: unbounded (the default) or bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailboxConfig {
    pub(crate) capacity: Option<usize>,
    pub(crate) overflow: Overflow,
    pub(crate) track_high_water: bool,
}

impl MailboxConfig {
    /// An unbounded mailbox: `tell` never fails for room.
    pub const fn unbounded() -> MailboxConfig {
        MailboxConfig {
            capacity: None,
            overflow: Overflow::FailFast,
            track_high_water: false,
        }
    }

    /// At most `capacity` queued messages (at least 1); `tell` on a full
    /// mailbox follows the overflow policy, `send().await` waits for room.
    pub const fn bounded(capacity: usize) -> MailboxConfig {
        MailboxConfig {
            capacity: Some(if capacity == 0 { 1 } else { capacity }),
            overflow: Overflow::FailFast,
            track_high_water: false,
        }
    }

    /// Sets the overflow policy of a bounded mailbox.
    pub const fn overflow(mut self, policy: Overflow) -> MailboxConfig {
        self.overflow = policy;
        self
    }

    /// Records the mailbox's high-water mark (costs an unbounded sender a
    /// read of the receiver's cache line).
    pub const fn track_high_water(mut self, on: bool) -> MailboxConfig {
        self.track_high_water = on;
        self
    }

    /// The bound, if bounded.
    pub const fn capacity(&self) -> Option<usize> {
        self.capacity
    }
}

impl Default for MailboxConfig {
    fn default() -> Self {
        MailboxConfig::unbounded()
    }
}

/// How actors of one type are spawned (returned by [`Actor::config`]).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ActorConfig {
    pub(crate) mailbox: Option<MailboxConfig>,
    pub(crate) dispatcher: Option<Cow<'static, str>>,
    pub(crate) blocking: bool,
    pub(crate) name: Option<Cow<'static, str>>,
}

impl ActorConfig {
    /// The defaults: the System's default mailbox and dispatcher.
    pub const fn new() -> ActorConfig {
        ActorConfig {
            mailbox: None,
            dispatcher: None,
            blocking: false,
            name: None,
        }
    }

    /// This type's mailbox (instead of the System's default).
    pub fn mailbox(mut self, mailbox: MailboxConfig) -> ActorConfig {
        self.mailbox = Some(mailbox);
        self
    }

    /// Run on the named dispatcher (`SystemBuilder::dispatcher`); an unknown
    /// name fails the start with `StartError::UnknownDispatcher`.
    pub fn dispatcher(mut self, name: impl Into<Cow<'static, str>>) -> ActorConfig {
        self.dispatcher = Some(name.into());
        self
    }

    /// Run on the blocking dispatcher: a thread per blocking actor, so its
    /// handlers may block without stalling other actors or each other.
    pub fn blocking(mut self, on: bool) -> ActorConfig {
        self.blocking = on;
        self
    }

    /// The name in traces (default: the type's name).
    pub fn name(mut self, name: impl Into<Cow<'static, str>>) -> ActorConfig {
        self.name = Some(name.into());
        self
    }
}

impl fmt::Debug for ActorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActorConfig")
            .field("mailbox", &self.mailbox)
            .field("dispatcher", &self.dispatcher)
            .field("blocking", &self.blocking)
            .field("name", &self.name)
            .finish()
    }
}

/// Messages are stored by value in the mailbox's blocks: past this size a
/// message should be boxed.
pub(crate) const LARGE_MESSAGE: usize = 256;
