//! Dispatchers: blocking work on its own threads, and a bulkhead of
//! workers for one part of the program.
//!
//! Run it with `cargo run --example dispatchers`.
// ANCHOR: all
// ANCHOR: actors
use std::time::Duration;

use keel::prelude::*;

/// Does slow, blocking work (a synchronous library, a file, a C call):
/// `blocking` gives it a thread of its own, so it holds up no other actor.
#[derive(Actor, Default)]
#[actor(blocking)]
struct Archiver {
    archived: u32,
}

#[keel::messages]
impl Archiver {
    /// Blocks its thread, as synchronous code does.
    #[message]
    fn archive(&mut self, name: String) -> String {
        std::thread::sleep(Duration::from_millis(200));
        self.archived += 1;
        format!("{name} archived")
    }
}

/// Answers at once.
#[derive(Actor, Default)]
struct Greeter;

#[keel::messages]
impl Greeter {
    #[message]
    fn hello(&self, name: String) -> String {
        format!("hello, {name}")
    }
}

/// Runs on the "reports" dispatcher: its own workers, so a flood of
/// reports cannot slow the rest of the program down (a bulkhead).
#[derive(Actor, Default)]
#[actor(dispatcher = "reports")]
struct Reporter {
    lines: u32,
}

#[keel::messages]
impl Reporter {
    #[message]
    fn line(&mut self) {
        self.lines += 1;
    }

    #[message]
    fn lines(&self) -> u32 {
        self.lines
    }
}
// ANCHOR_END: actors

#[tokio::main]
async fn main() {
    // ANCHOR: system
    // Two workers for everyone, one more for the reports.
    let system = System::builder()
        .workers(2)
        .dispatcher("reports", 1)
        .build()
        .expect("a System");
    // ANCHOR_END: system

    // ANCHOR: blocking
    let archiver = system.spawn(Archiver::default());
    let greeter = system.spawn(Greeter);
    // The archive request blocks the archiver's thread for 200 ms; the
    // greeter answers meanwhile.
    let archived = archiver.archive("2025.log".into());
    println!("{}", greeter.hello("ada".into()).await.unwrap());
    println!("{}", archived.await.unwrap());
    // ANCHOR_END: blocking

    // ANCHOR: bulkhead
    let reporter = system.spawn(Reporter::default());
    for _ in 0..1000 {
        reporter.line().unwrap();
    }
    println!("{} report lines", reporter.lines().await.unwrap());
    system.shutdown().await;
    // ANCHOR_END: bulkhead
}
// ANCHOR_END: all
