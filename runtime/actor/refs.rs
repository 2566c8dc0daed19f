//! Handles to addresses: [`ActorRef`] (typed), [`WeakActorRef`], [`AnyRef`]
//! (untyped), [`Recipient`] (one message type), [`Timed`] (asks with a
//! timeout), and [`MonitorRef`].
//!
//! Every handle names the *address*, not an incarnation: it stays valid
//! across restarts, and compares and hashes by [`ActorId`].
use std::fmt;
use std::future::{poll_fn, Future};
use std::hash::{Hash, Hasher};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::actor::address::{
    ActorId, Address, AnyAddress, Envelope, Incarnation, Signal, Status, Watcher,
};
use crate::actor::ask::{current_actor, AskFuture, ReplyTo};
use crate::actor::error::{AskError, LinkError, TellError};
use crate::actor::events::DeadLetterReason;
use crate::actor::exit::ExitReason;
use crate::actor::kernel::is_blocking_thread;
use crate::actor::{Actor, Overflow};
use crate::core::mailbox::SendError;
use crate::core::reply::reply_slot;

/// A typed handle to an actor's address: send it `A::Msg`s.
pub struct ActorRef<A: Actor> {
    pub(crate) addr: Arc<Address<A>>,
}

/// A handle that does not keep the address alive (an actor may hold one to
/// itself without a cycle).
pub struct WeakActorRef<A: Actor> {
    addr: Weak<Address<A>>,
    id: ActorId,
}

/// An untyped handle: stop, kill, link, monitor, or
/// [`downcast`](AnyRef::downcast) back to an `ActorRef`.
#[derive(Clone)]
pub struct AnyRef {
    pub(crate) addr: Arc<dyn AnyAddress>,
}

/// A handle that accepts one message type `M`, whatever the actor's type
/// (its `Msg` implements `From<M>`).
pub struct Recipient<M> {
    sink: Arc<dyn Sink<M>>,
}

/// `actor_ref.ask_timeout(d)`: asks with timeout `d`; tells as on the ref.
pub struct Timed<'a, A: Actor> {
    actor: &'a ActorRef<A>,
    timeout: Duration,
}

/// Names one monitor: its `Down` carries it, `ctx.demonitor` takes it.
#[derive(Clone)]
pub struct MonitorRef {
    id: u64,
    target: AnyRef,
    inc: Option<Weak<Incarnation>>,
}

impl<A: Actor> ActorRef<A> {
    /// Sends without waiting: a full
    /// bounded mailbox follows its overflow policy (`FailFast` →
    /// `Err(Full(msg))`, `DropNewest` → a dead letter and `Ok`); a gone actor
    /// → `Err(Closed(msg))`.
    #[inline]
    pub fn tell(&self, msg: A::Msg) -> Result<(), TellError<A::Msg>> {
        self.addr.tell_with(msg, Some)
    }

    /// Sends, waiting for room in a full bounded mailbox; `Err(Closed(msg))`
    /// if the actor is gone. Cancel-safe: dropping the future before it
    /// completes drops the message unsent.
    pub fn send(
        &self,
        msg: A::Msg,
    ) -> impl Future<Output = Result<(), TellError<A::Msg>>> + Send + '_ {
        let fut = self.addr.mailbox.send(Envelope::Msg(msg));
        async move {
            fut.await.map_err(|e| match e {
                SendError::Full(Envelope::Msg(m)) => TellError::Full(m),
                SendError::Closed(Envelope::Msg(m)) => TellError::Closed(m),
                _ => unreachable!("send hands back the envelope it was given"),
            })
        }
    }

    /// Asks: `make` builds the request around a [`ReplyTo`]; the request is
    /// enqueued now. Times out after the System's ask timeout (default
    /// 5 s); see [`AskError`] for the other outcomes.
    pub fn ask<T: Send + 'static>(&self, make: impl FnOnce(ReplyTo<T>) -> A::Msg) -> AskFuture<T> {
        self.ask_within(self.addr.kernel.config.ask_timeout, make)
    }

    /// A view whose asks time out after `timeout` instead of the default.
    pub fn ask_timeout(&self, timeout: Duration) -> Timed<'_, A> {
        Timed {
            actor: self,
            timeout,
        }
    }

    /// Asks from synchronous code, blocking this thread for the answer.
    /// On a keel worker it fails with `WouldDeadlock` (it would block the
    /// worker); a blocking actor's handler may use it (it has its own
    /// thread).
    pub fn ask_blocking<T: Send + 'static>(
        &self,
        make: impl FnOnce(ReplyTo<T>) -> A::Msg,
    ) -> Result<T, AskError> {
        let on_worker = current_actor().is_some() && !is_blocking_thread();
        if on_worker || self.addr.kernel.scheduler.is_current() {
            return Err(AskError::WouldDeadlock);
        }
        crate::core::blocking::block_on(self.ask(make))
    }

    /// Stops the actor after the messages already sent: a user-lane message
    /// that ends it with `Shutdown` (`stopped` runs). On a full bounded
    /// mailbox it cannot queue, and takes the control lane instead
    /// (overtaking the queue, whose messages become dead letters).
    pub fn stop(&self) {
        self.addr.stop();
    }

    /// Kills the actor at once: untrappable, `stopped` does not run, the
    /// incarnation is dead when this returns (an unsupervised actor's
    /// address is closed), and a handler in progress is dropped at its next
    /// poll.
    pub fn kill(&self) {
        self.addr.kill();
    }

    /// The address's id (stable across restarts).
    pub fn id(&self) -> ActorId {
        self.addr.id
    }

    /// Running, restarting, or stopped.
    pub fn status(&self) -> Status {
        self.addr.status()
    }

    /// True until the address stops (it still accepts messages).
    pub fn is_alive(&self) -> bool {
        self.addr.status() != Status::Stopped
    }

    /// Stops the actor after the messages already sent, as [`stop`]
    /// (Self::stop) does, but waits for room in a full bounded mailbox
    /// instead of overtaking the queue: nothing queued becomes a dead
    /// letter. Resolves once the stop is queued (or the address is closed).
    pub(crate) async fn stop_after_queue(&self) {
        let _ = self.addr.mailbox.send(Envelope::Stop).await;
    }

    /// A handle that does not keep the address alive.
    pub fn downgrade(&self) -> WeakActorRef<A> {
        WeakActorRef {
            addr: Arc::downgrade(&self.addr),
            id: self.addr.id,
        }
    }

    /// The untyped handle.
    pub fn any(&self) -> AnyRef {
        AnyRef {
            addr: self.addr.clone(),
        }
    }

    /// A handle for one message type that converts into `A::Msg`.
    pub fn recipient<M: Send + 'static>(&self) -> Recipient<M>
    where
        A::Msg: From<M>,
    {
        Recipient {
            sink: self.addr.clone(),
        }
    }

    /// Links this actor's current incarnation with `other`'s (see
    /// [`AnyRef::link_with`]).
    pub fn link_with(&self, other: impl Into<AnyRef>) -> Result<(), LinkError> {
        self.any().link_with(other)
    }

    /// Makes `watcher` monitor this actor (see [`AnyRef::monitor_with`]).
    pub fn monitor_with(&self, watcher: impl Into<AnyRef>) -> MonitorRef {
        self.any().monitor_with(watcher)
    }

    /// Resolves when the address stops (no incarnation will follow), with
    /// the last exit reason. By then its links and monitors have been told
    /// (their exit signals and `Down`s are queued), and, when the actor
    /// ended by itself (not by `kill`, which never waits for the actor's
    /// clean-up), the messages left in its mailbox are dead letters or
    /// failed asks.
    pub fn wait_exit(&self) -> impl Future<Output = ExitReason> + Send + 'static {
        self.any().wait_exit()
    }

    pub(crate) fn ask_within<T: Send + 'static>(
        &self,
        timeout: Duration,
        make: impl FnOnce(ReplyTo<T>) -> A::Msg,
    ) -> AskFuture<T> {
        let addr = &self.addr;
        if current_actor() == Some(addr.id) {
            return AskFuture::failed(AskError::WouldDeadlock);
        }
        let (tx, rx) = reply_slot();
        let to: Weak<dyn AnyAddress> = Arc::downgrade(addr) as Weak<dyn AnyAddress>;
        let msg = make(ReplyTo::new(tx, to));
        match addr.mailbox.try_send_with(msg, Envelope::Msg) {
            Ok(()) => AskFuture::waiting(rx, addr.clone(), timeout, None),
            Err(SendError::Closed(msg)) => {
                // The ReplyTo inside is dropped here: nobody will see it.
                drop(msg);
                AskFuture::failed(AskError::NotRunning)
            }
            Err(SendError::Full(msg)) => {
                let target = addr.clone();
                let send =
                    Box::pin(async move { target.mailbox.send(Envelope::Msg(msg)).await.is_ok() });
                AskFuture::waiting(rx, addr.clone(), timeout, Some(send))
            }
        }
    }
}

impl<A: Actor> Address<A> {
    /// `tell` for a value that `wrap` turns into a message once a slot is
    /// claimed (so a failure hands the value back); `wrap` returning `None`
    /// leaves a placeholder in the slot.
    #[inline]
    pub(crate) fn tell_with<V>(
        &self,
        value: V,
        wrap: impl FnOnce(V) -> Option<A::Msg>,
    ) -> Result<(), TellError<V>> {
        match self
            .mailbox
            .try_send_with(value, |v| wrap(v).map_or(Envelope::Void, Envelope::Msg))
        {
            Ok(()) => Ok(()),
            Err(SendError::Closed(v)) => Err(TellError::Closed(v)),
            Err(SendError::Full(v)) => match self.overflow {
                Overflow::FailFast => Err(TellError::Full(v)),
                Overflow::DropNewest => {
                    drop(v);
                    self.kernel.dead_letter(
                        self.id,
                        std::any::type_name::<A::Msg>(),
                        DeadLetterReason::Overflow,
                    );
                    Ok(())
                }
            },
        }
    }
}

impl<A: Actor> Timed<'_, A> {
    /// Asks, timing out after this view's timeout.
    pub fn ask<T: Send + 'static>(&self, make: impl FnOnce(ReplyTo<T>) -> A::Msg) -> AskFuture<T> {
        self.actor.ask_within(self.timeout, make)
    }

    /// As [`ActorRef::tell`].
    pub fn tell(&self, msg: A::Msg) -> Result<(), TellError<A::Msg>> {
        self.actor.tell(msg)
    }

    /// The ref this view asks through.
    pub fn actor(&self) -> &ActorRef<A> {
        self.actor
    }

    /// This view's timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

impl<A: Actor> WeakActorRef<A> {
    /// The ref, if the address is still alive.
    pub fn upgrade(&self) -> Option<ActorRef<A>> {
        self.addr.upgrade().map(|addr| ActorRef { addr })
    }

    /// The address's id.
    pub fn id(&self) -> ActorId {
        self.id
    }
}

impl AnyRef {
    pub(crate) fn from_address(addr: Arc<dyn AnyAddress>) -> AnyRef {
        AnyRef { addr }
    }

    /// The address's id.
    pub fn id(&self) -> ActorId {
        self.addr.id()
    }

    /// The actor's type name.
    pub fn type_name(&self) -> &'static str {
        self.addr.type_name()
    }

    /// As [`ActorRef::stop`].
    pub fn stop(&self) {
        self.addr.stop();
    }

    /// As [`ActorRef::kill`].
    pub fn kill(&self) {
        self.addr.kill();
    }

    /// Running, restarting, or stopped.
    pub fn status(&self) -> Status {
        self.addr.status()
    }

    /// True until the address stops.
    pub fn is_alive(&self) -> bool {
        self.addr.status() != Status::Stopped
    }

    /// Messages queued on the address's user lane.
    pub fn mailbox_len(&self) -> usize {
        self.addr.mailbox_len()
    }

    /// The most messages the mailbox has held at once, if its
    /// [`MailboxConfig`](crate::MailboxConfig) tracks it
    /// (`track_high_water(true)`); `None` if it does not.
    pub fn mailbox_high_water(&self) -> Option<usize> {
        self.addr.mailbox_high_water()
    }

    /// The typed ref, if the actor is an `A`.
    pub fn downcast<A: Actor>(&self) -> Option<ActorRef<A>> {
        self.addr
            .clone()
            .into_any()
            .downcast::<Address<A>>()
            .ok()
            .map(|addr| ActorRef { addr })
    }

    /// Links the current incarnations of this actor and `other`: when one
    /// ends, the other gets an exit signal with its reason (OTP's rules).
    /// `Err(NoProc)` if either is not running. Linking twice is one link.
    pub fn link_with(&self, other: impl Into<AnyRef>) -> Result<(), LinkError> {
        let other = other.into();
        match (self.addr.current(), other.addr.current()) {
            (Some(a), Some(b)) => link(&a, &b),
            _ => Err(LinkError::NoProc),
        }
    }

    /// Makes `watcher` (its current incarnation) monitor this actor: it gets
    /// exactly one `Down` (`on_down`) when this actor's current incarnation
    /// ends, at once with `NoProc` if it is not running.
    pub fn monitor_with(&self, watcher: impl Into<AnyRef>) -> MonitorRef {
        let watcher = watcher.into();
        let id = self.addr.kernel().next_id();
        match watcher.addr.current() {
            Some(w) => monitor(&w, self, id),
            None => MonitorRef::new(id, self.clone()),
        }
    }

    /// Resolves when the address stops, with the last exit reason (see
    /// [`ActorRef::wait_exit`]).
    pub fn wait_exit(&self) -> impl Future<Output = ExitReason> + Send + 'static {
        let addr = self.addr.clone();
        poll_fn(move |cx| addr.poll_closed(cx))
    }
}

impl<M: Send + 'static> Recipient<M> {
    /// As [`ActorRef::tell`], for one message type.
    pub fn tell(&self, msg: M) -> Result<(), TellError<M>> {
        self.sink.tell(msg)
    }

    /// The address's id.
    pub fn id(&self) -> ActorId {
        self.sink.any().id()
    }

    /// The untyped handle.
    pub fn any(&self) -> AnyRef {
        self.sink.any()
    }

    /// True until the address stops.
    pub fn is_alive(&self) -> bool {
        self.sink.any().is_alive()
    }
}

trait Sink<M>: Send + Sync {
    fn tell(&self, msg: M) -> Result<(), TellError<M>>;
    fn any(&self) -> AnyRef;
}

impl<A: Actor, M: Send + 'static> Sink<M> for Address<A>
where
    A::Msg: From<M>,
{
    fn tell(&self, msg: M) -> Result<(), TellError<M>> {
        // The user's `From` runs after the slot is claimed: if it panics, a
        // placeholder fills the slot (an empty claimed slot would stall the
        // mailbox), and the panic goes on to the caller.
        let mut panicked = None;
        let sent = self.tell_with(msg, |m| {
            match catch_unwind(AssertUnwindSafe(|| A::Msg::from(m))) {
                Ok(converted) => Some(converted),
                Err(payload) => {
                    panicked = Some(payload);
                    None
                }
            }
        });
        if let Some(payload) = panicked {
            resume_unwind(payload);
        }
        sent
    }

    fn any(&self) -> AnyRef {
        // An address reached through a live Recipient is alive.
        Address::any(self).expect("a recipient keeps its address alive")
    }
}

impl MonitorRef {
    pub(crate) fn new(id: u64, target: AnyRef) -> MonitorRef {
        MonitorRef {
            id,
            target,
            inc: None,
        }
    }

    /// The monitored actor.
    pub fn target(&self) -> &AnyRef {
        &self.target
    }

    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Removes the monitor from the target's incarnation; true if it was
    /// still there (no `Down` sent yet).
    pub(crate) fn remove(&self) -> bool {
        self.inc
            .as_ref()
            .and_then(Weak::upgrade)
            .is_some_and(|inc| inc.cell.remove(self.id).is_some())
    }
}

// ---- links and monitors ----

/// Links two incarnations (idempotent). `Err(NoProc)` if either is exiting.
pub(crate) fn link(a: &Arc<Incarnation>, b: &Arc<Incarnation>) -> Result<(), LinkError> {
    if a.pid == b.pid {
        return Ok(());
    }
    // `add_unique`: linking twice is one link, and an existing link is never
    // absent for a moment (an exit then would miss it).
    if a.cell
        .add_unique(b.pid.0, Watcher::Link(b.clone()))
        .is_err()
    {
        return Err(LinkError::NoProc);
    }
    if b.cell
        .add_unique(a.pid.0, Watcher::Link(a.clone()))
        .is_err()
    {
        // `b` is exiting: it will not signal us, so neither may the half
        // of the link we just made. (`a` exiting meanwhile took it along.)
        a.cell.remove(b.pid.0);
        return Err(LinkError::NoProc);
    }
    Ok(())
}

/// Removes a link both ways.
pub(crate) fn unlink(a: &Incarnation, b: &Incarnation) {
    a.cell.remove(b.pid.0);
    b.cell.remove(a.pid.0);
}

/// `watcher` monitors `target`'s current incarnation; a `Down(NoProc)`
/// goes to the watcher at once if there is none or it is exiting.
pub(crate) fn monitor(watcher: &Arc<Incarnation>, target: &AnyRef, id: u64) -> MonitorRef {
    let mut mref = MonitorRef::new(id, target.clone());
    let added = target.addr.current().is_some_and(|inc| {
        let ok = inc
            .cell
            .add(
                id,
                Watcher::Monitor {
                    id,
                    watcher: watcher.clone(),
                },
            )
            .is_ok();
        if ok {
            mref.inc = Some(Arc::downgrade(&inc));
            watcher.watching.lock().insert(id, Arc::downgrade(&inc));
            // A watcher that began to exit meanwhile may have taken its
            // `watching` list already: take the monitor back off the target
            // (its own exit sets EXITING before it takes the list).
            if watcher.cell.is_exiting() {
                watcher.watching.lock().remove(&id);
                inc.cell.remove(id);
            }
        }
        ok
    });
    if !added {
        watcher.signal(Signal::Down {
            to: watcher.pid,
            monitor: mref.clone(),
            reason: ExitReason::NoProc,
        });
    }
    mref
}

// ---- trait impls: Clone, Eq, Hash, Debug, From ----

impl<A: Actor> Clone for ActorRef<A> {
    fn clone(&self) -> Self {
        ActorRef {
            addr: self.addr.clone(),
        }
    }
}

impl<A: Actor> Clone for WeakActorRef<A> {
    fn clone(&self) -> Self {
        WeakActorRef {
            addr: self.addr.clone(),
            id: self.id,
        }
    }
}

impl<M> Clone for Recipient<M> {
    fn clone(&self) -> Self {
        Recipient {
            sink: self.sink.clone(),
        }
    }
}

macro_rules! by_id {
    ($ty:ty, [$($gen:tt)*], $id:expr) => {
        impl<$($gen)*> PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                let f: fn(&Self) -> ActorId = $id;
                f(self) == f(other)
            }
        }
        impl<$($gen)*> Eq for $ty {}
        impl<$($gen)*> Hash for $ty {
            fn hash<H: Hasher>(&self, state: &mut H) {
                let f: fn(&Self) -> ActorId = $id;
                f(self).hash(state)
            }
        }
    };
}

by_id!(ActorRef<A>, [A: Actor], |r| r.addr.id);
by_id!(WeakActorRef<A>, [A: Actor], |r| r.id);
by_id!(AnyRef, [], |r| r.addr.id());
by_id!(Recipient<M>, [M: Send + 'static], |r| r.sink.any().id());

impl PartialEq for MonitorRef {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for MonitorRef {}

impl Hash for MonitorRef {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

impl<A: Actor> fmt::Debug for ActorRef<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ActorRef<{}>({})", self.addr.type_name, self.addr.id)
    }
}

impl<A: Actor> fmt::Debug for WeakActorRef<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WeakActorRef({})", self.id)
    }
}

impl fmt::Debug for AnyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AnyRef<{}>({})", self.addr.type_name(), self.addr.id())
    }
}

impl<M> fmt::Debug for Recipient<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recipient({})", self.sink.any().id())
    }
}

impl<A: Actor> fmt::Debug for Timed<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timed")
            .field("actor", self.actor)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl fmt::Debug for MonitorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MonitorRef({}, {:?})", self.id, self.target)
    }
}

impl<A: Actor> From<ActorRef<A>> for AnyRef {
    fn from(r: ActorRef<A>) -> AnyRef {
        AnyRef { addr: r.addr }
    }
}

impl<A: Actor> From<&ActorRef<A>> for AnyRef {
    fn from(r: &ActorRef<A>) -> AnyRef {
        r.any()
    }
}

impl From<&AnyRef> for AnyRef {
    fn from(r: &AnyRef) -> AnyRef {
        r.clone()
    }
}
