//! Fault injection (`keel::patterns::Faults`) and the chaos monkey
//! (`ChaosMonkey`): each fault kind shows up as it would had the actor done
//! it, the schedule repeats exactly for a seed, and the monkey kills a
//! bounded number of workers that their supervisors heal. Time is a manual
//! clock; every wait is for an event, a reply or an armed timer, bounded.
#![cfg(not(keel_loom))]
// Test programs share plain std atomics with their actors.
#![allow(clippy::disallowed_types)]

mod common;
use common::{bounded, poll_once, until};

use std::sync::{Arc, Mutex};
use std::time::Duration;

use keel::patterns::{ChaosMonkey, FaultRule, Faults};
use keel::prelude::*;
use keel::testing::{quiet_panics, ManualClock};
use keel::{Backoff, ChildState, DeadLetterReason, StartError, SupervisorRef, SystemEvent};

/// Records the numbers of the jobs it handled, in a list that outlives
/// its incarnations.
#[derive(Actor, Clone)]
struct Worker {
    log: Arc<Mutex<Vec<u64>>>,
}

#[keel::messages]
impl Worker {
    #[message]
    fn job(&mut self, n: u64) {
        self.log.lock().unwrap().push(n);
    }

    #[message]
    fn ping(&self) -> u64 {
        7
    }
}

fn worker() -> (Worker, Arc<Mutex<Vec<u64>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    (Worker { log: log.clone() }, log)
}

/// `sup`'s first child, running.
async fn first_child(sup: &SupervisorRef) -> AnyRef {
    match bounded("which", sup.which_children()).await.unwrap()[0]
        .state
        .clone()
    {
        ChildState::Running(r) => r,
        other => panic!("not running: {other:?}"),
    }
}

fn system(clock: &ManualClock, faults: &Faults) -> System {
    System::builder()
        .workers(2)
        .clock(clock)
        .faults(faults.clone())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_third_job_panics_twice_and_the_supervisor_heals_it() {
    quiet_panics();
    let clock = ManualClock::new();
    let faults = Faults::seeded(1).rule(FaultRule::panic().on::<Worker>().every(3).at_most(2));
    let system = system(&clock, &faults);
    let mut events = system.events();
    let (proto, log) = worker();
    let sup = Supervisor::builder()
        .max_restarts(10)
        .child(ChildSpec::worker("w", move || proto.clone()))
        .build()
        .unwrap();
    let sup = bounded("supervise", system.supervise(sup)).await.unwrap();
    let w = first_child(&sup).await.downcast::<Worker>().unwrap();
    for n in 1..=10 {
        w.job(n).unwrap();
    }
    for _ in 0..2 {
        let e = bounded(
            "a restart",
            events.next_matching(|e| matches!(e, SystemEvent::ChildRestarted { .. })),
        )
        .await
        .unwrap();
        assert!(matches!(e, SystemEvent::ChildRestarted { child, .. } if &*child == "w"));
    }
    assert_eq!(bounded("ping", w.ping()).await.unwrap(), 7);
    // The 3rd and 6th jobs panicked (dropped with the panic); the queue
    // survived both restarts.
    assert_eq!(*log.lock().unwrap(), [1, 2, 4, 5, 7, 8, 9, 10]);
    assert_eq!(faults.injected(), [2]);
    let snap = bounded("snapshot", system.snapshot()).await.unwrap();
    let node = snap.find(&["tree-1", "w"]).unwrap();
    assert_eq!(node.restarts, 2);
    assert_eq!(
        node.last_exit,
        Some(ExitReason::Panic("injected panic".into()))
    );
    system.shutdown().await;
}

/// Two Systems with the same seed lose the same messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seed_drops_the_same_messages_every_time() {
    async fn run(seed: u64) -> (Vec<u64>, Vec<u64>, u64) {
        let clock = ManualClock::new();
        let faults =
            Faults::seeded(seed).rule(FaultRule::drop_message().on::<Worker>().chance(0.3));
        let system = system(&clock, &faults);
        let mut events = system.events();
        let (w, log) = worker();
        let w = system.spawn(w);
        for n in 1..=200 {
            w.job(n).unwrap();
        }
        // Every job is handled or a `Dropped` dead letter: wait until
        // the books balance.
        let mut dropped = 0;
        while log.lock().unwrap().len() as u64 + dropped < 200 {
            match bounded("a dead letter", events.next()).await {
                Some(SystemEvent::DeadLetter {
                    reason: DeadLetterReason::Dropped,
                    ..
                }) => dropped += 1,
                Some(_) => {}
                None => panic!("events ended"),
            }
        }
        let handled = log.lock().unwrap().clone();
        system.shutdown().await;
        (handled, faults.injected(), dropped)
    }
    let (a, injected, dropped) = run(42).await;
    assert_eq!(injected, [dropped]);
    assert_eq!(a.len() as u64 + dropped, 200);
    assert!(
        (30..90).contains(&dropped),
        "{dropped} of 200 at chance 0.3"
    );
    assert!(a.windows(2).all(|w| w[0] < w[1]), "order kept");
    let (b, _, _) = run(42).await;
    assert_eq!(a, b, "the same seed drops the same jobs");
    let (c, _, _) = run(43).await;
    assert_ne!(a, c, "another seed, other jobs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delay_stalls_the_actor_on_the_clock_and_a_start_can_fail() {
    let clock = ManualClock::new();
    let faults = Faults::seeded(1)
        .rule(FaultRule::fail_start().on::<Worker>().at_most(1))
        .rule(
            // Shorter than the ping's ask timeout (5 s, on the same clock).
            FaultRule::delay(Duration::from_secs(2))
                .on::<Worker>()
                .at_most(1),
        );
    let system = system(&clock, &faults);

    let (w, log) = worker();
    let refused = bounded("spawn_ready", system.spawn_ready(w.clone())).await;
    match refused.unwrap_err() {
        StartError::Failed(reason) => {
            assert_eq!(reason.to_string(), "error: injected start failure");
            assert!(reason.is_abnormal(), "a failure, not a clean exit");
        }
        other => panic!("{other:?}"),
    }
    let w = bounded("spawn_ready", system.spawn_ready(w)).await.unwrap();
    assert_eq!(faults.injected(), [1, 0]);

    w.job(1).unwrap();
    until("the stall's timer", || clock.pending_timers() == 1).await;
    // The job waits on the stall's timer, and the ping behind it.
    let mut ping = std::pin::pin!(w.ping());
    assert!(poll_once(&mut ping).await.is_pending());
    assert!(log.lock().unwrap().is_empty());
    clock.advance(Duration::from_secs(2));
    assert_eq!(bounded("ping", ping).await.unwrap(), 7);
    assert_eq!(*log.lock().unwrap(), [1]);
    assert_eq!(faults.injected(), [1, 1]);
    system.shutdown().await;
}

/// The monkey's rounds, one kill each, healed one by one; the same seed
/// picks the same victims.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chaos_monkey_kills_a_bounded_number_of_workers_that_are_healed() {
    async fn run(seed: u64) -> Vec<Vec<String>> {
        let clock = ManualClock::new();
        let system = System::builder().workers(2).clock(&clock).build().unwrap();
        let mut events = system.events();
        let (proto, _) = worker();
        let pool = Supervisor::builder()
            .max_restarts(100)
            .children((1..=3).map(|i| {
                let proto = proto.clone();
                ChildSpec::worker(format!("w{i}"), move || proto.clone())
            }))
            .build()
            .unwrap();
        let top = Supervisor::builder()
            .max_restarts(100)
            .child(ChildSpec::worker("cache", move || proto.clone()))
            .child(ChildSpec::supervisor("pool", pool))
            .build()
            .unwrap();
        let top: SupervisorRef = bounded("supervise", system.supervise(top)).await.unwrap();
        let monkey = ChaosMonkey::seeded(seed)
            .every(Duration::from_secs(1))
            .rounds(6);
        let (t, c) = (top.clone(), system.clock().clone());
        let running = tokio::spawn(async move { monkey.run(&t, &c).await });
        for round in 0..6 {
            until("the monkey's sleep", || clock.pending_timers() == 1).await;
            clock.advance(Duration::from_secs(1));
            bounded(
                "a restart",
                events.next_matching(|e| matches!(e, SystemEvent::ChildRestarted { .. })),
            )
            .await
            .unwrap_or_else(|| panic!("round {round}: the System ended"));
        }
        let report = bounded("the monkey", running).await.unwrap();
        assert_eq!((report.kills.len(), report.missed), (6, 0));
        assert!(!report.tree_gone);
        let snap = bounded("capture", keel::patterns::TreeSnapshot::capture(&top))
            .await
            .unwrap();
        let restarts: u32 = snap.nodes().iter().map(|n| n.restarts).sum();
        assert_eq!(restarts, 6, "every kill healed:\n{snap}");
        assert!(
            snap.nodes().iter().all(|n| n.is_running()),
            "all running again:\n{snap}"
        );
        let pool = snap.find(&["pool"]).unwrap();
        assert_eq!(pool.restarts, 0, "workers only: the pool itself was spared");
        system.shutdown().await;
        report
            .kills
            .iter()
            .map(|k| k.path.iter().map(|p| p.to_string()).collect())
            .collect()
    }
    let a = run(5).await;
    for path in &a {
        let p: Vec<&str> = path.iter().map(|s| s.as_str()).collect();
        assert!(
            matches!(p.as_slice(), ["cache"] | ["pool", "w1" | "w2" | "w3"]),
            "{p:?}"
        );
    }
    assert_eq!(a, run(5).await, "the same seed kills the same workers");
}

/// Restart backoff heals a flapping dependency: a worker whose restarts
/// fail three times is retried after 1, 2, then 4 s (on the manual clock),
/// and the fourth try brings it back, without its supervisor giving up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_backoff_heals_a_flapping_dependency() {
    let clock = ManualClock::new();
    let faults = Faults::seeded(1).rule(FaultRule::fail_start().on::<Worker>().after(1).at_most(3));
    let system = system(&clock, &faults);
    let mut events = system.events();
    let (proto, _) = worker();
    let sup = Supervisor::builder()
        .max_restarts(5)
        .within(Duration::from_secs(60))
        .child(
            ChildSpec::worker("db", move || proto.clone())
                .restart_delay(Backoff::exponential(SEC, 8 * SEC)),
        )
        .build()
        .unwrap();
    let sup = bounded("supervise", system.supervise(sup)).await.unwrap();
    let db = first_child(&sup).await;
    db.kill();
    let mut waited = Vec::new();
    for delay in [1, 2, 4, 8] {
        // Each restart waits its delay on the clock: one timer, then the
        // test moves time by exactly that much.
        until("the restart delay", || clock.pending_timers() == 1).await;
        waited.push(delay);
        clock.advance(delay * SEC);
        let e = bounded(
            "a start error or the restart",
            events.next_matching(|e| {
                matches!(
                    e,
                    SystemEvent::StartError { .. } | SystemEvent::ChildRestarted { .. }
                )
            }),
        )
        .await
        .unwrap();
        match e {
            SystemEvent::StartError { reason, .. } => {
                assert_eq!(reason.to_string(), "error: injected start failure");
            }
            SystemEvent::ChildRestarted { child, .. } => {
                assert_eq!(&*child, "db");
                break;
            }
            _ => unreachable!(),
        }
    }
    assert_eq!(waited, [1, 2, 4, 8], "three failed starts, then back");
    assert_eq!(faults.injected(), [3]);
    assert_eq!(db.status(), keel::Status::Running);
    let snap = bounded("snapshot", system.snapshot()).await.unwrap();
    let sup = snap.find(&["tree-1"]).unwrap().supervisor.unwrap();
    assert!(sup.restart_budget() > 0, "it never gave up: {sup:?}");
    system.shutdown().await;
}

const SEC: Duration = Duration::from_secs(1);

/// A rule with no target hits the program's actors, not keel's own
/// supervisors: the tree still starts, and the worker loses its message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untargeted_rule_spares_keels_supervisors() {
    let clock = ManualClock::new();
    let faults = Faults::seeded(1)
        .rule(FaultRule::drop_message().at_most(1))
        .rule(FaultRule::fail_start().after(1));
    let system = system(&clock, &faults);
    let mut events = system.events();
    let (proto, log) = worker();
    let sup = Supervisor::builder()
        .child(ChildSpec::worker("w", move || proto.clone()))
        .build()
        .unwrap();
    let sup = bounded("supervise", system.supervise(sup)).await.unwrap();
    let w = first_child(&sup).await.downcast::<Worker>().unwrap();
    w.job(1).unwrap();
    w.job(2).unwrap();
    bounded(
        "the dead letter",
        events.next_matching(|e| matches!(e, SystemEvent::DeadLetter { .. })),
    )
    .await
    .unwrap();
    assert_eq!(bounded("ping", w.ping()).await.unwrap(), 7);
    assert_eq!(
        *log.lock().unwrap(),
        [2],
        "the worker's first message was dropped"
    );
    assert_eq!(faults.injected(), [1, 0]);
    assert!(bounded("snapshot", system.snapshot()).await.is_ok());
    system.shutdown().await;
}
