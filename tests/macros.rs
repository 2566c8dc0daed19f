//! How actors written with `#[derive(Actor)]` and `#[keel::messages]`
//! behave at run time (compile errors are tests/ui.rs's): generated tells
//! and asks on `ActorRef` and on the `ask_timeout` view, `async` messages,
//! `Result` replies, messages taking the context, panics, the hooks named
//! in `#[actor(...)]` and what they return, the configuration attributes
//! (mailbox, overflow, name, dispatcher, blocking), generic and
//! const-generic actors, `Self` in message types, the generated enum used
//! by hand (`tell`, `ask`, `Recipient`, `Debug`). Deterministic: asks,
//! events, suspend/resume and the manual clock; no sleeps to wait.
// The clippy.toml ban on std's sync types keeps keel's own code loom-swappable;
// a test program is not part of that build.
#![cfg(not(keel_loom))] // the loom build compiles only sync + core
#![allow(clippy::disallowed_types)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Duration;

use keel::prelude::*;
use keel::testing::{quiet_panics, resume, suspend, ManualClock};
use keel::{
    ActorConfig, ActorId, DeadLetterReason, LinkError, MailboxConfig, MonitorRef, Overflow,
    StartError, Status, SystemEvent,
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

/// The next dead letter's address and reason.
async fn next_dead_letter(events: &mut keel::EventStream) -> (ActorId, DeadLetterReason) {
    match events
        .next_matching(|e| matches!(e, SystemEvent::DeadLetter { .. }))
        .await
    {
        Some(SystemEvent::DeadLetter { to, reason, .. }) => (to, reason),
        other => panic!("no dead letter: {other:?}"),
    }
}

fn thread_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("<unnamed>")
        .to_owned()
}

type Log = Arc<Mutex<Vec<String>>>;

fn note(log: &Log, what: impl Into<String>) {
    log.lock().unwrap().push(what.into());
}

fn entries(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

// ---- the Counter of DESIGN.md §4, and more ----

#[derive(Actor, Default)]
struct Counter {
    n: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("division by zero")]
struct DivByZero;

#[keel::messages]
impl Counter {
    /// Adds `by`.
    #[message]
    fn add(&mut self, by: u64) {
        self.n += by;
    }

    /// The count so far.
    #[message]
    fn get(&self) -> u64 {
        self.n
    }

    /// A tell without arguments.
    #[message]
    fn reset(&mut self) {
        self.n = 0;
    }

    /// A tell written with an explicit unit return.
    #[message]
    #[allow(clippy::unused_unit)]
    fn bump(&mut self) -> () {
        self.n += 1;
    }

    /// An ask with several arguments, one of them `mut`.
    #[message]
    fn add_all(&mut self, a: u64, b: u64, mut extra: Vec<u64>, label: String) -> String {
        extra.push(a);
        extra.push(b);
        self.n += extra.iter().sum::<u64>();
        format!("{label}={}", self.n)
    }

    /// A `Result` reply: `Err` goes back to the asker and the actor lives on.
    #[message]
    fn div(&mut self, by: u64) -> Result<u64, DivByZero> {
        if by == 0 {
            return Err(DivByZero);
        }
        self.n /= by;
        Ok(self.n)
    }

    /// `Result<(), E>` is an ask too.
    #[message]
    fn check_nonzero(&self, v: u64) -> Result<(), DivByZero> {
        if v == 0 {
            Err(DivByZero)
        } else {
            Ok(())
        }
    }

    #[message]
    fn boom(&mut self) -> u64 {
        panic!("boom")
    }

    #[message]
    fn whoami(&self, ctx: &mut Context<Self>) -> ActorId {
        ctx.myself().id()
    }

    /// Tells itself through the generated trait.
    #[message]
    fn add_via_myself(&mut self, by: u64, ctx: &mut Context<Self>) -> bool {
        ctx.myself().add(by).is_ok()
    }

    #[message]
    fn quit(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }

    #[message]
    fn add_later(&mut self, by: u64, ms: u64, ctx: &mut Context<Self>) {
        ctx.send_after(Duration::from_millis(ms), CounterMsg::Add(by));
    }

    /// Handled before anything queued (OTP's handle_continue).
    #[message]
    fn add_next(&mut self, by: u64, ctx: &mut Context<Self>) {
        ctx.continue_with(CounterMsg::Add(by));
    }

    /// An `async` tell.
    #[message]
    async fn add_async(&mut self, by: u64) {
        std::future::ready(()).await;
        self.n += by;
    }

    /// A raw identifier; a `'static` borrow is owned enough.
    #[message]
    fn r#type(&self) -> &'static str {
        "counter"
    }

    /// A leading underscore.
    #[message]
    fn _hidden(&self) -> u64 {
        self.n + 100
    }

    /// Awaits the System's clock, then answers the count.
    #[message]
    async fn nap(&mut self, ms: u64, ctx: &mut Context<Self>) -> u64 {
        ctx.clock().sleep(Duration::from_millis(ms)).await;
        self.n
    }

    /// Awaits an ask to another counter (`Self` inside a generic argument).
    #[message]
    async fn absorb(&mut self, other: ActorRef<Self>) -> Result<u64, AskError> {
        let theirs = other.get().await?;
        self.n += theirs;
        Ok(self.n)
    }

    /// `ask_blocking` on a keel worker is refused.
    #[message]
    fn peek_blocking(&self, other: ActorRef<Self>) -> Result<u64, AskError> {
        other.ask_blocking(CounterMsg::Get)
    }

    #[message]
    fn thread_name(&self) -> String {
        thread_name()
    }

    /// Compiled out: nothing is generated for it.
    #[cfg(any())]
    #[message]
    fn ghost(&mut self, x: NoSuchType) {}

    /// Not a message: an ordinary method.
    fn doubled(&self) -> u64 {
        self.n * 2
    }
}

/// Tell then ask through the generated trait on `ActorRef`.
#[tokio::test]
async fn tell_then_ask_returns_the_state() {
    let system = system();
    let counter: ActorRef<Counter> = system.spawn(Counter::default());
    counter.add(5).unwrap();
    counter.add(2).unwrap();
    assert_eq!(counter.get().await, Ok(7));
    counter.bump().unwrap();
    assert_eq!(counter.get().await, Ok(8));
    counter.reset().unwrap();
    assert_eq!(counter.get().await, Ok(0));
    system.shutdown().await;
}

/// The `ask_timeout` view: tells go through as on the ref, asks time out
/// after the view's timeout on the System's clock (not the default 5 s).
#[tokio::test]
async fn timed_view_tells_and_asks() {
    let (system, clock) = manual_system();
    let counter = system.spawn(Counter::default());
    let timed = counter.ask_timeout(Duration::from_millis(50));
    timed.add(3).unwrap();
    assert_eq!(timed.get().await, Ok(3));
    assert_eq!(
        timed.add_all(1, 1, vec![], "t".into()).await,
        Ok("t=5".to_owned())
    );

    suspend(&counter);
    let mut late = counter.ask_timeout(Duration::from_millis(50)).get();
    let mut normal = counter.get();
    assert!(poll_once(&mut late).is_pending());
    assert!(poll_once(&mut normal).is_pending());
    clock.advance(Duration::from_millis(49));
    assert!(poll_once(&mut late).is_pending(), "not before its timeout");
    clock.advance(Duration::from_millis(1));
    assert_eq!(late.await, Err(AskError::Timeout));
    assert!(poll_once(&mut normal).is_pending(), "the default is 5 s");
    resume(&counter);
    assert_eq!(normal.await, Ok(5));

    counter.kill();
    let timed = counter.ask_timeout(Duration::from_millis(50));
    assert!(matches!(
        timed.add(1),
        Err(TellError::Closed(CounterMsg::Add(1)))
    ));
    assert_eq!(timed.get().await, Err(AskError::NotRunning));
    system.shutdown().await;
}

/// An `async fn` message awaits an ask to another actor and returns.
#[tokio::test]
async fn async_message_awaits_another_actor() {
    let system = system();
    let a = system.spawn(Counter { n: 1 });
    let b = system.spawn(Counter { n: 40 });
    assert_eq!(a.absorb(b.clone()).await, Ok(Ok(41)));
    assert_eq!(a.get().await, Ok(41));
    // The awaited ask's failure comes back inside the reply.
    b.kill();
    assert_eq!(a.absorb(b).await, Ok(Err(AskError::NotRunning)));
    assert_eq!(a.status(), Status::Running);
    system.shutdown().await;
}

/// An `async fn` message awaiting the clock holds the actor: a message
/// queued meanwhile runs only after it returned.
#[tokio::test]
async fn async_message_holds_the_actor_while_it_awaits() {
    let (system, clock) = manual_system();
    let counter = system.spawn(Counter::default());
    // The nap is under way once its sleep is armed (the ask's own timer
    // is armed only when the ask is polled).
    let armed = clock.pending_timers();
    let nap = counter.nap(100);
    while clock.pending_timers() == armed {
        tokio::task::yield_now().await;
    }
    counter.add(1).unwrap();
    let mut get = counter.get();
    assert!(poll_once(&mut get).is_pending(), "queued behind the nap");
    clock.advance(Duration::from_millis(100));
    assert_eq!(nap.await, Ok(0), "the add ran after the nap");
    assert_eq!(get.await, Ok(1));

    // Killed mid-await: the dropped handler fails its ask with `Killed`.
    let armed = clock.pending_timers();
    let nap = counter.nap(100);
    while clock.pending_timers() == armed {
        tokio::task::yield_now().await;
    }
    counter.kill();
    assert_eq!(nap.await, Err(AskError::Exited(ExitReason::Killed)));
    assert_eq!(counter.wait_exit().await, ExitReason::Killed);
    system.shutdown().await;
}

/// A `Result` message returning `Err`: the asker gets `Ok(Err(e))` and the
/// actor keeps running.
#[tokio::test]
async fn result_err_is_a_reply_not_an_exit() {
    let system = system();
    let counter = system.spawn(Counter { n: 10 });
    assert_eq!(counter.div(0).await, Ok(Err(DivByZero)));
    assert_eq!(counter.check_nonzero(0).await, Ok(Err(DivByZero)));
    assert_eq!(counter.check_nonzero(1).await, Ok(Ok(())));
    assert_eq!(counter.status(), Status::Running);
    assert_eq!(counter.div(2).await, Ok(Ok(5)));
    assert_eq!(counter.get().await, Ok(5));
    assert_eq!(counter.status(), Status::Running);
    system.shutdown().await;
}

/// Messages taking `ctx` last: `myself()`, telling itself, `stop()`.
#[tokio::test]
async fn context_messages_myself_and_stop() {
    let system = system();
    let counter = system.spawn(Counter::default());
    assert_eq!(counter.whoami().await, Ok(counter.id()));
    assert_eq!(counter.add_via_myself(4).await, Ok(true));
    // The self-tell was queued before this ask.
    assert_eq!(counter.get().await, Ok(4));
    suspend(&counter);
    counter.add_next(5).unwrap();
    let get = counter.get();
    resume(&counter);
    assert_eq!(get.await, Ok(9), "the continue ran before the queued ask");
    counter.quit().unwrap();
    assert_eq!(counter.wait_exit().await, ExitReason::Normal);
    assert_eq!(counter.status(), Status::Stopped);
    assert_eq!(counter.get().await, Err(AskError::NotRunning));
    system.shutdown().await;
}

/// `ctx.send_after` with a generated variant fires on the manual clock.
#[tokio::test]
async fn context_send_after_on_the_manual_clock() {
    let (system, clock) = manual_system();
    let counter = system.spawn(Counter::default());
    counter.add_later(5, 100).unwrap();
    assert_eq!(counter.get().await, Ok(0));
    assert_eq!(clock.pending_timers(), 1);
    clock.advance(Duration::from_millis(99));
    assert_eq!(counter.get().await, Ok(0), "not before its time");
    clock.advance(Duration::from_millis(1));
    assert_eq!(counter.get().await, Ok(5));
    system.shutdown().await;
}

/// A panicking message: its ask gets `Exited(Panic(message))`, and a tell
/// to the dead actor hands back the same variant as `Closed`.
#[tokio::test]
async fn panicking_message_ends_the_actor() {
    quiet_panics();
    let system = system();
    let counter = system.spawn(Counter::default());
    counter.add(1).unwrap();
    let panic = ExitReason::Panic("boom".into());
    assert_eq!(counter.boom().await, Err(AskError::Exited(panic.clone())));
    // The asker learns of the exit only once the address is closed: the
    // actor is gone for whoever hears of it.
    assert_eq!(counter.status(), Status::Stopped);
    let err = counter.add(5).unwrap_err();
    assert!(
        matches!(err, TellError::Closed(CounterMsg::Add(5))),
        "{err:?}"
    );
    assert_eq!(counter.wait_exit().await, panic);
    let err = counter.add(5).unwrap_err();
    assert!(
        matches!(err, TellError::Closed(CounterMsg::Add(5))),
        "{err:?}"
    );
    assert!(matches!(
        counter.reset(),
        Err(TellError::Closed(CounterMsg::Reset))
    ));
    assert_eq!(counter.get().await, Err(AskError::NotRunning));
    system.shutdown().await;
}

/// An actor whose `stopped` never finishes.
#[derive(Actor, Default)]
#[actor(stopped = Self::hang)]
struct Stuck;

impl Stuck {
    async fn hang(&mut self, _reason: &ExitReason, _ctx: &mut Context<Self>) {
        std::future::pending::<()>().await;
    }
}

#[keel::messages]
impl Stuck {
    #[message]
    fn boom(&mut self) -> u64 {
        panic!("boom")
    }
}

/// The ask whose handler panics fails with `Exited(Panic)` as soon as the
/// address is closed: not after `stopped` (which here never ends: the ask
/// would time out), and not with the reason of a kill that ends `stopped`.
#[tokio::test]
async fn a_failed_ask_waits_neither_for_stopped_nor_for_a_kill() {
    quiet_panics();
    let system = system();
    let stuck = system.spawn(Stuck);
    let got = stuck.ask_timeout(Duration::from_secs(10)).boom().await;
    assert_eq!(got, Err(AskError::Exited(ExitReason::Panic("boom".into()))));
    assert_eq!(stuck.status(), Status::Stopped);
    stuck.kill();
    assert_eq!(stuck.wait_exit().await, ExitReason::Killed);
    system.shutdown().await;
}

/// Several arguments (one `mut`), no arguments; a method without
/// `#[message]` stays an ordinary method.
#[tokio::test]
async fn arguments_and_plain_methods() {
    let system = system();
    let counter = system.spawn(Counter { n: 1 });
    assert_eq!(
        counter.add_all(2, 3, vec![4, 5], "sum".to_owned()).await,
        Ok("sum=15".to_owned())
    );
    counter.reset().unwrap();
    assert_eq!(counter.get().await, Ok(0));
    counter.add_async(3).unwrap();
    assert_eq!(counter.get().await, Ok(3));
    assert_eq!(counter.r#type().await, Ok("counter"));
    assert_eq!(counter._hidden().await, Ok(103));
    assert_eq!(
        format!("{:?}", CounterMsg::AddAsync(1)),
        "CounterMsg::AddAsync(..)"
    );
    let _: fn(ReplyTo<&'static str>) -> CounterMsg = CounterMsg::Type;
    let _: fn(ReplyTo<u64>) -> CounterMsg = CounterMsg::Hidden;
    assert_eq!(Counter { n: 21 }.doubled(), 42);
    system.shutdown().await;
}

/// `ask_blocking` is refused on a worker (`WouldDeadlock`).
#[tokio::test]
async fn ask_blocking_in_a_plain_handler_would_deadlock() {
    let system = system();
    let a = system.spawn(Counter::default());
    let b = system.spawn(Counter { n: 3 });
    assert_eq!(a.peek_blocking(b).await, Ok(Err(AskError::WouldDeadlock)));
    system.shutdown().await;
}

/// The generated enum used by hand: `tell`, `send`, `ask` with a variant
/// as the constructor, `ask_timeout(..).ask`, `ask_blocking` from a thread.
#[tokio::test]
async fn generated_enum_sent_by_hand() {
    let system = system();
    let counter = system.spawn(Counter::default());
    counter.tell(CounterMsg::Add(1)).unwrap();
    counter.send(CounterMsg::Add(2)).await.unwrap();
    assert_eq!(counter.ask(CounterMsg::Get).await, Ok(3));
    assert_eq!(counter.ask(|r| CounterMsg::Div(3, r)).await, Ok(Ok(1)));
    assert_eq!(
        counter
            .ask_timeout(Duration::from_secs(1))
            .ask(CounterMsg::Get)
            .await,
        Ok(1)
    );
    let c = counter.clone();
    let from_thread = std::thread::spawn(move || c.ask_blocking(CounterMsg::Get));
    assert_eq!(from_thread.join().unwrap(), Ok(1));
    system.shutdown().await;
}

/// `Debug` of the generated enum names the variant, without payloads.
#[tokio::test]
async fn generated_enum_debug() {
    assert_eq!(format!("{:?}", CounterMsg::Add(1)), "CounterMsg::Add(..)");
    assert_eq!(format!("{:?}", CounterMsg::Reset), "CounterMsg::Reset");
    let err = TellError::Closed(CounterMsg::Add(1));
    assert_eq!(format!("{err:?}"), "Closed(..)");
    // An ask variant, built by the ask's closure.
    let system = system();
    let counter = system.spawn(Counter::default());
    let seen = Arc::new(Mutex::new(String::new()));
    let s = seen.clone();
    let got = counter
        .ask(move |r| {
            let msg = CounterMsg::Get(r);
            *s.lock().unwrap() = format!("{msg:?}");
            msg
        })
        .await;
    assert_eq!(got, Ok(0));
    assert_eq!(*seen.lock().unwrap(), "CounterMsg::Get(..)");
    // Generic, with a payload that is not `Debug`.
    assert_eq!(
        format!("{:?}", StackMsg::Push(NoDebug)),
        "StackMsg::Push(..)"
    );
    system.shutdown().await;
}

/// A `Recipient` of the generated enum, and of a type the enum converts
/// from.
#[tokio::test]
async fn recipient_of_generated_messages() {
    let system = system();
    let counter = system.spawn(Counter::default());
    let r: Recipient<CounterMsg> = counter.recipient();
    r.tell(CounterMsg::Add(2)).unwrap();
    r.tell(CounterMsg::Add(3)).unwrap();
    assert_eq!(counter.get().await, Ok(5));
    assert_eq!(r.id(), counter.id());

    let tally = system.spawn(Tally::default());
    let numbers: Recipient<u64> = tally.recipient();
    numbers.tell(7).unwrap();
    assert_eq!(tally.snapshot().await, Ok(Tally { items: vec![7] }));

    counter.kill();
    assert!(matches!(
        r.tell(CounterMsg::Add(9)),
        Err(TellError::Closed(CounterMsg::Add(9)))
    ));
    system.shutdown().await;
}

// ---- hooks ----

/// Logs its hooks; `init` lives in the messages block, `done` outside it.
#[derive(Actor)]
#[actor(started = Self::init, stopped = Self::done)]
struct Lifecycle {
    log: Log,
}

impl Lifecycle {
    async fn done(&mut self, reason: &ExitReason, _ctx: &mut Context<Self>) {
        note(&self.log, format!("stopped: {reason}"));
    }
}

#[keel::messages]
impl Lifecycle {
    async fn init(&mut self, ctx: &mut Context<Self>) {
        note(&self.log, format!("started as {}", ctx.myself().id()));
    }

    #[message]
    fn record(&mut self, what: String) {
        note(&self.log, what);
    }

    #[message]
    fn log(&self) -> Vec<String> {
        entries(&self.log)
    }

    #[message]
    fn quit(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }

    #[message]
    fn crash(&mut self) {
        panic!("lifecycle crash");
    }
}

/// `started` runs before the first message (told right after `spawn`);
/// `stopped` sees the reason: `ctx.stop()`, `ActorRef::stop()`, a panic.
#[tokio::test]
async fn started_first_and_stopped_sees_the_reason() {
    quiet_panics();
    let system = system();
    let log = Log::default();
    let a = system.spawn(Lifecycle { log: log.clone() });
    a.record("first".into()).unwrap();
    assert_eq!(
        a.log().await,
        Ok(vec![format!("started as {}", a.id()), "first".to_owned()])
    );
    a.quit().unwrap();
    assert_eq!(a.wait_exit().await, ExitReason::Normal);
    assert_eq!(entries(&log).last().unwrap(), "stopped: normal");

    let log = Log::default();
    let b = system.spawn(Lifecycle { log: log.clone() });
    b.stop();
    assert_eq!(b.wait_exit().await, ExitReason::Shutdown);
    assert_eq!(
        entries(&log),
        [
            format!("started as {}", b.id()),
            "stopped: shutdown".to_owned()
        ]
    );

    let log = Log::default();
    let c = system.spawn(Lifecycle { log: log.clone() });
    c.crash().unwrap();
    assert_eq!(
        c.wait_exit().await,
        ExitReason::Panic("lifecycle crash".into())
    );
    assert_eq!(
        entries(&log).last().unwrap(),
        "stopped: panic: lifecycle crash"
    );
    system.shutdown().await;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refused: {0}")]
struct Refused(&'static str);

#[derive(Clone, Copy)]
enum Mode {
    Ready,
    Ignore,
    Fail,
    StopAtStart,
}

/// `started` returns `Result<Start, Refused>` as `mode` says.
#[derive(Actor)]
#[actor(error = Refused, started = Self::decide, stopped = Self::done)]
struct Picky {
    mode: Mode,
    log: Log,
}

impl Picky {
    async fn decide(&mut self, ctx: &mut Context<Self>) -> Result<Start, Refused> {
        note(&self.log, "decide");
        match self.mode {
            Mode::Ready => Ok(Start::Ready),
            Mode::Ignore => Ok(Start::Ignore),
            Mode::Fail => Err(Refused("no")),
            Mode::StopAtStart => {
                ctx.stop();
                Ok(Start::Ready)
            }
        }
    }

    async fn done(&mut self, reason: &ExitReason, _ctx: &mut Context<Self>) {
        note(&self.log, format!("stopped: {reason}"));
    }
}

#[keel::messages]
impl Picky {
    #[message]
    fn ping(&self) -> u32 {
        1
    }
}

/// `Start::Ignore` ends the actor `Normal` without `stopped`
/// (`spawn_ready`: `Ignored`); `Err(e)` is a start failure with
/// `Error(e)`, without `stopped`; `ctx.stop()` in `started` takes effect
/// when it returns, running `stopped`.
#[tokio::test]
async fn started_outcomes() {
    let system = system();
    let picky = |mode| {
        let log = Log::default();
        (
            Picky {
                mode,
                log: log.clone(),
            },
            log,
        )
    };

    let (p, log) = picky(Mode::Ready);
    let ready = system.spawn_ready(p).await.unwrap();
    assert_eq!(ready.ping().await, Ok(1));
    assert_eq!(entries(&log), ["decide"]);

    let (p, log) = picky(Mode::Ignore);
    assert_eq!(
        system.spawn_ready(p).await.unwrap_err(),
        StartError::Ignored
    );
    assert_eq!(entries(&log), ["decide"]);
    let (p, log) = picky(Mode::Ignore);
    let ignored = system.spawn(p);
    assert_eq!(ignored.wait_exit().await, ExitReason::Normal);
    assert_eq!(ignored.status(), Status::Stopped);
    assert_eq!(entries(&log), ["decide"]);

    let (p, log) = picky(Mode::Fail);
    let err = system.spawn_ready(p).await.unwrap_err();
    assert!(
        matches!(&err, StartError::Failed(ExitReason::Error(e)) if e.to_string() == "refused: no"),
        "{err:?}"
    );
    assert_eq!(
        entries(&log),
        ["decide"],
        "no `stopped` after a failed start"
    );

    let (p, log) = picky(Mode::StopAtStart);
    let stopping = system.spawn_ready(p).await.unwrap();
    assert_eq!(stopping.wait_exit().await, ExitReason::Normal);
    assert_eq!(entries(&log), ["decide", "stopped: normal"]);
    system.shutdown().await;
}

/// `started` returning `()`, `Start` and `Result<(), E>`.
#[derive(Actor)]
#[actor(started = Self::init)]
struct StartsPlain {
    ignore: bool,
}

impl StartsPlain {
    async fn init(&mut self, _ctx: &mut Context<Self>) -> Start {
        if self.ignore {
            Start::Ignore
        } else {
            Start::Ready
        }
    }
}

#[keel::messages]
impl StartsPlain {
    #[message]
    fn ping(&self) -> u32 {
        2
    }
}

#[derive(Actor)]
#[actor(error = Refused, started = Self::init)]
struct StartsResult {
    fail: bool,
}

impl StartsResult {
    async fn init(&mut self, _ctx: &mut Context<Self>) -> Result<(), Refused> {
        if self.fail {
            Err(Refused("unit"))
        } else {
            Ok(())
        }
    }
}

#[keel::messages]
impl StartsResult {
    #[message]
    fn ping(&self) -> u32 {
        3
    }
}

#[tokio::test]
async fn started_hook_return_types() {
    let system = system();
    let a = system
        .spawn_ready(StartsPlain { ignore: false })
        .await
        .unwrap();
    assert_eq!(a.ping().await, Ok(2));
    assert_eq!(
        system
            .spawn_ready(StartsPlain { ignore: true })
            .await
            .unwrap_err(),
        StartError::Ignored
    );
    let b = system
        .spawn_ready(StartsResult { fail: false })
        .await
        .unwrap();
    assert_eq!(b.ping().await, Ok(3));
    let err = system
        .spawn_ready(StartsResult { fail: true })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StartError::Failed(ExitReason::Error(e)) if e.to_string() == "refused: unit"),
        "{err:?}"
    );
    system.shutdown().await;
}

/// A signal as the watcher saw it.
#[derive(Debug, PartialEq)]
enum Signal {
    Down(MonitorRef, ExitReason),
    Exit(ActorId, ExitReason),
}

/// Keeps the `Down`s and trapped exits it gets; hands them out one per
/// `NextSignal` (a tell variant carrying a `ReplyTo`, asked by hand).
#[derive(Actor, Default)]
#[actor(on_down = Self::down, on_exit = Self::exit)]
struct Watcher {
    signals: VecDeque<Signal>,
    waiting: Option<ReplyTo<Signal>>,
}

impl Watcher {
    fn flush(&mut self) {
        if self.waiting.is_some() {
            if let Some(s) = self.signals.pop_front() {
                self.waiting.take().unwrap().reply(s);
            }
        }
    }

    async fn down(&mut self, monitor: MonitorRef, reason: ExitReason, _ctx: &mut Context<Self>) {
        self.signals.push_back(Signal::Down(monitor, reason));
        self.flush();
    }

    async fn exit(
        &mut self,
        from: AnyRef,
        reason: ExitReason,
        _ctx: &mut Context<Self>,
    ) -> Result<(), Infallible> {
        self.signals.push_back(Signal::Exit(from.id(), reason));
        self.flush();
        Ok(())
    }
}

#[keel::messages]
impl Watcher {
    #[message]
    fn watch(&mut self, target: AnyRef, ctx: &mut Context<Self>) -> MonitorRef {
        ctx.monitor(target)
    }

    #[message]
    fn trap_and_link(&mut self, peer: AnyRef, ctx: &mut Context<Self>) -> Result<(), LinkError> {
        ctx.trap_exits(true);
        ctx.link(peer)
    }

    #[message]
    fn is_trapping(&self, ctx: &mut Context<Self>) -> bool {
        ctx.is_trapping_exits()
    }

    #[message]
    fn next_signal(&mut self, reply: ReplyTo<Signal>) {
        self.waiting = Some(reply);
        self.flush();
    }
}

/// `on_down` gets the `Down` of each monitored actor: with its monitor
/// and reason, `NoProc` for a gone target; the watcher lives on.
#[tokio::test]
async fn on_down_gets_the_down() {
    quiet_panics();
    let system = system();
    let w = system.spawn(Watcher::default());

    let target = system.spawn(Counter::default());
    let m = w.watch(target.any()).await.unwrap();
    assert_eq!(m.target().id(), target.id());
    target.quit().unwrap();
    assert_eq!(
        w.ask(WatcherMsg::NextSignal).await,
        Ok(Signal::Down(m, ExitReason::Normal))
    );

    let crashing = system.spawn(Counter::default());
    let m = w.watch(crashing.any()).await.unwrap();
    assert!(crashing.boom().await.is_err());
    assert_eq!(
        w.ask(WatcherMsg::NextSignal).await,
        Ok(Signal::Down(m, ExitReason::Panic("boom".into())))
    );

    let m = w.watch(crashing.any()).await.unwrap();
    assert_eq!(
        w.ask(WatcherMsg::NextSignal).await,
        Ok(Signal::Down(m, ExitReason::NoProc))
    );
    assert_eq!(w.status(), Status::Running);
    system.shutdown().await;
}

/// With `ctx.trap_exits(true)`, `on_exit` gets a linked actor's exit
/// (abnormal and normal) and the watcher lives on.
#[tokio::test]
async fn on_exit_gets_a_linked_exit_when_trapping() {
    quiet_panics();
    let system = system();
    let w = system.spawn(Watcher::default());
    assert_eq!(w.is_trapping().await, Ok(false));

    let peer = system.spawn(Counter::default());
    assert_eq!(w.trap_and_link(peer.any()).await, Ok(Ok(())));
    assert_eq!(w.is_trapping().await, Ok(true));
    assert!(peer.boom().await.is_err());
    assert_eq!(
        w.ask(WatcherMsg::NextSignal).await,
        Ok(Signal::Exit(peer.id(), ExitReason::Panic("boom".into())))
    );

    let quiet = system.spawn(Counter::default());
    assert_eq!(w.trap_and_link(quiet.any()).await, Ok(Ok(())));
    quiet.quit().unwrap();
    assert_eq!(
        w.ask(WatcherMsg::NextSignal).await,
        Ok(Signal::Exit(quiet.id(), ExitReason::Normal))
    );

    // Linking to a gone actor is an error, not a signal.
    assert_eq!(
        w.trap_and_link(peer.any()).await,
        Ok(Err(LinkError::NoProc))
    );
    assert_eq!(w.status(), Status::Running);
    system.shutdown().await;
}

/// An `on_down` hook returning `Err` ends the actor with `Error`.
#[derive(Actor, Default)]
#[actor(error = Refused, on_down = Self::down, stopped = Self::done)]
struct Touchy {
    log: Log,
}

impl Touchy {
    async fn down(
        &mut self,
        _monitor: MonitorRef,
        _reason: ExitReason,
        _ctx: &mut Context<Self>,
    ) -> Result<(), Refused> {
        Err(Refused("down"))
    }

    async fn done(&mut self, reason: &ExitReason, _ctx: &mut Context<Self>) {
        note(&self.log, format!("stopped: {reason}"));
    }
}

#[keel::messages]
impl Touchy {
    #[message]
    fn watch(&mut self, target: AnyRef, ctx: &mut Context<Self>) {
        ctx.monitor(target);
    }
}

#[tokio::test]
async fn on_down_returning_err_ends_the_actor() {
    let system = system();
    let log = Log::default();
    let t = system.spawn(Touchy { log: log.clone() });
    let target = system.spawn(Counter::default());
    t.watch(target.any()).unwrap();
    // Handled once the watch is: the monitor is in place.
    assert_eq!(target.get().await, Ok(0));
    target.quit().unwrap();
    let reason = t.wait_exit().await;
    assert!(
        matches!(&reason, ExitReason::Error(e) if e.to_string() == "refused: down"),
        "{reason:?}"
    );
    assert_eq!(entries(&log), ["stopped: error: refused: down"]);
    system.shutdown().await;
}

// ---- configuration attributes ----

#[derive(Actor)]
#[actor(bounded = 2)]
struct Tight {
    seen: Vec<u64>,
}

#[keel::messages]
impl Tight {
    #[message]
    fn put(&mut self, v: u64) {
        self.seen.push(v);
    }

    #[message]
    fn seen(&self) -> Vec<u64> {
        self.seen.clone()
    }
}

#[derive(Actor)]
#[actor(bounded = 1, overflow = DropNewest)]
struct Lossy {
    seen: Vec<u64>,
}

#[keel::messages]
impl Lossy {
    #[message]
    fn put(&mut self, v: u64) {
        self.seen.push(v);
    }

    #[message]
    fn seen(&self) -> Vec<u64> {
        self.seen.clone()
    }
}

#[derive(Actor)]
#[actor(unbounded)]
struct Roomy {
    seen: Vec<u64>,
}

#[keel::messages]
impl Roomy {
    #[message]
    fn put(&mut self, v: u64) {
        self.seen.push(v);
    }

    #[message]
    fn count(&self) -> usize {
        self.seen.len()
    }
}

/// `bounded = 2`: a third tell to a suspended actor is `Full`, handing the
/// variant back.
#[tokio::test]
async fn bounded_mailbox_fails_fast() {
    let system = system();
    let t = system.spawn_ready(Tight { seen: vec![] }).await.unwrap();
    suspend(&t);
    t.put(1).unwrap();
    t.put(2).unwrap();
    let err = t.put(3).unwrap_err();
    assert!(matches!(err, TellError::Full(TightMsg::Put(3))), "{err:?}");
    resume(&t);
    assert_eq!(t.seen().await, Ok(vec![1, 2]));
    system.shutdown().await;
}

/// `stop()` on a full bounded mailbox takes the control lane: the queued
/// messages become dead letters, and they are counted by the time
/// `wait_exit` returns (the exit drains the queue before it resolves).
#[tokio::test]
async fn stop_on_a_full_mailbox_and_wait_exit_sees_the_dead_letters() {
    let system = system();
    let t = system.spawn_ready(Tight { seen: vec![] }).await.unwrap();
    suspend(&t);
    t.put(1).unwrap();
    t.put(2).unwrap();
    t.stop();
    resume(&t);
    assert_eq!(t.wait_exit().await, ExitReason::Shutdown);
    assert_eq!(system.dead_letters(), 2);
    system.shutdown().await;
}

/// `bounded = 1, overflow = DropNewest`: the second tell is `Ok` and a
/// dead letter (`Overflow`).
#[tokio::test]
async fn drop_newest_makes_a_dead_letter() {
    let system = system();
    let mut events = system.events();
    assert_eq!(
        <Lossy as Actor>::config(),
        ActorConfig::new().mailbox(MailboxConfig::bounded(1).overflow(Overflow::DropNewest))
    );
    let l = system.spawn_ready(Lossy { seen: vec![] }).await.unwrap();
    suspend(&l);
    l.put(1).unwrap();
    assert!(l.put(2).is_ok(), "dropped, not refused");
    assert_eq!(
        next_dead_letter(&mut events).await,
        (l.id(), DeadLetterReason::Overflow)
    );
    assert_eq!(system.dead_letters(), 1);
    resume(&l);
    assert_eq!(l.seen().await, Ok(vec![1]));
    system.shutdown().await;
}

/// `unbounded` wins over a System whose default mailbox is bounded; an
/// actor without it gets the default.
#[tokio::test]
async fn unbounded_overrides_the_system_default() {
    let system = System::builder()
        .workers(2)
        .default_mailbox(MailboxConfig::bounded(1))
        .build()
        .unwrap();
    let roomy = system.spawn_ready(Roomy { seen: vec![] }).await.unwrap();
    let counter = system.spawn_ready(Counter::default()).await.unwrap();
    suspend(&roomy);
    suspend(&counter);
    for v in 0..100 {
        roomy.put(v).unwrap();
    }
    counter.add(1).unwrap();
    assert!(matches!(
        counter.add(2),
        Err(TellError::Full(CounterMsg::Add(2)))
    ));
    resume(&roomy);
    resume(&counter);
    assert_eq!(roomy.count().await, Ok(100));
    assert_eq!(counter.get().await, Ok(1));
    system.shutdown().await;
}

#[derive(Actor)]
#[actor(dispatcher = "io")]
struct OnIo;

#[keel::messages]
impl OnIo {
    #[message]
    fn thread_name(&self) -> String {
        thread_name()
    }
}

/// An actor whose dispatcher does not exist (and an empty messages block).
#[derive(Actor)]
#[actor(dispatcher = "nowhere")]
struct Lost;

#[keel::messages]
impl Lost {}

/// `dispatcher = "io"` runs on the System's `io` dispatcher; an unknown
/// one fails the start.
#[tokio::test]
async fn dispatcher_attribute() {
    let system = System::builder()
        .name("mt")
        .workers(1)
        .dispatcher("io", 1)
        .build()
        .unwrap();
    let io = system.spawn_ready(OnIo).await.unwrap();
    let name = io.thread_name().await.unwrap();
    assert!(name.starts_with("mt-io-"), "{name}");
    let plain = system.spawn(Counter::default());
    assert_eq!(plain.thread_name().await, Ok("mt-0".to_owned()));
    assert_eq!(
        system.spawn_ready(Lost).await.unwrap_err(),
        StartError::UnknownDispatcher("nowhere".to_owned())
    );
    let lost = system.spawn(Lost);
    assert!(lost.wait_exit().await.is_abnormal());
    system.shutdown().await;
}

#[derive(Actor)]
#[actor(blocking)]
struct Blocker;

#[keel::messages]
impl Blocker {
    /// Blocks its thread until a value comes.
    #[message]
    fn wait_for(&mut self, rx: Receiver<u64>) -> u64 {
        rx.recv().unwrap()
    }

    #[message]
    fn hand(&mut self, tx: Sender<u64>, v: u64) {
        tx.send(v).unwrap();
    }

    /// `ask_blocking` is allowed on a blocking actor's thread.
    #[message]
    fn read_blocking(&mut self, counter: ActorRef<Counter>) -> Result<u64, AskError> {
        counter.ask_blocking(CounterMsg::Get)
    }

    #[message]
    fn thread_name(&self) -> String {
        thread_name()
    }
}

/// `blocking`: handlers run on their own (non-worker) threads and may
/// block — on a std channel that another blocking actor feeds, or in
/// `ask_blocking` — while the one worker keeps serving.
#[tokio::test]
async fn blocking_attribute() {
    let system = System::builder().name("mt").workers(1).build().unwrap();
    let b1 = system.spawn(Blocker);
    let b2 = system.spawn(Blocker);
    let counter = system.spawn(Counter { n: 9 });
    let (tx, rx) = std::sync::mpsc::channel();
    let waiting = b1.wait_for(rx);
    // The worker is free while b1 blocks.
    counter.add(1).unwrap();
    assert_eq!(counter.get().await, Ok(10));
    b2.hand(tx, 7).unwrap();
    assert_eq!(waiting.await, Ok(7));
    assert_eq!(b1.read_blocking(counter.clone()).await, Ok(Ok(10)));
    assert_eq!(b1.thread_name().await, Ok("mt-blocking".to_owned()));
    assert_eq!(counter.thread_name().await, Ok("mt-0".to_owned()));
    system.shutdown().await;
}

// ---- generic actors ----

#[derive(Actor)]
struct Stack<T: Send + 'static> {
    items: Vec<T>,
}

/// Not `Debug`: the generated `Debug` needs no payload bound.
struct NoDebug;

impl<T: Send + 'static> Stack<T> {
    fn new() -> Stack<T> {
        Stack { items: Vec::new() }
    }
}

#[keel::messages]
impl<T: Send + 'static> Stack<T> {
    #[message]
    fn push(&mut self, item: T) {
        self.items.push(item);
    }

    #[message]
    fn pop(&mut self) -> Option<T> {
        self.items.pop()
    }

    #[message]
    fn depth(&self) -> usize {
        self.items.len()
    }

    /// `Self` in a generic actor's message.
    #[message]
    fn append(&mut self, mut other: Self) {
        self.items.append(&mut other.items);
    }
}

/// One generic actor used with two types in one test.
#[tokio::test]
async fn generic_actor_with_two_types() {
    let system = system();
    let ints: ActorRef<Stack<u32>> = system.spawn(Stack::new());
    let words: ActorRef<Stack<String>> = system.spawn(Stack::new());
    ints.push(1).unwrap();
    ints.push(2).unwrap();
    words.push("a".to_owned()).unwrap();
    assert_eq!(ints.pop().await, Ok(Some(2)));
    assert_eq!(words.pop().await, Ok(Some("a".to_owned())));
    assert_eq!(words.pop().await, Ok(None));
    ints.append(Stack { items: vec![7, 8] }).unwrap();
    assert_eq!(ints.depth().await, Ok(3));
    ints.tell(StackMsg::Push(9)).unwrap();
    assert_eq!(ints.ask(StackMsg::Pop).await, Ok(Some(9)));
    assert_eq!(
        ints.ask_timeout(Duration::from_secs(1)).pop().await,
        Ok(Some(8))
    );
    let opaque = system.spawn(Stack::<NoDebug>::new());
    opaque.push(NoDebug).unwrap();
    assert_eq!(opaque.depth().await, Ok(1));
    ints.kill();
    assert!(matches!(
        ints.push(3),
        Err(TellError::Closed(StackMsg::Push(3)))
    ));
    system.shutdown().await;
}

#[derive(Actor)]
struct Ring<const N: usize> {
    items: VecDeque<u64>,
}

#[keel::messages]
impl<const N: usize> Ring<N> {
    /// Keeps the last `N`.
    #[message]
    fn push(&mut self, v: u64) {
        if self.items.len() == N {
            self.items.pop_front();
        }
        self.items.push_back(v);
    }

    #[message]
    fn items(&self) -> Vec<u64> {
        self.items.iter().copied().collect()
    }

    #[message]
    fn capacity(&self) -> usize {
        N
    }
}

/// Type and const parameters with a `where` clause.
#[derive(Actor)]
struct Window<T, const N: usize>
where
    T: Clone + Send + 'static,
{
    items: Vec<T>,
}

#[keel::messages]
impl<T, const N: usize> Window<T, N>
where
    T: Clone + Send + 'static,
{
    #[message]
    fn put(&mut self, v: T) {
        if self.items.len() < N {
            self.items.push(v);
        }
    }

    #[message]
    fn all(&self) -> Vec<T> {
        self.items.clone()
    }
}

/// A const-generic actor with two `N` in one test, and one generic over a
/// type and a const with a `where` clause.
#[tokio::test]
async fn const_generic_actors() {
    let system = system();
    let two = system.spawn(Ring::<2> {
        items: VecDeque::new(),
    });
    let three = system.spawn(Ring::<3> {
        items: VecDeque::new(),
    });
    for v in 1..=4 {
        two.push(v).unwrap();
        three.push(v).unwrap();
    }
    assert_eq!(two.items().await, Ok(vec![3, 4]));
    assert_eq!(three.items().await, Ok(vec![2, 3, 4]));
    assert_eq!(two.capacity().await, Ok(2));
    assert_eq!(three.capacity().await, Ok(3));
    assert_eq!(format!("{:?}", RingMsg::<2>::Push(1)), "RingMsg::Push(..)");

    let w = system.spawn(Window::<String, 2> { items: vec![] });
    for s in ["a", "b", "c"] {
        w.put(s.to_owned()).unwrap();
    }
    assert_eq!(w.all().await, Ok(vec!["a".to_owned(), "b".to_owned()]));
    system.shutdown().await;
}

// ---- `Self` in message types ----

#[derive(Actor, Clone, Debug, Default, PartialEq)]
struct Tally {
    items: Vec<u64>,
}

#[keel::messages]
impl Tally {
    #[message]
    fn record(&mut self, v: u64) {
        self.items.push(v);
    }

    #[message]
    fn merge(&mut self, other: Self) {
        self.items.extend(other.items);
    }

    #[message]
    fn merge_all(&mut self, others: Vec<Self>) -> usize {
        for o in others {
            self.items.extend(o.items);
        }
        self.items.len()
    }

    /// A closure run on the actor (in a newtype, see [`Job`]).
    #[message]
    fn run(&mut self, job: Job) -> u64 {
        (job.0)(self)
    }

    #[message]
    fn snapshot(&self) -> Self {
        self.clone()
    }

    #[message]
    fn split(&mut self) -> (Self, Option<Box<Self>>) {
        let rest = self.items.split_off(self.items.len() / 2);
        (
            self.clone(),
            (!rest.is_empty()).then(|| Box::new(Tally { items: rest })),
        )
    }
}

impl From<u64> for TallyMsg {
    fn from(v: u64) -> TallyMsg {
        TallyMsg::Record(v)
    }
}

/// `Self` as an argument, a reply, and inside other types.
#[tokio::test]
async fn self_in_message_types() {
    let system = system();
    let t = system.spawn(Tally::default());
    t.record(1).unwrap();
    t.merge(Tally { items: vec![2, 3] }).unwrap();
    assert_eq!(
        t.snapshot().await,
        Ok(Tally {
            items: vec![1, 2, 3]
        })
    );
    assert_eq!(
        t.merge_all(vec![Tally { items: vec![4] }, Tally::default()])
            .await,
        Ok(4)
    );
    let (kept, rest) = t.split().await.unwrap();
    assert_eq!(kept, Tally { items: vec![1, 2] });
    assert_eq!(rest, Some(Box::new(Tally { items: vec![3, 4] })));
    assert_eq!(t.snapshot().await, Ok(Tally { items: vec![1, 2] }));
    let sum = Job(Box::new(|t: &mut Tally| t.items.iter().sum()));
    assert_eq!(t.run(sum).await, Ok(3));
    system.shutdown().await;
}

/// A generic actor whose type parameter no message mentions, with hooks
/// and a bounded mailbox.
#[derive(Actor)]
#[actor(bounded = 1, started = Self::init, stopped = Self::done)]
struct Typed<T: Send + 'static> {
    count: u32,
    log: Log,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T: Send + 'static> Typed<T> {
    async fn init(&mut self, _ctx: &mut Context<Self>) {
        self.count = 10;
    }

    async fn done(&mut self, reason: &ExitReason, _ctx: &mut Context<Self>) {
        note(&self.log, format!("stopped: {reason}"));
    }
}

#[keel::messages]
impl<T: Send + 'static> Typed<T> {
    #[message]
    fn bump(&mut self) {
        self.count += 1;
    }

    #[message]
    fn count(&self) -> u32 {
        self.count
    }
}

#[tokio::test]
async fn generic_actor_with_an_unused_parameter_hooks_and_config() {
    let system = system();
    let log = Log::default();
    let t = system
        .spawn_ready(Typed::<String> {
            count: 0,
            log: log.clone(),
            _t: std::marker::PhantomData,
        })
        .await
        .unwrap();
    assert_eq!(t.count().await, Ok(10), "started ran");
    suspend(&t);
    t.bump().unwrap();
    assert!(matches!(t.bump(), Err(TellError::Full(TypedMsg::Bump))));
    resume(&t);
    assert_eq!(t.count().await, Ok(11));
    t.stop();
    assert_eq!(t.wait_exit().await, ExitReason::Shutdown);
    assert_eq!(entries(&log), ["stopped: shutdown"]);
    system.shutdown().await;
}

// ---- an enum actor, its messages block in another module ----

mod lamp {
    use super::*;

    /// An enum actor; its hooks are free functions named by path.
    #[derive(Actor, Debug, PartialEq)]
    #[actor(started = warm_up, stopped = crate::lamp::switch_off)]
    pub(crate) enum Lamp {
        On,
        Off { flips: u32 },
    }

    pub(crate) async fn warm_up(lamp: &mut Lamp, _ctx: &mut Context<Lamp>) {
        *lamp = Lamp::Off { flips: 0 };
    }

    pub(crate) async fn switch_off(
        _lamp: &mut Lamp,
        reason: &ExitReason,
        _ctx: &mut Context<Lamp>,
    ) {
        super::note(&super::LAMP_LOG, format!("off: {reason}"));
    }
}

mod lamp_messages {
    use super::lamp::Lamp;

    #[keel::messages]
    impl super::lamp::Lamp {
        #[message]
        fn flip(&mut self) {
            *self = match *self {
                Lamp::On => Lamp::Off { flips: 1 },
                Lamp::Off { flips } => {
                    let _ = flips;
                    Lamp::On
                }
            };
        }

        #[message]
        fn state(&self) -> Self {
            match self {
                Lamp::On => Lamp::On,
                Lamp::Off { flips } => Lamp::Off { flips: *flips },
            }
        }
    }
}

static LAMP_LOG: std::sync::LazyLock<Log> = std::sync::LazyLock::new(Log::default);

/// `#[derive(Actor)]` on an enum, with the messages block in another
/// module (the enum and trait are generated there) and hooks named by a
/// plain and a `crate::` path.
#[tokio::test]
async fn enum_actor_with_messages_in_another_module() {
    use lamp::Lamp;
    use lamp_messages::{LampMsg, LampRef};
    let system = system();
    let lamp = system.spawn(Lamp::On);
    assert_eq!(lamp.state().await, Ok(Lamp::Off { flips: 0 }), "warmed up");
    lamp.flip().unwrap();
    assert_eq!(lamp.state().await, Ok(Lamp::On));
    lamp.tell(LampMsg::Flip).unwrap();
    assert_eq!(lamp.ask(LampMsg::State).await, Ok(Lamp::Off { flips: 1 }));
    lamp.stop();
    assert_eq!(lamp.wait_exit().await, ExitReason::Shutdown);
    assert_eq!(entries(&LAMP_LOG), ["off: shutdown"]);
    system.shutdown().await;
}

// ---- the generated enum is an ordinary type ----

/// A generated enum is not `Clone`: `send_interval_with` makes each tick's
/// message.
#[derive(Actor, Default)]
struct Metronome {
    ticks: u64,
}

#[keel::messages]
impl Metronome {
    #[message]
    fn start(&mut self, every_ms: u64, ctx: &mut Context<Self>) {
        ctx.send_interval_with(Duration::from_millis(every_ms), || MetronomeMsg::Tick);
    }

    #[message]
    fn tick(&mut self) {
        self.ticks += 1;
    }

    #[message]
    fn ticks(&self) -> u64 {
        self.ticks
    }
}

#[tokio::test]
async fn send_interval_with_a_generated_variant() {
    let (system, clock) = manual_system();
    let m = system.spawn(Metronome::default());
    m.start(10).unwrap();
    assert_eq!(m.ticks().await, Ok(0));
    clock.advance(Duration::from_millis(30));
    assert_eq!(m.ticks().await, Ok(3));
    system.shutdown().await;
}

/// A closure to run on the actor, in a newtype (`edge_types` passes the
/// box itself).
struct Job(Box<dyn FnOnce(&mut Tally) -> u64 + Send>);

/// Cases the macros once refused: closures and fn pointers (their borrows
/// are their own), `Self` in an array length, and bounds written only on
/// the messages block.
mod edge_types {
    use super::*;

    #[derive(Actor, Default)]
    struct Runner {
        n: u64,
    }

    #[keel::messages]
    impl Runner {
        const LEN: usize = 2;

        /// The `&mut` is the closure's argument; the box is `'static`.
        #[message]
        fn apply(&mut self, f: Box<dyn FnOnce(&mut Self) -> u64 + Send>) -> u64 {
            f(self)
        }

        /// A fn pointer is `'static`.
        #[message]
        fn call(&mut self, f: fn(&str) -> usize) -> usize {
            f("abc")
        }

        /// `Self::LEN` is spelled `<Runner>::LEN` in the generated enum and
        /// trait.
        #[message]
        fn fill(&mut self, data: [u64; Self::LEN]) {
            self.n = data.iter().sum();
        }

        #[message]
        fn get(&self) -> u64 {
            self.n
        }
    }

    /// Bounds on the impl block only: the derived impl requires what the
    /// messages block does.
    #[derive(Actor)]
    struct Bag<T> {
        items: Vec<T>,
    }

    #[keel::messages]
    impl<T: Send + 'static> Bag<T> {
        #[message]
        fn put(&mut self, v: T) {
            self.items.push(v);
        }

        #[message]
        fn len(&self) -> usize {
            self.items.len()
        }
    }

    #[tokio::test]
    async fn closures_fn_pointers_self_consts_and_impl_bounds() {
        let system = system();
        let r = system.spawn(Runner::default());
        assert_eq!(r.apply(Box::new(|r: &mut Runner| r.n + 1)).await, Ok(1));
        assert_eq!(r.call(str::len).await, Ok(3));
        r.fill([1, 2]).unwrap();
        assert_eq!(r.get().await, Ok(3));
        let bag = system.spawn(Bag { items: vec![1u8] });
        bag.put(2).unwrap();
        assert_eq!(bag.len().await, Ok(2));
        system.shutdown().await;
    }
}

/// A message's `#[allow]`s reach what is generated from it: clippy (run
/// with `-D warnings` over the tests) would otherwise flag the ref trait's
/// eight-parameter method and the variant's complex type.
#[derive(Actor, Default)]
struct Wide {
    total: u64,
}

#[keel::messages]
impl Wide {
    #[allow(clippy::too_many_arguments)]
    #[message]
    fn sum(&mut self, a: u8, b: u8, c: u8, d: u8, e: u8, f: u8, g: u8) -> u64 {
        self.total = [a, b, c, d, e, f, g].iter().map(|&x| u64::from(x)).sum();
        self.total
    }

    #[allow(clippy::type_complexity)]
    #[message]
    fn nest(&mut self, v: Vec<Vec<Box<dyn Fn(u64) -> Option<Vec<u64>> + Send>>>) -> usize {
        v.len()
    }
}

#[tokio::test]
async fn allow_attributes_reach_the_generated_code() {
    let system = system();
    let wide = system.spawn(Wide::default());
    assert_eq!(wide.sum(1, 2, 3, 4, 5, 6, 7).await, Ok(28));
    assert_eq!(wide.nest(vec![Vec::new()]).await, Ok(1));
    system.shutdown().await;
}
