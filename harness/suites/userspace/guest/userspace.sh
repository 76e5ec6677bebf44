#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM (make userspace): the patched tools on a poisoned DAX
# file, on the test bus (it can clear) with ext4 and XFS, and on QEMU's NFIT
# (it cannot). The tools were built on the host (harness/suites/userspace/run.sh) and
# run chrooted in the host's root (read-only over 9p, guest/hostroot.sh),
# where their libraries and a compiler are.
#
#   US_XFS_IO    the built xfs_io (a host path)
#   US_STRACE    the built strace
#   US_EXAMPLE   readv.2's example program, extracted from the page
#   US_LABEL     the results subdirectory
# Prints "ok: ..." or "FAIL: ..." per check; exits non-zero on a failure.
set -u
R=/host
. /opt/daxvm/hostroot.sh
xfs_io=${US_XFS_IO:?} strace=${US_STRACE:?}
out=$R/mnt/results/${US_LABEL:-run}
mkdir -p "$out" $R/mnt/pmem
rc=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; rc=1; }
check() {	# check DESCRIPTION COMMAND...: ok if the command succeeds
	d=$1; shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}
# shellcheck disable=SC2317  # called through check()
has() { printf '%s\n' "$t" | grep -Eq "$1"; }	# has ERE: in the output $t
# in the host's userland, /tmp and the mount under it
h() { chroot $R /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp /bin/sh -c "$*"; }
blockdev() {
	hd=$(cat /sys/bus/nd/devices/"$1"/holder 2>/dev/null)
	ls /sys/bus/nd/devices/"${hd:-$1}"/block
}
# devsector FILE_SECTOR: the device sector of a sector of /mnt/pmem/data
devsector() {
	h "filefrag -b512 -v /mnt/pmem/data" | awk -v want="$1" '
	$1 ~ /^[0-9]+:$/ {
		gsub(/\.\.|:/, " "); split($0, f, " ")
		if (want >= f[2] && want <= f[3]) print f[4] + want - f[2]
	}'
}

# readv.2's example, compiled here, in the host's userland.
cp "$R${US_EXAMPLE:?}" $R/tmp/example.c
h "gcc -Wall -Wextra -Werror -O2 -o /tmp/example /tmp/example.c" 2>&1
check "readv.2's example compiles in the VM" test -x $R/tmp/example

# 64 KiB of 'Z' (0x5a), and what a salvage of it returns with file sector
# 35 (page 4, sector 3: bytes 17920..18431) lost.
h "head -c 65536 /dev/zero | tr '\\0' Z > /tmp/replica"
h "cp /tmp/replica /tmp/expect-35 && dd if=/dev/zero of=/tmp/expect-35 bs=512 seek=35 count=1 conv=notrunc 2>/dev/null"

ns=$(/opt/daxvm/bus-ns.sh testbus) || { bad "no fsdax namespace on the test bus"; exit 1; }
dev=/dev/$(blockdev "$ns")
bb=/sys/block/${dev#/dev/}/badblocks
echo "test bus: $ns, $dev, driver $(basename "$(readlink "/sys/block/${dev#/dev/}/device/driver")")"

for fs in ext4 xfs; do
	case $fs in
	ext4) mkfs.ext4 -q -F -E nodiscard "$dev" && mount -o dax "$dev" $R/mnt/pmem ;;
	xfs) mkfs.xfs -q -f "$dev" && mount -o dax=always "$dev" $R/mnt/pmem ;;
	esac || { bad "$fs: mkfs/mount -o dax"; continue; }
	h "cp /tmp/replica /mnt/pmem/data" && sync
	s35=$(devsector 35) s37=$(devsector 37)
	if [ -z "$s35" ] || [ -z "$s37" ]; then
		bad "$fs: FIEMAP found no extent"; umount $R/mnt/pmem; continue
	fi

	# statx: the attribute, as xfs_io and strace show it
	t=$(h "$strace -v -e trace=statx -e signal=none $xfs_io -c 'statx -r' /mnt/pmem/data" 2>&1)
	echo "$t" | grep -E '^statx\(|attributes' | head -n 4
	check "$fs: strace decodes STATX_ATTR_HWERROR_RECOVERY in a real statx" \
		has 'stx_attributes=[^,]*STATX_ATTR_HWERROR_RECOVERY'
	check "$fs: xfs_io statx -r shows bit 0x800000 in attributes" \
		has '^stat.attributes = 0x[0-9a-f]*[89a-f][0-9a-f]{5}$'

	echo "$s35 1" > "$bb"
	echo "$fs: badblocks: $(tr '\n' ' ' < "$bb")"

	# a plain read stops before the bad sector; -E reads it all, zeros there
	t=$(h "$xfs_io -c 'pread -b 65536 0 65536' /mnt/pmem/data" 2>&1)
	echo "$t" | head -n 1
	check "$fs: xfs_io pread stops at the bad sector (17920 bytes)" \
		has '^read 17920/65536 bytes at offset 0$'
	t=$(h "$strace -e trace=preadv2 -e signal=none -qq $xfs_io -c 'pread -E -b 65536 0 65536' /mnt/pmem/data" 2>&1)
	echo "$t" | cut -c 1-160
	check "$fs: strace shows preadv2(..., RWF_IGNORE_HWERROR) = 65536 for xfs_io pread -E" \
		has '^preadv2\([0-9]+, .*, 1, 0, RWF_IGNORE_HWERROR\) = 65536$'
	t=$(h "$xfs_io -c 'pread -E -v -V 2 -b 1024 17408 2048' /mnt/pmem/data" 2>&1)
	# the dump's 16 byte columns, without the offsets and the text
	bytes=$(printf '%s\n' "$t" | awk '/^[0-9a-f]+:  / { for (i = 2; i <= 17; i++) print $i }')
	z=$(printf '%s\n' "$bytes" | grep -c '^00$')
	f=$(printf '%s\n' "$bytes" | grep -c '^5a$')
	echo "$fs: pread -E -v -V 2 over the bad sector: $z zero bytes, $f 0x5a bytes"
	check "$fs: xfs_io pread -E -V 2: the bad sector reads as 512 zeros, the good 1536 bytes exact" \
		[ "$z" = 512 -a "$f" = 1536 ]

	# readv.2's example salvages the same
	h "/tmp/example /mnt/pmem/data > /tmp/salvaged"
	check "$fs: readv.2's example salvages every good byte, zeros for the bad sector" \
		h "cmp /tmp/salvaged /tmp/expect-35"

	# SPEC rev 3: a reset repairs the sector it writes, not its neighbour
	echo "$s37 1" > "$bb"
	t=$(h "$strace -e trace=pwritev2 -e signal=none -qq $xfs_io -c 'pwrite -E -S 0x5a 17920 512' /mnt/pmem/data" 2>&1)
	echo "$t" | cut -c 1-160
	check "$fs: strace shows pwritev2(..., RWF_RESET_HWERROR) = 512 for xfs_io pwrite -E" \
		has '^pwritev2\([0-9]+, .*, 1, 17920, RWF_RESET_HWERROR\) = 512$'
	echo "$fs: badblocks after resetting sector 35 only: $(tr '\n' ' ' < "$bb")"
	check "$fs: the reset dropped sector 35, sector 37 (not written) stays bad" \
		sh -c "! grep -q '^$s35 ' $bb && grep -q '^$s37 1' $bb"
	t=$(h "$xfs_io -c 'pread 18944 512' /mnt/pmem/data" 2>&1)
	check "$fs: a plain read of sector 37 still fails with EIO" \
		has 'Input/output error'

	# readv.2's example repairs the rest from the replica
	t=$(h "/tmp/example /mnt/pmem/data /tmp/replica" 2>&1)
	echo "$t"
	check "$fs: readv.2's example repairs sector 37 from the replica" \
		[ "$t" = "repaired 512 bytes at 18944" ]
	check "$fs: badblocks empty after the repairs" [ -z "$(cat "$bb")" ]
	umount $R/mnt/pmem
	case $fs in ext4) mount -o dax "$dev" $R/mnt/pmem ;; xfs) mount -o dax=always "$dev" $R/mnt/pmem ;; esac
	check "$fs: after a remount the file is the replica, byte for byte" \
		h "cmp /mnt/pmem/data /tmp/replica"
	umount $R/mnt/pmem
done

# QEMU's NFIT cannot clear: the reset probe is refused, IGNORE works.
ns=$(/opt/daxvm/bus-ns.sh nfit) || { bad "no fsdax namespace on QEMU's NFIT"; exit 1; }
dev=/dev/$(blockdev "$ns")
mkfs.ext4 -q -F -E nodiscard "$dev" && mount -o dax "$dev" $R/mnt/pmem && h "cp /tmp/replica /mnt/pmem/data"
t=$(h "$strace -e trace=pwritev2,preadv2 -e signal=none -qq $xfs_io -c 'pwrite -E 0 0' -c 'pread -E 0 4096' /mnt/pmem/data" 2>&1)
echo "$t" | cut -c 1-160
check "nfit: xfs_io's zero-length pwrite -E (the probe) fails with EOPNOTSUPP" \
	has '^pwritev2\([0-9]+, \[\{iov_base="", iov_len=0\}\], 1, 0, RWF_RESET_HWERROR\) = -1 EOPNOTSUPP'
check "nfit: xfs_io pread -E reads (4096 bytes)" \
	has '^preadv2\([0-9]+, .*, 1, 0, RWF_IGNORE_HWERROR\) = 4096$'
t=$(h "/tmp/example /mnt/pmem/data /tmp/replica" 2>&1)
check "nfit: readv.2's example refuses to repair (RWF_RESET_HWERROR: Operation not supported)" \
	has 'RWF_RESET_HWERROR: Operation not supported'
umount $R/mnt/pmem
exit $rc
