use std::task::{Context, Poll};

use super::*;
use crate::core::test_util::{block_on, Tracked, WakeCounter};
use crate::sync::{thread, Arc, AtomicUsize, Ordering};

type Mb = Mailbox<u64, &'static str>;
type Rx = Receiver<u64, &'static str>;

fn drain(rx: &mut Rx) -> Vec<u64> {
    std::iter::from_fn(|| rx.try_recv().ok()).collect()
}

#[test]
fn user_lane_is_fifo_across_blocks() {
    let (tx, mut rx) = Mb::unbounded();
    let n = (BLOCK_CAP * 5 + 3) as u64;
    for i in 0..n {
        tx.try_send(i).unwrap();
    }
    assert_eq!(tx.len(), n as usize);
    assert_eq!(drain(&mut rx), (0..n).collect::<Vec<_>>());
    assert!(rx.is_empty());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn interleaved_sends_and_reads_reuse_blocks() {
    let (tx, mut rx) = Mb::unbounded();
    let mut next = 0;
    for round in 0..200u64 {
        for _ in 0..round % 70 {
            tx.try_send(next).unwrap();
            next += 1;
        }
        let got = drain(&mut rx);
        if let (Some(first), Some(last)) = (got.first(), got.last()) {
            assert_eq!(last - first + 1, got.len() as u64, "gap in {got:?}");
        }
    }
    assert!(rx.is_empty());
}

#[test]
fn a_closed_mailbox_hands_the_message_back() {
    let (tx, mut rx) = Mb::unbounded();
    tx.try_send(1).unwrap();
    assert!(tx.close());
    assert!(!tx.close(), "only the first close reports true");
    assert!(tx.is_closed());
    assert_eq!(tx.try_send(2), Err(SendError::Closed(2)));
    assert_eq!(tx.send_control("kill"), Err("kill"));
    assert_eq!(block_on(tx.send(3)), Err(SendError::Closed(3)));
    // Accepted before the close: still delivered, then Closed.
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    assert_eq!(block_on(rx.recv()), Err(RecvError));
}

#[test]
fn a_full_bounded_mailbox_answers_full_with_the_message() {
    let (tx, mut rx) = Mb::bounded(2);
    assert_eq!(tx.capacity(), Some(2));
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    match tx.try_send(3) {
        Err(SendError::Full(m)) => assert_eq!(m, 3),
        other => panic!("expected Full(3), got {other:?}"),
    }
    assert_eq!(rx.try_recv(), Ok(1));
    tx.try_send(3).unwrap();
    assert_eq!(drain(&mut rx), vec![2, 3]);
    assert_eq!(SendError::Full(7).into_inner(), 7);
    assert_eq!(SendError::Closed(8).into_inner(), 8);
}

#[test]
fn bounded_capacity_zero_means_one() {
    let (tx, _rx) = Mb::bounded(0);
    assert_eq!(tx.capacity(), Some(1));
    tx.try_send(1).unwrap();
    assert!(matches!(tx.try_send(2), Err(SendError::Full(2))));
}

#[test]
fn high_water_mark_is_tracked_when_asked() {
    let (tx, mut rx) = Mb::with_config(None, true);
    for i in 0..10 {
        tx.try_send(i).unwrap();
    }
    drain(&mut rx);
    tx.try_send(99).unwrap();
    assert_eq!(tx.high_water(), Some(10));
    assert_eq!(tx.len(), 1);
    let (plain, _rx) = Mb::unbounded();
    assert_eq!(plain.high_water(), None);
}

#[test]
fn control_lane_overtakes_user_messages() {
    let (tx, mut rx) = Mb::unbounded();
    tx.try_send(1).unwrap();
    tx.send_control("exit").unwrap();
    tx.try_send(2).unwrap();
    tx.send_control("kill").unwrap();
    assert!(rx.has_control());
    assert_eq!(rx.try_recv_control(), Some("exit"));
    assert_eq!(rx.try_recv_control(), Some("kill"));
    assert!(!rx.has_control());
    assert_eq!(rx.try_recv_control(), None);
    assert_eq!(drain(&mut rx), vec![1, 2]);
}

#[test]
fn control_messages_wake_a_parked_receiver() {
    let (tx, mut rx) = Mb::unbounded();
    let counter = WakeCounter::new();
    let waker = WakeCounter::waker(&counter);
    let mut cx = Context::from_waker(&waker);
    assert!(rx.poll_next(&mut cx).is_pending());
    tx.try_send(1).unwrap();
    tx.send_control("kill").unwrap();
    assert_eq!(counter.wakes(), 1);
    // The control lane first, then the user lane; after a close, whatever
    // is left in both, then Closed.
    assert_eq!(
        rx.poll_next(&mut cx),
        Poll::Ready(Ok(Next::Control("kill")))
    );
    tx.send_control("exit").unwrap();
    tx.close();
    assert_eq!(
        rx.poll_next(&mut cx),
        Poll::Ready(Ok(Next::Control("exit")))
    );
    assert_eq!(rx.poll_next(&mut cx), Poll::Ready(Ok(Next::User(1))));
    assert_eq!(rx.poll_next(&mut cx), Poll::Ready(Err(RecvError)));
}

#[test]
fn a_send_wakes_a_parked_receiver_once() {
    let (tx, mut rx) = Mb::unbounded();
    let counter = WakeCounter::new();
    let waker = WakeCounter::waker(&counter);
    let mut cx = Context::from_waker(&waker);
    assert!(rx.poll_recv(&mut cx).is_pending());
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    assert_eq!(counter.wakes(), 1, "one wake per park, not per message");
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Ok(1)));
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Ok(2)));
    // Parked at a block boundary too.
    for i in 3..BLOCK_CAP as u64 {
        tx.try_send(i).unwrap();
    }
    assert_eq!(drain(&mut rx).len(), BLOCK_CAP - 3);
    assert!(rx.poll_recv(&mut cx).is_pending());
    tx.try_send(100).unwrap();
    assert_eq!(counter.wakes(), 2);
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Ok(100)));
}

#[test]
fn closing_wakes_the_receiver_which_then_sees_closed() {
    let (tx, mut rx) = Mb::unbounded();
    let counter = WakeCounter::new();
    let waker = WakeCounter::waker(&counter);
    let mut cx = Context::from_waker(&waker);
    assert!(rx.poll_recv(&mut cx).is_pending());
    tx.close();
    assert_eq!(counter.wakes(), 1);
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Err(RecvError)));
}

#[test]
fn a_new_receiver_owner_takes_over_queued_messages() {
    // The address owns the mailbox: a receiver can move to a new task (the
    // next incarnation) and finds what was queued for the old one.
    let (tx, rx) = Mb::unbounded();
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    let mut rx = thread::spawn(move || {
        let mut rx = rx;
        assert_eq!(rx.try_recv(), Ok(1));
        rx
    })
    .join()
    .unwrap();
    assert_eq!(rx.try_recv(), Ok(2));
    assert!(tx.same_mailbox(&rx.mailbox()));
}

#[test]
fn dropping_the_receiver_closes_the_mailbox() {
    let (tx, rx) = Mb::unbounded();
    drop(rx);
    assert_eq!(tx.try_send(1), Err(SendError::Closed(1)));
}

#[test]
fn queued_values_are_dropped_exactly_once_with_the_mailbox() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, mut rx) = Mailbox::<Tracked, ()>::unbounded();
    let n = BLOCK_CAP * 3 + 1;
    for i in 0..n {
        assert!(tx.try_send(Tracked(i, drops.clone())).is_ok());
    }
    assert_eq!(rx.try_recv().unwrap().0, 0);
    assert_eq!(drops.load(Ordering::Acquire), 1);
    drop(rx);
    assert_eq!(
        drops.load(Ordering::Acquire),
        1,
        "the sender keeps the queue alive"
    );
    drop(tx);
    assert_eq!(drops.load(Ordering::Acquire), n);
}

#[test]
fn an_idle_mailbox_allocates_no_block() {
    let (tx, mut rx) = Mb::unbounded();
    let counter = WakeCounter::new();
    let waker = WakeCounter::waker(&counter);
    assert!(rx.poll_recv(&mut Context::from_waker(&waker)).is_pending());
    assert!(tx.chan.tx_first_is_null(), "waiting allocates nothing");
    tx.try_send(1).unwrap();
    assert!(!tx.chan.tx_first_is_null());
    assert_eq!(
        counter.wakes(),
        1,
        "the sender that linked the first block woke us"
    );
}

#[test]
fn a_bounded_send_waits_for_room() {
    let (tx, mut rx) = Mb::bounded(1);
    tx.try_send(1).unwrap();
    let counter = WakeCounter::new();
    let waker = WakeCounter::waker(&counter);
    let mut cx = Context::from_waker(&waker);
    let mut send = tx.send(2);
    assert!(Pin::new(&mut send).poll(&mut cx).is_pending());
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(
        counter.wakes(),
        1,
        "the freed slot wakes the waiting sender"
    );
    assert_eq!(Pin::new(&mut send).poll(&mut cx), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
fn a_cancelled_send_passes_its_wake_up_on() {
    let (tx, mut rx) = Mb::bounded(1);
    tx.try_send(0).unwrap();
    let (c1, c2) = (WakeCounter::new(), WakeCounter::new());
    let (w1, w2) = (WakeCounter::waker(&c1), WakeCounter::waker(&c2));
    let mut first = tx.send(1);
    let mut second = tx.send(2);
    assert!(Pin::new(&mut first)
        .poll(&mut Context::from_waker(&w1))
        .is_pending());
    assert!(Pin::new(&mut second)
        .poll(&mut Context::from_waker(&w2))
        .is_pending());
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(
        (c1.wakes(), c2.wakes()),
        (1, 0),
        "the oldest waiter is woken"
    );
    drop(first); // cancelled without using its slot
    assert_eq!(c2.wakes(), 1, "its wake-up went to the next waiter");
    assert_eq!(
        Pin::new(&mut second).poll(&mut Context::from_waker(&w2)),
        Poll::Ready(Ok(()))
    );
    assert_eq!(drain(&mut rx), vec![2]);
}

#[test]
fn closing_wakes_waiting_senders_with_their_message() {
    let (tx, _rx) = Mb::bounded(1);
    tx.try_send(0).unwrap();
    let c = WakeCounter::new();
    let w = WakeCounter::waker(&c);
    let mut send = tx.send(5);
    assert!(Pin::new(&mut send)
        .poll(&mut Context::from_waker(&w))
        .is_pending());
    tx.close();
    assert_eq!(c.wakes(), 1);
    assert_eq!(
        Pin::new(&mut send).poll(&mut Context::from_waker(&w)),
        Poll::Ready(Err(SendError::Closed(5)))
    );
}

/// Many senders, millions of messages, one receiver: every message arrives
/// exactly once, and each sender's messages in the order it sent them.
#[test]
fn stress_many_senders_one_receiver_exact_counts() {
    for bounded in [None, Some(64)] {
        const SENDERS: u64 = 4;
        const PER_SENDER: u64 = 500_000;
        let (tx, mut rx) = Mailbox::<(u64, u64), ()>::with_config(bounded, false);
        let senders: Vec<_> = (0..SENDERS)
            .map(|s| {
                let tx = tx.clone();
                thread::spawn(move || {
                    for i in 0..PER_SENDER {
                        block_on(tx.send((s, i))).unwrap();
                    }
                })
            })
            .collect();
        let mut next = vec![0u64; SENDERS as usize];
        for _ in 0..SENDERS * PER_SENDER {
            let (s, i) = block_on(rx.recv()).unwrap();
            assert_eq!(i, next[s as usize], "sender {s} out of order");
            next[s as usize] += 1;
        }
        for s in senders {
            s.join().unwrap();
        }
        assert!(next.iter().all(|&n| n == PER_SENDER));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        tx.close();
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    }
}

/// Senders racing a close: each message is either delivered or handed back,
/// never both, never neither.
#[test]
fn stress_send_vs_close_exactly_once() {
    for _ in 0..50 {
        let (tx, mut rx) = Mailbox::<u64, ()>::unbounded();
        let senders: Vec<_> = (0..3u64)
            .map(|s| {
                let tx = tx.clone();
                thread::spawn(move || {
                    let mut back = Vec::new();
                    for i in 0..20_000 {
                        if let Err(e) = tx.try_send(s * 1_000_000 + i) {
                            back.push(e.into_inner());
                        }
                    }
                    back
                })
            })
            .collect();
        thread::yield_now();
        tx.close();
        let mut got: Vec<u64> = Vec::new();
        while let Ok(v) = block_on(rx.recv()) {
            got.push(v);
        }
        for s in senders {
            got.extend(s.join().unwrap());
        }
        got.sort_unstable();
        let mut expected: Vec<u64> = (0..3)
            .flat_map(|s| (0..20_000).map(move |i| s * 1_000_000 + i))
            .collect();
        expected.sort_unstable();
        assert_eq!(got, expected);
    }
}

/// The receiver's part ends at least 128 bytes before `tail` begins, for
/// any message and control type (the fields between do not depend on
/// them), so the two sides' hot words never share a prefetched line pair.
#[test]
fn the_two_sides_hot_words_are_128_bytes_apart() {
    fn gap<U, C>() -> usize {
        let rx_end = std::mem::offset_of!(Chan<U, C>, rx) + std::mem::size_of::<RxSide<U>>();
        std::mem::offset_of!(Chan<U, C>, tail) - rx_end
    }
    assert!(gap::<u64, &'static str>() >= 128, "{}", gap::<u64, &str>());
    assert!(gap::<[u8; 200], ()>() >= 128, "{}", gap::<[u8; 200], ()>());
    assert!(gap::<(), [u64; 9]>() >= 128, "{}", gap::<(), [u64; 9]>());
    // ... and the gap is not much more than that.
    assert!(gap::<u64, u64>() < 128 + 32, "{}", gap::<u64, u64>());
}
