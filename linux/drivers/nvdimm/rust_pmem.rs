// SPDX-License-Identifier: GPL-2.0

//! Persistent memory driver, in Rust.
//!
//! A drop-in for `nd_pmem`: it binds to pmem namespaces and their fsdax (pfn) and sector (btt)
//! personalities, and presents each as a block device that is also a DAX device. `nd_pmem` stays
//! the default: this driver answers no module alias, so it is loaded by name, and it binds the
//! namespaces no driver has, or those whose `driver_override` names it.
//!
//! Block I/O copies to and from the medium; a read of a known-bad sector fails, a write to one
//! first clears the poison through the bus. DAX hands filesystems the kernel address of the
//! medium. Known-bad sectors come from the bus at probe and when it reports new poison.

use kernel::{
    block::{
        badblocks::{BadBlocks, BadRange},
        bio::{self, Bio, Disk},
        mq::gen_disk::GenDiskBuilder,
        PAGE_SECTORS, SECTOR_SHIFT, SECTOR_SIZE,
    },
    dax::{
        self,
        sector::{PageChunks, PAGE_BYTES},
        AccessMode, DirectAccess, Zeroed,
    },
    fault_inject::FaultAttr,
    iov::{IovIterDest, IovIterSource},
    mm::memremap::{PagemapConfig, PagemapOps, PmemMapping, PmemRange},
    new_mutex,
    num::casts::{u32_as_u64, u32_as_usize, usize_as_u64, FromSafeCast},
    nvdimm::{self, BttAttachment, Event, Flush, Handle, Kind, Region},
    page::PAGE_SIZE,
    prelude::*,
    sizes::SZ_1M,
    str::CString,
    sync::{aref::ARef, Arc, ArcBorrow, Mutex},
    types::ScopeGuard,
};

use core::ops::Range;

kernel::module_nd_driver! {
    type: RustPmem,
    name: "rust_pmem",
    authors: ["Seed dca4debd maintainers <maintainers@users.noreply.r-seed-dca4debd.example>"],
    description: "NVDIMM Persistent Memory Driver (Rust)",
    license: "GPL v2",
    // No module alias (nd_pmem has MODULE_ALIAS_ND_DEVICE() for both namespace types): nd_pmem
    // is the default, and this driver is loaded by name and chosen per namespace with
    // driver_override.
}

/// The bytes of a sector, as data positions count them.
const SECTOR: u64 = u32_as_u64(SECTOR_SIZE);
/// The bytes of a sector, as buffers count them.
const SECTOR_BYTES: usize = u32_as_usize(SECTOR_SIZE);

/// A sector of zeros, the source of every zero the driver writes or copies.
/// The bytes a recovery read asks the known-bad list about at a time.
const BB_WINDOW_BYTES: usize = SZ_1M;
const BB_WINDOW: u64 = usize_as_u64(BB_WINDOW_BYTES);

static ZEROES: [u8; SECTOR_BYTES] = [0; SECTOR_BYTES];

// The driver works in three coordinate systems; a type for each keeps them apart.

/// A byte position in the namespace's data: what the disk and the DAX device expose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct DataPos(u64);

/// A 512-byte sector of the data, as bios and the known-bad list count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Sector(u64);

/// A byte offset in [`Pmem::mem`], the mapping of the namespace's data: the byte of the same
/// [`DataPos`], as the mapping counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct MapOffset(usize);

impl DataPos {
    /// The sector that holds the byte.
    fn sector(self) -> Sector {
        Sector(self.0 >> SECTOR_SHIFT)
    }

    /// The start of the page that holds the byte.
    fn page(self) -> Self {
        Self(self.0 - self.0 % PAGE_BYTES)
    }

    /// The position `len` bytes further.
    fn add(self, len: usize) -> Self {
        Self(self.0 + u64::from_safe_cast(len))
    }
}

impl Sector {
    /// The position of the sector's first byte.
    fn pos(self) -> DataPos {
        DataPos(self.0 << SECTOR_SHIFT)
    }
}

/// The bytes from `from` to `to` (`from <= to`, at most a request apart), as a length.
fn span(from: DataPos, to: DataPos) -> Result<usize> {
    usize::try_from(to.0.checked_sub(from.0).ok_or(ERANGE)?).map_err(|_| ERANGE)
}

/// Why a machine-check-safe copy to an iterator stopped short.
#[derive(Debug, PartialEq)]
enum Stop {
    /// It did not: every byte was copied.
    Done,
    /// At poison, at the first byte not copied.
    Poison,
    /// The destination faulted.
    Fault,
}

/// Where a memory failure of the pages is reported: the DAX device, once it exists.
///
/// A report holds the lock while it notifies the device's holder, so that it never holds the
/// last reference to the device: dropping that from inside the mapping's memory-failure
/// callback would drop the mapping, whose teardown waits for the callback to return.
///
/// The relay is in a reference cycle while the DAX device is set: the relay holds the DAX
/// device, the DAX device holds the mapping ([`dax::Device::new`]), and the mapping's pagemap
/// holds the relay ([`Relay`]). Nothing breaks it by itself: the binding does, by taking the
/// DAX device out of the relay once it is killed, in [`Attached`]'s `drop` (and in
/// `add_disk()`'s guard if the disk cannot be added). Every path that sets the DAX device must
/// pair with one of those. Left set, the cycle would leak the mapping, and with it the memory's
/// reservation and a pagemap whose operations are this module's code, which the kernel may call
/// after the module is unloaded (see `PmemMapping`'s "Module lifetime").
#[pin_data]
struct FailureRelay {
    #[pin]
    dax: Mutex<Option<Arc<dax::Device<PmemDax>>>>,
    /// The physical address of the start of the DAX device's data.
    data_start: u64,
}

struct Relay(Arc<FailureRelay>);

impl PagemapOps for Relay {
    fn memory_failure(&self, pfn: u64, nr_pages: u64, flags: i32) -> Result {
        let offset = pfn
            .checked_mul(PAGE_BYTES)
            .and_then(|phys| phys.checked_sub(self.0.data_start))
            .ok_or(ENXIO)?;
        let len = nr_pages.checked_mul(PAGE_BYTES).ok_or(ERANGE)?;
        let dax = self.0.dax.lock();
        dax.as_ref()
            .ok_or(ENXIO)?
            .notify_failure(offset, len, flags)
    }
}

/// A pmem namespace attached as a disk.
#[pin_data]
struct Pmem {
    /// The known-bad sectors, relative to the start of the data; the disk shows them.
    bb: Arc<BadBlocks>,
    /// The namespace's data, from its start; the DAX device holds it too.
    mem: Arc<PmemMapping<Relay>>,
    /// The offset of the data in the namespace (the fsdax info block and memmap come first, out
    /// of reach of `mem`).
    data_offset: u64,
    /// The bytes of the data.
    data_len: u64,
    region: ARef<Region>,
    dev: Handle<Relay>,
    /// Makes a machine-check-safe read that covers data byte `offset` stop there, as consumed
    /// poison would (`/sys/kernel/debug/rust_pmem_mc_<disk>/`).
    #[pin]
    mc_fault: FaultAttr,
    /// Makes the clear of a run of bad sectors during a reset fail, or clear only the first
    /// `cleared` bytes of the run if that is not 0 (`/sys/kernel/debug/rust_pmem_clear_<disk>/`).
    #[pin]
    clear_fault: FaultAttr,
}

impl Pmem {
    /// Returns where data position `pos` is in the mapping.
    fn map(&self, pos: DataPos) -> Result<MapOffset> {
        Ok(MapOffset(usize::try_from(pos.0).map_err(|_| ERANGE)?))
    }

    /// Returns the data position of mapping offset `off`.
    fn pos_of(&self, off: MapOffset) -> DataPos {
        DataPos(u64::from_safe_cast(off.0))
    }

    /// Returns the data position of kernel address `addr` (from `direct_access`).
    fn data_pos(&self, addr: *const core::ffi::c_void) -> Result<DataPos> {
        Ok(self.pos_of(MapOffset(self.mem.offset_of(addr).ok_or(ERANGE)?)))
    }

    /// Returns the byte of the data a machine-check-safe read stops at, if the `mc_fault`
    /// injection point is armed for a read of `len` bytes from `pos` that covers it.
    fn injected_poison(&self, pos: DataPos, len: usize) -> Option<DataPos> {
        let target = DataPos(self.mc_fault.param());
        (pos <= target && target < pos.add(len) && self.mc_fault.should_fail(len)).then_some(target)
    }

    /// Returns `true` if a sector of the `len` bytes from sector `sector` is known to be bad.
    fn is_bad(&self, sector: Sector, len: usize) -> bool {
        self.bb
            .is_bad(sector.0, u64::from_safe_cast(len).div_ceil(SECTOR))
    }

    /// Clears the poison of `len` bytes at `at` as the bus allows ([`Handle::clear_poison`]),
    /// and drops the CPU's cached lines of them if it cleared any, so that nothing stale is read
    /// back. The pages are restored by the caller once the clear is whole
    /// ([`Pmem::restore_clean_pages`]), not after a partial one, as C does. The callers drop
    /// the sectors from the known-bad list once they have written them.
    ///
    /// Returns the bytes cleared: fewer than `len` if the bus cleared only part.
    ///
    /// C: `__pmem_clear_poison()`.
    fn clear_poison(&self, at: MapOffset, len: usize) -> Result<usize> {
        let cleared = self.clear_on_bus(at, len)?;
        if cleared > 0 {
            self.mem.invalidate(at.0, len)?;
        }
        Ok(cleared)
    }

    /// Clears the poison of `len` bytes at `at` through the bus ([`Handle::clear_poison`]), and
    /// nothing else. Returns the bytes cleared: fewer than `len` if the bus cleared only part.
    fn clear_on_bus(&self, at: MapOffset, len: usize) -> Result<usize> {
        // The mapping and the handle both count from the first byte of the data.
        let cleared = self
            .dev
            .clear_poison(u64::from_safe_cast(at.0), u32::try_from(len)?)?;
        Ok(usize::try_from(cleared)?)
    }

    /// Drops the `len` bytes from `pos` from the known-bad list, once they are rewritten.
    fn forget_bad(&self, pos: DataPos, len: usize) {
        // A full list cannot split a range; the caller checks what is still listed.
        let _ = self
            .bb
            .clear_bad(pos.sector().0, u64::from_safe_cast(len) >> SECTOR_SHIFT);
    }

    /// Clears the poison of the whole `len` bytes from `pos` for a write over them, drops them
    /// from the known-bad list and restores the pages they leave without known poison. Fails with
    /// `EIO` unless all of them were cleared.
    fn clear_for_write(&self, pos: DataPos, len: usize) -> Result {
        let cleared = self.clear_poison(self.map(pos)?, len).map_err(|_| EIO)?;
        self.forget_bad(pos, cleared);
        if cleared < len {
            return Err(EIO);
        }
        self.restore_clean_pages(pos, len)
    }

    /// Restores the pages that hold the `len` bytes from `pos` and have no known-bad sector left
    /// (`HWPoison` cleared, the direct map back): a clear of part of a page does not restore it
    /// by itself ([`PmemMapping::mark_pages_present`] never rounds a partial page up), but once
    /// the last known poison of a page is cleared, it is whole again.
    fn restore_clean_pages(&self, pos: DataPos, len: usize) -> Result {
        for chunk in PageChunks::new(pos.0, u64::from_safe_cast(len)) {
            let page = DataPos(chunk.page_start());
            if !self.bb.is_bad(page.sector().0, PAGE_SECTORS) {
                let at = self.map(page)?;
                let n = self.mem.len().saturating_sub(at.0).min(PAGE_SIZE);
                self.mem.mark_pages_present(at.0, n)?;
            }
        }
        Ok(())
    }

    /// Copies the `len` good bytes at data position `pos` to `iter`, machine-check safe and
    /// straight from the medium (a page that memory failure took out of the direct map through a
    /// mapping of its own, see [`PmemMapping`]). Returns the bytes copied and, if fewer than
    /// `len`, why.
    ///
    /// C: `pmem_copy_good_to_iter()`.
    fn copy_good_to_iter(
        &self,
        pos: DataPos,
        len: usize,
        iter: &mut IovIterDest<'_>,
    ) -> Result<(usize, Stop)> {
        let at = self.map(pos)?;
        // The injection point stops the copy at its byte, as consumed poison would.
        let n = match self.injected_poison(pos, len) {
            Some(target) => span(pos, target)?,
            None => len,
        };
        let copied = self.mem.copy_to_iter_mc(at.0, n, iter)?;
        if copied == len {
            return Ok((copied, Stop::Done));
        }
        if copied == n {
            return Ok((copied, Stop::Poison));
        }
        // Poison or a faulting destination. The medium is not read again to tell (on hardware
        // every read of poison is another machine check): a destination whose next word can be
        // faulted in did not fault, so the copy stopped at poison. A word, not a byte, as C: the
        // copy may report a fault up to seven bytes before the byte that faulted
        // (`copy_mc_fragile()`). Kernel memory never faults.
        if iter.fault_in_writeable(iter.len().min(8)) == 0 {
            Ok((copied, Stop::Poison))
        } else {
            Ok((copied, Stop::Fault))
        }
    }

    /// Copies `len` zero bytes to `iter`. Returns the bytes copied; fewer if `iter` faulted.
    fn zeros_to_iter(len: usize, iter: &mut IovIterDest<'_>) -> usize {
        let mut done = 0;
        while done < len {
            let n = (len - done).min(ZEROES.len());
            let copied = iter.copy_to_iter(&ZEROES[..n]);
            done += copied;
            if copied < n {
                break;
            }
        }
        done
    }

    /// The first known-bad range of the sectors that hold `start..end`, as the list has it.
    fn bad_in(&self, start: DataPos, end: DataPos) -> Option<BadRange> {
        let first = start.sector();
        self.bb.check(first.0, end.0.div_ceil(SECTOR) - first.0)
    }

    /// Reads `bytes` bytes at data position `pos` to `iter`, reading bad bytes as zeros and
    /// telling `zeroed` each run of them. Returns the bytes copied; fewer than `bytes` if `iter`
    /// faulted or the range is not in the data.
    ///
    /// Allocates nothing but the short-lived mapping of a page that memory failure took out of
    /// the direct map: a read for recovery must not fail for want of memory.
    ///
    /// C: `pmem_recovery_copy_to_iter()`.
    fn recovery_read(
        &self,
        pos: DataPos,
        bytes: usize,
        iter: &mut IovIterDest<'_>,
        zeroed: &mut Zeroed<'_>,
    ) -> usize {
        let end = pos.add(bytes);
        let mut at = pos;
        let mut done = 0;
        while at < end {
            let Ok((n, go_on)) = self.recovery_read_step(at, end, iter, zeroed) else {
                break;
            };
            at = at.add(n);
            done += n;
            if !go_on {
                break;
            }
        }
        done
    }

    /// Reads from `at` up to the next change between good and bad bytes before `end` to `iter`,
    /// telling `zeroed` the bytes it read as zeros. Returns the bytes copied, and `false` if
    /// `iter` faulted.
    fn recovery_read_step(
        &self,
        at: DataPos,
        end: DataPos,
        iter: &mut IovIterDest<'_>,
        zeroed: &mut Zeroed<'_>,
    ) -> Result<(usize, bool)> {
        // Ask the list about a window at a time: it walks every entry that overlaps the range
        // asked about, and asking about the rest of a long read at each run of bad sectors
        // would cost the square of the entries in it.
        let lim = if end.0 - at.0 > BB_WINDOW {
            at.add(BB_WINDOW_BYTES)
        } else {
            end
        };
        let (good, mut bad) = split_at_bad(at, lim, self.bad_in(at, lim))?;
        let mut done = 0;
        if good > 0 {
            let (n, stop) = self.copy_good_to_iter(at, good, iter)?;
            done = n;
            match stop {
                Stop::Done => return Ok((n, true)),
                Stop::Fault => return Ok((n, false)),
                Stop::Poison => {
                    // Poison the CPU met: its sector is known-bad from now on. If the list is
                    // full, the next read meets the poison again, which is no worse; this one
                    // reads the rest of the sector as zeros either way.
                    let hit = at.add(n);
                    let _ = self.bb.set_bad(hit.sector().0, 1, false);
                    let sector_end = Sector(hit.sector().0 + 1).pos().min(end);
                    bad = span(hit, sector_end)?;
                }
            }
        }
        let n = Self::zeros_to_iter(bad, iter);
        zeroed.report(at.add(done).0, u64::from_safe_cast(n));
        Ok((done + n, n == bad))
    }

    /// Clears the known-bad runs of sectors of the page at data position `page` for a reset, one
    /// bus call per run, as the bus allows ([`Handle::can_clear_poison`]): through its
    /// clear-error command, where only what the bus reports cleared counts, or, on a bus without
    /// a command interface, counted as cleared. Good data is never sent to a clear. A bus with
    /// commands but no clear-error fails: the poison may be real. The bus's records keep the
    /// runs ([`Handle::clear_media_error`]): what is cleared but not written stays lost, until
    /// [`Pmem::reset_done`] forgets what was written.
    ///
    /// `first` is the page's first bad run, as the caller found it; the list is asked again only
    /// after it.
    ///
    /// The `clear_fault` injection point, when it fires for a run, stands for the bus: it clears
    /// only the first `cleared` bytes of the run (none if 0, all of them if a page).
    ///
    /// Fails with `EIO` if a clear fails or is partial; what was cleared stays listed bad, and the
    /// page must not be written. Once it returns `Ok`, the bytes of the cleared runs are undefined
    /// until they are written.
    ///
    /// C: `pmem_clear_bad_runs()`.
    fn clear_bad_runs(&self, page: DataPos, first: Range<DataPos>) -> Result {
        let end = page.add(PAGE_SIZE);
        let mut run = first;
        loop {
            let len = span(run.start, run.end)?;
            let cleared = if self.clear_fault.should_fail(len) {
                usize::try_from(self.clear_fault.param())
                    .unwrap_or(usize::MAX)
                    .min(len)
            } else {
                let at = u64::from_safe_cast(self.map(run.start)?.0);
                usize::try_from(
                    self.dev
                        .clear_media_error(at, u32::try_from(len)?)
                        .map_err(|_| EIO)?,
                )?
            };
            if cleared != len {
                return Err(EIO);
            }
            // The list must not be asked about an empty range.
            if run.end >= end {
                return Ok(());
            }
            match clip_bad(run.end, end, self.bad_in(run.end, end)) {
                Some(next) => run = next,
                None => return Ok(()),
            }
        }
    }

    /// Resets the page at data position `page`, which holds known poison, with the `len` bytes
    /// of `iter` for data position `pos` in it (Documentation/filesystems/dax.rst):
    ///
    /// 1. clears the page's known-bad runs ([`Pmem::clear_bad_runs`]); if a clear fails or is
    ///    partial, nothing is written to the page and nothing dropped from the known-bad list;
    /// 2. writes the bytes of `iter`, and zeros over the rest of every bad sector they touch only
    ///    in part (the zeros a recovery read showed), flushed, through a mapping of the page's
    ///    own while memory failure keeps it out of the direct map;
    /// 3. only then drops from the known-bad list, and from the bus's and the region's records,
    ///    the bad sectors the write touched ([`Pmem::reset_done`]). A bad sector the write does
    ///    not touch stays listed, cleared or not: a reset never turns a lost sector the caller
    ///    did not write into a readable one;
    /// 4. restores a page with no listed bad sector left: `HWPoison` cleared and the direct map
    ///    back ([`Pmem::restore_clean_pages`]). A page that keeps a lost sector stays as memory
    ///    failure left it: on a bus without a command interface its poison may be real.
    ///
    /// `first` is the page's first bad run. `iter` cannot fault (the DAX core pins the caller's
    /// buffer before the file system takes its locks, or copies it into the kernel); should the
    /// write run short all the same, the write is the bytes it did take. Returns the bytes taken
    /// from `iter` and written.
    ///
    /// C: `pmem_reset_page()`.
    fn reset_page(
        &self,
        page: DataPos,
        pos: DataPos,
        len: usize,
        iter: &mut IovIterSource<'_>,
        first: Range<DataPos>,
    ) -> Result<usize> {
        self.clear_bad_runs(page, first)?;
        // Through a mapping of its own while memory failure keeps the page out of the direct map.
        self.mem.invalidate(self.map(page)?.0, PAGE_SIZE)?;
        let n = self
            .mem
            .copy_from_iter_flushcache(self.map(pos)?.0, len, iter)?;
        if n == 0 {
            return Ok(0);
        }
        let end = pos.add(n);
        self.zero_bad_edges(pos, end)?;
        self.reset_done(pos, end)?;
        // As C, a page that could not be restored stays out of the direct map, its data written
        // and reached through a mapping of its own.
        let _ = self.restore_clean_pages(page, PAGE_SIZE);
        Ok(n)
    }

    /// Writes zeros over the bytes of the known-bad sectors that the bytes `start..end`
    /// (`start < end`) touch only in part, flushed: the rest of such a sector is what a recovery
    /// read showed the caller, zeros.
    fn zero_bad_edges(&self, start: DataPos, end: DataPos) -> Result {
        let first = start.sector();
        let head = first.pos();
        if head < start && self.is_bad(first, SECTOR_BYTES) {
            let zeros = ZEROES.get(..span(head, start)?).ok_or(ERANGE)?;
            self.mem.write(self.map(head)?.0, zeros)?;
        }
        let last = DataPos(end.0 - 1).sector();
        let tail = Sector(last.0 + 1).pos();
        if end < tail && self.is_bad(last, SECTOR_BYTES) {
            let zeros = ZEROES.get(..span(end, tail)?).ok_or(ERANGE)?;
            self.mem.write(self.map(end)?.0, zeros)?;
        }
        Ok(())
    }

    /// Ends the reset of the bytes `start..end` (`start < end`), written: flushes them, then
    /// drops from the known-bad list the sectors they touch, and from the bus's and the region's
    /// records ([`Handle::forget_poison`]). Fails with `EIO` if a touched sector
    /// stays listed bad (a full list cannot split a range): a sector still listed is not
    /// repaired, whatever it holds.
    ///
    /// C: `pmem_reset_done()`.
    fn reset_done(&self, start: DataPos, end: DataPos) -> Result {
        let first = start.sector();
        let sectors = end.0.div_ceil(SECTOR) - first.0;
        let at = u64::from_safe_cast(self.map(first.pos())?.0);
        let len = u32::try_from(sectors << SECTOR_SHIFT)?;
        self.region.flush()?;
        self.bb.clear_bad(first.0, sectors).map_err(|_| EIO)?;
        // The bus's and the region's records too, now that the sectors are written.
        self.dev.forget_poison(at, len)
    }

    /// Writes `bytes` bytes of `iter` at data position `pos`, repairing the pages with known
    /// poison ([`Pmem::reset_page`]); the others are written as an ordinary DAX write. Returns the
    /// bytes written, which are the bytes taken from `iter`; it stops at the first page it cannot
    /// repair. The DAX core calls it for a reset (any range, under the file's exclusive locks)
    /// and for the implicit recovery of a plain write of whole pages.
    ///
    /// C: `pmem_recovery_write()`.
    fn recovery_write(&self, pos: DataPos, bytes: usize, iter: &mut IovIterSource<'_>) -> usize {
        let mut done = 0;
        for chunk in PageChunks::new(pos.0, u64::from_safe_cast(bytes)) {
            let Ok(n) = self.recovery_write_chunk(DataPos(chunk.offset), chunk.len, iter) else {
                break;
            };
            done += n;
            if u64::from_safe_cast(n) < chunk.len {
                break;
            }
        }
        done
    }

    /// Writes the `len` bytes of `iter` for data position `pos`, all in one page, repairing the
    /// page if it has poison.
    fn recovery_write_chunk(
        &self,
        pos: DataPos,
        len: u64,
        iter: &mut IovIterSource<'_>,
    ) -> Result<usize> {
        let len = usize::try_from(len)?;
        let page = pos.page();
        let page_end = page.add(PAGE_SIZE);
        if let Some(first) = clip_bad(page, page_end, self.bad_in(page, page_end)) {
            return self.reset_page(page, pos, len, iter, first);
        }
        self.mem
            .copy_from_iter_flushcache(self.map(pos)?.0, len, iter)
    }

    #[inline]
    fn read_segment(&self, seg: &mut bio::Segment<'_, bio::Read>) -> Result {
        let sector = Sector(seg.sector());
        if self.is_bad(sector, seg.len()) {
            return Err(EIO);
        }
        if self.mem.read_mc_segment(self.map(sector.pos())?.0, seg)? != 0 {
            return Err(EIO);
        }
        Ok(())
    }

    #[inline]
    fn write_segment(&self, seg: &bio::Segment<'_, bio::Write>) -> Result {
        let sector = Sector(seg.sector());
        if self.is_bad(sector, seg.len()) {
            self.clear_for_write(sector.pos(), seg.len())?;
        }
        self.mem.write_segment(self.map(sector.pos())?.0, seg)
    }

    /// Writes zeros over the page from `first`, clearing its poison first, in one bus call.
    /// If the write fails after the clear, the page's sectors are listed bad again: what was
    /// cleared and not written is lost, not readable.
    ///
    /// C: `pmem_do_write()` of the zero page.
    fn zero_page(&self, first: Sector) -> Result {
        let pos = first.pos();
        let cleared = self.is_bad(first, PAGE_SIZE);
        if cleared {
            self.clear_for_write(pos, PAGE_SIZE)?;
        }
        let at = self.map(pos)?;
        let written = (0..PAGE_SIZE / SECTOR_BYTES)
            .try_for_each(|i| self.mem.write(at.0 + i * SECTOR_BYTES, &ZEROES));
        if written.is_err() && cleared {
            let _ = self.bb.set_bad(first.0, PAGE_SECTORS, false);
        }
        written
    }

    /// How many of the `nr_pages` pages from page `pgoff` of the data `direct_access` hands out
    /// in `mode` while the known-bad list is not empty (see [`usable_pages`]). Out of line, so
    /// that the path of a device without poison does not prepare its arguments.
    #[cold]
    fn usable_with_poison(&self, pgoff: u64, nr_pages: usize, mode: AccessMode) -> Result<u64> {
        // `pgoff` is a page of the data, so this does not overflow.
        let sector = Sector(dax::sector::pgoff_to_sector(pgoff));
        let nr_sectors = u64::from_safe_cast(nr_pages)
            .checked_mul(PAGE_SECTORS)
            .ok_or(ERANGE)?;
        let bad = self.bb.check(sector.0, nr_sectors);
        Ok(u64::from_safe_cast(usable_pages(
            sector, nr_pages, bad, mode,
        )?))
    }
}

/// How many of the `nr_pages` pages from `sector` `direct_access` hands out in `mode`, given the
/// first known-bad range among them (`None` if there is none).
///
/// Plain access fails on poison. A recovery read gets all the pages: its copy reads around the
/// poison in them. A recovery write gets the pages before the one with the first bad sector,
/// rounded up as the C driver does (so a page whose poison does not start it is included), and at
/// least the page asked for: recovery goes page by page, as clearing poison in larger chunks is not
/// reliable on all platforms.
fn usable_pages(
    sector: Sector,
    nr_pages: usize,
    bad: Option<BadRange>,
    mode: AccessMode,
) -> Result<usize> {
    match bad {
        None => Ok(nr_pages),
        Some(_) if mode == AccessMode::Access => Err(EHWPOISON),
        Some(_) if mode == AccessMode::RecoveryRead => Ok(nr_pages),
        Some(bad) => {
            let good = bad.start.saturating_sub(sector.0) << SECTOR_SHIFT;
            // Pages before the bad one, so fewer than `nr_pages` whenever that matters.
            let pages = usize::try_from(good.div_ceil(PAGE_BYTES)).unwrap_or(usize::MAX);
            Ok(pages.clamp(1, nr_pages.max(1)))
        }
    }
}

/// The part of `bad`, a range the known-bad list found for `start..end`, that lies in
/// `start..end`, if any: the list answers in whole sectors, and a range may start before.
fn clip_bad(start: DataPos, end: DataPos, bad: Option<BadRange>) -> Option<Range<DataPos>> {
    let r = bad?;
    let from = Sector(r.start).pos().max(start);
    let to = Sector(r.end()).pos().min(end);
    (from < to).then_some(from..to)
}

/// Splits the data bytes `at..end` at the first known-bad range `bad` found for their sectors:
/// returns `(good, 0)`, the good bytes from `at`, or `(0, bad)`, the bad bytes from `at` if `at`
/// is in the range.
fn split_at_bad(at: DataPos, end: DataPos, bad: Option<BadRange>) -> Result<(usize, usize)> {
    match clip_bad(at, end, bad) {
        Some(r) if r.start == at => Ok((0, span(at, r.end)?)),
        Some(r) => Ok((span(at, r.start)?, 0)),
        None => Ok((span(at, end)?, 0)),
    }
}

struct PmemDisk;

#[vtable]
impl bio::Operations for PmemDisk {
    type Data = Arc<Pmem>;

    fn submit_bio(pmem: ArcBorrow<'_, Pmem>, bio: Bio) {
        if bio.is_preflush() {
            if let Err(e) = pmem.region.flush() {
                bio.end(Err(e));
                return;
            }
        }
        let mut result = Ok(());
        if let Some(data) = bio.data() {
            let _acct = bio.start_io_acct();
            result = match data {
                bio::Data::Write(mut segs) => segs.try_for_each(|seg| pmem.write_segment(&seg)),
                bio::Data::Read(mut segs) => {
                    segs.try_for_each(|mut seg| pmem.read_segment(&mut seg))
                }
            };
        }
        if bio.is_fua() && result.is_ok() {
            match pmem.region.flush_bio(bio) {
                Flush::Async => {}
                Flush::Done(bio, r) => bio.end(r),
            }
            return;
        }
        bio.end(result);
    }
}

struct PmemDax;

#[vtable]
impl dax::Operations for PmemDax {
    type Data = Arc<Pmem>;
    type Pagemap = Relay;

    // Inlined into the DAX core's callback: every DAX read, write and fault calls it.
    #[inline]
    fn direct_access(
        pmem: ArcBorrow<'_, Pmem>,
        pgoff: u64,
        nr_pages: usize,
        mode: AccessMode,
    ) -> Result<DirectAccess> {
        // Only whole pages of the data are handed out, as the C driver does.
        let data_pages = pmem.data_len / PAGE_BYTES;
        if pgoff >= data_pages {
            return Err(ERANGE);
        }
        let usable = if pmem.bb.is_empty() {
            // No known poison: everything up to the end of the data is usable.
            data_pages - pgoff
        } else {
            pmem.usable_with_poison(pgoff, nr_pages, mode)?
        };
        // The DAX device's mapping is the data, from its first page.
        let page = usize::try_from(pgoff)?;
        Ok(DirectAccess::new(page, usize::try_from(usable)?))
    }

    fn zero_page_range(pmem: ArcBorrow<'_, Pmem>, pgoff: u64, nr_pages: usize) -> Result {
        // The DAX core zeroes one page at a time; each page is cleared in one bus call, as C
        // does (a clear unit larger than a sector fails a clear of 512 bytes).
        for page in pgoff
            ..pgoff
                .checked_add(u64::from_safe_cast(nr_pages))
                .ok_or(ERANGE)?
        {
            pmem.zero_page(Sector(dax::sector::pgoff_to_sector(page)))?;
        }
        Ok(())
    }

    fn recovery_write(
        pmem: ArcBorrow<'_, Pmem>,
        _pgoff: u64,
        addr: *mut core::ffi::c_void,
        bytes: usize,
        iter: &mut IovIterSource<'_>,
    ) -> usize {
        // An address outside the data is written nothing, which the DAX core fails with EIO.
        pmem.data_pos(addr)
            .map_or(0, |pos| pmem.recovery_write(pos, bytes, iter))
    }

    fn known_bad_range(pmem: ArcBorrow<'_, Pmem>, pos: u64, len: usize) -> Option<Range<u64>> {
        let start = DataPos(pos);
        let end = DataPos(pos.checked_add(u64::from_safe_cast(len))?);
        if start >= end || pmem.bb.is_empty() {
            return None;
        }
        clip_bad(start, end, pmem.bad_in(start, end)).map(|r| r.start.0..r.end.0)
    }

    fn recovery_copy_to_iter(
        pmem: ArcBorrow<'_, Pmem>,
        _pgoff: u64,
        addr: *mut core::ffi::c_void,
        bytes: usize,
        iter: &mut IovIterDest<'_>,
        zeroed: &mut Zeroed<'_>,
    ) -> usize {
        // An address outside the data is copied nothing, which the DAX core fails with EIO.
        pmem.data_pos(addr)
            .map_or(0, |pos| pmem.recovery_read(pos, bytes, iter, zeroed))
    }
}

/// A disk with its DAX device.
struct Attached {
    /// None if the kernel has no DAX (`alloc_dax()` fails with `EOPNOTSUPP`), as C tolerates.
    dax: Option<Arc<dax::Device<PmemDax>>>,
    relay: Arc<FailureRelay>,
    disk: Disk<PmemDisk>,
    pmem: Arc<Pmem>,
    kind: Kind,
    /// The layout of an fsdax namespace, from probe (its info block is the pfn device's).
    layout: Option<nvdimm::PfnLayout>,
}

impl Drop for Attached {
    fn drop(&mut self) {
        // Stop DAX first, then forget it for memory-failure reports; the disk goes next, the
        // memory last.
        if let Some(dax) = &self.dax {
            dax.kill();
        }
        self.relay.dax.lock().take();
    }
}

enum PmemData {
    Btt {
        btt: BttAttachment,
        region: ARef<Region>,
    },
    Disk(Attached),
}

impl PmemData {
    fn region(&self) -> &Region {
        match self {
            Self::Btt { region, .. } => region,
            Self::Disk(a) => &a.pmem.region,
        }
    }
}

struct RustPmem;

/// A namespace's data, mapped, and where it is in the namespace.
struct Mapped {
    mem: Arc<PmemMapping<Relay>>,
    /// The offset of the data in the namespace, where `mem` starts.
    data_offset: u64,
    /// The bytes of the data.
    data_len: u64,
    /// The physical address range of the data, for the bus's list of bad ranges.
    bad_range: (u64, u64),
}

impl RustPmem {
    /// Attaches a disk, and a DAX device if the namespace has `struct page`s, in four steps:
    /// read the namespace's layout, map it, set up the driver's state, then the disk.
    fn attach_disk(
        dev: &nvdimm::Device<kernel::device::Core<'_>>,
        ns: &nvdimm::Namespace,
    ) -> Result<PmemData> {
        let kind = dev.kind();
        let mut cfg = PagemapConfig::new();
        let (layout, range) = Self::read_layout(dev, ns, kind, &mut cfg)?;
        let region = dev.region();
        let fua = region.has_flush().unwrap_or_else(|_| {
            dev_warn!(dev.as_ref(), "unable to guarantee persistence of writes\n");
            false
        });
        let (phys, _) = ns.resource();
        let relay = Arc::pin_init(
            pin_init!(FailureRelay {
                dax <- new_mutex!(None),
                data_start: phys + layout.map_or(0, |l| l.data_offset),
            }),
            GFP_KERNEL,
        )?;
        let map_pages = kind == Kind::Pfn || dev.should_map_pages();
        let mapped = Self::map(ns, (layout, range), cfg, map_pages, &relay)?;
        let pmem = Self::new_pmem(dev, ns, mapped, region)?;
        Self::add_disk(dev, ns, pmem, relay, fua, map_pages, layout)
    }

    /// Reads the layout of the namespace, with raw access enabled for as long as that takes, and
    /// reserves its memory: the pfn personality's layout (fsdax), which also fills in `cfg`, with
    /// the memory from the data on, or none, with the whole namespace.
    fn read_layout(
        dev: &nvdimm::Device<kernel::device::Core<'_>>,
        ns: &nvdimm::Namespace,
        kind: Kind,
        cfg: &mut PagemapConfig,
    ) -> Result<(Option<nvdimm::PfnLayout>, PmemRange)> {
        let raw = dev.namespace_enable(ns)?;
        // The disk takes over: no more raw namespace access once the layout is read.
        let reserved = match kind {
            Kind::Pfn => dev
                .setup_pfn(raw, cfg)
                .map(|(layout, range)| (Some(layout), range)),
            _ => {
                drop(raw);
                dev.request_mem_region(ns).map(|range| (None, range))
            }
        };
        reserved.inspect_err(|&e| {
            if e == EBUSY {
                let (phys, size) = ns.resource();
                dev_warn!(
                    dev.as_ref(),
                    "could not reserve region {phys:#x}+{size:#x}\n"
                );
            }
        })
    }

    /// Maps the namespace's reserved memory: with `struct page`s as the pfn layout says (fsdax,
    /// the mapping reaching the data only), with them over the whole namespace if the region
    /// asks for them, or without.
    fn map(
        ns: &nvdimm::Namespace,
        (layout, range): (Option<nvdimm::PfnLayout>, PmemRange),
        mut cfg: PagemapConfig,
        map_pages: bool,
        relay: &Arc<FailureRelay>,
    ) -> Result<Mapped> {
        let (phys, size) = ns.resource();
        // A page, as `setup_pfn()` checked (`PmemRange::keep_out()`).
        let data_offset = layout.map_or(0, |l| l.data_offset);
        // With a pfn layout, `cfg` starts the data at its data offset (`setup_pfn()` set it).
        let (mem, pfn_pad) = if layout.is_some() {
            let map_len = cfg.range_len();
            let mem = PmemMapping::with_pages(cfg, Relay(relay.clone()), range)?;
            (mem, size - map_len)
        } else if map_pages {
            cfg.set_range(phys, phys + size - 1);
            let mem = PmemMapping::with_pages(cfg, Relay(relay.clone()), range)?;
            (mem, 0)
        } else {
            (PmemMapping::without_pages(range)?, 0)
        };
        let mem = Arc::new(mem, GFP_KERNEL)?;
        let data_len = size.checked_sub(pfn_pad + data_offset).ok_or(EINVAL)?;
        Ok(Mapped {
            mem,
            data_offset,
            data_len,
            bad_range: (phys + data_offset, phys + size - pfn_pad - 1),
        })
    }

    /// Sets up the driver's state of the namespace: the mapping, the known-bad list as the bus
    /// has it, and the fault injection points.
    fn new_pmem(
        dev: &nvdimm::Device<kernel::device::Core<'_>>,
        ns: &nvdimm::Namespace,
        mapped: Mapped,
        region: ARef<Region>,
    ) -> Result<Arc<Pmem>> {
        let name = ns.disk_name();
        let mc_name = CString::try_from_fmt(fmt!("rust_pmem_mc_{}", name.as_cstr()))?;
        let clear_name = CString::try_from_fmt(fmt!("rust_pmem_clear_{}", name.as_cstr()))?;
        let bb = Arc::pin_init(BadBlocks::new(), GFP_KERNEL)?;
        let (bad_start, bad_end) = mapped.bad_range;
        region.badblocks_populate(&bb, bad_start, bad_end);
        // A device that starts with known poison (a rebind after a machine check) may have pages
        // out of the direct map: the mapping looks before it uses it, from now on.
        if !bb.is_empty() {
            mapped.mem.note_memory_failure();
        }
        let handle = dev.handle(ns, &mapped.mem)?;
        Arc::pin_init(
            try_pin_init!(Pmem {
                bb,
                mem: mapped.mem,
                data_offset: mapped.data_offset,
                data_len: mapped.data_len,
                region,
                dev: handle,
                mc_fault <- FaultAttr::new(&mc_name, Some(c"offset")),
                clear_fault <- FaultAttr::new(&clear_name, Some(c"cleared")),
            }),
            GFP_KERNEL,
        )
    }

    /// Allocates the disk and its DAX device, and adds the disk.
    fn add_disk(
        dev: &nvdimm::Device<kernel::device::Core<'_>>,
        ns: &nvdimm::Namespace,
        pmem: Arc<Pmem>,
        relay: Arc<FailureRelay>,
        fua: bool,
        map_pages: bool,
        layout: Option<nvdimm::PfnLayout>,
    ) -> Result<PmemData> {
        let kind = dev.kind();
        let disk = GenDiskBuilder::new()
            .logical_block_size(ns.sector_size())?
            .physical_block_size(u32::try_from(PAGE_SIZE)?)?
            .capacity_sectors(pmem.data_len >> SECTOR_SHIFT)
            .synchronous(true)
            .write_cache(true)
            .fua(fua)
            .dax(map_pages)
            .build_bio::<PmemDisk>(
                fmt!("{}", ns.disk_name().as_cstr()),
                dev.numa_node(),
                pmem.clone(),
                Some(pmem.bb.clone()),
            )?;
        let noclear = !pmem.dev.can_clear_poison();
        if noclear {
            dev_info!(
                dev.as_ref(),
                "the bus cannot clear poison: RWF_RESET_HWERROR is not offered\n"
            );
        }
        let flags = dax::Flags {
            nocache: true,
            nomc: true,
            synchronous: pmem.region.is_sync(),
            noclear,
        };
        // A kernel without DAX gets the disk alone, as from C.
        let dax = match dax::Device::new(pmem.clone(), pmem.mem.clone(), flags, &disk) {
            Ok(dax) => Some(Arc::new(dax, GFP_KERNEL)?),
            Err(e) if e == EOPNOTSUPP => None,
            Err(e) => return Err(e),
        };
        if let Some(dax) = &dax {
            dax.set_write_cache(pmem.region.has_cache());
            *relay.dax.lock() = Some(dax.clone());
        }
        // If adding the disk fails (which puts it), the DAX device is killed and forgotten for
        // memory-failure reports, as `Attached` does when it goes.
        let detach = ScopeGuard::new_with_data((dax, relay), |(dax, relay)| {
            if let Some(dax) = dax {
                dax.kill();
            }
            relay.dax.lock().take();
        });
        let disk = disk.add(dev.as_ref(), Some(&dax::HOST_GROUPS))?;
        let (dax, relay) = detach.dismiss();
        let attached = Attached {
            dax,
            relay,
            disk,
            pmem,
            kind,
            layout,
        };
        attached.pmem.region.check_and_set_ro(&attached.disk);
        Ok(PmemData::Disk(attached))
    }

    fn revalidate_poison(dev: &nvdimm::Device<kernel::device::Core<'_>>, a: &Attached) {
        let Ok(ns) = dev.namespace() else {
            return;
        };
        let (phys, size) = ns.resource();
        let (offset, end_trunc) = match (a.kind, a.layout) {
            (Kind::Pfn, Some(l)) => (a.pmem.data_offset, l.end_trunc),
            _ => (0, 0),
        };
        a.pmem
            .region
            .badblocks_populate(&a.pmem.bb, phys + offset, phys + size - 1 - end_trunc);
        // As C: the pollers of the disk's badblocks file learn of the new list.
        a.pmem.bb.notify_changed();
    }
}

impl nvdimm::Driver for RustPmem {
    type Data<'bound> = PmemData;

    const TYPES: nvdimm::Types = nvdimm::Types::NAMESPACE_IO.or(nvdimm::Types::NAMESPACE_PMEM);

    fn probe<'bound>(
        dev: &'bound nvdimm::Device<kernel::device::Core<'_>>,
    ) -> impl PinInit<PmemData, Error> + 'bound {
        Self::bind(dev)
    }

    fn unbind<'bound>(
        _dev: &'bound nvdimm::Device<kernel::device::Core<'_>>,
        data: Pin<&PmemData>,
    ) {
        let _ = data.region().flush();
    }

    fn shutdown<'bound>(
        _dev: &'bound nvdimm::Device<kernel::device::Core<'_>>,
        data: Pin<&PmemData>,
    ) {
        let _ = data.region().flush();
    }

    fn notify<'bound>(
        dev: &'bound nvdimm::Device<kernel::device::Core<'_>>,
        data: Pin<&PmemData>,
        event: Event,
    ) {
        Self::notify_bound(dev, data, event)
    }
}

impl RustPmem {
    /// Binds to `dev`: a btt device gets the btt driver, a pfn device and a namespace without
    /// a personality a disk. C: `nd_pmem_probe()`.
    fn bind(dev: &nvdimm::Device<kernel::device::Core<'_>>) -> Result<PmemData> {
        let ns = dev.namespace()?;
        match dev.kind() {
            Kind::Btt => {
                return Ok(PmemData::Btt {
                    btt: dev.attach_btt(ns)?,
                    region: dev.region(),
                })
            }
            Kind::Pfn => return Self::attach_disk(dev, ns),
            Kind::Namespace => {}
        }
        let raw = dev.namespace_enable(ns)?;
        let Some(raw) = dev.probe_personality(raw)? else {
            // The personality's own device probes; this one stays unbound.
            return Err(ENXIO);
        };
        // Probe complete: the attach enables the namespace as it needs.
        drop(raw);
        Self::attach_disk(dev, ns)
    }

    /// Handles `event` for the bound `dev`. C: `nd_pmem_notify()`.
    fn notify_bound(
        dev: &nvdimm::Device<kernel::device::Core<'_>>,
        data: Pin<&PmemData>,
        event: Event,
    ) {
        let a = match data.get_ref() {
            PmemData::Disk(a) => a,
            PmemData::Btt { btt, .. } => {
                // As C: the btt reads through its namespace's known-bad list. (Its disk is the
                // btt driver's, which the abstraction does not reach: a region turned read-only
                // is not passed on to it.)
                if event == Event::RevalidatePoison {
                    btt.revalidate_poison();
                }
                return;
            }
        };
        match event {
            Event::RevalidatePoison => Self::revalidate_poison(dev, a),
            Event::RevalidateRegion => a.pmem.region.check_and_set_ro(&a.disk),
        }
    }
}

#[kunit_tests(rust_pmem)]
mod tests {
    use super::*;

    fn bad(start: u64, len: u64) -> Option<BadRange> {
        Some(BadRange {
            start,
            len,
            acknowledged: true,
        })
    }

    #[test]
    fn usable_pages_without_poison() {
        assert_eq!(
            usable_pages(Sector(0), 16, None, AccessMode::Access),
            Ok(16)
        );
        assert_eq!(
            usable_pages(Sector(800), 1, None, AccessMode::RecoveryRead),
            Ok(1)
        );
    }

    #[test]
    fn usable_pages_plain_access_fails() {
        assert_eq!(
            usable_pages(Sector(0), 4, bad(9, 1), AccessMode::Access),
            Err(EHWPOISON)
        );
    }

    #[test]
    fn usable_pages_recovery_read() {
        // All the pages asked for, wherever the poison is.
        let mode = AccessMode::RecoveryRead;
        assert_eq!(usable_pages(Sector(0), 4, bad(3, 1), mode), Ok(4));
        assert_eq!(usable_pages(Sector(16), 4, bad(10, 8), mode), Ok(4));
        assert_eq!(usable_pages(Sector(0), 2, bad(17, 1), mode), Ok(2));
    }

    #[test]
    fn usable_pages_recovery_write() {
        let mode = AccessMode::RecoveryWrite;
        // Poison in the page asked for: that page alone.
        assert_eq!(usable_pages(Sector(0), 4, bad(3, 1), mode), Ok(1));
        assert_eq!(usable_pages(Sector(8), 4, bad(8, 1), mode), Ok(1));
        // A range that starts before the page asked for.
        assert_eq!(usable_pages(Sector(16), 4, bad(10, 8), mode), Ok(1));
        // Poison at the start of page 2: pages 0 and 1.
        assert_eq!(usable_pages(Sector(0), 4, bad(16, 1), mode), Ok(2));
        // Poison inside page 2: rounded up to include it, as in C.
        assert_eq!(usable_pages(Sector(0), 4, bad(17, 1), mode), Ok(3));
        // Never more than asked for.
        assert_eq!(usable_pages(Sector(0), 2, bad(30, 1), mode), Ok(2));
    }

    #[test]
    fn split_at_bad_ranges() {
        // Nothing bad: all good.
        assert_eq!(
            split_at_bad(DataPos(100), DataPos(5000), None),
            Ok((4900, 0))
        );
        // A bad range further on: the good bytes before it.
        assert_eq!(
            split_at_bad(DataPos(100), DataPos(5000), bad(4, 2)),
            Ok((1948, 0))
        );
        // At a bad range: its bytes from here, to its end or the request's.
        assert_eq!(
            split_at_bad(DataPos(2048), DataPos(5000), bad(4, 2)),
            Ok((0, 1024))
        );
        assert_eq!(
            split_at_bad(DataPos(2100), DataPos(2200), bad(4, 2)),
            Ok((0, 100))
        );
        // Inside a range that started before.
        assert_eq!(
            split_at_bad(DataPos(3000), DataPos(8192), bad(4, 2)),
            Ok((0, 72))
        );
        // A range past the end of the request is not reached.
        assert_eq!(
            split_at_bad(DataPos(0), DataPos(1000), bad(4, 2)),
            Ok((1000, 0))
        );
    }

    #[test]
    fn clip_bad_ranges() {
        // Nothing bad, or a range past the end: nothing.
        assert_eq!(clip_bad(DataPos(0), DataPos(4096), None), None);
        assert_eq!(clip_bad(DataPos(0), DataPos(1000), bad(4, 2)), None);
        // A range further on: from its first byte.
        assert_eq!(
            clip_bad(DataPos(100), DataPos(5000), bad(4, 2)),
            Some(DataPos(2048)..DataPos(3072))
        );
        // One that starts before, or ends after: clipped to the request.
        assert_eq!(
            clip_bad(DataPos(2100), DataPos(2200), bad(4, 2)),
            Some(DataPos(2100)..DataPos(2200))
        );
        assert_eq!(
            clip_bad(DataPos(3000), DataPos(8192), bad(0, 8)),
            Some(DataPos(3000)..DataPos(4096))
        );
    }

    #[test]
    fn page_chunks_of_a_reset() {
        // A reset of 3 pages + 10 bytes from 300 bytes into page 1 touches pages 1 to 4.
        let chunks: KVec<_> = {
            let mut v = KVec::new();
            for c in PageChunks::new(PAGE_BYTES + 300, 3 * PAGE_BYTES + 10) {
                v.push((c.page_start() / PAGE_BYTES, c.len), GFP_KERNEL)
                    .expect("allocation");
            }
            v
        };
        assert_eq!(
            &chunks[..],
            &[
                (1, PAGE_BYTES - 300),
                (2, PAGE_BYTES),
                (3, PAGE_BYTES),
                (4, 310)
            ]
        );
    }
}
