// SPDX-License-Identifier: GPL-2.0
/*
 * The dax_recovery test bed: an fsdax namespace exists, ext4 and XFS mount
 * on it with -o dax and their files are DAX, data round-trips exactly, and a
 * sector marked bad in /sys/block/pmemN/badblocks makes a plain DAX read stop
 * before it and fail with EIO on it, and a write over it fail with EIO.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "../kselftest_harness.h"
#include "dax_fixture.h"

TEST(fsdax_namespace)
{
	char why[256], buf[64];
	struct dax_dev dev;

	if (dax_find_dev(&dev, why, sizeof(why)))
		SKIP(return, "%s", why);
	TH_LOG("using %s (%s), %llu MiB", dev.path, dev.ns[0] ? dev.ns : "from env",
	       (unsigned long long)(dev.size / MiB));
	ASSERT_EQ(0, dax_sysfs_read(&dev, "queue/dax", buf, sizeof(buf)));
	ASSERT_STREQ("1", buf);
	ASSERT_GE(dev.size, 64 * MiB);
	if (dev.ns[0]) {
		char path[128], mode[32];
		FILE *f;

		snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/mode", dev.ns);
		f = fopen(path, "r");
		ASSERT_NE(NULL, f);
		ASSERT_EQ(1, fscanf(f, "%31s", mode));
		fclose(f);
		EXPECT_STREQ("memory", mode);	/* fsdax */
	}
	/* Nothing injected yet: the device starts without known poison. */
	EXPECT_EQ(0, dax_badblocks_count(&dev));
}

TEST_F(fs, mount_is_dax)
{
	char line[512];
	bool found = false;
	FILE *f;
	int fd;

	f = fopen("/proc/self/mounts", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, " " MNT " "))
			continue;
		found = true;
		EXPECT_NE(NULL, strstr(line, variant->fstype)) TH_LOG("%s", line);
		EXPECT_NE(NULL, strstr(line, "dax")) TH_LOG("%s", line);
	}
	fclose(f);
	ASSERT_TRUE(found);

	fd = create("file");
	ASSERT_GE(fd, 0);
	EXPECT_TRUE(dax_file_is_dax(fd));
	close(fd);
}

TEST_F(fs, roundtrip_sizes)
{
	static const struct { off_t off; size_t len; } io[] = {
		{ 0, 1 }, { 1, 511 }, { 512, 512 }, { 4095, 2 }, { 4096, 4096 },
		{ 8191, 4097 }, { 65536 + 3, 65536 - 5 }, { 3 * MiB + 17, MiB + 4095 },
		{ 0, 2 * MiB },
	};
	uint8_t *buf = malloc(2 * MiB);
	int fd;

	ASSERT_NE(NULL, buf);
	for (size_t i = 0; i < ARRAY_SIZE(io); i++) {
		char name[32];
		ssize_t n;

		snprintf(name, sizeof(name), "rt%zu", i);
		fd = create(name);
		ASSERT_GE(fd, 0);
		ASSERT_TRUE(dax_file_is_dax(fd));
		ASSERT_EQ(0, dax_write_pattern(fd, io[i].off, io[i].len, i + 1));
		memset(buf, 0xa5, io[i].len);
		n = pread(fd, buf, io[i].len, io[i].off);
		ASSERT_EQ((ssize_t)io[i].len, n) TH_LOG("case %zu", i);
		ASSERT_EQ(-1, dax_check(buf, io[i].len, i + 1, io[i].off)) TH_LOG("case %zu", i);
		/* The hole before the data reads as zeros. */
		if (io[i].off > 0) {
			size_t hole = io[i].off < 4096 ? io[i].off : 4096;

			size_t j = 0;

			ASSERT_EQ((ssize_t)hole, pread(fd, buf, hole, 0));
			while (j < hole && !buf[j])
				j++;
			ASSERT_EQ(hole, j) TH_LOG("case %zu: byte %zu of the hole is not 0", i, j);
		}
		/* Reading at EOF returns 0. */
		ASSERT_EQ(0, pread(fd, buf, 1, io[i].off + io[i].len));
		close(fd);
	}
	free(buf);
}

TEST_F(fs, roundtrip_remount)
{
	const size_t len = 8 * MiB + 123;
	uint8_t *buf = malloc(len);
	int fd;

	ASSERT_NE(NULL, buf);
	fd = create("persist");
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, dax_write_pattern(fd, 0, len, 42));
	close(fd);

	ASSERT_EQ(0, dax_umount(MNT));
	self->mounted = false;
	ASSERT_EQ(0, dax_mount(&self->dev, variant->fstype, MNT));
	self->mounted = true;

	fd = open(MNT "/persist", O_RDONLY);
	ASSERT_GE(fd, 0);
	EXPECT_TRUE(dax_file_is_dax(fd));
	ASSERT_EQ((ssize_t)len, pread(fd, buf, len, 0));
	EXPECT_EQ(-1, dax_check(buf, len, 42, 0));
	close(fd);
	free(buf);
}

/*
 * A 1 MiB file with one 512-byte sector marked bad in page 100, as in the
 * spec's "before" table. Returns the fd; the poisoned sector's file offset
 * is BAD_OFF.
 */
#define BAD_PAGE	100
#define BAD_SECT	3
#define BAD_OFF		(BAD_PAGE * DAX_PAGE + BAD_SECT * DAX_SECTOR)

static int poisoned_file(struct __test_metadata *_metadata, const struct dax_dev *dev)
{
	int fd;

	fd = create("damaged");
	if (fd < 0)
		return -1;
	if (dax_write_pattern(fd, 0, MiB, 7)) {
		close(fd);
		return -1;
	}
	if (dax_poison_file(dev, fd, BAD_OFF, 1) < 0) {
		TH_LOG("could not mark file offset %d bad", BAD_OFF);
		close(fd);
		return -1;
	}
	return fd;
}

/* A read that runs into the bad sector returns the bytes before it. */
TEST_F(fs, bad_sector_short_read)
{
	uint8_t *buf = malloc(MiB);
	int fd;

	ASSERT_NE(NULL, buf);
	self->poisoned = true;
	fd = poisoned_file(_metadata, &self->dev);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(1, dax_badblocks_count(&self->dev));
	memset(buf, 0xa5, MiB);
	ASSERT_EQ(BAD_OFF, pread(fd, buf, MiB, 0));
	EXPECT_EQ(-1, dax_check(buf, BAD_OFF, 7, 0));
	/* From inside the damaged page, too. */
	ASSERT_EQ(BAD_SECT * DAX_SECTOR - 100,
		  pread(fd, buf, DAX_PAGE, BAD_PAGE * DAX_PAGE + 100));
	EXPECT_EQ(-1, dax_check(buf, BAD_SECT * DAX_SECTOR - 100, 7,
				BAD_PAGE * DAX_PAGE + 100));
	/* One byte before the bad sector: one byte. */
	ASSERT_EQ(1, pread(fd, buf, 2, BAD_OFF - 1));
	EXPECT_EQ(-1, dax_check(buf, 1, 7, BAD_OFF - 1));
	close(fd);
	free(buf);
}

/* A read that starts on a bad byte fails with EIO. */
TEST_F(fs, bad_sector_read_eio)
{
	uint8_t buf[DAX_PAGE];
	int fd;

	self->poisoned = true;
	fd = poisoned_file(_metadata, &self->dev);
	ASSERT_GE(fd, 0);
	errno = 0;
	EXPECT_EQ(-1, pread(fd, buf, DAX_SECTOR, BAD_OFF));
	EXPECT_EQ(EIO, errno);
	errno = 0;
	EXPECT_EQ(-1, pread(fd, buf, 1, BAD_OFF + DAX_SECTOR - 1));
	EXPECT_EQ(EIO, errno);
	errno = 0;
	EXPECT_EQ(-1, pread(fd, buf, DAX_PAGE, BAD_OFF + 17));
	EXPECT_EQ(EIO, errno);
	close(fd);
}

/* Pages around the damaged one, and its good sectors, read exactly. */
TEST_F(fs, bad_sector_spares_good_bytes)
{
	uint8_t *buf = malloc(MiB);
	off_t after = BAD_OFF + DAX_SECTOR;
	int fd;

	ASSERT_NE(NULL, buf);
	self->poisoned = true;
	fd = poisoned_file(_metadata, &self->dev);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(BAD_PAGE * DAX_PAGE, pread(fd, buf, BAD_PAGE * DAX_PAGE, 0));
	EXPECT_EQ(-1, dax_check(buf, BAD_PAGE * DAX_PAGE, 7, 0));
	ASSERT_EQ(155 * DAX_PAGE, pread(fd, buf, 155 * DAX_PAGE, 101 * DAX_PAGE));
	EXPECT_EQ(-1, dax_check(buf, 155 * DAX_PAGE, 7, 101 * DAX_PAGE));
	/* The first, good, sector of the damaged page (7.3: EIO). */
	ASSERT_EQ(DAX_SECTOR, pread(fd, buf, DAX_SECTOR, BAD_PAGE * DAX_PAGE));
	EXPECT_EQ(-1, dax_check(buf, DAX_SECTOR, 7, BAD_PAGE * DAX_PAGE));
	/* Everything after the bad sector, to EOF. */
	ASSERT_EQ(MiB - after, pread(fd, buf, MiB, after));
	EXPECT_EQ(-1, dax_check(buf, MiB - after, 7, after));
	close(fd);
	free(buf);
}

/*
 * A write over the bad sector that cannot recover fails with EIO (7.3:
 * EFAULT) and changes nothing. Without a flag only a page-aligned
 * whole-page write may recover, and only where the bus can clear poison
 * (through a clear-error command, or on a bus with no commands, e820):
 * not on a bus with commands but no clear-error, QEMU's NFIT.
 */
TEST_F(fs, bad_sector_write_eio)
{
	uint8_t buf[DAX_PAGE];
	int fd;

	self->poisoned = true;
	fd = poisoned_file(_metadata, &self->dev);
	ASSERT_GE(fd, 0);
	memset(buf, 0x5a, sizeof(buf));
	errno = 0;
	EXPECT_EQ(-1, pwrite(fd, buf, DAX_SECTOR, BAD_OFF));
	EXPECT_EQ(EIO, errno);
	errno = 0;
	EXPECT_EQ(-1, pwrite(fd, buf, 100, BAD_PAGE * DAX_PAGE + 10));
	EXPECT_EQ(EIO, errno);
	/* Nothing was written: the good sector still holds its data. */
	ASSERT_EQ(DAX_SECTOR, pread(fd, buf, DAX_SECTOR, BAD_PAGE * DAX_PAGE));
	EXPECT_EQ(-1, dax_check(buf, DAX_SECTOR, 7, BAD_PAGE * DAX_PAGE));
	EXPECT_EQ(1, dax_badblocks_count(&self->dev));
	memset(buf, 0x5a, sizeof(buf));
	if (dax_bus_clears(&self->dev)) {
		/* The whole page is cleared and written; it reads back. */
		EXPECT_EQ(DAX_PAGE, pwrite(fd, buf, DAX_PAGE, BAD_PAGE * DAX_PAGE));
		EXPECT_EQ(0, dax_badblocks_count(&self->dev));
		memset(buf, 0, sizeof(buf));
		ASSERT_EQ(DAX_PAGE, pread(fd, buf, DAX_PAGE, BAD_PAGE * DAX_PAGE));
		EXPECT_EQ(0x5a, buf[0]);
		EXPECT_EQ(0x5a, buf[BAD_OFF % DAX_PAGE]);
		EXPECT_EQ(0x5a, buf[DAX_PAGE - 1]);
	} else {
		errno = 0;
		EXPECT_EQ(-1, pwrite(fd, buf, DAX_PAGE, BAD_PAGE * DAX_PAGE));
		EXPECT_EQ(EIO, errno);
		ASSERT_EQ(DAX_SECTOR, pread(fd, buf, DAX_SECTOR, BAD_PAGE * DAX_PAGE));
		EXPECT_EQ(-1, dax_check(buf, DAX_SECTOR, 7, BAD_PAGE * DAX_PAGE));
		EXPECT_EQ(1, dax_badblocks_count(&self->dev));
	}
	close(fd);
}

TEST_HARNESS_MAIN
