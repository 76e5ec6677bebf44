// SPDX-License-Identifier: GPL-2.0

#include <linux/uio.h>

__rust_helper bool rust_helper_user_backed_iter(const struct iov_iter *i)
{
	return user_backed_iter(i);
}

__rust_helper void __user *rust_helper_iter_iov_addr(const struct iov_iter *i)
{
	return iter_iov_addr(i);
}

__rust_helper size_t rust_helper_iter_iov_len(const struct iov_iter *i)
{
	return iter_iov_len(i);
}
