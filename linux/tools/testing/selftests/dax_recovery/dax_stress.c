// SPDX-License-Identifier: GPL-2.0
/*
 * Bounded stress of the recovery paths: on two DAX files at once, threads
 * do RWF_IGNORE_HWERROR reads, plain reads, plain writes, mmap faults,
 * truncates and hole punches, and RWF_RESET_HWERROR writes, while poison is
 * injected (badblocks, and machine checks the host raises) and repaired.
 *
 * Every page ever written holds a (page, version) stamp in each sector, so
 * a reader checks what it got without knowing when it ran: a page is a hole
 * (zeros) or one version throughout (zeros for sectors known bad, with
 * IGNORE). Mutations of a file are serialized by a userspace lock that also
 * updates the file's model (version, poisoned sectors and size); reads and
 * faults take no lock, so they race the mutations in the kernel. At the end
 * each file must equal its model, byte for byte.
 *
 * The run stops by itself after DAX_STRESS_SECONDS (default 10) or
 * DAX_STRESS_OPS operations (default 100000), whichever comes first. Every
 * operation is watched: one that takes longer than 60 s fails the test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "../kselftest_harness.h"
#include "dax_fixture.h"
#include "dax_io.h"

#define IGNORE		RWF_IGNORE_HWERROR
#define RESET		RWF_RESET_HWERROR
#define NFILES		2
#define MAXPAGES	64
#define SECTORS		(DAX_PAGE / DAX_SECTOR)
#define MAX_POISONED	6	/* poisoned pages per file at a time */
#define OP_TIMEOUT	60	/* seconds */
#define MAGIC		0xdaa5ec70u

enum role { R_IGNORE, R_READ, R_WRITE, R_FAULT, R_TRUNC, R_RESET, R_POISON, NROLES };

static const char *const role_names[NROLES] = {
	"IGNORE read", "plain read", "write", "mmap fault", "truncate/punch", "RESET write",
	"poison",
};

struct model {
	pthread_mutex_t lock;
	int fd;
	int pages;			/* size, in pages */
	uint32_t version[MAXPAGES];	/* 0: hole */
	uint8_t bad[MAXPAGES];		/* poisoned sectors, a bit each */
	int poisoned;			/* pages with bad != 0 */
};

struct worker {
	pthread_t thread;
	enum role role;
	unsigned int seed;
	long ops, done, errors, sigbus, short_reads, mces;
	/* Start of the current operation (CLOCK_MONOTONIC ns), 0 when idle. */
	uint64_t busy_since;
	char failure[160];
};

static struct {
	struct model file[NFILES];
	struct dax_dev *dev;
	bool recovers;
	int stop;
	long max_ops;
	long total_ops;
	uint32_t next_version;
} st;

static __thread sigjmp_buf fault_env;
static uint64_t fault_sink;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Sector @s of page @p at version @v. */
static void fill_sector(uint8_t *sec, int p, int s, uint32_t v)
{
	uint32_t hdr[4] = { MAGIC, p, v, s };

	memcpy(sec, hdr, sizeof(hdr));
	dax_fill(sec + sizeof(hdr), DAX_SECTOR - sizeof(hdr), v * 131 + p,
		 (uint64_t)s * DAX_SECTOR);
}

static void fill_page(uint8_t *page, int p, uint32_t v)
{
	for (int s = 0; s < SECTORS; s++)
		fill_sector(page + s * DAX_SECTOR, p, s, v);
}

static bool all_zero(const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/* The version of a valid sector @s of page @p, 0 if it is zeros, -1 if torn. */
static long sector_version(const uint8_t *sec, int p, int s)
{
	uint8_t want[DAX_SECTOR];
	uint32_t hdr[4];

	if (all_zero(sec, DAX_SECTOR))
		return 0;
	memcpy(hdr, sec, sizeof(hdr));
	if (hdr[0] != MAGIC || hdr[1] != (uint32_t)p || hdr[3] != (uint32_t)s || !hdr[2])
		return -1;
	fill_sector(want, p, s, hdr[2]);
	return memcmp(sec, want, DAX_SECTOR) ? -1 : hdr[2];
}

/*
 * Is the page @p read as @buf whole? One version in every sector, or a
 * hole; with @ignore, zero sectors (bad ones) may sit among the others.
 */
static bool page_whole(const uint8_t *buf, size_t len, int p, bool ignore)
{
	long v = 0;
	int zeros = 0, n = len / DAX_SECTOR;

	for (int s = 0; s < n; s++) {
		long sv = sector_version(buf + s * DAX_SECTOR, p, s);

		if (sv < 0)
			return false;
		if (!sv) {
			zeros++;
			continue;
		}
		if (v && sv != v)
			return false;
		v = sv;
	}
	return !zeros || !v || ignore;
}

static int rnd(unsigned int *seed, int n)
{
	return rand_r(seed) % n;
}

static void fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	if (w->failure[0])
		return;
	va_start(ap, fmt);
	vsnprintf(w->failure, sizeof(w->failure), fmt, ap);
	va_end(ap);
	w->errors++;
}

/* A locked-free read of pages @p..@p+@n with or without IGNORE. */
static void do_read(struct worker *w, struct model *m, bool ignore)
{
	uint8_t buf[4 * DAX_PAGE];
	int p = rnd(&w->seed, MAXPAGES), n = 1 + rnd(&w->seed, 4);
	ssize_t got;

	if (p + n > MAXPAGES)
		n = MAXPAGES - p;
	got = dax_rw2(m->fd, false, buf, n * DAX_PAGE, (off_t)p * DAX_PAGE,
		      ignore ? IGNORE : 0);
	if (ignore && !st.recovers) {
		if (got != -EOPNOTSUPP)
			fail(w, "IGNORE read: %zd, want EOPNOTSUPP", got);
		return;
	}
	if (got == -EIO && !ignore) {
		w->short_reads++;
		return;
	}
	if (got < 0) {
		fail(w, "%s of page %d: %s", role_names[w->role], p, strerror(-got));
		return;
	}
	if (got < n * DAX_PAGE && got % DAX_PAGE)
		w->short_reads++;
	for (int i = 0; i * DAX_PAGE < got; i++) {
		size_t len = got - i * DAX_PAGE < DAX_PAGE ? got - i * DAX_PAGE : DAX_PAGE;

		if (!page_whole(buf + i * DAX_PAGE, len & ~(DAX_SECTOR - 1), p + i, ignore))
			fail(w, "%s: page %d torn", role_names[w->role], p + i);
	}
}

static void on_sigbus(int sig)
{
	siglongjmp(fault_env, 1);
}

/* Fault a page of a shared read mapping in and copy it (SIGBUS on poison or past EOF). */
static void do_fault(struct worker *w, struct model *m, uint8_t *map)
{
	int p = rnd(&w->seed, MAXPAGES);
	const uint64_t *q = (const uint64_t *)(map + (size_t)p * DAX_PAGE);
	uint64_t sum = 0;

	if (sigsetjmp(fault_env, 1)) {
		w->sigbus++;
		return;
	}
	for (size_t i = 0; i < DAX_PAGE / sizeof(*q); i++)
		sum += __atomic_load_n(&q[i], __ATOMIC_RELAXED);
	__atomic_store_n(&fault_sink, sum, __ATOMIC_RELAXED);
	madvise(map + (size_t)p * DAX_PAGE, DAX_PAGE, MADV_DONTNEED);
}

/* Write pages @p..@p+@n (none poisoned) with new versions; under the lock. */
static void do_write(struct worker *w, struct model *m)
{
	uint8_t buf[4 * DAX_PAGE];
	int p = rnd(&w->seed, MAXPAGES), n = 1 + rnd(&w->seed, 4);
	uint32_t v = __atomic_add_fetch(&st.next_version, 1, __ATOMIC_RELAXED);
	ssize_t got;

	if (p + n > MAXPAGES)
		n = MAXPAGES - p;
	for (int i = 0; i < n; i++) {
		if (m->bad[p + i])
			return;	/* plain writes over poison: dax_recover's cases */
		fill_page(buf + i * DAX_PAGE, p + i, v);
	}
	got = pwrite(m->fd, buf, n * DAX_PAGE, (off_t)p * DAX_PAGE);
	if (got != n * DAX_PAGE) {
		fail(w, "write of pages %d+%d: %zd (%s)", p, n, got, strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++)
		m->version[p + i] = v;
	if (p + n > m->pages)
		m->pages = p + n;
	w->done++;
}

/* Truncate (shrink or grow) or punch a hole; never frees a poisoned block. */
static void do_trunc(struct worker *w, struct model *m)
{
	int p = rnd(&w->seed, MAXPAGES), n = 1 + rnd(&w->seed, 8);

	if (rnd(&w->seed, 2)) {
		for (int i = p; i < MAXPAGES; i++)
			if (m->bad[i])
				return;
		if (ftruncate(m->fd, (off_t)p * DAX_PAGE)) {
			fail(w, "truncate to page %d: %s", p, strerror(errno));
			return;
		}
		for (int i = p; i < MAXPAGES; i++)
			m->version[i] = 0;
		m->pages = p;
		w->done++;
		return;
	}
	if (p + n > MAXPAGES)
		n = MAXPAGES - p;
	for (int i = p; i < p + n; i++)
		if (m->bad[i])
			return;
	if (fallocate(m->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)p * DAX_PAGE,
		      (off_t)n * DAX_PAGE)) {
		fail(w, "punch pages %d+%d: %s", p, n, strerror(errno));
		return;
	}
	for (int i = p; i < p + n; i++)
		m->version[i] = 0;
	w->done++;
}

/* RESET a page (a poisoned one if there is one) with a new version. */
static void do_reset(struct worker *w, struct model *m)
{
	uint8_t buf[DAX_PAGE];
	int p = rnd(&w->seed, MAXPAGES);
	uint32_t v = __atomic_add_fetch(&st.next_version, 1, __ATOMIC_RELAXED);
	ssize_t got;

	for (int i = 0; i < MAXPAGES && m->poisoned; i++) {
		int q = (p + i) % MAXPAGES;

		if (m->bad[q]) {
			p = q;
			break;
		}
	}
	fill_page(buf, p, v);
	got = dax_rw2(m->fd, true, buf, DAX_PAGE, (off_t)p * DAX_PAGE, RESET);
	if (!st.recovers) {
		if (got != -EOPNOTSUPP)
			fail(w, "RESET write: %zd, want EOPNOTSUPP", got);
		return;
	}
	if (got != DAX_PAGE) {
		fail(w, "RESET of page %d: %zd", p, got);
		return;
	}
	m->version[p] = v;
	if (m->bad[p]) {
		m->bad[p] = 0;
		m->poisoned--;
	}
	if (p + 1 > m->pages)
		m->pages = p + 1;
	w->done++;
}

/*
 * A machine check at byte @off of @m's file: the bus lists its sector.
 * dax_mce_inject() returns once the list changed, which a reset of the
 * other file may do first; wait for this sector, so that the model never
 * runs ahead of the list.
 */
static int mce_file(struct model *m, off_t off)
{
	int64_t sector = dax_file_sector(m->fd, off);
	uint64_t phys = dax_file_phys(st.dev, m->fd, off);
	uint64_t end = now_ns() + 10000000000ull;

	if (sector < 0 || !phys || dax_mce_inject(st.dev, phys))
		return -1;
	while (dax_sector_listed(st.dev, sector) != 1)
		if (now_ns() > end || usleep(1000))
			return -1;
	return 0;
}

/*
 * Poison a sector of a written page: known poison (the list) or, one time
 * in four when the sector is not listed yet, a machine check at one of its
 * cache lines.
 */
static void do_poison(struct worker *w, struct model *m)
{
	int p = rnd(&w->seed, MAXPAGES), s = rnd(&w->seed, SECTORS);
	bool mce = !rnd(&w->seed, 4);
	off_t off = (off_t)p * DAX_PAGE + s * DAX_SECTOR;

	if (!st.recovers || m->version[p] == 0 || p >= m->pages ||
	    (!m->bad[p] && m->poisoned >= MAX_POISONED))
		return;
	/* a machine check on a listed sector changes no list: nothing to wait for */
	if (m->bad[p] & (1 << s))
		mce = false;
	if (mce && mce_file(m, off + 64 * rnd(&w->seed, DAX_SECTOR / 64)) < 0) {
		fail(w, "machine check at page %d sector %d: %s", p, s, dax_mce_status());
		return;
	}
	if (!mce && dax_poison_file(st.dev, m->fd, off, 1) < 0) {
		fail(w, "poisoning page %d sector %d", p, s);
		return;
	}
	w->mces += mce;
	if (!m->bad[p])
		m->poisoned++;
	m->bad[p] |= 1 << s;
	w->done++;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint8_t *maps[NFILES] = { 0 };

	if (w->role == R_FAULT) {
		signal(SIGBUS, on_sigbus);
		for (int f = 0; f < NFILES; f++) {
			maps[f] = mmap(NULL, MAXPAGES * DAX_PAGE, PROT_READ, MAP_SHARED,
				       st.file[f].fd, 0);
			if (maps[f] == MAP_FAILED) {
				fail(w, "mmap: %s", strerror(errno));
				return NULL;
			}
		}
	}
	while (!__atomic_load_n(&st.stop, __ATOMIC_ACQUIRE) && !w->failure[0]) {
		int f = rnd(&w->seed, NFILES);
		struct model *m = &st.file[f];
		bool locked = w->role >= R_WRITE && w->role != R_FAULT;

		if (__atomic_add_fetch(&st.total_ops, 1, __ATOMIC_RELAXED) > st.max_ops)
			break;
		if (locked)
			pthread_mutex_lock(&m->lock);
		__atomic_store_n(&w->busy_since, now_ns(), __ATOMIC_RELEASE);
		switch (w->role) {
		case R_IGNORE:
			do_read(w, m, true);
			break;
		case R_READ:
			do_read(w, m, false);
			break;
		case R_FAULT:
			do_fault(w, m, maps[f]);
			break;
		case R_WRITE:
			do_write(w, m);
			break;
		case R_TRUNC:
			do_trunc(w, m);
			break;
		case R_RESET:
			do_reset(w, m);
			break;
		case R_POISON:
			do_poison(w, m);
			break;
		default:
			break;
		}
		__atomic_store_n(&w->busy_since, 0, __ATOMIC_RELEASE);
		if (locked)
			pthread_mutex_unlock(&m->lock);
		w->ops++;
		/*
		 * Pacing, so that every role runs for the whole duration: the
		 * poisoner and the resetter are slow on purpose, the faulter
		 * (the cheapest operation) a little.
		 */
		if (w->role == R_POISON || w->role == R_RESET)
			usleep(2000);
		else if (w->role == R_FAULT || w->failure[0] || !st.recovers)
			usleep(200);
	}
	for (int f = 0; f < NFILES; f++)
		if (maps[f] && maps[f] != MAP_FAILED)
			munmap(maps[f], MAXPAGES * DAX_PAGE);
	return NULL;
}

/* The file as its model says it is (IGNORE or plain read, zeros where bad). */
static bool matches_model(struct __test_metadata *_metadata, struct model *m, int f)
{
	static uint8_t buf[MAXPAGES * DAX_PAGE], want[DAX_PAGE];
	struct stat sb;
	ssize_t got;

	if (fstat(m->fd, &sb) || sb.st_size != (off_t)m->pages * DAX_PAGE) {
		TH_LOG("file %d: size %lld, model %d pages", f, (long long)sb.st_size, m->pages);
		return false;
	}
	got = st.recovers ? dax_rw2(m->fd, false, buf, sizeof(buf), 0, IGNORE)
			  : pread(m->fd, buf, sizeof(buf), 0);
	if (got != (ssize_t)m->pages * DAX_PAGE) {
		TH_LOG("file %d: read %zd of %d pages", f, got, m->pages);
		return false;
	}
	for (int p = 0; p < m->pages; p++) {
		if (m->version[p])
			fill_page(want, p, m->version[p]);
		else
			memset(want, 0, DAX_PAGE);
		for (int s = 0; s < SECTORS; s++)
			if (m->bad[p] & (1 << s))
				memset(want + s * DAX_SECTOR, 0, DAX_SECTOR);
		if (memcmp(buf + (size_t)p * DAX_PAGE, want, DAX_PAGE)) {
			TH_LOG("file %d page %d differs from its model (version %u, bad %#x)", f,
			       p, m->version[p], m->bad[p]);
			return false;
		}
	}
	return true;
}

TEST_F_TIMEOUT(fs, stress, 600)
{
	const char *secs = getenv("DAX_STRESS_SECONDS"), *ops = getenv("DAX_STRESS_OPS");
	int seconds = secs ? atoi(secs) : 10;
	struct worker w[NROLES];
	uint64_t start, hung = 0;
	long total = 0, poisoned = 0, repaired;
	int hung_role = -1;

	memset(&st, 0, sizeof(st));
	st.dev = &self->dev;
	st.recovers = dax_driver_recovers(&self->dev);
	st.max_ops = ops ? atol(ops) : 100000;
	self->poisoned = st.recovers;
	for (int f = 0; f < NFILES; f++) {
		char name[16];
		uint8_t page[DAX_PAGE];
		struct model *m = &st.file[f];

		snprintf(name, sizeof(name), "s%d", f);
		m->fd = create(name);
		ASSERT_GE(m->fd, 0);
		pthread_mutex_init(&m->lock, NULL);
		m->pages = MAXPAGES;
		for (int p = 0; p < MAXPAGES; p++) {
			m->version[p] = ++st.next_version;
			fill_page(page, p, m->version[p]);
			ASSERT_EQ(DAX_PAGE, pwrite(m->fd, page, DAX_PAGE, (off_t)p * DAX_PAGE));
		}
		ASSERT_EQ(0, fsync(m->fd));
		ASSERT_TRUE(dax_file_is_dax(m->fd));
	}

	memset(w, 0, sizeof(w));
	start = now_ns();
	for (int r = 0; r < NROLES; r++) {
		w[r].role = r;
		w[r].seed = 1000 + r;
		ASSERT_EQ(0, pthread_create(&w[r].thread, NULL, worker_main, &w[r]));
	}
	/* The watchdog: the run's end, and no operation longer than OP_TIMEOUT. */
	while (now_ns() - start < (uint64_t)seconds * 1000000000ull &&
	       __atomic_load_n(&st.total_ops, __ATOMIC_RELAXED) < st.max_ops) {
		usleep(100000);
		for (int r = 0; r < NROLES; r++) {
			uint64_t since = __atomic_load_n(&w[r].busy_since, __ATOMIC_ACQUIRE);

			if (since && now_ns() - since > OP_TIMEOUT * 1000000000ull) {
				hung = now_ns() - since;
				hung_role = r;
			}
		}
		if (hung_role >= 0)
			break;
	}
	__atomic_store_n(&st.stop, 1, __ATOMIC_RELEASE);
	/* A hung operation fails the test without waiting for it. */
	ASSERT_EQ(-1, hung_role) TH_LOG("%s hung for %llu s", role_names[hung_role],
					(unsigned long long)(hung / 1000000000ull));
	for (int r = 0; r < NROLES; r++) {
		ASSERT_EQ(0, pthread_join(w[r].thread, NULL));
		EXPECT_EQ(0, w[r].errors) TH_LOG("%s: %s", role_names[r], w[r].failure);
		total += w[r].ops;
	}
	for (int f = 0; f < NFILES; f++)
		poisoned += st.file[f].poisoned;
	TH_LOG("%.1f s, %ld operations:", (now_ns() - start) / 1e9, total);
	TH_LOG("  %ld IGNORE reads, %ld plain reads (%ld short or EIO), %ld faults (%ld SIGBUS)",
	       w[R_IGNORE].ops, w[R_READ].ops, w[R_READ].short_reads, w[R_FAULT].ops,
	       w[R_FAULT].sigbus);
	TH_LOG("  %ld writes, %ld truncates/punches, %ld resets",
	       w[R_WRITE].done, w[R_TRUNC].done, w[R_RESET].done);
	TH_LOG("  %ld sectors poisoned (%ld by machine checks)",
	       w[R_POISON].done, w[R_POISON].mces);
	TH_LOG("  %ld pages still poisoned", poisoned);
	EXPECT_GT(w[R_IGNORE].ops, 0);
	EXPECT_GT(w[R_RESET].ops, 0);
	if (st.recovers) {
		EXPECT_GT(w[R_POISON].done, 0);
		EXPECT_GT(w[R_POISON].mces, 0);
	}
	EXPECT_GT(w[R_FAULT].ops, 0);
	if (st.recovers)
		EXPECT_GT(w[R_FAULT].sigbus, 0);

	/* Each file equals its model; then repair what is still poisoned. */
	for (int f = 0; f < NFILES; f++) {
		struct model *m = &st.file[f];
		uint8_t page[DAX_PAGE];

		EXPECT_TRUE(matches_model(_metadata, m, f));
		for (int p = 0; p < m->pages && st.recovers; p++) {
			if (!m->bad[p])
				continue;
			if (m->version[p])
				fill_page(page, p, m->version[p]);
			else
				memset(page, 0, DAX_PAGE);
			EXPECT_EQ(DAX_PAGE, dax_rw2(m->fd, true, page, DAX_PAGE,
						    (off_t)p * DAX_PAGE, RESET));
			m->bad[p] = 0;
		}
	}
	repaired = dax_badblocks_count(&self->dev);
	EXPECT_EQ(0, repaired);
	for (int f = 0; f < NFILES; f++) {
		EXPECT_TRUE(matches_model(_metadata, &st.file[f], f));
		close(st.file[f].fd);
	}
}

/* Shared by write_hole_vs_fault's threads. */
struct hole_race {
	int fd, stop;
	uint8_t *map;
	long faults, writes;
};

static void *hole_faulter(void *arg)
{
	struct hole_race *r = arg;
	unsigned int seed = 7;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		const uint64_t *q = (const uint64_t *)(r->map + (size_t)rnd(&seed, 16) * DAX_PAGE);

		__atomic_store_n(&fault_sink, __atomic_load_n(q, __ATOMIC_RELAXED),
				 __ATOMIC_RELAXED);
		madvise(r->map, 16 * DAX_PAGE, MADV_DONTNEED);
		r->faults++;
	}
	return NULL;
}

/*
 * Writes into freshly punched holes raced by read faults on the same pages:
 * the write allocates blocks that a fault may map before the write is done.
 * Every page read afterwards holds what was last written.
 */
TEST_F_TIMEOUT(fs, write_hole_vs_fault, 300)
{
	uint8_t buf[16 * DAX_PAGE], got[16 * DAX_PAGE];
	struct hole_race r = { 0 };
	pthread_t t;
	uint64_t start;
	uint32_t v = 0;

	r.fd = create("hole");
	ASSERT_GE(r.fd, 0);
	ASSERT_EQ(0, ftruncate(r.fd, sizeof(buf)));
	ASSERT_TRUE(dax_file_is_dax(r.fd));
	r.map = mmap(NULL, sizeof(buf), PROT_READ, MAP_SHARED, r.fd, 0);
	ASSERT_NE(MAP_FAILED, r.map);
	ASSERT_EQ(0, pthread_create(&t, NULL, hole_faulter, &r));
	start = now_ns();
	while (now_ns() - start < 5000000000ull) {
		v++;
		for (int p = 0; p < 16; p++)
			fill_page(buf + p * DAX_PAGE, p, v);
		ASSERT_EQ(0, fallocate(r.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
				       sizeof(buf)));
		ASSERT_EQ((ssize_t)sizeof(buf), pwrite(r.fd, buf, sizeof(buf), 0));
		r.writes++;
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(0, pthread_join(t, NULL));
	TH_LOG("%ld punch+write rounds, %ld faults", r.writes, r.faults);
	ASSERT_EQ((ssize_t)sizeof(got), pread(r.fd, got, sizeof(got), 0));
	EXPECT_EQ(0, memcmp(got, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(r.map, buf, sizeof(buf)));
	munmap(r.map, sizeof(buf));
	close(r.fd);
}

TEST_HARNESS_MAIN
