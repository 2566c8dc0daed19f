//! The scheduler: a pool of workers that run tasks, as a value (a System may
//! run several: its default pool, a blocking pool, named dispatchers).
//!
//! # Structure
//!
//! - Each worker owns a [`Local`] run queue (bounded, stealable) and a LIFO
//!   slot (not stealable). A wake on a worker's own thread puts the woken task
//!   in its LIFO slot, so a message's receiver runs next, while its data is
//!   hot; the slot's previous task moves to the back of the local queue. At
//!   most [`LIFO_CAP`] LIFO runs in a row, then the slot's task goes behind
//!   the local queue: a ping-pong pair cannot starve the other tasks.
//! - The injector (a locked queue) takes wakes from other threads (a tokio
//!   timer, a socket, a non-keel thread), spawns from outside, and a full
//!   local queue's overflow. Every 61st pick looks at it first.
//! - An idle worker steals half of another worker's local queue.
//! - A task runs at most `throughput` messages per turn (the mailbox spends
//!   the budget, see `task::coop`), then yields to the back of the queue.
//!
//! # Parking without lost wake-ups
//!
//! The injector's lock also guards the list of sleeping workers. A worker
//! parks only after checking, under that lock, that the injector is empty,
//! and a remote wake pushes and pops a sleeper under the same lock: either the
//! worker sees the task or the waker sees the sleeper. Each worker's parker
//! keeps a token, so an unpark that comes before the park is not lost. Local
//! pushes need no such care (their worker is awake and will run them); they
//! only wake a sleeper to steal, when no worker is already searching.
//!
//! # Shutdown
//!
//! [`Scheduler::begin_shutdown`] refuses new spawns, marks the injector shut
//! (later remote wakes drop their task at once), and unparks every worker.
//! Each worker drops what its LIFO slot and local queue hold as it exits; the
//! last one to exit drops the injector's tasks and closes every task still
//! alive (idle ones, whose futures would otherwise never be dropped). Every
//! task is dropped exactly once: by whoever holds its `Notified`, or by the
//! closer if it was idle (see `state`).
use std::cell::Cell as StdCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::ptr::{self, NonNull};

use crate::core::ids::IdMap;
use crate::core::queue::{Local, QueueItem};
use crate::core::task::{new_task, Header, Notified, TaskRef};
use crate::sync::{
    const_thread_local, fence, spawn_named, thread, Arc, AtomicBool, AtomicU64, AtomicUsize,
    Condvar, Mutex, Ordering,
};

/// LIFO runs in a row before the slot's task must queue behind the others.
pub(crate) const LIFO_CAP: u32 = 3;

/// How a [`Scheduler`] is built.
#[derive(Clone)]
pub struct SchedulerConfig {
    /// Worker threads are named `{name}-{index}`.
    pub name: String,
    /// Number of worker threads (at least 1).
    pub workers: usize,
    /// Messages a task may handle per turn before it yields (at least 1).
    pub throughput: u32,
    /// Runs each worker's whole loop inside this wrapper (the actor layer
    /// enters its tokio handle here); `None` runs it directly.
    pub thread_wrapper: Option<ThreadWrapper>,
}

/// Wraps a worker thread's loop: called once per worker, on that worker,
/// with the loop to run.
pub type ThreadWrapper = Arc<dyn Fn(&mut dyn FnMut()) + Send + Sync>;

/// A pool of worker threads running tasks.
pub struct Scheduler {
    shared: Arc<Shared>,
    threads: Mutex<Vec<thread::JoinHandle<()>>>,
    /// A bounded shutdown gave up waiting: the workers finish on their own.
    detached: AtomicBool,
}

/// A handle to a spawned task.
pub struct TaskHandle {
    task: TaskRef,
}

/// The scheduler is shutting down: the future comes back unrun.
pub struct SpawnError<F>(pub F);

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            name: "keel".into(),
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            throughput: 64,
            thread_wrapper: None,
        }
    }
}

impl fmt::Debug for SchedulerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchedulerConfig")
            .field("name", &self.name)
            .field("workers", &self.workers)
            .field("throughput", &self.throughput)
            .field("thread_wrapper", &self.thread_wrapper.is_some())
            .finish()
    }
}

impl Scheduler {
    /// Starts the workers.
    pub fn new(config: SchedulerConfig) -> std::io::Result<Scheduler> {
        let workers = config.workers.max(1);
        let shared = Shared::new(workers, config.throughput);
        let scheduler = Scheduler {
            shared: shared.clone(),
            threads: Mutex::new(Vec::with_capacity(workers)),
            detached: AtomicBool::new(false),
        };
        for index in 0..workers {
            let shared = shared.clone();
            let wrapper = config.thread_wrapper.clone();
            match spawn_named(format!("{}-{index}", config.name), move || {
                let mut run = Some(move || run_worker(shared, index));
                let mut once = || {
                    if let Some(run) = run.take() {
                        run();
                    }
                };
                match wrapper {
                    Some(wrap) => wrap(&mut once),
                    None => once(),
                }
            }) {
                Ok(handle) => scheduler.threads.lock().push(handle),
                Err(e) => {
                    // Workers that never started still count as live: let
                    // the ones that did do the final clean-up.
                    for _ in index..workers {
                        scheduler.shared.worker_exited();
                    }
                    scheduler.shutdown();
                    return Err(e);
                }
            }
        }
        Ok(scheduler)
    }

    /// Spawns a task; `Err` hands the future back once shutdown began.
    pub fn spawn<F>(&self, future: F) -> Result<TaskHandle, SpawnError<F>>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.shared.spawn(&self.shared, future)
    }

    /// Number of worker threads.
    pub fn workers(&self) -> usize {
        self.shared.locals.len()
    }

    /// Refuses new spawns and tells every worker to stop; does not wait.
    pub fn begin_shutdown(&self) {
        self.shared.begin_shutdown();
    }

    /// Shuts down and joins the workers (those of other threads: called on
    /// one of this scheduler's own workers, it only begins the shutdown).
    /// Every task still queued or alive is dropped exactly once.
    pub fn shutdown(&self) {
        self.begin_shutdown();
        if self.shared.is_current() || self.detached.load(Ordering::Acquire) {
            return;
        }
        let threads = std::mem::take(&mut *self.threads.lock());
        for t in threads {
            // A worker never panics out of its loop (tasks' panics are
            // caught); if one did, its exit guard still cleaned up.
            let _ = t.join();
        }
        // A concurrent caller found no threads left to join: it still
        // returns only once the clean-up is done.
        self.shared.wait_finished();
    }

    /// Shuts down like [`shutdown`](Self::shutdown), but waits for the
    /// workers' clean-up only until `deadline`. If a worker is still inside
    /// a poll then (a task that never yields), the workers are detached:
    /// they finish and clean up on their own when it returns, and later
    /// `shutdown` calls (the drop included) no longer wait. True if
    /// everything finished in time.
    #[cfg(not(keel_loom))]
    pub fn shutdown_until(&self, deadline: std::time::Instant) -> bool {
        self.begin_shutdown();
        if self.shared.is_current() {
            return false;
        }
        if !self.shared.wait_finished_until(deadline) {
            self.detached.store(true, Ordering::Release);
            // Dropping the join handles detaches the threads.
            self.threads.lock().clear();
            return false;
        }
        let threads = std::mem::take(&mut *self.threads.lock());
        for t in threads {
            // Finished its clean-up: the join returns at once.
            let _ = t.join();
        }
        true
    }

    /// True on one of this scheduler's worker threads.
    pub fn is_current(&self) -> bool {
        self.shared.is_current()
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scheduler")
            .field("workers", &self.workers())
            .field("shutdown", &self.shared.is_shutdown.load(Ordering::Relaxed))
            .finish()
    }
}

impl TaskHandle {
    /// The task's id (unique within its scheduler).
    pub fn id(&self) -> u64 {
        self.task.id()
    }

    /// True once the task completed or was cancelled.
    pub fn is_finished(&self) -> bool {
        self.task.is_closed()
    }

    /// Cancels the task: its future is dropped now if idle, or by the worker
    /// that holds it, after its current poll.
    pub fn cancel(&self) {
        self.task.close();
    }
}

impl fmt::Debug for TaskHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}

impl<F> fmt::Debug for SpawnError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SpawnError(..)")
    }
}

impl<F> fmt::Display for SpawnError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the scheduler is shutting down")
    }
}

impl<F> std::error::Error for SpawnError<F> {}

// ---- private machinery ----

/// What the workers and every task of one scheduler share.
pub(crate) struct Shared {
    inject: Mutex<Inject>,
    /// `inject.queue.len()`, readable without the lock (a hint).
    inject_len: AtomicUsize,
    locals: Box<[Local<Notified>]>,
    parkers: Box<[Parker]>,
    /// `inject.sleepers.len()`, readable without the lock (a hint).
    num_sleepers: AtomicUsize,
    /// Workers woken to look for work that have not found any yet.
    num_searching: AtomicUsize,
    is_shutdown: AtomicBool,
    live_workers: AtomicUsize,
    /// Set (and `finished_cv` notified) once the last worker's clean-up is
    /// done, so every `shutdown` caller can wait for it, not just the one
    /// that joined the threads.
    finished: Mutex<bool>,
    finished_cv: Condvar,
    owned: Mutex<Owned>,
    next_id: AtomicU64,
    throughput: u32,
}

struct Inject {
    queue: VecDeque<Notified>,
    sleepers: Vec<usize>,
    shutdown: bool,
}

/// Every task not yet finished, with a reference each, so shutdown can drop
/// the futures of idle tasks.
struct Owned {
    tasks: IdMap<TaskRef>,
    closed: bool,
}

struct Parker {
    token: Mutex<bool>,
    cvar: Condvar,
}

/// The running worker's view of itself, reachable from wakers on its thread.
struct WorkerCtx {
    shared: *const Shared,
    index: usize,
    lifo: StdCell<Option<Notified>>,
}

/// Loop-local bookkeeping of a worker.
struct WorkerState {
    tick: u32,
    lifo_streak: u32,
    searching: bool,
    rng: u32,
}

const_thread_local! {
    static CURRENT: StdCell<*const WorkerCtx> = StdCell::new(ptr::null());
}

const_thread_local! {
    /// Set while a worker of this scheduler runs its exit (see `WorkerExit`).
    static EXITING: StdCell<*const Shared> = StdCell::new(ptr::null());
}

impl QueueItem for Notified {
    type Target = Header;
    fn into_ptr(self) -> NonNull<Header> {
        self.into_raw()
    }
    unsafe fn from_ptr(ptr: NonNull<Header>) -> Self {
        // SAFETY: forwarded contract: `ptr` came from `into_ptr`.
        unsafe { Notified::from_raw(ptr) }
    }
}

fn run_worker(shared: Arc<Shared>, index: usize) {
    let ctx = WorkerCtx {
        shared: Arc::as_ptr(&shared),
        index,
        lifo: StdCell::new(None),
    };
    CURRENT.with(|c| c.set(&ctx));
    // Runs on the way out, also if the loop ever unwinds.
    let _exit = WorkerExit {
        shared: &shared,
        ctx: &ctx,
    };
    let mut state = WorkerState {
        tick: 0,
        lifo_streak: 0,
        searching: false,
        rng: index as u32 + 1,
    };
    while !shared.is_shutdown.load(Ordering::Acquire) {
        match shared.next_task(&ctx, &mut state) {
            Some(task) => {
                if state.searching {
                    state.searching = false;
                    shared.num_searching.fetch_sub(1, Ordering::AcqRel);
                }
                if let Some(again) = task.run(shared.throughput) {
                    shared.requeue_local(index, again);
                }
            }
            None => {
                if !shared.park(&ctx, &mut state) {
                    break;
                }
            }
        }
    }
}

/// A worker's exit: drops what it still holds, then (the last one out) the
/// injector and every live task, then clears the thread's context.
struct WorkerExit<'a> {
    shared: &'a Shared,
    ctx: &'a WorkerCtx,
}

impl Drop for WorkerExit<'_> {
    fn drop(&mut self) {
        // A task dropped here may wake others onto this same worker, so loop
        // until both are empty.
        loop {
            if let Some(task) = self.ctx.lifo.take() {
                task.shutdown();
            } else if let Some(task) = self.shared.locals[self.ctx.index].pop() {
                task.shutdown();
            } else {
                break;
            }
        }
        // From here wakes go to the (shut) injector, which drops them.
        CURRENT.with(|c| c.set(ptr::null()));
        // Still marked as a worker of this scheduler: a future dropped by the
        // final sweep that owns the Scheduler must not try to join us.
        EXITING.with(|e| e.set(self.shared));
        self.shared.worker_exited();
        EXITING.with(|e| e.set(ptr::null()));
    }
}

impl Shared {
    /// The shared state of `workers` workers (not started).
    fn new(workers: usize, throughput: u32) -> Arc<Shared> {
        Arc::new(Shared {
            inject: Mutex::new(Inject {
                queue: VecDeque::new(),
                sleepers: Vec::with_capacity(workers),
                shutdown: false,
            }),
            inject_len: AtomicUsize::new(0),
            locals: (0..workers).map(|_| Local::new()).collect(),
            parkers: (0..workers).map(|_| Parker::new()).collect(),
            num_sleepers: AtomicUsize::new(0),
            num_searching: AtomicUsize::new(0),
            is_shutdown: AtomicBool::new(false),
            live_workers: AtomicUsize::new(workers),
            finished: Mutex::new(false),
            finished_cv: Condvar::new(),
            owned: Mutex::new(Owned {
                tasks: IdMap::default(),
                closed: false,
            }),
            next_id: AtomicU64::new(1),
            throughput: throughput.max(1),
        })
    }

    fn spawn<F>(&self, this: &Arc<Shared>, future: F) -> Result<TaskHandle, SpawnError<F>>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let mut owned = self.owned.lock();
        if owned.closed {
            return Err(SpawnError(future));
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (notified, owned_ref, handle) = new_task(future, id, this.clone());
        owned.tasks.insert(id, owned_ref);
        drop(owned);
        match self.current_ctx() {
            // Spawned tasks queue behind the spawner's other work.
            Some(ctx) => self.push_local(ctx.index, notified),
            None => self.push_remote(notified),
        }
        Ok(TaskHandle { task: handle })
    }

    /// A wake: on one of our workers into its LIFO slot, else the injector.
    pub(crate) fn schedule(&self, task: Notified) {
        match self.current_ctx() {
            Some(ctx) => {
                if let Some(prev) = ctx.lifo.replace(Some(task)) {
                    self.push_local(ctx.index, prev);
                }
            }
            None => self.push_remote(task),
        }
    }

    /// The scheduler's list of owned tasks lets go of a finished task.
    pub(crate) fn release(&self, id: u64) {
        let task = self.owned.lock().tasks.remove(&id);
        drop(task); // outside the lock: this may free the task
    }

    fn current_ctx(&self) -> Option<&WorkerCtx> {
        let ctx = CURRENT.with(|c| c.get());
        // SAFETY: CURRENT points at a WorkerCtx on this thread's worker
        // stack frame for as long as it is set (cleared before it ends).
        let ctx = unsafe { ctx.as_ref() }?;
        ptr::eq(ctx.shared, self).then_some(ctx)
    }

    /// True on one of our worker threads, including one running its exit.
    fn is_current(&self) -> bool {
        self.current_ctx().is_some() || EXITING.with(|e| ptr::eq(e.get(), self))
    }

    fn push_local(&self, index: usize, task: Notified) {
        self.locals[index].push_back(task, |batch| self.push_remote_batch(batch));
        // Pairs with the fence in `park`.
        fence(Ordering::SeqCst);
        self.notify_searcher();
    }

    /// A task runnable again right after its turn (it spent its budget, or
    /// was woken while running) goes back on this worker's queue. A sibling
    /// is woken only if other work waits there too: stealing this worker's
    /// only task would just move it, and its data, to another core, once
    /// per turn. This worker runs it next, so nothing waits on a sleeper.
    fn requeue_local(&self, index: usize, task: Notified) {
        let alone = self.locals[index].len() == 0;
        self.locals[index].push_back(task, |batch| self.push_remote_batch(batch));
        if !alone {
            // Pairs with the fence in `park`.
            fence(Ordering::SeqCst);
            self.notify_searcher();
        }
    }

    fn push_remote(&self, task: Notified) {
        // No Vec for one task: this is every wake from a foreign thread.
        self.push_remote_batch(std::iter::once(task));
    }

    fn push_remote_batch(&self, batch: impl IntoIterator<Item = Notified>) {
        let mut inject = self.inject.lock();
        if inject.shutdown {
            drop(inject);
            for task in batch {
                task.shutdown();
            }
            return;
        }
        let before = inject.queue.len();
        inject.queue.extend(batch);
        self.inject_len
            .fetch_add(inject.queue.len() - before, Ordering::Release);
        let sleeper = self.pop_sleeper(&mut inject);
        drop(inject);
        if let Some(i) = sleeper {
            self.parkers[i].unpark();
        }
    }

    /// Wakes a sleeper to steal, unless someone is searching already.
    fn notify_searcher(&self) {
        if self.num_searching.load(Ordering::Acquire) != 0
            || self.num_sleepers.load(Ordering::Acquire) == 0
        {
            return;
        }
        let mut inject = self.inject.lock();
        let sleeper = self.pop_sleeper(&mut inject);
        drop(inject);
        if let Some(i) = sleeper {
            self.parkers[i].unpark();
        }
    }

    /// Under the injector lock: takes a sleeper, who will wake searching.
    fn pop_sleeper(&self, inject: &mut Inject) -> Option<usize> {
        let i = inject.sleepers.pop()?;
        self.num_sleepers.fetch_sub(1, Ordering::AcqRel);
        self.num_searching.fetch_add(1, Ordering::AcqRel);
        Some(i)
    }

    fn next_task(&self, ctx: &WorkerCtx, state: &mut WorkerState) -> Option<Notified> {
        state.tick = state.tick.wrapping_add(1);
        if state.tick.is_multiple_of(61) {
            if let Some(task) = self.pop_inject() {
                state.lifo_streak = 0;
                return Some(task);
            }
        }
        if let Some(task) = ctx.lifo.take() {
            if state.lifo_streak < LIFO_CAP {
                state.lifo_streak += 1;
                return Some(task);
            }
            self.locals[ctx.index].push_back(task, |batch| self.push_remote_batch(batch));
        }
        state.lifo_streak = 0;
        if let Some(task) = self.locals[ctx.index].pop() {
            return Some(task);
        }
        if let Some(task) = self.pop_inject() {
            return Some(task);
        }
        self.steal(ctx, state)
    }

    fn pop_inject(&self) -> Option<Notified> {
        if self.inject_len.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut inject = self.inject.lock();
        let task = inject.queue.pop_front()?;
        self.inject_len.fetch_sub(1, Ordering::Release);
        Some(task)
    }

    fn steal(&self, ctx: &WorkerCtx, state: &mut WorkerState) -> Option<Notified> {
        let n = self.locals.len();
        if n == 1 {
            return None;
        }
        // xorshift: a cheap different starting victim each time.
        state.rng ^= state.rng << 13;
        state.rng ^= state.rng >> 17;
        state.rng ^= state.rng << 5;
        let start = state.rng as usize % n;
        (0..n)
            .map(|i| (start + i) % n)
            .filter(|&victim| victim != ctx.index)
            .find_map(|victim| self.locals[victim].steal_into(&self.locals[ctx.index]))
    }

    /// Parks the worker until woken; `false` once shutting down.
    fn park(&self, ctx: &WorkerCtx, state: &mut WorkerState) -> bool {
        let mut inject = self.inject.lock();
        if inject.shutdown {
            return false;
        }
        if !inject.queue.is_empty() {
            return true;
        }
        if state.searching {
            state.searching = false;
            self.num_searching.fetch_sub(1, Ordering::AcqRel);
        }
        inject.sleepers.push(ctx.index);
        self.num_sleepers.fetch_add(1, Ordering::AcqRel);
        drop(inject);
        // A local push that saw no sleeper did not wake anyone: look at the
        // local queues once more after registering (the fences pair with the
        // one in `push_local`: either it sees us asleep, or we see its task).
        fence(Ordering::SeqCst);
        if self.locals.iter().any(|q| q.len() > 0) {
            let mut inject = self.inject.lock();
            if let Some(pos) = inject.sleepers.iter().position(|&i| i == ctx.index) {
                inject.sleepers.swap_remove(pos);
                self.num_sleepers.fetch_sub(1, Ordering::AcqRel);
                return true;
            }
            // Someone already took us off the list to wake us: the token
            // they leave makes the park below return at once.
        }
        self.parkers[ctx.index].park();
        // Whoever unparked us counted us as searching (or it is shutdown,
        // where the count no longer matters).
        state.searching = true;
        true
    }

    fn begin_shutdown(&self) {
        self.owned.lock().closed = true;
        let sleepers = {
            let mut inject = self.inject.lock();
            if inject.shutdown {
                return;
            }
            inject.shutdown = true;
            self.is_shutdown.store(true, Ordering::Release);
            self.num_sleepers.store(0, Ordering::Release);
            std::mem::take(&mut inject.sleepers)
        };
        for i in sleepers {
            self.parkers[i].unpark();
        }
    }

    /// The last worker out drops the injector's tasks and closes every task
    /// still alive.
    fn worker_exited(&self) {
        if self.live_workers.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        let queued = std::mem::take(&mut self.inject.lock().queue);
        self.inject_len.store(0, Ordering::Release);
        for task in queued {
            task.shutdown();
        }
        let alive: Vec<TaskRef> = self.owned.lock().tasks.drain().map(|(_, t)| t).collect();
        for task in alive {
            task.close();
        }
        *self.finished.lock() = true;
        self.finished_cv.notify_all();
    }

    /// Waits until the last worker finished its clean-up or `deadline`;
    /// true if it finished.
    #[cfg(not(keel_loom))]
    fn wait_finished_until(&self, deadline: std::time::Instant) -> bool {
        let mut finished = self.finished.lock();
        while !*finished {
            if self.finished_cv.wait_until(&mut finished, deadline) {
                return *finished;
            }
        }
        true
    }

    /// Waits until the last worker finished its clean-up.
    fn wait_finished(&self) {
        let mut finished = self.finished.lock();
        while !*finished {
            finished = self.finished_cv.wait(finished);
        }
    }
}

impl Parker {
    fn new() -> Parker {
        Parker {
            token: Mutex::new(false),
            cvar: Condvar::new(),
        }
    }

    fn park(&self) {
        let mut token = self.token.lock();
        while !*token {
            token = self.cvar.wait(token);
        }
        *token = false;
    }

    fn unpark(&self) {
        *self.token.lock() = true;
        self.cvar.notify_one();
    }
}

#[cfg(all(test, not(keel_loom)))]
mod tests;

#[cfg(all(test, keel_loom))]
mod loom_tests;
