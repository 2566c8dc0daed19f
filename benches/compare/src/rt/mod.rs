//! One module per runtime; each runs a workload in the current process.
use crate::harness::{Report, Workload};

mod floors;
mod keel;

#[cfg(feature = "actix")]
mod actix;
#[cfg(feature = "kameo")]
mod kameo;
#[cfg(feature = "ractor")]
mod ractor;
#[cfg(feature = "xtra")]
mod xtra;

/// What a runtime is in the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// keel.
    Keel,
    /// A Rust actor runtime a user could pick instead.
    Peer,
    /// A bare floor: no actor runtime at all.
    Floor,
}

/// A runtime this binary can run.
#[derive(Debug, Clone, Copy)]
pub struct Runtime {
    /// Its name on the command line.
    pub name: &'static str,
    /// What it is.
    pub kind: Kind,
    /// The version measured.
    pub version: &'static str,
}

/// Every runtime built into this binary, keel first.
pub fn all() -> Vec<Runtime> {
    let mut v = vec![Runtime {
        name: "keel",
        kind: Kind::Keel,
        version: "0.1.0 (this tree)",
    }];
    #[cfg(feature = "ractor")]
    v.push(Runtime {
        name: "ractor",
        kind: Kind::Peer,
        version: "0.16.5",
    });
    #[cfg(feature = "kameo")]
    v.push(Runtime {
        name: "kameo",
        kind: Kind::Peer,
        version: "0.22.2",
    });
    #[cfg(feature = "actix")]
    v.push(Runtime {
        name: "actix",
        kind: Kind::Peer,
        version: "0.13.5",
    });
    #[cfg(feature = "xtra")]
    v.push(Runtime {
        name: "xtra",
        kind: Kind::Peer,
        version: "0.6.0",
    });
    v.extend(floors::RUNTIMES);
    v
}

/// Runs `workload` on `runtime`; `Err(why)` if that runtime cannot run it.
pub fn run(runtime: &str, workload: Workload) -> Result<Report, String> {
    match runtime {
        "keel" => keel::run(workload),
        #[cfg(feature = "ractor")]
        "ractor" => ractor::run(workload),
        #[cfg(feature = "kameo")]
        "kameo" => kameo::run(workload),
        #[cfg(feature = "actix")]
        "actix" => actix::run(workload),
        #[cfg(feature = "xtra")]
        "xtra" => xtra::run(workload),
        other => floors::run(other, workload),
    }
}

/// What a reader of a workload's table should know about how `runtime`
/// ran it: (workload name, note) pairs.
pub fn notes(runtime: &str) -> &'static [(&'static str, &'static str)] {
    match runtime {
        "keel" => keel::NOTES,
        #[cfg(feature = "ractor")]
        "ractor" => ractor::NOTES,
        #[cfg(feature = "kameo")]
        "kameo" => kameo::NOTES,
        #[cfg(feature = "actix")]
        "actix" => actix::NOTES,
        #[cfg(feature = "xtra")]
        "xtra" => xtra::NOTES,
        other => floors::notes(other),
    }
}
