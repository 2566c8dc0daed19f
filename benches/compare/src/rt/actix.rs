//! actix, written as its README and API docs teach: a `System`
//! (`System::new().block_on(..)`), actors with `type Context =
//! Context<Self>` started with `.start()`, `#[derive(Message)]` messages, a
//! `Handler` per message; `do_send` is the tell, `send(..).await` the ask,
//! `ResponseActFuture` / `ActorResponse` for handlers that wait on other
//! actors, a `Supervisor` for `restart`.
//!
//! actix's default is one single-threaded arbiter (the System's): the main
//! workloads run every actor, and main's future, on that one thread, as an
//! actix program does unless it starts arbiters. `scale` gives it one
//! `Arbiter` per core.
use std::sync::Arc;
// A std atomic: see harness.rs.

use actix::prelude::*;

use crate::harness::{self, Done, Report, Workload};

/// Where every actor of the main workloads runs.
const ONE_ARBITER: &str =
    "actix's default: one single-threaded arbiter, every actor and main's future on one thread";
/// How the unbounded `scale` runs.
const SCALE: &str = "an Arbiter per core, counters round-robin; producers are OS threads, do_send";
/// How the bounded `scale` runs.
const SCALE_BOUNDED: &str = "set_mailbox_capacity(1000); producers (OS threads) send().await, \
     which waits for room and for the reply: one round trip a message (do_send ignores the bound)";

/// How actix runs each workload, where a reader needs to know.
pub(super) const NOTES: &[(&str, &str)] = &[
    ("tell", ONE_ARBITER),
    ("fan_in", ONE_ARBITER),
    ("ask", ONE_ARBITER),
    ("ask_actor", ONE_ARBITER),
    ("spawn_stop", ONE_ARBITER),
    ("ring", ONE_ARBITER),
    ("skynet", ONE_ARBITER),
    (
        "restart",
        "restarts in place on ctx.stop(); catches no panic",
    ),
    (
        "idle_cpu",
        "System::run() on the main thread, the window watched from another",
    ),
    ("scale_1", SCALE),
    ("scale_2", SCALE),
    ("scale_4", SCALE),
    ("scale_8", SCALE),
    ("scale_16", SCALE),
    ("scale_1_bounded", SCALE_BOUNDED),
    ("scale_2_bounded", SCALE_BOUNDED),
    ("scale_4_bounded", SCALE_BOUNDED),
    ("scale_8_bounded", SCALE_BOUNDED),
    ("scale_16_bounded", SCALE_BOUNDED),
];

pub(super) fn run(workload: Workload) -> Result<Report, String> {
    let report = match workload {
        Workload::Tell => System::new().block_on(tell()),
        Workload::FanIn => System::new().block_on(fan_in()),
        Workload::Ask => System::new().block_on(ask()),
        Workload::AskActor => System::new().block_on(ask_actor()),
        Workload::SpawnStop => System::new().block_on(spawn_stop()),
        Workload::Ring => System::new().block_on(ring()),
        Workload::Restart => System::new().block_on(restart()),
        Workload::IdleMem => idle_mem(),
        Workload::IdleCpu => idle_cpu()?,
        Workload::Scale { pairs, bounded } => scale(pairs, bounded),
        Workload::Skynet => System::new().block_on(harness::timed_async(async {
            Sky.start()
                .send(Sum {
                    num: 0,
                    size: 10u64.pow(harness::SKYNET_LEVELS),
                })
                .await
                .expect("the root answers")
        })),
    };
    Ok(report)
}

/// The counter every throughput workload sends to.
#[derive(Default)]
struct Counter {
    n: u64,
}

impl Actor for Counter {
    type Context = Context<Self>;
}

/// Adds one.
#[derive(Message)]
#[rtype(result = "()")]
struct Inc;

/// Answers the count.
#[derive(Message)]
#[rtype(result = "u64")]
struct Get;

/// Adds one and answers the count.
#[derive(Message)]
#[rtype(result = "u64")]
struct IncGet;

impl Handler<Inc> for Counter {
    type Result = ();

    fn handle(&mut self, _: Inc, _ctx: &mut Context<Self>) {
        self.n += 1;
    }
}

impl Handler<Get> for Counter {
    type Result = u64;

    fn handle(&mut self, _: Get, _ctx: &mut Context<Self>) -> u64 {
        self.n
    }
}

impl Handler<IncGet> for Counter {
    type Result = u64;

    fn handle(&mut self, _: IncGet, _ctx: &mut Context<Self>) -> u64 {
        self.n += 1;
        self.n
    }
}

/// A producer (`fan_in`) and a caller (`ask_actor`).
struct Producer;

impl Actor for Producer {
    type Context = Context<Self>;
}

/// Tell `n` increments to `to`; answers `n` when done.
#[derive(Message)]
#[rtype(result = "u64")]
struct Produce {
    to: Addr<Counter>,
    n: u64,
}

/// `n` sequential asks to `to`; answers the last reply.
#[derive(Message)]
#[rtype(result = "u64")]
struct AskN {
    to: Addr<Counter>,
    n: u64,
}

impl Handler<Produce> for Producer {
    type Result = u64;

    fn handle(&mut self, Produce { to, n }: Produce, _ctx: &mut Context<Self>) -> u64 {
        for _ in 0..n {
            to.do_send(Inc);
        }
        n
    }
}

impl Handler<AskN> for Producer {
    type Result = ResponseActFuture<Self, u64>;

    fn handle(&mut self, AskN { to, n }: AskN, _ctx: &mut Context<Self>) -> Self::Result {
        Box::pin(
            async move {
                let mut last = 0;
                for _ in 0..n {
                    last = to.send(IncGet).await.expect("the counter answers");
                }
                last
            }
            .into_actor(self),
        )
    }
}

async fn tell() -> Report {
    let counter = Counter::default().start();
    harness::timed_async(async {
        for _ in 0..harness::TELL_N {
            counter.do_send(Inc);
        }
        counter.send(Get).await.expect("the counter answers")
    })
    .await
}

async fn fan_in() -> Report {
    let counter = Counter::default().start();
    let producers = [Producer.start(), Producer.start()];
    harness::timed_async(async {
        // `send` queues the request when called: both producers start.
        let done: Vec<_> = producers
            .iter()
            .map(|p| {
                p.send(Produce {
                    to: counter.clone(),
                    n: harness::FAN_IN_EACH,
                })
            })
            .collect();
        for d in done {
            d.await.expect("a producer finishes");
        }
        counter.send(Get).await.expect("the counter answers")
    })
    .await
}

async fn ask() -> Report {
    let counter = Counter::default().start();
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
    let counter = Counter::default().start();
    let caller = Producer.start();
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
struct OneShot;

impl Actor for OneShot {
    type Context = Context<Self>;
}

/// Counts itself in `Done`, then the actor stops.
#[derive(Message)]
#[rtype(result = "()")]
struct Go(Arc<Done>);

impl Handler<Go> for OneShot {
    type Result = ();

    fn handle(&mut self, Go(done): Go, ctx: &mut Context<Self>) {
        done.one();
        ctx.stop();
    }
}

async fn spawn_stop() -> Report {
    let done = Done::new(harness::SPAWN_STOP_N);
    harness::timed_async(async {
        for _ in 0..harness::SPAWN_STOP_N {
            OneShot.start().do_send(Go(done.clone()));
        }
        done.wait().await
    })
    .await
}

/// A ring node: passes the token on until it has made every hop.
#[derive(Default)]
struct Node {
    next: Option<Addr<Node>>,
    done: Option<Arc<Done>>,
}

impl Actor for Node {
    type Context = Context<Self>;
}

/// Links a node to the next one.
#[derive(Message)]
#[rtype(result = "()")]
struct Link(Addr<Node>, Arc<Done>);

/// The token, with the hops left to make.
#[derive(Message)]
#[rtype(result = "()")]
struct Token(u64);

impl Handler<Link> for Node {
    type Result = ();

    fn handle(&mut self, Link(next, done): Link, _ctx: &mut Context<Self>) {
        self.next = Some(next);
        self.done = Some(done);
    }
}

impl Handler<Token> for Node {
    type Result = ();

    fn handle(&mut self, Token(hops_left): Token, _ctx: &mut Context<Self>) {
        if let Some(done) = &self.done {
            done.one();
        }
        if hops_left > 1 {
            if let Some(next) = &self.next {
                next.do_send(Token(hops_left - 1));
            }
        }
    }
}

async fn ring() -> Report {
    let done = Done::new(harness::RING_HOPS);
    let nodes: Vec<_> = (0..harness::RING_ACTORS)
        .map(|_| Node::default().start())
        .collect();
    for (i, node) in nodes.iter().enumerate() {
        let next = nodes[(i + 1) % nodes.len()].clone();
        node.send(Link(next, done.clone()))
            .await
            .expect("the node runs");
    }
    harness::timed_async(async {
        nodes[0].do_send(Token(harness::RING_HOPS));
        done.wait().await
    })
    .await
}

/// Stops itself on `Crash` (actix catches no panic: a panic in a handler
/// takes down the arbiter's thread), answers `Ping`.
struct Crashy;

impl Actor for Crashy {
    type Context = Context<Self>;
}

/// What `Supervisor` restarts.
impl Supervised for Crashy {}

/// Makes the child stop: its supervisor restarts it.
#[derive(Message)]
#[rtype(result = "()")]
struct Crash;

/// Answers 1.
#[derive(Message)]
#[rtype(result = "u64")]
struct Ping;

impl Handler<Crash> for Crashy {
    type Result = ();

    fn handle(&mut self, _: Crash, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

impl Handler<Ping> for Crashy {
    type Result = u64;

    fn handle(&mut self, _: Ping, _ctx: &mut Context<Self>) -> u64 {
        1
    }
}

async fn restart() -> Report {
    let crashy = Supervisor::start(|_| Crashy);
    harness::timed_async(async {
        let mut answered = 0;
        for _ in 0..harness::RESTART_N {
            // The address survives the restart: the ask queued behind the
            // stop is answered by the restarted actor.
            crashy.do_send(Crash);
            answered += crashy
                .send(Ping)
                .await
                .expect("the restarted child answers");
        }
        answered
    })
    .await
}

/// An idle actor with `u64` state.
#[derive(Default)]
struct Idle {
    n: u64,
}

impl Actor for Idle {
    type Context = Context<Self>;
}

/// Answers the state.
#[derive(Message)]
#[rtype(result = "u64")]
struct Peek;

impl Handler<Peek> for Idle {
    type Result = u64;

    fn handle(&mut self, _: Peek, _ctx: &mut Context<Self>) -> u64 {
        self.n
    }
}

fn idle_mem() -> Report {
    let sys = System::new();
    let mut addrs = Vec::with_capacity(harness::IDLE_N as usize);
    harness::idle_mem(|| {
        sys.block_on(async {
            for _ in 0..harness::IDLE_N {
                let a = Idle::default().start();
                // An answered ask: the actor has started and is idle.
                a.send(Peek).await.expect("the actor answers");
                addrs.push(a);
            }
        });
        let n = addrs.len() as u64;
        (addrs, n)
    })
}

fn idle_cpu() -> Result<Report, String> {
    let sys = System::new();
    let idle = sys.block_on(async {
        let idle = Idle::default().start();
        idle.send(Peek).await.expect("the idle actor answers");
        idle
    });
    // The System runs on this thread, as `System::run` does in an actix
    // program; another thread watches the window, then stops it.
    let system = System::current();
    let window = std::thread::spawn(move || {
        let report = harness::idle_cpu_window();
        system.stop();
        report
    });
    sys.run().map_err(|e| format!("the System failed: {e}"))?;
    drop(idle);
    window
        .join()
        .map_err(|_| "the watching thread panicked".to_string())
}

fn scale(pairs: u64, bounded: bool) -> Report {
    let sys = System::new();
    let arbiters: Vec<_> = (0..harness::cores()).map(|_| Arbiter::new()).collect();
    let counters: Vec<_> = (0..pairs as usize)
        .map(|i| {
            let arbiter = arbiters[i % arbiters.len()].handle();
            Counter::start_in_arbiter(&arbiter, move |ctx| {
                if bounded {
                    ctx.set_mailbox_capacity(harness::SCALE_BOUND);
                }
                Counter::default()
            })
        })
        .collect();
    // Every counter started before the clock starts.
    sys.block_on(async {
        for c in &counters {
            c.send(Get).await.expect("a counter answers");
        }
    });
    let report = harness::timed(|| {
        std::thread::scope(|s| {
            for c in &counters {
                let c = c.clone();
                s.spawn(move || {
                    if bounded {
                        // A wait for room needs a future: the thread blocks
                        // on one as actix does, in a System of its own.
                        System::new().block_on(async {
                            for _ in 0..harness::SCALE_EACH {
                                c.send(Inc).await.expect("the counter runs");
                            }
                        });
                    } else {
                        for _ in 0..harness::SCALE_EACH {
                            c.do_send(Inc);
                        }
                    }
                });
            }
        });
        sys.block_on(async {
            let mut sum = 0;
            for c in &counters {
                sum += c.send(Get).await.expect("a counter answers");
            }
            sum
        })
    });
    drop(counters);
    for a in arbiters {
        a.stop();
        let _ = a.join();
    }
    report
}

/// A skynet node: spawns 10 children and sums their answers; a leaf
/// answers its number. Each node stops once it has answered.
struct Sky;

impl Actor for Sky {
    type Context = Context<Self>;
}

/// The subtree at `num` of `size` leaves.
#[derive(Message)]
#[rtype(result = "u64")]
struct Sum {
    num: u64,
    size: u64,
}

impl Handler<Sum> for Sky {
    type Result = ActorResponse<Self, u64>;

    fn handle(&mut self, Sum { num, size }: Sum, ctx: &mut Context<Self>) -> Self::Result {
        if size == 1 {
            ctx.stop();
            return ActorResponse::reply(num);
        }
        let step = size / 10;
        // `send` queues each request when called: all ten children start.
        let asks: Vec<_> = (0..10)
            .map(|i| {
                Sky.start().send(Sum {
                    num: num + i * step,
                    size: step,
                })
            })
            .collect();
        ActorResponse::r#async(
            async move {
                let mut total = 0;
                for a in asks {
                    total += a.await.expect("a child answers");
                }
                total
            }
            .into_actor(self)
            .map(|total, _act, ctx| {
                ctx.stop();
                total
            }),
        )
    }
}

// The bounded mailbox's bound is the harness's.
const _: () = assert!(harness::SCALE_BOUND == 1000);
