//! Procedural macros for keel.
//!
//! Empty for now: `derive(Actor)`, `#[keel::messages]` and `derive(Supervisor)`
//! arrive with the actor and supervision layers. Use them through `keel`, which
//! re-exports this crate; generated code will name keel only through
//! `::keel::__private`.
