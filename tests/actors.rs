//! The actor layer over the public API: ordering, tell/send/ask and their
//! errors, panic isolation at every hook, stopping and killing, timers on
//! the manual clock, backpressure, dead letters, tokio inside handlers, and
//! shutdown. Deterministic: events, asks (an ask is handled after every
//! message its sender sent before) and the manual clock; no sleeps to wait.
// The clippy.toml ban on std's sync types keeps keel's own code loom-swappable;
// a test program is not part of that build.
#![cfg(not(keel_loom))] // the loom build compiles only sync + core
#![allow(clippy::disallowed_types)]

use std::convert::Infallible;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Duration;

use keel::prelude::*;
use keel::testing::{quiet_panics, resume, suspend, ManualClock};
use keel::{
    ActorConfig, DeadLetterReason, MailboxConfig, Overflow, StartError, Status, SystemEvent,
};

fn system() -> System {
    System::builder().workers(2).build().unwrap()
}

fn manual_system() -> (System, ManualClock) {
    let clock = ManualClock::new();
    let system = System::builder().workers(2).clock(&clock).build().unwrap();
    (system, clock)
}

/// Polls `fut` once with a waker that does nothing: an ask's timeout timer
/// is armed by its first poll.
fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    let mut cx = TaskContext::from_waker(Waker::noop());
    std::pin::Pin::new(fut).poll(&mut cx)
}

async fn exit_of(events: &mut keel::EventStream, id: keel::ActorId) -> ExitReason {
    match events
        .next_matching(|e| matches!(e, SystemEvent::ActorExited { id: i, .. } if *i == id))
        .await
    {
        Some(SystemEvent::ActorExited { reason, .. }) => reason,
        other => panic!("no exit event for {id}: {other:?}"),
    }
}

/// The next dead letter's address and reason.
async fn next_dead_letter(events: &mut keel::EventStream) -> (keel::ActorId, DeadLetterReason) {
    match events
        .next_matching(|e| matches!(e, SystemEvent::DeadLetter { .. }))
        .await
    {
        Some(SystemEvent::DeadLetter { to, reason, .. }) => (to, reason),
        other => panic!("no dead letter: {other:?}"),
    }
}

// ---- a recorder: keeps what it is told, answers asks, fails on command ----

#[derive(Default)]
struct Recorder {
    seen: Vec<(u32, u64)>,
    stored: Vec<ReplyTo<u64>>,
    log: Option<Arc<std::sync::Mutex<Vec<&'static str>>>>,
}

enum Rec {
    Push(u32, u64),
    Seen(ReplyTo<Vec<(u32, u64)>>),
    Count(ReplyTo<u64>),
    Store(ReplyTo<u64>),
    AnswerStored(u64),
    TakeStored(ReplyTo<Vec<ReplyTo<u64>>>),
    ContinueThenStop(ReplyTo<u64>),
    Drop(ReplyTo<u64>),
    PanicWith(ReplyTo<u64>),
    Fail,
    Stop,
    AskMyself(ReplyTo<Result<u64, AskError>>),
    Hang,
    Continue(u64),
}

#[derive(Debug, thiserror::Error)]
#[error("handler failed on purpose")]
struct Oops;

impl Recorder {
    fn with_log(log: &Arc<std::sync::Mutex<Vec<&'static str>>>) -> Recorder {
        Recorder {
            seen: Vec::new(),
            stored: Vec::new(),
            log: Some(log.clone()),
        }
    }

    fn note(&self, what: &'static str) {
        if let Some(log) = &self.log {
            log.lock().unwrap().push(what);
        }
    }
}

impl Actor for Recorder {
    type Msg = Rec;
    type Error = Oops;

    async fn handle(&mut self, msg: Rec, ctx: &mut Context<Self>) -> Result<(), Oops> {
        match msg {
            Rec::Push(from, n) => self.seen.push((from, n)),
            Rec::Seen(r) => r.reply(self.seen.clone()),
            Rec::Count(r) => r.reply(self.seen.len() as u64),
            Rec::Store(r) => self.stored.push(r),
            Rec::AnswerStored(v) => {
                for r in self.stored.drain(..) {
                    r.reply(v);
                }
            }
            Rec::TakeStored(r) => r.reply(std::mem::take(&mut self.stored)),
            Rec::ContinueThenStop(r) => {
                ctx.continue_with(Rec::Count(r));
                ctx.continue_with(Rec::Push(0, 0));
                ctx.stop();
            }
            Rec::Drop(r) => drop(r),
            Rec::PanicWith(_r) => panic!("panicked holding a reply"),
            Rec::Fail => return Err(Oops),
            Rec::Stop => ctx.stop(),
            Rec::AskMyself(r) => {
                let me = ctx.myself().clone();
                r.reply(me.ask(Rec::Count).await);
            }
            Rec::Hang => std::future::pending::<()>().await,
            Rec::Continue(n) => {
                ctx.continue_with(Rec::Push(9, n));
            }
        }
        Ok(())
    }

    async fn stopped(&mut self, _reason: &ExitReason, _ctx: &mut Context<Self>) {
        self.note("stopped");
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.note("dropped");
    }
}

// ---- ordering ----

/// Per-sender FIFO: each of 4 senders' 5,000 messages arrive in the order
/// sent, and the ask each sender makes last sees all of its own.
#[tokio::test]
async fn per_sender_fifo() {
    let system = system();
    let rec = system.spawn(Recorder::default());
    let senders: Vec<_> = (0..4u32)
        .map(|s| {
            let rec = rec.clone();
            std::thread::spawn(move || {
                for n in 0..5_000 {
                    rec.tell(Rec::Push(s, n)).ok().unwrap();
                }
                let seen = rec.ask_blocking(Rec::Seen).unwrap();
                assert_eq!(seen.iter().filter(|(f, _)| *f == s).count(), 5_000);
            })
        })
        .collect();
    for t in senders {
        t.join().unwrap();
    }
    let seen = rec.ask(Rec::Seen).await.unwrap();
    for s in 0..4 {
        let mine: Vec<u64> = seen
            .iter()
            .filter(|(f, _)| *f == s)
            .map(|(_, n)| *n)
            .collect();
        assert_eq!(mine, (0..5_000).collect::<Vec<_>>(), "sender {s}");
    }
    system.shutdown().await;
}

/// `continue_with` runs before anything already queued (OTP's
/// handle_continue).
#[tokio::test]
async fn continue_with_runs_before_the_queue() {
    let system = system();
    let rec = system.spawn(Recorder::default());
    suspend(&rec);
    rec.tell(Rec::Continue(7)).ok().unwrap();
    rec.tell(Rec::Push(1, 1)).ok().unwrap();
    resume(&rec);
    assert_eq!(rec.ask(Rec::Seen).await.unwrap(), vec![(9, 7), (1, 1)]);
    system.shutdown().await;
}

/// A mailbox that tracks its high-water mark reports the most messages it
/// held at once, after they are handled too; one that does not reports
/// `None`.
#[tokio::test]
async fn mailbox_high_water_is_the_most_queued_at_once() {
    let system = System::builder()
        .workers(2)
        .default_mailbox(MailboxConfig::unbounded().track_high_water(true))
        .build()
        .unwrap();
    let rec = system.spawn(Recorder::default());
    assert_eq!(rec.any().mailbox_high_water(), Some(0));
    suspend(&rec);
    for n in 0..5 {
        rec.tell(Rec::Push(0, n)).ok().unwrap();
    }
    // An ask is queued when made: the sixth message.
    let count = rec.ask(Rec::Count);
    assert_eq!(rec.any().mailbox_len(), 6);
    resume(&rec);
    assert_eq!(count.await, Ok(5));
    // One at a time from here on: the mark stays.
    rec.tell(Rec::Push(0, 5)).ok().unwrap();
    assert_eq!(rec.ask(Rec::Count).await, Ok(6));
    assert_eq!(rec.any().mailbox_len(), 0);
    assert_eq!(rec.any().mailbox_high_water(), Some(6));

    let untracked = self::system();
    let other = untracked.spawn(Recorder::default());
    assert_eq!(other.any().mailbox_high_water(), None);
    untracked.shutdown().await;
    system.shutdown().await;
}

/// `continue_with` messages left when the actor stops are treated like the
/// queue's: a request fails with `Exited(reason)`, a tell is a dead letter.
#[tokio::test]
async fn continues_left_at_exit_are_not_lost() {
    let system = system();
    let mut events = system.events();
    let rec = system.spawn(Recorder::default());
    assert_eq!(
        rec.ask(Rec::ContinueThenStop).await,
        Err(AskError::Exited(ExitReason::Normal))
    );
    assert_eq!(
        next_dead_letter(&mut events).await,
        (rec.id(), DeadLetterReason::Closed)
    );
    system.shutdown().await;
}

/// `ActorRef::stop()` queues behind what was sent before it and exits
/// `Shutdown` with `stopped`; what comes after is a dead letter.
#[tokio::test]
async fn stop_is_queued_behind_earlier_messages() {
    let system = system();
    let mut events = system.events();
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let rec = system.spawn(Recorder::with_log(&log));
    suspend(&rec);
    for n in 0..3 {
        rec.tell(Rec::Push(0, n)).ok().unwrap();
    }
    let count = rec.ask(Rec::Count);
    rec.stop();
    rec.tell(Rec::Push(0, 99)).ok().unwrap();
    resume(&rec);
    assert_eq!(count.await, Ok(3));
    // What was queued behind the stop is a dead letter before the exit is
    // announced: when the exit event comes, the count is final.
    assert_eq!(
        next_dead_letter(&mut events).await,
        (rec.id(), DeadLetterReason::Closed)
    );
    assert_eq!(exit_of(&mut events, rec.id()).await, ExitReason::Shutdown);
    assert_eq!(system.dead_letters(), 1);
    assert_eq!(*log.lock().unwrap(), ["stopped", "dropped"]);
    assert_eq!(rec.status(), Status::Stopped);
    system.shutdown().await;
}

// ---- asks ----

/// An ask that is not answered in time fails with `Timeout` (on the
/// System's clock, not before); a reply that comes later is a `LateReply`
/// dead letter of the asked actor, whether an actor or plain code gives it.
#[tokio::test]
async fn ask_timeout_then_late_replies_are_dead_letters() {
    let (system, clock) = manual_system();
    let mut events = system.events();
    let rec = system.spawn(Recorder::default());
    let mut first = rec.ask_timeout(Duration::from_millis(50)).ask(Rec::Store);
    let mut second = rec.ask_timeout(Duration::from_millis(50)).ask(Rec::Store);
    assert!(poll_once(&mut first).is_pending());
    assert!(poll_once(&mut second).is_pending());
    // Both stored: the actor has handled them once this later ask is answered.
    assert_eq!(rec.ask(Rec::Count).await, Ok(0));
    clock.advance(Duration::from_millis(49));
    assert!(poll_once(&mut first).is_pending(), "not before its timeout");
    clock.advance(Duration::from_millis(1));
    assert_eq!(first.await, Err(AskError::Timeout));
    assert_eq!(second.await, Err(AskError::Timeout));

    // The test itself answers one, outside any actor...
    let mut stored = rec.ask(Rec::TakeStored).await.unwrap();
    stored.pop().unwrap().reply(7);
    assert_eq!(
        next_dead_letter(&mut events).await,
        (rec.id(), DeadLetterReason::LateReply)
    );
    // ...and hands the other back to the actor, which answers it.
    rec.tell(Rec::Store(stored.pop().unwrap())).ok().unwrap();
    rec.tell(Rec::AnswerStored(5)).ok().unwrap();
    assert_eq!(
        next_dead_letter(&mut events).await,
        (rec.id(), DeadLetterReason::LateReply)
    );
    assert_eq!(system.dead_letters(), 2);
    system.shutdown().await;
}

/// A reply stored and answered later (gen_server's deferred reply) reaches
/// its asker.
#[tokio::test]
async fn deferred_reply_reaches_the_asker() {
    let system = system();
    let rec = system.spawn(Recorder::default());
    let ask = rec.ask(Rec::Store);
    rec.tell(Rec::AnswerStored(42)).ok().unwrap();
    assert_eq!(ask.await, Ok(42));
    system.shutdown().await;
}

/// A `ReplyTo` dropped unanswered completes the ask with `NoReply`.
#[tokio::test]
async fn dropped_reply_is_no_reply() {
    let system = system();
    let rec = system.spawn(Recorder::default());
    assert_eq!(rec.ask(Rec::Drop).await, Err(AskError::NoReply));
    assert_eq!(rec.status(), Status::Running);
    system.shutdown().await;
}

/// An actor that asks itself gets `WouldDeadlock` at once.
#[tokio::test]
async fn asking_yourself_would_deadlock() {
    let system = system();
    let rec = system.spawn(Recorder::default());
    assert_eq!(
        rec.ask(Rec::AskMyself).await,
        Ok(Err(AskError::WouldDeadlock))
    );
    system.shutdown().await;
}

/// The ask is enqueued when `ask` is called, not when first polled.
#[tokio::test]
async fn ask_enqueues_when_called() {
    let system = system();
    let rec = system.spawn(Recorder::default());
    let first = rec.ask(Rec::Count);
    rec.tell(Rec::Push(0, 0)).ok().unwrap();
    assert_eq!(rec.ask(Rec::Count).await, Ok(1));
    assert_eq!(first.await, Ok(0), "queued before the push");
    system.shutdown().await;
}

/// Asks to a gone actor fail with `NotRunning` at once; tells hand the
/// message back as `Closed`.
#[tokio::test]
async fn gone_actor_refuses_at_once() {
    let system = system();
    let rec = system.spawn(Recorder::default());
    rec.kill();
    assert_eq!(
        rec.status(),
        Status::Stopped,
        "kill closes before returning"
    );
    assert!(matches!(
        rec.tell(Rec::Push(0, 1)),
        Err(TellError::Closed(Rec::Push(0, 1)))
    ));
    assert_eq!(rec.ask(Rec::Count).await, Err(AskError::NotRunning));
    assert!(matches!(
        rec.send(Rec::Stop).await,
        Err(TellError::Closed(Rec::Stop))
    ));
    assert_eq!(rec.wait_exit().await, ExitReason::Killed);
    system.shutdown().await;
}

/// A handler that panics fails the ask it was handling with
/// `Exited(Panic)`, and the asks stored in its state too: never `NoReply`.
#[tokio::test]
async fn panicking_handler_fails_asks_with_exited_panic() {
    quiet_panics();
    let system = system();
    let rec = system.spawn(Recorder::default());
    // Held until all three are queued: the third must be queued when the
    // actor closes (else `NotRunning` would be right).
    suspend(&rec);
    let stored = rec.ask(Rec::Store);
    let handling = rec.ask(Rec::PanicWith);
    let queued = rec.ask(Rec::Count);
    resume(&rec);
    let panic = ExitReason::Panic("panicked holding a reply".into());
    assert_eq!(handling.await, Err(AskError::Exited(panic.clone())));
    assert_eq!(stored.await, Err(AskError::Exited(panic.clone())));
    assert_eq!(
        queued.await,
        Err(AskError::Exited(panic.clone())),
        "queued when it closed"
    );
    assert_eq!(rec.wait_exit().await, panic);
    system.shutdown().await;
}

// ---- panics and errors in every hook ----

struct Hooks {
    panic_in: &'static str,
    log: Arc<std::sync::Mutex<Vec<&'static str>>>,
}

impl Hooks {
    fn maybe_panic(&self, hook: &'static str) {
        self.log.lock().unwrap().push(hook);
        if self.panic_in == hook {
            panic!("{hook} panicked");
        }
    }
}

enum HookMsg {
    Ping(ReplyTo<()>),
    Trap,
    Watch(AnyRef),
    Link(AnyRef),
    Stop,
}

impl Actor for Hooks {
    type Msg = HookMsg;
    type Error = Infallible;

    async fn started(&mut self, _ctx: &mut Context<Self>) -> Result<Start, Infallible> {
        self.maybe_panic("started");
        Ok(Start::Ready)
    }

    async fn handle(&mut self, msg: HookMsg, ctx: &mut Context<Self>) -> Result<(), Infallible> {
        match msg {
            HookMsg::Ping(r) => {
                self.maybe_panic("handle");
                r.reply(());
            }
            HookMsg::Trap => ctx.trap_exits(true),
            HookMsg::Watch(target) => {
                ctx.monitor(target);
            }
            HookMsg::Link(target) => ctx.link(target).unwrap(),
            HookMsg::Stop => ctx.stop(),
        }
        Ok(())
    }

    async fn stopped(&mut self, _reason: &ExitReason, _ctx: &mut Context<Self>) {
        self.maybe_panic("stopped");
    }

    async fn on_exit(
        &mut self,
        _from: AnyRef,
        _reason: ExitReason,
        _ctx: &mut Context<Self>,
    ) -> Result<(), Infallible> {
        self.maybe_panic("on_exit");
        Ok(())
    }

    async fn on_down(
        &mut self,
        _monitor: keel::MonitorRef,
        _reason: ExitReason,
        _ctx: &mut Context<Self>,
    ) -> Result<(), Infallible> {
        self.maybe_panic("on_down");
        Ok(())
    }
}

impl Drop for Hooks {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.maybe_panic("drop");
        }
    }
}

/// A panic in any hook (and in the actor's `Drop`) ends only that actor,
/// with `Panic(message)`; a neighbour keeps serving.
#[tokio::test]
async fn panic_isolation_at_each_hook() {
    quiet_panics();
    let system = system();
    let mut events = system.events();
    let neighbour = system.spawn(Recorder::default());
    let hooks = |panic_in| Hooks {
        panic_in,
        log: Arc::new(std::sync::Mutex::new(Vec::new())),
    };

    // started: a start failure, `stopped` does not run.
    let h = hooks("started");
    let log = h.log.clone();
    let err = system.spawn_ready(h).await.unwrap_err();
    assert_eq!(
        err,
        StartError::Failed(ExitReason::Panic("started panicked".into()))
    );
    assert_eq!(*log.lock().unwrap(), ["started", "drop"]);

    // handle: `stopped` runs, the ask fails with Exited(Panic).
    let h = hooks("handle");
    let log = h.log.clone();
    let a = system.spawn_ready(h).await.unwrap();
    let panic = ExitReason::Panic("handle panicked".into());
    assert_eq!(
        a.ask(HookMsg::Ping).await,
        Err(AskError::Exited(panic.clone()))
    );
    assert_eq!(a.wait_exit().await, panic);
    assert_eq!(
        *log.lock().unwrap(),
        ["started", "handle", "stopped", "drop"]
    );

    // stopped: a normal stop becomes a panic exit.
    let a = system.spawn_ready(hooks("stopped")).await.unwrap();
    a.tell(HookMsg::Stop).ok().unwrap();
    assert_eq!(
        exit_of(&mut events, a.id()).await,
        ExitReason::Panic("stopped panicked".into())
    );

    // drop: likewise.
    let a = system.spawn_ready(hooks("drop")).await.unwrap();
    a.tell(HookMsg::Stop).ok().unwrap();
    assert_eq!(
        exit_of(&mut events, a.id()).await,
        ExitReason::Panic("drop panicked".into())
    );

    // on_exit: a trapped exit signal whose hook panics.
    let a = system.spawn_ready(hooks("on_exit")).await.unwrap();
    let peer = system.spawn(Recorder::default());
    a.tell(HookMsg::Trap).ok().unwrap();
    a.tell(HookMsg::Link(peer.any())).ok().unwrap();
    a.ask(HookMsg::Ping).await.unwrap();
    peer.tell(Rec::Fail).ok().unwrap();
    assert_eq!(
        exit_of(&mut events, a.id()).await,
        ExitReason::Panic("on_exit panicked".into())
    );

    // on_down: a Down whose hook panics.
    let a = system.spawn_ready(hooks("on_down")).await.unwrap();
    let target = system.spawn(Recorder::default());
    a.tell(HookMsg::Watch(target.any())).ok().unwrap();
    a.ask(HookMsg::Ping).await.unwrap();
    target.tell(Rec::Stop).ok().unwrap();
    assert_eq!(
        exit_of(&mut events, a.id()).await,
        ExitReason::Panic("on_down panicked".into())
    );

    // The neighbour never noticed.
    neighbour.tell(Rec::Push(0, 1)).ok().unwrap();
    assert_eq!(neighbour.ask(Rec::Count).await, Ok(1));
    system.shutdown().await;
}

/// `Err` from a handler ends the actor with `Error`, running `stopped`.
#[tokio::test]
async fn handler_error_ends_the_actor_with_error() {
    let system = system();
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let rec = system.spawn(Recorder::with_log(&log));
    rec.tell(Rec::Fail).ok().unwrap();
    let reason = rec.wait_exit().await;
    assert!(
        matches!(&reason, ExitReason::Error(e) if e.to_string() == "handler failed on purpose")
    );
    assert!(reason.is_abnormal());
    assert_eq!(*log.lock().unwrap(), ["stopped", "dropped"]);
    system.shutdown().await;
}

// ---- starting ----

struct Starter(Result<Start, Oops>);

impl Actor for Starter {
    type Msg = ();
    type Error = Oops;

    async fn started(&mut self, _ctx: &mut Context<Self>) -> Result<Start, Oops> {
        std::mem::replace(&mut self.0, Ok(Start::Ready))
    }

    async fn handle(&mut self, _msg: (), _ctx: &mut Context<Self>) -> Result<(), Oops> {
        Ok(())
    }
}

/// `spawn_ready` reports the start: ready, ignored, or failed.
#[tokio::test]
async fn spawn_ready_reports_the_start() {
    let system = system();
    let ok = system.spawn_ready(Starter(Ok(Start::Ready))).await.unwrap();
    assert_eq!(ok.status(), Status::Running);
    assert_eq!(
        system
            .spawn_ready(Starter(Ok(Start::Ignore)))
            .await
            .unwrap_err(),
        StartError::Ignored
    );
    let failed = system.spawn_ready(Starter(Err(Oops))).await.unwrap_err();
    assert!(matches!(failed, StartError::Failed(ExitReason::Error(_))));
    system.shutdown().await;
}

/// Loops through `continue_with` for ever.
struct Looper;

impl Actor for Looper {
    type Msg = ();
    type Error = Infallible;

    async fn handle(&mut self, _msg: (), ctx: &mut Context<Self>) -> Result<(), Infallible> {
        ctx.continue_with(());
        Ok(())
    }
}

/// A `continue_with` loop still yields its worker after `throughput`
/// messages and still sees exit signals on the control lane.
#[tokio::test]
async fn a_continue_loop_yields_and_can_be_ended() {
    let system = System::builder().workers(1).build().unwrap();
    let looper = system.spawn(Looper);
    looper.tell(()).unwrap();
    let other = system.spawn(Counter(0));
    other.tell(CounterMsg::Add(2)).ok().unwrap();
    assert_eq!(
        other.ask(CounterMsg::Get).await,
        Ok(2),
        "the one worker is shared"
    );
    let peer = system.spawn(Recorder::default());
    looper.link_with(&peer).unwrap();
    peer.tell(Rec::Fail).ok().unwrap();
    assert!(matches!(looper.wait_exit().await, ExitReason::Error(_)));
    system.shutdown().await;
}

// ---- kill ----

/// `kill` drops a suspended handler at its next poll: `stopped` does not
/// run, the exit is `Killed`, and the address is closed when it returns.
#[tokio::test]
async fn kill_drops_a_suspended_handler() {
    let system = system();
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let rec = system.spawn(Recorder::with_log(&log));
    let hang = rec.ask(|r: ReplyTo<u64>| {
        drop(r);
        Rec::Hang
    });
    drop(hang);
    let behind = rec.ask(Rec::Count);
    rec.kill();
    assert!(rec.tell(Rec::Push(0, 0)).unwrap_err().is_closed());
    assert_eq!(rec.wait_exit().await, ExitReason::Killed);
    assert_eq!(behind.await, Err(AskError::Exited(ExitReason::Killed)));
    // The handler future was dropped, then the state: never `stopped`.
    let mut events = system.events();
    drop(system.spawn(Recorder::default()));
    events.next().await;
    let log = log.lock().unwrap().clone();
    assert!(!log.contains(&"stopped"), "{log:?}");
    system.shutdown().await;
}

// ---- scale ----

struct Counter(u64);

enum CounterMsg {
    Add(u64),
    Get(ReplyTo<u64>),
}

impl Actor for Counter {
    type Msg = CounterMsg;
    type Error = Infallible;

    async fn handle(
        &mut self,
        msg: CounterMsg,
        _ctx: &mut Context<Self>,
    ) -> Result<(), Infallible> {
        match msg {
            CounterMsg::Add(n) => self.0 += n,
            CounterMsg::Get(r) => r.reply(self.0),
        }
        Ok(())
    }
}

impl From<u64> for CounterMsg {
    fn from(n: u64) -> CounterMsg {
        assert!(n != 13, "unlucky");
        CounterMsg::Add(n)
    }
}

/// 10,000 actors × 100 messages, counted exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_actors_count_exactly() {
    let system = system();
    let actors: Vec<_> = (0..10_000).map(|_| system.spawn(Counter(0))).collect();
    for round in 0..100u64 {
        for a in &actors {
            a.tell(CounterMsg::Add(round)).ok().unwrap();
        }
    }
    let mut total = 0;
    for a in &actors {
        let n = a.ask(CounterMsg::Get).await.unwrap();
        assert_eq!(n, (0..100).sum::<u64>());
        total += n;
    }
    assert_eq!(total, 10_000 * 4_950);
    assert_eq!(system.live_actors(), 10_000);
    system.shutdown().await;
    assert_eq!(system.live_actors(), 0);
}

// ---- timers ----

struct Ticker {
    ticks: u64,
    timer: Option<keel::TimerRef>,
}

#[derive(Clone)]
enum TickMsg {
    After(Duration),
    Every(Duration),
    Cancel,
    Tick,
    Ticks(Arc<std::sync::Mutex<Option<ReplyTo<u64>>>>),
}

impl Actor for Ticker {
    type Msg = TickMsg;
    type Error = Infallible;

    async fn handle(&mut self, msg: TickMsg, ctx: &mut Context<Self>) -> Result<(), Infallible> {
        match msg {
            TickMsg::After(d) => self.timer = Some(ctx.send_after(d, TickMsg::Tick)),
            TickMsg::Every(d) => self.timer = Some(ctx.send_interval(d, TickMsg::Tick)),
            TickMsg::Cancel => {
                if let Some(t) = self.timer.take() {
                    ctx.cancel_timer(t);
                }
            }
            TickMsg::Tick => self.ticks += 1,
            TickMsg::Ticks(r) => {
                if let Some(r) = r.lock().unwrap().take() {
                    r.reply(self.ticks);
                }
            }
        }
        Ok(())
    }
}

async fn ticks(t: &ActorRef<Ticker>) -> u64 {
    t.ask(|r| TickMsg::Ticks(Arc::new(std::sync::Mutex::new(Some(r)))))
        .await
        .unwrap()
}

/// `send_after` and `send_interval` fire on the manual clock exactly when
/// it reaches them; cancelled timers and an ended incarnation's timers
/// never fire.
#[tokio::test]
async fn timers_on_the_manual_clock() {
    let (system, clock) = manual_system();
    let t = system.spawn(Ticker {
        ticks: 0,
        timer: None,
    });
    t.tell(TickMsg::After(Duration::from_millis(100)))
        .ok()
        .unwrap();
    assert_eq!(ticks(&t).await, 0);
    clock.advance(Duration::from_millis(99));
    assert_eq!(ticks(&t).await, 0, "not before its time");
    clock.advance(Duration::from_millis(1));
    assert_eq!(ticks(&t).await, 1);
    clock.advance(Duration::from_secs(10));
    assert_eq!(ticks(&t).await, 1, "once");

    t.tell(TickMsg::Every(Duration::from_millis(10)))
        .ok()
        .unwrap();
    assert_eq!(ticks(&t).await, 1);
    clock.advance(Duration::from_millis(10));
    assert_eq!(ticks(&t).await, 2);
    clock.advance(Duration::from_millis(30));
    assert_eq!(ticks(&t).await, 5, "one tick per period in the span");
    t.tell(TickMsg::Cancel).ok().unwrap();
    assert_eq!(ticks(&t).await, 5);
    clock.advance(Duration::from_millis(100));
    assert_eq!(ticks(&t).await, 5, "cancelled");

    // Timers end with their incarnation.
    t.tell(TickMsg::Every(Duration::from_millis(10)))
        .ok()
        .unwrap();
    assert_eq!(ticks(&t).await, 5);
    assert_eq!(clock.pending_timers(), 1);
    t.stop();
    t.wait_exit().await;
    assert_eq!(clock.pending_timers(), 0);
    clock.advance(Duration::from_secs(1));
    assert_eq!(system.dead_letters(), 0, "nothing fired at the gone actor");
    system.shutdown().await;
}

// ---- bounded mailboxes ----

struct Bounded;

impl Actor for Bounded {
    type Msg = u64;
    type Error = Infallible;

    async fn handle(&mut self, _msg: u64, _ctx: &mut Context<Self>) -> Result<(), Infallible> {
        Ok(())
    }

    fn config() -> ActorConfig {
        ActorConfig::new().mailbox(MailboxConfig::bounded(2))
    }
}

struct Dropping;

impl Actor for Dropping {
    type Msg = u64;
    type Error = Infallible;

    async fn handle(&mut self, _msg: u64, _ctx: &mut Context<Self>) -> Result<(), Infallible> {
        Ok(())
    }

    fn config() -> ActorConfig {
        ActorConfig::new().mailbox(MailboxConfig::bounded(1).overflow(Overflow::DropNewest))
    }
}

/// A full bounded mailbox: `tell` hands the message back (`FailFast`),
/// `send().await` waits for room; `DropNewest` makes a dead letter.
#[tokio::test]
async fn bounded_backpressure() {
    let system = system();
    let b = system.spawn_ready(Bounded).await.unwrap();
    suspend(&b);
    b.tell(1).unwrap();
    b.tell(2).unwrap();
    assert_eq!(b.tell(3), Err(TellError::Full(3)));
    let mut send = pin!(b.send(3));
    let mut cx = TaskContext::from_waker(Waker::noop());
    assert!(send.as_mut().poll(&mut cx).is_pending(), "waits for room");
    resume(&b);
    assert_eq!(poll_fn(|cx| send.as_mut().poll(cx)).await, Ok(()));

    let mut events = system.events();
    let d = system.spawn_ready(Dropping).await.unwrap();
    suspend(&d);
    d.tell(1).unwrap();
    assert_eq!(d.tell(2), Ok(()), "dropped, not refused");
    assert_eq!(
        next_dead_letter(&mut events).await,
        (d.id(), DeadLetterReason::Overflow)
    );
    assert_eq!(system.dead_letters(), 1);
    system.shutdown().await;
}

// ---- refs ----

/// `AnyRef` downcasts back to its type only; `WeakActorRef` upgrades while
/// the address lives; `Recipient` sends one message type.
#[tokio::test]
async fn handles() {
    let system = system();
    let c = system.spawn(Counter(0));
    let any = c.any();
    assert_eq!(any.id(), c.id());
    assert!(any.downcast::<Recorder>().is_none());
    let back = any.downcast::<Counter>().unwrap();
    assert_eq!(back, c);
    assert_eq!(c.downgrade().upgrade(), Some(c.clone()));

    let add: keel::Recipient<u64> = c.recipient();
    add.tell(5).unwrap();
    assert_eq!(c.ask(CounterMsg::Get).await, Ok(5));
    // A conversion that panics reaches the caller; the mailbox carries on.
    quiet_panics();
    let unlucky = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| add.tell(13)));
    assert!(unlucky.is_err());
    add.tell(1).unwrap();
    assert_eq!(c.ask(CounterMsg::Get).await, Ok(6));
    c.kill();
    assert_eq!(
        add.tell(6).unwrap_err().into_inner(),
        6,
        "handed back unconverted"
    );
    system.shutdown().await;
}

// ---- tokio inside handlers ----

struct Napper;

impl Actor for Napper {
    type Msg = ReplyTo<u64>;
    type Error = Infallible;

    async fn handle(
        &mut self,
        r: ReplyTo<u64>,
        _ctx: &mut Context<Self>,
    ) -> Result<(), Infallible> {
        let start = tokio::time::Instant::now();
        tokio::time::sleep(Duration::from_millis(5)).await;
        r.reply(start.elapsed().as_millis() as u64);
        Ok(())
    }
}

/// A handler awaits a tokio timer, from a current-thread `#[tokio::test]`
/// (keel then runs its own tokio runtime for handlers).
#[tokio::test]
async fn a_handler_awaits_a_tokio_timer() {
    let system = system();
    let n = system.spawn(Napper);
    assert!(n.ask(|r| r).await.unwrap() >= 5);
    system.shutdown().await;
}

/// The tokio rule of DESIGN.md §2: a current-thread handle is refused (its
/// timers and sockets are driven only while its own thread runs it, so
/// handlers on keel's workers could wait forever); bad settings are typed
/// errors.
#[tokio::test]
async fn builder_rejects_what_cannot_work() {
    let current = tokio::runtime::Handle::current();
    assert!(matches!(
        System::builder().tokio_handle(current).build(),
        Err(keel::BuildError::NotMultiThread)
    ));
    assert!(matches!(
        System::builder().workers(0).build(),
        Err(keel::BuildError::Invalid(_))
    ));
    assert!(matches!(
        System::builder().throughput(0).build(),
        Err(keel::BuildError::Invalid(_))
    ));
    assert!(matches!(
        System::builder()
            .dispatcher("io", 1)
            .dispatcher("io", 2)
            .build(),
        Err(keel::BuildError::Invalid(
            "a dispatcher name is given twice"
        ))
    ));
}

/// A TCP echo over loopback: one actor per connection, its handler doing
/// tokio I/O.
#[tokio::test]
async fn tcp_echo_over_loopback() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let system = system();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let client = tokio::spawn(async move {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut got = Vec::new();
        for i in 0..10u8 {
            let line = [i; 32];
            s.write_all(&line).await.unwrap();
            let mut back = [0u8; 32];
            s.read_exact(&mut back).await.unwrap();
            got.push(back == line);
        }
        got
    });
    let (stream, _) = listener.accept().await.unwrap();
    // The socket was accepted on this test's runtime; keel's handler
    // drives it on the runtime keel's workers enter.
    let std = stream.into_std().unwrap();
    let echo = system.spawn(Echo(Some(std)));
    echo.tell(()).unwrap();
    assert_eq!(client.await.unwrap(), vec![true; 10]);
    assert_eq!(echo.wait_exit().await, ExitReason::Normal);
    system.shutdown().await;
}

/// Takes a std socket and registers it with the tokio runtime the handler
/// runs under.
struct Echo(Option<std::net::TcpStream>);

impl Actor for Echo {
    type Msg = ();
    type Error = std::io::Error;

    async fn handle(&mut self, _msg: (), ctx: &mut Context<Self>) -> Result<(), std::io::Error> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let Some(std) = self.0.take() else {
            return Ok(());
        };
        let mut stream = tokio::net::TcpStream::from_std(std)?;
        let mut buf = [0u8; 1024];
        loop {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                ctx.stop();
                return Ok(());
            }
            stream.write_all(&buf[..n]).await?;
        }
    }
}

// ---- shutdown ----

/// Shutdown while actors are busy: a trapping actor runs `stopped`, a
/// handler that never finishes is killed after the shutdown timeout, and
/// `terminated()` reports `Shutdown`.
#[tokio::test]
async fn shutdown_while_busy() {
    let system = System::builder()
        .workers(2)
        .shutdown_timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    let stuck = system.spawn(Recorder::default());
    let hang = stuck.ask(|r: ReplyTo<u64>| {
        drop(r);
        Rec::Hang
    });
    drop(hang);
    let busy: Vec<_> = (0..100).map(|_| system.spawn(Counter(0))).collect();
    for b in &busy {
        for n in 0..1_000 {
            b.tell(CounterMsg::Add(n)).ok().unwrap();
        }
    }
    let trap_log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let trapping = system.spawn(Hooks {
        panic_in: "",
        log: trap_log.clone(),
    });
    trapping.tell(HookMsg::Trap).ok().unwrap();
    trapping.ask(HookMsg::Ping).await.unwrap();
    let plain_log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let plain = system.spawn(Recorder::with_log(&plain_log));
    let terminated = system.terminated();
    system.shutdown().await;
    assert_eq!(terminated.await, ExitReason::Shutdown);
    assert_eq!(system.live_actors(), 0);
    assert_eq!(stuck.wait_exit().await, ExitReason::Killed);
    assert_eq!(busy[0].status(), Status::Stopped);
    // The System's shutdown request is a parent's exit signal: a trapping
    // actor runs `stopped`, one that does not trap ends without it (OTP).
    assert_eq!(trapping.wait_exit().await, ExitReason::Shutdown);
    assert_eq!(
        *trap_log.lock().unwrap(),
        ["started", "handle", "stopped", "drop"]
    );
    assert_eq!(plain.wait_exit().await, ExitReason::Shutdown);
    assert_eq!(*plain_log.lock().unwrap(), ["dropped"]);
    // New actors are refused.
    let late = system.spawn(Counter(0));
    assert_eq!(late.status(), Status::Stopped);
    assert!(system.spawn_ready(Counter(0)).await.is_err());
}

/// Blocks its worker until released: a handler that never yields.
struct Wedged(std::sync::Mutex<std::sync::mpsc::Receiver<()>>);

impl Actor for Wedged {
    type Msg = ();
    type Error = Infallible;

    async fn handle(&mut self, _msg: (), _ctx: &mut Context<Self>) -> Result<(), Infallible> {
        let _ = self.0.lock().unwrap().recv();
        Ok(())
    }
}

/// Shutdown ends even when a handler never yields: the actor is killed
/// (dead at once) and its worker is left to finish on its own.
#[tokio::test]
async fn shutdown_ends_despite_a_handler_that_never_yields() {
    let system = System::builder()
        .workers(2)
        .shutdown_timeout(Duration::from_millis(20))
        .build()
        .unwrap();
    let (release, wait) = std::sync::mpsc::channel();
    let wedged = system.spawn(Wedged(std::sync::Mutex::new(wait)));
    wedged.tell(()).unwrap();
    while wedged.any().mailbox_len() > 0 {
        tokio::task::yield_now().await;
    }
    system.shutdown().await;
    assert_eq!(system.terminated().await, ExitReason::Shutdown);
    assert_eq!(wedged.wait_exit().await, ExitReason::Killed);
    release.send(()).unwrap();
}

/// Dropping the last `System` handle shuts it down in the background,
/// without blocking or panicking (even inside a runtime).
#[tokio::test]
async fn dropping_the_system_never_blocks() {
    let system = system();
    let c = system.spawn(Counter(0));
    let other = system.clone();
    drop(system);
    c.tell(CounterMsg::Add(1)).ok().unwrap();
    assert_eq!(c.ask(CounterMsg::Get).await, Ok(1), "one handle left");
    drop(other);
    assert!(matches!(
        c.wait_exit().await,
        ExitReason::Shutdown | ExitReason::Killed
    ));
}

/// `shutdown_blocking` on a keel thread is an error, not a deadlock.
#[tokio::test]
async fn shutdown_blocking_refuses_keel_threads() {
    struct Stopper(System);
    impl Actor for Stopper {
        type Msg = ReplyTo<bool>;
        type Error = Infallible;
        async fn handle(
            &mut self,
            r: ReplyTo<bool>,
            _ctx: &mut Context<Self>,
        ) -> Result<(), Infallible> {
            r.reply(self.0.shutdown_blocking().is_err());
            Ok(())
        }
    }
    let system = system();
    let s = system.spawn(Stopper(system.clone()));
    assert_eq!(s.ask(|r| r).await, Ok(true));
    system.shutdown().await;
}

/// Events carry increasing sequence numbers.
#[tokio::test]
async fn events_are_sequenced() {
    let system = system();
    let mut events = system.events();
    for _ in 0..3 {
        let c = system.spawn_ready(Counter(0)).await.unwrap();
        c.stop();
        c.wait_exit().await;
    }
    let mut seqs = Vec::new();
    while let Some(e) = events.try_next() {
        seqs.push(e.seq());
    }
    assert_eq!(seqs.len(), 6);
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    system.shutdown().await;
}
