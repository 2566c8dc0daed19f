//! The EXITING bit and the watcher list of one actor incarnation.
//!
//! A *watcher* is anything that must hear about the incarnation's exit: a link
//! or a monitor. The actor layer picks the watcher type `W` and a `u64` key per
//! watcher (unique within one cell), so that an unlink or demonitor can find it
//! again.
//!
//! # The guarantee
//!
//! A watcher added concurrently with the incarnation beginning to exit is
//! notified **exactly once**: either it is in the list that [`begin_exit`]
//! returns (the exiting side notifies it), or [`add`] refuses it and hands it
//! back (the adding side reports `NoProc` at once). Never both, never neither.
//!
//! # Fields and who touches them
//!
//! - `watchers: Mutex<Vec<(u64, W)>>`: the watchers in insertion order. Read and
//!   written only while the lock is held, by [`add`], [`remove`] and
//!   [`begin_exit`] (which takes the whole vector).
//! - `exiting: AtomicBool`: the EXITING bit. Written only by [`begin_exit`],
//!   only while the lock is held, and only from `false` to `true` (once per
//!   cell). Read under the lock by [`add`] and [`begin_exit`] (authoritative),
//!   and without the lock by [`is_exiting`] (a hint).
//!
//! # Protocol
//!
//! 1. [`add`] takes the lock, reads `exiting`; if it is set, it returns the
//!    watcher (`Err(w)`), otherwise it pushes `(key, w)`.
//! 2. [`begin_exit`] takes the lock, reads `exiting`; if it is set, another
//!    call already took the list and it returns `None`. Otherwise it sets
//!    `exiting` and takes the whole vector, leaving it empty.
//! 3. [`remove`] takes the lock and removes the first entry with that key, if
//!    any. After rule 2 the vector is empty, so a `remove` racing with the exit
//!    finds nothing and the watcher is notified by the exiting side instead.
//!
//! Because rules 1 and 2 run under the same lock, they are totally ordered: an
//! `add` before the exit puts its watcher in the vector that the exit takes, an
//! `add` after the exit sees `exiting` set. That is the whole argument; the
//! atomic only lets [`is_exiting`] answer without the lock. Its store is
//! `Release` and that load `Acquire`, so a `true` also publishes the writes the
//! exiting side made before [`begin_exit`]; a `false` may be stale while a
//! [`begin_exit`] is in flight, which callers must treat as "not known yet"
//! (only [`add`]'s answer is authoritative).
//!
//! Not a hot path: links and monitors are set up rarely, so a lock is fine.
//!
//! [`add`]: ExitCell::add
//! [`remove`]: ExitCell::remove
//! [`begin_exit`]: ExitCell::begin_exit
//! [`is_exiting`]: ExitCell::is_exiting

use std::fmt;

use crate::sync::{AtomicBool, Mutex, Ordering};

/// The EXITING bit and the watchers (links, monitors) of one incarnation; see
/// the module documentation for the protocol.
pub(crate) struct ExitCell<W> {
    /// Set once, by the first [`ExitCell::begin_exit`], while `watchers` is
    /// locked.
    exiting: AtomicBool,
    /// `(key, watcher)` in insertion order; empty once `exiting` is set.
    watchers: Mutex<Vec<(u64, W)>>,
}

impl<W> ExitCell<W> {
    /// A cell for an incarnation that is running, with no watchers.
    pub(crate) fn new() -> Self {
        Self {
            exiting: AtomicBool::new(false),
            watchers: Mutex::new(Vec::new()),
        }
    }

    /// Whether the incarnation has begun to exit.
    ///
    /// A hint, without the lock: `true` is final, `false` may be stale while a
    /// [`begin_exit`](Self::begin_exit) races with this call. Use
    /// [`add`](Self::add)'s answer where exactly-once matters.
    pub(crate) fn is_exiting(&self) -> bool {
        self.exiting.load(Ordering::Acquire)
    }

    /// Registers watcher `w` under `key`, or hands it back as `Err(w)` if the
    /// incarnation has already begun to exit (the caller then reports `NoProc`
    /// itself).
    ///
    /// `key` must not already be registered in this cell.
    pub(crate) fn add(&self, key: u64, w: W) -> Result<(), W> {
        let mut watchers = self.watchers.lock();
        // Relaxed: `exiting` is only written under this lock, which orders it.
        if self.exiting.load(Ordering::Relaxed) {
            return Err(w);
        }
        debug_assert!(
            watchers.iter().all(|(k, _)| *k != key),
            "watcher key {key} registered twice"
        );
        watchers.push((key, w));
        Ok(())
    }

    /// Like [`add`](Self::add), but a `key` already registered is kept as
    /// it is (`w` is dropped): registering twice is registering once, with
    /// no window in which the key is absent.
    pub(crate) fn add_unique(&self, key: u64, w: W) -> Result<(), W> {
        let duplicate = {
            let mut watchers = self.watchers.lock();
            if self.exiting.load(Ordering::Relaxed) {
                return Err(w);
            }
            if watchers.iter().any(|(k, _)| *k == key) {
                Some(w)
            } else {
                watchers.push((key, w));
                None
            }
        };
        // Dropped outside the lock: a watcher may own arbitrary state.
        drop(duplicate);
        Ok(())
    }

    /// Removes and returns the watcher registered under `key` (unlink,
    /// demonitor); `None` if there is none, or if [`begin_exit`] already took
    /// it (the exiting side notifies it then).
    ///
    /// [`begin_exit`]: Self::begin_exit
    pub(crate) fn remove(&self, key: u64) -> Option<W> {
        let mut watchers = self.watchers.lock();
        let index = watchers.iter().position(|(k, _)| *k == key)?;
        // `remove`, not `swap_remove`: notifications go out in insertion order.
        Some(watchers.remove(index).1)
    }

    /// How many watchers are registered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.watchers.lock().len()
    }

    /// Sets EXITING. The first call returns every watcher, in insertion order,
    /// for the caller to notify; later calls return `None`.
    #[must_use = "the returned watchers must be notified"]
    pub(crate) fn begin_exit(&self) -> Option<Vec<(u64, W)>> {
        let mut watchers = self.watchers.lock();
        if self.exiting.load(Ordering::Relaxed) {
            debug_assert!(watchers.is_empty(), "a watcher was added after EXITING");
            return None;
        }
        self.exiting.store(true, Ordering::Release);
        Some(std::mem::take(&mut *watchers))
    }
}

impl<W> Default for ExitCell<W> {
    fn default() -> Self {
        Self::new()
    }
}

impl<W> fmt::Debug for ExitCell<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Takes no lock: Debug must not block or deadlock a holder.
        f.debug_struct("ExitCell")
            .field("exiting", &self.is_exiting())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(keel_loom)))]
mod tests {
    use super::*;

    #[test]
    fn exit_returns_watchers_in_order_once() {
        let cell = ExitCell::new();
        assert!(!cell.is_exiting());
        cell.add(3, "c").unwrap();
        cell.add(1, "a").unwrap();
        cell.add(2, "b").unwrap();
        assert_eq!(cell.remove(1), Some("a"));
        assert_eq!(cell.remove(1), None);
        assert_eq!(cell.begin_exit(), Some(vec![(3, "c"), (2, "b")]));
        assert!(cell.is_exiting());
        assert_eq!(cell.begin_exit(), None);
    }

    #[test]
    fn add_unique_keeps_the_first_registration() {
        let cell = ExitCell::new();
        cell.add_unique(1, "first").unwrap();
        cell.add_unique(1, "second").unwrap();
        cell.add_unique(2, "other").unwrap();
        assert_eq!(cell.begin_exit().unwrap(), vec![(1, "first"), (2, "other")]);
        assert_eq!(cell.add_unique(3, "late"), Err("late"));
    }

    #[test]
    fn add_after_exit_hands_the_watcher_back() {
        let cell = ExitCell::new();
        assert_eq!(cell.begin_exit(), Some(vec![]));
        assert_eq!(cell.add(7, String::from("w")), Err(String::from("w")));
        assert_eq!(cell.remove(7), None);
        assert_eq!(cell.begin_exit(), None);
    }

    #[test]
    fn remove_after_exit_finds_nothing() {
        let cell = ExitCell::new();
        cell.add(1, 10).unwrap();
        assert_eq!(cell.begin_exit(), Some(vec![(1, 10)]));
        assert_eq!(cell.remove(1), None);
    }

    #[test]
    fn concurrent_adds_and_exit_notify_each_watcher_exactly_once() {
        use crate::sync::{thread, Arc};

        const THREADS: u64 = 4;
        const PER_THREAD: u64 = 500;
        for _ in 0..20 {
            let cell = Arc::new(ExitCell::new());
            let adders: Vec<_> = (0..THREADS)
                .map(|t| {
                    let cell = Arc::clone(&cell);
                    thread::spawn(move || {
                        let mut refused = Vec::new();
                        for i in 0..PER_THREAD {
                            let key = t * PER_THREAD + i;
                            if let Err(w) = cell.add(key, key) {
                                assert!(cell.is_exiting());
                                refused.push(w);
                            }
                        }
                        refused
                    })
                })
                .collect();
            let taken = cell.begin_exit().unwrap();
            let mut seen: Vec<u64> = taken.into_iter().map(|(_, w)| w).collect();
            for adder in adders {
                seen.extend(adder.join().unwrap());
            }
            seen.sort_unstable();
            assert_eq!(seen, (0..THREADS * PER_THREAD).collect::<Vec<_>>());
        }
    }
}

#[cfg(all(test, keel_loom))]
mod loom_tests {
    //! Exit vs link/monitor: every watcher is notified exactly once.
    use super::*;
    use crate::sync::{thread, Arc};

    /// `begin_exit` races `add`: the new watcher is either in the exit list or
    /// handed back, never both, never neither.
    #[test]
    fn exit_cell_add_vs_begin_exit() {
        loom::model(|| {
            let cell = Arc::new(ExitCell::new());
            cell.add(0, 0u32).unwrap();
            let adder = {
                let cell = Arc::clone(&cell);
                thread::spawn(move || {
                    let res = cell.add(1, 1u32);
                    if res.is_err() {
                        assert!(cell.is_exiting());
                    }
                    res
                })
            };
            let taken = cell.begin_exit().expect("first exit");
            assert!(cell.is_exiting());
            let refused = adder.join().unwrap();
            match refused {
                Ok(()) => assert_eq!(taken, vec![(0, 0), (1, 1)]),
                Err(w) => {
                    assert_eq!(w, 1);
                    assert_eq!(taken, vec![(0, 0)]);
                }
            }
            assert!(cell.begin_exit().is_none());
        });
    }

    /// `begin_exit` races a re-registration (`add_unique` of a key already
    /// there, as a second link): the watcher is in the exit list exactly
    /// once, whatever the order; the duplicate never replaces it.
    #[test]
    fn exit_cell_add_unique_vs_begin_exit() {
        loom::model(|| {
            let cell = Arc::new(ExitCell::new());
            cell.add(1, 1u32).unwrap();
            let adder = {
                let cell = Arc::clone(&cell);
                thread::spawn(move || cell.add_unique(1, 2u32))
            };
            let taken = cell.begin_exit().expect("first exit");
            match adder.join().unwrap() {
                Ok(()) | Err(2) => assert_eq!(taken, vec![(1, 1)]),
                Err(other) => panic!("handed back {other}"),
            }
        });
    }

    /// `begin_exit` races `remove` of an existing watcher: it is either removed
    /// (demonitored) or in the exit list, exactly one of the two.
    #[test]
    fn exit_cell_remove_vs_begin_exit() {
        loom::model(|| {
            let cell = Arc::new(ExitCell::new());
            cell.add(0, 0u32).unwrap();
            cell.add(1, 1u32).unwrap();
            let remover = {
                let cell = Arc::clone(&cell);
                thread::spawn(move || cell.remove(1))
            };
            let taken = cell.begin_exit().expect("first exit");
            match remover.join().unwrap() {
                Some(w) => {
                    assert_eq!(w, 1);
                    assert_eq!(taken, vec![(0, 0)]);
                }
                None => assert_eq!(taken, vec![(0, 0), (1, 1)]),
            }
        });
    }

    /// Three threads: one links then unlinks, one exits, one exits too (only
    /// one exit wins). The watcher is accounted for exactly once: handed back,
    /// removed, or in the winning exit's list.
    #[test]
    fn exit_cell_add_remove_vs_two_exits() {
        loom::model(|| {
            let cell = Arc::new(ExitCell::new());
            let linker = {
                let cell = Arc::clone(&cell);
                thread::spawn(move || match cell.add(1, 1u32) {
                    Err(_) => 1,                               // handed back
                    Ok(()) => cell.remove(1).map_or(0, |_| 1), // removed, or exit took it
                })
            };
            let exiter = {
                let cell = Arc::clone(&cell);
                thread::spawn(move || cell.begin_exit())
            };
            let mine = cell.begin_exit();
            let theirs = exiter.join().unwrap();
            let by_linker = linker.join().unwrap();
            let list = match (mine, theirs) {
                (Some(l), None) | (None, Some(l)) => l,
                other => panic!("exactly one exit must win, got {other:?}"),
            };
            assert_eq!(by_linker + list.len(), 1);
        });
    }
}
