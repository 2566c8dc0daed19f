//! What the macros' generated code calls (through `keel::__private`): the
//! hidden trait a messages block implements, and the conversions that let a
//! hook named in `#[actor(...)]` return what suits it.
use std::future::Future;

use crate::actor::{Actor, Context, Start};

/// Implemented by `#[keel::messages]` for the actor it is written on:
/// `#[derive(Actor)]` takes the message type and the dispatch from here, so
/// the two macros meet without either seeing the other's input.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has `#[derive(Actor)]` but no `#[keel::messages]` block",
    label = "`#[derive(Actor)]` takes the messages of `{Self}` from a `#[keel::messages]` block",
    note = "add `#[keel::messages] impl {Self} {{ #[message] fn ... }}` (in any module of the \
            crate), or implement `keel::Actor` by hand instead of deriving it"
)]
pub trait Messages: Sized {
    /// The generated `{Actor}Msg` enum.
    type Msg: Send + 'static;

    /// Runs the method that `msg` names; an ask's reply goes to its
    /// `ReplyTo`.
    fn dispatch<E>(
        &mut self,
        msg: <Self as Messages>::Msg,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Result<(), E>> + Send
    where
        Self: Actor<Msg = <Self as Messages>::Msg>;
}

/// What a `started` hook named in `#[actor(started = ...)]` may return.
#[diagnostic::on_unimplemented(
    message = "a `started` hook returns `()`, `Start`, `Result<(), E>` or `Result<Start, E>`, \
               where `E` is the actor's error type; this one returns `{Self}`",
    label = "this hook returns `{Self}`",
    note = "the actor's error type is `#[actor(error = E)]` (default `Infallible`)"
)]
pub trait StartResult<E> {
    /// The hook's outcome as `Actor::started` returns it.
    fn into_start(self) -> Result<Start, E>;
}

impl<E> StartResult<E> for () {
    fn into_start(self) -> Result<Start, E> {
        Ok(Start::Ready)
    }
}

impl<E> StartResult<E> for Start {
    fn into_start(self) -> Result<Start, E> {
        Ok(self)
    }
}

impl<E> StartResult<E> for Result<(), E> {
    fn into_start(self) -> Result<Start, E> {
        self.map(|()| Start::Ready)
    }
}

impl<E> StartResult<E> for Result<Start, E> {
    fn into_start(self) -> Result<Start, E> {
        self
    }
}

/// What an `on_exit` or `on_down` hook named in `#[actor(...)]` may return.
#[diagnostic::on_unimplemented(
    message = "an `on_exit` or `on_down` hook returns `()` or `Result<(), E>`, where `E` is \
               the actor's error type; this one returns `{Self}`",
    label = "this hook returns `{Self}`",
    note = "the actor's error type is `#[actor(error = E)]` (default `Infallible`)"
)]
pub trait HookResult<E> {
    /// The hook's outcome as `Actor::on_exit` returns it.
    fn into_result(self) -> Result<(), E>;
}

impl<E> HookResult<E> for () {
    fn into_result(self) -> Result<(), E> {
        Ok(())
    }
}

impl<E> HookResult<E> for Result<(), E> {
    fn into_result(self) -> Result<(), E> {
        self
    }
}
