#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM for "make bench". In one boot, for each round and each
# driver in $BENCH_DRIVERS (the order alternates between rounds, so drift
# in the emulator does not favour either), binds that driver to the same
# namespace and measures:
#
#   fio  DAX file sequential 1 MiB and random 4 KiB reads and writes (psync),
#        the same through mmap (fio's mmap engine), and the raw block device
#        with O_DIRECT (1 MiB sequential, 4 KiB random), $FIO_RUNTIME s each
#   dax_bench clean     one-call whole-file reads and 4 KiB page writes on a
#                       clean 64 MiB file, plain and with the recovery flags
#   dax_bench recover   1, 16 and 256 bad sectors in a 64 MiB file:
#                       RWF_IGNORE_HWERROR against the 7.3 workaround, then
#                       RWF_RESET_HWERROR repairs against plain page writes
#   dax_bench salvage   the same damage in a 64 MiB file on XFS (on the test
#                       bus): dax_salvage finding the lost ranges from the
#                       health monitor against finding them with plain reads
#
# BENCH_RECOVER=0 skips the dax_bench recover and salvage runs (the instruction-count
# pass of make bench skips them on the unpatched kernel, which has no flags to
# measure), BENCH_SALVAGE=0 the salvage runs alone (it skips them on the series too).
#
# Round 0 is a warm-up. Output: "bench DRIVER ROUND NAME VALUE UNIT" lines; the host
# (harness/suites/bench/run.sh) turns them into medians, ratios, JSON and a plot.
set -o pipefail
ROUNDS=${ROUNDS:-5}
RT=${FIO_RUNTIME:-2}
DRIVERS=${BENCH_DRIVERS:-nd_pmem rust_pmem}
MNT=/mnt/bench

# The e820 region: a bus with no command interface, where a reset clears
# (QEMU's NVDIMM refuses resets: its bus has no clear-error command).
ns=$(/opt/daxvm/bus-ns.sh e820) || exit 1
# Its block device: through its pfn claim in fsdax mode, its own on a
# label-less region, which maps pages itself.
devname() {	# [namespace]
	n=${1:-$ns}
	h=$(cat /sys/bus/nd/devices/"$n"/holder 2>/dev/null)
	basename "$(ls -d /sys/bus/nd/devices/"${h:-$n}"/block/pmem*)"
}
dev=/dev/$(devname)
echo "daxvm: bench namespace $ns, $dev, $(($(cat "/sys/block/${dev#/dev/}/size") / 2048)) MiB"
# The region is fresh guest memory on the host: write all of it once,
# so that no timed run pays for the host allocating its pages.
dd if=/dev/zero of="$dev" bs=1M oflag=direct 2>/dev/null
# The file system takes the first GiB; the raw block runs use the space after it.
mkfs.ext4 -q -F -b 4096 -E nodiscard "$dev" 1G || exit 1
mkdir -p $MNT

mounted=
unmount() { [ -z "$mounted" ] || umount $MNT || exit 1; mounted=; }
mountfs() {
	mount -o dax "$dev" $MNT || exit 1
	mounted=1
}
bind() {	# driver
	unmount
	/opt/daxvm/pmem-driver.sh "$1" || exit 1
	for _ in $(seq 50); do
		[ -b "/dev/$(devname 2>/dev/null)" ] && break
		sleep 0.1
	done
	dev=/dev/$(devname)
	drv=$(basename "$(readlink "/sys/block/${dev#/dev/}/device/driver")")
	[ "$drv" = "$1" ] || { echo "daxvm: $dev is bound to '$drv', not $1"; exit 1; }
	mountfs
}
# Forget injected poison: re-probe the namespace (badblocks come back empty).
reprobe() {
	unmount
	ndctl disable-namespace "$ns" >/dev/null && ndctl enable-namespace "$ns" >/dev/null || exit 1
	dev=/dev/$(devname)
	mountfs
}

# The salvage runs: XFS (whose health monitor hears of lost ranges) on the
# test bus's namespace, where the series' kernel has one.
SALVAGE=/opt/kselftest/dax_recovery/dax_salvage
SMNT=/mnt/salvage
sns=
[ "${BENCH_RECOVER:-1}" = 1 ] && [ "${BENCH_SALVAGE:-1}" = 1 ] && [ -x $SALVAGE ] && sns=$(/opt/daxvm/bus-ns.sh testbus 2>/dev/null)
salvage() {	# driver round
	sdev=/dev/$(devname "$sns")
	mkfs.xfs -q -f -K "$sdev" && mkdir -p $SMNT && mount -o dax "$sdev" $SMNT || exit 1
	for nbad in 1 16 256; do
		/opt/daxvm/dax_bench salvage "$sdev" $SMNT/s 64 $nbad $SALVAGE |
			sed "s/^bench /bench $1 $2 /" || exit 1
		# forget the poison: re-probe the namespace
		umount $SMNT &&
			ndctl disable-namespace "$sns" >/dev/null &&
			ndctl enable-namespace "$sns" >/dev/null || exit 1
		sdev=/dev/$(devname "$sns")
		mount -o dax "$sdev" $SMNT || exit 1
	done
	umount $SMNT || exit 1
}

bind "${DRIVERS%% *}"
dd if=/dev/zero of=$MNT/fio bs=1M count=256 conv=fsync 2>/dev/null || exit 1

# fio JOB RW BS ENGINE [extra...]: prints MiB/s (terse v3: field 7 is the
# read bandwidth in KiB/s, field 48 the write bandwidth).
fiorun() {
	job=$1 rw=$2 bs=$3 engine=$4
	shift 4
	out=$(fio --name="$job" --rw="$rw" --bs="$bs" --ioengine="$engine" \
		--runtime="$RT" --time_based --randrepeat=1 --norandommap \
		--output-format=terse --terse-version=3 "$@" 2>&1) ||
		{ echo "daxvm: fio $job failed: $out" >&2; return 1; }
	echo "$out" | awk -F';' -v rw="$rw" '
		NF > 48 { kib = (rw ~ /write/) ? $48 : $7; printf "%.1f\n", kib / 1024 }'
}
one() {	# driver round job rw bs engine [extra...]
	d=$1 r=$2 job=$3
	shift 3
	v=$(fiorun "$job" "$@") && [ -n "$v" ] || exit 1
	echo "bench $d $r $job $v MiB/s"
}

# shellcheck disable=SC2086  # $f and $b hold several fio options each, split on purpose
round() {	# driver round
	d=$1 r=$2
	bind "$d"
	f="--filename=$MNT/fio --size=256M"
	one "$d" "$r" dax-read-1M read 1M psync $f
	one "$d" "$r" dax-write-1M write 1M psync $f
	one "$d" "$r" dax-randread-4K randread 4k psync $f
	one "$d" "$r" dax-randwrite-4K randwrite 4k psync $f
	one "$d" "$r" mmap-randread-4K randread 4k mmap $f
	one "$d" "$r" mmap-randwrite-4K randwrite 4k mmap $f
	/opt/daxvm/dax_bench clean "$dev" $MNT/r 64 | sed "s/^bench /bench $d $r /" || exit 1
	[ "${BENCH_RECOVER:-1}" = 1 ] && for nbad in 1 16 256; do
		/opt/daxvm/dax_bench recover "$dev" $MNT/r 64 $nbad |
			sed "s/^bench /bench $d $r /" || exit 1
		[ "$(wc -l < "/sys/block/${dev#/dev/}/badblocks")" = 0 ] || reprobe
	done
	unmount
	b="--filename=$dev --direct=1 --offset=1280M --size=256M"
	one "$d" "$r" blk-read-1M read 1M psync $b
	one "$d" "$r" blk-write-1M write 1M psync $b
	one "$d" "$r" blk-randread-4K randread 4k psync $b
	one "$d" "$r" blk-randwrite-4K randwrite 4k psync $b
	[ -z "$sns" ] || salvage "$d" "$r"
}

# Round 0 warms up (the emulator's translation cache, the page tables, the
# files) with every driver and is not reported.
for r in $(seq 0 "$ROUNDS"); do
	order=$DRIVERS
	[ $((r % 2)) = 0 ] && order=$(echo "$DRIVERS" | awk '{for (i = NF; i > 0; i--) printf "%s ", $i}')
	for d in $order; do
		echo "daxvm: round $r/$ROUNDS, $d" >&2
		if [ "$r" = 0 ]; then
			round "$d" "$r" >/dev/null
		else
			round "$d" "$r"
		fi
	done
done
