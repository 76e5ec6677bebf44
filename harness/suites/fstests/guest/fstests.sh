#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM: fstests on two fsdax namespaces (TEST and SCRATCH), for each file system of $FSTESTS_FS, with the pmem
# driver the harness loaded. fstests needs a whole userland (bash, perl,
# GNU tools, xfsprogs), so it runs chrooted in the host's root, shared
# read-only over 9p (vm.sh DAXVM_HOSTROOT=1) with the guest's own /proc,
# /sys, /dev and writable /tmp, /run, /var/tmp and /mnt; results go to the
# "results" share. fstests itself is in $FSTESTS_DIR, a host path.
#
#   FSTESTS_DIR    fstests, built on the host
#   FSTESTS_FS     "ext4 xfs" (default)
#   FSTESTS_TESTS  the tests or groups to run ("-g dax" by default)
#   FSTESTS_LABEL  the results subdirectory (<kernel>-<driver>)
#   FSTESTS_XFS_IO the xfs_io to use (XFS_IO_PROG; default the host's)
set -u
R=/host
dir=${FSTESTS_DIR:?}
label=${FSTESTS_LABEL:-run}

. /opt/daxvm/hostroot.sh
mkdir -p $R/mnt/test $R/mnt/scratch

# Two fsdax namespaces: the label-less namespaces of the two e820 regions
# (vm.sh DAXVM_E820_TWO=1), a bus with no command interface, where a reset
# clears by forgetting on both kernels that offer it.
devs=
for b in /sys/bus/nd/devices/ndbus*; do
	[ "$(cat "$b/provider" 2>/dev/null)" = e820 ] || continue
	for r in "$b"/region*; do
		[ -e "$r" ] || continue
		ns=namespace${r##*/region}.0
		json=$(ndctl create-namespace -f -e "$ns" --mode=fsdax --map=dev) ||
			{ echo "fstests: making $ns fsdax failed"; exit 1; }
		dev=$(echo "$json" | sed -n 's/.*"blockdev":"\([^"]*\)".*/\1/p')
		devs="$devs /dev/$dev"
	done
done
[ "$(echo "$devs" | wc -w)" = 2 ] || { echo "fstests: want two e820 namespaces, have:$devs"; exit 1; }
# shellcheck disable=SC2086  # the two devices, split on purpose
set -- $devs
test_dev=$1 scratch_dev=$2
echo "fstests: TEST_DEV=$test_dev SCRATCH_DEV=$scratch_dev," \
     "driver $(basename "$(readlink "/sys/block/${test_dev#/dev/}/device/driver")")"

rc=0
for fs in ${FSTESTS_FS:-ext4 xfs}; do
	# xfs/550-552 (memory failure on DAX) need the reverse-mapping btree.
	mkfs=
	case $fs in
	ext4) opts="-o dax" ;;
	xfs) opts="-o dax=always" mkfs="-m rmapbt=1" ;;
	esac
	cat > $R/tmp/local.config <<EOF
export FSTYP=$fs
export TEST_DEV=$test_dev
export TEST_DIR=/mnt/test
export SCRATCH_DEV=$scratch_dev
export SCRATCH_MNT=/mnt/scratch
export MOUNT_OPTIONS="$opts"
export MKFS_OPTIONS="$mkfs"
export TEST_FS_MOUNT_OPTS="$opts"
export RESULT_BASE=/mnt/results/$label/$fs
EOF
	[ -z "${FSTESTS_XFS_IO:-}" ] || echo "export XFS_IO_PROG=$FSTESTS_XFS_IO" >> $R/tmp/local.config
	mkdir -p "$R/mnt/results/$label/$fs"
	chroot $R /usr/bin/env -i HOME=/tmp TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOST_OPTIONS=/tmp/local.config /bin/bash -c "
			case $fs in
			ext4) mkfs.ext4 -q -F $test_dev ;;
			xfs) mkfs.xfs -q -f $test_dev ;;
			esac
			cd '$dir' && ./check -R xunit ${FSTESTS_TESTS:--g dax}" || rc=1
	umount $R/mnt/test $R/mnt/scratch 2>/dev/null
done
exit $rc
