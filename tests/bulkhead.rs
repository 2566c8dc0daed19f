//! Bulkheads: a subtree on a dispatcher of its own cannot take the workers
//! of another. One pool's handlers hold every thread of its dispatcher
//! (they block on a gate the test opens); the other pool, on the System's
//! workers, keeps answering meanwhile. Were both on the System's workers,
//! the blocked handlers would hold both of them and the asks would hang
//! (the hang guard would fail the test).
#![cfg(not(keel_loom))]
// A gate the test and the actors share.
#![allow(clippy::disallowed_types)]

mod common;
use common::bounded;

use std::sync::{Arc, Condvar, Mutex};

use keel::patterns::Pool;
use keel::prelude::*;

/// Closed until the test opens it; counts the handlers waiting at it.
#[derive(Default)]
struct Gate {
    state: Mutex<(bool, usize)>,
    cv: Condvar,
}

impl Gate {
    fn pass(&self) {
        let mut s = self.state.lock().unwrap();
        s.1 += 1;
        self.cv.notify_all();
        while !s.0 {
            s = self.cv.wait(s).unwrap();
        }
    }

    fn waiting(&self) -> usize {
        self.state.lock().unwrap().1
    }

    fn open(&self) {
        self.state.lock().unwrap().0 = true;
        self.cv.notify_all();
    }
}

/// Report jobs that block their thread until the gate opens.
#[derive(Actor, Clone)]
struct Reporter {
    gate: Arc<Gate>,
    done: u64,
}

#[keel::messages]
impl Reporter {
    #[message]
    fn report(&mut self) {
        self.gate.pass();
        self.done += 1;
    }

    #[message]
    fn done(&self) -> u64 {
        self.done
    }
}

#[derive(Actor, Default)]
struct Checkout;

#[keel::messages]
impl Checkout {
    #[message]
    fn quote(&self, cents: u64) -> u64 {
        cents + cents / 10
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooded_subtree_does_not_take_the_workers_of_another() {
    let system = System::builder()
        .workers(2)
        .dispatcher("reports", 2)
        .build()
        .unwrap();
    let gate = Arc::new(Gate::default());
    let proto = Reporter {
        gate: gate.clone(),
        done: 0,
    };
    let reports = Pool::builder(2, move || proto.clone()).dispatcher("reports");
    let reports = bounded("reports", system.start_pool(reports))
        .await
        .unwrap();
    let checkout = bounded(
        "checkout",
        system.start_pool(Pool::builder(2, Checkout::default)),
    )
    .await
    .unwrap();

    // The flood: 200 reports, two of them blocking both of the
    // dispatcher's threads, the rest queued behind them.
    for _ in 0..200 {
        reports.tell(ReporterMsg::Report).unwrap();
    }
    bounded("both report threads blocked", async {
        while gate.waiting() < 2 {
            tokio::task::yield_now().await;
        }
    })
    .await;

    // The other subtree keeps serving.
    for cents in 0..100 {
        let quote = bounded("a quote", checkout.pick().quote(cents)).await;
        assert_eq!(quote.unwrap(), cents + cents / 10);
    }
    assert_eq!(gate.waiting(), 2, "the flood is still held");

    gate.open();
    let mut done = 0;
    for w in reports.workers() {
        done += bounded("done", w.done()).await.unwrap();
    }
    assert_eq!(done, 200, "every queued report ran once the gate opened");
    system.shutdown().await;
}
