//! Fault-tolerance patterns built on supervision (DESIGN.md §6).
//!
//! - [`TreeSnapshot`]: the live supervision tree (ids, kinds, strategies,
//!   states, mailboxes, restart counts and budgets, last exit reasons),
//!   rendered as indented text, Graphviz DOT or Mermaid.
//!   [`System::snapshot`](crate::System::snapshot) captures the whole
//!   System's; [`TreeSnapshot::capture`] any subtree's.
mod introspect;

pub use self::introspect::{SupervisorInfo, TreeNode, TreeSnapshot};
