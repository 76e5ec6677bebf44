// SPDX-License-Identifier: GPL-2.0
/*
 * Poison that a machine check reports (Documentation/filesystems/dax.rst):
 * the test VM raises a real action-optional memory-scrub machine
 * check at a physical address of the pmem data (dax_mce_inject(): QEMU's
 * monitor, on every vCPU), the guest's own handler runs memory_failure()
 * and the machine-check notifiers, and from then on the recovery flags
 * must treat the poisoned cache line as known poison:
 *
 *  - it is recorded in the disk's badblocks, exactly the sector holding
 *    it, on every kind of bus;
 *  - plain reads stop before it and fail on it with EIO; IGNORE reads give
 *    every good byte exactly, zeros for the sector, also on XFS with the
 *    reverse-mapping btree, where memory_failure() succeeds and takes the
 *    page out of the kernel's direct map;
 *  - a reset repairs it where the bus can clear (the test bus, e820) and
 *    is refused where it cannot (QEMU's NFIT), nothing forgotten;
 *  - a reset that covers one of two poisoned sectors of a page leaves the
 *    other lost, even though the test bus overwrote it with 0xa5 when it
 *    cleared the page's poison; a partial clear leaves the page poisoned.
 *
 * reset_atomic_mmap races a multi-page reset (known poison, written into
 * badblocks) with a process that faults the pages in through mmap: it
 * never sees some pages repaired and others not (dax.rst: a reset is
 * atomic).
 *
 * Each case runs on ext4, XFS and XFS with rmapbt=1, with the bound pmem
 * driver, on the bus the harness names (DAX_RECOVERY_BUS). A machine check
 * on QEMU's NFIT cannot be cleared: the bus keeps it for the life of the
 * VM, so there the fixture accepts the poison earlier cases left (and
 * places each case's file clear of it); the harness runs this program last
 * on that bus.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "dax_common.h"
#include "dax_io.h"

#define MNT	"/tmp/dax_recovery_mnt"
#define MiB	(1024 * 1024)

#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT	300

#define IGNORE	RWF_IGNORE_HWERROR
#define RESET	RWF_RESET_HWERROR
#define OLD	51		/* pattern seed of the file */
#define NEW	52		/* pattern seed of what a reset writes */
#define FLEN	(64 * 1024)
#define MC	(9216 + 128)	/* the machine check's file offset */
#define SECT_A	9216		/* the sector holding it */
#define PAGE_A	8192		/* and its page */
#define MC_B	(11264 + 64)	/* a second one in the same page */
#define SECT_B	11264
#define WOFF	9300		/* a reset of WLEN bytes inside SECT_A */
#define WLEN	100
#define MAXBB	64
#define PARTIAL	"/sys/module/nd_testbus/parameters/partial_clear"

static bool bb_has(const struct dax_bb *bb, int n, uint64_t sector)
{
	for (int i = 0; i < n; i++)
		if (sector >= bb[i].sector && sector < bb[i].sector + bb[i].count)
			return true;
	return false;
}

/* Number of sectors listed in @bb and not in @base. */
static uint64_t bb_new_sectors(const struct dax_bb *bb, int n, const struct dax_bb *base, int nbase)
{
	uint64_t cnt = 0;

	for (int i = 0; i < n; i++)
		for (uint64_t s = bb[i].sector; s < bb[i].sector + bb[i].count; s++)
			cnt += !bb_has(base, nbase, s);
	return cnt;
}

FIXTURE(mce) {
	struct dax_dev dev;
	bool mounted;
	bool clears;
	/* the poison the bus keeps from earlier cases (NFIT only) */
	struct dax_bb base[MAXBB];
	int nbase;
	int fd;
	int64_t sect_a;		/* device sector of SECT_A */
};

FIXTURE_VARIANT(mce) {
	const char *fstype;
};

FIXTURE_VARIANT_ADD(mce, ext4) { .fstype = "ext4" };
FIXTURE_VARIANT_ADD(mce, xfs) { .fstype = "xfs" };
FIXTURE_VARIANT_ADD(mce, xfs_rmapbt) { .fstype = "xfs-rmapbt" };

/*
 * Clear what a machine check left on a bus that can clear: zeros written
 * through the block device over every listed sector clear it (the file
 * system is gone), then the namespace is re-enabled, which re-reads the
 * bus's list. Returns the entries left.
 */
static int scrub_device(struct dax_dev *dev)
{
	struct dax_bb bb[MAXBB];
	int n = dax_badblocks_read(dev, bb, MAXBB);
	void *zero;
	int fd;

	if (n <= 0)
		return n;
	if (posix_memalign(&zero, DAX_PAGE, DAX_SECTOR))
		return n;
	memset(zero, 0, DAX_SECTOR);
	fd = open(dev->path, O_WRONLY | O_DIRECT);
	if (fd >= 0) {
		for (int i = 0; i < n; i++)
			for (uint64_t s = bb[i].sector; s < bb[i].sector + bb[i].count; s++)
				(void)!pwrite(fd, zero, DAX_SECTOR, s * DAX_SECTOR);
		close(fd);
	}
	free(zero);
	(void)dax_reset_badblocks(dev);
	return dax_badblocks_count(dev);
}

FIXTURE_SETUP(mce)
{
	char why[256], bound[64];
	const char *drv;

	self->mounted = false;
	self->fd = -1;
	if (dax_find_dev(&self->dev, why, sizeof(why)))
		SKIP(return, "%s", why);
	drv = getenv("DAX_RECOVERY_DRIVER");
	if (drv && *drv)
		ASSERT_STREQ(drv, dax_driver(&self->dev, bound, sizeof(bound)));
	ASSERT_EQ(dax_bus_declared(&self->dev), dax_bus_kind(&self->dev))
		TH_LOG("%s is not on the bus the harness named", self->dev.path);
	self->clears = dax_bus_clears(&self->dev);
	if (dax_run("grep -q ' %s ' /proc/mounts", MNT) == 0)
		EXPECT_EQ(0, dax_umount(MNT)) TH_LOG("a stale mount at " MNT);
	if (dax_badblocks_count(&self->dev) > 0)
		(void)dax_reset_badblocks(&self->dev);
	if (self->clears) {
		if (dax_badblocks_count(&self->dev) > 0)
			scrub_device(&self->dev);
		ASSERT_EQ(0, dax_badblocks_count(&self->dev)) TH_LOG("stale poison on the device");
	}
	/* NFIT: what earlier machine checks left, for good */
	self->nbase = dax_badblocks_read(&self->dev, self->base, MAXBB);
	ASSERT_LE(0, self->nbase);
	ASSERT_GT(MAXBB, self->nbase);
	if (dax_mkfs(&self->dev, variant->fstype)) {
		/*
		 * QEMU's NFIT cannot clear: the poison earlier cases' machine
		 * checks left stays, and mkfs cannot write over it.
		 */
		if (!self->clears && self->nbase)
			SKIP(return, "mkfs.%s: earlier poison, no clear",
			     variant->fstype);
		ASSERT_TRUE(false) TH_LOG("mkfs.%s failed", variant->fstype);
	}
	ASSERT_EQ(0, dax_mount(&self->dev, variant->fstype, MNT));
	self->mounted = true;
}

FIXTURE_TEARDOWN_PARENT(mce)
{
	if (self->mounted)
		EXPECT_EQ(0, dax_umount(MNT));
	if (!access(PARTIAL, W_OK))
		(void)dax_run("echo 0 > " PARTIAL);
	if (self->clears && dax_badblocks_count(&self->dev) > 0)
		EXPECT_EQ(0, scrub_device(&self->dev)) TH_LOG("poison left after the case");
}

static bool zeros(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i])
			return false;
	return true;
}

/* Device sector of byte @off of @fd, allocated (unwritten or not), or -1. */
static int64_t alloc_sector(int fd, off_t off)
{
	uint64_t buf[(sizeof(struct fiemap) + sizeof(struct fiemap_extent)) / 8 + 1];
	struct fiemap *fm = (struct fiemap *)buf;
	struct fiemap_extent *e = &fm->fm_extents[0];

	memset(buf, 0, sizeof(buf));
	fm->fm_start = off;
	fm->fm_length = 1;
	fm->fm_extent_count = 1;
	if (ioctl(fd, FS_IOC_FIEMAP, fm) || fm->fm_mapped_extents != 1 ||
	    off < (off_t)e->fe_logical || off >= (off_t)(e->fe_logical + e->fe_length))
		return -1;
	return (int64_t)((e->fe_physical + (off - e->fe_logical)) / DAX_SECTOR);
}

/*
 * Where a bus cannot clear (QEMU's NFIT), a machine check's poison stays
 * for the life of the VM, and every later case's mkfs must not write over
 * it: mkfs.xfs zeroes the first and last 128 KiB of the device and writes
 * each AG's headers and the log (at 1/4, 1/2 and 3/4 of a 1 GiB device),
 * mkfs.ext4 its first 512 KiB, the group headers and the journal (at 1/4),
 * and ext4's lazy init the inode tables (below 17 MiB). XFS puts a first
 * file at 100 KiB, so on such a bus the file is pushed to QUIET_MIB or
 * beyond, where none of the three writes (ext4 puts it past 128 MiB).
 */
#define QUIET_MIB	20

/*
 * The test file: FLEN bytes of pattern OLD, its first page clear of the
 * poison the bus already holds (NFIT): a spacer file, allocated but never
 * written, pushes it past that. Fills self->fd and self->sect_a.
 */
static void make_file(struct __test_metadata *_metadata, struct _test_data_mce *self)
{
	int from = self->clears ? 0 : QUIET_MIB;

	for (int spacer = from; spacer < from + 64; spacer++) {
		int64_t first, last;
		bool clear = true;
		int fd, sp;

		if (spacer) {
			sp = open(MNT "/spacer", O_RDWR | O_CREAT, 0644);
			ASSERT_LE(0, sp);
			ASSERT_EQ(0, fallocate(sp, 0, 0, (off_t)spacer * MiB));
			close(sp);
		}
		fd = open(MNT "/damaged", O_RDWR | O_CREAT | O_TRUNC, 0644);
		ASSERT_LE(0, fd);
		ASSERT_TRUE(dax_file_is_dax(fd));
		ASSERT_EQ(0, fallocate(fd, 0, 0, FLEN));
		first = alloc_sector(fd, 0);
		last = alloc_sector(fd, FLEN - 1);
		ASSERT_LE(0, first);
		if (!self->clears && first < (int64_t)QUIET_MIB * MiB / DAX_SECTOR)
			clear = false;
		for (int64_t s = first - 8; s <= last + 8 && clear; s++)
			clear = !bb_has(self->base, self->nbase, s);
		if (clear && last == first + FLEN / DAX_SECTOR - 1) {
			ASSERT_EQ(0, dax_write_pattern(fd, 0, FLEN, OLD));
			self->fd = fd;
			self->sect_a = dax_file_sector(fd, SECT_A);
			ASSERT_LE(0, self->sect_a);
			return;
		}
		close(fd);
		unlink(MNT "/damaged");
	}
	ASSERT_TRUE(false) TH_LOG("no place for the file clear of the bus's poison");
}

/* A machine check at file offset @off; asserts the kernel acted on it. */
static void mce_at(struct __test_metadata *_metadata, struct _test_data_mce *self,
		   const char *fstype, off_t off)
{
	uint64_t phys = dax_file_phys(&self->dev, self->fd, off);
	int ret;

	ASSERT_NE(0ULL, (unsigned long long)phys)
		TH_LOG("no physical address for file offset %lld", (long long)off);
	ret = dax_mce_inject(&self->dev, phys);
	TH_LOG("machine check at %#llx (file offset %lld): %s", (unsigned long long)phys,
	       (long long)off, dax_mce_status());
	ASSERT_EQ(0, ret) TH_LOG("%s", strerror(-ret));
	/*
	 * memory_failure() succeeds only where the file system finds the
	 * page's owner: XFS with rmapbt; ext4 and XFS without it cannot.
	 */
	EXPECT_EQ(!strcmp(fstype, "xfs-rmapbt"), dax_mce_recovered())
		TH_LOG("%s", dax_mce_status());
}

/* The list is the poison the bus held before the case, plus @sect (and @sect2). */
static void expect_listed(struct __test_metadata *_metadata, struct _test_data_mce *self,
			  int64_t sect, int64_t sect2)
{
	struct dax_bb bb[MAXBB];
	int n = dax_badblocks_read(&self->dev, bb, MAXBB);
	uint64_t want = (sect >= 0) + (sect2 >= 0);

	ASSERT_LE(0, n);
	for (int i = 0; i < n; i++)
		TH_LOG("badblocks: %llu %llu", (unsigned long long)bb[i].sector,
		       (unsigned long long)bb[i].count);
	if (sect >= 0)
		EXPECT_TRUE(bb_has(bb, n, sect))
			TH_LOG("sector %lld not listed", (long long)sect);
	if (sect2 >= 0)
		EXPECT_TRUE(bb_has(bb, n, sect2))
			TH_LOG("sector %lld not listed", (long long)sect2);
	EXPECT_EQ(want, bb_new_sectors(bb, n, self->base, self->nbase));
	/* nothing the bus held before was forgotten */
	for (int i = 0; i < self->nbase; i++)
		EXPECT_TRUE(bb_has(bb, n, self->base[i].sector));
}

/*
 * The whole file as an IGNORE read must return it: pattern OLD, zeros in
 * [@z1, @z1 + @l1) and [@z2, @z2 + @l2), pattern NEW in [@w, @w + @wl).
 */
static void expect_ignore(struct __test_metadata *_metadata, int fd, off_t z1, size_t l1,
			  off_t z2, size_t l2, off_t w, size_t wl)
{
	uint8_t *buf = malloc(FLEN);

	ASSERT_NE(NULL, buf);
	memset(buf, 0xee, FLEN);
	ASSERT_EQ(FLEN, dax_rw2(fd, false, buf, FLEN, 0, IGNORE));
	for (off_t i = 0; i < FLEN; i++) {
		uint8_t want;

		if (i >= w && i < w + (off_t)wl)
			want = dax_pattern(NEW, i);
		else if ((i >= z1 && i < z1 + (off_t)l1) || (i >= z2 && i < z2 + (off_t)l2))
			want = 0;
		else
			want = dax_pattern(OLD, i);
		if (buf[i] != want)
			ASSERT_EQ(want, buf[i])
				TH_LOG("byte %lld of the IGNORE read", (long long)i);
	}
	free(buf);
}

/*
 * Plain reads: the bytes before @bad (of which the first @exact are still
 * pattern OLD; the IGNORE reads check the rest), EIO at @bad.
 */
static void expect_plain_stops_after(struct __test_metadata *_metadata, int fd, off_t bad,
				     off_t exact)
{
	uint8_t *buf = malloc(FLEN);

	ASSERT_NE(NULL, buf);
	memset(buf, 0xee, FLEN);
	ASSERT_EQ((ssize_t)bad, pread(fd, buf, FLEN, 0));
	EXPECT_EQ(-1, dax_check(buf, exact, OLD, 0));
	errno = 0;
	EXPECT_EQ(-1, pread(fd, buf, FLEN - bad, bad));
	EXPECT_EQ(EIO, errno);
	errno = 0;
	EXPECT_EQ(-1, pread(fd, buf, 1, bad + DAX_SECTOR - 1));
	EXPECT_EQ(EIO, errno);
	free(buf);
}

static void expect_plain_stops(struct __test_metadata *_metadata, int fd, off_t bad)
{
	expect_plain_stops_after(_metadata, fd, bad, bad);
}

/* A reset where the bus cannot clear: refused, nothing moved. */
static void expect_reset_refused(struct __test_metadata *_metadata, int fd)
{
	uint8_t data[WLEN];
	ssize_t r;

	EXPECT_EQ(-EOPNOTSUPP, dax_rw2(fd, true, NULL, 0, 0, RESET));
	dax_fill(data, WLEN, NEW, WOFF);
	r = dax_rw2(fd, true, data, WLEN, WOFF, RESET);
	EXPECT_TRUE(r == -EOPNOTSUPP || r == -EIO) TH_LOG("reset: %zd", r);
}

static sigjmp_buf fault_env;
/* not a local: siglongjmp() leaves a non-volatile local undefined */
static bool mmap_read_ok;

static void on_sigbus(int sig)
{
	siglongjmp(fault_env, 1);
}

/* Map the page at @off and read it: true if it read (no SIGBUS), copied to @out. */
static bool mmap_reads(int fd, off_t off, uint8_t *out)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	uint8_t *map;

	map = mmap(NULL, DAX_PAGE, PROT_READ, MAP_SHARED, fd, off);
	if (map == MAP_FAILED)
		return false;
	mmap_read_ok = false;
	sigaction(SIGBUS, &sa, &old);
	if (!sigsetjmp(fault_env, 1)) {
		memcpy(out, map, DAX_PAGE);
		mmap_read_ok = true;
	}
	sigaction(SIGBUS, &old, NULL);
	munmap(map, DAX_PAGE);
	return mmap_read_ok;
}

/*
 * One machine check at MC: recorded as exactly its sector; plain reads
 * stop there; IGNORE reads zero that sector and nothing else.
 */
TEST_F(mce, read_around)
{
	uint8_t page[DAX_PAGE];

	make_file(_metadata, self);
	mce_at(_metadata, self, variant->fstype, MC);
	expect_listed(_metadata, self, self->sect_a, -1);
	expect_plain_stops(_metadata, self->fd, SECT_A);
	expect_ignore(_metadata, self->fd, SECT_A, DAX_SECTOR, 0, 0, 0, 0);
	/* unaligned, from inside the page up to the sector */
	ASSERT_EQ(SECT_A - PAGE_A - 3, pread(self->fd, page, DAX_PAGE, PAGE_A + 3));
	EXPECT_EQ(-1, dax_check(page, SECT_A - PAGE_A - 3, OLD, PAGE_A + 3));
	/* the page after, whole */
	ASSERT_EQ(DAX_PAGE, pread(self->fd, page, DAX_PAGE, PAGE_A + DAX_PAGE));
	EXPECT_EQ(-1, dax_check(page, DAX_PAGE, OLD, PAGE_A + DAX_PAGE));
	/* mmap of the poisoned page: SIGBUS, as today */
	EXPECT_FALSE(mmap_reads(self->fd, PAGE_A, page));
	/* reading around the poison did not clear or change it */
	expect_listed(_metadata, self, self->sect_a, -1);
	close(self->fd);
}

/*
 * A reset of WLEN bytes inside the poisoned sector, where the bus clears:
 * the sector holds the data and zeros around it, the rest of the page is
 * exact, the sector is no longer listed, the page maps again. Where the
 * bus cannot clear, the reset is refused and nothing changes.
 */
TEST_F(mce, reset)
{
	uint8_t data[WLEN], page[DAX_PAGE];

	make_file(_metadata, self);
	mce_at(_metadata, self, variant->fstype, MC);
	expect_listed(_metadata, self, self->sect_a, -1);
	if (!self->clears) {
		expect_reset_refused(_metadata, self->fd);
		expect_listed(_metadata, self, self->sect_a, -1);
		expect_plain_stops(_metadata, self->fd, SECT_A);
		expect_ignore(_metadata, self->fd, SECT_A, DAX_SECTOR, 0, 0, 0, 0);
		close(self->fd);
		return;
	}
	dax_fill(data, WLEN, NEW, WOFF);
	errno = 0;
	ASSERT_EQ(WLEN, dax_rw2(self->fd, true, data, WLEN, WOFF, RESET));
	expect_listed(_metadata, self, -1, -1);
	expect_ignore(_metadata, self->fd, SECT_A, WOFF - SECT_A, WOFF + WLEN,
		      SECT_A + DAX_SECTOR - WOFF - WLEN, WOFF, WLEN);
	/* plain reads, the whole page and the whole file, without error */
	memset(page, 0xee, sizeof(page));
	ASSERT_EQ(DAX_PAGE, pread(self->fd, page, DAX_PAGE, PAGE_A));
	EXPECT_EQ(-1, dax_check(page, SECT_A - PAGE_A, OLD, PAGE_A));
	EXPECT_TRUE(zeros(page + SECT_A - PAGE_A, WOFF - SECT_A));
	EXPECT_EQ(-1, dax_check(page + WOFF - PAGE_A, WLEN, NEW, WOFF));
	EXPECT_TRUE(zeros(page + WOFF + WLEN - PAGE_A, SECT_A + DAX_SECTOR - WOFF - WLEN));
	EXPECT_EQ(-1, dax_check(page + SECT_A + DAX_SECTOR - PAGE_A,
				PAGE_A + DAX_PAGE - SECT_A - DAX_SECTOR, OLD, SECT_A + DAX_SECTOR));
	/* the page maps and reads again, the same bytes */
	{
		uint8_t mapped[DAX_PAGE];

		ASSERT_TRUE(mmap_reads(self->fd, PAGE_A, mapped)) TH_LOG("SIGBUS after the reset");
		EXPECT_EQ(0, memcmp(mapped, page, DAX_PAGE));
	}
	close(self->fd);
}

/* Unbind the disk's namespace device (or its pfn claim) and bind it again. */
static int rebind(const struct dax_dev *dev)
{
	char link[PATH_MAX], target[PATH_MAX], drv[64];
	ssize_t n;

	if (!dax_driver(dev, drv, sizeof(drv))[0])
		return -1;
	snprintf(link, sizeof(link), "/sys/block/%s/device", dev->name);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return -1;
	target[n] = 0;
	if (dax_run("echo %s > /sys/bus/nd/drivers/%s/unbind", strrchr(target, '/') + 1, drv))
		return -1;
	return dax_run("echo %s > /sys/bus/nd/drivers/%s/bind", strrchr(target, '/') + 1, drv);
}

/*
 * Two machine checks in one page, a reset that writes only into the first
 * sector: the second stays listed and lost (plain reads fail there, IGNORE
 * reads zero it), though the test bus wrote 0xa5 over it when the page's
 * poison was cleared: a driver that trusted cleared bytes would show that.
 * The bus's records and the region's keep it too: a driver that forgot it
 * at the clear rather than at the write would lose it from the disk's list
 * when the disk is probed again.
 */
TEST_F(mce, reset_one_of_two)
{
	int64_t sect_b;
	uint8_t data[WLEN];

	make_file(_metadata, self);
	sect_b = dax_file_sector(self->fd, SECT_B);
	ASSERT_EQ(self->sect_a + (SECT_B - SECT_A) / DAX_SECTOR, sect_b);
	mce_at(_metadata, self, variant->fstype, MC);
	mce_at(_metadata, self, variant->fstype, MC_B);
	expect_listed(_metadata, self, self->sect_a, sect_b);
	expect_plain_stops(_metadata, self->fd, SECT_A);
	expect_ignore(_metadata, self->fd, SECT_A, DAX_SECTOR, SECT_B, DAX_SECTOR, 0, 0);
	if (!self->clears) {
		expect_reset_refused(_metadata, self->fd);
		expect_listed(_metadata, self, self->sect_a, sect_b);
		expect_ignore(_metadata, self->fd, SECT_A, DAX_SECTOR, SECT_B, DAX_SECTOR, 0, 0);
		close(self->fd);
		return;
	}
	dax_fill(data, WLEN, NEW, WOFF);
	ASSERT_EQ(WLEN, dax_rw2(self->fd, true, data, WLEN, WOFF, RESET));
	expect_listed(_metadata, self, sect_b, -1);
	expect_plain_stops_after(_metadata, self->fd, SECT_B, SECT_A);
	/* SECT_A: zeros, the data, zeros; SECT_B: zeros (not 0xa5) */
	{
		uint8_t *buf = malloc(FLEN);

		ASSERT_NE(NULL, buf);
		ASSERT_EQ(FLEN, dax_rw2(self->fd, false, buf, FLEN, 0, IGNORE));
		EXPECT_EQ(-1, dax_check(buf, SECT_A, OLD, 0));
		EXPECT_TRUE(zeros(buf + SECT_A, WOFF - SECT_A));
		EXPECT_EQ(-1, dax_check(buf + WOFF, WLEN, NEW, WOFF));
		EXPECT_TRUE(zeros(buf + WOFF + WLEN, SECT_A + DAX_SECTOR - WOFF - WLEN));
		EXPECT_EQ(-1, dax_check(buf + SECT_A + DAX_SECTOR, SECT_B - SECT_A - DAX_SECTOR,
					OLD, SECT_A + DAX_SECTOR));
		EXPECT_TRUE(zeros(buf + SECT_B, DAX_SECTOR))
			TH_LOG("byte 0 of the lost sector: %#x", buf[SECT_B]);
		EXPECT_EQ(-1, dax_check(buf + SECT_B + DAX_SECTOR, FLEN - SECT_B - DAX_SECTOR,
					OLD, SECT_B + DAX_SECTOR));
		free(buf);
	}
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, dax_umount(MNT));
	self->mounted = false;
	ASSERT_EQ(0, rebind(&self->dev));
	expect_listed(_metadata, self, sect_b, -1);
}

/*
 * The test bus clears only half of what it is asked to (partial_clear=1):
 * the reset fails with EIO, writes nothing, and the sector stays listed.
 * Only the test bus can be told to clear in part.
 */
TEST_F(mce, partial_clear)
{
	uint8_t data[WLEN];

	if (dax_bus_declared(&self->dev) != DAX_BUS_CLEAR_ERROR)
		SKIP(return, "only the test bus clears in part (nd_testbus partial_clear)");
	ASSERT_EQ(0, access(PARTIAL, W_OK));
	make_file(_metadata, self);
	mce_at(_metadata, self, variant->fstype, MC);
	expect_listed(_metadata, self, self->sect_a, -1);
	ASSERT_EQ(0, dax_run("echo 1 > " PARTIAL));
	dax_fill(data, WLEN, NEW, WOFF);
	EXPECT_EQ(-EIO, dax_rw2(self->fd, true, data, WLEN, WOFF, RESET));
	ASSERT_EQ(0, dax_run("echo 0 > " PARTIAL));
	expect_listed(_metadata, self, self->sect_a, -1);
	expect_plain_stops(_metadata, self->fd, SECT_A);
	expect_ignore(_metadata, self->fd, SECT_A, DAX_SECTOR, 0, 0, 0, 0);
	close(self->fd);
}

/*
 * Is physical page @phys in the kernel's direct map? From the kernel's
 * page tables as debugfs shows them (CONFIG_PTDUMP_DEBUGFS): the direct map
 * starts at PAGE_OFFSET, the "Low Kernel Mapping" marker: the first range
 * after the marker rounded down to 1 GiB (PAGE_OFFSET is PUD-aligned, with
 * or without KASLR; the first range itself starts after the unmapped page
 * 0); a range without RW or ro is not present.
 * Returns 1 (mapped), 0 (not present), -1 (cannot tell).
 */
static int direct_mapped(uint64_t phys)
{
	unsigned long long start, end, base = 0, va;
	bool in_map = false, have_base = false;
	char line[512];
	int ret = -1;
	FILE *f;

	/* EBUSY if it is mounted already */
	(void)mount("none", "/sys/kernel/debug", "debugfs", 0, NULL);
	f = fopen("/sys/kernel/debug/page_tables/kernel", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "---[ ", 5)) {
			if (in_map)
				break;
			in_map = strstr(line, "Low Kernel Mapping");
			continue;
		}
		if (!in_map || sscanf(line, "%llx-%llx", &start, &end) != 2)
			continue;
		if (!have_base) {
			base = start & ~((1ULL << 30) - 1);
			have_base = true;
		}
		va = base + phys;
		if (va >= start && va < end) {
			ret = strstr(line, " RW ") || strstr(line, " ro ");
			break;
		}
	}
	fclose(f);
	return ret;
}

/*
 * direct_mapped() once it says @want, or after a second: the machine-check
 * handler calls set_mce_nospec() after memory_failure() has logged its
 * line, so the page may still be mapped when dax_mce_inject() returns.
 */
static int direct_mapped_settled(uint64_t phys, int want)
{
	int got = direct_mapped(phys);

	for (int i = 0; i < 100 && got != want && got >= 0; i++) {
		usleep(10000);
		got = direct_mapped(phys);
	}
	return got;
}

/*
 * The page's kernel mapping: memory_failure() succeeds on XFS with rmapbt
 * and takes the page out of the direct map (set_mce_nospec()); on ext4 and
 * XFS without rmapbt it fails and the page stays mapped. A reset that
 * clears the page's last poison puts it back (never before); where the bus
 * cannot clear, it stays out. (/proc/kpageflags cannot say: it shows no
 * flags for ZONE_DEVICE pages, pmem's among them.)
 */
TEST_F(mce, direct_map)
{
	bool recovers = !strcmp(variant->fstype, "xfs-rmapbt");
	uint8_t data[WLEN];
	uint64_t phys;

	make_file(_metadata, self);
	phys = dax_file_phys(&self->dev, self->fd, PAGE_A);
	ASSERT_EQ(1, direct_mapped(phys))
		TH_LOG("page %#llx not in the direct map (or no page_tables in debugfs)",
		       (unsigned long long)phys);
	mce_at(_metadata, self, variant->fstype, MC);
	/*
	 * Where memory_failure() recovers, the handler takes the page out of
	 * the direct map (set_mce_nospec()) after it has logged its line.
	 */
	EXPECT_EQ(!recovers, direct_mapped_settled(phys, !recovers))
		TH_LOG("after the machine check the page should be %s the direct map",
		       recovers ? "out of" : "in");
	/* every good byte still reads exactly, through a mapping of its own */
	expect_ignore(_metadata, self->fd, SECT_A, DAX_SECTOR, 0, 0, 0, 0);
	expect_plain_stops(_metadata, self->fd, SECT_A);
	if (!self->clears) {
		expect_reset_refused(_metadata, self->fd);
		/* nothing cleared: the page stays where the handler left it */
		EXPECT_EQ(!recovers, direct_mapped(phys));
		close(self->fd);
		return;
	}
	/* a partial clear leaves the page poisoned: still out of the map */
	if (dax_bus_declared(&self->dev) == DAX_BUS_CLEAR_ERROR) {
		ASSERT_EQ(0, dax_run("echo 1 > " PARTIAL));
		dax_fill(data, WLEN, NEW, WOFF);
		EXPECT_EQ(-EIO, dax_rw2(self->fd, true, data, WLEN, WOFF, RESET));
		ASSERT_EQ(0, dax_run("echo 0 > " PARTIAL));
		EXPECT_EQ(!recovers, direct_mapped(phys))
			TH_LOG("a partial clear must leave the page where it was");
	}
	dax_fill(data, WLEN, NEW, WOFF);
	ASSERT_EQ(WLEN, dax_rw2(self->fd, true, data, WLEN, WOFF, RESET));
	EXPECT_EQ(1, direct_mapped(phys));
	expect_listed(_metadata, self, -1, -1);
	expect_ignore(_metadata, self->fd, SECT_A, WOFF - SECT_A, WOFF + WLEN,
		      SECT_A + DAX_SECTOR - WOFF - WLEN, WOFF, WLEN);
	close(self->fd);
}

/*
 * A store through a shared mapping leaves the page dirty in the file's DAX
 * entries; a machine check in that page then takes it out of the direct map
 * (memory_failure() finds the page's owner from its DAX association, on
 * every file system) before fsync writes the entry back. The write-back
 * must reach the page without the direct map (no oops), and the stored
 * byte, in a good sector, must read back exactly.
 */
TEST_F(mce, writeback_after_mce)
{
	const off_t at = SECT_A - DAX_SECTOR + 100;
	uint8_t *map, *buf = malloc(FLEN);
	uint64_t phys;

	ASSERT_NE(NULL, buf);
	make_file(_metadata, self);
	map = mmap(NULL, FLEN, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	map[at] = (uint8_t)~dax_pattern(OLD, at);
	ASSERT_EQ(0, munmap(map, FLEN));
	phys = dax_file_phys(&self->dev, self->fd, MC);
	ASSERT_EQ(0, dax_mce_inject(&self->dev, phys)) TH_LOG("%s", dax_mce_status());
	/* the case is about a page out of the direct map: nothing else counts */
	ASSERT_TRUE(dax_mce_recovered()) TH_LOG("%s", dax_mce_status());
	ASSERT_EQ(0, direct_mapped_settled(phys, 0));
	EXPECT_EQ(0, fsync(self->fd)) TH_LOG("fsync: %s", strerror(errno));
	expect_listed(_metadata, self, self->sect_a, -1);
	/* a plain read stops at the poisoned sector, the stored byte before it */
	ASSERT_EQ(SECT_A, pread(self->fd, buf, FLEN, 0));
	for (off_t i = 0; i < SECT_A; i++) {
		uint8_t want = i == at ? (uint8_t)~dax_pattern(OLD, i) : dax_pattern(OLD, i);

		ASSERT_EQ(want, buf[i]) TH_LOG("byte %lld", (long long)i);
	}
	free(buf);
	close(self->fd);
}

/*
 * Atomicity: a reset of PAGES poisoned pages (known poison, one sector of
 * each) while another process faults them in through mmap, first to last,
 * over and over. A poisoned page cannot be mapped (SIGBUS); a mapped page
 * must be the new one, whole. Within one sweep, once a page read new, no
 * later page may still be poisoned: the reset is one step for faults.
 */
#define PAGES	8

struct sweep {
	long sweeps, mixed, torn, sigbus, mapped;
	int stop;
};

/* Page @p of generation @gen: every 64-bit word holds (gen << 32 | p). */
static void gen_fill(uint64_t *w, int gen, int p)
{
	for (size_t i = 0; i < DAX_PAGE / sizeof(*w); i++)
		w[i] = (uint64_t)gen << 32 | p;
}

/*
 * The sweeper's state across siglongjmp(): statics, not locals (a local
 * changed after sigsetjmp() is undefined after the jump unless volatile).
 */
static bool sweep_seen_new, sweep_mixed;
static int sweep_page;

static void sweeper(int fd, int gen, struct sweep *s)
{
	static uint64_t copy[DAX_PAGE / sizeof(uint64_t)];
	struct sigaction sa = { .sa_handler = on_sigbus };
	uint8_t *map;

	sigaction(SIGBUS, &sa, NULL);
	map = mmap(NULL, PAGES * DAX_PAGE, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		_exit(1);
	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		sweep_seen_new = false;
		sweep_mixed = false;
		for (sweep_page = 0; sweep_page < PAGES; sweep_page++) {
			int p = sweep_page;

			if (sigsetjmp(fault_env, 1)) {
				__atomic_add_fetch(&s->sigbus, 1, __ATOMIC_RELAXED);
				if (sweep_seen_new)
					sweep_mixed = true;
				continue;
			}
			memcpy(copy, map + p * DAX_PAGE, DAX_PAGE);
			__atomic_add_fetch(&s->mapped, 1, __ATOMIC_RELAXED);
			sweep_seen_new = true;
			for (size_t i = 0; i < DAX_PAGE / sizeof(copy[0]); i++)
				if (copy[i] != ((uint64_t)gen << 32 | p)) {
					__atomic_add_fetch(&s->torn, 1, __ATOMIC_RELAXED);
					break;
				}
		}
		if (sweep_mixed)
			__atomic_add_fetch(&s->mixed, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&s->sweeps, 1, __ATOMIC_RELAXED);
		/* fault every page again in the next sweep */
		madvise(map, PAGES * DAX_PAGE, MADV_DONTNEED);
	}
	_exit(0);
}

TEST_F(mce, reset_atomic_mmap)
{
	struct sweep *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t *data = malloc(PAGES * DAX_PAGE);
	long sweeps = 0, sigbus = 0, mapped = 0;
	int fd, status;

	ASSERT_NE(MAP_FAILED, s);
	ASSERT_NE(NULL, data);
	make_file(_metadata, self);
	fd = self->fd;
	for (int p = 0; p < PAGES; p++)
		gen_fill(data + p * DAX_PAGE / sizeof(*data), 1, p);
	ASSERT_EQ(PAGES * DAX_PAGE, pwrite(fd, data, PAGES * DAX_PAGE, 0));
	ASSERT_EQ(0, fsync(fd));
	for (int round = 0; round < 10; round++) {
		int gen = round + 2;
		pid_t pid;

		/* one known-bad sector in each page, a different one each time */
		for (int p = 0; p < PAGES; p++)
			ASSERT_LE(0, dax_poison_file(&self->dev, fd, p * DAX_PAGE +
						     ((p + round) % 8) * DAX_SECTOR, 1));
		for (int p = 0; p < PAGES; p++)
			gen_fill(data + p * DAX_PAGE / sizeof(*data), gen, p);
		memset((void *)s, 0, sizeof(*s));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0)
			sweeper(fd, gen, s);
		/* let it sweep the poisoned pages a few times first */
		for (int i = 0; i < 1000 && __atomic_load_n(&s->sweeps, __ATOMIC_ACQUIRE) < 3; i++)
			usleep(1000);
		if (self->clears) {
			ASSERT_EQ(PAGES * DAX_PAGE,
				  dax_rw2(fd, true, data, PAGES * DAX_PAGE, 0, RESET));
		} else {
			ssize_t r = dax_rw2(fd, true, data, PAGES * DAX_PAGE, 0, RESET);

			EXPECT_TRUE(r == -EOPNOTSUPP || r == -EIO) TH_LOG("reset: %zd", r);
		}
		for (int i = 0; i < 1000 && __atomic_load_n(&s->sweeps, __ATOMIC_ACQUIRE) < 6; i++)
			usleep(1000);
		__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		EXPECT_EQ(0, s->mixed)
			TH_LOG("round %d: %ld of %ld sweeps saw new pages before poisoned ones",
			       round, s->mixed, s->sweeps);
		EXPECT_EQ(0, s->torn)
			TH_LOG("round %d: %ld pages mapped with other bytes", round, s->torn);
		EXPECT_LE(6, s->sweeps);
		sweeps += s->sweeps;
		sigbus += s->sigbus;
		mapped += s->mapped;
		if (!self->clears) {
			/* nothing repaired, nothing forgotten */
			EXPECT_EQ(PAGES, dax_badblocks_count(&self->dev) - self->nbase);
			EXPECT_EQ(0, s->mapped);
			break;
		}
		EXPECT_EQ(0, dax_badblocks_count(&self->dev));
	}
	TH_LOG("%ld sweeps: %ld pages mapped, %ld SIGBUS", sweeps, mapped, sigbus);
	/* the sweeps met the poison before the resets and the pages after them */
	EXPECT_GT(sigbus, 0);
	if (self->clears)
		EXPECT_GT(mapped, 0);
	close(fd);
	free(data);
	munmap(s, sizeof(*s));
}

TEST_HARNESS_MAIN
