//! The mailbox: an MPSC queue with two lanes, owned by an address.
//!
//! - The **user lane** is our own block list ([`block`]): messages stored by
//!   value in blocks of `BLOCK_CAP` slots, allocated lazily (an idle mailbox
//!   owns no block) and recycled by the receiver (no allocation in steady
//!   state). Unbounded or bounded.
//! - The **control lane** carries the rare signals that must overtake user
//!   messages (in keel: `kill`, and exit signals that will terminate a
//!   non-trapping receiver). It is a short locked queue plus a `CONTROL` bit
//!   the receiver checks before each user message.
//!
//! Which lane a message takes is the caller's decision; the mailbox knows
//! nothing of actors. A [`Mailbox`] is the sending half (cloned into every
//! reference of the address); the [`Receiver`] is unique and movable, so a new
//! run loop can take it over after a restart.
//!
//! # Shared words
//!
//! - `tail` (sender-written cache line): `slot index << 1 | CLOSED`. A send
//!   claims the next slot with one CAS that also checks `CLOSED` and, when
//!   bounded, the capacity; so a send either sees the mailbox closed and hands
//!   the message back, or claims a slot the receiver will read before it
//!   reports `Closed`. Closing sets `CLOSED` with one `fetch_or`, under the
//!   control lane's lock, so that both lanes close in one step.
//! - `head` (receiver-written cache line, shared with the receiver's private
//!   fields and nothing a sender reads per send): `read index << 1 |
//!   SEND_WAITERS`.
//!   Unbounded: the receiver stores it after each read (no RMW). Bounded: the
//!   receiver `fetch_add`s it, and a sender that must wait sets
//!   `SEND_WAITERS` with `fetch_or` under the waiters lock; both RMW the same
//!   word, so either the receiver sees the waiter or the waiter sees the
//!   freed slot.
//! - `rx_state`: `CONTROL` (the control lane is non-empty; changed under its
//!   lock) and `BOUNDARY_WAIT` (the receiver parked because the block of its
//!   next slot does not exist yet; the sender that links a block takes the bit
//!   with an RMW and wakes it).
//! - `rx_waker`: registered by the receiver before it sets any wait bit,
//!   and before it checks the control lane for the last time: a run loop
//!   uses [`Receiver::poll_next`], which watches both lanes.
//!
//! `len()` is `tail - head` (claimed and not yet read, so a message whose
//! sender is between its claim and its write already counts).
mod block;

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use self::block::{Park, Rx, Tx};
use crate::core::task::coop;
use crate::core::waker::AtomicWaker;
use crate::sync::{Arc, AtomicUsize, Mutex, Ordering, UnsafeCell};

#[cfg(all(test, not(keel_loom)))]
pub(crate) use self::block::BLOCK_CAP;

/// A send that could not be done; the message comes back.
#[derive(PartialEq, Eq)]
pub enum SendError<T> {
    /// The bounded mailbox is full.
    Full(T),
    /// The mailbox is closed: no receiver will read it.
    Closed(T),
}

/// The receiving side found the mailbox closed and drained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvError;

/// What [`Receiver::poll_next`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Next<U, C> {
    /// A control-lane message (checked first).
    Control(C),
    /// The next user-lane message.
    User(U),
}

/// Why [`Receiver::try_recv`] returned nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing readable now (a send may be between its claim and its write).
    Empty,
    /// Closed, and every accepted message has been read.
    Closed,
}

/// The sending half of a mailbox; cheap to clone.
pub struct Mailbox<U, C = ()> {
    chan: Arc<Chan<U, C>>,
}

/// The unique receiving half of a mailbox.
pub struct Receiver<U, C = ()> {
    chan: Arc<Chan<U, C>>,
}

/// The future of [`Mailbox::send`]: waits for room in a bounded mailbox.
/// Cancel-safe: dropping it before completion drops the message, and a
/// wake-up it was given passes to the next waiting sender.
#[must_use = "futures do nothing unless polled"]
pub struct SendFuture<'a, U, C = ()> {
    chan: &'a Chan<U, C>,
    value: Option<U>,
    waiter: Option<u64>,
}

impl<T> SendError<T> {
    /// True for `Closed`.
    pub fn is_closed(&self) -> bool {
        matches!(self, SendError::Closed(_))
    }

    /// The message that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            SendError::Full(v) | SendError::Closed(v) => v,
        }
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Full(_) => f.write_str("Full(..)"),
            SendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Full(_) => f.write_str("the mailbox is full"),
            SendError::Closed(_) => f.write_str("the mailbox is closed"),
        }
    }
}

impl<T> std::error::Error for SendError<T> {}

impl<U, C> Mailbox<U, C> {
    /// A new unbounded mailbox.
    pub fn unbounded() -> (Mailbox<U, C>, Receiver<U, C>) {
        Self::with_config(None, false)
    }

    /// A new mailbox holding at most `capacity` messages (at least 1).
    pub fn bounded(capacity: usize) -> (Mailbox<U, C>, Receiver<U, C>) {
        Self::with_config(Some(capacity), false)
    }

    /// A new mailbox, bounded if `capacity` is `Some` (at least 1), recording
    /// its high-water mark (the largest `len()` a send saw) if asked: that
    /// costs an unbounded sender a read of the receiver's cache line.
    pub fn with_config(
        capacity: Option<usize>,
        track_high_water: bool,
    ) -> (Mailbox<U, C>, Receiver<U, C>) {
        let capacity = capacity.map(|c| c.max(1));
        let chan = Arc::new(Chan {
            rx: RxSide {
                head: AtomicUsize::new(0),
                fields: UnsafeCell::new(Rx::new()),
            },
            control: Mutex::new(ControlLane {
                queue: VecDeque::new(),
                closed: false,
            }),
            send_waiters: Mutex::new(SendWaiters {
                queue: VecDeque::new(),
                next_id: 0,
            }),
            _gap: [0; GAP_PAD],
            tail: AtomicUsize::new(0),
            capacity,
            track_high_water,
            tx: Tx::new(),
            rx_state: AtomicUsize::new(0),
            rx_waker: AtomicWaker::new(),
            high_water: AtomicUsize::new(0),
        });
        (Mailbox { chan: chan.clone() }, Receiver { chan })
    }

    /// Sends without waiting: `Full` (bounded and full) or `Closed` hand the
    /// message back.
    pub fn try_send(&self, value: U) -> Result<(), SendError<U>> {
        self.chan.try_send_with(value, |v| v)
    }

    /// Like [`try_send`](Self::try_send), but stores `wrap(value)`: `wrap`
    /// runs only once a slot is claimed, so `Full` and `Closed` hand back
    /// the unwrapped `value` (an envelope costs nothing on failure).
    ///
    /// `wrap` must not panic: the claimed slot would stay empty and the
    /// receiver would wait on it for ever. A caller running code it does
    /// not control catches the panic and writes a placeholder.
    pub fn try_send_with<V>(
        &self,
        value: V,
        wrap: impl FnOnce(V) -> U,
    ) -> Result<(), SendError<V>> {
        self.chan.try_send_with(value, wrap)
    }

    /// Sends, waiting for room in a bounded mailbox.
    pub fn send(&self, value: U) -> SendFuture<'_, U, C> {
        SendFuture {
            chan: &self.chan,
            value: Some(value),
            waiter: None,
        }
    }

    /// Queues a control-lane message; `Err` hands it back if closed.
    pub fn send_control(&self, value: C) -> Result<(), C> {
        {
            let mut lane = self.chan.control.lock();
            if lane.closed {
                return Err(value);
            }
            lane.queue.push_back(value);
            self.chan.rx_state.fetch_or(CONTROL, Ordering::Release);
        }
        self.chan.rx_waker.wake();
        Ok(())
    }

    /// Closes the mailbox: later sends fail with `Closed`; the receiver still
    /// reads every message accepted before. Returns `true` for the call that
    /// closed it.
    pub fn close(&self) -> bool {
        self.chan.close()
    }

    /// True once closed.
    pub fn is_closed(&self) -> bool {
        self.chan.tail.load(Ordering::Acquire) & CLOSED != 0
    }

    /// Messages accepted and not yet read (user lane).
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// True if no user message is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The largest `len()` a send saw, if the mailbox tracks it.
    pub fn high_water(&self) -> Option<usize> {
        self.chan
            .track_high_water
            .then(|| self.chan.high_water.load(Ordering::Relaxed))
    }

    /// The bound, if bounded.
    pub fn capacity(&self) -> Option<usize> {
        self.chan.capacity
    }

    /// True if both handles are the same mailbox.
    pub fn same_mailbox(&self, other: &Mailbox<U, C>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

impl<U, C> Receiver<U, C> {
    /// Polls both lanes: a control message first if there is one, else the
    /// next user message; `Ready(Err(RecvError))` once closed and both lanes
    /// are drained. This is what a run loop uses: the waker is registered
    /// before either lane is checked for the last time, so neither kind of
    /// message can slip past a park.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Result<Next<U, C>, RecvError>> {
        self.poll_lanes(cx, true)
    }

    /// Polls the user lane only (the control lane is not watched). Each
    /// message spends one unit of the running task's budget; when it is
    /// spent, the task is woken and yields.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<U, RecvError>> {
        self.poll_lanes(cx, false).map_ok(|next| match next {
            Next::User(v) => v,
            Next::Control(_) => unreachable!("the control lane is not polled"),
        })
    }

    #[inline]
    fn poll_lanes(
        &mut self,
        cx: &mut Context<'_>,
        with_control: bool,
    ) -> Poll<Result<Next<U, C>, RecvError>> {
        // Control messages skip the budget: a kill must get through.
        if with_control {
            if let Some(c) = self.try_recv_control() {
                return Poll::Ready(Ok(Next::Control(c)));
            }
        }
        if !coop::has_budget() {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if let Some(v) = self.pop() {
            coop::consume();
            return Poll::Ready(Ok(Next::User(v)));
        }
        self.poll_lanes_empty(cx, with_control)
    }

    /// `poll_lanes` once the user lane looked empty: register, look again,
    /// park.
    #[inline(never)]
    fn poll_lanes_empty(
        &mut self,
        cx: &mut Context<'_>,
        with_control: bool,
    ) -> Poll<Result<Next<U, C>, RecvError>> {
        self.chan.rx_waker.register(cx.waker());
        // A control message queued before the registration did not find
        // our waker; we see its bit now (the waker's RMWs order the two).
        if with_control {
            if let Some(c) = self.try_recv_control() {
                return Poll::Ready(Ok(Next::Control(c)));
            }
        }
        loop {
            if let Some(v) = self.pop() {
                coop::consume();
                return Poll::Ready(Ok(Next::User(v)));
            }
            if self.is_drained() {
                return Poll::Ready(self.last_control(with_control));
            }
            match self.park() {
                Some(Park::Ready) => continue,
                Some(Park::Parked) => {}
                None => {
                    self.chan.rx_state.fetch_or(BOUNDARY_WAIT, Ordering::AcqRel);
                    // The block may have been linked meanwhile: look again.
                    if let Some(Park::Ready) = self.park() {
                        continue;
                    }
                }
            }
            // Closing wakes the registered waker, but it may have closed
            // between our drained check and the wait bit: look once more.
            if self.is_drained() {
                return Poll::Ready(self.last_control(with_control));
            }
            return Poll::Pending;
        }
    }

    /// The next user message, if one is readable now.
    pub fn try_recv(&mut self) -> Result<U, TryRecvError> {
        match self.pop() {
            Some(v) => Ok(v),
            None if self.is_drained() => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }

    /// A future for the next user message (see [`Receiver::poll_recv`]).
    pub fn recv(&mut self) -> impl Future<Output = Result<U, RecvError>> + '_ {
        std::future::poll_fn(move |cx| self.poll_recv(cx))
    }

    /// A future for the next message of either lane (see
    /// [`Receiver::poll_next`]).
    pub fn recv_next(&mut self) -> impl Future<Output = Result<Next<U, C>, RecvError>> + '_ {
        std::future::poll_fn(move |cx| self.poll_next(cx))
    }

    /// True if the control lane holds a message (one atomic load).
    pub fn has_control(&self) -> bool {
        self.chan.rx_state.load(Ordering::Acquire) & CONTROL != 0
    }

    /// Takes the oldest control-lane message.
    #[inline]
    pub fn try_recv_control(&mut self) -> Option<C> {
        if !self.has_control() {
            return None;
        }
        self.take_control()
    }

    #[inline(never)]
    fn take_control(&mut self) -> Option<C> {
        let mut lane = self.chan.control.lock();
        let value = lane.queue.pop_front();
        if lane.queue.is_empty() {
            self.chan.rx_state.fetch_and(!CONTROL, Ordering::Release);
        }
        value
    }

    /// Registers the waker that control-lane messages and closing wake, for
    /// a consumer that is busy elsewhere (a suspended handler) and must still
    /// see a `kill`.
    pub fn register(&mut self, waker: &Waker) {
        self.chan.rx_waker.register(waker);
    }

    /// Closes the mailbox (see [`Mailbox::close`]).
    pub fn close(&self) -> bool {
        self.chan.close()
    }

    /// A sending handle to this mailbox.
    pub fn mailbox(&self) -> Mailbox<U, C> {
        Mailbox {
            chan: self.chan.clone(),
        }
    }

    /// Messages accepted and not yet read (user lane).
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// True if no user message is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Marks the next slot's block `RX_WAITING` (see `block::Rx::park`).
    fn park(&mut self) -> Option<Park> {
        // SAFETY: we are the unique receiver.
        unsafe { self.chan.rx.fields.with_mut(|rx| (*rx).park(&self.chan.tx)) }
    }

    #[inline]
    fn pop(&mut self) -> Option<U> {
        // SAFETY: we are the unique receiver: the only one touching `rx`
        // (the channel's drop runs after every handle is gone).
        let value = unsafe { self.chan.rx.fields.with_mut(|rx| (*rx).pop(&self.chan.tx)) }?;
        self.chan.advance_head();
        Some(value)
    }

    /// The user lane is drained and closed: a control message accepted
    /// before the close is still there to read (closing is ordered after
    /// it), else the mailbox is done.
    fn last_control(&mut self, with_control: bool) -> Result<Next<U, C>, RecvError> {
        if with_control {
            if let Some(c) = self.try_recv_control() {
                return Ok(Next::Control(c));
            }
        }
        Err(RecvError)
    }

    /// Closed, and every claimed slot has been read.
    fn is_drained(&self) -> bool {
        let tail = self.chan.tail.load(Ordering::Acquire);
        // SAFETY: unique receiver.
        let index = unsafe { self.chan.rx.fields.with(|rx| (*rx).index) };
        tail & CLOSED != 0 && tail >> 1 == index
    }
}

impl<U, C> Drop for Receiver<U, C> {
    fn drop(&mut self) {
        // Nobody will read any more: later sends hand their message back.
        // Messages still queued are dropped with the channel; the actor layer
        // drains them into dead letters before it lets go of a receiver.
        self.chan.close();
    }
}

impl<U, C> Clone for Mailbox<U, C> {
    fn clone(&self) -> Self {
        Mailbox {
            chan: self.chan.clone(),
        }
    }
}

impl<U, C> fmt::Debug for Mailbox<U, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailbox")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<U, C> fmt::Debug for Receiver<U, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("len", &self.len())
            .finish()
    }
}

// The message is moved in and out, never pinned: the future is Unpin
// whatever `U` is.
impl<U, C> Unpin for SendFuture<'_, U, C> {}

impl<U, C> Future for SendFuture<'_, U, C> {
    type Output = Result<(), SendError<U>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            let value = this
                .value
                .take()
                .expect("SendFuture polled after completion");
            match this.chan.try_send_with(value, |v| v) {
                Ok(()) => {
                    this.leave_queue();
                    return Poll::Ready(Ok(()));
                }
                Err(SendError::Closed(v)) => {
                    this.leave_queue();
                    return Poll::Ready(Err(SendError::Closed(v)));
                }
                Err(SendError::Full(v)) => {
                    this.value = Some(v);
                    if this.wait(cx.waker()) {
                        return Poll::Pending;
                    }
                }
            }
        }
    }
}

impl<U, C> SendFuture<'_, U, C> {
    /// Queues (or refreshes) this sender's waker; `false` if room appeared
    /// meanwhile and the send should be tried again now.
    fn wait(&mut self, waker: &Waker) -> bool {
        let mut waiters = self.chan.send_waiters.lock();
        match self.waiter.and_then(|id| waiters.position(id)) {
            Some(i) => waiters.queue[i].1 = waker.clone(),
            None => {
                let id = waiters.next_id;
                waiters.next_id += 1;
                waiters.queue.push_back((id, waker.clone()));
                self.waiter = Some(id);
            }
        }
        // Same word the receiver `fetch_add`s after each read: either it sees
        // SEND_WAITERS, or we see the slot it freed.
        let head = self.chan.rx.head.fetch_or(SEND_WAITERS, Ordering::AcqRel);
        drop(waiters);
        let tail = self.chan.tail.load(Ordering::Acquire);
        tail & CLOSED == 0 && self.chan.is_full(tail, head)
    }

    /// Leaves the waiters' queue after a completed send.
    fn leave_queue(&mut self) {
        if let Some(id) = self.waiter.take() {
            self.chan.send_waiters.lock().remove(id, &self.chan.rx.head);
        }
    }
}

impl<U, C> Drop for SendFuture<'_, U, C> {
    fn drop(&mut self) {
        let Some(id) = self.waiter.take() else { return };
        let mut waiters = self.chan.send_waiters.lock();
        if !waiters.remove(id, &self.chan.rx.head) && self.value.is_some() {
            // We were woken for a free slot and are leaving without using
            // it: pass the wake-up on, or another sender waits forever.
            let next = waiters.pop(&self.chan.rx.head);
            drop(waiters);
            if let Some(w) = next {
                w.wake();
            }
        }
    }
}

impl<U, C> fmt::Debug for SendFuture<'_, U, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFuture")
            .field("waiting", &self.waiter.is_some())
            .finish()
    }
}

// ---- private machinery ----

const CLOSED: usize = 1;
const SEND_WAITERS: usize = 1;
const CONTROL: usize = 1 << 0;
const BOUNDARY_WAIT: usize = 1 << 1;

/// The receiver's part: its published read position and its own fields.
struct RxSide<U> {
    head: AtomicUsize,
    fields: UnsafeCell<Rx<U>>,
}

/// The bytes between the receiver's part and `tail`, besides the cold
/// fields there: at least 128 (see `Chan`), pinned by a unit test.
const GAP_PAD: usize = 40;

/// One allocation, laid out by hand (`repr(C)`) so that what the receiver
/// writes on every read and what a sender writes on every send are at least
/// 128 bytes apart (adjacent-line prefetching pairs 64-byte lines on x86),
/// without the cost of 128-byte alignment: an `Arc` of an over-aligned type
/// spends a whole 128 bytes on its two counts, and the allocator more.
///
/// In order: the receiver's part; fields neither side touches per message
/// (the locked lanes), filling most of the gap; `tail` and what a sender
/// reads per send. The gap is pinned by a unit test on this (64-bit)
/// target: the locked lanes' sizes do not depend on the message types.
#[repr(C)]
struct Chan<U, C> {
    /// Written by the receiver on every read (a bounded sender reads
    /// `head`).
    rx: RxSide<U>,
    // Cold: locked once per control message or per wait for room.
    control: Mutex<ControlLane<C>>,
    send_waiters: Mutex<SendWaiters>,
    _gap: [u8; GAP_PAD],
    /// Claimed by every send.
    tail: AtomicUsize,
    // Read by every send, never written.
    capacity: Option<usize>,
    track_high_water: bool,
    // Read per send; written once per block or per park.
    tx: Tx<U>,
    rx_state: AtomicUsize,
    rx_waker: AtomicWaker,
    /// Written by a tracking sender that saw a longer queue.
    high_water: AtomicUsize,
}

// SAFETY: messages move between threads (U: Send, C: Send); the receiver's
// fields in `rx` are touched only by the unique `Receiver` (and by the drop),
// every other field is atomic or locked.
unsafe impl<U: Send, C: Send> Send for Chan<U, C> {}
// SAFETY: as above; `&Chan` only allows sends (moving U in) and locked access.
unsafe impl<U: Send, C: Send> Sync for Chan<U, C> {}

struct ControlLane<C> {
    queue: VecDeque<C>,
    closed: bool,
}

struct SendWaiters {
    queue: VecDeque<(u64, Waker)>,
    next_id: u64,
}

impl<U, C> Chan<U, C> {
    /// Claims a slot, then writes `wrap(value)` into it: `wrap` runs only
    /// once the send is sure to succeed, so a failure hands `value` back
    /// unwrapped.
    #[inline]
    fn try_send_with<V>(&self, value: V, wrap: impl FnOnce(V) -> U) -> Result<(), SendError<V>> {
        let mut tail = self.tail.load(Ordering::Acquire);
        loop {
            if tail & CLOSED != 0 {
                return Err(SendError::Closed(value));
            }
            if self.capacity.is_some() && self.is_full(tail, self.rx.head.load(Ordering::Acquire)) {
                return Err(SendError::Full(value));
            }
            match self.tail.compare_exchange_weak(
                tail,
                tail + 2,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => tail = actual,
            }
        }
        let index = tail >> 1;
        if self.track_high_water {
            let len = (index + 1).wrapping_sub(self.rx.head.load(Ordering::Relaxed) >> 1);
            if len > self.high_water.load(Ordering::Relaxed) {
                self.high_water.fetch_max(len, Ordering::Relaxed);
            }
        }
        let value = wrap(value);
        // SAFETY: slot `index` was claimed by the CAS above.
        let (slot_waiter, linked) = unsafe { self.tx.push(index, value, &self.tail) };
        let boundary_waiter = linked
            && self.rx_state.fetch_and(!BOUNDARY_WAIT, Ordering::AcqRel) & BOUNDARY_WAIT != 0;
        if slot_waiter || boundary_waiter {
            self.rx_waker.wake();
        }
        Ok(())
    }

    /// After a read: publish the new head, and wake a waiting sender.
    #[inline]
    fn advance_head(&self) {
        if self.capacity.is_none() {
            // Unbounded: no sender waits for room; a plain store suffices.
            let head = self.rx.head.load(Ordering::Relaxed);
            self.rx.head.store(head + 2, Ordering::Release);
        } else if self.rx.head.fetch_add(2, Ordering::AcqRel) & SEND_WAITERS != 0 {
            let next = self.send_waiters.lock().pop(&self.rx.head);
            if let Some(w) = next {
                w.wake();
            }
        }
    }

    /// True if a bounded mailbox with these `tail` and `head` words has no
    /// room (never for an unbounded one).
    fn is_full(&self, tail: usize, head: usize) -> bool {
        let cap = self.capacity.unwrap_or(usize::MAX);
        (tail >> 1).wrapping_sub(head >> 1) >= cap
    }

    #[cfg(test)]
    fn tx_first_is_null(&self) -> bool {
        self.tx.first_is_null()
    }

    fn len(&self) -> usize {
        let head = self.rx.head.load(Ordering::Acquire) >> 1;
        let tail = self.tail.load(Ordering::Acquire) >> 1;
        tail.saturating_sub(head)
    }

    fn close(&self) -> bool {
        // Closed already: the first close woke everyone, and nobody can
        // have started waiting since (a send sees CLOSED and fails, a
        // receiver checks it after registering).
        if self.tail.load(Ordering::Acquire) & CLOSED != 0 {
            return false;
        }
        // Both lanes close in one step under the control lock: a control
        // message accepted before it is ordered before CLOSED, so a receiver
        // that sees CLOSED also sees that message (see `poll_lanes`).
        let first = {
            let mut lane = self.control.lock();
            lane.closed = true;
            self.tail.fetch_or(CLOSED, Ordering::AcqRel) & CLOSED == 0
        };
        let waiters: Vec<Waker> = {
            let mut w = self.send_waiters.lock();
            let all = w.queue.drain(..).map(|(_, w)| w).collect();
            w.clear_flag_if_empty(&self.rx.head);
            all
        };
        for w in waiters {
            w.wake();
        }
        self.rx_waker.wake();
        first
    }
}

impl<U, C> Drop for Chan<U, C> {
    fn drop(&mut self) {
        // SAFETY: the last handle is gone: nobody else can touch the list.
        unsafe { self.rx.fields.with_mut(|rx| (*rx).free_all(&self.tx)) };
    }
}

impl SendWaiters {
    fn position(&self, id: u64) -> Option<usize> {
        self.queue.iter().position(|(i, _)| *i == id)
    }

    /// Removes waiter `id`; `false` if it was no longer queued (it was
    /// woken).
    fn remove(&mut self, id: u64, head: &AtomicUsize) -> bool {
        let Some(i) = self.position(id) else {
            return false;
        };
        self.queue.remove(i);
        self.clear_flag_if_empty(head);
        true
    }

    /// Takes the oldest waiter (to wake it outside the lock).
    fn pop(&mut self, head: &AtomicUsize) -> Option<Waker> {
        let next = self.queue.pop_front().map(|(_, w)| w);
        self.clear_flag_if_empty(head);
        next
    }

    fn clear_flag_if_empty(&mut self, head: &AtomicUsize) {
        if self.queue.is_empty() {
            head.fetch_and(!SEND_WAITERS, Ordering::AcqRel);
        }
    }
}

#[cfg(all(test, not(keel_loom)))]
mod tests;

#[cfg(all(test, keel_loom))]
mod loom_tests;
