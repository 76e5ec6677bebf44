// SPDX-License-Identifier: GPL-2.0

#include <linux/fault-inject.h>

#ifdef CONFIG_FAULT_INJECTION
__rust_helper void rust_helper_fault_attr_init(struct fault_attr *attr)
{
	*attr = (struct fault_attr)FAULT_ATTR_INITIALIZER;
}
#endif
