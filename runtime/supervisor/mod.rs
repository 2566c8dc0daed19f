//! Supervision (DESIGN.md §5, OTP_SEMANTICS.md): supervisors start their
//! children in order, restart them by strategy and restart type within a
//! restart limit, give up and escalate when it is exceeded, and stop them
//! in reverse start order.
//!
//! # Pieces
//!
//! - `spec`: [`ChildSpec`] and what it names ([`Restart`], [`Shutdown`],
//!   [`ChildKind`], [`Backoff`]), [`SpecError`];
//! - this module: the built configurations ([`Supervisor`],
//!   [`DynamicSupervisor`]) and what management calls answer;
//! - `machine`: the decisions, a pure state machine over the clock;
//! - `server`: the supervisor actor that carries them out (starts, the
//!   shutdown protocol, events, management calls);
//! - `handle`: [`SupervisorRef`].
//!
//! A supervisor is an actor: it traps exits, its children are linked to
//! it, and their exit signals reach it in arrival order on its user lane,
//! with its management calls.
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::actor::{AnyRef, ExitReason};

pub(crate) mod handle;
pub(crate) mod machine;
pub(crate) mod server;
pub(crate) mod spec;

pub use self::handle::SupervisorRef;
pub use self::spec::{Backoff, ChildKind, ChildSpec, MakeSupervisor, Restart, Shutdown, SpecError};

use self::machine::Flags;

/// Which children a restart takes along (OTP's strategies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Strategy {
    /// Only the child that ended (the default).
    #[default]
    OneForOne,
    /// Every child: the others are stopped in reverse start order, then
    /// all are started in start order.
    OneForAll,
    /// The child that ended and those started after it.
    RestForOne,
}

/// When a supervisor ends because significant children ended by
/// themselves without a restart (a transient child's normal exit, a
/// temporary child's any exit); never for children the supervisor stopped
/// itself (OTP's `auto_shutdown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AutoShutdown {
    /// Never (the default); no child may be significant.
    #[default]
    Never,
    /// As soon as one significant child ends by itself without a restart.
    AnySignificant,
    /// Once no significant child is left running.
    AllSignificant,
}

/// A supervisor's configuration: strategy, restart limit, children. Start
/// it with `system.supervise(sup)`, or nest it with
/// [`ChildSpec::supervisor`].
///
/// Each start of a supervisor starts its children afresh from these specs
/// (children added later with `start_child` are not kept across its
/// restarts, as in OTP).
#[derive(Clone)]
pub struct Supervisor {
    pub(crate) flags: Flags,
    pub(crate) children: Vec<ChildSpec>,
}

/// Builds a [`Supervisor`] (`Supervisor::builder()`).
#[must_use = "a builder does nothing until `build`"]
#[derive(Debug, Clone)]
pub struct SupervisorBuilder {
    pub(crate) flags: Flags,
    children: Vec<ChildSpec>,
}

/// A supervisor of children started on demand, all alike in how they are
/// supervised (OTP's `simple_one_for_one`, Elixir's `DynamicSupervisor`).
///
/// It starts with no children; `start_child(spec)` adds one (ids may
/// repeat). Children are restarted one for one; `terminate_child` takes
/// the child's ref, `restart_child` and `delete_child` are refused; on
/// shutdown all children are asked to stop at once and awaited together.
#[derive(Clone, Debug)]
pub struct DynamicSupervisor {
    sup: Supervisor,
}

/// Builds a [`DynamicSupervisor`] (`DynamicSupervisor::builder()`).
#[must_use = "a builder does nothing until `build`"]
#[derive(Debug, Clone)]
pub struct DynamicSupervisorBuilder {
    flags: Flags,
}

/// What a management call of [`SupervisorRef`] failed with (OTP's error
/// cases).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum SupervisorError {
    /// No child has that id (or ref).
    #[error("no such child")]
    NotFound,
    /// The child is running (restart or delete a stopped child only).
    #[error("the child is running")]
    Running,
    /// The child is being restarted: its restart waits for a delay, a
    /// retry, or its address (a killed incarnation stuck in a handler).
    #[error("the child is restarting")]
    Restarting,
    /// A child with this id exists and is not running (`restart_child` it,
    /// or `delete_child` it first).
    #[error("a child with this id is already present")]
    AlreadyPresent,
    /// A child with this id is running.
    #[error("a child with this id is already running: {0:?}")]
    AlreadyStarted(AnyRef),
    /// The child did not start; why.
    #[error("child {id:?} failed to start: {reason}")]
    StartFailed {
        /// The child's id.
        id: Arc<str>,
        /// The reason its start failed with.
        reason: ExitReason,
    },
    /// The spec cannot work (see [`SpecError`]).
    #[error("invalid child spec: {0}")]
    InvalidSpec(#[from] SpecError),
    /// The supervisor is gone.
    #[error("the supervisor is not running")]
    NotRunning,
    /// A dynamic supervisor has `max_children` children already.
    #[error("the dynamic supervisor has its maximum number of children")]
    MaxChildren,
    /// A dynamic supervisor's children have no ids to restart or delete
    /// by: `restart_child` and `delete_child` are refused (OTP's
    /// `simple_one_for_one` error), `terminate_child` takes the child's
    /// ref.
    #[error("not supported by a dynamic supervisor")]
    Dynamic,
}

/// One child, as `which_children` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildInfo {
    /// Its id.
    pub id: Arc<str>,
    /// Running (with its ref), restarting, or stopped.
    pub state: ChildState,
    /// Worker or supervisor.
    pub kind: ChildKind,
}

/// Where a child stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChildState {
    /// Running at this address.
    Running(AnyRef),
    /// Being restarted, or waiting for a restart delay, a retry, or its
    /// address (its killed incarnation is stuck in a handler that has not
    /// yielded).
    Restarting,
    /// Not running; its spec is kept (`restart_child` starts it).
    Stopped,
}

/// `inspect`'s answer: one supervisor's settings, how much of its restart
/// limit is spent, and its children. A snapshot: it was true when the
/// supervisor handled the call.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SupervisorReport {
    /// Its strategy (`OneForOne` for a dynamic supervisor).
    pub strategy: Strategy,
    /// A `DynamicSupervisor`.
    pub dynamic: bool,
    /// At most this many restarts ...
    pub max_restarts: u32,
    /// ... within this sliding window.
    pub within: Duration,
    /// Restarts counted in the window now.
    pub restarts_in_window: u32,
    /// Its children, in start order.
    pub children: Vec<ChildReport>,
}

impl SupervisorReport {
    /// Restarts it may still make in the window before it gives up.
    pub fn restart_budget(&self) -> u32 {
        self.max_restarts.saturating_sub(self.restarts_in_window)
    }
}

/// One child in a [`SupervisorReport`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ChildReport {
    /// Its id.
    pub id: Arc<str>,
    /// Worker or supervisor.
    pub kind: ChildKind,
    /// Running (with its ref), restarting, or stopped.
    pub state: ChildState,
    /// Its restart type.
    pub restart: Restart,
    /// The name its spec registers it under, if any (`ChildSpec::name`).
    pub name: Option<Arc<str>>,
    /// Restarts that brought it back: those a sibling's crash took it along
    /// in included; failed tries (counted in `restarts_in_window`) and
    /// `restart_child` calls not. Kept by this supervisor incarnation: a
    /// supervisor that is itself restarted starts counting again.
    pub restarts: u32,
    /// Why it last ended (or last failed to start), if it ever did.
    pub last_exit: Option<ExitReason>,
}

/// `count_children`'s answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChildCounts {
    /// Child specs.
    pub specs: usize,
    /// Children running.
    pub active: usize,
    /// Children that are supervisors.
    pub supervisors: usize,
    /// Children that are workers.
    pub workers: usize,
}

const DEFAULT_FLAGS: Flags = Flags {
    strategy: Strategy::OneForOne,
    max_restarts: 3,
    within: Duration::from_secs(5),
    auto_shutdown: AutoShutdown::Never,
    dynamic: false,
    max_children: None,
};

impl Supervisor {
    /// A builder with keel's defaults: one for one, at most 3 restarts
    /// within 5 s (as Elixir; OTP's are 1 in 5 s), no auto shutdown.
    pub fn builder() -> SupervisorBuilder {
        SupervisorBuilder {
            flags: DEFAULT_FLAGS,
            children: Vec::new(),
        }
    }

    /// Its strategy.
    pub fn strategy(&self) -> Strategy {
        self.flags.strategy
    }

    /// Its children's specs, in start order.
    pub fn children(&self) -> &[ChildSpec] {
        &self.children
    }
}

impl SupervisorBuilder {
    /// Which children a restart takes along (default `OneForOne`).
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.flags.strategy = strategy;
        self
    }

    /// At most this many restarts within `within` (default 3); one more
    /// and the supervisor gives up. 0: the first restart gives up.
    pub fn max_restarts(mut self, n: u32) -> Self {
        self.flags.max_restarts = n;
        self
    }

    /// The restart limit's sliding window (default 5 s; above zero), on
    /// the System's clock.
    pub fn within(mut self, d: Duration) -> Self {
        self.flags.within = d;
        self
    }

    /// When significant children end the supervisor (default `Never`).
    pub fn auto_shutdown(mut self, a: AutoShutdown) -> Self {
        self.flags.auto_shutdown = a;
        self
    }

    /// Adds a child, after those added before (start order).
    pub fn child(mut self, spec: ChildSpec) -> Self {
        self.children.push(spec);
        self
    }

    /// Adds children, in order.
    pub fn children(mut self, specs: impl IntoIterator<Item = ChildSpec>) -> Self {
        self.children.extend(specs);
        self
    }

    /// Checks the flags and specs (duplicate ids, significant children and
    /// `auto_shutdown`, a zero window, backoffs) and builds.
    pub fn build(self) -> Result<Supervisor, SpecError> {
        check_flags(&self.flags)?;
        let mut seen = std::collections::HashSet::new();
        for spec in &self.children {
            check_spec(&self.flags, spec)?;
            if !seen.insert(spec.id.clone()) {
                return Err(SpecError::DuplicateId(spec.id.clone()));
            }
        }
        Ok(Supervisor {
            flags: self.flags,
            children: self.children,
        })
    }
}

impl DynamicSupervisor {
    /// A builder with keel's defaults: at most 3 restarts within 5 s, no
    /// limit on children, no auto shutdown.
    pub fn builder() -> DynamicSupervisorBuilder {
        DynamicSupervisorBuilder {
            flags: Flags {
                dynamic: true,
                ..DEFAULT_FLAGS
            },
        }
    }
}

impl DynamicSupervisorBuilder {
    /// As [`SupervisorBuilder::max_restarts`].
    pub fn max_restarts(mut self, n: u32) -> Self {
        self.flags.max_restarts = n;
        self
    }

    /// As [`SupervisorBuilder::within`].
    pub fn within(mut self, d: Duration) -> Self {
        self.flags.within = d;
        self
    }

    /// As [`SupervisorBuilder::auto_shutdown`] (`AllSignificant`: when the
    /// last significant child is gone).
    pub fn auto_shutdown(mut self, a: AutoShutdown) -> Self {
        self.flags.auto_shutdown = a;
        self
    }

    /// At most this many children (`start_child` beyond it fails with
    /// `MaxChildren`).
    pub fn max_children(mut self, n: usize) -> Self {
        self.flags.max_children = Some(n);
        self
    }

    /// Checks the flags and builds.
    pub fn build(self) -> Result<DynamicSupervisor, SpecError> {
        check_flags(&self.flags)?;
        if self.flags.max_children == Some(0) {
            return Err(SpecError::ZeroMaxChildren);
        }
        Ok(DynamicSupervisor {
            sup: Supervisor {
                flags: self.flags,
                children: Vec::new(),
            },
        })
    }
}

impl From<DynamicSupervisor> for Supervisor {
    fn from(d: DynamicSupervisor) -> Supervisor {
        d.sup
    }
}

impl MakeSupervisor for DynamicSupervisor {
    fn make(&self) -> Supervisor {
        self.sup.clone()
    }
}

fn check_flags(flags: &Flags) -> Result<(), SpecError> {
    if flags.within.is_zero() {
        return Err(SpecError::ZeroWithin);
    }
    Ok(())
}

/// The checks of one spec against its supervisor's flags.
pub(crate) fn check_spec(flags: &Flags, spec: &ChildSpec) -> Result<(), SpecError> {
    spec.check()?;
    if spec.significant && flags.auto_shutdown == AutoShutdown::Never {
        return Err(SpecError::SignificantWithoutAutoShutdown(spec.id.clone()));
    }
    Ok(())
}

impl fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Supervisor")
            .field("strategy", &self.flags.strategy)
            .field("max_restarts", &self.flags.max_restarts)
            .field("within", &self.flags.within)
            .field("auto_shutdown", &self.flags.auto_shutdown)
            .field("dynamic", &self.flags.dynamic)
            .field("children", &self.children)
            .finish()
    }
}
