//! The slow-turn watchdog: a handler poll that runs past the threshold is
//! reported with a tracing warning, and a killed actor whose handler does
//! not yield is called a zombie. Wall-clock time is the subject here, so the
//! handlers block for real (far past the threshold, to leave a wide margin).
// The clippy.toml ban on std's sync types keeps keel's own code loom-swappable;
// a test program is not part of that build.
#![cfg(not(keel_loom))] // the loom build compiles only sync + core
#![allow(clippy::disallowed_types)]

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use keel::prelude::*;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Keeps the message of every WARN event.
#[derive(Clone, Default)]
struct Warnings(Arc<Mutex<Vec<String>>>);

struct Message<'a>(&'a mut String);

impl Visit for Message<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            *self.0 = format!("{value:?}");
        }
    }
}

impl Subscriber for Warnings {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= tracing::Level::WARN
    }

    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut message = String::new();
        event.record(&mut Message(&mut message));
        self.0.lock().unwrap().push(message);
    }

    fn enter(&self, _span: &Id) {}

    fn exit(&self, _span: &Id) {}
}

struct Blocker;

impl Actor for Blocker {
    type Msg = ReplyTo<()>;
    type Error = Infallible;

    async fn handle(&mut self, r: ReplyTo<()>, _ctx: &mut Context<Self>) -> Result<(), Infallible> {
        // Blocks the worker: exactly what the watchdog is for.
        std::thread::sleep(Duration::from_millis(300));
        r.reply(());
        Ok(())
    }
}

#[tokio::test]
async fn slow_turns_and_zombies_are_reported() {
    let warnings = Warnings::default();
    tracing::subscriber::set_global_default(warnings.clone()).unwrap();
    let system = System::builder()
        .workers(2)
        .slow_turn_warning(Duration::from_millis(20))
        .build()
        .unwrap();

    let slow = system.spawn(Blocker);
    slow.ask(|r| r).await.unwrap();
    let seen = warnings.0.lock().unwrap().clone();
    assert!(seen.iter().any(|w| w.starts_with("slow turn")), "{seen:?}");
    assert!(!seen.iter().any(|w| w.starts_with("zombie")), "{seen:?}");

    // Killed while blocked: dead at once, a zombie until the poll returns.
    let zombie = system.spawn(Blocker);
    let ask = zombie.ask(|r| r);
    // Kill it once its handler is running (it took the only message).
    while zombie.any().mailbox_len() > 0 {
        tokio::task::yield_now().await;
    }
    zombie.kill();
    assert_eq!(zombie.status(), keel::Status::Stopped);
    // The blocked poll still finishes (nothing can interrupt it).
    let _ = ask.await;
    system.shutdown().await;
    let seen = warnings.0.lock().unwrap().clone();
    assert!(seen.iter().any(|w| w.starts_with("zombie")), "{seen:?}");
}
