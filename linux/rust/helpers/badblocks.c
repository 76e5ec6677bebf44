// SPDX-License-Identifier: GPL-2.0

#include <linux/sysfs.h>

__rust_helper void rust_helper_sysfs_notify_dirent(struct kernfs_node *kn)
{
	sysfs_notify_dirent(kn);
}

__rust_helper void rust_helper_sysfs_put(struct kernfs_node *kn)
{
	sysfs_put(kn);
}
