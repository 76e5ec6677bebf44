/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The three ways the dax_recovery selftests submit a flagged read or write:
 * preadv2/pwritev2, io_uring (liburing) and aio (libaio). Programs that use
 * them link dax_io.o with the libraries the Makefile found; a path whose
 * library is missing is not built (DAX_HAVE_LIBURING, DAX_HAVE_LIBAIO).
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
#ifdef DAX_HAVE_LIBURING
ssize_t dax_uring_rw(int fd, bool write, void *buf, size_t len, off_t off, int flags);
#define DAX_URING_PATHS	1
#else
#define DAX_URING_PATHS	0
#endif
#ifdef DAX_HAVE_LIBAIO
ssize_t dax_aio_rw(int fd, bool write, void *buf, size_t len, off_t off, int flags);
#define DAX_AIO_PATHS	1
#else
#define DAX_AIO_PATHS	0
#endif

struct dax_path {
	const char *name;
	dax_rw_fn fn;
};

/* The paths built, preadv2/pwritev2 first. */
#define DAX_NPATHS	(1 + DAX_URING_PATHS + DAX_AIO_PATHS)
extern const struct dax_path dax_paths[DAX_NPATHS];

/* Why a path was left out of the build ("no liburing"), or NULL. */
extern const char *const dax_paths_missing;

#endif
