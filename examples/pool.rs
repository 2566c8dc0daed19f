//! A router pool: four supervised thumbnailers behind one handle, routed
//! round robin and by key, failing over while one restarts, and resized
//! at run time (the book's "Router pools" chapter).
//!
//! `cargo run --example pool`
// ANCHOR: all
use std::time::Duration;

use keel::patterns::Pool;
use keel::prelude::*;
use keel::{Backoff, SystemEvent};

// ANCHOR: worker
#[derive(Actor, Default)]
struct Thumbnailer {
    done: u64,
}

#[keel::messages]
impl Thumbnailer {
    #[message]
    fn render(&mut self, image: String) -> String {
        if image.ends_with(".corrupt") {
            panic!("cannot decode {image}");
        }
        self.done += 1;
        format!("{image}.thumb")
    }

    #[message]
    fn done(&self) -> u64 {
        self.done
    }
}
// ANCHOR_END: worker

#[tokio::main]
async fn main() {
    let system = System::new();
    let mut events = system.events();

    // ANCHOR: start
    let pool = Pool::builder(4, Thumbnailer::default).restart_delay(Backoff::exponential(
        Duration::from_millis(500),
        Duration::from_secs(5),
    ));
    let pool = system.start_pool(pool).await.expect("the pool starts");
    // ANCHOR_END: start

    // ANCHOR: round_robin
    for i in 0..8 {
        let thumb = pool.pick().render(format!("photo-{i}.jpg")).await;
        println!("{}", thumb.expect("rendered"));
    }
    println!("done per worker: {:?}", done(&pool).await);
    // ANCHOR_END: round_robin

    // ANCHOR: by_key
    for user in ["ada", "grace", "ada", "linus", "grace", "ada"] {
        let worker = pool.pick_for(user);
        let index = pool.workers().iter().position(|w| *w == worker).unwrap();
        println!("{user} -> worker-{index}");
    }
    // ANCHOR_END: by_key

    // ANCHOR: failover
    let crashed = pool.pick().render("scan.corrupt".into()).await;
    println!("scan.corrupt: {}", crashed.unwrap_err());
    // The supervisor has seen the crash: worker-0 is restarting.
    while !matches!(events.next().await, Some(SystemEvent::ChildExited { .. })) {}
    let mut routed = Vec::new();
    for i in 8..14 {
        let worker = pool.pick();
        routed.push(pool.workers().iter().position(|w| *w == worker).unwrap());
        worker
            .render(format!("photo-{i}.jpg"))
            .await
            .expect("rendered");
    }
    println!("while worker-0 restarts, routed to {routed:?}");
    while !matches!(
        events.next().await,
        Some(SystemEvent::ChildRestarted { .. })
    ) {}
    println!("restarted; done per worker: {:?}", done(&pool).await);
    // ANCHOR_END: failover

    // ANCHOR: resize
    pool.resize(6).await.expect("grown");
    println!("size {}: {:?}", pool.size(), done(&pool).await);
    pool.resize(2).await.expect("shrunk");
    println!("size {}: {:?}", pool.size(), done(&pool).await);
    // ANCHOR_END: resize
    system.shutdown().await;
}

/// Each worker's count of rendered images, in order.
async fn done(pool: &Pool<Thumbnailer>) -> Vec<u64> {
    let mut out = Vec::new();
    for w in pool.workers() {
        out.push(w.done().await.expect("the worker answers"));
    }
    out
}
// ANCHOR_END: all
