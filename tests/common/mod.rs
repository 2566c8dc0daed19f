//! Waiting helpers shared by the fault-tolerance test suites (each
//! includes this module with `mod common;`). Every wait is bounded: a
//! failing run fails, it does not hang; the bound is a hang guard, never a
//! claim about speed.
#![allow(dead_code)] // each suite uses a part

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

/// How long any one wait may take before the test fails as hung.
pub(crate) const BOUND: Duration = Duration::from_secs(10);

/// Awaits `f`, failing the test if it takes longer than [`BOUND`].
pub(crate) async fn bounded<T>(what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(BOUND, f).await {
        Ok(v) => v,
        Err(_) => panic!("hung: {what} did not happen within {BOUND:?}"),
    }
}

/// Waits (yielding, bounded) until `cond` holds: for facts that have no
/// event, such as a timer armed on the manual clock or an address's status.
pub(crate) async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    bounded(what, async {
        while !cond() {
            tokio::task::yield_now().await;
        }
    })
    .await
}

/// Polls `f` once.
pub(crate) async fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *f).poll(cx))).await
}
