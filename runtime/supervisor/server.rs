//! The supervisor actor: carries out the machine's decisions.
//!
//! It traps exits; each child is spawned linked to it, with it as parent,
//! on a supervised address (an ended incarnation leaves the address
//! `Restarting`, and a restart attaches the next one). Starts run inside
//! the supervisor's turn: it awaits each child's `started` before doing
//! anything else (OTP_SEMANTICS.md §13.1). One exception: a restart whose
//! address is still held by the previous incarnation's run loop (a killed
//! one stuck in a handler) is deferred until the address is free, and the
//! supervisor serves other messages meanwhile (`Machine::deferred`).
//!
//! # Shutting a child down (OTP_SEMANTICS.md §8)
//!
//! The supervisor unlinks the incarnation (an exit signal it sent before
//! is recognised as stale by its pid), asks to be told when its exit is
//! announced, then kills it (`BrutalKill`) or sends it an exit signal
//! `Shutdown` as its parent (a child that traps exits runs `stopped`),
//! waiting up to the timeout on the System's clock before killing it. The
//! reason it ended with is checked: an unexpected one is a
//! `ShutdownError` report, and the shutdown goes on.
use std::collections::{HashMap, VecDeque};
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;

use crate::actor::address::{Incarnation, Signal};
use crate::actor::events::SystemEvent;
use crate::actor::kernel::Kernel;
use crate::actor::refs::unlink;
use crate::actor::run::{spawn_child, SpawnOptions};
use crate::actor::{
    Actor, ActorConfig, ActorId, AnyRef, Context, ExitReason, MailboxConfig, Pid, ReplyTo, Start,
    StartError,
};
use crate::core::reply::reply_slot;
use crate::supervisor::machine::{
    shutdown_ok, Action, Key, Machine, Purpose, Refusal, Report, Slot,
};
use crate::supervisor::spec::{ChildKind, ChildSpec, Shutdown};
use crate::supervisor::{
    check_spec, ChildCounts, ChildInfo, ChildReport, ChildState, Supervisor, SupervisorError,
    SupervisorRef, SupervisorReport,
};

/// A supervisor's messages: management calls, and its own retries and
/// delayed restarts.
pub(crate) enum SupMsg {
    Which(ReplyTo<Vec<ChildInfo>>),
    Count(ReplyTo<ChildCounts>),
    Inspect(ReplyTo<SupervisorReport>),
    StartChild(ChildSpec, ReplyTo<Result<Option<AnyRef>, SupervisorError>>),
    Terminate(Selector, ReplyTo<Result<(), SupervisorError>>),
    Restart(Arc<str>, ReplyTo<Result<Option<AnyRef>, SupervisorError>>),
    Delete(Arc<str>, ReplyTo<Result<(), SupervisorError>>),
    Sync(ReplyTo<()>),
    /// The supervisor's own messages carry the incarnation that sent them:
    /// one queued across the supervisor's restart is not the next one's.
    Retry(Pid, Key, u64),
    Delayed(Pid, Key, u64),
    /// A restarting child's address is free again (see `Machine::deferred`).
    Free(Pid, Key),
}

/// Which child a `terminate_child` means.
#[derive(Debug)]
pub(crate) enum Selector {
    Id(Arc<str>),
    Ref(ActorId),
}

/// How one start went.
enum Started {
    Up(Arc<Incarnation>),
    Ignored,
    Failed(ExitReason),
    /// A restart that waits for its address: the killed incarnation's run
    /// loop still holds it (its handler has not yielded yet).
    Deferred,
}

/// A child's runtime side: its address while open, its incarnation while
/// running.
#[derive(Default)]
struct Handle {
    addr: Option<AnyRef>,
    inc: Option<Arc<Incarnation>>,
    /// The spec it was started with (the machine may have dropped it by
    /// the time the incarnation is shut down: a temporary child's).
    spec: Option<ChildSpec>,
}

/// The supervisor's state.
pub(crate) struct SupervisorActor {
    machine: Machine,
    handles: HashMap<Key, Handle>,
    /// `sync` calls answered once no restart waits for its address.
    syncs: Vec<ReplyTo<()>>,
}

impl SupervisorActor {
    pub(crate) fn new(sup: Supervisor) -> SupervisorActor {
        SupervisorActor {
            machine: Machine::new(sup.flags, sup.children),
            handles: HashMap::new(),
            syncs: Vec::new(),
        }
    }

    /// Starts child `key` (on its address if it has one) and waits for its
    /// `started`.
    async fn start(&mut self, key: Key, purpose: Purpose, ctx: &mut Context<Self>) -> Started {
        let Some(child) = self.machine.child(key) else {
            return Started::Failed(ExitReason::NoProc);
        };
        let spec = child.spec.clone();
        let handle = self.handles.entry(key).or_default();
        if let (Purpose::Restart, Some(addr)) = (purpose, &handle.addr) {
            // Never wait on a handler that does not yield (DESIGN.md §4):
            // if the previous incarnation's run loop still holds the
            // address (a killed one may be stuck in its handler), come back
            // when it lets go, serving other calls meanwhile.
            let (me, sup) = (ctx.myself().clone(), ctx.pid());
            let free = addr.addr.when_receiver_free(Box::new(move || {
                let _ = me.tell(SupMsg::Free(sup, key));
            }));
            if !free {
                return Started::Deferred;
            }
        }
        let (tx, mut rx) = reply_slot();
        let opts = SpawnOptions {
            parent: Some(ctx.pid()),
            link: Some(ctx.inc.clone()),
            supervised: true,
            ready: Some(tx),
            dispatcher: spec
                .dispatcher
                .as_ref()
                .map(|d| std::borrow::Cow::Owned(d.to_string())),
            before_run: spec.name.clone().map(|name| {
                let kernel = ctx.kernel.clone();
                Box::new(move |inc: &Arc<Incarnation>| {
                    let Some(any) = inc.any_ref() else {
                        return Ok(());
                    };
                    crate::registry::register_incarnation(&kernel, name, &any, inc)
                        .map_err(ExitReason::error)
                }) as crate::actor::run::BeforeRun
            }),
        };
        let (addr, inc) = match spec.start.start(&ctx.kernel, handle.addr.as_ref(), opts) {
            Ok(started) => started,
            Err(reason) => return Started::Failed(reason),
        };
        handle.addr = Some(addr.clone());
        handle.inc = Some(inc.clone());
        handle.spec = Some(spec.clone());
        // Answered when `started` returns, or at once by a kill.
        let outcome = match poll_fn(|cx| rx.poll_recv(cx)).await {
            Ok(Ok(())) => Started::Up(inc.clone()),
            Ok(Err(StartError::Ignored)) => Started::Ignored,
            Ok(Err(StartError::Failed(reason))) => Started::Failed(reason),
            Ok(Err(other)) => Started::Failed(ExitReason::error(other)),
            Err(_) => Started::Failed(ExitReason::Shutdown),
        };
        if let Started::Up(inc) = &outcome {
            let sup = ctx.myself().id();
            let (id, pid) = (addr.id(), inc.pid);
            let child = spec.id.clone();
            report(
                &ctx.kernel,
                SystemEvent::ChildStarted {
                    seq: 0,
                    supervisor: sup,
                    child: child.clone(),
                    id,
                    pid,
                },
            );
            if purpose == Purpose::Restart {
                report(
                    &ctx.kernel,
                    SystemEvent::ChildRestarted {
                        seq: 0,
                        supervisor: sup,
                        child,
                        id,
                        pid,
                    },
                );
            }
        } else if let Some(handle) = self.handles.get_mut(&key) {
            handle.inc = None;
        }
        outcome
    }

    /// Carries out `actions` in order, feeding start outcomes back to the
    /// machine. Returns the outcome of a management start among them.
    async fn run(
        &mut self,
        actions: Vec<Action>,
        ctx: &mut Context<Self>,
    ) -> Option<(Key, Started)> {
        let mut queue: VecDeque<Action> = actions.into();
        let mut asked = None;
        while let Some(action) = queue.pop_front() {
            match action {
                Action::Report(r) => self.report(r, ctx),
                Action::Terminate(key) => self.terminate(&[key], ctx).await,
                Action::Close(key, reason) => self.close(key, &reason),
                Action::Start(key, purpose) => {
                    let outcome = self.start(key, purpose, ctx).await;
                    let now = ctx.clock().now();
                    let next = match &outcome {
                        Started::Up(inc) => self.machine.started(key, inc.pid, purpose, now),
                        Started::Ignored => self.machine.ignored(key, purpose),
                        Started::Failed(reason) => {
                            self.machine.start_failed(key, reason, purpose, now)
                        }
                        Started::Deferred => self.machine.deferred(key),
                    };
                    queue.extend(next);
                    if matches!(purpose, Purpose::Manual | Purpose::Add) {
                        asked = Some((key, outcome));
                    }
                }
                Action::Retry(key, generation) => {
                    let _ = ctx.myself().tell(SupMsg::Retry(ctx.pid(), key, generation));
                }
                Action::Delay(key, generation, after) => {
                    ctx.send_after(after, SupMsg::Delayed(ctx.pid(), key, generation));
                }
                Action::Exit(reason) => ctx.stop_with(reason),
            }
        }
        asked
    }

    /// Shuts these children down by their specs: one after the other, or
    /// all at once for a dynamic supervisor (their waits then overlap).
    async fn terminate(&mut self, keys: &[Key], ctx: &mut Context<Self>) {
        let mut pending = Vec::new();
        for &key in keys {
            let Some(handle) = self.handles.get_mut(&key) else {
                continue;
            };
            let (Some(inc), Some(spec)) = (handle.inc.take(), handle.spec.clone()) else {
                continue;
            };
            let wait = begin_shutdown(&inc, &spec, ctx);
            if self.machine.flags.dynamic {
                pending.push((spec, inc, wait));
            } else {
                end_shutdown(&spec, &inc, wait, ctx).await;
            }
        }
        for (spec, inc, wait) in pending {
            end_shutdown(&spec, &inc, wait, ctx).await;
        }
    }

    /// No incarnation follows on `key`'s address: it closes.
    fn close(&mut self, key: Key, reason: &ExitReason) {
        let gone = self.machine.child(key).is_none();
        let handle = if gone {
            self.handles.remove(&key)
        } else {
            self.handles.get_mut(&key).map(std::mem::take)
        };
        if let Some(addr) = handle.and_then(|h| h.addr) {
            addr.addr.close(reason);
        }
    }

    /// Stops every running child in reverse start order and closes every
    /// child's address (the supervisor is ending, or its start failed).
    async fn stop_all(&mut self, reason: &ExitReason, ctx: &mut Context<Self>) {
        let order = self.machine.shutdown_order();
        self.terminate(&order, ctx).await;
        for (_, handle) in self.handles.drain() {
            if let Some(addr) = handle.addr {
                addr.addr.close(reason);
            }
        }
    }

    /// Answers the waiting `sync` calls unless a restart still waits for
    /// its address.
    fn settle_syncs(&mut self) {
        if !self.machine.is_paused() {
            for reply in self.syncs.drain(..) {
                reply.reply(());
            }
        }
    }

    fn report(&self, r: Report, ctx: &Context<Self>) {
        let supervisor = ctx.myself().id();
        let event = match r {
            Report::Exited { child, pid, reason } => SystemEvent::ChildExited {
                seq: 0,
                supervisor,
                child,
                pid,
                reason,
            },
            Report::Terminated { child, reason } => SystemEvent::ChildTerminated {
                seq: 0,
                supervisor,
                child,
                reason,
            },
            Report::StartError { child, reason } => SystemEvent::StartError {
                seq: 0,
                supervisor,
                child,
                reason,
            },
            Report::GaveUp { child, reason } => SystemEvent::GaveUp {
                seq: 0,
                supervisor,
                child,
                reason,
            },
            Report::AutoShutdown { child } => SystemEvent::AutoShutdown {
                seq: 0,
                supervisor,
                child,
            },
        };
        report(&ctx.kernel, event);
    }

    fn info(&self) -> Vec<ChildInfo> {
        self.machine
            .children()
            .iter()
            .map(|c| ChildInfo {
                id: c.spec.id.clone(),
                state: match c.slot {
                    Slot::Running(_) => match self.handles.get(&c.key).and_then(|h| h.addr.clone())
                    {
                        Some(r) => ChildState::Running(r),
                        None => ChildState::Restarting,
                    },
                    Slot::Restarting => ChildState::Restarting,
                    Slot::Stopped => ChildState::Stopped,
                },
                kind: c.spec.kind,
            })
            .collect()
    }

    fn inspect(&self, now: std::time::Instant) -> SupervisorReport {
        let flags = &self.machine.flags;
        let states = self.info();
        SupervisorReport {
            strategy: flags.strategy,
            dynamic: flags.dynamic,
            max_restarts: flags.max_restarts,
            within: flags.within,
            restarts_in_window: u32::try_from(self.machine.restarts_in_window(now))
                .unwrap_or(u32::MAX),
            children: self
                .machine
                .children()
                .iter()
                .zip(states)
                .map(|(c, info)| ChildReport {
                    id: info.id,
                    kind: info.kind,
                    state: info.state,
                    restart: c.spec.restart,
                    name: c.spec.name.clone(),
                    restarts: c.restarts(),
                    last_exit: c.last_reason().cloned(),
                })
                .collect(),
        }
    }

    fn counts(&self) -> ChildCounts {
        let children = self.machine.children();
        let supervisors = children
            .iter()
            .filter(|c| c.spec.kind == ChildKind::Supervisor)
            .count();
        ChildCounts {
            specs: children.len(),
            active: children
                .iter()
                .filter(|c| matches!(c.slot, Slot::Running(_)))
                .count(),
            supervisors,
            workers: children.len() - supervisors,
        }
    }

    fn refused(&self, r: Refusal) -> SupervisorError {
        match r {
            Refusal::NotFound => SupervisorError::NotFound,
            Refusal::Running => SupervisorError::Running,
            Refusal::Restarting => SupervisorError::Restarting,
            Refusal::AlreadyPresent => SupervisorError::AlreadyPresent,
            Refusal::AlreadyStarted(key) => {
                match self.handles.get(&key).and_then(|h| h.addr.clone()) {
                    Some(r) => SupervisorError::AlreadyStarted(r),
                    None => SupervisorError::AlreadyPresent,
                }
            }
            Refusal::MaxChildren => SupervisorError::MaxChildren,
            Refusal::Dynamic => SupervisorError::Dynamic,
        }
    }

    fn key_of(&self, selector: &Selector) -> Result<Key, SupervisorError> {
        match selector {
            Selector::Id(_) if self.machine.flags.dynamic => Err(SupervisorError::Dynamic),
            Selector::Id(id) => self
                .machine
                .by_id(id)
                .map(|c| c.key)
                .ok_or(SupervisorError::NotFound),
            Selector::Ref(actor) => self
                .handles
                .iter()
                .find(|(_, h)| h.addr.as_ref().is_some_and(|a| a.id() == *actor))
                .map(|(k, _)| *k)
                .ok_or(SupervisorError::NotFound),
        }
    }

    /// A management start's answer.
    fn answer(
        &self,
        key: Key,
        id: &Arc<str>,
        started: Option<(Key, Started)>,
    ) -> Result<Option<AnyRef>, SupervisorError> {
        let id = || id.clone();
        match started {
            Some((k, Started::Up(_))) if k == key => {
                Ok(self.handles.get(&key).and_then(|h| h.addr.clone()))
            }
            Some((k, Started::Ignored)) if k == key => Ok(None),
            Some((_, Started::Failed(reason))) => {
                Err(SupervisorError::StartFailed { id: id(), reason })
            }
            _ => Err(SupervisorError::NotRunning),
        }
    }
}

impl Actor for SupervisorActor {
    type Msg = SupMsg;
    type Error = SupervisorError;

    /// Unbounded, whatever the System's default: a supervisor's retries
    /// to itself and its children's exit signals must never be refused.
    fn config() -> ActorConfig {
        ActorConfig::new().mailbox(MailboxConfig::unbounded())
    }

    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<Start, SupervisorError> {
        ctx.trap_exits(true);
        for key in self.machine.init_order() {
            let outcome = self.start(key, Purpose::Init, ctx).await;
            let now = ctx.clock().now();
            match outcome {
                Started::Up(inc) => {
                    self.machine.started(key, inc.pid, Purpose::Init, now);
                }
                // Only a restart waits for its address; a first start has
                // a new one.
                Started::Ignored | Started::Deferred => {
                    let actions = self.machine.ignored(key, Purpose::Init);
                    self.run(actions, ctx).await;
                }
                Started::Failed(reason) => {
                    // OTP: a `start_error` report, the started children
                    // stopped in reverse order, the supervisor's start
                    // fails naming the child.
                    let id = self
                        .machine
                        .child(key)
                        .map(|c| c.spec.id.clone())
                        .unwrap_or_else(|| Arc::from(""));
                    let actions = self.machine.start_failed(key, &reason, Purpose::Init, now);
                    self.run(actions, ctx).await;
                    self.stop_all(&ExitReason::Shutdown, ctx).await;
                    return Err(SupervisorError::StartFailed { id, reason });
                }
            }
        }
        Ok(Start::Ready)
    }

    async fn handle(
        &mut self,
        msg: SupMsg,
        ctx: &mut Context<Self>,
    ) -> Result<(), SupervisorError> {
        match msg {
            SupMsg::Which(reply) => reply.reply(self.info()),
            SupMsg::Count(reply) => reply.reply(self.counts()),
            SupMsg::Inspect(reply) => reply.reply(self.inspect(ctx.clock().now())),
            SupMsg::Sync(reply) => self.syncs.push(reply),
            SupMsg::StartChild(spec, reply) => {
                if let Err(e) = check_spec(&self.machine.flags, &spec) {
                    reply.reply(Err(SupervisorError::InvalidSpec(e)));
                    return Ok(());
                }
                let id = spec.id.clone();
                match self.machine.add(spec) {
                    Err(r) => reply.reply(Err(self.refused(r))),
                    Ok(actions) => {
                        let Some(Action::Start(key, _)) = actions.first().cloned() else {
                            return Ok(());
                        };
                        let started = self.run(actions, ctx).await;
                        reply.reply(self.answer(key, &id, started));
                    }
                }
            }
            SupMsg::Restart(id, reply) => {
                if self.machine.flags.dynamic {
                    reply.reply(Err(SupervisorError::Dynamic));
                    return Ok(());
                }
                let Some(key) = self.machine.by_id(&id).map(|c| c.key) else {
                    reply.reply(Err(SupervisorError::NotFound));
                    return Ok(());
                };
                match self.machine.restart(key) {
                    Err(r) => reply.reply(Err(self.refused(r))),
                    Ok(actions) => {
                        let started = self.run(actions, ctx).await;
                        reply.reply(self.answer(key, &id, started));
                    }
                }
            }
            SupMsg::Terminate(selector, reply) => {
                let result = match self.key_of(&selector) {
                    Err(e) => Err(e),
                    Ok(key) => match self.machine.terminate(key) {
                        Err(r) => Err(self.refused(r)),
                        Ok(actions) => {
                            self.run(actions, ctx).await;
                            Ok(())
                        }
                    },
                };
                reply.reply(result);
            }
            SupMsg::Delete(id, reply) => {
                let result = if self.machine.flags.dynamic {
                    Err(SupervisorError::Dynamic)
                } else {
                    match self.machine.by_id(&id).map(|c| c.key) {
                        None => Err(SupervisorError::NotFound),
                        Some(key) => {
                            let r = self.machine.delete(key).map_err(|r| self.refused(r));
                            if r.is_ok() {
                                self.handles.remove(&key);
                            }
                            r
                        }
                    }
                };
                reply.reply(result);
            }
            // Another incarnation's, or the System is shutting down (no
            // new actor may start; this supervisor is stopped soon).
            SupMsg::Retry(from, ..) | SupMsg::Delayed(from, ..) | SupMsg::Free(from, _)
                if from != ctx.pid() || ctx.kernel.is_shutting_down() => {}
            SupMsg::Retry(_, key, generation) => {
                let now = ctx.clock().now();
                let actions = self.machine.retry(key, generation, now);
                self.run(actions, ctx).await;
            }
            SupMsg::Delayed(_, key, generation) => {
                let actions = self.machine.delay_elapsed(key, generation);
                self.run(actions, ctx).await;
            }
            SupMsg::Free(_, key) => {
                let actions = self.machine.resume(key);
                self.run(actions, ctx).await;
            }
        }
        self.settle_syncs();
        Ok(())
    }

    async fn on_exit(
        &mut self,
        _from: AnyRef,
        reason: ExitReason,
        ctx: &mut Context<Self>,
    ) -> Result<(), SupervisorError> {
        let Some(pid) = ctx.exit_from.take() else {
            return Ok(());
        };
        let actions = if ctx.kernel.is_shutting_down() {
            self.machine.exited_in_shutdown(pid, &reason)
        } else {
            let now = ctx.clock().now();
            self.machine.exited(pid, &reason, now)
        };
        self.run(actions, ctx).await;
        self.settle_syncs();
        Ok(())
    }

    async fn stopped(&mut self, reason: &ExitReason, ctx: &mut Context<Self>) {
        self.stop_all(reason, ctx).await;
    }
}

impl Drop for SupervisorActor {
    fn drop(&mut self) {
        // Killed (its `stopped` did not run): the children got its exit
        // signal as their parent's; no incarnation follows on their
        // addresses.
        for (_, handle) in self.handles.drain() {
            if let Some(addr) = handle.addr {
                addr.addr.close(&ExitReason::Killed);
            }
        }
    }
}

/// Starts the System's root supervisor: one for one, no restarts, no
/// children until trees are added.
pub(crate) fn start_root(kernel: &Arc<Kernel>) -> (SupervisorRef, Arc<Incarnation>) {
    let root = Supervisor {
        flags: crate::supervisor::machine::Flags {
            max_restarts: 0,
            ..Supervisor::builder().flags
        },
        children: Vec::new(),
    };
    let (actor, inc) = spawn_child(kernel, SupervisorActor::new(root), SpawnOptions::default());
    (SupervisorRef::new(actor), inc)
}

/// What a shutdown waits on: the child's exit, announced, until the
/// deadline of its timeout (set when the child was signalled, so a dynamic
/// supervisor's children, signalled together, share their wait).
struct ExitWait {
    rx: crate::core::reply::ReplyReceiver<ExitReason>,
    deadline: Option<std::time::Instant>,
}

/// Unlinks the child, asks to be told of its exit, and signals it (kill,
/// or an exit signal `Shutdown` from its parent).
fn begin_shutdown(
    inc: &Arc<Incarnation>,
    spec: &ChildSpec,
    ctx: &Context<SupervisorActor>,
) -> ExitWait {
    unlink(&ctx.inc, inc);
    let (tx, rx) = reply_slot();
    inc.on_exit_announced(ctx.kernel.next_id(), move |reason| {
        let _ = tx.send(reason.clone());
    });
    // The timeout runs from before the signal: whoever sees the child
    // react to it knows the deadline is fixed.
    let deadline = match spec.shutdown {
        Shutdown::Timeout(d) => Some(crate::time::saturating_add(ctx.clock().now(), d)),
        _ => None,
    };
    match spec.shutdown {
        Shutdown::BrutalKill => inc.kill(),
        Shutdown::Timeout(_) | Shutdown::Infinity => inc.signal(Signal::parent_shutdown(
            inc.pid,
            Some((ctx.myself().any(), ctx.pid())),
        )),
    }
    ExitWait { rx, deadline }
}

/// Waits for the child's exit (killing it after its timeout) and checks
/// the reason it ended with.
async fn end_shutdown(
    spec: &ChildSpec,
    inc: &Arc<Incarnation>,
    mut wait: ExitWait,
    ctx: &Context<SupervisorActor>,
) {
    let reason = match wait.deadline {
        Some(deadline) => {
            let mut sleep = pin!(ctx.clock().sleep_until(deadline));
            let first = poll_fn(|cx| match wait.rx.poll_recv(cx) {
                Poll::Ready(r) => Poll::Ready(Some(r)),
                Poll::Pending => sleep.as_mut().poll(cx).map(|()| None),
            })
            .await;
            match first {
                Some(r) => r,
                None => {
                    inc.kill();
                    poll_fn(|cx| wait.rx.poll_recv(cx)).await
                }
            }
        }
        None => poll_fn(|cx| wait.rx.poll_recv(cx)).await,
    };
    let reason = reason.unwrap_or(ExitReason::Killed);
    let brutal = spec.shutdown == Shutdown::BrutalKill;
    if !shutdown_ok(spec.restart, brutal, &reason) {
        report(
            &ctx.kernel,
            SystemEvent::ShutdownError {
                seq: 0,
                supervisor: ctx.myself().id(),
                child: spec.id.clone(),
                reason,
            },
        );
    }
}

/// Traces a supervisor report and publishes it (the same event).
pub(crate) fn report(kernel: &Kernel, event: SystemEvent) {
    match &event {
        SystemEvent::ChildTerminated {
            supervisor,
            child,
            reason,
            ..
        } => {
            tracing::error!(%supervisor, %child, %reason, "supervisor report: child_terminated");
        }
        SystemEvent::StartError {
            supervisor,
            child,
            reason,
            ..
        } => {
            tracing::error!(%supervisor, %child, %reason, "supervisor report: start_error");
        }
        SystemEvent::ShutdownError {
            supervisor,
            child,
            reason,
            ..
        } => {
            tracing::error!(%supervisor, %child, %reason, "supervisor report: shutdown_error");
        }
        SystemEvent::GaveUp {
            supervisor,
            child,
            reason,
            ..
        } => {
            tracing::error!(%supervisor, %child, %reason, "supervisor report: shutdown, reached_max_restart_intensity");
        }
        SystemEvent::AutoShutdown {
            supervisor, child, ..
        } => {
            tracing::info!(%supervisor, %child, "supervisor auto_shutdown: a significant child ended");
        }
        SystemEvent::ChildStarted {
            supervisor,
            child,
            id,
            pid,
            ..
        } => {
            tracing::debug!(%supervisor, %child, actor = %id, %pid, "supervisor progress: child started");
        }
        other => tracing::trace!(event = ?other, "supervisor"),
    }
    kernel.events.publish(|seq| event.with_seq(seq));
}
