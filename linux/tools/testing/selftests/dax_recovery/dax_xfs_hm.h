/* SPDX-License-Identifier: GPL-2.0 */
/*
 * XFS's health monitor (XFS_IOC_HEALTH_MONITOR, output format 0), as
 * fs/xfs/libxfs/xfs_fs.h defines it; the xfsprogs headers installed may
 * predate it. Used to learn which file ranges a DAX read could not return.
 */
#ifndef DAX_RECOVERY_XFS_HM_H
#define DAX_RECOVERY_XFS_HM_H

#include <stdint.h>
#include <sys/ioctl.h>

struct dax_hm_req {
	uint64_t flags;
	uint8_t format;		/* 0 */
	uint8_t pad[23];
};

struct dax_hm_event {
	uint32_t domain, type;
	uint64_t time_ns;
	union {
		struct {
			uint64_t pos, len, ino;
			uint32_t gen, error;
		} filerange;
		struct {
			uint64_t count;
		} lost;
		uint64_t raw[4];
	} e;
	uint64_t pad[2];
};

#define DAX_HM_IOC		_IOW('X', 68, struct dax_hm_req)
#define DAX_HM_DOMAIN_FILERANGE	8
#define DAX_HM_TYPE_LOST	1	/* the monitor dropped events */
#define DAX_HM_TYPE_DIOREAD	10
#define DAX_HM_TYPE_DATALOST	12

#endif
