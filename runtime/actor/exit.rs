//! Exit reasons, classified as OTP classifies them.
use std::fmt;
use std::sync::Arc;

/// Why an actor incarnation ended (or why a System did).
///
/// `Normal`, `Shutdown` and `ShutdownWith` are the *normal family* (OTP's
/// `normal`, `shutdown`, `{shutdown, Term}`): the actor ended on purpose.
/// Everything else is abnormal: links propagate it, supervisors restart
/// transient children for it.
#[derive(Clone)]
#[non_exhaustive]
pub enum ExitReason {
    /// The actor stopped itself (`ctx.stop()`, `Start::Ignore`).
    Normal,
    /// Asked to stop: `ActorRef::stop()`, or a shutdown request.
    Shutdown,
    /// Asked to stop, with a reason (OTP's `{shutdown, Term}`).
    ShutdownWith(Arc<str>),
    /// Killed: `kill()`, untrappable.
    Killed,
    /// A hook panicked; the panic's message.
    Panic(Arc<str>),
    /// A hook returned `Err`, or the start failed.
    Error(Arc<dyn std::error::Error + Send + Sync>),
    /// The target did not exist (a monitor or link on a gone actor).
    NoProc,
}

impl ExitReason {
    /// `Error` from any error value.
    pub fn error(e: impl std::error::Error + Send + Sync + 'static) -> ExitReason {
        ExitReason::Error(Arc::new(e))
    }

    /// `ShutdownWith(reason)`.
    pub fn shutdown_with(reason: impl Into<Arc<str>>) -> ExitReason {
        ExitReason::ShutdownWith(reason.into())
    }

    /// True for the normal family: `Normal`, `Shutdown`, `ShutdownWith`.
    pub fn is_normal(&self) -> bool {
        matches!(
            self,
            ExitReason::Normal | ExitReason::Shutdown | ExitReason::ShutdownWith(_)
        )
    }

    /// True for every reason outside the normal family (OTP's rule: these
    /// kill linked actors that do not trap exits, and restart transient
    /// children).
    pub fn is_abnormal(&self) -> bool {
        !self.is_normal()
    }
}

impl fmt::Debug for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitReason::Normal => f.write_str("Normal"),
            ExitReason::Shutdown => f.write_str("Shutdown"),
            ExitReason::ShutdownWith(r) => f.debug_tuple("ShutdownWith").field(r).finish(),
            ExitReason::Killed => f.write_str("Killed"),
            ExitReason::Panic(m) => f.debug_tuple("Panic").field(m).finish(),
            ExitReason::Error(e) => f.debug_tuple("Error").field(&e.to_string()).finish(),
            ExitReason::NoProc => f.write_str("NoProc"),
        }
    }
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitReason::Normal => f.write_str("normal"),
            ExitReason::Shutdown => f.write_str("shutdown"),
            ExitReason::ShutdownWith(r) => write!(f, "shutdown: {r}"),
            ExitReason::Killed => f.write_str("killed"),
            ExitReason::Panic(m) => write!(f, "panic: {m}"),
            ExitReason::Error(e) => write!(f, "error: {e}"),
            ExitReason::NoProc => f.write_str("noproc"),
        }
    }
}

/// Two reasons are equal if they are the same variant with equal text; two
/// `Error`s are equal if they are the same error value or display the same.
impl PartialEq for ExitReason {
    fn eq(&self, other: &ExitReason) -> bool {
        use ExitReason::*;
        match (self, other) {
            (Normal, Normal) | (Shutdown, Shutdown) | (Killed, Killed) | (NoProc, NoProc) => true,
            (ShutdownWith(a), ShutdownWith(b)) | (Panic(a), Panic(b)) => a == b,
            (Error(a), Error(b)) => Arc::ptr_eq(a, b) || a.to_string() == b.to_string(),
            _ => false,
        }
    }
}

impl Eq for ExitReason {}

/// The message of a caught panic payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> Arc<str> {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        Arc::from(*s)
    } else if let Some(s) = payload.downcast_ref::<String>() {
        Arc::from(s.as_str())
    } else {
        Arc::from("<non-string panic payload>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_follows_otp() {
        assert!(ExitReason::Normal.is_normal());
        assert!(ExitReason::Shutdown.is_normal());
        assert!(ExitReason::shutdown_with("x").is_normal());
        for r in [
            ExitReason::Killed,
            ExitReason::Panic("p".into()),
            ExitReason::error(std::io::Error::other("e")),
            ExitReason::NoProc,
        ] {
            assert!(r.is_abnormal(), "{r:?}");
        }
    }

    #[test]
    fn equality_and_display() {
        assert_eq!(ExitReason::Panic("a".into()), ExitReason::Panic("a".into()));
        assert_ne!(ExitReason::Panic("a".into()), ExitReason::Panic("b".into()));
        assert_eq!(
            ExitReason::error(std::io::Error::other("e")),
            ExitReason::error(std::io::Error::other("e"))
        );
        assert_eq!(
            ExitReason::shutdown_with("bye").to_string(),
            "shutdown: bye"
        );
    }
}
