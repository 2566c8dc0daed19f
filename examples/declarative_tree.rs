//! A tree declared as a struct (`#[derive(Supervisor)]`), children started
//! on demand under a `DynamicSupervisor`, and a child found by its name.
//!
//! Run it with `cargo run --example declarative_tree`.
// ANCHOR: all
// ANCHOR: uses
use std::collections::HashMap;

use keel::prelude::*;
use keel::{DynamicSupervisor, Restart, SystemEvent};
// ANCHOR_END: uses

// ANCHOR: actors
/// A key-value store.
#[derive(Actor, Clone, Default)]
struct Store {
    map: HashMap<String, String>,
}

#[keel::messages]
impl Store {
    #[message]
    fn put(&mut self, key: String, value: String) {
        self.map.insert(key, value);
    }

    #[message]
    fn get(&self, key: String) -> Option<String> {
        self.map.get(&key).cloned()
    }

    #[message]
    fn crash(&mut self) {
        panic!("the store crashed");
    }
}

/// One user's session.
#[derive(Actor)]
struct Session {
    user: String,
}

#[keel::messages]
impl Session {
    #[message]
    fn whoami(&self) -> String {
        self.user.clone()
    }
}
// ANCHOR_END: actors

// ANCHOR: tree
/// The application: its fields are its children, started in field order.
#[derive(Supervisor)]
#[supervisor(strategy = OneForOne, max_restarts = 3, within_secs = 5)]
struct App {
    /// Registered as "store" on every start.
    #[child(name = "store")]
    store: Store,
    /// Sessions come and go: a supervisor of children started on demand.
    #[child(supervisor)]
    sessions: DynamicSupervisor,
}
// ANCHOR_END: tree

#[tokio::main]
async fn main() {
    // ANCHOR: start
    let system = System::new();
    let mut events = system.events();
    let app = App {
        store: Store::default(),
        sessions: DynamicSupervisor::builder()
            .max_children(1000)
            .build()
            .expect("valid flags"),
    };
    // Typed refs to each child come back with the running tree.
    let app = app.supervise(&system).await.expect("the tree starts");
    let store = app.store.expect("the store runs");
    let sessions = app.sessions.expect("the sessions' supervisor runs");
    // ANCHOR_END: start

    // ANCHOR: names
    store.put("greeting".into(), "hello".into()).unwrap();
    // Any part of the program can find the store by its name.
    let found = system.whereis::<Store>("store").expect("registered");
    println!(
        "store says {:?}",
        found.get("greeting".into()).await.unwrap()
    );
    // ANCHOR_END: names

    // ANCHOR: dynamic
    let mut users = Vec::new();
    for user in ["ada", "grace"] {
        let spec = ChildSpec::worker(user, move || Session { user: user.into() })
            .restart(Restart::Transient);
        let session = sessions.start_child(spec).await.expect("a session starts");
        users.push(session.expect("not ignored").downcast::<Session>().unwrap());
    }
    println!("sessions: {:?}", sessions.count_children().await.unwrap());
    println!("first session: {}", users[0].whoami().await.unwrap());
    sessions.terminate_child(&users[0]).await.unwrap();
    println!(
        "after ada left: {:?}",
        sessions.count_children().await.unwrap()
    );
    // ANCHOR_END: dynamic

    // ANCHOR: restart
    // A crash: the store restarts with fresh state, on the same address,
    // and is registered under its name again.
    store.crash().unwrap();
    events
        .next_matching(
            |e| matches!(e, SystemEvent::ChildRestarted { child, .. } if &**child == "store"),
        )
        .await;
    let again = system.whereis::<Store>("store").expect("registered again");
    println!("same address: {}", again == store);
    println!(
        "store says {:?}",
        store.get("greeting".into()).await.unwrap()
    );
    // ANCHOR_END: restart

    system.shutdown().await;
}
// ANCHOR_END: all
