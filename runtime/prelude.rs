//! The names most programs need: `use keel::prelude::*;`.
pub use crate::actor::{
    ActorRef, AnyRef, AskError, Context, ExitReason, Recipient, ReplyTo, Start, TellError,
    WeakActorRef,
};
pub use crate::supervisor::ChildSpec;
pub use crate::system::System;
// `Actor` is the trait and, with the `macros` feature, the derive; so is
// `Supervisor` (the configuration, and `#[derive(Supervisor)]`).
pub use crate::{Actor, Supervisor};
// The `#[message]` marker: inside a `#[keel::messages]` block the block
// consumes it; outside one, this import is what turns it into keel's error,
// which says where it belongs.
#[cfg(feature = "macros")]
pub use crate::message;
