//! The names most programs need: `use keel::prelude::*;`.
pub use crate::actor::{
    Actor, ActorRef, AnyRef, AskError, Context, ExitReason, Recipient, ReplyTo, Start, TellError,
    WeakActorRef,
};
pub use crate::system::System;
