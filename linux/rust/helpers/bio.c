// SPDX-License-Identifier: GPL-2.0

#include <linux/bio.h>
#include <linux/blkdev.h>

__rust_helper void rust_helper_bio_end_io_acct(struct bio *bio,
					       unsigned long start_time)
{
	bio_end_io_acct(bio, start_time);
}

__rust_helper bool rust_helper_blk_queue_io_stat(struct request_queue *q)
{
	return blk_queue_io_stat(q);
}

__rust_helper struct kernfs_node *rust_helper_disk_badblocks_file(struct gendisk *disk)
{
	return sysfs_get_dirent(disk_to_dev(disk)->kobj.sd, "badblocks");
}
