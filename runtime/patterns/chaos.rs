//! A chaos monkey: kills random workers of a supervision tree at a steady
//! rate, a bounded number of times, and reports whom it killed.
//!
//! Each round it sleeps on the System's clock, captures the tree
//! ([`TreeSnapshot`]) and kills one running worker picked by a seeded draw.
//! With a manual clock and a tree that starts the same way, the same seed
//! kills the same children in the same order.
use std::sync::Arc;
use std::time::Duration;

use crate::actor::{ActorId, AnyRef};
use crate::patterns::introspect::{TreeNode, TreeSnapshot};
use crate::supervisor::{ChildKind, ChildState, SupervisorRef};
use crate::time::Clock;

/// Kills random workers of a tree: one per round, every
/// [`every`](Self::every), for [`rounds`](Self::rounds) rounds.
#[derive(Debug, Clone)]
pub struct ChaosMonkey {
    seed: u64,
    every: Duration,
    rounds: u64,
    supervisors: bool,
}

/// What a [`ChaosMonkey`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChaosReport {
    /// Each kill, in order.
    pub kills: Vec<Kill>,
    /// Rounds that found nothing running to kill.
    pub missed: u64,
    /// True if the tree was gone before the last round.
    pub tree_gone: bool,
}

/// One kill.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Kill {
    /// The child ids from the top of the tree down to the victim.
    pub path: Vec<Arc<str>>,
    /// The victim's address (its supervisor restarts it there, if it is
    /// restarted).
    pub actor: ActorId,
}

impl ChaosMonkey {
    /// A monkey with this seed: 10 rounds, one a second, workers only.
    pub fn seeded(seed: u64) -> ChaosMonkey {
        ChaosMonkey {
            seed,
            every: Duration::from_secs(1),
            rounds: 10,
            supervisors: false,
        }
    }

    /// The time between kills, on the clock given to [`run`](Self::run)
    /// (default 1 s).
    pub fn every(mut self, d: Duration) -> ChaosMonkey {
        self.every = d;
        self
    }

    /// How many rounds it runs, so at most how many kills (default 10).
    pub fn rounds(mut self, n: u64) -> ChaosMonkey {
        self.rounds = n;
        self
    }

    /// Whether nested supervisors may be killed too (default: only
    /// workers). The tree's top is never killed.
    pub fn supervisors(mut self, on: bool) -> ChaosMonkey {
        self.supervisors = on;
        self
    }

    /// Runs its rounds against the tree under `tree`, sleeping on `clock`
    /// (the System's: `system.clock()`) before each. Ends early if the
    /// tree's top is gone. Each round's snapshot waits for the tree's
    /// supervisors, so a supervisor stuck in a child's start holds the
    /// round up.
    pub async fn run(&self, tree: &SupervisorRef, clock: &Clock) -> ChaosReport {
        let mut report = ChaosReport::default();
        for round in 0..self.rounds {
            clock.sleep(self.every).await;
            let Ok(snapshot) = TreeSnapshot::capture(tree).await else {
                report.tree_gone = true;
                break;
            };
            let mut victims = Vec::new();
            let mut path = Vec::new();
            for child in &snapshot.root.children {
                self.collect(child, &mut path, &mut victims);
            }
            if victims.is_empty() {
                report.missed += 1;
                continue;
            }
            let pick = (mix(self.seed, round) % victims.len() as u64) as usize;
            let (path, victim) = victims.swap_remove(pick);
            victim.kill();
            report.kills.push(Kill {
                path,
                actor: victim.id(),
            });
        }
        report
    }

    /// The running nodes it may kill under `node` (included), with their
    /// paths, in tree order.
    fn collect(
        &self,
        node: &TreeNode,
        path: &mut Vec<Arc<str>>,
        out: &mut Vec<(Vec<Arc<str>>, AnyRef)>,
    ) {
        path.push(node.id.clone());
        if let ChildState::Running(r) = &node.state {
            if node.kind == ChildKind::Worker || self.supervisors {
                out.push((path.clone(), r.clone()));
            }
        }
        for child in &node.children {
            self.collect(child, path, out);
        }
        path.pop();
    }
}

/// splitmix64 of the seed and the round.
fn mix(seed: u64, round: u64) -> u64 {
    let mut x = seed.wrapping_add(round.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}
