use std::future::poll_fn;
use std::sync::mpsc;
use std::task::Poll;
use std::time::Duration;

use super::*;
use crate::core::mailbox::{Mailbox, Receiver};
use crate::core::test_util::Tracked;

/// Generous bound for "eventually": a failing test fails, it does not hang.
const PATIENCE: Duration = Duration::from_secs(60);

fn scheduler(workers: usize) -> Scheduler {
    Scheduler::new(SchedulerConfig {
        name: "test".into(),
        workers,
        throughput: 64,
        thread_wrapper: None,
    })
    .unwrap()
}

/// A task that waits on a mailbox and reports what it received.
async fn echo(mut rx: Receiver<u64>, out: mpsc::Sender<u64>) {
    while let Ok(v) = rx.recv().await {
        if out.send(v).is_err() {
            return;
        }
    }
}

#[test]
fn spawned_tasks_all_run() {
    for workers in [1, 2, 4] {
        let s = scheduler(workers);
        let (tx, rx) = mpsc::channel();
        for i in 0..1_000u64 {
            let tx = tx.clone();
            s.spawn(async move { tx.send(i).unwrap() }).unwrap();
        }
        let mut got: Vec<u64> = (0..1_000)
            .map(|_| rx.recv_timeout(PATIENCE).unwrap())
            .collect();
        got.sort_unstable();
        assert_eq!(got, (0..1_000).collect::<Vec<_>>());
    }
}

#[test]
fn a_wake_from_a_foreign_thread_runs_the_task() {
    let s = scheduler(2);
    let (mb, rx) = Mailbox::<u64>::unbounded();
    let (out_tx, out) = mpsc::channel();
    s.spawn(echo(rx, out_tx)).unwrap();
    let sender = std::thread::spawn(move || {
        for i in 0..10_000 {
            mb.try_send(i).unwrap();
        }
        mb
    });
    for i in 0..10_000 {
        assert_eq!(out.recv_timeout(PATIENCE).unwrap(), i);
    }
    sender.join().unwrap().close();
    // Closing ends the task: its future (and its sender) is dropped.
    assert_eq!(
        out.recv_timeout(PATIENCE),
        Err(mpsc::RecvTimeoutError::Disconnected)
    );
}

#[test]
fn a_tokio_timer_wakes_a_task_like_a_mailbox_does() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_time()
        .build()
        .unwrap();
    let s = scheduler(1);
    let (tx, rx) = mpsc::channel();
    let sleep = {
        let _enter = rt.enter();
        tokio::time::sleep(Duration::from_millis(1))
    };
    s.spawn(async move {
        sleep.await;
        tx.send("woke").unwrap();
    })
    .unwrap();
    assert_eq!(rx.recv_timeout(PATIENCE), Ok("woke"));
}

#[test]
fn a_turn_handles_at_most_throughput_messages() {
    let s = Scheduler::new(SchedulerConfig {
        name: "budget".into(),
        workers: 1,
        throughput: 8,
        thread_wrapper: None,
    })
    .unwrap();
    let (mb, mut rx) = Mailbox::<u64>::unbounded();
    for i in 0..100 {
        mb.try_send(i).unwrap();
    }
    let (tx, out) = mpsc::channel();
    s.spawn(async move {
        let mut per_poll = Vec::new();
        let mut total = 0;
        poll_fn(|cx| {
            let mut n = 0;
            loop {
                match rx.poll_recv(cx) {
                    Poll::Ready(Ok(_)) => {
                        n += 1;
                        total += 1;
                        if total == 100 {
                            per_poll.push(n);
                            return Poll::Ready(());
                        }
                    }
                    Poll::Ready(Err(_)) => unreachable!(),
                    Poll::Pending => {
                        per_poll.push(n);
                        return Poll::Pending;
                    }
                }
            }
        })
        .await;
        tx.send(per_poll).unwrap();
    })
    .unwrap();
    let per_poll = out.recv_timeout(PATIENCE).unwrap();
    assert_eq!(per_poll.iter().sum::<usize>(), 100);
    assert!(per_poll.iter().all(|&n| n <= 8), "{per_poll:?}");
    assert_eq!(
        per_poll[..12],
        [8; 12],
        "each full turn spends the whole budget"
    );
}

/// A ping-pong pair bouncing forever through the LIFO slot, plus 1,000 queued
/// tasks: on one worker and on two, the queued tasks all finish while the
/// pair keeps going.
#[test]
fn ping_pong_cannot_starve_queued_tasks() {
    for workers in [1, 2] {
        let s = scheduler(workers);
        let (a_mb, a_rx) = Mailbox::<u64>::unbounded();
        let (b_mb, b_rx) = Mailbox::<u64>::unbounded();
        let rounds = Arc::new(AtomicUsize::new(0));
        let player = |mut rx: Receiver<u64>, peer: Mailbox<u64>, rounds: Arc<AtomicUsize>| async move {
            while let Ok(v) = rx.recv().await {
                rounds.fetch_add(1, Ordering::Relaxed);
                if peer.try_send(v + 1).is_err() {
                    return;
                }
            }
        };
        s.spawn(player(a_rx, b_mb.clone(), rounds.clone())).unwrap();
        s.spawn(player(b_rx, a_mb.clone(), rounds.clone())).unwrap();
        a_mb.try_send(0).unwrap();
        let (tx, done) = mpsc::channel();
        for i in 0..1_000 {
            let tx = tx.clone();
            s.spawn(async move {
                // Each yields once, so it must be scheduled twice.
                let mut yielded = false;
                poll_fn(|cx| {
                    if yielded {
                        Poll::Ready(())
                    } else {
                        yielded = true;
                        cx.waker().wake_by_ref();
                        Poll::Pending
                    }
                })
                .await;
                tx.send(i).unwrap();
            })
            .unwrap();
        }
        for _ in 0..1_000 {
            done.recv_timeout(PATIENCE).expect("a queued task starved");
        }
        let before = rounds.load(Ordering::Relaxed);
        a_mb.close();
        b_mb.close();
        assert!(before > 0, "the pair made progress too");
    }
}

/// Spawns `n` tasks that wait on mailboxes nobody writes, each holding a
/// drop-counting token; returns the mailboxes.
fn spawn_idle(s: &Scheduler, n: usize, drops: &Arc<AtomicUsize>) -> Vec<Mailbox<u64>> {
    (0..n)
        .map(|i| {
            let (mb, mut rx) = Mailbox::<u64>::unbounded();
            let token = Tracked(i, drops.clone());
            s.spawn(async move {
                let _token = token;
                let _ = rx.recv().await;
            })
            .unwrap();
            mb
        })
        .collect()
}

#[test]
fn shutdown_drops_every_task_exactly_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let s = scheduler(2);
    // Idle tasks (waiting on mailboxes nobody writes) ...
    let mailboxes = spawn_idle(&s, 500, &drops);
    // ... and tasks that keep themselves queued.
    for i in 0..500 {
        let token = Tracked(i, drops.clone());
        s.spawn(async move {
            let _token = token;
            poll_fn(|cx| {
                cx.waker().wake_by_ref();
                Poll::<()>::Pending
            })
            .await;
        })
        .unwrap();
    }
    s.shutdown();
    assert_eq!(drops.load(Ordering::Acquire), 1_000);
    // Every future is gone, receivers included: the mailboxes are closed.
    assert!(mailboxes.iter().all(|mb| mb.is_closed()));
    drop(s);
    assert_eq!(drops.load(Ordering::Acquire), 1_000);
}

#[test]
fn spawn_after_shutdown_hands_the_future_back() {
    let s = scheduler(1);
    s.shutdown();
    let drops = Arc::new(AtomicUsize::new(0));
    let token = Tracked(7, drops.clone());
    let err = s.spawn(async move { drop(token) }).unwrap_err();
    assert_eq!(
        drops.load(Ordering::Acquire),
        0,
        "the future came back unrun"
    );
    drop(err.0);
    assert_eq!(drops.load(Ordering::Acquire), 1);
}

/// Reports its drop on a channel.
struct DropSignal(mpsc::Sender<()>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

#[test]
fn cancel_drops_the_future_exactly_once() {
    let s = scheduler(1);
    let (mb, rx) = Mailbox::<u64>::unbounded();
    let (started_tx, started) = mpsc::channel();
    let (dropped_tx, dropped) = mpsc::channel();
    let token = DropSignal(dropped_tx);
    let handle = s
        .spawn(async move {
            // Locals drop in reverse: the receiver (closing the mailbox)
            // before the signal.
            let _token = token;
            let mut rx = rx;
            started_tx.send(()).unwrap();
            let _ = rx.recv().await;
            unreachable!("cancelled before any message");
        })
        .unwrap();
    started.recv_timeout(PATIENCE).unwrap();
    // Idle: dropped right here; still in its first poll: dropped by the
    // worker when the poll ends. Either way exactly once, never run again.
    handle.cancel();
    dropped.recv_timeout(PATIENCE).unwrap();
    assert!(handle.is_finished());
    assert_eq!(
        mb.try_send(1),
        Err(crate::core::mailbox::SendError::Closed(1))
    );
    assert_eq!(
        dropped.recv_timeout(PATIENCE),
        Err(mpsc::RecvTimeoutError::Disconnected)
    );
}

#[test]
fn a_panicking_task_does_not_take_its_worker_down() {
    let s = scheduler(1);
    let h = s
        .spawn(async { panic!("a task panics (expected in this test)") })
        .unwrap();
    let (tx, rx) = mpsc::channel();
    s.spawn(async move { tx.send(()).unwrap() }).unwrap();
    assert_eq!(rx.recv_timeout(PATIENCE), Ok(()));
    assert!(h.is_finished());
}

#[test]
fn several_schedulers_run_side_by_side() {
    let named = |name: &str| {
        Scheduler::new(SchedulerConfig {
            name: name.into(),
            workers: 1,
            throughput: 64,
            thread_wrapper: None,
        })
        .unwrap()
    };
    let (a, b) = (named("sched-a"), named("sched-b"));
    let (tx, rx) = mpsc::channel();
    let (mb, mut mailbox_rx) = Mailbox::<u64>::unbounded();
    // A task on `a` wakes a task on `b`: the woken task runs on b's worker
    // (the wake goes to b's injector, not to a's LIFO slot).
    b.spawn(async move {
        let v = mailbox_rx.recv().await.unwrap();
        let name = std::thread::current().name().map(str::to_owned);
        tx.send((v, name)).unwrap();
    })
    .unwrap();
    a.spawn(async move { mb.try_send(42).unwrap() }).unwrap();
    assert_eq!(
        rx.recv_timeout(PATIENCE),
        Ok((42, Some("sched-b-0".to_owned())))
    );
}

/// Many tasks sending to each other across workers: millions of messages,
/// every one counted.
#[test]
fn stress_message_ring_exact_counts() {
    const TASKS: usize = 64;
    const LAPS: u64 = 20_000;
    let s = scheduler(4);
    let (mbs, rxs): (Vec<_>, Vec<_>) = (0..TASKS).map(|_| Mailbox::<u64>::unbounded()).unzip();
    let total = Arc::new(AtomicUsize::new(0));
    let (done_tx, done) = mpsc::channel();
    for (i, mut rx) in rxs.into_iter().enumerate() {
        let next = mbs[(i + 1) % TASKS].clone();
        let total = total.clone();
        let done_tx = done_tx.clone();
        s.spawn(async move {
            while let Ok(hops) = rx.recv().await {
                total.fetch_add(1, Ordering::Relaxed);
                if hops == 0 {
                    done_tx.send(()).unwrap();
                } else {
                    next.try_send(hops - 1).unwrap();
                }
            }
        })
        .unwrap();
    }
    // One token per task, each travelling LAPS hops.
    for mb in &mbs {
        mb.try_send(LAPS).unwrap();
    }
    for _ in 0..TASKS {
        done.recv_timeout(PATIENCE).unwrap();
    }
    assert_eq!(
        total.load(Ordering::Relaxed) as u64,
        TASKS as u64 * (LAPS + 1)
    );
    for mb in &mbs {
        mb.close();
    }
}

/// Two threads shutting down at once: each returns only after every task
/// was dropped, not just the one that joined the workers.
#[test]
fn concurrent_shutdowns_both_wait_for_the_clean_up() {
    let drops = Arc::new(AtomicUsize::new(0));
    let s = Arc::new(scheduler(2));
    let _mailboxes = spawn_idle(&s, 200, &drops);
    let callers: Vec<_> = (0..2)
        .map(|_| {
            let (s, drops) = (s.clone(), drops.clone());
            std::thread::spawn(move || {
                s.shutdown();
                drops.load(Ordering::Acquire)
            })
        })
        .collect();
    for c in callers {
        assert_eq!(c.join().unwrap(), 200);
    }
}

/// A pinned future is dropped where it was polled: it may have lent its
/// address out (an intrusive waiter list) until its destructor runs.
#[test]
fn a_pinned_future_is_dropped_in_place() {
    use std::marker::PhantomPinned;
    use std::pin::Pin;

    /// Records its address when first polled and when dropped.
    struct Pinned {
        polled_at: mpsc::Sender<usize>,
        dropped_at: mpsc::Sender<usize>,
        _pin: PhantomPinned,
    }
    impl Future for Pinned {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _cx: &mut std::task::Context<'_>) -> Poll<()> {
            let _ = self.polled_at.send(&*self as *const Pinned as usize);
            Poll::Pending
        }
    }
    impl Drop for Pinned {
        fn drop(&mut self) {
            let _ = self.dropped_at.send(self as *const Pinned as usize);
        }
    }

    let s = scheduler(1);
    let (polled_at, polled) = mpsc::channel();
    let (dropped_at, dropped) = mpsc::channel();
    let handle = s
        .spawn(Pinned {
            polled_at,
            dropped_at,
            _pin: PhantomPinned,
        })
        .unwrap();
    let at = polled.recv_timeout(PATIENCE).unwrap();
    handle.cancel();
    assert_eq!(dropped.recv_timeout(PATIENCE).unwrap(), at);
}
