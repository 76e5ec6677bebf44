#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM for "make bench": times clean-path I/O with dd on the
# bound pmem driver ($DAXVM_PMEM_DRIVER, loaded by init) and prints
# "bench <test> <MB/s>" lines, best of $ROUNDS rounds of $PASSES passes
# over 256 MiB each (the clock is /proc/uptime, in centiseconds).
ROUNDS=${ROUNDS:-5}
PASSES=4	# each timing covers PASSES x 256 MiB
MB=256
ndctl create-namespace --mode=fsdax --map=dev --name=bench >/dev/null || exit 1
dev=/dev/$(ls /sys/bus/nd/devices/pfn*/block | head -n 1)
echo "daxvm: driver $(basename "$(readlink /sys/block/${dev#/dev/}/device/driver)"), $dev"
mkfs.ext4 -q -F -b 4096 -E nodiscard "$dev" || exit 1
mkdir -p /mnt/b
mount -o dax "$dev" /mnt/b || exit 1
dd if=/dev/zero of=/mnt/b/f bs=1M count=$MB conv=fsync 2>/dev/null

# Centiseconds since boot (busybox date has no %N).
now() { read -r up _ < /proc/uptime; echo "${up%.*}${up#*.}"; }
best() {	# name bytes cmd...
	name=$1 bytes=$2
	shift 2
	top=0
	for r in $(seq "$ROUNDS"); do
		t0=$(now)
		for p in $(seq "$PASSES"); do
			"$@" 2>/dev/null || { echo "bench $name failed"; return; }
		done
		t1=$(now)
		cs=$((t1 - t0))
		[ "$cs" -gt 0 ] || cs=1
		mbs=$((bytes * 100 / cs / 1048576))
		[ "$mbs" -gt "$top" ] && top=$mbs
	done
	echo "bench $name $top"
}
B=$((PASSES * MB * 1024 * 1024))
best dax-read-1M $B dd if=/mnt/b/f of=/dev/null bs=1M
best dax-read-4K $B dd if=/mnt/b/f of=/dev/null bs=4k
best dax-write-1M $B dd if=/dev/zero of=/mnt/b/f bs=1M count=$MB conv=notrunc
best dax-write-4K $B dd if=/dev/zero of=/mnt/b/f bs=4k count=$((MB * 256)) conv=notrunc
umount /mnt/b
best blk-read-1M-direct $B dd if="$dev" of=/dev/null bs=1M count=$MB iflag=direct
best blk-write-1M-direct $B dd if=/dev/zero of="$dev" bs=1M count=$MB oflag=direct
