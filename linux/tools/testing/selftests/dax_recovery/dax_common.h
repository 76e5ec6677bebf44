/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the dax_recovery selftests: finding (or creating) the
 * scratch fsdax namespace, making and mounting a DAX filesystem on it,
 * mapping file offsets to device sectors and marking sectors bad.
 *
 * The tests destroy the content of the device they run on. They only ever
 * use a device named by $DAX_RECOVERY_DEV or a namespace whose name is
 * "dax_recovery"; when neither exists they create that namespace from free
 * region capacity with ndctl, and skip when they cannot.
 */
#ifndef DAX_RECOVERY_COMMON_H
#define DAX_RECOVERY_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../kselftest.h"

#define DAX_NS_NAME	"dax_recovery"
#define DAX_PAGE	4096
#define DAX_SECTOR	512

struct dax_dev {
	char name[32];		/* "pmem0" */
	char path[64];		/* "/dev/pmem0" */
	char ns[64];		/* "namespace0.0", empty if not known */
	uint64_t size;		/* bytes */
};

/*
 * Find the scratch fsdax device, creating its namespace if needed.
 * Returns 0 and fills @dev, or -1 with a reason in @why (skip).
 */
int dax_find_dev(struct dax_dev *dev, char *why, size_t whylen);

/* Read a sysfs attribute of the block device into @buf (newline trimmed). */
int dax_sysfs_read(const struct dax_dev *dev, const char *attr, char *buf, size_t len);

/* mkfs @fstype on the device and mount it at @mnt with -o dax. */
int dax_mkfs(const struct dax_dev *dev, const char *fstype);
int dax_mount(const struct dax_dev *dev, const char *fstype, const char *mnt);
int dax_umount(const char *mnt);

/* True if @fd's inode is in DAX mode (statx STATX_ATTR_DAX). */
bool dax_file_is_dax(int fd);

/* Device sector holding byte @off of @fd (FIEMAP), or -1. */
int64_t dax_file_sector(int fd, off_t off);

/* Mark @count sectors from @sector bad through /sys/block/pmemN/badblocks. */
int dax_mark_bad(const struct dax_dev *dev, uint64_t sector, uint64_t count);

/* Number of entries in the device's badblocks list, or -1. */
int dax_badblocks_count(const struct dax_dev *dev);

/* An entry of a badblocks list: @count sectors from @sector. */
struct dax_bb {
	uint64_t sector, count;
};

/* The most entries a badblocks list holds (block/badblocks.c: one page). */
#define DAX_BB_MAX	512

/* Up to @max entries of @dev's badblocks list into @bb: how many, or -1. */
int dax_badblocks_read(const struct dax_dev *dev, struct dax_bb *bb, int max);

/* 1 if @sector of @dev is in its badblocks list, 0 if not, -1 on error. */
int dax_sector_listed(const struct dax_dev *dev, int64_t sector);

/*
 * Forget all injected poison: re-probe the namespace, which repopulates
 * badblocks from the platform's (here: empty) error list.
 */
int dax_reset_badblocks(struct dax_dev *dev);

/* Deterministic content: byte @off of the stream named @seed. */
static inline uint8_t dax_pattern(uint32_t seed, uint64_t off)
{
	uint64_t x = (off >> 3) * 0x9e3779b97f4a7c15ull + seed * 0xbf58476d1ce4e5b9ull;

	x ^= x >> 31;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 29;
	return (uint8_t)(x >> ((off & 7) * 8));
}

void dax_fill(uint8_t *buf, size_t len, uint32_t seed, uint64_t off);
/* Index of the first byte of @buf that differs from the pattern, or -1. */
ssize_t dax_check(const uint8_t *buf, size_t len, uint32_t seed, uint64_t off);

/* Write @len pattern bytes at @off, fsync. Returns 0 or -errno. */
int dax_write_pattern(int fd, off_t off, size_t len, uint32_t seed);

/* Name of the driver bound to the device ("nd_pmem", "rust_pmem"), or "". */
const char *dax_driver(const struct dax_dev *dev, char *buf, size_t len);

/*
 * Does the bound driver implement recovery (RWF_IGNORE_HWERROR and
 * RWF_RESET_HWERROR, a poison clear that works on this machine)? Both pmem
 * drivers do, nd_pmem and the Rust pmem driver, and must agree exactly.
 */
bool dax_driver_recovers(const struct dax_dev *dev);

/*
 * Mark @count sectors bad from the device sector holding byte @off of @fd.
 * Returns that sector, or -1.
 */
int64_t dax_poison_file(const struct dax_dev *dev, int fd, off_t off, uint64_t count);

/*
 * The kinds of nvdimm bus, by how they clear poison (Documentation/
 * filesystems/dax.rst): with a clear-error command (real NFIT DIMMs, a test bus),
 * with no command interface at all (legacy e820 pmem: a clear is counted as
 * done), or with commands but no clear-error (QEMU's NFIT, CXL pmem: poison
 * cannot be cleared, resets are refused).
 */
enum dax_bus_kind {
	DAX_BUS_UNKNOWN,
	DAX_BUS_CLEAR_ERROR,
	DAX_BUS_NO_COMMANDS,
	DAX_BUS_NO_CLEAR_ERROR,
};

/* The kind of the device's bus as sysfs shows it (provider, commands). */
enum dax_bus_kind dax_bus_kind(const struct dax_dev *dev);

/*
 * The kind the harness says the device's bus is (DAX_RECOVERY_BUS:
 * "clear-error", "no-commands" or "no-clear-error"); where it says nothing,
 * the kind sysfs shows.
 */
enum dax_bus_kind dax_bus_declared(const struct dax_dev *dev);

/* Can poison on the device be cleared (a reset, a whole-page write)? */
static inline bool dax_bus_clears(const struct dax_dev *dev)
{
	return dax_bus_declared(dev) != DAX_BUS_NO_CLEAR_ERROR;
}

/* Run a shell command quietly; returns its exit status, or -1. */
int dax_run(const char *fmt, ...) __printf(1, 2);

/*
 * Write a printf-formatted value to /sys/kernel/debug/@dir/@attr, mounting
 * debugfs first if needed. Returns 0 or -errno.
 */
int dax_debugfs_write(const char *dir, const char *attr, const char *fmt, ...) __printf(3, 4);

/*
 * The pmem drivers' fault injection points, in debugfs as
 * <driver>_<point>_<disk>/ (nd_pmem_mc_pmem0/, rust_pmem_mc_pmem0/; the
 * kernel's fault-injection attributes), the same in both drivers:
 * "mc" stops a machine-check-safe read at data byte "offset", as consumed
 * poison would; "clear" fails a reset's poison clear, or clears only the
 * first "cleared" bytes of the page, or, with "cleared" a whole page, clears
 * it as a bus with a clear-error command does (its content undefined until
 * written).
 *
 * dax_fault_arm() makes @point fire once, silently, after @space bytes of
 * calls have passed, with @param written to its parameter file @pname
 * (skipped if NULL). dax_fault_persist() makes an armed @point fire every
 * time from then on, as a page that cannot be cleared does: the DAX core
 * tries again at the page a driver stopped at, so a failure that fires once
 * would pass on the second try. dax_fault_disarm() stops it. All return 0
 * or -errno.
 */
int dax_fault_arm(const struct dax_dev *dev, const char *point, const char *pname,
		  long long param, long space);
int dax_fault_persist(const struct dax_dev *dev, const char *point);
int dax_fault_disarm(const struct dax_dev *dev, const char *point);

/*
 * Machine checks (Documentation/filesystems/dax.rst). The test VM
 * raises real ones: dax_mce_inject() asks the host, over the guest's
 * serial port DAX_MCE_TTY, for an action-optional memory-scrub machine
 * check at physical address @phys (harness/mce-injector.py has QEMU's
 * monitor raise it on every vCPU), then waits, bounded, until the kernel
 * has acted on it: its memory_failure() reports the pfn in the kernel log
 * ("Memory failure: 0x<pfn>: ..."), and then, where @dev is not NULL, the
 * device's badblocks list changes (the bus records the poisoned line).
 * Returns 0, or -errno: -ENODEV no injector (not the test VM), -EIO the
 * host could not raise it, -ETIME memory_failure() did not run for the
 * pfn, -ETIMEDOUT badblocks did not change; dax_mce_status() says more.
 * Never hangs: every wait is bounded by DAX_MCE_WAIT_MS.
 */
#define DAX_MCE_TTY	"/dev/ttyS2"
#define DAX_MCE_WAIT_MS	10000

int dax_mce_inject(const struct dax_dev *dev, uint64_t phys);

/*
 * What the last dax_mce_inject() saw: the memory_failure() line
 * ("Memory failure: 0x140012: recovery action for dax page: Recovered"),
 * or why it failed.
 */
const char *dax_mce_status(void);

/* Did the last injection's memory_failure() succeed ("Recovered")? */
bool dax_mce_recovered(void);

/*
 * Physical address of the start of the device's data: the "resource" of
 * the device the disk hangs off (the pfn device in fsdax mode, which
 * accounts for the info block and the memmap reserve; the namespace in
 * raw mode). Device sector 0 is there. Returns it, or 0 if unknown.
 */
uint64_t dax_data_start(const struct dax_dev *dev);

/*
 * Physical address of byte @off of the DAX file @fd on @dev: FIEMAP gives
 * the device offset, plus dax_data_start(). Returns it, or 0 if unknown.
 */
uint64_t dax_file_phys(const struct dax_dev *dev, int fd, off_t off);

#endif
