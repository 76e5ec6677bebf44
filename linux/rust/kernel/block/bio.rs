// SPDX-License-Identifier: GPL-2.0

//! Bio-based block devices.
//!
//! A driver of memory-like storage completes I/O synchronously, in the submitter's context, and
//! gains nothing from request queues: it takes each `struct bio` as it is submitted
//! ([`Operations::submit_bio`]), moves its data segment by segment ([`Bio::data`],
//! [`Segment`]) and ends it ([`Bio::end`]). Its disk is built by the same [`GenDiskBuilder`] as
//! a blk-mq disk, with [`GenDiskBuilder::build_bio`], set up as a [`NewDisk`] (a DAX device is
//! hosted on it then) and added, which makes it a [`Disk`].
//!
//! C header: [`include/linux/bio.h`](srctree/include/linux/bio.h),
//! [`include/linux/blkdev.h`](srctree/include/linux/blkdev.h)
//!
//! # Examples
//!
//! A bio's data is walked segment by segment; a segment's bytes are copied by the medium's own
//! copy methods (for persistent memory, `PmemMapping::write_segment` and `read_mc_segment`),
//! never through a slice of the bio's pages, which may be user memory another thread writes.
//! The segments carry the bio's direction ([`Read`], [`Write`]): the data of a write bio is
//! only ever read, that of a read bio only written.
//!
//! ```
//! use kernel::block::bio::{Bio, Data};
//!
//! /// The bytes a bio moves, and the first sector it moves them to or from.
//! fn extent(bio: &Bio) -> (usize, Option<u64>) {
//!     match bio.data() {
//!         Some(Data::Read(segs)) => {
//!             let first = segs.clone().next().map(|seg| seg.sector());
//!             (segs.map(|seg| seg.len()).sum(), first)
//!         }
//!         Some(Data::Write(segs)) => {
//!             let first = segs.clone().next().map(|seg| seg.sector());
//!             (segs.map(|seg| seg.len()).sum(), first)
//!         }
//!         None => (0, None),
//!     }
//! }
//! ```

use super::{badblocks::BadBlocks, mq::gen_disk::GenDiskBuilder, SECTOR_SHIFT};
use crate::{
    bindings, device,
    error::{from_err_ptr, to_result},
    fmt::{self, Write as _},
    num::casts::FromSafeCast,
    page::PAGE_SIZE,
    prelude::*,
    static_lock_class,
    str::NullTerminatedFormatter,
    sync::Arc,
    types::ForeignOwnable,
};
use core::{marker::PhantomData, mem::ManuallyDrop, ptr::NonNull};

/// The operations of a bio-based disk.
#[macros::vtable]
pub trait Operations: Sized {
    /// The driver's data, handed to every operation.
    type Data: ForeignOwnable + Send + Sync;

    /// Carries out `bio`, which the driver must end (see [`Bio::end`]; dropping it ends it with
    /// an I/O error).
    fn submit_bio(data: <Self::Data as ForeignOwnable>::Borrowed<'_>, bio: Bio);
}

/// A block I/O request, owned by the driver until it ends it.
///
/// # Invariants
///
/// `ptr` is a bio submitted to the driver and not ended yet.
pub struct Bio {
    ptr: NonNull<bindings::bio>,
}

// SAFETY: A bio may be ended from any thread.
unsafe impl Send for Bio {}

impl Bio {
    /// Returns `true` if the bio writes.
    #[inline]
    pub fn is_write(&self) -> bool {
        // C's `op_is_write()`: writing operations have odd numbers.
        self.op() & 1 != 0
    }

    #[inline]
    fn opf(&self) -> bindings::blk_opf_t {
        // SAFETY: By the type invariant the bio is valid.
        unsafe { (*self.ptr.as_ptr()).bi_opf }
    }

    /// The operation, C's `bio_op()`.
    #[inline]
    fn op(&self) -> bindings::req_op {
        self.opf() & ((1 << bindings::REQ_OP_BITS) - 1)
    }

    /// Returns `true` if the bio asks for a cache flush before its data (`REQ_PREFLUSH`).
    #[inline]
    pub fn is_preflush(&self) -> bool {
        self.opf() & bindings::REQ_PREFLUSH != 0
    }

    /// Returns `true` if the bio's data must be durable when it ends (`REQ_FUA`).
    #[inline]
    pub fn is_fua(&self) -> bool {
        self.opf() & bindings::REQ_FUA != 0
    }

    /// Returns `true` if the bio carries data (a flush alone does not, nor does a discard or a
    /// write of zeroes, whose size is that of the range they act on).
    #[inline]
    pub fn has_data(&self) -> bool {
        // C's `bio_has_data()`, which these calls per bio cannot afford to call out of line.
        !self.is_empty()
            && !matches!(
                self.op(),
                bindings::req_op_REQ_OP_DISCARD
                    | bindings::req_op_REQ_OP_SECURE_ERASE
                    | bindings::req_op_REQ_OP_WRITE_ZEROES
            )
    }

    /// Returns the first sector of the bio.
    #[inline]
    pub fn sector(&self) -> u64 {
        // SAFETY: By the type invariant the bio is valid.
        unsafe { (*self.ptr.as_ptr()).bi_iter.bi_sector }
    }

    /// Returns the number of bytes of the bio.
    #[inline]
    pub fn len(&self) -> u32 {
        // SAFETY: By the type invariant the bio is valid.
        unsafe { (*self.ptr.as_ptr()).bi_iter.bi_size }
    }

    /// Returns `true` if the bio has no data bytes.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Gives up ownership of the bio without ending it, for a C interface that ends it.
    #[inline]
    pub(crate) fn into_raw(self) -> *mut bindings::bio {
        let ptr = self.ptr.as_ptr();
        core::mem::forget(self);
        ptr
    }

    /// Returns the bio's data segments, each within one page, typed by the bio's direction;
    /// `None` if it carries no data (see [`Bio::has_data`]).
    #[inline]
    pub fn data(&self) -> Option<Data<'_>> {
        if !self.has_data() {
            return None;
        }
        Some(if self.is_write() {
            Data::Write(self.segments())
        } else {
            Data::Read(self.segments())
        })
    }

    /// Returns the bio's data segments, in direction `D`, which the caller checked.
    #[inline]
    fn segments<D: Direction>(&self) -> Segments<'_, D> {
        // SAFETY: By the type invariant the bio is valid.
        let iter = unsafe { (*self.ptr.as_ptr()).bi_iter };
        // INVARIANT: The bio has data (checked by the caller), so it has the vector its iterator
        // walks.
        Segments {
            bio: self,
            iter,
            _dir: PhantomData,
        }
    }

    /// Starts I/O accounting for the bio if the disk's queue asks for it; the returned token
    /// ends it.
    #[inline]
    pub fn start_io_acct(&self) -> IoAcct<'_> {
        // SAFETY: By the type invariant the bio and its disk are valid.
        let stat = unsafe {
            bindings::blk_queue_io_stat((*(*(*self.ptr.as_ptr()).bi_bdev).bd_disk).queue)
        };
        // SAFETY: By the type invariant the bio is valid.
        let start = stat.then(|| unsafe { bindings::bio_start_io_acct(self.ptr.as_ptr()) });
        IoAcct { bio: self, start }
    }

    /// Ends the bio with `result`.
    #[inline]
    pub fn end(self, result: Result) {
        let status = match result {
            Ok(()) => 0,
            // SAFETY: `errno_to_blk_status()` has no preconditions.
            Err(e) => unsafe { bindings::errno_to_blk_status(e.to_errno()) },
        };
        let ptr = self.into_raw();
        // SAFETY: `ptr` is a bio not ended yet, owned by us; `bio_endio()` ends it.
        unsafe {
            (*ptr).bi_status = status;
            bindings::bio_endio(ptr);
        }
    }
}

impl Drop for Bio {
    fn drop(&mut self) {
        let ptr = self.ptr.as_ptr();
        // SAFETY: By the type invariant the bio was not ended; it is ended here, once.
        unsafe {
            (*ptr).bi_status = bindings::errno_to_blk_status(EIO.to_errno());
            bindings::bio_endio(ptr);
        }
    }
}

/// I/O accounting of a [`Bio`] in progress, from [`Bio::start_io_acct`]; ends it when dropped.
pub struct IoAcct<'a> {
    bio: &'a Bio,
    start: Option<usize>,
}

impl Drop for IoAcct<'_> {
    #[inline]
    fn drop(&mut self) {
        if let Some(start) = self.start {
            // SAFETY: The bio is valid and its accounting was started at `start`.
            unsafe { bindings::bio_end_io_acct(self.bio.ptr.as_ptr(), start) };
        }
    }
}

/// The direction of a [`Bio`]'s data, as its [`Segment`]s carry it: [`Read`] or [`Write`].
pub trait Direction: private::Sealed {}

/// The data of a read [`Bio`]: the driver writes the segments, never reads them.
pub enum Read {}

/// The data of a write [`Bio`]: the driver reads the segments, never writes them (they may be
/// the zero page, or pages a file maps).
pub enum Write {}

impl Direction for Read {}
impl Direction for Write {}

mod private {
    pub trait Sealed {}
    impl Sealed for super::Read {}
    impl Sealed for super::Write {}
}

/// The data of a [`Bio`], by direction, from [`Bio::data`].
pub enum Data<'a> {
    /// A read: the segments are filled.
    Read(Segments<'a, Read>),
    /// A write: the segments are taken.
    Write(Segments<'a, Write>),
}

/// The data segments of a [`Bio`], from [`Bio::data`].
///
/// Empty entries of the bio's vector are walked past, as C's iterator does.
///
/// This is C's `bio_for_each_segment()`, written out (`bio_iter_iovec()` and
/// `bio_advance_iter_single()` are inline C, and calling them out of line for every page costs
/// a bio-based driver more than the rest of its walk).
///
/// # Invariants
///
/// `iter` is the bio's iterator (`bi_iter`) or advanced from it by whole segments, and the bio
/// has data unless `iter.bi_size` is 0: while bytes are left, `iter.bi_idx` indexes an entry of
/// the bio's vector (`bi_io_vec`), with `iter.bi_offset` bytes of it done.
pub struct Segments<'a, D: Direction> {
    bio: &'a Bio,
    iter: bindings::bvec_iter,
    _dir: PhantomData<D>,
}

impl<D: Direction> Clone for Segments<'_, D> {
    fn clone(&self) -> Self {
        Self {
            bio: self.bio,
            iter: self.iter,
            _dir: PhantomData,
        }
    }
}

impl<'a, D: Direction> Iterator for Segments<'a, D> {
    type Item = Segment<'a, D>;

    #[inline]
    fn next(&mut self) -> Option<Segment<'a, D>> {
        let mut it = self.iter;
        // C's `bio_for_each_segment()` walks past an empty entry (its length-0 segment moves no
        // bytes): so do we, rather than end the walk with bytes left.
        let bv = loop {
            if it.bi_size == 0 {
                return None;
            }
            // SAFETY: By the type invariants the bio is valid and, as bytes are left, entry
            // `bi_idx` of its vector exists.
            let bv = unsafe {
                *(*self.bio.ptr.as_ptr())
                    .bi_io_vec
                    .add(usize::from_safe_cast(it.bi_idx))
            };
            if bv.bv_len != it.bi_offset {
                break bv;
            }
            // INVARIANT: The entry is done; bytes are left, so the vector has a next entry.
            it.bi_idx = it.bi_idx.wrapping_add(1);
            it.bi_offset = 0;
        };
        // C's `bvec_iter_bvec()`: the part of the entry left, up to the end of its page.
        let at = usize::from_safe_cast(bv.bv_offset.wrapping_add(it.bi_offset));
        let offset = at % PAGE_SIZE;
        let left = bv.bv_len.wrapping_sub(it.bi_offset).min(it.bi_size);
        let len = usize::from_safe_cast(left).min(PAGE_SIZE - offset);
        if len == 0 {
            // Cannot be: the entry has bytes left, and so does the bio.
            return None;
        }
        let seg = Segment {
            len,
            sector: it.bi_sector,
            _bio: PhantomData,
        };
        // C's `bio_advance_iter_single()` by the segment: `len` is at most `left`, a `u32`.
        let len = u32::try_from(len).unwrap_or(left);
        let done = it.bi_offset.wrapping_add(len);
        if done == bv.bv_len {
            it.bi_idx = it.bi_idx.wrapping_add(1);
            it.bi_offset = 0;
        } else {
            it.bi_offset = done;
        }
        it.bi_size -= len;
        it.bi_sector = it.bi_sector.wrapping_add(u64::from(len >> SECTOR_SHIFT));
        // INVARIANT: `it` is advanced by the segment.
        self.iter = it;
        Some(seg)
    }
}

/// A piece of a [`Bio`]'s data: `len` bytes within one page of memory, for the sectors from
/// [`Segment::sector`].
pub struct Segment<'a, D: Direction> {
    len: usize,
    sector: u64,
    _bio: PhantomData<(&'a Bio, D)>,
}

impl<D: Direction> Segment<'_, D> {
    /// Returns the first sector of the device the segment is for.
    #[inline]
    pub fn sector(&self) -> u64 {
        self.sector
    }

    /// Returns the number of bytes of the segment.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Returns `true` if the segment is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Sysfs attribute groups that a subsystem adds to the disks it hosts something on, such as
/// the `dax` group of a disk that hosts a DAX device ([`dax::HOST_GROUPS`]); see
/// [`NewDisk::add`].
///
/// [`dax::HOST_GROUPS`]: crate::dax::HOST_GROUPS
///
/// # Invariants
///
/// The slice ends with a NULL pointer, and every other pointer in it is a valid, static
/// `struct attribute_group`.
pub struct DiskGroups(&'static [*const bindings::attribute_group]);

// SAFETY: The groups are static and immutable.
unsafe impl Sync for DiskGroups {}

impl DiskGroups {
    /// Wraps `groups`, for [`NewDisk::add`].
    ///
    /// # Safety
    ///
    /// `groups` ends with a NULL pointer, and every other pointer in it is a valid, static
    /// `struct attribute_group`.
    pub const unsafe fn new(groups: &'static [*const bindings::attribute_group]) -> Self {
        // INVARIANT: The caller guarantees it.
        Self(groups)
    }
}

impl GenDiskBuilder {
    /// Builds a bio-based disk with the operations `T`, named by `name`, on NUMA node `nid`,
    /// handing `data` to its operations, to be set up and then added with [`NewDisk::add`].
    /// `badblocks`, if any, is the disk's list of known-bad sectors, shown in
    /// `/sys/block/<disk>/badblocks`; the disk keeps a reference to it.
    ///
    /// The disk takes bios of any size (`max_hw_sectors` is unlimited): a bio-based driver is
    /// handed each bio whole.
    ///
    /// Fails with `EINVAL` if the name does not fit in `DISK_NAME_LEN` bytes, or if `nid` is
    /// neither `NUMA_NO_NODE` nor a node number below `MAX_NUMNODES` (as
    /// [`NumaNode::new`](crate::alloc::NumaNode::new) checks): the allocations take it as an
    /// index.
    pub fn build_bio<T: Operations>(
        self,
        name: fmt::Arguments<'_>,
        nid: i32,
        data: T::Data,
        badblocks: Option<Arc<BadBlocks>>,
    ) -> Result<NewDisk<T>> {
        if nid != bindings::NUMA_NO_NODE && crate::alloc::NumaNode::new(nid).is_err() {
            return Err(EINVAL);
        }
        let mut lim = self.queue_limits();
        lim.max_hw_sectors = u32::MAX;
        // SAFETY: `lim` is valid, `nid` a node number or `NUMA_NO_NODE` (checked above); the
        // lock class is static.
        let ptr = from_err_ptr(unsafe {
            bindings::__blk_alloc_disk(&mut lim, nid, static_lock_class!().as_ptr())
        })?;
        // SAFETY: `ptr` is a new, valid disk that nothing else uses yet. The disk owns `data`
        // from here: `NewDisk`'s drop puts the disk and reclaims it.
        unsafe {
            (*ptr).fops = &NewDisk::<T>::FOPS;
            (*ptr).private_data = data.into_foreign();
        }
        // INVARIANT: `ptr` is a disk from `blk_alloc_disk()` with the data of `T` and no list of
        // known-bad sectors yet; the list is set below, once the disk is named.
        let mut disk = NewDisk {
            // SAFETY: `from_err_ptr` succeeded, so `ptr` is not NULL.
            ptr: unsafe { NonNull::new_unchecked(ptr) },
            badblocks: None,
            _t: PhantomData,
        };
        let mut writer = NullTerminatedFormatter::new(
            // SAFETY: The disk is valid, and not added: nothing else reads its name.
            unsafe { &mut (*ptr).disk_name },
        )
        .ok_or(EINVAL)?;
        writer.write_fmt(name).map_err(|_| EINVAL)?;
        if let Some(bb) = badblocks.as_ref() {
            // SAFETY: The disk is valid and not added; the disk owns a reference to the list
            // (`disk.badblocks`, below) until it is deleted.
            unsafe { (*ptr).bb = bb.as_raw() };
        }
        disk.badblocks = badblocks;
        // SAFETY: The disk is valid.
        unsafe { bindings::set_capacity(ptr, self.capacity()) };
        Ok(disk)
    }
}

/// A bio-based disk with the operations `T`, built but not added yet: from
/// [`GenDiskBuilder::build_bio`], added with [`NewDisk::add`]. Dropping it puts the disk, then
/// drops the data.
///
/// # Invariants
///
/// `ptr` is a disk from `blk_alloc_disk()`, not added, whose `fops` are those of `T` and whose
/// `private_data` is a `T::Data` from `into_foreign()`, reclaimed when the disk is put. The disk's
/// `bb` is NULL or the list of `badblocks`, which the disk owns a reference to.
pub struct NewDisk<T: Operations> {
    ptr: NonNull<bindings::gendisk>,
    badblocks: Option<Arc<BadBlocks>>,
    _t: PhantomData<T>,
}

// SAFETY: The C disk may be used from any thread.
unsafe impl<T: Operations> Send for NewDisk<T> {}
// SAFETY: Methods taking `&self` call C functions that synchronise themselves.
unsafe impl<T: Operations> Sync for NewDisk<T> {}

impl<T: Operations> NewDisk<T> {
    const FOPS: bindings::block_device_operations = bindings::block_device_operations {
        submit_bio: Some(Self::submit_bio_callback),
        // An open disk pins the driver's module, as `THIS_MODULE` does in C.
        owner: crate::module::this_module::<T::OwnerModule>().as_ptr(),
        ..pin_init::zeroed()
    };

    /// Adds the disk to the system, below `parent`, with the sysfs attribute `groups` of what it
    /// hosts, if any. From then on every change of the disk's list of known-bad sectors wakes
    /// the pollers of `/sys/block/<disk>/badblocks`, as C drivers do with
    /// `sysfs_notify_dirent()`. On failure the disk is put.
    pub fn add(
        self,
        parent: &device::Device<device::Bound>,
        groups: Option<&'static DiskGroups>,
    ) -> Result<Disk<T>> {
        let groups = groups.map_or(core::ptr::null(), |g| g.0.as_ptr());
        // SAFETY: The disk is valid and not added; `parent` is a bound device; `groups` is NULL
        // or a static NULL-terminated array of static groups (invariant of `DiskGroups`).
        to_result(unsafe {
            bindings::device_add_disk(parent.as_raw(), self.ptr.as_ptr(), groups.cast_mut())
        })?;
        let this = ManuallyDrop::new(self);
        // INVARIANT: The disk was added above; its data and list move from `this`, which is not
        // dropped.
        let disk = Disk {
            ptr: this.ptr,
            // SAFETY: `this` is not used after this read, nor dropped.
            badblocks: unsafe { core::ptr::read(&this.badblocks) },
            _t: PhantomData,
        };
        if let Some(bb) = disk.badblocks.as_ref() {
            // SAFETY: The disk is valid and added, so its sysfs directory exists.
            let kn = unsafe { bindings::disk_badblocks_file(disk.ptr.as_ptr()) };
            if let Some(kn) = NonNull::new(kn) {
                // SAFETY: `disk_badblocks_file()` took a reference to `kn`, which goes to `bb`.
                unsafe { bb.set_sysfs(kn) };
            }
        }
        Ok(disk)
    }

    extern "C" fn submit_bio_callback(bio: *mut bindings::bio) {
        // SAFETY: The block layer passes a valid bio of a disk of this type, whose private data
        // is a `T::Data` that lives until the disk is deleted, which waits for running I/O.
        let data = unsafe { T::Data::borrow((*(*(*bio).bi_bdev).bd_disk).private_data) };
        // INVARIANT: The bio was submitted to us and is not ended.
        let bio = Bio {
            // SAFETY: `bio` is not NULL.
            ptr: unsafe { NonNull::new_unchecked(bio) },
        };
        T::submit_bio(data, bio);
    }
}

/// Puts `ptr` and then drops its data.
///
/// # Safety
///
/// `ptr` is a disk of `T` (see [`NewDisk`]'s invariants) that is not added, or deleted, and
/// not used after this.
unsafe fn put_disk<T: Operations>(ptr: NonNull<bindings::gendisk>) {
    // SAFETY: By the caller's guarantee the disk is valid, and its data a `T::Data` from
    // `into_foreign()` that nothing uses once the disk is put.
    unsafe {
        let data = (*ptr.as_ptr()).private_data;
        bindings::put_disk(ptr.as_ptr());
        drop(T::Data::from_foreign(data));
    }
}

impl<T: Operations> Drop for NewDisk<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the disk is of `T` and not added.
        unsafe { put_disk::<T>(self.ptr) };
    }
}

/// A bio-based disk with the operations `T`, added to the system by [`NewDisk::add`]. Dropping
/// it deletes it (waiting for running I/O), puts it, then drops the data.
///
/// # Invariants
///
/// As [`NewDisk`]'s, except that the disk was added (`device_add_disk()`) and the list of
/// known-bad sectors, if any, notifies its sysfs file.
pub struct Disk<T: Operations> {
    ptr: NonNull<bindings::gendisk>,
    badblocks: Option<Arc<BadBlocks>>,
    _t: PhantomData<T>,
}

// SAFETY: The C disk may be used from any thread.
unsafe impl<T: Operations> Send for Disk<T> {}
// SAFETY: Methods taking `&self` call C functions that synchronise themselves.
unsafe impl<T: Operations> Sync for Disk<T> {}

impl<T: Operations> Drop for Disk<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the disk is added: delete it, which waits for running
        // I/O and removes the badblocks file, then put it.
        unsafe {
            bindings::del_gendisk(self.ptr.as_ptr());
            put_disk::<T>(self.ptr);
        }
        // The list goes after the file that reads it.
        drop(self.badblocks.take());
    }
}

#[macros::kunit_tests(rust_kernel_bio)]
mod tests {
    use super::*;

    /// Walks a read bio of 512-byte-aligned entries of `lens` bytes from sector 8, as a driver
    /// does, and returns its segments' lengths and sectors.
    fn walk(lens: &[u32]) -> KVec<(usize, u64)> {
        let mut vec = KVec::new();
        for &len in lens {
            // A NULL page, never mapped here: the walk only computes page addresses.
            let mut bv: bindings::bio_vec = pin_init::zeroed();
            bv.bv_len = len;
            vec.push(bv, GFP_KERNEL).expect("allocation");
        }
        // A read: `REQ_OP_READ` is 0.
        let mut raw: bindings::bio = pin_init::zeroed();
        raw.bi_io_vec = vec.as_mut_ptr();
        raw.bi_iter.bi_size = lens.iter().sum();
        raw.bi_iter.bi_sector = 8;
        // Never submitted, so never ended: the walk only reads the bio and its vector.
        let bio = ManuallyDrop::new(Bio {
            ptr: NonNull::from(&mut raw),
        });
        let mut out = KVec::new();
        if let Some(Data::Read(segs)) = bio.data() {
            for seg in segs {
                out.push((seg.len(), seg.sector()), GFP_KERNEL)
                    .expect("allocation");
            }
        }
        out
    }

    #[test]
    fn empty_entries_are_walked_past() {
        // C's walk moves every byte: the entries after an empty one are not lost.
        assert_eq!(&walk(&[512, 0, 1024, 0])[..], &[(512, 8), (1024, 9)]);
        assert_eq!(&walk(&[0, 512])[..], &[(512, 8)]);
        assert_eq!(&walk(&[1024])[..], &[(1024, 8)]);
    }
}
