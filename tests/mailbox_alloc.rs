//! The mailbox's allocation contract (DESIGN.md §3), measured with a counting
//! global allocator: at most one block per `BLOCK_CAP` sends, none in steady
//! state (blocks are recycled), none for an idle mailbox (blocks are
//! allocated lazily).
//!
//! The allocator wraps [`System`] and counts, per thread, every `alloc`,
//! `alloc_zeroed` and `realloc` (frees are counted apart, for the reports).
//! Counting per thread keeps the numbers exact although the test harness runs
//! the tests of this file in parallel: each test reads only the counters of
//! the threads it runs its mailbox on, and only around the code it measures.
//!
//! The receiver recycles each consumed block: it links it just past the
//! senders' tail, or keeps it on a free stack (up to 256 blocks) that a
//! sender needing a new block pops before it allocates. So a mailbox whose
//! depth swings by up to that much (8,192 messages) allocates nothing once
//! warmed up.
#![cfg(not(keel_loom))] // the loom build compiles only sync + core

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::hint::black_box;
use std::task::{Context, Poll, Waker};
use std::thread;

use keel::__internal::{block_on, Mailbox, Receiver, SendError};

/// [`System`], counting this thread's allocations.
struct CountingAlloc;

thread_local! {
    // `const` and drop-free: reading it never allocates or registers a
    // destructor, so the allocator itself may use it.
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    static FREES: Cell<u64> = const { Cell::new(0) };
}

fn bump(counter: &'static std::thread::LocalKey<Cell<u64>>) {
    // `try_with`: during thread teardown the slot may be gone; such
    // allocations are outside every measured region anyway.
    let _ = counter.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged; counting touches only a thread-local `Cell`.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCS);
        // SAFETY: forwarded contract of `GlobalAlloc::alloc`.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCS);
        // SAFETY: forwarded contract of `GlobalAlloc::alloc_zeroed`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump(&ALLOCS);
        // SAFETY: forwarded contract of `GlobalAlloc::realloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        bump(&FREES);
        // SAFETY: forwarded contract of `GlobalAlloc::dealloc`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Allocations made so far by this thread.
fn allocations() -> u64 {
    ALLOCS.with(Cell::get)
}

/// Frees made so far by this thread.
fn frees() -> u64 {
    FREES.with(Cell::get)
}

/// Batch sizes, cycled: below, at the edge of and above one block (32), up
/// to a burst of 100 messages (which spans four or five blocks).
const BATCHES: [usize; 6] = [1, 7, 31, 33, 64, 100];

/// Sends and receives `messages` messages on this thread, in batches cycling
/// through `batches`: each batch is sent in full, then received with
/// `poll_recv` until it returns `Pending` (so the receiver also registers
/// its waker and parks on an empty mailbox after every batch). Values run on
/// from `*next`; order is checked. Returns nothing: the caller counts.
fn batched_exchange(
    tx: &Mailbox<u64>,
    rx: &mut Receiver<u64>,
    batches: &[usize],
    next: &mut u64,
    messages: usize,
) {
    let mut cx = Context::from_waker(Waker::noop());
    let mut remaining = messages;
    let mut expect = *next;
    for &size in batches.iter().cycle() {
        if remaining == 0 {
            break;
        }
        let batch = size.min(remaining);
        for _ in 0..batch {
            tx.try_send(*next).expect("room for a whole batch");
            *next += 1;
        }
        if let Some(cap) = tx.capacity() {
            if tx.len() == cap {
                // A full bounded mailbox refuses without allocating either.
                assert!(matches!(tx.try_send(u64::MAX), Err(SendError::Full(_))));
            }
        }
        for _ in 0..batch {
            match rx.poll_recv(&mut cx) {
                Poll::Ready(Ok(v)) => assert_eq!(v, expect, "FIFO"),
                other => panic!("expected a message, got {other:?}"),
            }
            expect += 1;
        }
        assert!(rx.poll_recv(&mut cx).is_pending(), "batch drained");
        remaining -= batch;
    }
}

/// Messages in every steady-state measurement.
const MEASURED: usize = 1_000_000;
/// Warm-up messages for the one-thread tests (many times the largest batch).
const WARM_UP: usize = 5_000;

/// Runs the one-thread warm-up, then counts the allocations of [`MEASURED`]
/// more messages in the same pattern.
fn one_thread_steady_state(capacity: Option<usize>, batches: &[usize]) -> u64 {
    let (tx, mut rx) = Mailbox::<u64>::with_config(capacity, false);
    let (tx, rx) = (&tx, &mut rx);
    let mut next = 0;
    let before_warm_up = allocations();
    batched_exchange(tx, rx, batches, &mut next, WARM_UP);
    // The counter does see the mailbox: its first block was allocated here.
    assert!(
        allocations() > before_warm_up,
        "the warm-up must allocate at least the first block"
    );

    let before = allocations();
    let frees_before = frees();
    batched_exchange(tx, rx, batches, &mut next, MEASURED);
    let allocated = allocations() - before;
    let freed = frees() - frees_before;
    eprintln!(
        "capacity {capacity:?}, batches {batches:?}, {MEASURED} messages: \
         {allocated} allocations, {freed} frees"
    );
    allocated
}

/// The counter counts exactly this thread's allocations: without this, a
/// zero below could mean a broken counter.
#[test]
fn the_counter_sees_this_threads_allocations() {
    let before = allocations();
    let boxed = black_box(Box::new(7u64));
    assert_eq!(allocations() - before, 1);
    drop(boxed);

    // And on another thread, which the two-thread tests rely on.
    let counted = thread::spawn(|| {
        let before = allocations();
        for i in 0..1_000u64 {
            drop(black_box(Box::new(i)));
        }
        allocations() - before
    })
    .join()
    .expect("no panic");
    assert_eq!(counted, 1_000);
}

/// (a) Unbounded, one thread: after a warm-up, a million messages in mixed
/// batch sizes up to 100 allocate nothing.
#[test]
fn unbounded_steady_state_allocates_nothing() {
    let allocated = one_thread_steady_state(None, &BATCHES);
    assert_eq!(allocated, 0, "allocations in steady state (unbounded)");
}

/// (b) Bounded, capacity = the largest batch (so the mailbox also fills up
/// and refuses a send): likewise nothing.
#[test]
fn bounded_steady_state_allocates_nothing() {
    let allocated = one_thread_steady_state(Some(100), &BATCHES);
    assert_eq!(allocated, 0, "allocations in steady state (bounded)");
}

/// (c) An idle mailbox owns no block: polling it empty allocates nothing,
/// and the first send allocates exactly one block.
#[test]
fn idle_mailbox_allocates_nothing() {
    for capacity in [None, Some(256)] {
        let before = allocations();
        let (tx, mut rx) = Mailbox::<u64>::with_config(capacity, false);
        // The shared channel itself, and no block up front.
        assert_eq!(allocations() - before, 1, "creation ({capacity:?})");

        let mut cx = Context::from_waker(Waker::noop());
        let before = allocations();
        for i in 0..1_000 {
            // Alternate between one long-lived `poll_recv` caller and a
            // fresh `recv()` future per poll, as a select loop would make.
            let poll = if i % 2 == 0 {
                rx.poll_recv(&mut cx)
            } else {
                let mut fut = std::pin::pin!(rx.recv());
                fut.as_mut().poll(&mut cx)
            };
            assert!(poll.is_pending());
        }
        assert_eq!(
            allocations() - before,
            0,
            "polling an idle mailbox ({capacity:?})"
        );

        // The counter sees the mailbox's own allocation: the first block.
        let before = allocations();
        tx.try_send(1).expect("open");
        assert_eq!(allocations() - before, 1, "first send ({capacity:?})");
        assert_eq!(rx.try_recv(), Ok(1));
    }
}

/// Warm-up messages for the two-thread tests.
const WARM_UP_2T: u64 = 50_000;

/// One producer thread, one consumer thread, a bounded mailbox: the producer
/// waits for room (`send().await`), the consumer parks when empty, each in
/// one `block_on` (one waker allocation each, made before counting). After a
/// warm-up, returns the allocations both threads made over [`MEASURED`]
/// more messages.
fn two_thread_steady_state(capacity: usize) -> u64 {
    let (tx, mut rx) = Mailbox::<u64>::bounded(capacity);
    let total = WARM_UP_2T + MEASURED as u64;

    let producer = thread::spawn(move || {
        block_on(async move {
            for i in 0..WARM_UP_2T {
                tx.send(i).await.expect("open");
            }
            let before = (allocations(), frees());
            for i in WARM_UP_2T..total {
                tx.send(i).await.expect("open");
            }
            let counts = (allocations() - before.0, frees() - before.1);
            // Dropping a handle does not close a mailbox (it belongs to its
            // address); close it so that the consumer's last receive ends.
            tx.close();
            counts
        })
    });
    let consumer = thread::spawn(move || {
        block_on(async move {
            for i in 0..WARM_UP_2T {
                assert_eq!(rx.recv().await, Ok(i));
            }
            let before = (allocations(), frees());
            for i in WARM_UP_2T..total {
                assert_eq!(rx.recv().await, Ok(i));
            }
            let counts = (allocations() - before.0, frees() - before.1);
            // The producer closed the mailbox after its last send.
            assert!(rx.recv().await.is_err());
            counts
        })
    });
    let (p_alloc, p_free) = producer.join().expect("producer");
    let (c_alloc, c_free) = consumer.join().expect("consumer");
    eprintln!(
        "two threads, bounded({capacity}), {MEASURED} messages: \
         producer {p_alloc} allocations / {p_free} frees, \
         consumer {c_alloc} allocations / {c_free} frees"
    );
    p_alloc + c_alloc
}

/// (d) Two threads through `bounded(256)`: the queue's depth swings between
/// empty and full, eight blocks. Usually 0 allocations; a few are possible,
/// none of them per message:
/// - the odd block: a receiver descheduled just after entering a new block
///   has not yet handed the old one back (it does so on a later pop) when
///   the sender needs a successor, so the sender allocates one, which the
///   pool then keeps;
/// - one-time lazy allocations on the waiting path, if its first contention
///   falls after the warm-up: the send-waiter queue's buffer, and
///   parking_lot's per-thread parking data.
///
/// Hence "far below one per thousand messages", not exactly 0.
#[test]
fn two_thread_bounded_steady_state() {
    let allocated = two_thread_steady_state(256);
    assert!(
        allocated < MEASURED as u64 / 1000,
        "allocations in steady state: {allocated}"
    );
}

/// A spike far deeper than the free stack (256 blocks) gives the excess
/// back as it drains, so a one-off burst does not pin its memory; and the
/// mailbox works on afterwards.
#[test]
fn a_deep_spike_gives_its_blocks_back() {
    const SPIKE: u64 = 32 * 1_000;
    let (tx, mut rx) = Mailbox::<u64>::unbounded();
    let before = (allocations(), frees());
    for i in 0..SPIKE {
        tx.try_send(i).expect("open");
    }
    for i in 0..SPIKE {
        assert_eq!(rx.try_recv(), Ok(i));
    }
    let allocated = allocations() - before.0;
    let freed = frees() - before.1;
    // One block per 32 sends, and the free stack's own growth as blocks
    // come back (a vector doubling up to 256 entries: at most 8 more).
    assert!(
        (1_000..=1_008).contains(&allocated),
        "one block per 32 messages: {allocated}"
    );
    assert!(
        // Kept: the free stack (256), the spares linked past the tail (3),
        // and the few blocks around the tail not yet reclaimable.
        freed >= allocated - 256 - 16,
        "kept at most the free stack and a few spares: {allocated} allocated, {freed} freed"
    );
    tx.try_send(SPIKE).expect("open");
    assert_eq!(rx.try_recv(), Ok(SPIKE));
}
