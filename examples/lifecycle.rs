//! An actor's life: `started`, messages one at a time, `stopped`, and the
//! ways it ends.
//!
//! Run it with `cargo run --example lifecycle`.
// ANCHOR: all
// ANCHOR: actor
use keel::prelude::*;

/// A journal that opens when its actor starts and closes when it stops.
#[derive(Actor)]
#[actor(started = Self::open, stopped = Self::close)]
struct Journal {
    name: &'static str,
    lines: Vec<String>,
}

impl Journal {
    fn new(name: &'static str) -> Journal {
        Journal {
            name,
            lines: Vec::new(),
        }
    }

    /// Runs before the first message.
    async fn open(&mut self, _ctx: &mut Context<Self>) {
        println!("{}: open", self.name);
    }

    /// Runs when the actor ends itself or is asked to stop.
    async fn close(&mut self, reason: &ExitReason, _ctx: &mut Context<Self>) {
        let lines = self.lines.len();
        println!("{}: closed ({reason}) with {lines} lines", self.name);
    }
}

#[keel::messages]
impl Journal {
    #[message]
    fn write(&mut self, line: String) {
        self.lines.push(line);
    }

    #[message]
    fn lines(&self) -> Vec<String> {
        self.lines.clone()
    }

    /// A message may take the actor's `Context` last: here, to stop itself
    /// once the current message is handled.
    #[message]
    fn finish(&mut self, ctx: &mut Context<Self>) {
        self.lines.push("the end".to_string());
        ctx.stop();
    }
}
// ANCHOR_END: actor

#[tokio::main]
async fn main() {
    let system = System::new();

    // ANCHOR: stop
    // `stop()` is queued behind the messages already sent: both lines are
    // written first. The actor ends with reason `shutdown`.
    let diary = system.spawn(Journal::new("diary"));
    diary.write("monday".to_string()).unwrap();
    diary.write("tuesday".to_string()).unwrap();
    diary.stop();
    println!("diary exited: {}", diary.wait_exit().await);
    // ANCHOR_END: stop

    // ANCHOR: self_stop
    // The actor stops itself with `ctx.stop()`: reason `normal`.
    let log = system.spawn(Journal::new("log"));
    log.write("started the engine".to_string()).unwrap();
    log.finish().unwrap();
    println!("log exited: {}", log.wait_exit().await);
    // ANCHOR_END: self_stop

    // ANCHOR: kill
    // `kill()` ends the actor at once: `stopped` does not run.
    let scratch = system.spawn(Journal::new("scratch"));
    println!("scratch has {:?}", scratch.lines().await.unwrap());
    scratch.kill();
    println!("scratch exited: {}", scratch.wait_exit().await);
    // ANCHOR_END: kill

    system.shutdown().await;
}
// ANCHOR_END: all
