#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM for "make bench-profile", under the insn_profile TCG
# plugin (harness/suites/bench/insn_profile.c), which counts the
# instructions of pwritev2(2) calls only: binds $PROFILE_DRIVER to the e820
# namespace (the bus bench.sh measures the reset on), makes an ext4 file
# system with a 64 MiB file and runs "dax_bench loop" in mode
# $PROFILE_MODE (reset: poisoned pages repaired with RWF_RESET_HWERROR;
# write: the same pages written plainly). Then prints the modules' symbols
# ("ksym ADDRESS TYPE NAME [MODULE]"), which System.map does not have.
set -o pipefail
MNT=/mnt/bench
ns=$(/opt/daxvm/bus-ns.sh e820) || exit 1
/opt/daxvm/pmem-driver.sh "$PROFILE_DRIVER" || exit 1
for _ in $(seq 50); do
	h=$(cat /sys/bus/nd/devices/"$ns"/holder 2>/dev/null)
	d=$(ls -d /sys/bus/nd/devices/"${h:-$ns}"/block/pmem* 2>/dev/null) && break
	sleep 0.1
done
dev=/dev/$(basename "$d")
mkfs.ext4 -q -F -b 4096 -E nodiscard "$dev" 1G || exit 1
mkdir -p $MNT && mount -o dax "$dev" $MNT || exit 1
/opt/daxvm/dax_bench loop "$dev" $MNT/r 64 "${PROFILE_NBAD:-16}" "${PROFILE_ROUNDS:-32}" \
	"$PROFILE_MODE" || exit 1
umount $MNT
grep '\[' /proc/kallsyms | sed 's/^/ksym /'
