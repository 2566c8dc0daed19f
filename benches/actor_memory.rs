//! Bytes per idle actor, measured with a counting global allocator.
//!
//! Not a criterion benchmark: a plain `main` (`harness = false`) that prints
//! one figure. It lives in a binary of its own because a counting global
//! allocator would slow every benchmark sharing its binary.
//!
//! # What is measured
//!
//! An idle actor is one that has started and holds no message: `u64` state,
//! `u64` messages, never sent one (so its mailbox has allocated no block),
//! no tracing subscriber installed. The program builds a System
//! (two workers), warms it up (a few actors spawned, waited for, stopped), then
//! records the heap's live bytes (allocated minus freed, over every thread),
//! spawns [`ACTORS`] actors one after another with `spawn_ready` (each one
//! has run `started` before the next is spawned), and records the live
//! bytes again. The difference divided by [`ACTORS`] is the figure: the
//! address, mailbox, incarnation, task, the run loop's future, the entry
//! in the System's live set, and whatever else one more actor keeps on the
//! heap. The `Vec` of the refs the program keeps is allocated before the
//! first reading, so it is not counted.
//!
//! After the System is shut down and dropped, it prints the live bytes
//! left compared with the start (a leak check; the tokio runtime keel owns
//! is shut down in the background, so a little may still be in flight).
//!
//! # Running
//!
//! ```text
//! cargo bench --bench actor_memory
//! ```
use std::alloc::{GlobalAlloc, Layout, System as SystemAlloc};
use std::convert::Infallible;
// A std atomic: clippy.toml bans them so that keel's own code takes its
// primitives from `crate::sync` (swapped under loom); a bench binary is never
// built under loom and cannot reach `crate::sync`.
#[allow(clippy::disallowed_types)]
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::time::Instant;

use keel::{Actor, Context, System};

/// Idle actors measured.
const ACTORS: usize = 100_000;

/// The system allocator, counting live bytes and allocation calls.
struct CountingAlloc;

/// Bytes allocated minus bytes freed, over every thread.
static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);
/// Calls to `alloc`, `alloc_zeroed` and `realloc`.
#[allow(clippy::disallowed_types)]
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

fn add_live(bytes: isize) {
    LIVE_BYTES.fetch_add(bytes, Ordering::Relaxed);
}

// SAFETY: every method forwards to the system allocator with the caller's
// arguments unchanged; counting touches only two atomics and never
// allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract of `GlobalAlloc::alloc`.
        let p = unsafe { SystemAlloc.alloc(layout) };
        if !p.is_null() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            add_live(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract of `GlobalAlloc::alloc_zeroed`.
        let p = unsafe { SystemAlloc.alloc_zeroed(layout) };
        if !p.is_null() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            add_live(layout.size() as isize);
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded contract of `GlobalAlloc::realloc`.
        let p = unsafe { SystemAlloc.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            add_live(new_size as isize - layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add_live(-(layout.size() as isize));
        // SAFETY: forwarded contract of `GlobalAlloc::dealloc`.
        unsafe { SystemAlloc.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

fn live_bytes() -> isize {
    LIVE_BYTES.load(Ordering::SeqCst)
}

fn allocations() -> usize {
    ALLOCATIONS.load(Ordering::SeqCst)
}

/// An actor with `u64` state and `u64` messages.
struct Idle {
    n: u64,
}

impl Actor for Idle {
    type Msg = u64;
    type Error = Infallible;

    async fn handle(&mut self, msg: u64, _: &mut Context<Self>) -> Result<(), Infallible> {
        self.n += msg;
        Ok(())
    }
}

fn main() {
    let at_start = live_bytes();
    let system = System::builder()
        .workers(2)
        .build()
        .expect("a System with two workers");
    // Awaits `spawn_ready` on this thread; built before the first reading.
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");

    // Warm-up: the workers' lazily built state (thread-local slots, the
    // watchdog's registration) exists before the first reading.
    rt.block_on(async {
        for _ in 0..64 {
            let actor = system.spawn_ready(Idle { n: 0 }).await.expect("started");
            actor.stop();
            actor.wait_exit().await;
        }
    });

    let mut refs = Vec::with_capacity(ACTORS);
    let (bytes_before, allocs_before) = (live_bytes(), allocations());
    let start = Instant::now();
    rt.block_on(async {
        for _ in 0..ACTORS {
            refs.push(system.spawn_ready(Idle { n: 0 }).await.expect("started"));
        }
    });
    let took = start.elapsed();
    let (bytes_after, allocs_after) = (live_bytes(), allocations());
    assert_eq!(system.live_actors(), ACTORS, "every actor is alive");

    let bytes = (bytes_after - bytes_before) as f64 / ACTORS as f64;
    let allocs = (allocs_after - allocs_before) as f64 / ACTORS as f64;
    println!(
        "idle_bytes_per_actor: {bytes:.1} bytes/actor ({ACTORS} idle actors, u64 state and \
         messages; {allocs:.2} allocations/actor; spawned in {took:.2?})"
    );

    drop(refs);
    system.shutdown_blocking().expect("not on a keel thread");
    drop(system);
    drop(rt);
    println!(
        "after shutdown: {} bytes still live compared with the start",
        live_bytes() - at_start
    );
}
