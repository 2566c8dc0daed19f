//! keel beside tower (the `tower` feature): `AskService` turns asks into a
//! `tower::Service` (of one actor or of a pool), tower's own layers stack
//! on it, and the circuit breaker walks closed -> open -> half open ->
//! closed on a manual clock, with a doubling reset timeout and a fallback.
#![cfg(not(keel_loom))]
// Test programs share plain std atomics with their services.
#![allow(clippy::disallowed_types)]

mod common;
use common::{bounded, poll_once};

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use keel::patterns::{
    AskService, BreakerError, CircuitBreaker, CircuitState, FaultRule, Faults, Pool,
};
use keel::prelude::*;
use keel::testing::{quiet_panics, ManualClock};
use keel::AskError;
use tower::{Layer, Service, ServiceBuilder, ServiceExt};

const SEC: Duration = Duration::from_secs(1);

#[derive(Actor, Default)]
struct Doubler {
    calls: u64,
}

#[keel::messages]
impl Doubler {
    #[message]
    fn double(&mut self, n: u64) -> u64 {
        self.calls += 1;
        n * 2
    }

    #[message]
    fn calls(&self) -> u64 {
        self.calls
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ask_handle_is_a_tower_service_and_tower_layers_stack_on_it() {
    let system = System::builder().workers(2).build().unwrap();
    let doubler = system.spawn(Doubler::default());

    // The generated variant is the request-to-message function.
    let mut svc = AskService::new(doubler.clone(), DoublerMsg::Double);
    let ready = bounded("ready", svc.ready()).await.unwrap();
    assert_eq!(bounded("call", ready.call(21)).await.unwrap(), 42);

    // tower's layers: a concurrency limit and a timeout around the asks.
    let mut limited = ServiceBuilder::new()
        .concurrency_limit(1)
        .timeout(Duration::from_secs(60))
        .service(AskService::new(doubler.clone(), DoublerMsg::Double));
    for n in 0..10 {
        let out = bounded("call", limited.ready().await.unwrap().call(n)).await;
        assert_eq!(out.unwrap(), n * 2);
    }
    assert_eq!(bounded("calls", doubler.calls()).await.unwrap(), 11);

    // Over a pool, each call asks the worker the pool picks.
    let pool = bounded(
        "pool",
        system.start_pool(Pool::builder(3, Doubler::default)),
    )
    .await
    .unwrap();
    let mut over_pool = AskService::pool(pool.clone(), DoublerMsg::Double);
    for n in 0..9 {
        let out = bounded("call", over_pool.ready().await.unwrap().call(n)).await;
        assert_eq!(out.unwrap(), n * 2);
    }
    for w in pool.workers() {
        assert_eq!(bounded("calls", w.calls()).await.unwrap(), 3);
    }

    // A gone actor is an AskError.
    doubler.stop();
    doubler.wait_exit().await;
    let mut svc = AskService::new(doubler, DoublerMsg::Double);
    let gone = bounded("call", svc.ready().await.unwrap().call(1)).await;
    assert_eq!(gone, Err(AskError::NotRunning));
    system.shutdown().await;
}

/// A service whose outcome the test sets, counting the calls that reach it.
#[derive(Clone, Default)]
struct Script {
    fail: Arc<AtomicBool>,
    calls: Arc<AtomicU64>,
}

impl Script {
    fn service(
        &self,
    ) -> impl Service<u64, Response = u64, Error = &'static str, Future: Send + 'static> + Clone
    {
        let s = self.clone();
        tower::service_fn(move |n: u64| {
            s.calls.fetch_add(1, Ordering::SeqCst);
            let fail = s.fail.load(Ordering::SeqCst);
            async move {
                if fail {
                    Err("down")
                } else {
                    Ok(n)
                }
            }
        })
    }

    fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    fn set_failing(&self, on: bool) {
        self.fail.store(on, Ordering::SeqCst);
    }
}

async fn call<S: Service<u64>>(svc: &mut S, n: u64) -> Result<S::Response, S::Error> {
    svc.ready().await?.call(n).await
}

#[tokio::test]
async fn the_breaker_opens_tries_again_after_a_doubling_timeout_and_closes() {
    let clock = ManualClock::new();
    let script = Script::default();
    let mut svc = CircuitBreaker::new(clock.clock())
        .failure_threshold(3)
        .reset_timeout(SEC)
        .max_reset_timeout(4 * SEC)
        .layer()
        .layer(script.service());
    let t0 = clock.now();

    // Closed: failures count in a row, a success resets them.
    script.set_failing(true);
    for _ in 0..2 {
        assert_eq!(call(&mut svc, 1).await, Err(BreakerError::Inner("down")));
    }
    assert_eq!(svc.state(), CircuitState::Closed { failures: 2 });
    script.set_failing(false);
    assert_eq!(call(&mut svc, 1).await, Ok(1));
    assert_eq!(svc.state(), CircuitState::Closed { failures: 0 });

    // The third failure in a row opens it for the reset timeout.
    script.set_failing(true);
    for _ in 0..3 {
        assert_eq!(call(&mut svc, 1).await, Err(BreakerError::Inner("down")));
    }
    assert_eq!(svc.state(), CircuitState::Open { until: t0 + SEC });
    assert_eq!(svc.times_opened(), 1);

    // Open: fail fast, the service is not called.
    let before = script.calls();
    assert_eq!(call(&mut svc, 1).await, Err(BreakerError::Open));
    assert_eq!(script.calls(), before);
    assert_eq!(svc.rejected(), 1);

    // After the timeout, one trial; it fails: open again for twice as long.
    clock.advance(SEC);
    assert_eq!(call(&mut svc, 1).await, Err(BreakerError::Inner("down")));
    assert_eq!(script.calls(), before + 1);
    assert_eq!(
        svc.state(),
        CircuitState::Open {
            until: t0 + 3 * SEC
        }
    );
    clock.advance(SEC);
    assert_eq!(
        call(&mut svc, 1).await,
        Err(BreakerError::Open),
        "still open"
    );

    // Trials keep failing: 4 s, then capped at 4 s.
    clock.advance(SEC);
    assert_eq!(call(&mut svc, 1).await, Err(BreakerError::Inner("down")));
    assert_eq!(
        svc.state(),
        CircuitState::Open {
            until: t0 + 7 * SEC
        }
    );
    clock.advance(4 * SEC);
    assert_eq!(call(&mut svc, 1).await, Err(BreakerError::Inner("down")));
    assert_eq!(
        svc.state(),
        CircuitState::Open {
            until: t0 + 11 * SEC
        }
    );

    // The service recovers: the next trial closes the circuit ...
    script.set_failing(false);
    clock.advance(4 * SEC);
    assert_eq!(call(&mut svc, 5).await, Ok(5));
    assert_eq!(svc.state(), CircuitState::Closed { failures: 0 });
    assert_eq!(svc.times_opened(), 4);

    // ... and the timeout starts from 1 s again.
    script.set_failing(true);
    for _ in 0..3 {
        let _ = call(&mut svc, 1).await;
    }
    assert_eq!(
        svc.state(),
        CircuitState::Open {
            until: t0 + 12 * SEC
        }
    );
}

#[tokio::test]
async fn half_open_lets_one_trial_through_and_a_dropped_trial_counts_as_failed() {
    let clock = ManualClock::new();
    let gate = Arc::new(tokio::sync::Notify::new());
    let open_gate = gate.clone();
    let slow = tower::service_fn(move |n: u64| {
        let gate = gate.clone();
        async move {
            gate.notified().await;
            Ok::<u64, &'static str>(n)
        }
    });
    let failing = tower::service_fn(|_n: u64| async { Err::<u64, &'static str>("down") });
    let layer = CircuitBreaker::new(clock.clock())
        .failure_threshold(1)
        .reset_timeout(SEC)
        .layer();
    // One circuit in front of both: a service that calls the failing one
    // or the slow one, as the test flips the switch.
    let switch = Arc::new(AtomicBool::new(true));
    let s = switch.clone();
    let both = tower::service_fn(move |n: u64| {
        let (mut slow, mut failing) = (slow.clone(), failing);
        let use_failing = s.load(Ordering::SeqCst);
        async move {
            if use_failing {
                failing.call(n).await
            } else {
                slow.call(n).await
            }
        }
    });
    let mut svc = layer.layer(both);
    assert_eq!(call(&mut svc, 1).await, Err(BreakerError::Inner("down")));
    assert!(matches!(svc.state(), CircuitState::Open { .. }));

    // Half open: the trial waits in the slow service; a second call fails
    // fast meanwhile.
    switch.store(false, Ordering::SeqCst);
    clock.advance(SEC);
    let mut trial = Box::pin(svc.ready().await.unwrap().call(7));
    assert!(poll_once(&mut trial).await.is_pending());
    assert_eq!(svc.state(), CircuitState::HalfOpen);
    assert_eq!(call(&mut svc, 8).await, Err(BreakerError::Open));
    open_gate.notify_one();
    assert_eq!(bounded("trial", trial).await, Ok(7));
    assert_eq!(svc.state(), CircuitState::Closed { failures: 0 });

    // A trial dropped unfinished (a caller that gave up) counts as failed.
    switch.store(true, Ordering::SeqCst);
    assert_eq!(call(&mut svc, 1).await, Err(BreakerError::Inner("down")));
    switch.store(false, Ordering::SeqCst);
    clock.advance(SEC);
    let mut trial = Box::pin(svc.ready().await.unwrap().call(9));
    assert!(poll_once(&mut trial).await.is_pending());
    drop(trial);
    assert!(
        matches!(svc.state(), CircuitState::Open { .. }),
        "{:?}",
        svc.state()
    );

    // So does one dropped before its first poll.
    clock.advance(2 * SEC);
    let trial = svc.ready().await.unwrap().call(10);
    assert_eq!(svc.state(), CircuitState::HalfOpen);
    drop(trial);
    assert!(
        matches!(svc.state(), CircuitState::Open { .. }),
        "{:?}",
        svc.state()
    );
}

/// While the circuit fails fast, `poll_ready` does not wait for the inner
/// service: behind a concurrency limit of one whose only permit a hung call
/// holds, callers still get the fast failure.
#[tokio::test]
async fn an_open_circuit_is_ready_at_once_even_if_the_service_is_not() {
    let clock = ManualClock::new();
    let failing = Arc::new(AtomicBool::new(true));
    let f = failing.clone();
    let flaky = tower::service_fn(move |_n: u64| {
        let fail = f.load(Ordering::SeqCst);
        async move {
            if fail {
                Err("down")
            } else {
                std::future::pending::<Result<u64, &'static str>>().await
            }
        }
    });
    let mut svc = CircuitBreaker::new(clock.clock())
        .failure_threshold(1)
        .reset_timeout(SEC)
        .layer()
        .layer(ServiceBuilder::new().concurrency_limit(1).service(flaky));
    assert_eq!(call(&mut svc, 1).await, Err(BreakerError::Inner("down")));
    // Open: ready at once, and the call fails fast.
    for n in 0..3 {
        let ready = bounded("ready while open", svc.ready()).await.unwrap();
        assert_eq!(ready.call(n).await, Err(BreakerError::Open));
    }
    // The trial hangs, holding the limit's only permit: the others still
    // fail fast instead of waiting for the permit.
    failing.store(false, Ordering::SeqCst);
    clock.advance(SEC);
    let mut trial = Box::pin(svc.ready().await.unwrap().call(7));
    assert!(poll_once(&mut trial).await.is_pending());
    let ready = bounded("ready while half open", svc.ready()).await.unwrap();
    assert_eq!(ready.call(8).await, Err(BreakerError::Open));
    assert_eq!(svc.rejected(), 4);
}

#[derive(Actor, Default)]
struct Payments;

#[keel::messages]
impl Payments {
    #[message]
    fn charge(&mut self, cents: u64) -> String {
        format!("charged {cents}")
    }
}

/// A crashing actor behind a breaker with a fallback: the crashes open the
/// circuit, callers get the fallback meanwhile, and once the supervisor has
/// healed the actor and the timeout passed, calls reach it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_breaker_with_a_fallback_over_a_crashing_actor() {
    quiet_panics();
    let clock = ManualClock::new();
    let faults = Faults::seeded(9).rule(FaultRule::panic().on::<Payments>().at_most(2));
    let system = System::builder()
        .workers(2)
        .clock(&clock)
        .faults(faults.clone())
        .build()
        .unwrap();
    let pool = bounded(
        "pool",
        system.start_pool(Pool::builder(1, Payments::default)),
    )
    .await
    .unwrap();
    let mut svc = CircuitBreaker::new(system.clock().clone())
        .failure_threshold(2)
        .reset_timeout(SEC)
        .layer()
        .fallback(|cents: u64| format!("queued {cents} for later"))
        .layer(AskService::pool(pool.clone(), PaymentsMsg::Charge));

    for cents in [1, 2] {
        let crashed = bounded("call", call(&mut svc, cents)).await;
        assert!(matches!(
            crashed,
            Err(BreakerError::Inner(AskError::Exited(_)))
        ));
    }
    assert_eq!(faults.injected(), [2]);
    assert_eq!(
        bounded("call", call(&mut svc, 3)).await,
        Ok("queued 3 for later".to_string())
    );
    bounded("sync", pool.supervisor().sync()).await.unwrap();
    clock.advance(SEC);
    assert_eq!(
        bounded("call", call(&mut svc, 4)).await,
        Ok("charged 4".to_string())
    );
    assert_eq!(svc.state(), CircuitState::Closed { failures: 0 });
    assert_eq!((svc.times_opened(), svc.rejected()), (1, 1));
    system.shutdown().await;
}

/// tower's load shedding over an actor: with one ask in flight (the actor
/// held with `suspend`) and a concurrency limit of one, the next call is
/// shed at once instead of queueing behind it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_shedding_refuses_calls_beyond_the_limit() {
    let system = System::builder().workers(2).build().unwrap();
    let doubler = system.spawn(Doubler::default());
    let mut svc = ServiceBuilder::new()
        .load_shed()
        .concurrency_limit(1)
        .service(AskService::new(doubler.clone(), DoublerMsg::Double));
    keel::testing::suspend(&doubler);
    let mut first = Box::pin(svc.ready().await.unwrap().call(1));
    assert!(poll_once(&mut first).await.is_pending(), "held");
    let shed = svc.ready().await.unwrap().call(2).await;
    let err = shed.expect_err("shed");
    assert!(
        err.is::<tower::load_shed::error::Overloaded>(),
        "{err}: not Overloaded"
    );
    keel::testing::resume(&doubler);
    assert_eq!(bounded("first", first).await.unwrap(), 2);
    assert_eq!(
        bounded("after", svc.ready().await.unwrap().call(3))
            .await
            .unwrap(),
        6
    );
    system.shutdown().await;
}
