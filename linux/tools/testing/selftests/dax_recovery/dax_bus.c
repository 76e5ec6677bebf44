// SPDX-License-Identifier: GPL-2.0
/*
 * RWF_RESET_HWERROR clears poison only the way the bus really can. Three
 * kinds of nvdimm bus, three rows of the contract:
 *
 *  - a clear-error command (real NFIT DIMMs): clears through it;
 *  - no command interface (legacy e820 pmem): the known-bad list is the
 *    only record of the poison, and a clear counts as done;
 *  - commands but no clear-error (QEMU's NFIT, CXL pmem): the poison may
 *    be real and cannot be cleared, so a reset is not offered (its
 *    zero-length probe fails with EOPNOTSUPP) and nothing is forgotten.
 *
 * The harness says which bus the device is on (DAX_RECOVERY_BUS); the
 * first case checks that sysfs agrees, the others assert that bus's row,
 * with whichever pmem driver is bound. On the test bus (tools/testing/
 * nd_testbus), whose firmware emulates scrub, clear-error and injection,
 * the firmware_* cases follow an error through the path real hardware
 * takes, with ndctl: inject, scrub, read around, reset, scrub again.
 *
 * testbus_load_checks asks the test bus itself to refuse what is not its
 * memory: run while the suite is on another bus, it unloads the bus, loads
 * it over RAM, over the legacy e820 pmem and over ranges that are not
 * ranges, expecting the errors nd_testbus.c documents, and loads it back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "../kselftest_harness.h"
#include "dax_fixture.h"
#include "dax_io.h"

#define FPAGES	4
#define FLEN	(FPAGES * DAX_PAGE)
#define BAD	(DAX_PAGE + 3 * DAX_SECTOR)	/* a sector of page 1 */

static const char *kind_name(enum dax_bus_kind kind)
{
	switch (kind) {
	case DAX_BUS_CLEAR_ERROR:
		return "clear-error";
	case DAX_BUS_NO_COMMANDS:
		return "no-commands";
	case DAX_BUS_NO_CLEAR_ERROR:
		return "no-clear-error";
	default:
		return "unknown";
	}
}

static bool zeros(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i])
			return false;
	return true;
}

/* A file of FLEN pattern bytes (seed 90) whose sector at BAD is poisoned. */
static int damaged(struct __test_metadata *_metadata, struct dax_dev *dev)
{
	int fd = create("damaged");

	if (fd < 0 || dax_write_pattern(fd, 0, FLEN, 90) || !dax_file_is_dax(fd) ||
	    dax_poison_file(dev, fd, BAD, 1) < 0)
		return -1;
	return fd;
}

/* The IGNORE read of the damaged file: the pattern, zeros at BAD. */
static void expect_damaged(struct __test_metadata *_metadata, int fd)
{
	uint8_t buf[FLEN];

	memset(buf, 0xee, sizeof(buf));
	ASSERT_EQ(FLEN, dax_rw2(fd, false, buf, FLEN, 0, RWF_IGNORE_HWERROR));
	EXPECT_EQ(-1, dax_check(buf, BAD, 90, 0));
	EXPECT_TRUE(zeros(buf + BAD, DAX_SECTOR));
	EXPECT_EQ(-1, dax_check(buf + BAD + DAX_SECTOR, FLEN - BAD - DAX_SECTOR, 90,
				BAD + DAX_SECTOR));
}

/* The bus the harness declares is the bus sysfs shows. */
TEST_F(fs, declared_kind)
{
	const char *env = getenv("DAX_RECOVERY_BUS");
	enum dax_bus_kind kind = dax_bus_kind(&self->dev);

	if (!env || !*env)
		SKIP(return, "DAX_RECOVERY_BUS not set: nothing to compare sysfs with");
	EXPECT_NE(DAX_BUS_UNKNOWN, (int)kind);
	EXPECT_STREQ(env, kind_name(kind));
}

/* The zero-length probes: IGNORE everywhere, RESET where the bus clears. */
TEST_F(fs, probes)
{
	int fd = create("probe");

	ASSERT_GE(fd, 0);
	ASSERT_TRUE(dax_file_is_dax(fd));
	EXPECT_EQ(0, dax_rw2(fd, false, NULL, 0, 0, RWF_IGNORE_HWERROR));
	errno = 0;
	if (dax_bus_clears(&self->dev)) {
		EXPECT_EQ(0, dax_rw2(fd, true, NULL, 0, 0, RWF_RESET_HWERROR))
			TH_LOG("%s", strerror(errno));
	} else {
		EXPECT_EQ(-EOPNOTSUPP, dax_rw2(fd, true, NULL, 0, 0, RWF_RESET_HWERROR));
	}
	close(fd);
}

/*
 * A reset over poison: cleared and written where the bus can clear;
 * refused before anything moves where it cannot, the poison still listed
 * and the page as it was.
 */
TEST_F(fs, reset_over_poison)
{
	uint8_t buf[FLEN];
	int fd;

	self->poisoned = true;
	fd = damaged(_metadata, &self->dev);
	ASSERT_GE(fd, 0);
	memset(buf, 0x77, 100);
	errno = 0;
	if (dax_bus_clears(&self->dev)) {
		ASSERT_EQ(100, dax_rw2(fd, true, buf, 100, BAD + 10, RWF_RESET_HWERROR))
			TH_LOG("%s", strerror(errno));
		EXPECT_EQ(0, dax_badblocks_count(&self->dev));
		/* The page reads: pattern, the sector's other bytes zeros, the data. */
		ASSERT_EQ(FLEN, pread(fd, buf, FLEN, 0));
		EXPECT_EQ(-1, dax_check(buf, BAD, 90, 0));
		EXPECT_TRUE(zeros(buf + BAD, 10));
		for (size_t i = BAD + 10; i < BAD + 110; i++)
			ASSERT_EQ(0x77, buf[i]);
		EXPECT_TRUE(zeros(buf + BAD + 110, DAX_SECTOR - 110));
		EXPECT_EQ(-1, dax_check(buf + BAD + DAX_SECTOR, FLEN - BAD - DAX_SECTOR, 90,
					BAD + DAX_SECTOR));
	} else {
		EXPECT_EQ(-EOPNOTSUPP, dax_rw2(fd, true, buf, 100, BAD + 10, RWF_RESET_HWERROR));
		EXPECT_EQ(1, dax_badblocks_count(&self->dev));
		errno = 0;
		EXPECT_EQ(-1, pread(fd, buf, DAX_SECTOR, BAD));
		EXPECT_EQ(EIO, errno);
		expect_damaged(_metadata, fd);
	}
	close(fd);
}

/*
 * A page-aligned whole-page plain write over poison (the implicit recovery
 * upstream has): it succeeds where the bus clears, and fails with EIO,
 * forgetting nothing, where it cannot.
 */
TEST_F(fs, page_write_over_poison)
{
	uint8_t buf[DAX_PAGE];
	int fd;

	self->poisoned = true;
	fd = damaged(_metadata, &self->dev);
	ASSERT_GE(fd, 0);
	dax_fill(buf, DAX_PAGE, 91, DAX_PAGE);
	errno = 0;
	if (dax_bus_clears(&self->dev)) {
		ASSERT_EQ(DAX_PAGE, pwrite(fd, buf, DAX_PAGE, DAX_PAGE))
			TH_LOG("%s", strerror(errno));
		EXPECT_EQ(0, dax_badblocks_count(&self->dev));
		memset(buf, 0, sizeof(buf));
		ASSERT_EQ(DAX_PAGE, pread(fd, buf, DAX_PAGE, DAX_PAGE));
		EXPECT_EQ(-1, dax_check(buf, DAX_PAGE, 91, DAX_PAGE));
	} else {
		EXPECT_EQ(-1, pwrite(fd, buf, DAX_PAGE, DAX_PAGE));
		EXPECT_EQ(EIO, errno);
		EXPECT_EQ(1, dax_badblocks_count(&self->dev));
		expect_damaged(_metadata, fd);
	}
	close(fd);
}

/* Is @sector listed in the device's badblocks? */
static bool listed_bad(const struct dax_dev *dev, uint64_t sector)
{
	unsigned long long start, len;
	char buf[4096], *line;

	if (dax_sysfs_read(dev, "badblocks", buf, sizeof(buf)))
		return false;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (sscanf(line, "%llu %llu", &start, &len) == 2 &&
		    sector >= start && sector < start + len)
			return true;
	return false;
}

/* Run an address range scrub of the test bus and wait for it, with ndctl. */
static int run_scrub(void)
{
	const char *q = ">/dev/null 2>&1";

	return dax_run("ndctl start-scrub nd_testbus %s && ndctl wait-scrub nd_testbus %s", q, q);
}

static int set_partial_clear(bool on)
{
	return dax_run("echo %d > /sys/module/nd_testbus/parameters/partial_clear", on);
}

/* Leave no injected error behind, whatever a case did. */
static void firmware_cleanup(const struct dax_dev *dev)
{
	(void)set_partial_clear(false);
	(void)dax_run("ndctl clear-errors %s >/dev/null 2>&1", dev->ns);
}

/*
 * The clear path of real hardware, on the test bus: an error injected with
 * "ndctl inject-error" is found by a scrub and listed; an IGNORE read reads
 * around it; a reset clears it through the bus's clear-error command, and a
 * scrub after it finds nothing: the error is gone from the medium, not only
 * from the kernel's list.
 */
TEST_F(fs, firmware_clear)
{
	uint8_t buf[FLEN];
	int64_t sector;
	int fd;

	if (dax_bus_declared(&self->dev) != DAX_BUS_CLEAR_ERROR)
		SKIP(return, "the bus has no clear-error command to test");
	self->poisoned = true;
	firmware_cleanup(&self->dev);
	fd = create("firmware");
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, dax_write_pattern(fd, 0, FLEN, 90));
	sector = dax_file_sector(fd, BAD);
	ASSERT_GE(sector, 0);
	ASSERT_EQ(0, dax_run("ndctl inject-error --block=%lld --count=1 %s >/dev/null 2>&1",
			     (long long)sector, self->dev.ns));
	ASSERT_EQ(0, run_scrub());
	ASSERT_TRUE(listed_bad(&self->dev, sector));
	expect_damaged(_metadata, fd);

	memset(buf, 0x77, 100);
	ASSERT_EQ(100, dax_rw2(fd, true, buf, 100, BAD + 10, RWF_RESET_HWERROR))
		TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, dax_badblocks_count(&self->dev));
	ASSERT_EQ(0, run_scrub());
	EXPECT_EQ(0, dax_badblocks_count(&self->dev)) TH_LOG("a scrub brought the error back");
	ASSERT_EQ(FLEN, pread(fd, buf, FLEN, 0));
	EXPECT_EQ(-1, dax_check(buf, BAD, 90, 0));
	EXPECT_TRUE(zeros(buf + BAD, 10));
	EXPECT_EQ(0x77, buf[BAD + 10]);
	EXPECT_EQ(0x77, buf[BAD + 109]);
	EXPECT_TRUE(zeros(buf + BAD + 110, DAX_SECTOR - 110));
	EXPECT_EQ(-1, dax_check(buf + BAD + DAX_SECTOR, FLEN - BAD - DAX_SECTOR, 90,
				BAD + DAX_SECTOR));
	close(fd);
	firmware_cleanup(&self->dev);
}

/*
 * A clear the firmware does only in part fails the reset of that page,
 * which is left as it was, listed bad; the part not cleared is still on the
 * medium, and a scrub finds it again. Once the bus clears whole pages, a
 * reset repairs the page and nothing comes back.
 */
TEST_F(fs, firmware_partial_clear)
{
	uint8_t buf[FLEN];
	int64_t first;
	int fd;

	if (dax_bus_declared(&self->dev) != DAX_BUS_CLEAR_ERROR)
		SKIP(return, "the bus has no clear-error command to test");
	self->poisoned = true;
	firmware_cleanup(&self->dev);
	fd = create("partial");
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, dax_write_pattern(fd, 0, FLEN, 90));
	/* the whole of page 1 is bad on the medium */
	first = dax_file_sector(fd, DAX_PAGE);
	ASSERT_GE(first, 0);
	ASSERT_EQ(0, dax_run("ndctl inject-error --block=%lld --count=8 %s >/dev/null 2>&1",
			     (long long)first, self->dev.ns));
	ASSERT_EQ(0, run_scrub());
	ASSERT_TRUE(listed_bad(&self->dev, first));
	ASSERT_TRUE(listed_bad(&self->dev, first + 7));

	ASSERT_EQ(0, set_partial_clear(true));
	memset(buf, 0x66, DAX_PAGE);
	EXPECT_EQ(-EIO, dax_rw2(fd, true, buf, 100, DAX_PAGE + 10, RWF_RESET_HWERROR));
	EXPECT_TRUE(listed_bad(&self->dev, first));
	EXPECT_TRUE(listed_bad(&self->dev, first + 7));
	ASSERT_EQ(0, run_scrub());
	EXPECT_TRUE(listed_bad(&self->dev, first + 7)) TH_LOG("the uncleared half is gone");
	/* The page is as it was: the pages around it intact, it zeros. */
	ASSERT_EQ(FLEN, dax_rw2(fd, false, buf, FLEN, 0, RWF_IGNORE_HWERROR));
	EXPECT_EQ(-1, dax_check(buf, DAX_PAGE, 90, 0));
	EXPECT_TRUE(zeros(buf + DAX_PAGE, DAX_PAGE));
	EXPECT_EQ(-1, dax_check(buf + 2 * DAX_PAGE, 2 * DAX_PAGE, 90, 2 * DAX_PAGE));

	ASSERT_EQ(0, set_partial_clear(false));
	dax_fill(buf, DAX_PAGE, 92, DAX_PAGE);
	ASSERT_EQ(DAX_PAGE, dax_rw2(fd, true, buf, DAX_PAGE, DAX_PAGE, RWF_RESET_HWERROR))
		TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, dax_badblocks_count(&self->dev));
	ASSERT_EQ(0, run_scrub());
	EXPECT_EQ(0, dax_badblocks_count(&self->dev)) TH_LOG("a scrub brought the error back");
	ASSERT_EQ(DAX_PAGE, pread(fd, buf, DAX_PAGE, DAX_PAGE));
	EXPECT_EQ(-1, dax_check(buf, DAX_PAGE, 92, DAX_PAGE));
	close(fd);
	firmware_cleanup(&self->dev);
}

/* An IGNORE read works the same on every bus. */
TEST_F(fs, ignore_read)
{
	int fd;

	self->poisoned = true;
	fd = damaged(_metadata, &self->dev);
	ASSERT_GE(fd, 0);
	expect_damaged(_metadata, fd);
	EXPECT_EQ(1, dax_badblocks_count(&self->dev));
	close(fd);
}

#define TESTBUS_ALIGN	(128ULL << 20)
#define TESTBUS_PARAMS	"/sys/module/nd_testbus/parameters/"

static int read_ull(const char *path, unsigned long long *val)
{
	FILE *f = fopen(path, "r");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "%llu", val);
	fclose(f);
	return n == 1 ? 0 : -1;
}

/*
 * The first 128 MiB-aligned 128 MiB of a range /proc/iomem names @name, at
 * any depth: 0 and its address in @at, or -1.
 */
static int iomem_chunk(const char *name, unsigned long long *at)
{
	unsigned long long start, end, a;
	char line[256], *res;
	FILE *f = fopen("/proc/iomem", "r");
	int ret = -1;

	if (!f)
		return -1;
	while (ret && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		res = strstr(line, " : ");
		if (!res || strcmp(res + 3, name) ||
		    sscanf(line, " %llx-%llx", &start, &end) != 2 || !end)
			continue;
		a = (start + TESTBUS_ALIGN - 1) & ~(TESTBUS_ALIGN - 1);
		if (a >= start && a + TESTBUS_ALIGN - 1 <= end) {
			*at = a;
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

/* Does /proc/iomem list [start, end] under @name? */
static bool iomem_has(unsigned long long start, unsigned long long end, const char *name)
{
	char line[256], want[128];
	FILE *f = fopen("/proc/iomem", "r");
	bool found = false;

	if (!f)
		return false;
	snprintf(want, sizeof(want), "%llx-%llx : %s\n", start, end, name);
	while (!found && fgets(line, sizeof(line), f))
		found = !strcmp(line + strspn(line, " "), want);
	fclose(f);
	return found;
}

/* Load the test bus from @fd with @params: 0, or -errno of the load. */
static int testbus_load(int fd, const char *params)
{
	if (syscall(SYS_finit_module, fd, params, 0))
		return -errno;
	return 0;
}

/*
 * Unload the test bus: 0, or -errno. libnvdimm holds the module of a
 * bus while a driver is bound to one of its devices (nvdimm_bus_probe()):
 * its regions are disabled first.
 */
static int testbus_unload(void)
{
	if (dax_run("ndctl disable-region -b nd_testbus all >/dev/null 2>&1"))
		return -EBUSY;
	if (syscall(SYS_delete_module, "nd_testbus", O_NONBLOCK))
		return -errno;
	return 0;
}

/*
 * A load that should fail: its -errno. One that did not fail is undone, so
 * that the next is not refused for the module being there already.
 */

static int testbus_try(int fd, unsigned long long phys, unsigned long long size,
		       unsigned long long unit)
{
	char params[96];
	int err;

	snprintf(params, sizeof(params), "phys=%llu size=%llu clear_unit=%llu",
		 phys, size, unit);
	err = testbus_load(fd, params);
	if (!err)
		testbus_unload();
	return err;
}

/*
 * nd_testbus loads only over memory memmap=<size>$<phys> reserved and no
 * one claims: -EINVAL for ranges that are not ranges, for RAM and for what
 * is not memory, -EBUSY for the legacy e820 region's persistent memory
 * (nd_testbus.c, "Loading").
 * The test bus is unloaded for it, so it runs only while the harness runs
 * the suite on another bus, and loads the bus back as it was.
 */
TEST(testbus_load_checks)
{
	unsigned long long phys, size, unit, ram, legacy;
	const char *bus = getenv("DAX_RECOVERY_BUS");
	char ko[PATH_MAX] = "", params[96];
	FILE *p;
	int fd, err;

	if (read_ull(TESTBUS_PARAMS "phys", &phys) || read_ull(TESTBUS_PARAMS "size", &size) ||
	    read_ull(TESTBUS_PARAMS "clear_unit", &unit))
		SKIP(return, "nd_testbus is not loaded");
	if (!bus || !*bus || !strcmp(bus, "clear-error"))
		SKIP(return, "the suite may be on the test bus, which this case unloads");
	if (iomem_chunk("System RAM", &ram) || !ram)
		SKIP(return, "no 128 MiB of System RAM in /proc/iomem (not root?)");
	p = popen("modinfo -n nd_testbus 2>/dev/null", "r");
	ASSERT_NE(NULL, p);
	if (!fgets(ko, sizeof(ko), p))
		ko[0] = '\0';
	pclose(p);
	ko[strcspn(ko, "\n")] = '\0';
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		SKIP(return, "no nd_testbus module file (%s)", ko);
	err = testbus_unload();
	if (err) {
		(void)dax_run("ndctl enable-region -b nd_testbus all >/dev/null 2>&1");
		close(fd);
	}
	ASSERT_EQ(0, err) TH_LOG("unloading nd_testbus: %s", strerror(-err));

	EXPECT_EQ(-EINVAL, testbus_try(fd, phys, 0, unit)) TH_LOG("size=0");
	EXPECT_EQ(-EINVAL, testbus_try(fd, phys + 4096, size, unit)) TH_LOG("misaligned");
	EXPECT_EQ(-EINVAL, testbus_try(fd, -TESTBUS_ALIGN, 2 * TESTBUS_ALIGN, unit))
		TH_LOG("past the end of the address space");
	EXPECT_EQ(-EINVAL, testbus_try(fd, phys, size, 3)) TH_LOG("clear_unit=3");
	EXPECT_EQ(-EINVAL, testbus_try(fd, ram, TESTBUS_ALIGN, unit))
		TH_LOG("System RAM at %#llx", ram);
	EXPECT_EQ(-EINVAL, testbus_try(fd, 1ULL << 46, TESTBUS_ALIGN, unit))
		TH_LOG("nothing at 64 TiB, not reserved memory");
	if (!iomem_chunk("Persistent Memory (legacy)", &legacy)) {
		EXPECT_EQ(-EBUSY, testbus_try(fd, legacy, TESTBUS_ALIGN, unit))
			TH_LOG("legacy pmem at %#llx", legacy);
	} else {
		TH_LOG("no legacy e820 pmem to load over");
	}
	err = testbus_try(fd, phys, size + TESTBUS_ALIGN, unit);
	EXPECT_TRUE(err == -EINVAL || err == -EBUSY)
		TH_LOG("128 MiB past the reservation: %s", strerror(-err));

	/* back as it was, and the range claimed under its name */
	snprintf(params, sizeof(params), "phys=%llu size=%llu clear_unit=%llu",
		 phys, size, unit);
	err = testbus_load(fd, params);
	close(fd);
	ASSERT_EQ(0, err) TH_LOG("loading nd_testbus back: %s", strerror(-err));
	EXPECT_TRUE(iomem_has(phys, phys + size - 1, "nd_testbus"));
}

TEST_HARNESS_MAIN
