//! The mailbox alone, beside `crossbeam_channel::unbounded` and
//! `std::sync::mpsc::channel`, measured by the same harness in the same run.
//!
//! # What is measured
//!
//! One iteration moves [`MESSAGES`] `u64` messages from the producer
//! thread(s) to one consumer thread, for two shapes:
//!
//! - `mailbox_1to1/{keel,crossbeam,std_mpsc}`: one producer, one consumer;
//! - `mailbox_2to1/{keel,crossbeam,std_mpsc}`: two producers (half the
//!   messages each), one consumer.
//!
//! Each channel is created once per benchmark and reused by every iteration,
//! so keel's blocks are recycled as they would be in a long-lived actor's
//! mailbox (crossbeam and std allocate and free theirs as they go). Each
//! iteration spawns its producer threads, which wait on a [`Barrier`] with
//! the consumer; the clock starts when the consumer leaves the barrier and
//! stops when it has received the last message, so thread start-up is not
//! counted. The producers send as fast as they can (keel: `try_send` on an
//! unbounded mailbox, which never reports `Full`).
//!
//! The consumer receives with each channel's parking receive, never with a
//! spinning `try_recv` loop: keel runs one
//! [`block_on`](keel::__internal::block_on) around the whole receive loop
//! (`rx.recv().await` per message, parking the thread whenever the mailbox
//! is empty); crossbeam and std call their blocking `recv()`. All three
//! therefore pay for a park and a wake-up whenever the consumer catches up.
//!
//! Reported throughput is messages per second (`Throughput::Elements`).
//!
//! # Running
//!
//! ```text
//! cargo bench --bench mailbox                 # all six entries
//! cargo bench --bench mailbox -- mailbox_2to1 # one shape
//! ```
//!
//! Samples are few and short (20 samples, 3 s each entry) so that the whole
//! run stays at about a minute on a 2-core machine; with two producers and a
//! consumer on two cores the 2→1 numbers are noisy, compare runs with care.
use std::hint::black_box;
use std::sync::{mpsc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{BenchmarkGroup, Criterion, Throughput};
use keel::__internal::{block_on, Mailbox, Receiver};

/// Messages moved per iteration (split evenly among the producers).
const MESSAGES: u64 = 100_000;

/// One channel implementation under the common harness.
trait Channel {
    /// The sending half, cloned into each producer thread.
    type Tx: Clone + Send;
    /// The receiving half, kept by the consumer across iterations.
    type Rx;

    /// A fresh channel.
    fn new() -> (Self::Tx, Self::Rx);
    /// Sends one message (never waits: every channel here is unbounded).
    fn send(tx: &Self::Tx, value: u64);
    /// Receives one message with the channel's parking receive.
    fn recv(rx: &mut Self::Rx) -> u64;
    /// Receives exactly `n` messages; returns their sum.
    fn recv_n(rx: &mut Self::Rx, n: u64) -> u64 {
        (0..n).fold(0u64, |sum, _| sum.wrapping_add(Self::recv(rx)))
    }
}

/// keel's mailbox, unbounded.
struct Keel;

impl Channel for Keel {
    type Tx = Mailbox<u64>;
    type Rx = Receiver<u64>;

    fn new() -> (Self::Tx, Self::Rx) {
        Mailbox::unbounded()
    }

    fn send(tx: &Self::Tx, value: u64) {
        tx.try_send(value).expect("unbounded and open");
    }

    fn recv(rx: &mut Self::Rx) -> u64 {
        block_on(rx.recv()).expect("open")
    }

    fn recv_n(rx: &mut Self::Rx, n: u64) -> u64 {
        // One block_on (one waker allocation) for the whole loop.
        block_on(async {
            let mut sum = 0u64;
            for _ in 0..n {
                sum = sum.wrapping_add(rx.recv().await.expect("open"));
            }
            sum
        })
    }
}

/// `crossbeam_channel::unbounded`.
struct Crossbeam;

impl Channel for Crossbeam {
    type Tx = crossbeam_channel::Sender<u64>;
    type Rx = crossbeam_channel::Receiver<u64>;

    fn new() -> (Self::Tx, Self::Rx) {
        crossbeam_channel::unbounded()
    }

    fn send(tx: &Self::Tx, value: u64) {
        tx.send(value).expect("open");
    }

    fn recv(rx: &mut Self::Rx) -> u64 {
        rx.recv().expect("open")
    }
}

/// `std::sync::mpsc::channel` (unbounded).
struct StdMpsc;

impl Channel for StdMpsc {
    type Tx = mpsc::Sender<u64>;
    type Rx = mpsc::Receiver<u64>;

    fn new() -> (Self::Tx, Self::Rx) {
        mpsc::channel()
    }

    fn send(tx: &Self::Tx, value: u64) {
        tx.send(value).expect("open");
    }

    fn recv(rx: &mut Self::Rx) -> u64 {
        rx.recv().expect("open")
    }
}

/// Total time for `iters` iterations of `producers` → 1, each moving
/// [`MESSAGES`] messages.
fn run<C: Channel>(tx: &C::Tx, rx: &mut C::Rx, producers: u64, iters: u64) -> Duration {
    let per_producer = MESSAGES / producers;
    let total = per_producer * producers;
    // Sum of 0..per_producer, once per producer.
    let expected = producers * (per_producer * (per_producer - 1) / 2);
    let mut elapsed = Duration::ZERO;
    for _ in 0..iters {
        let start_line = Barrier::new(producers as usize + 1);
        thread::scope(|s| {
            for _ in 0..producers {
                let tx = tx.clone();
                let start_line = &start_line;
                s.spawn(move || {
                    start_line.wait();
                    for i in 0..per_producer {
                        C::send(&tx, i);
                    }
                });
            }
            start_line.wait();
            let start = Instant::now();
            let sum = C::recv_n(rx, total);
            elapsed += start.elapsed();
            assert_eq!(black_box(sum), expected, "every message arrived once");
        });
    }
    elapsed
}

fn bench_one<C: Channel>(
    group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    producers: u64,
) {
    let (tx, mut rx) = C::new();
    group.bench_function(name, |b| {
        b.iter_custom(|iters| run::<C>(&tx, &mut rx, producers, iters));
    });
}

fn shape(c: &mut Criterion, group_name: &str, producers: u64) {
    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Elements(MESSAGES));
    bench_one::<Keel>(&mut group, "keel", producers);
    bench_one::<Crossbeam>(&mut group, "crossbeam", producers);
    bench_one::<StdMpsc>(&mut group, "std_mpsc", producers);
    group.finish();
}

fn one_to_one(c: &mut Criterion) {
    shape(c, "mailbox_1to1", 1);
}

fn two_to_one(c: &mut Criterion) {
    shape(c, "mailbox_2to1", 2);
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
    one_to_one(&mut c);
    two_to_one(&mut c);
    c.final_summary();
}
