//! `#[derive(Supervisor)]` at run time, through the public API: children
//! start in field order, each attribute reaches the supervisor, and the
//! typed refs work and outlive restarts.
//!
//! Deterministic: no sleeps. A test waits for a supervisor with
//! `SupervisorRef::sync()`, for an exit it did not cause with
//! `system.events()`, and for a child with an ask; a journal (a channel
//! every probe writes to from its hooks) says what started and stopped.
#![cfg(not(keel_loom))]
use std::time::Duration;

use crossbeam_channel::{unbounded, Receiver, Sender};
use keel::prelude::*;
use keel::testing::ManualClock;
use keel::{ChildState, Shutdown, Supervisor, SupervisorRef, SystemEvent};

/// A child that writes `start {tag}` and `stop {tag}` to the journal.
#[derive(Actor, Clone)]
#[actor(started = Self::init, stopped = Self::done)]
struct Probe {
    tag: &'static str,
    journal: Sender<String>,
    /// Traps exits, so that a supervisor's shutdown runs `stopped`.
    trap: bool,
}

impl Probe {
    fn new(tag: &'static str, journal: &Sender<String>) -> Probe {
        Probe {
            tag,
            journal: journal.clone(),
            trap: false,
        }
    }

    fn trapping(tag: &'static str, journal: &Sender<String>) -> Probe {
        Probe {
            trap: true,
            ..Probe::new(tag, journal)
        }
    }

    async fn init(&mut self, ctx: &mut Context<Self>) {
        ctx.trap_exits(self.trap);
        let _ = self.journal.send(format!("start {}", self.tag));
    }

    async fn done(&mut self, _reason: &ExitReason, _ctx: &mut Context<Self>) {
        let _ = self.journal.send(format!("stop {}", self.tag));
    }
}

#[keel::messages]
impl Probe {
    /// Its tag: an ask, to see that a ref reaches it.
    #[message]
    fn tag(&self) -> &'static str {
        self.tag
    }

    /// Ends it normally.
    #[message]
    fn finish(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

fn journal() -> (Sender<String>, Receiver<String>) {
    unbounded()
}

/// What the journal holds so far.
fn read(rx: &Receiver<String>) -> Vec<String> {
    rx.try_iter().collect()
}

fn system() -> System {
    System::builder().workers(2).build().unwrap()
}

fn state(children: &[keel::ChildInfo], id: &str) -> ChildState {
    children
        .iter()
        .find(|c| &*c.id == id)
        .unwrap_or_else(|| panic!("no child {id:?}"))
        .state
        .clone()
}

#[derive(Supervisor)]
struct Three {
    c: Probe,
    a: Probe,
    b: Probe,
}

impl Three {
    fn new(journal: &Sender<String>) -> Three {
        Three {
            c: Probe::new("c", journal),
            a: Probe::new("a", journal),
            b: Probe::new("b", journal),
        }
    }
}

#[derive(Supervisor)]
#[supervisor(strategy = OneForAll)]
struct AllForOne {
    c: Probe,
    a: Probe,
    b: Probe,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn children_start_in_field_order() {
    let system = system();
    let (tx, rx) = journal();
    let refs = Three::new(&tx).supervise(&system).await.unwrap();
    assert_eq!(read(&rx), ["start c", "start a", "start b"]);
    let ids: Vec<_> = refs
        .supervisor
        .which_children()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id.to_string())
        .collect();
    assert_eq!(ids, ["c", "a", "b"], "ids are the field names, in order");
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refs_are_typed_and_survive_a_restart() {
    let system = system();
    let (tx, rx) = journal();
    let refs = Three::new(&tx).supervise(&system).await.unwrap();
    let a = refs.a.clone().expect("a is running");
    assert_eq!(a.tag().await.unwrap(), "a");
    assert_eq!(refs.b.as_ref().unwrap().tag().await.unwrap(), "b");
    read(&rx);

    a.kill();
    refs.supervisor.sync().await.unwrap();
    assert_eq!(read(&rx), ["start a"], "one for one: only `a` restarts");
    assert_eq!(
        a.tag().await.unwrap(),
        "a",
        "the same ref reaches the new incarnation"
    );

    // The refs read again are the same refs.
    let again = ThreeRefs::from_supervisor(&refs.supervisor).await.unwrap();
    assert_eq!(again.a, refs.a);
    assert_eq!(again.c, refs.c);
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strategy_reaches_the_supervisor() {
    let system = system();
    let (tx, rx) = journal();
    let refs = AllForOne {
        c: Probe::new("c", &tx),
        a: Probe::new("a", &tx),
        b: Probe::new("b", &tx),
    }
    .supervise(&system)
    .await
    .unwrap();
    read(&rx);

    refs.a.as_ref().unwrap().kill();
    refs.supervisor.sync().await.unwrap();
    assert_eq!(
        read(&rx),
        ["start c", "start a", "start b"],
        "one for all: every child starts again, in field order"
    );
    for r in [&refs.a, &refs.b, &refs.c] {
        assert!(r.as_ref().unwrap().tag().await.is_ok());
    }
    system.shutdown().await;
}

#[derive(Supervisor)]
struct Jobs {
    #[child(restart = Transient)]
    job: Probe,
    #[child(restart = Temporary, id = "once")]
    one_shot: Probe,
    keeper: Probe,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_types_reach_the_specs() {
    let system = system();
    let (tx, rx) = journal();
    let mut events = system.events();
    let refs = Jobs {
        job: Probe::new("job", &tx),
        one_shot: Probe::new("one_shot", &tx),
        keeper: Probe::new("keeper", &tx),
    }
    .supervise(&system)
    .await
    .unwrap();
    read(&rx);

    // A transient child that ends normally is not restarted; a temporary
    // one is not restarted whatever its end, and its spec goes.
    refs.job.as_ref().unwrap().finish().unwrap();
    refs.one_shot.as_ref().unwrap().kill();
    refs.keeper.as_ref().unwrap().finish().unwrap();
    let mut exited = Vec::new();
    while exited.len() < 3 {
        if let Some(SystemEvent::ChildExited { child, .. }) = events.next().await {
            exited.push(child.to_string());
        }
    }
    exited.sort();
    assert_eq!(exited, ["job", "keeper", "once"]);
    refs.supervisor.sync().await.unwrap();
    let children = refs.supervisor.which_children().await.unwrap();
    assert_eq!(state(&children, "job"), ChildState::Stopped);
    assert!(children.iter().all(|c| &*c.id != "once"));
    assert!(matches!(state(&children, "keeper"), ChildState::Running(_)));
    let mut log = read(&rx);
    log.sort();
    assert_eq!(
        log,
        ["start keeper", "stop job", "stop keeper"],
        "only the permanent child restarted"
    );

    // Read now, the refs say which children run.
    let now = JobsRefs::from_supervisor(&refs.supervisor).await.unwrap();
    assert!(now.job.is_none() && now.one_shot.is_none());
    assert_eq!(now.keeper, refs.keeper);
    system.shutdown().await;
}

#[derive(Supervisor)]
struct Named {
    #[child(name = "primary")]
    db: Probe,
    other: Probe,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_is_registered_on_every_start() {
    let system = system();
    let (tx, _rx) = journal();
    let refs = Named {
        db: Probe::new("db", &tx),
        other: Probe::new("other", &tx),
    }
    .supervise(&system)
    .await
    .unwrap();
    let db = refs.db.clone().unwrap();
    assert_eq!(system.whereis::<Probe>("primary").unwrap(), db);
    assert!(system.whereis_any("db").is_none(), "only the given name");

    db.kill();
    refs.supervisor.sync().await.unwrap();
    let found = system.whereis::<Probe>("primary").unwrap();
    assert_eq!(found, db);
    assert_eq!(found.tag().await.unwrap(), "db");
    system.shutdown().await;
}

#[derive(Supervisor)]
struct Stopping {
    #[child(shutdown = BrutalKill)]
    brutal: Probe,
    #[child(shutdown = 60000)]
    patient: Probe,
    #[child(shutdown = Infinity)]
    forever: Probe,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_reaches_the_specs() {
    let system = system();
    let (tx, rx) = journal();
    let refs = Stopping {
        brutal: Probe::trapping("brutal", &tx),
        patient: Probe::trapping("patient", &tx),
        forever: Probe::trapping("forever", &tx),
    }
    .supervise(&system)
    .await
    .unwrap();
    read(&rx);

    // A child asked to stop runs `stopped` (it traps exits); a killed one
    // does not.
    for id in ["brutal", "patient", "forever"] {
        refs.supervisor.terminate_child(id).await.unwrap();
    }
    assert_eq!(read(&rx), ["stop patient", "stop forever"]);
    system.shutdown().await;
}

/// A unit of work: ends when its task does.
#[derive(Supervisor)]
#[supervisor(auto_shutdown = AnySignificant)]
struct Job {
    #[child(restart = Transient, significant)]
    task: Probe,
    helper: Probe,
}

#[derive(Supervisor)]
struct Runner {
    #[child(supervisor, restart = Transient)]
    job: Job,
    idle: Probe,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_significant_child_ends_its_supervisor() {
    let system = system();
    let (tx, rx) = journal();
    let mut events = system.events();
    let refs = Runner {
        job: Job {
            task: Probe::new("task", &tx),
            helper: Probe::trapping("helper", &tx),
        },
        idle: Probe::new("idle", &tx),
    }
    .supervise(&system)
    .await
    .unwrap();
    assert_eq!(read(&rx), ["start task", "start helper", "start idle"]);
    let job_sup = refs.job.clone().expect("the job is running");
    let job = JobRefs::from_supervisor(&job_sup).await.unwrap();
    assert_eq!(job.task.as_ref().unwrap().tag().await.unwrap(), "task");

    job.task.as_ref().unwrap().finish().unwrap();
    let e = events
        .next_matching(|e| matches!(e, SystemEvent::AutoShutdown { .. }))
        .await
        .unwrap();
    let SystemEvent::AutoShutdown {
        supervisor, child, ..
    } = e
    else {
        unreachable!()
    };
    assert_eq!((supervisor, &*child), (job_sup.id(), "task"));
    // The job supervisor ended `Shutdown`; a transient child is not
    // restarted after that.
    events
        .next_matching(|e| matches!(e, SystemEvent::ChildExited { child, .. } if &**child == "job"))
        .await
        .unwrap();
    refs.supervisor.sync().await.unwrap();
    let children = refs.supervisor.which_children().await.unwrap();
    assert_eq!(state(&children, "job"), ChildState::Stopped);
    assert!(matches!(state(&children, "idle"), ChildState::Running(_)));
    assert_eq!(read(&rx), ["stop task", "stop helper"]);
    system.shutdown().await;
}

/// Gives up on the second restart within a second.
#[derive(Supervisor)]
#[supervisor(max_restarts = 1, within_ms = 1000)]
struct Fragile {
    worker: Probe,
}

#[derive(Supervisor)]
struct Holder {
    #[child(supervisor)]
    fragile: Fragile,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_restart_limit_reaches_the_supervisor() {
    let clock = ManualClock::new();
    let system = System::builder().workers(2).clock(&clock).build().unwrap();
    let (tx, rx) = journal();
    let mut events = system.events();
    let refs = Holder {
        fragile: Fragile {
            worker: Probe::new("worker", &tx),
        },
    }
    .supervise(&system)
    .await
    .unwrap();
    let fragile_sup = refs.fragile.clone().unwrap();
    let fragile = FragileRefs::from_supervisor(&fragile_sup).await.unwrap();
    let worker = fragile.worker.unwrap();
    read(&rx);

    // One restart, then another outside the window: within the limit.
    worker.kill();
    fragile_sup.sync().await.unwrap();
    clock.advance(Duration::from_millis(1001));
    worker.kill();
    fragile_sup.sync().await.unwrap();
    assert_eq!(read(&rx), ["start worker", "start worker"]);
    let gave_up = |e: &SystemEvent| matches!(e, SystemEvent::GaveUp { .. });
    assert!(std::iter::from_fn(|| events.try_next()).all(|e| !gave_up(&e)));

    // A second restart within the window is one too many.
    worker.kill();
    let e = events.next_matching(gave_up).await.unwrap();
    let SystemEvent::GaveUp {
        supervisor, child, ..
    } = e
    else {
        unreachable!()
    };
    assert_eq!((supervisor, &*child), (fragile_sup.id(), "worker"));
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_struct_converts_to_a_plain_supervisor() {
    let (tx, _rx) = journal();
    let sup = Supervisor::from(Stopping {
        brutal: Probe::new("brutal", &tx),
        patient: Probe::new("patient", &tx),
        forever: Probe::new("forever", &tx),
    });
    let specs: Vec<_> = sup
        .children()
        .iter()
        .map(|s| (s.id().to_owned(), s.shutdown_spec()))
        .collect();
    assert_eq!(
        specs,
        [
            ("brutal".to_owned(), Shutdown::BrutalKill),
            (
                "patient".to_owned(),
                Shutdown::Timeout(Duration::from_secs(60))
            ),
            ("forever".to_owned(), Shutdown::Infinity),
        ]
    );

    // Started the plain way, it is the same tree.
    let system = system();
    let sup: SupervisorRef = system.supervise(sup).await.unwrap();
    let refs = StoppingRefs::from_supervisor(&sup).await.unwrap();
    assert_eq!(refs.patient.unwrap().tag().await.unwrap(), "patient");
    system.shutdown().await;
}
