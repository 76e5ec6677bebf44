// SPDX-License-Identifier: GPL-2.0

//! DAX devices: direct access to byte-addressable storage.
//!
//! A driver of memory-like storage (persistent memory) exposes it to filesystems through a DAX
//! device: the filesystem asks the driver to translate page offsets to kernel addresses and page
//! frames ([`Operations::direct_access`]) and then copies to and from the memory itself, or maps
//! it into user space. The driver implements [`Operations`], allocates a [`Device`] and hosts it
//! on its disk.
//!
//! C header: [`include/linux/dax.h`](srctree/include/linux/dax.h)

use crate::{
    bindings,
    block::bio::{DiskGroups, NewDisk},
    error::{from_err_ptr, to_result, VTABLE_DEFAULT_ERROR},
    iov::{IovIterDest, IovIterSource},
    mm::memremap::{PagemapOps, PmemMapping},
    num::casts::FromSafeCast,
    page::PAGE_SIZE,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc,
    },
    types::ForeignOwnable,
};
use core::{ffi::c_void, marker::PhantomData, ops::Range, ptr::NonNull};

pub mod sector;

/// Why [`Operations::direct_access`] is called: the C `enum dax_access_mode`.
// The C values, so that converting a known mode is free.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum AccessMode {
    /// Plain access: a range that holds known poison must fail with `EHWPOISON`.
    Access = bindings::dax_access_mode_DAX_ACCESS,
    /// Map a range that may hold poison, to repair it with [`Operations::recovery_write`]: the
    /// pages up to the first one with poison, or that page alone when the range starts there
    /// (poison is cleared a page at a time).
    RecoveryWrite = bindings::dax_access_mode_DAX_RECOVERY_WRITE,
    /// Map a range that may hold poison, all the pages asked for, to read around it with
    /// [`Operations::recovery_copy_to_iter`].
    RecoveryRead = bindings::dax_access_mode_DAX_RECOVERY_READ,
}

impl AccessMode {
    #[inline]
    fn from_raw(mode: bindings::dax_access_mode) -> Self {
        match mode {
            bindings::dax_access_mode_DAX_ACCESS => Self::Access,
            bindings::dax_access_mode_DAX_RECOVERY_WRITE => Self::RecoveryWrite,
            bindings::dax_access_mode_DAX_RECOVERY_READ => Self::RecoveryRead,
            // A mode this kernel does not know of, taken as the plain one.
            _ => Self::Access,
        }
    }
}

/// The answer of [`Operations::direct_access`]: which pages of the DAX device's mapping a range
/// is, and how many of them are usable.
///
/// The DAX core reads and writes through the kernel address of the pages and maps their frames
/// into user space, so the driver names pages of the [`PmemMapping`] the [`Device`] holds (see
/// [`Device::new`]), never an address: the device turns them into addresses and frames, checked
/// against that mapping, which lives as long as the device.
///
/// # Examples
///
/// ```
/// use kernel::dax::DirectAccess;
///
/// /// Page `page` of the device's mapping, and up to `want - 1` pages after it: the device
/// /// hands out as many as its mapping has from there, and fails with `ERANGE` if it has no
/// /// page `page`.
/// fn answer(page: usize, want: usize) -> DirectAccess {
///     DirectAccess::new(page, want)
/// }
/// # assert_eq!(answer(3, 0).nr_pages(), 1);
/// ```
///
/// A mapping of the driver's own cannot be handed out: it could be gone while the DAX core
/// still copies through it or maps it.
///
/// ```compile_fail
/// use kernel::dax::DirectAccess;
/// use kernel::mm::memremap::{PagemapOps, PmemMapping};
///
/// fn answer<T: PagemapOps>(local: &PmemMapping<T>) -> DirectAccess {
///     DirectAccess::new(local, 1)
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirectAccess {
    page: usize,
    nr_pages: usize,
}

impl DirectAccess {
    /// Describes page `page` of the DAX device's mapping (counted from the first page of its
    /// data, so that no page before the data, such as an info block or a memmap on the device,
    /// can be named) and up to `nr_pages - 1` pages after it (at least the one).
    // Inlined into drivers' `direct_access()`, which every DAX read, write and fault calls.
    #[inline]
    pub const fn new(page: usize, nr_pages: usize) -> Self {
        Self {
            page,
            nr_pages: if nr_pages == 0 { 1 } else { nr_pages },
        }
    }

    /// Returns the number of pages asked for from the requested one (at least 1); the device
    /// hands out no more than its mapping has.
    pub const fn nr_pages(&self) -> usize {
        self.nr_pages
    }

    /// Returns the kernel address, page frame and number of pages of the answer in `mem`.
    ///
    /// Fails with `EINVAL` if `mem` has no `struct page`s (DAX needs them), and with `ERANGE` if
    /// it has no page `page`.
    #[inline]
    fn resolve<P: PagemapOps>(self, mem: &PmemMapping<P>) -> Result<(*mut c_void, u64, usize)> {
        if !mem.has_pages() {
            return Err(EINVAL);
        }
        let fit = (mem.len() / PAGE_SIZE)
            .checked_sub(self.page)
            .filter(|&n| n > 0)
            .ok_or(ERANGE)?;
        // `page` is below `mem.len() / PAGE_SIZE`, so this cannot overflow.
        let offset = self.page * PAGE_SIZE;
        Ok((
            mem.addr(offset),
            mem.pfn(offset),
            self.nr_pages.clamp(1, fit),
        ))
    }
}

/// The operations of a DAX device: the C `struct dax_operations`.
///
/// Offsets are in pages (`pgoff`) from the start of the device. The DAX core calls these with
/// the device alive (under `dax_read_lock()`); they may run concurrently.
#[macros::vtable]
pub trait Operations: Sized {
    /// The driver's data, handed to every operation.
    type Data: ForeignOwnable + Send + Sync;

    /// What the memory failures of the device's mapping (see [`Device::new`]) are reported to.
    type Pagemap: PagemapOps;

    /// Translates `pgoff` to pages of the device's mapping and says how many of the `nr_pages`
    /// pages from there are usable in `mode` (see [`AccessMode`]).
    fn direct_access(
        data: <Self::Data as ForeignOwnable>::Borrowed<'_>,
        pgoff: u64,
        nr_pages: usize,
        mode: AccessMode,
    ) -> Result<DirectAccess>;

    /// Zeroes `nr_pages` pages from `pgoff`, clearing poison in them.
    fn zero_page_range(
        data: <Self::Data as ForeignOwnable>::Borrowed<'_>,
        pgoff: u64,
        nr_pages: usize,
    ) -> Result;

    /// Writes `bytes` bytes from `iter` at `addr` (of page `pgoff`, mapped with
    /// [`AccessMode::RecoveryWrite`]), repairing each page with known poison: only its known-bad
    /// sectors are cleared (a page whose clear fails is left as it was and ends the write), the
    /// write lands with zeros over the rest of each bad sector it touches in part, and only the
    /// sectors it wrote are dropped from the known-bad list, once durable. The DAX core calls it
    /// for the implicit recovery of a plain write, of whole pages only, and, where
    /// [`Operations::recovery_copy_to_iter`] is implemented too, for a reset
    /// (`RWF_RESET_HWERROR`) of any range under the file's exclusive locks, from an `iter` that
    /// cannot fault. Returns the bytes written, which are the bytes taken from `iter`: whatever
    /// the driver took beyond them is given back to `iter` before the DAX core sees it.
    fn recovery_write(
        _data: <Self::Data as ForeignOwnable>::Borrowed<'_>,
        _pgoff: u64,
        _addr: *mut c_void,
        _bytes: usize,
        _iter: &mut IovIterSource<'_>,
    ) -> usize {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Copies `bytes` bytes at `addr` (of page `pgoff`, mapped with [`AccessMode::RecoveryRead`])
    /// to `iter`, reading poisoned bytes as zeros and telling `zeroed` each run of them. Returns
    /// the bytes copied.
    fn recovery_copy_to_iter(
        _data: <Self::Data as ForeignOwnable>::Borrowed<'_>,
        _pgoff: u64,
        _addr: *mut c_void,
        _bytes: usize,
        _iter: &mut IovIterDest<'_>,
        _zeroed: &mut Zeroed<'_>,
    ) -> usize {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Finds the first run of known-bad bytes (the driver's list of the device's media errors) in
    /// the `len` bytes at byte `pos` of the device, clipped to them, or `None` if they hold none.
    ///
    /// Without it the DAX core knows of no bad bytes, and a read over poison fails as a whole.
    /// An answer that does not lie within the range asked about counts as `None`.
    fn known_bad_range(
        _data: <Self::Data as ForeignOwnable>::Borrowed<'_>,
        _pos: u64,
        _len: usize,
    ) -> Option<Range<u64>> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// Where a recovery read tells the DAX core which bytes it returned as zeros: the C
/// `struct dax_zeroed`, handed to [`Operations::recovery_copy_to_iter`].
///
/// Poison met during a copy is as precise as the copy reports it (a cache line), finer than the
/// known-bad list that records it (a sector): only the driver knows which bytes it could not read.
///
/// What is reported is clipped to the bytes the read was asked for, so that the caller's record
/// of what a read could not return never goes beyond the read.
///
/// # Invariants
///
/// `ptr` is NULL or a `struct dax_zeroed` valid for `'a`, with a `zeroed` callback that may be
/// called at any time during `'a`; `range` holds the device bytes of the read.
pub struct Zeroed<'a> {
    ptr: *mut bindings::dax_zeroed,
    range: Range<u64>,
    _p: PhantomData<&'a mut bindings::dax_zeroed>,
}

impl Zeroed<'_> {
    /// Wraps `ptr`, for a read of the device bytes `range`.
    ///
    /// # Safety
    ///
    /// `ptr` is NULL or valid, with its callback, for the lifetime of the result.
    unsafe fn from_raw(ptr: *mut bindings::dax_zeroed, range: Range<u64>) -> Self {
        // INVARIANT: By the safety requirements.
        Self {
            ptr,
            range,
            _p: PhantomData,
        }
    }

    /// Tells the caller that `len` bytes at byte `pos` of the device were copied as zeros.
    pub fn report(&mut self, pos: u64, len: u64) {
        let from = pos.max(self.range.start);
        let to = pos.saturating_add(len).min(self.range.end);
        if self.ptr.is_null() || from >= to {
            return;
        }
        // SAFETY: By the type invariant `ptr` is valid.
        let Some(f) = (unsafe { (*self.ptr).zeroed }) else {
            return;
        };
        // SAFETY: By the type invariant the callback may be called with `ptr` now.
        unsafe { f(self.ptr, from, to - from) };
    }
}

/// Properties of a new [`Device`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Flags {
    /// Copies to the device bypass the CPU caches, so the DAX core need not flush them
    /// (`set_dax_nocache()`).
    pub nocache: bool,
    /// Copies from the device may meet poison, so the DAX core copies from it with
    /// machine-check-safe copies (`_copy_mc_to_iter()`, `set_dax_nomc()`). A device of persistent
    /// memory must set it: without it a read of poison is a machine check in the kernel.
    pub nomc: bool,
    /// Writes are durable once the CPU caches are flushed, so `MAP_SYNC` is allowed
    /// (`set_dax_synchronous()`).
    pub synchronous: bool,
    /// The device cannot clear poison (`set_dax_noclear()`): file systems refuse
    /// `RWF_RESET_HWERROR` on it.
    pub noclear: bool,
}

/// The sysfs groups of a disk that hosts a DAX device: `dax/write_cache`, which turns the DAX
/// device's CPU write cache off and on. Pass them to
/// [`NewDisk::add`](crate::block::bio::NewDisk::add).
// SAFETY: The array ends with NULL, and `dax_host_attribute_group` is a valid, static group.
pub static HOST_GROUPS: DiskGroups = unsafe { DiskGroups::new(&HOST_GROUP_ARRAY.0) };

/// The NULL-terminated array behind [`HOST_GROUPS`].
struct HostGroupArray([*const bindings::attribute_group; 2]);

// SAFETY: The array only holds a pointer to a static, immutable group, and NULL.
unsafe impl Sync for HostGroupArray {}

static HOST_GROUP_ARRAY: HostGroupArray = HostGroupArray([
    &raw const bindings::dax_host_attribute_group,
    core::ptr::null(),
]);

/// What a [`Device`] hands the DAX core as its private data: the driver's data and the mapping
/// [`Operations::direct_access`] answers in.
///
/// # Invariants
///
/// `data` is a `T::Data` from `into_foreign()`, reclaimed when the value is dropped.
struct Private<T: Operations> {
    data: *mut c_void,
    mem: Arc<PmemMapping<T::Pagemap>>,
}

impl<T: Operations> Drop for Private<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `data` came from `into_foreign()`; the value is dropped
        // only once nothing borrows it (the device is killed, or was never published).
        drop(unsafe { T::Data::from_foreign(self.data) });
    }
}

/// A DAX device hosted on a disk.
///
/// Dropping it removes the host, kills the device (waiting for running operations) and puts it;
/// [`Device::kill`] does the first two steps earlier.
///
/// # Invariants
///
/// `ptr` is a DAX device from `alloc_dax()` whose private data is `private`, a `Private<T>`
/// from `KBox::into_raw()` (kept here too: `dax_get_private()` returns NULL once the device is
/// killed), hosted on `host` (`dax_add_host()`), and
/// it holds the reference `alloc_dax()` returned. It also owns a reference to `host`'s device
/// (`disk_to_dev()`), so `host` stays valid until `drop` has removed the host, whichever of this
/// device and the disk it came from is dropped first.
pub struct Device<T: Operations> {
    ptr: NonNull<bindings::dax_device>,
    private: NonNull<Private<T>>,
    host: NonNull<bindings::gendisk>,
    killed: Atomic<bool>,
    _t: PhantomData<T>,
}

// SAFETY: The C DAX device may be used from any thread.
unsafe impl<T: Operations> Send for Device<T> {}
// SAFETY: The C functions called through `&Device` synchronise themselves.
unsafe impl<T: Operations> Sync for Device<T> {}

impl<T: Operations> Device<T> {
    const OPS: bindings::dax_operations = bindings::dax_operations {
        direct_access: Some(Self::direct_access_callback),
        zero_page_range: Some(Self::zero_page_range_callback),
        recovery_write: if T::HAS_RECOVERY_WRITE {
            Some(Self::recovery_write_callback)
        } else {
            None
        },
        recovery_copy_to_iter: if T::HAS_RECOVERY_COPY_TO_ITER {
            Some(Self::recovery_copy_to_iter_callback)
        } else {
            None
        },
        known_bad_range: if T::HAS_KNOWN_BAD_RANGE {
            Some(Self::known_bad_range_callback)
        } else {
            None
        },
    };

    /// Allocates a DAX device with `data`, answering [`Operations::direct_access`] in `mem`,
    /// and hosts it on `disk`, which is not added yet (the filesystem looks the DAX device up
    /// when it mounts the disk); add the disk with [`HOST_GROUPS`]. The device holds `mem` until
    /// it is dropped, so that nothing the DAX core was handed goes before it. If `mem` has no
    /// `struct page`s, [`Operations::direct_access`] fails with `EINVAL` (DAX needs them).
    ///
    /// Fails with `EOPNOTSUPP` if the kernel has no DAX (`alloc_dax()`), and with `ENOMEM`.
    pub fn new<D: crate::block::bio::Operations>(
        data: T::Data,
        mem: Arc<PmemMapping<T::Pagemap>>,
        flags: Flags,
        disk: &NewDisk<D>,
    ) -> Result<Self> {
        // INVARIANT: `data` comes from `into_foreign()`.
        let private = Private::<T> {
            data: data.into_foreign(),
            mem,
        };
        let private = KBox::new(private, GFP_KERNEL)?;
        let private = KBox::into_raw(private);
        // SAFETY: `OPS` is static; `private` stays valid until it is reclaimed in `drop` (or below
        // on failure).
        let ptr = match from_err_ptr(unsafe { bindings::alloc_dax(private.cast(), &Self::OPS) }) {
            Ok(ptr) => ptr,
            Err(e) => {
                // SAFETY: `private` came from `KBox::into_raw()` and was not handed out.
                drop(unsafe { KBox::from_raw(private) });
                return Err(e);
            }
        };
        // SAFETY: `alloc_dax()` returned a valid device.
        unsafe {
            if flags.nocache {
                bindings::set_dax_nocache(ptr);
            }
            if flags.nomc {
                bindings::set_dax_nomc(ptr);
            }
            if flags.synchronous {
                bindings::set_dax_synchronous(ptr);
            }
            if flags.noclear {
                bindings::set_dax_noclear(ptr);
            }
        }
        let host = disk.as_raw();
        // SAFETY: `ptr` and `host` are valid.
        if let Err(e) = to_result(unsafe { bindings::dax_add_host(ptr, host) }) {
            // SAFETY: `ptr` was never published; kill it, reclaim its data and put it.
            unsafe {
                bindings::kill_dax(ptr);
                drop(KBox::from_raw(private));
                bindings::put_dax(ptr);
            }
            return Err(e);
        }
        // SAFETY: `host` is a valid disk, so its `part0` and that block device's device are
        // valid; the reference is put in `drop`, after the host is removed.
        unsafe { bindings::get_device(&raw mut (*(*host).part0).bd_device) };
        // INVARIANT: All of the above.
        Ok(Self {
            // SAFETY: `alloc_dax()` does not return NULL on success.
            ptr: unsafe { NonNull::new_unchecked(ptr) },
            // SAFETY: `KBox::into_raw()` does not return NULL.
            private: unsafe { NonNull::new_unchecked(private) },
            // SAFETY: `host` came from a reference.
            host: unsafe { NonNull::new_unchecked(host) },
            killed: Atomic::new(false),
            _t: PhantomData,
        })
    }

    /// Removes the host and kills the device: no operation runs once this returns, and new ones
    /// fail. Done by `drop` if not before; doing it twice is harmless.
    pub fn kill(&self) {
        if self.killed.xchg(true, Relaxed) {
            return;
        }
        // SAFETY: By the type invariant the device is hosted on `host` and valid.
        unsafe {
            bindings::dax_remove_host(self.host.as_ptr());
            bindings::kill_dax(self.ptr.as_ptr());
        }
    }

    /// Enables or disables the CPU write cache of the device (`dax_write_cache()`): with it,
    /// filesystems flush CPU caches for durability.
    pub fn set_write_cache(&self, enabled: bool) {
        // SAFETY: By the type invariant the device is valid.
        unsafe { bindings::dax_write_cache(self.ptr.as_ptr(), enabled) };
    }

    /// Tells the holder of the device (a mounted filesystem) that `len` bytes at byte `offset`
    /// of the device failed (`dax_holder_notify_failure()`); `flags` are the `MF_*` flags.
    ///
    /// Fails with `EOPNOTSUPP` if nothing holds the device (or its holder takes no failure
    /// reports), with `ENXIO` once it is killed, and with the holder's error.
    pub fn notify_failure(&self, offset: u64, len: u64, flags: i32) -> Result {
        // SAFETY: By the type invariant the device is valid.
        to_result(unsafe {
            bindings::dax_holder_notify_failure(self.ptr.as_ptr(), offset, len, flags)
        })
    }

    /// Returns the private data of `dax`, or `None` if it is being killed.
    ///
    /// # Safety
    ///
    /// `dax` is a device of this type, called on by the DAX core (under `dax_read_lock()`).
    unsafe fn private<'a>(dax: *mut bindings::dax_device) -> Option<&'a Private<T>> {
        // SAFETY: `dax` is valid. `dax_get_private()` returns NULL once `kill_dax()` started,
        // which an operation that passed the DAX core's check may still see.
        let private = unsafe { bindings::dax_get_private(dax) };
        // SAFETY: By the type invariant the private data is a `Private<T>`, reclaimed only after
        // `kill_dax()`, which waits for running operations.
        unsafe { private.cast::<Private<T>>().as_ref() }
    }

    /// Returns the data of `dax`, or `None` if it is being killed.
    ///
    /// # Safety
    ///
    /// As `Device::private()`.
    unsafe fn data<'a>(
        dax: *mut bindings::dax_device,
    ) -> Option<<T::Data as ForeignOwnable>::Borrowed<'a>> {
        // SAFETY: As the caller guarantees.
        let private = unsafe { Self::private(dax) }?;
        // SAFETY: By the type invariant of `Private`, `data` is a `T::Data` from
        // `into_foreign()`, live while `private` is.
        Some(unsafe { T::Data::borrow(private.data) })
    }

    extern "C" fn direct_access_callback(
        dax: *mut bindings::dax_device,
        pgoff: usize,
        nr_pages: isize,
        mode: bindings::dax_access_mode,
        kaddr: *mut *mut c_void,
        pfn: *mut usize,
    ) -> isize {
        // SAFETY: Called by the DAX core on a device of this type.
        let Some(private) = (unsafe { Self::private(dax) }) else {
            return errno_isize(ENXIO);
        };
        // SAFETY: By the type invariant of `Private`, `data` is a live `T::Data`.
        let data = unsafe { T::Data::borrow(private.data) };
        let nr = usize::try_from(nr_pages).unwrap_or(0);
        let mode = AccessMode::from_raw(mode);
        // The answer is pages of the mapping the device holds: the addresses are computed here.
        let answer = T::direct_access(data, u64::from_safe_cast(pgoff), nr, mode)
            .and_then(|a| a.resolve(&private.mem));
        match answer {
            Ok((addr, frame, n)) => {
                let Ok(frame) = usize::try_from(frame) else {
                    return errno_isize(ERANGE);
                };
                // SAFETY: The out pointers are NULL or valid for writes, per the C contract.
                unsafe {
                    if !kaddr.is_null() {
                        *kaddr = addr;
                    }
                    if !pfn.is_null() {
                        *pfn = frame;
                    }
                }
                isize::try_from(n).unwrap_or(isize::MAX)
            }
            Err(e) => errno_isize(e),
        }
    }

    extern "C" fn known_bad_range_callback(
        dax: *mut bindings::dax_device,
        pos: u64,
        len: usize,
        bad_pos: *mut u64,
        bad_len: *mut u64,
    ) -> bool {
        // SAFETY: Called by the DAX core on a device of this type.
        let Some(data) = (unsafe { Self::data(dax) }) else {
            return false;
        };
        let Some(bad) = T::known_bad_range(data, pos, len) else {
            return false;
        };
        // The DAX core sizes copies from the answer: one outside the range is not passed on.
        let end = pos.saturating_add(u64::from_safe_cast(len));
        if bad.is_empty() || bad.start < pos || bad.end > end {
            return false;
        }
        // SAFETY: The out pointers are valid for writes, per the C contract.
        unsafe {
            *bad_pos = bad.start;
            *bad_len = bad.end - bad.start;
        }
        true
    }

    extern "C" fn zero_page_range_callback(
        dax: *mut bindings::dax_device,
        pgoff: usize,
        nr_pages: usize,
    ) -> i32 {
        // SAFETY: Called by the DAX core on a device of this type.
        let Some(data) = (unsafe { Self::data(dax) }) else {
            return ENXIO.to_errno();
        };
        match T::zero_page_range(data, u64::from_safe_cast(pgoff), nr_pages) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// Runs [`Operations::recovery_write`] with the device's data and the source iterator; 0 if
    /// the device is being killed. The bytes it returns are the bytes taken from `iter`: what the
    /// driver took beyond the bytes it reports goes back to `iter`, and it reports no more than
    /// it took.
    extern "C" fn recovery_write_callback(
        dax: *mut bindings::dax_device,
        pgoff: usize,
        addr: *mut c_void,
        bytes: usize,
        iter: *mut bindings::iov_iter,
    ) -> usize {
        // SAFETY: Called by the DAX core on a device of this type.
        let Some(data) = (unsafe { Self::data(dax) }) else {
            return 0;
        };
        // SAFETY: `iter` is a valid source iterator for the duration of the call.
        let iter = unsafe { IovIterSource::from_raw(iter) };
        let before = iter.len();
        let done = T::recovery_write(data, u64::from_safe_cast(pgoff), addr, bytes, iter);
        let taken = before.saturating_sub(iter.len());
        if taken > done {
            // SAFETY: Every operation on an `IovIterSource` moves its position and its count
            // together, so `taken` is the net distance the position moved forward in this call,
            // and going back `taken - done <= taken` bytes does not pass where it was when the
            // call began. (`iov_iter_revert()` ignores more than `MAX_RW_COUNT`, which the DAX
            // core's requests never reach.)
            unsafe { iter.revert(taken - done) };
        }
        done.min(taken)
    }

    extern "C" fn recovery_copy_to_iter_callback(
        dax: *mut bindings::dax_device,
        pgoff: usize,
        addr: *mut c_void,
        bytes: usize,
        iter: *mut bindings::iov_iter,
        z: *mut bindings::dax_zeroed,
    ) -> usize {
        // SAFETY: Called by the DAX core on a device of this type.
        let Some(data) = (unsafe { Self::data(dax) }) else {
            return 0;
        };
        // SAFETY: `iter` is a valid destination iterator for the duration of the call.
        let iter = unsafe { IovIterDest::from_raw(iter) };
        // The device bytes of the read: `addr` is in page `pgoff`, and the device's pages are
        // mapped whole.
        let start = u64::from_safe_cast(pgoff)
            .saturating_mul(u64::from_safe_cast(PAGE_SIZE))
            .saturating_add(u64::from_safe_cast(addr.addr() % PAGE_SIZE));
        let range = start..start.saturating_add(u64::from_safe_cast(bytes));
        // SAFETY: `z` is NULL or valid for the duration of the call, per the C contract.
        let mut zeroed = unsafe { Zeroed::from_raw(z, range) };
        T::recovery_copy_to_iter(
            data,
            u64::from_safe_cast(pgoff),
            addr,
            bytes,
            iter,
            &mut zeroed,
        )
    }
}

/// Returns `e` as the negative `isize` the DAX core takes for an error.
fn errno_isize(e: Error) -> isize {
    isize::try_from(e.to_errno()).unwrap_or(isize::MIN)
}

impl<T: Operations> Drop for Device<T> {
    fn drop(&mut self) {
        self.kill();
        // SAFETY: The device is killed: no operation runs or will run, so the private data can
        // be reclaimed (by the type invariant it came from `KBox::into_raw()`); then the
        // reference from `alloc_dax()` is put.
        unsafe {
            drop(KBox::from_raw(self.private.as_ptr()));
            bindings::put_dax(self.ptr.as_ptr());
        }
        // SAFETY: The host was removed by `kill`; the reference to its device was taken in `new`.
        unsafe { bindings::put_device(&raw mut (*(*self.host.as_ptr()).part0).bd_device) };
    }
}
