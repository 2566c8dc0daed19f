// Every `#[actor(...)]` key that does not conflict with another, across two
// attributes, and each one observed: the bounded mailbox drops the newest
// message when full, the error type is the one named, and every hook runs.
use std::fmt;
use std::sync::mpsc;
use std::time::Duration;

use keel::prelude::*;
use keel::MonitorRef;

#[derive(Debug)]
struct HookError;

impl fmt::Display for HookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("hook error")
    }
}

impl std::error::Error for HookError {}

#[derive(Actor)]
#[actor(name = "watcher", bounded = 4, overflow = DropNewest, error = HookError)]
#[actor(started = Self::init, stopped = Self::done, on_exit = Self::exit, on_down = Self::down)]
struct Watcher {
    gate: Option<mpsc::Receiver<()>>,
    log: mpsc::Sender<String>,
    pings: u64,
}

impl Watcher {
    async fn init(&mut self, ctx: &mut Context<Self>) -> Result<Start, HookError> {
        // Hold the start until main has filled the mailbox.
        if let Some(gate) = self.gate.take() {
            gate.recv().map_err(|_| HookError)?;
        }
        ctx.trap_exits(true);
        self.log.send("started".into()).unwrap();
        Ok(Start::Ready)
    }

    async fn done(&mut self, reason: &ExitReason, _ctx: &mut Context<Self>) {
        self.log.send(format!("stopped: {reason:?}")).unwrap();
    }

    async fn exit(
        &mut self,
        _from: AnyRef,
        reason: ExitReason,
        _ctx: &mut Context<Self>,
    ) -> Result<(), HookError> {
        self.log.send(format!("exit: {reason:?}")).unwrap();
        Ok(())
    }

    async fn down(&mut self, _monitor: MonitorRef, reason: ExitReason, _ctx: &mut Context<Self>) {
        self.log.send(format!("down: {reason:?}")).unwrap();
    }
}

#[keel::messages]
impl Watcher {
    #[message]
    fn ping(&mut self) {
        self.pings += 1;
    }

    #[message]
    fn pings(&self) -> u64 {
        self.pings
    }

    /// Links to one new child and monitors another.
    #[message]
    fn watch(&mut self, ctx: &mut Context<Self>) -> (ActorRef<Child>, ActorRef<Child>) {
        let linked = ctx.spawn_link(Child);
        let monitored = ctx.spawn(Child);
        ctx.monitor(&monitored);
        (linked, monitored)
    }
}

#[derive(Actor)]
struct Child;

#[keel::messages]
impl Child {
    #[message]
    fn quit(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

fn next(log: &mpsc::Receiver<String>) -> String {
    log.recv_timeout(Duration::from_secs(10)).expect("a hook ran")
}

#[tokio::main]
async fn main() {
    let _: fn(<Watcher as Actor>::Error) -> HookError = |e| e;
    let _: fn(<Watcher as Actor>::Msg) -> WatcherMsg = |m| m;

    let system = System::new();
    let (gate, gate_rx) = mpsc::channel();
    let (log_tx, log) = mpsc::channel();
    let watcher = system.spawn(Watcher {
        gate: Some(gate_rx),
        log: log_tx,
        pings: 0,
    });
    for _ in 0..4 {
        watcher.ping().unwrap();
    }
    // Full: `DropNewest` makes the fifth a dead letter, not an error.
    watcher.ping().unwrap();
    assert_eq!(system.dead_letters(), 1);
    gate.send(()).unwrap();
    assert_eq!(next(&log), "started");
    assert_eq!(watcher.pings().await.unwrap(), 4);

    let (linked, monitored) = watcher.watch().await.unwrap();
    linked.quit().unwrap();
    monitored.quit().unwrap();
    let mut seen = [next(&log), next(&log)];
    seen.sort();
    assert_eq!(seen, ["down: Normal", "exit: Normal"]);

    watcher.stop();
    assert_eq!(watcher.wait_exit().await, ExitReason::Shutdown);
    assert_eq!(next(&log), "stopped: Shutdown");
    system.shutdown().await;
}
