//! ractor, written as its README and examples teach: an `Actor` impl per
//! actor with a message enum, `cast` for tells, `call!` for asks (an
//! `RpcReplyPort` in the message), `Actor::spawn` to start, and a linked
//! supervisor actor handling `SupervisionEvent`s for `restart`.
use std::sync::Arc;
// A std atomic: see harness.rs.

use ractor::concurrency::{oneshot, OneshotReceiver};
use ractor::{call, Actor, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};
use tokio::runtime::Runtime;

use crate::harness::{self, Done, Report, Workload};

/// How ractor runs each workload, where a reader needs to know.
pub(super) const NOTES: &[(&str, &str)] = &[
    (
        "tell",
        "cast into ractor's mailbox (always unbounded), then one call!",
    ),
    (
        "fan_in",
        "producers are actors; each job is cast with a reply port, the ports awaited after (as multi_call does)",
    ),
    ("ask", "call! with no timeout (a oneshot RpcReplyPort per ask)"),
    (
        "spawn_stop",
        "Actor::spawn(..).await (runs pre_start before it returns), then cast; the handler calls myself.stop",
    ),
    (
        "restart",
        "a supervisor actor linked to the child (spawn_linked) gets SupervisionEvent::ActorFailed and spawns a replacement with a new ActorRef; each cycle asks the supervisor for it",
    ),
    (
        "idle_mem",
        "Actor::spawn(..).await, then one call! each, so every actor's loop is running",
    ),
    (
        "skynet",
        "children via Actor::spawn (unlinked); the 10 jobs are cast with reply ports, then awaited",
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
            let _idle = rt.block_on(spawn(Counter));
            harness::idle_cpu_window()
        }
        Workload::Scale { bounded: true, .. } => {
            return Err("no bounded mailbox: ractor's mailboxes are unbounded".into())
        }
        Workload::Scale { pairs, .. } => scale(&rt, pairs),
        Workload::Skynet => skynet(&rt),
    };
    Ok(report)
}

/// Spawns an unnamed, unsupervised actor and waits for its `pre_start`.
async fn spawn<A: Actor<Arguments = ()>>(actor: A) -> ActorRef<A::Msg> {
    let (actor_ref, _handle) = Actor::spawn(None, actor, ())
        .await
        .expect("the actor starts");
    actor_ref
}

/// A `call` whose await is left for later: the message goes out now with a
/// fresh reply port, and the port's receiving end comes back, so several
/// calls run at once (what `ractor::rpc::multi_call` does inside).
fn call_later<M: ractor::Message, R>(
    to: &ActorRef<M>,
    msg: impl FnOnce(RpcReplyPort<R>) -> M,
) -> OneshotReceiver<R> {
    let (tx, rx) = oneshot();
    to.cast(msg(tx.into())).expect("the actor runs");
    rx
}

/// The counter every throughput workload sends to.
struct Counter;

enum CounterMsg {
    Inc,
    Get(RpcReplyPort<u64>),
    IncGet(RpcReplyPort<u64>),
}

impl Actor for Counter {
    type Msg = CounterMsg;
    type State = u64;
    type Arguments = ();

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        _: (),
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(0)
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        n: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            CounterMsg::Inc => *n += 1,
            CounterMsg::Get(reply) => reply.send(*n)?,
            CounterMsg::IncGet(reply) => {
                *n += 1;
                reply.send(*n)?;
            }
        }
        Ok(())
    }
}

/// A producer: an actor that tells a counter `n` increments, or asks it
/// `n` times in a row.
struct Producer;

enum ProducerMsg {
    Produce(ActorRef<CounterMsg>, u64, RpcReplyPort<u64>),
    AskN(ActorRef<CounterMsg>, u64, RpcReplyPort<u64>),
}

impl Actor for Producer {
    type Msg = ProducerMsg;
    type State = ();
    type Arguments = ();

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        _: (),
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(())
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        _state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            ProducerMsg::Produce(to, n, reply) => {
                for _ in 0..n {
                    to.cast(CounterMsg::Inc)?;
                }
                reply.send(n)?;
            }
            ProducerMsg::AskN(to, n, reply) => {
                let mut last = 0;
                for _ in 0..n {
                    last = call!(to, CounterMsg::IncGet)?;
                }
                reply.send(last)?;
            }
        }
        Ok(())
    }
}

fn tell(rt: &Runtime) -> Report {
    rt.block_on(async {
        let counter = spawn(Counter).await;
        harness::timed_async(async {
            for _ in 0..harness::TELL_N {
                counter.cast(CounterMsg::Inc).expect("the counter runs");
            }
            call!(counter, CounterMsg::Get).expect("the counter answers")
        })
        .await
    })
}

fn fan_in(rt: &Runtime) -> Report {
    rt.block_on(async {
        let counter = spawn(Counter).await;
        let producers = [spawn(Producer).await, spawn(Producer).await];
        harness::timed_async(async {
            let done: Vec<_> = producers
                .iter()
                .map(|p| {
                    call_later(p, |reply| {
                        ProducerMsg::Produce(counter.clone(), harness::FAN_IN_EACH, reply)
                    })
                })
                .collect();
            for d in done {
                d.await.expect("a producer finishes");
            }
            call!(counter, CounterMsg::Get).expect("the counter answers")
        })
        .await
    })
}

fn ask(rt: &Runtime) -> Report {
    rt.block_on(async {
        let counter = spawn(Counter).await;
        harness::timed_async(async {
            let mut last = 0;
            for _ in 0..harness::ASK_N {
                last = call!(counter, CounterMsg::IncGet).expect("the counter answers");
            }
            last
        })
        .await
    })
}

fn ask_actor(rt: &Runtime) -> Report {
    rt.block_on(async {
        let counter = spawn(Counter).await;
        let caller = spawn(Producer).await;
        harness::timed_async(async {
            call!(caller, ProducerMsg::AskN, counter.clone(), harness::ASK_N)
                .expect("the caller answers")
        })
        .await
    })
}

/// Handles one message and stops.
struct OneShot;

impl Actor for OneShot {
    type Msg = Arc<Done>;
    type State = ();
    type Arguments = ();

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        _: (),
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        done: Self::Msg,
        _state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        done.one();
        myself.stop(None);
        Ok(())
    }
}

fn spawn_stop(rt: &Runtime) -> Report {
    rt.block_on(async {
        let done = Done::new(harness::SPAWN_STOP_N);
        harness::timed_async(async {
            for _ in 0..harness::SPAWN_STOP_N {
                let a = spawn(OneShot).await;
                a.cast(done.clone()).expect("a fresh actor runs");
            }
            done.wait().await
        })
        .await
    })
}

/// A ring node: passes the token on until it has made every hop.
struct Node;

enum NodeMsg {
    Link(ActorRef<NodeMsg>, Arc<Done>),
    Token(u64),
}

impl Actor for Node {
    type Msg = NodeMsg;
    type State = Option<(ActorRef<NodeMsg>, Arc<Done>)>;
    type Arguments = ();

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        _: (),
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(None)
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            NodeMsg::Link(next, done) => *state = Some((next, done)),
            NodeMsg::Token(hops_left) => {
                if let Some((next, done)) = state {
                    done.one();
                    if hops_left > 1 {
                        next.cast(NodeMsg::Token(hops_left - 1))?;
                    }
                }
            }
        }
        Ok(())
    }
}

fn ring(rt: &Runtime) -> Report {
    rt.block_on(async {
        let done = Done::new(harness::RING_HOPS);
        let mut nodes = Vec::with_capacity(harness::RING_ACTORS as usize);
        for _ in 0..harness::RING_ACTORS {
            nodes.push(spawn(Node).await);
        }
        for (i, node) in nodes.iter().enumerate() {
            let next = nodes[(i + 1) % nodes.len()].clone();
            node.cast(NodeMsg::Link(next, done.clone()))
                .expect("the node runs");
        }
        harness::timed_async(async {
            nodes[0]
                .cast(NodeMsg::Token(harness::RING_HOPS))
                .expect("the ring runs");
            done.wait().await
        })
        .await
    })
}

/// Panics on `Crash`, answers `Ping`.
struct Crashy;

enum CrashyMsg {
    Crash,
    Ping(RpcReplyPort<u64>),
}

impl Actor for Crashy {
    type Msg = CrashyMsg;
    type State = ();
    type Arguments = ();

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        _: (),
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(())
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        _state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            CrashyMsg::Crash => panic!("crash on purpose"),
            CrashyMsg::Ping(reply) => reply.send(1)?,
        }
        Ok(())
    }
}

/// The supervisor: restarts its `Crashy` child whenever it fails.
struct Sup;

enum SupMsg {
    /// The child, once it has been restarted at least this many times.
    Child(u64, RpcReplyPort<ActorRef<CrashyMsg>>),
}

struct SupState {
    child: ActorRef<CrashyMsg>,
    restarts: u64,
    waiting: Option<(u64, RpcReplyPort<ActorRef<CrashyMsg>>)>,
}

impl Actor for Sup {
    type Msg = SupMsg;
    type State = SupState;
    type Arguments = ();

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        _: (),
    ) -> Result<Self::State, ActorProcessingErr> {
        let (child, _) = Actor::spawn_linked(None, Crashy, (), myself.get_cell()).await?;
        Ok(SupState {
            child,
            restarts: 0,
            waiting: None,
        })
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            SupMsg::Child(after, reply) if state.restarts >= after => {
                reply.send(state.child.clone())?;
            }
            SupMsg::Child(after, reply) => state.waiting = Some((after, reply)),
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<Self::Msg>,
        event: SupervisionEvent,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        if let SupervisionEvent::ActorFailed(dead, _) = event {
            if dead.get_id() == state.child.get_id() {
                let (child, _) = Actor::spawn_linked(None, Crashy, (), myself.get_cell()).await?;
                state.child = child;
                state.restarts += 1;
                if let Some((after, reply)) = state.waiting.take() {
                    if state.restarts >= after {
                        reply.send(state.child.clone())?;
                    } else {
                        state.waiting = Some((after, reply));
                    }
                }
            }
        }
        Ok(())
    }
}

fn restart(rt: &Runtime) -> Report {
    rt.block_on(async {
        let sup = spawn(Sup).await;
        let mut child = call!(sup, SupMsg::Child, 0).expect("the supervisor answers");
        harness::timed_async(async {
            let mut answered = 0;
            for i in 1..=harness::RESTART_N {
                child.cast(CrashyMsg::Crash).expect("the child runs");
                // The replacement is a new actor with a new ActorRef: the
                // supervisor hands it over once it has restarted `i` times.
                child = call!(sup, SupMsg::Child, i).expect("the supervisor answers");
                answered += call!(child, CrashyMsg::Ping).expect("the new child answers");
            }
            answered
        })
        .await
    })
}

/// An idle actor with `u64` state.
struct Idle;

enum IdleMsg {
    Get(RpcReplyPort<u64>),
}

impl Actor for Idle {
    type Msg = IdleMsg;
    type State = u64;
    type Arguments = ();

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        _: (),
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(0)
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        n: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            IdleMsg::Get(reply) => reply.send(*n)?,
        }
        Ok(())
    }
}

fn idle_mem(rt: &Runtime) -> Report {
    let mut refs = Vec::with_capacity(harness::IDLE_N as usize);
    harness::idle_mem(|| {
        rt.block_on(async {
            for _ in 0..harness::IDLE_N {
                let idle = spawn(Idle).await;
                // One answered call: its processing loop is running.
                call!(idle, IdleMsg::Get).expect("the actor answers");
                refs.push(idle);
            }
        });
        let n = refs.len() as u64;
        (refs, n)
    })
}

fn scale(rt: &Runtime, pairs: u64) -> Report {
    rt.block_on(async {
        let mut producers = Vec::with_capacity(pairs as usize);
        let mut counters = Vec::with_capacity(pairs as usize);
        for _ in 0..pairs {
            producers.push(spawn(Producer).await);
            counters.push(spawn(Counter).await);
        }
        harness::timed_async(async {
            let done: Vec<_> = producers
                .iter()
                .zip(&counters)
                .map(|(p, c)| {
                    call_later(p, |reply| {
                        ProducerMsg::Produce(c.clone(), harness::SCALE_EACH, reply)
                    })
                })
                .collect();
            for d in done {
                d.await.expect("a producer finishes");
            }
            let mut sum = 0;
            for c in &counters {
                sum += call!(c, CounterMsg::Get).expect("a counter answers");
            }
            sum
        })
        .await
    })
}

/// A skynet node: spawns 10 children and sums their answers; a leaf
/// answers its number. Each node stops once it has answered.
struct Sky;

enum SkyMsg {
    Sum(u64, u64, RpcReplyPort<u64>),
}

impl Actor for Sky {
    type Msg = SkyMsg;
    type State = ();
    type Arguments = ();

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        _: (),
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        _state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let SkyMsg::Sum(num, size, reply) = message;
        if size == 1 {
            reply.send(num)?;
        } else {
            let step = size / 10;
            let mut answers = Vec::with_capacity(10);
            for i in 0..10 {
                let (child, _) = Actor::spawn(None, Sky, ()).await?;
                answers.push(call_later(&child, |r| SkyMsg::Sum(num + i * step, step, r)));
            }
            let mut total = 0;
            for a in answers {
                total += a.await?;
            }
            reply.send(total)?;
        }
        myself.stop(None);
        Ok(())
    }
}

fn skynet(rt: &Runtime) -> Report {
    rt.block_on(harness::timed_async(async {
        let root = spawn(Sky).await;
        call!(root, SkyMsg::Sum, 0, 10u64.pow(harness::SKYNET_LEVELS)).expect("the root answers")
    }))
}
