// SPDX-License-Identifier: GPL-2.0
/* preadv2/pwritev2, io_uring and aio submissions for the dax_recovery selftests. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <sys/uio.h>
#ifdef DAX_HAVE_LIBAIO
#include <libaio.h>
#endif
#ifdef DAX_HAVE_LIBURING
#include <liburing.h>
#endif

#include "dax_io.h"

ssize_t dax_rw2(int fd, bool write, void *buf, size_t len, off_t off, int flags)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	ssize_t n;

	n = write ? pwritev2(fd, &iov, 1, off, flags) : preadv2(fd, &iov, 1, off, flags);
	return n < 0 ? -errno : n;
}

#ifdef DAX_HAVE_LIBURING
ssize_t dax_uring_rw(int fd, bool write, void *buf, size_t len, off_t off, int flags)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	ssize_t res;
	int ret;

	ret = io_uring_queue_init(4, &ring, 0);
	if (ret)
		return ret;
	sqe = io_uring_get_sqe(&ring);
	if (write)
		io_uring_prep_writev2(sqe, fd, &iov, 1, off, flags);
	else
		io_uring_prep_readv2(sqe, fd, &iov, 1, off, flags);
	ret = io_uring_submit(&ring);
	if (ret != 1) {
		io_uring_queue_exit(&ring);
		return ret < 0 ? ret : -EIO;
	}
	ret = io_uring_wait_cqe(&ring, &cqe);
	res = ret ? ret : cqe->res;
	if (!ret)
		io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	return res;
}

#endif

#ifdef DAX_HAVE_LIBAIO
ssize_t dax_aio_rw(int fd, bool write, void *buf, size_t len, off_t off, int flags)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct iocb cb, *cbs[1] = { &cb };
	struct io_event ev;
	io_context_t ctx = 0;
	ssize_t res;
	int ret;

	ret = io_setup(4, &ctx);
	if (ret)
		return ret;
	if (write)
		io_prep_pwritev2(&cb, fd, &iov, 1, off, flags);
	else
		io_prep_preadv2(&cb, fd, &iov, 1, off, flags);
	ret = io_submit(ctx, 1, cbs);
	if (ret != 1) {
		io_destroy(ctx);
		return ret < 0 ? ret : -EIO;	/* rejected at submission */
	}
	ret = io_getevents(ctx, 1, 1, &ev, NULL);
	res = ret == 1 ? (ssize_t)ev.res : -EIO;
	io_destroy(ctx);
	return res;
}

#endif

const struct dax_path dax_paths[DAX_NPATHS] = {
	{ "preadv2/pwritev2", dax_rw2 },
#ifdef DAX_HAVE_LIBURING
	{ "io_uring", dax_uring_rw },
#endif
#ifdef DAX_HAVE_LIBAIO
	{ "aio", dax_aio_rw },
#endif
};

const char *const dax_paths_missing =
#if !defined(DAX_HAVE_LIBURING) && !defined(DAX_HAVE_LIBAIO)
	"built without liburing and libaio: no io_uring and aio cases";
#elif !defined(DAX_HAVE_LIBURING)
	"built without liburing: no io_uring cases";
#elif !defined(DAX_HAVE_LIBAIO)
	"built without libaio: no aio cases";
#else
	NULL;
#endif
