// SPDX-License-Identifier: GPL-2.0

//! Persistent memory driver, in Rust.
//!
//! A drop-in for `nd_pmem`: it binds to pmem namespaces and their fsdax (pfn) and sector (btt)
//! personalities, and presents each as a block device that is also a DAX device. Only one of the
//! two drivers is loaded at a time.
//!
//! Block I/O copies to and from the medium; a read of a known-bad sector fails, a write to one
//! first clears the poison through the bus. DAX hands filesystems the kernel address of the
//! medium. Known-bad sectors come from the bus at probe and when it reports new poison.

use kernel::{
    block::{
        badblocks::{BadBlocks, BadRange},
        bio::{self, Bio, Disk, Limits},
    },
    dax::{
        self,
        sector::{PageChunks, PAGE_SECTORS, PAGE_SIZE, SECTOR_SIZE},
        AccessMode, DirectAccess,
    },
    fault_inject::FaultAttr,
    iov::{IovIterDest, IovIterSource},
    mm::memremap::{PagemapConfig, PagemapOps, PmemMapping},
    new_spinlock,
    nvdimm::{self, BttAttachment, Event, Flush, Handle, Kind, Personality, RegionRef},
    prelude::*,
    str::CString,
    sync::{Arc, ArcBorrow, SpinLock},
    ModuleMetadata,
};

kernel::module_nd_driver! {
    type: RustPmem,
    name: "rust_pmem",
    authors: ["dax-recovery"],
    description: "NVDIMM Persistent Memory Driver (Rust)",
    license: "GPL v2",
}

const SECTOR_SHIFT: u32 = 9;
const CACHE_LINE: usize = 64;

/// A sector of zeros, the source of every zero the driver writes or copies.
static ZEROES: [u8; SECTOR_SIZE as usize] = [0; SECTOR_SIZE as usize];

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
#[pin_data]
struct FailureRelay {
    #[pin]
    dax: SpinLock<Option<Arc<dax::Device<PmemDax>>>>,
    /// The physical address of the start of the DAX device's data.
    data_start: u64,
}

struct Relay(Arc<FailureRelay>);

impl PagemapOps for Relay {
    fn memory_failure(&self, pfn: u64, nr_pages: u64, flags: i32) -> Result {
        let dax = self.0.dax.lock().clone().ok_or(ENXIO)?;
        let offset = (pfn * PAGE_SIZE)
            .checked_sub(self.0.data_start)
            .ok_or(ENXIO)?;
        dax.notify_failure(offset, nr_pages * PAGE_SIZE, flags)
    }
}

/// A pmem namespace attached as a disk.
#[pin_data]
struct Pmem {
    /// The known-bad sectors, relative to the start of the data.
    #[pin]
    bb: BadBlocks,
    /// The namespace, from its start (not the start of the data).
    mem: PmemMapping<Relay>,
    /// The offset of the data in `mem` (the fsdax info block and memmap come first).
    data_offset: u64,
    /// The bytes of the data.
    data_len: u64,
    region: RegionRef,
    dev: Handle,
    /// Makes a machine-check-safe read that covers data byte `offset` stop there, as consumed
    /// poison would (`/sys/kernel/debug/rust_pmem_mc_<disk>/`).
    #[pin]
    mc_fault: FaultAttr,
    /// Makes the clear of a page's poison during a reset fail, or clear only the first `cleared`
    /// bytes of the page if that is not 0 (`/sys/kernel/debug/rust_pmem_clear_<disk>/`).
    #[pin]
    clear_fault: FaultAttr,
}

impl Pmem {
    /// Copies from the medium at `offset` of the mapping into `buf`, machine-check safe.
    /// Returns the bytes not copied (poison, or the `mc_fault` injection point).
    fn read_mc(&self, offset: usize, buf: &mut [u8]) -> Result<usize> {
        let rem = self.mem.read_mc(offset, buf)?;
        let target = self.mc_fault.param().saturating_add(self.data_offset);
        let end = offset as u64 + buf.len() as u64;
        if (offset as u64..end).contains(&target) && self.mc_fault.should_fail(buf.len()) {
            return Ok(rem.max((end - target) as usize));
        }
        Ok(rem)
    }

    fn offset(&self, sector: u64) -> Result<usize> {
        let off = sector
            .checked_shl(SECTOR_SHIFT)
            .and_then(|b| b.checked_add(self.data_offset))
            .ok_or(ERANGE)?;
        usize::try_from(off).map_err(|_| ERANGE)
    }

    /// Returns the data position of kernel address `addr` (from `direct_access`).
    fn data_pos(&self, addr: *const core::ffi::c_void) -> Option<u64> {
        (self.mem.offset_of(addr)? as u64).checked_sub(self.data_offset)
    }

    fn sector_of(&self, offset: usize) -> u64 {
        (offset as u64 - self.data_offset) >> SECTOR_SHIFT
    }

    fn is_bad(&self, sector: u64, len: usize) -> bool {
        self.bb
            .is_bad(sector, (len as u64).div_ceil(1 << SECTOR_SHIFT))
    }

    /// Clears the poison of `len` bytes at `offset` through the bus, and drops the sectors it
    /// cleared from the known-bad list. Returns the bytes cleared.
    fn clear_poison_bus(&self, offset: usize, len: usize) -> Result<usize> {
        let cleared = self
            .dev
            .clear_poison(self.mem.phys_addr(offset), u32::try_from(len)?)?;
        let cleared = usize::try_from(cleared)?;
        if cleared > 0 {
            self.mem.mark_pages_present(offset, cleared)?;
            self.mem.invalidate(offset, len)?;
        }
        Ok(cleared)
    }

    fn clear_poison(&self, offset: usize, len: usize) -> Result {
        let cleared = self.clear_poison_bus(offset, len).map_err(|_| EIO)?;
        if cleared > 0 {
            let _ = self
                .bb
                .clear_bad(self.sector_of(offset), (cleared >> SECTOR_SHIFT) as u64);
        }
        if cleared < len {
            return Err(EIO);
        }
        Ok(())
    }

    /// Copies the `len` good bytes at data position `pos` to `iter`, machine-check safe and
    /// straight from the medium. Returns the bytes copied and, if fewer than `len`, why.
    fn copy_good_to_iter(&self, pos: u64, len: usize, iter: &mut IovIterDest<'_>) -> (usize, Stop) {
        let Ok(offset) = self.offset(pos >> SECTOR_SHIFT) else {
            return (0, Stop::Fault);
        };
        let offset = offset + (pos % SECTOR_SIZE) as usize;
        // The injection point stops the copy at its byte, as consumed poison would.
        let target = self.mc_fault.param().saturating_add(self.data_offset);
        let end = offset as u64 + len as u64;
        let mut n = len;
        if (offset as u64..end).contains(&target) && self.mc_fault.should_fail(len) {
            n = (target - offset as u64) as usize;
        }
        let copied = self.mem.copy_to_iter_mc(offset, n, iter).unwrap_or(0);
        if copied == len {
            return (copied, Stop::Done);
        }
        if copied == n {
            return (copied, Stop::Poison);
        }
        // Poison or a faulting destination: a copy of the next bytes to the stack tells which.
        let mut probe = [0u8; 2 * CACHE_LINE];
        let m = (len - copied).min(probe.len());
        match self.mem.read_mc(offset + copied, &mut probe[..m]) {
            Ok(rem) if rem > 0 => {
                let good = m - rem;
                let more = iter.copy_to_iter(&probe[..good]);
                if more < good {
                    return (copied + more, Stop::Fault);
                }
                (copied + good, Stop::Poison)
            }
            _ => (copied, Stop::Fault),
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

    /// Reads `bytes` bytes at data position `pos` to `iter`, reading bad bytes as zeros.
    ///
    /// Allocates nothing: a read for recovery must not fail for want of memory.
    fn recovery_read(&self, pos: u64, bytes: usize, iter: &mut IovIterDest<'_>) -> usize {
        let end = pos + bytes as u64;
        let mut at = pos;
        while at < end {
            let sector = at >> SECTOR_SHIFT;
            let nr = end.div_ceil(SECTOR_SIZE) - sector;
            let (good, mut bad) = split_at_bad(at, end, self.bb.check(sector, nr));
            if good > 0 {
                let (n, stop) = self.copy_good_to_iter(at, good as usize, iter);
                at += n as u64;
                match stop {
                    Stop::Done => continue,
                    Stop::Fault => break,
                    Stop::Poison => {
                        // Poison the CPU met: its sector is known-bad from now on. If the list is
                        // full, the next read meets the poison again, which is no worse; this one
                        // reads the rest of the sector as zeros either way.
                        let bad_sector = at >> SECTOR_SHIFT;
                        let _ = self.bb.set_bad(bad_sector, 1, false);
                        bad = ((bad_sector + 1) * SECTOR_SIZE).min(end) - at;
                    }
                }
            }
            let n = Self::zeros_to_iter(bad as usize, iter);
            at += n as u64;
            if n < bad as usize {
                break;
            }
        }
        (at - pos) as usize
    }

    /// Clears the poison of the page at data position `page` for a reset: through the bus if it
    /// has a clear-error command; on a bus without one the known-bad list is the only record of
    /// the poison, and dropping it (done by the caller once the page is rewritten) is the clear.
    ///
    /// Once it returns, the content of the page is undefined until it is written whole.
    fn clear_page_for_reset(&self, page: u64) -> Result {
        let offset = self.offset(page >> SECTOR_SHIFT)?;
        let cleared = if self.clear_fault.should_fail(PAGE_SIZE as usize) {
            // As a bus that fails, clears only part of the page, or (a parameter of a whole page)
            // clears it all.
            match usize::try_from(self.clear_fault.param()) {
                Ok(0) | Err(_) => Err(EIO),
                Ok(n) => Ok(n.min(PAGE_SIZE as usize)),
            }
        } else {
            self.clear_poison_bus(offset, PAGE_SIZE as usize)
        };
        match cleared {
            Ok(n) if n == PAGE_SIZE as usize => Ok(()),
            Ok(_) => Err(EIO),
            Err(e) if e == ENOTTY || e == ENXIO || e == EOPNOTSUPP => Ok(()),
            Err(_) => Err(EIO),
        }
    }

    /// Fills bytes `from..to` of `buf`, a bounce copy of the page at data position `page`, with
    /// what the medium holds there: the bytes of known-bad sectors are zeros, the others are read
    /// machine-check safe, and poison met in a sector makes it zeros from there.
    fn salvage(&self, buf: &mut [u8], page: u64, mut from: usize, to: usize) -> Result {
        let first = page >> SECTOR_SHIFT;
        let offset = self.offset(first)?;
        let sector_size = SECTOR_SIZE as usize;
        let mut sec = [0u8; SECTOR_SIZE as usize];
        while from < to {
            let start = from - from % sector_size;
            let end = (start + sector_size).min(to);
            if self.bb.is_bad(first + (start / sector_size) as u64, 1) {
                buf[from..end].fill(0);
            } else {
                let rem = self.read_mc(offset + start, &mut sec)?;
                sec[sector_size - rem..].fill(0);
                buf[from..end].copy_from_slice(&sec[from - start..end - start]);
            }
            from = end;
        }
        Ok(())
    }

    /// Repairs the poisoned page at data position `page` with the `len` bytes of `iter` for
    /// data position `pos` (within the page). The new page is built in a bounce page first: the
    /// user's data, then what the medium holds around it (good bytes kept, bad bytes zeros). Only
    /// then is the poison cleared, the page written whole and flushed, and its bad sectors
    /// forgotten. If the user's buffer faults, the page is left as a reset of the bytes copied
    /// leaves it; if nothing could be copied, or the clear fails, the page is left as it was (the
    /// DAX core gives back what was taken from `iter`). Returns the bytes written.
    fn reset_page(
        &self,
        page: u64,
        pos: u64,
        len: usize,
        iter: &mut IovIterSource<'_>,
    ) -> Result<usize> {
        let mut buf = KVec::from_elem(0u8, PAGE_SIZE as usize, GFP_KERNEL)?;
        let at = (pos - page) as usize;
        let n = iter.copy_from_iter(&mut buf[at..at + len]);
        if n == 0 {
            return Err(EFAULT);
        }
        self.salvage(&mut buf, page, 0, at)?;
        self.salvage(&mut buf, page, at + n, PAGE_SIZE as usize)?;
        self.clear_page_for_reset(page)?;
        let first = page >> SECTOR_SHIFT;
        self.mem.write(self.offset(first)?, &buf)?;
        self.region.flush()?;
        let _ = self.bb.clear_bad(first, PAGE_SECTORS);
        // A clear that would split a listed range fails when the list is full: a page still
        // listed bad is not repaired, whatever it holds.
        if self.bb.is_bad(first, PAGE_SECTORS) {
            return Err(EIO);
        }
        Ok(n)
    }

    /// Writes `bytes` bytes of `iter` at data position `pos`, repairing the pages with poison.
    fn recovery_write_iter(&self, pos: u64, bytes: usize, iter: &mut IovIterSource<'_>) -> usize {
        let mut done = 0;
        for chunk in PageChunks::new(pos, bytes as u64) {
            let page = chunk.page_start();
            let len = chunk.len as usize;
            let n = if self.bb.is_bad(page >> SECTOR_SHIFT, PAGE_SECTORS) {
                match self.reset_page(page, chunk.offset, len, iter) {
                    Ok(n) => n,
                    Err(_) => return done,
                }
            } else {
                let Ok(offset) = self.offset(chunk.offset >> SECTOR_SHIFT) else {
                    return done;
                };
                let offset = offset + (chunk.offset % SECTOR_SIZE) as usize;
                self.mem
                    .copy_from_iter_flushcache(offset, len, iter)
                    .unwrap_or(0)
            };
            done += n;
            if n < len {
                break;
            }
        }
        done
    }

    #[inline]
    fn read(&self, sector: u64, buf: &mut [u8]) -> Result {
        if self.is_bad(sector, buf.len()) {
            return Err(EIO);
        }
        if self.read_mc(self.offset(sector)?, buf)? != 0 {
            return Err(EIO);
        }
        Ok(())
    }

    #[inline]
    fn write(&self, sector: u64, buf: &[u8]) -> Result {
        let offset = self.offset(sector)?;
        if self.is_bad(sector, buf.len()) {
            self.clear_poison(offset, buf.len())?;
        }
        self.mem.write(offset, buf)
    }
}

/// How many of the `nr_pages` pages from `sector` `direct_access` hands out in `mode`, given the
/// first known-bad range among them (`None` if there is none).
///
/// Plain access fails on poison. The recovery modes get the pages before the one with the first
/// bad sector, rounded up as the C driver does (so a page whose poison does not start it is
/// included), and at least the page asked for: recovery goes page by page, as clearing poison in
/// larger chunks is not reliable on all platforms.
fn usable_pages(
    sector: u64,
    nr_pages: usize,
    bad: Option<BadRange>,
    mode: AccessMode,
) -> Result<usize> {
    match bad {
        None => Ok(nr_pages),
        Some(_) if mode == AccessMode::Access => Err(EHWPOISON),
        Some(bad) => {
            let good = bad.start.saturating_sub(sector) << SECTOR_SHIFT;
            Ok((good.div_ceil(PAGE_SIZE) as usize).clamp(1, nr_pages.max(1)))
        }
    }
}

/// Splits the data bytes `at..end` at the first known-bad range `bad` found for their sectors:
/// returns `(good, 0)`, the good bytes from `at`, or `(0, bad)`, the bad bytes from `at` if `at`
/// is in the range.
fn split_at_bad(at: u64, end: u64, bad: Option<BadRange>) -> (u64, u64) {
    match bad {
        Some(r) if r.start * SECTOR_SIZE <= at => (0, (r.end() * SECTOR_SIZE).min(end) - at),
        Some(r) => ((r.start * SECTOR_SIZE).min(end) - at, 0),
        None => (end - at, 0),
    }
}

struct PmemDisk;

#[vtable]
impl bio::Operations for PmemDisk {
    type Data = Arc<Pmem>;

    const OWNER: kernel::ThisModule = <LocalModule as ModuleMetadata>::THIS_MODULE;

    fn badblocks(data: &Arc<Pmem>) -> Option<&BadBlocks> {
        Some(&data.bb)
    }

    fn submit_bio(pmem: ArcBorrow<'_, Pmem>, bio: Bio) {
        if bio.is_preflush() {
            if let Err(e) = pmem.region.flush() {
                bio.end(Err(e));
                return;
            }
        }
        let mut result = Ok(());
        if bio.has_data() {
            let _acct = bio.start_io_acct();
            let write = bio.is_write();
            for mut seg in bio.segments() {
                let sector = seg.sector();
                result = if write {
                    seg.with_data(|data| pmem.write(sector, data))
                } else {
                    seg.with_data_mut(|data| pmem.read(sector, data))
                };
                if result.is_err() {
                    break;
                }
            }
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

    fn direct_access(
        pmem: ArcBorrow<'_, Pmem>,
        pgoff: u64,
        nr_pages: usize,
        mode: AccessMode,
    ) -> Result<DirectAccess> {
        let offset = pgoff
            .checked_mul(PAGE_SIZE)
            .filter(|&o| o < pmem.data_len)
            .ok_or(ERANGE)?;
        let moffset = usize::try_from(offset + pmem.data_offset)?;
        let addr = pmem.mem.addr(moffset)?;
        let pfn = pmem.mem.pfn(moffset);
        let sector = dax::sector::pgoff_to_sector(pgoff);
        let nr_sectors = nr_pages as u64 * dax::sector::PAGE_SECTORS;
        let nr_pages = if pmem.bb.is_empty() {
            // No known poison: everything up to the end of the data is usable.
            ((pmem.data_len - offset) / PAGE_SIZE) as usize
        } else {
            usable_pages(sector, nr_pages, pmem.bb.check(sector, nr_sectors), mode)?
        };
        Ok(DirectAccess {
            nr_pages,
            addr,
            pfn,
        })
    }

    fn zero_page_range(pmem: ArcBorrow<'_, Pmem>, pgoff: u64, nr_pages: usize) -> Result {
        let first = dax::sector::pgoff_to_sector(pgoff);
        for i in 0..nr_pages as u64 * dax::sector::PAGE_SECTORS {
            pmem.write(first + i, &ZEROES)?;
        }
        Ok(())
    }

    fn recovery_write(
        pmem: ArcBorrow<'_, Pmem>,
        pgoff: u64,
        addr: *mut core::ffi::c_void,
        bytes: usize,
        iter: &mut IovIterSource<'_>,
    ) -> usize {
        let Some(offset) = pmem.mem.offset_of(addr) else {
            return 0;
        };
        let page_off = offset % PAGE_SIZE as usize;
        let len = (page_off + bytes).div_ceil(PAGE_SIZE as usize) * PAGE_SIZE as usize;
        let sector = dax::sector::pgoff_to_sector(pgoff);
        if !pmem.is_bad(sector, len) {
            return pmem
                .mem
                .copy_from_iter_flushcache(offset, bytes, iter)
                .unwrap_or(0);
        }
        // Only whole pages can be recovered.
        if page_off != 0 || bytes % PAGE_SIZE as usize != 0 {
            pr_debug!("rust_pmem: poison found, but the write is not page aligned\n");
            return 0;
        }
        let cleared = match pmem.clear_poison_bus(offset, len) {
            Ok(c) if c == len => c,
            Ok(c) => {
                pr_debug!("rust_pmem: poison cleared only {c} of {len} bytes\n");
                return 0;
            }
            Err(e) => {
                pr_debug!("rust_pmem: poison clear failed: {e:?}\n");
                return 0;
            }
        };
        let written = pmem
            .mem
            .copy_from_iter_flushcache(offset, bytes, iter)
            .unwrap_or(0);
        let _ = pmem
            .bb
            .clear_bad(pmem.sector_of(offset), (cleared >> SECTOR_SHIFT) as u64);
        written
    }

    fn recovery_copy_to_iter(
        pmem: ArcBorrow<'_, Pmem>,
        _pgoff: u64,
        addr: *mut core::ffi::c_void,
        bytes: usize,
        iter: &mut IovIterDest<'_>,
    ) -> usize {
        pmem.data_pos(addr)
            .map_or(0, |pos| pmem.recovery_read(pos, bytes, iter))
    }

    fn recovery_copy_from_iter(
        pmem: ArcBorrow<'_, Pmem>,
        _pgoff: u64,
        addr: *mut core::ffi::c_void,
        bytes: usize,
        iter: &mut IovIterSource<'_>,
    ) -> usize {
        pmem.data_pos(addr)
            .map_or(0, |pos| pmem.recovery_write_iter(pos, bytes, iter))
    }
}

/// A disk with its DAX device.
struct Attached {
    dax: Arc<dax::Device<PmemDax>>,
    relay: Arc<FailureRelay>,
    disk: Disk<PmemDisk>,
    pmem: Arc<Pmem>,
    kind: Kind,
}

impl Drop for Attached {
    fn drop(&mut self) {
        // Stop DAX first, then forget it for memory-failure reports; the disk goes next, the
        // memory last.
        self.dax.kill();
        self.relay.dax.lock().take();
    }
}

enum PmemData {
    Btt {
        _btt: BttAttachment,
        region: RegionRef,
    },
    Disk(Attached),
}

impl PmemData {
    fn region(&self) -> &RegionRef {
        match self {
            Self::Btt { region, .. } => region,
            Self::Disk(a) => &a.pmem.region,
        }
    }
}

struct RustPmem;

impl RustPmem {
    fn attach_disk(
        dev: &nvdimm::Device<kernel::device::Core<'_>>,
        ns: &nvdimm::Namespace,
    ) -> Result<PmemData> {
        let kind = dev.kind();
        dev.namespace_enable(ns, nvdimm::info_block_reserve())?;
        let mut cfg = PagemapConfig::new();
        let layout = match kind {
            Kind::Pfn => Some(dev.setup_pfn(&mut cfg)?),
            _ => None,
        };
        // The disk takes over: no more raw namespace access.
        dev.namespace_disable(ns);

        let (phys, size) = ns.resource();
        let region = dev.region();
        let fua = match region.has_flush() {
            Ok(fua) => fua,
            Err(_) => {
                dev_warn!(dev.as_ref(), "unable to guarantee persistence of writes\n");
                false
            }
        };
        let map_pages = kind == Kind::Pfn || dev.should_map_pages();
        if dev.request_mem_region(phys, size).is_err() {
            dev_warn!(
                dev.as_ref(),
                "could not reserve region {phys:#x}+{size:#x}\n"
            );
            return Err(EBUSY);
        }

        let relay = Arc::pin_init(
            pin_init!(FailureRelay {
                dax <- new_spinlock!(None),
                data_start: phys + layout.map_or(0, |l| l.data_offset),
            }),
            GFP_KERNEL,
        )?;
        let nid = dev.numa_node();
        let (mem, data_offset, pfn_pad, bb_start) = if let Some(l) = layout {
            let map_len = cfg.range_len();
            let mem = PmemMapping::with_pages(
                cfg,
                nid,
                Relay(relay.clone()),
                phys,
                usize::try_from(map_len)?,
            )?;
            (mem, l.data_offset, size - map_len, phys + l.data_offset)
        } else if map_pages {
            cfg.set_range(phys, phys + size - 1);
            let mem = PmemMapping::with_pages(
                cfg,
                nid,
                Relay(relay.clone()),
                phys,
                usize::try_from(size)?,
            )?;
            (mem, 0, 0, phys)
        } else {
            (
                PmemMapping::without_pages(phys, usize::try_from(size)?)?,
                0,
                0,
                phys,
            )
        };
        let data_len = size.checked_sub(pfn_pad + data_offset).ok_or(EINVAL)?;

        let name = ns.disk_name();
        let mc_name = CString::try_from_fmt(fmt!("rust_pmem_mc_{}", name.as_cstr()))?;
        let clear_name = CString::try_from_fmt(fmt!("rust_pmem_clear_{}", name.as_cstr()))?;
        let pmem = Arc::pin_init(
            try_pin_init!(Pmem {
                bb <- BadBlocks::new(),
                mem,
                data_offset,
                data_len,
                region,
                dev: dev.handle(),
                mc_fault <- FaultAttr::new(&mc_name, Some(c"offset")),
                clear_fault <- FaultAttr::new(&clear_name, Some(c"cleared")),
            }),
            GFP_KERNEL,
        )?;
        pmem.region
            .badblocks_populate(&pmem.bb, bb_start, phys + size - pfn_pad - 1);

        let limits = Limits {
            logical_block_size: ns.sector_size(),
            physical_block_size: PAGE_SIZE as u32,
            write_cache: true,
            fua,
            dax: map_pages,
        };
        let disk = Disk::<PmemDisk>::new(
            name.as_cstr(),
            data_len >> SECTOR_SHIFT,
            limits,
            nid,
            pmem.clone(),
        )?;
        let flags = dax::Flags {
            nocache: true,
            nomc: true,
            synchronous: pmem.region.is_sync(),
        };
        let dax = Arc::new(dax::Device::new(pmem.clone(), flags, &disk)?, GFP_KERNEL)?;
        dax.set_write_cache(pmem.region.has_cache());
        *relay.dax.lock() = Some(dax.clone());
        let attached = Attached {
            dax,
            relay,
            disk,
            pmem,
            kind,
        };
        // `attached` tears everything down if adding the disk fails.
        let mut attached = attached;
        attached.disk.add(dev.as_ref(), true)?;
        attached.disk.watch_badblocks(&attached.pmem.bb);
        attached.pmem.region.check_and_set_ro(&attached.disk);
        Ok(PmemData::Disk(attached))
    }

    fn revalidate_poison(dev: &nvdimm::Device<kernel::device::Core<'_>>, a: &Attached) {
        let Ok(ns) = dev.namespace() else {
            return;
        };
        let (phys, size) = ns.resource();
        let (offset, end_trunc) = match (a.kind, dev.pfn_layout()) {
            (Kind::Pfn, Some(l)) => (a.pmem.data_offset + l.start_pad, l.end_trunc),
            _ => (0, 0),
        };
        a.pmem
            .region
            .badblocks_populate(&a.pmem.bb, phys + offset, phys + size - 1 - end_trunc);
    }
}

impl nvdimm::Driver for RustPmem {
    type Data = PmemData;

    const TYPES: u64 = nvdimm::types::NAMESPACE_IO | nvdimm::types::NAMESPACE_PMEM;

    fn probe(dev: &nvdimm::Device<kernel::device::Core<'_>>) -> Result<PmemData> {
        let ns = dev.namespace()?;
        match dev.kind() {
            Kind::Btt => {
                return Ok(PmemData::Btt {
                    _btt: dev.attach_btt(ns)?,
                    region: dev.region(),
                })
            }
            Kind::Pfn => return Self::attach_disk(dev, ns),
            Kind::Namespace => {}
        }
        dev.namespace_enable(ns, nvdimm::info_block_reserve())?;
        if dev.probe_personality(ns)? == Personality::Claimed {
            // The personality's own device probes; this one stays unbound.
            return Err(ENXIO);
        }
        dev.namespace_disable(ns);
        Self::attach_disk(dev, ns)
    }

    fn remove(_dev: &nvdimm::Device<kernel::device::Core<'_>>, data: Pin<&PmemData>) {
        let _ = data.region().flush();
    }

    fn shutdown(_dev: &nvdimm::Device<kernel::device::Core<'_>>, data: Pin<&PmemData>) {
        let _ = data.region().flush();
    }

    fn notify(dev: &nvdimm::Device<kernel::device::Core<'_>>, data: Pin<&PmemData>, event: Event) {
        let PmemData::Disk(a) = data.get_ref() else {
            // The btt driver keeps its own poison list and disk.
            return;
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
        assert_eq!(usable_pages(0, 16, None, AccessMode::Access), Ok(16));
        assert_eq!(usable_pages(800, 1, None, AccessMode::RecoveryRead), Ok(1));
    }

    #[test]
    fn usable_pages_plain_access_fails() {
        assert_eq!(
            usable_pages(0, 4, bad(9, 1), AccessMode::Access),
            Err(EHWPOISON)
        );
    }

    #[test]
    fn usable_pages_recovery() {
        for mode in [AccessMode::RecoveryRead, AccessMode::RecoveryWrite] {
            // Poison in the page asked for: that page alone.
            assert_eq!(usable_pages(0, 4, bad(3, 1), mode), Ok(1));
            assert_eq!(usable_pages(8, 4, bad(8, 1), mode), Ok(1));
            // A range that starts before the page asked for.
            assert_eq!(usable_pages(16, 4, bad(10, 8), mode), Ok(1));
            // Poison at the start of page 2: pages 0 and 1.
            assert_eq!(usable_pages(0, 4, bad(16, 1), mode), Ok(2));
            // Poison inside page 2: rounded up to include it, as in C.
            assert_eq!(usable_pages(0, 4, bad(17, 1), mode), Ok(3));
            // Never more than asked for.
            assert_eq!(usable_pages(0, 2, bad(30, 1), mode), Ok(2));
        }
    }

    #[test]
    fn split_at_bad_ranges() {
        // Nothing bad: all good.
        assert_eq!(split_at_bad(100, 5000, None), (4900, 0));
        // A bad range further on: the good bytes before it.
        assert_eq!(split_at_bad(100, 5000, bad(4, 2)), (1948, 0));
        // At a bad range: its bytes from here, to its end or the request's.
        assert_eq!(split_at_bad(2048, 5000, bad(4, 2)), (0, 1024));
        assert_eq!(split_at_bad(2100, 2200, bad(4, 2)), (0, 100));
        // Inside a range that started before.
        assert_eq!(split_at_bad(3000, 8192, bad(4, 2)), (0, 72));
        // A range past the end of the request is not reached.
        assert_eq!(split_at_bad(0, 1000, bad(4, 2)), (1000, 0));
    }

    #[test]
    fn page_chunks_of_a_reset() {
        // A reset of 3 pages + 10 bytes from 300 bytes into page 1 touches pages 1 to 4.
        let chunks: KVec<_> = {
            let mut v = KVec::new();
            for c in PageChunks::new(PAGE_SIZE + 300, 3 * PAGE_SIZE + 10) {
                v.push((c.page_start() / PAGE_SIZE, c.len), GFP_KERNEL)
                    .expect("allocation");
            }
            v
        };
        assert_eq!(
            &chunks[..],
            &[
                (1, PAGE_SIZE - 300),
                (2, PAGE_SIZE),
                (3, PAGE_SIZE),
                (4, 310)
            ]
        );
    }
}
