//! keel beside tower (the `tower` feature): an ask handle is a
//! `tower::Service`, so tower's layers (timeouts, retries, rate limits,
//! load shedding) wrap it; and a circuit breaker layer on keel's clock.
//!
//! [`AskService`] turns each request into an ask of one actor, or of a
//! [`Pool`]'s worker picked per call. [`CircuitBreakerLayer`] fails fast
//! while the service behind it keeps failing, and lets one trial call
//! through after a reset timeout that grows with each failed trial.
//!
//! Why keel has its own breaker (DESIGN.md §6 asks for a maintained crate
//! if one fits): its timeouts run on keel's [`Clock`], so a test drives
//! every state change with a manual clock, as it does supervision's restart
//! windows; a breaker on wall-clock time could only be tested by sleeping.
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};

use crate::actor::{Actor, ActorRef, AskError, ReplyTo};
use crate::patterns::Pool;
use crate::sync::Mutex;
use crate::time::Clock;

/// A boxed, sendable future, as the services here return.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A `tower::Service` that asks an actor: each request `req` becomes the
/// message `make(req, reply)`, and the reply is the response. Errors are
/// [`AskError`]s (a timeout, the actor gone, a crash while handling).
///
/// For a `#[keel::messages]` ask with one argument, `make` is the
/// generated variant itself: `AskService::new(payments, PaymentsMsg::Charge)`.
pub struct AskService<A: Actor, Req, Resp: Send + 'static> {
    target: Target<A>,
    make: Arc<dyn Fn(Req, ReplyTo<Resp>) -> A::Msg + Send + Sync>,
}

enum Target<A: Actor> {
    One(ActorRef<A>),
    Pool(Pool<A>),
}

impl<A: Actor, Req, Resp: Send + 'static> AskService<A, Req, Resp> {
    /// Asks `actor` (with the System's ask timeout).
    pub fn new(
        actor: ActorRef<A>,
        make: impl Fn(Req, ReplyTo<Resp>) -> A::Msg + Send + Sync + 'static,
    ) -> Self {
        AskService {
            target: Target::One(actor),
            make: Arc::new(make),
        }
    }

    /// Asks the worker `pool.pick()` chooses, per call.
    pub fn pool(
        pool: Pool<A>,
        make: impl Fn(Req, ReplyTo<Resp>) -> A::Msg + Send + Sync + 'static,
    ) -> Self {
        AskService {
            target: Target::Pool(pool),
            make: Arc::new(make),
        }
    }
}

impl<A: Actor, Req, Resp: Send + 'static> Clone for AskService<A, Req, Resp> {
    fn clone(&self) -> Self {
        AskService {
            target: match &self.target {
                Target::One(a) => Target::One(a.clone()),
                Target::Pool(p) => Target::Pool(p.clone()),
            },
            make: self.make.clone(),
        }
    }
}

impl<A: Actor, Req, Resp: Send + 'static> fmt::Debug for AskService<A, Req, Resp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("AskService");
        match &self.target {
            Target::One(a) => d.field("actor", &a.id()),
            Target::Pool(p) => d.field("pool", p),
        };
        d.finish_non_exhaustive()
    }
}

impl<A, Req, Resp> tower::Service<Req> for AskService<A, Req, Resp>
where
    A: Actor,
    Resp: Send + 'static,
{
    type Response = Resp;
    type Error = AskError;
    type Future = BoxFuture<Result<Resp, AskError>>;

    /// Always ready: an ask to a full bounded mailbox waits for room
    /// inside its future.
    fn poll_ready(&mut self, _cx: &mut TaskContext<'_>) -> Poll<Result<(), AskError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Req) -> Self::Future {
        let actor = match &self.target {
            Target::One(a) => a.clone(),
            Target::Pool(p) => p.pick(),
        };
        let make = self.make.clone();
        let asked = actor.ask(move |reply| make(req, reply));
        Box::pin(asked)
    }
}

// ---- the circuit breaker ----

/// A circuit breaker's settings; [`layer`](Self::layer) makes the tower
/// layer.
///
/// - **Closed** (the start): calls pass. `failure_threshold` failures in a
///   row open the circuit.
/// - **Open**: calls fail at once with [`BreakerError::Open`] (or get the
///   fallback), without reaching the service, until the reset timeout has
///   passed on the clock.
/// - **Half open**: one trial call passes (others fail fast meanwhile, and
///   `poll_ready` is ready at once for them, so a caller never waits on a
///   service the circuit keeps it from). Its
///   success closes the circuit and resets the timeout; its failure opens
///   it again with the timeout doubled, up to `max_reset_timeout`.
#[derive(Clone)]
pub struct CircuitBreaker {
    failure_threshold: u32,
    reset_timeout: Duration,
    max_reset_timeout: Duration,
    clock: Clock,
}

/// The tower layer of a [`CircuitBreaker`], with an optional fallback.
pub struct CircuitBreakerLayer<Req, Resp> {
    config: CircuitBreaker,
    fallback: Option<Arc<dyn Fn(Req) -> Resp + Send + Sync>>,
}

/// A service behind a circuit breaker. Clones share the circuit.
pub struct Breaker<S, Req, Resp> {
    inner: S,
    shared: Arc<Shared>,
    fallback: Option<Arc<dyn Fn(Req) -> Resp + Send + Sync>>,
    /// `poll_ready` found the circuit failing fast and did not poll the
    /// inner service: the next call fails fast.
    bypass: bool,
}

/// A call through a [`Breaker`] failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BreakerError<E> {
    /// The circuit is open (or half open with its trial under way): the
    /// call failed fast, without reaching the service.
    #[error("the circuit is open")]
    Open,
    /// The service failed.
    #[error(transparent)]
    Inner(E),
}

/// Where a circuit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CircuitState {
    /// Calls pass; this many failures in a row so far.
    Closed {
        /// Consecutive failures.
        failures: u32,
    },
    /// Calls fail fast until this instant (on the breaker's clock).
    Open {
        /// When a trial call may pass.
        until: Instant,
    },
    /// The reset timeout passed and one trial call is under way; other
    /// calls fail fast until it ends.
    HalfOpen,
}

/// `closed`, `open` or `half open` (without the figures `Debug` shows).
impl fmt::Display for CircuitState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CircuitState::Closed { .. } => "closed",
            CircuitState::Open { .. } => "open",
            CircuitState::HalfOpen => "half open",
        })
    }
}

struct Shared {
    config: CircuitBreaker,
    state: Mutex<Circuit>,
}

struct Circuit {
    state: CircuitState,
    /// The timeout the next opening waits.
    timeout: Duration,
    /// Times the circuit opened, and calls it failed fast.
    opened: u64,
    rejected: u64,
}

impl CircuitBreaker {
    /// Opens after 5 failures in a row; waits 1 s before a trial, doubling
    /// after each failed trial up to 60 s; on `clock` (the System's:
    /// `system.clock().clone()`).
    pub fn new(clock: Clock) -> CircuitBreaker {
        CircuitBreaker {
            failure_threshold: 5,
            reset_timeout: Duration::from_secs(1),
            max_reset_timeout: Duration::from_secs(60),
            clock,
        }
    }

    /// Failures in a row that open the circuit (at least 1).
    pub fn failure_threshold(mut self, n: u32) -> Self {
        self.failure_threshold = n.max(1);
        self
    }

    /// How long it stays open before the first trial.
    pub fn reset_timeout(mut self, d: Duration) -> Self {
        self.reset_timeout = d;
        self
    }

    /// The longest the doubling timeout grows to.
    pub fn max_reset_timeout(mut self, d: Duration) -> Self {
        self.max_reset_timeout = d;
        self
    }

    /// The tower layer, failing fast with [`BreakerError::Open`].
    pub fn layer<Req, Resp>(self) -> CircuitBreakerLayer<Req, Resp> {
        CircuitBreakerLayer {
            config: self,
            fallback: None,
        }
    }
}

impl fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("failure_threshold", &self.failure_threshold)
            .field("reset_timeout", &self.reset_timeout)
            .field("max_reset_timeout", &self.max_reset_timeout)
            .finish_non_exhaustive()
    }
}

impl<Req, Resp> CircuitBreakerLayer<Req, Resp> {
    /// While the circuit is open, answer with `f(request)` instead of
    /// failing (graceful degradation: a cached price, a queued-for-later
    /// receipt).
    pub fn fallback(mut self, f: impl Fn(Req) -> Resp + Send + Sync + 'static) -> Self {
        self.fallback = Some(Arc::new(f));
        self
    }
}

impl<Req, Resp> Clone for CircuitBreakerLayer<Req, Resp> {
    fn clone(&self) -> Self {
        CircuitBreakerLayer {
            config: self.config.clone(),
            fallback: self.fallback.clone(),
        }
    }
}

impl<Req, Resp> fmt::Debug for CircuitBreakerLayer<Req, Resp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreakerLayer")
            .field("config", &self.config)
            .field("fallback", &self.fallback.is_some())
            .finish()
    }
}

impl<S, Req, Resp> tower::Layer<S> for CircuitBreakerLayer<Req, Resp> {
    type Service = Breaker<S, Req, Resp>;

    /// Each layered service gets a circuit of its own.
    fn layer(&self, inner: S) -> Self::Service {
        Breaker {
            inner,
            shared: Arc::new(Shared {
                config: self.config.clone(),
                state: Mutex::new(Circuit {
                    state: CircuitState::Closed { failures: 0 },
                    timeout: self.config.reset_timeout,
                    opened: 0,
                    rejected: 0,
                }),
            }),
            fallback: self.fallback.clone(),
            bypass: false,
        }
    }
}

impl<S, Req, Resp> Breaker<S, Req, Resp> {
    /// Where the circuit stands now (an open circuit whose timeout passed
    /// still reads `Open` until a call tries it).
    pub fn state(&self) -> CircuitState {
        self.shared.state.lock().state
    }

    /// How many times the circuit opened.
    pub fn times_opened(&self) -> u64 {
        self.shared.state.lock().opened
    }

    /// How many calls it failed fast (or sent to the fallback).
    pub fn rejected(&self) -> u64 {
        self.shared.state.lock().rejected
    }
}

impl<S: Clone, Req, Resp> Clone for Breaker<S, Req, Resp> {
    fn clone(&self) -> Self {
        Breaker {
            inner: self.inner.clone(),
            shared: self.shared.clone(),
            fallback: self.fallback.clone(),
            bypass: false,
        }
    }
}

impl<S, Req, Resp> fmt::Debug for Breaker<S, Req, Resp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Breaker")
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

impl<S, Req, Resp> tower::Service<Req> for Breaker<S, Req, Resp>
where
    S: tower::Service<Req, Response = Resp>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    Resp: Send + 'static,
{
    type Response = Resp;
    type Error = BreakerError<S::Error>;
    type Future = BoxFuture<Result<Resp, BreakerError<S::Error>>>;

    /// Ready at once while the circuit fails fast (the inner service is
    /// not asked: a caller waiting for it to be ready would not fail fast);
    /// otherwise as the inner service.
    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        if self.shared.failing_fast() {
            self.bypass = true;
            return Poll::Ready(Ok(()));
        }
        self.bypass = false;
        self.inner.poll_ready(cx).map_err(BreakerError::Inner)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        // After a bypassing `poll_ready` the inner service is not ready,
        // so this call fails fast even if the circuit allows a trial now.
        let admitted = if std::mem::take(&mut self.bypass) {
            self.shared.reject();
            None
        } else {
            self.shared.admit()
        };
        let Some(trial) = admitted else {
            let answer = match &self.fallback {
                Some(f) => Ok(f(req)),
                None => Err(BreakerError::Open),
            };
            return Box::pin(std::future::ready(answer));
        };
        // Made before the call and moved into the future: whether the
        // future ends, is dropped before its first poll, or the call
        // itself panics, the outcome is recorded.
        let mut outcome = Outcome {
            shared: self.shared.clone(),
            trial,
            ok: false,
        };
        let called = self.inner.call(req);
        Box::pin(async move {
            let result = called.await;
            outcome.ok = result.is_ok();
            drop(outcome);
            result.map_err(BreakerError::Inner)
        })
    }
}

/// Records a call's outcome when its future ends, or as a failure if it
/// is dropped unfinished, polled or not (a tower timeout around the
/// breaker, a caller that gave up): a half-open circuit is never left
/// waiting for a trial that will not report.
struct Outcome {
    shared: Arc<Shared>,
    /// The half-open circuit's trial call.
    trial: bool,
    ok: bool,
}

impl Drop for Outcome {
    fn drop(&mut self) {
        self.shared.record(self.trial, self.ok);
    }
}

impl Shared {
    /// Whether a call now would fail fast (changes nothing).
    fn failing_fast(&self) -> bool {
        let now = self.config.clock.now();
        match self.state.lock().state {
            CircuitState::Closed { .. } => false,
            CircuitState::Open { until } => now < until,
            CircuitState::HalfOpen => true,
        }
    }

    /// Counts a call failed fast.
    fn reject(&self) {
        self.state.lock().rejected += 1;
    }

    /// Whether a call may pass now, and if so whether it is the half-open
    /// circuit's trial; counts it as rejected if it may not.
    fn admit(&self) -> Option<bool> {
        let now = self.config.clock.now();
        let mut c = self.state.lock();
        let pass = match c.state {
            CircuitState::Closed { .. } => Some(false),
            CircuitState::Open { until } if now >= until => {
                c.state = CircuitState::HalfOpen;
                Some(true)
            }
            CircuitState::Open { .. } | CircuitState::HalfOpen => None,
        };
        if pass.is_none() {
            c.rejected += 1;
        }
        pass
    }

    /// A call ended: `trial` if it was the half-open circuit's trial.
    fn record(&self, trial: bool, ok: bool) {
        let now = self.config.clock.now();
        let cfg = &self.config;
        let mut c = self.state.lock();
        match (c.state, ok) {
            // Only the trial decides a half-open circuit; calls admitted
            // while it was closed that end now do not.
            (CircuitState::HalfOpen, _) if !trial => {}
            (CircuitState::Closed { .. }, true) => c.state = CircuitState::Closed { failures: 0 },
            (CircuitState::Closed { failures }, false) => {
                let failures = failures + 1;
                if failures >= cfg.failure_threshold {
                    c.timeout = cfg.reset_timeout;
                    let until = crate::time::saturating_add(now, c.timeout);
                    c.state = CircuitState::Open { until };
                    c.opened += 1;
                } else {
                    c.state = CircuitState::Closed { failures };
                }
            }
            (CircuitState::HalfOpen, true) => {
                c.state = CircuitState::Closed { failures: 0 };
                c.timeout = cfg.reset_timeout;
            }
            (CircuitState::HalfOpen, false) => {
                c.timeout = c.timeout.saturating_mul(2).min(cfg.max_reset_timeout);
                let until = crate::time::saturating_add(now, c.timeout);
                c.state = CircuitState::Open { until };
                c.opened += 1;
            }
            // A call admitted while closed that ends after the circuit
            // opened (concurrent calls): the circuit already decided.
            (CircuitState::Open { .. }, _) => {}
        }
    }
}
