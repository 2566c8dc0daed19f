//! Child specifications (OTP_SEMANTICS.md §2): what a supervisor starts,
//! when it restarts it, how it stops it.
use std::fmt;
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use crate::actor::address::Incarnation;
use crate::actor::exit::panic_message;
use crate::actor::kernel::Kernel;
use crate::actor::run::{respawn, spawn_child, SpawnOptions};
use crate::actor::{Actor, AnyRef, ExitReason};
use crate::supervisor::Supervisor;

/// When a child is restarted (OTP's restart types). The normal family of
/// exit reasons is `Normal`, `Shutdown` and `ShutdownWith`; every other
/// reason is abnormal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Restart {
    /// Always restarted, whatever the reason (the default).
    #[default]
    Permanent,
    /// Restarted only after an abnormal exit (not `Normal`, `Shutdown` or
    /// `ShutdownWith`).
    Transient,
    /// Never restarted; its spec is removed when it ends.
    Temporary,
}

/// How a supervisor stops a child (OTP's shutdown protocol): as its parent,
/// so a child stops even if it traps exits, and its `stopped` runs only if
/// it traps exits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shutdown {
    /// Kill it at once: `stopped` does not run.
    BrutalKill,
    /// Ask it to stop (an exit signal `Shutdown` from its parent: a child
    /// that traps exits runs `stopped`), and kill it if it has not ended
    /// within this time (then `ShutdownError` with `Killed` is reported).
    Timeout(Duration),
    /// Ask it to stop and wait as long as it takes (the default for
    /// supervisors).
    Infinity,
}

/// Whether a child is a worker or a supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChildKind {
    /// Any actor.
    Worker,
    /// A supervisor (its shutdown defaults to `Infinity`).
    Supervisor,
}

/// A restart delay that grows with each consecutive restart: the `n`-th
/// (from 0) waits `initial * 2^n`, at most `max`, less a random part of up
/// to `jitter` of it; a child that stayed up for `reset_after` starts again
/// from `initial`.
///
/// The delay runs on the System's clock and never blocks the supervisor:
/// meanwhile the child is `Restarting`, the supervisor serves its other
/// children and calls, and `terminate_child` cancels the restart. The
/// restart counts against the restart limit when it is decided, not when
/// it happens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub(crate) initial: Duration,
    pub(crate) max: Duration,
    pub(crate) jitter: f64,
    pub(crate) reset_after: Duration,
}

impl Backoff {
    /// Exponential backoff from `initial` up to `max`, without jitter,
    /// reset after the child stayed up for `max`.
    pub fn exponential(initial: Duration, max: Duration) -> Backoff {
        Backoff {
            initial,
            max,
            jitter: 0.0,
            reset_after: max,
        }
    }

    /// Takes up to this fraction (0.0 to 1.0) off each delay at random, so
    /// that children crashing together do not restart together.
    pub fn jitter(mut self, fraction: f64) -> Backoff {
        self.jitter = fraction;
        self
    }

    /// How long a child must stay up for its next delay to start from
    /// `initial` again.
    pub fn reset_after(mut self, d: Duration) -> Backoff {
        self.reset_after = d;
        self
    }

    /// The delay before the `step`-th consecutive restart (from 0), given a
    /// random `roll` in `[0, 1)`.
    pub(crate) fn delay(&self, step: u32, roll: f64) -> Duration {
        let factor = 2u32.checked_pow(step.min(31)).unwrap_or(u32::MAX);
        let full = self.initial.saturating_mul(factor).min(self.max);
        let keep = 1.0 - self.jitter * roll.clamp(0.0, 1.0);
        // `mul_f64` panics when rounding takes a huge delay past
        // `Duration::MAX`; such a delay is kept whole.
        Duration::try_from_secs_f64(full.as_secs_f64() * keep).map_or(full, |d| d.min(full))
    }

    fn check(&self) -> Result<(), &'static str> {
        if self.initial.is_zero() {
            return Err("a backoff's initial delay must be above zero");
        }
        if self.max < self.initial {
            return Err("a backoff's max must be at least its initial delay");
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            return Err("a backoff's jitter must be between 0.0 and 1.0");
        }
        Ok(())
    }
}

/// A supervisor's description of one child: how to make it, when to
/// restart it, how to stop it.
///
/// ```
/// # use keel::prelude::*;
/// # use keel::{Restart, Shutdown};
/// # use std::time::Duration;
/// # #[derive(Default)] struct Cache;
/// # impl Actor for Cache { type Msg = (); type Error = std::convert::Infallible;
/// #   async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> { Ok(()) } }
/// let spec = ChildSpec::worker("cache", Cache::default)
///     .restart(Restart::Transient)
///     .shutdown(Shutdown::Timeout(Duration::from_secs(1)));
/// assert_eq!(spec.id(), "cache");
/// ```
#[derive(Clone)]
pub struct ChildSpec {
    pub(crate) id: Arc<str>,
    pub(crate) start: Arc<dyn Starter>,
    pub(crate) restart: Restart,
    pub(crate) shutdown: Shutdown,
    pub(crate) kind: ChildKind,
    pub(crate) significant: bool,
    pub(crate) name: Option<Arc<str>>,
    pub(crate) dispatcher: Option<Arc<str>>,
    pub(crate) restart_delay: Option<Backoff>,
}

impl ChildSpec {
    /// A worker: `factory` makes a fresh actor for every start. Permanent,
    /// shut down with a 5 s timeout.
    pub fn worker<A, F>(id: impl Into<Arc<str>>, factory: F) -> ChildSpec
    where
        A: Actor,
        F: Fn() -> A + Send + Sync + 'static,
    {
        ChildSpec {
            id: id.into(),
            start: Arc::new(FnStarter(factory, PhantomData)),
            restart: Restart::Permanent,
            shutdown: Shutdown::Timeout(Duration::from_secs(5)),
            kind: ChildKind::Worker,
            significant: false,
            name: None,
            dispatcher: None,
            restart_delay: None,
        }
    }

    /// A supervisor child: `sup` (a [`Supervisor`], a `DynamicSupervisor`,
    /// or a function making one) is started afresh, children and all, on
    /// every start. Permanent, shutdown `Infinity`.
    pub fn supervisor(id: impl Into<Arc<str>>, sup: impl MakeSupervisor) -> ChildSpec {
        let make = move || crate::supervisor::server::SupervisorActor::new(sup.make());
        ChildSpec {
            kind: ChildKind::Supervisor,
            shutdown: Shutdown::Infinity,
            ..ChildSpec::worker(id, make)
        }
    }

    /// When it is restarted (default `Permanent`).
    pub fn restart(mut self, restart: Restart) -> ChildSpec {
        self.restart = restart;
        self
    }

    /// How it is stopped (default: 5 s for a worker, `Infinity` for a
    /// supervisor).
    pub fn shutdown(mut self, shutdown: Shutdown) -> ChildSpec {
        self.shutdown = shutdown;
        self
    }

    /// Marks it significant: with the supervisor's `auto_shutdown`, its
    /// ending by itself (not restarted) ends the supervisor. Only for
    /// transient and temporary children.
    pub fn significant(mut self, on: bool) -> ChildSpec {
        self.significant = on;
        self
    }

    /// Registers each incarnation under `name` (`system.whereis`); the name
    /// is released before each exit is announced.
    pub fn name(mut self, name: impl Into<Arc<str>>) -> ChildSpec {
        self.name = Some(name.into());
        self
    }

    /// Runs it on this named dispatcher (a bulkhead), whatever its type's
    /// configuration says.
    pub fn dispatcher(mut self, name: impl Into<Arc<str>>) -> ChildSpec {
        self.dispatcher = Some(name.into());
        self
    }

    /// Restarts it after a growing delay instead of at once (see
    /// [`Backoff`]).
    pub fn restart_delay(mut self, backoff: Backoff) -> ChildSpec {
        self.restart_delay = Some(backoff);
        self
    }

    /// Its id, unique within its supervisor.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Worker or supervisor.
    pub fn kind(&self) -> ChildKind {
        self.kind
    }

    /// Its restart type.
    pub fn restart_type(&self) -> Restart {
        self.restart
    }

    /// How it is stopped.
    pub fn shutdown_spec(&self) -> Shutdown {
        self.shutdown
    }

    /// Whether it is significant.
    pub fn is_significant(&self) -> bool {
        self.significant
    }

    /// The checks that need only the spec itself.
    pub(crate) fn check(&self) -> Result<(), SpecError> {
        if self.id.is_empty() {
            return Err(SpecError::EmptyId);
        }
        if self.significant && self.restart == Restart::Permanent {
            return Err(SpecError::SignificantPermanent(self.id.clone()));
        }
        if let Some(b) = &self.restart_delay {
            b.check()
                .map_err(|why| SpecError::InvalidBackoff(self.id.clone(), why))?;
        }
        Ok(())
    }
}

impl fmt::Debug for ChildSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildSpec")
            .field("id", &self.id)
            .field("restart", &self.restart)
            .field("shutdown", &self.shutdown)
            .field("kind", &self.kind)
            .field("significant", &self.significant)
            .field("name", &self.name)
            .field("dispatcher", &self.dispatcher)
            .field("restart_delay", &self.restart_delay)
            .finish_non_exhaustive()
    }
}

/// A spec or a set of supervisor flags that cannot work, refused when
/// built (OTP's `bad_combination` and friends).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// Two children of one supervisor have the same id.
    #[error("two children have the id {0:?}")]
    DuplicateId(Arc<str>),
    /// A child id is empty.
    #[error("a child id must not be empty")]
    EmptyId,
    /// A significant child must be transient or temporary (a permanent one
    /// would never end by itself).
    #[error("child {0:?} is significant and permanent: a significant child must be transient or temporary")]
    SignificantPermanent(Arc<str>),
    /// A significant child under a supervisor whose `auto_shutdown` is
    /// `Never`.
    #[error("child {0:?} is significant but the supervisor's auto_shutdown is Never")]
    SignificantWithoutAutoShutdown(Arc<str>),
    /// `within` is zero.
    #[error("the restart window `within` must be above zero")]
    ZeroWithin,
    /// A restart delay that cannot work.
    #[error("child {0:?}: {1}")]
    InvalidBackoff(Arc<str>, &'static str),
    /// `max_children` is zero.
    #[error("max_children must be at least 1")]
    ZeroMaxChildren,
}

/// What [`ChildSpec::supervisor`] takes: a supervisor to start afresh on
/// every start ([`Supervisor`], `DynamicSupervisor`, or a function
/// returning one).
pub trait MakeSupervisor: Send + Sync + 'static {
    /// The supervisor for one start.
    fn make(&self) -> Supervisor;
}

impl MakeSupervisor for Supervisor {
    fn make(&self) -> Supervisor {
        self.clone()
    }
}

impl<F, S> MakeSupervisor for F
where
    F: Fn() -> S + Send + Sync + 'static,
    S: Into<Supervisor>,
{
    fn make(&self) -> Supervisor {
        self().into()
    }
}

/// Starts one incarnation of a child, type-erased.
pub(crate) trait Starter: Send + Sync {
    /// Starts a fresh actor: on `on` (a restart keeps the address) if it is
    /// given, else on a new address. Returns the address and the new
    /// incarnation; `Err` if the factory panicked (a start failure, as an
    /// exception in an OTP start function).
    fn start(
        &self,
        kernel: &Arc<Kernel>,
        on: Option<&AnyRef>,
        opts: SpawnOptions,
    ) -> Result<(AnyRef, Arc<Incarnation>), ExitReason>;
}

struct FnStarter<A, F>(F, PhantomData<fn() -> A>);

impl<A, F> Starter for FnStarter<A, F>
where
    A: Actor,
    F: Fn() -> A + Send + Sync + 'static,
{
    fn start(
        &self,
        kernel: &Arc<Kernel>,
        on: Option<&AnyRef>,
        opts: SpawnOptions,
    ) -> Result<(AnyRef, Arc<Incarnation>), ExitReason> {
        let actor = catch_unwind(AssertUnwindSafe(|| (self.0)()))
            .map_err(|payload| ExitReason::Panic(panic_message(&*payload)))?;
        Ok(match on.and_then(AnyRef::downcast::<A>) {
            Some(r) => {
                let inc = respawn(&r.addr, actor, opts);
                (r.any(), inc)
            }
            None => {
                let (r, inc) = spawn_child(kernel, actor, opts);
                (r.any(), inc)
            }
        })
    }
}
