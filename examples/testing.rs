//! Testing actors without sleeping: the events of a System, a
//! supervisor's `sync`, a manual clock, and a held mailbox.
//!
//! Run it with `cargo run --example testing`. Each section is what a test
//! would do; here `main` runs them one after another and prints what it
//! checked.
// ANCHOR: all
// ANCHOR: actor
use std::time::Duration;

use keel::prelude::*;
use keel::testing::{quiet_panics, resume, suspend, ManualClock};
use keel::{ChildState, SupervisorRef, SystemEvent};

/// A counter that can be made to crash.
#[derive(Actor, Default)]
struct Counter {
    n: u64,
}

#[keel::messages]
impl Counter {
    #[message]
    fn add(&mut self, by: u64) {
        self.n += by;
    }

    #[message]
    fn get(&self) -> u64 {
        self.n
    }

    #[message]
    fn crash(&mut self) {
        panic!("counter crashed");
    }
}

/// The running child `id` of `sup`, typed.
async fn child(sup: &SupervisorRef, id: &str) -> ActorRef<Counter> {
    let children = sup.which_children().await.expect("the supervisor runs");
    match children.into_iter().find(|c| &*c.id == id).map(|c| c.state) {
        Some(ChildState::Running(r)) => r.downcast().expect("a Counter"),
        other => panic!("{id} is not running: {other:?}"),
    }
}
// ANCHOR_END: actor

#[tokio::main]
async fn main() {
    // ANCHOR: setup
    // Panics in actors are expected here: keep their messages quiet.
    quiet_panics();
    let clock = ManualClock::new();
    let system = System::builder().clock(&clock).build().expect("a System");
    let mut events = system.events();
    let sup = Supervisor::builder()
        .max_restarts(1)
        .within(Duration::from_secs(10))
        .child(ChildSpec::worker("counter", Counter::default))
        .build()
        .expect("a valid supervisor");
    let sup = system.supervise(sup).await.expect("the tree starts");
    let counter = child(&sup, "counter").await;
    // ANCHOR_END: setup

    // ANCHOR: ask
    // Messages from one sender arrive in order: an ask sent after tells is
    // answered after them. No waiting needed.
    counter.add(2).unwrap();
    counter.add(3).unwrap();
    assert_eq!(counter.get().await.unwrap(), 5);
    println!("ask after tells: 5");
    // ANCHOR_END: ask

    // ANCHOR: events
    // A crash is handled on another thread: wait for the event that says
    // the supervisor restarted the child.
    counter.crash().unwrap();
    let restarted = events
        .next_matching(
            |e| matches!(e, SystemEvent::ChildRestarted { child, .. } if &**child == "counter"),
        )
        .await;
    assert!(restarted.is_some());
    assert_eq!(counter.get().await.unwrap(), 0, "a fresh state");
    println!("restarted, with a fresh state");
    // ANCHOR_END: events

    // ANCHOR: sync
    // A kill reaches the supervisor before `kill()` returns: `sync()`
    // returns once the supervisor has handled it (and restarted the child).
    // One restart in 10 s is allowed and one was used: this one is too
    // many, unless the window has moved on. It has, on the manual clock.
    clock.advance(Duration::from_secs(11));
    counter.kill();
    sup.sync().await.unwrap();
    assert_eq!(counter.get().await.unwrap(), 0);
    println!("killed, restarted, within the limit after 11 s");
    // ANCHOR_END: sync

    // ANCHOR: suspend
    // Hold a mailbox to line messages up, then let them through.
    suspend(&counter);
    counter.add(1).unwrap();
    counter.add(1).unwrap();
    println!("queued while held: {}", counter.any().mailbox_len());
    resume(&counter);
    assert_eq!(counter.get().await.unwrap(), 2);
    println!("after resume: 2");
    system.shutdown().await;
    // ANCHOR_END: suspend
}
// ANCHOR_END: all
