// SPDX-License-Identifier: GPL-2.0

//! libnvdimm namespace drivers.
//!
//! libnvdimm presents persistent memory as regions ([`Region`]) carved into namespaces
//! ([`Namespace`]). A namespace driver (the pmem driver) binds to a namespace device or to one of
//! its personalities: a pfn device (fsdax, with a memmap reserved on the medium) or a btt device
//! (sector mode). It implements [`Driver`] and registers with
//! [`module_nd_driver!`](crate::module_nd_driver).
//!
//! C headers: [`include/linux/nd.h`](srctree/include/linux/nd.h),
//! [`include/linux/libnvdimm.h`](srctree/include/linux/libnvdimm.h),
//! [`drivers/nvdimm/nd.h`](srctree/drivers/nvdimm/nd.h)

use crate::{
    bindings,
    block::{badblocks::BadBlocks, bio::Bio},
    device, driver,
    error::{from_err_ptr, from_result, to_result},
    ffi::{c_long, c_uint},
    io::resource::{Flags, Resource},
    mm::memremap::{PagemapConfig, PagemapOps, PmemMapping, PmemRange},
    num::casts::FromSafeCast,
    prelude::*,
    sync::{
        aref::{ARef, AlwaysRefCounted},
        Arc,
    },
    types::Opaque,
    ThisModule,
};
use core::{marker::PhantomData, ptr::NonNull};

/// Which devices a driver binds to: a set of the C `ND_DRIVER_NAMESPACE_*` bits.
///
/// Only namespace types can be named: a driver of [`Driver`] is handed its devices as namespaces
/// (or their pfn and btt personalities) whose parent is a region, which a DIMM or region device
/// is not.
///
/// ```compile_fail
/// use kernel::nvdimm::Types;
///
/// // A DIMM is not a namespace: no `Types` names it.
/// const DIMM: Types = Types(1 << kernel::bindings::ND_DEVICE_DIMM);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Types(usize);

impl Types {
    /// Legacy persistent memory namespaces (e820, `memmap=`).
    pub const NAMESPACE_IO: Self = Self(1 << bindings::ND_DEVICE_NAMESPACE_IO);
    /// Label-backed persistent memory namespaces (ACPI NFIT).
    pub const NAMESPACE_PMEM: Self = Self(1 << bindings::ND_DEVICE_NAMESPACE_PMEM);

    /// Returns the types of `self` and of `other`.
    pub const fn or(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

/// What libnvdimm tells a bound driver ([`Driver::notify`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The bus learned of new poison: re-read the known-bad list.
    RevalidatePoison,
    /// The region changed (for instance became read-only).
    RevalidateRegion,
}

/// A libnvdimm namespace driver.
pub trait Driver: Send {
    /// The driver's data for a bound device, which may borrow from the binding (`'bound`).
    type Data<'bound>: Send + Sync + 'bound;

    /// The devices the driver binds to (see [`Types`]).
    const TYPES: Types;

    /// Binds to `dev`: returns the initializer of its data.
    fn probe<'bound>(
        dev: &'bound Device<device::Core<'_>>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound;

    /// The device is being unbound; `this` is dropped afterwards.
    fn unbind<'bound>(dev: &'bound Device<device::Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        let _ = (dev, this);
    }

    /// Handles `event` for the bound `dev`.
    fn notify<'bound>(
        dev: &'bound Device<device::Core<'_>>,
        this: Pin<&Self::Data<'bound>>,
        event: Event,
    ) {
        let _ = (dev, this, event);
    }

    /// The system shuts down.
    fn shutdown<'bound>(dev: &'bound Device<device::Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        let _ = (dev, this);
    }
}

/// The registration adapter of namespace drivers (see
/// [`module_nd_driver!`](crate::module_nd_driver)).
pub struct Adapter<T: Driver>(T);

// SAFETY: `nd_device_driver` is a C type; its `struct device_driver` is at `drv`, and the
// driver's device private data is `T::Data`.
unsafe impl<T: Driver + 'static> driver::DriverLayout for Adapter<T> {
    type DriverType = bindings::nd_device_driver;
    type DriverData<'bound> = T::Data<'bound>;
    const DEVICE_DRIVER_OFFSET: usize = core::mem::offset_of!(bindings::nd_device_driver, drv);
}

// SAFETY: `unregister` is only called after a successful `register` of the same driver.
unsafe impl<T: Driver + 'static> driver::RegistrationOps for Adapter<T> {
    unsafe fn register(
        reg: &Opaque<Self::DriverType>,
        name: &'static CStr,
        module: &'static ThisModule,
    ) -> Result {
        // SAFETY: The driver is not registered yet, so its fields may be set.
        unsafe {
            let drv = reg.get();
            (*drv).drv.name = name.as_char_ptr();
            (*drv).type_ = T::TYPES.0;
            (*drv).probe = Some(Self::probe_callback);
            (*drv).remove = Some(Self::remove_callback);
            (*drv).shutdown = Some(Self::shutdown_callback);
            (*drv).notify = Some(Self::notify_callback);
        }
        // SAFETY: `reg` is a valid, pinned driver.
        to_result(unsafe {
            bindings::__nd_driver_register(reg.get(), module.as_ptr(), name.as_char_ptr())
        })
    }

    unsafe fn unregister(reg: &Opaque<Self::DriverType>) {
        // SAFETY: `reg` was registered.
        unsafe { bindings::driver_unregister(&raw mut (*reg.get()).drv) };
    }
}

impl<T: Driver + 'static> Adapter<T> {
    /// # Safety
    ///
    /// `dev` is a valid nd bus device whose device lock is held for `'a`.
    unsafe fn core<'a>(dev: *mut bindings::device) -> &'a Device<device::CoreInternal<'a>> {
        // SAFETY: `Device` is a transparent wrapper of `struct device`; valid per the contract.
        unsafe { &*dev.cast() }
    }

    extern "C" fn probe_callback(dev: *mut bindings::device) -> c_int {
        // SAFETY: The nd bus calls probe with a valid device, under its device lock.
        let dev = unsafe { Self::core(dev) };
        from_result(|| {
            dev.as_ref().set_drvdata(T::probe(dev))?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// `dev` is bound to this driver and its lock is held.
    unsafe fn data<'a>(dev: &'a Device<device::CoreInternal<'a>>) -> Pin<&'a T::Data<'a>> {
        // SAFETY: A bound device of this driver had `set_drvdata()` with a `T::Data` at probe.
        unsafe { dev.as_ref().drvdata_borrow::<T::Data<'a>>() }
    }

    extern "C" fn remove_callback(dev: *mut bindings::device) {
        // SAFETY: The nd bus calls remove with a bound device, under its device lock.
        let dev = unsafe { Self::core(dev) };
        // SAFETY: As above.
        let data = unsafe { Self::data(dev) };
        T::unbind(dev, data);
    }

    extern "C" fn shutdown_callback(dev: *mut bindings::device) {
        // SAFETY: The nd bus calls shutdown with a valid device, under its device lock.
        let dev = unsafe { Self::core(dev) };
        // SAFETY: `dev->driver` is this driver, so the device is bound.
        let data = unsafe { Self::data(dev) };
        T::shutdown(dev, data);
    }

    extern "C" fn notify_callback(dev: *mut bindings::device, event: bindings::nvdimm_event) {
        // SAFETY: The nd bus notifies a device bound to this driver, under its device lock.
        let dev = unsafe { Self::core(dev) };
        // SAFETY: As above.
        let data = unsafe { Self::data(dev) };
        let event = match event {
            bindings::nvdimm_event_NVDIMM_REVALIDATE_POISON => Event::RevalidatePoison,
            bindings::nvdimm_event_NVDIMM_REVALIDATE_REGION => Event::RevalidateRegion,
            _ => return,
        };
        T::notify(dev, data, event);
    }
}

/// Declares a kernel module that registers one namespace driver.
///
/// # Examples
///
/// ```ignore
/// kernel::module_nd_driver! {
///     type: MyPmem,
///     name: "my_pmem",
///     authors: ["..."],
///     description: "...",
///     license: "GPL v2",
/// }
/// ```
#[macro_export]
macro_rules! module_nd_driver {
    ($($f:tt)*) => {
        $crate::module_driver!(<T>, $crate::nvdimm::Adapter<T>, { $($f)* });
    };
}

/// A device on the nvdimm bus that a namespace driver binds to: a namespace, or its pfn, dax or
/// btt personality.
///
/// # Invariants
///
/// The wrapped `struct device` is a device of the nvdimm bus.
#[repr(transparent)]
pub struct Device<Ctx: device::DeviceContext = device::Normal>(
    Opaque<bindings::device>,
    PhantomData<Ctx>,
);

impl<Ctx: device::DeviceContext> AsRef<device::Device<Ctx>> for Device<Ctx> {
    fn as_ref(&self) -> &device::Device<Ctx> {
        // SAFETY: `self.0` is a valid `struct device`.
        unsafe { device::Device::from_raw(self.0.get()) }
    }
}

crate::impl_device_context_deref!(unsafe { Device });

/// The personality of a [`Device`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A namespace: raw access to its media.
    Namespace,
    /// A pfn device: the namespace in fsdax mode.
    Pfn,
    /// A btt device: the namespace in sector mode.
    Btt,
}

/// What [`Device::probe_personality`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Personality {
    /// No personality: use the namespace raw.
    None,
    /// A personality claimed the namespace: its own device will probe; this one stays unbound
    /// (return `ENXIO`).
    Claimed,
}

/// The layout of an fsdax (pfn) namespace, from its info block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PfnLayout {
    /// The offset of the data from the start of the namespace, in bytes.
    pub data_offset: u64,
    /// Padding at the start of the namespace (deprecated), in bytes. Always 0:
    /// [`Device::setup_pfn`] refuses a layout with padding (`EOPNOTSUPP`).
    pub start_pad: u64,
    /// Bytes cut from the end of the namespace.
    pub end_trunc: u64,
}

impl<'a> Device<device::Core<'a>> {
    fn raw(&self) -> *mut bindings::device {
        self.0.get()
    }

    /// Returns the personality of the device.
    pub fn kind(&self) -> Kind {
        // SAFETY: The device is valid.
        if unsafe { bindings::is_nd_btt(self.raw()) } {
            Kind::Btt
        // SAFETY: The device is valid.
        } else if unsafe { bindings::is_nd_pfn(self.raw()) } {
            Kind::Pfn
        } else {
            Kind::Namespace
        }
    }

    /// Returns the namespace of the device, checking that it may be probed
    /// (`nvdimm_namespace_common_probe()`).
    pub fn namespace(&self) -> Result<&Namespace> {
        // SAFETY: The device is valid and locked.
        let ns = from_err_ptr(unsafe { bindings::nvdimm_namespace_common_probe(self.raw()) })?;
        // SAFETY: The namespace is the device itself or the one its personality claimed, which
        // lives at least as long as the device is bound.
        Ok(unsafe { &*ns.cast::<Namespace>() })
    }

    /// Returns the region of the device.
    pub fn region(&self) -> ARef<Region> {
        // SAFETY: The device is bound to a namespace driver, which only binds namespaces and their
        // personalities ([`Types`] names no other kind of device): their parent is a region,
        // valid while the device is (a device holds a reference to its parent).
        let region = unsafe { &*bindings::to_nd_region((*self.raw()).parent).cast::<Region>() };
        region.into()
    }

    /// Returns a reference-counted handle to the device, for operations that outlive probe on
    /// the data of `ns`, the device's namespace, which `mem` maps: the handle reaches the bytes
    /// `mem` reaches, at the offsets `mem` gives them, and nothing before the data (the info
    /// block and the memmap of a pfn device). It holds `mem`, and with it the reservation of the
    /// memory: however long it is kept, no other holder can have the memory while the handle can
    /// clear poison in it.
    ///
    /// Fails with `EINVAL` if `mem` does not lie in `ns`.
    pub fn handle<T: PagemapOps>(
        &self,
        ns: &Namespace,
        mem: &Arc<PmemMapping<T>>,
    ) -> Result<Handle<T>> {
        let (ns_start, ns_size) = ns.resource();
        let start = mem.phys_addr(0);
        let size = u64::from_safe_cast(mem.len());
        let end = start
            .checked_sub(ns_start)
            .and_then(|offset| offset.checked_add(size));
        if end.is_none_or(|end| end > ns_size) {
            return Err(EINVAL);
        }
        // INVARIANT: The data of `mem` lies in the namespace of the device, as checked above.
        Ok(Handle {
            dev: self.as_ref().into(),
            start,
            size,
            _mem: mem.clone(),
        })
    }

    /// Returns the NUMA node of the device.
    pub fn numa_node(&self) -> i32 {
        // SAFETY: The device is valid.
        unsafe { bindings::dev_to_node(self.raw()) }
    }

    /// Enables raw access to the info block area of `ns` ([`info_block_reserve`] bytes,
    /// `devm_namespace_enable()`), until the returned guard is dropped
    /// (`devm_namespace_disable()`). Raw access is what [`Device::probe_personality`] and
    /// [`Device::setup_pfn`] read the namespace's info blocks through: they take the guard, so
    /// that they cannot run on a namespace that is not enabled.
    ///
    /// ```compile_fail
    /// use kernel::{device::Core, nvdimm::{self, Device, Namespace}};
    ///
    /// fn probe(dev: &Device<Core<'_>>, ns: &Namespace) -> Result {
    ///     let raw = dev.namespace_enable(ns)?;
    ///     drop(raw);
    ///     // The namespace is no longer mapped: its info blocks cannot be read.
    ///     dev.probe_personality(raw)?;
    ///     Ok(())
    /// }
    /// ```
    ///
    /// The size is not the caller's to choose: raw access reserves and maps that many bytes from
    /// the start of the namespace, and more than the namespace holds would map memory that is
    /// not its own.
    pub fn namespace_enable<'b>(&'b self, ns: &'b Namespace) -> Result<RawNamespace<'b>> {
        let reserve = info_block_reserve();
        // SAFETY: Both are valid, and `reserve` is the size C's pmem driver enables every
        // namespace it binds with; the enablement is undone by the guard, or released with the
        // binding.
        to_result(unsafe { bindings::devm_namespace_enable(self.raw(), ns.raw(), reserve) })?;
        // INVARIANT: Enabled above for `self`.
        Ok(RawNamespace {
            dev: self.raw(),
            ns,
            _dev: PhantomData,
        })
    }

    /// Looks for a personality (btt, pfn, dax) on the raw, enabled namespace `raw`: if one is
    /// found, it claims the namespace and probes on its own device; the namespace then stays
    /// enabled until the probe of this device fails (return `ENXIO`), as the C drivers leave it.
    ///
    /// Returns the guard back if no personality claimed the namespace.
    pub fn probe_personality<'b>(&self, raw: RawNamespace<'b>) -> Result<Option<RawNamespace<'b>>> {
        if raw.dev != self.raw() {
            return Err(EINVAL);
        }
        let ns = raw.ns.raw();
        // SAFETY: Both are valid and the namespace is enabled (type invariant of `raw`).
        if unsafe { bindings::nd_btt_probe(self.raw(), ns) } == 0 {
            core::mem::forget(raw);
            return Ok(None);
        }
        for probe in [bindings::nd_pfn_probe, bindings::nd_dax_probe] {
            // SAFETY: As above.
            match unsafe { probe(self.raw(), ns) } {
                0 => {
                    // The binding's devres undoes the enablement, as in C.
                    core::mem::forget(raw);
                    return Ok(None);
                }
                e if e == EOPNOTSUPP.to_errno() => return Err(EOPNOTSUPP),
                _ => {}
            }
        }
        Ok(Some(raw))
    }

    /// Attaches the btt (sector mode) driver to `ns`, for a [`Kind::Btt`] device; it is
    /// detached when the returned value is dropped.
    ///
    /// The btt driver must be built in (`CONFIG_ND_BTT=y`): this crate is, and cannot call into
    /// a module. Fails with `EOPNOTSUPP` otherwise.
    pub fn attach_btt(&self, ns: &Namespace) -> Result<BttAttachment> {
        if self.kind() != Kind::Btt {
            return Err(EINVAL);
        }
        #[cfg(CONFIG_ND_BTT = "y")]
        {
            // SAFETY: `ns` is the namespace of this btt device.
            to_result(unsafe { bindings::nvdimm_namespace_attach_btt(ns.raw()) })?;
            Ok(BttAttachment(self.as_ref().into()))
        }
        #[cfg(not(CONFIG_ND_BTT = "y"))]
        {
            let _ = ns;
            Err(EOPNOTSUPP)
        }
    }

    /// Sets `pgmap` up for the memmap of a [`Kind::Pfn`] device (`nvdimm_setup_pfn()`), reading
    /// its info block through `raw`, then ends raw access and reserves the namespace's memory
    /// for the driver, as [`Device::request_mem_region`] does for other devices. Returns the
    /// layout of the data and the reserved memory.
    ///
    /// The data offset of `pgmap` is set to the layout's ([`PagemapConfig::set_data_offset`]),
    /// and the returned range keeps the bytes before it out of reach ([`PmemRange::keep_out`]):
    /// no mapping of it, with `struct page`s or without, reaches the info block, nor the memmap
    /// that the device may hold. The range of a pfn device comes from here only.
    ///
    /// The layout is returned here only: the info block is the device's, which may free it once
    /// the binding ends. Keep it.
    pub fn setup_pfn(
        &self,
        raw: RawNamespace<'_>,
        pgmap: &mut PagemapConfig,
    ) -> Result<(PfnLayout, PmemRange)> {
        if self.kind() != Kind::Pfn || raw.dev != self.raw() {
            return Err(EINVAL);
        }
        // SAFETY: The device is a pfn device.
        let nd_pfn = unsafe { bindings::to_nd_pfn(self.raw()) };
        // SAFETY: `nd_pfn` and `pgmap` are valid, and the namespace is enabled (type invariant of
        // `raw`).
        if let Err(e) = to_result(unsafe { bindings::nvdimm_setup_pfn(nd_pfn, pgmap.as_raw()) }) {
            // The setup may have disabled the namespace and failed to enable it again (it
            // re-enables it with the size of the info block's data offset): a second disable
            // would unmap and release what is not there. The binding's devres undoes whatever
            // the setup left enabled, as it does for C's pmem driver.
            core::mem::forget(raw);
            return Err(e);
        }
        // SAFETY: A successful setup validated and kept the info block in `pfn_sb`, which lives
        // while the device is bound, as it is now.
        let sb = unsafe { &*(*nd_pfn).pfn_sb };
        let layout = PfnLayout {
            data_offset: u64::from_le(sb.dataoff),
            start_pad: u32::from_le(sb.start_pad).into(),
            end_trunc: u32::from_le(sb.end_trunc).into(),
        };
        // A legacy layout padded at the start maps its data from `start_pad` into the namespace,
        // with the info block and memmap before it: not supported (the range and the bound
        // below count from the namespace's start).
        if layout.start_pad != 0 {
            crate::dev_err!(
                self,
                "fsdax namespace with start_pad {:#x} not supported\n",
                layout.start_pad
            );
            return Err(EOPNOTSUPP);
        }
        pgmap.set_data_offset(layout.data_offset)?;
        // Raw access reserves the namespace's memory too: end it before the driver reserves it,
        // as C's pmem driver does.
        let ns = raw.ns;
        drop(raw);
        let mut range = self.reserve(ns)?;
        range.keep_out(layout.data_offset).inspect_err(|_| {
            crate::dev_err!(
                self,
                "data offset {:#x} not page-aligned or beyond the namespace\n",
                layout.data_offset
            );
        })?;
        Ok((layout, range))
    }

    /// Returns `true` if a raw namespace should be mapped with `struct page`s, for DAX
    /// (`pmem_should_map_pages()`).
    pub fn should_map_pages(&self) -> bool {
        // SAFETY: The device is valid.
        unsafe { bindings::pmem_should_map_pages(self.raw()) }
    }

    /// Reserves the memory of `ns`, the device's namespace, for the driver, under the name of
    /// the namespace, and returns it, to be mapped ([`PmemMapping`]).
    ///
    /// The reservation is the returned value's, not the binding's: it is released when the
    /// value, or the mapping made from it, is dropped, and never while such a mapping lives,
    /// even one kept past the end of the binding (then nothing else can reserve the memory, raw
    /// access to the namespace included, until the mapping is dropped). Fails with `EBUSY` if
    /// something else holds the memory, and with `EINVAL` for a [`Kind::Pfn`] device, whose
    /// memory starts with its info block and memmap: [`Device::setup_pfn`] returns its range,
    /// with those kept out of reach.
    pub fn request_mem_region(&self, ns: &Namespace) -> Result<PmemRange> {
        if self.kind() == Kind::Pfn {
            return Err(EINVAL);
        }
        self.reserve(ns)
    }

    /// Reserves the memory of `ns` for the driver (see [`Device::request_mem_region`]).
    fn reserve(&self, ns: &Namespace) -> Result<PmemRange> {
        let (start, len) = ns.resource();
        // SAFETY: The namespace is valid, and so is the name of its device, a NUL-terminated
        // string, which is copied at once.
        let name = unsafe { CStr::from_char_ptr(bindings::dev_name(&raw const (*ns.raw()).dev)) };
        let region = Resource::iomem()
            .request_region(start, len, name.to_cstring()?, Flags::IORESOURCE_MEM)
            .ok_or(EBUSY)?;
        // SAFETY: The range is the namespace's persistent memory, which libnvdimm hands this
        // device, and which `region` reserves; libnvdimm's raw namespace access reserves it too
        // before it maps it. The node is this device's.
        unsafe { PmemRange::new(region, self.numa_node()) }
    }
}

/// Raw access to a namespace, from [`Device::namespace_enable`]; disabled when dropped.
///
/// # Invariants
///
/// `ns` is enabled for raw access (`devm_namespace_enable()`) on `dev`'s behalf. (A successful
/// `nvdimm_setup_pfn()` may have disabled it and enabled it again, with the size of the info
/// block's data offset, on the same device: still enabled, and disabled again on drop.)
pub struct RawNamespace<'a> {
    dev: *mut bindings::device,
    ns: &'a Namespace,
    _dev: PhantomData<&'a bindings::device>,
}

impl Drop for RawNamespace<'_> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the namespace is enabled for `dev`.
        unsafe { bindings::devm_namespace_disable(self.dev, self.ns.raw()) };
    }
}

/// The size libnvdimm reserves for personality info blocks at the start of a namespace.
pub fn info_block_reserve() -> u64 {
    // SAFETY: No preconditions.
    unsafe { bindings::nd_info_block_reserve() }.into()
}

/// A namespace: the C `struct nd_namespace_common`.
///
/// # Invariants
///
/// The wrapped value is a valid namespace of an I/O (pmem) type.
#[repr(transparent)]
pub struct Namespace(Opaque<bindings::nd_namespace_common>);

/// The bytes of a disk's name, with its NUL.
const DISK_NAME_LEN: usize = crate::num::casts::u32_as_usize(bindings::DISK_NAME_LEN);

/// The name of a namespace's disk, for instance `pmem0` or `pmem0.1`.
pub struct DiskName([u8; DISK_NAME_LEN]);

impl DiskName {
    /// Returns the name.
    pub fn as_cstr(&self) -> &CStr {
        CStr::from_bytes_until_nul(&self.0).unwrap_or(c"pmem")
    }
}

impl Namespace {
    fn raw(&self) -> *mut bindings::nd_namespace_common {
        self.0.get()
    }

    /// Returns the physical range of the namespace as `(start, size)`.
    pub fn resource(&self) -> (u64, u64) {
        // SAFETY: By the type invariant the namespace is an I/O namespace.
        let nsio = unsafe { bindings::to_nd_namespace_io(&raw const (*self.raw()).dev) };
        // SAFETY: `nsio` is valid.
        let res = unsafe { (*nsio).res };
        (res.start, res.end - res.start + 1)
    }

    /// Returns the logical block size of the namespace (`pmem_sector_size()`).
    pub fn sector_size(&self) -> u32 {
        // SAFETY: The namespace is valid.
        unsafe { bindings::pmem_sector_size(self.raw()) }
    }

    /// Returns the name of the namespace's disk (`nvdimm_namespace_disk_name()`).
    pub fn disk_name(&self) -> DiskName {
        let mut name = DiskName([0; DISK_NAME_LEN]);
        // SAFETY: The namespace is valid; the buffer has `DISK_NAME_LEN` bytes.
        unsafe { bindings::nvdimm_namespace_disk_name(self.raw(), name.0.as_mut_ptr().cast()) };
        name
    }
}

/// A reference-counted nvdimm bus device (see [`Device::handle`]), with the data of its
/// namespace.
///
/// # Invariants
///
/// `start..start + size` is a physical range in the namespace of `dev`: the data of `_mem`,
/// which keeps the memory reserved.
pub struct Handle<T: PagemapOps> {
    dev: ARef<device::Device>,
    start: u64,
    size: u64,
    _mem: Arc<PmemMapping<T>>,
}

impl<T: PagemapOps> Handle<T> {
    /// Returns the generic device.
    pub fn device(&self) -> &device::Device {
        &self.dev
    }

    /// Returns whether the bus can clear poison (`nvdimm_can_clear_poison()`): through a
    /// clear-error command, or trivially on a bus without a command interface. A bus with
    /// commands but no clear-error cannot: writing over its poison does not remove it.
    pub fn can_clear_poison(&self) -> bool {
        // SAFETY: The device is valid (we hold a reference) and on the nvdimm bus.
        unsafe { bindings::nvdimm_can_clear_poison(self.dev.as_raw()) }
    }

    /// Clears the poison of `len` bytes at byte `offset` of the data through the bus's
    /// clear-error command (`nvdimm_clear_poison()`), and drops them from the bus's list of bad
    /// ranges. Other memory on the bus (another namespace's, or the info block and memmap
    /// before the data, which a clear may leave undefined) cannot be named.
    ///
    /// Returns the bytes cleared: fewer than `len` (0 included) if the bus cleared part or
    /// none, for instance because it has no clear-error command. Fails with `ERANGE` if the
    /// range is not in the data.
    pub fn clear_poison(&self, offset: u64, len: u32) -> Result<u64> {
        self.clear_with(bindings::nvdimm_clear_poison, offset, len)
    }

    /// [`Handle::clear_poison`] without its bookkeeping (`nvdimm_clear_media_error()`): the
    /// bus's bad ranges and the regions' badblocks keep the range, so that what is cleared but
    /// not written stays recorded as lost until [`Handle::forget_poison`] is told it was
    /// written. On a bus without a command interface, which keeps no record but the kernel's,
    /// the whole range counts as cleared.
    ///
    /// Returns the bytes cleared, as [`Handle::clear_poison`] does; fails with `ERANGE` if the
    /// range is not in the data.
    pub fn clear_media_error(&self, offset: u64, len: u32) -> Result<u64> {
        self.clear_with(bindings::nvdimm_clear_media_error, offset, len)
    }

    /// Calls `clear`, `nvdimm_clear_poison()` or `nvdimm_clear_media_error()`, for `len` bytes at
    /// byte `offset` of the data. Returns the bytes cleared; fails with `ERANGE` if the range is
    /// not in the data, and with the bus's error.
    fn clear_with(
        &self,
        clear: unsafe extern "C" fn(*mut bindings::device, bindings::phys_addr_t, c_uint) -> c_long,
        offset: u64,
        len: u32,
    ) -> Result<u64> {
        let phys = namespace_span(self.size, offset, len).ok_or(ERANGE)? + self.start;
        // SAFETY: The device is valid (we hold a reference) and on the nvdimm bus. The range is
        // in the data of `_mem` (type invariant, `namespace_span`), which `_mem`'s region keeps
        // reserved and which holds no info block and no `struct page`s: a clear or a change of
        // the bus's records there reaches no memory the kernel uses otherwise.
        let cleared = unsafe { clear(self.dev.as_raw(), phys, len) };
        if cleared < 0 {
            return Err(i32::try_from(cleared).map_or(EINVAL, Error::from_errno));
        }
        Ok(u64::try_from(cleared)?)
    }

    /// Drops `len` bytes at byte `offset` of the data, cleared with
    /// [`Handle::clear_media_error`] and since written, from the bus's bad ranges and the
    /// region's badblocks (`nvdimm_forget_poison()`), so that a rescan or a new probe does not
    /// bring them back. Fails with `ERANGE` if the range is not in the data.
    pub fn forget_poison(&self, offset: u64, len: u32) -> Result {
        let phys = namespace_span(self.size, offset, len).ok_or(ERANGE)? + self.start;
        // SAFETY: The device is valid (we hold a reference) and on the nvdimm bus. The range is
        // in the data of `_mem` (type invariant, `namespace_span`), which `_mem`'s region keeps
        // reserved and which holds no info block and no `struct page`s: a clear or a change of
        // the bus's records there reaches no memory the kernel uses otherwise.
        unsafe { bindings::nvdimm_forget_poison(self.dev.as_raw(), phys, u64::from(len)) };
        Ok(())
    }
}

/// Returns `offset` if the `len` bytes from there lie in a namespace of `size` bytes.
fn namespace_span(size: u64, offset: u64, len: u32) -> Option<u64> {
    let end = offset.checked_add(u64::from(len))?;
    (end <= size).then_some(offset)
}

/// A btt attachment, detached when dropped (see [`Device::attach_btt`]).
///
/// # Invariants
///
/// The device is a btt device with a btt attached.
pub struct BttAttachment(ARef<device::Device>);

impl BttAttachment {
    /// Fills the known-bad list of the btt's namespace with the bus's known poison in it
    /// (`nvdimm_badblocks_populate()`), as the btt reads it, after the bus learned of new poison
    /// ([`Event::RevalidatePoison`]).
    pub fn revalidate_poison(&self) {
        // SAFETY: By the type invariant the device is a btt device; its namespace and the
        // namespace's region live while the btt is attached.
        unsafe {
            let ndns = (*bindings::to_nd_btt(self.0.as_raw())).ndns;
            let nsio = bindings::to_nd_namespace_io(&raw const (*ndns).dev);
            let region = bindings::to_nd_region((*ndns).dev.parent);
            let range = bindings::range {
                start: (*nsio).res.start,
                end: (*nsio).res.end,
            };
            bindings::nvdimm_badblocks_populate(region, &raw mut (*nsio).bb, &range);
        }
    }
}

impl Drop for BttAttachment {
    fn drop(&mut self) {
        // A `BttAttachment` only exists if the btt driver is built in.
        #[cfg(CONFIG_ND_BTT = "y")]
        // SAFETY: The device is a btt device with a btt attached.
        unsafe {
            bindings::nvdimm_namespace_detach_btt(bindings::to_nd_btt(self.0.as_raw()))
        };
    }
}

/// A region: the C `struct nd_region`, the parent of the namespaces of a range of persistent
/// memory. Held as [`ARef<Region>`] ([`Device::region`]), which references the region's device.
///
/// # Invariants
///
/// A `&Region` is a valid region whose device has a nonzero reference count.
#[repr(transparent)]
pub struct Region(Opaque<bindings::nd_region>);

// SAFETY: The region's device is reference counted by `get_device()`/`put_device()`, and a
// shared reference guarantees a nonzero count.
unsafe impl AlwaysRefCounted for Region {
    fn inc_ref(&self) {
        // SAFETY: By the type invariant the region is valid and its device referenced.
        unsafe { bindings::get_device(&raw mut (*self.raw()).dev) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns a reference to the region's device; `Region` is transparent
        // over `struct nd_region`.
        unsafe { bindings::put_device(&raw mut (*obj.as_ptr().cast::<bindings::nd_region>()).dev) };
    }
}

// SAFETY: The region may be used from any thread.
unsafe impl Send for Region {}
// SAFETY: The C functions called through `&Region` synchronise themselves.
unsafe impl Sync for Region {}

/// The result of [`Region::flush_bio`].
pub enum Flush {
    /// The flush is done; the bio is handed back to be ended.
    Done(Bio, Result),
    /// The flush was queued and will end the bio itself.
    Async,
}

impl Region {
    fn raw(&self) -> *mut bindings::nd_region {
        self.0.get()
    }

    /// Flushes the region's write queues, making written data durable (`nvdimm_flush()`).
    pub fn flush(&self) -> Result {
        // SAFETY: The region is valid.
        to_result(unsafe { bindings::nvdimm_flush(self.raw(), core::ptr::null_mut()) })
    }

    /// Flushes the region for `bio`; some regions (virtio-pmem) flush asynchronously and end
    /// the bio themselves.
    pub fn flush_bio(&self, bio: Bio) -> Flush {
        // SAFETY: The region and the bio are valid.
        let ret = unsafe { bindings::nvdimm_flush(self.raw(), bio.as_raw()) };
        if u32::try_from(ret) == Ok(bindings::NVDIMM_FLUSH_ASYNC) {
            // The region took over the bio: it ends it once the flush is done.
            let _ = bio.into_raw();
            Flush::Async
        } else {
            Flush::Done(bio, to_result(ret))
        }
    }

    /// Returns whether the region has flush hints (`nvdimm_has_flush()`): `Ok(true)` if writes
    /// need a flush to be durable, `Err` if durability cannot be guaranteed.
    pub fn has_flush(&self) -> Result<bool> {
        // SAFETY: The region is valid.
        let ret = unsafe { bindings::nvdimm_has_flush(self.raw()) };
        to_result(ret)?;
        Ok(ret > 0)
    }

    /// Returns `true` if the region sits behind a CPU cache that must be flushed for
    /// durability (`nvdimm_has_cache()`).
    pub fn has_cache(&self) -> bool {
        // SAFETY: The region is valid.
        unsafe { bindings::nvdimm_has_cache(self.raw()) != 0 }
    }

    /// Returns `true` if writes are durable once CPU caches are flushed, so that `MAP_SYNC` is
    /// allowed (`is_nvdimm_sync()`).
    pub fn is_sync(&self) -> bool {
        // SAFETY: The region is valid.
        unsafe { bindings::is_nvdimm_sync(self.raw()) }
    }

    /// Fills `bb` with the bus's known poison in the physical range `start..=end`, as sectors
    /// relative to `start` (`nvdimm_badblocks_populate()`).
    pub fn badblocks_populate(&self, bb: &BadBlocks, start: u64, end: u64) {
        let range = bindings::range { start, end };
        // SAFETY: The region, the list and the range are valid.
        unsafe { bindings::nvdimm_badblocks_populate(self.raw(), bb.as_raw(), &range) };
    }

    /// Sets `disk` read-only if the region is (`nvdimm_check_and_set_ro()`).
    pub fn check_and_set_ro<T: crate::block::bio::Operations>(
        &self,
        disk: &crate::block::bio::Disk<T>,
    ) {
        // SAFETY: The disk is valid.
        unsafe { bindings::nvdimm_check_and_set_ro(disk.as_raw()) };
    }
}

#[macros::kunit_tests(rust_kernel_nvdimm)]
mod tests {
    use super::*;
    use crate::str::CString;

    /// 4 MiB of physical address space below 512 GiB, where the test VM has no memory: reserved
    /// by the test, never mapped.
    const TEST_START: u64 = (512 << 30) - (4 << 20);
    const TEST_LEN: u64 = 4 << 20;
    const MIB: u64 = 1 << 20;

    struct NoFailures;

    impl PagemapOps for NoFailures {
        fn memory_failure(&self, _: u64, _: u64, _: i32) -> Result {
            Ok(())
        }
    }

    fn test_range() -> Result<PmemRange> {
        let name = CString::try_from_fmt(fmt!("rust_kernel_nvdimm test"))?;
        let region = Resource::iomem()
            .request_region(TEST_START, TEST_LEN, name, Flags::IORESOURCE_MEM)
            .ok_or(EBUSY)?;
        // SAFETY: Not persistent memory, but nothing maps it: the tests only check the bounds
        // that refuse a mapping before one is made. No node.
        unsafe { PmemRange::new(region, bindings::NUMA_NO_NODE) }
    }

    #[test]
    fn range_keeps_metadata_out() {
        let mut range = test_range().expect("a free test range");
        assert_eq!(range.min_offset(), 0);
        // Pages only, within the range.
        assert_eq!(range.keep_out(512), Err(EINVAL));
        assert_eq!(range.keep_out(TEST_LEN + 4096), Err(EINVAL));
        assert_eq!(range.keep_out(2 * MIB), Ok(()));
        // The bound only moves up.
        assert_eq!(range.keep_out(0), Ok(()));
        assert_eq!(range.min_offset(), 2 * MIB);
    }

    #[test]
    fn no_mapping_below_the_bound() {
        // As `setup_pfn()` hands out an fsdax namespace: its info block and memmap kept out.
        let mut range = test_range().expect("a free test range");
        assert_eq!(range.keep_out(2 * MIB), Ok(()));
        // A configuration that starts the data at the start of the range, the metadata in it.
        let mut cfg = PagemapConfig::new();
        cfg.set_range(TEST_START, TEST_START + TEST_LEN - 1);
        assert!(matches!(
            PmemMapping::with_pages(cfg, NoFailures, range),
            Err(e) if e == EINVAL
        ));
    }

    #[test]
    fn clear_poison_stays_in_the_namespace() {
        // Inside, up to the last byte.
        assert_eq!(namespace_span(8192, 0, 4096), Some(0));
        assert_eq!(namespace_span(8192, 4096, 4096), Some(4096));
        // Past the end, or wrapping around: another namespace's memory, or anything.
        assert_eq!(namespace_span(8192, 4096, 4097), None);
        assert_eq!(namespace_span(8192, 8192, 1), None);
        assert_eq!(namespace_span(8192, u64::MAX, 2), None);
    }
}
