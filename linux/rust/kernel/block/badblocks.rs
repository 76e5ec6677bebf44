// SPDX-License-Identifier: GPL-2.0

//! Lists of known-bad sectors.
//!
//! A block driver whose medium can lose data in place (persistent memory, md
//! arrays) keeps the sectors it knows to be bad in a [`BadBlocks`] list. The
//! block layer shows it in `/sys/block/<disk>/badblocks` when the disk points
//! at it, and the same file lets an administrator (or a test) add entries.
//!
//! C header: [`include/linux/badblocks.h`](srctree/include/linux/badblocks.h)

use crate::{bindings, error::to_result, prelude::*, types::Opaque};
use core::{
    pin::Pin,
    sync::atomic::{AtomicPtr, Ordering},
};
use pin_init::{pin_data, pinned_drop, PinInit};

/// The most entries a [`BadBlocks`] list holds: one page of 64-bit entries.
///
/// An entry covers up to [`MAX_RANGE_SECTORS`] adjacent sectors.
pub const MAX_ENTRIES: usize = bindings::MAX_BADBLOCKS;

/// The most sectors one entry of a [`BadBlocks`] list covers.
pub const MAX_RANGE_SECTORS: u64 = crate::num::casts::u32_as_u64(bindings::BB_MAX_LEN);

/// A range of known-bad sectors, as found by [`BadBlocks::check`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadRange {
    /// The first bad sector of the range. It may lie before the sector that was asked about.
    pub start: u64,
    /// The number of bad sectors in the range.
    pub len: u64,
    /// Whether every bad range overlapping the request is acknowledged, that is, recorded by the
    /// driver wherever it keeps such records.
    pub acknowledged: bool,
}

impl BadRange {
    /// The sector after the last bad sector of the range.
    #[inline]
    pub fn end(&self) -> u64 {
        self.start + self.len
    }
}

/// A list of known-bad sectors: the C `struct badblocks`.
///
/// The list has its own lock (a seqlock): lookups run concurrently with each other and may be
/// retried while the list changes; changes are serialised. All methods take `&self`.
///
/// The C `badblocks_set()` and `badblocks_clear()` are [`BadBlocks::set_bad`] and
/// [`BadBlocks::clear_bad`] here: a plain `set` would be shadowed by [`Pin::set`] on the pinned
/// pointers a [`BadBlocks`] lives behind.
///
/// # Invariants
///
/// `inner` was initialized by `badblocks_init()` with the list enabled, and is torn down by
/// `badblocks_exit()` when the [`BadBlocks`] is dropped.
///
/// # Examples
///
/// ```
/// use kernel::block::badblocks::{BadBlocks, BadRange};
///
/// let bb = KBox::pin_init(BadBlocks::new(), GFP_KERNEL)?;
/// assert!(bb.is_empty());
/// assert_eq!(bb.check(0, 8), None);
///
/// bb.set_bad(10, 2, true)?;
/// assert_eq!(bb.count(), 1);
/// assert_eq!(bb.check(0, 10), None);
/// assert_eq!(bb.check(8, 8), Some(BadRange { start: 10, len: 2, acknowledged: true }));
/// // The range found may start before the sectors asked about.
/// assert_eq!(bb.check(11, 1), Some(BadRange { start: 10, len: 2, acknowledged: true }));
///
/// // Clearing part of a range keeps the rest.
/// bb.clear_bad(10, 1)?;
/// assert_eq!(bb.check(8, 8), Some(BadRange { start: 11, len: 1, acknowledged: true }));
/// bb.clear_bad(0, 64)?;
/// assert!(bb.is_empty());
///
/// // Adjacent ranges with the same acknowledgment merge.
/// bb.set_bad(100, 4, false)?;
/// bb.set_bad(104, 4, false)?;
/// assert_eq!(bb.count(), 1);
/// assert_eq!(bb.check(0, 200), Some(BadRange { start: 100, len: 8, acknowledged: false }));
/// # Ok::<(), Error>(())
/// ```
#[pin_data(PinnedDrop)]
pub struct BadBlocks {
    #[pin]
    inner: Opaque<bindings::badblocks>,
    /// The sysfs file that shows the list (`/sys/block/<disk>/badblocks`), woken on every change
    /// the list's methods make, or null.
    ///
    /// # Invariants
    ///
    /// Null, or a kernfs node of which the list holds a reference, put when it is replaced or the
    /// list is dropped.
    sysfs: AtomicPtr<bindings::kernfs_node>,
}

// SAFETY: A `struct badblocks` may be used from any thread: its lock serialises changes, and
// nothing in it is tied to the thread that created it.
unsafe impl Send for BadBlocks {}

// SAFETY: Every method takes `&self` and goes through the C functions, which take the list's own
// seqlock; reading `count` without the lock is a single racy-but-atomic read, as in C.
unsafe impl Sync for BadBlocks {}

impl BadBlocks {
    /// Creates an empty, enabled list.
    ///
    /// Fails with `ENOMEM` if the page that holds the entries cannot be allocated.
    pub fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            inner <- Opaque::try_ffi_init(|slot: *mut bindings::badblocks| {
                // SAFETY: `slot` points to memory valid for writes of a `struct badblocks`;
                // `badblocks_init()` initializes all of it.
                to_result(unsafe { bindings::badblocks_init(slot, 1) })
            }),
            sysfs: AtomicPtr::new(core::ptr::null_mut()),
        })
    }

    /// Wakes the pollers of the list's sysfs file, if it has one.
    #[inline]
    fn notify(&self) {
        let kn = self.sysfs.load(Ordering::Acquire);
        if !kn.is_null() {
            // SAFETY: By the type invariant the list holds a reference to `kn`, which keeps it
            // valid; waking the pollers of a file that was removed since does nothing.
            unsafe { bindings::sysfs_notify_dirent(kn) };
        }
    }

    /// Finds the first bad range that overlaps the `count` sectors from `sector`.
    ///
    /// Returns [`None`] if none of those sectors is known to be bad.
    #[inline]
    pub fn check(&self, sector: u64, count: u64) -> Option<BadRange> {
        let mut first_bad: bindings::sector_t = 0;
        let mut bad_sectors: bindings::sector_t = 0;
        // SAFETY: By the type invariant `inner` is initialized; the out pointers are valid.
        let ret = unsafe {
            bindings::badblocks_check(
                self.inner.get(),
                sector,
                count,
                &mut first_bad,
                &mut bad_sectors,
            )
        };
        (ret != 0).then_some(BadRange {
            start: first_bad,
            len: bad_sectors,
            acknowledged: ret > 0,
        })
    }

    /// Returns `true` if any of the `count` sectors from `sector` is known to be bad.
    #[inline]
    pub fn is_bad(&self, sector: u64, count: u64) -> bool {
        // Cheap test first: the common case is a list without entries.
        !self.is_empty() && self.check(sector, count).is_some()
    }

    /// Records the `count` sectors from `sector` as bad.
    ///
    /// Fails with `ENOSPC` if the list is full (see [`MAX_ENTRIES`]), even when the range would
    /// merge into an existing entry; sectors already recorded stay recorded.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::block::badblocks::{BadBlocks, MAX_ENTRIES};
    /// use kernel::num::casts::FromSafeCast;
    ///
    /// let bb = KBox::pin_init(BadBlocks::new(), GFP_KERNEL)?;
    /// // Ranges with a good sector between them take one entry each.
    /// for i in 0..u64::from_safe_cast(MAX_ENTRIES) {
    ///     bb.set_bad(2 * i, 1, true)?;
    /// }
    /// assert!(bb.is_full());
    /// assert_eq!(bb.set_bad(10_000, 1, true), Err(ENOSPC));
    /// assert_eq!(bb.check(10_000, 1), None);
    /// // A full list takes nothing, not even a range that would merge into an entry.
    /// assert_eq!(bb.set_bad(1, 1, true), Err(ENOSPC));
    /// assert_eq!(bb.check(1, 1), None);
    /// // Clearing an entry makes room again.
    /// bb.clear_bad(0, 1)?;
    /// assert_eq!(bb.count(), MAX_ENTRIES - 1);
    /// bb.set_bad(10_000, 1, true)?;
    /// assert!(bb.is_full());
    /// # Ok::<(), Error>(())
    /// ```
    pub fn set_bad(&self, sector: u64, count: u64, acknowledged: bool) -> Result {
        // SAFETY: By the type invariant `inner` is initialized.
        let ok = unsafe {
            bindings::badblocks_set(self.inner.get(), sector, count, i32::from(acknowledged))
        };
        if ok {
            self.notify();
            Ok(())
        } else {
            Err(ENOSPC)
        }
    }

    /// Forgets that the `count` sectors from `sector` are bad.
    ///
    /// Fails with `ENOSPC` if the clear would split an entry in two and the list is full; the
    /// list is then left as it was.
    pub fn clear_bad(&self, sector: u64, count: u64) -> Result {
        // SAFETY: By the type invariant `inner` is initialized.
        let ok = unsafe { bindings::badblocks_clear(self.inner.get(), sector, count) };
        if ok {
            self.notify();
            Ok(())
        } else {
            Err(ENOSPC)
        }
    }

    /// Returns the number of entries in the list.
    ///
    /// Read without the lock, as the C code reads it: a hint that may be stale as soon as it is
    /// returned.
    #[inline]
    pub fn count(&self) -> usize {
        // SAFETY: By the type invariant `inner` is initialized, so `count` is a valid, aligned
        // `int` for as long as `self` lives. C changes it under the list's seqlock and reads it
        // without the lock as a hint, as here: an atomic load (C's `READ_ONCE()`), which cannot
        // tear.
        let count =
            unsafe { crate::sync::atomic::Atomic::from_ptr(&raw mut (*self.inner.get()).count) }
                .load(crate::sync::atomic::Relaxed);
        usize::try_from(count).unwrap_or(0)
    }

    /// Wakes the pollers of the list's sysfs file, if it has one, after the list was changed
    /// behind its back (by a bus filling it in, as `nvdimm_badblocks_populate()` does).
    pub fn notify_changed(&self) {
        self.notify();
    }

    /// Returns `true` if the list has no entries.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    /// Returns `true` if the list cannot take a new, separate entry.
    #[inline]
    pub fn is_full(&self) -> bool {
        self.count() >= MAX_ENTRIES
    }
}

#[pinned_drop]
impl PinnedDrop for BadBlocks {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariant `inner` was initialized by `badblocks_init()` and is not
        // used after this.
        unsafe { bindings::badblocks_exit(self.inner.get()) };
        let kn = self.sysfs.swap(core::ptr::null_mut(), Ordering::AcqRel);
        if !kn.is_null() {
            // SAFETY: By the type invariant the list held a reference to `kn`.
            unsafe { bindings::sysfs_put(kn) };
        }
    }
}
