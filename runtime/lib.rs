//! keel: an Erlang/OTP-style actor runtime for Rust.
//!
//! Applications are trees of isolated actors that share no state and talk only
//! by messages; supervisors restart what crashes, so a fault stays where it
//! happened. This release holds the engine every actor will run on: keel's own
//! scheduler and mailbox (`runtime/core/`, checked under loom). The actor,
//! supervision and macro layers follow (see DESIGN.md §2 in the project).
//!
//! # Layers
//!
//! `runtime/sync.rs` names every synchronisation primitive; `runtime/core/`
//! builds the task state word, the tasks, the two-lane mailbox, the exit cell,
//! the ask reply slot and the work-stealing scheduler on top of it. Under
//! `--cfg keel_loom` only those two compile, and the loom models run as unit
//! tests (`RUSTFLAGS="--cfg keel_loom -C debug_assertions" cargo test --lib --release`).
#![deny(unsafe_op_in_unsafe_fn)]
#![cfg_attr(keel_loom, allow(dead_code, unreachable_pub))]

mod sync;

#[cfg(not(keel_loom))]
mod actor;
#[cfg(not(keel_loom))]
pub mod prelude;
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
pub use crate::system::{BuildError, ShutdownError, System, SystemBuilder};

// `mod core` shadows the `core` crate inside this crate; keel's code names
// `std::` throughout, and this module as `crate::core`.
mod core;

#[cfg(not(keel_loom))]
pub mod time;

// Empty until the macro layer lands; the re-export is in place so that
// `keel::Actor` is both the trait and the derive from the start.
#[cfg(all(feature = "macros", not(keel_loom)))]
#[doc(inline)]
#[allow(unused_imports, unreachable_pub)]
pub use keel_macros::*;

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
