//! Names and process groups over the public API (DESIGN.md §5, "Registry"):
//! `register` / `unregister` / `whereis` and their errors, one name per
//! incarnation, names and memberships released before an exit is announced
//! (stop, panic, kill), a newer holder of a name untouched by an older
//! holder's exit, and OTP `pg` groups (a member listed once per join, `leave`
//! undoing one join, join order, dead members removed).
//!
//! Deterministic, no sleeps: `wait_exit`, `kill` (the incarnation is dead
//! when it returns), `ActorExited` events, asks, and a monitoring actor that
//! looks the name up in its `on_down`.
#![cfg(not(keel_loom))]
// the loom build compiles only sync + core
// The clippy.toml ban on std's sync types keeps keel's own code
// loom-swappable; a test program is not part of that build.
#![allow(clippy::disallowed_types)]

use std::convert::Infallible;
use std::sync::{Arc, Barrier};

use keel::prelude::*;
use keel::testing::quiet_panics;
use keel::{ActorId, EventStream, JoinError, MonitorRef, RegisterError, SystemEvent, WhereisError};

fn system() -> System {
    System::builder().workers(2).build().unwrap()
}

async fn exit_of(events: &mut EventStream, id: ActorId) -> ExitReason {
    match events
        .next_matching(|e| matches!(e, SystemEvent::ActorExited { id: i, .. } if *i == id))
        .await
    {
        Some(SystemEvent::ActorExited { reason, .. }) => reason,
        other => panic!("no exit event for {id}: {other:?}"),
    }
}

// ---- probes ----

/// Answers pings, panics on command.
struct Probe;

enum ProbeMsg {
    Ping(ReplyTo<()>),
    Crash,
}

impl Actor for Probe {
    type Msg = ProbeMsg;
    type Error = Infallible;

    async fn handle(&mut self, msg: ProbeMsg, _ctx: &mut Context<Self>) -> Result<(), Infallible> {
        match msg {
            ProbeMsg::Ping(r) => r.reply(()),
            ProbeMsg::Crash => panic!("crash on purpose"),
        }
        Ok(())
    }
}

/// Another type, for `WrongType`.
struct Other;

impl Actor for Other {
    type Msg = ();
    type Error = Infallible;

    async fn handle(&mut self, _msg: (), _ctx: &mut Context<Self>) -> Result<(), Infallible> {
        Ok(())
    }
}

/// What [`Watcher`] saw in its `on_down`: the name's holder and the group's
/// members at the moment it was told.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    target: ActorId,
    holder: Option<AnyRef>,
    members: Vec<AnyRef>,
}

/// Monitors actors and, when one goes down, looks up `name` and `group`.
struct Watcher {
    system: System,
    name: &'static str,
    group: &'static str,
    seen: Vec<Seen>,
    /// A `Seen(n, ..)` waiting for the `n`th `Down` (a deferred reply).
    waiting: Option<(usize, ReplyTo<Vec<Seen>>)>,
}

enum WatcherMsg {
    Monitor(AnyRef, ReplyTo<()>),
    /// Answered once `n` `Down`s have been handled.
    Seen(usize, ReplyTo<Vec<Seen>>),
}

impl Watcher {
    fn new(system: &System, name: &'static str, group: &'static str) -> Watcher {
        Watcher {
            system: system.clone(),
            name,
            group,
            seen: Vec::new(),
            waiting: None,
        }
    }

    fn answer(&mut self) {
        if let Some((n, r)) = self.waiting.take() {
            if self.seen.len() >= n {
                r.reply(self.seen.clone());
            } else {
                self.waiting = Some((n, r));
            }
        }
    }
}

impl Actor for Watcher {
    type Msg = WatcherMsg;
    type Error = Infallible;

    async fn handle(&mut self, msg: WatcherMsg, ctx: &mut Context<Self>) -> Result<(), Infallible> {
        match msg {
            WatcherMsg::Monitor(target, r) => {
                ctx.monitor(target);
                r.reply(());
            }
            WatcherMsg::Seen(n, r) => {
                self.waiting = Some((n, r));
                self.answer();
            }
        }
        Ok(())
    }

    async fn on_down(
        &mut self,
        monitor: MonitorRef,
        _reason: ExitReason,
        _ctx: &mut Context<Self>,
    ) -> Result<(), Infallible> {
        self.seen.push(Seen {
            target: monitor.target().id(),
            holder: self.system.whereis_any(self.name),
            members: self.system.members(self.group),
        });
        self.answer();
        Ok(())
    }
}

// ---- names ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_then_whereis() {
    let system = system();
    let p = system.spawn(Probe);
    let o = system.spawn(Other);
    assert_eq!(system.register("probe", &p), Ok(()));
    assert_eq!(system.register(String::from("other"), o.any()), Ok(()));

    let found: ActorRef<Probe> = system.whereis("probe").unwrap();
    assert_eq!(found, p);
    found.ask(ProbeMsg::Ping).await.unwrap();
    assert_eq!(system.whereis::<Other>("other"), Ok(o.clone()));
    assert_eq!(system.whereis_any("probe"), Some(p.any()));

    assert_eq!(
        system.whereis::<Other>("probe"),
        Err(WhereisError::WrongType)
    );
    assert_eq!(
        system.whereis::<Probe>("nobody"),
        Err(WhereisError::NotFound)
    );
    assert_eq!(system.whereis_any("nobody"), None);
    assert_eq!(system.register("", &p), Err(RegisterError::InvalidName));
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_name_is_refused_with_its_holder() {
    let system = system();
    let a = system.spawn(Probe);
    let b = system.spawn(Other);
    system.register("svc", &a).unwrap();
    assert_eq!(
        system.register("svc", &b),
        Err(RegisterError::AlreadyRegistered(a.any()))
    );
    assert_eq!(system.whereis::<Probe>("svc"), Ok(a.clone()));
    // The refused actor may still take a free name.
    assert_eq!(system.register("svc2", &b), Ok(()));
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_name_per_incarnation() {
    let system = system();
    let a = system.spawn(Probe);
    system.register("first", &a).unwrap();
    assert_eq!(
        system.register("second", &a),
        Err(RegisterError::AlreadyNamed("first".into()))
    );
    assert_eq!(
        system.register("first", &a),
        Err(RegisterError::AlreadyNamed("first".into())),
        "registering the same name twice is refused too (OTP's badarg)"
    );
    assert_eq!(system.whereis_any("second"), None);
    // After `unregister` it may take another name.
    assert!(system.unregister("first"));
    assert_eq!(system.register("second", &a), Ok(()));
    assert_eq!(system.whereis::<Probe>("second"), Ok(a.clone()));
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unregister_frees_the_name() {
    let system = system();
    let a = system.spawn(Probe);
    let b = system.spawn(Probe);
    system.register("svc", &a).unwrap();
    assert!(system.unregister("svc"));
    assert!(!system.unregister("svc"), "only once");
    assert!(!system.unregister("never"));
    assert_eq!(system.whereis::<Probe>("svc"), Err(WhereisError::NotFound));
    assert_eq!(system.register("svc", &b), Ok(()));
    assert_eq!(system.whereis::<Probe>("svc"), Ok(b.clone()));
    // `a` is still running, unnamed.
    a.ask(ProbeMsg::Ping).await.unwrap();
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_actor_takes_no_name_and_joins_no_group() {
    let system = system();
    let a = system.spawn(Probe);
    a.stop();
    a.wait_exit().await;
    assert_eq!(system.register("late", &a), Err(RegisterError::NotRunning));
    assert_eq!(system.join("g", &a), Err(JoinError::NotRunning));
    assert_eq!(system.whereis_any("late"), None);
    assert!(system.members("g").is_empty());
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_name_outlives_the_callers_refs() {
    // Dropping every ref does not stop an actor (OTP): its name still
    // reaches it.
    let system = system();
    let a = system.spawn(Probe);
    let id = a.id();
    system.register("orphan", a).unwrap();
    let found = system.whereis::<Probe>("orphan").unwrap();
    assert_eq!(found.id(), id);
    found.ask(ProbeMsg::Ping).await.unwrap();
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_name_is_released_when_the_actor_stops() {
    let system = system();
    let a = system.spawn(Probe);
    system.register("svc", &a).unwrap();
    a.stop();
    assert_eq!(a.wait_exit().await, ExitReason::Shutdown);
    assert_eq!(system.whereis::<Probe>("svc"), Err(WhereisError::NotFound));
    assert!(!system.unregister("svc"), "already released");
    // The name is free for another actor.
    let b = system.spawn(Probe);
    assert_eq!(system.register("svc", &b), Ok(()));
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_name_is_released_when_the_actor_is_killed() {
    let system = system();
    let a = system.spawn(Probe);
    system.register("svc", &a).unwrap();
    system.join("g", &a).unwrap();
    a.kill();
    // The incarnation is dead when `kill` returns: so is its name.
    assert_eq!(system.whereis_any("svc"), None);
    assert!(system.members("g").is_empty());
    assert_eq!(a.wait_exit().await, ExitReason::Killed);
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_and_members_are_gone_before_the_exit_is_announced() {
    quiet_panics();
    let system = system();
    let mut events = system.events();
    let watcher = system.spawn(Watcher::new(&system, "svc", "g"));
    let stays = system.spawn(Probe);
    system.join("g", &stays).unwrap();
    // One ending per way an actor ends: stop, panic, kill.
    let endings: [fn(&ActorRef<Probe>); 3] = [
        |a| a.stop(),
        |a| a.tell(ProbeMsg::Crash).ok().unwrap(),
        |a| a.kill(),
    ];
    for (n, end) in endings.into_iter().enumerate() {
        let a = system.spawn(Probe);
        system.register("svc", &a).unwrap();
        system.join("g", &a).unwrap();
        watcher
            .ask(|r| WatcherMsg::Monitor(a.any(), r))
            .await
            .unwrap();
        end(&a);
        exit_of(&mut events, a.id()).await;
        // The event is published after the release.
        assert_eq!(system.whereis_any("svc"), None);
        assert_eq!(system.members("g"), vec![stays.any()]);
        // So is a monitor's `Down`: its handler finds the name free.
        let seen = watcher.ask(|r| WatcherMsg::Seen(n + 1, r)).await.unwrap();
        assert_eq!(
            seen.last(),
            Some(&Seen {
                target: a.id(),
                holder: None,
                members: vec![stays.any()],
            })
        );
    }
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_holder_keeps_the_name_when_the_older_one_exits() {
    let system = system();
    let a = system.spawn(Probe);
    let b = system.spawn(Probe);
    system.register("svc", &a).unwrap();
    assert!(system.unregister("svc"));
    system.register("svc", &b).unwrap();
    // `a` held "svc" once; its exit must not release `b`'s registration.
    a.stop();
    a.wait_exit().await;
    assert_eq!(system.whereis::<Probe>("svc"), Ok(b.clone()));
    // Same with a kill, and with `a` still holding another name.
    let c = system.spawn(Probe);
    system.register("c", &c).unwrap();
    assert!(system.unregister("c"));
    system.register("c2", &c).unwrap();
    let d = system.spawn(Probe);
    system.register("c", &d).unwrap();
    c.kill();
    assert_eq!(system.whereis::<Probe>("c"), Ok(d.clone()));
    assert_eq!(system.whereis_any("c2"), None);
    system.shutdown().await;
}

#[test]
fn concurrent_registrations_have_exactly_one_winner() {
    const THREADS: usize = 8;
    let system = system();
    for round in 0..20 {
        let name: Arc<str> = format!("race-{round}").into();
        let actors: Vec<ActorRef<Probe>> = (0..THREADS).map(|_| system.spawn(Probe)).collect();
        let barrier = Arc::new(Barrier::new(THREADS));
        let results: Vec<(ActorRef<Probe>, Result<(), RegisterError>)> = std::thread::scope(|s| {
            let handles: Vec<_> = actors
                .iter()
                .map(|a| {
                    let (system, barrier, name) = (&system, barrier.clone(), name.clone());
                    s.spawn(move || {
                        barrier.wait();
                        (a.clone(), system.register(name, a))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let winners: Vec<&ActorRef<Probe>> = results
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(a, _)| a)
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {results:?}");
        let winner = winners[0].clone();
        for (_, r) in &results {
            if let Err(e) = r {
                assert_eq!(*e, RegisterError::AlreadyRegistered(winner.any()));
            }
        }
        assert_eq!(system.whereis::<Probe>(&name), Ok(winner));
        for a in &actors {
            a.kill();
        }
        assert_eq!(system.whereis_any(&name), None);
    }
    system.shutdown_blocking().unwrap();
}

// ---- process groups ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_list_each_join_in_order_and_leave_undoes_one() {
    let system = system();
    let a = system.spawn(Probe);
    let b = system.spawn(Other);
    system.join("g", &a).unwrap();
    system.join("g", &b).unwrap();
    system.join("g", &a).unwrap();
    system.join("h", &b).unwrap();
    assert_eq!(system.members("g"), vec![a.any(), b.any(), a.any()]);
    assert_eq!(system.members("h"), vec![b.any()]);
    assert_eq!(system.groups(), vec![Arc::<str>::from("g"), "h".into()]);

    // `leave` undoes the latest join (as pg does).
    assert!(system.leave("g", &a));
    assert_eq!(system.members("g"), vec![a.any(), b.any()]);
    assert!(system.leave("g", &a));
    assert_eq!(system.members("g"), vec![b.any()]);
    assert!(!system.leave("g", &a), "no join left");
    assert!(!system.leave("nowhere", &a));
    assert!(system.leave("h", &b));
    assert_eq!(
        system.groups(),
        vec![Arc::<str>::from("g")],
        "an empty group goes"
    );
    assert!(system.members("h").is_empty());
    assert_eq!(system.join("", &a), Err(JoinError::InvalidName));
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_members_leave_their_groups() {
    quiet_panics();
    let system = system();
    let stays = system.spawn(Probe);
    let stopped = system.spawn(Probe);
    let crashed = system.spawn(Probe);
    for a in [&stopped, &stays, &crashed, &stopped] {
        system.join("g", a).unwrap();
    }
    system.join("only-dead", &crashed).unwrap();
    assert_eq!(system.members("g").len(), 4);

    stopped.stop();
    stopped.wait_exit().await;
    assert_eq!(system.members("g"), vec![stays.any(), crashed.any()]);

    crashed.tell(ProbeMsg::Crash).ok().unwrap();
    assert!(matches!(crashed.wait_exit().await, ExitReason::Panic(_)));
    assert_eq!(system.members("g"), vec![stays.any()]);
    assert!(system.members("only-dead").is_empty());
    assert_eq!(system.groups(), vec![Arc::<str>::from("g")]);
    // A stopped actor leaves nothing.
    assert!(!system.leave("g", &stopped));
    system.shutdown().await;
}

#[test]
fn concurrent_joins_are_all_listed() {
    const THREADS: usize = 8;
    let system = system();
    let actors: Vec<ActorRef<Probe>> = (0..THREADS).map(|_| system.spawn(Probe)).collect();
    let barrier = Barrier::new(THREADS);
    std::thread::scope(|s| {
        for a in &actors {
            let (system, barrier) = (&system, &barrier);
            s.spawn(move || {
                barrier.wait();
                for _ in 0..10 {
                    system.join("crowd", a).unwrap();
                }
                for _ in 0..5 {
                    assert!(system.leave("crowd", a));
                }
            });
        }
    });
    let members = system.members("crowd");
    assert_eq!(members.len(), THREADS * 5);
    for a in &actors {
        assert_eq!(members.iter().filter(|m| **m == a.any()).count(), 5);
    }
    for a in &actors {
        a.kill();
    }
    assert!(system.members("crowd").is_empty());
    assert!(system.groups().is_empty());
    system.shutdown_blocking().unwrap();
}
