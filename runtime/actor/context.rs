//! [`Context`]: what a hook can do besides changing its actor's state.
use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::actor::address::{Incarnation, Pid};
use crate::actor::error::{LinkError, TellError};
use crate::actor::events::DeadLetterReason;
use crate::actor::exit::ExitReason;
use crate::actor::kernel::Kernel;
use crate::actor::refs::{link, monitor, unlink, ActorRef, AnyRef, MonitorRef};
use crate::actor::run::{spawn, SpawnOptions};
use crate::actor::Actor;
use crate::core::ids::IdSet;
use crate::time::{Clock, TimerKey};

/// The running incarnation's side of the actor: its identity, stopping,
/// spawning, links, monitors, exit trapping and timers.
pub struct Context<A: Actor> {
    myself: ActorRef<A>,
    pub(crate) inc: Arc<Incarnation>,
    pub(crate) kernel: Arc<Kernel>,
    pub(crate) stop: Option<ExitReason>,
    pub(crate) continues: VecDeque<A::Msg>,
    /// Monitors this incarnation removed whose `Down` may still be queued:
    /// it is dropped (flushed) when it comes.
    pub(crate) demonitored: IdSet,
    /// The incarnation whose exit signal `on_exit` is handling (a
    /// supervisor tells its children's incarnations apart by it).
    pub(crate) exit_from: Option<Pid>,
    timers: Vec<TimerKey>,
    /// `timers.len()` at which it is next pruned.
    prune_at: usize,
}

/// The smallest size at which the timer list is pruned.
const PRUNE_FLOOR: usize = 16;

/// Names a timer started by [`Context::send_after`] or
/// [`Context::send_interval`]; [`Context::cancel_timer`] takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimerRef(TimerKey);

impl<A: Actor> Context<A> {
    pub(crate) fn new(myself: ActorRef<A>, inc: Arc<Incarnation>, kernel: Arc<Kernel>) -> Self {
        Context {
            myself,
            inc,
            kernel,
            stop: None,
            continues: VecDeque::new(),
            demonitored: IdSet::default(),
            exit_from: None,
            timers: Vec::new(),
            prune_at: PRUNE_FLOOR,
        }
    }

    /// A ref to this actor's address.
    pub fn myself(&self) -> &ActorRef<A> {
        &self.myself
    }

    /// This incarnation's pid (a restart gets a new one).
    pub fn pid(&self) -> Pid {
        self.inc.pid
    }

    /// Stops the actor with `Normal` once the current hook returns (the
    /// messages still queued stay on the address).
    pub fn stop(&mut self) {
        self.stop_with(ExitReason::Normal);
    }

    /// Stops the actor with `reason` once the current hook returns.
    pub fn stop_with(&mut self, reason: ExitReason) {
        self.stop.get_or_insert(reason);
    }

    /// Spawns an actor, not tied to this one (OTP: only links and
    /// supervisors tie lifetimes).
    pub fn spawn<B: Actor>(&self, actor: B) -> ActorRef<B> {
        spawn(&self.kernel, actor, SpawnOptions::default())
    }

    /// Spawns an actor linked to this incarnation before it runs (atomic,
    /// as OTP's `spawn_link`).
    pub fn spawn_link<B: Actor>(&self, actor: B) -> ActorRef<B> {
        spawn(
            &self.kernel,
            actor,
            SpawnOptions {
                link: Some(self.inc.clone()),
                ..SpawnOptions::default()
            },
        )
    }

    /// Links this incarnation with `other`'s current one. `Err(NoProc)` if
    /// it is not running (OTP would send a `noproc` exit signal instead).
    pub fn link(&self, other: impl Into<AnyRef>) -> Result<(), LinkError> {
        let other = other.into();
        match other.addr.current() {
            Some(peer) => link(&self.inc, &peer),
            None => Err(LinkError::NoProc),
        }
    }

    /// Removes the link with `other`, if any.
    pub fn unlink(&self, other: impl Into<AnyRef>) {
        let other = other.into();
        if let Some(peer) = other.addr.current() {
            unlink(&self.inc, &peer);
        }
    }

    /// Monitors `target`: one `on_down` when its current incarnation ends,
    /// at once with `NoProc` if it is not running.
    pub fn monitor(&mut self, target: impl Into<AnyRef>) -> MonitorRef {
        let target = target.into();
        let id = self.kernel.next_id();
        monitor(&self.inc, &target, id)
    }

    /// Removes a monitor; its `Down`, even if already queued, will not be
    /// delivered (OTP's `demonitor(Ref, [flush])`). True if it was active.
    pub fn demonitor(&mut self, monitor: &MonitorRef) -> bool {
        self.inc.watching.lock().remove(&monitor.id());
        let active = monitor.remove();
        if !active {
            // Its Down is queued (or NoProc was): drop it when it comes.
            self.demonitored.insert(monitor.id());
        }
        active
    }

    /// Traps exit signals: they arrive as `on_exit` instead of ending the
    /// actor (except `kill`, and a signal from its own supervisor).
    pub fn trap_exits(&mut self, on: bool) {
        self.inc
            .trap_exits
            .store(on, crate::sync::Ordering::Release);
    }

    /// True while trapping exits.
    pub fn is_trapping_exits(&self) -> bool {
        self.inc.trap_exits.load(crate::sync::Ordering::Acquire)
    }

    /// Handles `msg` next, before any queued message (OTP's
    /// `handle_continue`).
    pub fn continue_with(&mut self, msg: A::Msg) {
        self.continues.push_back(msg);
    }

    /// Sends `msg` to this actor after `delay`, on the System's clock. The
    /// timer is cancelled when this incarnation ends.
    pub fn send_after(&mut self, delay: Duration, msg: A::Msg) -> TimerRef {
        let at = self.kernel.clock.after(delay);
        let mut msg = Some(msg);
        let target = self.myself.downgrade();
        let inc = Arc::downgrade(&self.inc);
        let key = self.kernel.clock.schedule(
            at,
            Box::new(move |_| {
                if let Some(msg) = msg.take() {
                    deliver_timer(&target, &inc, msg);
                }
                None
            }),
        );
        self.keep_timer(key);
        TimerRef(key)
    }

    /// Sends a clone of `msg` to this actor every `period` (the first after
    /// one period). Ticks the timer missed (it ran late) are skipped, not
    /// sent in a burst. Cancelled when this incarnation ends.
    ///
    /// On a `ManualClock`, `advance` fires every tick inside the span it
    /// covers, each at its own time (none is missed): advancing by many
    /// periods sends that many messages.
    pub fn send_interval(&mut self, period: Duration, msg: A::Msg) -> TimerRef
    where
        A::Msg: Clone,
    {
        self.send_interval_with(period, move || msg.clone())
    }

    /// As [`send_interval`](Context::send_interval), with each tick's
    /// message made by `make`: for message types that are not `Clone`, such
    /// as the enum `#[keel::messages]` generates
    /// (`ctx.send_interval_with(period, || TickerMsg::Tick)`).
    pub fn send_interval_with(
        &mut self,
        period: Duration,
        mut make: impl FnMut() -> A::Msg + Send + 'static,
    ) -> TimerRef {
        let period = period.max(Duration::from_nanos(1));
        let clock = self.kernel.clock.clone();
        let target = self.myself.downgrade();
        let inc = Arc::downgrade(&self.inc);
        let key = self.kernel.clock.schedule(
            clock.after(period),
            Box::new(move |due| {
                if !deliver_timer(&target, &inc, make()) {
                    return None;
                }
                // The next tick after `due` that is still ahead: ticks
                // the clock jumped over are skipped.
                let now = clock.now();
                let mut next = due.checked_add(period)?;
                if next <= now {
                    let behind = now.duration_since(due).as_nanos() / period.as_nanos();
                    let skip = u32::try_from(behind + 1).unwrap_or(u32::MAX);
                    next = due.checked_add(period.checked_mul(skip)?)?;
                }
                Some(next)
            }),
        );
        self.keep_timer(key);
        TimerRef(key)
    }

    /// Cancels a timer of this incarnation; true if it had not fired (an
    /// interval: if it was still armed).
    pub fn cancel_timer(&mut self, timer: TimerRef) -> bool {
        self.timers.retain(|k| *k != timer.0);
        self.kernel.clock.cancel(timer.0)
    }

    /// The System's clock (real, or a `ManualClock` in tests).
    pub fn clock(&self) -> &Clock {
        &self.kernel.clock
    }

    /// Remembers a timer to cancel when the incarnation ends, forgetting
    /// those that fired for good (amortised: the list is pruned each time it
    /// doubles), so re-arming a timer in every handler does not grow it.
    fn keep_timer(&mut self, key: TimerKey) {
        if self.timers.len() >= self.prune_at {
            let clock = &self.kernel.clock;
            self.timers.retain(|k| clock.is_registered(*k));
            self.prune_at = (self.timers.len() * 2).max(PRUNE_FLOOR);
        }
        self.timers.push(key);
    }

    /// Timers remembered for cancelling at exit.
    #[cfg(test)]
    pub(crate) fn timer_count(&self) -> usize {
        self.timers.len()
    }

    /// Cancels every timer (the incarnation ended).
    pub(crate) fn cancel_timers(&mut self) {
        for key in self.timers.drain(..) {
            self.kernel.clock.cancel(key);
        }
    }
}

/// Delivers a timer's message; false (and a dead letter) if the
/// incarnation or the address is gone.
fn deliver_timer<A: Actor>(
    target: &crate::actor::refs::WeakActorRef<A>,
    inc: &std::sync::Weak<Incarnation>,
    msg: A::Msg,
) -> bool {
    let Some(r) = target.upgrade() else {
        return false;
    };
    let alive = inc.upgrade().is_some_and(|i| !i.cell.is_exiting());
    let (reason, more) = match alive.then(|| r.tell(msg)) {
        Some(Ok(())) => return true,
        // A full bounded mailbox loses this tick, not the timer.
        Some(Err(TellError::Full(_))) => (DeadLetterReason::Overflow, true),
        Some(Err(TellError::Closed(_))) | None => (DeadLetterReason::TimerToGone, false),
    };
    r.addr
        .kernel
        .dead_letter(r.id(), std::any::type_name::<A::Msg>(), reason);
    more
}

impl<A: Actor> fmt::Debug for Context<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("actor", &self.myself)
            .field("pid", &self.inc.pid)
            .field("stopping", &self.stop)
            .finish()
    }
}
