//! keel, written as its guide teaches: derived actors, generated methods,
//! a `Supervisor` for `restart`.
use std::sync::Arc;
// A std atomic: see harness.rs.
use std::time::Duration;

use keel::prelude::*;
use keel::AskFuture;

use crate::harness::{self, Done, Report, Workload};

/// How keel runs each workload, where a reader needs to know.
pub(super) const NOTES: &[(&str, &str)] = &[(
    "restart",
    "a one_for_one Supervisor restarts the child on the same address",
)];

pub(super) fn run(workload: Workload) -> Result<Report, String> {
    // keel runs actors on its own workers, one per core; the tokio runtime
    // here only drives `main`'s futures (the producer, in `tell`).
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let system = rt.block_on(async {
        System::builder()
            .workers(harness::cores())
            .ask_timeout(Duration::from_secs(3600))
            .build()
            .expect("a System")
    });
    let report = match workload {
        Workload::Tell => tell(&rt, &system),
        Workload::FanIn => fan_in(&rt, &system),
        Workload::Ask => ask(&rt, &system),
        Workload::AskActor => ask_actor(&rt, &system),
        Workload::SpawnStop => spawn_stop(&rt, &system),
        Workload::Ring => ring(&rt, &system),
        Workload::Restart => restart(&rt, &system),
        Workload::IdleMem => idle_mem(&rt, &system),
        Workload::IdleCpu => {
            let _idle = rt.block_on(system.spawn_ready(Counter::default()));
            harness::idle_cpu_window()
        }
        Workload::Scale { pairs, bounded } => scale(&rt, &system, pairs, bounded),
        Workload::Skynet => skynet(&rt, &system),
    };
    rt.block_on(system.shutdown());
    Ok(report)
}

/// The counter every throughput workload sends to.
#[derive(Actor, Default)]
struct Counter {
    n: u64,
}

#[keel::messages]
impl Counter {
    #[message]
    fn inc(&mut self) {
        self.n += 1;
    }

    #[message]
    fn get(&self) -> u64 {
        self.n
    }

    #[message]
    fn inc_get(&mut self) -> u64 {
        self.n += 1;
        self.n
    }
}

/// The same counter with a bounded mailbox (`harness::SCALE_BOUND`).
#[derive(Actor, Default)]
#[actor(bounded = 1000)]
struct BoundedCounter {
    n: u64,
}

#[keel::messages]
impl BoundedCounter {
    #[message]
    fn inc(&mut self) {
        self.n += 1;
    }

    #[message]
    fn get(&self) -> u64 {
        self.n
    }
}

/// A producer: an actor on keel's workers that tells `n` increments.
#[derive(Actor, Default)]
struct Producer;

#[keel::messages]
impl Producer {
    /// An ask (it returns), so the caller knows when it is done.
    #[message]
    fn produce(&mut self, to: ActorRef<Counter>, n: u64) -> u64 {
        for _ in 0..n {
            to.inc().expect("the counter runs");
        }
        n
    }

    /// Waits for room in a bounded mailbox (`send().await`).
    #[message]
    async fn produce_bounded(&mut self, to: ActorRef<BoundedCounter>, n: u64) -> u64 {
        for _ in 0..n {
            to.send(BoundedCounterMsg::Inc)
                .await
                .expect("the counter runs");
        }
        n
    }

    /// `n` sequential asks from an actor.
    #[message]
    async fn ask_n(&mut self, to: ActorRef<Counter>, n: u64) -> u64 {
        let mut last = 0;
        for _ in 0..n {
            last = to.inc_get().await.expect("the counter answers");
        }
        last
    }
}

fn tell(rt: &tokio::runtime::Runtime, system: &System) -> Report {
    let counter = system.spawn(Counter::default());
    harness::timed(|| {
        rt.block_on(async {
            for _ in 0..harness::TELL_N {
                counter.inc().expect("the counter runs");
            }
            counter.get().await.expect("the counter answers")
        })
    })
}

fn fan_in(rt: &tokio::runtime::Runtime, system: &System) -> Report {
    let counter = system.spawn(Counter::default());
    let producers = [system.spawn(Producer), system.spawn(Producer)];
    harness::timed(|| {
        rt.block_on(async {
            // An ask is queued when made: both producers start at once.
            let done: Vec<_> = producers
                .iter()
                .map(|p| p.produce(counter.clone(), harness::FAN_IN_EACH))
                .collect();
            for d in done {
                d.await.expect("a producer finishes");
            }
            counter.get().await.expect("the counter answers")
        })
    })
}

fn ask(rt: &tokio::runtime::Runtime, system: &System) -> Report {
    let counter = system.spawn(Counter::default());
    harness::timed(|| {
        rt.block_on(async {
            let mut last = 0;
            for _ in 0..harness::ASK_N {
                last = counter.inc_get().await.expect("the counter answers");
            }
            last
        })
    })
}

fn ask_actor(rt: &tokio::runtime::Runtime, system: &System) -> Report {
    let counter = system.spawn(Counter::default());
    let caller = system.spawn(Producer);
    harness::timed(|| {
        rt.block_on(async {
            caller
                .ask_n(counter.clone(), harness::ASK_N)
                .await
                .expect("the caller answers")
        })
    })
}

/// Handles one message and stops.
#[derive(Actor)]
struct OneShot;

#[keel::messages]
impl OneShot {
    #[message]
    fn go(&mut self, done: Arc<Done>, ctx: &mut Context<Self>) {
        done.one();
        ctx.stop();
    }
}

fn spawn_stop(rt: &tokio::runtime::Runtime, system: &System) -> Report {
    let done = Done::new(harness::SPAWN_STOP_N);
    harness::timed(|| {
        rt.block_on(async {
            for _ in 0..harness::SPAWN_STOP_N {
                let a = system.spawn(OneShot);
                a.go(done.clone()).expect("a fresh actor runs");
            }
            done.wait().await
        })
    })
}

/// A ring node: passes the token on until it has made every hop.
#[derive(Actor, Default)]
struct Node {
    next: Option<ActorRef<Node>>,
    done: Option<Arc<Done>>,
}

#[keel::messages]
impl Node {
    #[message]
    fn link(&mut self, next: ActorRef<Node>, done: Arc<Done>) {
        self.next = Some(next);
        self.done = Some(done);
    }

    #[message]
    fn token(&mut self, hops_left: u64) {
        if let Some(done) = &self.done {
            done.one();
        }
        if hops_left > 1 {
            if let Some(next) = &self.next {
                next.token(hops_left - 1).expect("the ring runs");
            }
        }
    }
}

fn ring(rt: &tokio::runtime::Runtime, system: &System) -> Report {
    let done = Done::new(harness::RING_HOPS);
    let nodes: Vec<_> = (0..harness::RING_ACTORS)
        .map(|_| system.spawn(Node::default()))
        .collect();
    for (i, node) in nodes.iter().enumerate() {
        let next = nodes[(i + 1) % nodes.len()].clone();
        node.link(next, done.clone()).expect("the node runs");
    }
    harness::timed(|| {
        rt.block_on(async {
            nodes[0].token(harness::RING_HOPS).expect("the ring runs");
            done.wait().await
        })
    })
}

/// Panics on `crash`, answers `ping`.
#[derive(Actor)]
struct Crashy;

#[keel::messages]
impl Crashy {
    #[message]
    fn crash(&mut self) {
        panic!("crash on purpose");
    }

    #[message]
    fn ping(&self) -> u64 {
        1
    }
}

fn restart(rt: &tokio::runtime::Runtime, system: &System) -> Report {
    let sup = Supervisor::builder()
        .max_restarts(u32::MAX)
        .within(Duration::from_millis(1))
        .child(ChildSpec::worker("crashy", || Crashy))
        .build()
        .expect("a valid supervisor");
    let crashy = rt.block_on(async {
        let sup = system.supervise(sup).await.expect("the tree starts");
        let children = sup.which_children().await.expect("the supervisor runs");
        match &children[0].state {
            keel::ChildState::Running(r) => r.downcast::<Crashy>().expect("a Crashy"),
            other => panic!("the child is not running: {other:?}"),
        }
    });
    harness::timed(|| {
        rt.block_on(async {
            let mut answered = 0;
            for _ in 0..harness::RESTART_N {
                // The address survives the restart: the ask queued behind
                // the crash is answered by the next incarnation.
                crashy.crash().expect("the child's address stays open");
                answered += crashy.ping().await.expect("the restarted child answers");
            }
            answered
        })
    })
}

/// An idle actor with `u64` state.
#[derive(Actor, Default)]
struct Idle {
    n: u64,
}

#[keel::messages]
impl Idle {
    #[message]
    fn get(&self) -> u64 {
        self.n
    }
}

fn idle_mem(rt: &tokio::runtime::Runtime, system: &System) -> Report {
    let mut refs = Vec::with_capacity(harness::IDLE_N as usize);
    harness::idle_mem(|| {
        rt.block_on(async {
            for _ in 0..harness::IDLE_N {
                // `spawn_ready`: each has run `started` before the next.
                refs.push(system.spawn_ready(Idle::default()).await.expect("starts"));
            }
        });
        let n = refs.len() as u64;
        (refs, n)
    })
}

fn scale(rt: &tokio::runtime::Runtime, system: &System, pairs: u64, bounded: bool) -> Report {
    let producers: Vec<_> = (0..pairs).map(|_| system.spawn(Producer)).collect();
    if bounded {
        let counters: Vec<_> = (0..pairs)
            .map(|_| system.spawn(BoundedCounter::default()))
            .collect();
        harness::timed(|| {
            rt.block_on(pairs_done(
                producers
                    .iter()
                    .zip(&counters)
                    .map(|(p, c)| p.produce_bounded(c.clone(), harness::SCALE_EACH))
                    .collect(),
                || counters.iter().map(|c| c.get()).collect(),
            ))
        })
    } else {
        let counters: Vec<_> = (0..pairs)
            .map(|_| system.spawn(Counter::default()))
            .collect();
        harness::timed(|| {
            rt.block_on(pairs_done(
                producers
                    .iter()
                    .zip(&counters)
                    .map(|(p, c)| p.produce(c.clone(), harness::SCALE_EACH))
                    .collect(),
                || counters.iter().map(|c| c.get()).collect(),
            ))
        })
    }
}

/// Waits for every producer, then asks the counters (an ask is queued
/// when made, so only now) and sums what they say.
async fn pairs_done(
    done: Vec<AskFuture<u64>>,
    counts: impl FnOnce() -> Vec<AskFuture<u64>>,
) -> u64 {
    for d in done {
        d.await.expect("a producer finishes");
    }
    let mut sum = 0;
    for c in counts() {
        sum += c.await.expect("a counter answers");
    }
    sum
}

/// A skynet node: spawns 10 children and sums their answers; a leaf
/// answers its number. Each node stops once it has answered.
#[derive(Actor)]
struct Sky;

#[keel::messages]
impl Sky {
    #[message]
    async fn sum(&mut self, num: u64, size: u64, ctx: &mut Context<Self>) -> u64 {
        ctx.stop();
        if size == 1 {
            return num;
        }
        let step = size / 10;
        let asks: Vec<_> = (0..10)
            .map(|i| ctx.spawn(Sky).sum(num + i * step, step))
            .collect();
        let mut total = 0;
        for a in asks {
            total += a.await.expect("a child answers");
        }
        total
    }
}

fn skynet(rt: &tokio::runtime::Runtime, system: &System) -> Report {
    harness::timed(|| {
        rt.block_on(async {
            let root = system.spawn(Sky);
            root.sum(0, 10u64.pow(harness::SKYNET_LEVELS))
                .await
                .expect("the root answers")
        })
    })
}

// The bounded counter's bound is the harness's.
const _: () = assert!(harness::SCALE_BOUND == 1000);
