//! Loom models of tasks and the scheduler.
//!
//! Most models drive a detached [`Shared`] (no worker threads): the model's
//! own threads play the workers and the foreign wakers, so each protocol is
//! checked with two threads. One model runs the real thing: two workers, one
//! task, two messages.
use std::future::poll_fn;
use std::task::{Poll, Waker};

use super::*;
use crate::core::mailbox::Mailbox;
use crate::core::state::State;
use crate::core::test_util::{block_on, model_bounded, Tracked};
use crate::sync::{thread, Arc, AtomicUsize, Mutex, Ordering};

/// A future that parks once, leaving its waker in `slot`, and completes on
/// its second poll.
fn park_once(slot: Arc<Mutex<Option<Waker>>>) -> impl Future<Output = ()> + Send + 'static {
    let mut polled = false;
    poll_fn(move |cx| {
        if polled {
            Poll::Ready(())
        } else {
            polled = true;
            *slot.lock() = Some(cx.waker().clone());
            Poll::Pending
        }
    })
}

/// Waits (yielding) until the task left its waker.
fn wait_for_waker(slot: &Mutex<Option<Waker>>) -> Waker {
    loop {
        if let Some(w) = slot.lock().clone() {
            return w;
        }
        thread::yield_now();
    }
}

/// A real scheduler with `workers` model threads.
fn started(workers: usize) -> Scheduler {
    Scheduler::new(SchedulerConfig {
        name: "loom".into(),
        workers,
        throughput: 64,
        thread_wrapper: None,
    })
    .unwrap()
}

/// Ends a detached scheduler the way the last worker would.
fn finish(shared: &Shared) {
    shared.begin_shutdown();
    shared.worker_exited();
}

/// Schedule while running: however many wakes race a poll, the task is
/// queued exactly once afterwards (requeued by its runner, or submitted by
/// a waker), never twice, never zero times.
#[test]
fn task_schedule_while_running_requeues_once() {
    loom::model(|| {
        let shared = Shared::new(1, 64);
        let slot = Arc::new(Mutex::new(None));
        shared.spawn(&shared, park_once(slot.clone())).unwrap();
        let waker = {
            let slot = slot.clone();
            thread::spawn(move || {
                let w = wait_for_waker(&slot);
                w.wake_by_ref();
                w.wake();
            })
        };
        let first = shared.pop_inject().expect("spawned into the injector");
        let requeued = first.run(64);
        waker.join().unwrap();
        let submitted = shared.pop_inject();
        assert!(shared.pop_inject().is_none());
        let again: Vec<Notified> = requeued.into_iter().chain(submitted).collect();
        assert_eq!(again.len(), 1, "exactly one re-queue");
        for task in again {
            assert!(task.run(64).is_none(), "the second poll completes");
        }
        drop(slot.lock().take());
        finish(&shared);
    });
}

/// Close vs schedule during shutdown: a foreign wake races the shutdown;
/// the task's future is dropped exactly once (by the waker that finds the
/// injector shut, or by the shutdown's final sweep).
#[test]
fn task_close_vs_schedule_during_shutdown() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let shared = Shared::new(1, 64);
        let slot = Arc::new(Mutex::new(None));
        let token = Tracked(0, drops.clone());
        let fut = park_once(slot.clone());
        shared
            .spawn(&shared, async move {
                let _token = token;
                fut.await;
                // Never resumed again once woken: parks forever.
                std::future::pending::<()>().await;
            })
            .unwrap();
        assert!(shared.pop_inject().unwrap().run(64).is_none());
        let w = slot.lock().take().unwrap();
        let waker = thread::spawn(move || w.wake());
        finish(&shared);
        waker.join().unwrap();
        // A woken task that reached the injector before the shutdown was
        // swept by it; one that came after was dropped by its waker.
        assert!(shared.pop_inject().is_none());
        assert_eq!(drops.load(Ordering::Acquire), 1);
    });
}

/// The last reference is reported to exactly one of several racing drops.
#[test]
fn task_refcount_reaches_zero_once() {
    loom::model(|| {
        let state = Arc::new(State::new_scheduled(3));
        let lasts = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (state, lasts) = (state.clone(), lasts.clone());
                thread::spawn(move || {
                    if state.ref_dec() {
                        lasts.fetch_add(1, Ordering::AcqRel);
                    }
                })
            })
            .collect();
        if state.ref_dec() {
            lasts.fetch_add(1, Ordering::AcqRel);
        }
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(lasts.load(Ordering::Acquire), 1);
    });
}

/// Waker clones dropped on several threads while the task completes: the
/// cell is freed once (loom reports the scheduler `Arc` it holds as leaked
/// otherwise, and a double free as a double drop of it).
#[test]
fn task_wakers_dropped_across_threads_free_once() {
    loom::model(|| {
        let shared = Shared::new(1, 64);
        let slot = Arc::new(Mutex::new(None));
        let handle = shared.spawn(&shared, park_once(slot.clone())).unwrap();
        assert!(shared.pop_inject().unwrap().run(64).is_none());
        let w = slot.lock().take().unwrap();
        let w2 = w.clone();
        let t = thread::spawn(move || w2.wake());
        drop(w);
        t.join().unwrap();
        shared.pop_inject().unwrap().run(64);
        assert!(handle.is_finished());
        drop(handle);
        finish(&shared);
    });
}

/// Wake vs park: a task parked on a mailbox on a real one-worker scheduler,
/// woken by a message from a foreign thread (the model's main thread) while
/// the worker goes to sleep. No lost wake-up: the reply always arrives.
#[test]
fn scheduler_wake_from_foreign_thread_vs_park() {
    loom::model(|| {
        let scheduler = started(1);
        let (mb, mut rx) = Mailbox::<u64>::unbounded();
        let (done, mut done_rx) = Mailbox::<u64>::unbounded();
        scheduler
            .spawn(async move {
                let v = rx.recv().await.unwrap();
                done.try_send(v + 1).unwrap();
            })
            .unwrap();
        mb.try_send(41).unwrap();
        assert_eq!(block_on(done_rx.recv()), Ok(42));
        scheduler.shutdown();
    });
}

/// The whole scheduler: two workers, one task, two messages. The task is
/// never polled by two workers at once, and both messages are handled.
#[test]
fn scheduler_two_workers_one_task_two_messages() {
    // Three threads (main + two workers) with parking: bound the model.
    model_bounded(1, || {
        let scheduler = started(2);
        let (mb, mut rx) = Mailbox::<u64>::unbounded();
        let (done, mut done_rx) = Mailbox::<u64>::unbounded();
        let in_poll = Arc::new(AtomicUsize::new(0));
        scheduler
            .spawn(async move {
                let mut sum = 0;
                for _ in 0..2 {
                    sum += poll_fn(|cx| {
                        assert_eq!(in_poll.fetch_add(1, Ordering::AcqRel), 0, "two runners");
                        let r = rx.poll_recv(cx);
                        in_poll.fetch_sub(1, Ordering::AcqRel);
                        r
                    })
                    .await
                    .unwrap();
                }
                done.try_send(sum).unwrap();
            })
            .unwrap();
        mb.try_send(1).unwrap();
        mb.try_send(2).unwrap();
        assert_eq!(block_on(done_rx.recv()), Ok(3));
        scheduler.shutdown();
    });
}
