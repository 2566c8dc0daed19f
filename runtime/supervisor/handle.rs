//! [`SupervisorRef`]: the management calls (OTP_SEMANTICS.md §10).
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::actor::{ActorId, ActorRef, AnyRef, AskError, AskFuture};
use crate::supervisor::server::{Selector, SupMsg, SupervisorActor};
use crate::supervisor::{ChildCounts, ChildInfo, ChildSpec, SupervisorError, SupervisorReport};

/// A handle to a running supervisor (static or dynamic). Cheap to clone;
/// stays valid across the supervisor's restarts.
///
/// Every call is a message to the supervisor, handled in order with its
/// children's exits, and waits as long as it takes (a start waits for the
/// child's `started`, as OTP's calls do); `NotRunning` once the supervisor
/// is gone.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SupervisorRef {
    actor: ActorRef<SupervisorActor>,
}

/// Management calls do not time out (OTP's `infinity`).
const FOREVER: Duration = Duration::MAX;

impl SupervisorRef {
    pub(crate) fn new(actor: ActorRef<SupervisorActor>) -> SupervisorRef {
        SupervisorRef { actor }
    }

    /// The supervisor behind an untyped ref (a nested supervisor from
    /// `which_children`), if it is one.
    pub fn from_any(any: &AnyRef) -> Option<SupervisorRef> {
        any.downcast::<SupervisorActor>().map(SupervisorRef::new)
    }

    /// The supervisor's address id.
    pub fn id(&self) -> ActorId {
        self.actor.id()
    }

    /// The untyped handle (to link with, monitor, stop or kill it).
    pub fn any(&self) -> AnyRef {
        self.actor.any()
    }

    /// The children in start order (OTP lists the newest first: a
    /// documented deviation).
    pub fn which_children(
        &self,
    ) -> impl Future<Output = Result<Vec<ChildInfo>, SupervisorError>> + Send + 'static {
        call(self.actor.ask_within(FOREVER, SupMsg::Which))
    }

    /// Its settings, its restart limit's use, and each child's state,
    /// restart count and last exit (OTP's `sys:get_status`, in short).
    /// [`keel::patterns::TreeSnapshot`](crate::patterns::TreeSnapshot)
    /// walks a whole tree with it. Like every management call it waits for
    /// the supervisor: not from a hook the supervisor itself is waiting on
    /// (a child's `started`, or its `stopped` in a shutdown).
    pub fn inspect(
        &self,
    ) -> impl Future<Output = Result<SupervisorReport, SupervisorError>> + Send + 'static {
        call(self.actor.ask_within(FOREVER, SupMsg::Inspect))
    }

    /// How many children, running, workers and supervisors.
    pub fn count_children(
        &self,
    ) -> impl Future<Output = Result<ChildCounts, SupervisorError>> + Send + 'static {
        call(self.actor.ask_within(FOREVER, SupMsg::Count))
    }

    /// Adds a child at the end of the start order and starts it: its ref,
    /// or `None` if its `started` returned `Start::Ignore`. A child that
    /// fails to start is not added (`StartFailed`).
    pub fn start_child(
        &self,
        spec: ChildSpec,
    ) -> impl Future<Output = Result<Option<AnyRef>, SupervisorError>> + Send + 'static {
        flat(
            self.actor
                .ask_within(FOREVER, |r| SupMsg::StartChild(spec, r)),
        )
    }

    /// Stops a child by its shutdown spec, without a restart: by id, or by
    /// its ref (`&ActorRef`, `&AnyRef`; the only way under a dynamic
    /// supervisor). A permanent or transient child's spec is kept
    /// (`restart_child` starts it again); a temporary child's, and a
    /// dynamic supervisor's child's, is removed. Its address closes: tells
    /// to it fail `Closed`. A pending restart is cancelled, and with it the
    /// restart of the siblings that waited for it (a one_for_all or
    /// rest_for_one restart that failed at this child).
    pub fn terminate_child(
        &self,
        child: impl Into<ChildSelector>,
    ) -> impl Future<Output = Result<(), SupervisorError>> + Send + 'static {
        let selector = child.into().0;
        flat(
            self.actor
                .ask_within(FOREVER, |r| SupMsg::Terminate(selector, r)),
        )
    }

    /// Starts a stopped child again (not counted as a restart). A stopped
    /// child's address was closed: it starts on a new one, so take its new
    /// ref from the answer (OTP: a new pid). Only the restarts a supervisor
    /// decides itself keep a child's address.
    pub fn restart_child(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<AnyRef>, SupervisorError>> + Send + 'static {
        let id: Arc<str> = Arc::from(id);
        flat(self.actor.ask_within(FOREVER, |r| SupMsg::Restart(id, r)))
    }

    /// Forgets a stopped child's spec.
    pub fn delete_child(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<(), SupervisorError>> + Send + 'static {
        let id: Arc<str> = Arc::from(id);
        flat(self.actor.ask_within(FOREVER, |r| SupMsg::Delete(id, r)))
    }

    /// Resolves once the supervisor has handled everything queued before
    /// this call (its children's exits included), and has restarted the
    /// children it decided to restart, except those waiting for a restart
    /// delay or a retry. A restart waits for its address when the previous
    /// incarnation was killed inside a handler that has not yielded yet;
    /// `sync` waits for that too (the supervisor serves other calls
    /// meanwhile).
    pub fn sync(&self) -> impl Future<Output = Result<(), SupervisorError>> + Send + 'static {
        call(self.actor.ask_within(FOREVER, SupMsg::Sync))
    }

    /// Resolves when the supervisor has ended, with its exit reason.
    pub fn wait_exit(&self) -> impl Future<Output = crate::actor::ExitReason> + Send + 'static {
        self.actor.wait_exit()
    }
}

/// Names a child for `terminate_child`: its id (`&str`, `String`) or its
/// ref (`&ActorRef<A>`, `&AnyRef`).
#[derive(Debug)]
pub struct ChildSelector(Selector);

impl From<&str> for ChildSelector {
    fn from(id: &str) -> Self {
        ChildSelector(Selector::Id(Arc::from(id)))
    }
}

impl From<String> for ChildSelector {
    fn from(id: String) -> Self {
        ChildSelector(Selector::Id(Arc::from(id)))
    }
}

impl From<&AnyRef> for ChildSelector {
    fn from(r: &AnyRef) -> Self {
        ChildSelector(Selector::Ref(r.id()))
    }
}

impl<A: crate::actor::Actor> From<&ActorRef<A>> for ChildSelector {
    fn from(r: &ActorRef<A>) -> Self {
        ChildSelector(Selector::Ref(r.id()))
    }
}

async fn call<T>(ask: AskFuture<T>) -> Result<T, SupervisorError> {
    ask.await.map_err(not_running)
}

async fn flat<T>(ask: AskFuture<Result<T, SupervisorError>>) -> Result<T, SupervisorError> {
    ask.await.map_err(not_running)?
}

fn not_running(_: AskError) -> SupervisorError {
    SupervisorError::NotRunning
}

impl fmt::Debug for SupervisorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SupervisorRef({})", self.actor.id())
    }
}

impl From<SupervisorRef> for AnyRef {
    fn from(s: SupervisorRef) -> AnyRef {
        s.any()
    }
}

impl From<&SupervisorRef> for AnyRef {
    fn from(s: &SupervisorRef) -> AnyRef {
        s.any()
    }
}
