// SPDX-License-Identifier: GPL-2.0

#include <linux/bio.h>
#include <linux/blkdev.h>

__rust_helper bool rust_helper_op_is_write(blk_opf_t op)
{
	return op_is_write(op);
}

__rust_helper bool rust_helper_bio_has_data(struct bio *bio)
{
	return bio_has_data(bio);
}

__rust_helper struct bio_vec rust_helper_bio_iter_iovec(struct bio *bio,
							struct bvec_iter iter)
{
	return bio_iter_iovec(bio, iter);
}

__rust_helper void rust_helper_bio_advance_iter_single(const struct bio *bio,
						       struct bvec_iter *iter,
						       unsigned int bytes)
{
	bio_advance_iter_single(bio, iter, bytes);
}

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
