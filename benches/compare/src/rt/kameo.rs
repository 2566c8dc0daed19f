//! kameo, written as its README and docs teach: `#[derive(Actor)]`, a
//! struct per message with `impl Message<M>`, `tell(..).await` and
//! `ask(..).await`, `Spawn::spawn` (or `spawn_with_mailbox` where the
//! workload needs an unbounded or a sized mailbox), and `supervise` with a
//! restart policy for `restart`.
use std::sync::Arc;
// A std atomic: see harness.rs.
use std::time::Duration;

use kameo::actor::{ActorRef, Spawn};
use kameo::error::SendError;
use kameo::mailbox;
use kameo::message::{Context, Message};
use kameo::Actor;
use tokio::runtime::Runtime;

use crate::harness::{self, Done, Report, Workload};

/// How kameo runs each workload, where a reader needs to know.
pub(super) const NOTES: &[(&str, &str)] = &[
    (
        "tell",
        "counter on mailbox::unbounded() (kameo's default spawn is bounded(64)); tell(msg).await",
    ),
    (
        "fan_in",
        "counter on mailbox::unbounded(); producers are actors, their asks enqueued (ask().enqueue()) then awaited",
    ),
    ("ask", "ask(msg).await; actors on the default spawn (bounded(64))"),
    (
        "spawn_stop",
        "Spawn::spawn, then tell(..).await; the handler calls ctx.stop()",
    ),
    (
        "restart",
        "Crashy::supervise(&sup, ..) (Permanent policy, OneForOne, restart_limit(u32::MAX, 1 ms)): the supervisor reruns the child's factory on the same mailbox, so the ActorRef survives; an ask bounced with ActorRestarting is retried",
    ),
    (
        "idle_mem",
        "Spawn::spawn (default bounded(64) mailbox), then wait_for_startup() each",
    ),
    (
        "skynet",
        "children via Spawn::spawn (unlinked); the 10 asks enqueued (ask().enqueue()), then awaited",
    ),
];

pub(super) fn run(workload: Workload) -> Result<Report, String> {
    let rt = harness::tokio_runtime();
    let report = match workload {
        Workload::Tell => tell(&rt),
        Workload::FanIn => fan_in(&rt),
        Workload::Ask => ask(&rt),
        Workload::AskActor => ask_actor(&rt),
        Workload::SpawnStop => spawn_stop(&rt),
        Workload::Ring => ring(&rt),
        Workload::Restart => restart(&rt),
        Workload::IdleMem => idle_mem(&rt),
        Workload::IdleCpu => {
            let _idle = rt.block_on(async {
                let idle = Counter::spawn(Counter::default());
                idle.wait_for_startup().await;
                idle
            });
            harness::idle_cpu_window()
        }
        Workload::Scale { pairs, bounded } => scale(&rt, pairs, bounded),
        Workload::Skynet => skynet(&rt),
    };
    Ok(report)
}

/// The counter every throughput workload sends to.
#[derive(Actor, Default)]
struct Counter {
    n: u64,
}

/// Adds one.
struct Inc;

/// Answers the count.
struct Get;

/// Adds one and answers the count.
struct IncGet;

impl Message<Inc> for Counter {
    type Reply = ();

    async fn handle(&mut self, _: Inc, _ctx: &mut Context<Self, Self::Reply>) -> Self::Reply {
        self.n += 1;
    }
}

impl Message<Get> for Counter {
    type Reply = u64;

    async fn handle(&mut self, _: Get, _ctx: &mut Context<Self, Self::Reply>) -> Self::Reply {
        self.n
    }
}

impl Message<IncGet> for Counter {
    type Reply = u64;

    async fn handle(&mut self, _: IncGet, _ctx: &mut Context<Self, Self::Reply>) -> Self::Reply {
        self.n += 1;
        self.n
    }
}

/// A producer: an actor that tells a counter `n` increments, or asks it
/// `n` times in a row.
#[derive(Actor)]
struct Producer;

/// Tells `to` `n` increments; waits for room if its mailbox is bounded.
struct Produce {
    to: ActorRef<Counter>,
    n: u64,
}

/// `n` sequential asks.
struct AskN {
    to: ActorRef<Counter>,
    n: u64,
}

impl Message<Produce> for Producer {
    type Reply = u64;

    async fn handle(&mut self, msg: Produce, _ctx: &mut Context<Self, Self::Reply>) -> u64 {
        for _ in 0..msg.n {
            msg.to.tell(Inc).await.expect("the counter runs");
        }
        msg.n
    }
}

impl Message<AskN> for Producer {
    type Reply = u64;

    async fn handle(&mut self, msg: AskN, _ctx: &mut Context<Self, Self::Reply>) -> u64 {
        let mut last = 0;
        for _ in 0..msg.n {
            last = msg.to.ask(IncGet).await.expect("the counter answers");
        }
        last
    }
}

fn tell(rt: &Runtime) -> Report {
    rt.block_on(async {
        let counter = Counter::spawn_with_mailbox(Counter::default(), mailbox::unbounded());
        harness::timed_async(async {
            for _ in 0..harness::TELL_N {
                counter.tell(Inc).await.expect("the counter runs");
            }
            counter.ask(Get).await.expect("the counter answers")
        })
        .await
    })
}

fn fan_in(rt: &Runtime) -> Report {
    rt.block_on(async {
        let counter = Counter::spawn_with_mailbox(Counter::default(), mailbox::unbounded());
        let producers = [Producer::spawn(Producer), Producer::spawn(Producer)];
        harness::timed_async(async {
            let mut done = Vec::with_capacity(producers.len());
            for p in &producers {
                let job = Produce {
                    to: counter.clone(),
                    n: harness::FAN_IN_EACH,
                };
                done.push(p.ask(job).enqueue().await.expect("the producer runs"));
            }
            for d in done {
                d.await.expect("a producer finishes");
            }
            counter.ask(Get).await.expect("the counter answers")
        })
        .await
    })
}

fn ask(rt: &Runtime) -> Report {
    rt.block_on(async {
        let counter = Counter::spawn(Counter::default());
        harness::timed_async(async {
            let mut last = 0;
            for _ in 0..harness::ASK_N {
                last = counter.ask(IncGet).await.expect("the counter answers");
            }
            last
        })
        .await
    })
}

fn ask_actor(rt: &Runtime) -> Report {
    rt.block_on(async {
        let counter = Counter::spawn(Counter::default());
        let caller = Producer::spawn(Producer);
        harness::timed_async(async {
            let job = AskN {
                to: counter.clone(),
                n: harness::ASK_N,
            };
            caller.ask(job).await.expect("the caller answers")
        })
        .await
    })
}

/// Handles one message and stops.
#[derive(Actor)]
struct OneShot;

/// The one message.
struct Go(Arc<Done>);

impl Message<Go> for OneShot {
    type Reply = ();

    async fn handle(&mut self, Go(done): Go, ctx: &mut Context<Self, Self::Reply>) {
        done.one();
        ctx.stop();
    }
}

fn spawn_stop(rt: &Runtime) -> Report {
    rt.block_on(async {
        let done = Done::new(harness::SPAWN_STOP_N);
        harness::timed_async(async {
            for _ in 0..harness::SPAWN_STOP_N {
                let a = OneShot::spawn(OneShot);
                a.tell(Go(done.clone())).await.expect("a fresh actor runs");
            }
            done.wait().await
        })
        .await
    })
}

/// A ring node: passes the token on until it has made every hop.
#[derive(Actor, Default)]
struct Node {
    next: Option<ActorRef<Node>>,
    done: Option<Arc<Done>>,
}

/// Sets the next node.
struct Link {
    next: ActorRef<Node>,
    done: Arc<Done>,
}

/// The token, with the hops it has left.
struct Token(u64);

impl Message<Link> for Node {
    type Reply = ();

    async fn handle(&mut self, msg: Link, _ctx: &mut Context<Self, Self::Reply>) {
        self.next = Some(msg.next);
        self.done = Some(msg.done);
    }
}

impl Message<Token> for Node {
    type Reply = ();

    async fn handle(&mut self, Token(hops_left): Token, _ctx: &mut Context<Self, Self::Reply>) {
        if let Some(done) = &self.done {
            done.one();
        }
        if hops_left > 1 {
            if let Some(next) = &self.next {
                next.tell(Token(hops_left - 1))
                    .await
                    .expect("the ring runs");
            }
        }
    }
}

fn ring(rt: &Runtime) -> Report {
    rt.block_on(async {
        let done = Done::new(harness::RING_HOPS);
        let nodes: Vec<_> = (0..harness::RING_ACTORS)
            .map(|_| Node::spawn(Node::default()))
            .collect();
        for (i, node) in nodes.iter().enumerate() {
            let next = nodes[(i + 1) % nodes.len()].clone();
            node.tell(Link {
                next,
                done: done.clone(),
            })
            .await
            .expect("the node runs");
        }
        harness::timed_async(async {
            nodes[0]
                .tell(Token(harness::RING_HOPS))
                .await
                .expect("the ring runs");
            done.wait().await
        })
        .await
    })
}

/// Panics on `Crash`, answers `Ping`.
#[derive(Actor, Clone)]
struct Crashy;

/// Panics.
struct Crash;

/// Answers 1.
struct Ping;

impl Message<Crash> for Crashy {
    type Reply = ();

    async fn handle(&mut self, _: Crash, _ctx: &mut Context<Self, Self::Reply>) {
        panic!("crash on purpose");
    }
}

impl Message<Ping> for Crashy {
    type Reply = u64;

    async fn handle(&mut self, _: Ping, _ctx: &mut Context<Self, Self::Reply>) -> u64 {
        1
    }
}

/// The supervisor (kameo's default strategy, one for one).
#[derive(Actor)]
struct Sup;

fn restart(rt: &Runtime) -> Report {
    rt.block_on(async {
        let sup = Sup::spawn(Sup);
        let crashy = Crashy::supervise(&sup, Crashy)
            .restart_limit(u32::MAX, Duration::from_millis(1))
            .spawn()
            .await;
        crashy.wait_for_startup().await;
        harness::timed_async(async {
            let mut answered = 0;
            for _ in 0..harness::RESTART_N {
                // The address survives the restart: the ask queued behind
                // the crash is answered by the next incarnation (or bounced
                // with ActorRestarting, which kameo documents as safe to
                // retry).
                crashy
                    .tell(Crash)
                    .await
                    .expect("the child's mailbox stays open");
                answered += loop {
                    match crashy.ask(Ping).await {
                        Ok(n) => break n,
                        Err(SendError::ActorRestarting(_)) => continue,
                        Err(e) => panic!("the restarted child does not answer: {e:?}"),
                    }
                };
            }
            answered
        })
        .await
    })
}

/// An idle actor with `u64` state.
#[derive(Actor, Default)]
struct Idle {
    n: u64,
}

impl Message<Get> for Idle {
    type Reply = u64;

    async fn handle(&mut self, _: Get, _ctx: &mut Context<Self, Self::Reply>) -> u64 {
        self.n
    }
}

fn idle_mem(rt: &Runtime) -> Report {
    let mut refs = Vec::with_capacity(harness::IDLE_N as usize);
    harness::idle_mem(|| {
        rt.block_on(async {
            for _ in 0..harness::IDLE_N {
                let idle = Idle::spawn(Idle::default());
                idle.wait_for_startup().await;
                refs.push(idle);
            }
        });
        let n = refs.len() as u64;
        (refs, n)
    })
}

fn scale(rt: &Runtime, pairs: u64, bounded: bool) -> Report {
    rt.block_on(async {
        let producers: Vec<_> = (0..pairs).map(|_| Producer::spawn(Producer)).collect();
        let counters: Vec<_> = (0..pairs)
            .map(|_| {
                let mailbox = if bounded {
                    mailbox::bounded(harness::SCALE_BOUND)
                } else {
                    mailbox::unbounded()
                };
                Counter::spawn_with_mailbox(Counter::default(), mailbox)
            })
            .collect();
        harness::timed_async(async {
            let mut done = Vec::with_capacity(producers.len());
            for (p, c) in producers.iter().zip(&counters) {
                let job = Produce {
                    to: c.clone(),
                    n: harness::SCALE_EACH,
                };
                done.push(p.ask(job).enqueue().await.expect("the producer runs"));
            }
            for d in done {
                d.await.expect("a producer finishes");
            }
            let mut sum = 0;
            for c in &counters {
                sum += c.ask(Get).await.expect("a counter answers");
            }
            sum
        })
        .await
    })
}

/// A skynet node: spawns 10 children and sums their answers; a leaf
/// answers its number. Each node stops once it has answered.
#[derive(Actor)]
struct Sky;

/// Sum the numbers `num..num + size`.
struct Sum {
    num: u64,
    size: u64,
}

impl Message<Sum> for Sky {
    type Reply = u64;

    async fn handle(&mut self, Sum { num, size }: Sum, ctx: &mut Context<Self, u64>) -> u64 {
        ctx.stop();
        if size == 1 {
            return num;
        }
        let step = size / 10;
        let mut answers = Vec::with_capacity(10);
        for i in 0..10 {
            let child = Sky::spawn(Sky);
            let sum = Sum {
                num: num + i * step,
                size: step,
            };
            answers.push(child.ask(sum).enqueue().await.expect("a child runs"));
        }
        let mut total = 0;
        for a in answers {
            total += a.await.expect("a child answers");
        }
        total
    }
}

fn skynet(rt: &Runtime) -> Report {
    rt.block_on(harness::timed_async(async {
        let root = Sky::spawn(Sky);
        root.ask(Sum {
            num: 0,
            size: 10u64.pow(harness::SKYNET_LEVELS),
        })
        .await
        .expect("the root answers")
    }))
}
