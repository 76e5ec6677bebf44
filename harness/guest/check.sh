#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM: the dax_recovery kselftests through the kernel's own
# runner (KTAP on stdout). Arguments are passed to run_kselftest.sh, so
# "-t dax_recovery:dax_testbed" runs one program; DAXVM_FILTER selects test
# cases inside the programs (kselftest_harness -r/-f/-v options).
cd /opt/kselftest || exit 1
echo "daxvm: pmem driver $DAXVM_PMEM_DRIVER"
exec ./run_kselftest.sh "$@"
