// SPDX-License-Identifier: GPL-2.0

//! Persistent memory mapped into the kernel.
//!
//! A pmem driver maps its namespace either with `struct page`s ([`Pagemap`], through
//! `memremap_pages()`, which DAX needs) or without them (`memremap()`). Either way the driver gets
//! a [`PmemMapping`]: a bounds-checked window on the medium with the copy primitives persistent
//! memory needs (machine-check-safe reads, cache-flushing writes), so that the driver itself needs
//! no `unsafe`.
//!
//! C headers: [`include/linux/memremap.h`](srctree/include/linux/memremap.h),
//! [`include/linux/libnvdimm.h`](srctree/include/linux/libnvdimm.h)

use crate::ffi::c_ulong;
use crate::{
    bindings,
    block::bio::Segment,
    error::to_result,
    iov::{HeldUserBytes, IovIterDest, IovIterSource},
    prelude::*,
    types::Opaque,
};
use core::{ffi::c_void, marker::PhantomPinned, ptr::NonNull};

/// The configuration of a device memory mapping with `struct page`s: the C `struct dev_pagemap`
/// before `memremap_pages()` takes it.
///
/// Set its range with [`PagemapConfig::set_range`], or let a subsystem fill it in (for instance
/// libnvdimm's pfn setup, which also reserves room for the memmap on the device).
pub struct PagemapConfig(bindings::dev_pagemap);

impl PagemapConfig {
    /// Creates an empty configuration.
    pub fn new() -> Self {
        // SAFETY: All-zeroes is a valid `struct dev_pagemap` (integers, NULL pointers and an
        // empty range), and what the C code starts from.
        Self(unsafe { core::mem::zeroed() })
    }

    /// Maps the physical range `start..=end` (inclusive, as `struct range`).
    pub fn set_range(&mut self, start: u64, end: u64) {
        self.0.nr_range = 1;
        // SAFETY: `range` is the member of the union used when `nr_range` is 1; it is plain
        // integers.
        let range = unsafe { self.0.__bindgen_anon_1.range.as_mut() };
        range.start = start;
        range.end = end;
    }

    /// Returns the mapped physical range as `(start, end)`, `end` inclusive.
    pub fn range(&self) -> (u64, u64) {
        // SAFETY: `range` is plain integers; any bit pattern is valid.
        let range = unsafe { self.0.__bindgen_anon_1.range.as_ref() };
        (range.start, range.end)
    }

    /// Returns the number of bytes of the mapped range.
    pub fn range_len(&self) -> u64 {
        let (start, end) = self.range();
        end.wrapping_sub(start).wrapping_add(1)
    }

}

impl Default for PagemapConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// What a [`Pagemap`] tells its owner.
pub trait PagemapOps: Send + Sync {
    /// Memory failure was reported for `nr_pages` pages from page frame `pfn`.
    ///
    /// The driver passes it on to whoever owns the data (for a DAX device, its holder, see
    /// `dax_holder_notify_failure()`). `flags` are the `MF_*` action flags.
    fn memory_failure(&self, pfn: u64, nr_pages: u64, flags: i32) -> Result;
}

/// Device memory mapped with `struct page`s for fsdax (`MEMORY_DEVICE_FS_DAX`), whose memory
/// failures reach `T`.
///
/// # Invariants
///
/// `pgmap` was mapped by a successful `memremap_pages()` that returned `virt`, and stays mapped
/// until the [`Pagemap`] is dropped.
#[pin_data(PinnedDrop)]
pub struct Pagemap<T: PagemapOps> {
    #[pin]
    pgmap: Opaque<bindings::dev_pagemap>,
    virt: NonNull<c_void>,
    handler: T,
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: The mapping is not tied to a thread; `T` is `Send`.
unsafe impl<T: PagemapOps> Send for Pagemap<T> {}
// SAFETY: `&Pagemap` only reads the immutable `virt` and calls `T`, which is `Sync`.
unsafe impl<T: PagemapOps> Sync for Pagemap<T> {}

impl<T: PagemapOps> Pagemap<T> {
    const OPS: bindings::dev_pagemap_ops = bindings::dev_pagemap_ops {
        memory_failure: Some(Self::memory_failure_callback),
        ..pin_init::zeroed()
    };

    /// Maps `config` on NUMA node `nid` (or `NUMA_NO_NODE`, -1) for fsdax, reporting memory
    /// failures to `handler`.
    pub fn new(config: PagemapConfig, nid: i32, handler: T) -> impl PinInit<Self, Error> {
        let init = move |slot: *mut Self| {
            // SAFETY: `slot` is valid for writes; the fields are written before use.
            let pgmap = unsafe { Opaque::cast_into(&raw const (*slot).pgmap) };
            let mut cfg = config.0;
            cfg.type_ = bindings::memory_type_MEMORY_DEVICE_FS_DAX;
            cfg.ops = &Self::OPS;
            // SAFETY: `pgmap` is valid for writes of a `struct dev_pagemap`.
            unsafe { pgmap.write(cfg) };
            // SAFETY: `pgmap` is initialized and pinned (it lives in `*slot`, which is pinned);
            // `memremap_pages()` keeps it until `memunmap_pages()` in `drop`.
            let virt = unsafe { bindings::memremap_pages(pgmap, nid) };
            // `memremap_pages()` returns a pointer or an `ERR_PTR`.
            let virt = crate::error::from_err_ptr(virt)?;
            let virt = NonNull::new(virt).ok_or(ENOMEM)?;
            // SAFETY: `slot` is valid for writes.
            unsafe {
                (&raw mut (*slot).virt).write(virt);
                (&raw mut (*slot).handler).write(handler);
            }
            Ok(())
        };
        // SAFETY: On success every field of `*slot` is initialized; on failure nothing needs to
        // be dropped (`handler` is dropped by the closure, `pgmap` needs no teardown).
        unsafe { pin_init::pin_init_from_closure(init) }
    }

    /// Returns the owner's handler.
    pub fn handler(&self) -> &T {
        &self.handler
    }

    extern "C" fn memory_failure_callback(
        pgmap: *mut bindings::dev_pagemap,
        pfn: usize,
        nr_pages: usize,
        mf_flags: i32,
    ) -> i32 {
        // SAFETY: The callback is only installed in the `pgmap` of a `Pagemap<T>`, and the
        // mapping is torn down before the `Pagemap<T>` goes away.
        let this = unsafe { &*crate::container_of!(Opaque::cast_from(pgmap), Self, pgmap) };
        match this
            .handler
            .memory_failure(pfn as u64, nr_pages as u64, mf_flags)
        {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }
}

#[pinned_drop]
impl<T: PagemapOps> PinnedDrop for Pagemap<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariant the pagemap is mapped; it is unmapped once.
        unsafe { bindings::memunmap_pages(self.pgmap.get()) };
    }
}

/// How a [`PmemMapping`] holds its memory.
enum Backing<T: PagemapOps> {
    Pages(Pin<KBox<Pagemap<T>>>),
    Remap,
}

/// A window of persistent memory mapped into the kernel, `len` bytes from physical address
/// `phys`, with bounds-checked copies.
///
/// Offsets are relative to `phys`. Reads are machine-check safe (`copy_mc_to_kernel()`): a read
/// that meets poison stops short instead of crashing the kernel. Writes bypass or flush the CPU
/// caches (`memcpy_flushcache()`) so that they are durable once the platform's write queues are
/// flushed.
///
/// # Examples
///
/// ```
/// use kernel::mm::memremap::{PagemapOps, PmemMapping};
/// use kernel::prelude::*;
///
/// /// Reads the 512-byte sector at `offset`, machine-check safe: `EIO` where it holds poison,
/// /// `ERANGE` outside the mapping.
/// fn read_sector<T: PagemapOps>(mem: &PmemMapping<T>, offset: usize) -> Result<[u8; 512]> {
///     let mut buf = [0u8; 512];
///     match mem.read_mc(offset, &mut buf)? {
///         0 => Ok(buf),
///         _ => Err(EIO),
///     }
/// }
/// ```
///
/// # Invariants
///
/// `virt` is the start of a kernel mapping of `len` bytes of memory at physical address `phys`,
/// valid until the [`PmemMapping`] is dropped (it owns the mapping).
pub struct PmemMapping<T: PagemapOps> {
    virt: NonNull<c_void>,
    phys: u64,
    len: usize,
    backing: Backing<T>,
}

// SAFETY: The mapping is plain memory, usable from any thread.
unsafe impl<T: PagemapOps> Send for PmemMapping<T> {}
// SAFETY: Methods taking `&self` copy to or from the memory as the C pmem driver does: concurrent
// copies to the same bytes are the callers' to serialise, as for any storage medium.
unsafe impl<T: PagemapOps> Sync for PmemMapping<T> {}

impl<T: PagemapOps> PmemMapping<T> {
    /// Maps `config` with `struct page`s, for DAX; `phys` is the physical address offsets are
    /// relative to and `len` the bytes usable from it.
    pub fn with_pages(
        config: PagemapConfig,
        nid: i32,
        handler: T,
        phys: u64,
        len: usize,
    ) -> Result<Self> {
        let (start, _) = config.range();
        let map_len = usize::try_from(config.range_len())?;
        // The page map must start at `phys` and cover `len` bytes from there.
        if start != phys || map_len < len {
            return Err(EINVAL);
        }
        let pages = KBox::pin_init(Pagemap::new(config, nid, handler), GFP_KERNEL)?;
        Ok(Self {
            virt: pages.virt,
            phys,
            len,
            backing: Backing::Pages(pages),
        })
    }

    /// Maps `len` bytes at `phys` without `struct page`s (`memremap()` with the platform's
    /// persistent memory type).
    pub fn without_pages(phys: u64, len: usize) -> Result<Self> {
        // SAFETY: `memremap()` has no preconditions; failure is a NULL return.
        let virt =
            unsafe { bindings::memremap(phys, len, bindings::ARCH_MEMREMAP_PMEM as c_ulong) };
        let virt = NonNull::new(virt).ok_or(ENOMEM)?;
        Ok(Self {
            virt,
            phys,
            len,
            backing: Backing::Remap,
        })
    }

    /// Returns the [`Pagemap`] handler, if the memory has `struct page`s.
    pub fn pagemap_handler(&self) -> Option<&T> {
        match &self.backing {
            Backing::Pages(p) => Some(p.handler()),
            Backing::Remap => None,
        }
    }

    /// Returns `true` if the memory has `struct page`s.
    pub fn has_pages(&self) -> bool {
        matches!(self.backing, Backing::Pages(_))
    }

    /// Returns the number of bytes mapped.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Returns `true` if nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Returns the physical address of byte `offset`.
    pub fn phys_addr(&self, offset: usize) -> u64 {
        self.phys + offset as u64
    }

    /// Returns the page frame number of byte `offset`.
    pub fn pfn(&self, offset: usize) -> u64 {
        self.phys_addr(offset) >> bindings::PAGE_SHIFT
    }

    /// Returns the offset of kernel address `addr`, if it lies in the mapping.
    pub fn offset_of(&self, addr: *const c_void) -> Option<usize> {
        let off = (addr as usize).checked_sub(self.virt.as_ptr() as usize)?;
        (off <= self.len).then_some(off)
    }

    fn check(&self, offset: usize, len: usize) -> Result<*mut u8> {
        match offset.checked_add(len) {
            Some(end) if end <= self.len => {
                Ok(self.virt.as_ptr().cast::<u8>().wrapping_add(offset))
            }
            _ => Err(ERANGE),
        }
    }

    /// Copies `dst.len()` bytes from `offset` into `dst`, stopping at poison.
    ///
    /// Returns the number of bytes not copied: 0 on success, more if the copy met poison (the
    /// bytes before it are copied; the granularity is what the CPU reports, a cache line or
    /// less). Fails with `ERANGE` if the range is outside the mapping.
    pub fn read_mc(&self, offset: usize, dst: &mut [u8]) -> Result<usize> {
        let src = self.check(offset, dst.len())?;
        let len = u32::try_from(dst.len())?;
        // SAFETY: `src..src + len` is mapped memory by the type invariant and `check`; `dst` is a
        // valid, exclusive buffer of `len` bytes.
        let rem = unsafe { bindings::copy_mc_to_kernel(dst.as_mut_ptr().cast(), src.cast(), len) };
        Ok(rem as usize)
    }

    /// Writes `src` at `offset`, flushing it from the CPU caches.
    ///
    /// Fails with `ERANGE` if the range is outside the mapping.
    pub fn write(&self, offset: usize, src: &[u8]) -> Result {
        let dst = self.check(offset, src.len())?;
        // SAFETY: `dst..dst + len` is mapped memory by the type invariant and `check`; `src` is
        // valid for reads of its length.
        unsafe { bindings::memcpy_flushcache(dst.cast(), src.as_ptr().cast(), src.len()) };
        Ok(())
    }

    /// Writes the bytes of `seg`, the data of a write [`Bio`](crate::block::bio::Bio), at
    /// `offset`, flushing them from the CPU caches.
    ///
    /// The segment's bytes are copied with a raw copy and never borrowed: they may be user memory
    /// that another thread writes at the same time (direct I/O).
    ///
    /// Fails with `ERANGE` if the range is outside the mapping.
    ///
    /// # Examples
    ///
    /// The heart of a pmem driver's `submit_bio`:
    ///
    /// ```
    /// use kernel::block::bio::Bio;
    /// use kernel::mm::memremap::{PagemapOps, PmemMapping};
    /// use kernel::prelude::*;
    ///
    /// fn transfer<T: PagemapOps>(mem: &PmemMapping<T>, bio: Bio) {
    ///     let mut result = Ok(());
    ///     for mut seg in bio.segments() {
    ///         let Ok(offset) = usize::try_from(seg.sector() << 9) else {
    ///             result = Err(ERANGE);
    ///             break;
    ///         };
    ///         result = if bio.is_write() {
    ///             mem.write_segment(offset, &seg)
    ///         } else {
    ///             match mem.read_mc_segment(offset, &mut seg) {
    ///                 Ok(0) => Ok(()),
    ///                 Ok(_) => Err(EIO),
    ///                 Err(e) => Err(e),
    ///             }
    ///         };
    ///         if result.is_err() {
    ///             break;
    ///         }
    ///     }
    ///     bio.end(result);
    /// }
    /// ```
    pub fn write_segment(&self, offset: usize, seg: &Segment<'_>) -> Result {
        let len = seg.len();
        let dst = self.check(offset, len)?;
        seg.with_raw(|src| {
            // SAFETY: `dst..dst + len` is mapped memory by the type invariant and `check`; `src`
            // is the mapped address of the segment's `len` bytes. The copy is byte-wise and
            // forms no reference to either side.
            unsafe { bindings::memcpy_flushcache(dst.cast(), src.cast(), len) }
        });
        Ok(())
    }

    /// Reads `seg.len()` bytes at `offset` into `seg`, the data of a read
    /// [`Bio`](crate::block::bio::Bio), stopping at poison.
    ///
    /// Returns the number of bytes not copied, as [`PmemMapping::read_mc`] does. The segment's
    /// bytes are written with a raw copy and never borrowed.
    ///
    /// Fails with `ERANGE` if the range is outside the mapping.
    pub fn read_mc_segment(&self, offset: usize, seg: &mut Segment<'_>) -> Result<usize> {
        let len = u32::try_from(seg.len())?;
        let src = self.check(offset, seg.len())?;
        let rem = seg.with_raw(|dst| {
            // SAFETY: `src..src + len` is mapped memory by the type invariant and `check`; `dst`
            // is the mapped address of the segment's `len` bytes, which the driver owns while it
            // handles the bio. The copy is byte-wise and forms no reference to either side.
            unsafe { bindings::copy_mc_to_kernel(dst.cast(), src.cast(), len) }
        });
        Ok(rem)
    }

    /// Copies `len` bytes from `offset` to `iter`, machine-check safe.
    ///
    /// Returns the bytes copied: fewer than `len` if the copy met poison or `iter` faulted.
    pub fn copy_to_iter_mc(
        &self,
        offset: usize,
        len: usize,
        iter: &mut IovIterDest<'_>,
    ) -> Result<usize> {
        let src = self.check(offset, len)?;
        // SAFETY: `src..src + len` is mapped memory; `iter` is a valid destination iterator.
        Ok(unsafe { bindings::_copy_mc_to_iter(src.cast(), len, iter.as_raw()) })
    }

    /// Copies `len` bytes from `iter` to `offset`, flushing them from the CPU caches.
    ///
    /// Returns the bytes copied: fewer than `len` if `iter` faulted.
    pub fn copy_from_iter_flushcache(
        &self,
        offset: usize,
        len: usize,
        iter: &mut IovIterSource<'_>,
    ) -> Result<usize> {
        let dst = self.check(offset, len)?;
        // SAFETY: `dst..dst + len` is mapped memory; `iter` is a valid source iterator.
        Ok(unsafe { bindings::_copy_from_iter_flushcache(dst.cast(), len, iter.as_raw()) })
    }

    /// Writes the bytes `src` holds at `offset`, flushing them from the CPU caches, and advances
    /// their IO vector past them. The copy cannot fault.
    ///
    /// Fails with `ERANGE`, copying nothing, if the range is outside the mapping.
    ///
    /// # Examples
    ///
    /// The repair of a page whose old content is gone once its poison is cleared: the new bytes
    /// are held before, so that nothing can fault after.
    ///
    /// ```
    /// use kernel::iov::IovIterSource;
    /// use kernel::mm::memremap::{PagemapOps, PmemMapping};
    /// use kernel::page::PAGE_SIZE;
    /// use kernel::prelude::*;
    ///
    /// /// Returns `false`, with nothing done, if the page must be built in a bounce page instead.
    /// fn repair<T: PagemapOps>(
    ///     mem: &PmemMapping<T>,
    ///     offset: usize,
    ///     iter: &mut IovIterSource<'_>,
    ///     clear: impl FnOnce() -> Result,
    /// ) -> Result<bool> {
    ///     let Some(held) = iter.hold_user_bytes(PAGE_SIZE) else {
    ///         return Ok(false);
    ///     };
    ///     clear()?;
    ///     mem.write_held(offset, held)?;
    ///     Ok(true)
    /// }
    /// ```
    pub fn write_held(&self, offset: usize, src: HeldUserBytes<'_, '_>) -> Result {
        let dst = self.check(offset, src.len())?;
        src.copy_out(|done, from, n| {
            // SAFETY: `dst..dst + src.len()` is mapped memory by the type invariant and `check`,
            // and `done + n` is at most `src.len()`; `from` is valid for reads of `n` bytes during
            // the call. The copy is byte-wise and forms no reference to either side.
            unsafe { bindings::memcpy_flushcache(dst.wrapping_add(done).cast(), from.cast(), n) }
        });
        Ok(())
    }

    /// Drops the CPU's cached lines of `len` bytes at `offset` (after the medium under them was
    /// repaired, so that stale poisoned lines are not read back).
    pub fn invalidate(&self, offset: usize, len: usize) -> Result {
        let addr = self.check(offset, len)?;
        // SAFETY: `addr..addr + len` is mapped memory.
        unsafe { bindings::arch_invalidate_pmem(addr.cast(), len) };
        Ok(())
    }

    /// Makes the pages of `len` bytes at `offset` usable again after their poison was cleared:
    /// clears their `HWPoison` flag and restores their kernel mapping, as memory failure
    /// handling had taken it away.
    ///
    /// Only memory with `struct page`s in the linear map can carry the flag; for other memory
    /// this does nothing.
    pub fn mark_pages_present(&self, offset: usize, len: usize) -> Result {
        let addr = self.check(offset, len)?;
        // SAFETY: `is_vmalloc_addr()` only compares the address.
        if !self.has_pages() || unsafe { bindings::is_vmalloc_addr(addr.cast()) } {
            return Ok(());
        }
        let first = self.pfn(offset);
        let last = self.pfn(offset + len - len.min(1));
        for pfn in first..=last {
            // SAFETY: `pfn` is in the memory mapped by `memremap_pages()`, which has a memmap;
            // the mapping (and so the pages) lives as long as `self`.
            let page = unsafe { bindings::pfn_to_page(pfn as usize) };
            // SAFETY: `page` is a valid `struct page` of this mapping.
            if unsafe { bindings::test_and_clear_pmem_poison(page) } {
                // SAFETY: `pfn` belongs to this mapping; restoring its mapping is what the clear
                // of its `HWPoison` flag calls for.
                to_result(unsafe { bindings::clear_mce_nospec(pfn as usize) })?;
            }
        }
        Ok(())
    }
}

impl<T: PagemapOps> Drop for PmemMapping<T> {
    fn drop(&mut self) {
        if let Backing::Remap = self.backing {
            // SAFETY: By the type invariant `virt` came from `memremap()`; unmapped once.
            unsafe { bindings::memunmap(self.virt.as_ptr()) };
        }
        // A `Pagemap` unmaps itself when dropped.
    }
}
