//! Shutting a System down: the trees in reverse start order, each
//! supervisor's children in reverse start order, then the actors outside
//! the trees; `stopped` runs where an actor traps exits.
//!
//! Run it with `cargo run --example shutdown`.
// ANCHOR: all
// ANCHOR: actor
use keel::prelude::*;

/// A service that cleans up when it is stopped: it traps exits, so a
/// shutdown request runs its `stopped` (OTP's `terminate`).
#[derive(Actor)]
#[actor(started = Self::trap, stopped = Self::clean_up)]
struct Service {
    name: &'static str,
}

impl Service {
    async fn trap(&mut self, ctx: &mut Context<Self>) {
        ctx.trap_exits(true);
    }

    async fn clean_up(&mut self, reason: &ExitReason, _ctx: &mut Context<Self>) {
        println!("{}: cleaned up ({reason})", self.name);
    }
}

#[keel::messages]
impl Service {
    #[message]
    fn ping(&self) -> &'static str {
        self.name
    }
}

fn service(name: &'static str) -> ChildSpec {
    ChildSpec::worker(name, move || Service { name })
}
// ANCHOR_END: actor

#[tokio::main]
async fn main() {
    // ANCHOR: start
    let system = System::new();
    let tree = Supervisor::builder()
        .child(service("db"))
        .child(service("cache"))
        .child(service("web"))
        .build()
        .expect("a valid supervisor");
    system.supervise(tree).await.expect("the tree starts");
    // An actor outside the tree.
    let reporter = system.spawn(Service { name: "reporter" });
    println!("{} is up", reporter.ping().await.unwrap());
    // ANCHOR_END: start

    // ANCHOR: shutdown
    println!("shutting down");
    system.shutdown().await;
    println!("terminated: {}", system.terminated().await);
    // ANCHOR_END: shutdown
}
// ANCHOR_END: all
