#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# pmem-driver.sh DRIVER: make DRIVER (nd_pmem or rust_pmem) the pmem driver:
# unload the other one, load DRIVER; namespaces rebind to it. While it is
# not the driver, nd_pmem is also kept from loading again: ndctl (libkmod)
# loads it by its module alias whenever it enables a namespace. rust_pmem
# has no alias and needs no such guard.
drv=${1:?usage: pmem-driver.sh nd_pmem|rust_pmem}
conf=/etc/modprobe.d/daxvm-pmem.conf
mkdir -p /etc/modprobe.d
rm -f "$conf"
for other in nd_pmem rust_pmem; do
	[ "$other" = "$drv" ] || modprobe -r "$other" 2>/dev/null
done
[ "$drv" = nd_pmem ] || echo "install nd_pmem /bin/true" > "$conf"
modprobe "$drv"
