//! What every runtime's module shares: the workloads and their sizes, the
//! report a run gives back, and the measuring tools (a counting allocator,
//! the process's CPU time).
use std::alloc::{GlobalAlloc, Layout, System as SystemAlloc};
// A std atomic: the workspace's clippy.toml bans them for keel's own code,
// which takes its primitives from `keel::sync`; this binary is not keel.
#[allow(clippy::disallowed_types)]
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// Tells in `tell`.
pub const TELL_N: u64 = 2_000_000;
/// Tells per producer in `fan_in` (2 producers).
pub const FAN_IN_EACH: u64 = 1_000_000;
/// Sequential round trips in `ask` and `ask_actor`.
pub const ASK_N: u64 = 200_000;
/// Actors in `spawn_stop`, each handling one message and stopping.
pub const SPAWN_STOP_N: u64 = 100_000;
/// Actors in `ring`.
pub const RING_ACTORS: u64 = 1_000;
/// Hops of the token around `ring`.
pub const RING_HOPS: u64 = 1_000_000;
/// Crash → restarted child answers, cycles in `restart`.
pub const RESTART_N: u64 = 10_000;
/// Idle actors in `idle_mem`.
pub const IDLE_N: u64 = 100_000;
/// How long `idle_cpu` watches an idle System.
pub const IDLE_WINDOW: Duration = Duration::from_secs(2);
/// Tells per producer→actor pair in `scale`.
pub const SCALE_EACH: u64 = 500_000;
/// The bound of a bounded mailbox in `scale` (the producer waits for room).
pub const SCALE_BOUND: usize = 1_000;
/// Levels of `skynet` below the root: 10^6 leaves, 1,111,111 actors.
pub const SKYNET_LEVELS: u32 = 6;

/// One workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// 1 producer → 1 actor, [`TELL_N`] increments, then one ask that
    /// returns the count.
    Tell,
    /// 2 producers → 1 actor, [`FAN_IN_EACH`] each, then one ask.
    FanIn,
    /// [`ASK_N`] sequential asks from a plain task.
    Ask,
    /// [`ASK_N`] sequential asks from an actor.
    AskActor,
    /// [`SPAWN_STOP_N`] actors, each handling one message and stopping.
    SpawnStop,
    /// [`RING_ACTORS`] actors passing a token [`RING_HOPS`] times.
    Ring,
    /// [`RESTART_N`] cycles: the child panics, the runtime's supervision
    /// restarts it, the new incarnation answers an ask.
    Restart,
    /// Bytes per idle actor over [`IDLE_N`] (u64 state).
    IdleMem,
    /// CPU burnt by a started runtime with one idle actor, over
    /// [`IDLE_WINDOW`].
    IdleCpu,
    /// `pairs` producer→actor pairs, [`SCALE_EACH`] tells each, producers
    /// on the runtime's own workers; bounded mailboxes wait for room.
    Scale {
        /// Producer→actor pairs.
        pairs: u64,
        /// Bounded ([`SCALE_BOUND`]) mailboxes instead of unbounded.
        bounded: bool,
    },
    /// A tree of 1,111,111 actors: each node spawns 10 children, leaves
    /// answer their number, every node answers its children's sum.
    Skynet,
}

impl Workload {
    /// The main table's workloads, in the order they run.
    pub const MAIN: [Workload; 9] = [
        Workload::Tell,
        Workload::FanIn,
        Workload::Ask,
        Workload::AskActor,
        Workload::SpawnStop,
        Workload::Ring,
        Workload::Restart,
        Workload::IdleMem,
        Workload::IdleCpu,
    ];

    /// The name on the command line and in the tables.
    pub fn name(&self) -> String {
        match self {
            Workload::Tell => "tell".into(),
            Workload::FanIn => "fan_in".into(),
            Workload::Ask => "ask".into(),
            Workload::AskActor => "ask_actor".into(),
            Workload::SpawnStop => "spawn_stop".into(),
            Workload::Ring => "ring".into(),
            Workload::Restart => "restart".into(),
            Workload::IdleMem => "idle_mem".into(),
            Workload::IdleCpu => "idle_cpu".into(),
            Workload::Scale { pairs, bounded } => {
                format!("scale_{pairs}{}", if *bounded { "_bounded" } else { "" })
            }
            Workload::Skynet => "skynet".into(),
        }
    }

    /// Parses [`Workload::name`].
    pub fn parse(s: &str) -> Option<Workload> {
        let all = Workload::MAIN.into_iter().chain([Workload::Skynet]);
        if let Some(w) = all.into_iter().find(|w| w.name() == s) {
            return Some(w);
        }
        let rest = s.strip_prefix("scale_")?;
        let (pairs, bounded) = match rest.strip_suffix("_bounded") {
            Some(p) => (p, true),
            None => (rest, false),
        };
        Some(Workload::Scale {
            pairs: pairs.parse().ok()?,
            bounded,
        })
    }

    /// What a correct run's `check` is.
    pub fn expected(&self) -> Option<u64> {
        match self {
            Workload::Tell => Some(TELL_N),
            Workload::FanIn => Some(2 * FAN_IN_EACH),
            Workload::Ask | Workload::AskActor => Some(ASK_N),
            Workload::SpawnStop => Some(SPAWN_STOP_N),
            Workload::Ring => Some(RING_HOPS),
            Workload::Restart => Some(RESTART_N),
            Workload::IdleMem => Some(IDLE_N),
            Workload::IdleCpu => None,
            Workload::Scale { pairs, .. } => Some(pairs * SCALE_EACH),
            Workload::Skynet => {
                let leaves = 10u64.pow(SKYNET_LEVELS);
                Some(leaves * (leaves - 1) / 2)
            }
        }
    }

    /// Operations in one run, for a rate (None: not a rate).
    pub fn ops(&self) -> Option<u64> {
        match self {
            Workload::IdleMem | Workload::IdleCpu => None,
            Workload::Skynet => Some((10u64.pow(SKYNET_LEVELS + 1) - 1) / 9),
            w => w.expected(),
        }
    }
}

/// What one run measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct Report {
    /// Wall-clock seconds of the measured part (after the runtime started).
    pub secs: f64,
    /// The workload's result, compared with [`Workload::expected`].
    pub check: u64,
    /// `idle_mem`: live heap bytes per idle actor.
    pub bytes_per_actor: Option<f64>,
    /// `idle_cpu`: CPU seconds per wall second over the idle window.
    pub idle_cpu: Option<f64>,
}

/// Runs `f` and reports its wall time with the check it returns.
pub fn timed(f: impl FnOnce() -> u64) -> Report {
    let start = Instant::now();
    let check = f();
    Report {
        secs: start.elapsed().as_secs_f64(),
        check,
        ..Report::default()
    }
}

/// The machine's cores: every runtime gets this many workers.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A multi-thread tokio runtime with a worker per core, for the tokio
/// based runtimes and the floors.
pub fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores())
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// User + system CPU time of this process so far.
pub fn process_cpu() -> Duration {
    rusage(libc::RUSAGE_SELF)
}

/// User and system CPU time of the children waited for so far.
pub fn children_cpu() -> (Duration, Duration) {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `getrusage` writes a `rusage` into the pointer it is given,
    // which points at one; RUSAGE_CHILDREN is a valid `who`.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr());
        usage.assume_init()
    };
    (timeval(usage.ru_utime), timeval(usage.ru_stime))
}

fn rusage(who: libc::c_int) -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: as in `children_cpu`; `who` is RUSAGE_SELF.
    let usage = unsafe {
        libc::getrusage(who, usage.as_mut_ptr());
        usage.assume_init()
    };
    timeval(usage.ru_utime) + timeval(usage.ru_stime)
}

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

/// Measures the CPU this process burns while the calling thread sleeps
/// through [`IDLE_WINDOW`]: CPU seconds per wall second.
pub fn idle_cpu_window() -> Report {
    let cpu = process_cpu();
    let start = Instant::now();
    std::thread::sleep(IDLE_WINDOW);
    let wall = start.elapsed().as_secs_f64();
    let used = (process_cpu() - cpu).as_secs_f64();
    Report {
        secs: wall,
        idle_cpu: Some(used / wall),
        ..Report::default()
    }
}

/// The system allocator, counting live bytes.
pub struct CountingAlloc;

/// Bytes allocated minus bytes freed, over every thread, while counting.
static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);
/// Whether to count: only in an `idle_mem` process, from its first line,
/// so that the other workloads' allocations pay one relaxed load.
static COUNTING: AtomicBool = AtomicBool::new(false);

/// Starts counting live bytes (call first thing in the process).
pub fn start_counting() {
    COUNTING.store(true, Ordering::SeqCst);
}

fn count(delta: isize) {
    if COUNTING.load(Ordering::Relaxed) {
        LIVE_BYTES.fetch_add(delta, Ordering::Relaxed);
    }
}

/// Live heap bytes now.
pub fn live_bytes() -> isize {
    LIVE_BYTES.load(Ordering::SeqCst)
}

/// Runs `setup` (which makes [`IDLE_N`] idle actors and returns what keeps
/// them alive, with a check) and reports the live bytes it added per actor.
/// `setup` must leave every actor started and idle before it returns.
pub fn idle_mem<T>(setup: impl FnOnce() -> (T, u64)) -> Report {
    let before = live_bytes();
    let (keep, check) = setup();
    let after = live_bytes();
    drop(std::hint::black_box(keep));
    Report {
        check,
        bytes_per_actor: Some((after - before) as f64 / IDLE_N as f64),
        ..Report::default()
    }
}

// SAFETY: every method forwards to the system allocator with the caller's
// arguments unchanged; counting touches one atomic and never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: the caller's contract is `GlobalAlloc::alloc`'s.
        unsafe { SystemAlloc.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: as for `alloc`.
        unsafe { SystemAlloc.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        // SAFETY: `ptr` came from this allocator with `layout`.
        unsafe { SystemAlloc.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        // SAFETY: `ptr` came from this allocator with `layout`.
        unsafe { SystemAlloc.realloc(ptr, layout, new_size) }
    }
}

/// [`timed`] for a future, awaited in the caller's runtime.
pub async fn timed_async(f: impl std::future::Future<Output = u64>) -> Report {
    let start = Instant::now();
    let check = f.await;
    Report {
        secs: start.elapsed().as_secs_f64(),
        check,
        ..Report::default()
    }
}

/// Counts events (messages handled, hops made) across threads; the one
/// that reaches the target wakes whoever waits. Every runtime's
/// `spawn_stop` and `ring` finish on one of these.
pub struct Done {
    count: AtomicU64,
    target: u64,
    notify: Notify,
}

impl Done {
    /// A counter that wakes its waiter at `target`.
    pub fn new(target: u64) -> Arc<Done> {
        Arc::new(Done {
            count: AtomicU64::new(0),
            target,
            notify: Notify::new(),
        })
    }

    /// Counts one.
    pub fn one(&self) {
        if self.count.fetch_add(1, Ordering::AcqRel) + 1 == self.target {
            self.notify.notify_one();
        }
    }

    /// Waits for the target; returns the count.
    pub async fn wait(&self) -> u64 {
        self.notify.notified().await;
        self.count.load(Ordering::Acquire)
    }
}
