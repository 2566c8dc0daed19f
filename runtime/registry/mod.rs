//! Names and process groups (DESIGN.md §5): `system.register`,
//! `unregister`, `whereis`, and OTP's `pg` (`join`, `leave`, `members`).
//!
//! A layer above `actor/` (it uses the incarnation's exit hook and the
//! kernel's per-System extensions) and below the supervisor and the System,
//! which call the functions here.
//!
//! # What a name belongs to
//!
//! A name, and each membership of a group, belongs to one *incarnation*
//! (a [`Pid`]), not to the address. It is released when that incarnation's
//! exit is announced, before any watcher is told: whoever observes the
//! exit (`wait_exit`, an `ActorExited` event, a link, a monitor, the
//! supervisor) already finds the name free and the member gone. (An
//! unsupervised actor's mailbox closes earlier, when it starts to end: while
//! its `stopped` runs, tells to it fail `Closed` and its name is still
//! held.) A restarted actor's new incarnation has no
//! name until it is registered again (a supervisor registers a spec's name
//! on every start, through [`register_incarnation`]).
//!
//! # The tables
//!
//! One [`Registry`] per System (`Kernel::extension`), three maps under one
//! lock:
//!
//! - `names`: name → holder (its pid and a weak address);
//! - `groups`: group → members in the order they joined, one entry per join
//!   (pg lists a process once per join);
//! - `held`: pid → what that incarnation holds (its name, its joins per
//!   group). A pid is in `held` exactly while its release hook is installed
//!   and has not yet run.
//!
//! Rules (each operation is one critical section, so they hold whenever the
//! lock is free):
//!
//! 1. The maps agree: `names[n].pid == p` iff `held[p].name == Some(n)`, and
//!    `groups[g]` lists `p` as many times as `held[p].joins[g]` says.
//!    A group with no member is removed.
//! 2. The first registration or join of an incarnation installs its release
//!    hook (`Incarnation::before_exit_announced`) under the lock, then
//!    creates `held[p]`; later ones reuse the hook, so an incarnation carries
//!    one hook however often it registers and unregisters. If the hook is
//!    refused, the exit was already announced: nothing is inserted and the
//!    operation fails `NotRunning`. If it is accepted, it cannot run before
//!    the lock is released (it takes the lock), so it finds everything it
//!    must remove. A failed `register` may leave an empty `held[p]`: it goes
//!    with the hook, when the incarnation ends.
//! 3. The hook removes `held[p]`, then only the name and the group entries
//!    that are `p`'s: a name is removed only if its holder's pid is still
//!    `p` (rule 1 makes that always so; the check keeps a newer registration
//!    of the name by someone else safe from any stale release).
//! 4. Lock order: the registry's lock, then an incarnation's exit slot
//!    (inside `before_exit_announced`). `announce_exit` runs the hooks with
//!    no lock of its own held, so the order never inverts.
//! 5. The tables hold *weak* addresses: the registry lives in the kernel,
//!    which every address holds, so a strong ref here would be a cycle that
//!    only the incarnation's exit breaks. An entry is removed before its
//!    incarnation's exit is announced, and a running incarnation's address is
//!    alive (its run loop holds it), so an upgrade fails only in a moment
//!    that does not matter; a failed upgrade reads as absent. Nothing that
//!    could run user code is dropped under the lock: dropping a `Weak` never
//!    drops the address, and upgraded refs are handed to the caller, which
//!    drops them after the lock is released.
//!
//! # Why one lock and not dashmap
//!
//! DESIGN.md §8 names dashmap for these tables. An operation here touches
//! up to three maps that must agree (`register` checks the name and the
//! incarnation's existing name together; the exit hook removes a name and
//! every membership of one pid). With sharded maps that means holding
//! several shard locks at once, in an order the exit hook would have to
//! follow too, or accepting moments where the maps disagree (a spurious
//! `AlreadyNamed`, a released name coming back). The registry is off the hot
//! path (messages go through refs, not names) and each critical section is
//! a few hash-map operations, so one `crate::sync::Mutex` is simpler and
//! exact. If `whereis` ever becomes hot, the lock can be sharded by name
//! under the same rules.
use std::collections::HashMap;
use std::sync::{Arc, Weak};

use crate::actor::address::{AnyAddress, Incarnation, Pid};
use crate::actor::kernel::Kernel;
use crate::actor::{Actor, ActorRef, AnyRef};
use crate::sync::Mutex;

mod error;
#[cfg(test)]
mod tests;

pub use self::error::{JoinError, RegisterError, WhereisError};

// ---- the operations the System and the supervisor call ----

/// `system.register(name, actor)`: binds `name` to the actor's current
/// incarnation.
pub(crate) fn register(kernel: &Kernel, name: Arc<str>, any: &AnyRef) -> Result<(), RegisterError> {
    if name.is_empty() {
        return Err(RegisterError::InvalidName);
    }
    let inc = any.addr.current().ok_or(RegisterError::NotRunning)?;
    register_incarnation(kernel, name, any, &inc)
}

/// Binds `name` to the incarnation `inc` of the address `any` (which need
/// not be the address's current one yet: a supervisor registers a spec's
/// name on each start). The name is released before `inc`'s exit is
/// announced. Errors as [`RegisterError`] says.
pub(crate) fn register_incarnation(
    kernel: &Kernel,
    name: Arc<str>,
    any: &AnyRef,
    inc: &Arc<Incarnation>,
) -> Result<(), RegisterError> {
    debug_assert_eq!(any.id(), inc.id, "an incarnation of another address");
    if name.is_empty() {
        return Err(RegisterError::InvalidName);
    }
    let registry = kernel.extension::<Registry>();
    registry.register(&name, Arc::downgrade(&any.addr), inc)?;
    tracing::debug!(name = %name, actor = %inc.id, pid = %inc.pid, "registered");
    Ok(())
}

/// `system.unregister(name)`: true if the name was registered.
pub(crate) fn unregister(kernel: &Kernel, name: &str) -> bool {
    let released = kernel.extension::<Registry>().unregister(name);
    if let Some(pid) = released {
        tracing::debug!(name, %pid, "unregistered");
    }
    released.is_some()
}

/// `system.whereis_any(name)`.
pub(crate) fn whereis_any(kernel: &Kernel, name: &str) -> Option<AnyRef> {
    kernel.extension::<Registry>().whereis(name)
}

/// `system.whereis::<A>(name)`.
pub(crate) fn whereis<A: Actor>(kernel: &Kernel, name: &str) -> Result<ActorRef<A>, WhereisError> {
    // The untyped ref is dropped here, after the registry's lock is released
    // (rule 5).
    whereis_any(kernel, name)
        .ok_or(WhereisError::NotFound)?
        .downcast::<A>()
        .ok_or(WhereisError::WrongType)
}

/// `system.join(group, actor)`: the actor's current incarnation joins the
/// group once more.
pub(crate) fn join(kernel: &Kernel, group: Arc<str>, any: &AnyRef) -> Result<(), JoinError> {
    if group.is_empty() {
        return Err(JoinError::InvalidName);
    }
    let inc = any.addr.current().ok_or(JoinError::NotRunning)?;
    let registry = kernel.extension::<Registry>();
    registry.join(&group, Arc::downgrade(&any.addr), &inc)?;
    tracing::trace!(group = %group, actor = %inc.id, pid = %inc.pid, "joined");
    Ok(())
}

/// `system.leave(group, actor)`: undoes the actor's current incarnation's
/// latest join of the group; false if it has none.
pub(crate) fn leave(kernel: &Kernel, group: &str, any: &AnyRef) -> bool {
    let Some(inc) = any.addr.current() else {
        // Not running: its memberships went with its last incarnation.
        return false;
    };
    let left = kernel.extension::<Registry>().leave(group, inc.pid);
    if left {
        tracing::trace!(group, actor = %inc.id, pid = %inc.pid, "left");
    }
    left
}

/// `system.members(group)`: one entry per join, in the order of joining.
pub(crate) fn members(kernel: &Kernel, group: &str) -> Vec<AnyRef> {
    kernel.extension::<Registry>().members(group)
}

/// `system.groups()`: the groups with at least one member, sorted.
pub(crate) fn groups(kernel: &Kernel) -> Vec<Arc<str>> {
    kernel.extension::<Registry>().groups()
}

// ---- the tables ----

/// A System's names and groups (see the module docs for the rules).
#[derive(Default)]
pub(crate) struct Registry {
    tables: Mutex<Tables>,
}

#[derive(Default)]
struct Tables {
    names: HashMap<Arc<str>, Entry>,
    groups: HashMap<Arc<str>, Vec<Entry>>,
    held: HashMap<Pid, Held>,
}

/// A name's holder, or one join of a group.
struct Entry {
    pid: Pid,
    addr: Weak<dyn AnyAddress>,
}

/// What one incarnation holds.
#[derive(Default)]
struct Held {
    name: Option<Arc<str>>,
    /// Joins per group (at least 1 for each group listed).
    joins: HashMap<Arc<str>, usize>,
}

impl Registry {
    fn register(
        self: &Arc<Self>,
        name: &Arc<str>,
        addr: Weak<dyn AnyAddress>,
        inc: &Incarnation,
    ) -> Result<(), RegisterError> {
        let mut tables = self.tables.lock();
        let tables = &mut *tables;
        let held = tables.held_by(self, inc).ok_or(RegisterError::NotRunning)?;
        if let Some(own) = &held.name {
            return Err(RegisterError::AlreadyNamed(own.clone()));
        }
        if let Some(holder) = tables.names.get(name) {
            if let Some(addr) = holder.addr.upgrade() {
                return Err(RegisterError::AlreadyRegistered(AnyRef::from_address(addr)));
            }
            // A holder whose address is gone holds nothing (rule 5): its
            // name is free.
            let stale = holder.pid;
            if let Some(h) = tables.held.get_mut(&stale) {
                h.name = None;
            }
        }
        // `held` borrowed `tables.held`; look the record up again.
        let pid = inc.pid;
        if let Some(h) = tables.held.get_mut(&pid) {
            h.name = Some(name.clone());
        }
        tables.names.insert(name.clone(), Entry { pid, addr });
        Ok(())
    }

    /// Removes `name`; the pid that held it.
    fn unregister(&self, name: &str) -> Option<Pid> {
        let mut tables = self.tables.lock();
        let holder = tables.names.remove(name)?;
        if let Some(held) = tables.held.get_mut(&holder.pid) {
            held.name = None;
        }
        Some(holder.pid)
    }

    fn whereis(&self, name: &str) -> Option<AnyRef> {
        let tables = self.tables.lock();
        let addr = tables.names.get(name)?.addr.upgrade()?;
        Some(AnyRef::from_address(addr))
    }

    fn join(
        self: &Arc<Self>,
        group: &Arc<str>,
        addr: Weak<dyn AnyAddress>,
        inc: &Incarnation,
    ) -> Result<(), JoinError> {
        let mut tables = self.tables.lock();
        let tables = &mut *tables;
        let held = tables.held_by(self, inc).ok_or(JoinError::NotRunning)?;
        *held.joins.entry(group.clone()).or_insert(0) += 1;
        tables
            .groups
            .entry(group.clone())
            .or_default()
            .push(Entry { pid: inc.pid, addr });
        Ok(())
    }

    /// Removes `pid`'s latest join of `group` (pg removes the most recent
    /// one); false if it has none.
    fn leave(&self, group: &str, pid: Pid) -> bool {
        let mut tables = self.tables.lock();
        let tables = &mut *tables;
        let Some(held) = tables.held.get_mut(&pid) else {
            return false;
        };
        let Some(joins) = held.joins.get_mut(group) else {
            return false;
        };
        *joins -= 1;
        if *joins == 0 {
            held.joins.remove(group);
        }
        if let Some(members) = tables.groups.get_mut(group) {
            if let Some(at) = members.iter().rposition(|m| m.pid == pid) {
                members.remove(at);
            }
            if members.is_empty() {
                tables.groups.remove(group);
            }
        }
        true
    }

    fn members(&self, group: &str) -> Vec<AnyRef> {
        let tables = self.tables.lock();
        tables.groups.get(group).map_or_else(Vec::new, |members| {
            members
                .iter()
                .filter_map(|m| m.addr.upgrade().map(AnyRef::from_address))
                .collect()
        })
    }

    fn groups(&self) -> Vec<Arc<str>> {
        let mut groups: Vec<Arc<str>> = self.tables.lock().groups.keys().cloned().collect();
        groups.sort_unstable();
        groups
    }

    /// The release hook: `pid`'s exit is being announced.
    fn release(&self, pid: Pid) {
        let held = {
            let mut tables = self.tables.lock();
            let tables = &mut *tables;
            let Some(held) = tables.held.remove(&pid) else {
                return;
            };
            if let Some(name) = &held.name {
                // No assertion here: a panic would cut the exit's
                // announcement short.
                if tables.names.get(name).is_some_and(|e| e.pid == pid) {
                    tables.names.remove(name);
                }
            }
            for group in held.joins.keys() {
                if let Some(members) = tables.groups.get_mut(group) {
                    members.retain(|m| m.pid != pid);
                    if members.is_empty() {
                        tables.groups.remove(group);
                    }
                }
            }
            held
        };
        if let Some(name) = &held.name {
            tracing::debug!(name = %name, %pid, "unregistered at exit");
        }
    }
}

impl Tables {
    /// What `inc` holds, first installing its release hook if it holds
    /// nothing yet (rule 2); `None` if its exit was already announced.
    fn held_by(&mut self, registry: &Arc<Registry>, inc: &Incarnation) -> Option<&mut Held> {
        use std::collections::hash_map::Entry as MapEntry;
        match self.held.entry(inc.pid) {
            MapEntry::Occupied(held) => Some(held.into_mut()),
            MapEntry::Vacant(vacant) => {
                let registry = Arc::downgrade(registry);
                let hook = move |pid| {
                    if let Some(registry) = registry.upgrade() {
                        registry.release(pid);
                    }
                };
                inc.before_exit_announced(hook).ok()?;
                Some(vacant.insert(Held::default()))
            }
        }
    }
}
