//! The engine: task state, tasks, the two-lane mailbox, the exit cell, the ask
//! reply slot, run queues and workers.
//!
//! This layer knows nothing of actors, tokio or tracing; everything it shares
//! between threads comes from [`crate::sync`], so the loom build checks it.
//! The pieces, bottom up:
//!
//! - [`state`]: one atomic word per task (schedule bits + reference count)
//!   with named transitions;
//! - [`task`]: a future plus its state word; its `Waker` reschedules it on the
//!   scheduler it belongs to, from any thread;
//! - [`waker`]: a single-slot atomic waker (the mailbox's receiver slot);
//! - [`mailbox`]: the MPSC block queue with a control lane and a user lane,
//!   owned by an address rather than by a task;
//! - [`exit_cell`]: the EXITING bit and the watcher list of one incarnation;
//! - [`reply`]: the one-shot slot an ask waits on;
//! - [`queue`]: a worker's bounded local run queue, stealable;
//! - [`scheduler`]: workers, injector, stealing, parking and shutdown;
//! - [`ids`]: maps keyed by the runtime's own ids, with a cheap hasher.
//!
//! # Loom models
//!
//! Each module keeps its models beside its code in `mod loom_tests`, run with
//!
//! ```text
//! RUSTFLAGS="--cfg keel_loom -C debug_assertions" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test --lib --release
//! ```
//!
//! (`LOOM_MAX_PREEMPTIONS=1` is the quick local smoke run). The table of
//! models and their measured times is in [`loom_suite`].

pub(crate) mod exit_cell;
pub(crate) mod ids;
pub(crate) mod mailbox;
pub(crate) mod queue;
pub(crate) mod reply;
pub(crate) mod scheduler;
pub(crate) mod state;
pub(crate) mod task;
pub(crate) mod waker;

#[cfg(not(keel_loom))]
pub(crate) mod blocking;
pub(crate) mod loom_suite;
#[cfg(test)]
pub(crate) mod test_util;

#[cfg(all(keel_loom, not(debug_assertions)))]
compile_error!("the loom build checks debug assertions: add `-C debug_assertions` to RUSTFLAGS");
