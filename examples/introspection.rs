//! The live tree, looked at: a snapshot of a small shop's supervision tree
//! after a crash, as text and as a Mermaid chart (the book's
//! "Introspection" chapter).
//!
//! `cargo run --example introspection`
// ANCHOR: all
use keel::prelude::*;
use keel::{ChildState, Restart, Strategy, SupervisorRef, SystemEvent};

// ANCHOR: worker
#[derive(Actor)]
struct Service;

#[keel::messages]
impl Service {
    #[message]
    fn crash(&mut self) {
        panic!("connection reset");
    }
}

fn service(id: &'static str) -> ChildSpec {
    ChildSpec::worker(id, || Service)
}
// ANCHOR_END: worker

#[tokio::main]
async fn main() {
    let system = System::new();
    let mut events = system.events();

    // ANCHOR: tree
    let payments = Supervisor::builder()
        .strategy(Strategy::RestForOne)
        .child(service("gateway"))
        .child(service("ledger"))
        .build()
        .expect("a valid supervisor");
    let shop = Supervisor::builder()
        .max_restarts(3)
        .child(service("inventory"))
        .child(ChildSpec::supervisor("payments", payments))
        .child(service("mailer").restart(Restart::Temporary))
        .build()
        .expect("a valid supervisor");
    let shop = system.supervise(shop).await.expect("the shop starts");
    // ANCHOR_END: tree

    // ANCHOR: crash
    // The gateway crashes; rest_for_one restarts it and the ledger.
    let payments = SupervisorRef::from_any(&running(&shop, "payments").await).unwrap();
    let gateway = running(&payments, "gateway").await;
    gateway.downcast::<Service>().unwrap().crash().unwrap();
    while let Some(event) = events.next().await {
        if matches!(&event, SystemEvent::ChildRestarted { child, .. } if &**child == "ledger") {
            break;
        }
    }
    // ANCHOR_END: crash

    // ANCHOR: snapshot
    let snapshot = system.snapshot().await.expect("the System runs");
    print!("{snapshot}");
    let payments = snapshot.find(&["tree-1", "payments"]).expect("a node");
    let budget = payments.supervisor.expect("a supervisor").restart_budget();
    println!("payments may restart {budget} more times in its window");
    println!();
    print!("{}", snapshot.to_mermaid());
    // ANCHOR_END: snapshot
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
