# SPDX-License-Identifier: GPL-2.0
# Sourced inside the VM by the peer suites' scripts (fstests.sh, ndctl.sh):
# mount the host's root, shared read-only over 9p (vm.sh DAXVM_HOSTROOT=1),
# at $R with the guest's /proc, /sys, /dev, a writable /tmp, /run, /var/tmp
# and /mnt, and the "results" share at $R/mnt/results. Exits on failure.
mkdir -p "$R"
# The host's root does not change during the run: cache it (an uncached
# 9p root makes every exec of the suites' scripts a round trip per page).
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=524288,cache=loose hostroot "$R" || exit 1
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
mount -t debugfs debugfs "$R/sys/kernel/debug" 2>/dev/null
mount -t tracefs tracefs "$R/sys/kernel/tracing" 2>/dev/null
mount -t devtmpfs devtmpfs "$R/dev"
mount -t devpts devpts "$R/dev/pts"
mount -t tmpfs tmpfs "$R/dev/shm"
for d in tmp run var/tmp mnt; do
	mount -t tmpfs tmpfs "$R/$d"
done
mkdir -p "$R/mnt/results"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 results "$R/mnt/results" || exit 1
