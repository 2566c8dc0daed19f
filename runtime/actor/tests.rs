//! Unit tests of what only a supervisor reaches: attaching a new
//! incarnation to an address, and closing an address for good.
use std::convert::Infallible;

use crate::actor::address::AnyAddress;
use crate::actor::run::{close_address, respawn, spawn, SpawnOptions};
use crate::actor::{
    Actor, ActorRef, AskError, Context, DeadLetterReason, ExitReason, ReplyTo, Status, SystemEvent,
};
use crate::core::blocking::block_on;
use crate::System;

struct Probe {
    seen: u64,
}

enum ProbeMsg {
    Work,
    Crash,
    Seen(ReplyTo<u64>),
}

impl Actor for Probe {
    type Msg = ProbeMsg;
    type Error = Infallible;

    async fn handle(&mut self, msg: ProbeMsg, _ctx: &mut Context<Self>) -> Result<(), Infallible> {
        match msg {
            ProbeMsg::Work => self.seen += 1,
            ProbeMsg::Crash => panic!("crash on purpose"),
            ProbeMsg::Seen(r) => r.reply(self.seen),
        }
        Ok(())
    }
}

/// A probe on an address that a supervisor would restart.
fn supervised_probe(system: &System) -> ActorRef<Probe> {
    let options = SpawnOptions {
        supervised: true,
        ..SpawnOptions::default()
    };
    spawn(system.kernel(), Probe { seen: 0 }, options)
}

fn system() -> System {
    crate::testing::quiet_panics();
    System::builder().workers(2).build().unwrap()
}

#[test]
fn queued_messages_reach_the_next_incarnation() {
    let system = system();
    let mut events = system.events();
    let r = supervised_probe(&system);
    // Everything below is queued behind the crash, in this order.
    r.tell(ProbeMsg::Crash).ok().unwrap();
    for _ in 0..3 {
        r.tell(ProbeMsg::Work).ok().unwrap();
    }
    let seen = r.ask(ProbeMsg::Seen);
    let exited = block_on(events.next_matching(|e| matches!(e, SystemEvent::ActorExited { .. })));
    let Some(SystemEvent::ActorExited { reason, .. }) = exited else {
        panic!("no exit event")
    };
    assert_eq!(reason, ExitReason::Panic("crash on purpose".into()));
    assert_eq!(r.status(), Status::Restarting);
    assert_eq!(
        r.tell(ProbeMsg::Work).ok(),
        Some(()),
        "a restarting address queues"
    );

    respawn(&r.addr, Probe { seen: 0 }, SpawnOptions::default());
    // The new incarnation handles the three queued Works, then the ask
    // that waited across the restart.
    assert_eq!(block_on(seen), Ok(3));
    assert_eq!(block_on(r.ask(ProbeMsg::Seen)), Ok(4));
    assert_eq!(r.status(), Status::Running);
    system.shutdown_blocking().unwrap();
}

#[test]
fn closing_an_address_dead_letters_tells_and_fails_asks() {
    let system = system();
    let mut events = system.events();
    let r = supervised_probe(&system);
    r.tell(ProbeMsg::Crash).ok().unwrap();
    block_on(events.next_matching(|e| matches!(e, SystemEvent::ActorExited { .. })));
    r.tell(ProbeMsg::Work).ok().unwrap();
    r.tell(ProbeMsg::Work).ok().unwrap();
    let ask = r.ask(ProbeMsg::Seen);
    let before = system.dead_letters();

    let reason = ExitReason::shutdown_with("gave up");
    close_address(&r.addr, &reason);

    assert_eq!(r.status(), Status::Stopped);
    assert_eq!(block_on(ask), Err(AskError::Exited(reason.clone())));
    assert_eq!(system.dead_letters() - before, 2, "the two tells");
    let letters: Vec<_> = std::iter::from_fn(|| events.try_next())
        .filter_map(|e| match e {
            SystemEvent::DeadLetter { reason, to, .. } => Some((to, reason)),
            _ => None,
        })
        .collect();
    assert_eq!(letters, vec![(r.id(), DeadLetterReason::Closed); 2]);
    assert!(r.tell(ProbeMsg::Work).unwrap_err().is_closed());
    assert_eq!(block_on(r.ask(ProbeMsg::Seen)), Err(AskError::NotRunning));
    assert_eq!(block_on(r.wait_exit()), reason);
    system.shutdown_blocking().unwrap();
}

/// Monitors `target` from `started`, then stops when told.
struct Watcher(crate::actor::AnyRef);

impl Actor for Watcher {
    type Msg = ();
    type Error = Infallible;

    async fn started(
        &mut self,
        ctx: &mut Context<Self>,
    ) -> Result<crate::actor::Start, Infallible> {
        ctx.monitor(self.0.clone());
        Ok(crate::actor::Start::Ready)
    }

    async fn handle(&mut self, _msg: (), ctx: &mut Context<Self>) -> Result<(), Infallible> {
        ctx.stop();
        Ok(())
    }
}

#[test]
fn a_dead_watchers_monitors_leave_the_target() {
    let system = system();
    let target = system.spawn(Probe { seen: 0 });
    let watchers: Vec<_> = (0..10)
        .map(|_| block_on(system.spawn_ready(Watcher(target.any()))).unwrap())
        .collect();
    let cell = |r: &ActorRef<Probe>| r.addr.current().unwrap().cell.len();
    assert_eq!(cell(&target), 10);
    for w in &watchers {
        w.tell(()).ok().unwrap();
        block_on(w.wait_exit());
    }
    assert_eq!(cell(&target), 0, "each watcher's monitor went with it");
    system.shutdown_blocking().unwrap();
}

/// Re-arms a one-shot timer on every tick; answers how many timers its
/// context remembers.
struct Rearm;

enum RearmMsg {
    Tick,
    Kept(ReplyTo<usize>),
}

impl Actor for Rearm {
    type Msg = RearmMsg;
    type Error = Infallible;

    async fn handle(&mut self, msg: RearmMsg, ctx: &mut Context<Self>) -> Result<(), Infallible> {
        match msg {
            RearmMsg::Tick => {
                ctx.send_after(std::time::Duration::from_millis(1), RearmMsg::Tick);
            }
            RearmMsg::Kept(r) => r.reply(ctx.timer_count()),
        }
        Ok(())
    }
}

#[test]
fn fired_timers_are_forgotten() {
    let clock = crate::time::ManualClock::new();
    let system = System::builder().workers(1).clock(&clock).build().unwrap();
    let r = system.spawn(Rearm);
    r.tell(RearmMsg::Tick).ok().unwrap();
    for _ in 0..1_000 {
        // The tick re-armed its timer once the ask behind it is answered.
        block_on(r.ask(RearmMsg::Kept)).unwrap();
        clock.advance(std::time::Duration::from_millis(1));
    }
    let kept = block_on(r.ask(RearmMsg::Kept)).unwrap();
    assert!(kept <= 32, "{kept} timers remembered after 1,000 one-shots");
    system.shutdown_blocking().unwrap();
}
