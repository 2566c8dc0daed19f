//! The actor layer through the public API: tells, asks, spawning, a ring,
//! and a TCP echo beside a plain tokio task, measured by criterion.
//!
//! # What is measured
//!
//! Every actor here is hand-written (`impl keel::Actor` with its own message
//! enum; asks carry a [`ReplyTo`]). Each benchmark function builds its own
//! `System` (`System::builder().workers(2)`) and shuts it down at the end.
//!
//! - `tell_1to1`: the bench thread tells [`TELLS`] `u64` increments to one
//!   counter actor, then asks for the count (asserted); the clock stops
//!   when the ask returns.
//! - `tell_2to1`: the same with two producer threads, half each; the
//!   threads are spawned per iteration and wait on a barrier, the clock
//!   starts when the bench thread leaves it (thread start-up is not
//!   counted) and stops when the ask, sent after both producers finished,
//!   returns.
//! - `ask_roundtrip/tokio_task`: [`ASKS`] sequential asks from a task on a
//!   one-worker tokio multi-thread runtime, timed inside the task.
//! - `ask_roundtrip/actor`: the same asks awaited inside a keel actor's
//!   handler (a driver actor asked once; it times its loop and replies the
//!   elapsed time).
//! - `spawn_stop`: [`SPAWNS`] actors spawned from the bench thread, each
//!   told one message whose handler calls `ctx.stop()`; the clock stops when
//!   the last actor's state is dropped (an atomic countdown in `Drop`, the
//!   last one wakes the bench thread through a channel). keel drops the state
//!   in the exit sequence after the address has closed, just before the
//!   incarnation is marked ended, so this is the last point user code sees.
//! - `ring`: [`RING_SIZE`] actors in a ring pass one token
//!   [`RING_HOPS`] hops; the last hop answers the `ReplyTo` the token carries
//!   (the bench thread waits with `ask_blocking`).
//! - `tcp_echo/{keel_actor,tokio_task}`: [`ECHOES`] round trips of a
//!   64-byte line over one loopback connection, served by a keel actor or by
//!   a plain tokio task running the same echo code. The client is a blocking
//!   `std::net::TcpStream` on the bench thread; connecting, accepting and the
//!   server's exit are outside the clock.
//!
//! Reported throughput is elements per second (messages, asks, actors,
//! hops, round trips).
//!
//! # Running
//!
//! ```text
//! cargo bench --bench actors                  # everything (about a minute)
//! cargo bench --bench actors -- ask_roundtrip # one group
//! cargo bench --bench actors -- --quick       # a fast smoke run
//! ```
//!
//! Samples are few (20, 3 s per entry; 10 with flat sampling for the heavy
//! `spawn_stop` and `ring`, so that each of their samples is one or two
//! iterations) so that the whole run stays around a minute on a 2-core
//! machine. With two keel workers, a tokio worker and the bench thread on two
//! cores the numbers are noisy, and every cross-thread wake-up (an ask from
//! outside keel, each line of the keel TCP echo) pays the machine's wake-up
//! latency: compare runs with care.
use std::convert::Infallible;
use std::hint::black_box;
use std::io::{self, Read, Write};
use std::sync::{mpsc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use keel::{Actor, ActorRef, Context, ReplyTo, Start, System};

/// Tells per `tell_*` iteration (split evenly among the producers).
const TELLS: u64 = 100_000;
/// Sequential asks per `ask_roundtrip` iteration.
const ASKS: u64 = 10_000;
/// Actors spawned and stopped per `spawn_stop` iteration.
const SPAWNS: usize = 100_000;
/// Actors in the ring.
const RING_SIZE: usize = 1_000;
/// Hops of the token per `ring` iteration.
const RING_HOPS: u64 = 1_000_000;
/// Round trips per `tcp_echo` iteration.
const ECHOES: u64 = 1_000;
/// The echoed line: 63 bytes and a newline.
const LINE: &[u8; 64] = b"keel-echo-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ\n";

fn system() -> System {
    System::builder()
        .workers(2)
        .build()
        .expect("a System with two workers")
}

// ---- tell_1to1, tell_2to1 ----

/// Counts the increments it is told.
struct Counter {
    n: u64,
}

enum CounterMsg {
    Add(u64),
    /// Replies the count and resets it (so iterations start from zero).
    Take(ReplyTo<u64>),
}

impl Actor for Counter {
    type Msg = CounterMsg;
    type Error = Infallible;

    async fn handle(&mut self, msg: CounterMsg, _: &mut Context<Self>) -> Result<(), Infallible> {
        match msg {
            CounterMsg::Add(by) => self.n += by,
            CounterMsg::Take(reply) => reply.reply(std::mem::take(&mut self.n)),
        }
        Ok(())
    }
}

fn tell_n(counter: &ActorRef<Counter>, n: u64) {
    for _ in 0..n {
        if counter.tell(CounterMsg::Add(1)).is_err() {
            panic!("the counter is running and unbounded");
        }
    }
}

fn take(counter: &ActorRef<Counter>) -> u64 {
    counter
        .ask_blocking(CounterMsg::Take)
        .expect("the counter answers")
}

fn tell_1to1(c: &mut Criterion) {
    let system = system();
    let counter = system.spawn(Counter { n: 0 });
    let mut group = c.benchmark_group("tell_1to1");
    group.throughput(Throughput::Elements(TELLS));
    group.bench_function("keel", |b| {
        b.iter(|| {
            tell_n(&counter, TELLS);
            assert_eq!(black_box(take(&counter)), TELLS, "every tell counted once");
        });
    });
    group.finish();
    system.shutdown_blocking().expect("not on a keel thread");
}

fn tell_2to1(c: &mut Criterion) {
    let system = system();
    let counter = system.spawn(Counter { n: 0 });
    let mut group = c.benchmark_group("tell_2to1");
    group.throughput(Throughput::Elements(TELLS));
    group.bench_function("keel", |b| {
        b.iter_custom(|iters| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iters {
                let start_line = Barrier::new(3);
                thread::scope(|s| {
                    let producers: Vec<_> = (0..2)
                        .map(|_| {
                            let (counter, start_line) = (&counter, &start_line);
                            s.spawn(move || {
                                start_line.wait();
                                tell_n(counter, TELLS / 2);
                            })
                        })
                        .collect();
                    start_line.wait();
                    let start = Instant::now();
                    for p in producers {
                        p.join().expect("a producer panicked");
                    }
                    let n = take(&counter);
                    elapsed += start.elapsed();
                    assert_eq!(black_box(n), TELLS, "every tell counted once");
                });
            }
            elapsed
        });
    });
    group.finish();
    system.shutdown_blocking().expect("not on a keel thread");
}

// ---- ask_roundtrip ----

/// Answers each ask with a running count.
struct Server {
    served: u64,
}

enum ServerMsg {
    Next(ReplyTo<u64>),
}

impl Actor for Server {
    type Msg = ServerMsg;
    type Error = Infallible;

    async fn handle(&mut self, msg: ServerMsg, _: &mut Context<Self>) -> Result<(), Infallible> {
        let ServerMsg::Next(reply) = msg;
        self.served += 1;
        reply.reply(self.served);
        Ok(())
    }
}

/// `n` sequential asks to `server`; checks the answers count up by one.
async fn ask_loop(server: &ActorRef<Server>, n: u64) {
    let mut last = server.ask(ServerMsg::Next).await.expect("answered");
    for _ in 1..n {
        let next = server.ask(ServerMsg::Next).await.expect("answered");
        assert_eq!(next, last + 1, "asks are answered in order");
        last = next;
    }
    black_box(last);
}

/// Runs [`ask_loop`] inside its handler, timing it.
struct Driver;

enum DriverMsg {
    Run {
        server: ActorRef<Server>,
        asks: u64,
        done: ReplyTo<Duration>,
    },
}

impl Actor for Driver {
    type Msg = DriverMsg;
    type Error = Infallible;

    async fn handle(&mut self, msg: DriverMsg, _: &mut Context<Self>) -> Result<(), Infallible> {
        let DriverMsg::Run { server, asks, done } = msg;
        let start = Instant::now();
        ask_loop(&server, asks).await;
        done.reply(start.elapsed());
        Ok(())
    }
}

fn ask_roundtrip(c: &mut Criterion) {
    let mut group = c.benchmark_group("ask_roundtrip");
    group.throughput(Throughput::Elements(ASKS));

    {
        let system = system();
        let server = system.spawn(Server { served: 0 });
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        group.bench_function("tokio_task", |b| {
            b.iter_custom(|iters| {
                let server = server.clone();
                let task = rt.spawn(async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        ask_loop(&server, ASKS).await;
                    }
                    start.elapsed()
                });
                rt.block_on(task).expect("the asking task panicked")
            });
        });
        system.shutdown_blocking().expect("not on a keel thread");
    }

    {
        let system = system();
        let server = system.spawn(Server { served: 0 });
        let driver = system.spawn(Driver);
        group.bench_function("actor", |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        driver
                            .ask_blocking(|done| DriverMsg::Run {
                                server: server.clone(),
                                asks: ASKS,
                                done,
                            })
                            .expect("the driver answers")
                    })
                    .sum()
            });
        });
        system.shutdown_blocking().expect("not on a keel thread");
    }

    group.finish();
}

// ---- spawn_stop ----

/// Counts down the actors of one `spawn_stop` iteration; the last one
/// wakes the bench thread.
struct Countdown {
    // A std atomic: clippy.toml bans them so that keel's own code takes its
    // primitives from `crate::sync` (swapped under loom); a bench binary is
    // never built under loom and cannot reach `crate::sync`.
    #[allow(clippy::disallowed_types)]
    left: std::sync::atomic::AtomicUsize,
    done: mpsc::Sender<()>,
}

/// Handles one message, stopping itself; counts down when its state drops.
struct OneShot {
    countdown: &'static Countdown,
}

impl Actor for OneShot {
    type Msg = u64;
    type Error = Infallible;

    async fn handle(&mut self, msg: u64, ctx: &mut Context<Self>) -> Result<(), Infallible> {
        black_box(msg);
        ctx.stop();
        Ok(())
    }
}

impl Drop for OneShot {
    fn drop(&mut self) {
        use std::sync::atomic::Ordering;
        if self.countdown.left.fetch_sub(1, Ordering::AcqRel) == 1 {
            let _ = self.countdown.done.send(());
        }
    }
}

fn spawn_stop(c: &mut Criterion) {
    let system = system();
    let (done, all_dropped) = mpsc::channel();
    // One per benchmark, for the whole run: the actors hold a plain
    // reference (no reference count to bump per actor).
    let countdown: &'static Countdown = Box::leak(Box::new(Countdown {
        left: Default::default(),
        done,
    }));
    let mut group = c.benchmark_group("spawn_stop");
    group
        .throughput(Throughput::Elements(SPAWNS as u64))
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat);
    group.bench_function("keel", |b| {
        b.iter_custom(|iters| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iters {
                countdown
                    .left
                    .store(SPAWNS, std::sync::atomic::Ordering::Release);
                let start = Instant::now();
                for i in 0..SPAWNS {
                    let actor = system.spawn(OneShot { countdown });
                    if actor.tell(i as u64).is_err() {
                        panic!("a fresh actor accepts its message");
                    }
                }
                all_dropped
                    .recv_timeout(Duration::from_secs(60))
                    .expect("every actor stopped");
                elapsed += start.elapsed();
            }
            elapsed
        });
    });
    group.finish();
    system.shutdown_blocking().expect("not on a keel thread");
}

// ---- ring ----

/// One node of the ring: passes the token to `next`.
struct Node {
    next: Option<ActorRef<Node>>,
}

enum NodeMsg {
    /// Closes the ring (sent to the node spawned first).
    Next(ActorRef<Node>),
    /// The token, with the hops still to go and the asker to answer after
    /// the last one.
    Token { left: u64, done: ReplyTo<u64> },
}

impl Actor for Node {
    type Msg = NodeMsg;
    type Error = Infallible;

    async fn handle(&mut self, msg: NodeMsg, _: &mut Context<Self>) -> Result<(), Infallible> {
        match msg {
            NodeMsg::Next(next) => self.next = Some(next),
            NodeMsg::Token { left: 0, done } => done.reply(RING_HOPS),
            NodeMsg::Token { left, done } => {
                let next = self.next.as_ref().expect("the ring is closed");
                let passed = next.tell(NodeMsg::Token {
                    left: left - 1,
                    done,
                });
                assert!(passed.is_ok(), "the next node is running");
            }
        }
        Ok(())
    }
}

fn ring(c: &mut Criterion) {
    // One lap of a million hops must fit in the ask's timeout even on a
    // slow machine: a minute instead of the default 5 s.
    let system = System::builder()
        .workers(2)
        .ask_timeout(Duration::from_secs(60))
        .build()
        .expect("a System with two workers");
    // Spawned from the last node back, each with its successor; the first
    // one spawned (the last of the ring) is then told the head.
    let tail = system.spawn(Node { next: None });
    let mut head = tail.clone();
    for _ in 1..RING_SIZE {
        head = system.spawn(Node {
            next: Some(head.clone()),
        });
    }
    assert!(tail.tell(NodeMsg::Next(head.clone())).is_ok());
    let mut group = c.benchmark_group("ring");
    group
        .throughput(Throughput::Elements(RING_HOPS))
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat);
    group.bench_function("keel", |b| {
        b.iter(|| {
            let hops = head
                .ask_blocking(|done| NodeMsg::Token {
                    left: RING_HOPS,
                    done,
                })
                .expect("the token came back");
            assert_eq!(black_box(hops), RING_HOPS);
        });
    });
    group.finish();
    system.shutdown_blocking().expect("not on a keel thread");
}

// ---- tcp_echo ----

/// The server side of one connection: the socket and the bytes read but
/// not yet echoed. Written against `tokio::net` readiness only
/// (`readable`/`try_read`, `writable`/`try_write`), so it needs no tokio
/// feature beyond `net`.
struct Conn {
    stream: tokio::net::TcpStream,
    buf: Vec<u8>,
    filled: usize,
}

impl Conn {
    fn new(stream: tokio::net::TcpStream) -> Conn {
        stream.set_nodelay(true).expect("TCP_NODELAY");
        Conn {
            stream,
            buf: vec![0; 4096],
            filled: 0,
        }
    }

    /// Reads one line and writes it back; `false` at end of stream.
    async fn echo_line(&mut self) -> io::Result<bool> {
        loop {
            if let Some(end) = self.buf[..self.filled].iter().position(|&b| b == b'\n') {
                write_all(&self.stream, &self.buf[..=end]).await?;
                self.buf.copy_within(end + 1..self.filled, 0);
                self.filled -= end + 1;
                return Ok(true);
            }
            if self.filled == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
            self.stream.readable().await?;
            match self.stream.try_read(&mut self.buf[self.filled..]) {
                Ok(0) => return Ok(false),
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
    }
}

async fn write_all(stream: &tokio::net::TcpStream, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        stream.writable().await?;
        match stream.try_write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A connection served by a keel actor, one message per line.
///
/// This is what a keel user would write for a gen_server-style connection
/// owner (OTP's `{active, once}`): the handler of `NextLine` awaits one
/// line on the socket, echoes it, and re-arms by telling itself the next
/// `NextLine`, which queues *behind* whatever else was sent to the actor
/// meanwhile. So other messages (a `stop`, a query from another actor) are
/// handled between lines instead of waiting for the connection to close,
/// as they would if one handler looped over the whole stream. Each line
/// thus costs one mailbox message besides the I/O, which is part of what
/// this benchmark shows. End of stream stops the actor (`Normal`); an I/O
/// error ends it with `ExitReason::Error`.
struct EchoActor {
    conn: Conn,
}

enum EchoMsg {
    NextLine,
}

impl Actor for EchoActor {
    type Msg = EchoMsg;
    type Error = io::Error;

    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<Start, io::Error> {
        let _ = ctx.myself().tell(EchoMsg::NextLine);
        Ok(Start::Ready)
    }

    async fn handle(&mut self, msg: EchoMsg, ctx: &mut Context<Self>) -> Result<(), io::Error> {
        let EchoMsg::NextLine = msg;
        if self.conn.echo_line().await? {
            let _ = ctx.myself().tell(EchoMsg::NextLine);
        } else {
            ctx.stop();
        }
        Ok(())
    }
}

/// The same echo as a plain tokio task: loop until end of stream.
async fn echo_task(mut conn: Conn) -> io::Result<()> {
    while conn.echo_line().await? {}
    Ok(())
}

/// [`ECHOES`] round trips of [`LINE`] on `client`; the time they took.
fn round_trips(client: &mut std::net::TcpStream) -> Duration {
    let mut back = [0u8; LINE.len()];
    let start = Instant::now();
    for _ in 0..ECHOES {
        client.write_all(LINE).expect("write");
        client.read_exact(&mut back).expect("read");
    }
    let elapsed = start.elapsed();
    assert_eq!(&back, LINE, "the line came back unchanged");
    elapsed
}

fn tcp_echo(c: &mut Criterion) {
    // One tokio multi-thread runtime with one worker (what keel builds for
    // itself when there is no ambient one). The System is built inside it
    // (`rt.enter()`), so keel adopts it as the ambient multi-thread
    // runtime, as under `#[tokio::main]` (system.rs module doc): keel's
    // workers enter its handle, so the actor's `tokio::net` calls register
    // with this runtime's I/O driver, the same one that drives the plain
    // task. The listener accepts on it too.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let system = {
        let _inside = rt.enter();
        system()
    };
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local address");
    let connect = || {
        let client = std::net::TcpStream::connect(addr).expect("connect");
        client.set_nodelay(true).expect("TCP_NODELAY");
        let (server_side, _) = rt.block_on(listener.accept()).expect("accept");
        (client, Conn::new(server_side))
    };

    let mut group = c.benchmark_group("tcp_echo");
    group.throughput(Throughput::Elements(ECHOES));
    group.bench_function("keel_actor", |b| {
        b.iter_custom(|iters| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iters {
                let (mut client, conn) = connect();
                let actor = system.spawn(EchoActor { conn });
                elapsed += round_trips(&mut client);
                drop(client);
                let reason = rt.block_on(actor.wait_exit());
                assert!(reason.is_normal(), "the echo actor ended with {reason}");
            }
            elapsed
        });
    });
    group.bench_function("tokio_task", |b| {
        b.iter_custom(|iters| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iters {
                let (mut client, conn) = connect();
                let task = rt.spawn(echo_task(conn));
                elapsed += round_trips(&mut client);
                drop(client);
                rt.block_on(task)
                    .expect("the echo task panicked")
                    .expect("the echo task's I/O");
            }
            elapsed
        });
    });
    group.finish();
    system.shutdown_blocking().expect("not on a keel thread");
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

fn main() {
    // What `criterion_group!`/`criterion_main!` would expand to, written out
    // so that no undocumented `pub fn` is generated (workspace lints).
    let mut c = config().configure_from_args();
    tell_1to1(&mut c);
    tell_2to1(&mut c);
    ask_roundtrip(&mut c);
    spawn_stop(&mut c);
    ring(&mut c);
    tcp_echo(&mut c);
    c.final_summary();
}
