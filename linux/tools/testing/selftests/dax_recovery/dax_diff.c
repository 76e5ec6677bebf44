// SPDX-License-Identifier: GPL-2.0
/*
 * The two pmem drivers, checked against each other and against a model.
 *
 * One seeded random sequence of steps (known poison, poison a machine check
 * reports, consumed poison met by an IGNORE read, IGNORE reads, plain
 * reads, plain writes to clean pages and resets at any offset and length)
 * runs on a file of a fresh ext4 or XFS.
 * Every result is checked against a model of the file (its bytes and its
 * bad sectors) as the contract defines it, and written to a trace: the
 * result of each step with a checksum of the bytes read, then the final
 * content and the file's bad sectors, relative to the file. The trace goes
 * to $DAX_DIFF_DIR (default /tmp) as dax_diff.<fs>.<seed>.<steps>.<driver>;
 * when the trace of the other driver is there (the harness runs the suite
 * with nd_pmem, then with rust_pmem, in one boot), the two must be equal
 * line for line. A difference reports the seed and the first differing
 * step. $DAX_DIFF_SEED and $DAX_DIFF_STEPS choose the sequence.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "dax_fixture.h"
#include "dax_io.h"

#define FLEN		(1024 * 1024)
#define FSECTORS	(FLEN / DAX_SECTOR)
#define MAX_IO		(64 * 1024)
#define MAX_BAD		200	/* bad sectors at most, well within badblocks */
#define MAX_MCE		40	/* machine checks at most (each is a host round trip) */
/* Where a failed assertion of the sequence is: its seed and step. */
#define WHERE		TH_LOG("seed %llu step %ld", (unsigned long long)seed, step)
#define IGNORE		RWF_IGNORE_HWERROR
#define RESET		RWF_RESET_HWERROR

struct diff {
	uint64_t rng;
	uint8_t *model;		/* the file's bytes as the contract has them */
	bool bad[FSECTORS];	/* its known-bad sectors */
	int nbad;
	int64_t first;		/* device sector of file byte 0 */
	FILE *trace;
	char path[256];
};

static uint64_t rnd(struct diff *d)
{
	d->rng ^= d->rng << 13;
	d->rng ^= d->rng >> 7;
	d->rng ^= d->rng << 17;
	return d->rng;
}

static uint64_t below(struct diff *d, uint64_t n)
{
	return rnd(d) % n;
}

/* FNV-1a of @len bytes. */
static uint32_t sum(const uint8_t *buf, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ buf[i]) * 16777619u;
	return h;
}

static void trace(struct diff *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(d->trace, fmt, ap);
	va_end(ap);
}

/* The model's answer to an IGNORE read: the bytes, bad sectors as zeros. */
static void model_ignore(const struct diff *d, uint8_t *want, off_t off, size_t len)
{
	memcpy(want, d->model + off, len);
	for (off_t s = off / DAX_SECTOR; s * DAX_SECTOR < off + (off_t)len; s++) {
		off_t from, to;

		if (!d->bad[s])
			continue;
		from = s * DAX_SECTOR > off ? s * DAX_SECTOR : off;
		to = (s + 1) * DAX_SECTOR < off + (off_t)len ? (s + 1) * DAX_SECTOR
								 : off + (off_t)len;
		memset(want + from - off, 0, to - from);
	}
}

/* The model's answer to a plain read: the bytes before the first bad one. */
static ssize_t model_plain(const struct diff *d, off_t off, size_t len)
{
	for (off_t s = off / DAX_SECTOR; s * DAX_SECTOR < off + (off_t)len; s++)
		if (d->bad[s])
			return s * DAX_SECTOR > off ? s * DAX_SECTOR - off : -EIO;
	return len;
}

static bool page_bad(const struct diff *d, off_t page)
{
	for (int i = 0; i < DAX_PAGE / DAX_SECTOR; i++)
		if (d->bad[page / DAX_SECTOR + i])
			return true;
	return false;
}

/*
 * A reset, as revision 3 of the contract has it: a bad sector the write
 * touches is repaired, with zeros for the rest of it; a bad sector of the
 * same pages that it does not touch stays lost.
 */
static void model_reset(struct diff *d, const uint8_t *buf, off_t off, size_t len)
{
	for (off_t s = off / DAX_SECTOR; s * DAX_SECTOR < off + (off_t)len; s++) {
		if (d->bad[s]) {
			memset(d->model + s * DAX_SECTOR, 0, DAX_SECTOR);
			d->bad[s] = false;
			d->nbad--;
		}
	}
	memcpy(d->model + off, buf, len);
}

static void mark_bad(struct diff *d, off_t s, int count)
{
	for (int i = 0; i < count; i++) {
		if (!d->bad[s + i])
			d->nbad++;
		d->bad[s + i] = true;
	}
}

/* The file's bad sectors, from the device's list, one "start count" per line. */
static void trace_badblocks(struct __test_metadata *_metadata, struct diff *d,
			    const struct dax_dev *dev)
{
	char path[128], line[128];
	unsigned long long s, n;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/block/%s/badblocks", dev->name);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		int fields = sscanf(line, "%llu %llu", &s, &n);

		ASSERT_EQ(2, fields);
		trace(d, "bad %lld %llu\n", (long long)s - d->first, n);
	}
	fclose(f);
}

/* Compare this run's trace with the other driver's, if it ran. */
static void compare(struct __test_metadata *_metadata, const char *mine,
		    const char *other, uint64_t seed)
{
	char a[256], b[256];
	FILE *fa, *fb;
	int line = 0;

	fb = fopen(other, "r");
	if (!fb) {
		TH_LOG("no trace of the other driver (%s) yet", other);
		return;
	}
	fa = fopen(mine, "r");
	ASSERT_NE(NULL, fa);
	for (;;) {
		char *ra = fgets(a, sizeof(a), fa), *rb = fgets(b, sizeof(b), fb);

		line++;
		if (!ra && !rb)
			break;
		if (!ra || !rb || strcmp(a, b)) {
			EXPECT_STREQ(rb ? b : "(end)\n", ra ? a : "(end)\n")
				TH_LOG("seed %llu: the drivers differ at line %d",
				       (unsigned long long)seed, line);
			break;
		}
	}
	if (line > 1)
		TH_LOG("%d trace lines agree with %s", line - 1, other);
	fclose(fa);
	fclose(fb);
}

TEST_F_TIMEOUT(fs, differential, 1800)
{
	const char *env, *dir = getenv("DAX_DIFF_DIR") ?: "/tmp";
	uint64_t seed = 20261202;
	long steps = 10000, counts[7] = { 0 };
	uint8_t *buf = malloc(FLEN), *want = malloc(FLEN);
	char drv[64], other[320];
	struct diff *d = calloc(1, sizeof(*d));
	int fd;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, d);
	env = getenv("DAX_DIFF_SEED");
	if (env)
		seed = strtoull(env, NULL, 0);
	env = getenv("DAX_DIFF_STEPS");
	if (env)
		steps = strtol(env, NULL, 0);
	if (!dax_driver_recovers(&self->dev))
		SKIP(goto out, "the driver does not implement recovery");
	d->rng = seed * 0x9e3779b97f4a7c15ull | 1;
	d->model = malloc(FLEN);
	ASSERT_NE(NULL, d->model);

	fd = create("f");
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, dax_write_pattern(fd, 0, FLEN, 1));
	ASSERT_TRUE(dax_file_is_dax(fd));
	dax_fill(d->model, FLEN, 1, 0);
	d->first = dax_file_sector(fd, 0);
	ASSERT_GE(d->first, 0);
	/* One extent, so that sectors and file offsets map one to one. */
	ASSERT_EQ(d->first + FSECTORS - 1, dax_file_sector(fd, FLEN - 1));
	self->poisoned = true;

	dax_driver(&self->dev, drv, sizeof(drv));
	snprintf(d->path, sizeof(d->path), "%s/dax_diff.%s.%llu.%ld.%s", dir, variant->fstype,
		 (unsigned long long)seed, steps, drv);
	snprintf(other, sizeof(other), "%s/dax_diff.%s.%llu.%ld.%s", dir, variant->fstype,
		 (unsigned long long)seed, steps, strcmp(drv, "nd_pmem") ? "nd_pmem" : "rust_pmem");
	d->trace = fopen(d->path, "w");
	ASSERT_NE(NULL, d->trace) TH_LOG("%s: %s", d->path, strerror(errno));

	for (long step = 0; step < steps; step++) {
		int op = below(d, 100);
		size_t len = 1 + below(d, below(d, 4) ? DAX_PAGE * 2 : MAX_IO);
		off_t off = below(d, FLEN - len + 1);
		ssize_t got, exp;

		if (op < 3 && d->nbad < MAX_BAD && counts[6] < MAX_MCE) {
			/*
			 * A machine check at a byte of the file: the bus lists
			 * its cache line's sector, the driver learns it from
			 * the list (and memory_failure() from the handler).
			 */
			off_t at = below(d, FLEN), s = at / DAX_SECTOR;
			uint64_t phys;

			counts[6]++;
			if (d->bad[s]) {
				trace(d, "%ld mce skipped\n", step);
				continue;
			}
			phys = dax_file_phys(&self->dev, fd, at);
			ASSERT_NE(0ULL, (unsigned long long)phys) WHERE;
			ASSERT_EQ(0, dax_mce_inject(&self->dev, phys))
				TH_LOG("seed %llu step %ld: %s", (unsigned long long)seed, step,
				       dax_mce_status());
			mark_bad(d, s, 1);
			trace(d, "%ld mce %lld\n", step, (long long)s);
			continue;
		}
		if (op < 12 && d->nbad < MAX_BAD) {
			/* Known poison: 1 to 8 sectors. */
			int count = 1 + below(d, 8);
			off_t s = below(d, FSECTORS - count + 1);

			counts[0]++;
			ASSERT_EQ(0, dax_mark_bad(&self->dev, d->first + s, count)) WHERE;
			mark_bad(d, s, count);
			trace(d, "%ld poison %lld %d\n", step, (long long)s, count);
			continue;
		}
		if (op < 20) {
			/* Consumed poison at a good byte of an IGNORE read. */
			off_t at = off + below(d, len), s = at / DAX_SECTOR;
			long long mc = (d->first + s) * DAX_SECTOR + at % DAX_SECTOR;

			counts[1]++;
			if (d->bad[s]) {
				trace(d, "%ld mc skipped\n", step);
				continue;
			}
			ASSERT_EQ(0, dax_fault_arm(&self->dev, "mc", "offset", mc, 0));
			memset(buf, 0xa5, len);
			got = dax_rw2(fd, false, buf, len, off, IGNORE);
			ASSERT_EQ(0, dax_fault_disarm(&self->dev, "mc"));
			/* Zeros from the byte to the end of its sector, which is bad now. */
			model_ignore(d, want, off, len);
			exp = (s + 1) * DAX_SECTOR < off + (off_t)len ? (s + 1) * DAX_SECTOR
								      : off + (off_t)len;
			memset(want + at - off, 0, exp - at);
			mark_bad(d, s, 1);
			trace(d, "%ld mc %lld %zu %lld -> %zd %08x\n", step, (long long)off, len,
			      (long long)at, got, got > 0 ? sum(buf, got) : 0);
			ASSERT_EQ((ssize_t)len, got) WHERE;
			ASSERT_EQ(0, memcmp(buf, want, len)) WHERE;
			continue;
		}
		if (op < 45) {
			counts[2]++;
			memset(buf, 0xa5, len);
			got = dax_rw2(fd, false, buf, len, off, IGNORE);
			trace(d, "%ld ignore %lld %zu -> %zd %08x\n", step, (long long)off, len,
			      got, got > 0 ? sum(buf, got) : 0);
			model_ignore(d, want, off, len);
			ASSERT_EQ((ssize_t)len, got) WHERE;
			ASSERT_EQ(0, memcmp(buf, want, len)) WHERE;
			continue;
		}
		if (op < 65) {
			counts[3]++;
			got = pread(fd, buf, len, off);
			if (got < 0)
				got = -errno;
			trace(d, "%ld read %lld %zu -> %zd %08x\n", step, (long long)off, len,
			      got, got > 0 ? sum(buf, got) : 0);
			exp = model_plain(d, off, len);
			ASSERT_EQ(exp, got) WHERE;
			if (got > 0)
				ASSERT_EQ(0, memcmp(buf, d->model + off, got)) WHERE;
			continue;
		}
		dax_fill(buf, len, (uint32_t)step + 2, off);
		if (op < 75) {
			/* A plain write, where no page it touches holds poison. */
			bool clean = true;

			counts[4]++;
			for (off_t p = off - off % DAX_PAGE; p < off + (off_t)len; p += DAX_PAGE)
				clean = clean && !page_bad(d, p);
			if (!clean) {
				trace(d, "%ld write skipped\n", step);
				continue;
			}
			got = pwrite(fd, buf, len, off);
			if (got < 0)
				got = -errno;
			trace(d, "%ld write %lld %zu -> %zd\n", step, (long long)off, len, got);
			ASSERT_EQ((ssize_t)len, got) WHERE;
			memcpy(d->model + off, buf, len);
			continue;
		}
		counts[5]++;
		got = dax_rw2(fd, true, buf, len, off, RESET);
		trace(d, "%ld reset %lld %zu -> %zd\n", step, (long long)off, len, got);
		ASSERT_EQ((ssize_t)len, got) WHERE;
		model_reset(d, buf, off, len);
	}

	/* The whole file, and the bad sectors left. */
	memset(buf, 0xa5, FLEN);
	ASSERT_EQ(FLEN, dax_rw2(fd, false, buf, FLEN, 0, IGNORE));
	model_ignore(d, want, 0, FLEN);
	EXPECT_EQ(0, memcmp(buf, want, FLEN)) TH_LOG("seed %llu: final content",
						     (unsigned long long)seed);
	trace(d, "final %08x bad %d\n", sum(buf, FLEN), d->nbad);
	trace_badblocks(_metadata, d, &self->dev);
	fclose(d->trace);
	d->trace = NULL;
	TH_LOG("seed %llu, %ld steps: %ld poison, %ld consumed, %ld ignore, %ld read,",
	       (unsigned long long)seed, steps, counts[0], counts[1], counts[2], counts[3]);
	TH_LOG("%ld write, %ld reset, %ld machine checks; %d bad sectors left", counts[4],
	       counts[5], counts[6], d->nbad);
	compare(_metadata, d->path, other, seed);
	close(fd);
out:
	if (d->trace)
		fclose(d->trace);
	free(d->model);
	free(d);
	free(buf);
	free(want);
}

TEST_HARNESS_MAIN
