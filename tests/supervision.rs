//! The supervision conformance suite: one test per item of
//! OTP_SEMANTICS.md §12 (`tNN_…`) and one per detail of §13 (`d13_NN_…`),
//! over the public API only. Where keel deliberately differs from OTP
//! (DESIGN.md §5), a test whose doc comment says "deviation:" pins the
//! difference and says why.
//!
//! Deterministic, no sleeps to wait: `system.events()`, `SupervisorRef::sync`
//! (a `kill` of a child puts its exit signal in the supervisor's mailbox
//! before it returns, so `kill(); sync()` means the supervisor has acted),
//! asks, `wait_exit`, `suspend`/`resume` to order a supervisor's mailbox, and
//! a `ManualClock` for restart windows, shutdown timeouts, restart delays and
//! slow `started`/`stopped` hooks. A probe that sleeps on the clock creates
//! its `Sleep` (which fixes the deadline) before it tells the test it is
//! waiting, so the test's `advance` can never come too early; likewise a
//! supervisor fixes a child's shutdown deadline before it signals the
//! child, so once the child reacts the deadline is set. One fact has no
//! event (a message queued at a suspended supervisor, `d13_12`): that test
//! polls `mailbox_len` in a bounded `yield_now` loop. Every
//! await that a missing event could hang is bounded by [`BOUND`] of real
//! time, as a failure guard only: a passing test never reaches it.
//!
//! The System's root supervisor restarts nothing, so a top-level tree that
//! ends ends the System: tests that watch a supervisor give up or shut
//! itself down nest it under a `top` supervisor as a transient child
//! ([`nested`]).
#![cfg(not(keel_loom))]
// the loom build compiles only sync + core
// The clippy.toml ban on std's sync types keeps keel's own code
// loom-swappable; a test program is not part of that build.
#![allow(clippy::disallowed_types)]

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;

use keel::prelude::*;
use keel::testing::{quiet_panics, resume, suspend, ManualClock};
use keel::{
    ActorId, AutoShutdown, Backoff, ChildCounts, ChildInfo, ChildKind, ChildState,
    DynamicSupervisor, EventStream, LinkError, MonitorRef, Pid, Restart, Shutdown, SpecError,
    Strategy, SupervisorError, SupervisorRef, SystemEvent,
};

/// How long a test waits for something that must happen before calling it a
/// failure (real time; a guard, not a wait).
const BOUND: Duration = Duration::from_secs(10);

const SEC: Duration = Duration::from_secs(1);

// ---- the System, bounded waits, events ----

fn system(clock: &ManualClock) -> System {
    System::builder()
        .workers(2)
        .clock(clock)
        .build()
        .expect("a System")
}

/// Awaits `f`, failing the test if it takes longer than [`BOUND`].
async fn bounded<T>(what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(BOUND, f).await {
        Ok(v) => v,
        Err(_) => panic!("hung: {what} did not happen within {BOUND:?}"),
    }
}

/// A management call or an ask, bounded.
async fn call<T>(f: impl Future<Output = T>) -> T {
    bounded("a call", f).await
}

/// Waits (yielding, bounded) until `cond` holds: for facts that have no
/// event, such as a timer being armed on the manual clock.
async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    bounded(what, async {
        while !cond() {
            tokio::task::yield_now().await;
        }
    })
    .await
}

/// Polls `f` once.
async fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(Pin::new(&mut *f).poll(cx))).await
}

/// The next event matching `pred`, bounded.
async fn event(
    events: &mut EventStream,
    what: &str,
    pred: impl FnMut(&SystemEvent) -> bool,
) -> SystemEvent {
    bounded(what, events.next_matching(pred))
        .await
        .unwrap_or_else(|| panic!("the System ended before {what}"))
}

/// Waits for supervisor `sup`'s `ChildExited` of `child`.
async fn exited(events: &mut EventStream, sup: &SupervisorRef, child: &str) -> ExitReason {
    let sid = sup.id();
    let what = format!("ChildExited of {child}");
    match event(events, &what, |e| {
        matches!(e, SystemEvent::ChildExited { supervisor, child: c, .. }
            if *supervisor == sid && &**c == child)
    })
    .await
    {
        SystemEvent::ChildExited { reason, .. } => reason,
        _ => unreachable!(),
    }
}

/// Waits for supervisor `sup`'s `ChildRestarted` of `child`.
async fn restarted(events: &mut EventStream, sup: &SupervisorRef, child: &str) {
    let sid = sup.id();
    let what = format!("ChildRestarted of {child}");
    event(events, &what, |e| {
        matches!(e, SystemEvent::ChildRestarted { supervisor, child: c, .. }
            if *supervisor == sid && &**c == child)
    })
    .await;
}

/// Waits for `sup`'s `GaveUp` and returns the child it names and its reason.
async fn gave_up(events: &mut EventStream, sup: &SupervisorRef) -> (String, ExitReason) {
    let sid = sup.id();
    match event(
        events,
        "GaveUp",
        |e| matches!(e, SystemEvent::GaveUp { supervisor, .. } if *supervisor == sid),
    )
    .await
    {
        SystemEvent::GaveUp { child, reason, .. } => (child.to_string(), reason),
        _ => unreachable!(),
    }
}

/// A supervisor event of `sup` in a few words (other events: `None`).
fn describe(e: &SystemEvent, sup: ActorId) -> Option<String> {
    let s = match e {
        SystemEvent::ChildStarted {
            supervisor, child, ..
        } if *supervisor == sup => format!("started:{child}"),
        SystemEvent::ChildExited {
            supervisor,
            child,
            reason,
            ..
        } if *supervisor == sup => format!("exited:{child}:{reason}"),
        SystemEvent::ChildTerminated {
            supervisor,
            child,
            reason,
            ..
        } if *supervisor == sup => format!("terminated:{child}:{reason}"),
        SystemEvent::ChildRestarted {
            supervisor, child, ..
        } if *supervisor == sup => format!("restarted:{child}"),
        SystemEvent::StartError {
            supervisor,
            child,
            reason,
            ..
        } if *supervisor == sup => format!("start_error:{child}:{reason}"),
        SystemEvent::ShutdownError {
            supervisor,
            child,
            reason,
            ..
        } if *supervisor == sup => format!("shutdown_error:{child}:{reason}"),
        SystemEvent::GaveUp {
            supervisor,
            child,
            reason,
            ..
        } if *supervisor == sup => format!("gave_up:{child}:{reason}"),
        SystemEvent::AutoShutdown {
            supervisor, child, ..
        } if *supervisor == sup => format!("auto_shutdown:{child}"),
        _ => return None,
    };
    Some(s)
}

/// The events already published, described for `sup`.
fn drain(events: &mut EventStream, sup: &SupervisorRef) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(e) = events.try_next() {
        out.extend(describe(&e, sup.id()));
    }
    out
}

/// `sup`'s events, described, up to and including the first that starts
/// with `prefix`.
async fn collect(events: &mut EventStream, sup: &SupervisorRef, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    bounded(&format!("an event {prefix}..."), async {
        while let Some(e) = events.next().await {
            if let Some(d) = describe(&e, sup.id()) {
                let done = d.starts_with(prefix);
                out.push(d);
                if done {
                    return;
                }
            }
        }
        panic!("the System ended before an event {prefix}...");
    })
    .await;
    out
}

fn count(seen: &[String], prefix: &str) -> usize {
    seen.iter().filter(|s| s.starts_with(prefix)).count()
}

// ---- the supervision tree ----

/// `sup`'s children as `(id, state)`, in the order `which_children` gives.
async fn states(sup: &SupervisorRef) -> Vec<(String, &'static str)> {
    bounded("which_children", sup.which_children())
        .await
        .expect("the supervisor answers")
        .into_iter()
        .map(|c| {
            let state = match c.state {
                ChildState::Running(_) => "running",
                ChildState::Restarting => "restarting",
                ChildState::Stopped => "stopped",
            };
            (c.id.to_string(), state)
        })
        .collect()
}

fn st(pairs: &[(&str, &'static str)]) -> Vec<(String, &'static str)> {
    pairs.iter().map(|(i, s)| (i.to_string(), *s)).collect()
}

async fn counts(sup: &SupervisorRef) -> ChildCounts {
    bounded("count_children", sup.count_children())
        .await
        .expect("the supervisor answers")
}

async fn sync(sup: &SupervisorRef) {
    bounded("sync", sup.sync())
        .await
        .expect("the supervisor is running");
}

/// The running child `id` of `sup`.
async fn running(sup: &SupervisorRef, id: &str) -> AnyRef {
    let kids = bounded("which_children", sup.which_children())
        .await
        .expect("the supervisor answers");
    match kids.iter().find(|c| &*c.id == id).map(|c| &c.state) {
        Some(ChildState::Running(r)) => r.clone(),
        other => panic!("{id} should be running, is {other:?}"),
    }
}

async fn probe(sup: &SupervisorRef, id: &str) -> ActorRef<Probe> {
    running(sup, id).await.downcast::<Probe>().expect("a probe")
}

async fn sub_of(sup: &SupervisorRef, id: &str) -> SupervisorRef {
    SupervisorRef::from_any(&running(sup, id).await).expect("a supervisor")
}

/// Kills child `id` of `sup` and waits until `sup` has acted on its exit.
async fn kill(sup: &SupervisorRef, id: &str) {
    running(sup, id).await.kill();
    sync(sup).await;
}

/// Starts `top` → `sub` (a transient child, so that a `sub` that gives up
/// or shuts itself down stays down) and returns both refs.
async fn nested(system: &System, sub: Supervisor) -> (SupervisorRef, SupervisorRef) {
    let top = Supervisor::builder()
        .child(transient_sup("sub", sub))
        .build()
        .expect("a valid tree");
    let top = bounded("supervise", system.supervise(top))
        .await
        .expect("the tree starts");
    let sub = sub_of(&top, "sub").await;
    (top, sub)
}

fn transient_sup(id: &str, sup: Supervisor) -> ChildSpec {
    ChildSpec::supervisor(id, sup).restart(Restart::Transient)
}

async fn supervise(system: &System, sup: impl Into<Supervisor>) -> SupervisorRef {
    bounded("supervise", system.supervise(sup))
        .await
        .expect("the tree starts")
}

// ---- journal and notes ----

/// What probes did, in order ("start:a", "stop:a:shutdown", ...).
type Journal = Arc<Mutex<Vec<String>>>;

fn journal() -> Journal {
    Arc::default()
}

/// Empties the journal and returns what it held.
fn take(j: &Journal) -> Vec<String> {
    std::mem::take(&mut *j.lock().unwrap())
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// A small async queue: probes tell the test "starting:x" / "stopping:x"
/// when they begin waiting on the clock.
#[derive(Clone, Default)]
struct Notes(Arc<Mutex<(VecDeque<String>, Option<Waker>)>>);

impl Notes {
    fn send(&self, note: String) {
        let waker = {
            let mut q = self.0.lock().unwrap();
            q.0.push_back(note);
            q.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    async fn recv(&self) -> String {
        bounded(
            "a note from a probe",
            poll_fn(|cx| {
                let mut q = self.0.lock().unwrap();
                match q.0.pop_front() {
                    Some(n) => Poll::Ready(n),
                    None => {
                        q.1 = Some(cx.waker().clone());
                        Poll::Pending
                    }
                }
            }),
        )
        .await
    }
}

// ---- the probe ----

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Failure(&'static str);

/// What a probe's `stopped` does.
#[derive(Clone, Copy)]
enum StopMode {
    Quick,
    /// Takes this long on the clock.
    Slow(Duration),
    /// Never returns.
    Hang,
    /// Panics.
    Panic,
}

/// A probe's configuration, shared by all its incarnations (the factory
/// clones it).
#[derive(Clone)]
struct Cfg {
    name: &'static str,
    journal: Journal,
    notes: Notes,
    /// `started` calls so far.
    starts: Arc<AtomicU32>,
    /// How many of the next starts fail.
    fail: Arc<AtomicU32>,
    /// How many of the next starts return `Start::Ignore`.
    ignore: Arc<AtomicU32>,
    /// How many of the next starts take a second on the clock (as
    /// `slow_start`, for starts after the first).
    slow: Arc<AtomicU32>,
    trap: bool,
    slow_start: Option<Duration>,
    stop: StopMode,
    arg: u32,
    /// Killed by a start that fails (to make a sibling die mid-cycle).
    kill_on_fail: Arc<Mutex<Option<AnyRef>>>,
}

impl Cfg {
    fn new(name: &'static str, journal: &Journal) -> Cfg {
        Cfg {
            name,
            journal: journal.clone(),
            notes: Notes::default(),
            starts: Arc::default(),
            fail: Arc::default(),
            ignore: Arc::default(),
            slow: Arc::default(),
            trap: false,
            slow_start: None,
            stop: StopMode::Quick,
            arg: 0,
            kill_on_fail: Arc::default(),
        }
    }

    fn trap(mut self) -> Cfg {
        self.trap = true;
        self
    }

    fn stop(mut self, mode: StopMode) -> Cfg {
        self.trap = true;
        self.stop = mode;
        self
    }

    fn slow_start(mut self, d: Duration) -> Cfg {
        self.slow_start = Some(d);
        self
    }

    fn notes(mut self, notes: &Notes) -> Cfg {
        self.notes = notes.clone();
        self
    }

    fn arg(mut self, arg: u32) -> Cfg {
        self.arg = arg;
        self
    }

    fn fail_next(&self, n: u32) -> &Cfg {
        self.fail.store(n, Ordering::SeqCst);
        self
    }

    fn slow_next(&self, n: u32) -> &Cfg {
        self.slow.store(n, Ordering::SeqCst);
        self
    }

    fn ignore_next(self, n: u32) -> Cfg {
        self.ignore.store(n, Ordering::SeqCst);
        self
    }

    fn starts(&self) -> u32 {
        self.starts.load(Ordering::SeqCst)
    }

    fn log(&self, entry: String) {
        self.journal.lock().unwrap().push(entry);
    }
}

/// Takes one from `counter` if it is above zero.
fn take_one(counter: &AtomicU32) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

/// The child spec of a probe.
fn worker(id: &str, cfg: &Cfg) -> ChildSpec {
    let cfg = cfg.clone();
    ChildSpec::worker(id, move || Probe::new(cfg.clone()))
}

/// An actor that does what the test tells it and writes what happens to it
/// in the journal.
struct Probe {
    cfg: Cfg,
    held: Option<ReplyTo<u32>>,
}

enum Msg {
    Panic,
    Fail,
    StopWith(ExitReason),
    Ping(ReplyTo<()>),
    Arg(ReplyTo<u32>),
    Pid(ReplyTo<Pid>),
    /// Keeps the reply to answer it on `Release`.
    Hold(ReplyTo<u32>),
    Release,
    /// Panics while an ask waits for its answer.
    PanicAsked(ReplyTo<()>),
    Link(AnyRef, ReplyTo<Result<(), LinkError>>),
    Monitor(AnyRef, ReplyTo<MonitorRef>),
    /// Blocks its worker thread (does not yield) until told on the channel.
    Block(std::sync::mpsc::Receiver<()>),
}

impl Probe {
    fn new(cfg: Cfg) -> Probe {
        Probe { cfg, held: None }
    }
}

impl Actor for Probe {
    type Msg = Msg;
    type Error = Failure;

    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<Start, Failure> {
        let c = &self.cfg;
        c.starts.fetch_add(1, Ordering::SeqCst);
        ctx.trap_exits(c.trap);
        if let Some(d) = c.slow_start.or_else(|| take_one(&c.slow).then_some(SEC)) {
            c.log(format!("start-begin:{}", c.name));
            let sleep = ctx.clock().sleep(d);
            c.notes.send(format!("starting:{}", c.name));
            sleep.await;
        }
        if take_one(&c.fail) {
            if let Some(victim) = c.kill_on_fail.lock().unwrap().take() {
                victim.kill();
            }
            c.log(format!("fail:{}", c.name));
            return Err(Failure("no start"));
        }
        if take_one(&c.ignore) {
            c.log(format!("ignore:{}", c.name));
            return Ok(Start::Ignore);
        }
        c.log(format!("start:{}", c.name));
        Ok(Start::Ready)
    }

    async fn handle(&mut self, msg: Msg, ctx: &mut Context<Self>) -> Result<(), Failure> {
        match msg {
            Msg::Panic => panic!("boom"),
            Msg::Fail => return Err(Failure("failed")),
            Msg::StopWith(reason) => ctx.stop_with(reason),
            Msg::Ping(r) => r.reply(()),
            Msg::Arg(r) => r.reply(self.cfg.arg),
            Msg::Pid(r) => r.reply(ctx.pid()),
            Msg::Hold(r) => self.held = Some(r),
            Msg::Release => {
                if let Some(r) = self.held.take() {
                    r.reply(7);
                }
            }
            Msg::PanicAsked(r) => {
                let _held = r;
                panic!("boom")
            }
            Msg::Link(other, r) => r.reply(ctx.link(other)),
            Msg::Monitor(target, r) => r.reply(ctx.monitor(target)),
            Msg::Block(release) => {
                self.cfg.notes.send(format!("blocking:{}", self.cfg.name));
                let _ = release.recv();
            }
        }
        Ok(())
    }

    async fn stopped(&mut self, reason: &ExitReason, ctx: &mut Context<Self>) {
        let c = &self.cfg;
        match c.stop {
            StopMode::Quick => {}
            StopMode::Slow(d) => {
                c.log(format!("stop-begin:{}", c.name));
                let sleep = ctx.clock().sleep(d);
                c.notes.send(format!("stopping:{}", c.name));
                sleep.await;
            }
            StopMode::Hang => {
                c.log(format!("stop-begin:{}", c.name));
                c.notes.send(format!("stopping:{}", c.name));
                std::future::pending::<()>().await;
            }
            StopMode::Panic => {
                c.log(format!("stop-panic:{}", c.name));
                panic!("cleanup failed");
            }
        }
        c.log(format!("stop:{}:{reason}", c.name));
    }

    async fn on_exit(
        &mut self,
        _from: AnyRef,
        reason: ExitReason,
        _ctx: &mut Context<Self>,
    ) -> Result<(), Failure> {
        let note = format!("exit:{}:{reason}", self.cfg.name);
        self.cfg.log(note.clone());
        self.cfg.notes.send(note);
        Ok(())
    }

    async fn on_down(
        &mut self,
        _monitor: MonitorRef,
        reason: ExitReason,
        _ctx: &mut Context<Self>,
    ) -> Result<(), Failure> {
        let note = format!("down:{}:{reason}", self.cfg.name);
        self.cfg.log(note.clone());
        self.cfg.notes.send(note);
        Ok(())
    }
}

fn error(e: &'static str) -> ExitReason {
    ExitReason::error(Failure(e))
}

// ==== Supervisor flags & specs ====

/// §12.1: defaults: one_for_one, auto_shutdown never, permanent workers with a 5 s shutdown, supervisors infinity.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t01_defaults() {
    let j = journal();
    let w = worker("w", &Cfg::new("w", &j));
    assert_eq!(w.restart_type(), Restart::Permanent);
    assert_eq!(w.shutdown_spec(), Shutdown::Timeout(Duration::from_secs(5)));
    assert_eq!(w.kind(), ChildKind::Worker);
    assert!(!w.is_significant());
    let s = ChildSpec::supervisor("s", Supervisor::builder().build().unwrap());
    assert_eq!(s.restart_type(), Restart::Permanent);
    assert_eq!(s.shutdown_spec(), Shutdown::Infinity);
    assert_eq!(s.kind(), ChildKind::Supervisor);
    let sup = Supervisor::builder().child(w.clone()).build().unwrap();
    assert_eq!(sup.strategy(), Strategy::OneForOne);
    // auto_shutdown defaults to Never: a significant child is refused.
    let significant = w.restart(Restart::Transient).significant(true);
    assert_eq!(
        Supervisor::builder()
            .child(significant)
            .build()
            .unwrap_err(),
        SpecError::SignificantWithoutAutoShutdown("w".into())
    );
}

/// §12.1, deviation: the default limit is 3 restarts in 5 s (Elixir's; OTP: 1 in 5 s), so a short burst of crashes does not end a tree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t01_deviation_default_limit_is_3_restarts_in_5s() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let sub = || {
        Supervisor::builder()
            .child(worker("x", &Cfg::new("x", &j)))
            .build()
            .unwrap()
    };
    let top = Supervisor::builder()
        .child(transient_sup("s1", sub()))
        .child(transient_sup("s2", sub()))
        .build()
        .unwrap();
    let mut events = system.events();
    let top = supervise(&system, top).await;
    let (s1, s2) = (sub_of(&top, "s1").await, sub_of(&top, "s2").await);
    for _ in 0..3 {
        kill(&s1, "x").await;
        kill(&s2, "x").await;
    }
    assert_eq!(states(&s1).await, st(&[("x", "running")]));
    assert_eq!(count(&drain(&mut events, &s1), "restarted:x"), 3);

    clock.advance(Duration::from_secs(5));
    running(&s1, "x").await.kill();
    assert_eq!(
        gave_up(&mut events, &s1).await,
        ("x".to_string(), ExitReason::Killed)
    );
    assert_eq!(
        bounded("s1 ends", s1.wait_exit()).await,
        ExitReason::Shutdown
    );

    clock.advance(Duration::from_millis(1));
    kill(&s2, "x").await;
    assert_eq!(states(&s2).await, st(&[("x", "running")]));
    system.shutdown().await;
}

/// §12.2: invalid flags and specs are refused when built (a negative intensity cannot be written: `u32`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t02_invalid_flags_and_specs_are_refused() {
    let j = journal();
    let w = |id: &str| worker(id, &Cfg::new("w", &j));
    assert_eq!(
        Supervisor::builder()
            .within(Duration::ZERO)
            .build()
            .unwrap_err(),
        SpecError::ZeroWithin
    );
    assert_eq!(
        DynamicSupervisor::builder()
            .within(Duration::ZERO)
            .build()
            .unwrap_err(),
        SpecError::ZeroWithin
    );
    assert_eq!(
        Supervisor::builder()
            .auto_shutdown(AutoShutdown::AnySignificant)
            .child(w("s").significant(true))
            .build()
            .unwrap_err(),
        SpecError::SignificantPermanent("s".into())
    );
    assert_eq!(
        Supervisor::builder()
            .child(w("s").restart(Restart::Transient).significant(true))
            .build()
            .unwrap_err(),
        SpecError::SignificantWithoutAutoShutdown("s".into())
    );
    assert_eq!(
        Supervisor::builder()
            .child(w("a"))
            .child(w("b"))
            .child(w("a"))
            .build()
            .unwrap_err(),
        SpecError::DuplicateId("a".into())
    );
    assert_eq!(
        Supervisor::builder().child(w("")).build().unwrap_err(),
        SpecError::EmptyId
    );
    assert_eq!(
        DynamicSupervisor::builder()
            .max_children(0)
            .build()
            .unwrap_err(),
        SpecError::ZeroMaxChildren
    );
    let bad_backoff = w("b").restart_delay(Backoff::exponential(Duration::ZERO, SEC));
    assert!(matches!(
        Supervisor::builder().child(bad_backoff).build().unwrap_err(),
        SpecError::InvalidBackoff(id, _) if &*id == "b"
    ));

    // At run time, start_child checks the spec against the supervisor.
    let clock = ManualClock::new();
    let system = system(&clock);
    let sup = supervise(&system, Supervisor::builder().build().unwrap()).await;
    let refused = call(sup.start_child(w("s").restart(Restart::Transient).significant(true))).await;
    assert!(
        matches!(
            &refused,
            Err(SupervisorError::InvalidSpec(SpecError::SignificantWithoutAutoShutdown(id))) if &**id == "s"
        ),
        "{refused:?}"
    );
    assert_eq!(states(&sup).await, st(&[]));
    system.shutdown().await;
}

// ==== Start-up ====

/// §12.3: children start one at a time in order; `supervise` returns after all have started.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t03_children_start_in_order_and_supervise_returns_after_all() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let notes = Notes::default();
    let sup = Supervisor::builder()
        .child(worker(
            "a",
            &Cfg::new("a", &j).slow_start(SEC).notes(&notes),
        ))
        .child(worker("b", &Cfg::new("b", &j)))
        .child(worker("c", &Cfg::new("c", &j)))
        .build()
        .unwrap();
    let mut events = system.events();
    let start = tokio::spawn(system.supervise(sup));
    assert_eq!(notes.recv().await, "starting:a");
    assert_eq!(take(&j), strings(&["start-begin:a"]), "b waits for a");
    clock.advance(SEC);
    let sup = bounded("supervise", start)
        .await
        .unwrap()
        .expect("the tree starts");
    assert_eq!(take(&j), strings(&["start:a", "start:b", "start:c"]));
    assert_eq!(
        drain(&mut events, &sup),
        strings(&["started:a", "started:b", "started:c"])
    );
    system.shutdown().await;
}

/// §12.4: child k fails to start: 1..k-1 stopped in reverse order, the start fails with `StartFailed` naming k.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t04_failed_start_stops_the_started_in_reverse_and_names_the_child() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let c = Cfg::new("c", &j);
    c.fail_next(1);
    let d = Cfg::new("d", &j);
    let sup = Supervisor::builder()
        .child(worker("a", &Cfg::new("a", &j).trap()))
        .child(worker("b", &Cfg::new("b", &j).trap()))
        .child(worker("c", &c))
        .child(worker("d", &d))
        .build()
        .unwrap();
    let mut events = system.events();
    let err = bounded("supervise", system.supervise(sup))
        .await
        .expect_err("the start fails");
    match &err {
        keel::StartError::ChildFailed { child, reason } => {
            assert_eq!(&**child, "c");
            assert_eq!(*reason, error("no start"));
        }
        other => panic!("ChildFailed naming c expected, got {other:?}"),
    }
    assert_eq!(
        take(&j),
        strings(&[
            "start:a",
            "start:b",
            "fail:c",
            "stop:b:shutdown",
            "stop:a:shutdown"
        ])
    );
    assert_eq!(d.starts(), 0);
    let reported = std::iter::from_fn(|| events.try_next())
        .filter(|e| matches!(e, SystemEvent::StartError { child, .. } if &**child == "c"))
        .count();
    assert_eq!(reported, 1, "one start_error report for c");
    system.shutdown().await;
}

/// §12.5: `Start::Ignore` keeps the spec (stopped); a temporary child that ignores is dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t05_ignore_keeps_the_spec_temporary_ignore_drops_it() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let sup = Supervisor::builder()
        .child(worker("a", &Cfg::new("a", &j)))
        .child(worker("b", &Cfg::new("b", &j).ignore_next(1)))
        .child(worker("c", &Cfg::new("c", &j).ignore_next(1)).restart(Restart::Temporary))
        .build()
        .unwrap();
    let sup = supervise(&system, sup).await;
    assert_eq!(
        states(&sup).await,
        st(&[("a", "running"), ("b", "stopped")])
    );
    assert_eq!(
        counts(&sup).await,
        ChildCounts {
            specs: 2,
            active: 1,
            supervisors: 0,
            workers: 2
        }
    );
    let b = bounded("restart_child", sup.restart_child("b")).await;
    assert!(matches!(b, Ok(Some(_))), "{b:?}");
    assert_eq!(
        states(&sup).await,
        st(&[("a", "running"), ("b", "running")])
    );

    let d = worker("d", &Cfg::new("d", &j).ignore_next(1)).restart(Restart::Temporary);
    assert!(matches!(call(sup.start_child(d)).await, Ok(None)));
    let e = worker("e", &Cfg::new("e", &j).ignore_next(1));
    assert!(matches!(call(sup.start_child(e)).await, Ok(None)));
    assert_eq!(
        states(&sup).await,
        st(&[("a", "running"), ("b", "running"), ("e", "stopped")])
    );
    assert_eq!(
        take(&j),
        strings(&["start:a", "ignore:b", "ignore:c", "start:b", "ignore:d", "ignore:e"])
    );
    system.shutdown().await;
}

// ==== Restart matrix (§5) ====

/// How the child under test ends.
#[derive(Clone, Copy)]
enum How {
    Normal,
    Shutdown,
    ShutdownWith,
    Panic,
    Kill,
    Fail,
}

/// What one cell of the matrix did.
#[derive(Debug, PartialEq)]
struct Cell {
    /// `ChildRestarted` came and the child runs again.
    restarted: bool,
    /// The child's state afterwards; `None`: its spec is gone.
    state: Option<&'static str>,
    /// The `ChildTerminated` report's reason, if one came.
    reported: Option<ExitReason>,
    /// The exit used up the restart limit (1): a permanent sibling's crash
    /// then made the supervisor give up.
    consumed: bool,
}

/// Runs one cell: child `x` (restart type `restart`) ends by `how` under a
/// supervisor allowing 1 restart; then the permanent sibling `canary` is
/// killed, which trips the limit only if `x`'s exit consumed it.
async fn cell(restart: Restart, how: How) -> (Cell, ExitReason) {
    quiet_panics();
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let x = Cfg::new("x", &j);
    let sub = Supervisor::builder()
        .max_restarts(1)
        .child(worker("x", &x).restart(restart))
        .child(worker("canary", &Cfg::new("canary", &j)))
        .build()
        .unwrap();
    let mut events = system.events();
    let (_top, sub) = nested(&system, sub).await;
    let xr = probe(&sub, "x").await;
    drain(&mut events, &sub);
    match how {
        How::Normal => xr.tell(Msg::StopWith(ExitReason::Normal)).ok().unwrap(),
        How::Shutdown => xr.tell(Msg::StopWith(ExitReason::Shutdown)).ok().unwrap(),
        How::ShutdownWith => xr
            .tell(Msg::StopWith(ExitReason::shutdown_with("done")))
            .ok()
            .unwrap(),
        How::Panic => xr.tell(Msg::Panic).ok().unwrap(),
        How::Fail => xr.tell(Msg::Fail).ok().unwrap(),
        How::Kill => xr.kill(),
    }
    let reason = exited(&mut events, &sub, "x").await;
    sync(&sub).await;
    let seen = drain(&mut events, &sub);
    let restarted = count(&seen, "restarted:x") == 1 && x.starts() == 2;
    let reported = seen
        .iter()
        .find(|s| s.starts_with("terminated:x:"))
        .map(|_| reason.clone());
    if let Some(r) = &reported {
        assert!(seen.contains(&format!("terminated:x:{r}")));
    }
    let state = states(&sub)
        .await
        .into_iter()
        .find(|(id, _)| id == "x")
        .map(|(_, s)| s);

    running(&sub, "canary").await.kill();
    let sid = sub.id();
    let next = event(&mut events, "the canary's restart or a give-up", |e| {
        matches!(e, SystemEvent::GaveUp { supervisor, .. } if *supervisor == sid)
            || matches!(e, SystemEvent::ChildRestarted { supervisor, child, .. }
                if *supervisor == sid && &**child == "canary")
    })
    .await;
    let consumed = matches!(next, SystemEvent::GaveUp { .. });
    system.shutdown().await;
    (
        Cell {
            restarted,
            state,
            reported,
            consumed,
        },
        reason,
    )
}

fn restarts(reason: ExitReason) -> Cell {
    Cell {
        restarted: true,
        state: Some("running"),
        reported: Some(reason),
        consumed: true,
    }
}

/// §12.6 (permanent × normal): restarted, `ChildTerminated` reported, restart counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t06_permanent_normal_exit_restarts_and_reports() {
    let (c, reason) = cell(Restart::Permanent, How::Normal).await;
    assert_eq!(reason, ExitReason::Normal);
    assert_eq!(c, restarts(ExitReason::Normal));
}

/// §12.7 (permanent × shutdown): restarted, reported, counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t07_permanent_shutdown_exit_restarts_and_reports() {
    let (c, reason) = cell(Restart::Permanent, How::Shutdown).await;
    assert_eq!(reason, ExitReason::Shutdown);
    assert_eq!(c, restarts(ExitReason::Shutdown));
}

/// §12.8 (permanent × {shutdown, T}): restarted, reported, counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t08_permanent_shutdown_with_exit_restarts_and_reports() {
    let (c, reason) = cell(Restart::Permanent, How::ShutdownWith).await;
    assert_eq!(reason, ExitReason::shutdown_with("done"));
    assert_eq!(c, restarts(ExitReason::shutdown_with("done")));
}

/// §12.9 (permanent × abnormal, a panic): restarted, reported, counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t09_permanent_abnormal_exit_restarts_and_reports() {
    let (c, reason) = cell(Restart::Permanent, How::Panic).await;
    assert_eq!(reason, ExitReason::Panic("boom".into()));
    assert_eq!(c, restarts(ExitReason::Panic("boom".into())));
}

fn kept_stopped() -> Cell {
    Cell {
        restarted: false,
        state: Some("stopped"),
        reported: None,
        consumed: false,
    }
}

/// §12.10 (transient × normal): not restarted, spec kept stopped, no report, not counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t10_transient_normal_exit_is_kept_stopped_unreported() {
    let (c, reason) = cell(Restart::Transient, How::Normal).await;
    assert_eq!(reason, ExitReason::Normal);
    assert_eq!(c, kept_stopped());
}

/// §12.11 (transient × shutdown): not restarted, spec kept stopped, no report, not counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t11_transient_shutdown_exit_is_kept_stopped_unreported() {
    let (c, reason) = cell(Restart::Transient, How::Shutdown).await;
    assert_eq!(reason, ExitReason::Shutdown);
    assert_eq!(c, kept_stopped());
}

/// §12.12 (transient × {shutdown, T}): not restarted, spec kept stopped, no report, not counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t12_transient_shutdown_with_exit_is_kept_stopped_unreported() {
    let (c, reason) = cell(Restart::Transient, How::ShutdownWith).await;
    assert_eq!(reason, ExitReason::shutdown_with("done"));
    assert_eq!(c, kept_stopped());
}

/// §12.13 (transient × abnormal, a kill): restarted, reported, counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t13_transient_abnormal_exit_restarts_and_reports() {
    let (c, reason) = cell(Restart::Transient, How::Kill).await;
    assert_eq!(reason, ExitReason::Killed);
    assert_eq!(c, restarts(ExitReason::Killed));
}

fn removed(reported: Option<ExitReason>) -> Cell {
    Cell {
        restarted: false,
        state: None,
        reported,
        consumed: false,
    }
}

/// §12.14 (temporary × normal): not restarted, spec removed, no report, not counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t14_temporary_normal_exit_is_removed_unreported() {
    let (c, reason) = cell(Restart::Temporary, How::Normal).await;
    assert_eq!(reason, ExitReason::Normal);
    assert_eq!(c, removed(None));
}

/// §12.15 (temporary × shutdown): not restarted, spec removed, no report, not counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t15_temporary_shutdown_exit_is_removed_unreported() {
    let (c, reason) = cell(Restart::Temporary, How::Shutdown).await;
    assert_eq!(reason, ExitReason::Shutdown);
    assert_eq!(c, removed(None));
}

/// §12.16 (temporary × {shutdown, T}): not restarted, spec removed, no report, not counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t16_temporary_shutdown_with_exit_is_removed_unreported() {
    let (c, reason) = cell(Restart::Temporary, How::ShutdownWith).await;
    assert_eq!(reason, ExitReason::shutdown_with("done"));
    assert_eq!(c, removed(None));
}

/// §12.17 (temporary × abnormal, an `Err`): not restarted, spec removed, reported, not counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t17_temporary_abnormal_exit_is_removed_and_reported() {
    let (c, reason) = cell(Restart::Temporary, How::Fail).await;
    assert_eq!(reason, error("failed"));
    assert_eq!(c, removed(Some(error("failed"))));
}

// ==== Intensity ====

/// §12.18: N restarts in the window are allowed, the N+1-th gives up; intensity 0 gives up at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t18_n_restarts_allowed_the_next_trips_and_zero_trips_at_once() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let two = Supervisor::builder()
        .max_restarts(2)
        .child(worker("x", &Cfg::new("x", &j)))
        .build()
        .unwrap();
    let zero = Supervisor::builder()
        .max_restarts(0)
        .child(worker("y", &Cfg::new("y", &j)))
        .build()
        .unwrap();
    let top = Supervisor::builder()
        .child(transient_sup("two", two))
        .child(transient_sup("zero", zero))
        .build()
        .unwrap();
    let mut events = system.events();
    let top = supervise(&system, top).await;
    let (two, zero) = (sub_of(&top, "two").await, sub_of(&top, "zero").await);

    kill(&two, "x").await;
    kill(&two, "x").await;
    assert_eq!(count(&drain(&mut events, &two), "restarted:x"), 2);
    running(&two, "x").await.kill();
    assert_eq!(
        gave_up(&mut events, &two).await,
        ("x".to_string(), ExitReason::Killed)
    );
    assert_eq!(
        bounded("two ends", two.wait_exit()).await,
        ExitReason::Shutdown
    );

    running(&zero, "y").await.kill();
    assert_eq!(
        gave_up(&mut events, &zero).await,
        ("y".to_string(), ExitReason::Killed)
    );
    assert_eq!(
        bounded("zero ends", zero.wait_exit()).await,
        ExitReason::Shutdown
    );
    system.shutdown().await;
}

/// §12.19: restarts older than the window are forgotten; a restart exactly `within` old still counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t19_old_restarts_are_forgotten_and_the_boundary_is_inclusive() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let sub = || {
        Supervisor::builder()
            .max_restarts(1)
            .within(Duration::from_secs(5))
            .child(worker("x", &Cfg::new("x", &j)))
            .build()
            .unwrap()
    };
    let top = Supervisor::builder()
        .child(transient_sup("forgets", sub()))
        .child(transient_sup("edge", sub()))
        .build()
        .unwrap();
    let mut events = system.events();
    let top = supervise(&system, top).await;
    let (forgets, edge) = (sub_of(&top, "forgets").await, sub_of(&top, "edge").await);

    // One restart at a time, each 6 s after the last: never two in 5 s.
    for _ in 0..3 {
        kill(&forgets, "x").await;
        clock.advance(Duration::from_secs(6));
    }
    assert_eq!(count(&drain(&mut events, &forgets), "restarted:x"), 3);
    assert_eq!(states(&forgets).await, st(&[("x", "running")]));

    // `edge` restarts at t0 + 18 s, and again exactly 5 s later.
    kill(&edge, "x").await;
    clock.advance(Duration::from_secs(5));
    running(&edge, "x").await.kill();
    assert_eq!(
        gave_up(&mut events, &edge).await,
        ("x".to_string(), ExitReason::Killed),
        "a restart exactly `within` old still counts"
    );
    system.shutdown().await;
}

/// §12.19, deviation: the window is at the clock's resolution (OTP: whole seconds), so `within` + 1 ns is out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t19_deviation_window_at_clock_resolution() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let sub = Supervisor::builder()
        .max_restarts(1)
        .within(Duration::from_secs(5))
        .child(worker("x", &Cfg::new("x", &j)))
        .build()
        .unwrap();
    let mut events = system.events();
    let (_top, sub) = nested(&system, sub).await;
    kill(&sub, "x").await;
    clock.advance(Duration::from_secs(5) + Duration::from_nanos(1));
    kill(&sub, "x").await;
    clock.advance(Duration::from_millis(500));
    assert_eq!(count(&drain(&mut events, &sub), "restarted:x"), 2);
    assert_eq!(states(&sub).await, st(&[("x", "running")]));
    system.shutdown().await;
}

/// §12.20: the restart count is shared by all children; one one_for_all cycle counts once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t20_count_is_shared_and_a_one_for_all_cycle_counts_once() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let shared = Supervisor::builder()
        .max_restarts(1)
        .child(worker("a", &Cfg::new("a", &j)))
        .child(worker("b", &Cfg::new("b", &j)))
        .build()
        .unwrap();
    let all = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .max_restarts(1)
        .child(worker("a", &Cfg::new("a", &j)))
        .child(worker("b", &Cfg::new("b", &j)))
        .child(worker("c", &Cfg::new("c", &j)))
        .build()
        .unwrap();
    let top = Supervisor::builder()
        .child(transient_sup("shared", shared))
        .child(transient_sup("all", all))
        .build()
        .unwrap();
    let mut events = system.events();
    let top = supervise(&system, top).await;
    let (shared, all) = (sub_of(&top, "shared").await, sub_of(&top, "all").await);

    kill(&shared, "a").await;
    running(&shared, "b").await.kill();
    assert_eq!(
        gave_up(&mut events, &shared).await,
        ("b".to_string(), ExitReason::Killed),
        "a's restart and b's add up"
    );

    kill(&all, "a").await;
    assert_eq!(
        count(&drain(&mut events, &all), "restarted:"),
        3,
        "the whole cycle is one restart: no give-up"
    );
    running(&all, "c").await.kill();
    assert_eq!(
        gave_up(&mut events, &all).await,
        ("c".to_string(), ExitReason::Killed),
        "the cycle counted once"
    );
    system.shutdown().await;
}

/// §12.21: failed restarts count and end in a give-up; calls and a stop are served between retries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t21_failed_restarts_count_and_requests_are_served_between_retries() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let x = Cfg::new("x", &j);
    let y_notes = Notes::default();
    let y = Cfg::new("y", &j).notes(&y_notes);
    let retrying = Supervisor::builder()
        .max_restarts(3)
        .child(worker("x", &x))
        .build()
        .unwrap();
    let served = Supervisor::builder()
        .max_restarts(100)
        .child(worker("y", &y))
        .build()
        .unwrap();
    let top = Supervisor::builder()
        .child(transient_sup("retrying", retrying))
        .child(transient_sup("served", served))
        .build()
        .unwrap();
    let mut events = system.events();
    let top = supervise(&system, top).await;
    let (retrying, served) = (sub_of(&top, "retrying").await, sub_of(&top, "served").await);

    x.fail_next(u32::MAX);
    drain(&mut events, &retrying);
    running(&retrying, "x").await.kill();
    let seen = collect(&mut events, &retrying, "gave_up:").await;
    assert_eq!(count(&seen, "start_error:x:"), 3, "{seen:?}");
    assert_eq!(seen.last().unwrap(), "gave_up:x:error: no start");
    assert_eq!(
        bounded("retrying ends", retrying.wait_exit()).await,
        ExitReason::Shutdown
    );

    // The crash; while the restart's start is under way (slow, then
    // failing), a which_children and a stop queue behind it: both come
    // before the retry the failure sends.
    y.fail_next(u32::MAX).slow_next(1);
    let yr = running(&served, "y").await;
    yr.kill();
    assert_eq!(y_notes.recv().await, "starting:y");
    let which = served.which_children();
    served.any().stop();
    clock.advance(SEC);
    let which = bounded("which_children", which).await.unwrap();
    assert_eq!(which[0].state, ChildState::Restarting);
    assert_eq!(
        bounded("served ends", served.wait_exit()).await,
        ExitReason::Shutdown
    );
    let seen = drain(&mut events, &served);
    assert_eq!(
        seen,
        strings(&[
            "exited:y:killed",
            "terminated:y:killed",
            "start_error:y:error: no start"
        ]),
        "the stop came before the retry"
    );
    assert_eq!(y.starts(), 2);
    system.shutdown().await;
}

/// §12.22: on give-up the child is dropped, the rest stopped in reverse order, the supervisor exits `Shutdown`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t22_give_up_stops_the_rest_in_reverse_and_exits_shutdown() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let b = Cfg::new("b", &j).trap();
    let sub = Supervisor::builder()
        .max_restarts(0)
        .child(worker("a", &Cfg::new("a", &j).trap()))
        .child(worker("b", &b))
        .child(worker("c", &Cfg::new("c", &j).trap()))
        .child(worker("d", &Cfg::new("d", &j).trap()))
        .build()
        .unwrap();
    let mut events = system.events();
    let (top, sub) = nested(&system, sub).await;
    take(&j);
    running(&sub, "b").await.kill();
    assert_eq!(
        bounded("sub ends", sub.wait_exit()).await,
        ExitReason::Shutdown
    );
    assert_eq!(
        exited(&mut events, &top, "sub").await,
        ExitReason::Shutdown,
        "the parent sees Shutdown"
    );
    assert_eq!(
        take(&j),
        strings(&["stop:d:shutdown", "stop:c:shutdown", "stop:a:shutdown"])
    );
    assert_eq!(b.starts(), 1, "b is not restarted");
    system.shutdown().await;
}

/// §12.23: a permanent sub that gives up is restarted (counted by the parent), a transient one is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t23_escalation_permanent_sub_restarted_transient_not() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let p = Cfg::new("p", &j);
    let leaf = |id: &str, cfg: &Cfg| {
        Supervisor::builder()
            .max_restarts(0)
            .child(worker(id, cfg))
            .build()
            .unwrap()
    };
    let mid = Supervisor::builder()
        .max_restarts(1)
        .child(ChildSpec::supervisor("perm", leaf("p", &p)))
        .child(transient_sup("trans", leaf("t", &Cfg::new("t", &j))))
        .build()
        .unwrap();
    let mut events = system.events();
    let (top, mid) = nested(&system, mid).await;

    let trans = sub_of(&mid, "trans").await;
    running(&trans, "t").await.kill();
    assert_eq!(
        exited(&mut events, &mid, "trans").await,
        ExitReason::Shutdown
    );
    sync(&mid).await;
    assert!(drain(&mut events, &mid).is_empty(), "no report, no restart");
    assert_eq!(
        states(&mid).await,
        st(&[("perm", "running"), ("trans", "stopped")])
    );

    let perm = sub_of(&mid, "perm").await;
    running(&perm, "p").await.kill();
    assert_eq!(
        exited(&mut events, &mid, "perm").await,
        ExitReason::Shutdown
    );
    restarted(&mut events, &mid, "perm").await;
    assert_eq!(p.starts(), 2, "the new perm started p afresh");

    let perm = sub_of(&mid, "perm").await;
    running(&perm, "p").await.kill();
    assert_eq!(
        gave_up(&mut events, &mid).await,
        ("perm".to_string(), ExitReason::Shutdown),
        "perm's first restart used mid's limit"
    );
    assert_eq!(exited(&mut events, &top, "sub").await, ExitReason::Shutdown);
    system.shutdown().await;
}

/// §12.23: a top-level tree that gives up ends the System: `terminated()` is `reached_max_restart_intensity`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t23_escalation_to_the_root_ends_the_system() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let sup = Supervisor::builder()
        .max_restarts(0)
        .child(worker("x", &Cfg::new("x", &j).trap()))
        .child(worker("y", &Cfg::new("y", &j).trap()))
        .build()
        .unwrap();
    let sup = supervise(&system, sup).await;
    take(&j);
    running(&sup, "x").await.kill();
    assert_eq!(
        bounded("the System ends", system.terminated()).await,
        ExitReason::shutdown_with("reached_max_restart_intensity")
    );
    assert_eq!(take(&j), strings(&["stop:y:shutdown"]));
    system.shutdown().await;
}

// ==== Strategies ====

/// §12.24: one_for_all stops the others in reverse order, drops temporaries, restarts the rest in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t24_one_for_all_cycles_everyone_and_drops_temporaries() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let sup = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .child(worker("a", &Cfg::new("a", &j).trap()))
        .child(worker("b", &Cfg::new("b", &j).trap()).restart(Restart::Temporary))
        .child(worker("c", &Cfg::new("c", &j).trap()))
        .child(worker("d", &Cfg::new("d", &j).trap()))
        .build()
        .unwrap();
    let sup = supervise(&system, sup).await;
    take(&j);
    kill(&sup, "c").await;
    assert_eq!(
        take(&j),
        strings(&[
            "stop:d:shutdown",
            "stop:b:shutdown",
            "stop:a:shutdown",
            "start:a",
            "start:c",
            "start:d"
        ])
    );
    assert_eq!(
        states(&sup).await,
        st(&[("a", "running"), ("c", "running"), ("d", "running")])
    );
    system.shutdown().await;
}

/// §12.24 (§7): a start failing mid-cycle is retried, the later children waiting; calls are served in between.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t24_one_for_all_start_failure_mid_cycle_is_retried() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let notes = Notes::default();
    let b = Cfg::new("b", &j).notes(&notes);
    let sup = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .child(worker("a", &Cfg::new("a", &j)))
        .child(worker("b", &b))
        .child(worker("c", &Cfg::new("c", &j)))
        .build()
        .unwrap();
    let mut events = system.events();
    let sup = supervise(&system, sup).await;
    drain(&mut events, &sup);
    // b's restart is slow, then fails: a call made meanwhile is answered
    // after the failure and before the retry.
    b.fail_next(1).slow_next(1);
    running(&sup, "a").await.kill();
    assert_eq!(notes.recv().await, "starting:b");
    let which = sup.which_children();
    clock.advance(SEC);
    let between: Vec<ChildState> = bounded("which_children", which)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.state)
        .collect();
    // OTP leaves c `undefined` until the retry; keel keeps it restarting on
    // its address, which the retry restarts (the address deviation).
    assert!(
        matches!(
            between.as_slice(),
            [
                ChildState::Running(_),
                ChildState::Restarting,
                ChildState::Restarting
            ]
        ),
        "{between:?}"
    );
    sync(&sup).await;
    assert_eq!(
        drain(&mut events, &sup),
        strings(&[
            "exited:a:killed",
            "terminated:a:killed",
            "started:a",
            "restarted:a",
            "start_error:b:error: no start",
            "started:a",
            "restarted:a",
            "started:b",
            "restarted:b",
            "started:c",
            "restarted:c"
        ])
    );
    assert_eq!(
        states(&sup).await,
        st(&[("a", "running"), ("b", "running"), ("c", "running")])
    );
    system.shutdown().await;
}

/// DESIGN.md §4/§5, deviation (refs survive restarts): children left unstarted by a failed cycle keep their address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deviation_child_keeps_its_address_when_a_cycle_fails_mid_way() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let b = Cfg::new("b", &j);
    let sup = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .child(worker("a", &Cfg::new("a", &j)))
        .child(worker("b", &b))
        .child(worker("c", &Cfg::new("c", &j)))
        .build()
        .unwrap();
    let mut events = system.events();
    let sup = supervise(&system, sup).await;
    let c = probe(&sup, "c").await;
    b.fail_next(1);
    kill(&sup, "a").await;
    restarted(&mut events, &sup, "c").await;
    sync(&sup).await;
    assert_eq!(running(&sup, "c").await.id(), c.id(), "same address");
    assert_eq!(
        call(c.ask(Msg::Ping)).await,
        Ok(()),
        "the old ref still works"
    );
    system.shutdown().await;
}

/// §12.25: rest_for_one cycles the crashed child and the later ones; earlier ones are untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t25_rest_for_one_cycles_only_later_siblings() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let a = Cfg::new("a", &j).trap();
    let sup = Supervisor::builder()
        .strategy(Strategy::RestForOne)
        .child(worker("a", &a))
        .child(worker("b", &Cfg::new("b", &j).trap()))
        .child(worker("c", &Cfg::new("c", &j).trap()))
        .child(worker("d", &Cfg::new("d", &j).trap()))
        .build()
        .unwrap();
    let sup = supervise(&system, sup).await;
    let a_pid = call(probe(&sup, "a").await.ask(Msg::Pid)).await.unwrap();
    take(&j);
    kill(&sup, "b").await;
    assert_eq!(
        take(&j),
        strings(&[
            "stop:d:shutdown",
            "stop:c:shutdown",
            "start:b",
            "start:c",
            "start:d"
        ])
    );
    assert_eq!(a.starts(), 1);
    assert_eq!(
        call(probe(&sup, "a").await.ask(Msg::Pid)).await.unwrap(),
        a_pid
    );
    system.shutdown().await;
}

/// §12.26: dynamic supervisor: per-child args, by-id calls refused, terminate by ref, children stopped at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t26_dynamic_supervisor_args_by_ref_only_parallel_shutdown() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let notes = Notes::default();
    let dynamic = DynamicSupervisor::builder().build().unwrap();
    let top = Supervisor::builder()
        .child(ChildSpec::supervisor("dyn", dynamic))
        .build()
        .unwrap();
    let top = supervise(&system, top).await;
    let dynamic = sub_of(&top, "dyn").await;
    let names = ["w1", "w2", "w3"];
    let mut kids = Vec::new();
    for (n, name) in (1..).zip(names) {
        let cfg = Cfg::new(name, &j)
            .arg(n)
            .stop(StopMode::Slow(SEC))
            .notes(&notes);
        let kid = bounded("start_child", dynamic.start_child(worker("w", &cfg)))
            .await
            .unwrap()
            .expect("started");
        kids.push(kid.downcast::<Probe>().unwrap());
    }
    for (n, kid) in (1..).zip(&kids) {
        assert_eq!(call(kid.ask(Msg::Arg)).await.unwrap(), n);
    }
    assert!(matches!(
        call(dynamic.restart_child("w")).await,
        Err(SupervisorError::Dynamic)
    ));
    assert!(matches!(
        call(dynamic.delete_child("w")).await,
        Err(SupervisorError::Dynamic)
    ));
    assert!(matches!(
        call(dynamic.terminate_child("w")).await,
        Err(SupervisorError::Dynamic)
    ));

    // By ref: w2 stops (slowly: 1 s on the clock).
    let one = tokio::spawn(dynamic.terminate_child(&kids[1]));
    assert_eq!(notes.recv().await, "stopping:w2");
    clock.advance(SEC);
    bounded("terminate_child", one).await.unwrap().unwrap();
    take(&j);

    // The whole dynamic supervisor: w1 and w3 both begin stopping before the
    // clock moves (one at a time, the second would wait for the first).
    let all = tokio::spawn(top.terminate_child("dyn"));
    let mut stopping = vec![notes.recv().await, notes.recv().await];
    stopping.sort();
    assert_eq!(stopping, strings(&["stopping:w1", "stopping:w3"]));
    clock.advance(SEC);
    bounded("terminate_child", all).await.unwrap().unwrap();
    let mut stopped = take(&j);
    stopped.sort();
    assert_eq!(
        stopped,
        strings(&[
            "stop-begin:w1",
            "stop-begin:w3",
            "stop:w1:shutdown",
            "stop:w3:shutdown"
        ])
    );
    system.shutdown().await;
}

/// §12.26 (§7): a dynamic child stopped by `terminate_child` is forgotten, as OTP deletes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t26_dynamic_terminate_by_ref_removes_the_child() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let dynamic = DynamicSupervisor::builder()
        .max_children(1)
        .build()
        .unwrap();
    let (_top, dynamic) = nested(&system, dynamic.into()).await;
    let kid = bounded(
        "start_child",
        dynamic.start_child(worker("w", &Cfg::new("w", &j))),
    )
    .await
    .unwrap()
    .unwrap();
    bounded("terminate_child", dynamic.terminate_child(&kid))
        .await
        .unwrap();
    assert_eq!(states(&dynamic).await, st(&[]));
    assert_eq!(counts(&dynamic).await.specs, 0);
    let again = bounded(
        "start_child",
        dynamic.start_child(worker("w", &Cfg::new("w", &j))),
    )
    .await;
    assert!(matches!(again, Ok(Some(_))), "{again:?}");
    system.shutdown().await;
}

/// §12.26 (§7): a dynamic supervisor's children are awaited under one timer for the whole group.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t26_dynamic_shutdown_has_one_timer_for_the_group() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let notes = Notes::default();
    let dynamic = DynamicSupervisor::builder().build().unwrap();
    let mut events = system.events();
    let top = Supervisor::builder()
        .child(ChildSpec::supervisor("dyn", dynamic))
        .build()
        .unwrap();
    let top = supervise(&system, top).await;
    let dynamic = sub_of(&top, "dyn").await;
    let five = Shutdown::Timeout(Duration::from_secs(5));
    let hang = Cfg::new("hang", &j).stop(StopMode::Hang).notes(&notes);
    let slow = Cfg::new("slow", &j)
        .stop(StopMode::Slow(Duration::from_secs(3)))
        .notes(&notes);
    for cfg in [&hang, &slow] {
        let spec = worker("w", cfg).shutdown(five);
        bounded("start_child", dynamic.start_child(spec))
            .await
            .unwrap();
    }
    let all = tokio::spawn(top.terminate_child("dyn"));
    let mut stopping = vec![notes.recv().await, notes.recv().await];
    stopping.sort();
    assert_eq!(stopping, strings(&["stopping:hang", "stopping:slow"]));
    // Both were signalled, so the group's deadline is fixed.
    clock.advance(Duration::from_secs(3));
    clock.advance(Duration::from_secs(2));
    let dyn_id = dynamic.id();
    event(
        &mut events,
        "hang killed at 5 s",
        |e| matches!(e, SystemEvent::ShutdownError { supervisor, .. } if *supervisor == dyn_id),
    )
    .await;
    bounded("terminate_child", all).await.unwrap().unwrap();
    system.shutdown().await;
}

/// §12.26, deviation: `start_child` takes a full `ChildSpec`; its closure carries the "extra args" (typed, no arg lists).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t26_deviation_dynamic_start_child_takes_a_full_spec() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let dynamic = supervise(&system, DynamicSupervisor::builder().build().unwrap()).await;
    let template = |arg: u32| worker("conn", &Cfg::new("conn", &j).arg(arg));
    let kid = bounded("start_child", dynamic.start_child(template(42)))
        .await
        .unwrap()
        .unwrap();
    let kid = kid.downcast::<Probe>().unwrap();
    assert_eq!(call(kid.ask(Msg::Arg)).await.unwrap(), 42);
    // Restarted, it is made again by the same closure, with the same args.
    kid.kill();
    sync(&dynamic).await;
    assert_eq!(call(kid.ask(Msg::Arg)).await.unwrap(), 42);
    system.shutdown().await;
}

/// §12.26, deviation: dynamic children keep their spec's id (OTP: `undefined`); ids may repeat, refs tell them apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t26_deviation_dynamic_children_keep_their_spec_id() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let dynamic = supervise(&system, DynamicSupervisor::builder().build().unwrap()).await;
    for id in ["conn", "conn", "other"] {
        bounded(
            "start_child",
            dynamic.start_child(worker(id, &Cfg::new("w", &j))),
        )
        .await
        .unwrap();
    }
    assert_eq!(
        states(&dynamic).await,
        st(&[
            ("conn", "running"),
            ("conn", "running"),
            ("other", "running")
        ])
    );
    system.shutdown().await;
}

// ==== Shutdown ====

/// §12.27: `Timeout(T)`: a stop within T is honoured; after T the child is killed, cleanup cut short, reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t27_timeout_shutdown_waits_up_to_t_then_kills() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let notes = Notes::default();
    let five = Shutdown::Timeout(Duration::from_secs(5));
    let sup = Supervisor::builder()
        .child(
            worker(
                "x",
                &Cfg::new("x", &j).stop(StopMode::Slow(SEC)).notes(&notes),
            )
            .shutdown(five),
        )
        .child(worker("y", &Cfg::new("y", &j).stop(StopMode::Hang).notes(&notes)).shutdown(five))
        .build()
        .unwrap();
    let mut events = system.events();
    let sup = supervise(&system, sup).await;
    drain(&mut events, &sup);
    take(&j);

    let x = tokio::spawn(sup.terminate_child("x"));
    assert_eq!(notes.recv().await, "stopping:x");
    clock.advance(SEC);
    bounded("terminate x", x).await.unwrap().unwrap();
    assert_eq!(take(&j), strings(&["stop-begin:x", "stop:x:shutdown"]));
    assert!(drain(&mut events, &sup).is_empty(), "no shutdown_error");

    let y = tokio::spawn(sup.terminate_child("y"));
    assert_eq!(notes.recv().await, "stopping:y");
    // y was signalled, so the supervisor's 5 s deadline is fixed.
    clock.advance(Duration::from_secs(5));
    bounded("terminate y", y).await.unwrap().unwrap();
    assert_eq!(
        take(&j),
        strings(&["stop-begin:y"]),
        "stopped was cut short"
    );
    assert_eq!(
        drain(&mut events, &sup),
        strings(&["shutdown_error:y:killed"])
    );
    assert_eq!(
        states(&sup).await,
        st(&[("x", "stopped"), ("y", "stopped")])
    );
    system.shutdown().await;
}

/// §12.28: `BrutalKill` skips `stopped` (no report); `Infinity` waits as long as `stopped` takes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t28_brutal_kill_skips_cleanup_infinity_waits() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let notes = Notes::default();
    let hour = Duration::from_secs(3600);
    let sup = Supervisor::builder()
        .child(worker("x", &Cfg::new("x", &j).trap()).shutdown(Shutdown::BrutalKill))
        .child(
            worker(
                "y",
                &Cfg::new("y", &j).stop(StopMode::Slow(hour)).notes(&notes),
            )
            .shutdown(Shutdown::Infinity),
        )
        .build()
        .unwrap();
    let mut events = system.events();
    let sup = supervise(&system, sup).await;
    drain(&mut events, &sup);
    take(&j);

    bounded("terminate x", sup.terminate_child("x"))
        .await
        .unwrap();
    assert_eq!(take(&j), strings(&[]), "no stopped after a brutal kill");
    assert!(drain(&mut events, &sup).is_empty(), "Killed is expected");

    let y = tokio::spawn(sup.terminate_child("y"));
    assert_eq!(notes.recv().await, "stopping:y");
    clock.advance(hour);
    bounded("terminate y", y).await.unwrap().unwrap();
    assert_eq!(take(&j), strings(&["stop-begin:y", "stop:y:shutdown"]));
    assert!(drain(&mut events, &sup).is_empty(), "no shutdown_error");
    system.shutdown().await;
}

/// §12.29: a supervisor stops its children one by one in reverse start order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t29_supervisor_stop_is_one_by_one_in_reverse_start_order() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let notes = Notes::default();
    let slow = |name| Cfg::new(name, &j).stop(StopMode::Slow(SEC)).notes(&notes);
    let sub = Supervisor::builder()
        .child(worker("a", &slow("a")))
        .child(worker("b", &slow("b")))
        .child(worker("c", &slow("c")))
        .build()
        .unwrap();
    let (top, _sub) = nested(&system, sub).await;
    take(&j);
    let stop = tokio::spawn(top.terminate_child("sub"));
    for name in ["c", "b", "a"] {
        assert_eq!(notes.recv().await, format!("stopping:{name}"));
        clock.advance(SEC);
    }
    bounded("terminate sub", stop).await.unwrap().unwrap();
    assert_eq!(
        take(&j),
        strings(&[
            "stop-begin:c",
            "stop:c:shutdown",
            "stop-begin:b",
            "stop:b:shutdown",
            "stop-begin:a",
            "stop:a:shutdown"
        ])
    );
    system.shutdown().await;
}

/// §12.30: an unexpected reason during shutdown is a `ShutdownError`, and the shutdown goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t30_unexpected_reason_during_shutdown_is_reported_and_shutdown_goes_on() {
    quiet_panics();
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let sub = Supervisor::builder()
        .child(worker("a", &Cfg::new("a", &j).trap()))
        .child(worker("x", &Cfg::new("x", &j).stop(StopMode::Panic)))
        .child(worker("c", &Cfg::new("c", &j).trap()))
        .build()
        .unwrap();
    let mut events = system.events();
    let (top, sub) = nested(&system, sub).await;
    drain(&mut events, &sub);
    take(&j);
    bounded("terminate sub", top.terminate_child("sub"))
        .await
        .unwrap();
    assert_eq!(
        take(&j),
        strings(&["stop:c:shutdown", "stop-panic:x", "stop:a:shutdown"])
    );
    assert_eq!(
        drain(&mut events, &sub),
        strings(&["shutdown_error:x:panic: cleanup failed"])
    );
    system.shutdown().await;
}

// ==== Significant children / auto_shutdown ====

/// §12.31: any_significant: a significant child ending without restart ends the supervisor; a crash restarts it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t31_any_significant_normal_exit_ends_the_supervisor() {
    quiet_panics();
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let any = |children: Vec<ChildSpec>| {
        Supervisor::builder()
            .auto_shutdown(AutoShutdown::AnySignificant)
            .children(children)
            .build()
            .unwrap()
    };
    let one = any(vec![
        worker("a", &Cfg::new("a", &j).trap()),
        worker("s", &Cfg::new("s", &j))
            .restart(Restart::Transient)
            .significant(true),
        worker("b", &Cfg::new("b", &j).trap()),
    ]);
    let two = any(vec![
        worker("a2", &Cfg::new("a2", &j)),
        worker("u", &Cfg::new("u", &j))
            .restart(Restart::Temporary)
            .significant(true),
    ]);
    let top = Supervisor::builder()
        .child(transient_sup("one", one))
        .child(transient_sup("two", two))
        .build()
        .unwrap();
    let mut events = system.events();
    let top = supervise(&system, top).await;
    let (one, two) = (sub_of(&top, "one").await, sub_of(&top, "two").await);

    probe(&one, "s").await.tell(Msg::Panic).ok().unwrap();
    restarted(&mut events, &one, "s").await;
    assert!(count(&drain(&mut events, &one), "auto_shutdown") == 0);
    take(&j);

    probe(&one, "s")
        .await
        .tell(Msg::StopWith(ExitReason::Normal))
        .ok()
        .unwrap();
    assert_eq!(
        bounded("one ends", one.wait_exit()).await,
        ExitReason::Shutdown
    );
    assert_eq!(
        drain(&mut events, &one),
        strings(&["exited:s:normal", "auto_shutdown:s"])
    );
    assert_eq!(
        take(&j),
        strings(&["stop:s:normal", "stop:b:shutdown", "stop:a:shutdown"])
    );

    probe(&two, "u").await.tell(Msg::Panic).ok().unwrap();
    assert_eq!(
        bounded("two ends", two.wait_exit()).await,
        ExitReason::Shutdown
    );
    assert_eq!(
        drain(&mut events, &two),
        strings(&[
            "exited:u:panic: boom",
            "terminated:u:panic: boom",
            "auto_shutdown:u"
        ])
    );
    assert_eq!(
        states(&top).await,
        st(&[("one", "stopped"), ("two", "stopped")])
    );
    system.shutdown().await;
}

/// §12.32: all_significant: the supervisor ends only when the last significant child has ended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t32_all_significant_ends_with_the_last_significant_child() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let significant = |id: &str| {
        worker(id, &Cfg::new("s", &j))
            .restart(Restart::Transient)
            .significant(true)
    };
    let sub = Supervisor::builder()
        .auto_shutdown(AutoShutdown::AllSignificant)
        .child(significant("s1"))
        .child(worker("a", &Cfg::new("a", &j)))
        .child(significant("s2"))
        .build()
        .unwrap();
    let mut events = system.events();
    let (_top, sub) = nested(&system, sub).await;
    probe(&sub, "s1")
        .await
        .tell(Msg::StopWith(ExitReason::Normal))
        .ok()
        .unwrap();
    exited(&mut events, &sub, "s1").await;
    sync(&sub).await;
    assert_eq!(
        states(&sub).await,
        st(&[("s1", "stopped"), ("a", "running"), ("s2", "running")])
    );
    probe(&sub, "s2")
        .await
        .tell(Msg::StopWith(ExitReason::shutdown_with("done")))
        .ok()
        .unwrap();
    assert_eq!(
        bounded("sub ends", sub.wait_exit()).await,
        ExitReason::Shutdown
    );
    assert_eq!(
        drain(&mut events, &sub),
        strings(&["exited:s2:shutdown: done", "auto_shutdown:s2"])
    );
    system.shutdown().await;
}

/// §12.33: `terminate_child` and sibling cycling never trigger auto_shutdown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t33_terminate_child_and_sibling_cycling_never_auto_shutdown() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let all = Supervisor::builder()
        .auto_shutdown(AutoShutdown::AllSignificant)
        .child(
            worker("s", &Cfg::new("s", &j))
                .restart(Restart::Transient)
                .significant(true),
        )
        .child(worker("a", &Cfg::new("a", &j)))
        .build()
        .unwrap();
    let cycled = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .auto_shutdown(AutoShutdown::AnySignificant)
        .child(
            worker("u", &Cfg::new("u", &j))
                .restart(Restart::Temporary)
                .significant(true),
        )
        .child(worker("c", &Cfg::new("c", &j)))
        .build()
        .unwrap();
    let top = Supervisor::builder()
        .child(transient_sup("all", all))
        .child(transient_sup("cycled", cycled))
        .build()
        .unwrap();
    let mut events = system.events();
    let top = supervise(&system, top).await;
    let (all, cycled) = (sub_of(&top, "all").await, sub_of(&top, "cycled").await);

    bounded("terminate s", all.terminate_child("s"))
        .await
        .unwrap();
    sync(&all).await;
    assert_eq!(
        states(&all).await,
        st(&[("s", "stopped"), ("a", "running")])
    );

    kill(&cycled, "c").await;
    assert_eq!(states(&cycled).await, st(&[("c", "running")]));
    assert_eq!(
        count(&drain(&mut events, &cycled), "auto_shutdown"),
        0,
        "the cycle dropped u without an auto shutdown"
    );
    assert_eq!(count(&drain(&mut events, &all), "auto_shutdown"), 0);
    assert_eq!(
        states(&top).await,
        st(&[("all", "running"), ("cycled", "running")])
    );
    system.shutdown().await;
}

// ==== API ====

/// §12.34: terminate/restart round trip (not counted), delete only when stopped, the error variants.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t34_management_round_trip_and_error_variants() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let a = Cfg::new("a", &j);
    let delayed = Backoff::exponential(Duration::from_secs(10), Duration::from_secs(60));
    let sup = Supervisor::builder()
        .max_restarts(1)
        .child(worker("a", &a))
        .child(worker("r", &Cfg::new("r", &j)).restart_delay(delayed))
        .child(worker("t", &Cfg::new("t", &j)).restart(Restart::Temporary))
        .build()
        .unwrap();
    let mut events = system.events();
    let (_top, sub) = nested(&system, sup).await;

    // Round trips, more than the limit allows restarts: none counts.
    for _ in 0..3 {
        bounded("terminate a", sub.terminate_child("a"))
            .await
            .unwrap();
        assert!(matches!(
            states(&sub).await.first(),
            Some((id, "stopped")) if id == "a"
        ));
        assert!(matches!(call(sub.restart_child("a")).await, Ok(Some(_))));
    }
    assert_eq!(a.starts(), 4);
    assert!(matches!(
        call(sub.restart_child("a")).await,
        Err(SupervisorError::Running)
    ));
    assert!(matches!(
        call(sub.delete_child("a")).await,
        Err(SupervisorError::Running)
    ));
    let dup = call(sub.start_child(worker("a", &a))).await;
    assert!(
        matches!(&dup, Err(SupervisorError::AlreadyStarted(r)) if *r == running(&sub, "a").await),
        "{dup:?}"
    );
    bounded("terminate a", sub.terminate_child("a"))
        .await
        .unwrap();
    assert!(matches!(
        call(sub.start_child(worker("a", &a))).await,
        Err(SupervisorError::AlreadyPresent)
    ));
    bounded("delete a", sub.delete_child("a")).await.unwrap();
    assert!(matches!(
        call(sub.restart_child("a")).await,
        Err(SupervisorError::NotFound)
    ));
    assert!(matches!(
        call(sub.delete_child("a")).await,
        Err(SupervisorError::NotFound)
    ));
    assert!(matches!(
        call(sub.terminate_child("zz")).await,
        Err(SupervisorError::NotFound)
    ));

    // Restarting: r waits 10 s on the clock for its restart.
    kill(&sub, "r").await;
    assert!(matches!(
        call(sub.restart_child("r")).await,
        Err(SupervisorError::Restarting)
    ));
    assert!(matches!(
        call(sub.delete_child("r")).await,
        Err(SupervisorError::Restarting)
    ));

    bounded("terminate t", sub.terminate_child("t"))
        .await
        .unwrap();
    assert_eq!(states(&sub).await, st(&[("r", "restarting")]));
    assert_eq!(
        count(&drain(&mut events, &sub), "gave_up"),
        0,
        "management calls are not restarts"
    );
    system.shutdown().await;
}

/// §12.35: `which_children` / `count_children` show running, stopped and restarting children.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t35_which_and_count_children_reflect_restarting_and_stopped() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let delayed = Backoff::exponential(Duration::from_secs(10), Duration::from_secs(60));
    let sup = Supervisor::builder()
        .child(worker("a", &Cfg::new("a", &j)))
        .child(worker("b", &Cfg::new("b", &j)))
        .child(worker("c", &Cfg::new("c", &j)).restart_delay(delayed))
        .child(ChildSpec::supervisor(
            "d",
            Supervisor::builder().build().unwrap(),
        ))
        .build()
        .unwrap();
    let mut events = system.events();
    let sup = supervise(&system, sup).await;
    bounded("terminate b", sup.terminate_child("b"))
        .await
        .unwrap();
    kill(&sup, "c").await;
    assert_eq!(
        states(&sup).await,
        st(&[
            ("a", "running"),
            ("b", "stopped"),
            ("c", "restarting"),
            ("d", "running")
        ])
    );
    let kinds: Vec<ChildKind> = call(sup.which_children())
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            ChildKind::Worker,
            ChildKind::Worker,
            ChildKind::Worker,
            ChildKind::Supervisor
        ]
    );
    assert_eq!(
        counts(&sup).await,
        ChildCounts {
            specs: 4,
            active: 2,
            supervisors: 1,
            workers: 3
        }
    );
    clock.advance(Duration::from_secs(10));
    restarted(&mut events, &sup, "c").await;
    assert_eq!(counts(&sup).await.active, 3);
    system.shutdown().await;
}

// ==== Messaging layer ====

/// §12.36: an ask times out (5 s), the late reply is a dead letter; an ask to a gone actor is `NotRunning`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t36_ask_timeout_late_reply_and_dead_actor() {
    quiet_panics();
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let mut events = system.events();
    let a = system.spawn(Probe::new(Cfg::new("a", &j)));
    let mut ask = pin!(a.ask(Msg::Hold));
    assert!(poll_once(&mut ask).await.is_pending());
    clock.advance(Duration::from_secs(5) - Duration::from_nanos(1));
    assert!(poll_once(&mut ask).await.is_pending(), "not before 5 s");
    clock.advance(Duration::from_nanos(1));
    assert_eq!(bounded("the ask", ask).await, Err(AskError::Timeout));
    a.tell(Msg::Release).ok().unwrap();
    let aid = a.id();
    event(&mut events, "the late reply's dead letter", |e| {
        matches!(e, SystemEvent::DeadLetter { to, reason: keel::DeadLetterReason::LateReply, .. } if *to == aid)
    })
    .await;

    let b = system.spawn(Probe::new(Cfg::new("b", &j)));
    assert_eq!(
        call(b.ask(Msg::PanicAsked)).await,
        Err(AskError::Exited(ExitReason::Panic("boom".into())))
    );
    let mut gone = pin!(b.ask(Msg::Ping));
    assert_eq!(
        poll_once(&mut gone).await,
        Poll::Ready(Err(AskError::NotRunning))
    );
    system.shutdown().await;
}

/// §12.37: links: abnormal exits kill a non-trapping peer, `Normal` does not, `kill` is untrappable (`Killed`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t37_link_rules() {
    quiet_panics();
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let notes = Notes::default();
    let spawn = |cfg: Cfg| system.spawn(Probe::new(cfg));

    let a = spawn(Cfg::new("a", &j));
    let b = spawn(Cfg::new("b", &j));
    a.link_with(&b).unwrap();
    b.tell(Msg::Panic).ok().unwrap();
    assert_eq!(
        bounded("a dies", a.wait_exit()).await,
        ExitReason::Panic("boom".into())
    );

    // c (not trapping) and then w (trapping) are linked to d: when w has
    // seen d's exit, c's signal was delivered before it.
    let c = spawn(Cfg::new("c", &j));
    let w = spawn(Cfg::new("w", &j).trap().notes(&notes));
    let d = spawn(Cfg::new("d", &j));
    c.link_with(&d).unwrap();
    call(w.ask(|r| Msg::Link(d.any(), r)))
        .await
        .unwrap()
        .unwrap();
    d.tell(Msg::StopWith(ExitReason::Normal)).ok().unwrap();
    assert_eq!(notes.recv().await, "exit:w:normal");
    assert_eq!(
        call(c.ask(Msg::Ping)).await,
        Ok(()),
        "a Normal exit spares c"
    );

    let e = spawn(Cfg::new("e", &j).trap());
    call(e.ask(Msg::Ping)).await.unwrap();
    call(w.ask(|r| Msg::Link(e.any(), r)))
        .await
        .unwrap()
        .unwrap();
    e.kill();
    assert_eq!(bounded("e dies", e.wait_exit()).await, ExitReason::Killed);
    assert_eq!(notes.recv().await, "exit:w:killed");
    system.shutdown().await;
}

/// §12.38: a monitor delivers exactly one `Down` with the reason; on a gone actor `Down(NoProc)` at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t38_monitor_rules() {
    quiet_panics();
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let notes = Notes::default();
    let w = system.spawn(Probe::new(Cfg::new("w", &j).notes(&notes)));
    let t = system.spawn(Probe::new(Cfg::new("t", &j)));
    call(w.ask(|r| Msg::Monitor(t.any(), r))).await.unwrap();
    t.tell(Msg::Panic).ok().unwrap();
    assert_eq!(notes.recv().await, "down:w:panic: boom");
    call(w.ask(|r| Msg::Monitor(t.any(), r))).await.unwrap();
    assert_eq!(notes.recv().await, "down:w:noproc");
    call(w.ask(Msg::Ping)).await.unwrap();
    let downs: Vec<String> = take(&j)
        .into_iter()
        .filter(|e| e.starts_with("down:"))
        .collect();
    assert_eq!(downs, strings(&["down:w:panic: boom", "down:w:noproc"]));
    system.shutdown().await;
}

// ==== §13 details ====

/// §13.1: starts run inside the supervisor's turn: a call made during a start is answered after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d13_01_starts_run_inside_the_supervisor() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let notes = Notes::default();
    let sup = Supervisor::builder()
        .child(worker("a", &Cfg::new("a", &j)))
        .build()
        .unwrap();
    let sup = supervise(&system, sup).await;
    let b = worker("b", &Cfg::new("b", &j).slow_start(SEC).notes(&notes));
    let start = tokio::spawn(sup.start_child(b));
    assert_eq!(notes.recv().await, "starting:b");
    // Queued at the supervisor now (a call is enqueued when it is made),
    // behind the start it is busy with.
    let counted = sup.count_children();
    clock.advance(SEC);
    assert!(matches!(
        bounded("start_child", start).await.unwrap(),
        Ok(Some(_))
    ));
    assert_eq!(
        bounded("count_children", counted).await.unwrap(),
        ChildCounts {
            specs: 2,
            active: 2,
            supervisors: 0,
            workers: 2
        }
    );
    system.shutdown().await;
}

/// §13.2: `terminate_child` between failed retries returns `Ok`, leaves the child stopped, drops the retry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d13_02_terminate_between_retries_drops_the_retry() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let notes = Notes::default();
    let x = Cfg::new("x", &j).notes(&notes);
    let sub = Supervisor::builder()
        .max_restarts(1)
        .child(worker("x", &x))
        .child(worker("y", &Cfg::new("y", &j)))
        .build()
        .unwrap();
    let mut events = system.events();
    let (_top, sub) = nested(&system, sub).await;
    drain(&mut events, &sub);
    // The restart's start is slow and fails: terminate_child, made while it
    // runs, queues ahead of the retry its failure sends.
    x.fail_next(u32::MAX).slow_next(1);
    running(&sub, "x").await.kill();
    assert_eq!(notes.recv().await, "starting:x");
    let terminated = sub.terminate_child("x");
    clock.advance(SEC);
    bounded("terminate_child", terminated).await.unwrap();
    sync(&sub).await;
    assert_eq!(
        drain(&mut events, &sub),
        strings(&[
            "exited:x:killed",
            "terminated:x:killed",
            "start_error:x:error: no start"
        ]),
        "one attempt, no retry, no give-up"
    );
    assert_eq!(
        states(&sub).await,
        st(&[("x", "stopped"), ("y", "running")])
    );
    assert_eq!(x.starts(), 2);
    x.fail_next(0);
    assert!(matches!(call(sub.restart_child("x")).await, Ok(Some(_))));
    system.shutdown().await;
}

/// §13.2: a pending retry of a child that a one_for_all cycle restarted meanwhile is ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d13_02_retry_superseded_by_a_cycle_is_ignored() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let a = Cfg::new("a", &j);
    let sub = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .max_restarts(2)
        .child(worker("b", &Cfg::new("b", &j)))
        .child(worker("a", &a))
        .build()
        .unwrap();
    let mut events = system.events();
    let (_top, sub) = nested(&system, sub).await;
    drain(&mut events, &sub);
    *a.kill_on_fail.lock().unwrap() = Some(running(&sub, "b").await);
    a.fail_next(1);
    kill(&sub, "a").await;
    sync(&sub).await;
    assert_eq!(
        drain(&mut events, &sub),
        strings(&[
            "exited:a:killed",
            "terminated:a:killed",
            "started:b",
            "restarted:b",
            "start_error:a:error: no start",
            "exited:b:killed",
            "terminated:b:killed",
            "started:b",
            "restarted:b",
            "started:a",
            "restarted:a"
        ])
    );
    assert_eq!(
        states(&sub).await,
        st(&[("b", "running"), ("a", "running")])
    );
    system.shutdown().await;
}

/// §13.3: `Killed` after a shutdown timeout is a `ShutdownError`, for transient and temporary children too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d13_03_killed_after_timeout_is_shutdown_error() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let notes = Notes::default();
    let hang = |name| Cfg::new(name, &j).stop(StopMode::Hang).notes(&notes);
    let sup = Supervisor::builder()
        .child(
            worker("t", &hang("t"))
                .restart(Restart::Transient)
                .shutdown(Shutdown::Timeout(SEC)),
        )
        .child(
            worker("u", &hang("u"))
                .restart(Restart::Temporary)
                .shutdown(Shutdown::Timeout(SEC)),
        )
        .build()
        .unwrap();
    let mut events = system.events();
    let sup = supervise(&system, sup).await;
    drain(&mut events, &sup);
    for id in ["t", "u"] {
        let stop = tokio::spawn(sup.terminate_child(id));
        assert_eq!(notes.recv().await, format!("stopping:{id}"));
        clock.advance(SEC);
        bounded("terminate_child", stop).await.unwrap().unwrap();
        assert_eq!(
            drain(&mut events, &sup),
            strings(&[&format!("shutdown_error:{id}:killed")])
        );
    }
    assert_eq!(states(&sup).await, st(&[("t", "stopped")]));
    system.shutdown().await;
}

/// §13.4, deviation: `which_children` is in start order (OTP: newest first), the order starts and stops use.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d13_04_deviation_which_children_in_start_order() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let sup = Supervisor::builder()
        .child(worker("a", &Cfg::new("a", &j)))
        .child(worker("b", &Cfg::new("b", &j)))
        .build()
        .unwrap();
    let sup = supervise(&system, sup).await;
    call(sup.start_child(worker("c", &Cfg::new("c", &j))))
        .await
        .unwrap();
    assert_eq!(
        states(&sup).await,
        st(&[("a", "running"), ("b", "running"), ("c", "running")])
    );
    system.shutdown().await;
}

/// §13.5, deviation: `link` to a gone actor is `Err(LinkError::NoProc)` (OTP: a `noproc` signal), so it cannot kill the caller.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d13_05_deviation_link_to_dead_actor_is_err_noproc() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let a = system.spawn(Probe::new(Cfg::new("a", &j)));
    let b = system.spawn(Probe::new(Cfg::new("b", &j)));
    b.stop();
    assert_eq!(bounded("b ends", b.wait_exit()).await, ExitReason::Shutdown);
    assert_eq!(a.link_with(&b), Err(LinkError::NoProc));
    assert_eq!(
        call(a.ask(|r| Msg::Link(b.any(), r))).await.unwrap(),
        Err(LinkError::NoProc)
    );
    assert_eq!(call(a.ask(Msg::Ping)).await, Ok(()), "a is unharmed");
    system.shutdown().await;
}

/// §13.6: a permanent child exiting `Normal` is reported (`ChildTerminated`) and restarted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d13_06_permanent_normal_exit_is_restarted_and_reported() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let sup = Supervisor::builder()
        .child(worker("x", &Cfg::new("x", &j)))
        .build()
        .unwrap();
    let mut events = system.events();
    let sup = supervise(&system, sup).await;
    drain(&mut events, &sup);
    probe(&sup, "x")
        .await
        .tell(Msg::StopWith(ExitReason::Normal))
        .ok()
        .unwrap();
    assert_eq!(exited(&mut events, &sup, "x").await, ExitReason::Normal);
    sync(&sup).await;
    assert_eq!(
        drain(&mut events, &sup),
        strings(&["terminated:x:normal", "started:x", "restarted:x"])
    );
    assert_eq!(states(&sup).await, st(&[("x", "running")]));
    system.shutdown().await;
}

/// §13.7: one_for_all and rest_for_one also restart a sibling stopped by `terminate_child`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d13_07_cycles_restart_terminated_siblings() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let abc = |strategy| {
        Supervisor::builder()
            .strategy(strategy)
            .child(worker("a", &Cfg::new("a", &j)))
            .child(worker("b", &Cfg::new("b", &j)))
            .child(worker("c", &Cfg::new("c", &j)))
            .build()
            .unwrap()
    };
    let top = Supervisor::builder()
        .child(ChildSpec::supervisor("all", abc(Strategy::OneForAll)))
        .child(ChildSpec::supervisor("rest", abc(Strategy::RestForOne)))
        .build()
        .unwrap();
    let top = supervise(&system, top).await;
    let (all, rest) = (sub_of(&top, "all").await, sub_of(&top, "rest").await);
    bounded("terminate a", all.terminate_child("a"))
        .await
        .unwrap();
    kill(&all, "c").await;
    assert_eq!(
        states(&all).await,
        st(&[("a", "running"), ("b", "running"), ("c", "running")])
    );
    bounded("terminate c", rest.terminate_child("c"))
        .await
        .unwrap();
    kill(&rest, "b").await;
    assert_eq!(
        states(&rest).await,
        st(&[("a", "running"), ("b", "running"), ("c", "running")])
    );
    system.shutdown().await;
}

/// §13.8: with intensity N and a child that never starts, exactly N failed attempts, then a give-up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d13_08_n_failed_attempts_then_give_up() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let x = Cfg::new("x", &j);
    let sub = Supervisor::builder()
        .max_restarts(4)
        .child(worker("x", &x))
        .build()
        .unwrap();
    let mut events = system.events();
    let (_top, sub) = nested(&system, sub).await;
    drain(&mut events, &sub);
    x.fail_next(u32::MAX);
    running(&sub, "x").await.kill();
    let seen = collect(&mut events, &sub, "gave_up:").await;
    assert_eq!(count(&seen, "start_error:x:error: no start"), 4, "{seen:?}");
    assert_eq!(seen.last().unwrap(), "gave_up:x:error: no start");
    bounded("sub ends", sub.wait_exit()).await;
    assert_eq!(x.starts(), 1 + 4);
    system.shutdown().await;
}

/// §13.9: a transient sub that gives up exits `Shutdown`; its parent neither restarts nor reports it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d13_09_transient_sub_that_gives_up_is_not_restarted_nor_reported() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let sub = Supervisor::builder()
        .max_restarts(0)
        .child(worker("x", &Cfg::new("x", &j)))
        .build()
        .unwrap();
    let mut events = system.events();
    let (top, sub) = nested(&system, sub).await;
    drain(&mut events, &top);
    running(&sub, "x").await.kill();
    assert_eq!(
        bounded("sub ends", sub.wait_exit()).await,
        ExitReason::Shutdown
    );
    sync(&top).await;
    assert_eq!(drain(&mut events, &top), strings(&["exited:sub:shutdown"]));
    assert_eq!(states(&top).await, st(&[("sub", "stopped")]));
    system.shutdown().await;
}

/// §13.10: no `{ok, Pid, Info}` and no `modules`: starts answer `Option<AnyRef>`, `ChildInfo` is id, state, kind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d13_10_no_info_and_no_modules() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let sup = supervise(&system, Supervisor::builder().build().unwrap()).await;
    let started: Result<Option<AnyRef>, SupervisorError> =
        call(sup.start_child(worker("a", &Cfg::new("a", &j)))).await;
    let a = started.unwrap().expect("a runs");
    let infos = call(sup.which_children()).await.unwrap();
    let [ChildInfo { id, state, kind }] = infos.as_slice() else {
        panic!("one child expected: {infos:?}");
    };
    assert_eq!(
        (&**id, state, *kind),
        ("a", &ChildState::Running(a), ChildKind::Worker)
    );
    system.shutdown().await;
}

/// §13.11: a failed `start_child` / `restart_child` returns the error to the caller, with no `StartError`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d13_11_failed_management_start_goes_to_the_caller_unreported() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let a = Cfg::new("a", &j);
    let sup = Supervisor::builder()
        .child(worker("a", &a))
        .build()
        .unwrap();
    let mut events = system.events();
    let sup = supervise(&system, sup).await;
    drain(&mut events, &sup);

    let b = Cfg::new("b", &j);
    b.fail_next(1);
    let failed = bounded("start_child", sup.start_child(worker("b", &b))).await;
    assert!(
        matches!(&failed, Err(SupervisorError::StartFailed { id, reason })
            if &**id == "b" && *reason == error("no start")),
        "{failed:?}"
    );
    assert_eq!(states(&sup).await, st(&[("a", "running")]));

    bounded("terminate a", sup.terminate_child("a"))
        .await
        .unwrap();
    a.fail_next(1);
    let failed = bounded("restart_child", sup.restart_child("a")).await;
    assert!(
        matches!(&failed, Err(SupervisorError::StartFailed { id, reason })
            if &**id == "a" && *reason == error("no start")),
        "{failed:?}"
    );
    assert_eq!(states(&sup).await, st(&[("a", "stopped")]));
    assert!(drain(&mut events, &sup).is_empty(), "no start_error report");
    system.shutdown().await;
}

/// §13.12: a child exit queued before the parent's shutdown request is handled first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d13_12_child_exit_queued_before_the_parents_shutdown_is_handled_first() {
    quiet_panics();
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let sub = Supervisor::builder()
        .child(worker("x", &Cfg::new("x", &j)))
        .build()
        .unwrap();
    let mut events = system.events();
    let (top, sub) = nested(&system, sub).await;
    drain(&mut events, &sub);
    let x = probe(&sub, "x").await;
    // x crashes by itself (its run loop lets go of its address before its
    // exit is announced, so the restart is not held up), and the exit
    // signal queues at the suspended supervisor; then the parent's
    // shutdown request queues behind it.
    suspend(&sub);
    x.tell(Msg::Panic).ok().unwrap();
    let any = sub.any();
    until("x's exit queued at the supervisor", || {
        any.mailbox_len() >= 1
    })
    .await;
    let stop = tokio::spawn(top.terminate_child("sub"));
    until(
        "the parent's shutdown request queued behind x's exit",
        || any.mailbox_len() >= 2,
    )
    .await;
    resume(&sub);
    bounded("terminate sub", stop).await.unwrap().unwrap();
    assert_eq!(
        drain(&mut events, &sub),
        strings(&[
            "exited:x:panic: boom",
            "terminated:x:panic: boom",
            "started:x",
            "restarted:x"
        ])
    );
    system.shutdown().await;
}

/// DESIGN.md §4/§5, deviation: a restarted child keeps its address (OTP: new pid), so refs held elsewhere stay valid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deviation_restarted_child_keeps_its_address() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let sup = Supervisor::builder()
        .child(worker("x", &Cfg::new("x", &j)))
        .build()
        .unwrap();
    let sup = supervise(&system, sup).await;
    let x = probe(&sup, "x").await;
    let before = call(x.ask(Msg::Pid)).await.unwrap();
    x.kill();
    sync(&sup).await;
    assert_eq!(running(&sup, "x").await.id(), x.id(), "same address");
    let after = call(x.ask(Msg::Pid)).await.unwrap();
    assert_ne!(before, after, "a new incarnation");
    system.shutdown().await;
}

// ==== Robustness (found in review; not in OTP's list) ====

/// A child killed inside a handler that does not yield (a zombie that keeps
/// its worker, DESIGN.md §4) does not hold its supervisor up: calls are
/// served meanwhile with the child `Restarting`, and it restarts, on the same
/// address, once the handler returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r01_a_zombie_child_does_not_block_its_supervisor() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let notes = Notes::default();
    let sup = Supervisor::builder()
        .child(worker("z", &Cfg::new("z", &j).notes(&notes)))
        .child(worker("w", &Cfg::new("w", &j)))
        .build()
        .unwrap();
    let sup = supervise(&system, sup).await;
    let z = probe(&sup, "z").await;
    let (release, blocked) = std::sync::mpsc::channel();
    z.tell(Msg::Block(blocked)).ok().unwrap();
    assert_eq!(notes.recv().await, "blocking:z");
    z.kill();
    assert_eq!(
        states(&sup).await,
        st(&[("z", "restarting"), ("w", "running")]),
        "served while z's handler still holds its worker"
    );
    release.send(()).unwrap();
    sync(&sup).await;
    assert_eq!(
        states(&sup).await,
        st(&[("z", "running"), ("w", "running")])
    );
    assert_eq!(call(z.ask(Msg::Ping)).await, Ok(()), "the same address");
    system.shutdown().await;
}

/// `wait_exit` on a child resolves once its supervisor closes its address,
/// even when the supervisor got there before the child's run loop (a brutal
/// kill, or the supervisor itself killed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r02_wait_exit_resolves_when_the_supervisor_closes_the_address() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let sub = Supervisor::builder()
        .child(worker("x", &Cfg::new("x", &j)).shutdown(Shutdown::BrutalKill))
        .child(worker("y", &Cfg::new("y", &j)))
        .build()
        .unwrap();
    let (_top, sub) = nested(&system, sub).await;
    let x = running(&sub, "x").await;
    let y = running(&sub, "y").await;
    call(sub.terminate_child("x")).await.unwrap();
    assert_eq!(
        bounded("x's wait_exit", x.wait_exit()).await,
        ExitReason::Shutdown
    );
    sub.any().kill();
    assert_eq!(
        bounded("y's wait_exit", y.wait_exit()).await,
        ExitReason::Killed
    );
    system.shutdown().await;
}

/// A child factory that panics is a start failure (OTP: an exception in a
/// start function), not the supervisor's crash.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r03_a_panicking_factory_is_a_start_failure() {
    quiet_panics();
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let sup = Supervisor::builder()
        .child(worker("a", &Cfg::new("a", &j)))
        .build()
        .unwrap();
    let sup = supervise(&system, sup).await;
    let spec = ChildSpec::worker("p", || -> Probe { panic!("no factory") });
    let result = call(sup.start_child(spec)).await;
    assert!(
        matches!(&result, Err(SupervisorError::StartFailed { id, reason: ExitReason::Panic(m) })
            if &**id == "p" && &**m == "no factory"),
        "{result:?}"
    );
    assert_eq!(states(&sup).await, st(&[("a", "running")]));
    system.shutdown().await;
}

/// `system.shutdown()` stops a tree by its children's own shutdown specs, in
/// reverse start order: a child that takes its whole timeout does not cut
/// its earlier siblings' `stopped` short (the System's shutdown timeout is
/// for actors outside the trees).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r04_system_shutdown_stops_a_tree_by_its_specs() {
    let clock = ManualClock::new();
    // A System timeout far shorter than the tree's: it must not apply.
    let system = System::builder()
        .workers(2)
        .clock(&clock)
        .shutdown_timeout(Duration::from_millis(1))
        .build()
        .expect("a System");
    let j = journal();
    let notes = Notes::default();
    let sup = Supervisor::builder()
        .child(worker("a", &Cfg::new("a", &j).trap()))
        .child(worker(
            "b",
            &Cfg::new("b", &j)
                .stop(StopMode::Slow(Duration::from_secs(60)))
                .notes(&notes),
        ))
        .build()
        .unwrap();
    let mut events = system.events();
    let sup = supervise(&system, sup).await;
    take(&j);
    let done = tokio::spawn(system.shutdown());
    assert_eq!(notes.recv().await, "stopping:b");
    clock.advance(Duration::from_secs(5));
    bounded("the shutdown", done).await.unwrap();
    assert_eq!(take(&j), strings(&["stop-begin:b", "stop:a:shutdown"]));
    let seen: Vec<String> = std::iter::from_fn(|| events.try_next())
        .filter_map(|e| describe(&e, sup.id()))
        .collect();
    assert_eq!(count(&seen, "shutdown_error:b:killed"), 1, "{seen:?}");
}

/// Blocks its worker in `started` until released, after telling the test
/// its own ref.
struct Stuck {
    release: Arc<Mutex<Option<std::sync::mpsc::Receiver<()>>>>,
    me: std::sync::mpsc::Sender<AnyRef>,
}

impl Actor for Stuck {
    type Msg = ();
    type Error = Failure;

    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<Start, Failure> {
        let _ = self.me.send(ctx.myself().any());
        let release = self.release.lock().unwrap().take();
        if let Some(release) = release {
            let _ = release.recv();
        }
        Ok(Start::Ready)
    }

    async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Failure> {
        Ok(())
    }
}

/// A kill while a child's `started` blocks its worker fails the start at
/// once (DESIGN.md §4: nothing waits on a hook that does not yield): the
/// supervisor answers `start_child` and goes on serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r05_a_kill_during_a_stuck_started_fails_the_start_at_once() {
    let clock = ManualClock::new();
    let system = system(&clock);
    let j = journal();
    let sup = Supervisor::builder()
        .child(worker("a", &Cfg::new("a", &j)))
        .build()
        .unwrap();
    let sup = supervise(&system, sup).await;
    let (release_tx, release_rx) = std::sync::mpsc::channel();
    let (me_tx, me_rx) = std::sync::mpsc::channel();
    let release = Arc::new(Mutex::new(Some(release_rx)));
    let spec = ChildSpec::worker("stuck", move || Stuck {
        release: release.clone(),
        me: me_tx.clone(),
    });
    let start = tokio::spawn(sup.start_child(spec));
    let stuck = bounded(
        "the child's ref",
        tokio::task::spawn_blocking(move || me_rx.recv()),
    )
    .await
    .unwrap()
    .unwrap();
    stuck.kill();
    let result = bounded("start_child", start).await.unwrap();
    assert!(
        matches!(&result, Err(SupervisorError::StartFailed { id, reason: ExitReason::Killed }) if &**id == "stuck"),
        "{result:?}"
    );
    assert_eq!(
        states(&sup).await,
        st(&[("a", "running")]),
        "served meanwhile"
    );
    release_tx.send(()).unwrap();
    system.shutdown().await;
}
