//! keel's showcase: an e-commerce checkout that keeps taking orders while
//! its payment gateway fails (injected faults) and a chaos monkey kills
//! its workers. Retries, a circuit breaker with a fallback, a router pool
//! with failover and supervisors healing what crashed keep every accepted
//! order: the ledger at the end holds each one exactly once.
//!
//! `cargo run --example checkout` (it needs keel's `tower` feature, on in
//! this repository's dev build). `tests/checkout.rs` runs it and checks
//! that no accepted order is lost.
// ANCHOR: all
use std::collections::BTreeMap;
use std::future::Ready;
use std::time::Duration;

use keel::patterns::{
    AskService, BreakerError, ChaosMonkey, CircuitBreaker, FaultRule, Faults, Pool,
};
use keel::prelude::*;
use keel::testing::ManualClock;
use keel::{AskError, ChildState, Strategy, SupervisorRef};
use tower::retry::{Policy, RetryLayer};
use tower::{Layer, Service, ServiceBuilder, ServiceExt};

// ANCHOR: actors
/// The payment gateway: the flaky dependency.
#[derive(Actor, Debug, Default)]
pub struct Gateway;

#[keel::messages]
impl Gateway {
    #[message]
    fn charge(&mut self, order: u64) -> Receipt {
        Receipt::Paid(order)
    }
}

/// How an order's payment ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    /// Charged now.
    Paid(u64),
    /// The gateway was unavailable: accepted, charged later.
    Deferred(u64),
}

/// Packs and ships an accepted order; stateless, so pooled.
#[derive(Actor, Default)]
struct Fulfillment;

#[keel::messages]
impl Fulfillment {
    #[message]
    async fn ship(&mut self, receipt: Receipt, ledger: ActorRef<Ledger>) -> u64 {
        ledger.record(receipt).await.expect("the ledger answers")
    }
}

/// Every accepted order, once.
#[derive(Actor, Default)]
struct Ledger {
    orders: BTreeMap<u64, Receipt>,
}

#[keel::messages]
impl Ledger {
    /// Records an order (again is a no-op) and returns how many it holds.
    #[message]
    fn record(&mut self, receipt: Receipt) -> u64 {
        let (Receipt::Paid(id) | Receipt::Deferred(id)) = receipt;
        self.orders.entry(id).or_insert(receipt);
        self.orders.len() as u64
    }

    #[message]
    fn orders(&self) -> Vec<Receipt> {
        self.orders.values().copied().collect()
    }
}
// ANCHOR_END: actors

/// Retries an order whose payment ask failed because the gateway crashed
/// under it, up to two more times.
#[derive(Clone)]
struct RetryCrashes(u32);

impl Policy<u64, Receipt, BreakerError<AskError>> for RetryCrashes {
    type Future = Ready<()>;

    fn retry(
        &mut self,
        _order: &mut u64,
        result: &mut Result<Receipt, BreakerError<AskError>>,
    ) -> Option<Ready<()>> {
        let crashed = matches!(result, Err(BreakerError::Inner(AskError::Exited(_))));
        (crashed && self.0 > 0).then(|| {
            self.0 -= 1;
            std::future::ready(())
        })
    }

    fn clone_request(&mut self, order: &u64) -> Option<u64> {
        Some(*order)
    }
}

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Orders taken.
    pub orders: u64,
    /// Paid at once.
    pub paid: u64,
    /// Accepted with payment deferred (the breaker's fallback).
    pub deferred: u64,
    /// Refused: payment failed after its retries (the customer is told).
    pub refused: u64,
    /// The accepted orders' ids (paid or deferred), in order.
    pub accepted: Vec<u64>,
    /// Times the circuit breaker opened.
    pub opened: u64,
    /// Restarts made by the supervisors.
    pub restarts: u32,
    /// The ledger's accepted orders.
    pub ledger: Vec<Receipt>,
}

/// Runs `orders` orders through the checkout and returns what happened,
/// printing a line every `report_every` orders.
pub async fn run(system: &System, faults: &Faults, orders: u64, report_every: u64) -> Summary {
    // ANCHOR: tree
    let shop = Supervisor::builder()
        .strategy(Strategy::OneForOne)
        .max_restarts(1_000)
        .within(Duration::from_secs(60))
        .child(ChildSpec::worker("gateway", Gateway::default))
        .child(ChildSpec::worker("ledger", Ledger::default))
        .build()
        .expect("a valid supervisor");
    let shop = system.supervise(shop).await.expect("the shop starts");
    let gateway = running(&shop, "gateway")
        .await
        .downcast::<Gateway>()
        .unwrap();
    let ledger = running(&shop, "ledger").await.downcast::<Ledger>().unwrap();
    let fulfillment = Pool::builder(4, Fulfillment::default)
        .max_restarts(1_000)
        .within(Duration::from_secs(60));
    let fulfillment = system
        .start_pool(fulfillment)
        .await
        .expect("the pool starts");
    // ANCHOR_END: tree

    // ANCHOR: stack
    // The breaker's own clock, advanced one tick per order, so that this
    // run is the same every time; a service would pass `system.clock()`.
    let ticks = ManualClock::new();
    let breaker = CircuitBreaker::new(ticks.clock())
        .failure_threshold(3)
        .reset_timeout(Duration::from_secs(5))
        .layer()
        .fallback(Receipt::Deferred)
        .layer(AskService::new(gateway, GatewayMsg::Charge));
    let mut payments = ServiceBuilder::new()
        .layer(RetryLayer::new(RetryCrashes(2)))
        .service(breaker.clone());
    // ANCHOR_END: stack

    // ANCHOR: orders
    let mut s = Summary::default();
    for order in 1..=orders {
        ticks.advance(Duration::from_secs(1));
        s.orders += 1;
        let paid = payments.ready().await.expect("ready").call(order).await;
        match paid {
            Err(_) => s.refused += 1,
            Ok(receipt) => {
                match receipt {
                    Receipt::Paid(_) => s.paid += 1,
                    Receipt::Deferred(_) => s.deferred += 1,
                }
                s.accepted.push(order);
                // A fulfillment worker ships it; if the worker was killed
                // under it, another one ships it (the ledger records an
                // order once).
                loop {
                    let ship = fulfillment.pick().ship(receipt, ledger.clone()).await;
                    if ship.is_ok() {
                        break;
                    }
                }
            }
        }
        if order % report_every == 0 {
            // A chaos monkey kills a fulfillment worker; its supervisor
            // restarts it.
            let monkey = ChaosMonkey::seeded(order).every(Duration::ZERO).rounds(1);
            monkey.run(fulfillment.supervisor(), system.clock()).await;
            println!(
                "after {order} orders: {} paid, {} deferred, {} refused; circuit {}, {} injected faults",
                s.paid,
                s.deferred,
                s.refused,
                breaker.state(),
                faults.total()
            );
        }
    }
    // ANCHOR_END: orders
    shop.sync().await.expect("the shop runs");
    fulfillment
        .supervisor()
        .sync()
        .await
        .expect("the pool runs");
    let snapshot = system.snapshot().await.expect("the System runs");
    s.restarts = snapshot.nodes().iter().map(|n| n.restarts).sum();
    s.opened = breaker.times_opened();
    s.ledger = ledger.orders().await.expect("the ledger answers");
    s
}

async fn running(sup: &SupervisorRef, id: &str) -> AnyRef {
    let children = sup.which_children().await.expect("the supervisor runs");
    match children.into_iter().find(|c| &*c.id == id).map(|c| c.state) {
        Some(ChildState::Running(r)) => r,
        other => panic!("{id} is not running: {other:?}"),
    }
}

#[tokio::main]
async fn main() {
    // ANCHOR: main
    // The gateway crashes on 30% of its charges and stalls on 10%.
    let faults = Faults::seeded(2026)
        .rule(FaultRule::panic().on::<Gateway>().chance(0.3))
        .rule(
            FaultRule::delay(Duration::from_millis(1))
                .on::<Gateway>()
                .chance(0.1),
        );
    let system = System::builder()
        .faults(faults.clone())
        .build()
        .expect("a System");
    let s = run(&system, &faults, 200, 50).await;
    println!(
        "{} orders: {} paid, {} deferred, {} refused; {} in the ledger; circuit opened {}×; {} restarts",
        s.orders,
        s.paid,
        s.deferred,
        s.refused,
        s.ledger.len(),
        s.opened,
        s.restarts
    );
    println!();
    print!("{}", system.snapshot().await.expect("the System runs"));
    system.shutdown().await;
    // ANCHOR_END: main
}
// ANCHOR_END: all
