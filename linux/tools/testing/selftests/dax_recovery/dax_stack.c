// SPDX-License-Identifier: GPL-2.0
/*
 * DAX on stacked devices: ext4 and XFS on a device mapper device over the
 * pmem device, either two dm-linear targets with its halves swapped or a
 * dm-stripe target with one-page chunks striped over its two halves, so
 * that no byte of the stacked device is at the same offset on the pmem
 * device. A plain read through it stops before a sector marked bad on the
 * pmem device, exactly where it would on the pmem device itself (device
 * mapper forwards ->known_bad_range to its targets, which map it), and the
 * recovery flags are refused: device mapper does not forward the recovery
 * operations.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#define DAX_FIXTURE_NO_FS	/* the stack fixture below is this program's */
#include "dax_fixture.h"
#include "dax_io.h"

#define DM_NAME	"dax_recovery_stack"
#define HALF_ALIGN	(2 * MiB)
#define OLD	11
#define PAGES	16
#define FLEN	(PAGES * DAX_PAGE)

/* The /dev/dm-N of the device mapper device named DM_NAME, or -1. */
static int dm_find(struct dax_dev *dm)
{
	struct dirent *de;
	int ret = -1;
	DIR *d;

	d = opendir("/sys/block");
	if (!d)
		return -1;
	while (ret && (de = readdir(d))) {
		char path[300], name[64] = "";
		FILE *f;

		if (strncmp(de->d_name, "dm-", 3))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/dm/name", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%63s", name) == 1 && !strcmp(name, DM_NAME)) {
			snprintf(dm->name, sizeof(dm->name), "%s", de->d_name);
			snprintf(dm->path, sizeof(dm->path), "/dev/%s", de->d_name);
			ret = 0;
		}
		fclose(f);
	}
	closedir(d);
	return ret;
}

static int dm_remove(void)
{
	return dax_run("dmsetup remove --noudevsync " DM_NAME " >/dev/null 2>&1");
}

FIXTURE(stack) {
	struct dax_dev dev;	/* the pmem device */
	struct dax_dev dm;	/* the stacked device on it */
	uint64_t half;		/* sectors of each half */
	bool created;
	bool mounted;
	bool poisoned;
};

FIXTURE_VARIANT(stack) {
	const char *fstype;
	bool striped;	/* dm-stripe, else dm-linear */
};

FIXTURE_VARIANT_ADD(stack, linear_ext4) { .fstype = "ext4" };
FIXTURE_VARIANT_ADD(stack, linear_xfs) { .fstype = "xfs" };
FIXTURE_VARIANT_ADD(stack, striped_ext4) { .fstype = "ext4", .striped = true };
FIXTURE_VARIANT_ADD(stack, striped_xfs) { .fstype = "xfs", .striped = true };

#define CHUNK	(DAX_PAGE / DAX_SECTOR)	/* dm-stripe's chunk, in sectors */

FIXTURE_SETUP(stack)
{
	char why[256], bound[64], table[256];
	unsigned long long half;
	const char *drv;
	int ret;

	self->created = false;
	self->mounted = false;
	self->poisoned = false;
	if (dax_find_dev(&self->dev, why, sizeof(why)))
		SKIP(return, "%s", why);
	drv = getenv("DAX_RECOVERY_DRIVER");
	if (drv && *drv)
		ASSERT_STREQ(drv, dax_driver(&self->dev, bound, sizeof(bound)));
	if (dax_run("command -v dmsetup >/dev/null"))
		SKIP(return, "dmsetup is not installed");
	if (dax_run("grep -q ' %s ' /proc/mounts", MNT) == 0)
		EXPECT_EQ(0, dax_umount(MNT)) TH_LOG("a stale mount at " MNT);
	if (!dm_find(&self->dm))
		EXPECT_EQ(0, dm_remove()) TH_LOG("a stale " DM_NAME);
	if (dax_badblocks_count(&self->dev) > 0)
		EXPECT_EQ(0, dax_reset_badblocks(&self->dev));
	ASSERT_EQ(0, dax_badblocks_count(&self->dev));

	self->half = (self->dev.size / 2 / HALF_ALIGN) * HALF_ALIGN / DAX_SECTOR;
	half = self->half;
	if (variant->striped)
		snprintf(table, sizeof(table), "0 %llu striped 2 %d %s 0 %s %llu",
			 2 * half, CHUNK, self->dev.path, self->dev.path, half);
	else
		snprintf(table, sizeof(table), "0 %llu linear %s %llu\\n%llu %llu linear %s 0",
			 half, self->dev.path, half, half, half, self->dev.path);
	ret = dax_run("printf '%s\\n' | dmsetup create --noudevsync " DM_NAME, table);
	ASSERT_EQ(0, ret) TH_LOG("device mapper over %s: is CONFIG_BLK_DEV_DM set?",
				 self->dev.path);
	self->created = true;
	ASSERT_EQ(0, dm_find(&self->dm));
	ASSERT_EQ(0, dax_sysfs_read(&self->dm, "queue/dax", why, sizeof(why)));
	ASSERT_STREQ("1", why) TH_LOG("%s does not support DAX", self->dm.path);
	ASSERT_EQ(0, dax_mkfs(&self->dm, variant->fstype));
	ASSERT_EQ(0, dax_mount(&self->dm, variant->fstype, MNT));
	self->mounted = true;
}

FIXTURE_TEARDOWN_PARENT(stack)
{
	if (self->mounted)
		EXPECT_EQ(0, dax_umount(MNT));
	if (self->created)
		EXPECT_EQ(0, dm_remove());
	if (self->poisoned)
		EXPECT_EQ(0, dax_reset_badblocks(&self->dev));
}

/* The pmem sector under sector @s of the stacked device, of halves of @half sectors. */
static uint64_t pmem_sector(uint64_t half, bool striped, uint64_t s)
{
	uint64_t chunk = s / CHUNK;

	if (striped)
		return chunk / 2 * CHUNK + s % CHUNK + (chunk % 2 ? half : 0);
	return s < half ? s + half : s - half;
}

/* A file of FLEN pattern bytes, on DAX; returns its descriptor. */
static int make_file(struct __test_metadata *_metadata)
{
	int fd = open(MNT "/file", O_RDWR | O_CREAT | O_TRUNC, 0644);

	EXPECT_GE(fd, 0);
	if (fd < 0)
		return -1;
	EXPECT_TRUE(dax_file_is_dax(fd));
	EXPECT_EQ(0, dax_write_pattern(fd, 0, FLEN, OLD));
	return fd;
}

/*
 * A plain read through the stacked device stops before the bad sector, at
 * its exact byte; a read that starts on it fails with EIO; one that starts
 * after it returns the rest. The poison is known only to the pmem device
 * under the stack, at another offset than in the stacked device.
 */
TEST_F(stack, plain_read_stops_at_bad)
{
	const off_t bad = 5 * DAX_PAGE + 3 * DAX_SECTOR;
	uint8_t *buf = malloc(FLEN);
	int64_t s;
	int fd;

	ASSERT_NE(NULL, buf);
	fd = make_file(_metadata);
	ASSERT_GE(fd, 0);
	s = dax_file_sector(fd, bad);
	ASSERT_GE(s, 0);
	self->poisoned = true;
	ASSERT_EQ(0, dax_mark_bad(&self->dev, pmem_sector(self->half, variant->striped, s), 1));

	EXPECT_EQ(bad, pread(fd, buf, FLEN, 0));
	EXPECT_EQ(-1, dax_check(buf, bad, OLD, 0));
	EXPECT_EQ(-1, pread(fd, buf, DAX_SECTOR, bad));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(-1, pread(fd, buf, FLEN, bad + 1));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(FLEN - bad - DAX_SECTOR, pread(fd, buf, FLEN, bad + DAX_SECTOR));
	EXPECT_EQ(-1, dax_check(buf, FLEN - bad - DAX_SECTOR, OLD, bad + DAX_SECTOR));
	close(fd);
	free(buf);
}

/*
 * A bad run over a page boundary of the file: the last sector of a page and
 * the first of the next, which dm-stripe puts in different halves of the
 * pmem device. The read stops at the first, and the second stops a read
 * that starts between them.
 */
TEST_F(stack, plain_read_bad_run_over_pages)
{
	const off_t bad = 4 * DAX_PAGE - DAX_SECTOR;
	uint8_t *buf = malloc(FLEN);
	int64_t s, t;
	int fd;

	ASSERT_NE(NULL, buf);
	fd = make_file(_metadata);
	ASSERT_GE(fd, 0);
	s = dax_file_sector(fd, bad);
	t = dax_file_sector(fd, bad + DAX_SECTOR);
	ASSERT_GE(s, 0);
	ASSERT_GE(t, 0);
	self->poisoned = true;
	ASSERT_EQ(0, dax_mark_bad(&self->dev, pmem_sector(self->half, variant->striped, s), 1));
	ASSERT_EQ(0, dax_mark_bad(&self->dev, pmem_sector(self->half, variant->striped, t), 1));

	EXPECT_EQ(bad, pread(fd, buf, FLEN, 0));
	EXPECT_EQ(-1, dax_check(buf, bad, OLD, 0));
	EXPECT_EQ(-1, pread(fd, buf, FLEN, bad + DAX_SECTOR));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(FLEN - bad - 2 * DAX_SECTOR, pread(fd, buf, FLEN, bad + 2 * DAX_SECTOR));
	EXPECT_EQ(-1, dax_check(buf, FLEN - bad - 2 * DAX_SECTOR, OLD, bad + 2 * DAX_SECTOR));
	close(fd);
	free(buf);
}

/*
 * Device mapper does not forward the recovery operations: the flags are
 * refused with EOPNOTSUPP, the zero-length probe included, and nothing is
 * read or written.
 */
TEST_F(stack, recovery_not_offered)
{
	uint8_t buf[DAX_PAGE];
	int fd = make_file(_metadata);

	ASSERT_GE(fd, 0);
	memset(buf, 0xa5, sizeof(buf));
	EXPECT_EQ(-EOPNOTSUPP, dax_rw2(fd, false, buf, 0, 0, RWF_IGNORE_HWERROR));
	EXPECT_EQ(-EOPNOTSUPP, dax_rw2(fd, true, buf, 0, 0, RWF_RESET_HWERROR));
	EXPECT_EQ(-EOPNOTSUPP, dax_rw2(fd, false, buf, sizeof(buf), 0, RWF_IGNORE_HWERROR));
	EXPECT_EQ(-EOPNOTSUPP, dax_rw2(fd, true, buf, sizeof(buf), 0, RWF_RESET_HWERROR));
	EXPECT_EQ((ssize_t)sizeof(buf), pread(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(-1, dax_check(buf, sizeof(buf), OLD, 0));
	close(fd);
}

TEST_HARNESS_MAIN
