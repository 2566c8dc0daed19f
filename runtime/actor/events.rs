//! `system.events()`: every subscriber sees every event published after it
//! subscribed, in sequence-number order.
//!
//! Publishing takes one lock (the subscriber list) and assigns the sequence
//! number under it, so all streams agree on the order. With no subscriber a
//! publish is one atomic load.
use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::sync::Arc;
use std::task::{Poll, Waker};

use crate::actor::address::{ActorId, Pid};
use crate::actor::exit::ExitReason;
use crate::sync::{AtomicUsize, Mutex, Ordering};

/// Something that happened in a System, with its sequence number (`seq`,
/// increasing, shared by all streams of the System).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SystemEvent {
    /// An incarnation's `started` returned `Start::Ready`.
    ActorStarted {
        /// Sequence number.
        seq: u64,
        /// The address.
        id: ActorId,
        /// The incarnation.
        pid: Pid,
        /// The actor's type.
        type_name: &'static str,
    },
    /// An incarnation ended. An unsupervised actor that ends itself has
    /// turned its queued messages into dead letters by then; after a
    /// `kill`, they follow this event; a supervised actor's queue waits for
    /// its next incarnation.
    ActorExited {
        /// Sequence number.
        seq: u64,
        /// The address.
        id: ActorId,
        /// The incarnation.
        pid: Pid,
        /// The actor's type.
        type_name: &'static str,
        /// Why.
        reason: ExitReason,
    },
    /// A message was accepted and then not processed.
    DeadLetter {
        /// Sequence number.
        seq: u64,
        /// The address it was for.
        to: ActorId,
        /// The message's type.
        message_type: &'static str,
        /// Why it was not processed.
        reason: DeadLetterReason,
    },
    /// A supervisor started a child (every successful start, restarts
    /// included).
    ChildStarted {
        /// Sequence number.
        seq: u64,
        /// The supervisor.
        supervisor: ActorId,
        /// The child's id in its spec.
        child: Arc<str>,
        /// The child's address.
        id: ActorId,
        /// The new incarnation.
        pid: Pid,
    },
    /// A supervisor saw a child exit by itself, before acting on it.
    ChildExited {
        /// Sequence number.
        seq: u64,
        /// The supervisor.
        supervisor: ActorId,
        /// The child's id in its spec.
        child: Arc<str>,
        /// The incarnation that ended.
        pid: Pid,
        /// Why.
        reason: ExitReason,
    },
    /// OTP's `child_terminated` report: a child ended in a way the
    /// supervisor reports (a permanent child for any reason, a transient
    /// or temporary one abnormally).
    ChildTerminated {
        /// Sequence number.
        seq: u64,
        /// The supervisor.
        supervisor: ActorId,
        /// The child's id in its spec.
        child: Arc<str>,
        /// Why it ended.
        reason: ExitReason,
    },
    /// A child was started again by a restart (after its `ChildStarted`).
    ChildRestarted {
        /// Sequence number.
        seq: u64,
        /// The supervisor.
        supervisor: ActorId,
        /// The child's id in its spec.
        child: Arc<str>,
        /// The child's address (kept across restarts).
        id: ActorId,
        /// The new incarnation.
        pid: Pid,
    },
    /// OTP's `start_error` report: a child failed to start while its
    /// supervisor started or restarted it (not for a failed `start_child`
    /// or `restart_child`, whose error goes to the caller).
    StartError {
        /// Sequence number.
        seq: u64,
        /// The supervisor.
        supervisor: ActorId,
        /// The child's id in its spec.
        child: Arc<str>,
        /// Why the start failed.
        reason: ExitReason,
    },
    /// OTP's `shutdown_error` report: a child ended with an unexpected
    /// reason while its supervisor shut it down (`Killed` after its
    /// shutdown timeout, for one); the shutdown went on.
    ShutdownError {
        /// Sequence number.
        seq: u64,
        /// The supervisor.
        supervisor: ActorId,
        /// The child's id in its spec.
        child: Arc<str>,
        /// The reason it ended with.
        reason: ExitReason,
    },
    /// A supervisor reached its restart limit and gives up: it stops its
    /// children and exits `Shutdown` (OTP's `reached_max_restart_intensity`).
    GaveUp {
        /// Sequence number.
        seq: u64,
        /// The supervisor.
        supervisor: ActorId,
        /// The child whose restart tripped the limit.
        child: Arc<str>,
        /// That child's exit reason.
        reason: ExitReason,
    },
    /// A significant child ended, so its supervisor shuts down
    /// (`auto_shutdown`).
    AutoShutdown {
        /// Sequence number.
        seq: u64,
        /// The supervisor.
        supervisor: ActorId,
        /// The significant child.
        child: Arc<str>,
    },
}

impl SystemEvent {
    /// The same event with sequence number `seq`.
    pub(crate) fn with_seq(mut self, seq: u64) -> SystemEvent {
        match &mut self {
            SystemEvent::ActorStarted { seq: s, .. }
            | SystemEvent::ActorExited { seq: s, .. }
            | SystemEvent::DeadLetter { seq: s, .. }
            | SystemEvent::ChildStarted { seq: s, .. }
            | SystemEvent::ChildExited { seq: s, .. }
            | SystemEvent::ChildTerminated { seq: s, .. }
            | SystemEvent::ChildRestarted { seq: s, .. }
            | SystemEvent::StartError { seq: s, .. }
            | SystemEvent::ShutdownError { seq: s, .. }
            | SystemEvent::GaveUp { seq: s, .. }
            | SystemEvent::AutoShutdown { seq: s, .. } => *s = seq,
        }
        self
    }

    /// The event's sequence number.
    pub fn seq(&self) -> u64 {
        match self {
            SystemEvent::ActorStarted { seq, .. }
            | SystemEvent::ActorExited { seq, .. }
            | SystemEvent::DeadLetter { seq, .. }
            | SystemEvent::ChildStarted { seq, .. }
            | SystemEvent::ChildExited { seq, .. }
            | SystemEvent::ChildTerminated { seq, .. }
            | SystemEvent::ChildRestarted { seq, .. }
            | SystemEvent::StartError { seq, .. }
            | SystemEvent::ShutdownError { seq, .. }
            | SystemEvent::GaveUp { seq, .. }
            | SystemEvent::AutoShutdown { seq, .. } => *seq,
        }
    }
}

/// Why a dead letter was not processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeadLetterReason {
    /// It was queued when the address closed.
    Closed,
    /// A timer fired for an actor that was gone.
    TimerToGone,
    /// A bounded mailbox was full: a tell with `Overflow::DropNewest`, or
    /// a timer's message (timers never wait for room).
    Overflow,
    /// A reply came after its ask had timed out or was dropped.
    LateReply,
    /// Fault injection dropped it.
    Dropped,
}

/// A subscription to a System's events (`system.events()`).
///
/// It keeps every event published after it was made until it is read, so
/// a stream nobody reads grows for as long as it lives: drop it when it is
/// no longer read.
pub struct EventStream {
    sub: Arc<Subscriber>,
    bus: Arc<BusInner>,
}

impl EventStream {
    /// The next event; `None` once the System is gone and every event has
    /// been read.
    pub async fn next(&mut self) -> Option<SystemEvent> {
        poll_fn(|cx| {
            let mut q = self.sub.queue.lock();
            if let Some(e) = q.events.pop_front() {
                return Poll::Ready(Some(e));
            }
            if q.closed {
                return Poll::Ready(None);
            }
            if !q.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                q.waker = Some(cx.waker().clone());
            }
            Poll::Pending
        })
        .await
    }

    /// The next event if one is waiting.
    pub fn try_next(&mut self) -> Option<SystemEvent> {
        self.sub.queue.lock().events.pop_front()
    }

    /// Skips events until one matches `pred`, and returns it; `None` if the
    /// System ends first.
    pub async fn next_matching(
        &mut self,
        mut pred: impl FnMut(&SystemEvent) -> bool,
    ) -> Option<SystemEvent> {
        loop {
            let e = self.next().await?;
            if pred(&e) {
                return Some(e);
            }
        }
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        let mut subs = self.bus.subscribers.lock();
        subs.list.retain(|s| !Arc::ptr_eq(s, &self.sub));
        self.bus.active.store(subs.list.len(), Ordering::Release);
    }
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("queued", &self.sub.queue.lock().events.len())
            .finish()
    }
}

/// The publishing side, owned by the kernel.
pub(crate) struct EventBus {
    inner: Arc<BusInner>,
}

struct BusInner {
    subscribers: Mutex<Subscribers>,
    /// `subscribers.list.len()`, readable without the lock.
    active: AtomicUsize,
}

struct Subscribers {
    list: Vec<Arc<Subscriber>>,
    /// The last sequence number given out.
    seq: u64,
    /// The System ended: no more events.
    closed: bool,
}

struct Subscriber {
    queue: Mutex<SubQueue>,
}

struct SubQueue {
    events: VecDeque<SystemEvent>,
    closed: bool,
    waker: Option<Waker>,
}

impl EventBus {
    pub(crate) fn new() -> Self {
        EventBus {
            inner: Arc::new(BusInner {
                subscribers: Mutex::new(Subscribers {
                    list: Vec::new(),
                    seq: 0,
                    closed: false,
                }),
                active: AtomicUsize::new(0),
            }),
        }
    }

    pub(crate) fn subscribe(&self) -> EventStream {
        let sub = Arc::new(Subscriber {
            queue: Mutex::new(SubQueue {
                events: VecDeque::new(),
                closed: false,
                waker: None,
            }),
        });
        let mut subs = self.inner.subscribers.lock();
        // A stream made after the System ended is ended too.
        sub.queue.lock().closed = subs.closed;
        subs.list.push(sub.clone());
        self.inner.active.store(subs.list.len(), Ordering::Release);
        EventStream {
            sub,
            bus: self.inner.clone(),
        }
    }

    /// Publishes the event `make(seq)` to every subscriber (nothing is built
    /// when there is none).
    pub(crate) fn publish(&self, make: impl FnOnce(u64) -> SystemEvent) {
        if self.inner.active.load(Ordering::Acquire) == 0 {
            return;
        }
        let mut wake = Vec::new();
        {
            let mut subs = self.inner.subscribers.lock();
            if subs.list.is_empty() {
                return;
            }
            subs.seq += 1;
            let event = make(subs.seq);
            for sub in subs.list.iter() {
                let mut q = sub.queue.lock();
                q.events.push_back(event.clone());
                if let Some(w) = q.waker.take() {
                    wake.push(w);
                }
            }
        }
        for w in wake {
            w.wake();
        }
    }

    /// The System is gone: streams end once drained.
    pub(crate) fn close(&self) {
        let mut subs = self.inner.subscribers.lock();
        subs.closed = true;
        for sub in subs.list.iter() {
            let mut q = sub.queue.lock();
            q.closed = true;
            if let Some(w) = q.waker.take() {
                w.wake();
            }
        }
    }
}
