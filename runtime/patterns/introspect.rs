//! A snapshot of a live supervision tree, and three renderings of it:
//! indented text, Graphviz DOT and Mermaid.
//!
//! [`TreeSnapshot::capture`] asks each supervisor of the tree for its
//! report ([`SupervisorRef::inspect`]), top down, and reads each running
//! child's mailbox from its ref. Each supervisor answers for one moment;
//! the tree as a whole is not one instant (a child may restart between its
//! supervisor's answer and its children's).
use std::fmt::{self, Write as _};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::actor::{ActorId, ExitReason};
use crate::supervisor::{
    ChildKind, ChildState, Restart, Strategy, SupervisorError, SupervisorRef, SupervisorReport,
};

/// A supervision tree as it was when captured: the supervisor it was
/// captured from, and below it every child, recursively.
///
/// `Display` renders it as indented text (as [`to_text`](Self::to_text)).
#[derive(Debug, Clone)]
pub struct TreeSnapshot {
    /// The supervisor the snapshot starts from.
    pub root: TreeNode,
}

/// One node of a [`TreeSnapshot`]: a supervisor or a worker.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TreeNode {
    /// Its child id (`"root"` for the node a snapshot starts from, unless
    /// it was named).
    pub id: Arc<str>,
    /// The name it is registered under by its spec (`ChildSpec::name`).
    pub name: Option<Arc<str>>,
    /// Worker or supervisor.
    pub kind: ChildKind,
    /// Running (with its ref), restarting, or stopped.
    pub state: ChildState,
    /// The actor's type name, while running.
    pub type_name: Option<&'static str>,
    /// Messages queued, while running.
    pub mailbox_len: Option<usize>,
    /// The most messages its mailbox held at once, if its mailbox tracks it
    /// (`MailboxConfig::track_high_water`).
    pub mailbox_high_water: Option<usize>,
    /// Its restart type (`Permanent` for the node a snapshot starts from).
    pub restart: Restart,
    /// Restarts that brought it back, as
    /// [`ChildReport::restarts`](crate::ChildReport::restarts) (0 for the
    /// node a snapshot starts from).
    pub restarts: u32,
    /// Why it last ended, or last failed to start.
    pub last_exit: Option<ExitReason>,
    /// A running supervisor's own settings and restart limit's use.
    pub supervisor: Option<SupervisorInfo>,
    /// A running supervisor's children, in start order.
    pub children: Vec<TreeNode>,
}

/// A supervisor node's settings and how much of its restart limit is spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SupervisorInfo {
    /// Its strategy.
    pub strategy: Strategy,
    /// A `DynamicSupervisor`.
    pub dynamic: bool,
    /// At most this many restarts ...
    pub max_restarts: u32,
    /// ... within this window.
    pub within: Duration,
    /// Restarts counted in the window when it answered.
    pub restarts_in_window: u32,
}

impl SupervisorInfo {
    /// Restarts it could still make in the window before giving up.
    pub fn restart_budget(&self) -> u32 {
        self.max_restarts.saturating_sub(self.restarts_in_window)
    }
}

impl TreeSnapshot {
    /// Captures the tree under `sup`. Fails only if `sup` itself is gone;
    /// a nested supervisor that ends meanwhile is shown without children.
    ///
    /// It waits for each supervisor to answer, as a management call does:
    /// do not call it from a hook of an actor that a supervisor of this
    /// tree is waiting on (a child's `started`, or its `stopped` during a
    /// shutdown), or it waits for itself.
    pub async fn capture(sup: &SupervisorRef) -> Result<TreeSnapshot, SupervisorError> {
        let report = sup.inspect().await?;
        let any = sup.any();
        let mut root = TreeNode {
            id: Arc::from("root"),
            name: None,
            kind: ChildKind::Supervisor,
            state: ChildState::Running(any.clone()),
            type_name: Some(any.type_name()),
            mailbox_len: Some(any.mailbox_len()),
            mailbox_high_water: any.mailbox_high_water(),
            restart: Restart::Permanent,
            restarts: 0,
            last_exit: None,
            supervisor: None,
            children: Vec::new(),
        };
        fill(&mut root, report).await;
        Ok(TreeSnapshot { root })
    }

    /// The same snapshot with its top node called `id`.
    pub fn named(mut self, id: impl Into<Arc<str>>) -> TreeSnapshot {
        self.root.id = id.into();
        self
    }

    /// Every node, top down, depth first, in start order.
    pub fn nodes(&self) -> Vec<&TreeNode> {
        let mut out = Vec::new();
        let mut stack = vec![&self.root];
        while let Some(node) = stack.pop() {
            out.push(node);
            stack.extend(node.children.iter().rev());
        }
        out
    }

    /// The node at a path of child ids below the top (`&["db", "pool"]`);
    /// the top node for an empty path.
    pub fn find(&self, path: &[&str]) -> Option<&TreeNode> {
        path.iter().try_fold(&self.root, |node, id| {
            node.children.iter().find(|c| &*c.id == *id)
        })
    }

    /// Indented text, one node per line:
    ///
    /// ```text
    /// root  supervisor one_for_one  running  restarts 0/3 in 5s
    /// └─ db  worker permanent  running #12  mailbox 0  restarted 1×  last exit: panic: boom
    /// ```
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        text(&self.root, "", "", &mut out);
        out
    }

    /// Graphviz DOT: a `digraph`, a box per node (a supervisor's has a
    /// double border, a node not running is dashed), an edge from each
    /// supervisor to each child. Render with `dot -Tsvg`.
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph keel {\n  node [shape=box, fontname=\"monospace\"];\n");
        let mut next = 0;
        dot(&self.root, None, &mut next, &mut out);
        out.push_str("}\n");
        out
    }

    /// A Mermaid flowchart (`graph TD`): a node per actor, labelled as in
    /// the text, an edge from each supervisor to each child; a node not
    /// running gets the class `down`. Paste it into a ```` ```mermaid ````
    /// block.
    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("graph TD\n");
        let mut next = 0;
        mermaid(&self.root, None, &mut next, &mut out);
        out.push_str("  classDef down stroke-dasharray: 5 5;\n");
        out
    }
}

impl fmt::Display for TreeSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl TreeNode {
    /// True while running.
    pub fn is_running(&self) -> bool {
        matches!(self.state, ChildState::Running(_))
    }

    /// Its address id, while running.
    pub fn actor(&self) -> Option<ActorId> {
        match &self.state {
            ChildState::Running(r) => Some(r.id()),
            _ => None,
        }
    }

    /// One line: id (and registered name), kind, restart type, state,
    /// mailbox, restart figures, last exit.
    pub fn label(&self) -> String {
        let mut s = match &self.name {
            Some(name) => format!("{} ({name})  ", self.id),
            None => format!("{}  ", self.id),
        };
        match (&self.supervisor, self.kind) {
            (Some(sup), _) => {
                let _ = write!(s, "supervisor {}", strategy_name(sup.strategy, sup.dynamic));
            }
            (None, ChildKind::Supervisor) => s.push_str("supervisor"),
            (None, ChildKind::Worker) => s.push_str("worker"),
        }
        if self.restart != Restart::Permanent {
            let _ = write!(s, " {}", restart_name(self.restart));
        }
        match &self.state {
            ChildState::Running(r) => {
                let _ = write!(s, "  running {}", r.id());
            }
            ChildState::Restarting => s.push_str("  restarting"),
            ChildState::Stopped => s.push_str("  stopped"),
        }
        if let Some(len) = self.mailbox_len {
            let _ = write!(s, "  mailbox {len}");
            if let Some(high) = self.mailbox_high_water {
                let _ = write!(s, " (max {high})");
            }
        }
        if let Some(sup) = &self.supervisor {
            let _ = write!(
                s,
                "  restarts {}/{} in {:?}",
                sup.restarts_in_window, sup.max_restarts, sup.within
            );
        }
        if self.restarts > 0 {
            let _ = write!(s, "  restarted {}×", self.restarts);
        }
        if let Some(reason) = &self.last_exit {
            let _ = write!(s, "  last exit: {reason}");
        }
        // One line per node, whatever a panic message holds.
        s.replace(['\n', '\r'], " ")
    }
}

// ---- private machinery ----

type Boxed<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Fills `node` (a running supervisor) from its report, asking each
/// running child supervisor in turn.
fn fill(node: &mut TreeNode, report: SupervisorReport) -> Boxed<'_> {
    Box::pin(async move {
        node.supervisor = Some(SupervisorInfo {
            strategy: report.strategy,
            dynamic: report.dynamic,
            max_restarts: report.max_restarts,
            within: report.within,
            restarts_in_window: report.restarts_in_window,
        });
        for child in report.children {
            let running = match &child.state {
                ChildState::Running(r) => Some(r.clone()),
                _ => None,
            };
            let mut n = TreeNode {
                id: child.id,
                name: child.name,
                kind: child.kind,
                state: child.state,
                type_name: running.as_ref().map(|r| r.type_name()),
                mailbox_len: running.as_ref().map(|r| r.mailbox_len()),
                mailbox_high_water: running.as_ref().and_then(|r| r.mailbox_high_water()),
                restart: child.restart,
                restarts: child.restarts,
                last_exit: child.last_exit,
                supervisor: None,
                children: Vec::new(),
            };
            let nested = running.as_ref().and_then(SupervisorRef::from_any);
            if let Some(sup) = nested {
                // Gone since its supervisor answered: shown as it was.
                if let Ok(report) = sup.inspect().await {
                    fill(&mut n, report).await;
                }
            }
            node.children.push(n);
        }
    })
}

fn text(node: &TreeNode, lead: &str, child_lead: &str, out: &mut String) {
    let _ = writeln!(out, "{lead}{}", node.label());
    let last = node.children.len().saturating_sub(1);
    for (i, child) in node.children.iter().enumerate() {
        let (branch, next) = if i == last {
            ("└─ ", "   ")
        } else {
            ("├─ ", "│  ")
        };
        text(
            child,
            &format!("{child_lead}{branch}"),
            &format!("{child_lead}{next}"),
            out,
        );
    }
}

fn dot(node: &TreeNode, parent: Option<usize>, next: &mut usize, out: &mut String) {
    let me = *next;
    *next += 1;
    let mut style = Vec::new();
    if node.kind == ChildKind::Supervisor {
        style.push("peripheries=2");
    }
    if !node.is_running() {
        style.push("style=dashed");
    }
    let extra = if style.is_empty() {
        String::new()
    } else {
        format!(", {}", style.join(", "))
    };
    let _ = writeln!(
        out,
        "  n{me} [label=\"{}\"{extra}];",
        escape_dot(&node.label())
    );
    if let Some(p) = parent {
        let _ = writeln!(out, "  n{p} -> n{me};");
    }
    for child in &node.children {
        dot(child, Some(me), next, out);
    }
}

fn mermaid(node: &TreeNode, parent: Option<usize>, next: &mut usize, out: &mut String) {
    let me = *next;
    *next += 1;
    let class = if node.is_running() { "" } else { ":::down" };
    let _ = writeln!(out, "  n{me}[\"{}\"]{class}", escape_mermaid(&node.label()));
    if let Some(p) = parent {
        let _ = writeln!(out, "  n{p} --> n{me}");
    }
    for child in &node.children {
        mermaid(child, Some(me), next, out);
    }
}

/// A label inside DOT's double quotes: the two spaces between fields
/// become line breaks.
fn escape_dot(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', " ")
        .replace("  ", "\\n")
}

/// A label inside Mermaid's double quotes: `#`, quotes and angle brackets
/// as entity codes (`#` begins one), the two spaces between fields as line
/// breaks.
fn escape_mermaid(s: &str) -> String {
    s.replace('#', "#35;")
        .replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
        .replace('\n', " ")
        .replace("  ", "<br/>")
}

fn strategy_name(strategy: Strategy, dynamic: bool) -> &'static str {
    match (strategy, dynamic) {
        (_, true) => "dynamic",
        (Strategy::OneForOne, _) => "one_for_one",
        (Strategy::OneForAll, _) => "one_for_all",
        (Strategy::RestForOne, _) => "rest_for_one",
    }
}

fn restart_name(restart: Restart) -> &'static str {
    match restart {
        Restart::Permanent => "permanent",
        Restart::Transient => "transient",
        Restart::Temporary => "temporary",
    }
}
