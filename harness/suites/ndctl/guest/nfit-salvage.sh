#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM, after ndctl's scripts on an nfit_test kernel
# (guest/ndctl.sh): the series' recovery on nfit_test's mock bus, which
# emulates clear-error, through nd_pmem as nfit_test wraps it. An 8-page
# file on ext4 -o dax over an fsdax namespace of nfit_test.0 with sector 9
# listed bad: dax_salvage (the selftests' operator tool) must lose exactly
# bytes 4608-5119 to its IGNORE read, repair them from a replica with a
# reset, clear the bus's record (badblocks empty) and leave the file equal
# to the replica. Exit status as ndctl's tests: 0 pass, 77 skip (a kernel
# without the flags: dax_salvage's probe says so), else a failure.
set -u
salvage=/opt/kselftest/dax_recovery/dax_salvage
mnt=/mnt/nfit-salvage
[ -x $salvage ] || { echo "no $salvage"; exit 1; }
# As ndctl's scripts clean up: the buses' regions disabled, the module unloaded.
unload() {
	umount $mnt 2>/dev/null
	ndctl disable-region -b nfit_test.0 all >/dev/null
	ndctl disable-region -b nfit_test.1 all >/dev/null
	modprobe -r nfit_test
}
fail() { echo "nfit-salvage: $*"; unload; exit 1; }

modprobe nfit_test || fail "modprobe nfit_test"
{ ndctl disable-region -b nfit_test.0 all >/dev/null &&
ndctl init-labels -f -b nfit_test.0 all >/dev/null &&
ndctl enable-region -b nfit_test.0 all >/dev/null; } || fail "resetting nfit_test.0's labels"
json=$(ndctl create-namespace -b nfit_test.0 -t pmem -m fsdax -a 4K) || fail "create-namespace"
blk=$(echo "$json" | sed -n 's/.*"blockdev":"\([^"]*\)".*/\1/p')
mkfs.ext4 -q -F -b 4096 "/dev/$blk" || fail "mkfs.ext4"
{ mkdir -p $mnt && mount -o dax "/dev/$blk" $mnt; } || fail "mount -o dax"
xfs_io -f -c "pwrite -S 0x5a 0 32768" -c fsync $mnt/f >/dev/null || fail "writing the file"
xfs_io -f -c "pwrite -S 0x5a 0 32768" /tmp/replica >/dev/null
start=$(filefrag -v -b512 $mnt/f | awk '/^ *0:/ {print $4}' | cut -d. -f1)
[ -n "$start" ] || fail "filefrag"
echo "nfit-salvage: /dev/$blk, the file at sector $start, sector $((start + 9)) listed bad"
echo $((start + 9)) 1 > "/sys/block/$blk/badblocks"
$salvage $mnt/f /tmp/copy /tmp/replica > /tmp/salvage.out 2>&1
src=$?
cat /tmp/salvage.out
if [ $src = 3 ]; then
	echo "nfit-salvage: the kernel does not offer the flags"
	unload
	exit 77
fi
[ $src = 0 ] || fail "dax_salvage exited $src, want 0"
grep -qx "lost: bytes 4608-5119 (512)" /tmp/salvage.out || fail "want exactly bytes 4608-5119 lost"
bb=$(cat "/sys/block/$blk/badblocks")
[ -z "$bb" ] || fail "badblocks after the reset: $bb, want none"
cmp $mnt/f /tmp/replica || fail "the repaired file differs from the replica"
{ umount $mnt && mount -o dax "/dev/$blk" $mnt; } || fail "remounting"
cmp $mnt/f /tmp/replica || fail "the repaired file differs from the replica after a remount"
unload
echo "nfit-salvage: pass"
exit 0
