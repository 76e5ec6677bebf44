// SPDX-License-Identifier: GPL-2.0
/*
 * dax_bench: the measurements of "make bench" that fio cannot take, because
 * they need the recovery flags or poison. Built by harness/suites/bench/run.sh against
 * the series' UAPI headers and the selftests' helpers (dax_common.c), run in
 * the VM by guest/bench.sh on a mounted DAX file system.
 *
 *   dax_bench clean DEV FILE MIB
 *	plain and flagged I/O on a clean file: one read(2) of the whole file,
 *	the same read with RWF_IGNORE_HWERROR, 4 KiB page writes plain and
 *	with RWF_RESET_HWERROR. On a kernel or driver without the flags, the
 *	flagged lines say "unsupported".
 *
 *   dax_bench recover DEV FILE MIB NBAD
 *	marks NBAD sectors of the file bad (evenly spread, one per page),
 *	then: one RWF_IGNORE_HWERROR read of the whole file against the best
 *	workaround a 7.3 application has (plain 1 MiB reads; a chunk that
 *	fails is read again page by page and the pages that fail are given
 *	up), both checked sector by sector against the pattern the file
 *	holds; then repairs every poisoned page with RWF_RESET_HWERROR and
 *	writes the same pages again plainly, timing each call (median and
 *	mean), after one untimed reset of another page (its time is reported
 *	as the first call's). Where the
 *	flags are not supported, those lines say "unsupported" and the
 *	poison stays (the caller re-probes the namespace).
 *
 *   dax_bench salvage DEV FILE MIB NBAD DAX_SALVAGE
 *	marks NBAD sectors of the file bad as recover does, then runs the
 *	selftests' dax_salvage on it twice: as it chooses (on XFS, the lost
 *	ranges from the health monitor, in its salvage pass) and with -s (a
 *	second pass of plain reads), each checked to list exactly the NBAD
 *	bad sectors, and reports the calls and the time each way took to
 *	find them. The poison stays (the caller re-probes the namespace).
 *
 *   dax_bench loop DEV FILE MIB NBAD ROUNDS reset|write
 *	for make bench-profile: ROUNDS times, marks one sector of each of
 *	NBAD pages bad and repairs the pages with RWF_RESET_HWERROR (reset),
 *	or writes the same pages plainly (write), so that these are the only
 *	pwritev2(2) calls of the run; reports how many there were.
 *
 * Output: "bench NAME VALUE UNIT" lines. The file is (re)written with the
 * selftests' pattern first, so content checks are exact; any mismatch or
 * unexpected error exits non-zero.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <stdbool.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#include "dax_common.h"

#define SEED	0xbe7c4u
#define REPS	4	/* whole-file reads per timing */
#define CHUNK	(1 << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void __attribute__((noreturn)) fail(const char *what)
{
	fprintf(stderr, "dax_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static ssize_t rw2(int fd, void *buf, size_t len, off_t off, int flags, bool write)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return write ? pwritev2(fd, &iov, 1, off, flags) : preadv2(fd, &iov, 1, off, flags);
}

/* The file's content: the selftests' pattern, computed once. */
static uint8_t *ref;

/* Count the bytes of @buf, a copy of the file from offset 0, that are right. */
static size_t good_bytes(const uint8_t *buf, size_t len)
{
	size_t good = 0;

	for (size_t off = 0; off < len; off += DAX_SECTOR)
		if (!memcmp(buf + off, ref + off, DAX_SECTOR))
			good += DAX_SECTOR;
	return good;
}

static int open_file(const char *path, size_t size)
{
	int fd = open(path, O_RDWR | O_CREAT, 0644);

	ref = malloc(size);
	if (fd < 0 || !ref)
		fail(path);
	dax_fill(ref, size, SEED, 0);
	if (ftruncate(fd, 0) || ftruncate(fd, size))
		fail("ftruncate");
	for (size_t off = 0; off < size; off += CHUNK)
		if (pwrite(fd, ref + off, CHUNK, off) != CHUNK)
			fail("pwrite");
	if (fsync(fd))
		fail("fsync");
	return fd;
}

/* MiB/s of REPS whole-file reads with @flags, each one call; -1 if EOPNOTSUPP. */
static double read_whole(int fd, uint8_t *buf, size_t size, int flags, size_t *got)
{
	double t0 = now();

	for (int i = 0; i < REPS; i++) {
		ssize_t n = rw2(fd, buf, size, 0, flags, false);

		if (n < 0 && errno == EOPNOTSUPP)
			return -1;
		if (n < 0)
			fail("whole-file read");
		*got = n;
	}
	return REPS * (size >> 20) / (now() - t0);
}

/*
 * Microseconds per call of 4 KiB reads, one call per page of the file, in
 * a scattered order (a stride of 61 pages): the exact per-call cost of the
 * small read every DAX read path takes, which fio's MiB/s rounds to 0.16%
 * under -icount.
 */
static double read_pages(int fd, uint8_t *buf, size_t size)
{
	size_t n = size / DAX_PAGE;
	off_t off = 0;
	double t0 = now(), us;

	for (size_t i = 0; i < n; i++) {
		off = (off_t)((i * 61) % n) * DAX_PAGE;
		if (pread(fd, buf, DAX_PAGE, off) != DAX_PAGE)
			fail("page read");
	}
	us = (now() - t0) * 1e6 / n;
	if (memcmp(buf, ref + off, DAX_PAGE))
		fail("clean page read content");
	return us;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * 4 KiB writes of the file's own content to each page in @pages, with
 * @flags, timed one by one: returns the median in microseconds and stores
 * the first call's time in *@first and the mean in *@mean; -1 if the flags
 * are not supported.
 */
static double write_pages(int fd, const off_t *pages, int n, int flags,
			  double *first, double *mean)
{
	double *t = calloc(n, sizeof(*t)), sum = 0, med;

	if (!t)
		fail("malloc");
	for (int i = 0; i < n; i++) {
		double t0 = now();

		if (rw2(fd, ref + pages[i], DAX_PAGE, pages[i], flags, true) != DAX_PAGE) {
			if (errno == EOPNOTSUPP) {
				free(t);
				return -1;
			}
			fail("page write");
		}
		t[i] = (now() - t0) * 1e6;
		sum += t[i];
	}
	*first = t[0];
	*mean = sum / n;
	qsort(t, n, sizeof(*t), cmp_double);
	med = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
	free(t);
	return med;
}

static void print(const char *name, double v, const char *unit)
{
	if (v < 0)
		printf("bench %s unsupported -\n", name);
	else
		printf("bench %s %.3f %s\n", name, v, unit);
}

static int clean(int fd, size_t size)
{
	uint8_t *buf = malloc(size);
	off_t pages[256];
	size_t got = 0;
	double v, first, mean;

	if (!buf)
		fail("malloc");
	/*
	 * Fault the buffer in before timing, with a byte that is not zero:
	 * clang turns malloc() and a memset() to zero into calloc(), which
	 * leaves fresh pages untouched, and the first timed read would
	 * fault in and clear every page of it.
	 */
	memset(buf, 0xa5, size);
	print("c-read-whole", read_whole(fd, buf, size, 0, &got), "MiB/s");
	if (got != size || good_bytes(buf, size) != size)
		fail("clean read content");
	v = read_whole(fd, buf, size, RWF_IGNORE_HWERROR, &got);
	if (v >= 0 && (got != size || good_bytes(buf, size) != size))
		fail("clean IGNORE read content");
	print("c-ignore-read-whole", v, "MiB/s");
	print("c-read-page", read_pages(fd, buf, size), "us");
	for (int i = 0; i < 256; i++)
		pages[i] = (off_t)i * (size / 256);
	v = write_pages(fd, pages, 256, 0, &first, &mean);
	print("c-write-page", v, "us");
	print("c-write-page-mean", mean, "us");
	v = write_pages(fd, pages, 256, RWF_RESET_HWERROR, &first, &mean);
	print("c-reset-write-page", v, "us");
	print("c-reset-write-page-mean", v < 0 ? -1 : mean, "us");
	free(buf);
	return 0;
}

/* Mark one sector of each of @nbad pages bad (the fourth), pages evenly spread. */
static void poison_pages(const struct dax_dev *dev, int fd, size_t size, int nbad, off_t *pages)
{
	for (int i = 0; i < nbad; i++) {
		pages[i] = (off_t)i * (size / nbad) / DAX_PAGE * DAX_PAGE;
		if (dax_poison_file(dev, fd, pages[i] + 3 * DAX_SECTOR, 1) < 0)
			fail("marking a sector bad");
	}
}

/*
 * Run dax_salvage (@tool, with -s if @scan) on @file: the calls and the
 * milliseconds it took to find the lost ranges, which must be @nbad
 * sectors in @nbad ranges, found the way asked for.
 */
static void salvage_once(const char *tool, const char *file, int nbad, bool scan,
			 int *calls, double *ms)
{
	char cmd[512], line[256];
	bool how = false, sum = false;
	long long lost;
	int ranges, st;
	FILE *out;

	snprintf(cmd, sizeof(cmd), "%s %s%s /tmp/dax_bench_copy", tool, scan ? "-s " : "", file);
	out = popen(cmd, "r");
	if (!out)
		fail("popen");
	while (fgets(line, sizeof(line), out)) {
		const char *tail = strrchr(line, ':');

		if (!strncmp(line, "lost ranges: ", 13)) {
			how = strstr(line, scan ? "found with plain reads (asked for)" :
					    "from the XFS health monitor") && tail &&
			      sscanf(tail, ": %d calls, %lf ms", calls, ms) == 2;
		} else if (sscanf(line, "salvaged %*d of %*d bytes to %*s %lld bytes lost in %d",
				  &lost, &ranges) == 2) {
			sum = lost == (long long)nbad * DAX_SECTOR && ranges == nbad;
		}
	}
	st = pclose(out);
	unlink("/tmp/dax_bench_copy");
	if (!how || !sum || !WIFEXITED(st) || WEXITSTATUS(st) != 1) {
		fprintf(stderr, "dax_bench: %s: not the lost ranges expected, or not found %s\n",
			cmd, scan ? "with plain reads" : "from the health monitor");
		exit(1);
	}
}

static int salvage(const struct dax_dev *dev, int fd, const char *file, size_t size,
		   int nbad, const char *tool)
{
	off_t *pages = calloc(nbad, sizeof(*pages));
	char name[64];
	double ms;
	int calls;

	if (!pages)
		fail("malloc");
	poison_pages(dev, fd, size, nbad, pages);
	for (int scan = 0; scan <= 1; scan++) {
		salvage_once(tool, file, nbad, scan, &calls, &ms);
		snprintf(name, sizeof(name), "salvage-%s-calls-%dbad", scan ? "scan" : "monitor", nbad);
		print(name, calls, "calls");
		snprintf(name, sizeof(name), "salvage-%s-ms-%dbad", scan ? "scan" : "monitor", nbad);
		print(name, ms, "ms");
	}
	free(pages);
	return 0;
}

static int recover(const struct dax_dev *dev, int fd, size_t size, int nbad)
{
	uint8_t *buf = malloc(size);
	off_t *pages = calloc(nbad, sizeof(*pages));
	size_t want = size - (size_t)nbad * DAX_SECTOR, got, good;
	long calls = 0;
	double t0, t, first, mean;
	off_t last;
	ssize_t n;
	char name[64];

	if (!buf || !pages)
		fail("malloc");
	poison_pages(dev, fd, size, nbad, pages);

	/* Recovery: one call. */
	memset(buf, 0xa5, size);
	t = read_whole(fd, buf, size, RWF_IGNORE_HWERROR, &got);
	if (t < 0) {
		snprintf(name, sizeof(name), "ignore-read-%dbad", nbad);
		print(name, -1, NULL);
	} else {
		if (got != size)
			fail("IGNORE read of the poisoned file");
		good = good_bytes(buf, size);
		if (good != want) {
			fprintf(stderr, "dax_bench: IGNORE read %zu good bytes, want %zu\n",
				good, want);
			exit(1);
		}
		snprintf(name, sizeof(name), "ignore-read-%dbad", nbad);
		print(name, t, "MiB/s");
		snprintf(name, sizeof(name), "ignore-bytes-%dbad", nbad);
		print(name, good, "B");
		snprintf(name, sizeof(name), "ignore-calls-%dbad", nbad);
		print(name, 1, "calls");
	}

	/*
	 * The workaround: plain 1 MiB reads; a chunk that gives EIO is read
	 * again page by page, and the pages that fail are left as zeros. (On
	 * 7.3 a read fails from the start of the mapping it cannot map whole,
	 * so skipping ahead by anything larger than a page would lose good
	 * data.)
	 */
	memset(buf, 0, size);
	t0 = now();
	for (size_t off = 0; off < size; ) {
		size_t end = (off / CHUNK + 1) * CHUNK;

		n = pread(fd, buf + off, end - off, off);
		calls++;
		if (n > 0) {
			off += n;
			continue;
		}
		if (n == 0 || errno != EIO)
			fail("workaround read");
		for (; off < end; off = (off / DAX_PAGE + 1) * DAX_PAGE) {
			size_t len = DAX_PAGE - off % DAX_PAGE;

			calls++;
			if (pread(fd, buf + off, len, off) != (ssize_t)len && errno != EIO)
				fail("workaround page read");
		}
	}
	t = now() - t0;
	good = good_bytes(buf, size);
	snprintf(name, sizeof(name), "workaround-read-%dbad", nbad);
	print(name, (size >> 20) / t, "MiB/s");
	snprintf(name, sizeof(name), "workaround-bytes-%dbad", nbad);
	print(name, good, "B");
	snprintf(name, sizeof(name), "workaround-calls-%dbad", nbad);
	print(name, calls, "calls");

	/*
	 * The first reset after a driver is bound runs code the emulator has
	 * not translated yet (hundreds of microseconds under TCG), which would
	 * be the whole measurement with one bad sector. So a page outside the
	 * measured ones (the file's last) is poisoned and reset first, untimed
	 * in the median and reported as the first call.
	 */
	last = (off_t)size - DAX_PAGE;
	if (dax_poison_file(dev, fd, last + 3 * DAX_SECTOR, 1) < 0)
		fail("marking a sector bad");
	if (write_pages(fd, &last, 1, RWF_RESET_HWERROR, &first, &mean) < 0) {
		snprintf(name, sizeof(name), "reset-page-%dbad", nbad);
		print(name, -1, NULL);
		return 0;	/* no recovery here: the poison stays */
	}
	snprintf(name, sizeof(name), "reset-page-first-%dbad", nbad);
	print(name, first, "us");

	/* Repair with RESET, then write the same pages plainly. */
	t = write_pages(fd, pages, nbad, RWF_RESET_HWERROR, &first, &mean);
	snprintf(name, sizeof(name), "reset-page-%dbad", nbad);
	print(name, t, "us");
	snprintf(name, sizeof(name), "reset-page-mean-%dbad", nbad);
	print(name, mean, "us");
	t = write_pages(fd, pages, nbad, 0, &first, &mean);
	snprintf(name, sizeof(name), "write-page-%dbad", nbad);
	print(name, t, "us");
	snprintf(name, sizeof(name), "write-page-mean-%dbad", nbad);
	print(name, mean, "us");
	if (dax_badblocks_count(dev) != 0) {
		fprintf(stderr, "dax_bench: poison left after the resets\n");
		exit(1);
	}
	n = pread(fd, buf, size, 0);
	if (n != (ssize_t)size || good_bytes(buf, size) != size) {
		fprintf(stderr, "dax_bench: the repaired file differs\n");
		exit(1);
	}
	free(buf);
	free(pages);
	return 0;
}

static int loop(const struct dax_dev *dev, int fd, size_t size, int nbad, int rounds,
		const char *how)
{
	bool reset = !strcmp(how, "reset");
	off_t *pages = calloc(nbad, sizeof(*pages));
	double first, mean;

	if (!pages || nbad < 1 || rounds < 1 || (!reset && strcmp(how, "write")))
		fail("loop arguments");
	for (int r = 0; r < rounds; r++) {
		if (reset)
			poison_pages(dev, fd, size, nbad, pages);
		else
			for (int i = 0; i < nbad; i++)
				pages[i] = (off_t)i * (size / nbad) / DAX_PAGE * DAX_PAGE;
		if (write_pages(fd, pages, nbad, reset ? RWF_RESET_HWERROR : 0, &first, &mean) < 0)
			fail("loop writes");
	}
	if (dax_badblocks_count(dev) != 0)
		fail("poison left after the resets");
	print("loop-calls", (double)rounds * nbad, "calls");
	free(pages);
	return 0;
}

int main(int argc, char **argv)
{
	struct dax_dev dev = { 0 };
	size_t size;
	int fd;

	if (argc < 5 || (strcmp(argv[1], "clean") && strcmp(argv[1], "recover") &&
			 strcmp(argv[1], "salvage") && strcmp(argv[1], "loop")) ||
	    (!strcmp(argv[1], "recover") && argc < 6) ||
	    (!strcmp(argv[1], "salvage") && argc < 7) || (!strcmp(argv[1], "loop") && argc < 8)) {
		fprintf(stderr, "usage: dax_bench clean DEV FILE MIB\n"
				"       dax_bench recover DEV FILE MIB NBAD\n"
				"       dax_bench salvage DEV FILE MIB NBAD DAX_SALVAGE\n"
				"       dax_bench loop DEV FILE MIB NBAD ROUNDS reset|write\n");
		return 2;
	}
	snprintf(dev.path, sizeof(dev.path), "%s", argv[2]);
	snprintf(dev.name, sizeof(dev.name), "%s",
		 strrchr(argv[2], '/') ? strrchr(argv[2], '/') + 1 : argv[2]);
	size = strtoull(argv[4], NULL, 0) << 20;
	fd = open_file(argv[3], size);
	if (!strcmp(argv[1], "clean"))
		return clean(fd, size);
	if (!strcmp(argv[1], "loop"))
		return loop(&dev, fd, size, atoi(argv[5]), atoi(argv[6]), argv[7]);
	if (!strcmp(argv[1], "salvage"))
		return salvage(&dev, fd, argv[3], size, atoi(argv[5]), argv[6]);
	return recover(&dev, fd, size, atoi(argv[5]));
}
