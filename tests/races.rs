//! Races that reviews found bugs in, pinned: `kill()` from another thread
//! against the actor's own exit, re-linking against a peer's death,
//! message accounting when a kill cuts a stream of tells short, and a kill
//! while the exiting run loop is stuck in its clean-up. Each runs a
//! few hundred rounds; the only timeouts are hang guards, never assertions
//! about speed.
#![cfg(not(keel_loom))]
// the loom build compiles only sync + core
// The clippy.toml ban on std's sync types keeps keel's own code loom-swappable;
// a test program is not part of that build.
#![allow(clippy::disallowed_types)]

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use keel::prelude::*;
use keel::{Status, SystemEvent};

/// Generous bound for "this must not hang": a failing run fails, it does
/// not wait forever.
const HANG_GUARD: Duration = Duration::from_secs(10);

async fn guarded<F: std::future::Future>(what: &str, f: F) -> F::Output {
    match tokio::time::timeout(HANG_GUARD, f).await {
        Ok(v) => v,
        Err(_) => panic!("{what} hung"),
    }
}

struct Probe {
    stored: Vec<ReplyTo<u64>>,
    handled: Arc<AtomicUsize>,
}

enum P {
    Work,
    Stop,
    Ask(ReplyTo<u64>),
    Store(ReplyTo<u64>),
}

impl Actor for Probe {
    type Msg = P;
    type Error = Infallible;

    async fn handle(&mut self, msg: P, ctx: &mut Context<Self>) -> Result<(), Infallible> {
        self.handled.fetch_add(1, Ordering::Relaxed);
        match msg {
            P::Work => {}
            P::Stop => ctx.stop(),
            P::Ask(r) => r.reply(1),
            P::Store(r) => self.stored.push(r),
        }
        Ok(())
    }
}

fn probe() -> Probe {
    Probe {
        stored: Vec::new(),
        handled: Arc::new(AtomicUsize::new(0)),
    }
}

/// `kill()` on another thread racing the actor's own `ctx.stop()`: when
/// `kill()` returns the address is stopped and refuses sends; every ask
/// ends (never its timeout), a queued one with the announced reason;
/// exactly one exit is announced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_races_the_actors_own_exit() {
    let system = System::builder().workers(2).build().unwrap();
    let mut events = system.events();
    for round in 0..500 {
        let r = system.spawn(probe());
        r.tell(P::Work).ok().unwrap();
        let stored = r.ask(P::Store);
        r.tell(P::Stop).ok().unwrap();
        let queued = r.ask(P::Ask);
        let killer = {
            let r = r.clone();
            std::thread::spawn(move || {
                r.kill();
                (r.status(), r.tell(P::Work).is_err())
            })
        };
        let (status, refused) = killer.join().unwrap();
        assert_eq!(status, Status::Stopped, "round {round}");
        assert!(refused, "round {round}: a send after kill() was accepted");
        let stored = guarded("a stored ask", stored).await;
        assert!(
            matches!(stored, Err(AskError::Exited(_))),
            "round {round}: {stored:?}"
        );
        let queued = guarded("a queued ask", queued).await;
        // Behind the stop: failed with the exit, or refused if the address
        // had already closed when it was made.
        assert!(
            matches!(queued, Err(AskError::Exited(_) | AskError::NotRunning)),
            "round {round}: {queued:?}"
        );
        let reason = guarded("wait_exit", r.wait_exit()).await;
        // Drained with the reason the exit is announced with, whoever won.
        if let Err(AskError::Exited(drained_with)) = &queued {
            assert_eq!(*drained_with, reason, "round {round}");
        }
        let mut exits = 0;
        while let Some(e) = events.try_next() {
            if matches!(e, SystemEvent::ActorExited { id, .. } if id == r.id()) {
                exits += 1;
            }
        }
        assert_eq!(exits, 1, "round {round}: exits announced");
    }
    system.shutdown().await;
}

/// Re-linking two linked actors while one is killed: the link is never
/// briefly absent, so the other always dies with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relinking_never_loses_a_link() {
    let system = System::builder().workers(2).build().unwrap();
    for round in 0..500 {
        let a = system.spawn(probe());
        let b = system.spawn(probe());
        a.link_with(&b).unwrap();
        let start = Arc::new(Barrier::new(2));
        let linker = {
            let (a, b, start) = (a.clone(), b.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                for _ in 0..20 {
                    let _ = a.link_with(&b);
                }
            })
        };
        start.wait();
        b.kill();
        linker.join().unwrap();
        let reason = guarded("the linked actor's exit", a.wait_exit()).await;
        assert_eq!(reason, ExitReason::Killed, "round {round}");
    }
    system.shutdown().await;
}

/// A kill racing a stream of tells: every tell accepted is handled or
/// counted as a dead letter, exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_accepted_tell_is_handled_or_a_dead_letter() {
    let system = System::builder().workers(2).build().unwrap();
    let mut events = system.events();
    for round in 0..300 {
        let p = probe();
        let handled = p.handled.clone();
        let r = system.spawn(p);
        let killer = {
            let r = r.clone();
            std::thread::spawn(move || {
                std::thread::yield_now();
                r.kill();
            })
        };
        let accepted = (0..200).filter(|_| r.tell(P::Work).is_ok()).count();
        killer.join().unwrap();
        guarded("wait_exit", r.wait_exit()).await;
        // A kill announces the exit at once and the run loop drains what
        // is left afterwards (it never waits for the run loop): follow its
        // dead letters until the books balance.
        let mut dead = 0;
        guarded("the drain", async {
            while handled.load(Ordering::Relaxed) + dead < accepted {
                match events.next().await {
                    Some(SystemEvent::DeadLetter { to, .. }) if to == r.id() => dead += 1,
                    Some(_) => {}
                    None => panic!("events ended"),
                }
            }
        })
        .await;
        assert_eq!(
            handled.load(Ordering::Relaxed) + dead,
            accepted,
            "round {round}: handled + dead letters"
        );
    }
    system.shutdown().await;
}

/// A queued message whose `Drop` blocks, while the run loop drains it.
struct Held {
    dropping: std::sync::mpsc::Sender<()>,
    release: std::sync::mpsc::Receiver<()>,
}

impl Drop for Held {
    fn drop(&mut self) {
        let _ = self.dropping.send(());
        let _ = self.release.recv();
    }
}

struct Holder;

enum H {
    Stop,
    Hold(#[allow(dead_code)] Held),
}

impl Actor for Holder {
    type Msg = H;
    type Error = Infallible;

    async fn handle(&mut self, msg: H, ctx: &mut Context<Self>) -> Result<(), Infallible> {
        if let H::Stop = msg {
            ctx.stop();
        }
        Ok(())
    }
}

/// The exit is claimed before the queue is drained and announced after;
/// a `kill` meanwhile announces it at once (with the claimed reason): it
/// never waits for the run loop's clean-up, here a message's `Drop` that
/// blocks until the test lets it go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_announces_without_waiting_for_the_drain() {
    let system = System::builder().workers(2).build().unwrap();
    let (dropping_tx, dropping) = std::sync::mpsc::channel();
    let (release, release_rx) = std::sync::mpsc::channel();
    let holder = system.spawn(Holder);
    keel::testing::suspend(&holder);
    holder.tell(H::Stop).ok().unwrap();
    let held = Held {
        dropping: dropping_tx,
        release: release_rx,
    };
    holder.tell(H::Hold(held)).ok().unwrap();
    keel::testing::resume(&holder);
    // The run loop is now inside the drain, blocked in `Held::drop`.
    tokio::task::spawn_blocking(move || dropping.recv().unwrap())
        .await
        .unwrap();
    holder.kill();
    let reason = guarded("wait_exit after kill", holder.wait_exit()).await;
    assert_eq!(reason, ExitReason::Normal, "the claimed reason stands");
    release.send(()).unwrap();
    system.shutdown().await;
}
