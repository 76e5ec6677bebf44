// SPDX-License-Identifier: GPL-2.0
/*
 * The pmem driver itself, whichever is bound (nd_pmem or the Rust pmem
 * driver; the harness runs the suite once per driver): block I/O with
 * O_DIRECT, known-bad sectors on the block path, raw and fsdax namespaces,
 * the write_cache attribute, unbind and rebind, module unload while in use,
 * DAX mmap with MAP_SYNC, and data integrity through DAX over a remount.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <linux/fs.h>	/* RWF_RESET_HWERROR */
#include <sys/stat.h>

#include "../kselftest_harness.h"
#include "dax_fixture.h"

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC		0x80000
#endif

/* O_DIRECT round trip of @len pattern bytes at @off of the block device. */
static int odirect_roundtrip(const char *path, off_t off, size_t len, uint32_t seed)
{
	void *buf = NULL, *back = NULL;
	int fd, ret = -1;

	fd = open(path, O_RDWR | O_DIRECT);
	if (fd < 0 || posix_memalign(&buf, DAX_PAGE, len) ||
	    posix_memalign(&back, DAX_PAGE, len))
		goto out;
	dax_fill(buf, len, seed, off);
	memset(back, 0, len);
	if (pwrite(fd, buf, len, off) != (ssize_t)len || fsync(fd) ||
	    pread(fd, back, len, off) != (ssize_t)len)
		goto out;
	ret = memcmp(buf, back, len) ? 1 : 0;
out:
	free(buf);
	free(back);
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * O_DIRECT read back of @len bytes at @off: -1 if they are the pattern of
 * @seed (dax_check()), the first differing byte, or -2 if the read failed.
 */
static ssize_t odirect_check(const char *path, off_t off, size_t len, uint32_t seed)
{
	void *buf = NULL;
	ssize_t ret = -2;
	int fd = open(path, O_RDONLY | O_DIRECT);

	if (fd >= 0 && !posix_memalign(&buf, DAX_PAGE, len) &&
	    pread(fd, buf, len, off) == (ssize_t)len)
		ret = dax_check(buf, len, seed, off);
	free(buf);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* The last component of symlink @link into @buf ("" if it is none). */
static const char *link_name(const char *link, char *buf, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = readlink(link, target, sizeof(target) - 1);

	buf[0] = 0;
	if (n > 0) {
		target[n] = 0;
		snprintf(buf, len, "%s", strrchr(target, '/') + 1);
	}
	return buf;
}

static const struct {
	off_t off;
	size_t len;
} shapes[] = {
	{ 0, DAX_SECTOR },
	{ DAX_SECTOR, DAX_SECTOR },
	{ 7 * DAX_SECTOR, 2 * DAX_SECTOR },		/* across a page */
	{ DAX_PAGE, DAX_PAGE },
	{ 3 * DAX_PAGE + DAX_SECTOR, 5 * DAX_PAGE },
	{ MiB - DAX_SECTOR, MiB + 3 * DAX_SECTOR },
	{ 64 * MiB, 4 * MiB },
};

TEST(block_odirect_roundtrip)
{
	struct dax_dev dev;
	char why[256];

	if (dax_find_dev(&dev, why, sizeof(why)))
		SKIP(return, "%s", why);
	for (size_t i = 0; i < ARRAY_SIZE(shapes); i++) {
		TH_LOG("%zu bytes at %lld", shapes[i].len, (long long)shapes[i].off);
		EXPECT_EQ(0, odirect_roundtrip(dev.path, shapes[i].off, shapes[i].len, 30 + i));
	}
	/* The end of the device, and past it. */
	EXPECT_EQ(0, odirect_roundtrip(dev.path, dev.size - DAX_PAGE, DAX_PAGE, 40));
	EXPECT_NE(0, odirect_roundtrip(dev.path, dev.size, DAX_PAGE, 41));
}

TEST(block_badblocks)
{
	void *buf;
	struct dax_dev dev;
	char why[256];
	int fd;

	if (dax_find_dev(&dev, why, sizeof(why)))
		SKIP(return, "%s", why);
	ASSERT_EQ(0, odirect_roundtrip(dev.path, 0, 64 * DAX_PAGE, 50));
	ASSERT_EQ(0, posix_memalign(&buf, DAX_PAGE, 8 * DAX_PAGE));
	fd = open(dev.path, O_RDWR | O_DIRECT);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, dax_mark_bad(&dev, 20, 1));
	/* Reads of the bad sector fail, reads around it do not. */
	EXPECT_EQ(-1, pread(fd, buf, DAX_SECTOR, 20 * DAX_SECTOR));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(-1, pread(fd, buf, 8 * DAX_PAGE, 0));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(DAX_SECTOR, pread(fd, buf, DAX_SECTOR, 19 * DAX_SECTOR));
	EXPECT_EQ(-1, dax_check(buf, DAX_SECTOR, 50, 19 * DAX_SECTOR));
	EXPECT_EQ(DAX_PAGE, pread(fd, buf, DAX_PAGE, 3 * DAX_PAGE));
	EXPECT_EQ(-1, dax_check(buf, DAX_PAGE, 50, 3 * DAX_PAGE));
	/*
	 * A write must clear the poison first, as the bus allows. Where it
	 * can (a clear-error command, or no commands at all: e820), the
	 * write clears the sector and it reads back; on a bus with commands
	 * but no clear-error (QEMU's NFIT) the write fails and the sector
	 * stays bad. The same with either driver.
	 */
	memset(buf, 0x3c, DAX_SECTOR);
	if (dax_bus_clears(&dev)) {
		EXPECT_EQ(DAX_SECTOR, pwrite(fd, buf, DAX_SECTOR, 20 * DAX_SECTOR));
		EXPECT_EQ(0, dax_badblocks_count(&dev));
		memset(buf, 0, DAX_SECTOR);
		EXPECT_EQ(DAX_SECTOR, pread(fd, buf, DAX_SECTOR, 20 * DAX_SECTOR));
		EXPECT_EQ(0x3c, ((uint8_t *)buf)[0]);
		EXPECT_EQ(0x3c, ((uint8_t *)buf)[DAX_SECTOR - 1]);
	} else {
		errno = 0;
		EXPECT_EQ(-1, pwrite(fd, buf, DAX_SECTOR, 20 * DAX_SECTOR));
		EXPECT_EQ(EIO, errno);
		EXPECT_EQ(1, dax_badblocks_count(&dev));
	}
	close(fd);
	free(buf);
	EXPECT_EQ(0, dax_reset_badblocks(&dev));
	EXPECT_EQ(0, dax_badblocks_count(&dev));
}

/* Reconfigure the namespace to raw mode (no struct pages, no DAX) and back. */
TEST(raw_namespace)
{
	char why[256], val[16], path[128];
	struct dax_dev dev;

	if (dax_find_dev(&dev, why, sizeof(why)))
		SKIP(return, "%s", why);
	if (!dev.ns[0])
		SKIP(return, "no namespace to reconfigure");
	/*
	 * The namespace of a label-less region (e820, the test bus) maps its
	 * pages in memory in every mode: it has no raw mode without DAX.
	 */
	snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/alt_name", dev.ns);
	if (access(path, F_OK))
		SKIP(return, "%s is label-less: no raw mode without DAX", dev.ns);
	ASSERT_EQ(0, dax_run("ndctl create-namespace -f -e %s --mode=raw --name=%s %s",
			     dev.ns, DAX_NS_NAME, ">/dev/null 2>&1"));
	ASSERT_EQ(0, dax_run("test -b %s", dev.path));
	ASSERT_EQ(0, dax_sysfs_read(&dev, "queue/dax", val, sizeof(val)));
	EXPECT_STREQ("0", val);
	for (size_t i = 0; i < ARRAY_SIZE(shapes); i++)
		EXPECT_EQ(0, odirect_roundtrip(dev.path, shapes[i].off, shapes[i].len, 60 + i));
	ASSERT_EQ(0, dax_run("ndctl create-namespace -f -e %s --mode=fsdax --map=dev --name=%s %s",
			     dev.ns, DAX_NS_NAME, ">/dev/null 2>&1"));
	ASSERT_EQ(0, dax_find_dev(&dev, why, sizeof(why))) TH_LOG("%s", why);
	ASSERT_EQ(0, dax_sysfs_read(&dev, "queue/dax", val, sizeof(val)));
	EXPECT_STREQ("1", val);
}

TEST(write_cache)
{
	struct dax_dev dev;
	char why[256], val[16], initial[16], path[128];
	int fd;

	if (dax_find_dev(&dev, why, sizeof(why)))
		SKIP(return, "%s", why);
	ASSERT_EQ(0, dax_sysfs_read(&dev, "dax/write_cache", initial, sizeof(initial)));
	snprintf(path, sizeof(path), "/sys/block/%s/dax/write_cache", dev.name);
	for (int i = 0; i < 2; i++) {
		const char *set = i ? "1" : "0";

		fd = open(path, O_WRONLY);
		ASSERT_GE(fd, 0);
		EXPECT_EQ(1, write(fd, set, 1));
		close(fd);
		ASSERT_EQ(0, dax_sysfs_read(&dev, "dax/write_cache", val, sizeof(val)));
		EXPECT_STREQ(set, val);
	}
	/* Bad input is refused and changes nothing. */
	fd = open(path, O_WRONLY);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-1, write(fd, "maybe", 5));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
	ASSERT_EQ(0, dax_sysfs_read(&dev, "dax/write_cache", val, sizeof(val)));
	EXPECT_STREQ("1", val);
	fd = open(path, O_WRONLY);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(1, write(fd, initial, 1));
	close(fd);
}

/* Unbind the namespace's device from its driver and bind it again. */
TEST(unbind_rebind)
{
	char why[256], drv[64], devname[64], link[PATH_MAX];
	struct dax_dev dev;

	if (dax_find_dev(&dev, why, sizeof(why)))
		SKIP(return, "%s", why);
	ASSERT_EQ(0, odirect_roundtrip(dev.path, DAX_PAGE, 16 * DAX_PAGE, 70));
	dax_driver(&dev, drv, sizeof(drv));
	ASSERT_NE(0, drv[0]);
	snprintf(link, sizeof(link), "/sys/block/%s/device", dev.name);
	ASSERT_NE(0, link_name(link, devname, sizeof(devname))[0]);
	for (int round = 0; round < 3; round++) {
		ASSERT_EQ(0, dax_run("echo %s > /sys/bus/nd/drivers/%s/unbind", devname, drv));
		EXPECT_NE(0, access(dev.path, F_OK));
		ASSERT_EQ(0, dax_run("echo %s > /sys/bus/nd/drivers/%s/bind", devname, drv));
		ASSERT_EQ(0, access(dev.path, F_OK));
	}
	/* The data survived. */
	EXPECT_EQ(-1, odirect_check(dev.path, DAX_PAGE, 16 * DAX_PAGE, 70));
}

/* The driver bound to nd device @devname into @buf ("" if none). */
static const char *nd_bound(const char *devname, char *buf, size_t len)
{
	char link[PATH_MAX];

	snprintf(link, sizeof(link), "/sys/bus/nd/devices/%s/driver", devname);
	return link_name(link, buf, len);
}

/*
 * driver_override chooses the pmem driver of one namespace, whatever order
 * the modules were loaded in: only the named driver may bind it, by probe
 * or by an explicit bind; cleared, the namespace matches by type again.
 */
TEST(driver_override)
{
	char why[256], drv[64], other[64], bound[64], devname[64], link[PATH_MAX];
	struct dax_dev dev;

	if (dax_find_dev(&dev, why, sizeof(why)))
		SKIP(return, "%s", why);
	dax_driver(&dev, drv, sizeof(drv));
	ASSERT_NE(0, drv[0]);
	snprintf(other, sizeof(other), "%s",
		 strcmp(drv, "nd_pmem") ? "nd_pmem" : "rust_pmem");
	if (dax_run("modprobe %s >/dev/null 2>&1", other))
		SKIP(return, "%s cannot be loaded: one pmem driver only", other);
	ASSERT_EQ(0, odirect_roundtrip(dev.path, DAX_PAGE, 16 * DAX_PAGE, 71));
	snprintf(link, sizeof(link), "/sys/block/%s/device", dev.name);
	ASSERT_NE(0, link_name(link, devname, sizeof(devname))[0]);

	/* Both loaded, the override picks the other one at the next probe. */
	ASSERT_EQ(0, dax_run("echo %s > /sys/bus/nd/devices/%s/driver_override",
			     other, devname));
	ASSERT_EQ(0, dax_run("echo %s > /sys/bus/nd/drivers/%s/unbind", devname, drv));
	ASSERT_EQ(0, dax_run("echo %s > /sys/bus/nd/drivers_probe", devname));
	EXPECT_STREQ(other, nd_bound(devname, bound, sizeof(bound)));
	/* The driver the override does not name cannot be bound explicitly. */
	ASSERT_EQ(0, dax_run("echo %s > /sys/bus/nd/drivers/%s/unbind", devname, other));
	EXPECT_NE(0, dax_run("echo %s > /sys/bus/nd/drivers/%s/bind 2>/dev/null",
			     devname, drv));
	EXPECT_STREQ("", nd_bound(devname, bound, sizeof(bound)));
	/* Cleared: matching by type again, and the data is as it was. */
	ASSERT_EQ(0, dax_run("echo > /sys/bus/nd/devices/%s/driver_override", devname));
	ASSERT_EQ(0, dax_run("echo %s > /sys/bus/nd/drivers/%s/bind", devname, drv));
	EXPECT_STREQ(drv, nd_bound(devname, bound, sizeof(bound)));
	ASSERT_EQ(0, dax_find_dev(&dev, why, sizeof(why))) TH_LOG("%s", why);
	EXPECT_EQ(-1, odirect_check(dev.path, DAX_PAGE, 16 * DAX_PAGE, 71));
	EXPECT_EQ(0, dax_run("rmmod %s", other));
}

/* A mounted file system pins the driver's module; an unmounted one does not. */
TEST_F(fs, rmmod_busy)
{
	char drv[64], why[256];

	dax_driver(&self->dev, drv, sizeof(drv));
	ASSERT_NE(0, drv[0]);
	EXPECT_NE(0, dax_run("rmmod %s >/dev/null 2>&1", drv));
	EXPECT_EQ(0, access(self->dev.path, F_OK));
	ASSERT_EQ(0, dax_umount(MNT));
	self->mounted = false;
	ASSERT_EQ(0, dax_run("rmmod %s", drv));
	EXPECT_NE(0, access(self->dev.path, F_OK));
	ASSERT_EQ(0, dax_run("modprobe %s", drv));
	ASSERT_EQ(0, dax_find_dev(&self->dev, why, sizeof(why))) TH_LOG("%s", why);
}

/* DAX mappings: stores through MAP_SYNC reach the file, and writes reach maps. */
TEST_F(fs, mmap_sync)
{
	const size_t len = 64 * DAX_PAGE;
	uint8_t *map, *buf = malloc(len);
	int fd = create("mapped");

	ASSERT_NE(NULL, buf);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, len));
	ASSERT_TRUE(dax_file_is_dax(fd));
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("MAP_SYNC: %s", strerror(errno));
	dax_fill(map, len, 80, 0);
	ASSERT_EQ((ssize_t)len, pread(fd, buf, len, 0));
	EXPECT_EQ(-1, dax_check(buf, len, 80, 0));
	dax_fill(buf, DAX_PAGE, 81, 5 * DAX_PAGE);
	ASSERT_EQ(DAX_PAGE, pwrite(fd, buf, DAX_PAGE, 5 * DAX_PAGE));
	EXPECT_EQ(-1, dax_check(map + 5 * DAX_PAGE, DAX_PAGE, 81, 5 * DAX_PAGE));
	EXPECT_EQ(0, munmap(map, len));
	close(fd);
	free(buf);
}

/* Fast pseudo-random content, eight bytes at a time. */
static void fast_fill(uint8_t *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;

	for (size_t i = 0; i < len; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(buf + i, &x, len - i < 8 ? len - i : 8);
	}
}

static uint64_t fnv(const uint8_t *p, size_t len, uint64_t h)
{
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/*
 * A few hundred MiB through DAX: sequential writes, then random overwrites
 * of random sizes, checked against a shadow copy by checksum after a remount.
 */
TEST_F(fs, integrity)
{
	const size_t flen = 64 * MiB;
	const int files = 3, overwrites = 1500;
	uint64_t sums[3];
	uint8_t *shadow = malloc(flen), *buf = malloc(flen);
	unsigned int rnd = 12345;

	ASSERT_NE(NULL, shadow);
	ASSERT_NE(NULL, buf);
	for (int f = 0; f < files; f++) {
		char name[32];
		int fd;

		snprintf(name, sizeof(name), "big%d", f);
		fd = create(name);
		ASSERT_GE(fd, 0);
		fast_fill(shadow, flen, 90 + f);
		for (size_t off = 0; off < flen; off += MiB)
			ASSERT_EQ(MiB, pwrite(fd, shadow + off, MiB, off));
		for (int i = 0; i < overwrites; i++) {
			size_t len = 1 + rand_r(&rnd) % (64 * 1024);
			size_t off = rand_r(&rnd) % (flen - len);

			fast_fill(shadow + off, len, 200 + i);
			ASSERT_EQ((ssize_t)len, pwrite(fd, shadow + off, len, off));
		}
		ASSERT_EQ(0, fsync(fd));
		sums[f] = fnv(shadow, flen, 0xcbf29ce484222325ull);
		close(fd);
	}
	ASSERT_EQ(0, dax_umount(MNT));
	self->mounted = false;
	ASSERT_EQ(0, dax_mount(&self->dev, variant->fstype, MNT));
	self->mounted = true;
	for (int f = 0; f < files; f++) {
		char path[64];
		int fd;

		snprintf(path, sizeof(path), MNT "/big%d", f);
		fd = open(path, O_RDONLY);
		ASSERT_GE(fd, 0);
		ASSERT_EQ((ssize_t)flen, pread(fd, buf, flen, 0));
		EXPECT_EQ(sums[f], fnv(buf, flen, 0xcbf29ce484222325ull)) TH_LOG("file %d", f);
		close(fd);
	}
	free(buf);
	free(shadow);
}

/*
 * Tools that watch /sys/block/<disk>/badblocks (poll() for POLLPRI, as for
 * any sysfs attribute) are woken when the driver changes the list: here
 * when a reset clears the poison of a page.
 */
TEST_F(fs, badblocks_notify)
{
	struct pollfd pfd = { .events = POLLPRI | POLLERR };
	uint8_t buf[DAX_PAGE];
	struct iovec iov = { buf, DAX_PAGE };
	char path[128], list[4096];
	int fd = create("f");

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, dax_write_pattern(fd, 0, 4 * DAX_PAGE, 3));
	if (!dax_driver_recovers(&self->dev))
		SKIP(return, "the driver does not implement recovery");
	if (!dax_bus_clears(&self->dev))
		SKIP(return, "the bus cannot clear poison: no reset to clear the list with");
	self->poisoned = true;
	ASSERT_LE(0, dax_poison_file(&self->dev, fd, DAX_PAGE + 2 * DAX_SECTOR, 1));
	snprintf(path, sizeof(path), "/sys/block/%s/badblocks", self->dev.name);
	pfd.fd = open(path, O_RDONLY);
	ASSERT_GE(pfd.fd, 0);
	/* A sysfs file reports a change made after it was last read. */
	ASSERT_LT(0, read(pfd.fd, list, sizeof(list)));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	memset(buf, 0x3c, sizeof(buf));
	EXPECT_EQ(DAX_PAGE, pwritev2(fd, &iov, 1, DAX_PAGE, RWF_RESET_HWERROR));
	EXPECT_EQ(0, dax_badblocks_count(&self->dev));
	EXPECT_EQ(1, poll(&pfd, 1, 5000));
	EXPECT_NE(0, pfd.revents & POLLPRI);
	close(pfd.fd);
	close(fd);
}

TEST_HARNESS_MAIN
