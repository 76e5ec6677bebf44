// SPDX-License-Identifier: GPL-2.0
/*
 * Recovering a damaged DAX file: RWF_IGNORE_HWERROR reads every good byte
 * around known-bad sectors (and zeros for the bad ones), RWF_RESET_HWERROR
 * repairs the poisoned pages it writes, keeping the good bytes around the
 * write. Poison is injected through /sys/block/pmemN/badblocks.
 *
 * Every case runs against the bound pmem driver: where it implements
 * recovery (nd_pmem and the Rust pmem driver both do) the flags must
 * recover exactly; where it does not they must fail with EOPNOTSUPP and
 * leave the file as it was, while plain reads still return the bytes before
 * the first bad one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <setjmp.h>
#include <signal.h>
#include <poll.h>
#include <pthread.h>
#include <sys/fanotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "dax_fixture.h"
#include "dax_io.h"
#include "dax_xfs_hm.h"

#define IGNORE	RWF_IGNORE_HWERROR
#define RESET	RWF_RESET_HWERROR
#define OLD	11	/* pattern seed of the file's content */
#define NEW	22	/* pattern seed of the data a reset writes */
#define PAGES	8
#define FLEN	(PAGES * DAX_PAGE)

/* A bad range of the file, in bytes. */
struct range {
	off_t off;
	size_t len;
};

static bool in_ranges(const struct range *bad, int nbad, off_t off)
{
	for (int i = 0; i < nbad; i++)
		if (off >= bad[i].off && off < bad[i].off + (off_t)bad[i].len)
			return true;
	return false;
}

/*
 * The file as an IGNORE read must return it: the pattern, with zeros in the
 * bad ranges. Returns the first offset that differs, or -1.
 */
static off_t check_ignored(const uint8_t *buf, off_t from, size_t len,
			   const struct range *bad, int nbad)
{
	for (size_t i = 0; i < len; i++) {
		off_t off = from + i;
		uint8_t want = in_ranges(bad, nbad, off) ? 0 : dax_pattern(OLD, off);

		if (buf[i] != want)
			return off;
	}
	return -1;
}

/* Create the test file and mark @nbad ranges bad; false if that failed. */
static bool damage(struct dax_dev *dev, bool *poisoned, int *fdp,
		   const struct range *bad, int nbad)
{
	int fd = create("damaged");

	*fdp = fd;
	if (fd < 0 || dax_write_pattern(fd, 0, FLEN, OLD) || !dax_file_is_dax(fd))
		return false;
	*poisoned = true;
	for (int i = 0; i < nbad; i++)
		if (dax_poison_file(dev, fd, bad[i].off, bad[i].len / DAX_SECTOR) < 0)
			return false;
	return true;
}

/* The expectations for a driver without recovery: EOPNOTSUPP, nothing moved. */
static void expect_unsupported(struct __test_metadata *_metadata, int fd,
			       const struct range *bad)
{
	uint8_t *buf = malloc(FLEN);

	ASSERT_NE(NULL, buf);
	for (size_t p = 0; p < DAX_NPATHS; p++) {
		memset(buf, 0xa5, FLEN);
		EXPECT_EQ(-EOPNOTSUPP, dax_paths[p].fn(fd, false, buf, FLEN, 0, IGNORE));
		EXPECT_EQ(-EOPNOTSUPP, dax_paths[p].fn(fd, true, buf, FLEN, 0, RESET));
	}
	/* Plain reads still return the bytes before the first bad one. */
	EXPECT_EQ((ssize_t)bad->off, pread(fd, buf, FLEN, 0));
	EXPECT_EQ(-1, dax_check(buf, bad->off, OLD, 0));
	EXPECT_EQ(-1, pread(fd, buf, DAX_SECTOR, bad->off));
	EXPECT_EQ(EIO, errno);
	free(buf);
}

/*
 * damage() with the driver's answer: true if it recovers, so the test goes
 * on; otherwise false, once the flags were seen refused on the file.
 */
static bool damage_recovers(struct __test_metadata *_metadata, struct dax_dev *dev,
			    bool *poisoned, int *fdp, const struct range *bad, int nbad)
{
	ASSERT_TRUE(damage(dev, poisoned, fdp, bad, nbad));
	if (dax_driver_recovers(dev))
		return true;
	expect_unsupported(_metadata, *fdp, &bad[0]);
	return false;
}

/* IGNORE over the whole file, through every path; then the plain read. */
static void ignore_case(struct __test_metadata *_metadata, struct dax_dev *dev,
			bool *poisoned, const struct range *bad, int nbad)
{
	uint8_t *buf = malloc(FLEN);
	int fd;

	ASSERT_NE(NULL, buf);
	if (!damage_recovers(_metadata, dev, poisoned, &fd, bad, nbad))
		goto out;
	for (size_t p = 0; p < DAX_NPATHS; p++) {
		TH_LOG("%s", dax_paths[p].name);
		memset(buf, 0xa5, FLEN);
		ASSERT_EQ(FLEN, dax_paths[p].fn(fd, false, buf, FLEN, 0, IGNORE));
		EXPECT_EQ(-1, check_ignored(buf, 0, FLEN, bad, nbad));
	}
	/* Unaligned, from inside the first bad range to the end of the file. */
	memset(buf, 0xa5, FLEN);
	ASSERT_EQ((ssize_t)(FLEN - bad[0].off - 7),
		  dax_rw2(fd, false, buf, FLEN, bad[0].off + 7, IGNORE));
	EXPECT_EQ(-1, check_ignored(buf, bad[0].off + 7, FLEN - bad[0].off - 7, bad, nbad));
	/* Reading around poison does not clear it: plain reads still stop. */
	EXPECT_EQ((ssize_t)bad[0].off, pread(fd, buf, FLEN, 0));
	EXPECT_EQ(-1, pread(fd, buf, 1, bad[0].off));
	EXPECT_EQ(EIO, errno);
out:
	free(buf);
	close(fd);
}

TEST_F(fs, ignore_first_sector_of_page)
{
	const struct range bad[] = { { 3 * DAX_PAGE, DAX_SECTOR } };

	ignore_case(_metadata, &self->dev, &self->poisoned, bad, ARRAY_SIZE(bad));
}

TEST_F(fs, ignore_last_sector_of_page)
{
	const struct range bad[] = { { 4 * DAX_PAGE - DAX_SECTOR, DAX_SECTOR } };

	ignore_case(_metadata, &self->dev, &self->poisoned, bad, ARRAY_SIZE(bad));
}

TEST_F(fs, ignore_across_page_boundary)
{
	const struct range bad[] = { { 4 * DAX_PAGE - DAX_SECTOR, 2 * DAX_SECTOR } };

	ignore_case(_metadata, &self->dev, &self->poisoned, bad, ARRAY_SIZE(bad));
}

TEST_F(fs, ignore_several_ranges)
{
	const struct range bad[] = {
		{ 1 * DAX_PAGE + 2 * DAX_SECTOR, DAX_SECTOR },
		{ 1 * DAX_PAGE + 3 * DAX_SECTOR, DAX_SECTOR },	/* adjacent */
		{ 2 * DAX_PAGE + 5 * DAX_SECTOR, 3 * DAX_SECTOR },
		{ 6 * DAX_PAGE + 7 * DAX_SECTOR, DAX_SECTOR },
	};

	ignore_case(_metadata, &self->dev, &self->poisoned, bad, ARRAY_SIZE(bad));
}

TEST_F(fs, ignore_whole_file)
{
	const struct range bad[] = { { 0, FLEN } };
	uint8_t *buf = malloc(FLEN);
	int fd;

	ASSERT_NE(NULL, buf);
	ASSERT_TRUE(damage(&self->dev, &self->poisoned, &fd, bad, 1));
	if (!dax_driver_recovers(&self->dev)) {
		for (size_t p = 0; p < DAX_NPATHS; p++)
			EXPECT_EQ(-EOPNOTSUPP, dax_paths[p].fn(fd, false, buf, FLEN, 0, IGNORE));
		EXPECT_EQ(-1, pread(fd, buf, FLEN, 0));
		EXPECT_EQ(EIO, errno);
	} else {
		memset(buf, 0xa5, FLEN);
		ASSERT_EQ(FLEN, dax_rw2(fd, false, buf, FLEN, 0, IGNORE));
		/* All zeros: nothing of what the bad sectors hold comes back. */
		EXPECT_EQ(-1, check_ignored(buf, 0, FLEN, bad, 1));
		/* Reads end at EOF as usual. */
		EXPECT_EQ(100, dax_rw2(fd, false, buf, 4096, FLEN - 100, IGNORE));
		EXPECT_EQ(0, dax_rw2(fd, false, buf, 4096, FLEN, IGNORE));
	}
	free(buf);
	close(fd);
}

/*
 * Whether the sector holding file offset @i is one of the bad ones the
 * write of @len bytes at @off does not touch: a reset leaves it lost.
 */
static bool lost_after_reset(const struct range *bad, int nbad, off_t off,
			     size_t len, off_t i)
{
	off_t sec = i - i % DAX_SECTOR;

	return in_ranges(bad, nbad, i) &&
	       (sec + DAX_SECTOR <= off || sec >= off + (off_t)len);
}

/*
 * RESET of @len bytes at @off with the NEW pattern over a file with @bad
 * ranges (whole sectors), as revision 3 of the contract has it: returns
 * @len; afterwards the written bytes are new, the rest of each bad sector
 * the write touched reads as zeros, good bytes outside the write are the
 * old ones, and the bad sectors the write did not touch are still lost:
 * plain reads stop before the first of them, IGNORE reads zero them (never
 * what a clear left there), and the disk still lists exactly them.
 */
static void reset_case(struct __test_metadata *_metadata, struct dax_dev *dev,
		       bool *poisoned, const struct range *bad, int nbad, off_t off,
		       size_t len)
{
	uint8_t *buf = malloc(FLEN), *data = malloc(len);
	off_t first_lost = FLEN;
	int lost = 0, fd;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, data);
	if (!damage_recovers(_metadata, dev, poisoned, &fd, bad, nbad))
		goto out;
	dax_fill(data, len, NEW, off);
	ASSERT_EQ((ssize_t)len, dax_rw2(fd, true, data, len, off, RESET));
	for (off_t i = 0; i < FLEN; i += DAX_SECTOR)
		if (lost_after_reset(bad, nbad, off, len, i)) {
			if (first_lost == FLEN)
				first_lost = i;
			lost++;
			EXPECT_EQ(1, dax_sector_listed(dev, dax_file_sector(fd, i)))
				TH_LOG("lost sector at %lld not listed", (long long)i);
		}
	if (!lost)
		EXPECT_EQ(0, dax_badblocks_count(dev));
	memset(buf, 0xa5, FLEN);
	ASSERT_EQ(FLEN, dax_rw2(fd, false, buf, FLEN, 0, IGNORE));
	for (off_t i = 0; i < FLEN; i++) {
		uint8_t want;

		if (i >= off && i < off + (off_t)len)
			want = dax_pattern(NEW, i);
		else if (in_ranges(bad, nbad, i))
			want = 0;
		else
			want = dax_pattern(OLD, i);
		if (buf[i] != want) {
			EXPECT_EQ(want, buf[i]) TH_LOG("byte %lld", (long long)i);
			break;
		}
	}
	memset(buf, 0xa5, FLEN);
	EXPECT_EQ((ssize_t)first_lost, pread(fd, buf, FLEN, 0));
	if (first_lost < FLEN) {
		EXPECT_EQ(-1, pread(fd, buf, 1, first_lost));
		EXPECT_EQ(EIO, errno);
	}
out:
	free(data);
	free(buf);
	close(fd);
}

/* A few bytes inside a bad sector: the rest of the sector reads as zeros. */
TEST_F(fs, reset_subpage)
{
	const struct range bad[] = { { 2 * DAX_PAGE + 2 * DAX_SECTOR, DAX_SECTOR } };

	reset_case(_metadata, &self->dev, &self->poisoned, bad, 1,
		   2 * DAX_PAGE + 2 * DAX_SECTOR + 100, 100);
}

/* Exactly the bad sector. */
TEST_F(fs, reset_bad_sector_exactly)
{
	const struct range bad[] = { { 5 * DAX_PAGE + 7 * DAX_SECTOR, DAX_SECTOR } };

	reset_case(_metadata, &self->dev, &self->poisoned, bad, 1, bad[0].off, DAX_SECTOR);
}

/* A whole, aligned page. */
TEST_F(fs, reset_whole_page)
{
	const struct range bad[] = { { 3 * DAX_PAGE + DAX_SECTOR, 2 * DAX_SECTOR } };

	reset_case(_metadata, &self->dev, &self->poisoned, bad, 1, 3 * DAX_PAGE, DAX_PAGE);
}

/* Unaligned, over several pages, poisoned and clean ones mixed. */
TEST_F(fs, reset_unaligned_multipage)
{
	const struct range bad[] = {
		{ 1 * DAX_PAGE + 6 * DAX_SECTOR, DAX_SECTOR },
		{ 3 * DAX_PAGE, DAX_SECTOR },
		{ 4 * DAX_PAGE - DAX_SECTOR, 2 * DAX_SECTOR },	/* across pages 3 and 4 */
	};

	reset_case(_metadata, &self->dev, &self->poisoned, bad, ARRAY_SIZE(bad),
		   DAX_PAGE + 300, 3 * DAX_PAGE + 10);
}

/*
 * A reset that writes only part of a poisoned page keeps its good bytes,
 * and the bad sector it does not touch stays lost.
 */
TEST_F(fs, reset_keeps_good_bytes)
{
	const struct range bad[] = { { 6 * DAX_PAGE + 3 * DAX_SECTOR, DAX_SECTOR } };

	reset_case(_metadata, &self->dev, &self->poisoned, bad, 1, 6 * DAX_PAGE + 10, 20);
}

/* A reset over a clean range is an ordinary write. */
TEST_F(fs, reset_clean_range)
{
	const struct range bad[] = { { 7 * DAX_PAGE, DAX_SECTOR } };
	uint8_t data[2 * DAX_PAGE], back[2 * DAX_PAGE];
	int fd;

	if (!damage_recovers(_metadata, &self->dev, &self->poisoned, &fd, bad, 1)) {
		close(fd);
		return;
	}
	dax_fill(data, sizeof(data), NEW, DAX_PAGE);
	ASSERT_EQ(sizeof(data), dax_rw2(fd, true, data, sizeof(data), DAX_PAGE, RESET));
	ASSERT_EQ(sizeof(back), pread(fd, back, sizeof(back), DAX_PAGE));
	EXPECT_EQ(0, memcmp(data, back, sizeof(back)));
	/* The poison elsewhere is untouched. */
	EXPECT_EQ(1, dax_badblocks_count(&self->dev));
	EXPECT_EQ(-1, pread(fd, back, 1, bad[0].off));
	EXPECT_EQ(EIO, errno);
	close(fd);
}

/*
 * A reset whose data for a poisoned page comes in several iovecs: the page
 * gets every byte of each, in order.
 */
TEST_F(fs, reset_iovecs)
{
	const struct range bad[] = { { 4 * DAX_PAGE + 5 * DAX_SECTOR, DAX_SECTOR } };
	const size_t len[] = { 1000, 3096, 700 };
	uint8_t data[2 * DAX_PAGE], back[2 * DAX_PAGE];
	struct iovec iov[ARRAY_SIZE(len)];
	size_t total = 0;
	int fd;

	if (!damage_recovers(_metadata, &self->dev, &self->poisoned, &fd, bad, 1)) {
		close(fd);
		return;
	}
	dax_fill(data, sizeof(data), NEW, 4 * DAX_PAGE);
	for (size_t i = 0; i < ARRAY_SIZE(len); i++) {
		iov[i].iov_base = data + total;
		iov[i].iov_len = len[i];
		total += len[i];
	}
	ASSERT_EQ((ssize_t)total, pwritev2(fd, iov, ARRAY_SIZE(iov), 4 * DAX_PAGE, RESET));
	EXPECT_EQ(0, dax_badblocks_count(&self->dev));
	ASSERT_EQ(sizeof(back), pread(fd, back, sizeof(back), 4 * DAX_PAGE));
	EXPECT_EQ(0, memcmp(data, back, total));
	EXPECT_EQ(-1, dax_check(back + total, sizeof(back) - total, OLD, 4 * DAX_PAGE + total));
	close(fd);
}

/*
 * A reset whose data is a shared mapping of another part of the same file:
 * a pin on the buffer's pages, pages of the file itself, would make the
 * reset's layout break wait for ever, so the data is taken into a kernel
 * copy before the locks, and the repaired page is a copy of them.
 */
TEST_F(fs, reset_from_own_mapping)
{
	const struct range bad[] = { { 2 * DAX_PAGE + 3 * DAX_SECTOR, DAX_SECTOR } };
	uint8_t back[DAX_PAGE];
	uint8_t *map;
	int fd;

	if (!damage_recovers(_metadata, &self->dev, &self->poisoned, &fd, bad, 1)) {
		close(fd);
		return;
	}
	map = mmap(NULL, 2 * DAX_PAGE, PROT_READ, MAP_SHARED, fd, 5 * DAX_PAGE);
	ASSERT_NE(MAP_FAILED, map);
	/* Fault the mapping in; the source starts in its first page, ends in its second. */
	EXPECT_EQ(-1, dax_check(map, 2 * DAX_PAGE, OLD, 5 * DAX_PAGE));
	ASSERT_EQ(DAX_PAGE, dax_rw2(fd, true, map + 100, DAX_PAGE, 2 * DAX_PAGE, RESET));
	EXPECT_EQ(0, dax_badblocks_count(&self->dev));
	ASSERT_EQ(DAX_PAGE, pread(fd, back, DAX_PAGE, 2 * DAX_PAGE));
	EXPECT_EQ(-1, dax_check(back, DAX_PAGE, OLD, 5 * DAX_PAGE + 100));
	munmap(map, 2 * DAX_PAGE);
	close(fd);
}

/* A fanotify group for the file system errors (FAN_FS_ERROR) of MNT, or -1. */
static int error_listener(void)
{
	int fan = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_FID | FAN_NONBLOCK, O_RDONLY);

	if (fan >= 0 && fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_FS_ERROR,
				      AT_FDCWD, MNT)) {
		close(fan);
		return -1;
	}
	return fan;
}

/*
 * The errors @fan reports within @ms milliseconds of the first (or of the
 * call, if none comes): their count (FAN_FS_ERROR events merge, counting),
 * or -1 if one is not EIO or is not about the file with handle @fh.
 */
static int error_reports(int fan, const struct file_handle *fh, int ms)
{
	struct pollfd pfd = { .fd = fan, .events = POLLIN };
	union {
		struct fanotify_event_metadata first;
		char bytes[4096];
	} buf;
	int count = 0, bad = 0;

	while (poll(&pfd, 1, ms) == 1) {
		ssize_t len = read(fan, &buf, sizeof(buf));
		struct fanotify_event_metadata *ev = &buf.first;

		for (; FAN_EVENT_OK(ev, len); ev = FAN_EVENT_NEXT(ev, len)) {
			char *info = (char *)ev + ev->metadata_len;

			if (ev->mask != FAN_FS_ERROR) {
				bad++;
				continue;
			}
			while (info < (char *)ev + ev->event_len) {
				struct fanotify_event_info_header *h = (void *)info;
				struct fanotify_event_info_error *e = (void *)info;
				struct fanotify_event_info_fid *f = (void *)info;
				struct file_handle *got = (void *)f->handle;

				if (h->info_type == FAN_EVENT_INFO_TYPE_ERROR) {
					bad += e->error != EIO;
					count += e->error_count;
				} else if (h->info_type == FAN_EVENT_INFO_TYPE_FID) {
					unsigned int n = fh->handle_bytes;

					bad += got->handle_type != fh->handle_type ||
					       got->handle_bytes != n ||
					       memcmp(got->f_handle, fh->f_handle, n);
				}
				info += h->len;
			}
		}
		ms = 1000;
	}
	return bad ? -1 : count;
}

/*
 * What a DAX read could not return is reported through the kernel's file
 * error channel, which fanotify delivers as FAN_FS_ERROR on the file: an
 * IGNORE read over two damaged ranges reports each of them once, a plain
 * read that stops at the first reports that one; a clean file, and the
 * damaged one once a reset repaired it, report nothing.
 */
TEST_F(fs, lost_ranges_reported)
{
	const struct range bad[] = {
		{ 2 * DAX_PAGE + DAX_SECTOR, DAX_SECTOR },
		{ 5 * DAX_PAGE + 3 * DAX_SECTOR, 3 * DAX_SECTOR },
	};
	struct {
		struct file_handle fh;
		unsigned char bytes[MAX_HANDLE_SZ];
	} h = { .fh.handle_bytes = MAX_HANDLE_SZ };
	uint8_t *buf = malloc(FLEN);
	int fan, fd, clean, mnt_id;

	ASSERT_NE(NULL, buf);
	fan = error_listener();
	ASSERT_GE(fan, 0) TH_LOG("fanotify: %s", strerror(errno));
	clean = create("clean");
	ASSERT_GE(clean, 0);
	ASSERT_EQ(0, dax_write_pattern(clean, 0, FLEN, OLD));
	ASSERT_TRUE(damage(&self->dev, &self->poisoned, &fd, bad, ARRAY_SIZE(bad)));
	ASSERT_EQ(0, name_to_handle_at(fd, "", &h.fh, &mnt_id, AT_EMPTY_PATH));
	if (!dax_driver_recovers(&self->dev)) {
		expect_unsupported(_metadata, fd, &bad[0]);
		goto out;
	}
	EXPECT_EQ(FLEN, dax_rw2(clean, false, buf, FLEN, 0, IGNORE));
	EXPECT_EQ(FLEN, pread(clean, buf, FLEN, 0));
	EXPECT_EQ(0, error_reports(fan, &h.fh, 1000));

	EXPECT_EQ(FLEN, dax_rw2(fd, false, buf, FLEN, 0, IGNORE));
	EXPECT_EQ(2, error_reports(fan, &h.fh, 5000));
	EXPECT_EQ((ssize_t)bad[0].off, pread(fd, buf, FLEN, 0));
	EXPECT_EQ(1, error_reports(fan, &h.fh, 5000));
	EXPECT_EQ(-1, pread(fd, buf, DAX_SECTOR, bad[1].off));
	EXPECT_EQ(1, error_reports(fan, &h.fh, 5000));

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		dax_fill(buf, bad[i].len, NEW, bad[i].off);
		EXPECT_EQ((ssize_t)bad[i].len, dax_rw2(fd, true, buf, bad[i].len, bad[i].off,
						       RESET));
	}
	EXPECT_EQ(0, dax_badblocks_count(&self->dev));
	EXPECT_EQ(FLEN, dax_rw2(fd, false, buf, FLEN, 0, IGNORE));
	EXPECT_EQ(FLEN, pread(fd, buf, FLEN, 0));
	EXPECT_EQ(0, error_reports(fan, &h.fh, 1000));
out:
	close(clean);
	close(fan);
	free(buf);
	close(fd);
}

/*
 * Mark in @lost (one byte per file byte) the ranges of file @ino that the
 * monitor @hm reports with @type within @ms milliseconds of the last one.
 * Returns the number of such events, or -1 if one has another error than EIO.
 */
static int hm_ranges(int hm, uint64_t ino, uint32_t type, uint8_t *lost, size_t flen, int ms)
{
	struct pollfd pfd = { .fd = hm, .events = POLLIN };
	struct dax_hm_event ev[16];
	int n = 0;

	while (poll(&pfd, 1, ms) == 1) {
		ssize_t len = read(hm, ev, sizeof(ev));

		for (ssize_t i = 0; i < len / (ssize_t)sizeof(ev[0]); i++) {
			if (ev[i].domain != DAX_HM_DOMAIN_FILERANGE || ev[i].type != type ||
			    ev[i].e.filerange.ino != ino)
				continue;
			if (ev[i].e.filerange.error != EIO ||
			    ev[i].e.filerange.pos + ev[i].e.filerange.len > flen)
				return -1;
			memset(lost + ev[i].e.filerange.pos, 1, ev[i].e.filerange.len);
			n++;
		}
		ms = 1000;
	}
	return n;
}

/*
 * On XFS the health monitor receives the ranges with their file position:
 * taken together, the DATALOST ranges after an IGNORE read are exactly the
 * bytes it returned as zeros (several ranges, one across a page boundary,
 * the last sector of the file, and poison the copy met, from the byte it
 * stopped at), and the DIOREAD range of a plain read is the bad run it
 * stopped at. ext4 has no such monitor (the ioctl is XFS's).
 */
TEST_F(fs, lost_ranges_health_monitor)
{
	const struct range bad[] = {
		{ 2 * DAX_PAGE + DAX_SECTOR, DAX_SECTOR },
		{ 4 * DAX_PAGE + 7 * DAX_SECTOR, 2 * DAX_SECTOR },
		{ FLEN - DAX_SECTOR, DAX_SECTOR },
	};
	uint8_t *buf = malloc(FLEN), *lost = calloc(1, FLEN), *want = calloc(1, FLEN);
	struct dax_hm_req req = { 0 };
	struct stat st;
	int fd, dir, hm;
	const off_t hit = 6 * DAX_PAGE + 2 * DAX_SECTOR + 100;
	const struct range all[] = {
		bad[0], bad[1], { hit, DAX_SECTOR - 100 }, bad[2],
	};
	int64_t sec;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, lost);
	ASSERT_NE(NULL, want);
	dir = open(MNT, O_RDONLY | O_DIRECTORY);
	ASSERT_GE(dir, 0);
	hm = ioctl(dir, DAX_HM_IOC, &req);
	if (strcmp(variant->fstype, "xfs")) {
		EXPECT_EQ(-1, hm);
		EXPECT_EQ(ENOTTY, errno);
		close(dir);
		goto out_free;
	}
	ASSERT_GE(hm, 0) TH_LOG("XFS_IOC_HEALTH_MONITOR: %s", strerror(errno));
	ASSERT_TRUE(damage(&self->dev, &self->poisoned, &fd, bad, ARRAY_SIZE(bad)));
	ASSERT_EQ(0, fstat(fd, &st));
	if (!dax_driver_recovers(&self->dev)) {
		expect_unsupported(_metadata, fd, &bad[0]);
		goto out;
	}
	memset(buf, 0xa5, FLEN);
	ASSERT_EQ(FLEN, dax_rw2(fd, false, buf, FLEN, 0, IGNORE));
	EXPECT_EQ(-1, check_ignored(buf, 0, FLEN, bad, ARRAY_SIZE(bad)));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		memset(want + bad[i].off, 1, bad[i].len);
	EXPECT_LE(3, hm_ranges(hm, st.st_ino, DAX_HM_TYPE_DATALOST, lost, FLEN, 5000));
	EXPECT_EQ(0, memcmp(lost, want, FLEN));

	/* A plain read stops at the first bad run: that run is reported. */
	memset(lost, 0, FLEN);
	memset(want, 0, FLEN);
	memset(want + bad[0].off, 1, bad[0].len);
	EXPECT_EQ((ssize_t)bad[0].off, pread(fd, buf, FLEN, 0));
	EXPECT_EQ(1, hm_ranges(hm, st.st_ino, DAX_HM_TYPE_DIOREAD, lost, FLEN, 5000));
	EXPECT_EQ(0, memcmp(lost, want, FLEN));

	/*
	 * Poison the copy meets, 100 bytes into sector 2 of page 6: the read
	 * returns zeros from there to the end of the sector, and the ranges
	 * reported are those bytes, not the whole sector the driver records.
	 */
	sec = dax_file_sector(fd, 6 * DAX_PAGE);
	ASSERT_GE(sec, 0);
	ASSERT_EQ(0, dax_fault_arm(&self->dev, "mc", "offset",
				   (sec + 2) * DAX_SECTOR + 100, 0));
	memset(lost, 0, FLEN);
	memset(want, 0, FLEN);
	memset(buf, 0xa5, FLEN);
	EXPECT_EQ(FLEN, dax_rw2(fd, false, buf, FLEN, 0, IGNORE));
	EXPECT_EQ(0, dax_fault_disarm(&self->dev, "mc"));
	EXPECT_EQ(-1, check_ignored(buf, 0, FLEN, all, ARRAY_SIZE(all)));
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		memset(want + all[i].off, 1, all[i].len);
	EXPECT_LE(4, hm_ranges(hm, st.st_ino, DAX_HM_TYPE_DATALOST, lost, FLEN, 5000));
	EXPECT_EQ(0, memcmp(lost, want, FLEN));
	/* The driver recorded the sector as known-bad. */
	EXPECT_EQ((int)ARRAY_SIZE(bad) + 1, dax_badblocks_count(&self->dev));
out:
	close(hm);
	close(dir);
	close(fd);
out_free:
	free(buf);
	free(lost);
	free(want);
}

/*
 * The DAX core's fault injection point fail_dax_copy_mc, for this task only:
 * while @on, every machine-check safe copy of a DAX read stops at its byte
 * @offset (0: copies nothing), as consumed poison there would. 0 or -errno.
 */
static int core_mc_fault(bool on, unsigned int offset)
{
	const char *dir = "fail_dax_copy_mc";
	int fd = open("/proc/self/make-it-fail", O_WRONLY);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, on ? "1" : "0", 1) != 1)
		ret = -errno;
	close(fd);
	return ret ?:
	       dax_debugfs_write(dir, "verbose", "0") ?:
	       dax_debugfs_write(dir, "task-filter", "Y") ?:
	       dax_debugfs_write(dir, "interval", "1") ?:
	       dax_debugfs_write(dir, "space", "0") ?:
	       dax_debugfs_write(dir, "offset", "%u", offset) ?:
	       dax_debugfs_write(dir, "probability", "%d", on ? 100 : 0) ?:
	       dax_debugfs_write(dir, "times", "%d", on ? -1 : 0);
}

/*
 * A plain read whose first byte is poison that no list knew of (the
 * machine-check safe copy stops before copying anything) fails with EIO,
 * not EFAULT, on a clean page and on a page with known poison further on,
 * and reports the rest of the poisoned sector as lost (on XFS, the health
 * monitor's DIOREAD range is exactly that); one whose copy meets it after
 * some bytes returns them and reports the rest of that sector from the byte
 * the copy stopped at; a buffer that faults still gives EFAULT, and the
 * file reads back whole once the copy works again.
 */
TEST_F(fs, plain_read_consumed_poison)
{
	const struct range bad[] = { { 3 * DAX_PAGE + 5 * DAX_SECTOR, DAX_SECTOR } };
	const off_t mid = DAX_PAGE + 700;
	struct {
		struct file_handle fh;
		unsigned char bytes[MAX_HANDLE_SZ];
	} h = { .fh.handle_bytes = MAX_HANDLE_SZ };
	uint8_t *buf = malloc(FLEN), *lost = calloc(1, FLEN), *want = calloc(1, FLEN);
	struct dax_hm_req req = { 0 };
	int fan, fd, dir, hm, mnt_id;
	bool xfs = !strcmp(variant->fstype, "xfs");
	struct stat st;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, lost);
	ASSERT_NE(NULL, want);
	fan = error_listener();
	ASSERT_GE(fan, 0) TH_LOG("fanotify: %s", strerror(errno));
	dir = open(MNT, O_RDONLY | O_DIRECTORY);
	ASSERT_GE(dir, 0);
	hm = xfs ? ioctl(dir, DAX_HM_IOC, &req) : -1;
	ASSERT_TRUE(!xfs || hm >= 0) TH_LOG("XFS_IOC_HEALTH_MONITOR: %s", strerror(errno));
	ASSERT_TRUE(damage(&self->dev, &self->poisoned, &fd, bad, ARRAY_SIZE(bad)));
	ASSERT_EQ(0, name_to_handle_at(fd, "", &h.fh, &mnt_id, AT_EMPTY_PATH));
	ASSERT_EQ(0, fstat(fd, &st));

	/* Without the point: a buffer that faults is the caller's EFAULT. */
	EXPECT_EQ(-1, pread(fd, (void *)8, 100, 0));
	EXPECT_EQ(EFAULT, errno);

	ASSERT_EQ(0, core_mc_fault(true, 0)) TH_LOG("fail_dax_copy_mc: %s", strerror(errno));
	memset(buf, 0xa5, FLEN);
	EXPECT_EQ(-1, pread(fd, buf, FLEN, 0));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(-1, pread(fd, buf, 100, mid));
	EXPECT_EQ(EIO, errno);
	/* Page 3: known poison at its sector 5, consumed poison at its start. */
	EXPECT_EQ(-1, pread(fd, buf, DAX_PAGE, 3 * DAX_PAGE));
	EXPECT_EQ(EIO, errno);
	ASSERT_EQ(0, core_mc_fault(false, 0));
	for (int i = 0; i < FLEN; i++)
		if (buf[i] != 0xa5) {
			EXPECT_EQ(0xa5, buf[i]) TH_LOG("byte %d of the buffer written", i);
			break;
		}

	EXPECT_EQ(3, error_reports(fan, &h.fh, 5000));
	if (xfs) {
		memset(want, 1, DAX_SECTOR);
		memset(want + mid, 1, 100);
		memset(want + 3 * DAX_PAGE, 1, DAX_SECTOR);
		EXPECT_EQ(3, hm_ranges(hm, st.st_ino, DAX_HM_TYPE_DIOREAD, lost, FLEN, 5000));
		EXPECT_EQ(0, memcmp(lost, want, FLEN));
	}

	/*
	 * Consumed poison after some bytes of a copy: a short read of the
	 * bytes before it, and the rest of its sector reported from the byte
	 * the copy stopped at.
	 */
	ASSERT_EQ(0, core_mc_fault(true, 700)) TH_LOG("fail_dax_copy_mc: %s", strerror(errno));
	memset(buf, 0xa5, DAX_PAGE);
	EXPECT_EQ(700, pread(fd, buf, DAX_PAGE, 0));
	ASSERT_EQ(0, core_mc_fault(false, 0));
	EXPECT_EQ(-1, dax_check(buf, 700, OLD, 0));
	EXPECT_EQ(0xa5, buf[700]);
	EXPECT_EQ(1, error_reports(fan, &h.fh, 5000));
	if (xfs) {
		memset(lost, 0, FLEN);
		memset(want, 0, FLEN);
		memset(want + 700, 1, 2 * DAX_SECTOR - 700);
		EXPECT_EQ(1, hm_ranges(hm, st.st_ino, DAX_HM_TYPE_DIOREAD, lost, FLEN, 5000));
		EXPECT_EQ(0, memcmp(lost, want, FLEN));
	}

	/* The copy works again: the file is whole up to its known poison. */
	EXPECT_EQ((ssize_t)bad[0].off, pread(fd, buf, FLEN, 0));
	EXPECT_EQ(-1, dax_check(buf, bad[0].off, OLD, 0));
	EXPECT_EQ(1, error_reports(fan, &h.fh, 5000));
	close(hm);
	close(dir);
	close(fan);
	close(fd);
	free(buf);
	free(lost);
	free(want);
}

/*
 * dax_salvage, the example for operators, lists exactly the lost ranges: on
 * XFS from the health monitor in its one salvage pass, on ext4 with plain
 * reads; and says which. On XFS, -s makes it use plain reads too, with the
 * same result.
 */
TEST_F(fs, salvage_lists_lost)
{
	const struct range bad[] = {
		{ DAX_PAGE + 2 * DAX_SECTOR, DAX_SECTOR },
		{ 6 * DAX_PAGE + 7 * DAX_SECTOR, 3 * DAX_SECTOR },
		{ FLEN - DAX_SECTOR, DAX_SECTOR },
	};
	char self_path[PATH_MAX], cmd[PATH_MAX + 128], line[256];
	bool xfs = !strcmp(variant->fstype, "xfs");
	ssize_t n;
	FILE *out;
	int fd;

	ASSERT_TRUE(damage(&self->dev, &self->poisoned, &fd, bad, ARRAY_SIZE(bad)));
	if (!dax_driver_recovers(&self->dev)) {
		expect_unsupported(_metadata, fd, &bad[0]);
		goto out;
	}
	n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
	ASSERT_GT(n, 0);
	self_path[n] = '\0';
	*strrchr(self_path, '/') = '\0';
	for (int forced = 0; forced <= xfs; forced++) {
		bool monitor = false, scan = false;
		size_t found = 0;

		snprintf(cmd, sizeof(cmd), "%s/dax_salvage %s%s/damaged /tmp/dax_salvage_copy",
			 self_path, forced ? "-s " : "", MNT);
		out = popen(cmd, "r");
		ASSERT_NE(NULL, out);
		while (fgets(line, sizeof(line), out)) {
			long long from, to, len;

			TH_LOG("%s", strtok(line, "\n") ?: "");
			monitor |= !!strstr(line, "from the XFS health monitor");
			scan |= !!strstr(line, "found with plain reads");
			if (sscanf(line, "lost: bytes %lld-%lld (%lld)", &from, &to, &len) == 3) {
				EXPECT_GT(ARRAY_SIZE(bad), found);
				if (found < ARRAY_SIZE(bad)) {
					EXPECT_EQ(bad[found].off, from);
					EXPECT_EQ((long long)bad[found].len, len);
				}
				found++;
			}
		}
		EXPECT_EQ(1, WEXITSTATUS(pclose(out)));	/* bytes lost, no replica */
		EXPECT_EQ(ARRAY_SIZE(bad), found);
		EXPECT_EQ(xfs && !forced, monitor);
		EXPECT_EQ(!xfs || forced, scan);
		unlink("/tmp/dax_salvage_copy");
	}
out:
	close(fd);
}

/* io_uring and aio carry both flags. */
TEST_F(fs, async_paths)
{
	const struct range bad[] = { { 2 * DAX_PAGE + DAX_SECTOR, DAX_SECTOR } };
	uint8_t *buf = malloc(FLEN);
	int fd;

	ASSERT_NE(NULL, buf);
	if (!damage_recovers(_metadata, &self->dev, &self->poisoned, &fd, bad, 1))
		goto out;
	if (DAX_NPATHS < 2)
		SKIP(goto out, "%s", dax_paths_missing);
	for (size_t p = 1; p < DAX_NPATHS; p++) {
		TH_LOG("%s", dax_paths[p].name);
		memset(buf, 0xa5, FLEN);
		ASSERT_EQ(FLEN, dax_paths[p].fn(fd, false, buf, FLEN, 0, IGNORE));
		EXPECT_EQ(-1, check_ignored(buf, 0, FLEN, bad, 1));
	}
	/* Repair through the first (io_uring), check through the last (aio). */
	dax_fill(buf, DAX_SECTOR, NEW, bad[0].off);
	ASSERT_EQ(DAX_SECTOR, dax_paths[1].fn(fd, true, buf, DAX_SECTOR, bad[0].off, RESET));
	EXPECT_EQ(0, dax_badblocks_count(&self->dev));
	ASSERT_EQ(DAX_SECTOR, dax_paths[DAX_NPATHS - 1].fn(fd, false, buf, DAX_SECTOR,
							   bad[0].off, 0));
	EXPECT_EQ(-1, dax_check(buf, DAX_SECTOR, NEW, bad[0].off));
out:
	free(buf);
	close(fd);
}

/* The flags need no privilege beyond the access the read or write needs. */
TEST_F(fs, unprivileged)
{
	const struct range bad[] = { { 4 * DAX_PAGE + DAX_SECTOR, DAX_SECTOR } };
	bool supported = dax_driver_recovers(&self->dev);
	int fd, status;
	pid_t pid;

	ASSERT_TRUE(damage(&self->dev, &self->poisoned, &fd, bad, 1));
	ASSERT_EQ(0, fchmod(fd, 0644));
	close(fd);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		uint8_t buf[DAX_PAGE];
		int rd, wr;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		rd = open(MNT "/damaged", O_RDONLY);
		if (rd < 0)
			_exit(11);
		if (dax_rw2(rd, false, buf, sizeof(buf), 4 * DAX_PAGE, IGNORE) !=
		    (supported ? DAX_PAGE : -EOPNOTSUPP))
			_exit(12);
		/* No write access, no reset: the open fails as for any write. */
		wr = open(MNT "/damaged", O_RDWR);
		if (wr >= 0 || errno != EACCES)
			_exit(13);
		/*
		 * A read-only descriptor cannot write, with or without the
		 * flag: the access check comes before the flag's.
		 */
		if (dax_rw2(rd, true, buf, sizeof(buf), 4 * DAX_PAGE, RESET) != -EBADF)
			_exit(14);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* With write access the unprivileged owner repairs it. */
	ASSERT_EQ(0, chmod(MNT "/damaged", 0666));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		uint8_t buf[DAX_SECTOR];
		int wr;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		wr = open(MNT "/damaged", O_RDWR);
		if (wr < 0)
			_exit(11);
		dax_fill(buf, sizeof(buf), NEW, bad[0].off);
		if (dax_rw2(wr, true, buf, sizeof(buf), bad[0].off, RESET) !=
		    (supported ? DAX_SECTOR : -EOPNOTSUPP))
			_exit(12);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(supported ? 0 : 1, dax_badblocks_count(&self->dev));
}

/*
 * Poison met during the copy (injected: the copy stops at a chosen byte in
 * the middle of a sector): IGNORE still returns the whole file, with zeros
 * from that byte to the end of its sector, and the sector becomes known-bad.
 */
TEST_F(fs, ignore_consumed_poison)
{
	const off_t at = 5 * DAX_PAGE + 2 * DAX_SECTOR + 100;
	const struct range bad[] = { { at, DAX_SECTOR - 100 } };
	uint8_t *buf = malloc(FLEN);
	int64_t sector;
	int fd;

	ASSERT_NE(NULL, buf);
	ASSERT_TRUE(damage(&self->dev, &self->poisoned, &fd, NULL, 0));
	if (!dax_driver_recovers(&self->dev)) {
		EXPECT_EQ(-EOPNOTSUPP, dax_rw2(fd, false, buf, FLEN, 0, IGNORE));
		goto out;
	}
	sector = dax_file_sector(fd, at);
	ASSERT_GE(sector, 0);
	ASSERT_EQ(0, dax_fault_arm(&self->dev, "mc", "offset",
				   sector * DAX_SECTOR + at % DAX_SECTOR, 0));
	memset(buf, 0xa5, FLEN);
	ASSERT_EQ(FLEN, dax_rw2(fd, false, buf, FLEN, 0, IGNORE));
	EXPECT_EQ(-1, check_ignored(buf, 0, FLEN, bad, 1));
	/* From now on the sector is known-bad. */
	EXPECT_EQ(1, dax_badblocks_count(&self->dev));
	EXPECT_EQ(at - at % DAX_SECTOR, pread(fd, buf, FLEN, 0));
	EXPECT_EQ(-1, pread(fd, buf, 1, at));
	EXPECT_EQ(EIO, errno);
	/* ... and a reset repairs it. */
	dax_fill(buf, DAX_SECTOR, NEW, at - at % DAX_SECTOR);
	EXPECT_EQ(DAX_SECTOR, dax_rw2(fd, true, buf, DAX_SECTOR, at - at % DAX_SECTOR, RESET));
	EXPECT_EQ(0, dax_badblocks_count(&self->dev));
	EXPECT_EQ(FLEN, pread(fd, buf, FLEN, 0));
out:
	free(buf);
	close(fd);
}

/* Make every clear of a reset fail, until dax_fault_disarm(). */
static int fail_every_clear(const struct dax_dev *dev)
{
	return dax_fault_arm(dev, "clear", NULL, 0, 0) ?: dax_fault_persist(dev, "clear");
}

/*
 * A clear that fails leaves its page as it was: the reset returns the bytes
 * of the pages before it, or EIO if it is the first.
 */
TEST_F(fs, reset_clear_fails)
{
	const struct range bad[] = { { 2 * DAX_PAGE + 3 * DAX_SECTOR, DAX_SECTOR } };
	uint8_t *buf = malloc(FLEN);
	int fd;

	ASSERT_NE(NULL, buf);
	if (!damage_recovers(_metadata, &self->dev, &self->poisoned, &fd, bad, 1))
		goto out;
	/* Pages 1 (clean) and 2 (poisoned): page 1 is written, page 2 is not. */
	ASSERT_EQ(0, fail_every_clear(&self->dev));
	dax_fill(buf, 2 * DAX_PAGE, NEW, DAX_PAGE);
	EXPECT_EQ(DAX_PAGE, dax_rw2(fd, true, buf, 2 * DAX_PAGE, DAX_PAGE, RESET));
	/* Page 2 alone: nothing written. */
	EXPECT_EQ(-EIO, dax_rw2(fd, true, buf + DAX_PAGE, DAX_PAGE, 2 * DAX_PAGE, RESET));
	/* The poison and the page's good bytes are as they were. */
	EXPECT_EQ(1, dax_badblocks_count(&self->dev));
	memset(buf, 0xa5, FLEN);
	ASSERT_EQ(FLEN, dax_rw2(fd, false, buf, FLEN, 0, IGNORE));
	EXPECT_EQ(-1, dax_check(buf + DAX_PAGE, DAX_PAGE, NEW, DAX_PAGE));
	EXPECT_EQ(-1, check_ignored(buf + 2 * DAX_PAGE, 2 * DAX_PAGE, FLEN - 2 * DAX_PAGE,
				    bad, 1));
	/* Without the injected failure the same reset succeeds. */
	ASSERT_EQ(0, dax_fault_disarm(&self->dev, "clear"));
	dax_fill(buf, DAX_PAGE, NEW, 2 * DAX_PAGE);
	EXPECT_EQ(DAX_PAGE, dax_rw2(fd, true, buf, DAX_PAGE, 2 * DAX_PAGE, RESET));
	EXPECT_EQ(0, dax_badblocks_count(&self->dev));
out:
	free(buf);
	close(fd);
}

/*
 * A read of the whole file with @flags returns the pattern, new in
 * [@new, @new_end) and zeros in [@zero, @zero_end). Returns the first offset
 * that differs (0 if the read came up short), or -1.
 */
static off_t check_file(int fd, uint8_t *buf, int flags, off_t new, off_t new_end,
			off_t zero, off_t zero_end)
{
	memset(buf, 0xa5, FLEN);
	if (dax_rw2(fd, false, buf, FLEN, 0, flags) != FLEN)
		return 0;
	for (off_t i = 0; i < FLEN; i++) {
		uint8_t want = dax_pattern(OLD, i);

		if (i >= new && i < new_end)
			want = dax_pattern(NEW, i);
		else if (i >= zero && i < zero_end)
			want = 0;
		if (buf[i] != want)
			return i;
	}
	return -1;
}

/*
 * A reset that would extend the file and fails (the clear of the poisoned
 * last page fails): the file keeps its size and content, and the file
 * system cleans up the blocks it allocated beyond the end (on ext4 that
 * cleanup truncates, which takes the invalidate lock the reset holds).
 * Unarmed, the same reset extends the file.
 */
TEST_F(fs, reset_extend_fails)
{
	const struct range bad[] = { { (PAGES - 1) * DAX_PAGE + DAX_SECTOR, DAX_SECTOR } };
	const off_t off = (PAGES - 1) * DAX_PAGE + 500;
	const size_t len = 2 * DAX_PAGE;
	uint8_t *buf = malloc(FLEN + 2 * DAX_PAGE);
	struct stat st;
	int fd;

	ASSERT_NE(NULL, buf);
	if (!damage_recovers(_metadata, &self->dev, &self->poisoned, &fd, bad, 1))
		goto out;
	ASSERT_EQ(0, fail_every_clear(&self->dev));
	dax_fill(buf, len, NEW, off);
	EXPECT_EQ(-EIO, dax_rw2(fd, true, buf, len, off, RESET));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(FLEN, st.st_size);
	EXPECT_EQ(1, dax_badblocks_count(&self->dev));
	ASSERT_EQ(0, dax_fault_disarm(&self->dev, "clear"));
	EXPECT_EQ((ssize_t)len, dax_rw2(fd, true, buf, len, off, RESET));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(off + (off_t)len, st.st_size);
	EXPECT_EQ(0, dax_badblocks_count(&self->dev));
	memset(buf, 0xa5, FLEN + 2 * DAX_PAGE);
	ASSERT_EQ(off + (ssize_t)len, pread(fd, buf, FLEN + 2 * DAX_PAGE, 0));
	EXPECT_EQ(-1, dax_check(buf, off, OLD, 0));
	EXPECT_EQ(-1, dax_check(buf + off, len, NEW, off));
out:
	free(buf);
	close(fd);
}

/*
 * A clear that fails once: a mapping for a reset reaches up to and
 * including the first page with poison (page 2, after the clean page 1), so
 * the driver stops inside it; the DAX core tries page 2 again with a new
 * mapping and the reset succeeds, with every byte of the user's where it
 * belongs: the driver took from the iterator exactly what it wrote.
 */
TEST_F(fs, reset_clear_fails_once)
{
	const struct range bad[] = { { 2 * DAX_PAGE + 3 * DAX_SECTOR, DAX_SECTOR } };
	const off_t off = DAX_PAGE + 100;
	const size_t len = 2 * DAX_PAGE;
	uint8_t *buf = malloc(FLEN);
	int fd;

	ASSERT_NE(NULL, buf);
	ASSERT_TRUE(damage(&self->dev, &self->poisoned, &fd, bad, ARRAY_SIZE(bad)));
	if (!dax_driver_recovers(&self->dev)) {
		expect_unsupported(_metadata, fd, &bad[0]);
		goto out;
	}
	/* The clear of page 2 fails once. */
	ASSERT_EQ(0, dax_fault_arm(&self->dev, "clear", NULL, 0, 0));
	dax_fill(buf, len, NEW, off);
	EXPECT_EQ((ssize_t)len, dax_rw2(fd, true, buf, len, off, RESET));
	EXPECT_EQ(0, dax_badblocks_count(&self->dev));
	EXPECT_EQ(0, dax_fault_disarm(&self->dev, "clear"));
	EXPECT_EQ(-1, check_file(fd, buf, 0, off, off + len, 0, 0));
out:
	free(buf);
	close(fd);
}

/* Two pages of buffer, the second inaccessible; MAP_FAILED if not. */
static uint8_t *faulting_buffer(void)
{
	uint8_t *map = mmap(NULL, 2 * DAX_PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (map != MAP_FAILED && mprotect(map + DAX_PAGE, DAX_PAGE, PROT_NONE)) {
		munmap(map, 2 * DAX_PAGE);
		return MAP_FAILED;
	}
	return map;
}

/* One bad sector in each half of page 3, for the resets from a buffer that faults. */
static const struct range half_bad[] = {
	{ 3 * DAX_PAGE + 1 * DAX_SECTOR, DAX_SECTOR },	/* in the copied half */
	{ 3 * DAX_PAGE + 6 * DAX_SECTOR, DAX_SECTOR },	/* in the other half */
};

/*
 * The test file with half_bad marked bad, and a faulting_buffer() to reset
 * page 3 from; NULL, once a driver without recovery has been checked for
 * EOPNOTSUPP, if the driver does not recover.
 */
static uint8_t *faulting_reset(struct __test_metadata *_metadata, struct dax_dev *dev,
			       bool *poisoned, int *fd)
{
	uint8_t *map;

	ASSERT_TRUE(damage(dev, poisoned, fd, half_bad, ARRAY_SIZE(half_bad)));
	if (!dax_driver_recovers(dev)) {
		expect_unsupported(_metadata, *fd, &half_bad[0]);
		return NULL;
	}
	map = faulting_buffer();
	ASSERT_NE(MAP_FAILED, map);
	return map;
}

/*
 * A whole-page reset whose buffer faults half way: the half that could be
 * read is written (a short write) and the page is left as a reset of that
 * half leaves it: the bad sector in it repaired, the good bytes after it
 * kept, and the bad sector after it still lost (listed; plain reads stop
 * before it, IGNORE reads zero it). A buffer that faults at once writes
 * nothing and leaves the poison known. The pages that can be read are
 * pinned before the file system's locks, before anything is cleared, so
 * the result is the same on a bus that clears poison (@bus_clears,
 * injected), where a clear leaves what it cleared undefined: no byte the
 * reset did not write is trusted.
 */
static void buffer_faults(struct __test_metadata *_metadata, struct dax_dev *dev,
			  bool *poisoned, bool bus_clears)
{
	const size_t half = DAX_PAGE / 2;
	uint8_t *map, *buf = malloc(FLEN);
	int fd;

	ASSERT_NE(NULL, buf);
	map = faulting_reset(_metadata, dev, poisoned, &fd);
	if (!map)
		goto out;
	if (bus_clears) {
		ASSERT_EQ(0, dax_fault_arm(dev, "clear", "cleared", DAX_PAGE, 0));
		ASSERT_EQ(0, dax_fault_persist(dev, "clear"));
	}

	/*
	 * Nothing copied: nothing cleared or written, both sectors still
	 * known-bad, and EFAULT, as for any write from a buffer that cannot
	 * be read (the file system tried to fault it in).
	 */
	EXPECT_EQ(-EFAULT, dax_rw2(fd, true, map + DAX_PAGE, DAX_PAGE, 3 * DAX_PAGE, RESET));
	EXPECT_EQ(2, dax_badblocks_count(dev));
	memset(buf, 0xa5, FLEN);
	ASSERT_EQ(FLEN, dax_rw2(fd, false, buf, FLEN, 0, IGNORE));
	EXPECT_EQ(-1, check_ignored(buf, 0, FLEN, half_bad, ARRAY_SIZE(half_bad)));

	/* Half copied: a short write of that half; its bad sector is repaired. */
	dax_fill(map + DAX_PAGE - half, half, NEW, 3 * DAX_PAGE);
	EXPECT_EQ((ssize_t)half, dax_rw2(fd, true, map + DAX_PAGE - half, DAX_PAGE,
					 3 * DAX_PAGE, RESET));
	EXPECT_EQ(0, dax_sector_listed(dev, dax_file_sector(fd, half_bad[0].off)));
	EXPECT_EQ(1, dax_sector_listed(dev, dax_file_sector(fd, half_bad[1].off)));
	/* IGNORE: new half, old bytes, zeros at the sector the write did not touch. */
	EXPECT_EQ(-1, check_file(fd, buf, IGNORE, 3 * DAX_PAGE, 3 * DAX_PAGE + half,
				 half_bad[1].off, half_bad[1].off + half_bad[1].len));
	/* Plain reads stop before it. */
	EXPECT_EQ((ssize_t)half_bad[1].off, pread(fd, buf, FLEN, 0));
	if (bus_clears)
		EXPECT_EQ(0, dax_fault_disarm(dev, "clear"));
	munmap(map, 2 * DAX_PAGE);
out:
	free(buf);
	close(fd);
}

TEST_F(fs, reset_buffer_faults)
{
	buffer_faults(_metadata, &self->dev, &self->poisoned, false);
}

TEST_F(fs, reset_buffer_faults_bus_cleared)
{
	buffer_faults(_metadata, &self->dev, &self->poisoned, true);
}

/* Zaps the page table entries of a buffer over and over (a stand-in for reclaim). */
struct zapper {
	uint8_t *map;
	size_t len;
	int stop;
	long zaps;
};

static void *zap(void *arg)
{
	struct zapper *z = arg;

	while (!__atomic_load_n(&z->stop, __ATOMIC_ACQUIRE)) {
		madvise(z->map, z->len, MADV_DONTNEED);
		z->zaps++;
	}
	return NULL;
}

/*
 * A reset pins the pages of the user's buffer before the file system
 * takes the lock that keeps page faults out, and copies from them: a page
 * of the buffer whose mapping is gone by then (reclaimed, migrated) must
 * never make the reset short. The buffer here is a shared mapping of a
 * memfd whose page table entries another thread drops all the time, so
 * that its pages are resident in the page cache but often not mapped.
 */
TEST_F(fs, reset_buffer_evicted)
{
	const int rounds = 64;
	struct zapper z = { .len = FLEN };
	uint8_t *buf = malloc(FLEN);
	pthread_t thread;
	int fd, mfd;

	ASSERT_NE(NULL, buf);
	fd = create("evicted");
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, dax_write_pattern(fd, 0, FLEN, OLD));
	if (!dax_driver_recovers(&self->dev)) {
		EXPECT_EQ(-EOPNOTSUPP, dax_rw2(fd, true, buf, FLEN, 0, RESET));
		goto out;
	}
	mfd = memfd_create("reset-buffer", 0);
	ASSERT_GE(mfd, 0);
	ASSERT_EQ(0, ftruncate(mfd, FLEN));
	z.map = mmap(NULL, FLEN, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, z.map);
	dax_fill(z.map, FLEN, NEW, 0);
	ASSERT_EQ(0, pthread_create(&thread, NULL, zap, &z));
	self->poisoned = true;
	for (int i = 0; i < rounds; i++) {
		/* A bad sector in every page, so that every page is repaired. */
		for (int p = 0; p < PAGES; p++)
			ASSERT_LE(0, dax_poison_file(&self->dev, fd,
						     p * DAX_PAGE + (i + p) % 8 * DAX_SECTOR, 1));
		ASSERT_EQ(FLEN, dax_rw2(fd, true, z.map, FLEN, 0, RESET)) TH_LOG("round %d", i);
		ASSERT_EQ(0, dax_badblocks_count(&self->dev)) TH_LOG("round %d", i);
	}
	__atomic_store_n(&z.stop, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(-1, check_file(fd, buf, 0, 0, FLEN, 0, 0));
	TH_LOG("%d resets of %d pages against %ld zaps of the buffer", rounds, PAGES, z.zaps);
	munmap(z.map, FLEN);
	close(mfd);
out:
	free(buf);
	close(fd);
}

/* Shared between the racers and the test. */
struct race {
	int stop;
	long reads, faults, sigbus, torn;
};

#define STOPPED(r)	__atomic_load_n(&(r)->stop, __ATOMIC_ACQUIRE)
#define COUNT(x)	__atomic_fetch_add(&(x), 1, __ATOMIC_RELAXED)

/* Is @p the page before the repair (old, zeros at @bad) or after (new)? */
static bool whole_state(const uint8_t *p, off_t page, const struct range *bad, int nbad)
{
	return check_ignored(p, page, DAX_PAGE, bad, nbad) < 0 ||
	       dax_check(p, DAX_PAGE, NEW, page) < 0;
}

static void race_reader(int fd, off_t page, const struct range *bad, int nbad,
			struct race *r)
{
	uint8_t buf[DAX_PAGE];

	while (!STOPPED(r)) {
		if (dax_rw2(fd, false, buf, DAX_PAGE, page, IGNORE) != DAX_PAGE ||
		    !whole_state(buf, page, bad, nbad))
			COUNT(r->torn);
		COUNT(r->reads);
	}
	_exit(0);
}

static sigjmp_buf fault_env;

static void on_sigbus(int sig)
{
	siglongjmp(fault_env, 1);
}

/* Faults the page in and copies it; SIGBUS while it holds poison. */
static void race_faulter(int fd, off_t page, struct race *r)
{
	uint8_t copy[DAX_PAGE];
	uint8_t *map;

	signal(SIGBUS, on_sigbus);
	map = mmap(NULL, DAX_PAGE, PROT_READ, MAP_SHARED, fd, page);
	if (map == MAP_FAILED)
		_exit(1);
	while (!STOPPED(r)) {
		if (sigsetjmp(fault_env, 1)) {
			COUNT(r->sigbus);
			continue;
		}
		memcpy(copy, map, DAX_PAGE);
		/* Poisoned pages cannot be mapped: a copy is the repaired page. */
		if (dax_check(copy, DAX_PAGE, NEW, page) >= 0)
			COUNT(r->torn);
		COUNT(r->faults);
		/* Drop the mapping of the page so that the next copy faults again. */
		madvise(map, DAX_PAGE, MADV_DONTNEED);
	}
	_exit(0);
}

/*
 * Readers (with the flag) and a page-faulter race resets of a poisoned page:
 * none of them ever sees the page half repaired.
 */
TEST_F(fs, race_reset)
{
	const off_t page = 3 * DAX_PAGE;
	const struct range bad[] = {
		{ page + DAX_SECTOR, DAX_SECTOR },
		{ page + 5 * DAX_SECTOR, DAX_SECTOR },
	};
	struct race *r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	long reads = 0, faults = 0, sigbus = 0;
	uint8_t data[DAX_PAGE];
	pid_t pids[3];
	int fd, status;

	ASSERT_NE(MAP_FAILED, r);
	if (!damage_recovers(_metadata, &self->dev, &self->poisoned, &fd, bad, 2)) {
		close(fd);
		return;
	}
	dax_fill(data, DAX_PAGE, NEW, page);
	for (int round = 0; round < 10; round++) {
		memset((void *)r, 0, sizeof(*r));
		for (int i = 0; i < 3; i++) {
			pids[i] = fork();
			ASSERT_GE(pids[i], 0);
			if (pids[i] == 0) {
				if (i < 2)
					race_reader(fd, page, bad, 2, r);
				race_faulter(fd, page, r);
			}
		}
		usleep(20000);
		ASSERT_EQ(DAX_PAGE, dax_rw2(fd, true, data, DAX_PAGE, page, RESET));
		usleep(20000);
		__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
		for (int i = 0; i < 3; i++) {
			ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
			EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		}
		EXPECT_EQ(0, r->torn)
			TH_LOG("round %d: %ld reads, %ld faults, %ld SIGBUS", round, r->reads,
			       r->faults, r->sigbus);
		EXPECT_GT(r->reads, 0);
		reads += r->reads;
		faults += r->faults;
		sigbus += r->sigbus;
		EXPECT_EQ(0, dax_badblocks_count(&self->dev));
		/* Damage the page again for the next round. */
		ASSERT_EQ(0, dax_write_pattern(fd, page, DAX_PAGE, OLD));
		ASSERT_LE(0, dax_poison_file(&self->dev, fd, bad[0].off, 1));
		ASSERT_LE(0, dax_poison_file(&self->dev, fd, bad[1].off, 1));
	}
	TH_LOG("10 resets raced by %ld flagged reads, %ld faults on the repaired page, %ld SIGBUS",
	       reads, faults, sigbus);
	/* The faulter met the poison before the repairs and the page after them. */
	EXPECT_GT(faults, 0);
	EXPECT_GT(sigbus, 0);
	close(fd);
	munmap(r, sizeof(*r));
}

TEST_HARNESS_MAIN
