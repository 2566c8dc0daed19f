//! Test support (the `testing` feature): a manual clock, holding an actor's
//! user lane, and quiet panics.
//!
//! Tests built on these need no sleeps: a [`ManualClock`] moves time only
//! when told, [`suspend`] and [`resume`] hold messages in a mailbox, and
//! `system.events()` reports what happened, in order.
use std::sync::Once;

use crate::actor::AnyRef;
pub use crate::time::ManualClock;

/// Holds the actor's user lane: its run loop takes no message, stop,
/// trapped exit signal or `Down` until [`resume`]. The control lane still
/// works (`kill`, exit signals that end it). A hook already running
/// finishes first.
pub fn suspend(actor: impl Into<AnyRef>) {
    actor.into().addr.set_suspended(true);
}

/// Releases a lane held by [`suspend`].
pub fn resume(actor: impl Into<AnyRef>) {
    actor.into().addr.set_suspended(false);
}

/// Silences the panic messages of panics inside actor hooks (keel catches
/// them; a test that provokes them need not print them). Other panics still
/// reach the hook that was installed before. keel never calls this itself:
/// the panic hook is the application's.
pub fn quiet_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if crate::actor::ask::current_actor().is_none() {
                previous(info);
            }
        }));
    });
}
