//! Timers on keel's clock: a message to oneself later, one every period,
//! and a manual clock that makes time move only when told.
//!
//! Run it with `cargo run --example timers`.
// ANCHOR: all
// ANCHOR: actors
use std::time::Duration;

use keel::prelude::*;
use keel::testing::ManualClock;
use keel::TimerRef;

/// Counts the ticks of an interval it starts and stops on request.
#[derive(Actor, Default)]
struct Ticker {
    ticks: u32,
    timer: Option<TimerRef>,
}

#[keel::messages]
impl Ticker {
    /// Starts ticking: a `Tick` message to itself every `every` (in place
    /// of an interval started before; false then).
    #[message]
    fn start(&mut self, every: Duration, ctx: &mut Context<Self>) -> bool {
        let timer = ctx.send_interval_with(every, || TickerMsg::Tick);
        match self.timer.replace(timer) {
            Some(old) => !ctx.cancel_timer(old),
            None => true,
        }
    }

    #[message]
    fn tick(&mut self) {
        self.ticks += 1;
    }

    /// Stops ticking; true if it was.
    #[message]
    fn stop_ticking(&mut self, ctx: &mut Context<Self>) -> bool {
        self.timer.take().is_some_and(|t| ctx.cancel_timer(t))
    }

    #[message]
    fn ticks(&self) -> u32 {
        self.ticks
    }
}

/// Rings once, some time after it is asked to.
#[derive(Actor, Default)]
struct Reminder {
    rung: Vec<String>,
}

#[keel::messages]
impl Reminder {
    /// Sends itself `Ring(note)` after `delay`.
    #[message]
    fn remind(&mut self, delay: Duration, note: String, ctx: &mut Context<Self>) -> bool {
        ctx.send_after(delay, ReminderMsg::Ring(note));
        true
    }

    #[message]
    fn ring(&mut self, note: String) {
        self.rung.push(note);
    }

    #[message]
    fn rung(&self) -> Vec<String> {
        self.rung.clone()
    }
}
// ANCHOR_END: actors

#[tokio::main]
async fn main() {
    // ANCHOR: clock
    // Time moves only when the program says so.
    let clock = ManualClock::new();
    let system = System::builder().clock(&clock).build().expect("a System");
    // ANCHOR_END: clock

    // ANCHOR: interval
    let ticker = system.spawn(Ticker::default());
    ticker.start(Duration::from_secs(1)).await.unwrap();
    clock.advance(Duration::from_secs(3));
    println!("after 3 s: {} ticks", ticker.ticks().await.unwrap());
    println!("stopped: {}", ticker.stop_ticking().await.unwrap());
    clock.advance(Duration::from_secs(5));
    println!("5 s later: {} ticks", ticker.ticks().await.unwrap());
    // ANCHOR_END: interval

    // ANCHOR: after
    let reminder = system.spawn(Reminder::default());
    reminder
        .remind(Duration::from_secs(60), "tea is ready".into())
        .await
        .unwrap();
    clock.advance(Duration::from_secs(59));
    println!("after 59 s: {:?}", reminder.rung().await.unwrap());
    clock.advance(Duration::from_secs(1));
    println!("after 60 s: {:?}", reminder.rung().await.unwrap());
    system.shutdown().await;
    // ANCHOR_END: after
}
// ANCHOR_END: all
