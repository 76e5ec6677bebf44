// SPDX-License-Identifier: GPL-2.0
/*
 * dax_salvage - recover a file on persistent memory with media errors
 *
 *   dax_salvage [-s] DAMAGED COPY [REPLICA]
 *
 * Copies every readable byte of DAMAGED to COPY with
 * preadv2(RWF_IGNORE_HWERROR) (bad bytes become zeros) and reports the byte
 * ranges that were lost. On XFS it learns them in the same pass from the
 * file system's health monitor, to which the kernel reports every range a
 * read returned as zeros; elsewhere (ext4), or if the monitor cannot be
 * opened or dropped events, it finds them with plain reads, which stop at
 * the first bad byte; -s asks for the plain reads even on XFS. It says which
 * it used, and how many calls and how long finding the ranges took.
 *
 * With REPLICA, a good copy of the file from elsewhere, it then repairs
 * DAMAGED in place: each lost range is rewritten from the replica
 * with pwritev2(RWF_RESET_HWERROR), which clears the poison under the
 * written pages and keeps their good bytes. Finally it reads DAMAGED back
 * with plain reads.
 *
 * Exit status: 0 if nothing was lost or everything was repaired, 1 if bytes
 * were lost and not repaired, 2 on usage or I/O errors, 3 if the kernel, the
 * file system or the device does not support the flags (statx() does not
 * report STATX_ATTR_HWERROR_RECOVERY, or a zero-length probe fails with
 * EOPNOTSUPP).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "dax_xfs_hm.h"

#ifndef RWF_IGNORE_HWERROR
#define RWF_IGNORE_HWERROR	0x00000200
#endif
#ifndef RWF_RESET_HWERROR
#define RWF_RESET_HWERROR	0x00000400
#endif
#ifndef STATX_ATTR_HWERROR_RECOVERY
#define STATX_ATTR_HWERROR_RECOVERY	0x00800000
#endif

#define CHUNK	(1024 * 1024)
#define SECTOR	512

struct lost {
	off_t off;
	off_t len;
};

/* The calls made to find the lost ranges (reads of the file or the monitor). */
static int find_calls;

static ssize_t rw2(int fd, int write, void *buf, size_t len, off_t off, int flags)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return write ? pwritev2(fd, &iov, 1, off, flags) : preadv2(fd, &iov, 1, off, flags);
}

/*
 * Find the lost ranges of @fd with plain reads: a read returns the bytes
 * before the first bad one and fails with EIO on a bad one; the known-bad
 * granularity is the 512-byte sector.
 */
static int find_lost(int fd, off_t size, struct lost **out, int *nout)
{
	char *buf = malloc(CHUNK);
	struct lost *lost = NULL;
	int n = 0;
	off_t off = 0;

	if (!buf)
		return -1;
	while (off < size) {
		ssize_t r = pread(fd, buf, CHUNK, off);

		find_calls++;

		if (r > 0) {
			off += r;
			continue;
		}
		if (r == 0)
			break;
		if (errno != EIO) {
			perror("pread");
			free(buf);
			return -1;
		}
		/* A bad byte at @off: extend the range sector by sector. */
		if (n && lost[n - 1].off + lost[n - 1].len == off) {
			lost[n - 1].len += SECTOR - off % SECTOR;
		} else {
			struct lost *l = realloc(lost, (n + 1) * sizeof(*lost));

			if (!l) {
				free(buf);
				return -1;
			}
			lost = l;
			lost[n].off = off;
			lost[n].len = SECTOR - off % SECTOR;
			n++;
		}
		off += SECTOR - off % SECTOR;
	}
	for (int i = 0; i < n; i++)
		if (lost[i].off + lost[i].len > size)
			lost[i].len = size - lost[i].off;
	free(buf);
	*out = lost;
	*nout = n;
	return 0;
}

static int add_lost(struct lost **lost, int *n, off_t off, off_t len)
{
	struct lost *l;

	for (int i = 0; i < *n; i++) {
		struct lost *r = &(*lost)[i];

		if (off <= r->off + r->len && r->off <= off + len) {	/* touches: merge */
			off_t end = off + len > r->off + r->len ? off + len : r->off + r->len;

			r->off = off < r->off ? off : r->off;
			r->len = end - r->off;
			return 0;
		}
	}
	l = realloc(*lost, (*n + 1) * sizeof(**lost));
	if (!l)
		return -1;
	*lost = l;
	l[*n].off = off;
	l[*n].len = len;
	(*n)++;
	return 0;
}

static int by_offset(const void *a, const void *b)
{
	const struct lost *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/*
 * The lost ranges of file @ino as the health monitor @hm reported them
 * (events come from a workqueue: wait for them to settle). Returns 0, or
 * -1 if the monitor dropped events or a range cannot be kept.
 */
static int monitor_lost(int hm, ino_t ino, struct lost **out, int *nout)
{
	struct pollfd pfd = { .fd = hm, .events = POLLIN };
	struct dax_hm_event ev[32];
	struct lost *lost = NULL;
	int n = 0, ms = 2000;

	while (poll(&pfd, 1, ms) == 1) {
		ssize_t len = read(hm, ev, sizeof(ev));

		find_calls++;
		for (ssize_t i = 0; i < len / (ssize_t)sizeof(ev[0]); i++) {
			if (ev[i].type == DAX_HM_TYPE_LOST)
				goto fail;
			if (ev[i].domain != DAX_HM_DOMAIN_FILERANGE ||
			    ev[i].type != DAX_HM_TYPE_DATALOST || ev[i].e.filerange.ino != ino)
				continue;
			if (add_lost(&lost, &n, ev[i].e.filerange.pos, ev[i].e.filerange.len))
				goto fail;
		}
		ms = 200;
	}
	/* Merging may have joined ranges out of order: sort, then merge again. */
	qsort(lost, n, sizeof(*lost), by_offset);
	for (int i = 1; i < n; i++) {
		if (lost[i].off <= lost[i - 1].off + lost[i - 1].len) {
			off_t end = lost[i].off + lost[i].len;

			if (end > lost[i - 1].off + lost[i - 1].len)
				lost[i - 1].len = end - lost[i - 1].off;
			memmove(&lost[i], &lost[i + 1], (n - i - 1) * sizeof(*lost));
			n--;
			i--;
		}
	}
	*out = lost;
	*nout = n;
	return 0;
fail:
	free(lost);
	return -1;
}

/*
 * The root directory of the file system of @path (the health monitor is
 * opened there), or -1: the topmost directory above @path on its device.
 */
static int open_fs_root(const char *path, dev_t dev)
{
	char buf[PATH_MAX], *dir;
	struct stat st;
	int root = -1;

	if (!realpath(path, buf))
		return -1;
	for (dir = dirname(buf);; dir = dirname(dir)) {
		int fd = open(dir, O_RDONLY | O_DIRECTORY);

		if (fd < 0 || fstat(fd, &st) || st.st_dev != dev) {
			if (fd >= 0)
				close(fd);
			break;
		}
		if (root >= 0)
			close(root);
		root = fd;
		if (!strcmp(dir, "/"))
			break;
	}
	return root;
}

int main(int argc, char **argv)
{
	off_t size, off, lost_bytes = 0;
	struct lost *lost = NULL;
	int fd, out, rep = -1, nlost = 0, hm = -1, root, opt;
	bool scan = false;
	struct timespec t0, t1;
	double ms;
	struct dax_hm_req req = { 0 };
	struct statx stx;
	struct stat st;
	char *buf;

	while ((opt = getopt(argc, argv, "s")) != -1) {
		if (opt != 's') {
			fprintf(stderr, "usage: %s [-s] DAMAGED COPY [REPLICA]\n", argv[0]);
			return 2;
		}
		scan = true;
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: %s [-s] DAMAGED COPY [REPLICA]\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], argc == 4 ? O_RDWR : O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		perror(argv[1]);
		return 2;
	}
	size = st.st_size;
	/*
	 * A kernel without the flags ignores them on a zero-length read (the
	 * VFS returns before it looks at them): ask statx() first.
	 */
	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) ||
	    !(stx.stx_attributes_mask & STATX_ATTR_HWERROR_RECOVERY)) {
		fprintf(stderr, "%s: the kernel does not know RWF_IGNORE_HWERROR\n", argv[1]);
		return 3;
	}
	if (!(stx.stx_attributes & STATX_ATTR_HWERROR_RECOVERY)) {
		fprintf(stderr, "%s: the file does not support RWF_IGNORE_HWERROR\n", argv[1]);
		return 3;
	}
	if (rw2(fd, 0, NULL, 0, 0, RWF_IGNORE_HWERROR) < 0) {
		fprintf(stderr, "%s: RWF_IGNORE_HWERROR: %s\n", argv[1], strerror(errno));
		return errno == EOPNOTSUPP ? 3 : 2;
	}
	out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	buf = malloc(CHUNK);
	if (out < 0 || !buf) {
		perror(argv[2]);
		return 2;
	}

	/* XFS's health monitor hears of every range the salvage reads as zeros. */
	root = scan ? -1 : open_fs_root(argv[1], st.st_dev);
	if (root >= 0) {
		hm = ioctl(root, DAX_HM_IOC, &req);
		close(root);
	}

	/* 1. Salvage: everything readable, zeros for the bad bytes. */
	for (off = 0; off < size;) {
		ssize_t r = rw2(fd, 0, buf, CHUNK, off, RWF_IGNORE_HWERROR);

		if (r <= 0 || pwrite(out, buf, r, off) != r) {
			perror(r <= 0 ? "preadv2(RWF_IGNORE_HWERROR)" : "pwrite");
			return 2;
		}
		off += r;
	}
	if (fsync(out) || close(out)) {
		perror(argv[2]);
		return 2;
	}

	/* 2. Which bytes are lost. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (hm >= 0 && !monitor_lost(hm, st.st_ino, &lost, &nlost)) {
		printf("lost ranges: from the XFS health monitor, in the salvage pass");
	} else {
		printf("lost ranges: found with plain reads (%s)",
		       scan ? "asked for" : hm < 0 ? "no health monitor" :
		       "the monitor dropped events");
		find_calls = 0;
		if (find_lost(fd, size, &lost, &nlost))
			return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf(": %d calls, %.3f ms\n", find_calls, ms);
	if (hm >= 0)
		close(hm);
	for (int i = 0; i < nlost; i++) {
		printf("lost: bytes %lld-%lld (%lld)\n", (long long)lost[i].off,
		       (long long)(lost[i].off + lost[i].len - 1), (long long)lost[i].len);
		lost_bytes += lost[i].len;
	}
	printf("salvaged %lld of %lld bytes to %s; %lld bytes lost in %d range(s)\n",
	       (long long)(size - lost_bytes), (long long)size, argv[2],
	       (long long)lost_bytes, nlost);
	if (!nlost)
		return 0;
	if (argc < 4)
		return 1;

	/* 3. Repair the lost ranges in place from the replica. */
	rep = open(argv[3], O_RDONLY);
	if (rep < 0) {
		perror(argv[3]);
		return 2;
	}
	for (int i = 0; i < nlost; i++) {
		ssize_t r = pread(rep, buf, lost[i].len, lost[i].off);

		if (r != lost[i].len) {
			fprintf(stderr, "%s: short read at %lld\n", argv[3],
				(long long)lost[i].off);
			return 2;
		}
		r = rw2(fd, 1, buf, lost[i].len, lost[i].off, RWF_RESET_HWERROR);
		if (r != lost[i].len) {
			fprintf(stderr, "pwritev2(RWF_RESET_HWERROR) at %lld: %s\n",
				(long long)lost[i].off, r < 0 ? strerror(errno) : "short write");
			return 1;
		}
	}
	if (fsync(fd)) {
		perror("fsync");
		return 2;
	}
	free(lost);
	if (find_lost(fd, size, &lost, &nlost))
		return 2;
	printf("repaired %s from %s: %d range(s) still lost\n", argv[1], argv[3], nlost);
	return nlost ? 1 : 0;
}
