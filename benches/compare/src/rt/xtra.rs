//! xtra, written as its README and examples teach: `#[derive(xtra::Actor)]`,
//! an async `Handler` per message, actors spawned with `xtra::spawn_tokio`
//! on a multi-thread tokio runtime with a worker per core. A tell is
//! `send(..).detach().await`, which resolves once the message is queued (as
//! in xtra's `crude_bench` and `backpressure` examples), its `Receiver` for
//! the reply dropped; an ask is `send(..).await`.
use std::sync::Arc;
// A std atomic: see harness.rs.

use xtra::prelude::*;

use crate::harness::{self, Done, Report, Workload};

/// How xtra runs each workload, where a reader needs to know.
pub(super) const NOTES: &[(&str, &str)] = &[
    ("tell", TELLS),
    ("fan_in", TELLS),
    (
        "ask",
        "the reply's oneshot (catty) wakes the caller under a spin lock: asks from main's \
         thread spin on it, at times for ms",
    ),
    ("scale_1", TELLS),
    ("scale_2", TELLS),
    ("scale_4", TELLS),
    ("scale_8", TELLS),
    ("scale_16", TELLS),
    ("scale_1_bounded", TELLS),
    ("scale_2_bounded", TELLS),
    ("scale_4_bounded", TELLS),
    ("scale_8_bounded", TELLS),
    ("scale_16_bounded", TELLS),
];

/// How the counted tells go.
const TELLS: &str = "a tell is send().priority(1).detach().await (resolves once queued, waits \
     for room if bounded); xtra 0.6.0 reorders equal priorities, so the final ask goes at 0";

pub(super) fn run(workload: Workload) -> Result<Report, String> {
    let rt = harness::tokio_runtime();
    let report = match workload {
        Workload::Tell => rt.block_on(tell()),
        Workload::FanIn => rt.block_on(fan_in()),
        Workload::Ask => rt.block_on(ask()),
        Workload::AskActor => rt.block_on(ask_actor()),
        Workload::SpawnStop => rt.block_on(spawn_stop()),
        Workload::Ring => rt.block_on(ring()),
        Workload::Restart => return Err("no supervision in xtra 0.6".into()),
        Workload::IdleMem => idle_mem(&rt),
        Workload::IdleCpu => {
            let _idle = rt.block_on(async {
                let idle = xtra::spawn_tokio(Counter::default(), Mailbox::unbounded());
                idle.send(Get).await.expect("the idle actor answers");
                idle
            });
            harness::idle_cpu_window()
        }
        Workload::Scale { pairs, bounded } => rt.block_on(scale(pairs, bounded)),
        Workload::Skynet => rt.block_on(harness::timed_async(async {
            let root = xtra::spawn_tokio(Sky, Mailbox::unbounded());
            root.send(Sum {
                num: 0,
                size: 10u64.pow(harness::SKYNET_LEVELS),
            })
            .await
            .expect("the root answers")
        })),
    };
    Ok(report)
}

/// The priority of the counted tells. xtra 0.6.0 queues a mailbox's
/// messages in one `BinaryHeap` by priority, which does not keep the send
/// order among equal priorities (its docs say the default-priority
/// mailbox does): the final ask, at the default priority 0, would overtake
/// queued tells. Above it, every queued tell is handled before the ask.
const TELL_PRIORITY: u32 = 1;

/// The counter every throughput workload sends to.
#[derive(xtra::Actor, Default)]
struct Counter {
    n: u64,
}

/// Adds one.
struct Inc;
/// Answers the count.
struct Get;
/// Adds one and answers the count.
struct IncGet;

impl Handler<Inc> for Counter {
    type Return = ();

    async fn handle(&mut self, _: Inc, _ctx: &mut Context<Self>) {
        self.n += 1;
    }
}

impl Handler<Get> for Counter {
    type Return = u64;

    async fn handle(&mut self, _: Get, _ctx: &mut Context<Self>) -> u64 {
        self.n
    }
}

impl Handler<IncGet> for Counter {
    type Return = u64;

    async fn handle(&mut self, _: IncGet, _ctx: &mut Context<Self>) -> u64 {
        self.n += 1;
        self.n
    }
}

/// A producer: an actor on the runtime's workers.
#[derive(xtra::Actor)]
struct Producer;

/// Tell `n` increments to `to` (each waits for room in a bounded mailbox);
/// answers `n` when done.
struct Produce {
    to: Address<Counter>,
    n: u64,
}

/// `n` sequential asks to `to`; answers the last reply.
struct AskN {
    to: Address<Counter>,
    n: u64,
}

impl Handler<Produce> for Producer {
    type Return = u64;

    async fn handle(&mut self, Produce { to, n }: Produce, _ctx: &mut Context<Self>) -> u64 {
        for _ in 0..n {
            drop(
                to.send(Inc)
                    .priority(TELL_PRIORITY)
                    .detach()
                    .await
                    .expect("the counter runs"),
            );
        }
        n
    }
}

impl Handler<AskN> for Producer {
    type Return = u64;

    async fn handle(&mut self, AskN { to, n }: AskN, _ctx: &mut Context<Self>) -> u64 {
        let mut last = 0;
        for _ in 0..n {
            last = to.send(IncGet).await.expect("the counter answers");
        }
        last
    }
}

async fn tell() -> Report {
    let counter = xtra::spawn_tokio(Counter::default(), Mailbox::unbounded());
    harness::timed_async(async {
        for _ in 0..harness::TELL_N {
            drop(
                counter
                    .send(Inc)
                    .priority(TELL_PRIORITY)
                    .detach()
                    .await
                    .expect("the counter runs"),
            );
        }
        counter.send(Get).await.expect("the counter answers")
    })
    .await
}

async fn fan_in() -> Report {
    let counter = xtra::spawn_tokio(Counter::default(), Mailbox::unbounded());
    let producers = [
        xtra::spawn_tokio(Producer, Mailbox::unbounded()),
        xtra::spawn_tokio(Producer, Mailbox::unbounded()),
    ];
    harness::timed_async(async {
        // Queue both requests before awaiting either, so both producers
        // start at once.
        let mut done = Vec::new();
        for p in &producers {
            let produce = Produce {
                to: counter.clone(),
                n: harness::FAN_IN_EACH,
            };
            done.push(p.send(produce).detach().await.expect("a producer runs"));
        }
        for d in done {
            d.await.expect("a producer finishes");
        }
        counter.send(Get).await.expect("the counter answers")
    })
    .await
}

async fn ask() -> Report {
    let counter = xtra::spawn_tokio(Counter::default(), Mailbox::unbounded());
    harness::timed_async(async {
        let mut last = 0;
        for _ in 0..harness::ASK_N {
            last = counter.send(IncGet).await.expect("the counter answers");
        }
        last
    })
    .await
}

async fn ask_actor() -> Report {
    let counter = xtra::spawn_tokio(Counter::default(), Mailbox::unbounded());
    let caller = xtra::spawn_tokio(Producer, Mailbox::unbounded());
    harness::timed_async(async {
        caller
            .send(AskN {
                to: counter.clone(),
                n: harness::ASK_N,
            })
            .await
            .expect("the caller answers")
    })
    .await
}

/// Handles one message and stops.
#[derive(xtra::Actor)]
struct OneShot;

/// Counts itself in `Done`, then the actor stops.
struct Go(Arc<Done>);

impl Handler<Go> for OneShot {
    type Return = ();

    async fn handle(&mut self, Go(done): Go, ctx: &mut Context<Self>) {
        done.one();
        ctx.stop_self();
    }
}

async fn spawn_stop() -> Report {
    let done = Done::new(harness::SPAWN_STOP_N);
    harness::timed_async(async {
        for _ in 0..harness::SPAWN_STOP_N {
            let a = xtra::spawn_tokio(OneShot, Mailbox::unbounded());
            drop(
                a.send(Go(done.clone()))
                    .detach()
                    .await
                    .expect("a fresh actor runs"),
            );
        }
        done.wait().await
    })
    .await
}

/// A ring node: passes the token on until it has made every hop.
#[derive(xtra::Actor, Default)]
struct Node {
    next: Option<Address<Node>>,
    done: Option<Arc<Done>>,
}

/// Links a node to the next one.
struct Link(Address<Node>, Arc<Done>);
/// The token, with the hops left to make.
struct Token(u64);

impl Handler<Link> for Node {
    type Return = ();

    async fn handle(&mut self, Link(next, done): Link, _ctx: &mut Context<Self>) {
        self.next = Some(next);
        self.done = Some(done);
    }
}

impl Handler<Token> for Node {
    type Return = ();

    async fn handle(&mut self, Token(hops_left): Token, _ctx: &mut Context<Self>) {
        if let Some(done) = &self.done {
            done.one();
        }
        if hops_left > 1 {
            if let Some(next) = &self.next {
                drop(
                    next.send(Token(hops_left - 1))
                        .detach()
                        .await
                        .expect("the ring runs"),
                );
            }
        }
    }
}

async fn ring() -> Report {
    let done = Done::new(harness::RING_HOPS);
    let nodes: Vec<_> = (0..harness::RING_ACTORS)
        .map(|_| xtra::spawn_tokio(Node::default(), Mailbox::unbounded()))
        .collect();
    for (i, node) in nodes.iter().enumerate() {
        let next = nodes[(i + 1) % nodes.len()].clone();
        node.send(Link(next, done.clone()))
            .await
            .expect("the node runs");
    }
    harness::timed_async(async {
        drop(
            nodes[0]
                .send(Token(harness::RING_HOPS))
                .detach()
                .await
                .expect("the ring runs"),
        );
        done.wait().await
    })
    .await
}

/// An idle actor with `u64` state.
#[derive(xtra::Actor, Default)]
struct Idle {
    n: u64,
}

/// Answers the state.
struct Peek;

impl Handler<Peek> for Idle {
    type Return = u64;

    async fn handle(&mut self, _: Peek, _ctx: &mut Context<Self>) -> u64 {
        self.n
    }
}

fn idle_mem(rt: &tokio::runtime::Runtime) -> Report {
    let mut addrs = Vec::with_capacity(harness::IDLE_N as usize);
    harness::idle_mem(|| {
        rt.block_on(async {
            for _ in 0..harness::IDLE_N {
                let a = xtra::spawn_tokio(Idle::default(), Mailbox::unbounded());
                // An answered ask: the actor has started and is idle.
                a.send(Peek).await.expect("the actor answers");
                addrs.push(a);
            }
        });
        let n = addrs.len() as u64;
        (addrs, n)
    })
}

async fn scale(pairs: u64, bounded: bool) -> Report {
    let producers: Vec<_> = (0..pairs)
        .map(|_| xtra::spawn_tokio(Producer, Mailbox::unbounded()))
        .collect();
    let counters: Vec<_> = (0..pairs)
        .map(|_| {
            let mailbox = if bounded {
                Mailbox::bounded(harness::SCALE_BOUND)
            } else {
                Mailbox::unbounded()
            };
            xtra::spawn_tokio(Counter::default(), mailbox)
        })
        .collect();
    harness::timed_async(async {
        let mut done = Vec::new();
        for (p, c) in producers.iter().zip(&counters) {
            let produce = Produce {
                to: c.clone(),
                n: harness::SCALE_EACH,
            };
            done.push(p.send(produce).detach().await.expect("a producer runs"));
        }
        for d in done {
            d.await.expect("a producer finishes");
        }
        let mut sum = 0;
        for c in &counters {
            sum += c.send(Get).await.expect("a counter answers");
        }
        sum
    })
    .await
}

/// A skynet node: spawns 10 children and sums their answers; a leaf
/// answers its number. Each node stops once it has answered.
#[derive(xtra::Actor)]
struct Sky;

/// The subtree at `num` of `size` leaves.
struct Sum {
    num: u64,
    size: u64,
}

impl Handler<Sum> for Sky {
    type Return = u64;

    async fn handle(&mut self, Sum { num, size }: Sum, ctx: &mut Context<Self>) -> u64 {
        ctx.stop_self();
        if size == 1 {
            return num;
        }
        let step = size / 10;
        let mut asks = Vec::with_capacity(10);
        for i in 0..10 {
            let child = xtra::spawn_tokio(Sky, Mailbox::unbounded());
            let sum = Sum {
                num: num + i * step,
                size: step,
            };
            asks.push(child.send(sum).detach().await.expect("a child runs"));
        }
        let mut total = 0;
        for a in asks {
            total += a.await.expect("a child answers");
        }
        total
    }
}

// The bounded mailbox's bound is the harness's.
const _: () = assert!(harness::SCALE_BOUND == 1000);
