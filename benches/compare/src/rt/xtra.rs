//! xtra: not written yet.
use crate::harness::{Report, Workload};

/// How xtra runs each workload, where a reader needs to know.
pub(super) const NOTES: &[(&str, &str)] = &[];

pub(super) fn run(_workload: Workload) -> Result<Report, String> {
    Err("not written yet".into())
}
