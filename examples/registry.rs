//! Names and process groups: finding an actor without holding its ref.
//!
//! Run it with `cargo run --example registry`.
// ANCHOR: all
// ANCHOR: actors
use keel::prelude::*;
use keel::{RegisterError, WhereisError};

/// Keeps a price list.
#[derive(Actor, Default)]
struct Prices;

#[keel::messages]
impl Prices {
    #[message]
    fn price(&self, item: String) -> u32 {
        item.len() as u32
    }
}

/// One of several shards of a cache.
#[derive(Actor)]
struct Shard {
    n: u32,
}

#[keel::messages]
impl Shard {
    #[message]
    fn number(&self) -> u32 {
        self.n
    }

    #[message]
    fn retire(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}
// ANCHOR_END: actors

#[tokio::main]
async fn main() {
    let system = System::new();

    // ANCHOR: names
    let prices = system.spawn(Prices);
    system.register("prices", &prices).unwrap();
    // Anywhere else in the program:
    let found = system.whereis::<Prices>("prices").unwrap();
    println!("a pear costs {}", found.price("pear".into()).await.unwrap());
    // ANCHOR_END: names

    // ANCHOR: errors
    let second = system.spawn(Prices);
    match system.register("prices", &second) {
        Err(RegisterError::AlreadyRegistered(holder)) => {
            println!("\"prices\" is taken by {}", holder.id());
        }
        other => println!("unexpected: {other:?}"),
    }
    match system.whereis::<Shard>("prices") {
        Err(WhereisError::WrongType) => println!("\"prices\" is not a Shard"),
        other => println!("unexpected: {other:?}"),
    }
    // ANCHOR_END: errors

    // ANCHOR: release
    prices.stop();
    prices.wait_exit().await;
    match system.whereis::<Prices>("prices") {
        Err(WhereisError::NotFound) => println!("\"prices\" is free again"),
        other => println!("unexpected: {other:?}"),
    }
    // ANCHOR_END: release

    // ANCHOR: groups
    let mut shards = Vec::new();
    for n in 1..=3 {
        let shard = system.spawn(Shard { n });
        system.join("cache", &shard).unwrap();
        shards.push(shard);
    }
    let mut numbers = Vec::new();
    for member in system.members("cache") {
        let shard = member.downcast::<Shard>().unwrap();
        numbers.push(shard.number().await.unwrap());
    }
    println!("the cache's shards: {numbers:?}");
    shards[1].retire().unwrap();
    shards[1].wait_exit().await;
    println!(
        "after one retired: {} members",
        system.members("cache").len()
    );
    system.shutdown().await;
    // ANCHOR_END: groups
}
// ANCHOR_END: all
