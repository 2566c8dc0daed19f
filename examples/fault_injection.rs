//! Faults on purpose: a payment service that crashes every fourth charge, a
//! mailer that loses a quarter of its mail, and a chaos monkey loose in
//! the tree, all seeded, so every run goes the same way (the book's
//! "Fault injection and chaos" chapter).
//!
//! `cargo run --example fault_injection`
// ANCHOR: all
use std::time::Duration;

use keel::patterns::{ChaosMonkey, FaultRule, Faults};
use keel::prelude::*;
use keel::{AskError, Backoff, ChildState, SupervisorRef, SystemEvent};

// ANCHOR: actors
#[derive(Actor, Clone, Default)]
struct Payments {
    charged: u64,
}

#[keel::messages]
impl Payments {
    #[message]
    fn charge(&mut self, cents: u64) -> u64 {
        self.charged += cents;
        self.charged
    }
}

#[derive(Actor, Clone, Default)]
struct Mailer {
    sent: u64,
}

#[keel::messages]
impl Mailer {
    #[message]
    fn mail(&mut self) {
        self.sent += 1;
    }

    #[message]
    fn sent(&self) -> u64 {
        self.sent
    }
}

#[derive(Actor, Clone, Default)]
struct Database;

#[keel::messages]
impl Database {
    #[message]
    fn ping(&self) -> &'static str {
        "pong"
    }
}
// ANCHOR_END: actors

#[tokio::main]
async fn main() {
    // ANCHOR: faults
    let faults = Faults::seeded(2026)
        .rule(FaultRule::panic().on::<Payments>().every(4))
        .rule(FaultRule::drop_message().on::<Mailer>().chance(0.25))
        .rule(FaultRule::fail_start().on::<Database>().after(1).at_most(3));
    let system = System::builder()
        .faults(faults.clone())
        .build()
        .expect("a System");
    // ANCHOR_END: faults
    // ANCHOR: shop
    let mut events = system.events();

    let shop = Supervisor::builder()
        .max_restarts(10)
        .child(ChildSpec::worker("payments", Payments::default))
        .child(ChildSpec::worker("mailer", Mailer::default))
        .build()
        .expect("a valid supervisor");
    let shop = system.supervise(shop).await.expect("the shop starts");
    let payments = running(&shop, "payments")
        .await
        .downcast::<Payments>()
        .unwrap();
    let mailer = running(&shop, "mailer").await.downcast::<Mailer>().unwrap();
    // ANCHOR_END: shop

    // ANCHOR: orders
    for order in 1..=8 {
        match payments.charge(100).await {
            Ok(total) => println!("order {order}: charged, {total} cents since the last restart"),
            Err(AskError::Exited(reason)) => {
                println!("order {order}: payments crashed ({reason})");
                // Wait for the supervisor to put a new incarnation there.
                while !matches!(
                    events.next().await,
                    Some(SystemEvent::ChildRestarted { .. })
                ) {}
            }
            Err(e) => println!("order {order}: {e}"),
        }
    }
    for _ in 0..20 {
        mailer.mail().unwrap();
    }
    let sent = mailer.sent().await.expect("the mailer answers");
    println!(
        "mail sent: {sent} of 20; dead letters: {}",
        system.dead_letters()
    );
    println!("injected per rule: {:?}", faults.injected());
    // ANCHOR_END: orders

    // ANCHOR: monkey
    let monkey = ChaosMonkey::seeded(7)
        .every(Duration::from_millis(100))
        .rounds(3);
    let report = monkey.run(&shop, system.clock()).await;
    for kill in &report.kills {
        println!("the monkey killed {}", kill.path.join("/"));
    }
    shop.sync().await.expect("the shop runs");
    let snapshot = system.snapshot().await.expect("the System runs");
    let tree = snapshot.find(&["tree-1"]).expect("the shop");
    for child in &tree.children {
        println!(
            "{}: running {}, restarted {}×",
            child.id,
            child.is_running(),
            child.restarts
        );
    }
    // ANCHOR_END: monkey

    // ANCHOR: flapping
    let db = Supervisor::builder()
        .max_restarts(5)
        .child(
            ChildSpec::worker("db", Database::default).restart_delay(Backoff::exponential(
                Duration::from_millis(10),
                Duration::from_secs(1),
            )),
        )
        .build()
        .expect("a valid supervisor");
    let db_tree = system.supervise(db).await.expect("the database starts");
    let database = running(&db_tree, "db")
        .await
        .downcast::<Database>()
        .unwrap();
    database.kill();
    while let Some(event) = events.next().await {
        match event {
            SystemEvent::StartError { child, reason, .. } if &*child == "db" => {
                println!("db failed to start ({reason}); the next try waits twice as long")
            }
            SystemEvent::ChildRestarted { child, .. } if &*child == "db" => break,
            _ => {}
        }
    }
    println!("db is back: {}", database.ping().await.expect("it answers"));
    println!("injected per rule: {:?}", faults.injected());
    // ANCHOR_END: flapping
    system.shutdown().await;
}

async fn running(sup: &SupervisorRef, id: &str) -> AnyRef {
    let children = sup.which_children().await.expect("the supervisor runs");
    match children.into_iter().find(|c| &*c.id == id).map(|c| c.state) {
        Some(ChildState::Running(r)) => r,
        other => panic!("{id} is not running: {other:?}"),
    }
}
// ANCHOR_END: all
