//! Errors and panics: an error returned to the asker is just a reply; a
//! panic ends the actor, and only that actor.
//!
//! Run it with `cargo run --example errors`. The panic also prints Rust's
//! usual panic message on stderr.
// ANCHOR: all
// ANCHOR: actor
use std::num::ParseIntError;

use keel::prelude::*;

/// Parses numbers and keeps their sum.
#[derive(Actor, Default)]
struct Adder {
    sum: i64,
}

#[keel::messages]
impl Adder {
    /// An error in the reply: the asker gets it, the actor keeps going.
    #[message]
    fn add(&mut self, text: String) -> Result<i64, ParseIntError> {
        let n: i64 = text.trim().parse()?;
        self.sum += n;
        Ok(self.sum)
    }

    #[message]
    fn sum(&self) -> i64 {
        self.sum
    }

    /// A bug: a panic ends the actor.
    #[message]
    fn divide_by(&mut self, d: i64) -> i64 {
        self.sum /= d;
        self.sum
    }
}
// ANCHOR_END: actor

// ANCHOR: start
/// An actor whose start can fail.
#[derive(Actor)]
#[actor(started = Self::connect, error = std::io::Error)]
struct Uplink;

impl Uplink {
    async fn connect(&mut self, _ctx: &mut Context<Self>) -> Result<(), std::io::Error> {
        Err(std::io::Error::other("no route to host"))
    }
}

#[keel::messages]
impl Uplink {}
// ANCHOR_END: start

#[tokio::main]
async fn main() {
    let system = System::new();
    // ANCHOR: reply
    let adder = system.spawn(Adder::default());
    println!("add 40: {:?}", adder.add("40".to_string()).await);
    println!("add forty: {:?}", adder.add("forty".to_string()).await);
    println!("add 2: {:?}", adder.add("2".to_string()).await);
    // ANCHOR_END: reply

    // ANCHOR: panic
    // The panic ends the actor; the asker learns why.
    println!("divide_by 0: {:?}", adder.divide_by(0).await);
    println!("adder is {:?}", adder.status());
    println!("sum: {:?}", adder.sum().await);
    // Other actors are not touched.
    let other = system.spawn(Adder::default());
    println!("other adder: {:?}", other.add("7".to_string()).await);
    // ANCHOR_END: panic

    // ANCHOR: start_failure
    match system.spawn_ready(Uplink).await {
        Ok(_) => println!("uplink up"),
        Err(e) => println!("uplink: {e}"),
    }
    // ANCHOR_END: start_failure

    system.shutdown().await;
}
// ANCHOR_END: all
