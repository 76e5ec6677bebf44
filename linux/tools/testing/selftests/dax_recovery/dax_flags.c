// SPDX-License-Identifier: GPL-2.0
/*
 * RWF_IGNORE_HWERROR and RWF_RESET_HWERROR: where they are accepted and what
 * they fail with elsewhere, through preadv2/pwritev2, io_uring and aio, and
 * that a rejected call moves no data.
 *
 * The flags work on DAX files of ext4 and XFS when the pmem driver implements
 * recovery, as both nd_pmem and the Rust pmem driver do; with a driver that
 * does not, every call fails with EOPNOTSUPP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef DAX_HAVE_LIBURING
#include <liburing.h>
#endif
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "../kselftest_harness.h"
#include "dax_fixture.h"
#include "dax_io.h"

#define IGNORE	RWF_IGNORE_HWERROR
#define RESET	RWF_RESET_HWERROR

TEST(flag_values)
{
	/* The next free RWF bits after RWF_NOSIGNAL, below the IOCB-private ones. */
	EXPECT_EQ(0x100, RWF_NOSIGNAL);
	EXPECT_EQ(0x200, RWF_IGNORE_HWERROR);
	EXPECT_EQ(0x400, RWF_RESET_HWERROR);
}

/*
 * statx()'s STATX_ATTR_HWERROR_RECOVERY for @fd: 1 if set, 0 if clear, -1 if
 * the kernel does not know the attribute (not in stx_attributes_mask).
 */
static int hwerror_attr(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) ||
	    !(stx.stx_attributes_mask & STATX_ATTR_HWERROR_RECOVERY))
		return -1;
	return !!(stx.stx_attributes & STATX_ATTR_HWERROR_RECOVERY);
}

/* A regular file that is not DAX (tmpfs): no flag, no data moved. */
TEST(not_dax_tmpfs)
{
	char path[] = "/dev/shm/dax_flags_XXXXXX";
	char buf[64], back[64];
	int fd = mkstemp(path);

	ASSERT_GE(fd, 0);
	unlink(path);
	EXPECT_EQ(0, hwerror_attr(fd));
	dax_fill((uint8_t *)buf, sizeof(buf), 5, 0);
	ASSERT_EQ(sizeof(buf), write(fd, buf, sizeof(buf)));
	for (size_t p = 0; p < DAX_NPATHS; p++) {
		TH_LOG("%s", dax_paths[p].name);
		memset(buf, 'x', sizeof(buf));
		EXPECT_EQ(-EOPNOTSUPP, dax_paths[p].fn(fd, false, buf, sizeof(buf), 0, IGNORE));
		EXPECT_EQ(-EOPNOTSUPP, dax_paths[p].fn(fd, true, buf, sizeof(buf), 0, RESET));
		EXPECT_EQ(-EOPNOTSUPP, dax_paths[p].fn(fd, false, buf, 0, 0, IGNORE));
		EXPECT_EQ(-EOPNOTSUPP, dax_paths[p].fn(fd, true, buf, 0, 0, RESET));
	}
	ASSERT_EQ(sizeof(back), pread(fd, back, sizeof(back), 0));
	EXPECT_EQ(-1, dax_check((uint8_t *)back, sizeof(back), 5, 0));
	close(fd);
}

TEST(not_dax_pipe)
{
	char buf[16] = "pipe data";
	int p[2];

	ASSERT_EQ(0, pipe2(p, O_NONBLOCK));
	ASSERT_EQ(-EOPNOTSUPP, dax_rw2(p[1], true, buf, sizeof(buf), -1, RESET));
	ASSERT_EQ(-EOPNOTSUPP, dax_rw2(p[1], true, buf, 0, -1, RESET));
	/* Nothing went into the pipe. */
	EXPECT_EQ(-EAGAIN, dax_rw2(p[0], false, buf, sizeof(buf), -1, 0));
	ASSERT_EQ(sizeof(buf), write(p[1], buf, sizeof(buf)));
	EXPECT_EQ(-EOPNOTSUPP, dax_rw2(p[0], false, buf, sizeof(buf), -1, IGNORE));
	EXPECT_EQ(-EOPNOTSUPP, dax_rw2(p[0], false, buf, 0, -1, IGNORE));
	/* ... and nothing came out of it. */
	EXPECT_EQ((ssize_t)sizeof(buf), dax_rw2(p[0], false, buf, sizeof(buf), -1, 0));
	close(p[0]);
	close(p[1]);
}

/* The pmem block device itself is no DAX file. */
TEST(not_dax_block_device)
{
	uint8_t buf[DAX_SECTOR], back[DAX_SECTOR];
	struct dax_dev dev;
	char why[256];
	int fd;

	if (dax_find_dev(&dev, why, sizeof(why)))
		SKIP(return, "%s", why);
	fd = open(dev.path, O_RDWR);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(DAX_SECTOR, pread(fd, back, sizeof(back), 0));
	for (size_t p = 0; p < DAX_NPATHS; p++) {
		TH_LOG("%s", dax_paths[p].name);
		EXPECT_EQ(-EOPNOTSUPP, dax_paths[p].fn(fd, false, buf, sizeof(buf), 0, IGNORE));
		EXPECT_EQ(-EOPNOTSUPP, dax_paths[p].fn(fd, false, buf, 0, 0, IGNORE));
		memset(buf, 0x77, sizeof(buf));
		EXPECT_EQ(-EOPNOTSUPP, dax_paths[p].fn(fd, true, buf, sizeof(buf), 0, RESET));
	}
	ASSERT_EQ(DAX_SECTOR, pread(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, back, sizeof(buf)));
	close(fd);
}

/* A DAX file with known content, for the tests below. */
static int dax_file(struct __test_metadata *_metadata, size_t len)
{
	int fd = create("file");

	if (fd < 0 || dax_write_pattern(fd, 0, len, 11) || !dax_file_is_dax(fd))
		return -1;
	return fd;
}

static bool unchanged(int fd, size_t len)
{
	uint8_t *buf = malloc(len);
	bool ok;

	ok = buf && pread(fd, buf, len, 0) == (ssize_t)len && dax_check(buf, len, 11, 0) < 0;
	free(buf);
	return ok;
}

/*
 * A zero-length call is the probe for support; statx() reports it too
 * (STATX_ATTR_HWERROR_RECOVERY), as it reports atomic writes.
 */
TEST_F(fs, probe)
{
	bool supported = dax_driver_recovers(&self->dev);
	ssize_t want = supported ? 0 : -EOPNOTSUPP;
	char drv[64], buf[1];
	int fd = dax_file(_metadata, DAX_PAGE);

	ASSERT_GE(fd, 0);
	TH_LOG("driver %s: flags %ssupported", dax_driver(&self->dev, drv, sizeof(drv)),
	       supported ? "" : "not ");
	EXPECT_EQ(supported, hwerror_attr(fd));
	for (size_t p = 0; p < DAX_NPATHS; p++) {
		TH_LOG("%s", dax_paths[p].name);
		EXPECT_EQ(want, dax_paths[p].fn(fd, false, buf, 0, 0, IGNORE));
		EXPECT_EQ(want, dax_paths[p].fn(fd, true, buf, 0, 0, RESET));
	}
	EXPECT_TRUE(unchanged(fd, DAX_PAGE));
	close(fd);
}

/* IGNORE is a read flag, RESET a write flag. */
TEST_F(fs, wrong_direction)
{
	uint8_t buf[DAX_PAGE];
	int fd = dax_file(_metadata, DAX_PAGE);

	ASSERT_GE(fd, 0);
	for (size_t p = 0; p < DAX_NPATHS; p++) {
		TH_LOG("%s", dax_paths[p].name);
		memset(buf, 0x33, sizeof(buf));
		EXPECT_EQ(-EOPNOTSUPP, dax_paths[p].fn(fd, true, buf, sizeof(buf), 0, IGNORE));
		EXPECT_EQ(-EOPNOTSUPP, dax_paths[p].fn(fd, true, buf, 0, 0, IGNORE));
		EXPECT_EQ(-EOPNOTSUPP, dax_paths[p].fn(fd, false, buf, sizeof(buf), 0, RESET));
		EXPECT_EQ(-EOPNOTSUPP, dax_paths[p].fn(fd, false, buf, 0, 0, RESET));
		EXPECT_EQ(-EOPNOTSUPP, dax_paths[p].fn(fd, true, buf, sizeof(buf), 0,
						       IGNORE | RESET));
		EXPECT_EQ(-EOPNOTSUPP, dax_paths[p].fn(fd, false, buf, sizeof(buf), 0,
						       IGNORE | RESET));
	}
	EXPECT_TRUE(unchanged(fd, DAX_PAGE));
	close(fd);
}

/* A reset takes exclusive locks and may call firmware: never NOWAIT. */
TEST_F(fs, reset_nowait)
{
	ssize_t want = dax_driver_recovers(&self->dev) ? -EINVAL : -EOPNOTSUPP;
	uint8_t buf[DAX_PAGE];
	int fd = dax_file(_metadata, DAX_PAGE);

	ASSERT_GE(fd, 0);
	memset(buf, 0x44, sizeof(buf));
	for (size_t p = 0; p < DAX_NPATHS; p++) {
		TH_LOG("%s", dax_paths[p].name);
		EXPECT_EQ(want, dax_paths[p].fn(fd, true, buf, sizeof(buf), 0, RESET | RWF_NOWAIT));
	}
	EXPECT_EQ(want, dax_rw2(fd, true, buf, 0, 0, RESET | RWF_NOWAIT));
	EXPECT_TRUE(unchanged(fd, DAX_PAGE));
	close(fd);
}

/* The I/O paths the cases go through: a path left out of the build skips. */
TEST(io_paths)
{
	for (size_t p = 0; p < DAX_NPATHS; p++)
		TH_LOG("%s", dax_paths[p].name);
	if (dax_paths_missing)
		SKIP(return, "%s", dax_paths_missing);
}

#ifdef DAX_HAVE_LIBURING
static void *drain_later(void *arg)
{
	uint8_t buf[DAX_PAGE];

	usleep(2000 * 1000);
	return (void *)(long)read(*(int *)arg, buf, sizeof(buf));
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * io_uring's first attempt at a write is non-blocking: io_uring sets
 * IOCB_NOWAIT itself (RWF_NOWAIT is not involved). A reset must not block
 * in it. Here a page of the file is held by a pipe (vmsplice of its
 * mapping), so the reset's layout break waits until a thread drains the
 * pipe, 2 s later: the submission returns at once (io_uring retries the
 * reset from a worker), and the reset completes once the page is free.
 */
TEST_F(fs, uring_reset_does_not_block_submitter)
{
	uint8_t buf[DAX_PAGE], back[DAX_PAGE];
	struct iovec iov = { buf, DAX_PAGE }, spl;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	int fd = dax_file(_metadata, 4 * DAX_PAGE), p[2];
	long t0, took;
	pthread_t t;
	void *map;

	ASSERT_GE(fd, 0);
	if (!dax_driver_recovers(&self->dev)) {
		close(fd);
		SKIP(return, "the driver does not implement recovery");
	}
	map = mmap(NULL, DAX_PAGE, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, pipe(p));
	spl.iov_base = map;
	spl.iov_len = DAX_PAGE;
	ASSERT_EQ(DAX_PAGE, vmsplice(p[1], &spl, 1, 0)) TH_LOG("vmsplice: %s", strerror(errno));
	ASSERT_EQ(0, io_uring_queue_init(4, &ring, 0));
	dax_fill(buf, DAX_PAGE, 12, 2 * DAX_PAGE);
	ASSERT_EQ(0, pthread_create(&t, NULL, drain_later, &p[0]));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_writev2(sqe, fd, &iov, 1, 2 * DAX_PAGE, RESET);
	t0 = now_ms();
	ASSERT_EQ(1, io_uring_submit(&ring));
	took = now_ms() - t0;
	EXPECT_LT(took, 1000) TH_LOG("io_uring_submit() blocked for %ld ms", took);
	ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
	EXPECT_EQ(DAX_PAGE, cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	pthread_join(t, NULL);
	ASSERT_EQ(DAX_PAGE, pread(fd, back, DAX_PAGE, 2 * DAX_PAGE));
	EXPECT_EQ(-1, dax_check(back, DAX_PAGE, 12, 2 * DAX_PAGE));
	munmap(map, DAX_PAGE);
	close(p[0]);
	close(p[1]);
	close(fd);
}
#else
TEST(uring_reset_does_not_block_submitter)
{
	SKIP(return, "built without liburing");
}
#endif

/* Unknown bits keep failing with EOPNOTSUPP. */
TEST_F(fs, unknown_bits)
{
	uint8_t buf[DAX_PAGE];
	int fd = dax_file(_metadata, DAX_PAGE);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EOPNOTSUPP, dax_rw2(fd, false, buf, sizeof(buf), 0, 0x40000000));
	EXPECT_EQ(-EOPNOTSUPP, dax_rw2(fd, false, buf, sizeof(buf), 0, IGNORE | 0x800));
	memset(buf, 0x55, sizeof(buf));
	EXPECT_EQ(-EOPNOTSUPP, dax_rw2(fd, true, buf, sizeof(buf), 0, RESET | 0x800));
	EXPECT_TRUE(unchanged(fd, DAX_PAGE));
	close(fd);
}

/*
 * On a clean file the flags read and write exactly what plain calls would,
 * where supported; elsewhere they fail and move nothing.
 */
TEST_F(fs, clean_file)
{
	bool supported = dax_driver_recovers(&self->dev);
	const size_t len = 3 * DAX_PAGE;
	uint8_t buf[3 * DAX_PAGE];
	int fd = dax_file(_metadata, len);

	ASSERT_GE(fd, 0);
	for (size_t p = 0; p < DAX_NPATHS; p++) {
		TH_LOG("%s", dax_paths[p].name);
		memset(buf, 0xee, sizeof(buf));
		if (!supported) {
			EXPECT_EQ(-EOPNOTSUPP, dax_paths[p].fn(fd, false, buf, len, 0, IGNORE));
			EXPECT_EQ(-EOPNOTSUPP, dax_paths[p].fn(fd, true, buf, len, 0, RESET));
			continue;
		}
		ASSERT_EQ((ssize_t)(len - 100), dax_paths[p].fn(fd, false, buf, len, 100, IGNORE));
		EXPECT_EQ(-1, dax_check(buf, len - 100, 11, 100));
		dax_fill(buf, len, 11, 0);
		ASSERT_EQ((ssize_t)len, dax_paths[p].fn(fd, true, buf, len, 0, RESET));
	}
	EXPECT_TRUE(unchanged(fd, len));
	close(fd);
}

TEST_HARNESS_MAIN
