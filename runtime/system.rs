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
//! [`System::shutdown`] refuses new actors, sends every live actor a
//! shutdown request (newest first; as from its parent: an actor that traps
//! exits runs `stopped`, one that does not ends at once), waits up to the
//! shutdown timeout (default 5 s, real time) for them to end, kills the
//! rest, and stops the workers. The waiting is done on a thread of its own,
//! so `shutdown().await` never blocks its caller's thread. Dropping the last
//! `System` handle starts the same sequence and returns at once.
use std::collections::HashMap;
use std::fmt;
use std::future::{poll_fn, Future};
use std::sync::Arc;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use crate::actor::address::{ExitSignal, Signal};
use crate::actor::kernel::{Interceptor, Kernel, KernelConfig};
use crate::actor::run::{spawn, spawn_ready, SpawnOptions};
use crate::actor::{Actor, ActorRef, EventStream, ExitReason, MailboxConfig, StartError};
use crate::core::scheduler::{Scheduler, SchedulerConfig, ThreadWrapper};
use crate::sync::{spawn_named, Condvar, Mutex};
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
}

#[derive(Default)]
struct EndState {
    shutdown_started: bool,
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
    /// completed [`shutdown`](Self::shutdown).
    pub fn terminated(&self) -> impl Future<Output = ExitReason> + Send + 'static {
        let inner = self.handle.inner.clone();
        poll_fn(move |cx| inner.poll_ended(cx))
    }

    /// Messages accepted and then not processed, so far (each is also
    /// traced and published as `SystemEvent::DeadLetter`).
    pub fn dead_letters(&self) -> u64 {
        self.kernel().dead_letter_count()
    }

    /// A stream of this System's events from now on.
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

    pub(crate) fn kernel(&self) -> &Arc<Kernel> {
        &self.handle.inner.kernel
    }
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
    /// actors choose it with `ActorConfig::dispatcher`.
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

    /// How long `shutdown` waits for actors before killing them (default
    /// 5 s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// The prefix of thread names (default `keel`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
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
    /// Starts the shutdown sequence once, on its own thread.
    fn start_shutdown(this: &Arc<Inner>) {
        {
            let mut state = this.state.lock();
            if state.shutdown_started {
                return;
            }
            state.shutdown_started = true;
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
        for inc in kernel.live.snapshot() {
            inc.signal(Signal::Exit(ExitSignal {
                to: inc.pid,
                from: None,
                reason: ExitReason::Shutdown,
                from_parent: true,
            }));
        }
        let deadline = crate::time::saturating_add(Instant::now(), self.shutdown_timeout);
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
        self.ended(ExitReason::Shutdown);
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
