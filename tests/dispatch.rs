//! Where actors run (named dispatchers, the blocking dispatcher) and the
//! hidden run-loop interceptor that fault injection builds on.
// The clippy.toml ban on std's sync types keeps keel's own code loom-swappable;
// a test program is not part of that build.
#![cfg(not(keel_loom))] // the loom build compiles only sync + core
#![allow(clippy::disallowed_types)]

use std::convert::Infallible;
use std::future::Future;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use keel::prelude::*;
use keel::testing::{quiet_panics, ManualClock};
use keel::{
    ActorConfig, ActorId, DeadLetterReason, Interceptor, MessageAction, StartAction, StartError,
    SystemEvent,
};

/// Answers with the name of the thread it runs on.
struct WhereAmI;

impl Actor for WhereAmI {
    type Msg = ReplyTo<String>;
    type Error = Infallible;

    async fn handle(
        &mut self,
        r: ReplyTo<String>,
        _ctx: &mut Context<Self>,
    ) -> Result<(), Infallible> {
        r.reply(std::thread::current().name().unwrap_or("?").to_owned());
        Ok(())
    }

    fn config() -> ActorConfig {
        ActorConfig::new().dispatcher("io")
    }
}

struct Nowhere;

impl Actor for Nowhere {
    type Msg = ();
    type Error = Infallible;

    async fn handle(&mut self, _msg: (), _ctx: &mut Context<Self>) -> Result<(), Infallible> {
        Ok(())
    }

    fn config() -> ActorConfig {
        ActorConfig::new().dispatcher("missing")
    }
}

/// An actor that names a dispatcher runs on its workers; an unknown name
/// fails the start with a typed error.
#[tokio::test]
async fn named_dispatchers() {
    let system = System::builder()
        .workers(1)
        .name("app")
        .dispatcher("io", 1)
        .build()
        .unwrap();
    let w = system.spawn(WhereAmI);
    assert_eq!(w.ask(|r| r).await.unwrap(), "app-io-0");
    assert_eq!(
        system.spawn_ready(Nowhere).await.unwrap_err(),
        StartError::UnknownDispatcher("missing".into())
    );
    system.shutdown().await;
}

/// Blocks its thread until the channel gives it something.
struct Blocker {
    rx: Mutex<mpsc::Receiver<u64>>,
    tx: mpsc::Sender<u64>,
}

impl Actor for Blocker {
    type Msg = ReplyTo<u64>;
    type Error = Infallible;

    async fn handle(
        &mut self,
        r: ReplyTo<u64>,
        _ctx: &mut Context<Self>,
    ) -> Result<(), Infallible> {
        // Hand the other one a value, then block until it hands us one.
        self.tx.send(1).unwrap();
        let got = self.rx.lock().unwrap().recv().unwrap();
        r.reply(got);
        Ok(())
    }

    fn config() -> ActorConfig {
        ActorConfig::new().blocking(true)
    }
}

/// Blocking actors each get a thread, so two that block on each other do
/// not deadlock, even on a one-worker System.
#[tokio::test]
async fn blocking_actors_do_not_starve_each_other() {
    let system = System::builder().workers(1).build().unwrap();
    let (a_tx, a_rx) = mpsc::channel();
    let (b_tx, b_rx) = mpsc::channel();
    let a = system.spawn(Blocker {
        rx: Mutex::new(a_rx),
        tx: b_tx,
    });
    let b = system.spawn(Blocker {
        rx: Mutex::new(b_rx),
        tx: a_tx,
    });
    let (x, y) = tokio::join!(a.ask(|r| r), b.ask(|r| r));
    assert_eq!((x, y), (Ok(1), Ok(1)));
    system.shutdown().await;
}

// ---- the interceptor ----

/// Injects the faults a test sets up: starts by actor type, messages by
/// actor.
#[derive(Default)]
struct Faults {
    start: Mutex<Vec<(&'static str, StartAction)>>,
    message: Mutex<Vec<(ActorId, MessageAction)>>,
}

impl Interceptor for Faults {
    fn on_start(&self, _actor: ActorId, type_name: &'static str) -> StartAction {
        let mut start = self.start.lock().unwrap();
        match start.iter().position(|(t, _)| type_name.ends_with(t)) {
            Some(i) => start.remove(i).1,
            None => StartAction::Continue,
        }
    }

    fn on_message(&self, actor: ActorId, _type_name: &'static str) -> MessageAction {
        let mut message = self.message.lock().unwrap();
        match message.iter().position(|(id, _)| *id == actor) {
            Some(i) => message.remove(i).1,
            None => MessageAction::Deliver,
        }
    }
}

struct Count(u64);

impl Actor for Count {
    type Msg = Option<ReplyTo<u64>>;
    type Error = Infallible;

    async fn handle(
        &mut self,
        msg: Option<ReplyTo<u64>>,
        _ctx: &mut Context<Self>,
    ) -> Result<(), Infallible> {
        match msg {
            Some(r) => r.reply(self.0),
            None => self.0 += 1,
        }
        Ok(())
    }
}

/// The interceptor can fail a start, panic, drop or delay a message; each
/// shows up as it would had the actor done it.
#[tokio::test]
async fn the_interceptor_injects_faults() {
    quiet_panics();
    let faults = Arc::new(Faults::default());
    let clock = ManualClock::new();
    let system = System::builder()
        .workers(2)
        .clock(&clock)
        .interceptor(faults.clone())
        .build()
        .unwrap();
    let mut events = system.events();

    // Fail a start.
    faults.start.lock().unwrap().push((
        "::Count",
        StartAction::Fail(ExitReason::shutdown_with("injected")),
    ));
    let err = system.spawn_ready(Count(0)).await.unwrap_err();
    assert_eq!(
        err,
        StartError::Failed(ExitReason::shutdown_with("injected"))
    );

    let c = system.spawn_ready(Count(0)).await.unwrap();
    // Drop one message: a dead letter, the actor carries on.
    faults
        .message
        .lock()
        .unwrap()
        .push((c.id(), MessageAction::Drop));
    c.tell(None).unwrap();
    c.tell(None).unwrap();
    assert_eq!(c.ask(Some).await, Ok(1));
    let dropped = events
        .next_matching(|e| matches!(e, SystemEvent::DeadLetter { .. }))
        .await;
    assert!(matches!(
        dropped,
        Some(SystemEvent::DeadLetter {
            reason: DeadLetterReason::Dropped,
            ..
        })
    ));

    // Delay one message on the System's clock.
    faults
        .message
        .lock()
        .unwrap()
        .push((c.id(), MessageAction::Delay(Duration::from_secs(1))));
    c.tell(None).unwrap();
    // The delay's timer is armed once the actor takes the message.
    while clock.pending_timers() == 0 {
        tokio::task::yield_now().await;
    }
    let mut late = c.ask(Some);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    assert!(std::pin::Pin::new(&mut late).poll(&mut cx).is_pending());
    clock.advance(Duration::from_millis(999));
    assert!(
        std::pin::Pin::new(&mut late).poll(&mut cx).is_pending(),
        "still delayed"
    );
    clock.advance(Duration::from_millis(1));
    assert_eq!(late.await, Ok(2));

    // Panic in place of a handler: the actor crashes as if it had.
    faults
        .message
        .lock()
        .unwrap()
        .push((c.id(), MessageAction::Panic));
    let asked = c.ask(Some);
    assert!(matches!(
        asked.await,
        Err(AskError::Exited(ExitReason::Panic(_)))
    ));
    assert!(matches!(c.wait_exit().await, ExitReason::Panic(_)));
    system.shutdown().await;
}
