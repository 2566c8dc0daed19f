//! Chaos: a three-level tree (top → 10 supervisors → 100 workers each)
//! under constant tell load while a seeded sequence kills random workers,
//! on a manual clock.
//!
//! - `kills_within_limits`: 10,000 kills; the clock moves 2 s after each,
//!   so no supervisor (3 restarts in 5 s) reaches its limit. Afterwards each
//!   supervisor's restarts match the kills aimed at its workers (from the
//!   seed, computed before the run), nothing gave up, every tell was
//!   accepted, and the live count is back where it was.
//! - `exhausted_limits_escalate`: chosen supervisors get 4 kills without
//!   the clock moving: each gives up (exits `Shutdown`), the top restarts
//!   it (permanent) and counts it; a third give-up inside the top's window
//!   (1 restart in 5 s) makes the top give up too, and the System's root
//!   after it: `terminated()` says `reached_max_restart_intensity`
//!   (OTP_SEMANTICS.md §6: failure climbs one level per exhausted budget).
//!
//! Deterministic: kills are sequential; `SupervisorRef::sync()` after a
//! kill returns once the supervisor has handled the exit (the kill
//! delivers it before returning) and restarted the worker. No sleeps.
#![cfg(not(keel_loom))]
// Tests are outside the loom build: std's atomics are fine here.
#![allow(clippy::disallowed_types)]
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use keel::prelude::*;
use keel::testing::ManualClock;
use keel::{ActorId, ChildState, SupervisorRef, SystemEvent};

const SUPERVISORS: usize = 10;
const WORKERS: usize = 100;
const KILLS: usize = 10_000;
const SEED: u64 = 0x0063_6861_6f73;

/// splitmix64: the test's only source of randomness.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Counts what it handles.
struct Worker {
    handled: Arc<AtomicU64>,
}

impl Actor for Worker {
    type Msg = u64;
    type Error = std::convert::Infallible;

    async fn handle(&mut self, _: u64, _: &mut Context<Self>) -> Result<(), Self::Error> {
        self.handled.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

struct Tree {
    top: SupervisorRef,
    mids: Vec<SupervisorRef>,
    workers: Vec<Vec<ActorRef<Worker>>>,
}

async fn build(system: &System, handled: &Arc<AtomicU64>, top_restarts: u32) -> Tree {
    let mut top = Supervisor::builder()
        .max_restarts(top_restarts)
        .within(Duration::from_secs(5));
    for m in 0..SUPERVISORS {
        let mut mid = Supervisor::builder()
            .max_restarts(3)
            .within(Duration::from_secs(5));
        for w in 0..WORKERS {
            let handled = handled.clone();
            mid = mid.child(ChildSpec::worker(format!("w{w}"), move || Worker {
                handled: handled.clone(),
            }));
        }
        top = top.child(ChildSpec::supervisor(
            format!("mid{m}"),
            mid.build().expect("a valid supervisor"),
        ));
    }
    let top = system
        .supervise(top.build().expect("a valid supervisor"))
        .await
        .expect("the tree starts");
    let mut mids = Vec::new();
    let mut workers = Vec::new();
    for child in top.which_children().await.expect("top runs") {
        let ChildState::Running(any) = child.state else {
            panic!("{} is not running", child.id)
        };
        let mid = SupervisorRef::from_any(&any).expect("a supervisor");
        let mut ws = Vec::new();
        for w in mid.which_children().await.expect("mid runs") {
            let ChildState::Running(any) = w.state else {
                panic!("{} is not running", w.id)
            };
            ws.push(any.downcast::<Worker>().expect("a Worker"));
        }
        mids.push(mid);
        workers.push(ws);
    }
    Tree { top, mids, workers }
}

/// Messages queued per worker, at most: the load keeps the workers busy
/// without burying the run queues under an ever-growing backlog.
const QUEUED: usize = 8;

/// Tells random workers until stopped, skipping a worker with [`QUEUED`]
/// messages waiting; returns how many tells were accepted and how many
/// refused (a worker whose supervisor gave up is gone for good: its
/// address is closed).
fn load(
    workers: Vec<ActorRef<Worker>>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<(u64, u64)> {
    std::thread::spawn(move || {
        let mut rng = Rng(SEED ^ 0x10ad);
        let (mut sent, mut refused) = (0, 0);
        while !stop.load(Ordering::Relaxed) {
            let w = &workers[rng.below(workers.len())];
            if w.any().mailbox_len() >= QUEUED {
                std::thread::yield_now();
                continue;
            }
            match w.tell(sent) {
                Ok(()) => sent += 1,
                Err(_) => refused += 1,
            }
        }
        (sent, refused)
    })
}

async fn guarded<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(120), f)
        .await
        .expect("the chaos run finishes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kills_within_limits() {
    guarded(async {
        let clock = ManualClock::new();
        let system = System::builder().workers(2).clock(&clock).build().unwrap();
        let handled = Arc::new(AtomicU64::new(0));
        let tree = build(&system, &handled, 3).await;
        let baseline = system.live_actors();
        let mut events = system.events();

        // The kill sequence, and what it should cost each supervisor.
        let mut rng = Rng(SEED);
        let kills: Vec<(usize, usize)> = (0..KILLS)
            .map(|_| (rng.below(SUPERVISORS), rng.below(WORKERS)))
            .collect();
        let mut expected: HashMap<ActorId, u64> = HashMap::new();
        for &(m, _) in &kills {
            *expected.entry(tree.mids[m].id()).or_default() += 1;
        }

        let stop = Arc::new(AtomicBool::new(false));
        let all: Vec<_> = tree.workers.iter().flatten().cloned().collect();
        let loader = load(all, stop.clone());
        for &(m, w) in &kills {
            tree.workers[m][w].kill();
            tree.mids[m].sync().await.expect("the supervisor runs");
            clock.advance(Duration::from_secs(2));
        }
        stop.store(true, Ordering::Relaxed);
        let (sent, refused) = loader.join().expect("the load thread ends");
        assert_eq!(
            refused, 0,
            "a tell to a restarting worker queues for its next incarnation"
        );
        tree.top.sync().await.expect("top runs");

        let mut restarted: HashMap<ActorId, u64> = HashMap::new();
        let mut terminated = 0;
        while let Some(e) = events.try_next() {
            match e {
                SystemEvent::ChildRestarted { supervisor, .. } => {
                    *restarted.entry(supervisor).or_default() += 1;
                }
                SystemEvent::ChildTerminated { reason, .. } => {
                    assert_eq!(reason, ExitReason::Killed);
                    terminated += 1;
                }
                SystemEvent::GaveUp { child, .. } => panic!("{child} tripped a limit"),
                SystemEvent::StartError { child, reason, .. } => {
                    panic!("{child} failed to restart: {reason}")
                }
                _ => {}
            }
        }
        assert_eq!(
            restarted, expected,
            "restarts per supervisor (seed {SEED:#x})"
        );
        assert_eq!(terminated, KILLS);
        assert_eq!(system.live_actors(), baseline, "no actor leaked");
        assert!(sent > 0 && handled.load(Ordering::Relaxed) > 0);
        system.shutdown().await;
        assert_eq!(system.live_actors(), 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exhausted_limits_escalate() {
    guarded(async {
        let clock = ManualClock::new();
        let system = System::builder().workers(2).clock(&clock).build().unwrap();
        let handled = Arc::new(AtomicU64::new(0));
        let tree = build(&system, &handled, 1).await;
        let mut events = system.events();
        let mut rng = Rng(SEED);
        // Three distinct supervisors, chosen by the seed.
        let mut chosen = Vec::new();
        while chosen.len() < 3 {
            let m = rng.below(SUPERVISORS);
            if !chosen.contains(&m) {
                chosen.push(m);
            }
        }

        let stop = Arc::new(AtomicBool::new(false));
        let all: Vec<_> = tree.workers.iter().flatten().cloned().collect();
        let loader = load(all, stop.clone());

        // Four kills in one window: the fourth restart exceeds 3 in 5 s.
        let exhaust = |m: usize, rng: &mut Rng| {
            let mid = tree.mids[m].clone();
            let victims: Vec<_> = (0..4)
                .map(|_| tree.workers[m][rng.below(WORKERS)].clone())
                .collect();
            async move {
                for (i, w) in victims.iter().enumerate() {
                    w.kill();
                    if i < 3 {
                        mid.sync().await.expect("the supervisor runs");
                    }
                }
            }
        };

        // First give-up: the top restarts the supervisor (1 of its 1).
        exhaust(chosen[0], &mut rng).await;
        let gave_up = events
            .next_matching(|e| matches!(e, SystemEvent::GaveUp { .. }))
            .await
            .expect("a give-up");
        assert!(
            matches!(&gave_up, SystemEvent::GaveUp { supervisor, reason, .. }
                if *supervisor == tree.mids[chosen[0]].id() && *reason == ExitReason::Killed),
            "{gave_up:?}"
        );
        let restarted = events
            .next_matching(|e| matches!(e, SystemEvent::ChildRestarted { supervisor, .. } if *supervisor == tree.top.id()))
            .await
            .expect("the top restarts it");
        assert!(matches!(&restarted, SystemEvent::ChildRestarted { child, .. } if **child == *format!("mid{}", chosen[0])));

        // Outside the top's window: a second give-up is restarted too.
        clock.advance(Duration::from_secs(6));
        exhaust(chosen[1], &mut rng).await;
        let restarted = events
            .next_matching(|e| matches!(e, SystemEvent::ChildRestarted { supervisor, .. } if *supervisor == tree.top.id()))
            .await
            .expect("the top restarts it");
        assert!(matches!(&restarted, SystemEvent::ChildRestarted { child, .. } if **child == *format!("mid{}", chosen[1])));

        // Inside it: the top gives up as well, and the root after it.
        exhaust(chosen[2], &mut rng).await;
        let top_gave_up = events
            .next_matching(|e| matches!(e, SystemEvent::GaveUp { supervisor, .. } if *supervisor == tree.top.id()))
            .await
            .expect("the top gives up");
        assert!(matches!(&top_gave_up, SystemEvent::GaveUp { child, reason, .. }
            if **child == *format!("mid{}", chosen[2]) && *reason == ExitReason::Shutdown));
        assert_eq!(
            system.terminated().await,
            ExitReason::shutdown_with("reached_max_restart_intensity")
        );
        stop.store(true, Ordering::Relaxed);
        loader.join().expect("the load thread ends");
        assert_eq!(system.live_actors(), 0);
    })
    .await;
}
