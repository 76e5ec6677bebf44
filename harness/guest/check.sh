#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM: the dax_recovery kselftests through the kernel's own
# runner (KTAP on stdout), once per pmem driver: the C nd_pmem and the Rust
# rust_pmem. Before each run pmem-driver.sh unloads the other driver, keeps
# it from being autoloaded, and loads this one; namespaces rebind to it. Each run is preceded by a
# "# daxvm-suite: <driver>" marker that the host's summary groups by.
# Arguments are passed to run_kselftest.sh, so "-t dax_recovery:dax_testbed"
# runs one program. DAXVM_DRIVERS overrides the list of drivers.
cd /opt/kselftest || exit 1
rc=0
for drv in ${DAXVM_DRIVERS:-nd_pmem rust_pmem}; do
	if ! /opt/daxvm/pmem-driver.sh "$drv"; then
		echo "# daxvm-suite: $drv"
		echo "not ok 1 load $drv"
		rc=1
		continue
	fi
	echo "# daxvm-suite: $drv"
	echo "daxvm: pmem driver $drv"
	DAXVM_PMEM_DRIVER=$drv DAX_RECOVERY_DRIVER=$drv ./run_kselftest.sh "$@" || rc=1
done
exit $rc
