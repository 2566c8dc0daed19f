//! Clocks, timers and sleeps: the time every keel timer and ask timeout reads.
//!
//! A [`Clock`] is either the system's real time ([`Clock::system`]) or a
//! [`ManualClock`] that moves only when a test tells it to. keel reads time
//! only through a `Clock`, so a test that swaps in a manual clock drives every
//! `send_after`, `send_interval` and ask timeout deterministically, with no
//! sleeps. Both kinds offer the same two things:
//!
//! - [`Sleep`], a future that completes at a deadline (what an ask timeout
//!   awaits): it holds a [`Waker`] in the clock while it is pending;
//! - `schedule`/`cancel` (crate-internal), a callback run at a deadline, which
//!   may re-arm itself (what actor timers and intervals use).
//!
//! # One lock
//!
//! All the clock handles ([`Clock`], [`ManualClock`]), the [`Sleep`]s and the
//! timer thread share one `TimerCore`: a mutex over
//!
//! - an order index, `BTreeMap<(deadline, seq), key>`, holding every *armed*
//!   entry: the first one is the next to fire; `seq` grows with every
//!   (re-)registration, so equal deadlines fire in registration order;
//! - the entries, `HashMap<key, Entry>`: a deadline and either the `Waker` of a
//!   pending [`Sleep`] or a timer's action. The action is `None` while it is
//!   running (the entry is then out of the index: not armed, but known, so that
//!   a `cancel` meanwhile can stop its re-arm);
//! - the manual clock's current time, and the timer thread's state.
//!
//! Registering, moving, updating or unregistering a sleep, and scheduling or
//! cancelling a timer, is one lock round-trip. Nothing foreign runs under the
//! lock: wakers are woken, actions run, and wakers and actions are *dropped*
//! (their captures may own a `Sleep` or a `Clock`, whose drop takes the lock)
//! only after it is released.
//!
//! # Who fires
//!
//! - **System clock**: a thread named `keel-timer`, started lazily on the first
//!   registration. It loops: take everything due under the lock, release it,
//!   wake the sleeps and run the actions in deadline order, retake the lock to
//!   re-arm the intervals; then wait on a condition variable until the earliest
//!   deadline (or indefinitely when there is none). A registration notifies the
//!   condition variable only when its deadline comes before the one the thread
//!   sleeps until (the thread records it), so the ask path does not wake the
//!   thread for a timeout later than one it already waits for, even if that
//!   earlier entry was removed since (sequential asks remove their timeouts). The thread holds the core, not a handle: when the last `Clock`
//!   and the last `Sleep` are gone, a guard they share tells it to exit once no
//!   timer is left (a pending one-shot timer still fires first; an interval
//!   keeps it alive until its action returns `None`).
//! - **Manual clock**: no thread. [`ManualClock::advance`] fires, on the
//!   caller's thread, every entry due within the span it covers, one at a
//!   time in deadline order (ties: registration order), including the re-arms
//!   of intervals that fall inside the span. Time *steps*: while an entry
//!   fires, the clock reads that entry's deadline, so an action or a woken task
//!   that calls `now()` sees the time it was scheduled for; when `advance`
//!   returns, the clock reads the target time.
//!
//! An action receives the time it was scheduled for and returns `Some(next)`
//! to be re-armed at `next` (a `next` not after that time is moved 1 ns after
//! it, so an interval always moves forward and `advance` always ends). A
//! panicking action is treated as returning `None`: on the system thread the
//! panic is swallowed (the thread keeps serving the other timers); in
//! `advance` it is resumed on the caller once the entry is removed.
//!
//! # What `cancel` guarantees
//!
//! After `cancel(key)` returns, the timer's action never *starts* again. If it
//! was armed, it is removed and `cancel` returns `true`: it will not run again.
//! If it is running right now (on the timer thread, or in an `advance` on
//! another thread), that run finishes but is not re-armed, and `cancel` returns
//! `false`, as it does for a key that already fired for good or was cancelled.
//! An action may cancel itself.
//!
//! # Far deadlines
//!
//! Durations are added saturating: a deadline past what [`Instant`] can hold
//! becomes "far future", 100 years from the base time, so `sleep(Duration::MAX)`
//! never panics and never completes in practice.
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasherDefault, Hasher};
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::sync::{spawn_named, Arc, Condvar, Mutex, MutexGuard};

/// The clock every keel timer and ask timeout reads: the system's real time,
/// or a manual clock in tests.
///
/// Cloning is cheap (one reference count); clones share the same timers. Each
/// call to [`Clock::system`] makes an independent clock with its own timer
/// thread, started on its first timer.
#[derive(Clone)]
pub struct Clock {
    handle: Arc<Handle>,
}

/// A future that completes at a deadline of a [`Clock`].
///
/// Cheap to create: nothing is registered until it is first polled and found
/// not yet due. A pending `Sleep` holds its task's waker in the clock (updated
/// when polled with a different waker) and unregisters itself when dropped.
/// Its clock's timer thread lives at least as long as it does.
pub struct Sleep {
    handle: Arc<Handle>,
    deadline: Instant,
    /// The registration, while this sleep holds a waker in the clock (or did
    /// until the clock fired it and it was not polled since).
    key: Option<TimerKey>,
}

/// Names one registration (a timer or a pending sleep) in a clock; never
/// reused by that clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct TimerKey(u64);

/// A clock that moves only when told to: tests drive every keel timer and ask
/// timeout with it.
///
/// It starts at the [`Instant::now`] of its creation and then stands still
/// until [`advance`](ManualClock::advance) or [`set`](ManualClock::set) moves
/// it; those fire what became due on the caller's thread. Clones and the
/// [`Clock`]s made from it share its time and timers.
#[derive(Clone)]
pub struct ManualClock {
    clock: Clock,
}

/// The action of a timer: called with the time it was scheduled for; returns
/// the time to run it again, if any.
pub(crate) type TimerAction = Box<dyn FnMut(Instant) -> Option<Instant> + Send>;

impl Clock {
    /// The system's real time ([`Instant::now`]).
    ///
    /// Its timer thread (`keel-timer`) starts on the first timer or pending
    /// sleep, and ends once the last handle to this clock (its clones, and
    /// every [`Sleep`] made from them) is gone and no timer is left.
    pub fn system() -> Clock {
        Clock::with_core(false)
    }

    /// The current time of this clock.
    pub fn now(&self) -> Instant {
        self.core().now()
    }

    /// A future that completes once `d` has passed on this clock (at once for
    /// a zero duration). A duration that overflows [`Instant`] saturates to
    /// 100 years from now.
    pub fn sleep(&self, d: Duration) -> Sleep {
        self.sleep_until(saturating_add(self.now(), d))
    }

    /// A future that completes once this clock reaches `deadline` (at once if
    /// it already has).
    pub fn sleep_until(&self, deadline: Instant) -> Sleep {
        Sleep {
            handle: Arc::clone(&self.handle),
            deadline,
            key: None,
        }
    }

    /// Whether this clock is a [`ManualClock`]'s.
    pub fn is_manual(&self) -> bool {
        self.core().manual
    }

    /// Runs `action(scheduled time)` once this clock reaches `at`: on the timer
    /// thread (system clock) or inside [`ManualClock::advance`] (manual clock),
    /// outside any lock of the clock. If it returns `Some(next)`, the timer is
    /// re-armed at `next` under the same key, unless it was cancelled
    /// meanwhile, even while its action was running.
    ///
    /// An `at` already passed fires as soon as the timer thread gets to it, or
    /// at the manual clock's next `advance`/`set` (`advance(Duration::ZERO)`
    /// is enough).
    pub(crate) fn schedule(&self, at: Instant, action: TimerAction) -> TimerKey {
        self.core().register(at, What::Action(Some(action)))
    }

    /// Cancels a timer: afterwards its action never starts again. `true` if
    /// it was armed (removed before its next run); `false` if it already fired
    /// for good, was cancelled, or is running right now (that run finishes,
    /// and is not re-armed).
    pub(crate) fn cancel(&self, key: TimerKey) -> bool {
        let core = self.core();
        let mut timers = core.timers.lock();
        let removed = timers.remove(key.0);
        drop(timers);
        // Dropped here, outside the lock: its captures may take it.
        matches!(removed, Some(What::Action(Some(_)) | What::Wake(_)))
    }

    /// Whether the timer `key` is still registered (armed or running).
    pub(crate) fn is_registered(&self, key: TimerKey) -> bool {
        self.core().timers.lock().entries.contains_key(&key.0)
    }

    /// `now() + d`, saturating far in the future instead of overflowing.
    pub(crate) fn after(&self, d: Duration) -> Instant {
        saturating_add(self.now(), d)
    }

    /// How many timers are armed plus how many sleeps are registered (a timer
    /// whose action is running is not counted).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn pending_timers(&self) -> usize {
        self.core().timers.lock().order.len()
    }

    fn with_core(manual: bool) -> Clock {
        let now = Instant::now();
        let core = Arc::new(TimerCore {
            manual,
            timers: Mutex::new(Timers {
                order: BTreeMap::new(),
                entries: HashMap::default(),
                next_id: 0,
                manual_now: now,
                thread: ThreadState::NotStarted,
                thread_waits: ThreadWait::Busy,
                handles_gone: false,
            }),
            wake_thread: Condvar::new(),
            #[cfg(test)]
            exit_signal: Mutex::new(None),
        });
        Clock {
            handle: Arc::new(Handle { core }),
        }
    }

    fn core(&self) -> &Arc<TimerCore> {
        &self.handle.core
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clock")
            .field("manual", &self.is_manual())
            .finish_non_exhaustive()
    }
}

impl Sleep {
    /// When this sleep completes.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Moves the deadline, earlier or later; a completed sleep becomes pending
    /// again if `deadline` is still ahead. If the sleep is registered and the
    /// new deadline has already passed, its task is woken so that it polls
    /// again.
    pub fn reset(&mut self, deadline: Instant) {
        self.deadline = deadline;
        let Some(key) = self.key else {
            // Not registered: the next poll looks at the new deadline.
            return;
        };
        let core = &self.handle.core;
        let mut timers = core.timers.lock();
        if deadline <= timers.now(core.manual) {
            let removed = timers.remove(key.0);
            drop(timers);
            self.key = None;
            if let Some(What::Wake(waker)) = removed {
                waker.wake();
            }
            return;
        }
        let rearmed = timers.rearm(key.0, deadline);
        drop(timers);
        match rearmed {
            // The clock fired it already: the next poll registers anew.
            None => self.key = None,
            Some(first) => core.after_insert(first, false),
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let core = &this.handle.core;
        // Already due before it ever registered: no lock at all.
        if this.key.is_none() && !core.manual && Instant::now() >= this.deadline {
            return Poll::Ready(());
        }
        let mut timers = core.timers.lock();
        if timers.now(core.manual) >= this.deadline {
            let removed = this.key.take().and_then(|key| timers.remove(key.0));
            drop(timers);
            drop(removed);
            return Poll::Ready(());
        }
        let registered = this
            .key
            .and_then(|key| timers.entries.get_mut(&key.0))
            .map(|entry| &mut entry.what);
        if let Some(What::Wake(waker)) = registered {
            let stale = if waker.will_wake(cx.waker()) {
                None
            } else {
                Some(std::mem::replace(waker, cx.waker().clone()))
            };
            drop(timers);
            drop(stale);
            return Poll::Pending;
        }
        // Not registered yet, or the clock fired it before a reset moved the
        // deadline: register (anew).
        let (key, first) = timers.insert(this.deadline, What::Wake(cx.waker().clone()));
        let spawn = core.claim_thread_start(&mut timers);
        drop(timers);
        this.key = Some(TimerKey(key));
        core.after_insert(first, spawn);
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let removed = self.handle.core.timers.lock().remove(key.0);
            // The waker is dropped here, after the lock.
            drop(removed);
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("registered", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

impl ManualClock {
    /// A manual clock reading the current [`Instant::now`], frozen there until
    /// moved.
    pub fn new() -> ManualClock {
        ManualClock {
            clock: Clock::with_core(true),
        }
    }

    /// The current time of this clock.
    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    /// Moves time forward by `d` and, on the caller's thread, fires every
    /// timer and wakes every sleep that falls due, one at a time in deadline
    /// order (ties: registration order). Intervals re-armed inside the span
    /// fire again in it, each tick at its own scheduled time. While an entry
    /// fires, [`now`](ManualClock::now) reads its deadline; afterwards, the
    /// target time. A target past what [`Instant`] holds saturates to 100 years
    /// from now.
    ///
    /// A panic in a timer's action is resumed here, after that timer is
    /// removed; time then reads that timer's deadline, and the entries after
    /// it stay armed.
    pub fn advance(&self, d: Duration) {
        let target = saturating_add(self.now(), d);
        self.clock.core().advance_to(target);
    }

    /// Moves time to `t`, as [`advance`](ManualClock::advance) does, if `t` is
    /// later than now; otherwise does nothing (time never goes back).
    pub fn set(&self, t: Instant) {
        self.clock.core().advance_to(t);
    }

    /// The [`Clock`] handle that reads this manual time (what a system under
    /// test is given).
    pub fn clock(&self) -> Clock {
        self.clock.clone()
    }

    /// How many timers are armed plus how many sleeps are registered, so that
    /// a test can check a timer is in place before advancing past it.
    pub fn pending_timers(&self) -> usize {
        self.clock.pending_timers()
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualClock")
            .field("now", &self.now())
            .finish_non_exhaustive()
    }
}

impl From<ManualClock> for Clock {
    fn from(manual: ManualClock) -> Clock {
        manual.clock
    }
}

impl From<&ManualClock> for Clock {
    fn from(manual: &ManualClock) -> Clock {
        manual.clock()
    }
}

// ---------------------------------------------------------------------------
// Private machinery.

/// 100 years: what "far future" means.
const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// `base + d`, or "far future" (100 years after `base`, or as far as `Instant`
/// goes) when that overflows.
pub(crate) fn saturating_add(base: Instant, d: Duration) -> Instant {
    base.checked_add(d)
        .or_else(|| base.checked_add(FAR_FUTURE))
        .or_else(|| base.checked_add(Duration::from_secs(24 * 60 * 60)))
        .unwrap_or(base)
}

/// What the handles ([`Clock`], [`ManualClock`], [`Sleep`]) share: the core,
/// plus a drop that tells the timer thread when the last of them is gone. The
/// timer thread holds the core only, so it never keeps a handle alive.
struct Handle {
    core: Arc<TimerCore>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        if self.core.manual {
            return;
        }
        self.core.timers.lock().handles_gone = true;
        self.core.wake_thread.notify_one();
    }
}

/// The state shared by a clock's handles and its timer thread.
struct TimerCore {
    manual: bool,
    timers: Mutex<Timers>,
    /// Wakes the timer thread: a new earliest deadline, or the last handle gone.
    wake_thread: Condvar,
    /// Told when the timer thread exits.
    #[cfg(test)]
    exit_signal: Mutex<Option<std::sync::mpsc::Sender<()>>>,
}

/// Everything behind the core's lock.
struct Timers {
    /// Every armed entry, by `(deadline, seq)`; the value is its key.
    order: BTreeMap<(Instant, u64), u64>,
    /// Every entry: armed, or an action running right now.
    entries: HashMap<u64, Entry, BuildHasherDefault<KeyHasher>>,
    /// The next key or sequence number (one counter serves both).
    next_id: u64,
    /// A manual clock's time (unused by the system clock).
    manual_now: Instant,
    thread: ThreadState,
    /// What the timer thread is waiting for, so that a new entry wakes it
    /// only if it is due before that (an ask's timeout removed before it
    /// fired would otherwise wake the thread on every new ask).
    thread_waits: ThreadWait,
    /// The last handle is gone: the timer thread exits once no entry is left.
    handles_gone: bool,
}

/// What the system clock's timer thread waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ThreadWait {
    /// It is not waiting (firing, or about to look at the entries again).
    Busy,
    /// It sleeps until this deadline (or a notification).
    Until(Instant),
    /// It sleeps until notified.
    Forever,
}

struct Entry {
    deadline: Instant,
    /// Its position in `order` (meaningful while armed).
    seq: u64,
    what: What,
}

enum What {
    /// A pending [`Sleep`]'s waker.
    Wake(Waker),
    /// A timer's action; `None` while it runs.
    Action(Option<TimerAction>),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ThreadState {
    NotStarted,
    Running,
}

/// One entry taken from the index by the timer thread, to fire outside the lock.
enum Fired {
    Wake(Waker),
    Action {
        key: u64,
        at: Instant,
        action: TimerAction,
    },
}

impl Timers {
    fn now(&self, manual: bool) -> Instant {
        if manual {
            self.manual_now
        } else {
            Instant::now()
        }
    }

    fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        id
    }

    /// Adds an armed entry; its key, and whether the timer thread must be
    /// woken for it.
    fn insert(&mut self, deadline: Instant, what: What) -> (u64, bool) {
        let key = self.take_id();
        let seq = key;
        self.order.insert((deadline, seq), key);
        self.entries.insert(
            key,
            Entry {
                deadline,
                seq,
                what,
            },
        );
        (key, self.needs_wake(deadline))
    }

    /// Moves an armed entry to `deadline`, as a new registration (ties after
    /// the entries already there). `None` if there is no such entry; else
    /// whether the timer thread must be woken for it.
    fn rearm(&mut self, key: u64, deadline: Instant) -> Option<bool> {
        let seq = self.take_id();
        let entry = self.entries.get_mut(&key)?;
        self.order.remove(&(entry.deadline, entry.seq));
        entry.deadline = deadline;
        entry.seq = seq;
        self.order.insert((deadline, seq), key);
        Some(self.needs_wake(deadline))
    }

    /// Whether an entry just armed at `deadline` must wake the timer thread:
    /// only if the thread sleeps past it. Records that it will be woken.
    fn needs_wake(&mut self, deadline: Instant) -> bool {
        let wake = match self.thread_waits {
            ThreadWait::Busy => false,
            ThreadWait::Until(at) => deadline < at,
            ThreadWait::Forever => true,
        };
        if wake {
            self.thread_waits = ThreadWait::Busy;
        }
        wake
    }

    /// Removes an entry, armed or running; what it held, for the caller to
    /// drop after the lock.
    fn remove(&mut self, key: u64) -> Option<What> {
        let entry = self.entries.remove(&key)?;
        // A running action is not in the index; removing it there is a no-op.
        self.order.remove(&(entry.deadline, entry.seq));
        Some(entry.what)
    }

    /// Ends one run of the action of `key`, scheduled for `at`: re-arms it at
    /// `next` if it is still there (not cancelled meanwhile), else removes it.
    /// Returns the action when it is done with, for the caller to drop after
    /// the lock.
    fn finish(
        &mut self,
        key: u64,
        at: Instant,
        action: TimerAction,
        next: Option<Instant>,
    ) -> Option<TimerAction> {
        let Some(next) = next else {
            self.entries.remove(&key);
            return Some(action);
        };
        let seq = self.take_id();
        let Some(entry) = self.entries.get_mut(&key) else {
            // Cancelled while it ran.
            return Some(action);
        };
        // An interval always moves forward, so that `advance` ends.
        let next = next.max(saturating_add(at, Duration::from_nanos(1)));
        entry.deadline = next;
        entry.seq = seq;
        entry.what = What::Action(Some(action));
        self.order.insert((next, seq), key);
        None
    }
}

impl TimerCore {
    fn now(&self) -> Instant {
        if self.manual {
            self.timers.lock().manual_now
        } else {
            Instant::now()
        }
    }

    /// Registers an armed entry and starts or notifies the timer thread as
    /// needed.
    fn register(self: &Arc<Self>, at: Instant, what: What) -> TimerKey {
        let mut timers = self.timers.lock();
        let (key, first) = timers.insert(at, what);
        let spawn = self.claim_thread_start(&mut timers);
        drop(timers);
        self.after_insert(first, spawn);
        TimerKey(key)
    }

    /// Under the lock: whether the caller must start the timer thread (it is
    /// marked running, so that only one caller does).
    fn claim_thread_start(&self, timers: &mut MutexGuard<'_, Timers>) -> bool {
        if self.manual || timers.thread == ThreadState::Running {
            return false;
        }
        timers.thread = ThreadState::Running;
        true
    }

    /// After the lock: starts the thread, or wakes it if the new entry is the
    /// earliest (it waits for an earlier deadline, or for none).
    fn after_insert(self: &Arc<Self>, first: bool, spawn: bool) {
        if spawn {
            self.spawn_thread();
        } else if first && !self.manual {
            self.wake_thread.notify_one();
        }
    }

    fn spawn_thread(self: &Arc<Self>) {
        let core = Arc::clone(self);
        if spawn_named("keel-timer".to_owned(), move || timer_thread(core)).is_err() {
            // The OS refused a thread: the next registration tries again.
            self.timers.lock().thread = ThreadState::NotStarted;
        }
    }

    /// The manual clock's `advance`/`set`: fires, one at a time in order, every
    /// entry due by `target`, stepping the time to each one's deadline, then
    /// moves the time to `target` (never back).
    fn advance_to(&self, target: Instant) {
        let mut timers = self.timers.lock();
        while let Some(first) = timers.order.first_entry() {
            let (at, _) = *first.key();
            if at > target {
                break;
            }
            let key = first.remove();
            if at > timers.manual_now {
                timers.manual_now = at;
            }
            let mut action = match timers.entries.get_mut(&key).map(|entry| &mut entry.what) {
                Some(What::Action(slot)) => match slot.take() {
                    Some(action) => action,
                    None => continue,
                },
                Some(What::Wake(_)) => {
                    let removed = timers.remove(key);
                    drop(timers);
                    if let Some(What::Wake(waker)) = removed {
                        waker.wake();
                    }
                    timers = self.timers.lock();
                    continue;
                }
                None => continue,
            };
            drop(timers);
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| action(at)));
            timers = self.timers.lock();
            match outcome {
                Ok(next) => {
                    if let Some(done) = timers.finish(key, at, action, next) {
                        drop(timers);
                        drop(done);
                        timers = self.timers.lock();
                    }
                }
                Err(payload) => {
                    timers.entries.remove(&key);
                    drop(timers);
                    drop(action);
                    panic::resume_unwind(payload);
                }
            }
        }
        if target > timers.manual_now {
            timers.manual_now = target;
        }
    }
}

/// The system clock's timer thread: fires what is due, waits for the next.
fn timer_thread(core: Arc<TimerCore>) {
    // Reused across rounds, so that a steady state allocates nothing.
    let mut due: Vec<Fired> = Vec::new();
    let mut ran: Vec<(u64, Instant, TimerAction, Option<Instant>)> = Vec::new();
    let mut done: Vec<TimerAction> = Vec::new();
    let mut timers = core.timers.lock();
    loop {
        let now = Instant::now();
        {
            let timers = &mut *timers;
            while let Some(first) = timers.order.first_entry() {
                let (at, _) = *first.key();
                if at > now {
                    break;
                }
                let key = first.remove();
                match timers.entries.get_mut(&key).map(|entry| &mut entry.what) {
                    Some(What::Action(slot)) => {
                        if let Some(action) = slot.take() {
                            due.push(Fired::Action { key, at, action });
                        }
                    }
                    Some(What::Wake(_)) => {
                        if let Some(What::Wake(waker)) = timers.remove(key) {
                            due.push(Fired::Wake(waker));
                        }
                    }
                    None => {}
                }
            }
        }
        if due.is_empty() {
            if timers.handles_gone && timers.entries.is_empty() {
                break;
            }
            let earliest = timers.order.first_key_value().map(|(&(at, _), _)| at);
            match earliest {
                Some(at) => {
                    timers.thread_waits = ThreadWait::Until(at);
                    core.wake_thread.wait_until(&mut timers, at);
                }
                None => {
                    timers.thread_waits = ThreadWait::Forever;
                    timers = core.wake_thread.wait(timers);
                }
            }
            timers.thread_waits = ThreadWait::Busy;
            continue;
        }
        drop(timers);
        for fired in due.drain(..) {
            match fired {
                Fired::Wake(waker) => {
                    // A panicking waker must not take the thread down.
                    let _ = panic::catch_unwind(AssertUnwindSafe(|| waker.wake()));
                }
                Fired::Action {
                    key,
                    at,
                    mut action,
                } => {
                    let next = panic::catch_unwind(AssertUnwindSafe(|| action(at)))
                        .ok()
                        .flatten();
                    ran.push((key, at, action, next));
                }
            }
        }
        timers = core.timers.lock();
        for (key, at, action, next) in ran.drain(..) {
            done.extend(timers.finish(key, at, action, next));
        }
        if !done.is_empty() {
            drop(timers);
            let _ = panic::catch_unwind(AssertUnwindSafe(|| done.clear()));
            done.clear();
            timers = core.timers.lock();
        }
    }
    timers.thread = ThreadState::NotStarted;
    drop(timers);
    #[cfg(test)]
    if let Some(signal) = core.exit_signal.lock().take() {
        let _ = signal.send(());
    }
}

/// Hashes the map's keys (sequential `u64`s) with one multiplication by an
/// odd constant: a bijection on the low bits the table indexes by, and good
/// spread in the high bits it tags entries with.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::test_util::{block_on, WakeCounter};
    use crate::sync::{AtomicUsize, Ordering};
    use std::sync::mpsc;

    const MS: Duration = Duration::from_millis(1);
    /// Generous bound for anything the real-time tests wait for.
    const PATIENCE: Duration = Duration::from_secs(10);

    fn poll_once(sleep: &mut Sleep, waker: &Waker) -> Poll<()> {
        Pin::new(sleep).poll(&mut Context::from_waker(waker))
    }

    /// A shared log of what fired, in order.
    fn log() -> Arc<Mutex<Vec<(&'static str, Instant)>>> {
        Arc::new(Mutex::new(Vec::new()))
    }

    fn one_shot(log: &Arc<Mutex<Vec<(&'static str, Instant)>>>, name: &'static str) -> TimerAction {
        let log = Arc::clone(log);
        Box::new(move |at| {
            log.lock().push((name, at));
            None
        })
    }

    #[test]
    fn handles_are_send_sync_and_sleep_is_unpin() {
        fn send_sync<T: Send + Sync>() {}
        fn send_unpin<T: Send + Unpin>() {}
        send_sync::<Clock>();
        send_sync::<ManualClock>();
        send_unpin::<Sleep>();
    }

    #[test]
    fn manual_sleep_completes_exactly_at_its_deadline() {
        let manual = ManualClock::new();
        let clock = manual.clock();
        assert!(clock.is_manual());
        let start = manual.now();
        let counter = WakeCounter::new();
        let waker = WakeCounter::waker(&counter);
        let mut sleep = clock.sleep(10 * MS);
        assert_eq!(sleep.deadline(), start + 10 * MS);
        assert_eq!(
            manual.pending_timers(),
            0,
            "nothing registered before a poll"
        );

        assert!(poll_once(&mut sleep, &waker).is_pending());
        assert_eq!(manual.pending_timers(), 1);
        manual.advance(9 * MS);
        assert_eq!(counter.wakes(), 0);
        assert!(poll_once(&mut sleep, &waker).is_pending());
        assert_eq!(
            manual.pending_timers(),
            1,
            "re-polling does not register twice"
        );

        manual.advance(MS);
        assert_eq!(counter.wakes(), 1);
        assert_eq!(manual.now(), start + 10 * MS);
        assert!(poll_once(&mut sleep, &waker).is_ready());
        assert_eq!(manual.pending_timers(), 0);
        assert!(poll_once(&mut sleep, &waker).is_ready(), "stays complete");
    }

    #[test]
    fn a_due_sleep_is_ready_without_registering() {
        let manual = ManualClock::new();
        let counter = WakeCounter::new();
        let waker = WakeCounter::waker(&counter);
        let mut zero = manual.clock().sleep(Duration::ZERO);
        assert!(poll_once(&mut zero, &waker).is_ready());
        let mut past = manual.clock().sleep_until(manual.now() - MS);
        assert!(poll_once(&mut past, &waker).is_ready());
        assert_eq!(manual.pending_timers(), 0);
        // The system clock's lock-free path.
        let system = Clock::system();
        let mut due = system.sleep_until(system.now());
        assert!(poll_once(&mut due, &waker).is_ready());
        assert_eq!(system.pending_timers(), 0);
        assert_eq!(counter.wakes(), 0);
    }

    #[test]
    fn block_on_a_manual_sleep_from_another_thread() {
        let manual = ManualClock::new();
        let sleep = manual.clock().sleep(5 * MS);
        let (tx, rx) = mpsc::channel();
        let waiter = std::thread::spawn(move || {
            block_on(sleep);
            let _ = tx.send(());
        });
        // Advance only once the sleep is registered: no lost wake-up, no sleeps.
        let registered = Instant::now();
        while manual.pending_timers() == 0 {
            assert!(registered.elapsed() < PATIENCE);
            std::thread::yield_now();
        }
        assert!(rx.try_recv().is_err());
        manual.advance(5 * MS);
        assert!(rx.recv_timeout(PATIENCE).is_ok());
        assert!(waiter.join().is_ok());
    }

    #[test]
    fn timers_fire_in_deadline_order_then_registration_order() {
        let manual = ManualClock::new();
        let clock = manual.clock();
        let t0 = manual.now();
        let log = log();
        clock.schedule(t0 + 30 * MS, one_shot(&log, "c"));
        clock.schedule(t0 + 10 * MS, one_shot(&log, "a1"));
        clock.schedule(t0 + 20 * MS, one_shot(&log, "b"));
        clock.schedule(t0 + 10 * MS, one_shot(&log, "a2"));
        clock.schedule(t0 + 40 * MS, one_shot(&log, "d"));
        assert_eq!(manual.pending_timers(), 5);

        manual.advance(35 * MS);
        let fired = log.lock().clone();
        assert_eq!(
            fired,
            vec![
                ("a1", t0 + 10 * MS),
                ("a2", t0 + 10 * MS),
                ("b", t0 + 20 * MS),
                ("c", t0 + 30 * MS),
            ]
        );
        assert_eq!(manual.pending_timers(), 1);
        assert_eq!(manual.now(), t0 + 35 * MS);
        manual.set(t0 + 40 * MS);
        assert_eq!(log.lock().last(), Some(&("d", t0 + 40 * MS)));
        assert_eq!(manual.pending_timers(), 0);
    }

    #[test]
    fn sleeps_and_timers_interleave_in_deadline_order() {
        let manual = ManualClock::new();
        let clock = manual.clock();
        let t0 = manual.now();
        let log = log();
        let woken = Arc::new(AtomicUsize::new(0));
        // The sleep's waker records when it was woken, via the clock.
        let counter = WakeCounter::new();
        let mut sleep = clock.sleep(20 * MS);
        assert!(poll_once(&mut sleep, &WakeCounter::waker(&counter)).is_pending());
        {
            let counter = Arc::clone(&counter);
            let woken = Arc::clone(&woken);
            clock.schedule(
                t0 + 20 * MS,
                Box::new(move |_| {
                    // Registered after the sleep, same deadline: runs after it.
                    woken.store(counter.wakes(), Ordering::SeqCst);
                    None
                }),
            );
        }
        {
            let counter = Arc::clone(&counter);
            let log = Arc::clone(&log);
            clock.schedule(
                t0 + 10 * MS,
                Box::new(move |at| {
                    assert_eq!(counter.wakes(), 0);
                    log.lock().push(("early", at));
                    None
                }),
            );
        }
        manual.advance(Duration::from_secs(1));
        assert_eq!(woken.load(Ordering::SeqCst), 1);
        assert_eq!(log.lock().clone(), vec![("early", t0 + 10 * MS)]);
        assert_eq!(manual.pending_timers(), 0);
    }

    #[test]
    fn an_interval_fires_every_period_inside_one_advance() {
        let manual = ManualClock::new();
        let clock = manual.clock();
        let t0 = manual.now();
        let log = log();
        {
            let log = Arc::clone(&log);
            let seen = manual.clone();
            clock.schedule(
                t0 + 10 * MS,
                Box::new(move |at| {
                    // Time steps: the action sees its own scheduled time.
                    assert_eq!(seen.now(), at);
                    log.lock().push(("tick", at));
                    Some(at + 10 * MS)
                }),
            );
        }
        clock.schedule(t0 + 25 * MS, one_shot(&log, "between"));

        manual.advance(30 * MS);
        assert_eq!(
            log.lock().clone(),
            vec![
                ("tick", t0 + 10 * MS),
                ("tick", t0 + 20 * MS),
                ("between", t0 + 25 * MS),
                ("tick", t0 + 30 * MS),
            ]
        );
        assert_eq!(manual.now(), t0 + 30 * MS);
        assert_eq!(manual.pending_timers(), 1, "re-armed for t0 + 40 ms");
        manual.advance(9 * MS);
        assert_eq!(log.lock().len(), 4);
        manual.advance(MS);
        assert_eq!(log.lock().last(), Some(&("tick", t0 + 40 * MS)));
    }

    #[test]
    fn a_rearm_that_does_not_move_forward_still_ends_the_advance() {
        let manual = ManualClock::new();
        let clock = manual.clock();
        let runs = Arc::new(AtomicUsize::new(0));
        let key = {
            let runs = Arc::clone(&runs);
            clock.schedule(
                manual.now(),
                Box::new(move |at| {
                    runs.fetch_add(1, Ordering::SeqCst);
                    Some(at) // a zero period
                }),
            )
        };
        manual.advance(Duration::from_nanos(3));
        assert_eq!(runs.load(Ordering::SeqCst), 4, "at +0, +1, +2, +3 ns");
        assert!(clock.cancel(key));
    }

    #[test]
    fn a_past_timer_fires_on_the_next_advance() {
        let manual = ManualClock::new();
        let clock = manual.clock();
        let log = log();
        let at = manual.now() - MS;
        clock.schedule(at, one_shot(&log, "late"));
        assert!(log.lock().is_empty(), "never runs on the scheduling thread");
        manual.advance(Duration::ZERO);
        assert_eq!(log.lock().clone(), vec![("late", at)]);
    }

    #[test]
    fn set_never_moves_time_back() {
        let manual = ManualClock::new();
        let t0 = manual.now();
        manual.set(t0 + 5 * MS);
        assert_eq!(manual.now(), t0 + 5 * MS);
        manual.set(t0);
        assert_eq!(manual.now(), t0 + 5 * MS);
    }

    #[test]
    fn cancel_before_fire() {
        let manual = ManualClock::new();
        let clock = manual.clock();
        let log = log();
        let key = clock.schedule(manual.now() + 10 * MS, one_shot(&log, "x"));
        let other = clock.schedule(manual.now() + 10 * MS, one_shot(&log, "y"));
        assert_ne!(key, other);
        assert!(clock.cancel(key));
        assert!(!clock.cancel(key), "already cancelled");
        assert_eq!(manual.pending_timers(), 1);
        manual.advance(20 * MS);
        assert_eq!(log.lock().len(), 1);
        assert_eq!(log.lock()[0].0, "y");
        assert!(!clock.cancel(other), "already fired");
        assert_eq!(manual.pending_timers(), 0);
    }

    #[test]
    fn cancelling_from_inside_its_own_action_stops_the_rearm() {
        let manual = ManualClock::new();
        let clock = manual.clock();
        let runs = Arc::new(AtomicUsize::new(0));
        let own_key = Arc::new(Mutex::new(None::<TimerKey>));
        let cancelled = Arc::new(Mutex::new(None::<bool>));
        let key = {
            let runs = Arc::clone(&runs);
            let own_key = Arc::clone(&own_key);
            let cancelled = Arc::clone(&cancelled);
            let inner = clock.clone();
            clock.schedule(
                manual.now() + 10 * MS,
                Box::new(move |at| {
                    if runs.fetch_add(1, Ordering::SeqCst) == 1 {
                        if let Some(key) = *own_key.lock() {
                            *cancelled.lock() = Some(inner.cancel(key));
                        }
                    }
                    Some(at + 10 * MS)
                }),
            )
        };
        *own_key.lock() = Some(key);
        manual.advance(100 * MS);
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        assert_eq!(*cancelled.lock(), Some(false), "it was running, not armed");
        assert_eq!(manual.pending_timers(), 0);
        assert!(!clock.cancel(key));
    }

    #[test]
    fn dropping_a_sleep_unregisters_it() {
        let manual = ManualClock::new();
        let clock = manual.clock();
        let counter = WakeCounter::new();
        let waker = WakeCounter::waker(&counter);
        let mut a = clock.sleep(10 * MS);
        let mut b = clock.sleep(20 * MS);
        assert!(poll_once(&mut a, &waker).is_pending());
        assert!(poll_once(&mut b, &waker).is_pending());
        assert_eq!(manual.pending_timers(), 2);
        drop(a);
        assert_eq!(manual.pending_timers(), 1);
        drop(b);
        assert_eq!(manual.pending_timers(), 0);
        manual.advance(Duration::from_secs(1));
        assert_eq!(counter.wakes(), 0);
        // Dropped after the clock fired it, before it was polled again.
        let mut c = clock.sleep(10 * MS);
        assert!(poll_once(&mut c, &waker).is_pending());
        manual.advance(10 * MS);
        assert_eq!(counter.wakes(), 1);
        drop(c);
        assert_eq!(manual.pending_timers(), 0);
    }

    #[test]
    fn reset_moves_the_deadline() {
        let manual = ManualClock::new();
        let clock = manual.clock();
        let t0 = manual.now();
        let counter = WakeCounter::new();
        let waker = WakeCounter::waker(&counter);
        let mut sleep = clock.sleep(10 * MS);

        // Later, while registered.
        assert!(poll_once(&mut sleep, &waker).is_pending());
        sleep.reset(t0 + 30 * MS);
        assert_eq!(sleep.deadline(), t0 + 30 * MS);
        assert_eq!(manual.pending_timers(), 1);
        manual.advance(20 * MS);
        assert_eq!(counter.wakes(), 0);
        assert!(poll_once(&mut sleep, &waker).is_pending());

        // Earlier, still ahead.
        sleep.reset(t0 + 25 * MS);
        manual.advance(5 * MS);
        assert_eq!(counter.wakes(), 1);
        assert!(poll_once(&mut sleep, &waker).is_ready());

        // A completed sleep reset into the future is pending again.
        sleep.reset(t0 + 40 * MS);
        assert!(poll_once(&mut sleep, &waker).is_pending());
        // Reset to a passed deadline while registered: woken at once.
        sleep.reset(t0);
        assert_eq!(counter.wakes(), 2);
        assert_eq!(manual.pending_timers(), 0);
        assert!(poll_once(&mut sleep, &waker).is_ready());

        // Reset after the clock fired it, before the next poll: registers anew.
        sleep.reset(t0 + 30 * MS);
        assert!(poll_once(&mut sleep, &waker).is_pending());
        manual.advance(5 * MS);
        assert_eq!(counter.wakes(), 3);
        sleep.reset(t0 + 50 * MS);
        assert!(poll_once(&mut sleep, &waker).is_pending());
        assert_eq!(manual.pending_timers(), 1);
        manual.advance(20 * MS);
        assert_eq!(counter.wakes(), 4);
        assert!(poll_once(&mut sleep, &waker).is_ready());
    }

    #[test]
    fn reset_ties_after_entries_already_there() {
        let manual = ManualClock::new();
        let clock = manual.clock();
        let t0 = manual.now();
        let log = log();
        let counter = WakeCounter::new();
        let mut sleep = clock.sleep(5 * MS);
        assert!(poll_once(&mut sleep, &WakeCounter::waker(&counter)).is_pending());
        {
            let counter = Arc::clone(&counter);
            let log = Arc::clone(&log);
            clock.schedule(
                t0 + 10 * MS,
                Box::new(move |at| {
                    assert_eq!(counter.wakes(), 0, "the reset sleep ties after it");
                    log.lock().push(("timer", at));
                    None
                }),
            );
        }
        sleep.reset(t0 + 10 * MS);
        manual.advance(10 * MS);
        assert_eq!(log.lock().len(), 1);
        assert_eq!(counter.wakes(), 1);
    }

    #[test]
    fn polling_with_a_new_waker_replaces_the_old_one() {
        let manual = ManualClock::new();
        let clock = manual.clock();
        let first = WakeCounter::new();
        let second = WakeCounter::new();
        let mut sleep = clock.sleep(10 * MS);
        assert!(poll_once(&mut sleep, &WakeCounter::waker(&first)).is_pending());
        assert!(poll_once(&mut sleep, &WakeCounter::waker(&second)).is_pending());
        assert_eq!(manual.pending_timers(), 1);
        manual.advance(10 * MS);
        assert_eq!(first.wakes(), 0);
        assert_eq!(second.wakes(), 1);
        // The replaced waker was released (only the test's handle is left).
        assert_eq!(Arc::strong_count(&first), 1);
        assert!(poll_once(&mut sleep, &WakeCounter::waker(&second)).is_ready());
        assert_eq!(Arc::strong_count(&second), 1);
    }

    #[test]
    fn far_deadlines_saturate() {
        let manual = ManualClock::new();
        let clock = manual.clock();
        let t0 = manual.now();
        let counter = WakeCounter::new();
        let waker = WakeCounter::waker(&counter);
        let mut forever = clock.sleep(Duration::MAX);
        assert!(forever.deadline() >= t0 + FAR_FUTURE);
        assert!(poll_once(&mut forever, &waker).is_pending());
        manual.advance(Duration::from_secs(365 * 24 * 60 * 60));
        assert_eq!(counter.wakes(), 0);
        assert!(poll_once(&mut forever, &waker).is_pending());

        // An advance past Instant's range saturates too, without panicking.
        let key = clock.schedule(saturating_add(t0, Duration::MAX), Box::new(|_| None));
        manual.advance(Duration::MAX);
        assert!(manual.now() > t0 + FAR_FUTURE);
        assert!(poll_once(&mut forever, &waker).is_ready());
        assert!(!clock.cancel(key), "fired");

        let system = Clock::system();
        let mut forever = system.sleep(Duration::MAX);
        assert!(forever.deadline() >= system.now() + FAR_FUTURE - Duration::from_secs(60));
        assert!(poll_once(&mut forever, &waker).is_pending());
        assert_eq!(system.pending_timers(), 1);
        drop(forever);
        assert_eq!(system.pending_timers(), 0);
    }

    #[test]
    fn dropping_an_action_that_owns_a_sleep_does_not_deadlock() {
        let manual = ManualClock::new();
        let clock = manual.clock();
        let counter = WakeCounter::new();
        let mut owned = clock.sleep(Duration::from_secs(1));
        assert!(poll_once(&mut owned, &WakeCounter::waker(&counter)).is_pending());
        // Cancelled: the action (and the registered sleep inside) is dropped.
        let key = clock.schedule(
            manual.now() + MS,
            Box::new(move |_| {
                let _keep = &owned;
                None
            }),
        );
        assert_eq!(manual.pending_timers(), 2);
        assert!(clock.cancel(key));
        assert_eq!(manual.pending_timers(), 0);

        // Fired for good: dropped after its run, inside `advance`.
        let mut owned = clock.sleep(Duration::from_secs(1));
        assert!(poll_once(&mut owned, &WakeCounter::waker(&counter)).is_pending());
        clock.schedule(
            manual.now() + MS,
            Box::new(move |_| {
                let _keep = &owned;
                None
            }),
        );
        manual.advance(MS);
        assert_eq!(manual.pending_timers(), 0);
        assert_eq!(counter.wakes(), 0);
    }

    #[test]
    fn a_panicking_action_is_removed_and_the_panic_reaches_advance() {
        let manual = ManualClock::new();
        let clock = manual.clock();
        let log = log();
        let t0 = manual.now();
        clock.schedule(t0 + MS, Box::new(|_| panic!("action failed")));
        clock.schedule(t0 + 2 * MS, one_shot(&log, "after"));
        let caught = panic::catch_unwind(AssertUnwindSafe(|| manual.advance(5 * MS)));
        assert!(caught.is_err());
        assert_eq!(manual.pending_timers(), 1, "the later timer stays armed");
        assert_eq!(manual.now(), t0 + MS, "time stopped at the panicking timer");
        manual.set(t0 + 5 * MS);
        assert_eq!(log.lock().clone(), vec![("after", t0 + 2 * MS)]);
    }

    #[test]
    fn clock_conversions_share_time() {
        let manual = ManualClock::default();
        let a: Clock = (&manual).into();
        let b: Clock = manual.clone().into();
        manual.advance(7 * MS);
        assert_eq!(a.now(), manual.now());
        assert_eq!(b.now(), manual.now());
        assert!(!Clock::system().is_manual());
        assert!(format!("{a:?}").contains("manual: true"));
        assert!(format!("{manual:?}").starts_with("ManualClock"));
        assert!(format!("{:?}", a.sleep(MS)).starts_with("Sleep"));
    }

    // Real time: the system clock and its thread. Bounds are generous and the
    // assertions only say "not before the deadline".

    #[test]
    fn system_sleep_completes_after_its_duration() {
        let clock = Clock::system();
        let start = Instant::now();
        let sleep = clock.sleep(20 * MS);
        let deadline = sleep.deadline();
        block_on(sleep);
        assert!(Instant::now() >= deadline);
        assert!(start.elapsed() >= 20 * MS);
        assert_eq!(clock.pending_timers(), 0);
    }

    #[test]
    fn system_timers_run_on_the_timer_thread() {
        let clock = Clock::system();
        let (tx, rx) = mpsc::channel();
        let at = clock.now() + 5 * MS;
        let tx_panic = tx.clone();
        // A panicking action does not take the thread down.
        clock.schedule(
            clock.now(),
            Box::new(move |_| {
                let _keep = &tx_panic;
                panic!("action failed")
            }),
        );
        let mut ticks = 0;
        clock.schedule(
            at,
            Box::new(move |scheduled| {
                let name = std::thread::current().name().map(str::to_owned);
                let _ = tx.send((scheduled, Instant::now(), name));
                ticks += 1;
                (ticks < 2).then_some(scheduled + MS)
            }),
        );
        for expected in [at, at + MS] {
            let (scheduled, ran_at, name) = rx.recv_timeout(PATIENCE).expect("the timer ran");
            assert_eq!(scheduled, expected);
            assert!(ran_at >= scheduled);
            assert_eq!(name.as_deref(), Some("keel-timer"));
        }
        assert_eq!(clock.pending_timers(), 0);
    }

    #[test]
    fn the_timer_thread_exits_after_the_last_handle_and_timer() {
        let clock = Clock::system();
        let (exit_tx, exit_rx) = mpsc::channel();
        *clock.core().exit_signal.lock() = Some(exit_tx);
        // Start the thread with a sleep, then leave a one-shot timer pending.
        block_on(clock.sleep(MS));
        let (fired_tx, fired_rx) = mpsc::channel();
        clock.schedule(
            clock.now() + 5 * MS,
            Box::new(move |_| {
                let _ = fired_tx.send(());
                None
            }),
        );
        let sleep = clock.sleep(Duration::from_secs(3600));
        drop(clock);
        // A Sleep is a handle too: the thread stays.
        assert!(exit_rx.try_recv().is_err());
        drop(sleep);
        // The pending timer still fires, then the thread exits.
        assert!(fired_rx.recv_timeout(PATIENCE).is_ok());
        assert!(exit_rx.recv_timeout(PATIENCE).is_ok());
    }
}
