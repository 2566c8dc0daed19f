//! Drives `examples/chat_server.rs` with real loopback sockets: a panicking
//! connection ends alone, a client that hangs up leaves the room, and the
//! others keep chatting. Every wait is bounded.
#![cfg(not(keel_loom))]
use std::time::Duration;

use keel::{ExitReason, System, SystemEvent};

// The example as a module: its `main` goes unused here, and its `pub`
// items (public for this test) are not exported from a test crate.
#[path = "../examples/chat_server.rs"]
#[allow(dead_code, unreachable_pub)]
mod chat;

use chat::{ChatServer, Client};

/// The bound on any one wait for the server (a failure, not a pace).
const LIMIT: Duration = Duration::from_secs(10);

async fn next(client: &mut Client) -> Option<String> {
    tokio::time::timeout(LIMIT, client.next_line())
        .await
        .expect("the server answered within the limit")
        .expect("the socket read")
}

async fn expect(client: &mut Client, line: &str) {
    assert_eq!(next(client).await.as_deref(), Some(line));
}

/// Connects clients `c0..cN` one by one, each reading its welcome and
/// everyone before it reading its arrival.
async fn connect_all(server: &ChatServer, n: usize) -> Vec<Client> {
    let mut clients: Vec<Client> = Vec::new();
    for i in 0..n {
        let name = format!("c{i}");
        let mut client = Client::connect(server.addr, &name).await.unwrap();
        expect(&mut client, &format!("welcome, {name} ({} here)", i + 1)).await;
        for other in &mut clients {
            expect(other, &format!("* {name} joined")).await;
        }
        clients.push(client);
    }
    clients
}

async fn next_child_exit(events: &mut keel::EventStream) -> (String, ExitReason) {
    let event = tokio::time::timeout(
        LIMIT,
        events.next_matching(|e| matches!(e, SystemEvent::ChildExited { .. })),
    )
    .await
    .expect("a child exited within the limit");
    match event {
        Some(SystemEvent::ChildExited { child, reason, .. }) => (child.to_string(), reason),
        other => panic!("expected ChildExited, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_connection_ends_alone() {
    keel::testing::quiet_panics();
    let system = System::new();
    let mut events = system.events();
    let server = ChatServer::start(&system).await.unwrap();
    let mut clients = connect_all(&server, 6).await;

    // Two connections crash, one after the other.
    let mut alive: Vec<usize> = (0..6).collect();
    for crashed in [2, 4] {
        alive.retain(|&i| i != crashed);
        clients[crashed].say("/crash").await.unwrap();
        assert_eq!(next(&mut clients[crashed]).await, None, "its socket closes");
        let (child, reason) = next_child_exit(&mut events).await;
        assert_eq!(child, format!("conn-{}", crashed + 1));
        assert!(matches!(reason, ExitReason::Panic(_)), "{reason:?}");
        for &i in &alive {
            expect(&mut clients[i], &format!("* c{crashed} left")).await;
        }
    }
    let counts = server.connections.count_children().await.unwrap();
    assert_eq!(counts.active, 4, "the crashed two are gone, not restarted");

    // The others still chat, each to all the rest.
    for &from in &alive {
        clients[from]
            .say(&format!("hi from c{from}"))
            .await
            .unwrap();
        for &to in alive.iter().filter(|&&to| to != from) {
            expect(&mut clients[to], &format!("c{from}: hi from c{from}")).await;
        }
    }

    // A new client is served, and counts only the living; the survivors
    // are all still connected: each hears it arrive, and hears it speak.
    let mut late = Client::connect(server.addr, "late").await.unwrap();
    expect(&mut late, "welcome, late (5 here)").await;
    for &i in &alive {
        expect(&mut clients[i], "* late joined").await;
    }
    late.say("hello all").await.unwrap();
    for &i in &alive {
        expect(&mut clients[i], "late: hello all").await;
    }
    let counts = server.connections.count_children().await.unwrap();
    assert_eq!(counts.active, 5);
    // No other connection ended along the way.
    server.connections.sync().await.unwrap();
    while let Some(event) = events.try_next() {
        assert!(
            !matches!(event, SystemEvent::ChildExited { .. }),
            "{event:?}"
        );
    }
    assert_eq!(system.dead_letters(), 0);
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_hangs_up_leaves_the_room() {
    let system = System::new();
    let mut events = system.events();
    let server = ChatServer::start(&system).await.unwrap();
    let mut clients = connect_all(&server, 3).await;

    drop(clients.remove(1)); // c1 hangs up
    let (child, reason) = next_child_exit(&mut events).await;
    assert_eq!((child.as_str(), reason), ("conn-2", ExitReason::Normal));
    expect(&mut clients[0], "* c1 left").await;
    expect(&mut clients[1], "* c1 left").await;
    let counts = server.connections.count_children().await.unwrap();
    assert_eq!(counts.active, 2);

    clients[0].say("still there?").await.unwrap();
    expect(&mut clients[1], "c0: still there?").await;
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_every_connection() {
    let system = System::new();
    let server = ChatServer::start(&system).await.unwrap();
    let mut clients = connect_all(&server, 4).await;
    tokio::time::timeout(LIMIT, system.shutdown())
        .await
        .expect("the System shut down within the limit");
    // Connections end in parallel, and the room (stopped after them)
    // may still tell one that another has left before it closes.
    for client in &mut clients {
        while let Some(line) = next(client).await {
            assert!(line.starts_with("* c") && line.ends_with(" left"), "{line}");
        }
    }
}
