//! Introspection of the live tree: `SupervisorRef::inspect`, and
//! `TreeSnapshot` (`System::snapshot`, `TreeSnapshot::capture`) with its
//! text, DOT and Mermaid renderings. Restart windows run on a manual clock;
//! every wait is for an event or a reply, bounded.
#![cfg(not(keel_loom))]

mod common;
use common::bounded;

use std::time::Duration;

use keel::patterns::{TreeNode, TreeSnapshot};
use keel::prelude::*;
use keel::testing::{quiet_panics, ManualClock};
use keel::{
    ChildKind, ChildState, EventStream, Restart, Strategy, SupervisorError, SupervisorRef,
    SystemEvent,
};

#[derive(Actor)]
struct Worker;

#[keel::messages]
impl Worker {
    #[message]
    fn crash(&mut self) {
        panic!("boom");
    }

    #[message]
    fn leave(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

fn worker(id: &'static str) -> ChildSpec {
    ChildSpec::worker(id, || Worker)
}

/// `top` (rest_for_one, 3 restarts in 5 s): `db` (registered as
/// `database`), then `web` (one_for_one:
/// `a`, `b`), then `job` (transient).
fn tree() -> Supervisor {
    let web = Supervisor::builder()
        .child(worker("a"))
        .child(worker("b"))
        .build()
        .unwrap();
    Supervisor::builder()
        .strategy(Strategy::RestForOne)
        .max_restarts(3)
        .within(Duration::from_secs(5))
        .child(worker("db").name("database"))
        .child(ChildSpec::supervisor("web", web))
        .child(worker("job").restart(Restart::Transient))
        .build()
        .unwrap()
}

async fn running(sup: &SupervisorRef, id: &str) -> ActorRef<Worker> {
    let children = bounded("which_children", sup.which_children())
        .await
        .unwrap();
    match children.into_iter().find(|c| &*c.id == id).map(|c| c.state) {
        Some(ChildState::Running(r)) => r.downcast().unwrap(),
        other => panic!("{id} is not running: {other:?}"),
    }
}

/// Waits for `sup`'s `ChildRestarted` of `child`.
async fn restarted(events: &mut EventStream, sup: &SupervisorRef, child: &str) {
    let sid = sup.id();
    bounded(
        "ChildRestarted",
        events.next_matching(|e| {
            matches!(e, SystemEvent::ChildRestarted { supervisor, child: c, .. }
                if *supervisor == sid && &**c == child)
        }),
    )
    .await
    .expect("the System runs");
}

fn node<'a>(snap: &'a TreeSnapshot, path: &[&str]) -> &'a TreeNode {
    snap.find(path)
        .unwrap_or_else(|| panic!("no node at {path:?} in\n{snap}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_shows_the_tree_its_restarts_and_budgets() {
    quiet_panics();
    let clock = ManualClock::new();
    let system = System::builder().workers(2).clock(&clock).build().unwrap();
    let mut events = system.events();
    let top = bounded("supervise", system.supervise(tree()))
        .await
        .unwrap();

    // db crashes: rest_for_one restarts db, web and job.
    running(&top, "db").await.crash().unwrap();
    restarted(&mut events, &top, "job").await;
    // job leaves normally: a transient child stays stopped.
    running(&top, "job").await.leave().unwrap();
    bounded(
        "job's exit",
        events.next_matching(
            |e| matches!(e, SystemEvent::ChildExited { child, .. } if &**child == "job"),
        ),
    )
    .await
    .unwrap();
    bounded("sync", top.sync()).await.unwrap();

    let snap = bounded("snapshot", system.snapshot()).await.unwrap();
    let names: Vec<&str> = snap.nodes().iter().map(|n| &*n.id).collect();
    assert_eq!(names, ["root", "tree-1", "db", "web", "a", "b", "job"]);

    let t = node(&snap, &["tree-1"]);
    let sup = t.supervisor.expect("a running supervisor");
    assert_eq!(sup.strategy, Strategy::RestForOne);
    assert_eq!((sup.max_restarts, sup.within), (3, Duration::from_secs(5)));
    assert_eq!(sup.restarts_in_window, 1, "one restart decided (db's)");
    assert_eq!(sup.restart_budget(), 2);
    assert_eq!(t.actor(), Some(top.id()));

    let db = node(&snap, &["tree-1", "db"]);
    assert_eq!(db.kind, ChildKind::Worker);
    assert!(db.is_running());
    assert_eq!(db.restarts, 1);
    assert_eq!(db.last_exit, Some(ExitReason::Panic("boom".into())));
    assert_eq!(db.mailbox_len, Some(0));
    assert_eq!(db.type_name, Some(std::any::type_name::<Worker>()));
    assert_eq!(db.name.as_deref(), Some("database"));
    assert_eq!(node(&snap, &["tree-1", "web"]).name, None);

    let web = node(&snap, &["tree-1", "web"]);
    assert_eq!(web.kind, ChildKind::Supervisor);
    assert_eq!(web.restarts, 1, "taken along by db's restart");
    assert_eq!(web.last_exit, None, "stopped by its supervisor, not ended");
    assert_eq!(web.children.len(), 2);
    let a = node(&snap, &["tree-1", "web", "a"]);
    assert_eq!(a.restarts, 0, "a fresh child of web's new incarnation");
    assert!(a.is_running() && a.supervisor.is_none() && a.children.is_empty());

    let job = node(&snap, &["tree-1", "job"]);
    assert_eq!(job.state, ChildState::Stopped);
    assert_eq!(job.restart, Restart::Transient);
    assert_eq!((job.restarts, job.mailbox_len), (1, None));
    assert_eq!(job.last_exit, Some(ExitReason::Normal));

    // Out of the window, the budget is whole again.
    clock.advance(Duration::from_secs(6));
    let later = bounded("capture", TreeSnapshot::capture(&top))
        .await
        .unwrap();
    let sup = later.root.supervisor.unwrap();
    assert_eq!((sup.restarts_in_window, sup.restart_budget()), (0, 3));
    assert_eq!(&*later.root.id, "root", "a subtree's top is its root");
    assert_eq!(later.root.children.len(), 3);
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_three_renderings_show_every_node_and_edge() {
    let system = System::builder().workers(2).build().unwrap();
    let top = bounded("supervise", system.supervise(tree()))
        .await
        .unwrap();
    running(&top, "job").await.leave().unwrap();
    bounded("sync", top.sync()).await.unwrap();
    let snap = bounded("snapshot", system.snapshot())
        .await
        .unwrap()
        .named("app");

    // Text: one line per node, each child indented under its parent.
    let text = snap.to_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 7, "{text}");
    assert!(lines[0].starts_with("app  supervisor one_for_one  running "));
    assert!(lines[1].starts_with("└─ tree-1  supervisor rest_for_one  running "));
    assert!(lines[1].contains("restarts 0/3 in 5s"), "{}", lines[1]);
    assert!(lines[2].starts_with("   ├─ db (database)  worker  running "));
    assert!(lines[2].ends_with("mailbox 0"), "{}", lines[2]);
    assert!(lines[3].starts_with("   ├─ web  supervisor one_for_one  running "));
    assert!(lines[4].starts_with("   │  ├─ a  worker  running "));
    assert!(lines[5].starts_with("   │  └─ b  worker  running "));
    assert_eq!(
        lines[6],
        "   └─ job  worker transient  stopped  last exit: normal"
    );
    assert_eq!(snap.to_string(), text, "Display is the text");

    // DOT: 7 nodes, 6 edges, supervisors double-bordered, `job` dashed.
    let dot = snap.to_dot();
    assert!(dot.starts_with("digraph keel {\n") && dot.ends_with("}\n"));
    let decls: Vec<&str> = dot.lines().filter(|l| l.contains("[label=")).collect();
    assert_eq!(decls.len(), 7, "{dot}");
    let edges: Vec<&str> = dot.lines().filter(|l| l.contains(" -> ")).collect();
    assert_eq!(
        edges,
        [
            "  n0 -> n1;",
            "  n1 -> n2;",
            "  n1 -> n3;",
            "  n3 -> n4;",
            "  n3 -> n5;",
            "  n1 -> n6;"
        ]
    );
    assert_eq!(dot.matches("peripheries=2").count(), 3, "{dot}");
    assert!(
        decls[6].starts_with(
            "  n6 [label=\"job\\nworker transient\\nstopped\\nlast exit: normal\", style=dashed];"
        ),
        "{}",
        decls[6]
    );

    // Mermaid: the same nodes and edges; `job` in class `down`.
    let mermaid = snap.to_mermaid();
    assert!(mermaid.starts_with("graph TD\n"));
    assert_eq!(mermaid.matches("-->").count(), 6, "{mermaid}");
    assert!(
        mermaid.contains(
            "  n6[\"job<br/>worker transient<br/>stopped<br/>last exit: normal\"]:::down\n"
        ),
        "{mermaid}"
    );
    assert!(mermaid.contains("  n3 --> n5\n"));
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_are_escaped_and_a_gone_system_is_an_error() {
    let system = System::builder().workers(2).build().unwrap();
    let sup = Supervisor::builder()
        .child(worker("say \"hi\""))
        .build()
        .unwrap();
    let top = bounded("supervise", system.supervise(sup)).await.unwrap();
    let snap = bounded("capture", TreeSnapshot::capture(&top))
        .await
        .unwrap();
    assert!(
        snap.to_dot().contains("[label=\"say \\\"hi\\\"\\nworker"),
        "{}",
        snap.to_dot()
    );
    let mermaid = snap.to_mermaid();
    assert!(
        mermaid.contains("[\"say #quot;hi#quot;<br/>worker"),
        "{mermaid}"
    );
    assert!(
        mermaid.contains("<br/>running #35;"),
        "`#` begins an entity: {mermaid}"
    );

    system.shutdown().await;
    assert!(matches!(
        bounded("snapshot", system.snapshot()).await,
        Err(SupervisorError::NotRunning)
    ));
    assert!(matches!(
        bounded("inspect", top.inspect()).await,
        Err(SupervisorError::NotRunning)
    ));
}
