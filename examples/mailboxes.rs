//! Mailboxes: unbounded and bounded, the three ways a sender meets a full
//! one (hand the message back, wait for room, drop it as a dead letter),
//! and where dead letters come from.
//!
//! Run it with `cargo run --example mailboxes`.
// ANCHOR: all
// ANCHOR: actors
use std::time::Duration;

use keel::prelude::*;
use keel::{MailboxConfig, SystemEvent};
use tokio::sync::oneshot;

/// Holds an actor busy inside a handler until opened, so that the example
/// decides exactly when messages wait in a mailbox.
#[derive(Debug)]
struct Gate {
    held: oneshot::Sender<()>,
    open: oneshot::Receiver<()>,
}

/// The other side of a [`Gate`].
#[derive(Debug)]
struct Opener {
    held: oneshot::Receiver<()>,
    open: oneshot::Sender<()>,
}

fn gate() -> (Gate, Opener) {
    let (held_tx, held_rx) = oneshot::channel();
    let (open_tx, open_rx) = oneshot::channel();
    let gate = Gate {
        held: held_tx,
        open: open_rx,
    };
    let opener = Opener {
        held: held_rx,
        open: open_tx,
    };
    (gate, opener)
}

impl Gate {
    /// In a handler: says it is held, then waits to be let go.
    async fn hold(self) {
        let _ = self.held.send(());
        let _ = self.open.await;
    }
}

impl Opener {
    /// Waits until the actor is inside the gate (its mailbox is empty).
    async fn held(&mut self) {
        let _ = (&mut self.held).await;
    }

    fn open(self) {
        let _ = self.open.send(());
    }
}

/// A meter that counts readings; `hold` keeps it busy behind a gate.
#[derive(Actor, Default)]
struct Meter {
    readings: u64,
}

#[keel::messages]
impl Meter {
    #[message]
    fn reading(&mut self, _value: u64) {
        self.readings += 1;
    }

    #[message]
    fn count(&self) -> u64 {
        self.readings
    }

    #[message]
    async fn hold(&mut self, gate: Gate) {
        gate.hold().await;
    }
}

/// The same meter with room for 2 waiting messages: a tell to a full
/// mailbox comes back (`FailFast`, the default policy).
#[derive(Actor, Default)]
#[actor(bounded = 2)]
struct SmallMeter {
    readings: u64,
}

#[keel::messages]
impl SmallMeter {
    #[message]
    fn reading(&mut self, _value: u64) {
        self.readings += 1;
    }

    #[message]
    fn count(&self) -> u64 {
        self.readings
    }

    #[message]
    async fn hold(&mut self, gate: Gate) {
        gate.hold().await;
    }
}

/// Room for 2, and a tell to a full mailbox succeeds: the reading is
/// dropped as a dead letter (for data where the newest can be lost).
#[derive(Actor, Default)]
#[actor(bounded = 2, overflow = DropNewest)]
struct LossyMeter {
    readings: u64,
}

#[keel::messages]
impl LossyMeter {
    #[message]
    fn reading(&mut self, _value: u64) {
        self.readings += 1;
    }

    #[message]
    fn count(&self) -> u64 {
        self.readings
    }

    #[message]
    async fn hold(&mut self, gate: Gate) {
        gate.hold().await;
    }
}
// ANCHOR_END: actors

#[tokio::main]
async fn main() {
    // ANCHOR: unbounded
    // Every mailbox of this System records its high-water mark.
    let system = System::builder()
        .default_mailbox(MailboxConfig::unbounded().track_high_water(true))
        .build()
        .expect("a valid configuration");
    let mut events = system.events();

    let meter = system.spawn(Meter::default());
    let (held, mut opener) = gate();
    meter.hold(held).unwrap();
    opener.held().await; // the meter is busy, its mailbox empty
    for value in 0..1000 {
        meter.reading(value).unwrap(); // unbounded: never refused for room
    }
    let count = meter.count(); // an ask is queued when made
    println!("queued: {}", meter.any().mailbox_len());
    opener.open();
    println!("counted: {}", count.await.unwrap());
    println!(
        "queued: {}, at most: {:?}",
        meter.any().mailbox_len(),
        meter.any().mailbox_high_water()
    );
    // ANCHOR_END: unbounded

    // ANCHOR: bounded
    let small = system.spawn(SmallMeter::default());
    let (held, mut opener) = gate();
    small.hold(held).unwrap();
    opener.held().await;
    for value in 1..=3 {
        match small.reading(value) {
            Ok(()) => println!("reading {value} queued"),
            Err(TellError::Full(msg)) => println!("reading {value} came back: {msg:?}"),
            Err(e) => println!("reading {value}: {e}"),
        }
    }
    // ANCHOR_END: bounded

    // ANCHOR: send
    // `send` waits for room. Given up on (here by a timeout), the wait
    // ends and the reading is dropped unsent: never accepted, so not a
    // dead letter either.
    let waited = tokio::time::timeout(
        Duration::from_millis(20),
        small.send(SmallMeterMsg::Reading(3)),
    )
    .await;
    println!("send to a full mailbox, 20 ms later: {waited:?}");

    // Once the meter gets going, a send completes when room frees up.
    opener.open();
    small.send(SmallMeterMsg::Reading(3)).await.unwrap();
    println!("counted: {}", small.count().await.unwrap());
    // ANCHOR_END: send

    // ANCHOR: drop_newest
    let lossy = system.spawn(LossyMeter::default());
    let (held, mut opener) = gate();
    lossy.hold(held).unwrap();
    opener.held().await;
    for value in 1..=4 {
        lossy.reading(value).unwrap(); // always Ok
    }
    opener.open();
    println!("counted: {}", lossy.count().await.unwrap());
    println!("dead letters: {}", system.dead_letters());
    // ANCHOR_END: drop_newest

    // ANCHOR: closed
    // Messages still queued when an actor ends are dead letters too; an
    // ask still queued fails with why the actor ended.
    let (held, mut opener) = gate();
    meter.hold(held).unwrap();
    opener.held().await;
    meter.reading(1).unwrap();
    meter.reading(2).unwrap();
    let count = meter.count();
    meter.kill();
    // The queue is emptied in order: once the ask behind the readings has
    // failed, both readings are counted.
    println!("queued ask: {:?}", count.await);
    println!("dead letters: {}", system.dead_letters());
    // ANCHOR_END: closed

    // ANCHOR: events
    // Each one was also published, with its reason.
    while let Some(event) = events.try_next() {
        if let SystemEvent::DeadLetter {
            message_type,
            reason,
            ..
        } = event
        {
            println!("dead letter: {message_type} ({reason:?})");
        }
    }
    system.shutdown().await;
    // ANCHOR_END: events
}
// ANCHOR_END: all
