//! Fault-tolerance patterns built on supervision (DESIGN.md §6).
//!
//! - [`TreeSnapshot`]: the live supervision tree (ids, kinds, strategies,
//!   states, mailboxes, restart counts and budgets, last exit reasons),
//!   rendered as indented text, Graphviz DOT or Mermaid.
//!   [`System::snapshot`](crate::System::snapshot) captures the whole
//!   System's; [`TreeSnapshot::capture`] any subtree's.
//! - [`Faults`]: seeded fault injection for tests (panics, stalls, lost
//!   messages, failed starts), installed with
//!   [`SystemBuilder::faults`](crate::SystemBuilder::faults).
//! - [`ChaosMonkey`]: kills random workers of a tree at a steady rate, a
//!   bounded number of times.
//! - [`Pool`]: N supervised, identical workers behind one handle, routed
//!   round robin, to the shortest mailbox, or by key (consistent hashing);
//!   restarting workers are skipped; resizable at run time.
//! - With the `tower` feature: `AskService`, an ask handle (of an actor or
//!   a pool) as a `tower::Service`, so tower's timeout, retry, rate-limit
//!   and load-shed layers apply; and `CircuitBreaker`, a circuit breaker
//!   layer on keel's clock with a fallback.
mod chaos;
mod faults;
mod introspect;
mod pool;
#[cfg(feature = "tower")]
mod service;

pub use self::chaos::{ChaosMonkey, ChaosReport, Kill};
pub use self::faults::{Fault, FaultRule, Faults, Target};
pub use self::introspect::{SupervisorInfo, TreeNode, TreeSnapshot};
pub use self::pool::{Pool, PoolBuilder, PoolError, Routing};
#[cfg(feature = "tower")]
pub use self::service::{
    AskService, BoxFuture, Breaker, BreakerError, CircuitBreaker, CircuitBreakerLayer, CircuitState,
};
