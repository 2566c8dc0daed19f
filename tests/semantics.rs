//! Rules of the book's "Runtime semantics and guarantees" chapter that no
//! other test pinned: what overtakes a queue, an ask that waits for room
//! and when its timeout starts, what is (and is not) a dead letter, what a
//! dropped ask future leaves behind, what `kill` has told when it returns,
//! what an exit signal does to a handler that is awaiting, a panic in
//! `stopped` or `Drop`, an address between incarnations, and the order and
//! clock of a System's shutdown.
//!
//! Deterministic: asks (an ask is handled after every message its sender
//! sent before), `sync()`, events, held mailboxes, the manual clock, and a
//! sentinel monitor ([`end_fully`]) to know that an ended actor's links and
//! monitors have been told. The only timeouts are hang guards, never
//! assertions about speed.
// The clippy.toml ban on std's sync types keeps keel's own code loom-swappable;
// a test program is not part of that build.
#![cfg(not(keel_loom))] // the loom build compiles only sync + core
#![allow(clippy::disallowed_types)]

use std::future::{poll_fn, Future};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Duration;

use keel::prelude::*;
use keel::testing::{quiet_panics, resume, suspend, ManualClock};
use keel::{
    ActorConfig, Backoff, ChildState, DeadLetterReason, EventStream, LinkError, MailboxConfig,
    MonitorRef, Status, SupervisorRef, SystemEvent, TimerRef,
};

/// How long a test waits for something that must happen before calling it
/// a failure.
const BOUND: Duration = Duration::from_secs(5);

fn system() -> System {
    System::builder().workers(2).build().unwrap()
}

fn manual_system() -> (System, ManualClock) {
    let clock = ManualClock::new();
    let system = System::builder().workers(2).clock(&clock).build().unwrap();
    (system, clock)
}

/// Awaits `f`, failing the test if it takes longer than [`BOUND`] (a
/// guard: a passing test never hits it).
async fn bounded<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(BOUND, f)
        .await
        .unwrap_or_else(|_| panic!("{what} hung"))
}

/// Polls `fut` once with a waker that does nothing (an ask's timeout is
/// armed by its first poll).
fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    let mut cx = TaskContext::from_waker(Waker::noop());
    std::pin::Pin::new(fut).poll(&mut cx)
}

/// The next dead letter's address and reason.
async fn next_dead_letter(events: &mut EventStream) -> (keel::ActorId, DeadLetterReason) {
    let next = events.next_matching(|e| matches!(e, SystemEvent::DeadLetter { .. }));
    match bounded("a dead letter", next).await {
        Some(SystemEvent::DeadLetter { to, reason, .. }) => (to, reason),
        other => panic!("no dead letter: {other:?}"),
    }
}

// ---- what probes record ----

/// The test's side of the probes' journal: one line per thing a probe did.
struct Journal {
    tx: mpsc::Sender<String>,
    rx: mpsc::Receiver<String>,
}

impl Journal {
    fn new() -> Journal {
        let (tx, rx) = mpsc::channel();
        Journal { tx, rx }
    }

    /// Everything recorded so far.
    fn take(&self) -> Vec<String> {
        self.rx.try_iter().collect()
    }

    /// Waits (blocking this thread; keel runs on its own) for the next line.
    fn next(&self) -> String {
        self.rx
            .recv_timeout(BOUND)
            .expect("a probe should have recorded something")
    }
}

/// A future that completes once opened: a handler that awaits it is
/// suspended (it yields) until the test lets it go.
#[derive(Clone, Default)]
struct Gate(Arc<Mutex<(bool, Option<Waker>)>>);

impl Gate {
    fn open(&self) {
        let waker = {
            let mut g = self.0.lock().unwrap();
            g.0 = true;
            g.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    async fn wait(&self) {
        poll_fn(|cx| {
            let mut g = self.0.lock().unwrap();
            if g.0 {
                Poll::Ready(())
            } else {
                g.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Failure(&'static str);

// ---- the probe: a hand-written actor that does what a test tells it ----

/// Records what it handles in the journal as `what:name[:detail]`. `CAP`
/// above zero gives it a bounded mailbox of that size.
struct Probe<const CAP: usize = 0> {
    name: &'static str,
    journal: mpsc::Sender<String>,
    trap: bool,
    panic_in_stopped: bool,
    panic_in_drop: bool,
    notes: u32,
    ticks: u32,
    held: Vec<ReplyTo<()>>,
    timer: Option<TimerRef>,
}

/// A probe with an unbounded mailbox.
fn probe(name: &'static str, journal: &Journal) -> Probe {
    Probe::with(name, &journal.tx)
}

/// A probe whose mailbox holds one message.
fn tight(name: &'static str, journal: &Journal) -> Probe<1> {
    Probe::with(name, &journal.tx)
}

impl<const CAP: usize> Probe<CAP> {
    fn with(name: &'static str, journal: &mpsc::Sender<String>) -> Probe<CAP> {
        Probe {
            name,
            journal: journal.clone(),
            trap: false,
            panic_in_stopped: false,
            panic_in_drop: false,
            notes: 0,
            ticks: 0,
            held: Vec::new(),
            timer: None,
        }
    }

    /// Traps exits from `started` on.
    fn trapping(mut self) -> Self {
        self.trap = true;
        self
    }

    /// Panics in `stopped`.
    fn panicking_in_stopped(mut self) -> Self {
        self.panic_in_stopped = true;
        self
    }

    /// Panics when dropped.
    fn panicking_in_drop(mut self) -> Self {
        self.panic_in_drop = true;
        self
    }

    fn record(&self, what: &str, detail: Option<String>) {
        let line = match detail {
            Some(d) => format!("{what}:{}:{d}", self.name),
            None => format!("{what}:{}", self.name),
        };
        let _ = self.journal.send(line);
    }
}

impl<const CAP: usize> Drop for Probe<CAP> {
    fn drop(&mut self) {
        if self.panic_in_drop && !std::thread::panicking() {
            panic!("drop panicked");
        }
    }
}

enum Msg {
    Note(u32),
    /// Answers how many notes this incarnation handled.
    Notes(ReplyTo<u32>),
    /// Answers how many ticks this incarnation handled.
    Ticks(ReplyTo<u32>),
    Ping(ReplyTo<()>),
    /// Keeps the request unanswered.
    Hold(ReplyTo<()>),
    Fail(&'static str),
    StopWith(ExitReason),
    Link(AnyRef, ReplyTo<Result<(), LinkError>>),
    Monitor(AnyRef, ReplyTo<MonitorRef>),
    /// Starts a one-shot timer sending `Tick`, then answers.
    After(Duration, ReplyTo<()>),
    /// Starts an interval timer sending `Tick`, then answers.
    Every(Duration, ReplyTo<()>),
    Tick,
    /// Answers, then awaits the gate (the handler yields meanwhile).
    Wait(Gate, ReplyTo<()>),
    /// Says so, then blocks its worker until released (never yields).
    Block(mpsc::Sender<()>, mpsc::Receiver<()>),
}

impl<const CAP: usize> Actor for Probe<CAP> {
    type Msg = Msg;
    type Error = Failure;

    fn config() -> ActorConfig {
        match CAP {
            0 => ActorConfig::new(),
            n => ActorConfig::new().mailbox(MailboxConfig::bounded(n)),
        }
    }

    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<Start, Failure> {
        ctx.trap_exits(self.trap);
        Ok(Start::Ready)
    }

    async fn handle(&mut self, msg: Msg, ctx: &mut Context<Self>) -> Result<(), Failure> {
        match msg {
            Msg::Note(n) => {
                self.notes += 1;
                self.record("note", Some(n.to_string()));
            }
            Msg::Notes(r) => r.reply(self.notes),
            Msg::Ticks(r) => r.reply(self.ticks),
            Msg::Ping(r) => r.reply(()),
            Msg::Hold(r) => self.held.push(r),
            Msg::Fail(e) => return Err(Failure(e)),
            Msg::StopWith(reason) => ctx.stop_with(reason),
            Msg::Link(other, r) => r.reply(ctx.link(other)),
            Msg::Monitor(target, r) => r.reply(ctx.monitor(target)),
            Msg::After(d, r) => {
                self.timer = Some(ctx.send_after(d, Msg::Tick));
                r.reply(());
            }
            Msg::Every(d, r) => {
                self.timer = Some(ctx.send_interval_with(d, || Msg::Tick));
                r.reply(());
            }
            Msg::Tick => {
                self.ticks += 1;
                self.record("tick", None);
            }
            Msg::Wait(gate, r) => {
                r.reply(());
                gate.wait().await;
                self.record("done", None);
            }
            Msg::Block(blocking, release) => {
                let _ = blocking.send(());
                let _ = release.recv();
            }
        }
        Ok(())
    }

    async fn stopped(&mut self, reason: &ExitReason, _ctx: &mut Context<Self>) {
        self.record("stopped", Some(reason.to_string()));
        if self.panic_in_stopped {
            panic!("stopped panicked");
        }
    }

    async fn on_exit(
        &mut self,
        _from: AnyRef,
        reason: ExitReason,
        _ctx: &mut Context<Self>,
    ) -> Result<(), Failure> {
        self.record("exit", Some(reason.to_string()));
        Ok(())
    }

    async fn on_down(
        &mut self,
        _monitor: MonitorRef,
        reason: ExitReason,
        _ctx: &mut Context<Self>,
    ) -> Result<(), Failure> {
        self.record("down", Some(reason.to_string()));
        Ok(())
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn panic_reason(m: &str) -> ExitReason {
    ExitReason::Panic(m.into())
}

/// The running child `id` of `sup`, typed.
async fn child(sup: &SupervisorRef, id: &str) -> ActorRef<Probe> {
    let children = bounded("which_children", sup.which_children())
        .await
        .unwrap();
    let info = children
        .into_iter()
        .find(|c| &*c.id == id)
        .unwrap_or_else(|| panic!("no child {id}"));
    match info.state {
        ChildState::Running(any) => any.downcast::<Probe>().expect("a probe"),
        other => panic!("{id} is not running: {other:?}"),
    }
}

// ==== ordering ====

/// An exit signal that ends a non-trapping actor (from a link, or its
/// supervisor's shutdown request) takes the control lane: it overtakes the
/// messages already queued, which are never handled and become dead letters
/// (a held mailbox does not hold it back either).
#[tokio::test]
async fn an_exit_signal_overtakes_the_queue_of_a_non_trapping_actor() {
    quiet_panics();
    let system = system();
    let j = Journal::new();
    let a = system.spawn_ready(probe("a", &j)).await.unwrap();
    let b = system.spawn_ready(probe("b", &j)).await.unwrap();
    a.link_with(&b).unwrap();
    suspend(&a);
    a.tell(Msg::Note(1)).ok().unwrap();
    a.tell(Msg::Note(2)).ok().unwrap();
    b.tell(Msg::Fail("b failed")).ok().unwrap();
    let reason = bounded("a's exit", a.wait_exit()).await;
    assert_eq!(reason.to_string(), "error: b failed");
    assert_eq!(system.dead_letters(), 2, "both notes");
    assert_eq!(j.take(), strings(&["stopped:b:error: b failed"]));

    // Its supervisor's shutdown request does the same.
    let tx = j.tx.clone();
    let sup = Supervisor::builder()
        .child(ChildSpec::worker("x", move || Probe::<0>::with("x", &tx)))
        .build()
        .unwrap();
    let sup = bounded("supervise", system.supervise(sup)).await.unwrap();
    let x = child(&sup, "x").await;
    suspend(&x);
    x.tell(Msg::Note(1)).ok().unwrap();
    x.tell(Msg::Note(2)).ok().unwrap();
    bounded("terminate x", sup.terminate_child("x"))
        .await
        .unwrap();
    assert_eq!(
        bounded("x's exit", x.wait_exit()).await,
        ExitReason::Shutdown
    );
    assert_eq!(system.dead_letters(), 4, "x's two notes too");
    assert!(j.take().is_empty(), "no note handled, no `stopped`");
    system.shutdown().await;
}

/// Ends a peer linked to `a` and one `a` monitors while `a` holds one
/// note in its held mailbox, then lets `a` go: returns what `a` handled,
/// in order.
async fn signals_behind_a_note<const CAP: usize>(
    system: &System,
    j: &Journal,
    a: Probe<CAP>,
) -> Vec<String> {
    let name = a.name;
    let a = system.spawn_ready(a.trapping()).await.unwrap();
    let linked = system.spawn_ready(probe("linked", j)).await.unwrap();
    let watched = system.spawn_ready(probe("watched", j)).await.unwrap();
    assert_eq!(a.ask(|r| Msg::Link(linked.any(), r)).await, Ok(Ok(())));
    a.ask(|r| Msg::Monitor(watched.any(), r)).await.unwrap();
    suspend(&a);
    a.tell(Msg::Note(1)).ok().unwrap();
    linked.tell(Msg::Fail("linked failed")).ok().unwrap();
    bounded("linked's exit", linked.wait_exit()).await;
    watched.tell(Msg::Fail("watched failed")).ok().unwrap();
    bounded("watched's exit", watched.wait_exit()).await;
    resume(&a);
    a.ask(Msg::Ping).await.unwrap();
    let mine = format!(":{name}:");
    j.take().into_iter().filter(|l| l.contains(&mine)).collect()
}

/// A trapped exit signal and a `Down` queue on the user lane, behind the
/// messages sent before them; one that finds a bounded mailbox full takes
/// the control lane instead: it is never dropped for room, and it
/// overtakes the queue.
#[tokio::test]
async fn trapped_signals_queue_in_order_unless_the_mailbox_is_full() {
    quiet_panics();
    let system = system();
    let j = Journal::new();
    assert_eq!(
        signals_behind_a_note(&system, &j, probe("roomy", &j)).await,
        strings(&[
            "note:roomy:1",
            "exit:roomy:error: linked failed",
            "down:roomy:error: watched failed"
        ])
    );
    assert_eq!(
        signals_behind_a_note(&system, &j, tight("full", &j)).await,
        strings(&[
            "exit:full:error: linked failed",
            "down:full:error: watched failed",
            "note:full:1"
        ])
    );
    system.shutdown().await;
}

// ==== delivery ====

/// An ask to a full bounded mailbox is not queued yet: it waits for room
/// (within its timeout) and is queued when room comes; if the actor goes
/// meanwhile, it fails with `NotRunning`.
#[tokio::test]
async fn an_ask_waits_for_room_in_a_full_mailbox() {
    let (system, clock) = manual_system();
    let j = Journal::new();
    let t = system.spawn_ready(tight("t", &j)).await.unwrap();
    suspend(&t);
    t.tell(Msg::Note(1)).ok().unwrap();
    let mut ask = t.ask(Msg::Notes);
    assert!(poll_once(&mut ask).is_pending());
    assert_eq!(t.any().mailbox_len(), 1, "not queued while full");
    resume(&t);
    assert_eq!(
        bounded("the ask", ask).await,
        Ok(1),
        "queued after the note"
    );

    suspend(&t);
    t.tell(Msg::Note(2)).ok().unwrap();
    let mut late = t.ask_timeout(Duration::from_millis(50)).ask(Msg::Notes);
    assert!(poll_once(&mut late).is_pending());
    clock.advance(Duration::from_millis(50));
    assert_eq!(late.await, Err(AskError::Timeout));

    let mut gone = t.ask(Msg::Notes);
    assert!(poll_once(&mut gone).is_pending());
    t.kill();
    assert_eq!(
        bounded("the ask", gone).await,
        Err(AskError::NotRunning),
        "never queued"
    );
    system.shutdown().await;
}

/// An ask's timeout runs on the System's clock from the future's first
/// poll, not from the call that queued the request.
#[tokio::test]
async fn an_ask_timeout_starts_at_its_first_poll() {
    let (system, clock) = manual_system();
    let j = Journal::new();
    let p = system.spawn(probe("p", &j));
    let mut ask = p.ask_timeout(Duration::from_millis(50)).ask(Msg::Hold);
    p.ask(Msg::Ping).await.unwrap();
    clock.advance(Duration::from_secs(1));
    assert!(poll_once(&mut ask).is_pending(), "not timed out unpolled");
    clock.advance(Duration::from_millis(49));
    assert!(poll_once(&mut ask).is_pending());
    clock.advance(Duration::from_millis(1));
    assert_eq!(ask.await, Err(AskError::Timeout));
    system.shutdown().await;
}

// ==== what is and is not lost ====

/// A send that fails hands the message back and is not a dead letter:
/// `Closed` and `Full` from `tell`, `Closed` from `send`, `NotRunning`
/// from `ask`.
#[tokio::test]
async fn a_refused_send_is_not_a_dead_letter() {
    let system = system();
    let j = Journal::new();
    let gone = system.spawn_ready(probe("gone", &j)).await.unwrap();
    gone.kill();
    assert!(matches!(
        gone.tell(Msg::Note(1)),
        Err(TellError::Closed(Msg::Note(1)))
    ));
    assert!(matches!(
        gone.send(Msg::Note(2)).await,
        Err(TellError::Closed(Msg::Note(2)))
    ));
    assert_eq!(gone.ask(Msg::Notes).await, Err(AskError::NotRunning));
    assert_eq!(gone.wait_exit().await, ExitReason::Killed);

    let full = system.spawn_ready(tight("full", &j)).await.unwrap();
    suspend(&full);
    full.tell(Msg::Note(1)).ok().unwrap();
    assert!(matches!(
        full.tell(Msg::Note(2)),
        Err(TellError::Full(Msg::Note(2)))
    ));
    assert_eq!(system.dead_letters(), 0);
    system.shutdown().await;
}

/// Timers are cancelled when the incarnation's run loop ends; one that
/// fires before that, after the incarnation ended (killed inside a handler
/// that has not yielded yet), is a `TimerToGone` dead letter.
#[tokio::test]
async fn a_timer_firing_for_a_gone_incarnation_is_a_dead_letter() {
    let (system, clock) = manual_system();
    let mut events = system.events();
    let j = Journal::new();
    let p = system.spawn(probe("p", &j));
    p.ask(|r| Msg::After(Duration::from_millis(100), r))
        .await
        .unwrap();
    let (blocking_tx, blocking) = mpsc::channel();
    let (release, release_rx) = mpsc::channel();
    p.tell(Msg::Block(blocking_tx, release_rx)).ok().unwrap();
    blocking.recv_timeout(BOUND).expect("the handler blocks");
    p.kill();
    assert_eq!(p.status(), Status::Stopped);
    clock.advance(Duration::from_millis(100));
    assert_eq!(
        next_dead_letter(&mut events).await,
        (p.id(), DeadLetterReason::TimerToGone)
    );
    release.send(()).unwrap();
    assert_eq!(p.wait_exit().await, ExitReason::Killed);
    assert!(j.take().is_empty(), "the tick was never handled");
    system.shutdown().await;
}

/// A timer tick that finds a bounded mailbox full is an `Overflow` dead
/// letter; the interval goes on.
#[tokio::test]
async fn a_timer_tick_to_a_full_mailbox_is_an_overflow_dead_letter() {
    let (system, clock) = manual_system();
    let mut events = system.events();
    let j = Journal::new();
    let t = system.spawn_ready(tight("t", &j)).await.unwrap();
    t.ask(|r| Msg::Every(Duration::from_millis(10), r))
        .await
        .unwrap();
    suspend(&t);
    t.tell(Msg::Note(1)).ok().unwrap();
    clock.advance(Duration::from_millis(30));
    for _ in 0..3 {
        assert_eq!(
            next_dead_letter(&mut events).await,
            (t.id(), DeadLetterReason::Overflow)
        );
    }
    resume(&t);
    assert_eq!(t.ask(Msg::Ticks).await, Ok(0));
    clock.advance(Duration::from_millis(10));
    assert_eq!(t.ask(Msg::Ticks).await, Ok(1), "the interval went on");
    assert_eq!(system.dead_letters(), 3);
    system.shutdown().await;
}

// ==== kill and cancellation ====

/// Dropping an ask future does not take the request back: it was queued
/// when `ask` was called, it is handled, and its reply becomes a
/// `LateReply` dead letter.
#[tokio::test]
async fn dropping_an_ask_future_does_not_unsend_the_request() {
    let system = system();
    let mut events = system.events();
    let j = Journal::new();
    let p = system.spawn_ready(probe("p", &j)).await.unwrap();
    suspend(&p);
    drop(p.ask(Msg::Notes));
    p.tell(Msg::Note(1)).ok().unwrap();
    resume(&p);
    assert_eq!(p.ask(Msg::Notes).await, Ok(1));
    assert_eq!(
        next_dead_letter(&mut events).await,
        (p.id(), DeadLetterReason::LateReply)
    );
    assert_eq!(system.dead_letters(), 1);
    system.shutdown().await;
}

/// When `kill()` returns, the killed incarnation's links and monitors have
/// been told (on the killer's thread): an ask sent to them afterwards is
/// answered after their `on_exit` and `on_down`, whether the killed actor
/// was idle or inside a handler.
#[tokio::test]
async fn kill_tells_links_and_monitors_before_it_returns() {
    let system = system();
    let j = Journal::new();
    let watcher = system.spawn_ready(probe("watcher", &j)).await.unwrap();
    let guardian = system
        .spawn_ready(probe("guardian", &j).trapping())
        .await
        .unwrap();
    for busy in [false, true] {
        let t = system.spawn_ready(probe("t", &j)).await.unwrap();
        watcher.ask(|r| Msg::Monitor(t.any(), r)).await.unwrap();
        assert_eq!(guardian.ask(|r| Msg::Link(t.any(), r)).await, Ok(Ok(())));
        let gate = Gate::default();
        if busy {
            t.ask(|r| Msg::Wait(gate.clone(), r)).await.unwrap();
        }
        t.kill();
        watcher.ask(Msg::Ping).await.unwrap();
        guardian.ask(Msg::Ping).await.unwrap();
        // Two actors on two workers: sorted, as they record in any order.
        let mut seen = j.take();
        seen.sort();
        assert_eq!(
            seen,
            strings(&["down:watcher:killed", "exit:guardian:killed"]),
            "busy: {busy}"
        );
    }
    system.shutdown().await;
}

/// Only `kill` reaches a handler suspended in an `await`: an exit signal
/// that ends the actor waits until the handler returns.
#[tokio::test]
async fn an_exit_signal_waits_for_a_suspended_handler() {
    quiet_panics();
    let system = system();
    let j = Journal::new();
    let a = system.spawn_ready(probe("a", &j)).await.unwrap();
    let b = system.spawn_ready(probe("b", &j)).await.unwrap();
    a.link_with(&b).unwrap();
    let gate = Gate::default();
    a.ask(|r| Msg::Wait(gate.clone(), r)).await.unwrap();
    b.tell(Msg::Fail("b failed")).ok().unwrap();
    // By now a's exit signal is queued (links are told before `wait_exit`
    // resolves), yet a's handler holds it off.
    bounded("b's exit", b.wait_exit()).await;
    assert_eq!(a.status(), Status::Running);
    gate.open();
    let reason = bounded("a's exit", a.wait_exit()).await;
    assert_eq!(reason.to_string(), "error: b failed");
    assert_eq!(
        j.take(),
        strings(&["stopped:b:error: b failed", "done:a"]),
        "a's handler finished; a did not trap, so no `stopped`"
    );
    system.shutdown().await;
}

// ==== panics ====

/// A panic in `stopped`, or in the actor's `Drop`, turns a normal-family
/// reason (`Normal`, `Shutdown`, `ShutdownWith`) into `Panic`; an abnormal
/// reason stands.
#[tokio::test]
async fn a_panic_in_stopped_or_drop_replaces_only_a_normal_reason() {
    quiet_panics();
    let system = system();
    let j = Journal::new();
    let panicked = panic_reason("stopped panicked");

    let a = system.spawn(probe("a", &j).panicking_in_stopped());
    a.tell(Msg::StopWith(ExitReason::Normal)).ok().unwrap();
    assert_eq!(bounded("a", a.wait_exit()).await, panicked);

    let b = system.spawn(probe("b", &j).panicking_in_stopped());
    b.stop();
    assert_eq!(bounded("b", b.wait_exit()).await, panicked);

    let c = system.spawn(probe("c", &j).panicking_in_stopped());
    c.tell(Msg::StopWith(ExitReason::shutdown_with("bye")))
        .ok()
        .unwrap();
    assert_eq!(bounded("c", c.wait_exit()).await, panicked);

    let d = system.spawn(probe("d", &j).panicking_in_stopped());
    d.tell(Msg::Fail("d failed")).ok().unwrap();
    let reason = bounded("d", d.wait_exit()).await;
    assert_eq!(reason.to_string(), "error: d failed");

    let e = system.spawn(probe("e", &j).panicking_in_drop());
    e.stop();
    assert_eq!(
        bounded("e", e.wait_exit()).await,
        panic_reason("drop panicked")
    );

    let f = system.spawn(probe("f", &j).panicking_in_drop());
    f.tell(Msg::Fail("f failed")).ok().unwrap();
    let reason = bounded("f", f.wait_exit()).await;
    assert_eq!(reason.to_string(), "error: f failed");

    assert_eq!(
        j.take(),
        strings(&[
            "stopped:a:normal",
            "stopped:b:shutdown",
            "stopped:c:shutdown: bye",
            "stopped:d:error: d failed",
            "stopped:e:shutdown",
            "stopped:f:error: f failed"
        ])
    );
    system.shutdown().await;
}

// ==== addresses and incarnations ====

/// Between incarnations of a supervised actor the address is `Restarting`:
/// a monitor of the ended incarnation got its `Down`; tells and asks queue
/// for the next incarnation; a new monitor gets `Down(NoProc)` at once and
/// a link fails with `NoProc`. The restarted actor, on the same address,
/// starts from a fresh state (the factory's) and handles what queued, in
/// order.
#[tokio::test]
async fn a_restarting_address_keeps_its_queue_for_the_next_incarnation() {
    let (system, clock) = manual_system();
    let j = Journal::new();
    let tx = j.tx.clone();
    let factory = move || Probe::<0>::with("x", &tx);
    let ten = Duration::from_secs(10);
    let sup = Supervisor::builder()
        .child(ChildSpec::worker("x", factory).restart_delay(Backoff::exponential(ten, ten)))
        .build()
        .unwrap();
    let sup = bounded("supervise", system.supervise(sup)).await.unwrap();
    let x = child(&sup, "x").await;
    x.tell(Msg::Note(0)).ok().unwrap();
    assert_eq!(x.ask(Msg::Notes).await, Ok(1));
    let w = system.spawn_ready(probe("w", &j)).await.unwrap();
    w.ask(|r| Msg::Monitor(x.any(), r)).await.unwrap();

    x.kill();
    bounded("sync", sup.sync()).await.unwrap();
    assert_eq!(x.status(), Status::Restarting);
    x.tell(Msg::Note(1)).ok().unwrap();
    let queued = x.ask(Msg::Notes); // not polled: its timeout has not started
    w.ask(|r| Msg::Monitor(x.any(), r)).await.unwrap();
    assert_eq!(x.link_with(&w), Err(LinkError::NoProc));
    w.ask(Msg::Ping).await.unwrap();
    assert_eq!(
        j.take(),
        strings(&["note:x:0", "down:w:killed", "down:w:noproc"])
    );

    clock.advance(ten);
    bounded("sync", sup.sync()).await.unwrap();
    assert_eq!(x.status(), Status::Running);
    assert_eq!(child(&sup, "x").await.id(), x.id(), "the same address");
    assert_eq!(
        bounded("the queued ask", queued).await,
        Ok(1),
        "a fresh state, then the queued note"
    );
    assert_eq!(j.take(), strings(&["note:x:1"]));
    system.shutdown().await;
}

/// Dropping every `ActorRef` does not stop an actor: it runs until it
/// stops (here, its interval still ticks).
#[tokio::test]
async fn dropping_every_ref_does_not_stop_an_actor() {
    let (system, clock) = manual_system();
    let j = Journal::new();
    let p = system.spawn(probe("p", &j));
    p.ask(|r| Msg::Every(Duration::from_secs(1), r))
        .await
        .unwrap();
    drop(p);
    clock.advance(Duration::from_secs(1));
    assert_eq!(j.next(), "tick:p");
    assert_eq!(system.live_actors(), 1);
    system.shutdown().await;
}

// ==== time and shutdown ====

/// The System's shutdown timeout (for the actors outside the trees) is
/// real time, not the System's clock: a manual clock that never moves
/// does not hold the shutdown up; the actor still running is killed.
#[tokio::test]
async fn the_system_shutdown_timeout_is_real_time() {
    let clock = ManualClock::new();
    let system = System::builder()
        .workers(2)
        .clock(&clock)
        .shutdown_timeout(Duration::from_millis(20))
        .build()
        .unwrap();
    let j = Journal::new();
    let p = system.spawn(probe("p", &j));
    let gate = Gate::default();
    p.ask(|r| Msg::Wait(gate.clone(), r)).await.unwrap();
    bounded("the shutdown", system.shutdown()).await;
    assert_eq!(p.wait_exit().await, ExitReason::Killed);
    gate.open();
}

/// `shutdown()` stops the supervision trees first, newest first, then the
/// actors outside them (whatever their age); trapping actors run `stopped`
/// with `Shutdown`.
#[tokio::test]
async fn shutdown_stops_the_trees_newest_first_then_the_other_actors() {
    let system = system();
    let j = Journal::new();
    let outside = system
        .spawn_ready(probe("outside", &j).trapping())
        .await
        .unwrap();
    for name in ["one", "two"] {
        let tx = j.tx.clone();
        let factory = move || Probe::<0>::with(name, &tx).trapping();
        let sup = Supervisor::builder()
            .child(ChildSpec::worker(name, factory))
            .build()
            .unwrap();
        bounded("supervise", system.supervise(sup)).await.unwrap();
    }
    let terminated = system.terminated();
    bounded("the shutdown", system.shutdown()).await;
    assert_eq!(terminated.await, ExitReason::Shutdown);
    assert_eq!(outside.status(), Status::Stopped);
    assert_eq!(
        j.take(),
        strings(&[
            "stopped:two:shutdown",
            "stopped:one:shutdown",
            "stopped:outside:shutdown"
        ])
    );
}
