/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The three ways the dax_recovery selftests submit a flagged read or write:
 * preadv2/pwritev2, io_uring (liburing) and aio (libaio). Programs that use
 * them link dax_io.o with -luring -laio.
 */
#ifndef DAX_RECOVERY_IO_H
#define DAX_RECOVERY_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/fs.h>	/* RWF_* */

/*
 * Read or write @len bytes of @buf at @off of @fd with the RWF_* @flags.
 * Returns the bytes done, or -errno (a submission that is refused included).
 */
typedef ssize_t (*dax_rw_fn)(int fd, bool write, void *buf, size_t len, off_t off, int flags);

ssize_t dax_rw2(int fd, bool write, void *buf, size_t len, off_t off, int flags);
ssize_t dax_uring_rw(int fd, bool write, void *buf, size_t len, off_t off, int flags);
ssize_t dax_aio_rw(int fd, bool write, void *buf, size_t len, off_t off, int flags);

struct dax_path {
	const char *name;
	dax_rw_fn fn;
};

/* The three paths, preadv2/pwritev2 first. */
#define DAX_NPATHS	3
extern const struct dax_path dax_paths[DAX_NPATHS];

#endif
