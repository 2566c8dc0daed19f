//! `#[actor(name = "...")]` names the actor's tracing span.
//!
//! A test binary of its own, with one test and a global subscriber set
//! before any actor runs: tracing caches each callsite's interest for the
//! whole process, so a thread-local subscriber (`set_default`) in a binary
//! whose other tests register the same callsite on other threads at the
//! same time sometimes saw no span at all (about one run in seven).
#![cfg(not(keel_loom))]
// the loom build compiles only sync + core
// A test program is not part of the loom-swappable build.
#![allow(clippy::disallowed_types)]

use std::fmt;
use std::sync::{Arc, Mutex};

use keel::prelude::*;
use keel::{ActorConfig, MailboxConfig};

#[derive(Actor)]
#[actor(name = "custom-name")]
#[actor(bounded = 8)]
struct Named;

#[keel::messages]
impl Named {
    #[message]
    fn ping(&self) -> u32 {
        4
    }
}

#[derive(Actor, Default)]
struct Plain;

#[keel::messages]
impl Plain {}

type Log = Arc<Mutex<Vec<String>>>;

/// Records the `actor` field of every `actor` span (where keel puts the
/// actor's name).
struct SpanNames(Log);

impl tracing::Subscriber for SpanNames {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        struct Field<'a>(&'a Log);
        impl tracing::field::Visit for Field<'_> {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                if field.name() == "actor" {
                    self.0.lock().unwrap().push(value.to_string());
                }
            }
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
                if field.name() == "actor" {
                    self.0.lock().unwrap().push(format!("{value:?}"));
                }
            }
        }
        if span.metadata().name() == "actor" {
            span.record(&mut Field(&self.0));
        }
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// `name = "..."` is the name in traces (the actor's span); several
/// `#[actor]` attributes merge. Without the attribute, the type's name.
#[test]
fn name_attribute_names_the_span() {
    let names = Log::default();
    tracing::subscriber::set_global_default(SpanNames(names.clone())).unwrap();
    assert_eq!(
        <Named as Actor>::config(),
        ActorConfig::new()
            .mailbox(MailboxConfig::bounded(8))
            .name("custom-name")
    );
    let system = System::builder().workers(1).build().unwrap();
    let named = system.spawn(Named);
    let plain = system.spawn(Plain);
    assert_eq!(named.ask_blocking(NamedMsg::Ping), Ok(4));
    drop(plain);
    let names = names.lock().unwrap().clone();
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(names[0], "custom-name");
    assert!(names[1].ends_with("Plain"), "{names:?}");
    system.shutdown_blocking().unwrap();
}
