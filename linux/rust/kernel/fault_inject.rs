// SPDX-License-Identifier: GPL-2.0

//! Fault injection points.
//!
//! A fault injection point lets a test make the kernel fail on purpose at a chosen place, as a
//! failing device or a full memory would. Each point has a debugfs directory with the kernel's
//! standard knobs (`probability`, `interval`, `times`, `space`, `verbose`, ...; see
//! [`Documentation/fault-injection/fault-injection.rst`]), and [`FaultAttr::should_fail`] says
//! whether the code should fail now. A point may also have one numeric parameter of its own (for
//! instance the offset at which a copy should fail), in a file of the same directory.
//!
//! Without `CONFIG_FAULT_INJECTION_DEBUG_FS` a point never fails and has no files.
//!
//! The directory is the kernel's own (`fault_create_debugfs_attr()`, which makes the standard
//! knobs), so the parameter file is made with the C `debugfs_create_u64()` in it rather than with
//! [`kernel::debugfs`](crate::debugfs): that module makes files only under a
//! [`Dir`](crate::debugfs::Dir) it created itself, and has no way to adopt a directory that C
//! made. Making the parameter a `kernel::debugfs` file would move it to a directory of its own,
//! away from the knobs it goes with, and change the paths that tests write.
//!
//! C header: [`include/linux/fault-inject.h`](srctree/include/linux/fault-inject.h)
//!
//! [`Documentation/fault-injection/fault-injection.rst`]:
//!     srctree/Documentation/fault-injection/fault-injection.rst

use crate::prelude::*;
#[cfg(CONFIG_FAULT_INJECTION_DEBUG_FS)]
use crate::{bindings, error::from_err_ptr, types::Opaque};

/// A fault injection point with its debugfs directory.
///
/// # Invariants
///
/// With `CONFIG_FAULT_INJECTION_DEBUG_FS`, `attr` is initialized with the kernel's defaults (never
/// fail) and `dir` is its debugfs directory, which holds a `u64` file for `param` if the point has
/// a parameter, or NULL if debugfs could not make one; the directory is removed when the point
/// is dropped.
///
/// # Examples
///
/// ```
/// use kernel::fault_inject::FaultAttr;
///
/// let point = KBox::pin_init(FaultAttr::new(c"rust_doctest_fail", Some(c"offset")), GFP_KERNEL)?;
/// // Until a test sets its knobs, a point never fails.
/// assert!(!point.should_fail(1));
/// assert_eq!(point.param(), 0);
/// # Ok::<(), Error>(())
/// ```
#[pin_data(PinnedDrop)]
pub struct FaultAttr {
    #[cfg(CONFIG_FAULT_INJECTION_DEBUG_FS)]
    #[pin]
    attr: Opaque<bindings::fault_attr>,
    #[cfg(CONFIG_FAULT_INJECTION_DEBUG_FS)]
    #[pin]
    param: Opaque<u64>,
    #[cfg(CONFIG_FAULT_INJECTION_DEBUG_FS)]
    dir: *mut bindings::dentry,
}

// SAFETY: The C fault attributes are meant to be used from any thread (their counters are
// atomic); the parameter is only read.
unsafe impl Send for FaultAttr {}
// SAFETY: As above.
unsafe impl Sync for FaultAttr {}

impl FaultAttr {
    /// Creates the point with its debugfs directory `name` (at the debugfs root, as the kernel's
    /// own `fail_*` points), and a parameter file `param` in it if given.
    pub fn new<'a>(name: &'a CStr, param: Option<&'static CStr>) -> impl PinInit<Self, Error> + 'a {
        #[cfg(CONFIG_FAULT_INJECTION_DEBUG_FS)]
        {
            let init = move |slot: *mut Self| {
                // SAFETY: `slot` is valid for writes; the fields are initialized in order.
                unsafe {
                    let attr = Opaque::cast_into(&raw const (*slot).attr);
                    bindings::fault_attr_init(attr);
                    let p = Opaque::cast_into(&raw const (*slot).param);
                    p.write(0);
                    let dir = bindings::fault_create_debugfs_attr(
                        name.as_char_ptr(),
                        core::ptr::null_mut(),
                        attr,
                    );
                    // Without debugfs (turned off at boot, say) the point has no files and never
                    // fails, as the C drivers' points: the driver works on.
                    let dir = from_err_ptr(dir).unwrap_or(core::ptr::null_mut());
                    if let (Some(param), false) = (param, dir.is_null()) {
                        bindings::debugfs_create_u64(param.as_char_ptr(), 0o600, dir, p);
                    }
                    (&raw mut (*slot).dir).write(dir);
                }
                Ok(())
            };
            // SAFETY: On success all fields are initialized; on failure nothing needs teardown.
            unsafe { pin_init::pin_init_from_closure(init) }
        }
        #[cfg(not(CONFIG_FAULT_INJECTION_DEBUG_FS))]
        {
            let _ = (name, param);
            pin_init!(Self {})
        }
    }

    /// Returns `true` if the code at this point should fail now, for an operation of `size`
    /// (compared with the `space` knob).
    #[inline]
    pub fn should_fail(&self, size: usize) -> bool {
        #[cfg(CONFIG_FAULT_INJECTION_DEBUG_FS)]
        // SAFETY: By the type invariant `attr` is initialized.
        return unsafe {
            bindings::should_fail(self.attr.get(), isize::try_from(size).unwrap_or(isize::MAX))
        };
        #[cfg(not(CONFIG_FAULT_INJECTION_DEBUG_FS))]
        {
            let _ = size;
            false
        }
    }

    /// Returns the value of the point's parameter (0 until a test writes it).
    #[inline]
    pub fn param(&self) -> u64 {
        #[cfg(CONFIG_FAULT_INJECTION_DEBUG_FS)]
        // SAFETY: `param` is an initialized, aligned `u64` that lives as long as `self`; debugfs
        // writes it whole (one store of a `u64`) while tests set it, so it is read atomically.
        return unsafe { crate::sync::atomic::Atomic::from_ptr(self.param.get()) }
            .load(crate::sync::atomic::Relaxed);
        #[cfg(not(CONFIG_FAULT_INJECTION_DEBUG_FS))]
        0
    }
}

#[pinned_drop]
impl PinnedDrop for FaultAttr {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariant `dir` is the point's directory; removing it waits for
        // users of its files, after which `attr` and `param` are no longer used.
        #[cfg(CONFIG_FAULT_INJECTION_DEBUG_FS)]
        unsafe {
            bindings::debugfs_remove(self.dir)
        };
    }
}
