//! A supervision tree at work: a worker restarted, a one_for_all sibling
//! cycled, a sub-supervisor giving up and escalating to its parent.
//!
//! Run it with `cargo run --example supervision_tree`.
// ANCHOR: all
// ANCHOR: setup
use std::collections::HashMap;
use std::time::Duration;

use keel::prelude::*;
use keel::{ActorId, ChildState, EventStream, Strategy, SupervisorRef, SystemEvent};

/// The running child `id` of `sup`.
async fn running(sup: &SupervisorRef, id: &str) -> AnyRef {
    let children = sup.which_children().await.expect("the supervisor runs");
    match children.into_iter().find(|c| &*c.id == id).map(|c| c.state) {
        Some(ChildState::Running(r)) => r,
        other => panic!("{id} is not running: {other:?}"),
    }
}

/// Prints supervisor events until `child` has been restarted.
async fn show_until(events: &mut EventStream, names: &HashMap<ActorId, &str>, child: &str) {
    let name = |id: &ActorId| names.get(id).copied().unwrap_or("?");
    while let Some(event) = events.next().await {
        match &event {
            SystemEvent::ChildExited {
                supervisor,
                child,
                reason,
                ..
            } => println!("{}: {child} exited ({reason})", name(supervisor)),
            SystemEvent::GaveUp {
                supervisor, child, ..
            } => println!(
                "{}: too many restarts of {child}: gives up, exits (shutdown)",
                name(supervisor)
            ),
            SystemEvent::ChildRestarted {
                supervisor,
                child: restarted,
                ..
            } => {
                println!("{}: {restarted} restarted", name(supervisor));
                if &**restarted == child {
                    return;
                }
            }
            _ => {}
        }
    }
}
// ANCHOR_END: setup

// ANCHOR: worker
/// A worker that answers to its name and crashes on demand.
#[derive(Actor)]
struct Worker {
    name: &'static str,
}

#[keel::messages]
impl Worker {
    #[message]
    fn crash(&mut self) {
        panic!("{} crashed", self.name);
    }

    #[message]
    fn name(&self) -> String {
        self.name.to_string()
    }
}

fn worker(name: &'static str) -> ChildSpec {
    ChildSpec::worker(name, move || Worker { name })
}
// ANCHOR_END: worker

#[tokio::main]
async fn main() {
    // ANCHOR: system
    let system = System::new();
    // Every supervisor decision is published here; `show_until` prints them.
    let mut events = system.events();
    // ANCHOR_END: system

    // ANCHOR: tree
    // top (one_for_one)
    // ├── cache
    // ├── pipeline (one_for_all): reader, writer
    // └── sensors (one_for_one, at most 1 restart in 5 s): thermometer
    let pipeline = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .child(worker("reader"))
        .child(worker("writer"))
        .build()
        .expect("a valid supervisor");
    let sensors = Supervisor::builder()
        .max_restarts(1)
        .within(Duration::from_secs(5))
        .child(worker("thermometer"))
        .build()
        .expect("a valid supervisor");
    let top = Supervisor::builder()
        .child(worker("cache"))
        .child(ChildSpec::supervisor("pipeline", pipeline))
        .child(ChildSpec::supervisor("sensors", sensors))
        .build()
        .expect("a valid supervisor");
    let top = system.supervise(top).await.expect("the tree starts");
    // ANCHOR_END: tree

    // ANCHOR: refs
    // The nested supervisors, from the top's children, and the names the
    // printout uses for each supervisor.
    let pipeline = SupervisorRef::from_any(&running(&top, "pipeline").await).unwrap();
    let sensors = SupervisorRef::from_any(&running(&top, "sensors").await).unwrap();
    let names = HashMap::from([
        (top.id(), "top"),
        (pipeline.id(), "pipeline"),
        (sensors.id(), "sensors"),
    ]);
    // ANCHOR_END: refs

    // ANCHOR: one_for_one
    println!("== a worker crashes: one_for_one restarts it ==");
    let cache = running(&top, "cache").await.downcast::<Worker>().unwrap();
    cache.crash().unwrap();
    show_until(&mut events, &names, "cache").await;
    // The same ref reaches the new incarnation: the address survived.
    println!("cache answers as {:?}", cache.name().await.unwrap());
    // ANCHOR_END: one_for_one

    // ANCHOR: one_for_all
    println!("== a pipeline stage crashes: one_for_all cycles its sibling ==");
    let reader = running(&pipeline, "reader")
        .await
        .downcast::<Worker>()
        .unwrap();
    reader.crash().unwrap();
    show_until(&mut events, &names, "writer").await;
    // ANCHOR_END: one_for_all

    // ANCHOR: escalate
    println!("== a sensor crashes twice in 5 s: its supervisor gives up, top restarts it ==");
    let thermometer = running(&sensors, "thermometer")
        .await
        .downcast::<Worker>()
        .unwrap();
    thermometer.crash().unwrap();
    show_until(&mut events, &names, "thermometer").await;
    thermometer.crash().unwrap();
    show_until(&mut events, &names, "sensors").await;
    // ANCHOR_END: escalate

    // ANCHOR: terminated
    system.shutdown().await;
    // Why the System ended: `Shutdown` after an orderly shutdown, but
    // `ShutdownWith("reached_max_restart_intensity")` if a tree had ended.
    let why = system.terminated().await;
    if why != ExitReason::Shutdown {
        eprintln!("the application ended: {why}");
        std::process::exit(1);
    }
    // ANCHOR_END: terminated
}

// ANCHOR_END: all
