// SPDX-License-Identifier: GPL-2.0
/*
 * The bad-input matrix of RWF_IGNORE_HWERROR and RWF_RESET_HWERROR: every
 * flag x direction x file x companion flag x I/O path, each cell asserting
 * the documented result (see Documentation/filesystems/dax.rst):
 *
 *  - the flag of the other direction: EOPNOTSUPP;
 *  - anything but a regular DAX file of ext4 or XFS whose driver recovers
 *    (a non-DAX file of the same file system, the block device, a pipe,
 *    tmpfs, and every file of a driver without recovery): EOPNOTSUPP;
 *  - RWF_RESET_HWERROR with RWF_NOWAIT: EINVAL;
 *  - RWF_ATOMIC and RWF_DONTCACHE, which DAX files do not take: EOPNOTSUPP;
 *  - otherwise the I/O is done: a flagged read returns the bytes asked
 *    for, a flagged write writes them (RWF_APPEND at end of file).
 *
 * Every cell uses a fresh 8 KiB file (or stream) and checks that a refused
 * call moved nothing. A second test throws random flag words (known and
 * unknown bits) at a DAX file through the three paths.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "../kselftest_harness.h"
#include "dax_fixture.h"
#include "dax_io.h"

#ifndef RWF_DONTCACHE
#define RWF_DONTCACHE	0x00000080
#endif
#ifndef RWF_ATOMIC
#define RWF_ATOMIC	0x00000040
#endif

#define LEN	4096
#define FSIZE	(2 * LEN)

static const struct {
	const char *name;
	int flag;
} combos[] = {
	{ "-", 0 },
	{ "NOWAIT", RWF_NOWAIT },
	{ "APPEND", RWF_APPEND },
	{ "DSYNC", RWF_DSYNC },
	{ "SYNC", RWF_SYNC },
	{ "ATOMIC", RWF_ATOMIC },
	{ "DONTCACHE", RWF_DONTCACHE },
};

enum kind { DAX, DAX_ODIRECT, NOT_DAX, BLOCK_DEV, PIPE, TMPFS };

static const char * const kinds[] = {
	"DAX file", "DAX file, O_DIRECT", "non-DAX file", "block device", "pipe", "tmpfs file",
};

/* The documented result of one cell; 1 means "the I/O is done". */
static int expected(enum kind k, bool recovers, int flag, bool write, int combo)
{
	bool read_flag = flag == RWF_IGNORE_HWERROR;

	if (read_flag == write)
		return -EOPNOTSUPP;
	if ((k != DAX && k != DAX_ODIRECT) || !recovers)
		return -EOPNOTSUPP;
	if (combo == RWF_ATOMIC || combo == RWF_DONTCACHE)
		return -EOPNOTSUPP;
	if (flag == RWF_RESET_HWERROR && combo == RWF_NOWAIT)
		return -EINVAL;
	return 1;
}

/* A fresh file (or stream) of kind @k with FSIZE pattern bytes. */
static int open_kind(enum kind k, const struct dax_dev *dev, int *peer)
{
	char path[64] = MNT "/cell";
	uint8_t buf[FSIZE];
	int fd, p[2];

	*peer = -1;
	dax_fill(buf, FSIZE, 7, 0);
	switch (k) {
	case PIPE:
		if (pipe2(p, O_NONBLOCK))
			return -1;
		if (write(p[1], buf, FSIZE) != FSIZE)
			return -1;
		*peer = p[1];
		return p[0];
	case BLOCK_DEV:
		fd = open(dev->path, O_RDWR);
		if (fd >= 0 && pwrite(fd, buf, FSIZE, 0) != FSIZE)
			return -1;
		return fd;
	case TMPFS:
		snprintf(path, sizeof(path), "/dev/shm/dax_matrix");
		break;
	case NOT_DAX:
		snprintf(path, sizeof(path), "%s", MNT "/plain/cell");
		break;
	default:
		break;
	}
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | (k == DAX_ODIRECT ? O_DIRECT : 0), 0644);
	if (fd < 0)
		return -1;
	if (pwrite(fd, buf, FSIZE, 0) != FSIZE || fsync(fd)) {
		close(fd);
		return -1;
	}
	if ((k == DAX || k == DAX_ODIRECT) != dax_file_is_dax(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Nothing moved: the file still holds the pattern, no more, no less. */
static bool untouched(enum kind k, int fd)
{
	uint8_t buf[FSIZE + 1];
	struct stat st;

	if (k == PIPE)
		return read(fd, buf, sizeof(buf)) == FSIZE && dax_check(buf, FSIZE, 7, 0) < 0;
	if (k != BLOCK_DEV && (fstat(fd, &st) || st.st_size != FSIZE))
		return false;
	return pread(fd, buf, FSIZE, 0) == FSIZE && dax_check(buf, FSIZE, 7, 0) < 0;
}

/* The I/O of a done cell happened: a read got the bytes, a write wrote them. */
static bool done(int fd, bool write, int combo, const uint8_t *got)
{
	uint8_t buf[FSIZE + LEN];
	struct stat st;

	if (!write)
		return dax_check(got, LEN, 7, LEN) < 0;
	if (fstat(fd, &st))
		return false;
	if (combo == RWF_APPEND)
		return st.st_size == FSIZE + LEN &&
		       pread(fd, buf, LEN, FSIZE) == LEN && dax_check(buf, LEN, 9, 0) < 0;
	return st.st_size == FSIZE && pread(fd, buf, LEN, LEN) == LEN &&
	       dax_check(buf, LEN, 9, 0) < 0;
}

TEST_F(fs, matrix)
{
	const int flags[] = { RWF_IGNORE_HWERROR, RWF_RESET_HWERROR };
	bool recovers = dax_driver_recovers(&self->dev);
	int cells = 0, failed = 0;
	void *buf;

	ASSERT_EQ(0, posix_memalign(&buf, LEN, LEN));
	/* A directory of non-DAX files: the file system remounted with dax=inode. */
	ASSERT_EQ(0, dax_umount(MNT));
	self->mounted = false;
	ASSERT_EQ(0, mount(self->dev.path, MNT, variant->fstype, 0, "dax=inode"));
	self->mounted = true;
	ASSERT_EQ(0, mkdir(MNT "/plain", 0755));
	ASSERT_EQ(0, dax_umount(MNT));
	self->mounted = false;
	ASSERT_EQ(0, dax_mount(&self->dev, variant->fstype, MNT));
	self->mounted = true;

	for (enum kind k = DAX; k <= TMPFS; k++) {
		if (k == NOT_DAX) {
			ASSERT_EQ(0, dax_umount(MNT));
			self->mounted = false;
			ASSERT_EQ(0, mount(self->dev.path, MNT, variant->fstype, 0, "dax=inode"));
			self->mounted = true;
		} else if (k == BLOCK_DEV) {
			/* The block device, with the file system unmounted. */
			ASSERT_EQ(0, dax_umount(MNT));
			self->mounted = false;
		}
		for (size_t i = 0; i < 2 * 2 * ARRAY_SIZE(combos) * DAX_NPATHS; i++) {
			/* Cell i: flag, direction, companion flag, path. */
			size_t p = i % DAX_NPATHS;
			size_t c = i / DAX_NPATHS % ARRAY_SIZE(combos);
			int w = i / (DAX_NPATHS * ARRAY_SIZE(combos)) % 2;
			size_t f = i / (2 * DAX_NPATHS * ARRAY_SIZE(combos));
			int want = expected(k, recovers, flags[f], w, combos[c].flag);
			int peer, fd = open_kind(k, &self->dev, &peer);
			off_t off = k == PIPE ? -1 : LEN;
			ssize_t got;
			bool ok;

			ASSERT_GE(fd, 0) TH_LOG("%s", kinds[k]);
			dax_fill(buf, LEN, 9, 0);
			if (!w)
				memset(buf, 0, LEN);
			/* A pipe is written through its other end. */
			got = dax_paths[p].fn(k == PIPE && w ? peer : fd, w, buf, LEN, off,
					      flags[f] | combos[c].flag);
			if (want == 1)
				ok = got == LEN && done(fd, w, combos[c].flag, buf);
			else
				ok = got == want && untouched(k, fd);
			if (!ok) {
				failed++;
				TH_LOG("%s, %s, %s, %s, %s: got %zd, want %s", kinds[k],
				       flags[f] == RWF_IGNORE_HWERROR ? "IGNORE" : "RESET",
				       w ? "write" : "read", combos[c].name, dax_paths[p].name, got,
				       want == 1 ? "done" : strerror(-want));
			}
			cells++;
			close(fd);
			if (peer >= 0)
				close(peer);
		}
		if (k == NOT_DAX) {
			ASSERT_EQ(0, dax_umount(MNT));
			self->mounted = false;
			ASSERT_EQ(0, dax_mount(&self->dev, variant->fstype, MNT));
			self->mounted = true;
		}
	}
	unlink("/dev/shm/dax_matrix");
	TH_LOG("%d cells, %d wrong", cells, failed);
	EXPECT_EQ(0, failed);
	EXPECT_EQ(2 * 2 * 7 * 3 * 6, cells);
	free(buf);
}

#ifndef RWF_NOAPPEND
#define RWF_NOAPPEND	0x00000020
#endif
#ifndef RWF_NOSIGNAL
#define RWF_NOSIGNAL	0x00000100
#endif
#define RWF_KNOWN	0x000007ff	/* RWF_HIPRI .. RWF_RESET_HWERROR */
#define NOWAIT_DONE_OR_EAGAIN	2

/*
 * The documented result of a read or write of a clean DAX file with the
 * flag word @w, in the order kiocb_set_rw_flags() checks: unknown bits,
 * APPEND with NOAPPEND, ATOMIC (writes only, and DAX files cannot),
 * DONTCACHE (not on DAX), then the hardware error flags; io_uring refuses
 * HIPRI on a ring not set up for polling; then NOWAIT writes. 1 means
 * "done", NOWAIT_DONE_OR_EAGAIN "done, or EAGAIN with nothing moved".
 */
static int expected_word(unsigned int w, bool write, bool recovers, bool uring, bool xfs)
{
	if (w & ~RWF_KNOWN)
		return -EOPNOTSUPP;
	if ((w & RWF_APPEND) && (w & RWF_NOAPPEND))
		return -EINVAL;
	if (w & (RWF_ATOMIC | RWF_DONTCACHE))
		return -EOPNOTSUPP;
	if (w & (RWF_IGNORE_HWERROR | RWF_RESET_HWERROR)) {
		if ((w & RWF_IGNORE_HWERROR) && write)
			return -EOPNOTSUPP;
		if ((w & RWF_RESET_HWERROR) && !write)
			return -EOPNOTSUPP;
		if (!recovers)
			return -EOPNOTSUPP;
		if ((w & RWF_RESET_HWERROR) && (w & RWF_NOWAIT))
			return -EINVAL;
	}
	if (uring && (w & RWF_HIPRI))
		return -EINVAL;
	/*
	 * NOWAIT writes of DAX files (7.3, unchanged): ext4 lets
	 * generic_write_checks() refuse them (not direct I/O, no
	 * FOP_BUFFER_WASYNC) with EINVAL, which io_uring, retrying blocking
	 * I/O itself, reports as EAGAIN. XFS does them, or fails them with
	 * EAGAIN when they would block (updating the timestamps, say).
	 */
	if (write && (w & RWF_NOWAIT) && xfs)
		return NOWAIT_DONE_OR_EAGAIN;
	if (write && (w & RWF_NOWAIT))
		return uring ? -EAGAIN : -EINVAL;
	return 1;
}

/*
 * Random flag words (a fixed seed, DAX_MATRIX_SEED to change it), through
 * the three paths, on a DAX file: each returns its documented result; a
 * refused call moves nothing, a done one moves exactly its bytes. The file
 * is rewritten after every write, so each word starts from the same file.
 */
TEST_F_TIMEOUT(fs, random_flag_words, 900)
{
	const char *env = getenv("DAX_MATRIX_SEED");
	unsigned int seed = env ? strtoul(env, NULL, 0) : 20261124;
	bool recovers = dax_driver_recovers(&self->dev);
	int runs = 1500, wrong = 0, ndone = 0, peer, fd;
	uint8_t pattern[FSIZE];
	bool rewrite = false;
	void *buf;

	ASSERT_EQ(0, posix_memalign(&buf, LEN, LEN));
	dax_fill(pattern, FSIZE, 7, 0);
	fd = open_kind(DAX, &self->dev, &peer);
	ASSERT_GE(fd, 0);
	TH_LOG("seed %u, %d words", seed, runs);
	for (int i = 0; i < runs; i++) {
		unsigned int w = rand_r(&seed) & RWF_KNOWN;
		bool write = rand_r(&seed) & 1;
		size_t p = rand_r(&seed) % DAX_NPATHS;
		ssize_t got;
		int want;
		bool ok;

		/* One word in eight has bits no kernel knows. */
		if (rand_r(&seed) % 8 == 0)
			w |= 1u << (11 + rand_r(&seed) % 21);
		/* Keep the common cases common: ATOMIC/DONTCACHE/both-APPENDs in one of four. */
		if (rand_r(&seed) % 4)
			w &= ~(RWF_ATOMIC | RWF_DONTCACHE | RWF_NOAPPEND);
		want = expected_word(w, write, recovers, p == 1, !strcmp(variant->fstype, "xfs"));
		/* The file as open_kind() makes it, again after a write. */
		if (rewrite) {
			ASSERT_EQ(FSIZE, pwrite(fd, pattern, FSIZE, 0));
			ASSERT_EQ(0, ftruncate(fd, FSIZE));
			rewrite = false;
		}
		dax_fill(buf, LEN, 9, 0);
		if (!write)
			memset(buf, 0, LEN);
		got = dax_paths[p].fn(fd, write, buf, LEN, LEN, w);
		if (want == NOWAIT_DONE_OR_EAGAIN && got == -EAGAIN)
			ok = untouched(DAX, fd);
		else if (want == 1 || want == NOWAIT_DONE_OR_EAGAIN)
			ok = got == LEN && done(fd, write, w & RWF_APPEND, buf);
		else
			ok = got == want && untouched(DAX, fd);
		if (got == LEN && ok)
			ndone++;
		rewrite = write;
		if (!ok) {
			wrong++;
			TH_LOG("word %#x, %s, %s: got %zd, want %s", w, write ? "write" : "read",
			       dax_paths[p].name, got, want > 0 ? "done" : strerror(-want));
		}
	}
	close(fd);
	TH_LOG("%d words, %d done, %d refused as documented, %d wrong", runs, ndone,
	       runs - ndone - wrong, wrong);
	EXPECT_EQ(0, wrong);
	free(buf);
}

TEST_HARNESS_MAIN
