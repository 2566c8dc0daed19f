//! Fault injection for tests: chosen actors panic, stall, lose messages or
//! fail to start, on a seeded schedule that repeats exactly.
//!
//! [`Faults`] is a list of [`FaultRule`]s installed on a System with
//! `System::builder().faults(..)`. Every run loop asks it before `started`
//! and before each user message. A rule's decision for an actor's `n`-th
//! message is a pure function of the seed, the rule, the actor's address id
//! and `n`, so it does not depend on how the workers interleave: the same
//! program with the same seed gets the same faults (as long as its actors
//! are started in the same order, which fixes their ids). `at_most` is the
//! exception: it counts over every actor a rule matches, so with several
//! of them, which ones get the faults depends on the order their calls
//! come in.
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::actor::{ActorId, ExitReason, Interceptor, MessageAction, StartAction};
use crate::supervisor::server::SupervisorActor;
use crate::sync::Mutex;

/// What a [`FaultRule`] does.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Fault {
    /// The handler panics in place of handling the message (which is
    /// dropped): the actor ends with `Panic("injected panic")`, and its
    /// supervisor decides as for any panic.
    Panic,
    /// The actor stalls this long (on the System's clock) before handling
    /// the message; its queue waits meanwhile. A long stall looks like a
    /// hung dependency; a short one, like a slow one.
    Delay(Duration),
    /// The message is dropped unhandled: a dead letter with reason
    /// `Dropped`, as a lossy link would lose it. An ask's caller learns at
    /// once (`AskError::NoReply`: its `ReplyTo` was dropped), where a lossy
    /// network would leave it to its timeout.
    Drop,
    /// The start fails with this reason (`started` does not run).
    FailStart(ExitReason),
    /// The start panics in place of `started`.
    PanicAtStart,
}

/// Which actors a [`FaultRule`] applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// Every actor of the program's own; keel's supervisors are spared
    /// (target one by its address to hit it).
    Any,
    /// Actors of one type (`std::any::type_name`, as
    /// [`FaultRule::on`] sets it).
    Type(&'static str),
    /// One address (every incarnation of it).
    Actor(ActorId),
}

/// One kind of fault, where it applies, and how often.
///
/// A rule fires on a matching message (or start) when all of its
/// conditions hold: it comes after the actor's first `after` (default 0),
/// it is the `every`-th (default: each one), the seeded draw falls under
/// `chance` (default 1), and the rule has fired fewer than `at_most` times
/// (default: no limit).
#[derive(Debug, Clone)]
pub struct FaultRule {
    fault: Fault,
    target: Target,
    chance: f64,
    every: u64,
    after: u64,
    at_most: Option<u64>,
}

/// A set of [`FaultRule`]s with a seed, and a count of what each injected.
/// Cheap to clone: clones share the counts, so a test keeps one to read
/// them after handing one to the System. (`rule` makes a new set: clone
/// after the last rule.)
#[derive(Clone)]
pub struct Faults {
    inner: Arc<Inner>,
}

struct Inner {
    seed: u64,
    rules: Vec<FaultRule>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Per rule: matching calls seen, per actor.
    seen: Vec<crate::core::ids::IdMap<u64>>,
    /// Per rule: times fired.
    fired: Vec<u64>,
}

impl FaultRule {
    /// A rule injecting `fault` into every actor, every time.
    pub fn new(fault: Fault) -> FaultRule {
        FaultRule {
            fault,
            target: Target::Any,
            chance: 1.0,
            every: 1,
            after: 0,
            at_most: None,
        }
    }

    /// Handlers panic ([`Fault::Panic`]).
    pub fn panic() -> FaultRule {
        FaultRule::new(Fault::Panic)
    }

    /// The actor stalls for `d` before handling ([`Fault::Delay`]).
    pub fn delay(d: Duration) -> FaultRule {
        FaultRule::new(Fault::Delay(d))
    }

    /// Messages are lost ([`Fault::Drop`]).
    pub fn drop_message() -> FaultRule {
        FaultRule::new(Fault::Drop)
    }

    /// Starts fail with an `Error` reason that prints as `error: injected
    /// start failure` ([`Fault::FailStart`]): an abnormal exit, as a real
    /// failure to start is.
    pub fn fail_start() -> FaultRule {
        FaultRule::new(Fault::FailStart(ExitReason::error(InjectedFault(
            "injected start failure",
        ))))
    }

    /// Only actors of type `A`.
    pub fn on<A: 'static>(mut self) -> FaultRule {
        self.target = Target::Type(std::any::type_name::<A>());
        self
    }

    /// Only this address (all its incarnations).
    pub fn on_actor(mut self, id: ActorId) -> FaultRule {
        self.target = Target::Actor(id);
        self
    }

    /// Fires with this probability (clamped to 0..=1), drawn from the
    /// seed: deterministic, not random per run.
    pub fn chance(mut self, p: f64) -> FaultRule {
        self.chance = if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
        self
    }

    /// Only on every `n`-th matching message (or start) of each actor: the
    /// `n`-th, `2n`-th, ..., counted after those `after` spares (0 is
    /// taken as 1).
    pub fn every(mut self, n: u64) -> FaultRule {
        self.every = n.max(1);
        self
    }

    /// Spares each actor's first `n` matching messages (or starts): with
    /// `fail_start`, `after(1)` lets the first start through and fails the
    /// restarts, a dependency that went down after it came up.
    pub fn after(mut self, n: u64) -> FaultRule {
        self.after = n;
        self
    }

    /// Fires at most `n` times in all, over every actor it matches (see the
    /// module's note on determinism).
    pub fn at_most(mut self, n: u64) -> FaultRule {
        self.at_most = Some(n);
        self
    }

    /// The fault it injects.
    pub fn fault(&self) -> &Fault {
        &self.fault
    }

    /// Which actors it applies to.
    pub fn target(&self) -> &Target {
        &self.target
    }

    fn at_start(&self) -> bool {
        matches!(self.fault, Fault::FailStart(_) | Fault::PanicAtStart)
    }

    fn matches(&self, actor: ActorId, type_name: &str) -> bool {
        match &self.target {
            Target::Any => type_name != std::any::type_name::<SupervisorActor>(),
            Target::Type(t) => *t == type_name,
            Target::Actor(id) => *id == actor,
        }
    }
}

impl Faults {
    /// No rules yet; `seed` fixes every `chance` draw.
    pub fn seeded(seed: u64) -> Faults {
        Faults::build(seed, Vec::new())
    }

    /// Adds a rule. Rules are asked in the order added; the first that
    /// fires decides, and every matching rule counts the message.
    pub fn rule(self, rule: FaultRule) -> Faults {
        let mut rules = self.inner.rules.clone();
        rules.push(rule);
        Faults::build(self.inner.seed, rules)
    }

    /// How many times each rule fired so far, in the order added.
    pub fn injected(&self) -> Vec<u64> {
        self.inner.state.lock().fired.clone()
    }

    /// How many faults were injected so far, all rules together.
    pub fn total(&self) -> u64 {
        self.inner.state.lock().fired.iter().sum()
    }

    /// The rules, in the order added.
    pub fn rules(&self) -> &[FaultRule] {
        &self.inner.rules
    }

    /// The hook a System runs them through.
    pub(crate) fn interceptor(&self) -> Arc<dyn Interceptor> {
        Arc::new(self.clone())
    }

    fn build(seed: u64, rules: Vec<FaultRule>) -> Faults {
        let n = rules.len();
        Faults {
            inner: Arc::new(Inner {
                seed,
                rules,
                state: Mutex::new(State {
                    seen: (0..n).map(|_| Default::default()).collect(),
                    fired: vec![0; n],
                }),
            }),
        }
    }

    /// The first rule of this phase (start or message) that fires for
    /// `actor`, after counting the call for every matching rule.
    fn decide(&self, actor: ActorId, type_name: &str, at_start: bool) -> Option<&Fault> {
        let inner = &*self.inner;
        let mut state = inner.state.lock();
        let mut chosen = None;
        for (i, rule) in inner.rules.iter().enumerate() {
            if rule.at_start() != at_start || !rule.matches(actor, type_name) {
                continue;
            }
            let seen = state.seen[i].entry(actor.0).or_insert(0);
            *seen += 1;
            let n = *seen;
            if chosen.is_some()
                || n <= rule.after
                || !(n - rule.after).is_multiple_of(rule.every)
                || rule.at_most.is_some_and(|max| state.fired[i] >= max)
                || draw(inner.seed, i as u64, actor.0, n) >= rule.chance
            {
                continue;
            }
            state.fired[i] += 1;
            chosen = Some(&rule.fault);
        }
        chosen
    }
}

impl Interceptor for Faults {
    fn on_start(&self, actor: ActorId, type_name: &'static str) -> StartAction {
        match self.decide(actor, type_name, true) {
            Some(Fault::FailStart(reason)) => StartAction::Fail(reason.clone()),
            Some(Fault::PanicAtStart) => StartAction::Panic,
            _ => StartAction::Continue,
        }
    }

    fn on_message(&self, actor: ActorId, type_name: &'static str) -> MessageAction {
        match self.decide(actor, type_name, false) {
            Some(Fault::Panic) => MessageAction::Panic,
            Some(Fault::Delay(d)) => MessageAction::Delay(*d),
            Some(Fault::Drop) => MessageAction::Drop,
            _ => MessageAction::Deliver,
        }
    }
}

impl fmt::Debug for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Faults")
            .field("seed", &self.inner.seed)
            .field("rules", &self.inner.rules)
            .field("injected", &self.injected())
            .finish()
    }
}

/// The error of an injected failure.
#[derive(Debug)]
struct InjectedFault(&'static str);

impl fmt::Display for InjectedFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for InjectedFault {}

/// A uniform draw in `[0, 1)` from the seed, the rule, the actor and the
/// call's number (splitmix64's finalizer over their mix).
fn draw(seed: u64, rule: u64, actor: u64, n: u64) -> f64 {
    let mut x = seed
        ^ rule.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ actor.wrapping_mul(0xbf58_476d_1ce4_e5b9)
        ^ n.wrapping_mul(0x94d0_49bb_1331_11eb);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_uniform_enough_and_repeat() {
        let n = 10_000;
        let under = (0..n).filter(|&i| draw(7, 0, 3, i) < 0.25).count();
        assert!((2_200..2_800).contains(&under), "{under} of {n} under 0.25");
        assert_eq!(draw(7, 1, 2, 3), draw(7, 1, 2, 3));
        assert_ne!(draw(7, 1, 2, 3), draw(8, 1, 2, 3));
    }
}
