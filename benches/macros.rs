//! Whether a macro-generated actor costs anything over the equivalent
//! hand-written one, measured side by side by criterion in the same run.
//!
//! # What is measured
//!
//! Two counters do the same work: [`HandCounter`] implements `keel::Actor`
//! by hand with its own enum ([`HandMsg`]; the ask carries a [`ReplyTo`]),
//! and [`MacroCounter`] gets its `Actor` impl, its message enum and its ref
//! methods from `#[derive(Actor)]` and `#[keel::messages]`. Each group has
//! one entry per counter, `hand` and `macro`, so criterion prints them one
//! under the other. Each benchmark function builds its own `System`
//! (`System::builder().workers(2)`) and shuts it down at the end.
//!
//! - `tell`: the bench thread tells [`TELLS`] increments of one (`tell(HandMsg::Add(1))`
//!   or the generated `add(1)`), then asks for the count with `ask_blocking`
//!   (asserted; for the macro counter through the generated variant,
//!   `MacroCounterMsg::Get`, so that the one ask is the same call on both
//!   sides); the clock stops when the ask returns.
//! - `ask`: [`ASKS`] sequential asks for the count, awaited inside a keel
//!   actor's handler (a driver actor asked once per iteration; it times its
//!   loop and replies the elapsed time, as `ask_roundtrip/actor` in
//!   `benches/actors.rs` does). The driver asks the hand-written counter
//!   with `counter.ask(HandMsg::Get)` and the macro counter with the
//!   generated `counter.get()`; every reply is asserted.
//!
//! Reported throughput is elements per second (tells, asks).
//!
//! # Running
//!
//! ```text
//! cargo bench --bench macros             # both groups (about half a minute)
//! cargo bench --bench macros -- ask      # one group
//! cargo bench --bench macros -- --quick  # a fast smoke run
//! ```
//!
//! Samples are few (20, 3 s per entry), as in `benches/actors.rs`. With two
//! keel workers and the bench thread on a 2-core machine the numbers are
//! noisy: compare `hand` and `macro` within one run, and across runs only
//! with care.
use std::convert::Infallible;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use keel::{Actor, ActorRef, Context, ReplyTo, System};

/// Tells per `tell` iteration.
const TELLS: u64 = 100_000;
/// Sequential asks per `ask` iteration.
const ASKS: u64 = 10_000;
/// The count the `ask` group's counters are spawned with (what every reply
/// must be).
const START: u64 = 1;

fn system() -> System {
    System::builder()
        .workers(2)
        .build()
        .expect("a System with two workers")
}

// ---- the counters ----

/// A counter written by hand: `impl Actor` and its own message enum.
struct HandCounter {
    n: u64,
}

/// The messages of [`HandCounter`].
enum HandMsg {
    /// Adds to the count (a tell).
    Add(u64),
    /// Replies the count (an ask).
    Get(ReplyTo<u64>),
}

impl Actor for HandCounter {
    type Msg = HandMsg;
    type Error = Infallible;

    async fn handle(&mut self, msg: HandMsg, _: &mut Context<Self>) -> Result<(), Infallible> {
        match msg {
            HandMsg::Add(by) => self.n += by,
            HandMsg::Get(reply) => reply.reply(self.n),
        }
        Ok(())
    }
}

/// The same counter through the macros: `MacroCounterMsg`, the dispatch and
/// the `MacroCounterRef` trait are generated.
#[derive(Actor)]
struct MacroCounter {
    n: u64,
}

#[keel::messages]
impl MacroCounter {
    /// Adds `by` to the count.
    #[message]
    fn add(&mut self, by: u64) {
        self.n += by;
    }

    /// The count.
    #[message]
    fn get(&self) -> u64 {
        self.n
    }
}

// ---- tell ----

fn tell(c: &mut Criterion) {
    let mut group = c.benchmark_group("tell");
    group.throughput(Throughput::Elements(TELLS));

    {
        let system = system();
        let counter = system.spawn(HandCounter { n: 0 });
        // The count is never reset: each iteration adds TELLS to it.
        let mut total = 0;
        group.bench_function("hand", |b| {
            b.iter(|| {
                for _ in 0..TELLS {
                    if counter.tell(HandMsg::Add(1)).is_err() {
                        panic!("the counter is running and unbounded");
                    }
                }
                total += TELLS;
                let n = counter.ask_blocking(HandMsg::Get).expect("answered");
                assert_eq!(black_box(n), total, "every tell counted once");
            });
        });
        system.shutdown_blocking().expect("not on a keel thread");
    }

    {
        use self::MacroCounterRef as _;
        let system = system();
        let counter = system.spawn(MacroCounter { n: 0 });
        let mut total = 0;
        group.bench_function("macro", |b| {
            b.iter(|| {
                for _ in 0..TELLS {
                    if counter.add(1).is_err() {
                        panic!("the counter is running and unbounded");
                    }
                }
                total += TELLS;
                let n = counter
                    .ask_blocking(MacroCounterMsg::Get)
                    .expect("answered");
                assert_eq!(black_box(n), total, "every tell counted once");
            });
        });
        system.shutdown_blocking().expect("not on a keel thread");
    }

    group.finish();
}

// ---- ask ----

/// `n` sequential asks to the hand-written counter, each reply checked.
async fn hand_asks(counter: &ActorRef<HandCounter>, n: u64) {
    for _ in 0..n {
        let count = counter.ask(HandMsg::Get).await.expect("answered");
        assert_eq!(black_box(count), START, "the count is unchanged");
    }
}

/// `n` sequential asks to the macro counter through its generated method.
async fn macro_asks(counter: &ActorRef<MacroCounter>, n: u64) {
    use self::MacroCounterRef as _;
    for _ in 0..n {
        let count = counter.get().await.expect("answered");
        assert_eq!(black_box(count), START, "the count is unchanged");
    }
}

/// Runs one ask loop inside its handler, timing it.
struct Driver;

/// What [`Driver`] is asked to run; `done` gets the loop's elapsed time.
enum DriverMsg {
    /// [`hand_asks`] against `counter`.
    Hand {
        counter: ActorRef<HandCounter>,
        asks: u64,
        done: ReplyTo<Duration>,
    },
    /// [`macro_asks`] against `counter`.
    Macro {
        counter: ActorRef<MacroCounter>,
        asks: u64,
        done: ReplyTo<Duration>,
    },
}

impl Actor for Driver {
    type Msg = DriverMsg;
    type Error = Infallible;

    async fn handle(&mut self, msg: DriverMsg, _: &mut Context<Self>) -> Result<(), Infallible> {
        match msg {
            DriverMsg::Hand {
                counter,
                asks,
                done,
            } => {
                let start = Instant::now();
                hand_asks(&counter, asks).await;
                done.reply(start.elapsed());
            }
            DriverMsg::Macro {
                counter,
                asks,
                done,
            } => {
                let start = Instant::now();
                macro_asks(&counter, asks).await;
                done.reply(start.elapsed());
            }
        }
        Ok(())
    }
}

fn ask(c: &mut Criterion) {
    let mut group = c.benchmark_group("ask");
    group.throughput(Throughput::Elements(ASKS));

    {
        let system = system();
        let counter = system.spawn(HandCounter { n: START });
        let driver = system.spawn(Driver);
        group.bench_function("hand", |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        driver
                            .ask_blocking(|done| DriverMsg::Hand {
                                counter: counter.clone(),
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

    {
        let system = system();
        let counter = system.spawn(MacroCounter { n: START });
        let driver = system.spawn(Driver);
        group.bench_function("macro", |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        driver
                            .ask_blocking(|done| DriverMsg::Macro {
                                counter: counter.clone(),
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
    tell(&mut c);
    ask(&mut c);
    c.final_summary();
}
