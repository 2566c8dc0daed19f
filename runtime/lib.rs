//! keel: an Erlang/OTP-style actor runtime for Rust.
//!
//! Applications are trees of isolated actors that share no state and talk only
//! by messages; supervisors restart what crashes, so a fault stays where it
//! happened.
//!
//! ```
//! use keel::prelude::*;
//!
//! struct Greeter;
//!
//! impl Actor for Greeter {
//!     type Msg = (String, ReplyTo<String>);
//!     type Error = std::convert::Infallible;
//!
//!     async fn handle(&mut self, (name, reply): Self::Msg, _ctx: &mut Context<Self>) -> Result<(), Self::Error> {
//!         reply.reply(format!("hello, {name}"));
//!         Ok(())
//!     }
//! }
//!
//! let system = System::new();
//! let greeter = system.spawn(Greeter);
//! assert_eq!(greeter.ask_blocking(|r| ("keel".into(), r)).unwrap(), "hello, keel");
//! system.shutdown_blocking().unwrap();
//! ```
//!
//! # Layers
//!
//! - [`System`] (`runtime/system.rs`): workers, clock, tokio handle,
//!   events, the root supervisor ([`System::supervise`]), shutdown;
//! - supervision (`runtime/supervisor/`): [`Supervisor`](struct@Supervisor),
//!   [`DynamicSupervisor`], [`ChildSpec`], [`SupervisorRef`], on a pure
//!   decision machine;
//! - [`patterns`] (`runtime/patterns/`): fault-tolerance patterns on top of
//!   supervision: the live tree as text, DOT or Mermaid
//!   ([`System::snapshot`]), seeded fault injection and a chaos monkey,
//!   router pools ([`System::start_pool`]), and with the `tower` feature an
//!   ask handle as a `tower::Service` and a circuit breaker;
//! - names and process groups (`runtime/registry/`): [`System::register`],
//!   [`System::whereis`], [`System::join`] and [`System::members`];
//! - actors (`runtime/actor/`): [`Actor`], [`ActorRef`] and the other
//!   handles, [`Context`], asks, links, monitors, exit signals, timers and
//!   the run loop;
//! - [`time`]: the [`Clock`](time::Clock) every timer and ask timeout
//!   reads; `testing` (feature `testing`): a manual clock, `suspend` /
//!   `resume`, `quiet_panics`;
//! - the engine (`runtime/core/`, private): keel's own scheduler and
//!   two-lane mailbox, the exit cell and the reply slot, checked under loom
//!   (`RUSTFLAGS="--cfg keel_loom -C debug_assertions" cargo test --lib --release`);
//!   `runtime/sync.rs` names every synchronisation primitive they use.
//!
//! # Guarantees worth knowing
//!
//! Per-sender FIFO; one hook at a time per actor; a panic in any hook ends
//! only that actor (with `panic = "unwind"`, the default); `kill` takes
//! effect at the handler's next poll; a message accepted and not processed
//! is a dead letter, counted and published. DESIGN.md §4 in the project has
//! the full contract.
#![deny(unsafe_op_in_unsafe_fn)]
#![cfg_attr(keel_loom, allow(dead_code, unreachable_pub))]

mod sync;

#[cfg(not(keel_loom))]
mod actor;
#[cfg(not(keel_loom))]
pub mod patterns;
#[cfg(not(keel_loom))]
pub mod prelude;
#[cfg(not(keel_loom))]
mod registry;
#[cfg(not(keel_loom))]
mod supervisor;
#[cfg(not(keel_loom))]
mod system;
#[cfg(all(feature = "testing", not(keel_loom)))]
pub mod testing;

#[cfg(not(keel_loom))]
pub use crate::actor::{
    Actor, ActorConfig, ActorId, ActorRef, AnyRef, AskError, AskFuture, Context, DeadLetterReason,
    EventStream, ExitReason, LinkError, MailboxConfig, MonitorRef, Overflow, Pid, Recipient,
    ReplyTo, Start, StartError, Status, SystemEvent, TellError, Timed, TimerRef, WeakActorRef,
};
#[cfg(not(keel_loom))]
#[doc(hidden)]
pub use crate::actor::{Interceptor, MessageAction, StartAction};
#[cfg(not(keel_loom))]
pub use crate::registry::{JoinError, RegisterError, WhereisError};
#[cfg(not(keel_loom))]
pub use crate::supervisor::handle::ChildSelector;
#[cfg(not(keel_loom))]
pub use crate::supervisor::{
    AutoShutdown, Backoff, ChildCounts, ChildInfo, ChildKind, ChildReport, ChildSpec, ChildState,
    DynamicSupervisor, DynamicSupervisorBuilder, MakeSupervisor, Restart, Shutdown, SpecError,
    Strategy, Supervisor, SupervisorBuilder, SupervisorError, SupervisorRef, SupervisorReport,
};
#[cfg(not(keel_loom))]
pub use crate::system::{BuildError, ShutdownError, System, SystemBuilder};

// `mod core` shadows the `core` crate inside this crate; keel's code names
// `std::` throughout, and this module as `crate::core`.
mod core;

#[cfg(not(keel_loom))]
pub mod time;

// `keel::Actor` is both the trait and the derive (as serde does it);
// `#[keel::messages]` and its `#[message]` marker come along.
#[cfg(all(feature = "macros", not(keel_loom)))]
#[doc(inline)]
pub use keel_macros::{message, messages, Actor};
// `keel::Supervisor` is both the struct and the derive, likewise.
#[cfg(all(feature = "macros", not(keel_loom)))]
#[doc(inline)]
pub use keel_macros::Supervisor;

/// What the macros' generated code names, and nothing else: not part of
/// keel's API.
#[cfg(not(keel_loom))]
#[doc(hidden)]
pub mod __private {
    pub use crate::actor::derive::{HookResult, Messages, StartResult};
    pub use crate::actor::{
        Actor, ActorConfig, ActorRef, AnyRef, AskFuture, Context, ExitReason, MailboxConfig,
        MonitorRef, Overflow, ReplyTo, Start, TellError, Timed,
    };
    pub use std::convert::Infallible;
    pub use std::fmt;
    pub use std::future::Future;
    pub use std::marker::{PhantomData, Send};
    pub use std::result::Result;

    // What `#[derive(Supervisor)]` names.
    pub use crate::actor::StartError;
    pub use crate::supervisor::{
        AutoShutdown, ChildSpec, ChildState, Restart, Shutdown, Strategy, Supervisor,
        SupervisorError, SupervisorRef,
    };
    pub use crate::system::System;
    pub use std::clone::Clone;
    pub use std::convert::From;
    pub use std::option::Option;
    pub use std::time::Duration;

    /// A worker child of `#[derive(Supervisor)]`: every start clones
    /// `proto`. It is kept behind a lock so that the actor need only be
    /// `Send`, as actors are (a spec's factory must be `Sync`).
    pub fn worker_spec<A: Actor + Clone>(id: &'static str, proto: A) -> ChildSpec {
        let proto = crate::sync::Mutex::new(proto);
        ChildSpec::worker(id, move || proto.lock().clone())
    }

    /// A `#[child(supervisor)]` child of `#[derive(Supervisor)]`: built
    /// once, started afresh (children and all) on every start.
    pub fn supervisor_spec<S: Into<Supervisor>>(id: &'static str, sup: S) -> ChildSpec {
        ChildSpec::supervisor(id, sup.into())
    }
}

/// The engine's internals, for keel's own benchmarks, stress tests and the
/// engine preview example only.
///
/// Not part of keel's API: nothing here is covered by semver, and it will
/// disappear behind the actor layer. Applications use actors.
#[cfg(not(keel_loom))]
#[doc(hidden)]
pub mod __internal {
    pub use crate::core::blocking::block_on;
    pub use crate::core::mailbox::{
        Mailbox, Next, Receiver, RecvError, SendError, SendFuture, TryRecvError,
    };
    pub use crate::core::scheduler::{
        Scheduler, SchedulerConfig, SpawnError, TaskHandle, ThreadWrapper,
    };
}

// The README's code compiles and runs as a doctest.
#[cfg(all(doctest, not(keel_loom)))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
