//! The names most programs need: `use keel::prelude::*;`.
// `Actor` is the trait and, with the `macros` feature, the derive.
pub use crate::actor::{
    ActorRef, AnyRef, AskError, Context, ExitReason, Recipient, ReplyTo, Start, TellError,
    WeakActorRef,
};
pub use crate::system::System;
pub use crate::Actor;
