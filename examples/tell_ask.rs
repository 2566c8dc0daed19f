//! Tell and ask, and what each does when the actor is busy, full or gone.
//!
//! Run it with `cargo run --example tell_ask`.
// ANCHOR: all
// ANCHOR: actor
use std::time::Duration;

use keel::prelude::*;

/// A printer with a small mailbox: at most 2 jobs wait while it works.
#[derive(Actor, Default)]
#[actor(bounded = 2)]
struct Printer {
    printed: Vec<String>,
}

#[keel::messages]
impl Printer {
    /// Queues a page (a tell).
    #[message]
    fn print(&mut self, page: String) {
        self.printed.push(page);
    }

    /// How many pages are done (an ask).
    #[message]
    fn done(&self) -> usize {
        self.printed.len()
    }

    /// A slow job: the printer is busy for `ms` milliseconds (an async
    /// ask: it may await, and nothing else runs in this actor meanwhile).
    #[message]
    async fn warm_up(&mut self, ms: u64) -> &'static str {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        "warm"
    }
}
// ANCHOR_END: actor

#[tokio::main]
async fn main() {
    let system = System::new();
    // ANCHOR: tell
    let printer = system.spawn(Printer::default());

    // A tell queues the message and returns at once.
    printer.print("cover".to_string()).unwrap();
    println!("done: {}", printer.done().await.unwrap());
    // ANCHOR_END: tell

    // ANCHOR: timeout
    // An ask waits for the reply, for 5 s by default; `ask_timeout` picks
    // another limit for one ask.
    let quick = printer
        .ask_timeout(Duration::from_millis(10))
        .warm_up(200)
        .await;
    println!("warm_up within 10 ms: {quick:?}");
    // ANCHOR_END: timeout

    // ANCHOR: full
    // The printer is still warming up (about 190 ms to go), so its mailbox
    // fills: two pages wait, the third does not fit and comes back.
    for page in ["one", "two", "three"] {
        match printer.print(page.to_string()) {
            Ok(()) => println!("queued {page}"),
            Err(TellError::Full(msg)) => println!("mailbox full, got back {msg:?}"),
            Err(e) => println!("{page}: {e}"),
        }
    }
    // `send` waits for room instead.
    printer
        .send(PrinterMsg::Print("three".to_string()))
        .await
        .unwrap();
    println!("done: {}", printer.done().await.unwrap());
    // ANCHOR_END: full

    // ANCHOR: gone
    // Once the actor is gone, a tell hands the message back and an ask
    // fails at once.
    printer.stop();
    let reason = printer.wait_exit().await;
    println!("printer exited: {reason}");
    if let Err(TellError::Closed(msg)) = printer.print("late".to_string()) {
        println!("closed, got back {msg:?}");
    }
    println!("ask after exit: {:?}", printer.done().await);
    // ANCHOR_END: gone

    system.shutdown().await;
}
// ANCHOR_END: all
