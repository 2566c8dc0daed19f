//! Runs `examples/checkout.rs` end to end: its gateway fails on a seeded
//! schedule and a chaos monkey kills its fulfillment workers, and still
//! every accepted order is in the ledger exactly once, and every order is
//! accounted for (paid, deferred or refused).
#![cfg(not(keel_loom))]
use std::collections::BTreeSet;
use std::time::Duration;

use keel::patterns::{FaultRule, Faults};
use keel::System;

// The example as a module: its `main` goes unused here.
#[path = "../examples/checkout.rs"]
#[allow(dead_code, unreachable_pub)]
mod checkout;

use checkout::Receipt;

const LIMIT: Duration = Duration::from_secs(60);

async fn run(seed: u64, orders: u64) -> (checkout::Summary, u64) {
    keel::testing::quiet_panics();
    // Worse than the example's: half the charges crash the gateway.
    let faults =
        Faults::seeded(seed).rule(FaultRule::panic().on::<checkout::Gateway>().chance(0.5));
    let system = System::builder()
        .workers(2)
        .faults(faults.clone())
        .build()
        .unwrap();
    let s = tokio::time::timeout(LIMIT, checkout::run(&system, &faults, orders, 25))
        .await
        .expect("the run ended within the limit");
    let injected = faults.total();
    system.shutdown().await;
    (s, injected)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_accepted_order_is_lost() {
    let (s, injected) = run(7, 150).await;
    assert_eq!(s.orders, 150);
    assert_eq!(
        s.paid + s.deferred + s.refused,
        150,
        "every order accounted for"
    );
    assert_eq!(s.accepted.len() as u64, s.paid + s.deferred);

    // The ledger holds each accepted order exactly once, and nothing else.
    let ids: Vec<u64> = s
        .ledger
        .iter()
        .map(|r| match r {
            Receipt::Paid(id) | Receipt::Deferred(id) => *id,
        })
        .collect();
    let unique: BTreeSet<u64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no order twice");
    let accepted: BTreeSet<u64> = s.accepted.iter().copied().collect();
    assert_eq!(
        unique, accepted,
        "the ledger is exactly the accepted orders"
    );
    let deferred = s
        .ledger
        .iter()
        .filter(|r| matches!(r, Receipt::Deferred(_)))
        .count() as u64;
    assert_eq!(deferred, s.deferred);

    // It was not a quiet run: faults, an open circuit, the monkey's kills
    // and the gateway's crashes were all healed by restarts.
    assert!(injected >= 30, "{injected} faults injected");
    assert!(s.opened >= 1 && s.deferred >= 1, "{s:?}");
    assert!(s.restarts as u64 >= injected.min(1000) / 2, "{s:?}");

    // The same seed runs the same way.
    let (again, _) = run(7, 150).await;
    assert_eq!(
        (again.paid, again.deferred, again.refused, again.accepted),
        (s.paid, s.deferred, s.refused, s.accepted)
    );
}
