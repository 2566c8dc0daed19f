//! Spawning, and the run loop of one incarnation.
//!
//! `run_incarnation` is one future per incarnation (an async block, generic
//! over the actor), so a hook's future lives inline in the task: no boxing
//! per message. It
//! reads one item at a time (control lane, then `continue_with` messages,
//! then the user lane), runs the matching hook through [`poll_hook`]
//! (`catch_unwind` around every poll, `kill` checked before each poll and
//! while the hook is suspended), and hands the outcome to one interpreter,
//! [`Step::after_hook`]. The exit sequence is in `exit`; the [`RunGuard`]
//! does the same clean-up if the task is dropped before it finishes (a
//! System shutting down, a spawn refused).
//!
//! [`ActorTask`] wraps the run loop's future: per poll (a turn of up to
//! `throughput` messages) it enters the actor's tracing span, marks the
//! thread as running this actor (for `WouldDeadlock` and late replies) and
//! installs the actor's reply scope (see `ask`).
use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context as TaskContext, Poll};

use crate::actor::address::{
    ActorId, Address, AnyAddress, Control, Envelope, Incarnation, Pid, Signal,
};
use crate::actor::ask::{failed_so_far, failing, in_turn};
use crate::actor::context::Context;
use crate::actor::error::StartError;
use crate::actor::events::DeadLetterReason;
use crate::actor::exit::{panic_message, ExitReason};
use crate::actor::kernel::{as_blocking_thread, Kernel, MessageAction, StartAction};
use crate::actor::refs::{link, ActorRef};
use crate::actor::{Actor, ActorConfig, Start};
use crate::core::mailbox::{Mailbox, Next, Receiver, TryRecvError};
use crate::core::reply::reply_slot;
use crate::core::task::coop;
use crate::sync::Ordering;

type Rx<A> = Receiver<Envelope<A>, Control>;
type ReadyTx = crate::actor::address::ReadySender;
pub(crate) type BeforeRun = Box<dyn FnOnce(&Arc<Incarnation>) -> Result<(), ExitReason> + Send>;

/// How an incarnation is attached.
#[derive(Default)]
pub(crate) struct SpawnOptions {
    /// The parent (a supervisor): its exit signals end the child even when
    /// it traps exits.
    pub(crate) parent: Option<Pid>,
    /// Linked to this incarnation before it runs.
    pub(crate) link: Option<Arc<Incarnation>>,
    /// A supervisor will attach the next incarnation: an ended one leaves
    /// the address `Restarting`.
    pub(crate) supervised: bool,
    /// Told the outcome of `started`.
    pub(crate) ready: Option<ReadyTx>,
    /// Runs on this dispatcher instead of the one the actor's type names
    /// (a child spec's `dispatcher`).
    pub(crate) dispatcher: Option<std::borrow::Cow<'static, str>>,
    /// Called with the new incarnation before it runs (a supervisor
    /// registers the child's name here); `Err` fails the start with that
    /// reason, `started` not run.
    pub(crate) before_run: Option<BeforeRun>,
}

/// Spawns `actor` on a new address; returns at once.
pub(crate) fn spawn<A: Actor>(kernel: &Arc<Kernel>, actor: A, opts: SpawnOptions) -> ActorRef<A> {
    spawn_child(kernel, actor, opts).0
}

/// `spawn`, returning the first incarnation too (a supervisor's child).
pub(crate) fn spawn_child<A: Actor>(
    kernel: &Arc<Kernel>,
    actor: A,
    opts: SpawnOptions,
) -> (ActorRef<A>, Arc<Incarnation>) {
    let config = config_for::<A>(&opts);
    let mailbox = config.mailbox.unwrap_or(kernel.config.default_mailbox);
    let (tx, rx) = Mailbox::with_config(mailbox.capacity, mailbox.track_high_water);
    kernel.check_message_size(
        std::any::type_name::<A::Msg>(),
        std::mem::size_of::<A::Msg>(),
    );
    let addr = Address::new(
        ActorId(kernel.next_id()),
        kernel.clone(),
        tx,
        mailbox.overflow,
        std::any::type_name::<A>(),
        opts.supervised,
    );
    let inc = start_incarnation(&addr, Some(rx), actor, opts, &config);
    (ActorRef { addr }, inc)
}

/// Spawns `actor` and waits until its `started` has returned.
pub(crate) async fn spawn_ready<A: Actor>(
    kernel: &Arc<Kernel>,
    actor: A,
    mut opts: SpawnOptions,
) -> Result<ActorRef<A>, StartError> {
    let (tx, mut rx) = reply_slot();
    opts.ready = Some(tx);
    let actor = spawn(kernel, actor, opts);
    match poll_fn(|cx| rx.poll_recv(cx)).await {
        Ok(Ok(())) => Ok(actor),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(StartError::ShuttingDown),
    }
}

/// Attaches a new incarnation to an address whose last one ended (a
/// supervisor's restart). Messages queued meanwhile go to the new one.
pub(crate) fn respawn<A: Actor>(
    addr: &Arc<Address<A>>,
    actor: A,
    opts: SpawnOptions,
) -> Arc<Incarnation> {
    let config = config_for::<A>(&opts);
    start_incarnation(addr, None, actor, opts, &config)
}

/// The actor type's configuration, with the spawn's dispatcher if it names one.
fn config_for<A: Actor>(opts: &SpawnOptions) -> ActorConfig {
    let mut config = A::config();
    if let Some(d) = &opts.dispatcher {
        config.dispatcher = Some(d.clone());
        config.blocking = false;
    }
    config
}

/// No incarnation will follow on `addr`: closes it with `reason`; queued
/// tells become dead letters and queued asks fail with `Exited(reason)`.
pub(crate) fn close_address<A: Actor>(addr: &Arc<Address<A>>, reason: &ExitReason) {
    if let Some(rx) = addr.close_final(reason) {
        drain(addr, rx, reason);
    }
}

fn start_incarnation<A: Actor>(
    addr: &Arc<Address<A>>,
    rx: Option<Rx<A>>,
    actor: A,
    opts: SpawnOptions,
    config: &ActorConfig,
) -> Arc<Incarnation> {
    let kernel = &addr.kernel;
    let pid = Pid(kernel.next_id());
    let weak: Weak<dyn AnyAddress> = Arc::downgrade(addr) as Weak<dyn AnyAddress>;
    let inc = Arc::new(Incarnation::new(pid, addr.id, weak, opts.parent));
    *inc.ready.lock() = opts.ready;
    // Live before current: a kill that finds it current also finds it
    // live, so the live count cannot be left one too high.
    kernel.live.insert(&inc);
    addr.set_current(inc.clone());
    if let Some(peer) = &opts.link {
        // The linking parent is running this call; if it is being killed
        // right now, the child gets its exit signal like any link would.
        if link(&inc, peer).is_err() {
            inc.signal(Signal::Exit(crate::actor::address::ExitSignal {
                to: pid,
                from: peer.any_ref(),
                from_pid: Some(peer.pid),
                reason: peer.exit_reason().unwrap_or(ExitReason::NoProc),
                from_parent: opts.parent == Some(peer.pid),
            }));
        }
    }
    let ctx = Context::new(ActorRef { addr: addr.clone() }, inc.clone(), kernel.clone());
    let mut guard = RunGuard {
        addr: addr.clone(),
        inc: inc.clone(),
        rx,
        ctx: Some(ctx),
        start_error: None,
        done: false,
    };
    let scheduler = match &config.dispatcher {
        _ if config.blocking => None,
        None => Some(&kernel.scheduler),
        Some(name) => match kernel.dispatchers.get(name.as_ref()) {
            Some(s) => Some(s),
            None => {
                // Dropping the guard ends the incarnation with this error.
                guard.start_error = Some(StartError::UnknownDispatcher(name.to_string()));
                drop(actor);
                drop(guard);
                return inc;
            }
        },
    };
    if kernel.is_shutting_down() {
        guard.start_error = Some(StartError::ShuttingDown);
        drop(actor);
        drop(guard);
        return inc;
    }
    if let Some(before_run) = opts.before_run {
        if let Err(reason) = before_run(&inc) {
            guard.start_error = Some(StartError::Failed(reason));
            drop(actor);
            drop(guard);
            return inc;
        }
    }
    let name = config.name.as_deref().unwrap_or(addr.type_name);
    let task = ActorTask {
        inner: ManuallyDrop::new(run_incarnation(guard, actor)),
        inc: inc.clone(),
        kernel: kernel.clone(),
        span: tracing::debug_span!("actor", id = %addr.id, %pid, actor = name),
    };
    match scheduler {
        // A refused spawn (shutdown began meanwhile) drops the task: the
        // guard ends the incarnation.
        Some(scheduler) => drop(scheduler.spawn(task)),
        None => {
            let kernel = kernel.clone();
            let thread = format!("{}-blocking", kernel.config.name);
            let spawned = crate::sync::spawn_named(thread, move || {
                let _enter = kernel.tokio.enter();
                as_blocking_thread(|| crate::core::blocking::block_on(task));
                kernel.leave_thread();
            });
            if let Err(e) = spawned {
                tracing::error!(actor = %addr.id, "no thread for a blocking actor: {e}");
            }
        }
    }
    inc
}

// ---- the task wrapper ----

struct ActorTask<F> {
    /// Dropped by `Drop` (in place), inside a `failing` scope.
    inner: ManuallyDrop<F>,
    inc: Arc<Incarnation>,
    kernel: Arc<Kernel>,
    span: tracing::Span,
}

impl<F: Future<Output = ()>> Future for ActorTask<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        // SAFETY: `inner` is structurally pinned: it is never moved out of
        // `ActorTask` (no method returns it by value, and `Drop` drops it in
        // place); the other fields are not pinned and are only used through
        // `&mut`.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above; `this` came from a pinned reference.
        let inner = unsafe { Pin::new_unchecked(&mut *this.inner) };
        let _span = this.span.enter();
        this.kernel.enter_thread();
        in_turn(&this.inc, || inner.poll(cx))
    }
}

impl<F> Drop for ActorTask<F> {
    fn drop(&mut self) {
        // A task dropped before its run loop finished (its scheduler is
        // stopping) may hold requests: in a handler's future, or in the
        // state `stopped` was running with. They fail with the
        // incarnation's reason, not `NoReply`.
        let reason = self.inc.exit_reason().unwrap_or(ExitReason::Shutdown);
        let inner = &mut self.inner;
        failing(&reason, || {
            // SAFETY: `inner` is dropped exactly once, here, where it lies
            // (it was pinned there), and never used again.
            unsafe { ManuallyDrop::drop(inner) }
        });
    }
}

// ---- the run loop ----

/// What a hook's poll ended with.
enum Outcome<T> {
    Done(T),
    Panicked(Arc<str>),
    Killed,
}

/// What the run loop does next.
enum Step {
    Continue,
    Exit { reason: ExitReason, stopped: bool },
}

impl Step {
    /// The one interpreter of hook outcomes: `Ok` continues, `Err` and a
    /// panic end the actor (running `stopped`), a kill ends it at once.
    /// Settles the requests the hook dropped unanswered.
    fn after_hook<E>(outcome: Outcome<Result<(), E>>, inc: &Incarnation) -> Step
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        let step = match outcome {
            Outcome::Done(Ok(())) => Step::Continue,
            Outcome::Done(Err(e)) => Step::Exit {
                reason: ExitReason::error(e),
                stopped: true,
            },
            Outcome::Panicked(m) => Step::Exit {
                reason: ExitReason::Panic(m),
                stopped: true,
            },
            Outcome::Killed => Step::Exit {
                reason: ExitReason::Killed,
                stopped: false,
            },
        };
        // On exit, what the hook left unanswered is failed by `exit`, with
        // this reason, once an unsupervised address is closed: an asker who
        // learns of the exit finds the actor gone.
        if let Step::Continue = step {
            inc.deferred.settle(None);
        }
        step
    }
}

/// Polls a hook's future: `catch_unwind` around each poll, `kill` checked
/// before each poll and registered for while it is suspended.
fn poll_hook<F: Future>(
    fut: Pin<&mut F>,
    cx: &mut TaskContext<'_>,
    rx: &mut Rx<impl Actor>,
    inc: &Incarnation,
    id: ActorId,
    check_kill: bool,
) -> Poll<Outcome<F::Output>> {
    if check_kill && inc.killed.load(Ordering::Acquire) {
        return Poll::Ready(Outcome::Killed);
    }
    crate::actor::kernel::slot_begin(id, inc.pid);
    let polled = catch_unwind(AssertUnwindSafe(|| fut.poll(cx)));
    crate::actor::kernel::slot_end();
    match polled {
        Ok(Poll::Ready(v)) => Poll::Ready(Outcome::Done(v)),
        Err(payload) => Poll::Ready(Outcome::Panicked(panic_message(&*payload))),
        Ok(Poll::Pending) => {
            // A kill must reach a suspended hook: the control lane wakes
            // this task too.
            rx.register(cx.waker());
            if inc.killed.load(Ordering::Acquire) {
                Poll::Ready(Outcome::Killed)
            } else {
                Poll::Pending
            }
        }
    }
}

/// Runs one hook future to its outcome.
async fn hook<F: Future>(
    fut: F,
    rx: &mut Rx<impl Actor>,
    inc: &Incarnation,
    id: ActorId,
) -> Outcome<F::Output> {
    let mut fut = std::pin::pin!(fut);
    poll_fn(|cx| poll_hook(fut.as_mut(), cx, rx, inc, id, true)).await
}

/// Handles one message. A kill that came first leaves it unhandled, and
/// counted (a dead letter, or its ask failed with `Killed`); one that comes
/// once its first poll began takes effect at the next poll.
async fn handle_msg<A: Actor>(
    actor: &mut A,
    msg: A::Msg,
    ctx: &mut Context<A>,
    rx: &mut Rx<A>,
    addr: &Address<A>,
    inc: &Incarnation,
) -> Outcome<Result<(), A::Error>> {
    if inc.killed.load(Ordering::Acquire) {
        failing(&ExitReason::Killed, || discard(addr, msg));
        return Outcome::Killed;
    }
    let mut fut = std::pin::pin!(actor.handle(msg, ctx));
    let mut first = true;
    poll_fn(|cx| {
        // Checked just above for the first poll: the message must not be
        // dropped inside a future that never ran.
        let check_kill = !std::mem::take(&mut first);
        poll_hook(fut.as_mut(), cx, rx, inc, addr.id, check_kill)
    })
    .await
}

/// The next item to handle.
enum Item<A: Actor> {
    Msg(A::Msg),
    Stop,
    /// A signal, and whether it came on the user lane: an exit signal
    /// there was trapped when it arrived, and stays an `on_exit` (OTP: once
    /// an `'EXIT'` message, always one).
    Signal(Box<Signal>, bool),
    Killed,
    /// The mailbox closed and is drained.
    Closed,
}

/// The next item: the control lane first, then `continue_with` messages
/// (each spending a unit of the turn's budget, like a mailbox message), then
/// the user lane. `Ready(None)`: nothing to handle, look again.
fn poll_item<A: Actor>(
    cx: &mut TaskContext<'_>,
    rx: &mut Rx<A>,
    addr: &Address<A>,
    inc: &Incarnation,
    continues: &mut VecDeque<A::Msg>,
) -> Poll<Option<Item<A>>> {
    if inc.killed.load(Ordering::Acquire) {
        return Poll::Ready(Some(Item::Killed));
    }
    if !continues.is_empty() {
        if let Some(c) = rx.try_recv_control() {
            return Poll::Ready(item_of(Next::Control(c), inc));
        }
        if !coop::has_budget() {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        coop::consume();
        return Poll::Ready(continues.pop_front().map(Item::Msg));
    }
    let next = if addr.suspended.load(Ordering::Acquire) {
        // Suspended (testing): the control lane only.
        match rx.try_recv_control() {
            Some(c) => Next::Control(c),
            None => {
                addr.resume_waker.register(cx.waker());
                rx.register(cx.waker());
                // A kill (which sets `killed` before it wakes either waker)
                // or a resume may have come before the registrations.
                if inc.killed.load(Ordering::Acquire) {
                    return Poll::Ready(Some(Item::Killed));
                }
                if addr.suspended.load(Ordering::Acquire) && !rx.has_control() {
                    return Poll::Pending;
                }
                return Poll::Ready(None);
            }
        }
    } else {
        match rx.poll_next(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Err(_)) => return Poll::Ready(Some(Item::Closed)),
            Poll::Ready(Ok(next)) => next,
        }
    };
    Poll::Ready(item_of(next, inc))
}

/// What a mailbox item asks of the run loop (`None`: nothing).
fn item_of<A: Actor>(next: Next<Envelope<A>, Control>, inc: &Incarnation) -> Option<Item<A>> {
    Some(match next {
        Next::Control(Control::Kill(pid)) if pid == inc.pid => Item::Killed,
        // A kill for an earlier incarnation: nothing to do.
        Next::Control(Control::Kill(_)) => return None,
        Next::Control(Control::Stop) | Next::User(Envelope::Stop) => Item::Stop,
        Next::Control(Control::Signal(s)) => Item::Signal(s, false),
        Next::User(Envelope::Signal(s)) => Item::Signal(s, true),
        Next::User(Envelope::Msg(m)) => Item::Msg(m),
        Next::User(Envelope::Void) => return None,
    })
}

/// Ends the start handshake (once: a `kill` may have answered it).
fn answer_ready(inc: &Incarnation, outcome: Result<(), StartError>) {
    if let Some(tx) = inc.ready.lock().take() {
        let _ = tx.send(outcome);
    }
}

/// The run loop of one incarnation. Not an `async fn`: an async fn's
/// arguments are stored twice in its future (as arguments, and again as the
/// locals they are moved into), and the guard is the largest part of it.
/// Here the future's one copy is `run`, used in place.
fn run_incarnation<A: Actor>(guard: RunGuard<A>, actor: A) -> impl Future<Output = ()> {
    // Fields drop in order if the task is dropped mid-way (a System's
    // workers stopping) or before its first poll: the state first (after
    // closing the address), then the guard, which ends the incarnation.
    let mut run = Run {
        state: State {
            actor: Some(actor),
            addr: guard.addr.clone(),
        },
        guard,
    };
    async move {
        let Run { state, guard } = &mut run;
        let rx = match guard.rx.take() {
            Some(rx) => Some(rx),
            // A respawn: the receiver was parked by the previous run loop.
            None => poll_fn(|cx| guard.addr.poll_take_receiver(cx)).await,
        };
        let Some(rx) = rx else {
            // The address closed before this incarnation could start.
            return;
        };
        guard.rx = Some(rx);
        let Some(actor) = state.actor.as_mut() else {
            return;
        };
        let (reason, stopped) = body(actor, guard).await;
        if let Some(actor) = state.actor.take() {
            exit(actor, guard, reason, stopped).await;
        }
    }
}

/// What the run loop's future owns, in drop order.
struct Run<A: Actor> {
    state: State<A>,
    guard: RunGuard<A>,
}

/// The actor's state while its run loop owns it. If the task is dropped
/// before the run loop ends, this closes the address first (DESIGN.md §4:
/// closed before the state is dropped), then drops the state; the requests
/// it holds fail in `ActorTask`'s drop scope.
struct State<A: Actor> {
    actor: Option<A>,
    addr: Arc<Address<A>>,
}

impl<A: Actor> Drop for State<A> {
    fn drop(&mut self) {
        let Some(actor) = self.actor.take() else {
            return;
        };
        if !self.addr.is_supervised() {
            self.addr.mailbox.close();
        }
        if catch_unwind(AssertUnwindSafe(move || drop(actor))).is_err() {
            tracing::error!(actor = %self.addr.id, "the actor's Drop panicked");
        }
    }
}

/// `started`, then the message loop. Returns the exit reason and whether
/// `stopped` runs.
async fn body<A: Actor>(actor: &mut A, g: &mut RunGuard<A>) -> (ExitReason, bool) {
    let RunGuard {
        addr,
        inc,
        rx,
        ctx,
        start_error,
        ..
    } = g;
    let (Some(rx), Some(ctx)) = (rx.as_mut(), ctx.as_mut()) else {
        return (ExitReason::Shutdown, false);
    };
    let id = addr.id;
    let interceptor = addr.kernel.interceptor.clone();

    // ---- start ----
    let start = match interceptor.as_ref().map(|i| i.on_start(id, addr.type_name)) {
        Some(StartAction::Fail(reason)) => Outcome::Done(Err(reason)),
        Some(StartAction::Panic) => Outcome::Panicked(Arc::from("injected panic at start")),
        _ => match hook(actor.started(ctx), rx, inc, id).await {
            Outcome::Done(Ok(start)) => Outcome::Done(Ok(start)),
            Outcome::Done(Err(e)) => Outcome::Done(Err(ExitReason::error(e))),
            Outcome::Panicked(m) => Outcome::Panicked(m),
            Outcome::Killed => Outcome::Killed,
        },
    };
    let failed = match start {
        Outcome::Done(Ok(Start::Ready)) => None,
        Outcome::Done(Ok(Start::Ignore)) => {
            // Answered once the incarnation is gone (`finish`), as OTP's
            // start_link returns after the process exited.
            *start_error = Some(StartError::Ignored);
            return (ExitReason::Normal, false);
        }
        Outcome::Done(Err(reason)) => Some(reason),
        Outcome::Panicked(m) => Some(ExitReason::Panic(m)),
        Outcome::Killed => Some(ExitReason::Killed),
    };
    if let Some(reason) = failed {
        // `exit` fails what `started` left unanswered.
        return (reason, false);
    }
    inc.deferred.settle(None);
    addr.kernel.incarnation_started(id, inc.pid, addr.type_name);
    answer_ready(inc, Ok(()));

    // ---- messages ----
    loop {
        if let Some(reason) = ctx.stop.take() {
            return (reason, true);
        }
        let continues = &mut ctx.continues;
        let Some(item) = poll_fn(|cx| poll_item(cx, rx, addr, inc, continues)).await else {
            continue;
        };
        let step = match item {
            Item::Msg(msg) => {
                let action = match &interceptor {
                    Some(i) => i.on_message(id, addr.type_name),
                    None => MessageAction::Deliver,
                };
                match action {
                    MessageAction::Deliver => {
                        Step::after_hook(handle_msg(actor, msg, ctx, rx, addr, inc).await, inc)
                    }
                    MessageAction::Delay(d) => {
                        let sleep = addr.kernel.clock.sleep(d);
                        // Killed while delayed: `handle_msg` counts it.
                        let _ = hook(sleep, rx, inc, id).await;
                        Step::after_hook(handle_msg(actor, msg, ctx, rx, addr, inc).await, inc)
                    }
                    MessageAction::Drop => {
                        drop(msg);
                        addr.kernel.dead_letter(
                            id,
                            std::any::type_name::<A::Msg>(),
                            DeadLetterReason::Dropped,
                        );
                        Step::after_hook::<A::Error>(Outcome::Done(Ok(())), inc)
                    }
                    _ => {
                        drop(msg);
                        Step::after_hook::<A::Error>(
                            Outcome::Panicked(Arc::from("injected panic")),
                            inc,
                        )
                    }
                }
            }
            Item::Stop => Step::Exit {
                reason: ExitReason::Shutdown,
                stopped: true,
            },
            Item::Killed => Step::Exit {
                reason: ExitReason::Killed,
                stopped: false,
            },
            Item::Closed => Step::Exit {
                reason: inc.exit_reason().unwrap_or(ExitReason::Shutdown),
                stopped: false,
            },
            Item::Signal(signal, trapped) => match *signal {
                s if s.to() != inc.pid => Step::Continue,
                Signal::Exit(exit) => {
                    let trapping = trapped || inc.trap_exits.load(Ordering::Acquire);
                    if exit.from_parent && (trapping || exit.reason != ExitReason::Normal) {
                        // OTP: the parent's exit signal ends a trapping
                        // child through `terminate` (here `stopped`), and a
                        // non-trapping one without it.
                        Step::Exit {
                            reason: exit.reason,
                            stopped: trapping,
                        }
                    } else if let (true, Some(from)) = (trapping, exit.from) {
                        ctx.exit_from = exit.from_pid;
                        Step::after_hook(
                            hook(actor.on_exit(from, exit.reason, ctx), rx, inc, id).await,
                            inc,
                        )
                    } else if exit.reason == ExitReason::Normal {
                        Step::Continue
                    } else {
                        Step::Exit {
                            reason: exit.reason,
                            stopped: false,
                        }
                    }
                }
                Signal::Down {
                    monitor, reason, ..
                } => {
                    // Fired: no longer one of ours to remove at exit.
                    inc.watching.lock().remove(&monitor.id());
                    if !ctx.demonitored.remove(&monitor.id()) {
                        Step::after_hook(
                            hook(actor.on_down(monitor, reason, ctx), rx, inc, id).await,
                            inc,
                        )
                    } else {
                        // Demonitored: flushed.
                        Step::Continue
                    }
                }
            },
        };
        if let Step::Exit { reason, stopped } = step {
            return (reason, stopped);
        }
    }
}

/// The exit sequence: the address closed (if no incarnation follows) and
/// the ending hook's requests failed, `stopped` if due, then `finish`:
/// timers off, the state dropped, the reason claimed, the queue drained
/// (or parked for the next incarnation), the exit announced.
async fn exit<A: Actor>(actor: A, g: &mut RunGuard<A>, reason: ExitReason, stopped: bool) {
    // First, synchronously after the hook that ended it: the requests that
    // hook left unanswered fail with its reason (`Exited(Panic)` for a
    // panic, whatever `stopped` or a later `kill` does), after an
    // unsupervised address is closed, and without waiting for `stopped`.
    close_if_final(g);
    g.inc.deferred.settle(Some(&reason));
    let mut reason = reason;
    let killed = g.inc.killed.load(Ordering::Acquire);
    if let (true, false, Some(rx), Some(ctx)) = (stopped, killed, g.rx.as_mut(), g.ctx.as_mut()) {
        let mut actor = actor;
        let outcome = hook(actor.stopped(&reason, ctx), rx, &g.inc, g.addr.id).await;
        match outcome {
            Outcome::Panicked(m) if reason.is_normal() => reason = ExitReason::Panic(m),
            Outcome::Killed => reason = ExitReason::Killed,
            _ => {}
        }
        // What `stopped` left unanswered (with a killer's reason, if one
        // claimed the exit meanwhile).
        let in_force = g.inc.exit_reason().unwrap_or_else(|| reason.clone());
        g.inc.deferred.settle(Some(&in_force));
        finish(g, Some(actor), reason);
    } else {
        finish(g, Some(actor), reason);
    }
}

/// Closes an unsupervised address's mailbox (no incarnation follows):
/// before the state is dropped and before any ask is failed (DESIGN.md
/// §4). Idempotent; `finish` calls it too.
fn close_if_final<A: Actor>(g: &RunGuard<A>) {
    if !g.addr.is_supervised() {
        g.addr.mailbox.close();
    }
}

/// Everything after `stopped`; also what the guard does when the task is
/// dropped unfinished (then without the state, already dropped).
fn finish<A: Actor>(g: &mut RunGuard<A>, actor: Option<A>, reason: ExitReason) {
    g.done = true;
    let mut reason = reason;
    if let Some(ctx) = g.ctx.as_mut() {
        ctx.cancel_timers();
    }
    close_if_final(g);
    // Requests failed before the reason is claimed get the reason in force:
    // a `kill` may already have claimed the exit.
    let in_force = g.inc.exit_reason().unwrap_or_else(|| reason.clone());
    // A no-op unless the task was dropped mid-turn (`RunGuard`'s drop).
    g.inc.deferred.settle(Some(&in_force));
    if let Some(actor) = actor {
        let (dropped, _) = failing(&in_force, || {
            catch_unwind(AssertUnwindSafe(move || drop(actor)))
        });
        if let Err(payload) = dropped {
            let m = panic_message(&*payload);
            tracing::error!(actor = %g.addr.id, "the actor's Drop panicked: {m}");
            if reason.is_normal() {
                reason = ExitReason::Panic(m);
            }
        }
    }
    // The reason is fixed here (a `kill` from now on leaves it).
    let reason = g.inc.claim_exit(&reason);
    // Announced when this guard drops: after the queue is dealt with, or
    // while unwinding out of it; a `kill` meanwhile announces at once (it
    // never waits).
    let announce = Announce(g.inc.clone());
    // `continue_with` messages never handled are dead letters. An
    // unsupervised address is closed for good: what is still queued
    // becomes dead letters or failed asks with the reason now, on the run
    // loop's own thread, before the exit is announced, so that `wait_exit`
    // and the exit event find them counted (unless a `kill` announced
    // first). A supervised address keeps its queue for the next
    // incarnation: the receiver is parked before the exit is announced, so
    // the supervisor finds the address free when it restarts the child
    // (or drained, if the supervisor closed the address meanwhile).
    discard_continues(g, &reason);
    if let Some(rx) = g.rx.take() {
        if !g.addr.is_supervised() {
            drain(&g.addr, rx, &reason);
        } else if let Some((rx, closed_with)) = g.addr.park_receiver(rx) {
            drain(&g.addr, rx, &closed_with);
        }
    }
    drop(announce);
    let error = g
        .start_error
        .take()
        .unwrap_or_else(|| StartError::Failed(reason.clone()));
    answer_ready(&g.inc, Err(error));
    g.addr.kernel.run_loop_done(g.inc.pid);
}

/// `continue_with` messages never handled are dead letters (or failed
/// asks) like the queue's. The context also holds a ref to the address: it
/// is dropped here, before the receiver is parked.
fn discard_continues<A: Actor>(g: &mut RunGuard<A>, reason: &ExitReason) {
    if let Some(mut ctx) = g.ctx.take() {
        let leftover = std::mem::take(&mut ctx.continues);
        failing(reason, || {
            for m in leftover {
                discard(&g.addr, m);
            }
            drop(ctx);
        });
    }
}

/// Turns what is left in a closed address's mailbox into dead letters
/// (`Closed`) and failed asks (`Exited(reason)`).
pub(crate) fn drain<A: Actor>(addr: &Address<A>, mut rx: Rx<A>, reason: &ExitReason) {
    failing(reason, || loop {
        match rx.try_recv() {
            Ok(Envelope::Msg(m)) => discard(addr, m),
            Ok(_) => {}
            Err(TryRecvError::Empty) if !rx.is_empty() => std::hint::spin_loop(),
            Err(_) => break,
        }
    });
    while rx.try_recv_control().is_some() {}
    // A supervisor that closed the address has `wait_exit` waiting for
    // this drain.
    addr.drained();
}

/// Drops a message that will not be handled, inside a `failing` scope: an
/// ask's request fails its asker; anything else is a dead letter (`Closed`).
fn discard<A: Actor>(addr: &Address<A>, msg: A::Msg) {
    let before = failed_so_far();
    // A message's panicking destructor must not stop the clean-up.
    if catch_unwind(AssertUnwindSafe(move || drop(msg))).is_err() {
        tracing::error!(actor = %addr.id, "a dead letter's Drop panicked");
    }
    if failed_so_far() == before {
        addr.kernel.dead_letter(
            addr.id,
            std::any::type_name::<A::Msg>(),
            DeadLetterReason::Closed,
        );
    }
}

/// Announces the incarnation's claimed exit when dropped (idempotent).
struct Announce(Arc<Incarnation>);

impl Drop for Announce {
    fn drop(&mut self) {
        self.0.announce_exit();
    }
}

/// Owns what the run loop must clean up even if its task is dropped.
struct RunGuard<A: Actor> {
    addr: Arc<Address<A>>,
    inc: Arc<Incarnation>,
    rx: Option<Rx<A>>,
    ctx: Option<Context<A>>,
    /// Why the start fails if the run loop never runs.
    start_error: Option<StartError>,
    done: bool,
}

impl<A: Actor> Drop for RunGuard<A> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let reason = match &self.start_error {
            Some(StartError::UnknownDispatcher(_)) => {
                ExitReason::error(self.start_error.clone().expect("matched above"))
            }
            Some(StartError::Failed(reason)) => reason.clone(),
            _ if self.inc.killed.load(Ordering::Acquire) => ExitReason::Killed,
            _ => ExitReason::Shutdown,
        };
        if self.start_error.is_none() {
            self.start_error = Some(StartError::ShuttingDown);
        }
        finish(self, None, reason);
    }
}
