//! The macros' compile errors and the programs they must accept, checked
//! with trybuild.
//!
//! `tests/ui/fail/*.rs` are mistakes in `#[derive(Actor)]`, `#[actor(...)]`,
//! `#[keel::messages]` and `#[message]`, one per file: each must fail to
//! compile with exactly the error in its `.stderr` (a clear message, spanned
//! on the offending item, and no cascade). `tests/ui/pass/*.rs` are programs
//! that must compile (warning-free where they say so) and run.
//!
//! The expected output is rustc's, so it moves with the pinned toolchain
//! (`rust-toolchain.toml`). After changing a message on purpose, regenerate
//! the `.stderr` files and read the diff:
//!
//! ```text
//! TRYBUILD=overwrite cargo test --test ui
//! ```
#![cfg(not(keel_loom))] // the loom build compiles only sync + core

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
