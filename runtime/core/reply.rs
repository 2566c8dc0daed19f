//! The one-shot slot an `ask` waits on.
//!
//! [`reply_slot`] makes a connected pair: the [`ReplySender`] travels with the
//! request to the callee, the [`ReplyReceiver`] stays with the asking future.
//! The sender delivers at most one value; the receiver gets it, or
//! [`NoReply`] when the sender is dropped without sending. On timeout the
//! asker [`close`](ReplyReceiver::close)s the receiver: a later
//! [`send`](ReplySender::send) hands the value back (the caller turns it into a
//! dead letter), and a value that arrived just before the close is returned by
//! it, so it is never lost.
//!
//! # Shared state
//!
//! Both ends hold an `Arc<Shared<T>>`, so the slot is freed exactly once, when
//! the second end is gone. `Shared` has three fields:
//!
//! - `state`: one `AtomicUsize`, the bits below;
//! - `value: UnsafeCell<Option<T>>`: the reply;
//! - `waker: UnsafeCell<Option<Waker>>`: the receiver's waker.
//!
//! # State bits
//!
//! | bit            | set by                                  | cleared by |
//! |----------------|-----------------------------------------|------------|
//! | `VALUE_SENT`   | `send`, if `RX_CLOSED` is clear         | never      |
//! | `TX_DROPPED`   | dropping the sender without sending     | never      |
//! | `RX_CLOSED`    | `close`, or dropping the receiver       | never      |
//! | `RX_WAKER_SET` | `poll_recv`, after storing a waker, if the sender has not finished | `poll_recv` (to replace the waker) and `close`, both only while the sender has not finished |
//!
//! `VALUE_SENT` and `TX_DROPPED` exclude each other; either one means the
//! sender has *finished* ([`Snapshot::is_complete`]) and will not change the
//! state again. Every transition is a pure function over a [`Snapshot`], run
//! by the single CAS helper [`State::fetch_update_action`]; successful updates
//! are `AcqRel`, so each side acquires the cell writes the other side made
//! before its transition.
//!
//! # Who may touch which cell, when
//!
//! 1. `value`, while `VALUE_SENT` is clear, belongs to the sender: `send` writes
//!    the reply into it *before* trying to set `VALUE_SENT`, and takes it back
//!    if that transition is refused because `RX_CLOSED` is set. The receiver
//!    never touches `value` while `VALUE_SENT` is clear.
//! 2. `value`, once `VALUE_SENT` is set, belongs to the receiver (`poll_recv`,
//!    `try_recv`, `close`, drop take it); the sender never touches it again.
//!    An empty `value` with `VALUE_SENT` set means the receiver already took the
//!    reply.
//! 3. `waker`, while `RX_WAKER_SET` is clear, belongs to the receiver: it may
//!    replace or drop the waker.
//! 4. `waker`, while `RX_WAKER_SET` is set, is shared read-only: the receiver
//!    may read it (to skip re-registering an equivalent waker); the sender
//!    reads it to wake the receiver when its finishing transition found
//!    `RX_WAKER_SET` set. Since the receiver may clear `RX_WAKER_SET` only
//!    while the sender has not finished, a sender that saw the bit can read
//!    the waker for as long as it likes: nobody writes it after that.
//! 5. `close` on a sender that has not finished clears `RX_WAKER_SET` in the
//!    same transition that sets `RX_CLOSED`, and drops the waker (rule 3):
//!    the sender's later transition will find `RX_CLOSED` and not wake. This
//!    releases whatever the waker keeps alive as soon as an ask times out,
//!    even if the callee holds the sender for a long time.
//! 6. Whatever is left in either cell when the last end goes is dropped with
//!    `Shared`.
//!
//! # No lost wake-up
//!
//! The receiver stores its waker, then tries to set `RX_WAKER_SET`; that
//! transition is refused if the sender has finished, and the receiver then
//! returns the outcome itself. The sender's finishing transition sees
//! `RX_WAKER_SET` if and only if the receiver's registration came first, and
//! then wakes. One of the two always happens.

use std::fmt;
use std::task::{Context, Poll, Waker};

use crate::sync::{Arc, AtomicUsize, Ordering, UnsafeCell};

/// Makes a connected one-shot reply slot.
pub(crate) fn reply_slot<T>() -> (ReplySender<T>, ReplyReceiver<T>) {
    let shared = Arc::new(Shared {
        state: State::new(),
        value: UnsafeCell::new(None),
        waker: UnsafeCell::new(None),
    });
    let sender = ReplySender {
        shared: Some(Arc::clone(&shared)),
    };
    (sender, ReplyReceiver { shared })
}

/// The sending end of a reply slot: delivers at most one value.
///
/// Dropping it without sending makes the receiver see [`NoReply`].
pub(crate) struct ReplySender<T> {
    /// `None` only inside [`ReplySender::send`], once it has finished, so that
    /// `Drop` does nothing more.
    shared: Option<Arc<Shared<T>>>,
}

/// The receiving end of a reply slot, polled by the asking future.
///
/// Dropping it closes the slot and drops a reply that already arrived.
pub(crate) struct ReplyReceiver<T> {
    shared: Arc<Shared<T>>,
}

/// The sender was dropped without sending (or the receiver was closed, or the
/// reply was already taken).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NoReply;

/// Why [`ReplyReceiver::try_recv`] returned no value.
// The models and tests read the slot without a waker; the actor layer polls.
#[cfg_attr(not(test), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TryRecvError {
    /// No reply yet; the sender may still send.
    Empty,
    /// There will be no reply: see [`NoReply`].
    NoReply,
}

impl<T> ReplySender<T> {
    /// Delivers `v`. `Ok` if the receiver may still take it; `Err(v)` if the
    /// receiver is closed or dropped (a late reply, for the caller to turn into
    /// a dead letter). Wakes the receiver's waker if one is registered.
    pub(crate) fn send(mut self, v: T) -> Result<(), T> {
        let shared = self.shared.take().expect("a sender is live until consumed");
        // SAFETY: rule 1: `VALUE_SENT` is clear (only this sender, which `send`
        // consumes, sets it), so `value` is ours and the receiver does not
        // touch it.
        shared.value.with_mut(|p| unsafe { *p = Some(v) });
        match shared.state.transition_to_value_sent() {
            SendOutcome::Sent(notify) => {
                shared.notify(notify);
                Ok(())
            }
            SendOutcome::RxClosed => {
                // SAFETY: rule 1: the transition was refused, so `VALUE_SENT`
                // is still clear and `value` is still ours.
                let v = shared.value.with_mut(|p| unsafe { (*p).take() });
                Err(v.expect("the value written above"))
            }
        }
    }

    /// Whether the receiver is closed or dropped, so that a `send` would hand
    /// the value back.
    pub(crate) fn is_closed(&self) -> bool {
        self.shared().state.load().is_rx_closed()
    }

    fn shared(&self) -> &Shared<T> {
        self.shared
            .as_deref()
            .expect("a sender is live until consumed")
    }
}

impl<T> Drop for ReplySender<T> {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            let notify = shared.state.transition_to_tx_dropped();
            shared.notify(notify);
        }
    }
}

impl<T> ReplyReceiver<T> {
    /// Polls for the reply: `Ready(Ok(v))` once it has arrived,
    /// `Ready(Err(NoReply))` if the sender was dropped without sending (or
    /// after [`close`](Self::close), or once the reply was taken), otherwise
    /// `Pending` with `cx`'s waker registered, replacing a previously
    /// registered one unless it would wake the same task.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, NoReply>> {
        let snapshot = self.shared.state.load();
        if snapshot.is_complete() || snapshot.is_rx_closed() {
            return Poll::Ready(self.take_outcome(snapshot));
        }
        if snapshot.is_waker_set() {
            // SAFETY: rule 4: `RX_WAKER_SET` is set, so the waker is shared
            // read-only; nobody writes it while we read.
            let same = self
                .shared
                .waker
                .with(|p| unsafe { (*p).as_ref().is_some_and(|w| w.will_wake(cx.waker())) });
            if same {
                return Poll::Pending;
            }
            match self.shared.state.transition_to_waker_unset() {
                UnsetWaker::Unset => {}
                UnsetWaker::SenderFinished(snapshot) => {
                    return Poll::Ready(self.take_outcome(snapshot));
                }
            }
        }
        // `RX_WAKER_SET` is clear now: rule 3, the waker is ours.
        let new = cx.waker().clone();
        // SAFETY: rule 3: `RX_WAKER_SET` is clear and only this receiver sets
        // it, so the sender does not read the waker.
        let old = self.shared.waker.with_mut(|p| unsafe { (*p).replace(new) });
        // Dropped outside the cell access: a waker's drop runs foreign code.
        drop(old);
        match self.shared.state.transition_to_waker_set() {
            SetWaker::Set => Poll::Pending,
            SetWaker::SenderFinished(snapshot) => {
                // SAFETY: rule 3: the transition was refused, `RX_WAKER_SET`
                // is still clear; the sender finished without seeing it and
                // will not read the waker.
                let unused = self.shared.waker.with_mut(|p| unsafe { (*p).take() });
                drop(unused);
                Poll::Ready(self.take_outcome(snapshot))
            }
        }
    }

    /// Takes the reply without waiting: `Err(Empty)` if the sender may still
    /// send, `Err(NoReply)` if it will not (see [`poll_recv`](Self::poll_recv)).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let snapshot = self.shared.state.load();
        if snapshot.is_complete() || snapshot.is_rx_closed() {
            self.take_outcome(snapshot)
                .map_err(|NoReply| TryRecvError::NoReply)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    /// Closes the slot (on timeout): from now on [`ReplySender::send`] hands
    /// its value back. Returns the reply if it arrived before the close and was
    /// not taken yet, so the caller can still use it. Idempotent.
    pub(crate) fn close(&mut self) -> Option<T> {
        match self.shared.state.transition_to_rx_closed() {
            CloseOutcome::TakeValue => {
                // SAFETY: rule 2: `VALUE_SENT` is set, `value` is ours.
                self.shared.value.with_mut(|p| unsafe { (*p).take() })
            }
            CloseOutcome::DropWaker => {
                // SAFETY: rule 5: we cleared `RX_WAKER_SET` (or it was clear)
                // before the sender finished; it will see `RX_CLOSED` and not
                // read the waker.
                let waker = self.shared.waker.with_mut(|p| unsafe { (*p).take() });
                drop(waker);
                None
            }
            CloseOutcome::Nothing => None,
        }
    }

    /// The outcome once the sender has finished or the receiver is closed.
    fn take_outcome(&mut self, snapshot: Snapshot) -> Result<T, NoReply> {
        if snapshot.is_value_sent() {
            // SAFETY: rule 2: `VALUE_SENT` is set (seen with `Acquire`), the
            // value is ours.
            let value = self.shared.value.with_mut(|p| unsafe { (*p).take() });
            value.ok_or(NoReply)
        } else {
            Err(NoReply)
        }
    }
}

impl<T> Drop for ReplyReceiver<T> {
    fn drop(&mut self) {
        drop(self.close());
    }
}

impl<T> fmt::Debug for ReplySender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ReplySender");
        if let Some(shared) = &self.shared {
            d.field("state", &shared.state.load());
        }
        d.finish()
    }
}

impl<T> fmt::Debug for ReplyReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyReceiver")
            .field("state", &self.shared.state.load())
            .finish()
    }
}

// ---------------------------------------------------------------------------
// Private machinery
// ---------------------------------------------------------------------------

/// The sender has delivered the value (and finished).
const VALUE_SENT: usize = 1 << 0;
/// The sender was dropped without sending (and finished).
const TX_DROPPED: usize = 1 << 1;
/// The receiver was closed or dropped.
const RX_CLOSED: usize = 1 << 2;
/// `waker` holds the receiver's waker, readable by the sender.
const RX_WAKER_SET: usize = 1 << 3;

/// What both ends share; see the module documentation for the access rules.
struct Shared<T> {
    state: State,
    /// Rules 1 and 2.
    value: UnsafeCell<Option<T>>,
    /// Rules 3 to 5.
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the cells are only accessed as the module's rules 1-5 allow, which
// never gives two threads a write, or a write and a read, at the same time.
// Both ends may run on any thread, so `T` moves between threads: `T: Send`.
// `T: Sync` is not needed: a `T` is never shared, only moved.
unsafe impl<T: Send> Send for Shared<T> {}
// SAFETY: as above; every `&Shared` access goes through the state word.
unsafe impl<T: Send> Sync for Shared<T> {}

impl<T> Shared<T> {
    /// Wakes the receiver if the sender's finishing transition said so.
    fn notify(&self, notify: Notify) {
        match notify {
            Notify::WakeReceiver => {
                // SAFETY: rule 4: our finishing transition saw `RX_WAKER_SET`,
                // which nobody clears after it; the waker is read-only now.
                self.waker.with(|p| unsafe {
                    if let Some(waker) = &*p {
                        waker.wake_by_ref();
                    }
                });
            }
            Notify::Nothing => {}
        }
    }
}

/// A copy of the state word.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Snapshot(usize);

impl Snapshot {
    fn is_value_sent(self) -> bool {
        self.0 & VALUE_SENT != 0
    }

    /// The sender has finished: sent, or dropped without sending.
    fn is_complete(self) -> bool {
        self.0 & (VALUE_SENT | TX_DROPPED) != 0
    }

    fn is_rx_closed(self) -> bool {
        self.0 & RX_CLOSED != 0
    }

    fn is_waker_set(self) -> bool {
        self.0 & RX_WAKER_SET != 0
    }

    fn with(self, bits: usize) -> Self {
        Self(self.0 | bits)
    }

    fn without(self, bits: usize) -> Self {
        Self(self.0 & !bits)
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("value_sent", &self.is_value_sent())
            .field("tx_dropped", &(self.0 & TX_DROPPED != 0))
            .field("rx_closed", &self.is_rx_closed())
            .field("rx_waker_set", &self.is_waker_set())
            .finish()
    }
}

/// Whether the sender must wake the receiver after finishing.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Notify {
    WakeReceiver,
    Nothing,
}

/// Outcome of [`State::transition_to_value_sent`].
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SendOutcome {
    /// `VALUE_SENT` is set; the value belongs to the receiver now.
    Sent(Notify),
    /// The receiver is closed; the state is unchanged and the value is still
    /// the sender's.
    RxClosed,
}

/// Outcome of [`State::transition_to_waker_unset`].
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnsetWaker {
    /// `RX_WAKER_SET` is clear; the waker is the receiver's.
    Unset,
    /// Refused: the sender finished (and may be reading the waker).
    SenderFinished(Snapshot),
}

/// Outcome of [`State::transition_to_waker_set`].
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetWaker {
    /// `RX_WAKER_SET` is set; the sender will wake the stored waker.
    Set,
    /// Refused: the sender finished without seeing the waker.
    SenderFinished(Snapshot),
}

/// Outcome of [`State::transition_to_rx_closed`].
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CloseOutcome {
    /// The value had arrived: the receiver takes it (it may be gone already).
    TakeValue,
    /// The sender had not finished: the receiver drops its waker.
    DropWaker,
    /// Already closed, or the sender dropped without sending.
    Nothing,
}

/// The state word; every change goes through [`State::fetch_update_action`].
struct State {
    val: AtomicUsize,
}

impl State {
    fn new() -> Self {
        Self {
            val: AtomicUsize::new(0),
        }
    }

    fn load(&self) -> Snapshot {
        Snapshot(self.val.load(Ordering::Acquire))
    }

    /// Sender: set `VALUE_SENT` unless the receiver is closed.
    fn transition_to_value_sent(&self) -> SendOutcome {
        self.fetch_update_action(|s| {
            debug_assert!(!s.is_complete(), "a reply slot's sender finished twice");
            if s.is_rx_closed() {
                (SendOutcome::RxClosed, None)
            } else {
                (SendOutcome::Sent(Self::notify(s)), Some(s.with(VALUE_SENT)))
            }
        })
    }

    /// Sender dropped without sending: set `TX_DROPPED`.
    fn transition_to_tx_dropped(&self) -> Notify {
        self.fetch_update_action(|s| {
            debug_assert!(!s.is_complete(), "a reply slot's sender finished twice");
            (Self::notify(s), Some(s.with(TX_DROPPED)))
        })
    }

    /// Receiver, to replace its waker: clear `RX_WAKER_SET` unless the sender
    /// finished.
    fn transition_to_waker_unset(&self) -> UnsetWaker {
        self.fetch_update_action(|s| {
            debug_assert!(s.is_waker_set() && !s.is_rx_closed());
            if s.is_complete() {
                (UnsetWaker::SenderFinished(s), None)
            } else {
                (UnsetWaker::Unset, Some(s.without(RX_WAKER_SET)))
            }
        })
    }

    /// Receiver, after storing a waker: set `RX_WAKER_SET` unless the sender
    /// finished.
    fn transition_to_waker_set(&self) -> SetWaker {
        self.fetch_update_action(|s| {
            debug_assert!(!s.is_waker_set() && !s.is_rx_closed());
            if s.is_complete() {
                (SetWaker::SenderFinished(s), None)
            } else {
                (SetWaker::Set, Some(s.with(RX_WAKER_SET)))
            }
        })
    }

    /// Receiver closed or dropped: set `RX_CLOSED`, and clear `RX_WAKER_SET`
    /// if the sender has not finished (rule 5).
    fn transition_to_rx_closed(&self) -> CloseOutcome {
        self.fetch_update_action(|s| {
            if s.is_rx_closed() {
                (CloseOutcome::Nothing, None)
            } else if s.is_value_sent() {
                (CloseOutcome::TakeValue, Some(s.with(RX_CLOSED)))
            } else if s.is_complete() {
                (CloseOutcome::Nothing, Some(s.with(RX_CLOSED)))
            } else {
                let next = s.with(RX_CLOSED).without(RX_WAKER_SET);
                (CloseOutcome::DropWaker, Some(next))
            }
        })
    }

    /// What a finishing sender must do, given the state it replaced.
    fn notify(s: Snapshot) -> Notify {
        if s.is_waker_set() {
            // Rule 5: `close` clears `RX_WAKER_SET` before the sender finishes.
            debug_assert!(!s.is_rx_closed());
            Notify::WakeReceiver
        } else {
            Notify::Nothing
        }
    }

    /// The single CAS loop: `f` maps the current snapshot to an outcome and,
    /// optionally, the next snapshot; `None` leaves the word unchanged (the
    /// current value is still read with `Acquire`).
    fn fetch_update_action<R>(&self, mut f: impl FnMut(Snapshot) -> (R, Option<Snapshot>)) -> R {
        let mut current = self.val.load(Ordering::Acquire);
        loop {
            let (outcome, next) = f(Snapshot(current));
            let Some(next) = next else {
                return outcome;
            };
            match self
                .val
                .compare_exchange(current, next.0, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return outcome,
                Err(actual) => current = actual,
            }
        }
    }
}

#[cfg(all(test, not(keel_loom)))]
mod tests {
    use std::task::{Context, Poll};

    use super::*;
    use crate::core::test_util::WakeCounter;
    use crate::sync::{thread, Arc, AtomicUsize, Ordering};

    /// Counts its drops in a shared counter.
    #[derive(Debug)]
    struct Tracked(u32, Arc<AtomicUsize>);

    impl Drop for Tracked {
        fn drop(&mut self) {
            self.1.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn drops() -> Arc<AtomicUsize> {
        Arc::new(AtomicUsize::new(0))
    }

    #[test]
    fn send_then_poll() {
        let (tx, mut rx) = reply_slot();
        let counter = WakeCounter::new();
        let waker = WakeCounter::waker(&counter);
        let mut cx = Context::from_waker(&waker);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        assert!(rx.poll_recv(&mut cx).is_pending());
        assert!(!tx.is_closed());
        assert_eq!(tx.send(7), Ok(()));
        assert_eq!(counter.wakes(), 1);
        assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Ok(7)));
        // Already taken.
        assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Err(NoReply)));
        assert_eq!(rx.try_recv(), Err(TryRecvError::NoReply));
    }

    #[test]
    fn try_recv_after_send() {
        let (tx, mut rx) = reply_slot();
        tx.send("hi").unwrap();
        assert_eq!(rx.try_recv(), Ok("hi"));
        assert_eq!(rx.close(), None);
    }

    #[test]
    fn dropped_sender_gives_no_reply_and_wakes() {
        let (tx, mut rx) = reply_slot::<u32>();
        let counter = WakeCounter::new();
        let waker = WakeCounter::waker(&counter);
        let mut cx = Context::from_waker(&waker);
        assert!(rx.poll_recv(&mut cx).is_pending());
        drop(tx);
        assert_eq!(counter.wakes(), 1);
        assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Err(NoReply)));
        assert_eq!(rx.try_recv(), Err(TryRecvError::NoReply));
    }

    #[test]
    fn close_hands_late_reply_back() {
        let drops = drops();
        let (tx, mut rx) = reply_slot();
        assert_eq!(rx.close().map(|t: Tracked| t.0), None);
        assert!(tx.is_closed());
        let back = tx.send(Tracked(1, drops.clone())).unwrap_err();
        assert_eq!(back.0, 1);
        assert_eq!(drops.load(Ordering::Relaxed), 0);
        drop(back);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
        assert_eq!(rx.try_recv().map(|t| t.0), Err(TryRecvError::NoReply));
        drop(rx);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn close_returns_a_reply_that_arrived_first() {
        let drops = drops();
        let (tx, mut rx) = reply_slot();
        tx.send(Tracked(2, drops.clone())).unwrap();
        let got = rx.close().expect("arrived before close");
        assert_eq!(got.0, 2);
        assert_eq!(rx.close().map(|t| t.0), None);
        drop(got);
        drop(rx);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn dropping_receiver_drops_an_arrived_reply_once() {
        let drops = drops();
        let (tx, rx) = reply_slot();
        tx.send(Tracked(3, drops.clone())).unwrap();
        assert_eq!(drops.load(Ordering::Relaxed), 0);
        drop(rx);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn dropping_receiver_closes_the_slot() {
        let (tx, rx) = reply_slot::<u8>();
        drop(rx);
        assert!(tx.is_closed());
        assert_eq!(tx.send(9), Err(9));
    }

    #[test]
    fn waker_is_replaced_and_equal_waker_kept() {
        let (tx, mut rx) = reply_slot();
        let first = WakeCounter::new();
        let second = WakeCounter::new();
        let w1 = WakeCounter::waker(&first);
        let w2 = WakeCounter::waker(&second);
        assert!(rx.poll_recv(&mut Context::from_waker(&w1)).is_pending());
        // Same waker again: kept, no extra clone.
        assert!(rx.poll_recv(&mut Context::from_waker(&w1)).is_pending());
        assert_eq!(Arc::strong_count(&first), 3);
        // A different waker replaces it; the old clone is released.
        assert!(rx.poll_recv(&mut Context::from_waker(&w2)).is_pending());
        assert_eq!(Arc::strong_count(&first), 2);
        assert_eq!(Arc::strong_count(&second), 3);
        tx.send(1).unwrap();
        assert_eq!((first.wakes(), second.wakes()), (0, 1));
        assert_eq!(rx.try_recv(), Ok(1));
        drop(rx);
        assert_eq!(Arc::strong_count(&second), 2);
    }

    #[test]
    fn close_releases_the_waker_at_once() {
        let (tx, mut rx) = reply_slot::<u8>();
        let counter = WakeCounter::new();
        let waker = WakeCounter::waker(&counter);
        assert!(rx.poll_recv(&mut Context::from_waker(&waker)).is_pending());
        assert_eq!(Arc::strong_count(&counter), 3);
        assert_eq!(rx.close(), None);
        assert_eq!(Arc::strong_count(&counter), 2);
        drop(tx);
        assert_eq!(counter.wakes(), 0);
    }

    #[test]
    fn slot_is_freed_when_both_ends_are_gone() {
        let drops = drops();
        let (tx, rx) = reply_slot::<Tracked>();
        let weak = Arc::downgrade(&rx.shared);
        drop(rx);
        assert!(weak.upgrade().is_some());
        drop(tx);
        assert!(weak.upgrade().is_none());
        assert_eq!(drops.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn threads_race_send_and_close() {
        for _ in 0..2_000 {
            let drops = drops();
            let (tx, mut rx) = reply_slot();
            let d = drops.clone();
            let sender = thread::spawn(move || tx.send(Tracked(5, d)).err());
            let closed = rx.close();
            let back = sender.join().unwrap();
            assert!(closed.is_some() != back.is_some());
            drop((closed, back, rx));
            assert_eq!(drops.load(Ordering::Relaxed), 1);
        }
    }

    #[test]
    fn threads_race_send_and_poll() {
        for _ in 0..2_000 {
            let (tx, mut rx) = reply_slot();
            let counter = WakeCounter::new();
            let waker = WakeCounter::waker(&counter);
            let sender = thread::spawn(move || tx.send(11u32));
            let first = rx.poll_recv(&mut Context::from_waker(&waker));
            sender.join().unwrap().unwrap();
            match first {
                Poll::Ready(v) => assert_eq!(v, Ok(11)),
                Poll::Pending => {
                    assert_eq!(counter.wakes(), 1);
                    assert_eq!(rx.try_recv(), Ok(11));
                }
            }
        }
    }
}

#[cfg(all(test, keel_loom))]
mod loom_tests {
    //! The ask reply slot vs timeout, wake-ups and a dropped sender.
    use std::task::{Context, Poll};

    use super::*;
    use crate::core::test_util::WakeCounter;
    use crate::sync::{thread, Arc, AtomicUsize, Ordering};

    /// Counts its drops in a shared counter.
    struct Tracked(Arc<AtomicUsize>);

    impl Drop for Tracked {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Send races close (an ask timing out): the reply is returned by `close`
    /// or handed back to the sender, exactly once, and dropped exactly once;
    /// loom's leak check sees the slot freed.
    #[test]
    fn reply_send_vs_close() {
        loom::model(|| {
            let drops = Arc::new(AtomicUsize::new(0));
            let (tx, mut rx) = reply_slot();
            let sender = {
                let drops = Arc::clone(&drops);
                thread::spawn(move || tx.send(Tracked(drops)).err())
            };
            let closed = rx.close();
            let back = sender.join().unwrap();
            assert!(closed.is_some() != back.is_some(), "exactly one owner");
            drop((closed, back));
            assert_eq!(drops.load(Ordering::Acquire), 1);
            drop(rx);
            assert_eq!(drops.load(Ordering::Acquire), 1);
        });
    }

    /// Send races the receiver being dropped while a waker is registered:
    /// the late reply is handed back or dropped with the receiver, once.
    #[test]
    fn reply_send_vs_receiver_drop() {
        loom::model(|| {
            let drops = Arc::new(AtomicUsize::new(0));
            let (tx, mut rx) = reply_slot();
            let counter = WakeCounter::new();
            let waker = WakeCounter::waker(&counter);
            assert!(rx.poll_recv(&mut Context::from_waker(&waker)).is_pending());
            let sender = {
                let drops = Arc::clone(&drops);
                thread::spawn(move || tx.send(Tracked(drops)).err())
            };
            drop(rx);
            let back = sender.join().unwrap();
            drop(back);
            assert_eq!(drops.load(Ordering::Acquire), 1);
        });
    }

    /// The receiver times out (closes, releasing its registered waker at once)
    /// while the sender is dropped: no access of the waker races, no wake is
    /// needed, and the slot is freed.
    #[test]
    fn reply_sender_drop_vs_close_with_waker() {
        loom::model(|| {
            let (tx, mut rx) = reply_slot::<u32>();
            let counter = WakeCounter::new();
            let waker = WakeCounter::waker(&counter);
            assert!(rx.poll_recv(&mut Context::from_waker(&waker)).is_pending());
            let sender = thread::spawn(move || drop(tx));
            assert_eq!(rx.close(), None);
            sender.join().unwrap();
            assert_eq!(rx.try_recv(), Err(TryRecvError::NoReply));
            assert!(counter.wakes() <= 1);
        });
    }

    /// Polls `rx` once with a counting waker while `finish` runs on another
    /// thread; if that poll was `Pending`, the waker must have been woken
    /// (exactly once) by the time `finish` is done: no lost wake-up.
    fn poll_vs(
        finish: impl FnOnce() + Send + 'static,
        mut rx: ReplyReceiver<u32>,
    ) -> Result<u32, NoReply> {
        let counter = WakeCounter::new();
        let waker = WakeCounter::waker(&counter);
        let other = thread::spawn(finish);
        let first = rx.poll_recv(&mut Context::from_waker(&waker));
        other.join().unwrap();
        match first {
            Poll::Ready(v) => {
                assert_eq!(counter.wakes(), 0);
                v
            }
            Poll::Pending => {
                assert_eq!(counter.wakes(), 1, "lost wake-up");
                match rx.poll_recv(&mut Context::from_waker(&waker)) {
                    Poll::Ready(v) => v,
                    Poll::Pending => panic!("woken but not ready"),
                }
            }
        }
    }

    /// Send races the receiver's first poll: no lost wake-up, the value
    /// arrives.
    #[test]
    fn reply_send_vs_poll() {
        loom::model(|| {
            let (tx, rx) = reply_slot();
            let got = poll_vs(move || tx.send(42).unwrap(), rx);
            assert_eq!(got, Ok(42));
        });
    }

    /// The sender is dropped while the receiver polls: `NoReply`, no lost
    /// wake-up.
    #[test]
    fn reply_sender_drop_vs_poll() {
        loom::model(|| {
            let (tx, rx) = reply_slot();
            let got = poll_vs(move || drop(tx), rx);
            assert_eq!(got, Err(NoReply));
        });
    }

    /// Send races the receiver replacing its waker: if both polls were
    /// `Pending`, the second (current) waker is woken.
    #[test]
    fn reply_send_vs_waker_replacement() {
        loom::model(|| {
            let (tx, mut rx) = reply_slot();
            let first = WakeCounter::new();
            let second = WakeCounter::new();
            let w1 = WakeCounter::waker(&first);
            let w2 = WakeCounter::waker(&second);
            let sender = thread::spawn(move || tx.send(7u32));
            let outcome = match rx.poll_recv(&mut Context::from_waker(&w1)) {
                Poll::Ready(v) => Some(v),
                Poll::Pending => match rx.poll_recv(&mut Context::from_waker(&w2)) {
                    Poll::Ready(v) => Some(v),
                    Poll::Pending => None,
                },
            };
            sender.join().unwrap().unwrap();
            match outcome {
                Some(v) => assert_eq!(v, Ok(7)),
                None => {
                    assert_eq!(second.wakes(), 1);
                    assert_eq!(rx.try_recv(), Ok(7));
                }
            }
        });
    }
}
