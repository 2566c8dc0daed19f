//! What every actor of one System shares: schedulers, the clock, the tokio
//! handle, events, dead letters, the set of live incarnations, the slow-turn
//! watchdog and the (hidden) run-loop interceptor. The System (top layer)
//! builds it and owns the shutdown sequence; actors reach it through their
//! address.
use std::any::{Any, TypeId};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use crate::actor::address::{ActorId, Incarnation, Pid};
use crate::actor::events::{DeadLetterReason, EventBus, SystemEvent};
use crate::actor::exit::ExitReason;
use crate::actor::MailboxConfig;
use crate::core::ids::{IdMap, IdSet};
use crate::core::scheduler::Scheduler;
use crate::sync::{spawn_named, AtomicBool, AtomicU64, AtomicUsize, Condvar, Mutex, Ordering};
use crate::time::Clock;

/// A hook on every run loop of a System, for fault injection (hidden: the
/// fault-injection toolkit builds on it). Called on the actor's own thread.
#[doc(hidden)]
pub trait Interceptor: Send + Sync + 'static {
    /// Before `started`.
    fn on_start(&self, actor: ActorId, type_name: &'static str) -> StartAction {
        let _ = (actor, type_name);
        StartAction::Continue
    }

    /// Before each user message is handled.
    fn on_message(&self, actor: ActorId, type_name: &'static str) -> MessageAction {
        let _ = (actor, type_name);
        MessageAction::Deliver
    }
}

/// What an [`Interceptor`] does to a start.
#[doc(hidden)]
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum StartAction {
    /// Run `started` as usual.
    Continue,
    /// Fail the start with this reason (`started` does not run).
    Fail(ExitReason),
    /// Panic in place of `started`.
    Panic,
}

/// What an [`Interceptor`] does to one message.
#[doc(hidden)]
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum MessageAction {
    /// Handle it as usual.
    Deliver,
    /// Panic in place of the handler (the message is dropped).
    Panic,
    /// Wait this long on the System's clock, then handle it.
    Delay(Duration),
    /// Drop it unhandled (a dead letter, `Dropped`).
    Drop,
}

/// The System-wide settings the actor layer reads.
#[derive(Debug, Clone)]
pub(crate) struct KernelConfig {
    pub(crate) name: String,
    pub(crate) default_mailbox: MailboxConfig,
    pub(crate) ask_timeout: Duration,
    pub(crate) slow_turn: Duration,
}

/// Shared by every actor of one System.
pub(crate) struct Kernel {
    pub(crate) scheduler: Scheduler,
    pub(crate) dispatchers: HashMap<String, Scheduler>,
    pub(crate) clock: Clock,
    pub(crate) tokio: tokio::runtime::Handle,
    pub(crate) config: KernelConfig,
    pub(crate) events: EventBus,
    pub(crate) interceptor: Option<Arc<dyn Interceptor>>,
    ids: AtomicU64,
    dead_letters: AtomicU64,
    shutting_down: AtomicBool,
    pub(crate) live: LiveSet,
    watchdog: Arc<Watchdog>,
    /// Message types already warned about for their size.
    large_warned: Mutex<HashSet<&'static str>>,
    /// One value per type, made on first use: what the layers above keep
    /// per System (the registry's tables).
    extensions: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl Kernel {
    pub(crate) fn new(
        scheduler: Scheduler,
        dispatchers: HashMap<String, Scheduler>,
        clock: Clock,
        tokio: tokio::runtime::Handle,
        config: KernelConfig,
        interceptor: Option<Arc<dyn Interceptor>>,
    ) -> Arc<Kernel> {
        let watchdog = Arc::new(Watchdog {
            slots: Mutex::new(Vec::new()),
            killed: Mutex::new(IdSet::default()),
            started: AtomicBool::new(false),
            stop: Mutex::new(false),
            cv: Condvar::new(),
            threshold: config.slow_turn,
        });
        Arc::new(Kernel {
            scheduler,
            dispatchers,
            clock,
            tokio,
            config,
            events: EventBus::new(),
            interceptor,
            ids: AtomicU64::new(1),
            dead_letters: AtomicU64::new(0),
            shutting_down: AtomicBool::new(false),
            live: LiveSet::new(),
            watchdog,
            large_warned: Mutex::new(HashSet::new()),
            extensions: Mutex::new(HashMap::new()),
        })
    }

    /// This System's `T`, made with `T::default()` on first use.
    pub(crate) fn extension<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let any = self
            .extensions
            .lock()
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(T::default()))
            .clone();
        any.downcast::<T>()
            .unwrap_or_else(|_| unreachable!("the extension map is keyed by type"))
    }

    /// A fresh id (addresses, incarnations and monitors share the counter).
    pub(crate) fn next_id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    pub(crate) fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::Release);
    }

    /// Every worker pool (the default one and the named dispatchers) stops
    /// taking work; nothing waits for them.
    pub(crate) fn stop_workers(&self) {
        self.scheduler.begin_shutdown();
        for s in self.dispatchers.values() {
            s.begin_shutdown();
        }
    }

    /// Messages accepted and then not processed, so far.
    pub(crate) fn dead_letter_count(&self) -> u64 {
        self.dead_letters.load(Ordering::Relaxed)
    }

    /// Counts, traces and publishes one dead letter.
    pub(crate) fn dead_letter(&self, to: ActorId, message: &'static str, reason: DeadLetterReason) {
        self.dead_letters.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(target: "keel::dead_letters", actor = %to, message, ?reason, "dead letter");
        self.events.publish(|seq| SystemEvent::DeadLetter {
            seq,
            to,
            message_type: message,
            reason,
        });
    }

    pub(crate) fn incarnation_started(&self, id: ActorId, pid: Pid, type_name: &'static str) {
        tracing::trace!(actor = %id, %pid, type_name, "started");
        self.events.publish(|seq| SystemEvent::ActorStarted {
            seq,
            id,
            pid,
            type_name,
        });
    }

    pub(crate) fn incarnation_ended(
        &self,
        id: ActorId,
        pid: Pid,
        type_name: &'static str,
        reason: &ExitReason,
    ) {
        if reason.is_abnormal() && *reason != ExitReason::Killed {
            tracing::warn!(actor = %id, %pid, type_name, %reason, "actor crashed");
        } else {
            tracing::debug!(actor = %id, %pid, type_name, %reason, "actor exited");
        }
        self.live.remove(pid);
        self.events.publish(|seq| SystemEvent::ActorExited {
            seq,
            id,
            pid,
            type_name,
            reason: reason.clone(),
        });
    }

    /// Warns once per type when messages are large (they are stored by
    /// value in the mailbox's blocks).
    pub(crate) fn check_message_size(&self, type_name: &'static str, size: usize) {
        if size > crate::actor::LARGE_MESSAGE && self.large_warned.lock().insert(type_name) {
            tracing::warn!(
                message_type = type_name,
                size,
                "messages over {} bytes are copied into the mailbox: box large payloads",
                crate::actor::LARGE_MESSAGE
            );
        }
    }

    /// Remembers a killed incarnation until its run loop is gone, so the
    /// watchdog can call a stuck one a zombie.
    pub(crate) fn note_killed(&self, pid: Pid) {
        self.watchdog.killed.lock().insert(pid.0);
    }

    /// Makes this thread's watchdog slot this kernel's (registered on the
    /// first turn a thread runs for it; a no-op after).
    #[inline]
    pub(crate) fn enter_thread(&self) {
        let key = Arc::as_ptr(&self.watchdog) as usize;
        SLOT.with(|slot| {
            let mut slot = slot.borrow_mut();
            if slot.as_ref().is_some_and(|(k, _)| *k == key) {
                return;
            }
            let s = Arc::new(PollSlot::default());
            self.watchdog.register(s.clone(), &self.config.name);
            *slot = Some((key, s));
        });
    }

    /// This thread is done with actors (a blocking actor's thread ends):
    /// its watchdog slot goes.
    pub(crate) fn leave_thread(&self) {
        if let Some((_, slot)) = SLOT.with(|s| s.borrow_mut().take()) {
            self.watchdog
                .slots
                .lock()
                .retain(|s| !Arc::ptr_eq(s, &slot));
        }
    }

    /// The run loop of `pid` is gone (no zombie any more).
    pub(crate) fn run_loop_done(&self, pid: Pid) {
        self.watchdog.killed.lock().remove(&pid.0);
    }
}

/// Marks the start of one poll of a hook on this thread.
#[inline]
pub(crate) fn slot_begin(actor: ActorId, pid: Pid) {
    SLOT.with(|slot| {
        if let Some((_, s)) = &*slot.borrow() {
            s.begin(actor, pid);
        }
    });
}

/// Marks the end of that poll.
#[inline]
pub(crate) fn slot_end() {
    SLOT.with(|slot| {
        if let Some((_, s)) = &*slot.borrow() {
            s.end();
        }
    });
}

impl Drop for Kernel {
    fn drop(&mut self) {
        *self.watchdog.stop.lock() = true;
        self.watchdog.cv.notify_all();
        self.events.close();
    }
}

impl fmt::Debug for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kernel")
            .field("name", &self.config.name)
            .field("live", &self.live.len())
            .field("dead_letters", &self.dead_letter_count())
            .finish()
    }
}

// ---- live incarnations ----

const LIVE_SHARDS: usize = 16;

/// Every incarnation that has not ended, for the System's shutdown.
pub(crate) struct LiveSet {
    shards: Vec<Mutex<IdMap<Weak<Incarnation>>>>,
    count: AtomicUsize,
    empty: (Mutex<()>, Condvar),
}

impl LiveSet {
    fn new() -> Self {
        LiveSet {
            shards: (0..LIVE_SHARDS)
                .map(|_| Mutex::new(IdMap::default()))
                .collect(),
            count: AtomicUsize::new(0),
            empty: (Mutex::new(()), Condvar::new()),
        }
    }

    pub(crate) fn insert(&self, inc: &Arc<Incarnation>) {
        let pid = inc.pid.0;
        self.count.fetch_add(1, Ordering::AcqRel);
        self.shards[pid as usize % LIVE_SHARDS]
            .lock()
            .insert(pid, Arc::downgrade(inc));
    }

    fn remove(&self, pid: Pid) {
        let removed = self.shards[pid.0 as usize % LIVE_SHARDS]
            .lock()
            .remove(&pid.0)
            .is_some();
        if removed && self.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            let _guard = self.empty.0.lock();
            self.empty.1.notify_all();
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    /// The live incarnations, newest first.
    pub(crate) fn snapshot(&self) -> Vec<Arc<Incarnation>> {
        let mut all: Vec<Arc<Incarnation>> = self
            .shards
            .iter()
            .flat_map(|s| {
                s.lock()
                    .values()
                    .filter_map(Weak::upgrade)
                    .collect::<Vec<_>>()
            })
            .collect();
        all.sort_by_key(|inc| std::cmp::Reverse(inc.pid));
        all
    }

    /// Waits (blocking this thread) until no incarnation is live or the
    /// deadline passes; true if empty.
    pub(crate) fn wait_empty(&self, deadline: Instant) -> bool {
        let mut guard = self.empty.0.lock();
        loop {
            if self.len() == 0 {
                return true;
            }
            if self.empty.1.wait_until(&mut guard, deadline) {
                return self.len() == 0;
            }
        }
    }
}

// ---- the slow-turn watchdog ----

/// One thread's record of the handler poll it is in: `epoch` is odd while
/// a poll runs. Written only by its thread (plain load + store), read by
/// the watchdog.
#[derive(Default)]
pub(crate) struct PollSlot {
    epoch: AtomicU64,
    actor: AtomicU64,
    pid: AtomicU64,
}

impl PollSlot {
    #[inline]
    pub(crate) fn begin(&self, actor: ActorId, pid: Pid) {
        self.actor.store(actor.0, Ordering::Relaxed);
        self.pid.store(pid.0, Ordering::Relaxed);
        let e = self.epoch.load(Ordering::Relaxed);
        self.epoch.store(e + 1, Ordering::Release);
    }

    #[inline]
    pub(crate) fn end(&self) {
        let e = self.epoch.load(Ordering::Relaxed);
        self.epoch.store(e + 1, Ordering::Release);
    }
}

thread_local! {
    static SLOT: RefCell<Option<(usize, Arc<PollSlot>)>> = const { RefCell::new(None) };
    /// Set on a blocking actor's own thread, where blocking is allowed.
    static BLOCKING_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` as a blocking actor's thread.
pub(crate) fn as_blocking_thread<R>(f: impl FnOnce() -> R) -> R {
    BLOCKING_THREAD.with(|b| b.set(true));
    f()
}

/// True on a blocking actor's own thread (blocking waits are fine there).
pub(crate) fn is_blocking_thread() -> bool {
    BLOCKING_THREAD.try_with(Cell::get).unwrap_or(false)
}

struct Watchdog {
    slots: Mutex<Vec<Arc<PollSlot>>>,
    killed: Mutex<IdSet>,
    started: AtomicBool,
    stop: Mutex<bool>,
    cv: Condvar,
    threshold: Duration,
}

impl Watchdog {
    fn register(self: &Arc<Self>, slot: Arc<PollSlot>, name: &str) {
        self.slots.lock().push(slot);
        if !self.started.swap(true, Ordering::AcqRel) {
            let this = self.clone();
            // Without a watchdog thread slow turns go unreported; nothing else breaks.
            let _ = spawn_named(format!("{name}-watchdog"), move || this.run());
        }
    }

    /// How long the watchdog sleeps between looks: half the threshold,
    /// at most an hour, so that a threshold meaning "never" (up to
    /// `Duration::MAX`) cannot overflow `Instant + period`.
    fn period(threshold: Duration) -> Duration {
        (threshold / 2).clamp(Duration::from_millis(1), Duration::from_secs(3600))
    }

    fn run(self: Arc<Self>) {
        let period = Self::period(self.threshold);
        // Per slot: the epoch seen last time, since when, and whether warned.
        let mut seen: Vec<(u64, Instant, bool)> = Vec::new();
        loop {
            {
                let mut stop = self.stop.lock();
                if *stop {
                    return;
                }
                let deadline = Instant::now() + period;
                while !*stop && Instant::now() < deadline {
                    self.cv.wait_until(&mut stop, deadline);
                }
                if *stop {
                    return;
                }
            }
            let now = Instant::now();
            let slots = self.slots.lock().clone();
            // Killed pids matter only while a slot is inside their poll;
            // forget the others (a kill noted after its run loop ended).
            {
                let busy: HashSet<u64> = slots
                    .iter()
                    .filter(|s| s.epoch.load(Ordering::Acquire) % 2 == 1)
                    .map(|s| s.pid.load(Ordering::Relaxed))
                    .collect();
                self.killed.lock().retain(|pid| busy.contains(pid));
            }
            seen.resize(slots.len(), (0, now, false));
            for (slot, (last, since, warned)) in slots.iter().zip(seen.iter_mut()) {
                let epoch = slot.epoch.load(Ordering::Acquire);
                if epoch != *last {
                    *last = epoch;
                    *since = now;
                    *warned = false;
                    continue;
                }
                if epoch % 2 == 1 && !*warned && now - *since >= self.threshold {
                    *warned = true;
                    let actor = ActorId(slot.actor.load(Ordering::Relaxed));
                    let pid = slot.pid.load(Ordering::Relaxed);
                    if self.killed.lock().contains(&pid) {
                        tracing::warn!(
                            %actor,
                            "zombie: a killed actor's handler has not yielded for over {:?}; it keeps its worker until it does",
                            self.threshold
                        );
                    } else {
                        tracing::warn!(
                            %actor,
                            "slow turn: one poll of a handler has run for over {:?} (move blocking work to a blocking actor)",
                            self.threshold
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watchdog_period_never_overflows_an_instant() {
        for threshold in [Duration::ZERO, Duration::from_millis(100), Duration::MAX] {
            let period = Watchdog::period(threshold);
            assert!(
                Instant::now().checked_add(period).is_some(),
                "{threshold:?}"
            );
        }
        assert_eq!(
            Watchdog::period(Duration::from_millis(100)),
            Duration::from_millis(50)
        );
    }
}
