//! Router pools: N supervised, identical workers behind one handle.
//!
//! A [`Pool`] is a supervisor (one for one) of `worker-0` .. `worker-N-1`,
//! and a routing table of their refs. Routing picks a worker for each
//! message: [`Pool::pick`] by the pool's [`Routing`] (round robin, or the
//! shortest mailbox), [`Pool::pick_for`] by consistent hashing of a key
//! (the same key, the same worker, while the pool's size stays the same).
//!
//! Failover: [`Pool::pick`] skips a worker that is restarting while another
//! runs. A worker's address outlives its incarnations, so the messages
//! queued on it when it crashed are kept and handled by its next
//! incarnation; nothing queued is lost to a crash (only the message being
//! handled, whose ask fails with the crash's reason). [`Pool::pick_for`]
//! keeps a key on its worker while that worker restarts (its messages
//! wait there, in order), as Akka's consistent-hashing router does.
//! [`Pool::resize`] adds workers, or removes the newest ones after they
//! have handled what was queued on them.
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use crate::actor::{Actor, ActorRef, StartError, Status, TellError};
use crate::supervisor::{
    Backoff, ChildSpec, ChildState, Restart, Strategy, Supervisor, SupervisorError, SupervisorRef,
};
use crate::sync::{AtomicBool, AtomicUsize, Mutex, Ordering};

/// How [`Pool::pick`] chooses a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Routing {
    /// Each running worker in turn (the default).
    #[default]
    RoundRobin,
    /// The running worker with the fewest messages waiting (the first of
    /// them on a tie).
    LeastLoaded,
}

/// Why a pool call failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// A pool has at least one worker.
    #[error("a pool needs at least one worker")]
    Empty,
    /// The pool's supervisor did not start.
    #[error("the pool did not start: {0}")]
    Start(StartError),
    /// Another resize of the pool is under way.
    #[error("another resize of the pool is under way")]
    Resizing,
    /// The pool's supervisor refused or is gone.
    #[error(transparent)]
    Supervisor(#[from] SupervisorError),
}

/// A pool's configuration: the worker factory, size, routing and the
/// supervisor's restart settings. Build one with [`Pool::builder`].
pub struct PoolBuilder<A: Actor> {
    factory: Arc<dyn Fn() -> A + Send + Sync>,
    size: usize,
    routing: Routing,
    max_restarts: Option<u32>,
    within: Option<Duration>,
    restart_delay: Option<Backoff>,
    dispatcher: Option<Arc<str>>,
}

/// A handle to a running pool. Cheap to clone; clones share the routing
/// table.
pub struct Pool<A: Actor> {
    inner: Arc<Inner<A>>,
}

struct Inner<A: Actor> {
    sup: SupervisorRef,
    routing: Routing,
    spec: WorkerSpec<A>,
    table: Mutex<Table<A>>,
    next: AtomicUsize,
    /// A resize is under way (one at a time).
    resizing: AtomicBool,
    /// The number of the next worker `resize` starts (`worker-N`): never
    /// one a child of the supervisor already has.
    next_id: AtomicUsize,
}

/// What `resize` needs to start a worker like the others.
struct WorkerSpec<A: Actor> {
    factory: Arc<dyn Fn() -> A + Send + Sync>,
    restart_delay: Option<Backoff>,
    dispatcher: Option<Arc<str>>,
}

struct Table<A: Actor> {
    /// The workers in order, each with its child id.
    workers: Arc<[(Arc<str>, ActorRef<A>)]>,
    /// The consistent-hashing ring: (point, worker index), sorted; each
    /// worker's points come from its child id.
    ring: Arc<[(u64, usize)]>,
}

/// Points per worker on the ring: enough that each worker's share of keys
/// stays within a few percent of even.
const VNODES: usize = 64;

impl<A: Actor> Pool<A> {
    /// A pool of `size` workers, each made by `factory` at every start.
    pub fn builder(size: usize, factory: impl Fn() -> A + Send + Sync + 'static) -> PoolBuilder<A> {
        PoolBuilder {
            factory: Arc::new(factory),
            size,
            routing: Routing::RoundRobin,
            max_restarts: None,
            within: None,
            restart_delay: None,
            dispatcher: None,
        }
    }

    /// The pool behind a running pool supervisor (one that
    /// [`PoolBuilder::supervisor`] built). Its running workers make the
    /// routing table; one that is restarting when it attaches (waiting out
    /// a restart delay) is left out of it. `Err(Empty)` if none runs.
    ///
    /// For a pool supervisor placed in a tree of your own: if its parent
    /// restarts it, its workers are new actors, and the pool must be
    /// attached again. [`System::start_pool`](crate::System::start_pool)
    /// does not have that concern: a tree under the root is never
    /// restarted.
    pub async fn attach(sup: SupervisorRef, builder: PoolBuilder<A>) -> Result<Pool<A>, PoolError> {
        sup.sync().await?;
        let mut workers = Vec::new();
        let mut next_id = 0;
        for child in sup.which_children().await? {
            if let Some(n) = child
                .id
                .strip_prefix("worker-")
                .and_then(|n| n.parse::<usize>().ok())
            {
                next_id = next_id.max(n + 1);
            }
            if let ChildState::Running(r) = child.state {
                if let Some(w) = r.downcast::<A>() {
                    workers.push((child.id, w));
                }
            }
        }
        if workers.is_empty() {
            return Err(PoolError::Empty);
        }
        Ok(Pool {
            inner: Arc::new(Inner {
                sup,
                routing: builder.routing,
                spec: WorkerSpec {
                    factory: builder.factory,
                    restart_delay: builder.restart_delay,
                    dispatcher: builder.dispatcher,
                },
                table: Mutex::new(Table::new(workers)),
                next: AtomicUsize::new(0),
                resizing: AtomicBool::new(false),
                next_id: AtomicUsize::new(next_id),
            }),
        })
    }

    /// A worker for the next message, by the pool's routing, among the
    /// running workers: round robin takes them in turn, least loaded the
    /// one with the fewest messages waiting (ties go round). A restarting
    /// worker only if none runs (its messages wait for its next
    /// incarnation).
    ///
    /// The message being handled is not in a mailbox's count: under asks
    /// one at a time, every worker reads 0 and least loaded goes round.
    pub fn pick(&self) -> ActorRef<A> {
        let workers = self.inner.table.lock().workers.clone();
        let turn = self.inner.next.fetch_add(1, Ordering::Relaxed);
        // No allocation per message: the running workers are walked twice.
        let running = || {
            workers
                .iter()
                .map(|(_, w)| w)
                .filter(|w| w.status() == Status::Running)
        };
        let n = running().count();
        if n == 0 {
            return workers[turn % workers.len()].1.clone();
        }
        let first = turn % n;
        let chosen = match self.inner.routing {
            Routing::RoundRobin => running().nth(first),
            // Ties go to the first at or after this turn's place.
            Routing::LeastLoaded => running()
                .enumerate()
                .min_by_key(|(i, w)| (w.any().mailbox_len(), (i + n - first) % n))
                .map(|(_, w)| w),
        };
        chosen.unwrap_or(&workers[0].1).clone()
    }

    /// The worker for `key` by consistent hashing: the same key goes to
    /// the same worker, and resizing moves only about `1/size` of the keys.
    /// While that worker restarts, the key stays with it (its messages
    /// wait there, in order, for its next incarnation). Only a worker that
    /// has stopped for good (it ended normally, and is not restarted) hands
    /// its keys to the next worker on the ring.
    pub fn pick_for<K: Hash + ?Sized>(&self, key: &K) -> ActorRef<A> {
        let (workers, ring) = {
            let t = self.inner.table.lock();
            (t.workers.clone(), t.ring.clone())
        };
        let h = hash_of(key);
        let start = ring.partition_point(|(p, _)| *p < h);
        (0..ring.len())
            .map(|i| &workers[ring[(start + i) % ring.len()].1].1)
            .find(|w| w.status() != Status::Stopped)
            .unwrap_or(&workers[ring[start % ring.len()].1].1)
            .clone()
    }

    /// Tells `msg` to [`pick`](Self::pick)'s worker.
    pub fn tell(&self, msg: A::Msg) -> Result<(), TellError<A::Msg>> {
        self.pick().tell(msg)
    }

    /// Tells `msg` to [`pick_for`](Self::pick_for)'s worker for `key`.
    pub fn tell_for<K: Hash + ?Sized>(
        &self,
        key: &K,
        msg: A::Msg,
    ) -> Result<(), TellError<A::Msg>> {
        self.pick_for(key).tell(msg)
    }

    /// The workers, in order (`worker-0` first).
    pub fn workers(&self) -> Vec<ActorRef<A>> {
        self.inner
            .table
            .lock()
            .workers
            .iter()
            .map(|(_, w)| w.clone())
            .collect()
    }

    /// How many workers it has.
    pub fn size(&self) -> usize {
        self.inner.table.lock().workers.len()
    }

    /// The pool's supervisor (to look at it, or to stop the pool).
    pub fn supervisor(&self) -> &SupervisorRef {
        &self.inner.sup
    }

    /// Grows the pool to `size` workers, or shrinks it: the newest workers
    /// leave the routing table at once, then each stops after the messages
    /// already queued on it (waiting for room in a full bounded mailbox, so
    /// none is lost) and is deleted from the supervisor. Resolves when
    /// done. `Err(Empty)` for 0, `Err(Resizing)` while another resize runs.
    ///
    /// A worker started by a grow joins the table as soon as it runs, so
    /// a grow that fails part way (`Err(Start(..))`, or `Err(Supervisor)`)
    /// keeps the workers it started. A ref taken from `pick` or `workers`
    /// before a shrink and used after it may reach a stopped worker: that
    /// message is a dead letter, counted and published as any other.
    pub async fn resize(&self, size: usize) -> Result<(), PoolError> {
        if size == 0 {
            return Err(PoolError::Empty);
        }
        if self.inner.resizing.swap(true, Ordering::AcqRel) {
            return Err(PoolError::Resizing);
        }
        let _done = ResizeDone(&self.inner.resizing);
        let current = self.inner.table.lock().workers.to_vec();
        if size > current.len() {
            for _ in current.len()..size {
                let n = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
                let spec = self.inner.spec.child(n);
                let id: Arc<str> = Arc::from(spec.id());
                match self.inner.sup.start_child(spec).await? {
                    Some(any) => {
                        if let Some(w) = any.downcast::<A>() {
                            let mut t = self.inner.table.lock();
                            let mut all = t.workers.to_vec();
                            all.push((id, w));
                            *t = Table::new(all);
                        }
                    }
                    // `started` returned Ignore: the spec stays, stopped.
                    None => {
                        let _ = self.inner.sup.delete_child(&id).await;
                        return Err(PoolError::Start(StartError::Ignored));
                    }
                }
            }
        } else if size < current.len() {
            let leaving = current[size..].to_vec();
            *self.inner.table.lock() = Table::new(current[..size].to_vec());
            for (id, w) in &leaving {
                // A user-lane stop: after what is queued. A transient
                // worker that stops is not restarted.
                w.stop_after_queue().await;
                w.wait_exit().await;
                match self.inner.sup.delete_child(id).await {
                    Ok(()) | Err(SupervisorError::NotFound) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(())
    }
}

impl<A: Actor> Clone for Pool<A> {
    fn clone(&self) -> Self {
        Pool {
            inner: self.inner.clone(),
        }
    }
}

impl<A: Actor> std::fmt::Debug for Pool<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("supervisor", &self.inner.sup.id())
            .field("routing", &self.inner.routing)
            .field("size", &self.size())
            .finish()
    }
}

impl<A: Actor> PoolBuilder<A> {
    /// How [`Pool::pick`] routes (default round robin).
    pub fn routing(mut self, routing: Routing) -> Self {
        self.routing = routing;
        self
    }

    /// The pool supervisor's restart limit, for the whole pool (default: 3
    /// for each worker it starts with, within the supervisor's default
    /// window; a resize does not change it).
    pub fn max_restarts(mut self, n: u32) -> Self {
        self.max_restarts = Some(n);
        self
    }

    /// The restart limit's window (the supervisor's default, 5 s, if not
    /// set).
    pub fn within(mut self, d: Duration) -> Self {
        self.within = Some(d);
        self
    }

    /// A crashed worker restarts after this backoff (default at once);
    /// meanwhile routing skips it.
    pub fn restart_delay(mut self, backoff: Backoff) -> Self {
        self.restart_delay = Some(backoff);
        self
    }

    /// Runs the workers on this named dispatcher: a bulkhead, so that a
    /// flooded pool cannot take the threads of the rest of the System.
    pub fn dispatcher(mut self, name: impl Into<Arc<str>>) -> Self {
        self.dispatcher = Some(name.into());
        self
    }

    /// The pool's supervisor: one for one over `worker-0` ..
    /// `worker-{size-1}`, each transient (a crash restarts it; a stop by
    /// `resize` does not). Start it anywhere in a tree, then
    /// [`Pool::attach`] to its ref; `System::start_pool` does both.
    pub fn supervisor(&self) -> Result<Supervisor, PoolError> {
        if self.size == 0 {
            return Err(PoolError::Empty);
        }
        let spec = self.worker_spec();
        let mut b =
            Supervisor::builder()
                .strategy(Strategy::OneForOne)
                .max_restarts(self.max_restarts.unwrap_or_else(|| {
                    u32::try_from(self.size.saturating_mul(3)).unwrap_or(u32::MAX)
                }))
                .children((0..self.size).map(|i| spec.child(i)));
        if let Some(w) = self.within {
            b = b.within(w);
        }
        b.build()
            .map_err(|e| PoolError::Supervisor(SupervisorError::InvalidSpec(e)))
    }

    fn worker_spec(&self) -> WorkerSpec<A> {
        WorkerSpec {
            factory: self.factory.clone(),
            restart_delay: self.restart_delay,
            dispatcher: self.dispatcher.clone(),
        }
    }
}

impl<A: Actor> std::fmt::Debug for PoolBuilder<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolBuilder")
            .field("size", &self.size)
            .field("routing", &self.routing)
            .finish_non_exhaustive()
    }
}

// ---- private machinery ----

/// Clears the resize flag when a resize ends (or its future is dropped).
struct ResizeDone<'a>(&'a AtomicBool);

impl Drop for ResizeDone<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl<A: Actor> WorkerSpec<A> {
    fn child(&self, i: usize) -> ChildSpec {
        let factory = self.factory.clone();
        let mut spec =
            ChildSpec::worker(worker_id(i), move || factory()).restart(Restart::Transient);
        if let Some(b) = self.restart_delay {
            spec = spec.restart_delay(b);
        }
        if let Some(d) = &self.dispatcher {
            spec = spec.dispatcher(d.clone());
        }
        spec
    }
}

impl<A: Actor> Table<A> {
    fn new(workers: Vec<(Arc<str>, ActorRef<A>)>) -> Table<A> {
        let mut ring: Vec<(u64, usize)> = workers
            .iter()
            .enumerate()
            .flat_map(|(i, (id, _))| (0..VNODES).map(move |v| (hash_of(&(&**id, v)), i)))
            .collect();
        ring.sort_unstable();
        Table {
            workers: workers.into(),
            ring: ring.into(),
        }
    }
}

fn worker_id(i: usize) -> String {
    format!("worker-{i}")
}

/// A hash that is the same in every run of one build (std's SipHash with
/// fixed keys; the standard library may change its algorithm between
/// releases, which moves keys once).
fn hash_of<K: Hash + ?Sized>(key: &K) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}
