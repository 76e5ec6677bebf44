/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The "fs" fixture of the dax_recovery selftests: a fresh ext4 or XFS file
 * system on the scratch fsdax device, mounted with -o dax at MNT; injected
 * poison is forgotten when the test ends. Include after kselftest_harness.h.
 * A program with a fixture of its own, which wants only the mount point and
 * the timeout, defines DAX_FIXTURE_NO_FS first.
 */
#ifndef DAX_RECOVERY_FIXTURE_H
#define DAX_RECOVERY_FIXTURE_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "dax_common.h"

#define MNT	"/tmp/dax_recovery_mnt"
#define MiB	(1024 * 1024)

/*
 * The suite also runs on debug kernels (KASAN, lockdep) under emulation,
 * where a case takes several times as long as the harness's default allows.
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT	300

#ifndef DAX_FIXTURE_NO_FS
FIXTURE(fs) {
	struct dax_dev dev;
	bool mounted;
	bool poisoned;
};

FIXTURE_VARIANT(fs) {
	const char *fstype;
};

FIXTURE_VARIANT_ADD(fs, ext4) { .fstype = "ext4" };
FIXTURE_VARIANT_ADD(fs, xfs) { .fstype = "xfs" };

FIXTURE_SETUP(fs)
{
	char why[256], bound[64];
	const char *drv;

	self->mounted = false;
	self->poisoned = false;
	if (dax_find_dev(&self->dev, why, sizeof(why)))
		SKIP(return, "%s", why);
	/* A harness that runs the suite once per driver names the one it loaded. */
	drv = getenv("DAX_RECOVERY_DRIVER");
	if (drv && *drv)
		ASSERT_STREQ(drv, dax_driver(&self->dev, bound, sizeof(bound)));
	/* ... and the kind of bus the device is on. */
	ASSERT_EQ(dax_bus_declared(&self->dev), dax_bus_kind(&self->dev))
		TH_LOG("%s is not on the bus the harness named", self->dev.path);
	/* A case killed by its timeout leaves its file system mounted. */
	if (dax_run("grep -q ' %s ' /proc/mounts", MNT) == 0)
		EXPECT_EQ(0, dax_umount(MNT)) TH_LOG("a stale mount at " MNT);
	/* ... and one killed with poison injected leaves the poison. */
	if (dax_badblocks_count(&self->dev) > 0)
		EXPECT_EQ(0, dax_reset_badblocks(&self->dev)) TH_LOG("stale poison on the device");
	ASSERT_EQ(0, dax_badblocks_count(&self->dev)) TH_LOG("stale poison on the device");
	ASSERT_EQ(0, dax_mkfs(&self->dev, variant->fstype));
	ASSERT_EQ(0, dax_mount(&self->dev, variant->fstype, MNT));
	self->mounted = true;
}

/*
 * Tear down in the parent, after the test process has exited: a test that
 * stops on a failed assertion leaves its descriptors open until then, and
 * the file system could not be unmounted before.
 */
FIXTURE_TEARDOWN_PARENT(fs)
{
	if (self->mounted)
		EXPECT_EQ(0, dax_umount(MNT));
	if (self->poisoned) {
		EXPECT_EQ(0, dax_reset_badblocks(&self->dev));
		/* A case stopped by an assertion may leave a fault point armed. */
		(void)dax_fault_disarm(&self->dev, "mc");
		(void)dax_fault_disarm(&self->dev, "clear");
	}
}
#endif

static inline int create(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), MNT "/%s", name);
	return open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
}

#endif
