//! A look at keel's engine, the layer every actor will run on: a scheduler
//! with its own workers, and mailboxes that wake the task that owns them.
//!
//! Run it with `cargo run --release --example engine`.
//!
//! The actor API (`System`, `#[derive(Actor)]`, supervisors) is built on
//! exactly these pieces; this example drives them directly through
//! `keel::__internal`, which is not a public API and may change: it is
//! here to show the engine, not for applications (the book does not use
//! it).
use std::time::Instant;

use keel::__internal::{block_on, Mailbox, Receiver, Scheduler, SchedulerConfig, SendError};

const ROUND_TRIPS: u64 = 200_000;

fn main() {
    let scheduler = Scheduler::new(SchedulerConfig {
        name: "engine".into(),
        ..SchedulerConfig::default()
    })
    .expect("the OS gave us threads");
    println!("scheduler: {} workers", scheduler.workers());

    // Two tasks bounce a counter through each other's mailbox.
    let (ping_mb, ping_rx) = Mailbox::<u64>::unbounded();
    let (pong_mb, pong_rx) = Mailbox::<u64>::unbounded();
    let (done_mb, mut done_rx) = Mailbox::<u64>::unbounded();
    scheduler
        .spawn(player(ping_rx, pong_mb.clone(), Some(done_mb)))
        .expect("the scheduler is running");
    scheduler
        .spawn(player(pong_rx, ping_mb.clone(), None))
        .expect("the scheduler is running");

    let start = Instant::now();
    ping_mb.try_send(0).expect("the mailbox is open");
    let last = block_on(done_rx.recv()).expect("the ping task reports");
    let elapsed = start.elapsed();
    println!(
        "ping-pong: {last} messages in {:.1} ms ({:.0} ns per message)",
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_nanos() as f64 / last as f64
    );

    // A full bounded mailbox answers Full with the message; a closed one
    // hands it back as Closed.
    let (bounded, _rx) = Mailbox::<&str>::bounded(1);
    bounded.try_send("first").expect("room for one");
    if let Err(SendError::Full(msg)) = bounded.try_send("second") {
        println!("bounded mailbox full: got {msg:?} back");
    }
    bounded.close();
    if let Err(SendError::Closed(msg)) = bounded.try_send("third") {
        println!("closed mailbox: got {msg:?} back");
    }

    ping_mb.close();
    pong_mb.close();
    scheduler.shutdown();
    println!("scheduler shut down: workers joined");
}

/// Receives a number, sends the next one to its peer; the ping side reports
/// when the count is reached.
async fn player(mut rx: Receiver<u64>, peer: Mailbox<u64>, done: Option<Mailbox<u64>>) {
    while let Ok(n) = rx.recv().await {
        if n >= 2 * ROUND_TRIPS {
            if let Some(done) = &done {
                let _ = done.try_send(n);
            }
            return;
        }
        if peer.try_send(n + 1).is_err() {
            return;
        }
    }
}
