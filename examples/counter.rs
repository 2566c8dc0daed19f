//! Your first actor: a counter that others tell to add, and ask for the
//! count. The book's first chapter walks through it.
//!
//! Run it with `cargo run --example counter`.
// ANCHOR: all
use keel::prelude::*;

// ANCHOR: actor
/// The actor's state: one number, owned by the actor alone.
#[derive(Actor, Default)]
struct Counter {
    n: u64,
}

// ANCHOR: messages
#[keel::messages]
impl Counter {
    /// Adds `by` to the count. It returns nothing, so it is a tell.
    #[message]
    fn add(&mut self, by: u64) {
        self.n += by;
    }

    /// The count so far. It returns a value, so it is an ask.
    #[message]
    fn get(&self) -> u64 {
        self.n
    }
}
// ANCHOR_END: messages
// ANCHOR_END: actor

// ANCHOR: main
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let system = System::new();
    let counter = system.spawn(Counter::default());

    counter.add(5)?; // queued; returns at once
    counter.add(37)?;
    let n = counter.get().await?; // waits for the reply
    println!("the count is {n}");

    system.shutdown().await;
    Ok(())
}
// ANCHOR_END: main
// ANCHOR_END: all
