//! Unit tests of what only the supervisor reaches (a name across a restart,
//! `register_incarnation`) and of the release hook's rules.
use std::convert::Infallible;
use std::sync::Arc;

use crate::actor::address::{AnyAddress, Pid};
use crate::actor::run::{respawn, spawn, SpawnOptions};
use crate::actor::{Actor, ActorRef, Context, ExitReason, ReplyTo, Status, SystemEvent};
use crate::core::blocking::block_on;
use crate::registry::{register_incarnation, Entry, Held, RegisterError, Registry, WhereisError};
use crate::System;

struct Probe;

enum ProbeMsg {
    Crash,
    Ping(ReplyTo<()>),
}

impl Actor for Probe {
    type Msg = ProbeMsg;
    type Error = Infallible;

    async fn handle(&mut self, msg: ProbeMsg, _ctx: &mut Context<Self>) -> Result<(), Infallible> {
        match msg {
            ProbeMsg::Crash => panic!("crash on purpose"),
            ProbeMsg::Ping(r) => r.reply(()),
        }
        Ok(())
    }
}

fn system() -> System {
    crate::testing::quiet_panics();
    System::builder().workers(2).build().unwrap()
}

/// A probe on an address that a supervisor would restart.
fn supervised_probe(system: &System) -> ActorRef<Probe> {
    let options = SpawnOptions {
        supervised: true,
        ..SpawnOptions::default()
    };
    spawn(system.kernel(), Probe, options)
}

#[test]
fn a_restarted_incarnation_has_no_name_until_registered_again() {
    let system = system();
    let mut events = system.events();
    let r = supervised_probe(&system);
    let old = r.addr.current().expect("running");
    system.register("svc", &r).unwrap();
    assert_eq!(system.whereis::<Probe>("svc"), Ok(r.clone()));

    r.tell(ProbeMsg::Crash).ok().unwrap();
    let exited = block_on(events.next_matching(|e| matches!(e, SystemEvent::ActorExited { .. })));
    assert!(matches!(
        exited,
        Some(SystemEvent::ActorExited {
            reason: ExitReason::Panic(_),
            ..
        })
    ));
    assert_eq!(r.status(), Status::Restarting);
    assert_eq!(system.whereis::<Probe>("svc"), Err(WhereisError::NotFound));
    // Between incarnations there is nothing to name.
    assert_eq!(system.register("svc", &r), Err(RegisterError::NotRunning));

    let new = respawn(&r.addr, Probe, SpawnOptions::default());
    assert_ne!(new.pid, old.pid);
    assert_eq!(
        system.whereis::<Probe>("svc"),
        Err(WhereisError::NotFound),
        "the new incarnation has no name of its own"
    );
    // What the supervisor does on each start.
    register_incarnation(system.kernel(), "svc".into(), &r.any(), &new).unwrap();
    assert_eq!(system.whereis::<Probe>("svc"), Ok(r.clone()));
    block_on(r.ask(ProbeMsg::Ping)).unwrap();
    // The old incarnation's exit was announced: it takes no name.
    assert_eq!(
        register_incarnation(system.kernel(), "old".into(), &r.any(), &old),
        Err(RegisterError::NotRunning)
    );
    assert_eq!(system.join("g", &r), Ok(()));
    assert_eq!(system.members("g"), vec![r.any()]);
    system.shutdown_blocking().unwrap();
}

#[test]
fn a_name_registered_by_the_supervisor_goes_with_that_incarnation() {
    let system = system();
    let mut events = system.events();
    let r = supervised_probe(&system);
    r.tell(ProbeMsg::Crash).ok().unwrap();
    block_on(events.next_matching(|e| matches!(e, SystemEvent::ActorExited { .. })));
    let inc = respawn(&r.addr, Probe, SpawnOptions::default());
    register_incarnation(system.kernel(), "early".into(), &r.any(), &inc).unwrap();
    assert_eq!(
        register_incarnation(system.kernel(), "second".into(), &r.any(), &inc),
        Err(RegisterError::AlreadyNamed("early".into()))
    );
    r.kill();
    assert_eq!(system.whereis_any("early"), None);
    system.shutdown_blocking().unwrap();
}

#[test]
fn a_stale_release_leaves_a_newer_holder_alone() {
    // Rule 3, with the tables forced into the state a stale hook could
    // meet: pid 1's record names "x", but "x" is now pid 2's.
    let system = system();
    let r = system.spawn(Probe);
    let addr = Arc::downgrade(&r.addr) as std::sync::Weak<dyn AnyAddress>;
    let registry = Registry::default();
    {
        let mut tables = registry.tables.lock();
        tables.held.insert(
            Pid(1),
            Held {
                name: Some("x".into()),
                joins: [("g".into(), 1)].into_iter().collect(),
            },
        );
        tables.names.insert(
            "x".into(),
            Entry {
                pid: Pid(2),
                addr: addr.clone(),
            },
        );
        tables.groups.insert(
            "g".into(),
            vec![
                Entry {
                    pid: Pid(2),
                    addr: addr.clone(),
                },
                Entry {
                    pid: Pid(1),
                    addr: addr.clone(),
                },
            ],
        );
    }
    registry.release(Pid(1));
    {
        let tables = registry.tables.lock();
        assert_eq!(tables.names.get("x").map(|e| e.pid), Some(Pid(2)));
        let left: Vec<Pid> = tables.groups["g"].iter().map(|e| e.pid).collect();
        assert_eq!(left, vec![Pid(2)]);
        assert!(!tables.held.contains_key(&Pid(1)));
    }
    r.kill();
    system.shutdown_blocking().unwrap();
}

#[test]
fn one_hook_per_incarnation_however_often_it_registers() {
    let system = system();
    let r = system.spawn(Probe);
    for _ in 0..100 {
        system.register("n", &r).unwrap();
        assert!(system.unregister("n"));
        system.join("g", &r).unwrap();
        assert!(system.leave("g", &r));
    }
    let registry = system.kernel().extension::<Registry>();
    {
        let tables = registry.tables.lock();
        assert_eq!(tables.held.len(), 1, "one record");
        assert!(tables.names.is_empty() && tables.groups.is_empty());
    }
    let inc = r.addr.current().expect("running");
    assert_eq!(inc.hooks_before_announce(), 1, "one hook");
    r.kill();
    assert!(
        registry.tables.lock().held.is_empty(),
        "the hook ran at the kill"
    );
    system.shutdown_blocking().unwrap();
}
