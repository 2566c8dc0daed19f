//! The block list under the user lane: a linked list of fixed-size blocks of
//! slots, written by many senders and read by one receiver, with blocks
//! recycled by the receiver.
//!
//! # Positions
//!
//! Every message gets a *slot index* from the tail counter (`Chan::tail`), a
//! `usize` that only grows. Slot `i` lives in the block whose `start_index`
//! is `i & !MASK`, at offset `i & MASK`.
//!
//! # Block fields and who touches them
//!
//! - `start_index`: written only while the block is unreachable by senders
//!   (fresh, or reclaimed and not yet linked); published by the `Release`
//!   CAS that links the block; read by anyone who loaded the link with
//!   `Acquire`.
//! - `next`: null until one CAS links a successor; never changes afterwards
//!   until the receiver reclaims the block.
//! - `ready`: bit `i` (< `BLOCK_CAP`) says slot `i` was written (set by its
//!   sender with `fetch_or`, after the write); `RELEASED` says the sender that
//!   moved the shared tail past this block recorded `observed_tail`;
//!   `RX_WAITING` is set by the receiver before it parks on a slot of this
//!   block and taken (cleared) by the first sender that sees it, who wakes the
//!   receiver. Because the receiver's `fetch_or(RX_WAITING)` and each
//!   sender's `fetch_or(slot bit)` hit the same word, one of them sees the
//!   other: a wake-up is never lost.
//! - `observed_tail`: written once by the releasing sender before `RELEASED`;
//!   read by the receiver after it saw `RELEASED`.
//! - `slots[i]`: written once by the sender of slot `i` before its ready bit,
//!   read once by the receiver after it saw the bit.
//!
//! # Reclaiming
//!
//! A block may be reused once no sender can still reach it. A sender reaches
//! a block either because the shared `block_tail` pointed at or before it
//! when the sender loaded it, or by walking `next` links from there. The
//! sender that moves `block_tail` past a block reads the tail counter with an
//! RMW right after (`observed_tail`): every sender whose slot index is below
//! it may still be walking, every later one loaded the new `block_tail`. Once
//! the receiver has consumed every slot below `observed_tail`, all those
//! senders have written their slot, so they are past their walk, and the
//! block is the receiver's alone to reset and reuse: it links it a few
//! links past the tail (a spare the senders reach without a lock) or pushes
//! it on the free stack, which a sender that needs a new block pops before
//! it allocates. The stack is last-in first-out, so the block a sender gets
//! is the one most likely still in cache. Up to `MAX_FREE_BLOCKS` are kept;
//! beyond that a reclaimed block is freed, so a one-off spike does not pin
//! its memory.
//!
//! A sender publishes its slot and takes `RX_WAITING` in one RMW and never
//! touches the block after it: from that moment the receiver may read the
//! slot, reclaim the block and free it.
use std::mem::MaybeUninit;
use std::ptr::{self, NonNull};

use crate::sync::{AtomicPtr, AtomicUsize, Mutex, Ordering, UnsafeCell};

/// Slots per block. Small under loom so that models cross blocks.
#[cfg(not(keel_loom))]
pub(crate) const BLOCK_CAP: usize = 32;
#[cfg(keel_loom)]
pub(crate) const BLOCK_CAP: usize = 2;

const MASK: usize = BLOCK_CAP - 1;
const READY_MASK: usize = (1 << BLOCK_CAP) - 1;
const RELEASED: usize = 1 << BLOCK_CAP;
const RX_WAITING: usize = 1 << (BLOCK_CAP + 1);

/// How many links past the senders' tail block the receiver tries to append
/// a reclaimed block (a spare the senders reach without a lock). None under
/// loom, so that a five-message model reuses a block through the free
/// stack (the linking path is the same CAS a growing sender does).
#[cfg(not(keel_loom))]
const RECLAIM_ATTEMPTS: usize = 3;
#[cfg(keel_loom)]
const RECLAIM_ATTEMPTS: usize = 0;

/// Most reclaimed blocks kept on the free stack beyond those spares. A
/// mailbox whose depth swings by up to this many blocks (8,192 messages)
/// allocates nothing in steady state; a deeper spike gives the excess back.
/// Small under loom so that models reach the freeing path.
#[cfg(not(keel_loom))]
const MAX_FREE_BLOCKS: usize = 256;
#[cfg(keel_loom)]
const MAX_FREE_BLOCKS: usize = 1;

// The ready word holds BLOCK_CAP slot bits plus RELEASED and RX_WAITING.
const _: () = assert!(
    BLOCK_CAP + 2 <= usize::BITS as usize,
    "keel needs a 64-bit usize"
);

pub(super) struct Block<T> {
    start_index: UnsafeCell<usize>,
    next: AtomicPtr<Block<T>>,
    ready: AtomicUsize,
    observed_tail: UnsafeCell<usize>,
    slots: [UnsafeCell<MaybeUninit<T>>; BLOCK_CAP],
}

/// What the receiver found when it tried to park on a slot.
pub(super) enum Park {
    /// The slot was written meanwhile: read it.
    Ready,
    /// `RX_WAITING` is set: the slot's sender will wake the receiver.
    Parked,
}

/// The senders' half: the tail block pointer and the first block.
pub(super) struct Tx<T> {
    /// The first block ever linked (null until the first send: an idle
    /// mailbox allocates nothing). Read only while the receiver has not
    /// started (its `head` is null): once it has, the block may be recycled.
    first: AtomicPtr<Block<T>>,
    /// A block at or before the block of the newest slot; moved forward by
    /// senders that find full blocks.
    block_tail: AtomicPtr<Block<T>>,
    /// Reclaimed, reset blocks not linked anywhere, most recent last (so
    /// the next one taken is the one most likely still in cache). Touched
    /// once per block, not per message: a lock is fine.
    free: Mutex<Vec<NonNull<Block<T>>>>,
}

/// The receiver's half, owned by the single receiver.
pub(super) struct Rx<T> {
    /// The block holding slot `index` (null before the first block exists).
    head: *mut Block<T>,
    /// `head`'s start index, cached.
    head_start: usize,
    /// The oldest block not yet reclaimed.
    free_head: *mut Block<T>,
    /// The next slot to read.
    pub(super) index: usize,
    /// The head block's ready bits as last loaded: slots seen ready once
    /// stay ready, so the receiver reloads the shared word only when the
    /// slot it wants is not set here (one load per burst, not per message,
    /// on the line the senders are writing).
    ready_cache: usize,
}

impl<T> Block<T> {
    fn alloc(start_index: usize) -> NonNull<Block<T>> {
        let block = Box::new(Block {
            start_index: UnsafeCell::new(start_index),
            next: AtomicPtr::new(ptr::null_mut()),
            ready: AtomicUsize::new(0),
            observed_tail: UnsafeCell::new(0),
            slots: std::array::from_fn(|_| UnsafeCell::new(MaybeUninit::uninit())),
        });
        NonNull::from(Box::leak(block))
    }

    fn start_index(&self) -> usize {
        // SAFETY: written only while the block is unreachable (module doc);
        // we reached it through an Acquire load of the link that published it.
        self.start_index.with(|p| unsafe { *p })
    }

    /// Writes slot `index` and marks it ready; returns `true` if the receiver
    /// was parked on this block (the caller must wake it).
    ///
    /// # Safety
    /// The caller claimed `index` from the tail counter, and this is its block.
    unsafe fn write(&self, index: usize, value: T) -> bool {
        let offset = index & MASK;
        // SAFETY: slot `index` was claimed by this sender alone, and the
        // receiver reads it only after the ready bit set below.
        self.slots[offset].with_mut(|p| unsafe { (*p).write(value) });
        // One RMW both publishes the slot and takes RX_WAITING: after it the
        // receiver may read, reclaim and free this block, so the sender must
        // not touch the block again (a second RMW to clear the bit would be
        // a use after free).
        let bit = 1 << offset;
        let mut curr = self.ready.load(Ordering::Relaxed);
        loop {
            match self.ready.compare_exchange_weak(
                curr,
                (curr | bit) & !RX_WAITING,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(prev) => return prev & RX_WAITING != 0,
                Err(actual) => curr = actual,
            }
        }
    }

    /// The receiver clears its own `RX_WAITING` (it found its slot ready).
    fn clear_rx_waiting(&self) {
        self.ready.fetch_and(!RX_WAITING, Ordering::AcqRel);
    }

    /// True once every slot has been written.
    fn is_final(&self) -> bool {
        self.ready.load(Ordering::Acquire) & READY_MASK == READY_MASK
    }

    /// Records the tail counter seen after moving `block_tail` past this block.
    fn release(&self, observed_tail: usize) {
        // SAFETY: one sender wins the CAS that moves block_tail past this
        // block and is the only writer; the receiver reads it after RELEASED.
        self.observed_tail
            .with_mut(|p| unsafe { *p = observed_tail });
        self.ready.fetch_or(RELEASED, Ordering::Release);
    }

    /// The successor, allocating and linking one if there is none.
    fn next_or_grow(&self, tx: &Tx<T>, wake_rx: &mut bool) -> NonNull<Block<T>> {
        if let Some(next) = NonNull::new(self.next.load(Ordering::Acquire)) {
            return next;
        }
        let popped = tx.free.lock().pop();
        let new = popped.unwrap_or_else(|| Block::alloc(self.start_index() + BLOCK_CAP));
        let mut curr = NonNull::from(self);
        let mut first_next = None;
        loop {
            // SAFETY: `curr` is this block or a successor reached through
            // `next` links; none of them can be reclaimed while this sender
            // has not written its slot (module doc).
            let curr_ref = unsafe { curr.as_ref() };
            // SAFETY: `new` is not reachable by anyone else yet.
            unsafe { new.as_ref() }
                .start_index
                .with_mut(|p| unsafe { *p = curr_ref.start_index() + BLOCK_CAP });
            match curr_ref.next.compare_exchange(
                ptr::null_mut(),
                new.as_ptr(),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    *wake_rx = true;
                    return first_next.unwrap_or(new);
                }
                Err(actual) => {
                    // SAFETY: a successful CAS stored a non-null pointer.
                    let actual = unsafe { NonNull::new_unchecked(actual) };
                    first_next.get_or_insert(actual);
                    curr = actual;
                }
            }
        }
    }

    /// Resets a reclaimed block for reuse.
    ///
    /// # Safety
    /// No sender can reach the block, and its slots were all read.
    unsafe fn reset(&self) {
        self.next.store(ptr::null_mut(), Ordering::Relaxed);
        self.ready.store(0, Ordering::Relaxed);
    }
}

impl<T> Tx<T> {
    pub(super) fn new() -> Tx<T> {
        Tx {
            first: AtomicPtr::new(ptr::null_mut()),
            block_tail: AtomicPtr::new(ptr::null_mut()),
            free: Mutex::new(Vec::new()),
        }
    }

    /// True while no block was ever allocated.
    #[cfg(test)]
    pub(super) fn first_is_null(&self) -> bool {
        self.first.load(Ordering::Acquire).is_null()
    }

    /// Writes `value` into claimed slot `index`. Returns `true` if the
    /// receiver was parked waiting for this slot or for its block to exist.
    ///
    /// # Safety
    /// `index` was claimed from `tail` by this sender.
    pub(super) unsafe fn push(&self, index: usize, value: T, tail: &AtomicUsize) -> (bool, bool) {
        let mut linked = false;
        let block = self.find_block(index, tail, &mut linked);
        // SAFETY: the block of our claimed slot, reachable until we wrote it.
        let slot_waiter = unsafe { block.as_ref().write(index, value) };
        (slot_waiter, linked)
    }

    fn find_block(&self, index: usize, tail: &AtomicUsize, linked: &mut bool) -> NonNull<Block<T>> {
        let start = index & !MASK;
        let offset = index & MASK;
        let mut block = match NonNull::new(self.block_tail.load(Ordering::Acquire)) {
            Some(b) => b,
            None => self.install_first(linked),
        };
        // SAFETY: block_tail (or first) is never reclaimed while a sender
        // that claimed a slot has not written it (module doc).
        let distance = start.wrapping_sub(unsafe { block.as_ref() }.start_index()) / BLOCK_CAP;
        // Only senders far ahead of the tail block try to move it, so that
        // the common case does not contend on `block_tail`.
        let mut try_moving_tail = offset < distance;
        loop {
            // SAFETY: as above; successors reached by `next` likewise.
            let block_ref = unsafe { block.as_ref() };
            if block_ref.start_index() == start {
                return block;
            }
            let next = block_ref.next_or_grow(self, linked);
            try_moving_tail &= block_ref.is_final();
            if try_moving_tail {
                match self.block_tail.compare_exchange(
                    block.as_ptr(),
                    next.as_ptr(),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => {
                        // An RMW, not a load: it is ordered against every
                        // sender's claim on the same counter (module doc).
                        let observed = tail.fetch_add(0, Ordering::AcqRel) >> 1;
                        block_ref.release(observed);
                    }
                    Err(_) => try_moving_tail = false,
                }
            }
            block = next;
        }
    }

    fn install_first(&self, linked: &mut bool) -> NonNull<Block<T>> {
        let new = Block::alloc(0);
        let first = match self.first.compare_exchange(
            ptr::null_mut(),
            new.as_ptr(),
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => {
                *linked = true;
                new
            }
            Err(actual) => {
                // SAFETY: `new` was never shared.
                drop(unsafe { Box::from_raw(new.as_ptr()) });
                // SAFETY: non-null, since the CAS failed.
                unsafe { NonNull::new_unchecked(actual) }
            }
        };
        let _ = self.block_tail.compare_exchange(
            ptr::null_mut(),
            first.as_ptr(),
            Ordering::AcqRel,
            Ordering::Acquire,
        );
        first
    }
}

impl<T> Rx<T> {
    pub(super) fn new() -> Rx<T> {
        Rx {
            head: ptr::null_mut(),
            head_start: 0,
            free_head: ptr::null_mut(),
            index: 0,
            ready_cache: 0,
        }
    }

    /// Takes the value in slot `index` if it was written.
    #[inline]
    pub(super) fn pop(&mut self, tx: &Tx<T>) -> Option<T> {
        // The common case, inlined: the slot is in the head block we are
        // already on, and no block before it waits to be reclaimed.
        if !self.head.is_null()
            && self.head_start == self.index & !MASK
            && self.free_head == self.head
        {
            return self.take(self.head);
        }
        self.pop_slow(tx)
    }

    /// `pop` when the head must move to another block or blocks wait to
    /// be reclaimed.
    #[inline(never)]
    fn pop_slow(&mut self, tx: &Tx<T>) -> Option<T> {
        let head = self.advance_head(tx)?;
        self.reclaim_blocks(tx);
        self.take(head)
    }

    /// Reads slot `index` of `head` (the block holding it) if its sender has
    /// written it.
    #[inline(always)]
    fn take(&mut self, head: *mut Block<T>) -> Option<T> {
        let offset = self.index & MASK;
        // SAFETY: the head block is reachable and not reclaimed (we only
        // reclaim blocks before it).
        let head_ref = unsafe { &*head };
        if self.ready_cache & (1 << offset) == 0 {
            self.ready_cache = head_ref.ready.load(Ordering::Acquire);
            if self.ready_cache & (1 << offset) == 0 {
                return None;
            }
        }
        // SAFETY: the ready bit says the sender wrote the slot; we are the
        // only reader and read it once (index moves on).
        let value = head_ref.slots[offset].with(|p| unsafe { (*p).assume_init_read() });
        self.index += 1;
        Some(value)
    }

    /// Before parking: marks the slot's block `RX_WAITING`, so that its
    /// sender wakes us. `None` if the block does not exist yet (the caller
    /// parks on the whole mailbox instead: the sender that links the block
    /// wakes it).
    pub(super) fn park(&mut self, tx: &Tx<T>) -> Option<Park> {
        let head = self.advance_head(tx)?;
        // SAFETY: as in `pop`.
        let head_ref = unsafe { &*head };
        let prev = head_ref.ready.fetch_or(RX_WAITING, Ordering::AcqRel);
        if prev & (1 << (self.index & MASK)) != 0 {
            head_ref.clear_rx_waiting();
            Some(Park::Ready)
        } else {
            Some(Park::Parked)
        }
    }

    /// Moves `head` to the block of `index`; `None` if it does not exist yet.
    fn advance_head(&mut self, tx: &Tx<T>) -> Option<*mut Block<T>> {
        if self.head.is_null() {
            let first = tx.first.load(Ordering::Acquire);
            if first.is_null() {
                return None;
            }
            self.head = first;
            self.free_head = first;
            // SAFETY: linked by a sender; we loaded the link with Acquire.
            self.head_start = unsafe { &*first }.start_index();
        }
        let start = self.index & !MASK;
        // The cached start, not the block's: the header line is the one the
        // senders write on every message.
        while self.head_start != start {
            // SAFETY: head is reachable and ours to read (not reclaimed).
            let next = unsafe { &*self.head }.next.load(Ordering::Acquire);
            if next.is_null() {
                return None;
            }
            self.head = next;
            // SAFETY: as above, for the block we just reached.
            self.head_start = unsafe { &*next }.start_index();
            self.ready_cache = 0;
        }
        Some(self.head)
    }

    fn reclaim_blocks(&mut self, tx: &Tx<T>) {
        while self.free_head != self.head {
            // SAFETY: blocks between free_head and head are linked and ours.
            let block = unsafe { &*self.free_head };
            let ready = block.ready.load(Ordering::Acquire);
            if ready & RELEASED == 0 {
                return;
            }
            // SAFETY: RELEASED was set after observed_tail was written, and we
            // loaded it with Acquire.
            let observed = block.observed_tail.with(|p| unsafe { *p });
            if observed > self.index {
                return;
            }
            let next = block.next.load(Ordering::Acquire);
            debug_assert!(!next.is_null(), "a released block has a successor");
            // SAFETY: free_head is non-null here (it differs from head).
            let reclaimed = unsafe { NonNull::new_unchecked(self.free_head) };
            self.free_head = next;
            // SAFETY: no sender can reach it any more and every slot was read.
            unsafe { block.reset() };
            self.recycle(tx, reclaimed);
        }
    }

    /// Gives a reclaimed block back: linked within `RECLAIM_ATTEMPTS` links
    /// of the senders' tail if possible, else onto the free stack, else (the
    /// stack is full after a spike) freed.
    // Under loom RECLAIM_ATTEMPTS is 0 and the linking loop is empty on
    // purpose (see the constant).
    #[cfg_attr(keel_loom, allow(clippy::reversed_empty_ranges))]
    fn recycle(&mut self, tx: &Tx<T>, block: NonNull<Block<T>>) {
        // SAFETY: the receiver owns `block` exclusively (it is reclaimed).
        let block_ref = unsafe { block.as_ref() };
        // SAFETY: blocks exist (we reclaimed one), so block_tail is set; it
        // is never behind a block we reclaim, and we are the only reclaimer,
        // so it and its successors stay valid while we walk.
        let mut curr = unsafe { NonNull::new_unchecked(tx.block_tail.load(Ordering::Acquire)) };
        for _ in 0..RECLAIM_ATTEMPTS {
            // SAFETY: as above.
            let curr_ref = unsafe { curr.as_ref() };
            // SAFETY: `block` is still unreachable by senders.
            block_ref
                .start_index
                .with_mut(|p| unsafe { *p = curr_ref.start_index() + BLOCK_CAP });
            match curr_ref.next.compare_exchange(
                ptr::null_mut(),
                block.as_ptr(),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                // SAFETY: a failed CAS against null read a non-null pointer.
                Err(actual) => curr = unsafe { NonNull::new_unchecked(actual) },
            }
        }
        let mut free = tx.free.lock();
        if free.len() < MAX_FREE_BLOCKS {
            free.push(block);
            return;
        }
        drop(free);
        // SAFETY: never linked again, exclusively ours.
        drop(unsafe { Box::from_raw(block.as_ptr()) });
    }

    /// Drops every value still readable and frees every block. Called once,
    /// when the channel itself is dropped (no sender exists any more).
    ///
    /// # Safety
    /// No other thread may touch the list, now or later.
    pub(super) unsafe fn free_all(&mut self, tx: &Tx<T>) {
        while self.pop(tx).is_some() {}
        let mut block = if self.free_head.is_null() {
            tx.first.load(Ordering::Acquire)
        } else {
            self.free_head
        };
        for free in tx.free.lock().drain(..) {
            // SAFETY: blocks on the free stack are linked nowhere and ours.
            drop(unsafe { Box::from_raw(free.as_ptr()) });
        }
        while !block.is_null() {
            // SAFETY: every block in the list was allocated by `Block::alloc`
            // and is exclusively ours now.
            let next = unsafe { &*block }.next.load(Ordering::Acquire);
            // SAFETY: as above; nothing points at it after this.
            drop(unsafe { Box::from_raw(block) });
            block = next;
        }
    }
}
