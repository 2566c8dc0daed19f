//! Router pools (`keel::patterns::Pool`): round robin, least loaded and
//! key-hash routing; failover past a restarting worker with its queue kept;
//! resizing up and down without losing queued work. Restart delays run on a
//! manual clock; mailboxes are held with `suspend` to fix the loads; every
//! wait is for a reply, an event or an armed timer, bounded.
#![cfg(not(keel_loom))]
// A flag the test and an actor share.
#![allow(clippy::disallowed_types)]

mod common;
use common::{bounded, until};

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use keel::patterns::{Pool, PoolError, Routing};
use keel::prelude::*;
use keel::testing::{quiet_panics, resume, suspend, ManualClock};
use keel::{Backoff, Status, SystemEvent};

#[derive(Actor, Default)]
struct Worker {
    jobs: u64,
}

#[keel::messages]
impl Worker {
    #[message]
    fn job(&mut self) {
        self.jobs += 1;
    }

    #[message]
    fn crash(&mut self) {
        panic!("worker crashed");
    }

    #[message]
    fn jobs(&self) -> u64 {
        self.jobs
    }
}

fn system(clock: &ManualClock) -> System {
    System::builder().workers(2).clock(clock).build().unwrap()
}

async fn jobs(pool: &Pool<Worker>) -> Vec<u64> {
    let mut out = Vec::new();
    for w in pool.workers() {
        out.push(bounded("jobs", w.jobs()).await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_robin_spreads_evenly_and_skips_a_restarting_worker() {
    quiet_panics();
    let clock = ManualClock::new();
    let system = system(&clock);
    let mut events = system.events();
    let pool = Pool::builder(3, Worker::default).restart_delay(Backoff::exponential(
        Duration::from_secs(1),
        Duration::from_secs(1),
    ));
    let pool = bounded("start_pool", system.start_pool(pool))
        .await
        .unwrap();
    assert_eq!(pool.size(), 3);
    for _ in 0..30 {
        pool.tell(WorkerMsg::Job).unwrap();
    }
    assert_eq!(jobs(&pool).await, [10, 10, 10]);

    // Worker 1 crashes with three jobs queued behind the crash: it waits
    // 1 s (manual clock) to restart, and routing skips it meanwhile.
    let w1 = pool.workers()[1].clone();
    suspend(&w1);
    w1.crash().unwrap();
    for _ in 0..3 {
        w1.job().unwrap();
    }
    resume(&w1);
    until("worker 1 restarting", || w1.status() == Status::Restarting).await;
    for _ in 0..10 {
        pool.tell(WorkerMsg::Job).unwrap();
    }
    assert_eq!(
        w1.any().mailbox_len(),
        3,
        "nothing routed to a restarting worker"
    );
    let w0 = pool.workers()[0].jobs().await.unwrap();
    let w2 = pool.workers()[2].jobs().await.unwrap();
    assert_eq!(w0 + w2, 30, "the 10 went to the others");

    until("the restart delay's timer", || clock.pending_timers() >= 1).await;
    clock.advance(Duration::from_secs(1));
    bounded(
        "the restart",
        events.next_matching(|e| matches!(e, SystemEvent::ChildRestarted { .. })),
    )
    .await
    .unwrap();
    // The queue survived the crash: the new incarnation handled the three.
    assert_eq!(bounded("jobs", w1.jobs()).await.unwrap(), 3);
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn least_loaded_picks_the_shortest_mailbox() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let pool = Pool::builder(3, Worker::default).routing(Routing::LeastLoaded);
    let pool = bounded("start_pool", system.start_pool(pool))
        .await
        .unwrap();
    let w = pool.workers();
    for x in &w {
        suspend(x);
    }
    w[0].job().unwrap();
    w[0].job().unwrap();
    w[1].job().unwrap();
    let mut picked = Vec::new();
    for _ in 0..5 {
        let p = pool.pick();
        picked.push(w.iter().position(|x| *x == p).unwrap());
        p.job().unwrap();
    }
    // Loads (2, 1, 0) -> w2; (2, 1, 1) -> w1; (2, 2, 1) -> w2; (2, 2, 2) ->
    // w0; (3, 2, 2) -> w1.
    assert_eq!(picked, [2, 1, 2, 0, 1]);
    for x in &w {
        resume(x);
    }
    assert_eq!(jobs(&pool).await, [3, 3, 2]);
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_keeps_its_worker_and_a_resize_moves_few_keys() {
    quiet_panics();
    let clock = ManualClock::new();
    let system = system(&clock);
    let pool = Pool::builder(3, Worker::default).restart_delay(Backoff::exponential(
        Duration::from_secs(1),
        Duration::from_secs(1),
    ));
    let pool = bounded("start_pool", system.start_pool(pool))
        .await
        .unwrap();
    let keys: Vec<String> = (0..300).map(|i| format!("customer-{i}")).collect();
    let before: Vec<_> = keys
        .iter()
        .map(|k| pool.pick_for(k.as_str()).id())
        .collect();
    let again: Vec<_> = keys
        .iter()
        .map(|k| pool.pick_for(k.as_str()).id())
        .collect();
    assert_eq!(before, again, "the same key, the same worker");
    let used: HashSet<_> = before.iter().collect();
    assert_eq!(used.len(), 3, "every worker gets keys");
    for w in pool.workers() {
        let share = before.iter().filter(|id| **id == w.id()).count();
        assert!(
            (50..150).contains(&share),
            "{share} of 300 keys on one worker"
        );
    }

    bounded("resize", pool.resize(4)).await.unwrap();
    assert_eq!(pool.size(), 4);
    let after: Vec<_> = keys
        .iter()
        .map(|k| pool.pick_for(k.as_str()).id())
        .collect();
    let moved = before.iter().zip(&after).filter(|(a, b)| a != b).count();
    assert!(
        moved > 0 && moved < 150,
        "{moved} of 300 keys moved to the new worker"
    );
    let new = pool.workers()[3].id();
    assert!(
        before.iter().zip(&after).all(|(a, b)| a == b || *b == new),
        "a key moves only to the new worker"
    );

    // While a key's worker restarts, the key stays with it: its messages
    // wait there, in order (pick, without a key, goes elsewhere).
    let key = keys[0].as_str();
    let home = pool.pick_for(key);
    home.crash().unwrap();
    until("restarting", || home.status() == Status::Restarting).await;
    assert_eq!(pool.pick_for(key).id(), home.id(), "affinity kept");
    for _ in 0..5 {
        assert_ne!(pool.pick().id(), home.id(), "pick skips it");
    }
    system.shutdown().await;
}

/// The same worker with a bounded mailbox.
#[derive(Actor, Default)]
#[actor(bounded = 4)]
struct Small {
    jobs: u64,
}

#[keel::messages]
impl Small {
    #[message]
    fn job(&mut self) {
        self.jobs += 1;
    }
}

/// A full bounded mailbox does not make the stop overtake the queue: the
/// shrink waits for room, and no queued job becomes a dead letter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shrinking_waits_for_room_in_a_full_bounded_mailbox() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let pool = bounded(
        "start_pool",
        system.start_pool(Pool::builder(2, Small::default)),
    )
    .await
    .unwrap();
    let leaving = pool.workers()[1].clone();
    suspend(&leaving);
    for _ in 0..4 {
        leaving.job().unwrap();
    }
    assert!(leaving.job().is_err(), "full");
    let resizing = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.resize(1).await })
    };
    until("the table shrank", || pool.size() == 1).await;
    resume(&leaving);
    bounded("resize", resizing).await.unwrap().unwrap();
    assert_eq!(
        system.dead_letters(),
        0,
        "the four queued jobs were handled"
    );
    system.shutdown().await;
}

/// A worker whose start fails while the test says so.
struct Fragile {
    fail: Arc<AtomicBool>,
}

impl Actor for Fragile {
    type Msg = ();
    type Error = std::io::Error;

    async fn started(&mut self, _ctx: &mut Context<Self>) -> Result<Start, std::io::Error> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(std::io::Error::other("no connection"));
        }
        Ok(Start::Ready)
    }

    async fn handle(&mut self, _msg: (), _ctx: &mut Context<Self>) -> Result<(), std::io::Error> {
        Ok(())
    }
}

/// A grow whose start fails keeps the workers it started, and the next
/// grow goes on from there, with no orphan in the supervisor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grow_that_fails_part_way_keeps_what_it_started() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let fail = Arc::new(AtomicBool::new(false));
    let f = fail.clone();
    let pool = Pool::builder(2, move || Fragile { fail: f.clone() });
    let pool = bounded("start_pool", system.start_pool(pool))
        .await
        .unwrap();
    bounded("resize", pool.resize(3)).await.unwrap();
    fail.store(true, Ordering::SeqCst);
    let grown = bounded("resize", pool.resize(5)).await;
    assert!(matches!(grown, Err(PoolError::Supervisor(_))), "{grown:?}");
    assert_eq!(
        pool.size(),
        3,
        "the workers started before the failure stay"
    );
    fail.store(false, Ordering::SeqCst);
    bounded("resize", pool.resize(5)).await.unwrap();
    assert_eq!(pool.size(), 5);
    let ids: HashSet<_> = pool.workers().iter().map(|w| w.id()).collect();
    assert_eq!(ids.len(), 5);
    let counts = bounded("counts", pool.supervisor().count_children())
        .await
        .unwrap();
    assert_eq!((counts.specs, counts.active), (5, 5), "no orphan");
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shrinking_lets_the_leaving_workers_finish_their_queues() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let mut events = system.events();
    let pool = bounded(
        "start_pool",
        system.start_pool(Pool::builder(4, Worker::default)),
    )
    .await
    .unwrap();
    let w = pool.workers();
    // Workers 2 and 3 hold 5 jobs each when the pool shrinks to 2.
    for x in &w[2..] {
        suspend(x);
        for _ in 0..5 {
            x.job().unwrap();
        }
    }
    let resizing = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.resize(2).await })
    };
    until("the table shrank", || pool.size() == 2).await;
    assert!(matches!(
        bounded("a second resize", pool.resize(3)).await,
        Err(PoolError::Resizing)
    ));
    for x in &w[2..] {
        resume(x);
    }
    bounded("resize", resizing).await.unwrap().unwrap();
    assert_eq!(system.dead_letters(), 0, "every queued job was handled");
    let counts = bounded("counts", pool.supervisor().count_children())
        .await
        .unwrap();
    assert_eq!((counts.specs, counts.active), (2, 2));
    // They stopped normally: no restart.
    let restarts = std::iter::from_fn(|| events.try_next())
        .filter(|e| matches!(e, SystemEvent::ChildRestarted { .. }))
        .count();
    assert_eq!(restarts, 0);
    assert!(matches!(
        bounded("resize to 0", pool.resize(0)).await,
        Err(PoolError::Empty)
    ));
    system.shutdown().await;
}
