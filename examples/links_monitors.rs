//! Links and monitors: who hears about an actor's end, and what happens
//! to them.
//!
//! Run it with `cargo run --example links_monitors`.
// ANCHOR: all
// ANCHOR: actors
use keel::prelude::*;
use keel::MonitorRef;

/// An actor that crashes on demand.
#[derive(Actor)]
struct Worker;

#[keel::messages]
impl Worker {
    #[message]
    fn crash(&mut self) {
        panic!("the worker crashed");
    }
}

/// Links itself to another actor: when either ends abnormally, the other
/// ends too, with the same reason (it does not trap exits).
#[derive(Actor)]
struct Partner;

#[keel::messages]
impl Partner {
    #[message]
    fn link_to(&mut self, other: AnyRef, ctx: &mut Context<Self>) -> bool {
        ctx.link(other).is_ok()
    }
}

/// Links itself too, but traps exits: a linked actor's end arrives as a
/// message (`on_exit`) instead of ending it.
#[derive(Actor, Default)]
#[actor(started = Self::trap, on_exit = Self::exited)]
struct Guardian {
    heard: Vec<String>,
}

impl Guardian {
    async fn trap(&mut self, ctx: &mut Context<Self>) {
        ctx.trap_exits(true);
    }

    async fn exited(&mut self, from: AnyRef, reason: ExitReason, _ctx: &mut Context<Self>) {
        self.heard.push(format!("{} exited ({reason})", from.id()));
    }
}

#[keel::messages]
impl Guardian {
    #[message]
    fn link_to(&mut self, other: AnyRef, ctx: &mut Context<Self>) -> bool {
        ctx.link(other).is_ok()
    }

    #[message]
    fn heard(&self) -> Vec<String> {
        self.heard.clone()
    }
}

/// Monitors other actors: one `on_down` per monitor when its target ends,
/// whatever the reason; the watcher itself is never ended by it.
#[derive(Actor, Default)]
#[actor(on_down = Self::down)]
struct Watcher {
    heard: Vec<String>,
}

impl Watcher {
    async fn down(&mut self, monitor: MonitorRef, reason: ExitReason, _ctx: &mut Context<Self>) {
        self.heard
            .push(format!("{} is down ({reason})", monitor.target().id()));
    }
}

#[keel::messages]
impl Watcher {
    /// An ask (it returns the monitor), so that the monitor exists once it
    /// is answered.
    #[message]
    fn watch(&mut self, target: AnyRef, ctx: &mut Context<Self>) -> MonitorRef {
        ctx.monitor(target)
    }

    #[message]
    fn heard(&self) -> Vec<String> {
        self.heard.clone()
    }
}
// ANCHOR_END: actors

#[tokio::main]
async fn main() {
    // ANCHOR: setup
    let system = System::new();
    let worker = system.spawn(Worker);
    println!("the worker is {}", worker.id());

    // Each call is an ask, so the link or monitor exists once it returns.
    let watcher = system.spawn(Watcher::default());
    watcher.watch(worker.any()).await.unwrap();
    let guardian = system.spawn(Guardian::default());
    assert!(guardian.link_to(worker.any()).await.unwrap());
    let partner = system.spawn(Partner);
    assert!(partner.link_to(worker.any()).await.unwrap());
    // ANCHOR_END: setup

    // ANCHOR: crash
    worker.crash().unwrap();
    // The partner did not trap exits: the worker's end is its end.
    println!("partner exited: {}", partner.wait_exit().await);
    // ANCHOR_END: crash

    // ANCHOR: heard
    // Once the worker's `wait_exit` resolves, everyone it told has the
    // notice queued: these asks are answered after they handled it.
    worker.wait_exit().await;
    println!("watcher heard: {:?}", watcher.heard().await.unwrap());
    println!("guardian heard: {:?}", guardian.heard().await.unwrap());
    // ANCHOR_END: heard

    // ANCHOR: gone
    // Watching an actor that is already gone: at once, `NoProc`. Linking
    // to one fails.
    watcher.watch(worker.any()).await.unwrap();
    println!("watcher heard: {:?}", watcher.heard().await.unwrap());
    println!(
        "link to a gone actor: {}",
        guardian.link_to(worker.any()).await.unwrap()
    );
    system.shutdown().await;
    // ANCHOR_END: gone
}
// ANCHOR_END: all
