//! [`System`]: the runtime a program starts, spawns actors in, and shuts
//! down (DESIGN.md §2).
//!
//! # The tokio runtime
//!
//! Actors are not tokio tasks (keel's own scheduler runs them), but their
//! handlers may use `tokio::time` and `tokio::net`: every keel worker enters
//! a tokio handle. keel uses the ambient runtime only if it is a
//! multi-thread one; otherwise (a current-thread runtime, as
//! `#[tokio::test]` makes, or none) it owns a one-worker multi-thread runtime
//! on its own thread. [`SystemBuilder::tokio_handle`] overrides that.
//!
//! # Shutdown
//!
//! [`System::shutdown`] refuses new actors, then stops the supervision
//! trees (the root supervisor stops them in reverse start order, each
//! supervisor its children in reverse start order, by their shutdown
//! specs: as in OTP, the trees bound their own time). Then it sends every
//! other live actor a shutdown request (newest first; as from its parent:
//! an actor that traps exits runs `stopped`, one that does not ends at
//! once), waits up to the shutdown timeout (default 5 s, real time) for
//! them to end, kills the rest, and stops the workers. The waiting is done on a thread of its own,
//! so `shutdown().await` never blocks its caller's thread. Dropping the last
//! `System` handle starts the same sequence and returns at once.
use std::collections::HashMap;
use std::fmt;
use std::future::{poll_fn, Future};
use std::sync::Arc;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use crate::actor::address::{Incarnation, Signal};
use crate::actor::kernel::{Interceptor, Kernel, KernelConfig};
use crate::actor::run::{spawn, spawn_ready, SpawnOptions};
use crate::actor::{Actor, ActorRef, EventStream, ExitReason, MailboxConfig, StartError};
use crate::core::scheduler::{Scheduler, SchedulerConfig, ThreadWrapper};
use crate::patterns::{Faults, Pool, PoolBuilder, PoolError, TreeSnapshot};
use crate::supervisor::server::start_root;
use crate::supervisor::{ChildSpec, Supervisor, SupervisorError, SupervisorRef};
use crate::sync::{spawn_named, AtomicU64, Condvar, Mutex, Ordering};
use crate::time::Clock;

/// An actor system: its workers, clock, events, and every actor spawned in
/// it. Cheap to clone; dropping the last handle shuts it down in the
/// background.
///
/// An actor that keeps a `System` handle in its state keeps the System
/// alive until that actor ends: call [`shutdown`](System::shutdown)
/// explicitly then. Inside a handler, start the shutdown without awaiting
/// it (`drop(system.shutdown())`): awaiting it there waits for that very
/// handler to end, which happens only at the shutdown timeout.
#[derive(Clone)]
pub struct System {
    handle: Arc<Handle>,
}

/// Configures a [`System`] (`System::builder()`).
#[must_use = "a builder does nothing until `build`"]
pub struct SystemBuilder {
    name: String,
    workers: Option<usize>,
    throughput: u32,
    default_mailbox: MailboxConfig,
    clock: Option<Clock>,
    tokio: Option<tokio::runtime::Handle>,
    dispatchers: Vec<(String, usize)>,
    ask_timeout: Duration,
    slow_turn: Duration,
    shutdown_timeout: Duration,
    interceptor: Option<Arc<dyn Interceptor>>,
}

/// A System that could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The tokio handle given is not a multi-thread runtime's.
    #[error("the tokio handle must be a multi-thread runtime's")]
    NotMultiThread,
    /// A setting is out of range.
    #[error("invalid setting: {0}")]
    Invalid(&'static str),
    /// The OS refused a thread.
    #[error("could not start threads: {0}")]
    Io(#[from] std::io::Error),
}

/// `shutdown_blocking` was called on a keel thread, where it would wait for
/// itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("shutdown_blocking on a keel thread would wait for itself: use shutdown().await")]
pub struct ShutdownError;

/// The last user handle: dropping it starts the shutdown.
struct Handle {
    inner: Arc<Inner>,
}

struct Inner {
    kernel: Arc<Kernel>,
    /// The runtime keel owns when the user has no multi-thread one.
    owned_tokio: Mutex<Option<tokio::runtime::Runtime>>,
    shutdown_timeout: Duration,
    state: Mutex<EndState>,
    ended: Condvar,
    /// The root supervisor, made by the first `supervise`: its
    /// incarnation (stopped first by a shutdown) and its ref.
    root: Mutex<Option<(Arc<Incarnation>, SupervisorRef)>>,
    /// Numbers the trees under the root (`tree-1`, ...).
    trees: AtomicU64,
}

#[derive(Default)]
struct EndState {
    shutdown_started: bool,
    /// Why the System ends, if not `Shutdown` (the root gave up).
    reason: Option<ExitReason>,
    /// Set once the System has ended: why.
    ended: Option<ExitReason>,
    waiters: Vec<Waker>,
}

impl System {
    /// A System with as many workers as the machine has cores and the
    /// defaults of [`SystemBuilder`].
    ///
    /// # Panics
    ///
    /// Only if the OS refuses to start threads (use [`System::builder`] to
    /// get that as an error).
    pub fn new() -> System {
        match System::builder().build() {
            Ok(system) => system,
            Err(e) => panic!("keel could not start a System: {e}"),
        }
    }

    /// Configures a System.
    pub fn builder() -> SystemBuilder {
        SystemBuilder {
            name: "keel".into(),
            workers: None,
            throughput: 64,
            default_mailbox: MailboxConfig::unbounded(),
            clock: None,
            tokio: None,
            dispatchers: Vec::new(),
            ask_timeout: Duration::from_secs(5),
            slow_turn: Duration::from_millis(100),
            shutdown_timeout: Duration::from_secs(5),
            interceptor: None,
        }
    }

    /// Spawns an unsupervised actor; returns at once (it starts running
    /// `started` on a worker). If the System is shutting down, the actor
    /// never runs and the returned ref is already stopped.
    pub fn spawn<A: Actor>(&self, actor: A) -> ActorRef<A> {
        spawn(self.kernel(), actor, SpawnOptions::default())
    }

    /// Spawns an unsupervised actor and waits until its `started` returned:
    /// `Ok` once it is ready, else why it did not start.
    pub fn spawn_ready<A: Actor>(
        &self,
        actor: A,
    ) -> impl Future<Output = Result<ActorRef<A>, StartError>> + Send + 'static {
        let kernel = self.kernel().clone();
        async move { spawn_ready(&kernel, actor, SpawnOptions::default()).await }
    }

    /// Stops every actor and the workers, and resolves once done (see the
    /// module docs). Calling it again, or from several handles, waits for
    /// the same shutdown.
    pub fn shutdown(&self) -> impl Future<Output = ()> + Send + 'static {
        let inner = self.handle.inner.clone();
        Inner::start_shutdown(&inner);
        async move {
            poll_fn(|cx| inner.poll_ended(cx)).await;
        }
    }

    /// [`shutdown`](Self::shutdown) for synchronous code: blocks until
    /// done. `Err` on a keel thread (an actor's handler), where it would
    /// wait for itself.
    pub fn shutdown_blocking(&self) -> Result<(), ShutdownError> {
        if crate::actor::ask::current_actor().is_some() || self.kernel().scheduler.is_current() {
            return Err(ShutdownError);
        }
        let inner = &self.handle.inner;
        Inner::start_shutdown(inner);
        let mut state = inner.state.lock();
        while state.ended.is_none() {
            state = inner.ended.wait(state);
        }
        Ok(())
    }

    /// Resolves when the System has ended, with why: `Shutdown` after a
    /// completed [`shutdown`](Self::shutdown);
    /// `ShutdownWith("reached_max_restart_intensity")` when a supervision
    /// tree ended and took the System with it (see
    /// [`supervise`](Self::supervise)). Both are normal-family reasons:
    /// compare with `ExitReason::Shutdown` to tell them apart.
    pub fn terminated(&self) -> impl Future<Output = ExitReason> + Send + 'static {
        let inner = self.handle.inner.clone();
        poll_fn(move |cx| inner.poll_ended(cx))
    }

    /// Messages accepted and then not processed, so far (each is also
    /// traced and published as `SystemEvent::DeadLetter`).
    pub fn dead_letters(&self) -> u64 {
        self.kernel().dead_letter_count()
    }

    /// A stream of this System's events from now on. It holds each event
    /// until read: drop a stream you stop reading.
    pub fn events(&self) -> EventStream {
        self.kernel().events.subscribe()
    }

    /// The clock every timer and ask timeout of this System reads.
    pub fn clock(&self) -> &Clock {
        &self.kernel().clock
    }

    /// Actor incarnations currently alive.
    pub fn live_actors(&self) -> usize {
        self.kernel().live.len()
    }

    /// Starts a supervision tree under the System's root supervisor and
    /// resolves once every child in it has started (in order), with its
    /// ref; `Err(StartError::ChildFailed { child, reason })` if a child
    /// failed to start (the children started before it are stopped again).
    ///
    /// The root restarts nothing: a tree that ends, whatever the reason
    /// (its supervisor gave up, shut itself down with `auto_shutdown`, or
    /// was stopped), ends the System, and [`terminated`](Self::terminated)
    /// resolves with `ShutdownWith("reached_max_restart_intensity")` (OTP:
    /// the top supervisor of a permanent application). Nest trees that may
    /// end on purpose under a supervisor of your own. `shutdown()` stops
    /// the trees in reverse start order, each one its children in reverse
    /// start order.
    pub fn supervise(
        &self,
        sup: impl Into<Supervisor>,
    ) -> impl Future<Output = Result<SupervisorRef, StartError>> + Send + 'static {
        let sup = sup.into();
        let root = Inner::root(&self.handle.inner);
        let n = self.handle.inner.trees.fetch_add(1, Ordering::Relaxed) + 1;
        async move {
            let spec = ChildSpec::supervisor(format!("tree-{n}"), sup);
            match root.start_child(spec).await {
                Ok(Some(any)) => SupervisorRef::from_any(&any).ok_or(StartError::ShuttingDown),
                Ok(None) => Err(StartError::Ignored),
                Err(SupervisorError::StartFailed { reason, .. }) => Err(child_failed(reason)),
                Err(_) => Err(StartError::ShuttingDown),
            }
        }
    }

    /// Starts a router pool (see [`Pool`](crate::patterns::Pool)) as a
    /// tree of its own under the root, as [`supervise`](Self::supervise)
    /// does, and returns its handle once its workers run.
    pub fn start_pool<A: Actor>(
        &self,
        pool: PoolBuilder<A>,
    ) -> impl Future<Output = Result<Pool<A>, PoolError>> + Send + 'static {
        let sup = pool.supervisor();
        let started = sup.map(|sup| self.supervise(sup));
        async move {
            let sup = started?.await.map_err(PoolError::Start)?;
            Pool::attach(sup, pool).await
        }
    }

    /// A snapshot of every tree the System supervises: its root
    /// supervisor (one child `tree-N` per [`supervise`](Self::supervise)
    /// call) and below it each supervisor and worker, with its state,
    /// mailbox, restart count and budget and last exit reason. Actors
    /// started with [`spawn`](Self::spawn) are in no tree, so not in it.
    /// Render it with `to_text()` (also `Display`), `to_dot()` or
    /// `to_mermaid()`. `Err(NotRunning)` once the System has shut down.
    pub fn snapshot(
        &self,
    ) -> impl Future<Output = Result<TreeSnapshot, SupervisorError>> + Send + 'static {
        let root = Inner::root(&self.handle.inner);
        async move { TreeSnapshot::capture(&root).await }
    }

    pub(crate) fn kernel(&self) -> &Arc<Kernel> {
        &self.handle.inner.kernel
    }
}

/// Names and process groups (`runtime/registry/`). A name, and each
/// membership of a group, belongs to the actor's current *incarnation*: it
/// is released before that incarnation's exit is announced (so whoever sees
/// the exit finds the name free), and a restarted actor has no name until it
/// is registered again (a supervisor does that for a spec's name).
impl System {
    /// Registers `actor`'s current incarnation as `name` (OTP's
    /// `register/2`): one name per incarnation, one live holder per name.
    /// See [`RegisterError`](crate::RegisterError) for the refusals.
    pub fn register(
        &self,
        name: impl Into<Arc<str>>,
        actor: impl Into<crate::actor::AnyRef>,
    ) -> Result<(), crate::registry::RegisterError> {
        crate::registry::register(self.kernel(), name.into(), &actor.into())
    }

    /// Removes `name`; true if it was registered. The actor goes on
    /// running, and may be registered under another name.
    pub fn unregister(&self, name: &str) -> bool {
        crate::registry::unregister(self.kernel(), name)
    }

    /// The actor registered as `name`, typed: `NotFound` if no live
    /// incarnation has the name, `WrongType` if it is not an `A`.
    pub fn whereis<A: Actor>(
        &self,
        name: &str,
    ) -> Result<ActorRef<A>, crate::registry::WhereisError> {
        crate::registry::whereis::<A>(self.kernel(), name)
    }

    /// The actor registered as `name`, whatever its type.
    pub fn whereis_any(&self, name: &str) -> Option<crate::actor::AnyRef> {
        crate::registry::whereis_any(self.kernel(), name)
    }

    /// Adds `actor`'s current incarnation to the process group `group`
    /// (OTP's `pg:join`). Joining again lists it again; it leaves every
    /// group by itself when it ends.
    pub fn join(
        &self,
        group: impl Into<Arc<str>>,
        actor: impl Into<crate::actor::AnyRef>,
    ) -> Result<(), crate::registry::JoinError> {
        crate::registry::join(self.kernel(), group.into(), &actor.into())
    }

    /// Undoes one join of `group` by `actor`'s current incarnation (its
    /// latest, as `pg:leave` does); false if it had not joined.
    pub fn leave(&self, group: &str, actor: impl Into<crate::actor::AnyRef>) -> bool {
        crate::registry::leave(self.kernel(), group, &actor.into())
    }

    /// The members of `group`, once per join, in the order they joined;
    /// empty for an unknown group.
    pub fn members(&self, group: &str) -> Vec<crate::actor::AnyRef> {
        crate::registry::members(self.kernel(), group)
    }

    /// The groups that have at least one member, sorted by name.
    pub fn groups(&self) -> Vec<Arc<str>> {
        crate::registry::groups(self.kernel())
    }
}

/// The tree's start failure, as the root reports it, named by the tree's
/// child that failed.
fn child_failed(reason: ExitReason) -> StartError {
    if let ExitReason::Error(e) = &reason {
        if let Some(SupervisorError::StartFailed { id, reason }) = e.downcast_ref() {
            return StartError::ChildFailed {
                child: id.clone(),
                reason: reason.clone(),
            };
        }
    }
    StartError::Failed(reason)
}

impl Default for System {
    fn default() -> Self {
        System::new()
    }
}

impl fmt::Debug for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("System")
            .field("name", &self.kernel().config.name)
            .field("workers", &self.kernel().scheduler.workers())
            .field("live_actors", &self.live_actors())
            .finish()
    }
}

impl SystemBuilder {
    /// Worker threads of the default dispatcher (default: the number of
    /// cores; at least 1).
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = Some(n);
        self
    }

    /// Messages an actor handles per turn before the worker moves on
    /// (default 64; at least 1).
    pub fn throughput(mut self, n: u32) -> Self {
        self.throughput = n;
        self
    }

    /// The mailbox of actors whose type does not choose one (default:
    /// unbounded).
    pub fn default_mailbox(mut self, mailbox: MailboxConfig) -> Self {
        self.default_mailbox = mailbox;
        self
    }

    /// The clock of every timer and ask timeout (default: real time; tests
    /// pass a `ManualClock`).
    pub fn clock(mut self, clock: impl Into<Clock>) -> Self {
        self.clock = Some(clock.into());
        self
    }

    /// The tokio runtime handlers use (must be multi-thread).
    pub fn tokio_handle(mut self, handle: tokio::runtime::Handle) -> Self {
        self.tokio = Some(handle);
        self
    }

    /// A named dispatcher with its own `workers` threads (a bulkhead);
    /// actors choose it with `ActorConfig::dispatcher`. A name given twice
    /// makes `build` fail with `BuildError::Invalid`.
    pub fn dispatcher(mut self, name: impl Into<String>, workers: usize) -> Self {
        self.dispatchers.push((name.into(), workers));
        self
    }

    /// The timeout of `ask` (default 5 s, OTP's `call` default).
    pub fn ask_timeout(mut self, timeout: Duration) -> Self {
        self.ask_timeout = timeout;
        self
    }

    /// Warn when one poll of a handler runs longer than this (default
    /// 100 ms).
    pub fn slow_turn_warning(mut self, threshold: Duration) -> Self {
        self.slow_turn = threshold;
        self
    }

    /// How long `shutdown` waits for actors outside the supervision trees
    /// before killing them (default 5 s; the trees are stopped by their
    /// children's shutdown specs).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// The prefix of thread names (default `keel`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Installs seeded fault injection for tests: every run loop asks
    /// `faults` before `started` and before each user message (see
    /// [`Faults`](crate::patterns::Faults)). Keep a clone to read what it
    /// injected. Replaces an earlier `faults` or `interceptor`.
    pub fn faults(mut self, faults: Faults) -> Self {
        self.interceptor = Some(faults.interceptor());
        self
    }

    /// Fault injection's hook on every run loop.
    #[doc(hidden)]
    pub fn interceptor(mut self, interceptor: Arc<dyn Interceptor>) -> Self {
        self.interceptor = Some(interceptor);
        self
    }

    /// Starts the System.
    pub fn build(self) -> Result<System, BuildError> {
        if self.workers == Some(0) {
            return Err(BuildError::Invalid("workers must be at least 1"));
        }
        if self.throughput == 0 {
            return Err(BuildError::Invalid("throughput must be at least 1"));
        }
        if self.dispatchers.iter().any(|(_, n)| *n == 0) {
            return Err(BuildError::Invalid("a dispatcher needs at least 1 worker"));
        }
        let mut names: Vec<&str> = self.dispatchers.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return Err(BuildError::Invalid("a dispatcher name is given twice"));
        }
        let multi = |h: &tokio::runtime::Handle| {
            h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread
        };
        let (tokio, owned) = match self.tokio {
            Some(h) if multi(&h) => (h, None),
            Some(_) => return Err(BuildError::NotMultiThread),
            None => match tokio::runtime::Handle::try_current() {
                Ok(h) if multi(&h) => (h, None),
                _ => {
                    let rt = tokio::runtime::Builder::new_multi_thread()
                        .worker_threads(1)
                        .thread_name(format!("{}-tokio", self.name))
                        .enable_all()
                        .build()?;
                    (rt.handle().clone(), Some(rt))
                }
            },
        };
        let enter = tokio.clone();
        let wrapper: ThreadWrapper = Arc::new(move |run: &mut dyn FnMut()| {
            let _enter = enter.enter();
            run();
        });
        let scheduler_config = |name: String, workers: usize| SchedulerConfig {
            name,
            workers,
            throughput: self.throughput,
            thread_wrapper: Some(wrapper.clone()),
        };
        let workers = self
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let scheduler = Scheduler::new(scheduler_config(self.name.clone(), workers))?;
        let mut dispatchers = HashMap::new();
        for (name, n) in &self.dispatchers {
            let s = Scheduler::new(scheduler_config(format!("{}-{name}", self.name), *n))?;
            dispatchers.insert(name.clone(), s);
        }
        let kernel = Kernel::new(
            scheduler,
            dispatchers,
            self.clock.unwrap_or_else(Clock::system),
            tokio,
            KernelConfig {
                name: self.name,
                default_mailbox: self.default_mailbox,
                ask_timeout: self.ask_timeout,
                slow_turn: self.slow_turn,
            },
            self.interceptor,
        );
        Ok(System {
            handle: Arc::new(Handle {
                inner: Arc::new(Inner {
                    kernel,
                    owned_tokio: Mutex::new(owned),
                    shutdown_timeout: self.shutdown_timeout,
                    state: Mutex::new(EndState::default()),
                    ended: Condvar::new(),
                    root: Mutex::new(None),
                    trees: AtomicU64::new(0),
                }),
            }),
        })
    }
}

impl fmt::Debug for SystemBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SystemBuilder")
            .field("name", &self.name)
            .field("workers", &self.workers)
            .field("throughput", &self.throughput)
            .field("default_mailbox", &self.default_mailbox)
            .field("dispatchers", &self.dispatchers)
            .field("ask_timeout", &self.ask_timeout)
            .finish_non_exhaustive()
    }
}

impl Inner {
    /// The root supervisor, made on first use: one for one, no restarts
    /// (a tree that ends trips it), its trees permanent. When it gives up
    /// the System shuts down, ending with the give-up's reason.
    fn root(this: &Arc<Inner>) -> SupervisorRef {
        let mut root = this.root.lock();
        if let Some((_, r)) = &*root {
            return r.clone();
        }
        let (r, inc) = start_root(&this.kernel);
        let weak = Arc::downgrade(this);
        inc.on_exit_announced(this.kernel.next_id(), move |_| {
            if let Some(inner) = weak.upgrade() {
                if !inner.kernel.is_shutting_down() {
                    let reason = ExitReason::shutdown_with("reached_max_restart_intensity");
                    Inner::start_shutdown_with(&inner, Some(reason));
                }
            }
        });
        *root = Some((inc, r.clone()));
        r
    }

    /// Starts the shutdown sequence once, on its own thread.
    fn start_shutdown(this: &Arc<Inner>) {
        Inner::start_shutdown_with(this, None);
    }

    /// `start_shutdown`, the System ending with `reason` (default
    /// `Shutdown`).
    fn start_shutdown_with(this: &Arc<Inner>, reason: Option<ExitReason>) {
        {
            let mut state = this.state.lock();
            if state.shutdown_started {
                return;
            }
            state.shutdown_started = true;
            state.reason = reason;
        }
        this.kernel.begin_shutdown();
        let inner = this.clone();
        let name = format!("{}-shutdown", this.kernel.config.name);
        if spawn_named(name, move || inner.run_shutdown()).is_err() {
            // No thread for the orderly sequence: stop the workers without
            // waiting (they drop every task, which ends every actor).
            this.kernel.stop_workers();
            this.ended(ExitReason::Shutdown);
        }
    }

    fn run_shutdown(self: Arc<Self>) {
        let kernel = &self.kernel;
        // The supervision trees first, in reverse start order, each by its
        // children's shutdown specs (OTP: a worker's timeout, then a kill;
        // a supervisor waits for its children): the root traps exits, so
        // this runs its `stopped`. The trees bound their own time; the
        // shutdown timeout is for the actors outside them.
        let root = self.root.lock().as_ref().map(|(inc, _)| inc.clone());
        if let Some(root) = root {
            let done = Arc::new((Mutex::new(false), Condvar::new()));
            let notify = done.clone();
            root.on_exit_announced(kernel.next_id(), move |_| {
                *notify.0.lock() = true;
                notify.1.notify_all();
            });
            root.signal(Signal::parent_shutdown(root.pid, None));
            let mut ended = done.0.lock();
            while !*ended {
                ended = done.1.wait(ended);
            }
        }
        let deadline = crate::time::saturating_add(Instant::now(), self.shutdown_timeout);
        for inc in kernel.live.snapshot() {
            inc.signal(Signal::parent_shutdown(inc.pid, None));
        }
        if !kernel.live.wait_empty(deadline) {
            let stuck = kernel.live.snapshot();
            tracing::warn!(
                actors = stuck.len(),
                "shutdown: killing actors still running after {:?}",
                self.shutdown_timeout
            );
            for inc in stuck {
                if let Some(r) = inc.any_ref() {
                    r.kill();
                }
            }
        }
        // Killed actors whose handler never yields keep their worker: wait
        // for them no longer than the shutdown timeout again, then leave
        // those workers to finish on their own (the System has ended).
        let workers_deadline = crate::time::saturating_add(Instant::now(), self.shutdown_timeout);
        // Every pool starts stopping at once; then each gets the same time.
        kernel.stop_workers();
        let mut stuck = !kernel.scheduler.shutdown_until(workers_deadline);
        for s in kernel.dispatchers.values() {
            stuck |= !s.shutdown_until(workers_deadline);
        }
        if stuck {
            tracing::warn!(
                "shutdown: workers still inside handlers that do not yield were left to finish on their own"
            );
        }
        if let Some(rt) = self.owned_tokio.lock().take() {
            rt.shutdown_background();
        }
        let reason = self.state.lock().reason.take();
        self.ended(reason.unwrap_or(ExitReason::Shutdown));
    }

    /// The System has ended: streams end, `terminated` and `shutdown`
    /// resolve.
    fn ended(&self, reason: ExitReason) {
        self.kernel.events.close();
        let waiters = {
            let mut state = self.state.lock();
            state.ended.get_or_insert(reason);
            std::mem::take(&mut state.waiters)
        };
        self.ended.notify_all();
        for w in waiters {
            w.wake();
        }
    }

    fn poll_ended(&self, cx: &mut std::task::Context<'_>) -> Poll<ExitReason> {
        let mut state = self.state.lock();
        if let Some(reason) = &state.ended {
            return Poll::Ready(reason.clone());
        }
        if !state.waiters.iter().any(|w| w.will_wake(cx.waker())) {
            state.waiters.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // Never blocks, never panics: the sequence runs on its own thread.
        Inner::start_shutdown(&self.inner);
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(rt) = self.owned_tokio.lock().take() {
            // Dropping a runtime inside an async context panics; this never
            // blocks.
            rt.shutdown_background();
        }
    }
}
