//! Addresses and incarnations (DESIGN.md §4).
//!
//! An [`Address`] owns the mailbox and outlives incarnations: every
//! `ActorRef` points at it, and its [`ActorId`] is stable. An
//! [`Incarnation`] is one run of the actor on that address, named by a
//! [`Pid`]; links, monitors and timers belong to it, and its exit cell (in
//! core) decides who tells the watchers, exactly once.
//!
//! # Lanes (DESIGN.md §3)
//!
//! The control lane carries `kill` and exit signals that will terminate a
//! receiver that does not trap exits. Everything else (messages, `stop`,
//! trapped exit signals, `Down` notices) takes the user lane, in arrival
//! order. A signal that finds a bounded user lane full takes the control
//! lane instead: a signal is never dropped for room.
//!
//! # Ending an incarnation
//!
//! [`Incarnation::finish`] is called by whoever ends it first: the run loop
//! (after `stopped` and after dropping the state) or `kill()` on the killer's
//! thread (at once, so that nothing waits on a handler that does not yield).
//! The first call records the reason, updates the address (closed, or
//! `Restarting` if a supervisor will attach a new incarnation), and tells
//! every link and monitor; later calls do nothing.
use std::any::Any;
use std::fmt;
use std::sync::{Arc, Weak};
use std::task::{Context as TaskContext, Poll, Waker};

use crate::actor::ask::Deferred;
use crate::actor::error::StartError;
use crate::actor::exit::ExitReason;
use crate::actor::kernel::Kernel;
use crate::actor::refs::{AnyRef, MonitorRef};
use crate::actor::{Actor, Overflow};
use crate::core::exit_cell::ExitCell;
use crate::core::ids::IdMap;
use crate::core::mailbox::{Mailbox, Receiver};
use crate::core::reply::ReplySender;
use crate::core::waker::AtomicWaker;
use crate::sync::{AtomicBool, AtomicUsize, Mutex, Ordering};

/// Names an address: stable across restarts. Unique within a System.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActorId(pub(crate) u64);

/// Names one incarnation of an actor: a restart gets a new one. Unique
/// within a System.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pid(pub(crate) u64);

/// Where an address stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// An incarnation is running (or starting).
    Running,
    /// Between incarnations: messages queue for the next one.
    Restarting,
    /// No incarnation will follow: the address is closed.
    Stopped,
}

impl ActorId {
    /// The raw number.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl Pid {
    /// The raw number.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<0.{}.0>", self.0)
    }
}

// ---- what travels in a mailbox ----

/// A user-lane item.
pub(crate) enum Envelope<A: Actor> {
    Msg(A::Msg),
    /// `ActorRef::stop()`: exit `Shutdown` behind the queued messages.
    Stop,
    Signal(Box<Signal>),
    /// Written in place of a message whose conversion panicked after its
    /// slot was claimed (a `Recipient`'s `From`): skipped.
    Void,
}

/// A control-lane item.
pub(crate) enum Control {
    /// Kill this incarnation (ignored by another).
    Kill(Pid),
    /// A signal that must not wait behind user messages, or that found the
    /// user lane full.
    Signal(Box<Signal>),
    /// `ActorRef::stop()` that found a bounded user lane full.
    Stop,
}

/// An exit signal or a `Down` notice, addressed to one incarnation.
pub(crate) enum Signal {
    Exit(ExitSignal),
    Down {
        to: Pid,
        monitor: MonitorRef,
        reason: ExitReason,
    },
}

pub(crate) struct ExitSignal {
    pub(crate) to: Pid,
    pub(crate) from: Option<AnyRef>,
    /// The incarnation it comes from (`None` from the System itself): the
    /// receiver can tell one incarnation's signal from another's of the
    /// same address.
    pub(crate) from_pid: Option<Pid>,
    pub(crate) reason: ExitReason,
    /// From the receiver's parent (its supervisor, or the System's
    /// shutdown): ends it even when it traps exits, running `stopped`.
    pub(crate) from_parent: bool,
}

impl Signal {
    /// A parent's shutdown request to `to` (a supervisor's, or the
    /// System's when `from` is `None`): it ends the receiver even if it
    /// traps exits, running `stopped` if it does.
    pub(crate) fn parent_shutdown(to: Pid, from: Option<(AnyRef, Pid)>) -> Signal {
        let (from, from_pid) = from.map_or((None, None), |(r, p)| (Some(r), Some(p)));
        Signal::Exit(ExitSignal {
            to,
            from,
            from_pid,
            reason: ExitReason::Shutdown,
            from_parent: true,
        })
    }

    pub(crate) fn to(&self) -> Pid {
        match self {
            Signal::Exit(e) => e.to,
            Signal::Down { to, .. } => *to,
        }
    }
}

// ---- incarnations ----

/// Who hears about an incarnation's exit.
pub(crate) enum Watcher {
    /// A linked incarnation: gets an exit signal.
    Link(Arc<Incarnation>),
    /// A monitor held by `watcher`: gets one `Down`.
    Monitor { id: u64, watcher: Arc<Incarnation> },
    /// Called once with the exit reason, after the address shows the exit
    /// (a supervisor waiting for a child it terminates).
    Notify(ExitNotify),
}

/// One run of an actor on its address.
pub(crate) struct Incarnation {
    pub(crate) pid: Pid,
    /// The address's id.
    pub(crate) id: ActorId,
    /// Requests the running hook dropped unanswered (see `ask`).
    pub(crate) deferred: Deferred,
    pub(crate) address: Weak<dyn AnyAddress>,
    pub(crate) cell: ExitCell<Watcher>,
    pub(crate) trap_exits: AtomicBool,
    pub(crate) killed: AtomicBool,
    /// The exit: its reason, set once by the first to claim it, and
    /// whether it was announced (once, by whoever gets there first).
    exit: Mutex<ExitSlot>,
    /// The parent's pid (a supervisor's), whose exit signals end this one
    /// even when it traps exits.
    pub(crate) parent: Option<Pid>,
    /// The monitors this incarnation holds on others: removed from their
    /// targets when it ends (OTP drops a dead process's monitors).
    pub(crate) watching: Mutex<IdMap<Weak<Incarnation>>>,
    /// Told the outcome of `started` (`spawn_ready`, a supervisor's start),
    /// once: by the run loop, or by a `kill`, which never waits for a hook
    /// that does not yield.
    pub(crate) ready: Mutex<Option<ReadySender>>,
}

/// The start handshake's answer.
pub(crate) type ReadySender = ReplySender<Result<(), StartError>>;

/// An incarnation's exit, under one lock.
#[derive(Default)]
struct ExitSlot {
    reason: Option<ExitReason>,
    announced: bool,
    /// Run when the exit is announced, before anyone is told (the
    /// registry releases the incarnation's names here).
    before_announce: Hooks<BeforeAnnounce>,
    /// The announcement is complete (address updated, watchers told).
    done: bool,
    /// Notified when it completes: they came while it was under way.
    after_done: Hooks<ExitNotify>,
}

/// Callbacks that most incarnations and addresses never get: one pointer
/// until the first is added (every actor pays for the field).
#[allow(
    clippy::box_collection,
    reason = "one pointer in every incarnation and address, not a Vec's three words"
)]
pub(crate) struct Hooks<T>(Option<Box<Vec<T>>>);

impl<T> Default for Hooks<T> {
    fn default() -> Self {
        Hooks(None)
    }
}

impl<T> Hooks<T> {
    fn push(&mut self, hook: T) {
        self.0.get_or_insert_with(Box::default).push(hook);
    }

    /// All of them, leaving none.
    fn take(&mut self) -> Vec<T> {
        self.0.take().map(|b| *b).unwrap_or_default()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |v| v.len())
    }
}

/// A hook run before an exit is announced, with the incarnation's pid. It
/// must not panic: the announcement is under way.
type BeforeAnnounce = Box<dyn FnOnce(Pid) + Send>;
/// Told an incarnation's exit reason once its exit is announced.
pub(crate) type ExitNotify = Box<dyn FnOnce(&ExitReason) + Send>;

impl Incarnation {
    pub(crate) fn new(
        pid: Pid,
        id: ActorId,
        address: Weak<dyn AnyAddress>,
        parent: Option<Pid>,
    ) -> Self {
        Incarnation {
            pid,
            id,
            deferred: Deferred::default(),
            address,
            cell: ExitCell::new(),
            trap_exits: AtomicBool::new(false),
            killed: AtomicBool::new(false),
            exit: Mutex::new(ExitSlot::default()),
            parent,
            watching: Mutex::new(IdMap::default()),
            ready: Mutex::new(None),
        }
    }

    /// The reason it ended with, once it has.
    pub(crate) fn exit_reason(&self) -> Option<ExitReason> {
        self.exit.lock().reason.clone()
    }

    /// A ref to the address (none once every ref and the run loop are gone).
    pub(crate) fn any_ref(&self) -> Option<AnyRef> {
        self.address.upgrade().map(AnyRef::from_address)
    }

    /// Ends the incarnation with `reason` if nobody did yet: updates the
    /// address and tells every watcher. Returns the reason it ended with
    /// (this one, or the earlier claimer's). If the exit was claimed but
    /// not yet announced (its run loop is cleaning up), announces it now:
    /// a `kill` never waits for the run loop.
    pub(crate) fn finish(self: &Arc<Self>, reason: ExitReason) -> ExitReason {
        self.claim_exit(&reason);
        self.announce_exit()
    }

    /// Fixes the exit reason if nobody did yet, and returns the reason the
    /// incarnation ends with. From then on a `kill` no longer changes it.
    pub(crate) fn claim_exit(&self, reason: &ExitReason) -> ExitReason {
        self.exit
            .lock()
            .reason
            .get_or_insert_with(|| reason.clone())
            .clone()
    }

    /// Runs `hook` when this incarnation's exit is announced, before the
    /// address shows it and before any watcher is told. `Err(hook)` if the
    /// exit was already announced. The hook must not panic.
    pub(crate) fn before_exit_announced<F: FnOnce(Pid) + Send + 'static>(
        &self,
        hook: F,
    ) -> Result<(), F> {
        let mut exit = self.exit.lock();
        if exit.announced {
            return Err(hook);
        }
        exit.before_announce.push(Box::new(hook));
        Ok(())
    }

    /// Hooks waiting for the exit's announcement (tests count them).
    #[cfg(test)]
    pub(crate) fn hooks_before_announce(&self) -> usize {
        self.exit.lock().before_announce.len()
    }

    /// Calls `notify` once with the exit reason after the exit is
    /// announced (the address shows it, links and monitors are told); at
    /// once, on this thread, if it already was. `key` is a fresh id
    /// (`Kernel::next_id`).
    pub(crate) fn on_exit_announced(
        &self,
        key: u64,
        notify: impl FnOnce(&ExitReason) + Send + 'static,
    ) {
        if let Err(Watcher::Notify(notify)) = self.cell.add(key, Watcher::Notify(Box::new(notify)))
        {
            // Exiting: the announcement may still be under way on another
            // thread; then it calls `notify` when it completes.
            let mut exit = self.exit.lock();
            if exit.done {
                let reason = exit.reason.clone().unwrap_or(ExitReason::NoProc);
                drop(exit);
                notify(&reason);
            } else {
                exit.after_done.push(notify);
            }
        }
    }

    /// Announces the claimed exit, once (later calls only return the
    /// reason): updates the address and tells every watcher.
    pub(crate) fn announce_exit(self: &Arc<Self>) -> ExitReason {
        let (reason, hooks) = {
            let mut exit = self.exit.lock();
            let reason = exit
                .reason
                .clone()
                .expect("the exit is claimed before it is announced");
            if std::mem::replace(&mut exit.announced, true) {
                return reason;
            }
            (reason, exit.before_announce.take())
        };
        for hook in hooks {
            hook(self.pid);
        }
        // No lock is held from here on: closing the mailbox wakes the run
        // loop, and a scheduler that is shutting down may drop that task on
        // this very thread, whose clean-up calls `finish` again.
        let watchers = self.cell.begin_exit().unwrap_or_default();
        let watching = std::mem::take(&mut *self.watching.lock());
        for (id, target) in watching {
            if let Some(target) = target.upgrade() {
                target.cell.remove(id);
            }
        }
        let address = self.address.upgrade();
        // `wait_exit` resolves once links and monitors are told (see
        // `exit_told` below): whoever waited for the exit finds their
        // notices queued.
        if let Some(a) = &address {
            a.incarnation_ended(self, &reason);
        }
        let from = address.clone().map(AnyRef::from_address);
        for (_, watcher) in watchers {
            match watcher {
                Watcher::Link(peer) => {
                    peer.cell.remove(self.pid.0);
                    if let Some(from) = &from {
                        peer.signal(Signal::Exit(ExitSignal {
                            to: peer.pid,
                            from: Some(from.clone()),
                            from_pid: Some(self.pid),
                            reason: reason.clone(),
                            from_parent: peer.parent == Some(self.pid),
                        }));
                    }
                }
                Watcher::Monitor { id, watcher } => {
                    if let Some(from) = &from {
                        watcher.signal(Signal::Down {
                            to: watcher.pid,
                            monitor: MonitorRef::new(id, from.clone()),
                            reason: reason.clone(),
                        });
                    }
                }
                Watcher::Notify(notify) => notify(&reason),
            }
        }
        let late = {
            let mut exit = self.exit.lock();
            exit.done = true;
            exit.after_done.take()
        };
        for notify in late {
            notify(&reason);
        }
        if let Some(a) = &address {
            a.exit_told();
        }
        reason
    }

    /// Delivers a signal to this incarnation, by the lane rule.
    pub(crate) fn signal(&self, signal: Signal) {
        if self.cell.is_exiting() {
            return;
        }
        if let Some(address) = self.address.upgrade() {
            address.deliver(self, signal);
        }
    }

    /// `kill`: ends it at once with `Killed` (on this thread), then tells
    /// the run loop to drop whatever it is running at its next poll.
    pub(crate) fn kill(self: &Arc<Self>) {
        if self.killed.swap(true, Ordering::AcqRel) {
            return;
        }
        self.finish(ExitReason::Killed);
        // A start in progress fails now, not when its hook yields.
        if let Some(tx) = self.ready.lock().take() {
            let _ = tx.send(Err(StartError::Failed(ExitReason::Killed)));
        }
        if let Some(address) = self.address.upgrade() {
            address.kernel().note_killed(self.pid);
            address.wake_for_kill(self.pid);
        }
    }
}

impl fmt::Debug for Incarnation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Incarnation")
            .field("pid", &self.pid)
            .field("exiting", &self.cell.is_exiting())
            .finish()
    }
}

// ---- addresses ----

/// What every address does, whatever its actor type: the object behind
/// `AnyRef` and `Incarnation::address`.
pub(crate) trait AnyAddress: Send + Sync + 'static {
    fn id(&self) -> ActorId;
    fn type_name(&self) -> &'static str;
    fn status(&self) -> Status;
    fn kernel(&self) -> &Arc<Kernel>;
    fn current(&self) -> Option<Arc<Incarnation>>;
    /// `ActorRef::stop()`.
    fn stop(&self);
    /// `ActorRef::kill()`.
    fn kill(&self);
    fn deliver(&self, inc: &Incarnation, signal: Signal);
    fn wake_for_kill(&self, pid: Pid);
    /// The address shows the exit (restarting, or closed if no incarnation
    /// follows); `wait_exit` stays pending until `exit_told`.
    fn incarnation_ended(&self, inc: &Incarnation, reason: &ExitReason);
    /// The ended incarnation's links and monitors are told: a `wait_exit`
    /// on a closed address may resolve.
    fn exit_told(&self);
    /// `Ready(reason)` once the address is closed (no incarnation follows).
    fn poll_closed(&self, cx: &mut TaskContext<'_>) -> Poll<ExitReason>;
    fn mailbox_len(&self) -> usize;
    fn mailbox_high_water(&self) -> Option<usize>;
    /// No incarnation will follow: closes the address with `reason`
    /// (queued tells become dead letters, queued asks fail).
    fn close(self: Arc<Self>, reason: &ExitReason);
    /// True if no run loop holds the receiver (a new incarnation can take
    /// it at once); else `notify` is called when that changes.
    fn when_receiver_free(&self, notify: Box<dyn FnOnce() + Send>) -> bool;
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    fn set_suspended(&self, on: bool);
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

/// The stable address of an actor of type `A`.
pub(crate) struct Address<A: Actor> {
    pub(crate) id: ActorId,
    pub(crate) mailbox: Mailbox<Envelope<A>, Control>,
    pub(crate) overflow: Overflow,
    pub(crate) kernel: Arc<Kernel>,
    pub(crate) type_name: &'static str,
    status: AtomicUsize,
    inner: Mutex<AddressInner<A>>,
    /// `keel::testing::suspend`: the run loop takes no user message while
    /// set (it still sees the control lane).
    pub(crate) suspended: AtomicBool,
    pub(crate) resume_waker: AtomicWaker,
    this: Weak<Address<A>>,
}

struct AddressInner<A: Actor> {
    current: Option<Arc<Incarnation>>,
    /// The receiver, between incarnations of a supervised address.
    parked: Option<Receiver<Envelope<A>, Control>>,
    /// A new incarnation waiting for the old run loop to hand the receiver
    /// back (a supervisor restarts only once `when_receiver_free` says it
    /// is free, so this wait is short).
    parked_waiter: Option<Waker>,
    /// A supervisor attaches new incarnations: an ended one leaves the
    /// address `Restarting`, not closed.
    supervised: bool,
    last_reason: Option<ExitReason>,
    close_waiters: Vec<Waker>,
    /// A run loop holds the receiver (from its start until it parks it or
    /// drains it).
    rx_held: bool,
    /// Closed by its supervisor while the queue was still to be drained
    /// (by whoever holds the receiver): `wait_exit` waits for that drain,
    /// so that it finds the dead letters counted.
    drain_pending: bool,
    /// An ended incarnation is still telling its links and monitors:
    /// `wait_exit` waits for that too, so that their notices are queued
    /// when it resolves.
    telling: bool,
    /// Told when no run loop holds the receiver any more (a supervisor
    /// restarting the address does not wait for a killed incarnation's
    /// handler to yield).
    free_waiters: Hooks<Box<dyn FnOnce() + Send>>,
}

const RUNNING: usize = 0;
const RESTARTING: usize = 1;
const STOPPED: usize = 2;

impl<A: Actor> Address<A> {
    pub(crate) fn new(
        id: ActorId,
        kernel: Arc<Kernel>,
        mailbox: Mailbox<Envelope<A>, Control>,
        overflow: Overflow,
        type_name: &'static str,
        supervised: bool,
    ) -> Arc<Self> {
        Arc::new_cyclic(|this| Address {
            id,
            mailbox,
            overflow,
            kernel,
            type_name,
            status: AtomicUsize::new(RUNNING),
            inner: Mutex::new(AddressInner {
                current: None,
                parked: None,
                parked_waiter: None,
                supervised,
                last_reason: None,
                close_waiters: Vec::new(),
                rx_held: true,
                drain_pending: false,
                telling: false,
                free_waiters: Hooks::default(),
            }),
            suspended: AtomicBool::new(false),
            resume_waker: AtomicWaker::new(),
            this: this.clone(),
        })
    }

    pub(crate) fn set_current(&self, inc: Arc<Incarnation>) {
        let mut inner = self.inner.lock();
        inner.current = Some(inc);
        self.status.store(RUNNING, Ordering::Release);
    }

    pub(crate) fn is_supervised(&self) -> bool {
        self.inner.lock().supervised
    }

    /// The run loop is done with the receiver: parked for the next
    /// incarnation if one may follow, else handed back to be drained, with
    /// the reason the address closed with.
    pub(crate) fn park_receiver(
        &self,
        rx: Receiver<Envelope<A>, Control>,
    ) -> Option<(Receiver<Envelope<A>, Control>, ExitReason)> {
        let (waiter, free) = {
            let mut inner = self.inner.lock();
            if self.status.load(Ordering::Acquire) == STOPPED || !inner.supervised {
                // The caller drains it, then calls `drained`.
                let reason = inner.last_reason.clone().unwrap_or(ExitReason::Normal);
                return Some((rx, reason));
            }
            inner.rx_held = false;
            inner.parked = Some(rx);
            (inner.parked_waiter.take(), inner.free_waiters.take())
        };
        // Woken with the lock released: a scheduler that is shutting down
        // may drop the woken task here, and its clean-up takes this lock.
        if let Some(w) = waiter {
            w.wake();
        }
        for notify in free {
            notify();
        }
        None
    }

    /// Takes the parked receiver for a new incarnation, or registers to be
    /// woken when the old run loop parks it.
    pub(crate) fn poll_take_receiver(
        &self,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Receiver<Envelope<A>, Control>>> {
        let mut inner = self.inner.lock();
        if let Some(rx) = inner.parked.take() {
            inner.rx_held = true;
            return Poll::Ready(Some(rx));
        }
        if self.status.load(Ordering::Acquire) == STOPPED {
            return Poll::Ready(None);
        }
        inner.parked_waiter = Some(cx.waker().clone());
        Poll::Pending
    }

    /// No incarnation will follow: closes the address with `reason`.
    /// Queued messages are drained by whoever holds the receiver. Returns
    /// the parked receiver, if any, for the caller to drain.
    ///
    /// `wait_exit` resolves once the queue is drained: the caller drains
    /// the receiver returned, or the run loop holding it drains it when it
    /// is done; either then calls [`drained`](Self::drained).
    pub(crate) fn close_final(
        &self,
        reason: &ExitReason,
    ) -> Option<Receiver<Envelope<A>, Control>> {
        let (waiters, parked) = self.close_announcing(reason, true, false, || {});
        for w in waiters {
            w.wake();
        }
        parked
    }

    /// The queue was drained (the address is closed, or closing): a
    /// `wait_exit` that waited for the drain resolves.
    pub(crate) fn drained(&self) {
        let (waiters, free) = {
            let mut inner = self.inner.lock();
            inner.rx_held = false;
            let waiters = if std::mem::take(&mut inner.drain_pending) && !inner.telling {
                std::mem::take(&mut inner.close_waiters)
            } else {
                Vec::new()
            };
            (waiters, inner.free_waiters.take())
        };
        for w in waiters {
            w.wake();
        }
        for notify in free {
            notify();
        }
    }

    /// `close_final`, running `announce` once the mailbox is closed (so
    /// `status()` reads `Stopped`) and before `wait_exit` resolves. No lock
    /// is held while it runs (it publishes, and traces). `await_drain`:
    /// `wait_exit` waits for the queue's drain (not for an incarnation
    /// that ends itself, whose run loop drained it already, nor for a
    /// `kill`, which never waits). `telling`: the incarnation that ended
    /// has yet to tell its links and monitors; `wait_exit` waits for
    /// [`exit_told`](AnyAddress::exit_told).
    fn close_announcing(
        &self,
        reason: &ExitReason,
        await_drain: bool,
        telling: bool,
        announce: impl FnOnce(),
    ) -> (Vec<Waker>, Option<Receiver<Envelope<A>, Control>>) {
        self.mailbox.close();
        announce();
        let (waiters, parked) = {
            let mut inner = self.inner.lock();
            self.status.store(STOPPED, Ordering::Release);
            inner.supervised = false;
            inner.last_reason = Some(reason.clone());
            inner.current = None;
            let parked = inner.parked.take();
            if await_drain && (parked.is_some() || inner.rx_held) {
                inner.drain_pending = true;
                if parked.is_some() {
                    inner.rx_held = true;
                }
            }
            inner.telling = telling;
            // Woken by the caller, with the lock released (see
            // `park_receiver`).
            let mut waiters = if inner.drain_pending || inner.telling {
                Vec::new()
            } else {
                std::mem::take(&mut inner.close_waiters)
            };
            waiters.extend(inner.parked_waiter.take());
            (waiters, parked)
        };
        (waiters, parked)
    }

    /// This address as an `AnyRef`.
    pub(crate) fn any(&self) -> Option<AnyRef> {
        self.this
            .upgrade()
            .map(|a| AnyRef::from_address(a as Arc<dyn AnyAddress>))
    }

    fn user_or_control(&self, signal: Box<Signal>) {
        match self.mailbox.try_send_with(signal, Envelope::Signal) {
            Ok(()) => {}
            Err(e) => {
                if !e.is_closed() {
                    // Full: a signal is never dropped for room.
                    let _ = self.mailbox.send_control(Control::Signal(e.into_inner()));
                }
            }
        }
    }
}

impl<A: Actor> AnyAddress for Address<A> {
    fn id(&self) -> ActorId {
        self.id
    }

    fn type_name(&self) -> &'static str {
        self.type_name
    }

    fn status(&self) -> Status {
        // A closed mailbox is final, and is closed first (by `kill()`, or
        // the exit itself) before the status word catches up.
        if self.mailbox.is_closed() {
            return Status::Stopped;
        }
        match self.status.load(Ordering::Acquire) {
            RUNNING => Status::Running,
            RESTARTING => Status::Restarting,
            _ => Status::Stopped,
        }
    }

    fn kernel(&self) -> &Arc<Kernel> {
        &self.kernel
    }

    fn current(&self) -> Option<Arc<Incarnation>> {
        self.inner.lock().current.clone()
    }

    fn stop(&self) {
        match self.mailbox.try_send_with((), |()| Envelope::Stop) {
            Ok(()) => {}
            Err(e) if e.is_closed() => {}
            Err(_) => {
                let _ = self.mailbox.send_control(Control::Stop);
            }
        }
    }

    fn kill(&self) {
        if let Some(inc) = self.current() {
            inc.kill();
        }
        // Whoever ends the incarnation closes an unsupervised address, but
        // may still be on its way (the run loop exiting on its own): a send
        // right after `kill()` must already find it closed.
        if !self.is_supervised() {
            self.mailbox.close();
        }
    }

    fn deliver(&self, inc: &Incarnation, signal: Signal) {
        let trapping = inc.trap_exits.load(Ordering::Acquire);
        match signal {
            Signal::Exit(exit) if !trapping => {
                // OTP: a `normal` exit signal is ignored by a process that
                // does not trap exits; any other kills it, ahead of its queue.
                if exit.reason != ExitReason::Normal {
                    let signal = Box::new(Signal::Exit(exit));
                    let _ = self.mailbox.send_control(Control::Signal(signal));
                }
            }
            signal => self.user_or_control(Box::new(signal)),
        }
    }

    fn wake_for_kill(&self, pid: Pid) {
        let _ = self.mailbox.send_control(Control::Kill(pid));
        // A suspended run loop waits on the resume waker, not the mailbox.
        self.resume_waker.wake();
    }

    fn incarnation_ended(&self, inc: &Incarnation, reason: &ExitReason) {
        // The exit is announced once the address shows it (an observer of
        // the event sees `Restarting` or `Stopped`) and before `wait_exit`
        // resolves.
        let announce = || {
            self.kernel
                .incarnation_ended(self.id, inc.pid, self.type_name, reason);
        };
        let supervised = {
            let mut inner = self.inner.lock();
            // A supervisor may have attached the next incarnation already:
            // then the address is that one's.
            let current = inner.current.as_ref().is_none_or(|c| c.pid == inc.pid);
            if current {
                inner.current = None;
            }
            inner.last_reason = Some(reason.clone());
            if inner.supervised && current {
                let _ = self.status.compare_exchange(
                    RUNNING,
                    RESTARTING,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                );
            }
            inner.supervised
        };
        if supervised {
            announce();
        } else {
            // The run loop of an unsupervised address never parks its
            // receiver: it drains it itself, on its own thread. Waiters are
            // woken by `exit_told`.
            self.close_announcing(reason, false, true, announce);
        }
    }

    fn exit_told(&self) {
        let waiters = {
            let mut inner = self.inner.lock();
            if !std::mem::take(&mut inner.telling) || inner.drain_pending {
                return;
            }
            std::mem::take(&mut inner.close_waiters)
        };
        for w in waiters {
            w.wake();
        }
    }

    fn poll_closed(&self, cx: &mut TaskContext<'_>) -> Poll<ExitReason> {
        let mut inner = self.inner.lock();
        if self.status.load(Ordering::Acquire) == STOPPED && !inner.drain_pending && !inner.telling
        {
            return Poll::Ready(inner.last_reason.clone().unwrap_or(ExitReason::Normal));
        }
        if !inner.close_waiters.iter().any(|w| w.will_wake(cx.waker())) {
            inner.close_waiters.push(cx.waker().clone());
        }
        Poll::Pending
    }

    fn mailbox_len(&self) -> usize {
        self.mailbox.len()
    }

    fn mailbox_high_water(&self) -> Option<usize> {
        self.mailbox.high_water()
    }

    fn close(self: Arc<Self>, reason: &ExitReason) {
        crate::actor::run::close_address(&self, reason);
    }

    fn when_receiver_free(&self, notify: Box<dyn FnOnce() + Send>) -> bool {
        let mut inner = self.inner.lock();
        if !inner.rx_held || self.status.load(Ordering::Acquire) == STOPPED {
            return true;
        }
        inner.free_waiters.push(notify);
        false
    }

    fn set_suspended(&self, on: bool) {
        self.suspended.store(on, Ordering::Release);
        if !on {
            self.resume_waker.wake();
        }
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}
