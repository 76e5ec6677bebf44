// SPDX-License-Identifier: GPL-2.0

#include <linux/libnvdimm.h>
#include <linux/nd.h>

__rust_helper int rust_helper_dev_to_node(struct device *dev)
{
	return dev_to_node(dev);
}

#if IS_BUILTIN(CONFIG_LIBNVDIMM)
#include "../../drivers/nvdimm/nd.h"

__rust_helper u32 rust_helper_nd_info_block_reserve(void)
{
	return nd_info_block_reserve();
}

__rust_helper struct nd_namespace_io *
rust_helper_to_nd_namespace_io(const struct device *dev)
{
	return to_nd_namespace_io(dev);
}
#endif
