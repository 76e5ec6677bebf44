// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the dax_recovery selftests; see dax_common.h.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <poll.h>
#include <termios.h>
#include <time.h>

#include "dax_common.h"

#define NDBUS "/sys/bus/nd/devices"
#define QUIET ">/dev/null 2>&1"

static int read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int dax_run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int dax_sysfs_read(const struct dax_dev *dev, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/block/%s/%s", dev->name, attr);
	return read_file(path, buf, len);
}

/* Fill @dev from a block device name; it must be a DAX-capable pmem disk. */
static int dev_from_block(struct dax_dev *dev, const char *name, char *why, size_t whylen)
{
	char buf[64];

	memset(dev, 0, sizeof(*dev));
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	snprintf(dev->path, sizeof(dev->path), "/dev/%s", name);
	if (dax_sysfs_read(dev, "size", buf, sizeof(buf))) {
		snprintf(why, whylen, "%s: no such block device", dev->path);
		return -1;
	}
	dev->size = strtoull(buf, NULL, 10) * DAX_SECTOR;
	if (dax_sysfs_read(dev, "queue/dax", buf, sizeof(buf)) || strcmp(buf, "1")) {
		snprintf(why, whylen, "%s does not support DAX (not an fsdax namespace)",
			 dev->path);
		return -1;
	}
	return 0;
}

/* The block device of namespace @ns (through its pfn claim in fsdax mode). */
static int ns_block(const char *ns, char *name, size_t len)
{
	char path[PATH_MAX], holder[64];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), NDBUS "/%s/holder", ns);
	if (read_file(path, holder, sizeof(holder)) || !holder[0])
		snprintf(holder, sizeof(holder), "%s", ns);
	snprintf(path, sizeof(path), NDBUS "/%s/block", holder);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(name, len, "%s", de->d_name);
		closedir(d);
		return 0;
	}
	closedir(d);
	return -1;
}

/* Find the namespace named DAX_NS_NAME; fills @ns. */
static int find_named_ns(char *ns, size_t len)
{
	char path[PATH_MAX], buf[64];
	struct dirent *de;
	DIR *d;
	int ret = -1;

	d = opendir(NDBUS);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "namespace", 9))
			continue;
		snprintf(path, sizeof(path), NDBUS "/%s/alt_name", de->d_name);
		if (read_file(path, buf, sizeof(buf)) || strcmp(buf, DAX_NS_NAME))
			continue;
		snprintf(ns, len, "%s", de->d_name);
		ret = 0;
		break;
	}
	closedir(d);
	return ret;
}

int dax_find_dev(struct dax_dev *dev, char *why, size_t whylen)
{
	const char *env = getenv("DAX_RECOVERY_DEV");
	const char *env_ns = getenv("DAX_RECOVERY_NS");
	char ns[64], blk[32], path[PATH_MAX], mode[32];

	if (env && *env) {
		const char *base = strrchr(env, '/');

		return dev_from_block(dev, base ? base + 1 : env, why, whylen);
	}
	if (access(NDBUS, F_OK)) {
		snprintf(why, whylen, "no libnvdimm bus (" NDBUS " missing): no persistent memory");
		return -1;
	}
	if (env_ns && *env_ns) {
		/* a given namespace, in fsdax mode (a label-less region's has no name) */
		snprintf(ns, sizeof(ns), "%s", env_ns);
		snprintf(path, sizeof(path), NDBUS "/%s/mode", ns);
		if (!read_file(path, mode, sizeof(mode)) && strcmp(mode, "memory") &&
		    dax_run("ndctl create-namespace -f -e %s --mode=fsdax --map=dev %s",
			    ns, QUIET)) {
			snprintf(why, whylen, "could not reconfigure %s (DAX_RECOVERY_NS) to fsdax",
				 ns);
			return -1;
		}
	} else if (find_named_ns(ns, sizeof(ns))) {
		if (dax_run("ls -d " NDBUS "/region* >/dev/null 2>&1")) {
			snprintf(why, whylen, "no persistent memory regions on the nvdimm bus");
			return -1;
		}
		if (dax_run("command -v ndctl >/dev/null 2>&1")) {
			snprintf(why, whylen, "no '%s' namespace and no ndctl to create one; "
				 "set DAX_RECOVERY_DEV=/dev/pmemN to a scratch fsdax device",
				 DAX_NS_NAME);
			return -1;
		}
		if (dax_run("ndctl create-namespace --mode=fsdax --map=dev --name=%s %s",
			    DAX_NS_NAME, QUIET) || find_named_ns(ns, sizeof(ns))) {
			snprintf(why, whylen, "could not create a '%s' fsdax namespace %s",
				 DAX_NS_NAME, "(no free region capacity?); set DAX_RECOVERY_DEV");
			return -1;
		}
	}
	snprintf(path, sizeof(path), NDBUS "/%s/mode", ns);
	if (read_file(path, mode, sizeof(mode)) || strcmp(mode, "memory")) {
		snprintf(why, whylen, "namespace %s ('%s') is in mode '%s', not fsdax",
			 ns, DAX_NS_NAME, mode);
		return -1;
	}
	if (ns_block(ns, blk, sizeof(blk))) {
		snprintf(why, whylen, "namespace %s has no block device (no pmem driver?)", ns);
		return -1;
	}
	if (dev_from_block(dev, blk, why, whylen))
		return -1;
	snprintf(dev->ns, sizeof(dev->ns), "%s", ns);
	return 0;
}

int dax_mkfs(const struct dax_dev *dev, const char *fstype)
{
	if (!strcmp(fstype, "ext4"))
		return dax_run("mkfs.ext4 -q -F -b 4096 -E nodiscard %s %s", dev->path, QUIET);
	if (!strcmp(fstype, "xfs"))
		return dax_run("mkfs.xfs -q -f -K %s %s", dev->path, QUIET);
	/* with the reverse-mapping btree: memory_failure() can find the owner */
	if (!strcmp(fstype, "xfs-rmapbt"))
		return dax_run("mkfs.xfs -q -f -K -m rmapbt=1 %s %s", dev->path, QUIET);
	return -1;
}

int dax_mount(const struct dax_dev *dev, const char *fstype, const char *mnt)
{
	if (!strncmp(fstype, "xfs-", 4))
		fstype = "xfs";
	mkdir(mnt, 0755);
	return mount(dev->path, mnt, fstype, 0, "dax") ? -errno : 0;
}

int dax_umount(const char *mnt)
{
	return umount(mnt) ? -errno : 0;
}

bool dax_file_is_dax(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx))
		return false;
	return (stx.stx_attributes_mask & STATX_ATTR_DAX) &&
	       (stx.stx_attributes & STATX_ATTR_DAX);
}

int64_t dax_file_sector(int fd, off_t off)
{
	struct {
		struct fiemap fm;
		struct fiemap_extent ext[1];
	} f;
	struct fiemap_extent *e = &f.fm.fm_extents[0];

	memset(&f, 0, sizeof(f));
	f.fm.fm_start = off;
	f.fm.fm_length = 1;
	f.fm.fm_flags = FIEMAP_FLAG_SYNC;
	f.fm.fm_extent_count = 1;
	if (ioctl(fd, FS_IOC_FIEMAP, &f.fm) || f.fm.fm_mapped_extents != 1)
		return -1;
	if (e->fe_flags & (FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_UNWRITTEN |
			   FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_ENCODED))
		return -1;
	if (off < (off_t)e->fe_logical || off >= (off_t)(e->fe_logical + e->fe_length))
		return -1;
	return (int64_t)((e->fe_physical + (off - e->fe_logical)) / DAX_SECTOR);
}

int dax_mark_bad(const struct dax_dev *dev, uint64_t sector, uint64_t count)
{
	char path[PATH_MAX], buf[64];
	int fd, n, ret = 0;

	snprintf(path, sizeof(path), "/sys/block/%s/badblocks", dev->name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%llu %llu", (unsigned long long)sector,
		     (unsigned long long)count);
	if (write(fd, buf, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

int dax_badblocks_count(const struct dax_dev *dev)
{
	char path[PATH_MAX], line[128];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/block/%s/badblocks", dev->name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

int dax_badblocks_read(const struct dax_dev *dev, struct dax_bb *bb, int max)
{
	char path[PATH_MAX];
	unsigned long long s, c;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/block/%s/badblocks", dev->name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (n < max && fscanf(f, "%llu %llu", &s, &c) == 2) {
		bb[n].sector = s;
		bb[n].count = c;
		n++;
	}
	fclose(f);
	return n;
}

int dax_sector_listed(const struct dax_dev *dev, int64_t sector)
{
	struct dax_bb bb[DAX_BB_MAX];
	int n = dax_badblocks_read(dev, bb, DAX_BB_MAX);

	if (n < 0 || sector < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if ((uint64_t)sector >= bb[i].sector &&
		    (uint64_t)sector - bb[i].sector < bb[i].count)
			return 1;
	return 0;
}

int dax_reset_badblocks(struct dax_dev *dev)
{
	char why[256];

	if (!dev->ns[0])
		return -1;
	if (dax_run("ndctl disable-namespace %s %s", dev->ns, QUIET) ||
	    dax_run("ndctl enable-namespace %s %s", dev->ns, QUIET))
		return -1;
	return dax_find_dev(dev, why, sizeof(why));
}

/* The nvdimm bus directory ("/sys/devices/.../ndbus0") above the device. */
static int bus_dir(const struct dax_dev *dev, char *dir, size_t len)
{
	char path[PATH_MAX], real[PATH_MAX], *p, *end;

	snprintf(path, sizeof(path), "/sys/block/%s/device", dev->name);
	if (!realpath(path, real))
		return -1;
	p = strstr(real, "/ndbus");
	if (!p)
		return -1;
	end = strchr(p + 1, '/');
	if (end)
		*end = '\0';
	snprintf(dir, len, "%s", real);
	return 0;
}

enum dax_bus_kind dax_bus_kind(const struct dax_dev *dev)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], buf[256];

	if (bus_dir(dev, dir, sizeof(dir)))
		return DAX_BUS_UNKNOWN;
	snprintf(path, sizeof(path), "%s/provider", dir);
	if (read_file(path, buf, sizeof(buf)))
		return DAX_BUS_UNKNOWN;
	/* the buses registered without an ndctl callback */
	if (!strcmp(buf, "e820") || !strncmp(buf, "of_pmem", 7) ||
	    !strcmp(buf, "virtio_pmem"))
		return DAX_BUS_NO_COMMANDS;
	snprintf(path, sizeof(path), "%s/commands", dir);
	if (read_file(path, buf, sizeof(buf)))
		return DAX_BUS_UNKNOWN;
	if (strstr(buf, "ars_cap") && strstr(buf, "clear_error"))
		return DAX_BUS_CLEAR_ERROR;
	return DAX_BUS_NO_CLEAR_ERROR;
}

enum dax_bus_kind dax_bus_declared(const struct dax_dev *dev)
{
	const char *env = getenv("DAX_RECOVERY_BUS");

	if (!env || !*env)
		return dax_bus_kind(dev);
	if (!strcmp(env, "clear-error"))
		return DAX_BUS_CLEAR_ERROR;
	if (!strcmp(env, "no-commands"))
		return DAX_BUS_NO_COMMANDS;
	if (!strcmp(env, "no-clear-error"))
		return DAX_BUS_NO_CLEAR_ERROR;
	return DAX_BUS_UNKNOWN;
}

void dax_fill(uint8_t *buf, size_t len, uint32_t seed, uint64_t off)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = dax_pattern(seed, off + i);
}

ssize_t dax_check(const uint8_t *buf, size_t len, uint32_t seed, uint64_t off)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != dax_pattern(seed, off + i))
			return (ssize_t)i;
	return -1;
}

int dax_write_pattern(int fd, off_t off, size_t len, uint32_t seed)
{
	uint8_t *buf = malloc(len ? len : 1);
	ssize_t n;
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	dax_fill(buf, len, seed, off);
	n = pwrite(fd, buf, len, off);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	else if (fsync(fd))
		ret = -errno;
	free(buf);
	return ret;
}

const char *dax_driver(const struct dax_dev *dev, char *buf, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;
	char *base;

	snprintf(path, sizeof(path), "/sys/block/%s/device/driver", dev->name);
	n = readlink(path, target, sizeof(target) - 1);
	buf[0] = '\0';
	if (n < 0)
		return buf;
	target[n] = '\0';
	base = strrchr(target, '/');
	snprintf(buf, len, "%s", base ? base + 1 : target);
	return buf;
}

bool dax_driver_recovers(const struct dax_dev *dev)
{
	char drv[64];

	dax_driver(dev, drv, sizeof(drv));
	return !strcmp(drv, "nd_pmem") || !strcmp(drv, "rust_pmem");
}

int64_t dax_poison_file(const struct dax_dev *dev, int fd, off_t off, uint64_t count)
{
	int64_t sector = dax_file_sector(fd, off);

	if (sector < 0 || dax_file_sector(fd, off + (count - 1) * DAX_SECTOR) !=
			  sector + (int64_t)count - 1)
		return -1;	/* not one contiguous extent */
	if (dax_mark_bad(dev, sector, count))
		return -1;
	return sector;
}

#define DEBUGFS	"/sys/kernel/debug"

int dax_debugfs_write(const char *dir, const char *attr, const char *fmt, ...)
{
	static bool mounted;
	char path[PATH_MAX], val[64];
	va_list ap;
	int fd, n, ret = 0;

	if (!mounted) {
		if (dax_run("grep -q ' %s debugfs ' /proc/mounts || mount -t debugfs none %s",
			    DEBUGFS, DEBUGFS))
			return -ENODEV;
		mounted = true;
	}
	va_start(ap, fmt);
	n = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), DEBUGFS "/%s/%s", dir, attr);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

/* The debugfs directory of fault point @point of @dev's driver. */
static void fault_dir(char *dir, size_t len, const struct dax_dev *dev, const char *point)
{
	char drv[64];

	snprintf(dir, len, "%s_%s_%s", dax_driver(dev, drv, sizeof(drv)), point, dev->name);
}

int dax_fault_arm(const struct dax_dev *dev, const char *point, const char *pname,
		  long long param, long space)
{
	char dir[64];
	int ret;

	fault_dir(dir, sizeof(dir), dev, point);
	if (pname) {
		ret = dax_debugfs_write(dir, pname, "%lld", param);
		if (ret)
			return ret;
	}
	return dax_debugfs_write(dir, "verbose", "0") ?:
	       dax_debugfs_write(dir, "interval", "1") ?:
	       dax_debugfs_write(dir, "space", "%ld", space) ?:
	       dax_debugfs_write(dir, "probability", "100") ?:
	       dax_debugfs_write(dir, "times", "1");
}

int dax_fault_persist(const struct dax_dev *dev, const char *point)
{
	char dir[64];

	fault_dir(dir, sizeof(dir), dev, point);
	return dax_debugfs_write(dir, "times", "-1");
}

int dax_fault_disarm(const struct dax_dev *dev, const char *point)
{
	char dir[64];

	fault_dir(dir, sizeof(dir), dev, point);
	return dax_debugfs_write(dir, "times", "0") ?:
	       dax_debugfs_write(dir, "probability", "0") ?:
	       dax_debugfs_write(dir, "space", "0");
}

uint64_t dax_data_start(const struct dax_dev *dev)
{
	char path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path), "/sys/block/%s/device/resource", dev->name);
	if (read_file(path, buf, sizeof(buf)))
		return 0;
	return strtoull(buf, NULL, 0);
}

uint64_t dax_file_phys(const struct dax_dev *dev, int fd, off_t off)
{
	int64_t sector = dax_file_sector(fd, off);
	uint64_t start = dax_data_start(dev);

	if (sector < 0 || !start)
		return 0;
	return start + (uint64_t)sector * DAX_SECTOR + (uint64_t)(off % DAX_SECTOR);
}

static char mce_status[256];
static bool mce_recovered;

const char *dax_mce_status(void)
{
	return mce_status;
}

bool dax_mce_recovered(void)
{
	return mce_recovered;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The whole badblocks list of @dev, for comparison; empty if unreadable. */
static void badblocks_text(const struct dax_dev *dev, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/block/%s/badblocks", dev->name);
	if (read_file(path, buf, len))
		buf[0] = '\0';
}

/* Send "mce <phys>" on the injector's serial port; read its answer. */
static int mce_ask_host(uint64_t phys)
{
	char line[256];
	struct termios t;
	size_t n = 0;
	long long end;
	int fd, ret = -EIO;

	fd = open(DAX_MCE_TTY, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(mce_status, sizeof(mce_status), "%s: %s (no injector: not the test VM?)",
			 DAX_MCE_TTY, strerror(errno));
		return -ENODEV;
	}
	/* one request at a time on the line */
	flock(fd, LOCK_EX);
	/* raw: no echo of the answer back to the host, no line editing */
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		cfsetspeed(&t, B115200);
		tcsetattr(fd, TCSANOW, &t);
	}
	tcflush(fd, TCIOFLUSH);
	n = snprintf(line, sizeof(line), "mce %#llx\n", (unsigned long long)phys);
	if (write(fd, line, n) != (ssize_t)n) {
		snprintf(mce_status, sizeof(mce_status), "write %s: %s", DAX_MCE_TTY,
			 strerror(errno));
		goto out;
	}
	n = 0;
	end = now_ms() + DAX_MCE_WAIT_MS;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = end - now_ms();
		char c;

		if (left <= 0) {
			snprintf(mce_status, sizeof(mce_status),
				 "no answer from the injector on %s in %d ms", DAX_MCE_TTY,
				 DAX_MCE_WAIT_MS);
			ret = -ENODEV;
			goto out;
		}
		if (poll(&pfd, 1, left) <= 0)
			continue;
		if (read(fd, &c, 1) != 1)
			continue;
		if (c == '\r' || c == '\0')
			continue;
		if (c != '\n') {
			if (n < sizeof(line) - 1)
				line[n++] = c;
			continue;
		}
		line[n] = '\0';
		if (!strcmp(line, "ok")) {
			ret = 0;
			break;
		}
		if (!strncmp(line, "err", 3)) {
			snprintf(mce_status, sizeof(mce_status), "injector: %s", line);
			break;
		}
		n = 0;	/* anything else: not the answer */
	}
out:
	close(fd);
	return ret;
}

int dax_mce_inject(const struct dax_dev *dev, uint64_t phys)
{
	char want[64], rec[1024], before[4096], after[4096];
	unsigned long pfn = phys / DAX_PAGE;
	long long end;
	int kmsg, ret;

	mce_status[0] = '\0';
	mce_recovered = false;
	if (dev)
		badblocks_text(dev, before, sizeof(before));
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg < 0) {
		snprintf(mce_status, sizeof(mce_status), "/dev/kmsg: %s", strerror(errno));
		return -ENODEV;
	}
	lseek(kmsg, 0, SEEK_END);	/* only what the kernel says from now on */
	ret = mce_ask_host(phys);
	if (ret)
		goto out;

	/* memory_failure(), from the machine-check decode chain's work item */
	snprintf(want, sizeof(want), "Memory failure: %#lx: ", pfn);
	ret = -ETIME;
	end = now_ms() + DAX_MCE_WAIT_MS;
	while (ret == -ETIME && now_ms() < end) {
		struct pollfd pfd = { .fd = kmsg, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		while ((n = read(kmsg, rec, sizeof(rec) - 1)) != 0) {
			char *msg;

			if (n < 0) {
				if (errno == EPIPE)	/* records overwritten: go on */
					continue;
				break;
			}
			rec[n] = '\0';
			msg = strchr(rec, ';');
			msg = msg ? msg + 1 : rec;
			msg[strcspn(msg, "\n")] = '\0';
			if (strncmp(msg, want, strlen(want)))
				continue;
			snprintf(mce_status, sizeof(mce_status), "%s", msg);
			mce_recovered = strstr(msg, ": Recovered");
			ret = 0;
			break;
		}
	}
	if (ret) {
		snprintf(mce_status, sizeof(mce_status),
			 "no \"%s\" in the kernel log within %d ms", want, DAX_MCE_WAIT_MS);
		goto out;
	}
	if (!dev)
		goto out;

	/* ... and the bus's record of the line, in the disk's badblocks */
	ret = -ETIMEDOUT;
	end = now_ms() + DAX_MCE_WAIT_MS;
	do {
		badblocks_text(dev, after, sizeof(after));
		if (strcmp(before, after)) {
			ret = 0;
			break;
		}
		usleep(10000);
	} while (now_ms() < end);
	if (ret) {
		size_t l = strlen(mce_status);

		snprintf(mce_status + l, sizeof(mce_status) - l,
			 "; but %s's badblocks did not change within %d ms", dev->name,
			 DAX_MCE_WAIT_MS);
	}
out:
	close(kmsg);
	return ret;
}
