//! Loom models of the mailbox. `BLOCK_CAP` is 2 under loom, so three
//! messages cross a block boundary and five recycle a block.
use std::pin::pin;
use std::task::Context;

use super::*;
use crate::core::test_util::{block_on, model_bounded, Tracked, WakeCounter};
use crate::sync::{thread, Arc, AtomicUsize, Ordering};

/// Receives `n` user messages, parking (loom's `block_on`) when empty.
fn recv_n<U>(rx: &mut Receiver<U>, n: usize) -> Vec<U> {
    block_on(async {
        let mut got = Vec::with_capacity(n);
        for _ in 0..n {
            got.push(rx.recv().await.unwrap());
        }
        got
    })
}

/// Send vs close: every message is delivered or handed back, exactly once,
/// and what is delivered comes in send order.
#[test]
fn mailbox_send_vs_close() {
    loom::model(|| {
        let (tx, mut rx) = Mailbox::<u64>::unbounded();
        let sender = {
            let tx = tx.clone();
            thread::spawn(move || {
                (0..3)
                    .filter_map(|i| tx.try_send(i).err().map(SendError::into_inner))
                    .collect::<Vec<_>>()
            })
        };
        tx.close();
        let mut got = Vec::new();
        block_on(async {
            while let Ok(v) = rx.recv().await {
                got.push(v);
            }
        });
        let back = sender.join().unwrap();
        // Sends after the close fail, so the delivered ones are a prefix.
        let expected: Vec<u64> = (0..got.len() as u64).collect();
        assert_eq!(got, expected);
        assert_eq!(back, (got.len() as u64..3).collect::<Vec<_>>());
    });
}

/// A receiver parked on an empty mailbox, and on a block that does not exist
/// yet, is woken by the send that fills it; the first block is released by
/// the sender and reclaimed by the receiver meanwhile.
#[test]
fn mailbox_receive_vs_send_across_blocks() {
    loom::model(|| {
        let (tx, mut rx) = Mailbox::<u64>::unbounded();
        let sender = thread::spawn(move || {
            for i in 0..3 {
                tx.try_send(i).unwrap();
            }
        });
        assert_eq!(recv_n(&mut rx, 3), vec![0, 1, 2]);
        sender.join().unwrap();
    });
}

/// Blocks recycled while the sender races ahead: five messages over three
/// blocks, so a reclaimed block is either linked back past the tail or
/// pushed on the free stack and popped by the sender that needs a block,
/// concurrently with the receiver. Nothing lost, reordered or duplicated.
#[test]
fn mailbox_recycle_vs_send() {
    model_bounded(1, || {
        let (tx, mut rx) = Mailbox::<u64>::unbounded();
        let sender = thread::spawn(move || {
            for i in 0..5 {
                tx.try_send(i).unwrap();
            }
        });
        assert_eq!(recv_n(&mut rx, 5), vec![0, 1, 2, 3, 4]);
        sender.join().unwrap();
    });
}

/// Two senders and a receiver crossing a block boundary: nothing lost or
/// duplicated, each sender's order kept, values dropped exactly once.
#[test]
fn mailbox_two_senders_one_receiver() {
    model_bounded(1, || {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, mut rx) = Mailbox::<Tracked>::unbounded();
        let senders: Vec<_> = [2, 1]
            .into_iter()
            .enumerate()
            .map(|(s, count)| {
                let tx = tx.clone();
                let drops = drops.clone();
                thread::spawn(move || {
                    for i in 0..count {
                        assert!(tx.try_send(Tracked(s * 10 + i, drops.clone())).is_ok());
                    }
                })
            })
            .collect();
        let got: Vec<usize> = recv_n(&mut rx, 3).into_iter().map(|t| t.0).collect();
        for s in senders {
            s.join().unwrap();
        }
        let first: Vec<usize> = got.iter().copied().filter(|v| *v < 10).collect();
        assert_eq!(first, vec![0, 1], "sender 0's order in {got:?}");
        assert!(got.contains(&10));
        assert_eq!(drops.load(Ordering::Acquire), 3);
        drop((tx, rx));
        assert_eq!(drops.load(Ordering::Acquire), 3);
    });
}

/// A sender waiting for room in a full bounded mailbox is woken by the read
/// that frees a slot: no lost sender wake-up.
#[test]
fn mailbox_bounded_sender_waiting_vs_receive() {
    loom::model(|| {
        let (tx, mut rx) = Mailbox::<u64>::bounded(1);
        let sender = thread::spawn(move || {
            block_on(async {
                for i in 0..3 {
                    tx.send(i).await.unwrap();
                }
            })
        });
        assert_eq!(recv_n(&mut rx, 3), vec![0, 1, 2]);
        sender.join().unwrap();
    });
}

/// A waiting `send().await` cancelled while the receiver frees a slot: the
/// other waiting sender still gets through (the wake-up is passed on).
#[test]
fn mailbox_cancelled_send() {
    loom::model(|| {
        let (tx, mut rx) = Mailbox::<u64>::bounded(1);
        tx.try_send(0).unwrap();
        let cancelled = {
            let tx = tx.clone();
            thread::spawn(move || {
                let counter = WakeCounter::new();
                let waker = WakeCounter::waker(&counter);
                let mut send = pin!(tx.send(1));
                // One poll, then the future is dropped: cancelled.
                send.as_mut()
                    .poll(&mut Context::from_waker(&waker))
                    .is_ready()
            })
        };
        let patient = thread::spawn(move || block_on(tx.send(2)).unwrap());
        assert_eq!(block_on(rx.recv()), Ok(0));
        let sent_one = cancelled.join().unwrap();
        let mut rest = vec![block_on(rx.recv()).unwrap()];
        if sent_one {
            rest.push(block_on(rx.recv()).unwrap());
        }
        patient.join().unwrap();
        rest.sort_unstable();
        assert_eq!(rest, if sent_one { vec![1, 2] } else { vec![2] });
    });
}

/// A control message vs close: delivered iff accepted; and it wakes a
/// receiver parked on the user lane.
#[test]
fn mailbox_control_vs_close_and_park() {
    loom::model(|| {
        let (tx, mut rx) = Mailbox::<u64, &'static str>::unbounded();
        let signaller = {
            let tx = tx.clone();
            thread::spawn(move || tx.send_control("kill").is_ok())
        };
        let first = block_on(rx.recv_next());
        assert_eq!(first, Ok(Next::Control("kill")));
        assert!(signaller.join().unwrap());
        drop((tx, rx));

        // And against a close: accepted iff it can be read.
        let (tx, mut rx) = Mailbox::<u64, &'static str>::unbounded();
        let signaller = {
            let tx = tx.clone();
            thread::spawn(move || tx.send_control("exit").is_ok())
        };
        tx.close();
        let accepted = signaller.join().unwrap();
        assert_eq!(rx.try_recv_control().is_some(), accepted);
    });
}
