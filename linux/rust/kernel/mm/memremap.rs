// SPDX-License-Identifier: GPL-2.0

//! Persistent memory mapped into the kernel.
//!
//! A pmem driver maps its namespace either with `struct page`s ([`Pagemap`], through
//! `memremap_pages()`, which DAX needs) or without them (`memremap()`). Either way the driver gets
//! a [`PmemMapping`]: a bounds-checked window on the medium with the copy primitives persistent
//! memory needs (machine-check-safe reads, cache-flushing writes), so that the driver itself needs
//! no `unsafe`.
//!
//! A page that memory failure took out of the kernel's direct map (`set_mce_nospec()`) is still
//! copied to and from, through a short-lived mapping of that page alone (`vmap()`), never through
//! the direct map: its good bytes stay readable, and nothing writes through a mapping that is
//! gone. `HWPoison` does not tell such a page (memory failure sets it only where it finds a mapping
//! of the page); the direct map itself does (`kernel_page_present()`), looked at only once memory
//! failure was reported for the mapping, so that the copies pay one test of a flag otherwise.
//!
//! C headers: [`include/linux/memremap.h`](srctree/include/linux/memremap.h),
//! [`include/linux/libnvdimm.h`](srctree/include/linux/libnvdimm.h)

use crate::ffi::c_ulong;
use crate::num::casts::{u32_as_usize, FromSafeCast};
use crate::{
    bindings,
    block::bio::{self, Segment},
    error::to_result,
    io::resource::Region,
    iov::{IovIterDest, IovIterSource},
    page::PAGE_SIZE,
    prelude::*,
    sync::atomic::{Atomic, Relaxed},
    types::Opaque,
};
use core::{
    ffi::c_void,
    marker::{PhantomData, PhantomPinned},
    ptr::NonNull,
};

/// The configuration of a device memory mapping with `struct page`s: the C `struct dev_pagemap`
/// before `memremap_pages()` takes it, and where the data starts in its range.
///
/// Set its range with [`PagemapConfig::set_range`], or let a subsystem fill it in (for instance
/// libnvdimm's pfn setup, which also reserves room for the memmap on the device and starts the
/// data after it, see [`PagemapConfig::set_data_offset`]).
///
/// The second field is the data offset: the bytes of the range before it are mapped, but a
/// [`PmemMapping`] of the configuration does not reach them.
pub struct PagemapConfig(bindings::dev_pagemap, u64);

impl PagemapConfig {
    /// Creates an empty configuration, whose data starts at the start of its range.
    pub fn new() -> Self {
        // SAFETY: All-zeroes is a valid `struct dev_pagemap` (integers, NULL pointers and an
        // empty range), and what the C code starts from. (Not `pin_init::zeroed()`: bindgen's
        // union fields are not `Zeroable`.)
        Self(unsafe { core::mem::zeroed() }, 0)
    }

    /// Starts the data `offset` bytes into the range: a [`PmemMapping`] of the configuration
    /// maps the whole range but reaches only the bytes from there, and its offsets count from
    /// them (as C's pmem driver adds its `data_offset`). What comes before, an info block or
    /// the memmap that `memremap_pages()` puts on the device, is out of reach of safe code.
    ///
    /// The data offset only moves forward: a subsystem that lays out metadata at the start of
    /// the range sets it (`nvdimm::Device::setup_pfn`), and nothing brings that back into reach.
    /// Fails with `EINVAL` if `offset` is below the data offset already set.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::mm::memremap::PagemapConfig;
    ///
    /// let mut cfg = PagemapConfig::new();
    /// cfg.set_range(0x1_0000_0000, 0x1_3fff_ffff);
    /// // An info block and a memmap in the first 2 MiB, as a pfn setup would say.
    /// cfg.set_data_offset(0x20_0000)?;
    /// // The metadata stays out of reach.
    /// assert_eq!(cfg.set_data_offset(0), Err(EINVAL));
    /// assert_eq!(cfg.data_offset(), 0x20_0000);
    /// # Ok::<(), Error>(())
    /// ```
    ///
    /// Nor can it be set back by other means: the data offset is the configuration's own.
    ///
    /// ```compile_fail
    /// use kernel::mm::memremap::PagemapConfig;
    ///
    /// fn expose_metadata(cfg: &mut PagemapConfig) {
    ///     // The memmap on the device would be in reach of a mapping's safe copies.
    ///     cfg.1 = 0;
    /// }
    /// ```
    pub fn set_data_offset(&mut self, offset: u64) -> Result {
        if offset < self.1 {
            return Err(EINVAL);
        }
        self.1 = offset;
        Ok(())
    }

    /// Returns the offset of the data in the range (see [`PagemapConfig::set_data_offset`]).
    pub fn data_offset(&self) -> u64 {
        self.1
    }

    /// Returns the pages the memmap of the range may take on the device itself, as its
    /// `vmem_altmap` says (`memremap_pages()` allocates the `struct page`s from them): `None` if
    /// the memmap is in RAM.
    fn memmap_on_device(&self) -> Option<AltmapPages> {
        if self.0.flags & bindings::PGMAP_ALTMAP_VALID == 0 {
            return None;
        }
        let altmap = &self.0.altmap;
        Some(AltmapPages {
            base_pfn: u64::from_safe_cast(altmap.base_pfn),
            reserve: u64::from_safe_cast(altmap.reserve),
            free: u64::from_safe_cast(altmap.free),
        })
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
    /// Memory failure was reported for the pages (or may have been, see
    /// [`PmemMapping::note_memory_failure`]): some may be out of the kernel's direct map.
    mf_seen: Atomic<bool>,
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
    /// failures to `handler`. Private: [`PmemMapping::with_pages`] checks first that the range
    /// is memory the caller owns.
    fn new(config: PagemapConfig, nid: i32, handler: T) -> impl PinInit<Self, Error> {
        let init = move |slot: *mut Self| {
            // SAFETY: `slot` is valid for writes. The handler and the flag come first:
            // `memremap_pages()` publishes the pgmap, and with it `memory_failure_callback()`,
            // which reads them, before it returns.
            unsafe {
                (&raw mut (*slot).handler).write(handler);
                (&raw mut (*slot).mf_seen).write(Atomic::new(false));
            }
            // SAFETY: `slot` is valid for writes; `pgmap` is written before use.
            let pgmap = unsafe { Opaque::cast_into(&raw const (*slot).pgmap) };
            let mut cfg = config.0;
            cfg.type_ = bindings::memory_type_MEMORY_DEVICE_FS_DAX;
            cfg.ops = &Self::OPS;
            // SAFETY: `pgmap` is valid for writes of a `struct dev_pagemap`.
            unsafe { pgmap.write(cfg) };
            // SAFETY: `pgmap` is initialized and pinned (it lives in `*slot`, which is pinned);
            // `memremap_pages()` keeps it until `memunmap_pages()` in `drop` (or below).
            let virt = unsafe { bindings::memremap_pages(pgmap, nid) };
            // `memremap_pages()` returns a pointer or an `ERR_PTR`; never NULL for a mapped
            // range, but a NULL one is unmapped again rather than kept.
            let virt = crate::error::from_err_ptr(virt).and_then(|virt| {
                NonNull::new(virt).ok_or_else(|| {
                    // SAFETY: `memremap_pages()` mapped `pgmap`, and nothing else has it yet.
                    unsafe { bindings::memunmap_pages(pgmap) };
                    ENOMEM
                })
            });
            match virt {
                Ok(virt) => {
                    // SAFETY: `slot` is valid for writes.
                    unsafe { (&raw mut (*slot).virt).write(virt) };
                    Ok(())
                }
                Err(e) => {
                    // SAFETY: The handler was written above, the pgmap is not mapped (any more),
                    // so no callback can read it: it is dropped here, as the slot will not be.
                    unsafe { core::ptr::drop_in_place(&raw mut (*slot).handler) };
                    Err(e)
                }
            }
        };
        // SAFETY: On success every field of `*slot` is initialized; on failure the closure has
        // dropped the handler and unmapped the pgmap, so nothing in `*slot` needs dropping.
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
        // If memory failure succeeds, the machine check handler takes the pages out of the direct
        // map (`set_mce_nospec()`): from now on, the copies look before they use it.
        this.mf_seen.store(true, Relaxed);
        match this.handler.memory_failure(
            u64::from_safe_cast(pfn),
            u64::from_safe_cast(nr_pages),
            mf_flags,
        ) {
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

/// The `memremap()` flags of persistent memory on this platform.
const MEMREMAP_PMEM: c_ulong = bindings::ARCH_MEMREMAP_PMEM;

/// The size of a page, as physical addresses count.
const PAGE_BYTES: u64 = crate::num::casts::usize_as_u64(PAGE_SIZE);

/// A physical range of persistent memory that belongs to its holder: what a [`PmemMapping`] maps.
///
/// A bus abstraction hands one out for the memory it gives a driver, once reserved for it (for
/// instance `nvdimm::Device::request_mem_region`); a driver cannot name any other physical
/// address, such as the kernel's own memory.
///
/// The range also carries its lower bound, the bytes at its start that hold the bus's metadata
/// (an fsdax namespace's info block and the memmap on the device, see
/// [`PmemRange::keep_out`]): no mapping of the range reaches below it, with `struct page`s or
/// without. The bus abstraction that knows the layout sets it before it hands the range out
/// (`nvdimm::Device::setup_pfn`), so that a driver cannot map a whole fsdax namespace, metadata
/// included, by asking for a mapping without pages.
///
/// The value owns the reservation and releases it when it is dropped, and a [`PmemMapping`]
/// made from it owns the value and drops it only after it is unmapped: the memory stays reserved
/// for as long as anything maps it, whether or not the device that was handed it is still bound.
/// So no other holder (another driver, raw access to a namespace that writes an info block, see
/// `nvdimm::Device::namespace_enable`) can reserve the memory while a mapping of it lives, however
/// long the mapping is kept.
///
/// # Invariants
///
/// The `len` bytes at physical address `start` are persistent memory (not memory the kernel
/// allocates from) that `_region` reserves for the holder, and which nothing else maps for its
/// own use while they are reserved. `start + len` does not overflow, and `min_offset` is a
/// multiple of the page size, at most `len`. `nid` is `NUMA_NO_NODE` or the NUMA node of the
/// device the memory belongs to, as `dev_to_node()` tells it.
pub struct PmemRange {
    start: u64,
    len: usize,
    min_offset: u64,
    nid: i32,
    _region: Region,
}

impl PmemRange {
    /// Takes the memory that `region` reserves, and the reservation with it. All of it may be
    /// mapped until [`PmemRange::keep_out`] says otherwise.
    ///
    /// Fails with `EINVAL` if the range has more bytes than a `usize` counts, or ends beyond the
    /// last physical address.
    ///
    /// # Safety
    ///
    /// The memory of `region` is persistent memory that was handed to the caller for its use,
    /// not memory the kernel allocates from, and nothing maps it for its own use without
    /// reserving it first (as libnvdimm's raw namespace access and the pmem drivers do). `nid`
    /// is `NUMA_NO_NODE` or the node of the device the memory was handed to (`dev_to_node()`):
    /// [`PmemMapping::with_pages`] initialises the memory's pages on that node.
    pub unsafe fn new(region: Region, nid: i32) -> Result<Self> {
        let start = region.start();
        let len = usize::try_from(region.size())?;
        start.checked_add(u64::from_safe_cast(len)).ok_or(EINVAL)?;
        // INVARIANT: By the safety requirements; `region` reserves the memory and is kept. The
        // end was checked above; no lower bound yet.
        Ok(Self {
            start,
            len,
            min_offset: 0,
            nid,
            _region: region,
        })
    }

    /// Keeps the first `offset` bytes of the range out of reach of every mapping of it: they
    /// hold metadata that the bus lays out (an info block, the memmap on the device). The bound
    /// only moves up: nothing brings what it keeps out back into reach.
    ///
    /// Fails with `EINVAL` if `offset` is not a multiple of the page size, or beyond the range,
    /// and leaves the bound as it was.
    ///
    /// ```compile_fail
    /// use kernel::mm::memremap::PmemRange;
    ///
    /// fn expose_metadata(range: &mut PmemRange) {
    ///     // A mapping without pages would reach the info block and the memmap.
    ///     range.min_offset = 0;
    /// }
    /// ```
    pub fn keep_out(&mut self, offset: u64) -> Result {
        if offset % PAGE_BYTES != 0 || offset > u64::from_safe_cast(self.len) {
            return Err(EINVAL);
        }
        // INVARIANT: A page multiple, at most `len`, checked above.
        self.min_offset = self.min_offset.max(offset);
        Ok(())
    }

    /// Returns the physical address of the range's first byte.
    pub fn start(&self) -> u64 {
        self.start
    }

    /// Returns the number of bytes of the range.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Returns `true` if the range is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Returns the bytes at the start of the range that no mapping of it reaches (see
    /// [`PmemRange::keep_out`]).
    pub fn min_offset(&self) -> u64 {
        self.min_offset
    }
}

/// The frames a memmap takes on the device (the C `struct vmem_altmap`): `memremap_pages()`
/// allocates the `struct page`s from the `free` frames after the `reserve` frames from
/// `base_pfn` (an info block, and the pages before the range in its subsection).
#[derive(Clone, Copy)]
struct AltmapPages {
    base_pfn: u64,
    reserve: u64,
    free: u64,
}

/// Checks the data of a page map of the `len` bytes at physical address `start` (a page): it
/// starts `data_offset` bytes in, at a page, within the range, and after every frame the
/// memmap may take on the device (`memmap`, if the memmap is there), all of which lie in the
/// range before the data. Then the data holds no `struct page` and nothing of the range before
/// it. Fails with `EINVAL` otherwise.
fn check_data_start(start: u64, len: u64, data_offset: u64, memmap: Option<AltmapPages>) -> Result {
    if data_offset % PAGE_BYTES != 0 || data_offset > len {
        return Err(EINVAL);
    }
    let Some(m) = memmap else {
        return Ok(());
    };
    let first = m.base_pfn.checked_add(m.reserve).ok_or(EINVAL)?;
    let end = first.checked_add(m.free).ok_or(EINVAL)?;
    let data = start.checked_add(data_offset).ok_or(EINVAL)? / PAGE_BYTES;
    if first < start / PAGE_BYTES || end > data {
        return Err(EINVAL);
    }
    Ok(())
}

/// Copies `n` bytes from `src` to `dst` with `copy_mc_to_kernel()`, stopping at poison. Returns
/// the bytes copied; none if `n` does not fit the C function's `unsigned int`.
///
/// # Safety
///
/// `src` is valid for reads and `dst` for writes of `n` bytes.
#[inline]
unsafe fn copy_mc(dst: *mut u8, src: *const u8, n: usize) -> usize {
    let Ok(len) = u32::try_from(n) else {
        return 0;
    };
    // SAFETY: By the safety requirements.
    let rem = unsafe { bindings::copy_mc_to_kernel(dst.cast(), src.cast(), len) };
    n.saturating_sub(rem)
}

/// How a [`PmemMapping`] holds its memory.
enum Backing<T: PagemapOps> {
    Pages(Pin<KBox<Pagemap<T>>>),
    /// The address `memremap()` returned.
    Remap(NonNull<c_void>),
}

/// The data of persistent memory mapped into the kernel, `len` bytes from physical address
/// `phys`, with bounds-checked copies.
///
/// Offsets are relative to `phys`, the first byte of the data: a mapping with `struct page`s
/// may map more (an fsdax namespace's info block and the memmap on the device come first, see
/// [`PagemapConfig::set_data_offset`]), but no method reaches before the data, as C's pmem
/// driver adds its `data_offset` to every offset. Reads are machine-check safe
/// (`copy_mc_to_kernel()`): a read that meets poison stops short instead of crashing the kernel.
/// Writes bypass or flush the CPU caches (`memcpy_flushcache()`) so that they are durable once
/// the platform's write queues are flushed.
///
/// The mapping owns its [`PmemRange`], the reservation of the memory, and releases it only
/// after it is unmapped.
///
/// # Module lifetime
///
/// A mapping with `struct page`s installs a pagemap whose operations (the memory-failure
/// callback of `T`, and the table that names it) are code and data of the module that
/// instantiates the mapping. Dropping the mapping removes them (`memunmap_pages()`, which waits
/// for running callbacks), so a driver must drop its mappings with its binding, as it drops
/// everything else it registered: a mapping that is leaked (`core::mem::forget`, a reference
/// cycle) stays installed after the module is unloaded, and a later memory failure in it would
/// call into freed code. The same holds for every registration whose callbacks are a module's
/// (a disk, a DAX device, a driver); nothing in the crate can tell a leak from a mapping that is
/// still used.
///
/// The mapping does not pin its module (`try_module_get()`) to close the gap: a module
/// reference per bound device would make `modprobe -r` of a bound driver fail with `EBUSY`,
/// where C's `nd_pmem` unbinds its devices and unloads (`delete_module()` checks the count before
/// it runs the exit handler, which unbinds). Taking the reference only once a mapping outlives
/// its binding would not help on that path either: module exit unbinds after the count was
/// checked, and the module is freed whatever the count is then. Nor can safe Rust be kept from
/// leaking; tearing the pagemap down at unbind whatever holds the mapping (`Devres`) would make
/// every copy revocable, a lock on the I/O path around copies that may fault and sleep.
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
/// `virt` is the kernel address of `len` bytes of memory at physical address `phys`, valid until
/// the [`PmemMapping`] is dropped: it owns the mapping (`backing`) and the reservation of the
/// memory (`_range`), which is released after the mapping is undone. The bytes are those of
/// `_range` from the data offset up to the end of the mapping, and none of them is a byte of a
/// `struct page` or of what the mapping's configuration put before the data. If the memory has
/// `struct page`s (`backing` holds a [`Pagemap`]), they cover the `len` bytes and `phys` is the
/// start of a page.
pub struct PmemMapping<T: PagemapOps> {
    virt: NonNull<c_void>,
    phys: u64,
    len: usize,
    backing: Backing<T>,
    // Dropped after `backing`, which unmaps a `Pagemap`, and after `Drop::drop`, which unmaps
    // the rest.
    _range: PmemRange,
}

// SAFETY: The mapping is plain memory, usable from any thread.
unsafe impl<T: PagemapOps> Send for PmemMapping<T> {}
// SAFETY: Methods taking `&self` copy to or from the memory as the C pmem driver does: concurrent
// copies to the same bytes are the callers' to serialise, as for any storage medium.
unsafe impl<T: PagemapOps> Sync for PmemMapping<T> {}

impl<T: PagemapOps> PmemMapping<T> {
    /// Maps the memory of `range` with `struct page`s, for DAX, as `config` says: from the start
    /// of `range`, a page, up to the end of `config`'s range, which must lie in `range`.
    /// Offsets are relative to the start of the data, `config`'s data offset into `range`
    /// ([`PagemapConfig::set_data_offset`]): what the range holds before it is mapped, but out
    /// of reach.
    ///
    /// Fails with `EINVAL` if `config` does not map from the start of `range` or goes beyond it,
    /// if its data does not start at a page within its range, after every page its memmap may
    /// take on the device and no lower than the bytes `range` keeps out
    /// ([`PmemRange::keep_out`]), and with the error of `memremap_pages()` (for instance
    /// `ENOMEM`, or `ENXIO` over RAM).
    ///
    /// The pages are initialised on the NUMA node of the device the memory belongs to, which
    /// `range` carries.
    pub fn with_pages(config: PagemapConfig, handler: T, range: PmemRange) -> Result<Self> {
        let (start, _) = config.range();
        let map_len = config.range_len();
        let len = usize::try_from(map_len)?;
        // The page map must start at the range, a page, and end within it.
        if start != range.start || range.start % PAGE_BYTES != 0 || len > range.len || len == 0 {
            return Err(EINVAL);
        }
        let data_offset = config.data_offset();
        if data_offset < range.min_offset {
            return Err(EINVAL);
        }
        check_data_start(start, map_len, data_offset, config.memmap_on_device())?;
        let skip = usize::try_from(data_offset)?;
        let pages = KBox::pin_init(Pagemap::new(config, range.nid, handler), GFP_KERNEL)?;
        // `skip` is at most `len`, so this stays in the mapping (or one past its end).
        let virt = NonNull::new(pages.virt.as_ptr().wrapping_byte_add(skip)).ok_or(EINVAL)?;
        // INVARIANT: `memremap_pages()` mapped `len` bytes from `range.start`, a page, with pages;
        // the data is the `len - skip` bytes from `skip`, a page, which `check_data_start()` found
        // after the memmap on the device, and which is not below the range's lower bound. `start
        // + data_offset` is in the range, whose end does not overflow.
        Ok(Self {
            virt,
            phys: start + data_offset,
            len: len - skip,
            backing: Backing::Pages(pages),
            _range: range,
        })
    }

    /// Maps the memory of `range` without `struct page`s (`memremap()` with the platform's
    /// persistent memory type), from its lower bound ([`PmemRange::keep_out`]) to its end: the
    /// data. Offsets are relative to the start of the data; the bytes the range keeps out are
    /// not mapped. Fails with `ENOMEM` if it cannot be mapped.
    ///
    /// Only memory the caller owns can be mapped, as a [`PmemRange`] proves: not the kernel's.
    ///
    /// ```compile_fail
    /// use kernel::io::resource::Region;
    /// use kernel::mm::memremap::{PmemMapping, PmemRange};
    ///
    /// struct NoFailures;
    /// impl kernel::mm::memremap::PagemapOps for NoFailures {
    ///     fn memory_failure(&self, _: u64, _: u64, _: i32) -> Result {
    ///         Ok(())
    ///     }
    /// }
    ///
    /// // Any region, of RAM for one: only `unsafe` code can claim it is memory it was handed.
    /// fn map_any(region: Region) -> Result {
    ///     let range = PmemRange::new(region, -1)?;
    ///     let mem = PmemMapping::<NoFailures>::without_pages(range)?;
    ///     mem.write(0, &[0; 4096])
    /// }
    /// ```
    pub fn without_pages(range: PmemRange) -> Result<Self> {
        // By the type invariant of `PmemRange`, `min_offset` is at most `len`, so neither
        // overflows.
        let skip = usize::try_from(range.min_offset)?;
        let phys = range.start + range.min_offset;
        let len = range.len - skip;
        // SAFETY: `memremap()` has no preconditions; failure is a NULL return. The range is
        // persistent memory the caller owns (type invariant of `PmemRange`).
        let virt = unsafe { bindings::memremap(phys, len, MEMREMAP_PMEM) };
        let virt = NonNull::new(virt).ok_or(ENOMEM)?;
        // INVARIANT: `memremap()` mapped the `len` bytes at `phys`, the range from its lower
        // bound: all of it data.
        Ok(Self {
            virt,
            phys,
            len,
            backing: Backing::Remap(virt),
            _range: range,
        })
    }

    /// Returns the [`Pagemap`] handler, if the memory has `struct page`s.
    pub fn pagemap_handler(&self) -> Option<&T> {
        match &self.backing {
            Backing::Pages(p) => Some(p.handler()),
            Backing::Remap(_) => None,
        }
    }

    /// Returns `true` if the memory has `struct page`s.
    pub fn has_pages(&self) -> bool {
        matches!(self.backing, Backing::Pages(_))
    }

    /// Returns the number of bytes of the data, the bytes the mapping reaches.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Returns `true` if the mapping reaches no byte.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Returns the physical address of byte `offset` of the data (as the DAX core and the bus's
    /// lists of bad ranges name it), for an `offset` at most [`PmemMapping::len`].
    ///
    /// Crate-private: its callers (the DAX device, the bus handle, the page walks here) check the
    /// offset against the mapping first. A larger one names no byte of the mapping; the sum then
    /// wraps instead of panicking, and the result is only a number (nothing is reached through
    /// it without `unsafe`).
    pub(crate) fn phys_addr(&self, offset: usize) -> u64 {
        // No wrap for `offset <= len`: `phys + len` is within the reserved range, whose end does
        // not overflow (type invariants of `Self` and `PmemRange`).
        self.phys.wrapping_add(u64::from_safe_cast(offset))
    }

    /// Returns the page frame number of byte `offset` of the data, for an `offset` at most
    /// [`PmemMapping::len`] (see [`PmemMapping::phys_addr`]).
    pub(crate) fn pfn(&self, offset: usize) -> u64 {
        self.phys_addr(offset) >> bindings::PAGE_SHIFT
    }

    /// Returns the offset of kernel address `addr`, if it lies in the mapping.
    pub fn offset_of(&self, addr: *const c_void) -> Option<usize> {
        let off = addr.addr().checked_sub(self.virt.as_ptr().addr())?;
        // In the mapping: an address one past its last byte is not.
        (off < self.len).then_some(off)
    }

    fn check(&self, offset: usize, len: usize) -> Result<*mut u8> {
        match offset.checked_add(len) {
            Some(end) if end <= self.len => {
                Ok(self.virt.as_ptr().cast::<u8>().wrapping_add(offset))
            }
            _ => Err(ERANGE),
        }
    }

    /// Returns the `struct page` of byte `offset`, if the memory has `struct page`s and the byte
    /// is in the mapping.
    fn page(&self, offset: usize) -> Option<*mut bindings::page> {
        if !self.has_pages() || offset >= self.len {
            return None;
        }
        // SAFETY: The frame of `offset` is in the memory that `memremap_pages()` mapped with a
        // memmap, which lives as long as `self`; the call only computes the page's address.
        Some(unsafe { bindings::pfn_to_page(usize::try_from(self.pfn(offset)).ok()?) })
    }

    /// Returns `true` if memory failure was reported for the memory (or may have been, see
    /// [`PmemMapping::note_memory_failure`]), so that pages may be out of the direct map.
    #[inline]
    fn mf_seen(&self) -> bool {
        match &self.backing {
            Backing::Pages(p) => p.mf_seen.load(Relaxed),
            Backing::Remap(_) => false,
        }
    }

    /// Tells the mapping that memory failure may have been reported for its memory before it
    /// existed (the device had known poison when it was set up, as after a rebind that follows a
    /// machine check): its copies then look before they use the direct map, as they do once a
    /// memory failure is reported to it.
    pub fn note_memory_failure(&self) {
        if let Backing::Pages(p) = &self.backing {
            p.mf_seen.store(true, Relaxed);
        }
    }

    /// Returns `true` if the page that holds byte `offset` is out of the kernel's direct map,
    /// where memory failure may have taken it (`set_mce_nospec()`).
    fn is_unmapped(&self, offset: usize) -> bool {
        // SAFETY: `is_vmalloc_addr()` only compares the address.
        if unsafe { bindings::is_vmalloc_addr(self.virt.as_ptr()) } {
            // Only memory in the linear map is in the direct map.
            return false;
        }
        match self.page(offset) {
            // SAFETY: `page` is a valid `struct page` of this mapping; the call looks up its
            // address in the direct map.
            Some(page) => !unsafe { bindings::kernel_page_present(page) },
            None => false,
        }
    }

    /// Calls `f` on the `len` bytes at `offset`, a run at a time, with the offset of the run among
    /// the bytes, a kernel address of the run and its length. The address is valid for reads and
    /// writes of the run's length during the call, of memory that the device and other threads
    /// may change: `f` may only copy to or from it with raw copies. `f` returns the bytes it did;
    /// a run it did not finish ends the walk.
    ///
    /// Runs of pages in the direct map are reached through the mapping, each page out of it (see
    /// [`PmemMapping::note_memory_failure`]) through a mapping of that page alone
    /// ([`PageAlias`]), made for the call and undone after it.
    ///
    /// Returns the bytes done. Fails with `ERANGE` if the range is outside the mapping, and with
    /// `ENOMEM` if a page out of the direct map could not be mapped (then `f` may have done the
    /// runs before that page).
    #[inline]
    fn for_each_run(
        &self,
        offset: usize,
        len: usize,
        mut f: impl FnMut(usize, *mut u8, usize) -> usize,
    ) -> Result<usize> {
        let base = self.check(offset, len)?;
        if !self.mf_seen() {
            // No memory failure, so every page is in the direct map.
            return Ok(f(0, base, len));
        }
        // The bytes from `done` to the end of their page or of the range. The data starts at a
        // page (type invariant), so its pages are the memory's.
        let in_page = |done: usize| (PAGE_SIZE - (offset + done) % PAGE_SIZE).min(len - done);
        let mut done = 0;
        while done < len {
            let at = offset + done;
            let (n, r) = if self.is_unmapped(at) {
                let n = in_page(done);
                let alias = PageAlias::new(self, at)?;
                (n, f(done, alias.addr(at % PAGE_SIZE), n))
            } else {
                let mut n = in_page(done);
                while done + n < len && !self.is_unmapped(at + n) {
                    n += in_page(done + n);
                }
                (n, f(done, base.wrapping_add(done), n))
            };
            done += r;
            if r < n {
                break;
            }
        }
        Ok(done)
    }

    /// Copies `dst.len()` bytes from `offset` into `dst`, stopping at poison.
    ///
    /// Returns the number of bytes not copied: 0 on success, more if the copy met poison (the
    /// bytes before it are copied; the granularity is what the CPU reports, a cache line or
    /// less). Fails with `ERANGE` if the range is outside the mapping, with `EINVAL` if `dst` has
    /// 4 GiB or more (the most one copy takes), and with `ENOMEM` if a page that memory failure
    /// took out of the direct map could not be mapped.
    pub fn read_mc(&self, offset: usize, dst: &mut [u8]) -> Result<usize> {
        let len = dst.len();
        u32::try_from(len)?;
        let to = dst.as_mut_ptr();
        let done = self.for_each_run(offset, len, |done, src, n| {
            // SAFETY: `src` is valid for reads of `n` bytes during the call; `to + done` is in
            // `dst`, an exclusive buffer, with `n` bytes from there (`done + n <= len`).
            unsafe { copy_mc(to.wrapping_add(done), src, n) }
        })?;
        Ok(len - done)
    }

    /// Writes `src` at `offset`, flushing it from the CPU caches.
    ///
    /// Fails with `ERANGE` if the range is outside the mapping, and with `ENOMEM` if a page that
    /// memory failure took out of the direct map could not be mapped (then the bytes before that
    /// page may be written).
    pub fn write(&self, offset: usize, src: &[u8]) -> Result {
        let from = src.as_ptr();
        self.for_each_run(offset, src.len(), |done, dst, n| {
            // SAFETY: `dst` is valid for writes of `n` bytes during the call; `from + done` is in
            // `src`, with `n` bytes from there.
            unsafe { bindings::memcpy_flushcache(dst.cast(), from.wrapping_add(done).cast(), n) };
            n
        })?;
        Ok(())
    }

    /// Writes the bytes of `seg`, the data of a write [`Bio`](crate::block::bio::Bio), at
    /// `offset`, flushing them from the CPU caches.
    ///
    /// The segment's bytes are copied with a raw copy and never borrowed: they may be user memory
    /// that another thread writes at the same time (direct I/O).
    ///
    /// Fails with `ERANGE` if the range is outside the mapping, and with `ENOMEM` as
    /// [`PmemMapping::write`] does.
    ///
    /// # Examples
    ///
    /// The heart of a pmem driver's `submit_bio`:
    ///
    /// ```
    /// use kernel::block::bio::{Bio, Data};
    /// use kernel::mm::memremap::{PagemapOps, PmemMapping};
    /// use kernel::prelude::*;
    ///
    /// fn offset(sector: u64) -> Result<usize> {
    ///     usize::try_from(sector << 9).map_err(|_| ERANGE)
    /// }
    ///
    /// fn transfer<T: PagemapOps>(mem: &PmemMapping<T>, bio: &Bio) -> Result {
    ///     match bio.data() {
    ///         Some(Data::Write(segs)) => {
    ///             for seg in segs {
    ///                 mem.write_segment(offset(seg.sector())?, &seg)?;
    ///             }
    ///         }
    ///         Some(Data::Read(segs)) => {
    ///             for mut seg in segs {
    ///                 if mem.read_mc_segment(offset(seg.sector())?, &mut seg)? != 0 {
    ///                     return Err(EIO);
    ///                 }
    ///             }
    ///         }
    ///         None => {}
    ///     }
    ///     Ok(())
    /// }
    /// ```
    ///
    /// The segments of a write bio are its source, never written: a read into them does not
    /// compile.
    ///
    /// ```compile_fail
    /// use kernel::block::bio::{Bio, Data};
    /// use kernel::mm::memremap::{PagemapOps, PmemMapping};
    ///
    /// fn wrong_way<T: PagemapOps>(mem: &PmemMapping<T>, bio: &Bio) -> Result {
    ///     if let Some(Data::Write(segs)) = bio.data() {
    ///         for mut seg in segs {
    ///             // Would write into the pages the bio writes from (perhaps the zero page).
    ///             mem.read_mc_segment(0, &mut seg)?;
    ///         }
    ///     }
    ///     Ok(())
    /// }
    /// ```
    pub fn write_segment(&self, offset: usize, seg: &Segment<'_, bio::Write>) -> Result {
        let len = seg.len();
        self.check(offset, len)?;
        // As C's pmem driver: the page may be mapped elsewhere, with its lines in a virtually
        // indexed cache.
        seg.flush_dcache();
        seg.with_raw(|src| {
            self.for_each_run(offset, len, |done, dst, n| {
                // SAFETY: `dst` is valid for writes of `n` bytes during the call; `src` is the
                // mapped address of the segment's `len` bytes, and `done + n <= len`. The copy
                // is byte-wise and forms no reference to either side.
                unsafe {
                    bindings::memcpy_flushcache(dst.cast(), src.wrapping_add(done).cast(), n)
                };
                n
            })
        })?;
        Ok(())
    }

    /// Reads `seg.len()` bytes at `offset` into `seg`, the data of a read
    /// [`Bio`](crate::block::bio::Bio), stopping at poison.
    ///
    /// Returns the number of bytes not copied, as [`PmemMapping::read_mc`] does. The segment's
    /// bytes are written with a raw copy and never borrowed.
    ///
    /// Fails with `ERANGE` if the range is outside the mapping, and with `ENOMEM` as
    /// [`PmemMapping::read_mc`] does.
    pub fn read_mc_segment(
        &self,
        offset: usize,
        seg: &mut Segment<'_, bio::Read>,
    ) -> Result<usize> {
        let len = seg.len();
        u32::try_from(len)?;
        self.check(offset, len)?;
        let done = seg.with_raw(|dst| {
            self.for_each_run(offset, len, |done, src, n| {
                // SAFETY: `src` is valid for reads of `n` bytes during the call; `dst` is the
                // mapped address of the segment's `len` bytes, which the driver owns while it
                // handles the bio, and `done + n <= len`. The copy is byte-wise and forms no
                // reference to either side.
                unsafe { copy_mc(dst.wrapping_add(done), src, n) }
            })
        });
        // As C's pmem driver, once the page is written.
        seg.flush_dcache();
        Ok(len - done?)
    }

    /// Copies `len` bytes from `offset` to `iter`, machine-check safe.
    ///
    /// Returns the bytes copied: fewer than `len` if the copy met poison or `iter` faulted. Fails
    /// with `ERANGE` if the range is outside the mapping, and with `ENOMEM` if a page that memory
    /// failure took out of the direct map could not be mapped (then `iter` may have advanced over
    /// the bytes before that page).
    pub fn copy_to_iter_mc(
        &self,
        offset: usize,
        len: usize,
        iter: &mut IovIterDest<'_>,
    ) -> Result<usize> {
        self.for_each_run(offset, len, |_, src, n| {
            // SAFETY: `src` is valid for reads of `n` bytes during the call; `iter` is a valid
            // destination iterator.
            unsafe { bindings::_copy_mc_to_iter(src.cast(), n, iter.as_raw()) }
        })
    }

    /// Copies `len` bytes from `iter` to `offset`, flushing them from the CPU caches.
    ///
    /// Returns the bytes copied: fewer than `len` if `iter` faulted. Fails with `ERANGE` if the
    /// range is outside the mapping, and with `ENOMEM` if a page that memory failure took out of
    /// the direct map could not be mapped (then the bytes before that page may be copied; a
    /// range within one page copies nothing then).
    pub fn copy_from_iter_flushcache(
        &self,
        offset: usize,
        len: usize,
        iter: &mut IovIterSource<'_>,
    ) -> Result<usize> {
        self.for_each_run(offset, len, |_, dst, n| {
            // SAFETY: `dst` is valid for writes of `n` bytes during the call; `iter` is a valid
            // source iterator.
            unsafe { bindings::_copy_from_iter_flushcache(dst.cast(), n, iter.as_raw()) }
        })
    }

    /// Drops the CPU's cached lines of `len` bytes at `offset` (after the medium under them was
    /// repaired, so that stale poisoned lines are not read back).
    pub fn invalidate(&self, offset: usize, len: usize) -> Result {
        self.for_each_run(offset, len, |_, addr, n| {
            // SAFETY: `addr` is valid for `n` bytes during the call.
            unsafe { bindings::arch_invalidate_pmem(addr.cast(), n) };
            n
        })?;
        Ok(())
    }

    /// Makes the pages that lie wholly in the `len` bytes at `offset` usable again once the poison
    /// in them is gone from the medium: clears their `HWPoison` flag and restores their kernel
    /// mapping, as memory failure handling had taken it away. A page only partly in the range is
    /// left as it is: it may hold poison outside the range.
    ///
    /// Only memory with `struct page`s in the linear map can carry the flag or leave the direct
    /// map; for other memory this does nothing.
    ///
    /// Fails with `ERANGE` if the range is outside the mapping, and with the error of
    /// `clear_mce_nospec()` if a page's kernel mapping could not be restored (the pages before
    /// it are restored).
    pub fn mark_pages_present(&self, offset: usize, len: usize) -> Result {
        let addr = self.check(offset, len)?;
        // SAFETY: `is_vmalloc_addr()` only compares the address.
        if !self.has_pages() || unsafe { bindings::is_vmalloc_addr(addr.cast()) } {
            return Ok(());
        }
        // The data starts at a page (type invariant): its pages are the memory's.
        for first in (offset.div_ceil(PAGE_SIZE)..(offset + len) / PAGE_SIZE).map(|p| p * PAGE_SIZE)
        {
            let Some(page) = self.page(first) else {
                break;
            };
            // SAFETY: `page` is a valid `struct page` of this mapping. A page out of the direct map
            // without `HWPoison` (memory failure sets it only where it finds a mapping of the
            // page) is restored too.
            if unsafe {
                bindings::test_and_clear_pmem_poison(page) || !bindings::kernel_page_present(page)
            } {
                // SAFETY: The page belongs to this mapping; restoring its mapping is what the
                // clear of its `HWPoison` flag calls for.
                to_result(unsafe {
                    bindings::clear_mce_nospec(usize::try_from(self.pfn(first))?)
                })?;
            }
        }
        Ok(())
    }
}

/// A page of a [`PmemMapping`] mapped on its own (`vmap()`), for a copy while memory failure
/// keeps the page out of the kernel's direct map. Uncached, as the direct map was taken away to
/// keep speculative accesses off the poison. Unmapped when dropped.
///
/// # Invariants
///
/// `addr` is the start of a `vmap()` of one page of memory that lives for `'a`, mapped until the
/// value is dropped.
struct PageAlias<'a> {
    addr: NonNull<c_void>,
    _mem: PhantomData<&'a ()>,
}

impl<'a> PageAlias<'a> {
    /// Maps the page of `mem` that holds byte `offset`. Fails with `ERANGE` if `mem` has no
    /// `struct page` there, and with `ENOMEM` if the page cannot be mapped.
    fn new<T: PagemapOps>(mem: &'a PmemMapping<T>, offset: usize) -> Result<Self> {
        let mut page = mem.page(offset).ok_or(ERANGE)?;
        // The allocation does no I/O: this may be the I/O path of a block device.
        // SAFETY: Undone below, in the same context.
        let noio = unsafe { bindings::memalloc_noio_save() };
        // SAFETY: `page` is a `struct page` of `mem`'s memory, which lives for `'a`; `vmap()`
        // maps the one page at a new kernel address, or returns NULL.
        let addr = unsafe {
            bindings::vmap(
                &mut page,
                1,
                u32_as_usize(bindings::VM_MAP),
                bindings::pgprot_noncached(bindings::PAGE_KERNEL()),
            )
        };
        // SAFETY: `noio` is what `memalloc_noio_save()` returned above.
        unsafe { bindings::memalloc_noio_restore(noio) };
        // INVARIANT: `addr` is a `vmap()` of one page of `mem`.
        Ok(Self {
            addr: NonNull::new(addr).ok_or(ENOMEM)?,
            _mem: PhantomData,
        })
    }

    /// Returns the kernel address of byte `offset` (below [`PAGE_SIZE`]) of the page.
    fn addr(&self, offset: usize) -> *mut u8 {
        self.addr.as_ptr().cast::<u8>().wrapping_add(offset)
    }
}

impl Drop for PageAlias<'_> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `addr` is a `vmap()` mapping, unmapped once, here.
        unsafe { bindings::vunmap(self.addr.as_ptr()) };
    }
}

impl<T: PagemapOps> Drop for PmemMapping<T> {
    fn drop(&mut self) {
        if let Backing::Remap(addr) = self.backing {
            // SAFETY: By the type invariant `backing` owns the mapping: `addr` is what
            // `memremap()` returned, unmapped once, here.
            unsafe { bindings::memunmap(addr.as_ptr()) };
        }
        // A `Pagemap` unmaps itself when dropped, and the range is released after it (the order
        // of the fields).
    }
}

#[macros::kunit_tests(rust_kernel_memremap)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;
    /// A namespace of 1 GiB at 4 GiB, as `ndctl create-namespace -m fsdax` lays it out: an info
    /// block in the first 8 KiB, a memmap of 64 bytes a page after it, the data from 18 MiB.
    const START: u64 = 4 << 30;
    const LEN: u64 = 1 << 30;
    const DATA: u64 = 18 * MIB;
    const INFO: u64 = 8 << 10;

    fn memmap(base: u64, data_offset: u64) -> Option<AltmapPages> {
        Some(AltmapPages {
            base_pfn: base / PAGE_BYTES,
            reserve: INFO / PAGE_BYTES,
            free: (data_offset - INFO) / PAGE_BYTES,
        })
    }

    #[test]
    fn data_without_memmap_on_the_device() {
        assert_eq!(check_data_start(START, LEN, 0, None), Ok(()));
        assert_eq!(check_data_start(START, LEN, PAGE_BYTES, None), Ok(()));
        assert_eq!(check_data_start(START, LEN, LEN, None), Ok(()));
        // Not a page, or beyond the range.
        assert_eq!(check_data_start(START, LEN, 512, None), Err(EINVAL));
        assert_eq!(
            check_data_start(START, LEN, LEN + PAGE_BYTES, None),
            Err(EINVAL)
        );
    }

    #[test]
    fn data_after_the_memmap() {
        let m = memmap(START, DATA);
        assert_eq!(check_data_start(START, LEN, DATA, m), Ok(()));
        // More kept out of reach is no harm.
        assert_eq!(check_data_start(START, LEN, DATA + 2 * MIB, m), Ok(()));
        // The info block and the `struct page`s are not data.
        assert_eq!(check_data_start(START, LEN, 0, m), Err(EINVAL));
        assert_eq!(check_data_start(START, LEN, INFO, m), Err(EINVAL));
        assert_eq!(
            check_data_start(START, LEN, DATA - PAGE_BYTES, m),
            Err(EINVAL)
        );
    }

    #[test]
    fn memmap_of_another_range() {
        // A memmap before the range (another namespace's configuration) or in its data.
        assert_eq!(
            check_data_start(START, LEN, DATA, memmap(START - LEN, DATA)),
            Err(EINVAL)
        );
        assert_eq!(
            check_data_start(START, LEN, DATA, memmap(START + 64 * MIB, DATA)),
            Err(EINVAL)
        );
        let wraps = Some(AltmapPages {
            base_pfn: u64::MAX,
            reserve: 2,
            free: 1,
        });
        assert_eq!(check_data_start(START, LEN, DATA, wraps), Err(EINVAL));
    }

    #[test]
    fn memmap_padded_to_its_subsection() {
        // A range that does not start a 2 MiB subsection: the map's frames start at the
        // subsection, and the reserve covers the pages before the range.
        let start = START + 64 * (1 << 10);
        let pad = (start - START) / PAGE_BYTES;
        let m = Some(AltmapPages {
            base_pfn: START / PAGE_BYTES,
            reserve: pad + INFO / PAGE_BYTES,
            free: (DATA - INFO) / PAGE_BYTES,
        });
        assert_eq!(check_data_start(start, LEN, DATA, m), Ok(()));
        assert_eq!(
            check_data_start(start, LEN, DATA - PAGE_BYTES, m),
            Err(EINVAL)
        );
    }
}
