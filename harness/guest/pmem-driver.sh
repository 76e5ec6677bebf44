#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# pmem-driver.sh DRIVER: make DRIVER (nd_pmem or rust_pmem) the pmem driver:
# unload the other one, load DRIVER; namespaces rebind to it. nd_pmem
# answers the namespaces' module aliases (nd:t4*, nd:t5*), which ndctl
# (libkmod) loads whenever it enables a namespace, and rust_pmem answers
# none: with rust_pmem, nd_pmem is blacklisted, as modprobe.d(5) has it for
# a choice between drivers. (Per namespace, driver_override chooses; the
# dax_driver selftests' driver_override case shows it.)
drv=${1:?usage: pmem-driver.sh nd_pmem|rust_pmem}
conf=/etc/modprobe.d/daxvm-pmem.conf
mkdir -p /etc/modprobe.d
rm -f "$conf"
for other in nd_pmem rust_pmem; do
	[ "$other" = "$drv" ] && continue
	modprobe -r "$other" 2>/dev/null
	echo "blacklist $other" >> "$conf"
done
modprobe "$drv"
