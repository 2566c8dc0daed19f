//! The supervisor's decisions, as a pure state machine: the children in
//! start order and the restart window, fed events and the clock's time,
//! answering with the actions the supervisor actor carries out.
//!
//! Nothing here runs actors, waits, or reads a clock: the actor
//! (`server.rs`) passes `now` in and executes [`Action`]s one by one,
//! feeding each start's outcome back (`started`, `ignored`,
//! `start_failed`, or `deferred` when a restart must wait for its address,
//! then `resume`). The rules are OTP's (OTP_SEMANTICS.md §5–§10); the
//! unit tests (`machine/tests.rs`) walk the restart matrix and the
//! window's boundaries.
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::actor::{ExitReason, Pid};
use crate::supervisor::spec::{ChildSpec, Restart};
use crate::supervisor::{AutoShutdown, Strategy};

/// Names one child entry of one supervisor (ids may repeat under a
/// dynamic supervisor; keys never do).
pub(crate) type Key = u64;

/// Where a child stands (OTP's pid field: a pid, `restarting`, or
/// `undefined`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    Running(Pid),
    /// A restart is under way, or waits for a retry, a delay, or the
    /// address (`deferred`).
    Restarting,
    /// Not running, spec kept (ignored, terminated, or ended without a
    /// restart).
    Stopped,
}

/// Why a child is being started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// The supervisor's own start, in order.
    Init,
    /// A restart the supervisor decided (counted).
    Restart,
    /// `restart_child`.
    Manual,
    /// `start_child`.
    Add,
}

/// What the supervisor actor does next.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    /// Publish this (before acting on it).
    Report(Report),
    /// Stop the child's running incarnation by its shutdown spec; its
    /// address stays (a restart follows, or a `Close`).
    Terminate(Key),
    /// No incarnation follows on the child's address: close it.
    Close(Key, ExitReason),
    /// Start the child (on its address if it has one) and feed the outcome
    /// back.
    Start(Key, Purpose),
    /// Send the supervisor a retry of this child's failed restart.
    Retry(Key, u64),
    /// Restart this child after the delay (a timer to the supervisor).
    Delay(Key, u64, Duration),
    /// The supervisor stops with this reason (its children are shut down
    /// in reverse start order as it exits).
    Exit(ExitReason),
}

/// The reports of OTP_SEMANTICS.md §11 (and the observation that comes
/// before them); the actor turns them into `SystemEvent`s.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Report {
    Exited {
        child: Arc<str>,
        pid: Pid,
        reason: ExitReason,
    },
    Terminated {
        child: Arc<str>,
        reason: ExitReason,
    },
    StartError {
        child: Arc<str>,
        reason: ExitReason,
    },
    GaveUp {
        child: Arc<str>,
        reason: ExitReason,
    },
    AutoShutdown {
        child: Arc<str>,
    },
}

/// A management call the machine refuses (the actor maps it to
/// `SupervisorError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    NotFound,
    Running,
    Restarting,
    AlreadyPresent,
    AlreadyStarted(Key),
    MaxChildren,
    Dynamic,
}

/// A supervisor's flags (validated by the builders).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Flags {
    pub(crate) strategy: Strategy,
    pub(crate) max_restarts: u32,
    pub(crate) within: Duration,
    pub(crate) auto_shutdown: AutoShutdown,
    /// A dynamic supervisor: one_for_one, ids may repeat, no restart or
    /// delete by id, children shut down in parallel.
    pub(crate) dynamic: bool,
    pub(crate) max_children: Option<usize>,
}

/// One child entry.
#[derive(Debug)]
pub(crate) struct Child {
    pub(crate) key: Key,
    pub(crate) spec: ChildSpec,
    pub(crate) slot: Slot,
    /// Bumped whenever a pending retry or delayed restart must be ignored.
    generation: u64,
    /// Consecutive delayed restarts (for the backoff).
    backoff_step: u32,
    /// Restarts the supervisor made of it, taken along by a sibling's
    /// included (for introspection).
    restarts: u32,
    started_at: Option<Instant>,
    /// The reason of the last exit or failed start (for a give-up while
    /// retrying).
    last_reason: Option<ExitReason>,
    /// Left unstarted by a restart cycle that failed at this child: it is
    /// `Restarting` with it, and started by its retry (or stopped if that
    /// retry is cancelled). Its address stays open meanwhile.
    riding: Option<Key>,
    /// Its restart waits for the address: the previous incarnation's run
    /// loop still holds it (see `deferred`).
    waiting: bool,
}

impl Child {
    /// Restarts the supervisor made of it so far.
    pub(crate) fn restarts(&self) -> u32 {
        self.restarts
    }

    /// The reason of its last exit or failed start.
    pub(crate) fn last_reason(&self) -> Option<&ExitReason> {
        self.last_reason.as_ref()
    }
}

/// The decision state of one supervisor incarnation.
#[derive(Debug)]
pub(crate) struct Machine {
    pub(crate) flags: Flags,
    children: Vec<Child>,
    /// Restart times within the window, oldest first.
    restarts: VecDeque<Instant>,
    /// The starts still to do in the restart under way (drained within the
    /// supervisor's turn: emptied by the last start or by a failure).
    cycle: VecDeque<Key>,
    next_key: Key,
    /// splitmix64 state for the backoff's jitter: seeded, so a run with a
    /// manual clock repeats exactly.
    rng: u64,
}

impl Machine {
    pub(crate) fn new(flags: Flags, specs: Vec<ChildSpec>) -> Machine {
        let mut m = Machine {
            flags,
            children: Vec::new(),
            restarts: VecDeque::new(),
            cycle: VecDeque::new(),
            next_key: 1,
            rng: 0x6b65_656c_5f73_7570,
        };
        for spec in specs {
            m.push(spec);
        }
        m
    }

    fn push(&mut self, spec: ChildSpec) -> Key {
        let key = self.next_key;
        self.next_key += 1;
        self.children.push(Child {
            key,
            spec,
            slot: Slot::Stopped,
            generation: 0,
            backoff_step: 0,
            restarts: 0,
            started_at: None,
            last_reason: None,
            riding: None,
            waiting: false,
        });
        key
    }

    // ---- queries ----

    /// The children in start order.
    pub(crate) fn children(&self) -> &[Child] {
        &self.children
    }

    pub(crate) fn child(&self, key: Key) -> Option<&Child> {
        self.children.iter().find(|c| c.key == key)
    }

    /// The child with this id (the first, under a dynamic supervisor).
    pub(crate) fn by_id(&self, id: &str) -> Option<&Child> {
        self.children.iter().find(|c| &*c.spec.id == id)
    }

    /// True while a restart waits for its address (`deferred`).
    pub(crate) fn is_paused(&self) -> bool {
        self.children.iter().any(|c| c.waiting)
    }

    /// The keys to start when the supervisor starts, in order.
    pub(crate) fn init_order(&self) -> Vec<Key> {
        self.children.iter().map(|c| c.key).collect()
    }

    /// Running children in the order they are shut down: reverse start
    /// order (a dynamic supervisor stops them all at once).
    pub(crate) fn shutdown_order(&self) -> Vec<Key> {
        self.children
            .iter()
            .rev()
            .filter(|c| matches!(c.slot, Slot::Running(_)))
            .map(|c| c.key)
            .collect()
    }

    /// The child whose running incarnation is `pid`.
    fn running(&self, pid: Pid) -> Option<usize> {
        self.children
            .iter()
            .position(|c| c.slot == Slot::Running(pid))
    }

    fn index(&self, key: Key) -> Option<usize> {
        self.children.iter().position(|c| c.key == key)
    }

    fn remove(&mut self, key: Key) {
        self.children.retain(|c| c.key != key);
    }

    /// Child `i` is no longer running and no restart is pending: its spec
    /// stays, `Stopped`, unless it is temporary or under a dynamic
    /// supervisor (whose children that end are forgotten, as OTP's
    /// `simple_one_for_one` forgets them).
    fn set_stopped(&mut self, i: usize) {
        let c = &mut self.children[i];
        c.generation += 1;
        c.riding = None;
        c.waiting = false;
        if self.flags.dynamic || c.spec.restart == Restart::Temporary {
            let key = c.key;
            self.remove(key);
        } else {
            c.slot = Slot::Stopped;
        }
    }

    // ---- a child exits by itself ----

    /// A linked child's incarnation `pid` exited with `reason`. An exit of
    /// an incarnation that is not a current child (one the supervisor
    /// terminated itself, or a stranger) is ignored.
    pub(crate) fn exited(&mut self, pid: Pid, reason: &ExitReason, now: Instant) -> Vec<Action> {
        let Some(i) = self.running(pid) else {
            return Vec::new();
        };
        let (key, id, restart, significant) = {
            let c = &mut self.children[i];
            c.last_reason = Some(reason.clone());
            (c.key, c.spec.id.clone(), c.spec.restart, c.spec.significant)
        };
        let mut actions = vec![Action::Report(Report::Exited {
            child: id.clone(),
            pid,
            reason: reason.clone(),
        })];
        let terminated = Action::Report(Report::Terminated {
            child: id.clone(),
            reason: reason.clone(),
        });
        match restart {
            Restart::Temporary => {
                if reason.is_abnormal() {
                    actions.push(terminated);
                }
                self.remove(key);
                actions.push(Action::Close(key, reason.clone()));
                actions.extend(self.auto_shutdown(significant, &id));
            }
            Restart::Transient if reason.is_normal() => {
                self.set_stopped(i);
                actions.push(Action::Close(key, reason.clone()));
                actions.extend(self.auto_shutdown(significant, &id));
            }
            Restart::Permanent | Restart::Transient => {
                actions.push(terminated);
                self.children[i].slot = Slot::Restarting;
                actions.extend(self.restart_decided(key, reason, now));
            }
        }
        actions
    }

    /// `exited`, while the System shuts down: nothing is restarted (no
    /// new actor may start, and the supervisor is about to be stopped
    /// itself); the child is only taken out of the running set.
    pub(crate) fn exited_in_shutdown(&mut self, pid: Pid, reason: &ExitReason) -> Vec<Action> {
        let Some(i) = self.running(pid) else {
            return Vec::new();
        };
        let (key, child) = (self.children[i].key, self.children[i].spec.id.clone());
        self.set_stopped(i);
        vec![
            Action::Report(Report::Exited {
                child,
                pid,
                reason: reason.clone(),
            }),
            Action::Close(key, reason.clone()),
        ]
    }

    /// Counts a restart in the sliding window; false if that exceeds the
    /// limit. The window is inclusive: a restart exactly `within` old still
    /// counts (as OTP's, at the clock's resolution instead of seconds).
    fn count_restart(&mut self, now: Instant) -> bool {
        self.restarts.push_back(now);
        if let Some(floor) = now.checked_sub(self.flags.within) {
            while self.restarts.front().is_some_and(|t| *t < floor) {
                self.restarts.pop_front();
            }
        }
        self.restarts.len() <= self.flags.max_restarts as usize
    }

    /// Restarts within the window at `now` (for tests and introspection).
    pub(crate) fn restarts_in_window(&self, now: Instant) -> usize {
        let floor = now.checked_sub(self.flags.within);
        self.restarts
            .iter()
            .filter(|t| floor.is_none_or(|f| **t >= f))
            .count()
    }

    /// A restart of `key` is decided: counted, then done now, delayed, or
    /// the supervisor gives up.
    fn restart_decided(&mut self, key: Key, reason: &ExitReason, now: Instant) -> Vec<Action> {
        if !self.count_restart(now) {
            return self.give_up(key, reason);
        }
        let Some(i) = self.index(key) else {
            return Vec::new();
        };
        match self.delayed_restart(i, now) {
            Some(delay) => vec![delay],
            None => self.cycle(key),
        }
    }

    /// If child `i` restarts after a delay: its next delay (the backoff's
    /// step, reset if it stayed up long enough), the child `Restarting`
    /// until then. `None`: it restarts at once.
    fn delayed_restart(&mut self, i: usize, now: Instant) -> Option<Action> {
        let backoff = self.children[i].spec.restart_delay?;
        let roll = self.roll();
        let c = &mut self.children[i];
        if c.started_at
            .is_some_and(|t| now.saturating_duration_since(t) >= backoff.reset_after)
        {
            c.backoff_step = 0;
        }
        let delay = backoff.delay(c.backoff_step, roll);
        c.backoff_step = c.backoff_step.saturating_add(1);
        c.started_at = None;
        c.generation += 1;
        c.slot = Slot::Restarting;
        Some(Action::Delay(c.key, c.generation, delay))
    }

    /// The starts left in the cycle under way wait for `key`'s restart
    /// (restarting, their addresses kept): `resume` or its retry starts
    /// them, cancelling it stops them.
    fn ride_on(&mut self, key: Key) {
        for k in std::mem::take(&mut self.cycle) {
            if let Some(j) = self.index(k) {
                self.children[j].riding = Some(key);
            }
        }
    }

    /// The restart limit is exceeded: report, take the child out of the
    /// running set, stop.
    fn give_up(&mut self, key: Key, reason: &ExitReason) -> Vec<Action> {
        let mut actions = Vec::new();
        if let Some(i) = self.index(key) {
            let c = &mut self.children[i];
            c.slot = Slot::Stopped;
            c.generation += 1;
            actions.push(Action::Report(Report::GaveUp {
                child: c.spec.id.clone(),
                reason: reason.clone(),
            }));
        }
        self.cycle.clear();
        for c in &mut self.children {
            c.waiting = false;
        }
        actions.push(Action::Exit(ExitReason::Shutdown));
        actions
    }

    /// Restarts `key` by the strategy: the siblings it takes along are
    /// terminated in reverse start order (temporary ones dropped), then
    /// all are started in start order, one `Start` at a time.
    fn cycle(&mut self, key: Key) -> Vec<Action> {
        let Some(i) = self.index(key) else {
            return Vec::new();
        };
        let targets: Vec<Key> = match (self.flags.dynamic, self.flags.strategy) {
            (true, _) | (false, Strategy::OneForOne) => vec![key],
            (false, Strategy::OneForAll) => self.children.iter().map(|c| c.key).collect(),
            (false, Strategy::RestForOne) => self.children[i..].iter().map(|c| c.key).collect(),
        };
        let mut actions = Vec::new();
        let mut starts = VecDeque::new();
        for &t in targets.iter().rev() {
            let Some(j) = self.index(t) else { continue };
            let c = &mut self.children[j];
            if t != key && matches!(c.slot, Slot::Running(_)) {
                actions.push(Action::Terminate(t));
            }
            // A sibling's own pending retry or delayed restart is
            // superseded by this one.
            c.generation += 1;
            c.riding = None;
            c.waiting = false;
            if c.spec.restart == Restart::Temporary {
                let reason = ExitReason::Shutdown;
                self.remove(t);
                actions.push(Action::Close(t, reason));
            } else {
                c.slot = Slot::Restarting;
                starts.push_front(t);
            }
        }
        self.cycle = starts;
        actions.extend(self.next_start());
        actions
    }

    fn next_start(&mut self) -> Option<Action> {
        self.cycle
            .pop_front()
            .map(|k| Action::Start(k, Purpose::Restart))
    }

    // ---- start outcomes ----

    /// `key`'s start gave incarnation `pid`.
    pub(crate) fn started(
        &mut self,
        key: Key,
        pid: Pid,
        purpose: Purpose,
        now: Instant,
    ) -> Vec<Action> {
        if let Some(i) = self.index(key) {
            let c = &mut self.children[i];
            c.slot = Slot::Running(pid);
            c.started_at = Some(now);
            c.riding = None;
            if purpose == Purpose::Restart {
                c.restarts = c.restarts.saturating_add(1);
            }
        }
        match purpose {
            Purpose::Restart => self.next_start().into_iter().collect(),
            _ => Vec::new(),
        }
    }

    /// `key`'s restart must wait until the previous incarnation's run loop
    /// lets go of the address (it was killed inside a handler that has not
    /// yielded): the supervisor goes on serving meanwhile, and the rest of
    /// the cycle waits with it.
    pub(crate) fn deferred(&mut self, key: Key) -> Vec<Action> {
        if let Some(i) = self.index(key) {
            self.children[i].waiting = true;
        }
        self.ride_on(key);
        Vec::new()
    }

    /// The address of the restart that waited is free: start it, then the
    /// rest of its cycle.
    pub(crate) fn resume(&mut self, key: Key) -> Vec<Action> {
        let Some(i) = self.index(key) else {
            return Vec::new();
        };
        let c = &mut self.children[i];
        if !c.waiting || c.slot != Slot::Restarting {
            return Vec::new();
        }
        c.waiting = false;
        self.cycle = self
            .children
            .iter_mut()
            .filter(|c| c.riding == Some(key) && c.slot == Slot::Restarting)
            .map(|c| {
                c.riding = None;
                c.key
            })
            .collect();
        vec![Action::Start(key, Purpose::Restart)]
    }

    /// `key`'s start returned `Start::Ignore`: not running, spec kept (a
    /// temporary child's is dropped).
    pub(crate) fn ignored(&mut self, key: Key, purpose: Purpose) -> Vec<Action> {
        let Some(i) = self.index(key) else {
            return Vec::new();
        };
        self.set_stopped(i);
        let mut actions = vec![Action::Close(key, ExitReason::Normal)];
        if purpose == Purpose::Restart {
            actions.extend(self.next_start());
        }
        actions
    }

    /// `key`'s start failed with `reason`.
    ///
    /// A restart's failure is reported, the rest of the cycle stays
    /// unstarted, and the child is retried through the supervisor's mailbox
    /// (counted again, so a child that never starts exhausts the limit).
    /// A failed `start_child` drops the spec and a failed `restart_child`
    /// leaves it stopped, without a report (the caller gets the error);
    /// a failed start at init is the supervisor's own start failure.
    pub(crate) fn start_failed(
        &mut self,
        key: Key,
        reason: &ExitReason,
        purpose: Purpose,
        now: Instant,
    ) -> Vec<Action> {
        let Some(i) = self.index(key) else {
            return Vec::new();
        };
        let start_error = Action::Report(Report::StartError {
            child: self.children[i].spec.id.clone(),
            reason: reason.clone(),
        });
        let close = Action::Close(key, reason.clone());
        match purpose {
            Purpose::Add => {
                self.remove(key);
                vec![close]
            }
            Purpose::Manual => {
                self.children[i].slot = Slot::Stopped;
                vec![close]
            }
            // The supervisor's own start fails with it (OTP logs it).
            Purpose::Init => {
                self.children[i].slot = Slot::Stopped;
                vec![start_error, close]
            }
            Purpose::Restart => {
                self.ride_on(key);
                let c = &mut self.children[i];
                c.slot = Slot::Restarting;
                c.last_reason = Some(reason.clone());
                let mut actions = vec![start_error];
                if c.spec.restart_delay.is_some() {
                    // Counted now, as every restart is when decided.
                    if !self.count_restart(now) {
                        actions.extend(self.give_up(key, reason));
                        return actions;
                    }
                    actions.extend(self.delayed_restart(i, now));
                } else {
                    c.generation += 1;
                    actions.push(Action::Retry(key, c.generation));
                }
                actions
            }
        }
    }

    /// The supervisor's retry of `key`'s failed restart. Ignored if the
    /// child is no longer restarting or a newer decision superseded it.
    pub(crate) fn retry(&mut self, key: Key, generation: u64, now: Instant) -> Vec<Action> {
        match self.index(key) {
            Some(i)
                if self.children[i].slot == Slot::Restarting
                    && self.children[i].generation == generation =>
            {
                let reason = self.children[i]
                    .last_reason
                    .clone()
                    .unwrap_or(ExitReason::Normal);
                if !self.count_restart(now) {
                    return self.give_up(key, &reason);
                }
                self.cycle(key)
            }
            _ => Vec::new(),
        }
    }

    /// `key`'s restart delay elapsed (already counted when decided).
    pub(crate) fn delay_elapsed(&mut self, key: Key, generation: u64) -> Vec<Action> {
        match self.index(key) {
            Some(i)
                if self.children[i].slot == Slot::Restarting
                    && self.children[i].generation == generation =>
            {
                self.cycle(key)
            }
            _ => Vec::new(),
        }
    }

    // ---- auto_shutdown ----

    /// A child ended by itself and is not restarted: does the supervisor
    /// end (OTP_SEMANTICS.md §9)?
    fn auto_shutdown(&mut self, significant: bool, id: &Arc<str>) -> Vec<Action> {
        if !significant {
            return Vec::new();
        }
        let stop = match self.flags.auto_shutdown {
            AutoShutdown::Never => false,
            AutoShutdown::AnySignificant => true,
            AutoShutdown::AllSignificant => !self
                .children
                .iter()
                .any(|c| c.spec.significant && c.slot != Slot::Stopped),
        };
        if !stop {
            return Vec::new();
        }
        vec![
            Action::Report(Report::AutoShutdown { child: id.clone() }),
            Action::Exit(ExitReason::Shutdown),
        ]
    }

    // ---- management ----

    /// `start_child(spec)`: appended at the end of the start order.
    pub(crate) fn add(&mut self, spec: ChildSpec) -> Result<Vec<Action>, Refusal> {
        if self.flags.dynamic {
            if let Some(max) = self.flags.max_children {
                if self.children.len() >= max {
                    return Err(Refusal::MaxChildren);
                }
            }
        } else if let Some(c) = self.by_id(&spec.id) {
            return Err(match c.slot {
                Slot::Running(_) => Refusal::AlreadyStarted(c.key),
                _ => Refusal::AlreadyPresent,
            });
        }
        let key = self.push(spec);
        Ok(vec![Action::Start(key, Purpose::Add)])
    }

    /// `terminate_child`: stops it without a restart or an auto shutdown;
    /// a pending restart is cancelled. A temporary child's spec goes.
    pub(crate) fn terminate(&mut self, key: Key) -> Result<Vec<Action>, Refusal> {
        let i = self.index(key).ok_or(Refusal::NotFound)?;
        let mut actions = Vec::new();
        match self.children[i].slot {
            Slot::Running(_) => actions.push(Action::Terminate(key)),
            Slot::Restarting => {}
            Slot::Stopped => return Ok(actions),
        }
        self.set_stopped(i);
        actions.push(Action::Close(key, ExitReason::Shutdown));
        // Children waiting for this one's cancelled retry stop with it.
        let riders: Vec<Key> = self
            .children
            .iter()
            .filter(|c| c.riding == Some(key) && c.slot == Slot::Restarting)
            .map(|c| c.key)
            .collect();
        for k in riders {
            if let Some(j) = self.index(k) {
                self.children[j].riding = None;
                self.set_stopped(j);
                actions.push(Action::Close(k, ExitReason::Shutdown));
            }
        }
        Ok(actions)
    }

    /// `restart_child`: starts a stopped child again (not counted).
    pub(crate) fn restart(&mut self, key: Key) -> Result<Vec<Action>, Refusal> {
        self.stopped_static(key)?;
        Ok(vec![Action::Start(key, Purpose::Manual)])
    }

    /// `delete_child`: forgets a stopped child's spec.
    pub(crate) fn delete(&mut self, key: Key) -> Result<(), Refusal> {
        self.stopped_static(key)?;
        self.remove(key);
        Ok(())
    }

    /// OTP's refusals of `restart_child` and `delete_child`: only a
    /// stopped child of a static supervisor.
    fn stopped_static(&self, key: Key) -> Result<(), Refusal> {
        if self.flags.dynamic {
            return Err(Refusal::Dynamic);
        }
        let i = self.index(key).ok_or(Refusal::NotFound)?;
        match self.children[i].slot {
            Slot::Running(_) => Err(Refusal::Running),
            Slot::Restarting => Err(Refusal::Restarting),
            Slot::Stopped => Ok(()),
        }
    }

    /// A random number in `[0, 1)` (splitmix64).
    fn roll(&mut self) -> f64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Whether the reason a child ended with after its supervisor shut it down
/// is the expected one (OTP_SEMANTICS.md §8); `false` means a
/// `ShutdownError` report. `brutal`: the spec is `BrutalKill` (a kill after
/// a timeout is not, so its `Killed` is reported, §13.3).
pub(crate) fn shutdown_ok(restart: Restart, brutal: bool, reason: &ExitReason) -> bool {
    match reason {
        ExitReason::Killed => brutal,
        ExitReason::Shutdown if !brutal => true,
        r if r.is_normal() => restart != Restart::Permanent,
        _ => false,
    }
}

#[cfg(test)]
mod tests;
