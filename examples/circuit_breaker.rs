//! A payment actor behind tower: a circuit breaker with a fallback, a
//! timeout, and seeded faults that crash the first charges (the book's
//! "Circuit breakers and tower" chapter). Needs keel's `tower` feature.
//!
//! `cargo run --example circuit_breaker`
// ANCHOR: all
use std::time::Duration;

use keel::patterns::{AskService, CircuitBreaker, FaultRule, Faults};
use keel::prelude::*;
use tower::{Layer, Service, ServiceBuilder, ServiceExt};

// ANCHOR: actor
#[derive(Actor, Default)]
struct Payments;

#[keel::messages]
impl Payments {
    #[message]
    fn charge(&mut self, cents: u64) -> String {
        format!("charged {cents} cents")
    }
}
// ANCHOR_END: actor

#[tokio::main]
async fn main() {
    // ANCHOR: setup
    // The payment service's first three charges crash (see "Fault
    // injection and chaos"); its supervisor restarts it each time.
    let faults = Faults::seeded(1).rule(FaultRule::panic().on::<Payments>().at_most(3));
    let system = System::builder().faults(faults).build().expect("a System");
    let sup = Supervisor::builder()
        .child(ChildSpec::worker("payments", Payments::default))
        .build()
        .expect("a valid supervisor");
    let sup = system.supervise(sup).await.expect("it starts");
    let children = sup.which_children().await.expect("it answers");
    let keel::ChildState::Running(payments) = &children[0].state else {
        panic!("payments is not running");
    };
    let payments = payments.downcast::<Payments>().expect("a Payments");
    // ANCHOR_END: setup

    // ANCHOR: stack
    let breaker = CircuitBreaker::new(system.clock().clone())
        .failure_threshold(3)
        .reset_timeout(Duration::from_millis(200))
        .layer()
        .fallback(|cents: u64| format!("queued {cents} cents for later"))
        .layer(AskService::new(payments, PaymentsMsg::Charge));
    let mut checkout = ServiceBuilder::new()
        .timeout(Duration::from_secs(2))
        .service(breaker.clone());
    // ANCHOR_END: stack

    // ANCHOR: orders
    for order in 1..=6 {
        let outcome = checkout
            .ready()
            .await
            .expect("ready")
            .call(100 * order)
            .await;
        match outcome {
            Ok(receipt) => println!("order {order}: {receipt}"),
            Err(e) => println!("order {order}: failed: {e}"),
        }
    }
    println!("circuit: {}", breaker.state());

    // The reset timeout passes; the next call is the trial.
    tokio::time::sleep(Duration::from_millis(250)).await;
    for order in 7..=8 {
        let receipt = checkout
            .ready()
            .await
            .expect("ready")
            .call(100 * order)
            .await;
        println!("order {order}: {}", receipt.expect("charged"));
    }
    println!(
        "circuit: {}, opened {} time(s), {} order(s) sent to the fallback",
        breaker.state(),
        breaker.times_opened(),
        breaker.rejected()
    );
    // ANCHOR_END: orders
    system.shutdown().await;
}
// ANCHOR_END: all
