//! Unit tests of the supervisor's decision machine: no threads, no actors,
//! no sleeps. Time is a base `Instant` plus offsets; pids are made up; the
//! rules checked are OTP_SEMANTICS.md §5–§10 and §13 and DESIGN.md §5.
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{shutdown_ok, Action, Flags, Key, Machine, Purpose, Refusal, Report, Slot};
use crate::actor::{Actor, Context, ExitReason, Pid};
use crate::supervisor::spec::{Backoff, ChildSpec, Restart};
use crate::supervisor::{AutoShutdown, Strategy};

/// The actor behind every spec: never started here.
struct Dummy;

impl Actor for Dummy {
    type Msg = ();
    type Error = Infallible;

    async fn handle(&mut self, _msg: (), _ctx: &mut Context<Self>) -> Result<(), Infallible> {
        Ok(())
    }
}

// ---- helpers ----

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn flags(strategy: Strategy, max_restarts: u32) -> Flags {
    Flags {
        strategy,
        max_restarts,
        within: Duration::from_secs(5),
        auto_shutdown: AutoShutdown::Never,
        dynamic: false,
        max_children: None,
    }
}

fn dynamic_flags(max_children: Option<usize>) -> Flags {
    Flags {
        dynamic: true,
        max_children,
        ..flags(Strategy::OneForOne, 3)
    }
}

fn auto_flags(strategy: Strategy, auto_shutdown: AutoShutdown) -> Flags {
    Flags {
        auto_shutdown,
        ..flags(strategy, 3)
    }
}

fn worker(id: &str) -> ChildSpec {
    ChildSpec::worker(id, || Dummy)
}

fn transient(id: &str) -> ChildSpec {
    worker(id).restart(Restart::Transient)
}

fn temporary(id: &str) -> ChildSpec {
    worker(id).restart(Restart::Temporary)
}

fn panic_reason() -> ExitReason {
    ExitReason::Panic("boom".into())
}

fn error_reason() -> ExitReason {
    ExitReason::error(std::io::Error::other("failed"))
}

fn normal_family() -> Vec<ExitReason> {
    vec![
        ExitReason::Normal,
        ExitReason::Shutdown,
        ExitReason::shutdown_with("done"),
    ]
}

fn abnormal() -> Vec<ExitReason> {
    vec![ExitReason::Killed, panic_reason(), error_reason()]
}

fn exited(id: &str, pid: Pid, reason: &ExitReason) -> Action {
    Action::Report(Report::Exited {
        child: Arc::from(id),
        pid,
        reason: reason.clone(),
    })
}

fn terminated(id: &str, reason: &ExitReason) -> Action {
    Action::Report(Report::Terminated {
        child: Arc::from(id),
        reason: reason.clone(),
    })
}

fn start_error(id: &str, reason: &ExitReason) -> Action {
    Action::Report(Report::StartError {
        child: Arc::from(id),
        reason: reason.clone(),
    })
}

fn gave_up(id: &str, reason: &ExitReason) -> Action {
    Action::Report(Report::GaveUp {
        child: Arc::from(id),
        reason: reason.clone(),
    })
}

fn auto_shutdown(id: &str) -> Action {
    Action::Report(Report::AutoShutdown {
        child: Arc::from(id),
    })
}

fn exit_shutdown() -> Action {
    Action::Exit(ExitReason::Shutdown)
}

/// A machine whose children were all started (in order, pids 1, 2, ...)
/// at `t`, with fresh pids for later starts.
struct Harness {
    m: Machine,
    next_pid: u64,
}

impl Harness {
    fn new(flags: Flags, specs: Vec<ChildSpec>, t: Instant) -> Harness {
        let mut h = Harness {
            m: Machine::new(flags, specs),
            next_pid: 1,
        };
        for key in h.m.init_order() {
            let pid = h.pid();
            assert!(h.m.started(key, pid, Purpose::Init, t).is_empty());
        }
        h
    }

    fn pid(&mut self) -> Pid {
        let pid = Pid(self.next_pid);
        self.next_pid += 1;
        pid
    }

    fn key(&self, id: &str) -> Key {
        self.m
            .by_id(id)
            .unwrap_or_else(|| panic!("no child {id}"))
            .key
    }

    fn slot(&self, id: &str) -> Slot {
        self.m
            .by_id(id)
            .unwrap_or_else(|| panic!("no child {id}"))
            .slot
    }

    fn running(&self, id: &str) -> Pid {
        match self.slot(id) {
            Slot::Running(pid) => pid,
            other => panic!("child {id} is {other:?}, not running"),
        }
    }

    fn ids(&self) -> Vec<String> {
        self.m
            .children()
            .iter()
            .map(|c| c.spec.id.to_string())
            .collect()
    }

    /// The running child `id` exits by itself.
    fn exit(&mut self, id: &str, reason: &ExitReason, now: Instant) -> Vec<Action> {
        let pid = self.running(id);
        self.m.exited(pid, reason, now)
    }

    /// Feeds a successful start for the `Start` that ends `actions`, and
    /// for each `Start` that follows, until none does. Returns the keys
    /// started, in order.
    fn start_chain(&mut self, actions: &[Action], now: Instant) -> Vec<Key> {
        let mut started = Vec::new();
        let mut next = match actions.last() {
            Some(Action::Start(key, purpose)) => Some((*key, *purpose)),
            _ => None,
        };
        while let Some((key, purpose)) = next {
            started.push(key);
            let pid = self.pid();
            let out = self.m.started(key, pid, purpose, now);
            next = match out.as_slice() {
                [] => None,
                [Action::Start(k, p)] => Some((*k, *p)),
                other => panic!("a start answered {other:?}"),
            };
        }
        started
    }

    /// Crashes `id` and completes its immediate restart.
    fn crash_and_restart(&mut self, id: &str, now: Instant) {
        let actions = self.exit(id, &panic_reason(), now);
        assert!(
            matches!(actions.last(), Some(Action::Start(_, Purpose::Restart))),
            "expected a restart of {id}, got {actions:?}"
        );
        self.start_chain(&actions, now);
        assert!(matches!(self.slot(id), Slot::Running(_)));
    }
}

// ---- the restart matrix (OTP_SEMANTICS.md §5) ----

#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    /// Restarted, `child_terminated` reported, one restart counted.
    Restarted,
    /// Not restarted, spec kept (stopped), no report, not counted.
    Kept,
    /// Not restarted, spec removed, reported or not, not counted.
    Removed { reported: bool },
}

/// One cell: child "a" of `restart` type exits with `reason`; sibling "b"
/// (permanent) then crashes under a limit of 1 restart, which gives up
/// exactly when "a"'s exit consumed the one restart allowed.
fn matrix_cell(restart: Restart, reason: ExitReason, expect: Outcome) {
    let t0 = Instant::now();
    let t1 = t0 + ms(10);
    let t2 = t0 + ms(20);
    let mut h = Harness::new(
        flags(Strategy::OneForOne, 1),
        vec![worker("a").restart(restart), worker("b")],
        t0,
    );
    let a = h.key("a");
    let pid = h.running("a");
    let actions = h.m.exited(pid, &reason, t1);
    assert_eq!(
        actions.first(),
        Some(&exited("a", pid, &reason)),
        "Exited comes first"
    );
    let mut want = vec![exited("a", pid, &reason)];
    match expect {
        Outcome::Restarted => {
            want.push(terminated("a", &reason));
            want.push(Action::Start(a, Purpose::Restart));
        }
        Outcome::Kept => want.push(Action::Close(a, reason.clone())),
        Outcome::Removed { reported } => {
            if reported {
                want.push(terminated("a", &reason));
            }
            want.push(Action::Close(a, reason.clone()));
        }
    }
    assert_eq!(actions, want);

    match expect {
        Outcome::Restarted => {
            assert_eq!(h.slot("a"), Slot::Restarting);
            assert_eq!(h.m.restarts_in_window(t1), 1);
            assert_eq!(h.start_chain(&actions, t1), vec![a]);
            assert!(matches!(h.slot("a"), Slot::Running(p) if p != pid));
        }
        Outcome::Kept => {
            assert_eq!(h.ids(), ["a", "b"]);
            assert_eq!(h.slot("a"), Slot::Stopped);
            assert_eq!(h.m.restarts_in_window(t1), 0);
        }
        Outcome::Removed { .. } => {
            assert_eq!(h.ids(), ["b"]);
            assert_eq!(h.m.restarts_in_window(t1), 0);
        }
    }

    // The later crash of "b" shows whether "a"'s exit used the budget.
    let b = h.key("b");
    let b_pid = h.running("b");
    let crash = panic_reason();
    let actions = h.m.exited(b_pid, &crash, t2);
    if expect == Outcome::Restarted {
        assert_eq!(
            actions,
            vec![
                exited("b", b_pid, &crash),
                terminated("b", &crash),
                gave_up("b", &crash),
                exit_shutdown(),
            ]
        );
    } else {
        assert_eq!(
            actions,
            vec![
                exited("b", b_pid, &crash),
                terminated("b", &crash),
                Action::Start(b, Purpose::Restart),
            ]
        );
    }
}

#[test]
fn permanent_normal_exit_is_restarted_reported_and_counted() {
    matrix_cell(Restart::Permanent, ExitReason::Normal, Outcome::Restarted);
}

#[test]
fn permanent_shutdown_exit_is_restarted_reported_and_counted() {
    matrix_cell(Restart::Permanent, ExitReason::Shutdown, Outcome::Restarted);
}

#[test]
fn permanent_shutdown_with_exit_is_restarted_reported_and_counted() {
    matrix_cell(
        Restart::Permanent,
        ExitReason::shutdown_with("done"),
        Outcome::Restarted,
    );
}

#[test]
fn permanent_killed_exit_is_restarted_reported_and_counted() {
    matrix_cell(Restart::Permanent, ExitReason::Killed, Outcome::Restarted);
}

#[test]
fn permanent_panic_exit_is_restarted_reported_and_counted() {
    matrix_cell(Restart::Permanent, panic_reason(), Outcome::Restarted);
}

#[test]
fn permanent_error_exit_is_restarted_reported_and_counted() {
    matrix_cell(Restart::Permanent, error_reason(), Outcome::Restarted);
}

#[test]
fn transient_normal_exit_is_not_restarted_spec_kept_unreported_uncounted() {
    matrix_cell(Restart::Transient, ExitReason::Normal, Outcome::Kept);
}

#[test]
fn transient_shutdown_exit_is_not_restarted_spec_kept_unreported_uncounted() {
    matrix_cell(Restart::Transient, ExitReason::Shutdown, Outcome::Kept);
}

#[test]
fn transient_shutdown_with_exit_is_not_restarted_spec_kept_unreported_uncounted() {
    matrix_cell(
        Restart::Transient,
        ExitReason::shutdown_with("done"),
        Outcome::Kept,
    );
}

#[test]
fn transient_killed_exit_is_restarted_reported_and_counted() {
    matrix_cell(Restart::Transient, ExitReason::Killed, Outcome::Restarted);
}

#[test]
fn transient_panic_exit_is_restarted_reported_and_counted() {
    matrix_cell(Restart::Transient, panic_reason(), Outcome::Restarted);
}

#[test]
fn transient_error_exit_is_restarted_reported_and_counted() {
    matrix_cell(Restart::Transient, error_reason(), Outcome::Restarted);
}

#[test]
fn temporary_normal_exit_is_not_restarted_spec_removed_unreported_uncounted() {
    matrix_cell(
        Restart::Temporary,
        ExitReason::Normal,
        Outcome::Removed { reported: false },
    );
}

#[test]
fn temporary_shutdown_exit_is_not_restarted_spec_removed_unreported_uncounted() {
    matrix_cell(
        Restart::Temporary,
        ExitReason::Shutdown,
        Outcome::Removed { reported: false },
    );
}

#[test]
fn temporary_shutdown_with_exit_is_not_restarted_spec_removed_unreported_uncounted() {
    matrix_cell(
        Restart::Temporary,
        ExitReason::shutdown_with("done"),
        Outcome::Removed { reported: false },
    );
}

#[test]
fn temporary_killed_exit_is_not_restarted_spec_removed_reported_uncounted() {
    matrix_cell(
        Restart::Temporary,
        ExitReason::Killed,
        Outcome::Removed { reported: true },
    );
}

#[test]
fn temporary_panic_exit_is_not_restarted_spec_removed_reported_uncounted() {
    matrix_cell(
        Restart::Temporary,
        panic_reason(),
        Outcome::Removed { reported: true },
    );
}

#[test]
fn temporary_error_exit_is_not_restarted_spec_removed_reported_uncounted() {
    matrix_cell(
        Restart::Temporary,
        error_reason(),
        Outcome::Removed { reported: true },
    );
}

// ---- restart intensity (§6) ----

#[test]
fn intensity_n_restarts_are_allowed_and_the_n_plus_first_gives_up() {
    for n in 1..=5u32 {
        let t0 = Instant::now();
        let mut h = Harness::new(flags(Strategy::OneForOne, n), vec![worker("a")], t0);
        for i in 1..=n {
            h.crash_and_restart("a", t0 + ms(u64::from(i)));
            assert_eq!(h.m.restarts_in_window(t0 + ms(u64::from(i))), i as usize);
        }
        let pid = h.running("a");
        let reason = panic_reason();
        let actions = h.exit("a", &reason, t0 + ms(100));
        assert_eq!(
            actions,
            vec![
                exited("a", pid, &reason),
                terminated("a", &reason),
                gave_up("a", &reason),
                exit_shutdown(),
            ],
            "intensity {n}"
        );
        // The offending child is out of the running set.
        assert_eq!(h.slot("a"), Slot::Stopped);
    }
}

#[test]
fn intensity_zero_gives_up_on_the_first_restart() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForOne, 0),
        vec![worker("a"), worker("b")],
        t0,
    );
    let pid = h.running("b");
    let reason = ExitReason::Killed;
    let actions = h.exit("b", &reason, t0 + ms(1));
    assert_eq!(
        actions,
        vec![
            exited("b", pid, &reason),
            terminated("b", &reason),
            gave_up("b", &reason),
            exit_shutdown(),
        ]
    );
    assert_eq!(h.slot("b"), Slot::Stopped);
    assert!(matches!(h.slot("a"), Slot::Running(_)));
}

#[test]
fn restarts_older_than_the_window_are_forgotten() {
    let t0 = Instant::now();
    let mut h = Harness::new(flags(Strategy::OneForOne, 2), vec![worker("a")], t0);
    h.crash_and_restart("a", t0);
    h.crash_and_restart("a", t0 + ms(1));
    // Both are more than 5 s old at the third crash: it is allowed.
    let later = t0 + ms(1) + Duration::from_secs(5) + Duration::from_nanos(1);
    assert_eq!(h.m.restarts_in_window(later), 0);
    h.crash_and_restart("a", later);
    assert_eq!(h.m.restarts_in_window(later), 1);
    h.crash_and_restart("a", later + ms(1));
    // The window is full again.
    let actions = h.exit("a", &panic_reason(), later + ms(2));
    assert_eq!(actions[actions.len() - 1], exit_shutdown());
}

#[test]
fn window_boundary_is_inclusive_a_restart_exactly_within_old_still_counts() {
    let t0 = Instant::now();
    let within = Duration::from_secs(5);
    let mut h = Harness::new(flags(Strategy::OneForOne, 1), vec![worker("a")], t0);
    h.crash_and_restart("a", t0);
    assert_eq!(h.m.restarts_in_window(t0 + within), 1);
    let reason = panic_reason();
    let actions = h.exit("a", &reason, t0 + within);
    assert_eq!(
        &actions[2..],
        &[gave_up("a", &reason), exit_shutdown()],
        "a restart exactly `within` old is still in the window"
    );
}

#[test]
fn window_boundary_a_restart_one_nanosecond_older_than_within_is_forgotten() {
    let t0 = Instant::now();
    let older = t0 + Duration::from_secs(5) + Duration::from_nanos(1);
    let mut h = Harness::new(flags(Strategy::OneForOne, 1), vec![worker("a")], t0);
    h.crash_and_restart("a", t0);
    assert_eq!(h.m.restarts_in_window(older), 0);
    h.crash_and_restart("a", older);
    assert_eq!(h.m.restarts_in_window(older), 1);
}

#[test]
fn restart_count_is_shared_across_children() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForOne, 2),
        vec![worker("a"), worker("b"), worker("c")],
        t0,
    );
    h.crash_and_restart("a", t0 + ms(1));
    h.crash_and_restart("b", t0 + ms(2));
    assert_eq!(h.m.restarts_in_window(t0 + ms(2)), 2);
    let pid = h.running("c");
    let reason = error_reason();
    let actions = h.exit("c", &reason, t0 + ms(3));
    assert_eq!(
        actions,
        vec![
            exited("c", pid, &reason),
            terminated("c", &reason),
            gave_up("c", &reason),
            exit_shutdown(),
        ]
    );
}

#[test]
fn one_for_all_cycle_counts_as_one_restart() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForAll, 1),
        vec![worker("a"), worker("b"), worker("c")],
        t0,
    );
    let actions = h.exit("b", &panic_reason(), t0 + ms(1));
    assert_eq!(h.start_chain(&actions, t0 + ms(1)).len(), 3);
    assert_eq!(h.m.restarts_in_window(t0 + ms(1)), 1);
    // The one restart allowed is used: the next gives up.
    let actions = h.exit("c", &panic_reason(), t0 + ms(2));
    assert_eq!(actions.last(), Some(&exit_shutdown()));
    assert!(actions.contains(&gave_up("c", &panic_reason())));
}

#[test]
fn rest_for_one_cycle_counts_as_one_restart() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::RestForOne, 1),
        vec![worker("a"), worker("b"), worker("c")],
        t0,
    );
    let actions = h.exit("a", &panic_reason(), t0 + ms(1));
    assert_eq!(h.start_chain(&actions, t0 + ms(1)).len(), 3);
    assert_eq!(h.m.restarts_in_window(t0 + ms(1)), 1);
}

// ---- strategies (§7) ----

#[test]
fn one_for_one_restarts_only_the_exited_child() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForOne, 3),
        vec![worker("a"), worker("b"), worker("c")],
        t0,
    );
    let (a, c) = (h.running("a"), h.running("c"));
    let b = h.key("b");
    let pid = h.running("b");
    let reason = panic_reason();
    let actions = h.exit("b", &reason, t0 + ms(1));
    assert_eq!(
        actions,
        vec![
            exited("b", pid, &reason),
            terminated("b", &reason),
            Action::Start(b, Purpose::Restart),
        ]
    );
    assert_eq!(h.start_chain(&actions, t0 + ms(1)), vec![b]);
    assert_eq!(h.slot("a"), Slot::Running(a));
    assert_eq!(h.slot("c"), Slot::Running(c));
}

#[test]
fn one_for_all_terminates_others_in_reverse_start_order_then_starts_all_in_start_order() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForAll, 3),
        vec![worker("a"), worker("b"), worker("c"), worker("d")],
        t0,
    );
    let [a, b, c, d] = ["a", "b", "c", "d"].map(|id| h.key(id));
    let pid = h.running("b");
    let reason = panic_reason();
    let actions = h.exit("b", &reason, t0 + ms(1));
    assert_eq!(
        actions,
        vec![
            exited("b", pid, &reason),
            terminated("b", &reason),
            Action::Terminate(d),
            Action::Terminate(c),
            Action::Terminate(a),
            Action::Start(a, Purpose::Restart),
        ]
    );
    for id in ["a", "b", "c", "d"] {
        assert_eq!(h.slot(id), Slot::Restarting, "{id}");
    }
    // One start at a time: each `started` answers the next `Start`.
    let now = t0 + ms(1);
    let p = h.pid();
    assert_eq!(
        h.m.started(a, p, Purpose::Restart, now),
        vec![Action::Start(b, Purpose::Restart)]
    );
    assert_eq!(h.slot("b"), Slot::Restarting);
    let p = h.pid();
    assert_eq!(
        h.m.started(b, p, Purpose::Restart, now),
        vec![Action::Start(c, Purpose::Restart)]
    );
    let p = h.pid();
    assert_eq!(
        h.m.started(c, p, Purpose::Restart, now),
        vec![Action::Start(d, Purpose::Restart)]
    );
    let p = h.pid();
    assert_eq!(h.m.started(d, p, Purpose::Restart, now), vec![]);
    for id in ["a", "b", "c", "d"] {
        assert!(matches!(h.slot(id), Slot::Running(_)), "{id}");
    }
}

#[test]
fn one_for_all_terminates_and_removes_temporary_siblings() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForAll, 3),
        vec![worker("a"), temporary("t"), worker("c")],
        t0,
    );
    let [a, t, c] = ["a", "t", "c"].map(|id| h.key(id));
    let pid = h.running("a");
    let reason = panic_reason();
    let actions = h.exit("a", &reason, t0 + ms(1));
    assert_eq!(
        actions,
        vec![
            exited("a", pid, &reason),
            terminated("a", &reason),
            Action::Terminate(c),
            Action::Terminate(t),
            Action::Close(t, ExitReason::Shutdown),
            Action::Start(a, Purpose::Restart),
        ]
    );
    assert_eq!(h.ids(), ["a", "c"]);
    assert_eq!(h.start_chain(&actions, t0 + ms(1)), vec![a, c]);
}

#[test]
fn rest_for_one_cycles_only_later_siblings_and_leaves_earlier_untouched() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::RestForOne, 3),
        vec![worker("a"), worker("b"), worker("c"), worker("d")],
        t0,
    );
    let [b, c, d] = ["b", "c", "d"].map(|id| h.key(id));
    let a_pid = h.running("a");
    let pid = h.running("b");
    let reason = ExitReason::Killed;
    let actions = h.exit("b", &reason, t0 + ms(1));
    assert_eq!(
        actions,
        vec![
            exited("b", pid, &reason),
            terminated("b", &reason),
            Action::Terminate(d),
            Action::Terminate(c),
            Action::Start(b, Purpose::Restart),
        ]
    );
    assert_eq!(h.slot("a"), Slot::Running(a_pid));
    assert_eq!(h.start_chain(&actions, t0 + ms(1)), vec![b, c, d]);
    assert_eq!(h.slot("a"), Slot::Running(a_pid));
}

#[test]
fn rest_for_one_removes_later_temporary_siblings() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::RestForOne, 3),
        vec![temporary("t0"), worker("b"), temporary("t"), worker("d")],
        t0,
    );
    let [b, t, d] = ["b", "t", "d"].map(|id| h.key(id));
    let actions = h.exit("b", &panic_reason(), t0 + ms(1));
    assert_eq!(
        &actions[2..],
        &[
            Action::Terminate(d),
            Action::Terminate(t),
            Action::Close(t, ExitReason::Shutdown),
            Action::Start(b, Purpose::Restart),
        ]
    );
    // The earlier temporary is untouched.
    assert_eq!(h.ids(), ["t0", "b", "d"]);
    assert!(matches!(h.slot("t0"), Slot::Running(_)));
    assert_eq!(h.start_chain(&actions, t0 + ms(1)), vec![b, d]);
}

#[test]
fn one_for_all_also_restarts_a_sibling_stopped_with_terminate() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForAll, 3),
        vec![worker("a"), worker("b"), worker("c")],
        t0,
    );
    let [a, b, c] = ["a", "b", "c"].map(|id| h.key(id));
    assert_eq!(
        h.m.terminate(b),
        Ok(vec![
            Action::Terminate(b),
            Action::Close(b, ExitReason::Shutdown)
        ])
    );
    assert_eq!(h.slot("b"), Slot::Stopped);
    let actions = h.exit("a", &panic_reason(), t0 + ms(1));
    // The stopped sibling has nothing to terminate, but is started.
    assert_eq!(
        &actions[2..],
        &[Action::Terminate(c), Action::Start(a, Purpose::Restart)]
    );
    assert_eq!(h.start_chain(&actions, t0 + ms(1)), vec![a, b, c]);
    assert!(matches!(h.slot("b"), Slot::Running(_)));
}

#[test]
fn rest_for_one_also_restarts_a_later_sibling_stopped_with_terminate() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::RestForOne, 3),
        vec![worker("a"), worker("b"), worker("c")],
        t0,
    );
    let [a, b, c] = ["a", "b", "c"].map(|id| h.key(id));
    h.m.terminate(a).unwrap();
    h.m.terminate(c).unwrap();
    let actions = h.exit("b", &panic_reason(), t0 + ms(1));
    assert_eq!(&actions[2..], &[Action::Start(b, Purpose::Restart)]);
    assert_eq!(h.start_chain(&actions, t0 + ms(1)), vec![b, c]);
    // The earlier one stays stopped.
    assert_eq!(h.slot("a"), Slot::Stopped);
}

#[test]
fn ignored_start_within_a_cycle_leaves_that_child_stopped_and_goes_on() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForAll, 3),
        vec![worker("a"), worker("b"), worker("c")],
        t0,
    );
    let [a, b, c] = ["a", "b", "c"].map(|id| h.key(id));
    let actions = h.exit("a", &panic_reason(), t0 + ms(1));
    assert_eq!(actions.last(), Some(&Action::Start(a, Purpose::Restart)));
    let p = h.pid();
    assert_eq!(
        h.m.started(a, p, Purpose::Restart, t0 + ms(1)),
        vec![Action::Start(b, Purpose::Restart)]
    );
    assert_eq!(
        h.m.ignored(b, Purpose::Restart),
        vec![
            Action::Close(b, ExitReason::Normal),
            Action::Start(c, Purpose::Restart)
        ]
    );
    assert_eq!(h.slot("b"), Slot::Stopped);
}

#[test]
fn shutdown_order_is_reverse_start_order_of_running_children() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForOne, 3),
        vec![worker("a"), worker("b"), worker("c"), worker("d")],
        t0,
    );
    let [a, b, c, d] = ["a", "b", "c", "d"].map(|id| h.key(id));
    assert_eq!(h.m.init_order(), vec![a, b, c, d]);
    assert_eq!(h.m.shutdown_order(), vec![d, c, b, a]);
    h.m.terminate(c).unwrap();
    assert_eq!(h.m.shutdown_order(), vec![d, b, a]);
}

// ---- failed restarts (§6, §13.2, §13.8) ----

#[test]
fn failed_restart_reports_start_error_marks_restarting_and_emits_retry() {
    let t0 = Instant::now();
    let mut h = Harness::new(flags(Strategy::OneForOne, 3), vec![worker("a")], t0);
    let a = h.key("a");
    let actions = h.exit("a", &panic_reason(), t0 + ms(1));
    assert_eq!(actions.last(), Some(&Action::Start(a, Purpose::Restart)));
    let why = error_reason();
    let actions = h.m.start_failed(a, &why, Purpose::Restart, t0 + ms(1));
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert_eq!(actions[0], start_error("a", &why));
    assert!(matches!(actions[1], Action::Retry(k, _) if k == a));
    assert_eq!(h.slot("a"), Slot::Restarting);
    // Not counted until retried.
    assert_eq!(h.m.restarts_in_window(t0 + ms(1)), 1);
}

#[test]
fn failed_restart_in_a_cycle_leaves_later_children_restarting_with_it() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForAll, 3),
        vec![worker("a"), worker("b"), worker("c"), worker("d")],
        t0,
    );
    let [a, b, c, d] = ["a", "b", "c", "d"].map(|id| h.key(id));
    let actions = h.exit("a", &panic_reason(), t0 + ms(1));
    assert_eq!(actions.last(), Some(&Action::Start(a, Purpose::Restart)));
    let p = h.pid();
    assert_eq!(
        h.m.started(a, p, Purpose::Restart, t0 + ms(1)),
        vec![Action::Start(b, Purpose::Restart)]
    );
    let why = error_reason();
    let actions = h.m.start_failed(b, &why, Purpose::Restart, t0 + ms(1));
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert_eq!(actions[0], start_error("b", &why));
    let Action::Retry(k, generation) = actions[1] else {
        panic!("{actions:?}")
    };
    assert_eq!(k, b);
    assert_eq!(h.slot("a"), Slot::Running(p));
    // c and d keep their addresses (no Close): they wait for b's retry.
    assert_eq!(h.slot("b"), Slot::Restarting);
    assert_eq!(h.slot("c"), Slot::Restarting);
    assert_eq!(h.slot("d"), Slot::Restarting);
    // The retry cycles everyone again, c and d included.
    let actions = h.m.retry(b, generation, t0 + ms(2));
    assert_eq!(
        actions,
        vec![Action::Terminate(a), Action::Start(a, Purpose::Restart)]
    );
    let p2 = h.pid();
    assert_eq!(
        h.m.started(a, p2, Purpose::Restart, t0 + ms(2)),
        vec![Action::Start(b, Purpose::Restart)]
    );
    let p3 = h.pid();
    assert_eq!(
        h.m.started(b, p3, Purpose::Restart, t0 + ms(2)),
        vec![Action::Start(c, Purpose::Restart)]
    );
    let p4 = h.pid();
    assert_eq!(
        h.m.started(c, p4, Purpose::Restart, t0 + ms(2)),
        vec![Action::Start(d, Purpose::Restart)]
    );
}

#[test]
fn cancelling_a_failed_cycles_retry_stops_the_children_waiting_on_it() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForAll, 3),
        vec![worker("a"), worker("b"), worker("c")],
        t0,
    );
    let [a, b, c] = ["a", "b", "c"].map(|id| h.key(id));
    h.exit("a", &panic_reason(), t0 + ms(1));
    let p = h.pid();
    h.m.started(a, p, Purpose::Restart, t0 + ms(1));
    h.m.start_failed(b, &error_reason(), Purpose::Restart, t0 + ms(1));
    assert_eq!(h.slot("c"), Slot::Restarting);
    let actions = h.m.terminate(b).unwrap();
    assert_eq!(
        actions,
        vec![
            Action::Close(b, ExitReason::Shutdown),
            Action::Close(c, ExitReason::Shutdown)
        ]
    );
    assert_eq!(h.slot("b"), Slot::Stopped);
    assert_eq!(h.slot("c"), Slot::Stopped);
    assert_eq!(h.slot("a"), Slot::Running(p));
}

#[test]
fn retry_with_the_current_generation_counts_again_and_restarts() {
    let t0 = Instant::now();
    let mut h = Harness::new(flags(Strategy::OneForOne, 3), vec![worker("a")], t0);
    let a = h.key("a");
    h.exit("a", &panic_reason(), t0 + ms(1));
    let actions =
        h.m.start_failed(a, &error_reason(), Purpose::Restart, t0 + ms(1));
    let Some(&Action::Retry(_, generation)) = actions.last() else {
        panic!("no retry in {actions:?}");
    };
    assert_eq!(h.m.restarts_in_window(t0 + ms(2)), 1);
    let actions = h.m.retry(a, generation, t0 + ms(2));
    assert_eq!(actions, vec![Action::Start(a, Purpose::Restart)]);
    assert_eq!(h.m.restarts_in_window(t0 + ms(2)), 2);
    assert_eq!(h.start_chain(&actions, t0 + ms(2)), vec![a]);
    assert!(matches!(h.slot("a"), Slot::Running(_)));
}

#[test]
fn retry_in_one_for_all_cycles_the_siblings_again() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForAll, 3),
        vec![worker("a"), worker("b"), worker("c")],
        t0,
    );
    let [a, b, c] = ["a", "b", "c"].map(|id| h.key(id));
    let actions = h.exit("a", &panic_reason(), t0 + ms(1));
    let p = h.pid();
    assert_eq!(actions.last(), Some(&Action::Start(a, Purpose::Restart)));
    h.m.started(a, p, Purpose::Restart, t0 + ms(1));
    let actions =
        h.m.start_failed(b, &error_reason(), Purpose::Restart, t0 + ms(1));
    let Some(&Action::Retry(_, generation)) = actions.last() else {
        panic!("no retry in {actions:?}");
    };
    let actions = h.m.retry(b, generation, t0 + ms(2));
    assert_eq!(
        actions,
        vec![Action::Terminate(a), Action::Start(a, Purpose::Restart)]
    );
    assert_eq!(h.start_chain(&actions, t0 + ms(2)), vec![a, b, c]);
}

#[test]
fn never_starting_child_gets_exactly_n_failed_start_attempts_before_give_up() {
    for n in 0..=5u32 {
        let t0 = Instant::now();
        let mut h = Harness::new(flags(Strategy::OneForOne, n), vec![worker("a")], t0);
        let a = h.key("a");
        let why = error_reason();
        let mut actions = h.exit("a", &panic_reason(), t0);
        let mut attempts = 0;
        let mut step = 0u64;
        loop {
            step += 1;
            let now = t0 + ms(step);
            match actions.last() {
                Some(Action::Start(k, Purpose::Restart)) => {
                    assert_eq!(*k, a);
                    attempts += 1;
                    actions = h.m.start_failed(a, &why, Purpose::Restart, now);
                }
                Some(&Action::Retry(k, generation)) => {
                    assert_eq!(k, a);
                    actions = h.m.retry(k, generation, now);
                }
                Some(Action::Exit(ExitReason::Shutdown)) => break,
                other => panic!("unexpected {other:?}"),
            }
            assert!(step < 100, "no give-up");
        }
        assert_eq!(attempts, n, "intensity {n}");
        let reason = if n == 0 { panic_reason() } else { why.clone() };
        assert_eq!(
            &actions[actions.len() - 2..],
            &[gave_up("a", &reason), exit_shutdown()],
            "a give-up while retrying names the start failure"
        );
    }
}

#[test]
fn stale_retry_after_terminate_is_ignored() {
    let t0 = Instant::now();
    let mut h = Harness::new(flags(Strategy::OneForOne, 3), vec![worker("a")], t0);
    let a = h.key("a");
    h.exit("a", &panic_reason(), t0 + ms(1));
    let actions =
        h.m.start_failed(a, &error_reason(), Purpose::Restart, t0 + ms(1));
    let Some(&Action::Retry(_, generation)) = actions.last() else {
        panic!("no retry in {actions:?}");
    };
    h.m.terminate(a).unwrap();
    // Started again by hand meanwhile: the old retry stays stale.
    assert_eq!(h.m.restart(a), Ok(vec![Action::Start(a, Purpose::Manual)]));
    let p = h.pid();
    h.m.started(a, p, Purpose::Manual, t0 + ms(2));
    assert_eq!(h.m.retry(a, generation, t0 + ms(3)), vec![]);
    assert_eq!(h.slot("a"), Slot::Running(p));
    assert_eq!(h.m.restarts_in_window(t0 + ms(3)), 1);
}

#[test]
fn stale_retry_after_a_newer_cycle_is_ignored() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForAll, 10),
        vec![worker("a"), worker("b")],
        t0,
    );
    let [a, b] = ["a", "b"].map(|id| h.key(id));
    // a's restart fails: a retry is pending.
    let actions = h.exit("a", &panic_reason(), t0 + ms(1));
    assert_eq!(actions.last(), Some(&Action::Start(a, Purpose::Restart)));
    let actions =
        h.m.start_failed(a, &error_reason(), Purpose::Restart, t0 + ms(1));
    let Some(&Action::Retry(_, old)) = actions.last() else {
        panic!("no retry in {actions:?}");
    };
    // A newer decision: that retry is handled and a fails again.
    let actions = h.m.retry(a, old, t0 + ms(2));
    assert_eq!(actions, vec![Action::Start(a, Purpose::Restart)]);
    let actions =
        h.m.start_failed(a, &error_reason(), Purpose::Restart, t0 + ms(2));
    let Some(&Action::Retry(_, newer)) = actions.last() else {
        panic!("no retry in {actions:?}");
    };
    assert_ne!(old, newer);
    // The old retry (a duplicate) is ignored and not counted.
    let before = h.m.restarts_in_window(t0 + ms(3));
    assert_eq!(h.m.retry(a, old, t0 + ms(3)), vec![]);
    assert_eq!(h.m.restarts_in_window(t0 + ms(3)), before);
    assert_eq!(h.slot("a"), Slot::Restarting);
    // The current one proceeds.
    let actions = h.m.retry(a, newer, t0 + ms(3));
    assert_eq!(actions, vec![Action::Start(a, Purpose::Restart)]);
    assert_eq!(h.start_chain(&actions, t0 + ms(3)), vec![a, b]);
}

#[test]
fn stale_retry_after_a_sibling_cycle_restarted_the_child_is_ignored() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForAll, 10),
        vec![worker("a"), worker("b")],
        t0,
    );
    let [a, b] = ["a", "b"].map(|id| h.key(id));
    // b crashes; in its cycle b's start fails: b is retried, a runs.
    let actions = h.exit("b", &panic_reason(), t0 + ms(1));
    let p = h.pid();
    assert_eq!(actions.last(), Some(&Action::Start(a, Purpose::Restart)));
    h.m.started(a, p, Purpose::Restart, t0 + ms(1));
    let actions =
        h.m.start_failed(b, &error_reason(), Purpose::Restart, t0 + ms(1));
    let Some(&Action::Retry(_, stale)) = actions.last() else {
        panic!("no retry in {actions:?}");
    };
    // Before the retry arrives, a crashes: its cycle restarts b as well.
    let actions = h.exit("a", &panic_reason(), t0 + ms(2));
    assert_eq!(h.start_chain(&actions, t0 + ms(2)), vec![a, b]);
    let b_pid = h.running("b");
    let count = h.m.restarts_in_window(t0 + ms(3));
    assert_eq!(h.m.retry(b, stale, t0 + ms(3)), vec![]);
    assert_eq!(h.slot("b"), Slot::Running(b_pid));
    assert_eq!(h.m.restarts_in_window(t0 + ms(3)), count);
}

#[test]
fn terminate_of_a_restarting_child_is_ok_leaves_it_stopped_and_drops_the_retry() {
    let t0 = Instant::now();
    let mut h = Harness::new(flags(Strategy::OneForOne, 3), vec![worker("a")], t0);
    let a = h.key("a");
    h.exit("a", &panic_reason(), t0 + ms(1));
    let actions =
        h.m.start_failed(a, &error_reason(), Purpose::Restart, t0 + ms(1));
    let Some(&Action::Retry(_, generation)) = actions.last() else {
        panic!("no retry in {actions:?}");
    };
    assert_eq!(
        h.m.terminate(a),
        Ok(vec![Action::Close(a, ExitReason::Shutdown)]),
        "nothing runs, so nothing to terminate"
    );
    assert_eq!(h.slot("a"), Slot::Stopped);
    assert_eq!(h.m.retry(a, generation, t0 + ms(2)), vec![]);
    assert_eq!(h.slot("a"), Slot::Stopped);
    assert_eq!(h.m.restarts_in_window(t0 + ms(2)), 1);
}

// ---- restart_delay (DESIGN.md §5, `Backoff`) ----

fn delayed(id: &str, backoff: Backoff) -> ChildSpec {
    worker(id).restart_delay(backoff)
}

/// Crashes `id` at `now` and returns its `Delay`'s generation and delay.
fn crash_delayed(h: &mut Harness, id: &str, now: Instant) -> (u64, Duration) {
    let key = h.key(id);
    let actions = h.exit(id, &panic_reason(), now);
    match actions.last() {
        Some(&Action::Delay(k, generation, d)) if k == key => (generation, d),
        other => panic!("expected a delay, got {other:?} in {actions:?}"),
    }
}

/// The delay elapsed at `now`: the child starts.
fn elapse(h: &mut Harness, id: &str, generation: u64, now: Instant) {
    let key = h.key(id);
    let actions = h.m.delay_elapsed(key, generation);
    assert_eq!(actions, vec![Action::Start(key, Purpose::Restart)]);
    assert_eq!(h.start_chain(&actions, now), vec![key]);
}

#[test]
fn delayed_restart_doubles_from_initial_and_is_capped_at_max() {
    let t0 = Instant::now();
    let backoff = Backoff::exponential(ms(100), ms(1000)).reset_after(Duration::from_secs(60));
    let mut h = Harness::new(
        Flags {
            within: ms(1),
            ..flags(Strategy::OneForOne, 100)
        },
        vec![delayed("a", backoff)],
        t0,
    );
    let a = h.key("a");
    let pid = h.running("a");
    let reason = panic_reason();
    let actions = h.exit("a", &reason, t0 + ms(1));
    assert_eq!(
        &actions[..2],
        &[exited("a", pid, &reason), terminated("a", &reason)]
    );
    assert!(matches!(actions[2], Action::Delay(k, _, d) if k == a && d == ms(100)));
    assert_eq!(actions.len(), 3);
    let Action::Delay(_, generation, _) = actions[2] else {
        unreachable!()
    };
    let mut now = t0 + ms(1);
    elapse(&mut h, "a", generation, now);
    let mut seen = vec![ms(100)];
    for _ in 0..5 {
        now += ms(10);
        let (generation, d) = crash_delayed(&mut h, "a", now);
        seen.push(d);
        elapse(&mut h, "a", generation, now + d);
        now += d;
    }
    assert_eq!(
        seen,
        [100, 200, 400, 800, 1000, 1000].map(ms).to_vec(),
        "initial, then doubled, capped at max"
    );
}

#[test]
fn delayed_restart_is_counted_when_decided_and_not_again_when_it_happens() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForOne, 1),
        vec![delayed("a", Backoff::exponential(ms(100), ms(1000)))],
        t0,
    );
    let (generation, _) = crash_delayed(&mut h, "a", t0 + ms(1));
    assert_eq!(h.m.restarts_in_window(t0 + ms(1)), 1);
    elapse(&mut h, "a", generation, t0 + ms(101));
    assert_eq!(h.m.restarts_in_window(t0 + ms(101)), 1);
    // The limit of 1 is used: the next crash gives up (no second delay).
    let reason = panic_reason();
    let actions = h.exit("a", &reason, t0 + ms(102));
    assert_eq!(&actions[2..], &[gave_up("a", &reason), exit_shutdown()]);
}

#[test]
fn delayed_restart_over_the_limit_gives_up_at_once() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForOne, 0),
        vec![delayed("a", Backoff::exponential(ms(100), ms(1000)))],
        t0,
    );
    let reason = panic_reason();
    let actions = h.exit("a", &reason, t0 + ms(1));
    assert_eq!(&actions[2..], &[gave_up("a", &reason), exit_shutdown()]);
}

#[test]
fn delayed_child_is_restarting_while_it_waits() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForOne, 3),
        vec![delayed("a", Backoff::exponential(ms(100), ms(1000)))],
        t0,
    );
    let a = h.key("a");
    crash_delayed(&mut h, "a", t0 + ms(1));
    assert_eq!(h.slot("a"), Slot::Restarting);
    assert_eq!(h.m.restart(a), Err(Refusal::Restarting));
    assert_eq!(h.m.delete(a), Err(Refusal::Restarting));
    assert_eq!(h.m.shutdown_order(), vec![]);
}

#[test]
fn delay_elapsed_with_the_current_generation_starts_the_child_without_counting() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForOne, 3),
        vec![delayed("a", Backoff::exponential(ms(100), ms(1000)))],
        t0,
    );
    let (generation, d) = crash_delayed(&mut h, "a", t0 + ms(1));
    assert_eq!(d, ms(100));
    elapse(&mut h, "a", generation, t0 + ms(101));
    assert!(matches!(h.slot("a"), Slot::Running(_)));
    assert_eq!(h.m.restarts_in_window(t0 + ms(101)), 1);
}

#[test]
fn delay_elapsed_with_a_stale_generation_does_nothing() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForOne, 3),
        vec![delayed("a", Backoff::exponential(ms(100), ms(1000)))],
        t0,
    );
    let a = h.key("a");
    let (first, _) = crash_delayed(&mut h, "a", t0 + ms(1));
    elapse(&mut h, "a", first, t0 + ms(101));
    let (second, _) = crash_delayed(&mut h, "a", t0 + ms(102));
    assert_ne!(first, second);
    assert_eq!(h.m.delay_elapsed(a, first), vec![]);
    assert_eq!(h.m.delay_elapsed(a, second + 1), vec![]);
    assert_eq!(h.slot("a"), Slot::Restarting);
    elapse(&mut h, "a", second, t0 + ms(302));
}

#[test]
fn terminate_cancels_a_delayed_restart() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForOne, 3),
        vec![delayed("a", Backoff::exponential(ms(100), ms(1000)))],
        t0,
    );
    let a = h.key("a");
    let (generation, _) = crash_delayed(&mut h, "a", t0 + ms(1));
    assert_eq!(
        h.m.terminate(a),
        Ok(vec![Action::Close(a, ExitReason::Shutdown)])
    );
    assert_eq!(h.slot("a"), Slot::Stopped);
    assert_eq!(h.m.delay_elapsed(a, generation), vec![]);
    assert_eq!(h.slot("a"), Slot::Stopped);
    // And it can be started by hand again.
    assert_eq!(h.m.restart(a), Ok(vec![Action::Start(a, Purpose::Manual)]));
}

#[test]
fn jitter_keeps_the_delay_within_its_fraction_below_the_full_delay() {
    let t0 = Instant::now();
    let jitter = 0.5;
    let backoff = Backoff::exponential(ms(100), ms(1600))
        .jitter(jitter)
        .reset_after(Duration::from_secs(3600));
    let mut h = Harness::new(
        Flags {
            within: ms(1),
            ..flags(Strategy::OneForOne, 1000)
        },
        vec![delayed("a", backoff)],
        t0,
    );
    let mut now = t0;
    let mut below_full = 0;
    for step in 0..200u32 {
        now += ms(10);
        let (generation, d) = crash_delayed(&mut h, "a", now);
        let full = ms(100).saturating_mul(1 << step.min(4)).min(ms(1600));
        assert!(d <= full, "step {step}: {d:?} above {full:?}");
        assert!(
            d >= full.mul_f64(1.0 - jitter),
            "step {step}: {d:?} below {full:?} less {jitter}"
        );
        if d < full {
            below_full += 1;
        }
        now += d;
        elapse(&mut h, "a", generation, now);
    }
    assert!(below_full > 100, "the jitter takes something off");
}

#[test]
fn backoff_step_resets_after_the_child_stayed_up_reset_after() {
    let t0 = Instant::now();
    let backoff = Backoff::exponential(ms(100), ms(10_000)).reset_after(Duration::from_secs(2));
    let mut h = Harness::new(
        Flags {
            within: ms(1),
            ..flags(Strategy::OneForOne, 100)
        },
        vec![delayed("a", backoff)],
        t0,
    );
    let mut now = t0 + ms(1);
    let mut seen = Vec::new();
    for _ in 0..3 {
        let (generation, d) = crash_delayed(&mut h, "a", now);
        seen.push(d);
        now += d;
        elapse(&mut h, "a", generation, now);
        now += ms(10);
    }
    assert_eq!(seen, [100, 200, 400].map(ms).to_vec());
    // Up for just under reset_after: the step goes on.
    now += Duration::from_secs(2) - ms(20);
    let (generation, d) = crash_delayed(&mut h, "a", now);
    assert_eq!(d, ms(800));
    now += d;
    elapse(&mut h, "a", generation, now);
    // Up for exactly reset_after: back to initial.
    now += Duration::from_secs(2);
    let (generation, d) = crash_delayed(&mut h, "a", now);
    assert_eq!(d, ms(100));
    now += d;
    elapse(&mut h, "a", generation, now);
    now += ms(10);
    let (_, d) = crash_delayed(&mut h, "a", now);
    assert_eq!(d, ms(200));
}

#[test]
fn failed_delayed_restart_is_delayed_again_with_the_next_step_and_counted() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForOne, 2),
        vec![delayed("a", Backoff::exponential(ms(100), ms(1000)))],
        t0,
    );
    let a = h.key("a");
    let (generation, _) = crash_delayed(&mut h, "a", t0 + ms(1));
    assert_eq!(
        h.m.delay_elapsed(a, generation),
        vec![Action::Start(a, Purpose::Restart)]
    );
    let why = error_reason();
    let actions = h.m.start_failed(a, &why, Purpose::Restart, t0 + ms(101));
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert_eq!(actions[0], start_error("a", &why));
    let Action::Delay(k, next, d) = actions[1] else {
        panic!("expected a delay in {actions:?}");
    };
    assert_eq!((k, d), (a, ms(200)));
    assert_ne!(next, generation);
    assert_eq!(h.slot("a"), Slot::Restarting);
    assert_eq!(h.m.restarts_in_window(t0 + ms(101)), 2);
    assert_eq!(
        h.m.delay_elapsed(a, next),
        vec![Action::Start(a, Purpose::Restart)]
    );
    // A second failure is the third restart of a limit of 2.
    let actions = h.m.start_failed(a, &why, Purpose::Restart, t0 + ms(301));
    assert_eq!(
        actions,
        vec![start_error("a", &why), gave_up("a", &why), exit_shutdown()]
    );
}

#[test]
fn delayed_restart_under_one_for_all_cycles_the_siblings_when_the_delay_elapses() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForAll, 3),
        vec![
            worker("a"),
            delayed("b", Backoff::exponential(ms(100), ms(1000))),
            worker("c"),
        ],
        t0,
    );
    let [a, b, c] = ["a", "b", "c"].map(|id| h.key(id));
    let (a_pid, c_pid) = (h.running("a"), h.running("c"));
    let (generation, _) = crash_delayed(&mut h, "b", t0 + ms(1));
    // The siblings run on while b waits.
    assert_eq!(h.slot("a"), Slot::Running(a_pid));
    assert_eq!(h.slot("c"), Slot::Running(c_pid));
    let actions = h.m.delay_elapsed(b, generation);
    assert_eq!(
        actions,
        vec![
            Action::Terminate(c),
            Action::Terminate(a),
            Action::Start(a, Purpose::Restart)
        ]
    );
    assert_eq!(h.start_chain(&actions, t0 + ms(101)), vec![a, b, c]);
    assert_eq!(h.m.restarts_in_window(t0 + ms(101)), 1);
}

// ---- auto_shutdown (§9) ----

#[test]
fn any_significant_transient_normal_family_exit_shuts_the_supervisor_down() {
    for reason in normal_family() {
        let t0 = Instant::now();
        let mut h = Harness::new(
            auto_flags(Strategy::OneForOne, AutoShutdown::AnySignificant),
            vec![worker("p"), transient("s").significant(true)],
            t0,
        );
        let s = h.key("s");
        let pid = h.running("s");
        let actions = h.exit("s", &reason, t0 + ms(1));
        assert_eq!(
            actions,
            vec![
                exited("s", pid, &reason),
                Action::Close(s, reason.clone()),
                auto_shutdown("s"),
                exit_shutdown(),
            ],
            "{reason:?}"
        );
    }
}

#[test]
fn any_significant_transient_abnormal_exit_restarts_instead() {
    for reason in abnormal() {
        let t0 = Instant::now();
        let mut h = Harness::new(
            auto_flags(Strategy::OneForOne, AutoShutdown::AnySignificant),
            vec![worker("p"), transient("s").significant(true)],
            t0,
        );
        let s = h.key("s");
        let pid = h.running("s");
        let actions = h.exit("s", &reason, t0 + ms(1));
        assert_eq!(
            actions,
            vec![
                exited("s", pid, &reason),
                terminated("s", &reason),
                Action::Start(s, Purpose::Restart),
            ],
            "{reason:?}"
        );
    }
}

#[test]
fn any_significant_temporary_exit_shuts_down_whatever_the_reason() {
    for reason in normal_family().into_iter().chain(abnormal()) {
        let t0 = Instant::now();
        let mut h = Harness::new(
            auto_flags(Strategy::OneForOne, AutoShutdown::AnySignificant),
            vec![worker("p"), temporary("s").significant(true)],
            t0,
        );
        let s = h.key("s");
        let pid = h.running("s");
        let actions = h.exit("s", &reason, t0 + ms(1));
        let mut want = vec![exited("s", pid, &reason)];
        if reason.is_abnormal() {
            want.push(terminated("s", &reason));
        }
        want.extend([
            Action::Close(s, reason.clone()),
            auto_shutdown("s"),
            exit_shutdown(),
        ]);
        assert_eq!(actions, want, "{reason:?}");
    }
}

#[test]
fn auto_shutdown_ignores_children_that_are_not_significant() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        auto_flags(Strategy::OneForOne, AutoShutdown::AnySignificant),
        vec![
            transient("t"),
            temporary("u"),
            transient("s").significant(true),
        ],
        t0,
    );
    let (t, u) = (h.key("t"), h.key("u"));
    let (tp, up) = (h.running("t"), h.running("u"));
    assert_eq!(
        h.exit("t", &ExitReason::Normal, t0 + ms(1)),
        vec![
            exited("t", tp, &ExitReason::Normal),
            Action::Close(t, ExitReason::Normal)
        ]
    );
    assert_eq!(
        h.exit("u", &ExitReason::Normal, t0 + ms(2)),
        vec![
            exited("u", up, &ExitReason::Normal),
            Action::Close(u, ExitReason::Normal)
        ]
    );
}

#[test]
fn all_significant_shuts_down_only_when_the_last_significant_child_is_gone() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        auto_flags(Strategy::OneForOne, AutoShutdown::AllSignificant),
        vec![
            worker("p"),
            transient("s1").significant(true),
            temporary("s2").significant(true),
            transient("s3").significant(true),
        ],
        t0,
    );
    let [s1, s2, s3] = ["s1", "s2", "s3"].map(|id| h.key(id));
    // s3 crashes: restarted, still there.
    let actions = h.exit("s3", &panic_reason(), t0 + ms(1));
    assert_eq!(actions.last(), Some(&Action::Start(s3, Purpose::Restart)));
    h.start_chain(&actions, t0 + ms(1));
    let pid = h.running("s1");
    assert_eq!(
        h.exit("s1", &ExitReason::Normal, t0 + ms(2)),
        vec![
            exited("s1", pid, &ExitReason::Normal),
            Action::Close(s1, ExitReason::Normal)
        ]
    );
    let pid = h.running("s2");
    let reason = panic_reason();
    assert_eq!(
        h.exit("s2", &reason, t0 + ms(3)),
        vec![
            exited("s2", pid, &reason),
            terminated("s2", &reason),
            Action::Close(s2, reason.clone())
        ]
    );
    // The last one: now the supervisor ends.
    let pid = h.running("s3");
    let reason = ExitReason::shutdown_with("done");
    assert_eq!(
        h.exit("s3", &reason, t0 + ms(4)),
        vec![
            exited("s3", pid, &reason),
            Action::Close(s3, reason.clone()),
            auto_shutdown("s3"),
            exit_shutdown(),
        ]
    );
}

#[test]
fn all_significant_counts_a_restarting_significant_child_as_present() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        auto_flags(Strategy::OneForOne, AutoShutdown::AllSignificant),
        vec![
            transient("s1").significant(true),
            delayed("s2", Backoff::exponential(ms(100), ms(1000)))
                .restart(Restart::Transient)
                .significant(true),
        ],
        t0,
    );
    let s1 = h.key("s1");
    crash_delayed(&mut h, "s2", t0 + ms(1));
    assert_eq!(h.slot("s2"), Slot::Restarting);
    let pid = h.running("s1");
    assert_eq!(
        h.exit("s1", &ExitReason::Normal, t0 + ms(2)),
        vec![
            exited("s1", pid, &ExitReason::Normal),
            Action::Close(s1, ExitReason::Normal)
        ]
    );
}

#[test]
fn terminate_never_triggers_auto_shutdown() {
    for auto in [AutoShutdown::AnySignificant, AutoShutdown::AllSignificant] {
        let t0 = Instant::now();
        let mut h = Harness::new(
            auto_flags(Strategy::OneForOne, auto),
            vec![
                transient("s1").significant(true),
                temporary("s2").significant(true),
            ],
            t0,
        );
        let [s1, s2] = ["s1", "s2"].map(|id| h.key(id));
        assert_eq!(
            h.m.terminate(s1),
            Ok(vec![
                Action::Terminate(s1),
                Action::Close(s1, ExitReason::Shutdown)
            ]),
            "{auto:?}"
        );
        assert_eq!(
            h.m.terminate(s2),
            Ok(vec![
                Action::Terminate(s2),
                Action::Close(s2, ExitReason::Shutdown)
            ]),
            "{auto:?}"
        );
        assert_eq!(h.ids(), ["s1"]);
        // Nor does the terminated incarnation's exit, when it comes.
        assert_eq!(
            h.m.exited(Pid(1), &ExitReason::Shutdown, t0 + ms(1)),
            vec![]
        );
    }
}

#[test]
fn sibling_cycling_never_triggers_auto_shutdown() {
    for strategy in [Strategy::OneForAll, Strategy::RestForOne] {
        for auto in [AutoShutdown::AnySignificant, AutoShutdown::AllSignificant] {
            let t0 = Instant::now();
            let mut h = Harness::new(
                auto_flags(strategy, auto),
                vec![
                    worker("p"),
                    temporary("s1").significant(true),
                    transient("s2").significant(true),
                ],
                t0,
            );
            let [p, s1, s2] = ["p", "s1", "s2"].map(|id| h.key(id));
            let pid = h.running("p");
            let reason = panic_reason();
            let actions = h.exit("p", &reason, t0 + ms(1));
            assert_eq!(
                actions,
                vec![
                    exited("p", pid, &reason),
                    terminated("p", &reason),
                    Action::Terminate(s2),
                    Action::Terminate(s1),
                    Action::Close(s1, ExitReason::Shutdown),
                    Action::Start(p, Purpose::Restart),
                ],
                "{strategy:?} {auto:?}"
            );
            assert_eq!(h.start_chain(&actions, t0 + ms(1)), vec![p, s2]);
            assert_eq!(h.ids(), ["p", "s2"]);
        }
    }
}

// ---- management (§10) ----

#[test]
fn add_appends_at_the_end_of_the_start_order() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForOne, 3),
        vec![worker("a"), worker("b")],
        t0,
    );
    let actions = h.m.add(worker("c")).unwrap();
    let [Action::Start(c, Purpose::Add)] = actions[..] else {
        panic!("{actions:?}");
    };
    assert_eq!(h.ids(), ["a", "b", "c"]);
    assert_eq!(h.slot("c"), Slot::Stopped, "not running until started");
    let p = h.pid();
    assert_eq!(h.m.started(c, p, Purpose::Add, t0), vec![]);
    assert_eq!(h.slot("c"), Slot::Running(p));
    assert_eq!(h.m.shutdown_order()[0], c);
    assert_eq!(h.m.restarts_in_window(t0), 0);
}

#[test]
fn add_with_the_id_of_a_running_child_is_already_started() {
    let t0 = Instant::now();
    let mut h = Harness::new(flags(Strategy::OneForOne, 3), vec![worker("a")], t0);
    let a = h.key("a");
    assert_eq!(h.m.add(worker("a")), Err(Refusal::AlreadyStarted(a)));
    assert_eq!(h.ids(), ["a"]);
}

#[test]
fn add_with_the_id_of_a_stopped_or_restarting_child_is_already_present() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForOne, 3),
        vec![worker("a"), worker("b")],
        t0,
    );
    let [a, b] = ["a", "b"].map(|id| h.key(id));
    h.m.terminate(a).unwrap();
    assert_eq!(h.m.add(worker("a")), Err(Refusal::AlreadyPresent));
    h.exit("b", &panic_reason(), t0 + ms(1));
    h.m.start_failed(b, &error_reason(), Purpose::Restart, t0 + ms(1));
    assert_eq!(h.slot("b"), Slot::Restarting);
    assert_eq!(h.m.add(worker("b")), Err(Refusal::AlreadyPresent));
    assert_eq!(h.ids(), ["a", "b"]);
}

#[test]
fn failed_add_drops_the_spec_without_a_report() {
    let t0 = Instant::now();
    let mut h = Harness::new(flags(Strategy::OneForOne, 3), vec![worker("a")], t0);
    let actions = h.m.add(worker("b")).unwrap();
    let [Action::Start(b, _)] = actions[..] else {
        panic!("{actions:?}");
    };
    let why = error_reason();
    assert_eq!(
        h.m.start_failed(b, &why, Purpose::Add, t0),
        vec![Action::Close(b, why.clone())]
    );
    assert_eq!(h.ids(), ["a"]);
    assert_eq!(h.m.restarts_in_window(t0), 0);
}

#[test]
fn ignored_start_keeps_the_spec_stopped_but_drops_a_temporary() {
    let t0 = Instant::now();
    let mut m = Machine::new(
        flags(Strategy::OneForOne, 3),
        vec![worker("a"), temporary("t"), transient("b")],
    );
    let keys = m.init_order();
    for key in keys.iter().copied() {
        assert_eq!(
            m.ignored(key, Purpose::Init),
            vec![Action::Close(key, ExitReason::Normal)]
        );
    }
    let ids: Vec<&str> = m.children().iter().map(|c| &*c.spec.id).collect();
    assert_eq!(ids, ["a", "b"]);
    assert!(m.children().iter().all(|c| c.slot == Slot::Stopped));
    // An ignored `start_child` alike.
    let actions = m.add(worker("c")).unwrap();
    let [Action::Start(c, _)] = actions[..] else {
        panic!("{actions:?}");
    };
    assert_eq!(
        m.ignored(c, Purpose::Add),
        vec![Action::Close(c, ExitReason::Normal)]
    );
    assert_eq!(m.by_id("c").map(|c| c.slot), Some(Slot::Stopped));
    assert_eq!(m.restarts_in_window(t0), 0);
}

#[test]
fn terminate_of_an_unknown_key_is_not_found() {
    let t0 = Instant::now();
    let mut h = Harness::new(flags(Strategy::OneForOne, 3), vec![worker("a")], t0);
    assert_eq!(h.m.terminate(999), Err(Refusal::NotFound));
    assert_eq!(h.m.restart(999), Err(Refusal::NotFound));
    assert_eq!(h.m.delete(999), Err(Refusal::NotFound));
}

#[test]
fn terminate_keeps_permanent_and_transient_specs_stopped_and_is_not_counted() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForOne, 0),
        vec![worker("a"), transient("b")],
        t0,
    );
    let [a, b] = ["a", "b"].map(|id| h.key(id));
    for k in [a, b] {
        assert_eq!(
            h.m.terminate(k),
            Ok(vec![
                Action::Terminate(k),
                Action::Close(k, ExitReason::Shutdown)
            ])
        );
    }
    assert_eq!(h.ids(), ["a", "b"]);
    assert_eq!(h.slot("a"), Slot::Stopped);
    assert_eq!(h.slot("b"), Slot::Stopped);
    assert_eq!(h.m.restarts_in_window(t0), 0);
    // Even with a limit of 0, the round trip works: not restarts.
    assert_eq!(h.m.restart(a), Ok(vec![Action::Start(a, Purpose::Manual)]));
}

#[test]
fn terminate_of_a_temporary_child_removes_its_spec() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForOne, 3),
        vec![worker("a"), temporary("t")],
        t0,
    );
    let t = h.key("t");
    assert_eq!(
        h.m.terminate(t),
        Ok(vec![
            Action::Terminate(t),
            Action::Close(t, ExitReason::Shutdown)
        ])
    );
    assert_eq!(h.ids(), ["a"]);
    assert_eq!(h.m.terminate(t), Err(Refusal::NotFound));
}

#[test]
fn terminate_of_a_stopped_child_is_ok_and_does_nothing() {
    let t0 = Instant::now();
    let mut h = Harness::new(flags(Strategy::OneForOne, 3), vec![worker("a")], t0);
    let a = h.key("a");
    h.m.terminate(a).unwrap();
    assert_eq!(h.m.terminate(a), Ok(vec![]));
    assert_eq!(h.slot("a"), Slot::Stopped);
}

#[test]
fn restart_child_is_refused_for_not_found_running_and_restarting() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForOne, 3),
        vec![worker("a"), worker("b")],
        t0,
    );
    let [a, b] = ["a", "b"].map(|id| h.key(id));
    assert_eq!(h.m.restart(77), Err(Refusal::NotFound));
    assert_eq!(h.m.restart(a), Err(Refusal::Running));
    h.exit("b", &panic_reason(), t0 + ms(1));
    h.m.start_failed(b, &error_reason(), Purpose::Restart, t0 + ms(1));
    assert_eq!(h.m.restart(b), Err(Refusal::Restarting));
}

#[test]
fn restart_child_starts_a_stopped_child_without_counting() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForAll, 0),
        vec![worker("a"), worker("b")],
        t0,
    );
    let a = h.key("a");
    let b_pid = h.running("b");
    h.m.terminate(a).unwrap();
    assert_eq!(h.m.restart(a), Ok(vec![Action::Start(a, Purpose::Manual)]));
    let p = h.pid();
    // A manual start takes no siblings along and starts nothing after it.
    assert_eq!(h.m.started(a, p, Purpose::Manual, t0 + ms(1)), vec![]);
    assert_eq!(h.slot("a"), Slot::Running(p));
    assert_eq!(h.slot("b"), Slot::Running(b_pid));
    assert_eq!(h.m.restarts_in_window(t0 + ms(1)), 0);
}

#[test]
fn failed_restart_child_leaves_it_stopped_without_a_report() {
    let t0 = Instant::now();
    let mut h = Harness::new(flags(Strategy::OneForOne, 3), vec![worker("a")], t0);
    let a = h.key("a");
    h.m.terminate(a).unwrap();
    h.m.restart(a).unwrap();
    let why = error_reason();
    assert_eq!(
        h.m.start_failed(a, &why, Purpose::Manual, t0 + ms(1)),
        vec![Action::Close(a, why.clone())]
    );
    assert_eq!(h.slot("a"), Slot::Stopped);
    assert_eq!(h.m.restarts_in_window(t0 + ms(1)), 0);
}

#[test]
fn delete_child_is_refused_for_not_found_running_and_restarting() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForOne, 3),
        vec![worker("a"), worker("b")],
        t0,
    );
    let [a, b] = ["a", "b"].map(|id| h.key(id));
    assert_eq!(h.m.delete(77), Err(Refusal::NotFound));
    assert_eq!(h.m.delete(a), Err(Refusal::Running));
    h.exit("b", &panic_reason(), t0 + ms(1));
    h.m.start_failed(b, &error_reason(), Purpose::Restart, t0 + ms(1));
    assert_eq!(h.m.delete(b), Err(Refusal::Restarting));
    assert_eq!(h.ids(), ["a", "b"]);
}

#[test]
fn delete_child_forgets_a_stopped_child() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForOne, 3),
        vec![worker("a"), worker("b")],
        t0,
    );
    let a = h.key("a");
    h.m.terminate(a).unwrap();
    assert_eq!(h.m.delete(a), Ok(()));
    assert_eq!(h.ids(), ["b"]);
    assert_eq!(h.m.delete(a), Err(Refusal::NotFound));
    // The id is free again.
    assert!(h.m.add(worker("a")).is_ok());
    assert_eq!(h.ids(), ["b", "a"]);
}

#[test]
fn dynamic_ids_may_repeat() {
    let t0 = Instant::now();
    let mut h = Harness::new(dynamic_flags(None), vec![], t0);
    let mut keys = Vec::new();
    for _ in 0..3 {
        let actions = h.m.add(worker("w")).unwrap();
        let [Action::Start(k, Purpose::Add)] = actions[..] else {
            panic!("{actions:?}");
        };
        let p = h.pid();
        h.m.started(k, p, Purpose::Add, t0);
        keys.push(k);
    }
    assert!(keys[0] != keys[1] && keys[1] != keys[2] && keys[0] != keys[2]);
    assert_eq!(h.ids(), ["w", "w", "w"]);
}

#[test]
fn dynamic_restart_and_delete_are_refused() {
    let t0 = Instant::now();
    let mut h = Harness::new(dynamic_flags(None), vec![], t0);
    let actions = h.m.add(worker("w")).unwrap();
    let [Action::Start(k, _)] = actions[..] else {
        panic!("{actions:?}");
    };
    let p = h.pid();
    h.m.started(k, p, Purpose::Add, t0);
    assert_eq!(h.m.restart(k), Err(Refusal::Dynamic));
    assert_eq!(h.m.delete(k), Err(Refusal::Dynamic));
    assert_eq!(h.m.restart(999), Err(Refusal::Dynamic));
    assert_eq!(h.m.delete(999), Err(Refusal::Dynamic));
}

#[test]
fn dynamic_max_children_refuses_beyond_the_limit() {
    let t0 = Instant::now();
    let mut h = Harness::new(dynamic_flags(Some(2)), vec![], t0);
    for _ in 0..2 {
        let actions = h.m.add(worker("w")).unwrap();
        let [Action::Start(k, _)] = actions[..] else {
            panic!("{actions:?}");
        };
        let p = h.pid();
        h.m.started(k, p, Purpose::Add, t0);
    }
    assert_eq!(h.m.add(worker("w")).err(), Some(Refusal::MaxChildren));
    assert_eq!(h.m.add(worker("other")).err(), Some(Refusal::MaxChildren));
    assert_eq!(h.ids().len(), 2);
}

#[test]
fn dynamic_temporary_exit_frees_a_place_under_max_children() {
    let t0 = Instant::now();
    let mut h = Harness::new(dynamic_flags(Some(1)), vec![], t0);
    let actions = h.m.add(temporary("t")).unwrap();
    let [Action::Start(k, _)] = actions[..] else {
        panic!("{actions:?}");
    };
    let p = h.pid();
    h.m.started(k, p, Purpose::Add, t0);
    assert_eq!(h.m.add(temporary("t")).err(), Some(Refusal::MaxChildren));
    h.m.exited(p, &ExitReason::Normal, t0 + ms(1));
    assert!(h.m.add(temporary("t")).is_ok());
}

#[test]
fn dynamic_restarts_one_for_one_whatever_the_strategy_field() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        Flags {
            strategy: Strategy::OneForAll,
            ..dynamic_flags(None)
        },
        vec![],
        t0,
    );
    let mut keys = Vec::new();
    for _ in 0..3 {
        let actions = h.m.add(worker("w")).unwrap();
        let [Action::Start(k, _)] = actions[..] else {
            panic!("{actions:?}");
        };
        let p = h.pid();
        h.m.started(k, p, Purpose::Add, t0);
        keys.push((k, p));
    }
    let (k, p) = keys[1];
    let reason = panic_reason();
    assert_eq!(
        h.m.exited(p, &reason, t0 + ms(1)),
        vec![
            exited("w", p, &reason),
            terminated("w", &reason),
            Action::Start(k, Purpose::Restart),
        ]
    );
}

/// OTP's simple_one_for_one forgets a child that is not restarted
/// (`del_child` erases it from the dynamic set): it can be neither
/// restarted nor deleted by id, so a kept entry would only linger, and
/// count against `max_children` (§7, §9).
#[test]
fn dynamic_transient_normal_exit_forgets_the_child() {
    let t0 = Instant::now();
    let mut h = Harness::new(dynamic_flags(Some(1)), vec![], t0);
    let actions = h.m.add(transient("w")).unwrap();
    let [Action::Start(k, _)] = actions[..] else {
        panic!("{actions:?}");
    };
    let p = h.pid();
    h.m.started(k, p, Purpose::Add, t0);
    let actions = h.m.exited(p, &ExitReason::Normal, t0 + ms(1));
    assert_eq!(
        actions,
        vec![
            exited("w", p, &ExitReason::Normal),
            Action::Close(k, ExitReason::Normal)
        ]
    );
    assert!(
        h.m.children().is_empty(),
        "left behind: {:?}",
        h.m.children()
    );
    assert!(h.m.add(transient("w")).is_ok());
}

/// OTP's `terminate_child(Sup, Pid)` under simple_one_for_one deletes the
/// child (`del_child` → `dyn_erase`).
#[test]
fn dynamic_terminate_forgets_the_child() {
    let t0 = Instant::now();
    let mut h = Harness::new(dynamic_flags(Some(1)), vec![], t0);
    let actions = h.m.add(worker("w")).unwrap();
    let [Action::Start(k, _)] = actions[..] else {
        panic!("{actions:?}");
    };
    let p = h.pid();
    h.m.started(k, p, Purpose::Add, t0);
    assert_eq!(
        h.m.terminate(k),
        Ok(vec![
            Action::Terminate(k),
            Action::Close(k, ExitReason::Shutdown)
        ])
    );
    assert!(
        h.m.children().is_empty(),
        "left behind: {:?}",
        h.m.children()
    );
    assert!(h.m.add(worker("w")).is_ok());
}

/// OTP's simple_one_for_one stores nothing for a `start_child` that
/// returned `ignore` (`{ok, undefined}`).
#[test]
fn dynamic_ignored_start_forgets_the_child() {
    let t0 = Instant::now();
    let mut h = Harness::new(dynamic_flags(Some(1)), vec![], t0);
    let actions = h.m.add(worker("w")).unwrap();
    let [Action::Start(k, _)] = actions[..] else {
        panic!("{actions:?}");
    };
    assert_eq!(
        h.m.ignored(k, Purpose::Add),
        vec![Action::Close(k, ExitReason::Normal)]
    );
    assert!(
        h.m.children().is_empty(),
        "left behind: {:?}",
        h.m.children()
    );
    assert!(h.m.add(worker("w")).is_ok());
}

#[test]
fn dynamic_all_significant_shuts_down_when_the_dynamic_child_count_reaches_zero() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        Flags {
            auto_shutdown: AutoShutdown::AllSignificant,
            ..dynamic_flags(None)
        },
        vec![],
        t0,
    );
    let mut pids = Vec::new();
    for _ in 0..2 {
        let actions = h.m.add(transient("w").significant(true)).unwrap();
        let [Action::Start(k, _)] = actions[..] else {
            panic!("{actions:?}");
        };
        let p = h.pid();
        h.m.started(k, p, Purpose::Add, t0);
        pids.push((k, p));
    }
    let (k, p) = pids[0];
    assert_eq!(
        h.m.exited(p, &ExitReason::Normal, t0 + ms(1)),
        vec![
            exited("w", p, &ExitReason::Normal),
            Action::Close(k, ExitReason::Normal)
        ]
    );
    let (k, p) = pids[1];
    assert_eq!(
        h.m.exited(p, &ExitReason::Normal, t0 + ms(2)),
        vec![
            exited("w", p, &ExitReason::Normal),
            Action::Close(k, ExitReason::Normal),
            auto_shutdown("w"),
            exit_shutdown(),
        ]
    );
}

// ---- exits the machine does not know ----

#[test]
fn exit_of_an_unknown_pid_is_ignored() {
    let t0 = Instant::now();
    let mut h = Harness::new(flags(Strategy::OneForOne, 3), vec![worker("a")], t0);
    for reason in normal_family().into_iter().chain(abnormal()) {
        assert_eq!(h.m.exited(Pid(4242), &reason, t0 + ms(1)), vec![]);
    }
    assert_eq!(h.m.restarts_in_window(t0 + ms(1)), 0);
    assert_eq!(h.slot("a"), Slot::Running(Pid(1)));
}

#[test]
fn exit_of_a_stale_incarnation_is_ignored() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForAll, 3),
        vec![worker("a"), worker("b")],
        t0,
    );
    let (old_a, old_b) = (h.running("a"), h.running("b"));
    // a crashes and b is cycled: both get new incarnations.
    let actions = h.exit("a", &panic_reason(), t0 + ms(1));
    h.start_chain(&actions, t0 + ms(1));
    let count = h.m.restarts_in_window(t0 + ms(2));
    assert_eq!(h.m.exited(old_a, &panic_reason(), t0 + ms(2)), vec![]);
    assert_eq!(h.m.exited(old_b, &ExitReason::Shutdown, t0 + ms(2)), vec![]);
    assert_eq!(h.m.restarts_in_window(t0 + ms(2)), count);
    assert!(matches!(h.slot("a"), Slot::Running(p) if p != old_a));
    assert!(matches!(h.slot("b"), Slot::Running(p) if p != old_b));
}

#[test]
fn exit_of_a_terminated_incarnation_is_ignored() {
    let t0 = Instant::now();
    let mut h = Harness::new(flags(Strategy::OneForOne, 3), vec![worker("a")], t0);
    let a = h.key("a");
    let pid = h.running("a");
    h.m.terminate(a).unwrap();
    assert_eq!(h.m.exited(pid, &ExitReason::Shutdown, t0 + ms(1)), vec![]);
    assert_eq!(h.slot("a"), Slot::Stopped);
}

// ---- shutdown_ok: the reason check after a supervisor-made stop (§8) ----

const RESTARTS: [Restart; 3] = [Restart::Permanent, Restart::Transient, Restart::Temporary];

#[test]
fn shutdown_ok_after_a_shutdown_signal_accepts_shutdown_for_every_restart_type() {
    for restart in RESTARTS {
        assert!(
            shutdown_ok(restart, false, &ExitReason::Shutdown),
            "{restart:?}"
        );
    }
}

#[test]
fn shutdown_ok_after_a_shutdown_signal_accepts_normal_and_shutdown_with_only_when_not_permanent() {
    for reason in [ExitReason::Normal, ExitReason::shutdown_with("bye")] {
        assert!(
            !shutdown_ok(Restart::Permanent, false, &reason),
            "{reason:?}"
        );
        assert!(
            shutdown_ok(Restart::Transient, false, &reason),
            "{reason:?}"
        );
        assert!(
            shutdown_ok(Restart::Temporary, false, &reason),
            "{reason:?}"
        );
    }
}

#[test]
fn shutdown_ok_after_brutal_kill_accepts_killed_for_every_restart_type() {
    for restart in RESTARTS {
        assert!(
            shutdown_ok(restart, true, &ExitReason::Killed),
            "{restart:?}"
        );
    }
}

#[test]
fn shutdown_ok_after_brutal_kill_accepts_normal_family_only_when_not_permanent() {
    for reason in normal_family() {
        assert!(
            !shutdown_ok(Restart::Permanent, true, &reason),
            "{reason:?}"
        );
        assert!(shutdown_ok(Restart::Transient, true, &reason), "{reason:?}");
        assert!(shutdown_ok(Restart::Temporary, true, &reason), "{reason:?}");
    }
}

#[test]
fn killed_after_a_timeout_then_kill_is_a_shutdown_error_even_for_transient_and_temporary() {
    for restart in RESTARTS {
        assert!(
            !shutdown_ok(restart, false, &ExitReason::Killed),
            "{restart:?}"
        );
    }
}

#[test]
fn shutdown_ok_rejects_crash_reasons_whatever_the_spec() {
    for restart in RESTARTS {
        for brutal in [false, true] {
            for reason in [panic_reason(), error_reason(), ExitReason::NoProc] {
                assert!(
                    !shutdown_ok(restart, brutal, &reason),
                    "{restart:?} brutal={brutal} {reason:?}"
                );
            }
        }
    }
}

// ---- found in review ----

#[test]
fn a_rider_restarted_by_hand_is_not_stopped_when_its_driver_is_terminated() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForAll, 10),
        vec![worker("a"), worker("b"), worker("c")],
        t0,
    );
    let [a, b, c] = ["a", "b", "c"].map(|id| h.key(id));
    h.exit("a", &panic_reason(), t0 + ms(1));
    let p = h.pid();
    h.m.started(a, p, Purpose::Restart, t0 + ms(1));
    h.m.start_failed(b, &error_reason(), Purpose::Restart, t0 + ms(1));
    // c rides on b's retry; stopped and started again by hand meanwhile.
    assert_eq!(
        h.m.terminate(c).unwrap(),
        vec![Action::Close(c, ExitReason::Shutdown)]
    );
    assert_eq!(
        h.m.restart(c).unwrap(),
        vec![Action::Start(c, Purpose::Manual)]
    );
    let pc = h.pid();
    h.m.started(c, pc, Purpose::Manual, t0 + ms(2));
    // Cancelling b's retry leaves the running c alone.
    assert_eq!(
        h.m.terminate(b).unwrap(),
        vec![Action::Close(b, ExitReason::Shutdown)]
    );
    assert_eq!(h.slot("c"), Slot::Running(pc));
}

#[test]
fn a_deferred_restart_resumes_with_the_rest_of_its_cycle() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForAll, 10),
        vec![worker("a"), worker("b"), worker("c")],
        t0,
    );
    let [a, b, c] = ["a", "b", "c"].map(|id| h.key(id));
    h.exit("a", &panic_reason(), t0 + ms(1));
    let p = h.pid();
    assert_eq!(
        h.m.started(a, p, Purpose::Restart, t0 + ms(1)),
        vec![Action::Start(b, Purpose::Restart)]
    );
    // b's address is still held by its killed incarnation.
    assert!(h.m.deferred(b).is_empty());
    assert!(h.m.is_paused());
    assert_eq!(h.slot("b"), Slot::Restarting);
    assert_eq!(h.slot("c"), Slot::Restarting);
    assert!(h.m.resume(a).is_empty(), "only the paused child resumes");
    assert_eq!(h.m.resume(b), vec![Action::Start(b, Purpose::Restart)]);
    assert!(!h.m.is_paused());
    let pb = h.pid();
    assert_eq!(
        h.m.started(b, pb, Purpose::Restart, t0 + ms(2)),
        vec![Action::Start(c, Purpose::Restart)]
    );
    assert_eq!(
        h.m.restarts_in_window(t0 + ms(2)),
        1,
        "one cycle, counted once"
    );
}

#[test]
fn terminating_a_deferred_restart_stops_it_and_its_riders() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::RestForOne, 10),
        vec![worker("a"), worker("b")],
        t0,
    );
    let [a, b] = ["a", "b"].map(|id| h.key(id));
    let actions = h.exit("a", &panic_reason(), t0 + ms(1));
    assert_eq!(actions.last(), Some(&Action::Start(a, Purpose::Restart)));
    assert!(h.m.deferred(a).is_empty());
    assert_eq!(
        h.m.terminate(a).unwrap(),
        vec![
            Action::Close(a, ExitReason::Shutdown),
            Action::Close(b, ExitReason::Shutdown)
        ]
    );
    assert!(!h.m.is_paused());
    assert!(h.m.resume(a).is_empty(), "a late resume does nothing");
    assert_eq!(h.slot("a"), Slot::Stopped);
    assert_eq!(h.slot("b"), Slot::Stopped);
}

#[test]
fn exits_during_a_system_shutdown_are_not_restarted() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForAll, 0),
        vec![worker("a"), worker("b")],
        t0,
    );
    let a = h.key("a");
    let pid = h.running("a");
    assert_eq!(
        h.m.exited_in_shutdown(pid, &panic_reason()),
        vec![
            exited("a", pid, &panic_reason()),
            Action::Close(a, panic_reason())
        ]
    );
    assert_eq!(h.slot("a"), Slot::Stopped);
    assert!(
        matches!(h.slot("b"), Slot::Running(_)),
        "no cycle, no give-up"
    );
    assert_eq!(h.m.restarts_in_window(t0), 0);
}

#[test]
fn a_huge_backoff_does_not_overflow() {
    let b = Backoff::exponential(Duration::MAX, Duration::MAX).jitter(1.0);
    for (step, roll) in [(0, 0.0), (5, 0.5), (40, 0.999)] {
        assert!(b.delay(step, roll) <= Duration::MAX);
    }
    let capped = Backoff::exponential(ms(10), ms(100));
    assert_eq!(capped.delay(40, 0.0), ms(100));
}

#[test]
fn two_deferred_restarts_both_resume() {
    let t0 = Instant::now();
    let mut h = Harness::new(
        flags(Strategy::OneForOne, 10),
        vec![worker("a"), worker("b")],
        t0,
    );
    let [a, b] = ["a", "b"].map(|id| h.key(id));
    let actions = h.exit("a", &ExitReason::Killed, t0 + ms(1));
    assert_eq!(actions.last(), Some(&Action::Start(a, Purpose::Restart)));
    assert!(h.m.deferred(a).is_empty());
    let actions = h.exit("b", &ExitReason::Killed, t0 + ms(1));
    assert_eq!(actions.last(), Some(&Action::Start(b, Purpose::Restart)));
    assert!(h.m.deferred(b).is_empty());
    // Freed in either order, each resumes.
    assert_eq!(h.m.resume(b), vec![Action::Start(b, Purpose::Restart)]);
    let pb = h.pid();
    assert!(h.m.started(b, pb, Purpose::Restart, t0 + ms(2)).is_empty());
    assert!(h.m.is_paused(), "a still waits");
    assert_eq!(h.m.resume(a), vec![Action::Start(a, Purpose::Restart)]);
    let pa = h.pid();
    h.m.started(a, pa, Purpose::Restart, t0 + ms(2));
    assert!(!h.m.is_paused());
    assert_eq!(h.slot("a"), Slot::Running(pa));
    assert_eq!(h.slot("b"), Slot::Running(pb));
}
