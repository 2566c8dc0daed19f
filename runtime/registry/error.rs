//! The registry's errors, one per operation: registering a name, looking
//! one up, joining a group.
use std::sync::Arc;

use crate::actor::AnyRef;

/// Why `system.register(name, actor)` did not bind the name.
///
/// When several apply, the first in this order is reported: `InvalidName`,
/// `NotRunning`, `AlreadyNamed`, `AlreadyRegistered`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegisterError {
    /// The name is empty.
    #[error("a registered name must not be empty")]
    InvalidName,
    /// The actor has no running incarnation (it stopped, or it is between
    /// incarnations of a restart), or its incarnation's exit was already
    /// announced.
    #[error("the actor is not running")]
    NotRunning,
    /// The actor's incarnation already has this name (OTP allows one name
    /// per process); `unregister` it first. Also the answer to registering
    /// the same name twice.
    #[error("the actor is already registered as {0:?}")]
    AlreadyNamed(Arc<str>),
    /// The name belongs to another live incarnation, of the actor carried
    /// here.
    #[error("the name is already registered to {0:?}")]
    AlreadyRegistered(AnyRef),
}

/// Why `system.whereis::<A>(name)` found no `ActorRef<A>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum WhereisError {
    /// No live incarnation has the name.
    #[error("no actor is registered under that name")]
    NotFound,
    /// The actor registered under the name is not an `A`
    /// (`system.whereis_any` returns it untyped).
    #[error("the actor registered under that name is of another type")]
    WrongType,
}

/// Why `system.join(group, actor)` did not add the actor to the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum JoinError {
    /// The group's name is empty.
    #[error("a group's name must not be empty")]
    InvalidName,
    /// The actor has no running incarnation, or its incarnation's exit was
    /// already announced.
    #[error("the actor is not running")]
    NotRunning,
}
