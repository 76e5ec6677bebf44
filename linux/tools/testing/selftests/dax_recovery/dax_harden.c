// SPDX-License-Identifier: GPL-2.0
/*
 * Hardening of the recovery paths: the machine-check-safe copy stopping at
 * every sector of a page, poison clears that fail or clear only part of a
 * page, allocation failures in the driver (the kernel's fail-nth with
 * failslab limited to the driver's code), a full badblocks table, a file
 * with thousands of bad sectors, and the access a reset needs on reflinked
 * (shared) extents.
 *
 * The fault injection points are the bound driver's
 * (/sys/kernel/debug/{nd_pmem,rust_pmem}_{mc,clear}_<disk>/, the same in
 * both); with a driver that does not recover the cases check that the flags
 * are refused and nothing moved.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "../kselftest_harness.h"
#include "dax_fixture.h"
#include "dax_io.h"

#define IGNORE	RWF_IGNORE_HWERROR
#define RESET	RWF_RESET_HWERROR
#define OLD	11
#define NEW	22
#define PAGES	8
#define FLEN	(PAGES * DAX_PAGE)
#define DBG	"/sys/kernel/debug"

/* A fresh file of @len pattern bytes (seed OLD), in DAX mode. */
static int make_file(const char *name, size_t len)
{
	int fd = create(name);

	if (fd < 0 || dax_write_pattern(fd, 0, len, OLD) || !dax_file_is_dax(fd)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * With a driver that does not recover both flags are refused and
 * nothing moves.
 */
static void expect_refused(struct __test_metadata *_metadata, int fd)
{
	uint8_t buf[DAX_PAGE];

	memset(buf, 0x5a, sizeof(buf));
	EXPECT_EQ(-EOPNOTSUPP, dax_rw2(fd, false, buf, DAX_PAGE, 0, IGNORE));
	EXPECT_EQ(-EOPNOTSUPP, dax_rw2(fd, true, buf, DAX_PAGE, 0, RESET));
	EXPECT_EQ(DAX_PAGE, pread(fd, buf, DAX_PAGE, 0));
	EXPECT_EQ(-1, dax_check(buf, DAX_PAGE, OLD, 0));
}

/*
 * A fresh file of @len pattern bytes for a case that needs a driver that
 * recovers. With one that does not the case has only to check
 * that the flags are refused: then the file is closed and -1 returned.
 */
static int recovery_file(struct __test_metadata *_metadata, const struct dax_dev *dev,
			 const char *name, size_t len)
{
	int fd = make_file(name, len);

	ASSERT_GE(fd, 0);
	if (dax_driver_recovers(dev))
		return fd;
	expect_refused(_metadata, fd);
	close(fd);
	return -1;
}

/* Read the file whole with IGNORE; the count, or -errno. */
static ssize_t ignore_all(int fd, uint8_t *buf, size_t len)
{
	memset(buf, 0xa5, len);
	return dax_rw2(fd, false, buf, len, 0, IGNORE);
}

/*
 * Consumed poison at every sector of a page, at its first, second, middle
 * and last byte: the IGNORE read returns the whole file with zeros from
 * that byte to the end of its sector, the sector becomes known-bad, and a
 * reset elsewhere in the page keeps every good byte of the page and leaves
 * the consumed sector lost (it did not write it); a reset of the whole page
 * repairs it.
 */
TEST_F(fs, consumed_poison_every_offset)
{
	static const int bytes[] = { 0, 1, 256, 511 };
	const off_t page = 2 * DAX_PAGE;
	uint8_t *buf = malloc(FLEN), *want = malloc(FLEN);
	int64_t first;
	int fd, cases = 0;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, want);
	fd = recovery_file(_metadata, &self->dev, "f", FLEN);
	if (fd < 0)
		goto out;
	self->poisoned = true;
	first = dax_file_sector(fd, page);
	ASSERT_GE(first, 0);
	for (int s = 0; s < DAX_PAGE / DAX_SECTOR; s++) {
		for (size_t b = 0; b < ARRAY_SIZE(bytes); b++) {
			off_t at = page + s * DAX_SECTOR + bytes[b];
			off_t sec = at - bytes[b];
			/* The reset writes 100 bytes of another sector. */
			off_t wr = page + ((s + 3) % 8) * DAX_SECTOR + 7;

			ASSERT_EQ(0, dax_write_pattern(fd, page, DAX_PAGE, OLD));
			ASSERT_EQ(0, dax_fault_arm(&self->dev, "mc", "offset",
						   (first + s) * DAX_SECTOR + bytes[b], 0));
			ASSERT_EQ(FLEN, ignore_all(fd, buf, FLEN)) TH_LOG("sector %d byte %d", s,
									  bytes[b]);
			dax_fill(want, FLEN, OLD, 0);
			memset(want + at, 0, sec + DAX_SECTOR - at);
			EXPECT_EQ(0, memcmp(buf, want, FLEN)) TH_LOG("sector %d byte %d", s,
								     bytes[b]);
			EXPECT_EQ(1, dax_badblocks_count(&self->dev));
			/* A plain read stops at the now known-bad sector. */
			EXPECT_EQ(sec, pread(fd, buf, FLEN, 0));
			/*
			 * The reset keeps the good bytes; the bad sector it
			 * does not touch stays lost: listed, zeros to IGNORE.
			 */
			dax_fill(buf, 100, NEW, wr);
			EXPECT_EQ(100, dax_rw2(fd, true, buf, 100, wr, RESET));
			EXPECT_EQ(1, dax_sector_listed(&self->dev, first + s));
			EXPECT_EQ(1, dax_badblocks_count(&self->dev));
			memset(want + sec, 0, DAX_SECTOR);
			dax_fill(want + wr, 100, NEW, wr);
			EXPECT_EQ(sec, pread(fd, buf, FLEN, 0));
			EXPECT_EQ(FLEN, ignore_all(fd, buf, FLEN));
			EXPECT_EQ(0, memcmp(buf, want, FLEN)) TH_LOG("sector %d byte %d", s,
								     bytes[b]);
			/* A reset of the whole page repairs it. */
			EXPECT_EQ(DAX_PAGE, dax_rw2(fd, true, want + page, DAX_PAGE, page, RESET));
			EXPECT_EQ(0, dax_badblocks_count(&self->dev));
			EXPECT_EQ(FLEN, pread(fd, buf, FLEN, 0));
			EXPECT_EQ(0, memcmp(buf, want, FLEN)) TH_LOG("sector %d byte %d", s,
								     bytes[b]);
			cases++;
		}
	}
	TH_LOG("%d injection points", cases);
	EXPECT_EQ(0, dax_fault_disarm(&self->dev, "mc"));
out:
	free(buf);
	free(want);
	close(fd);
}

/*
 * A reset reads nothing from the medium: with consumed poison armed at a
 * good sector of the page, a reset of its known-bad first sector writes
 * that sector, and every other byte of the page is still there, exact (a
 * reset that salvaged the page through a read would meet the poison and
 * zero it). The point then fires on the next read through the driver.
 */
TEST_F(fs, reset_reads_nothing)
{
	const off_t page = 4 * DAX_PAGE;
	uint8_t *buf = malloc(FLEN), *want = malloc(FLEN);
	int64_t first;
	int fd;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, want);
	fd = recovery_file(_metadata, &self->dev, "f", FLEN);
	if (fd < 0)
		goto out;
	self->poisoned = true;
	first = dax_file_sector(fd, page);
	ASSERT_GE(first, 0);
	for (int s = 1; s < DAX_PAGE / DAX_SECTOR; s++) {
		off_t at = page + s * DAX_SECTOR + 200;

		ASSERT_EQ(0, dax_write_pattern(fd, page, DAX_PAGE, OLD));
		ASSERT_EQ(first, dax_poison_file(&self->dev, fd, page, 1));
		ASSERT_EQ(0, dax_fault_arm(&self->dev, "mc", "offset",
					   (first + s) * DAX_SECTOR + 200, 0));
		dax_fill(buf, DAX_SECTOR, NEW, page);
		EXPECT_EQ(DAX_SECTOR, dax_rw2(fd, true, buf, DAX_SECTOR, page, RESET));
		EXPECT_EQ(0, dax_badblocks_count(&self->dev));
		dax_fill(want, FLEN, OLD, 0);
		dax_fill(want + page, DAX_SECTOR, NEW, page);
		/* The plain read of a clean file does not go through the driver. */
		EXPECT_EQ(FLEN, pread(fd, buf, FLEN, 0));
		EXPECT_EQ(0, memcmp(buf, want, FLEN)) TH_LOG("sector %d", s);
		/* The point is still armed: an IGNORE read meets it. */
		memset(want + at, 0, DAX_SECTOR - 200);
		EXPECT_EQ(FLEN, ignore_all(fd, buf, FLEN));
		EXPECT_EQ(0, memcmp(buf, want, FLEN)) TH_LOG("sector %d", s);
		EXPECT_EQ(1, dax_sector_listed(&self->dev, first + s));
		EXPECT_EQ(DAX_PAGE, dax_rw2(fd, true, want + page, DAX_PAGE, page, RESET));
		EXPECT_EQ(0, dax_badblocks_count(&self->dev));
	}
	EXPECT_EQ(0, dax_fault_disarm(&self->dev, "mc"));
out:
	free(buf);
	free(want);
	close(fd);
}

/*
 * A clear that fails or clears only part of a run of bad sectors (here the
 * two of page 3), on the second of two poisoned pages: the first is
 * repaired and counted, the second is left exactly as it was, poison
 * included; alone, it fails with EIO.
 */
TEST_F(fs, reset_clear_partial)
{
	static const long long cleared[] = { 0, 256, 512, 1023 };
	uint8_t *buf = malloc(FLEN), *want = malloc(FLEN);
	int fd;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, want);
	fd = recovery_file(_metadata, &self->dev, "f", FLEN);
	if (fd < 0)
		goto out;
	self->poisoned = true;
	for (size_t i = 0; i < ARRAY_SIZE(cleared); i++) {
		ASSERT_EQ(0, dax_write_pattern(fd, 0, FLEN, OLD));
		ASSERT_LE(0, dax_poison_file(&self->dev, fd, 2 * DAX_PAGE + 3 * DAX_SECTOR, 1));
		ASSERT_LE(0, dax_poison_file(&self->dev, fd, 3 * DAX_PAGE + 6 * DAX_SECTOR, 2));
		/*
		 * The first clear (page 2's one sector) passes (space), the
		 * second (page 3's run) is the injected one.
		 */
		ASSERT_EQ(0, dax_fault_arm(&self->dev, "clear", "cleared", cleared[i],
					   DAX_SECTOR + 1));
		ASSERT_EQ(0, dax_fault_persist(&self->dev, "clear"));
		dax_fill(buf, 2 * DAX_PAGE, NEW, 2 * DAX_PAGE);
		EXPECT_EQ(DAX_PAGE, dax_rw2(fd, true, buf, 2 * DAX_PAGE, 2 * DAX_PAGE, RESET));
		EXPECT_EQ(1, dax_badblocks_count(&self->dev));
		ASSERT_EQ(0, dax_fault_arm(&self->dev, "clear", "cleared", cleared[i], 0));
		ASSERT_EQ(0, dax_fault_persist(&self->dev, "clear"));
		EXPECT_EQ(-EIO, dax_rw2(fd, true, buf + DAX_PAGE, 100, 3 * DAX_PAGE, RESET));
		EXPECT_EQ(1, dax_badblocks_count(&self->dev));
		/* Page 2 is new; page 3 as it was, its bad sectors zeros. */
		dax_fill(want, FLEN, OLD, 0);
		dax_fill(want + 2 * DAX_PAGE, DAX_PAGE, NEW, 2 * DAX_PAGE);
		memset(want + 3 * DAX_PAGE + 6 * DAX_SECTOR, 0, 2 * DAX_SECTOR);
		EXPECT_EQ(FLEN, ignore_all(fd, buf, FLEN));
		EXPECT_EQ(0, memcmp(buf, want, FLEN)) TH_LOG("cleared %lld", cleared[i]);
		/* Unarmed, the reset succeeds. */
		EXPECT_EQ(0, dax_fault_disarm(&self->dev, "clear"));
		dax_fill(buf, DAX_PAGE, NEW, 3 * DAX_PAGE);
		EXPECT_EQ(DAX_PAGE, dax_rw2(fd, true, buf, DAX_PAGE, 3 * DAX_PAGE, RESET));
		EXPECT_EQ(0, dax_badblocks_count(&self->dev));
	}
out:
	free(buf);
	free(want);
	close(fd);
}

/*
 * From /proc/kallsyms: the bounds of module @mod's code (@lo, @hi: its
 * first and last function), and of function @fn (@fn_lo, @fn_hi: it and the
 * next symbol). Returns 0, or -1 if either is missing.
 */
static int kallsyms_ranges(const char *mod, unsigned long *lo, unsigned long *hi,
			   const char *fn, unsigned long *fn_lo, unsigned long *fn_hi)
{
	char line[512], want[80], type, sym[256], owner[80];
	unsigned long addr;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "[%s]", mod);
	*lo = *hi = *fn_lo = 0;
	*fn_hi = ~0ul;
	while (fgets(line, sizeof(line), f)) {
		int n = sscanf(line, "%lx %c %255s %79s", &addr, &type, sym, owner);

		if (n < 3 || !addr)
			continue;
		if (n == 3 && !strcmp(sym, fn))
			*fn_lo = addr;
		if (n == 4 && !strcmp(owner, want) && (type == 't' || type == 'T')) {
			if (!*lo || addr < *lo)
				*lo = addr;
			if (addr > *hi)
				*hi = addr;
		}
	}
	rewind(f);
	while (*fn_lo && fgets(line, sizeof(line), f)) {
		addr = strtoul(line, NULL, 16);
		if (addr > *fn_lo && addr < *fn_hi)
			*fn_hi = addr;
	}
	fclose(f);
	return *lo && *fn_lo ? 0 : -1;
}

/*
 * failslab and fail_page_alloc (if built) limited to the bound driver's
 * code: only allocations with a frame of the driver on the stack can fail,
 * silently. Allocations under memremap_pages() are left alone: memory
 * hotplug WARNs when they fail (arch_add_memory(), "failed to free all
 * reserved pages"), whichever driver called it. Returns 0, or -1 if the
 * code cannot be found.
 */
static const char *const fail_allocs[] = { "failslab", "fail_page_alloc" };

static int failslab_limit(const struct dax_dev *dev)
{
	unsigned long lo, hi, rlo, rhi;
	char drv[64];

	dax_driver(dev, drv, sizeof(drv));
	if (kallsyms_ranges(drv, &lo, &hi, "memremap_pages", &rlo, &rhi))
		return -1;
	/* The last function's size is not listed; no function is 64 KiB. */
	for (size_t i = 0; i < ARRAY_SIZE(fail_allocs); i++) {
		const char *a = fail_allocs[i];

		if (access(DBG "/fail_page_alloc", F_OK) && i == 1)
			continue;
		if (dax_debugfs_write(a, "require-start", "%lu", lo) ||
		    dax_debugfs_write(a, "require-end", "%lu", hi + 65536) ||
		    dax_debugfs_write(a, "reject-start", "%lu", rlo) ||
		    dax_debugfs_write(a, "reject-end", "%lu", rhi) ||
		    dax_debugfs_write(a, "stacktrace-depth", "64") ||
		    dax_debugfs_write(a, "verbose", "0") ||
		    dax_debugfs_write(a, "ignore-gfp-wait", "N"))
			return -1;
	}
	/*
	 * On a KASAN kernel a call from the driver may record a new stack in
	 * the stack depot, which allocates a pool of order 2 and gets on
	 * without it if that fails: not a failure path of the driver, but
	 * one fail-nth would count. Pages of a higher order can still fail
	 * (kmalloc's slabs for a page buffer are of order 3).
	 */
	if (!access(DBG "/fail_page_alloc", F_OK) &&
	    dax_debugfs_write("fail_page_alloc", "min-order", "3"))
		return -1;
	return 0;
}

static void failslab_unlimit(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(fail_allocs); i++) {
		const char *a = fail_allocs[i];

		if (access(DBG "/fail_page_alloc", F_OK) && i == 1)
			continue;
		dax_debugfs_write(a, "require-start", "0");
		dax_debugfs_write(a, "require-end", "0");
		dax_debugfs_write(a, "reject-start", "0");
		dax_debugfs_write(a, "reject-end", "0");
		dax_debugfs_write(a, "stacktrace-depth", "32");
		dax_debugfs_write(a, "ignore-gfp-wait", "Y");
	}
	if (!access(DBG "/fail_page_alloc", F_OK))
		dax_debugfs_write("fail_page_alloc", "min-order", "1");
}

/* This thread's fail-nth file (Documentation/fault-injection). */
static int fail_nth_open(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth", (long)syscall(SYS_gettid));
	return open(path, O_RDWR);
}

static void fail_nth_set(int fd, int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	(void)!pwrite(fd, buf, len, 0);
}

/* Did the armed fault fire (the count ran down to 0)? */
static bool fail_nth_fired(int fd)
{
	char buf[16] = "";

	(void)!pread(fd, buf, sizeof(buf) - 1, 0);
	fail_nth_set(fd, 0);
	return atoi(buf) == 0;
}

/*
 * Every fault point of a RESET of the 300 bytes at @src to @page + 1000
 * (a poisoned page, whose IGNORE image is @want), with @len bytes asked,
 * fails in turn: each failure leaves the page and its poison as they were,
 * or, for an allocation the reset does without (the bus's bookkeeping), or
 * one a first try meets and the reset's second try (from a kernel copy)
 * does not, the reset is whole. Returns the points that fired.
 */
static int reset_fault_points(struct __test_metadata *_metadata, struct dax_dev *dev,
			      int fd, int nth, off_t page, uint8_t *src, size_t len,
			      const uint8_t *want, uint8_t *buf)
{
	int n, points = 0;

	dax_fill(src, 300, NEW, page + 1000);
	for (n = 1; n < 100; n++) {
		ssize_t got;

		fail_nth_set(nth, n);
		got = dax_rw2(fd, true, src, len, page + 1000, RESET);
		if (!fail_nth_fired(nth)) {
			EXPECT_EQ(300, got);
			break;
		}
		points++;
		if (got == 300) {
			EXPECT_EQ(0, dax_badblocks_count(dev)) TH_LOG("fault point %d", n);
			ASSERT_EQ(0, dax_write_pattern(fd, page + 1000, 300, OLD)) {
				return -1;
			}
			ASSERT_LE(0, dax_poison_file(dev, fd, page + 2 * DAX_SECTOR, 1)) {
				return -1;
			}
			continue;
		}
		EXPECT_TRUE(got == -EIO || got == -ENOMEM) TH_LOG("fault point %d: %zd", n, got);
		EXPECT_EQ(1, dax_badblocks_count(dev));
		memset(buf, 0xa5, FLEN);
		EXPECT_EQ(FLEN, ignore_all(fd, buf, FLEN));
		EXPECT_EQ(0, memcmp(buf, want, FLEN)) TH_LOG("fault point %d", n);
	}
	EXPECT_LT(n, 100);
	return points;
}

/*
 * Every fault point of the driver a reset of a poisoned page meets (an
 * allocation, ENOMEM; the clear, EIO) fails in turn, as
 * reset_fault_points() checks: once from a buffer that can be read
 * wholly, and once from one that cannot (its last byte is in an
 * inaccessible page): the reset writes the 300 bytes of the 301 asked that
 * can be read, a short write. With none left, the reset works.
 * An IGNORE read allocates nothing in the driver; reporting what it lost
 * allocates an event from a mempool: whichever allocation fails, the read
 * returns every byte.
 */
TEST_F(fs, fail_nth_driver_paths)
{
	const off_t page = 5 * DAX_PAGE;
	uint8_t *buf = malloc(FLEN), *want = malloc(FLEN), *src, *edge;
	int fd, nth, n, whole, part;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, want);
	fd = recovery_file(_metadata, &self->dev, "f", FLEN);
	if (fd < 0)
		goto out;
	self->poisoned = true;
	edge = mmap(NULL, 2 * DAX_PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, edge);
	ASSERT_EQ(0, mprotect(edge + DAX_PAGE, DAX_PAGE, PROT_NONE));
	ASSERT_EQ(0, failslab_limit(&self->dev));
	nth = fail_nth_open();
	ASSERT_GE(nth, 0);
	ASSERT_LE(0, dax_poison_file(&self->dev, fd, page + 2 * DAX_SECTOR, 1));
	dax_fill(want, FLEN, OLD, 0);
	memset(want + page + 2 * DAX_SECTOR, 0, DAX_SECTOR);

	for (n = 1; n < 20; n++) {
		fail_nth_set(nth, n);
		EXPECT_EQ(FLEN, ignore_all(fd, buf, FLEN)) TH_LOG("fault point %d", n);
		EXPECT_EQ(0, memcmp(buf, want, FLEN)) TH_LOG("fault point %d", n);
		if (!fail_nth_fired(nth))
			break;
	}
	EXPECT_LT(n, 20);

	src = malloc(300);
	ASSERT_NE(NULL, src);
	whole = reset_fault_points(_metadata, &self->dev, fd, nth, page, src, 300, want, buf);
	ASSERT_EQ(0, dax_write_pattern(fd, page + 1000, 300, OLD));
	ASSERT_LE(0, dax_poison_file(&self->dev, fd, page + 2 * DAX_SECTOR, 1));
	free(src);
	src = edge + DAX_PAGE - 300;
	part = reset_fault_points(_metadata, &self->dev, fd, nth, page, src, 301, want, buf);
	TH_LOG("a reset meets %d fault points, %d from a buffer read in part", whole, part);
	/*
	 * The driver's allocations (failslab is limited to the driver) are
	 * the same either way; a bus with a clear-error command allocates
	 * for its clear too.
	 */
	EXPECT_GE(whole, dax_bus_declared(&self->dev) == DAX_BUS_CLEAR_ERROR ? 2 : 1);
	EXPECT_EQ(part, whole);
	EXPECT_EQ(0, dax_badblocks_count(&self->dev));
	/* The rest of the bad sector, outside the write, reads as zeros. */
	dax_fill(want + page + 1000, 300, NEW, page + 1000);
	EXPECT_EQ(FLEN, pread(fd, buf, FLEN, 0));
	EXPECT_EQ(0, memcmp(buf, want, FLEN));
	close(nth);
	munmap(edge, 2 * DAX_PAGE);
out:
	failslab_unlimit();
	free(buf);
	free(want);
	close(fd);
}

/* The namespace device of the disk ("namespace0.0" or "pfn0.1"). */
static int disk_device(const struct dax_dev *dev, char *name, size_t len)
{
	char link[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/block/%s/device", dev->name);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return -1;
	target[n] = 0;
	snprintf(name, len, "%s", strrchr(target, '/') + 1);
	return 0;
}

static int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Probe with every allocation the driver makes (directly or through the
 * kernel functions it calls) failing in turn: each bind fails and leaves
 * nothing behind, or, if the allocation was optional, succeeds with a
 * working disk; when none is left to fail the probe succeeds and the data
 * is intact. Runs for both drivers; they meet the same allocations.
 */
/* Cases that need the device without a file system. */
FIXTURE(bare) {
	int unused;
};

FIXTURE_SETUP(bare)
{
}

FIXTURE_TEARDOWN(bare)
{
}

TEST_F_TIMEOUT(bare, fail_nth_probe, 1800)
{
	char why[256], drv[64], name[64], path[PATH_MAX];
	struct dax_dev dev;
	int nth, n, failures = 0, tolerated = 0, fd, errs[64] = { 0 };
	void *buf;

	if (dax_find_dev(&dev, why, sizeof(why)))
		SKIP(return, "%s", why);
	dax_driver(&dev, drv, sizeof(drv));
	ASSERT_NE(0, drv[0]);
	ASSERT_EQ(0, disk_device(&dev, name, sizeof(name)));
	ASSERT_EQ(0, posix_memalign(&buf, DAX_PAGE, 16 * DAX_PAGE));
	fd = open(dev.path, O_RDWR | O_DIRECT);
	ASSERT_GE(fd, 0);
	dax_fill(buf, 16 * DAX_PAGE, 71, 0);
	ASSERT_EQ(16 * DAX_PAGE, pwrite(fd, buf, 16 * DAX_PAGE, DAX_PAGE));
	close(fd);

	ASSERT_EQ(0, failslab_limit(&dev));
	nth = fail_nth_open();
	ASSERT_GE(nth, 0);
	snprintf(path, sizeof(path), "/sys/bus/nd/drivers/%s/unbind", drv);
	ASSERT_EQ(0, sysfs_write(path, name));
	snprintf(path, sizeof(path), "/sys/bus/nd/drivers/%s/bind", drv);
	for (n = 1; n < 1000; n++) {
		int ret;

		fail_nth_set(nth, n);
		ret = sysfs_write(path, name);
		if (!fail_nth_fired(nth)) {
			ASSERT_EQ(0, ret);
			break;
		}
		failures++;
		if (ret == 0) {
			/* An allocation the driver can do without: the disk works. */
			tolerated++;
			fd = open(dev.path, O_RDONLY | O_DIRECT);
			EXPECT_GE(fd, 0) TH_LOG("allocation %d", n);
			EXPECT_EQ(DAX_PAGE, pread(fd, buf, DAX_PAGE, DAX_PAGE));
			close(fd);
			snprintf(path, sizeof(path), "/sys/bus/nd/drivers/%s/unbind", drv);
			ASSERT_EQ(0, sysfs_write(path, name));
			snprintf(path, sizeof(path), "/sys/bus/nd/drivers/%s/bind", drv);
			continue;
		}
		/*
		 * Unwound: not bound, no disk. The error is ENOMEM or that of
		 * the step the allocation belonged to (EBUSY reserving the
		 * region, ENXIO reading the info block, EINVAL creating the
		 * bio slab cache): the same with both drivers.
		 */
		EXPECT_GT(0, ret) TH_LOG("allocation %d", n);
		errs[-ret < 64 ? -ret : 0]++;
		EXPECT_NE(0, access(dev.path, F_OK));
	}
	close(nth);
	failslab_unlimit();
	TH_LOG("%s: %d allocations failed in turn (%d without consequence), then it bound",
	       drv, failures, tolerated);
	for (int e = 0; e < 64; e++)
		if (errs[e])
			TH_LOG("  %d probes failed with %s", errs[e],
			       e ? strerror(e) : "another error");
	EXPECT_GE(failures, 3);
	ASSERT_EQ(0, dax_find_dev(&dev, why, sizeof(why))) TH_LOG("%s", why);
	fd = open(dev.path, O_RDONLY | O_DIRECT);
	ASSERT_GE(fd, 0);
	memset(buf, 0, 16 * DAX_PAGE);
	ASSERT_EQ(16 * DAX_PAGE, pread(fd, buf, 16 * DAX_PAGE, DAX_PAGE));
	EXPECT_EQ(-1, dax_check(buf, 16 * DAX_PAGE, 71, 0));
	close(fd);
	free(buf);
}

/*
 * A full badblocks table (512 entries): a further mark is refused with
 * ENOSPC; IGNORE reads every listed sector as zeros; poison met during a
 * copy that cannot be listed still reads as zeros for that read (the next
 * read meets it again); resets empty the table again.
 */
TEST_F(fs, badblocks_table_full)
{
	const size_t len = 2 * MiB;	/* 4096 sectors: entries every 4th */
	const int entries = 512;
	const off_t extra = 3000 * DAX_SECTOR;
	uint8_t *buf = malloc(len), *want = malloc(len);
	int64_t s0;
	int fd;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, want);
	fd = recovery_file(_metadata, &self->dev, "full", len);
	if (fd < 0)
		goto out;
	self->poisoned = true;
	dax_fill(want, len, OLD, 0);
	for (int i = 0; i < entries; i++) {
		off_t off = (off_t)i * 4 * DAX_SECTOR;

		ASSERT_LE(0, dax_poison_file(&self->dev, fd, off, 1)) TH_LOG("entry %d", i);
		memset(want + off, 0, DAX_SECTOR);
	}
	/* Entry 513, not adjacent to any: refused. */
	s0 = dax_file_sector(fd, extra);
	ASSERT_GE(s0, 0);
	EXPECT_EQ(-ENOSPC, dax_mark_bad(&self->dev, s0, 1));
	EXPECT_EQ((ssize_t)len, ignore_all(fd, buf, len));
	EXPECT_EQ(0, memcmp(buf, want, len));
	EXPECT_EQ(-1, pread(fd, buf, len, 0));
	EXPECT_EQ(EIO, errno);
	/* Consumed poison that cannot be listed: zeros for this read. */
	ASSERT_EQ(0, dax_fault_arm(&self->dev, "mc", "offset", s0 * DAX_SECTOR + 10, 0));
	EXPECT_EQ((ssize_t)len, ignore_all(fd, buf, len));
	memset(want + extra + 10, 0, DAX_SECTOR - 10);
	EXPECT_EQ(0, memcmp(buf, want, len));
	dax_fill(want + extra + 10, DAX_SECTOR - 10, OLD, extra + 10);
	EXPECT_EQ((ssize_t)len, ignore_all(fd, buf, len));
	EXPECT_EQ(0, memcmp(buf, want, len));
	/* One reset of the whole file empties the table. */
	dax_fill(buf, len, NEW, 0);
	EXPECT_EQ((ssize_t)len, dax_rw2(fd, true, buf, len, 0, RESET));
	EXPECT_EQ(0, dax_badblocks_count(&self->dev));
	EXPECT_EQ((ssize_t)len, pread(fd, buf, len, 0));
	EXPECT_EQ(-1, dax_check(buf, len, NEW, 0));
out:
	free(buf);
	free(want);
	close(fd);
}

/*
 * The list as /sys/block/<disk>/badblocks shows it: whole "sector count"
 * lines, less than the page sysfs has. Returns the number of lines, or -1.
 */
static int badblocks_text_lines(const struct dax_dev *dev)
{
	char path[128], text[8192], *line, *save;
	unsigned long long s, n;
	int fd, lines = 0;
	ssize_t len;

	snprintf(path, sizeof(path), "/sys/block/%s/badblocks", dev->name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	len = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (len <= 0 || len >= DAX_PAGE || text[len - 1] != '\n')
		return -1;
	text[len] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%llu %llu", &s, &n) != 2 || !n)
			return -1;
		lines++;
	}
	return lines;
}

/*
 * A reset that cannot take its page off a full badblocks table: the page's
 * sectors are in the middle of a listed range, so dropping them would split
 * the range, and the table has no room for the second half. The reset must
 * not report the page repaired while it is still listed bad; a reset of the
 * whole range, which needs no split, repairs it.
 */
TEST_F(fs, reset_cannot_unlist)
{
	const size_t len = 2 * MiB;
	uint8_t *buf = malloc(len), *want = malloc(len);
	int64_t extra;
	int fd;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, want);
	fd = recovery_file(_metadata, &self->dev, "unlist", len);
	if (fd < 0)
		goto out;
	self->poisoned = true;
	/* Pages 1 to 3 in one entry, then 511 one-sector entries from page 16. */
	ASSERT_LE(0, dax_poison_file(&self->dev, fd, DAX_PAGE, 3 * DAX_PAGE / DAX_SECTOR));
	for (int i = 0; i < 511; i++) {
		ASSERT_LE(0, dax_poison_file(&self->dev, fd, 16 * DAX_PAGE + i * 4 * DAX_SECTOR,
					     1)) TH_LOG("entry %d", i);
	}
	/* Full: a sector next to no entry is refused. */
	extra = dax_file_sector(fd, 3000 * DAX_SECTOR);
	ASSERT_GE(extra, 0);
	ASSERT_EQ(-ENOSPC, dax_mark_bad(&self->dev, extra, 1));
	/* Shown whole, as much of it as fits (7.3: a WARNING and a cut line). */
	EXPECT_LT(100, badblocks_text_lines(&self->dev));

	dax_fill(buf, DAX_PAGE, NEW, 2 * DAX_PAGE);
	EXPECT_EQ(-EIO, dax_rw2(fd, true, buf, DAX_PAGE, 2 * DAX_PAGE, RESET));
	EXPECT_EQ(-ENOSPC, dax_mark_bad(&self->dev, extra, 1));
	memset(buf, 0xa5, 4 * DAX_PAGE);
	EXPECT_EQ(4 * DAX_PAGE, dax_rw2(fd, false, buf, 4 * DAX_PAGE, 0, IGNORE));
	dax_fill(want, DAX_PAGE, OLD, 0);
	memset(want + DAX_PAGE, 0, 3 * DAX_PAGE);
	EXPECT_EQ(0, memcmp(buf, want, 4 * DAX_PAGE));

	dax_fill(buf, 3 * DAX_PAGE, NEW, DAX_PAGE);
	EXPECT_EQ(3 * DAX_PAGE, dax_rw2(fd, true, buf, 3 * DAX_PAGE, DAX_PAGE, RESET));
	/* The range's entry is gone: room for one more. */
	EXPECT_EQ(0, dax_mark_bad(&self->dev, extra, 1));
	EXPECT_EQ(4 * DAX_PAGE, pread(fd, buf, 4 * DAX_PAGE, 0));
	EXPECT_EQ(-1, dax_check(buf, DAX_PAGE, OLD, 0));
	EXPECT_EQ(-1, dax_check(buf + DAX_PAGE, 3 * DAX_PAGE, NEW, DAX_PAGE));
out:
	free(buf);
	free(want);
	close(fd);
}

/*
 * Thousands of bad sectors (3,200 in 400 ranges of an 8 MiB file): one
 * IGNORE read returns every good byte, one reset repairs them all.
 */
TEST_F(fs, thousands_of_bad_sectors)
{
	const size_t len = 8 * MiB;
	const int ranges = 400, per = 8, stride = 40;
	uint8_t *buf = malloc(len), *want = malloc(len);
	int fd;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, want);
	fd = recovery_file(_metadata, &self->dev, "many", len);
	if (fd < 0)
		goto out;
	self->poisoned = true;
	dax_fill(want, len, OLD, 0);
	for (int i = 0; i < ranges; i++) {
		/* Ranges at odd sector offsets, some across page boundaries. */
		off_t off = ((off_t)i * stride + 3 + i % 7) * DAX_SECTOR;

		ASSERT_LE(0, dax_poison_file(&self->dev, fd, off, per));
		memset(want + off, 0, per * DAX_SECTOR);
	}
	EXPECT_EQ((ssize_t)len, ignore_all(fd, buf, len));
	EXPECT_EQ(0, memcmp(buf, want, len));
	EXPECT_EQ(3 * DAX_SECTOR, pread(fd, buf, len, 0));
	dax_fill(buf, len, NEW, 0);
	EXPECT_EQ((ssize_t)len, dax_rw2(fd, true, buf, len, 0, RESET));
	EXPECT_EQ(0, dax_badblocks_count(&self->dev));
	EXPECT_EQ((ssize_t)len, pread(fd, buf, len, 0));
	EXPECT_EQ(-1, dax_check(buf, len, NEW, 0));
out:
	free(buf);
	free(want);
	close(fd);
}

/*
 * Access: IGNORE needs a readable descriptor, RESET a writable one, as the
 * read or write itself does (see dax_recover's "unprivileged" for users).
 */
TEST_F(fs, access_modes)
{
	uint8_t buf[DAX_PAGE];
	int fd, ro, wo;

	fd = recovery_file(_metadata, &self->dev, "acc", FLEN);
	if (fd < 0)
		goto out;
	ro = open(MNT "/acc", O_RDONLY);
	wo = open(MNT "/acc", O_WRONLY);
	ASSERT_GE(ro, 0);
	ASSERT_GE(wo, 0);
	EXPECT_EQ(DAX_PAGE, dax_rw2(ro, false, buf, DAX_PAGE, 0, IGNORE));
	EXPECT_EQ(-EBADF, dax_rw2(wo, false, buf, DAX_PAGE, 0, IGNORE));
	EXPECT_EQ(-EBADF, dax_rw2(ro, true, buf, DAX_PAGE, 0, RESET));
	EXPECT_EQ(DAX_PAGE, dax_rw2(wo, true, buf, DAX_PAGE, 0, RESET));
	close(ro);
	close(wo);
out:
	close(fd);
}

/*
 * Reflinked extents (XFS): two files share a poisoned block. IGNORE reads
 * it in both. A reset of one file writes a new block of its own (copy on
 * write) and never clears the shared one: the other file keeps its poison
 * and its bytes.
 */
TEST_F(fs, reset_shared_extent)
{
	const off_t page = 2 * DAX_PAGE, bad = page + 3 * DAX_SECTOR;
	uint8_t *buf = malloc(FLEN), *want = malloc(FLEN);
	int a, b;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, want);
	a = make_file("a", FLEN);
	ASSERT_GE(a, 0);
	b = create("b");
	ASSERT_GE(b, 0);
	if (strcmp(variant->fstype, "xfs")) {
		/* ext4 shares no blocks between files: nothing a reset could reach. */
		EXPECT_EQ(-1, ioctl(b, FICLONE, a));
		EXPECT_EQ(EOPNOTSUPP, errno);
		goto out;
	}
	ASSERT_EQ(0, ioctl(b, FICLONE, a)) TH_LOG("FICLONE: %s", strerror(errno));
	ASSERT_TRUE(dax_file_is_dax(b));
	ASSERT_EQ(dax_file_sector(a, bad), dax_file_sector(b, bad));
	if (!dax_driver_recovers(&self->dev)) {
		expect_refused(_metadata, b);
		goto out;
	}
	self->poisoned = true;
	ASSERT_LE(0, dax_poison_file(&self->dev, a, bad, 1));
	dax_fill(want, FLEN, OLD, 0);
	memset(want + bad, 0, DAX_SECTOR);
	EXPECT_EQ(FLEN, ignore_all(a, buf, FLEN));
	EXPECT_EQ(0, memcmp(buf, want, FLEN));
	EXPECT_EQ(FLEN, ignore_all(b, buf, FLEN));
	EXPECT_EQ(0, memcmp(buf, want, FLEN));

	/* Whole-page reset of b: b gets a block of its own. */
	dax_fill(buf, DAX_PAGE, NEW, page);
	EXPECT_EQ(DAX_PAGE, dax_rw2(b, true, buf, DAX_PAGE, page, RESET));
	EXPECT_NE(dax_file_sector(a, bad), dax_file_sector(b, bad));
	EXPECT_EQ(1, dax_badblocks_count(&self->dev));
	EXPECT_EQ(FLEN, pread(b, buf, FLEN, 0));
	EXPECT_EQ(-1, dax_check(buf + page, DAX_PAGE, NEW, page));
	/* a is untouched: its poison and its good bytes. */
	EXPECT_EQ(FLEN, ignore_all(a, buf, FLEN));
	EXPECT_EQ(0, memcmp(buf, want, FLEN));
	EXPECT_EQ(bad, pread(a, buf, FLEN, 0));
	/* Partial-page reset of a shared poisoned page of a new clone. */
	close(b);
	b = create("c");
	ASSERT_GE(b, 0);
	ASSERT_EQ(0, ioctl(b, FICLONE, a));
	dax_fill(buf, 100, NEW, page + 50);
	{
		ssize_t got = dax_rw2(b, true, buf, 100, page + 50, RESET);

		TH_LOG("partial reset of a shared poisoned page: %zd", got);
		EXPECT_EQ(100, got);
	}
	EXPECT_EQ(1, dax_badblocks_count(&self->dev));
	EXPECT_EQ(FLEN, ignore_all(a, buf, FLEN));
	EXPECT_EQ(0, memcmp(buf, want, FLEN));
	dax_fill(want + page + 50, 100, NEW, page + 50);
	EXPECT_EQ(FLEN, pread(b, buf, FLEN, 0));
	EXPECT_EQ(0, memcmp(buf, want, FLEN));
out:
	free(buf);
	free(want);
	close(a);
	close(b);
}

TEST_HARNESS_MAIN
