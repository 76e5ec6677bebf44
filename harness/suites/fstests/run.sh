#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make fstests: the file-system community's own suite, on ext4 and XFS over
# two fsdax namespaces (TEST and SCRATCH) on two e820 regions (a bus with no
# command interface, where a reset clears by forgetting), three times:
#
#   base       the unpatched 7.3.4 kernel with nd_pmem (the baseline)
#   nd_pmem    the patched kernel with the C driver
#   rust_pmem  the patched kernel with the Rust driver
#
# fstests is the pinned snapshot in ../shared/peers (checked against its
# checksum), unpacked and built once in $DAX_CACHE/fstests with Debian's
# build dependencies; the project's own cases (fstests/*.patch) are
# applied to it. In the VM it runs chrooted in the host's root, shared
# read-only over 9p (guest/fstests.sh). The results go to
# $LOGS/fstests-<date>/, with table.md: one row per test and file system.
# A test that the base kernel passes and a driver fails, or one on which
# the two drivers differ, fails the run.
#
#   FSTESTS=...        the tests or groups to run, as ./check takes them
#                      (default: $FSTESTS_DEFAULT below)
#   FSTESTS_FS         the file systems (default "ext4 xfs")
#   FSTESTS_KERNELS    the runs (default "base nd_pmem rust_pmem")
#   FSTESTS_JOBS       how many of them run at once (default 3)
#   FSTESTS_XFS_IO     the xfs_io the tests use (fstests' XFS_IO_PROG); by
#                      default the one make userspace builds from xfsprogs
#                      6.5.0 with userspace/xfsprogs ("pread -E", "pwrite
#                      -E"), built here if missing; the host's xfs_io has
#                      no -E, and generic/788 to 790 are notrun with it
# shellcheck source=../../lib.sh
. "$(dirname "$0")/../../lib.sh"

PEERS=${DAX_PEERS:-$REPO/../shared/peers}
TARBALL=fstests-63a29724.tar.xz
TARBALL_SHA256=5ab414a097ad8036d5288f4d174b0b39146ef978e8ff072db46e99c1d2f419ad
# The dax group (with the flags' own cases, generic/788 to 791), and one
# or two data-path tests of the quick group for each of: fallocate's
# collapse (012) and insert (058) ranges, mmap with truncate (029), mtime
# (080) and writes past EOF (246), hole punch racing mmap (567), FIEMAP of
# preallocated extents with O_DIRECT (094), reflink on XFS (110, 140 with
# mmap), aio (207) and io_uring (678). About an hour for the three kernels
# side by side; the whole quick group would take a day under TCG.
FSTESTS_DEFAULT="-g dax generic/012 generic/029 generic/058 generic/080 generic/094"
FSTESTS_DEFAULT+=" generic/110 generic/140 generic/207 generic/246 generic/567 generic/678"

DAX_DEPS_FSTESTS=1 "$REPO/harness/deps.sh"

# fstests, unpacked, patched and built once per snapshot and patch set.
[ -f "$PEERS/$TARBALL" ] || die "no $PEERS/$TARBALL (DAX_PEERS names the directory)"
echo "$TARBALL_SHA256  $PEERS/$TARBALL" | sha256sum -c --quiet - ||
	die "$PEERS/$TARBALL does not match its pinned checksum"
FST=$DAX_CACHE/fstests
stamp=$( (echo "$TARBALL_SHA256"; cat "$REPO"/fstests/*.patch 2>/dev/null) | sha256sum)
if [ "$(cat "$FST/.built" 2>/dev/null)" != "$stamp" ]; then
	step "unpacking and building fstests ($TARBALL)"
	rm -rf "$FST" && mkdir -p "$FST"
	tar -C "$FST" -xJf "$PEERS/$TARBALL"
	for p in "$REPO"/fstests/*.patch; do
		[ -f "$p" ] || continue
		patch -d "$FST/fstests" -p1 -s < "$p" || die "fstests: $p does not apply"
	done
	make -C "$FST/fstests" -j"$(nproc)" > "$FST/build.log" 2>&1 ||
		{ tail -20 "$FST/build.log"; die "building fstests failed"; }
	echo "$stamp" > "$FST/.built"
fi

# The tests use xfs_io for the flags ("pread -E", "pwrite -E"), which only
# the patched xfsprogs has: harness/suites/userspace/run.sh builds it (and its other
# tools) without running its checks when no step is named.
XFS_IO=${FSTESTS_XFS_IO:-}
if [ -z "$XFS_IO" ]; then
	USERSPACE_STEPS=build "$REPO/harness/suites/userspace/run.sh" > "$FST/userspace-build.log" 2>&1 ||
		{ tail -20 "$FST/userspace-build.log"; die "building the patched xfs_io failed"; }
	XFS_IO=$DAX_CACHE/userspace/xfsprogs/xfsprogs-6.5.0/io/xfs_io
fi
[ -x "$XFS_IO" ] || die "no xfs_io at $XFS_IO"
echo "fstests: XFS_IO_PROG=$XFS_IO ($("$XFS_IO" -V))"

kernels=${FSTESTS_KERNELS:-base nd_pmem rust_pmem}
read -r -a klist <<< "$kernels"
case " $kernels " in *" nd_pmem "*|*" rust_pmem "*) "$REPO/harness/build.sh" ;; esac
case " $kernels " in
*" base "*)
	"$REPO/harness/base-kernel.sh"
	DAX_VMDIR=$BASE_VM DAX_BUILD=$BASE_BUILD "$REPO/harness/initramfs.sh"
	;;
esac

out=$LOGS/fstests-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out/results"
# One kernel's run, in its own VM; its output in $out/<kernel>.txt.
# shellcheck disable=SC2317  # run by run_jobs, which shellcheck cannot follow
run_kernel() {
	local k=$1 drv start krc env=()

	if [ "$k" = base ]; then
		env=("DAX_BUILD=$BASE_BUILD" "DAX_VMDIR=$BASE_VM")
		drv=nd_pmem
	else
		drv=$k
	fi
	start=$(date +%s)
	env "${env[@]}" DAXVM_HOSTROOT=1 DAXVM_RESULTS="$out/results" DAXVM_E820_TWO=1 \
		DAXVM_TIMEOUT="${DAXVM_TIMEOUT:-7200}" DAX_RUN_LOG="$out/vm-$k" \
		DAXVM_ENV_FSTESTS_DIR="$FST/fstests" DAXVM_ENV_FSTESTS_LABEL="$k" \
		DAXVM_ENV_FSTESTS_FS="${FSTESTS_FS:-ext4 xfs}" DAXVM_ENV_FSTESTS_XFS_IO="$XFS_IO" \
		DAXVM_ENV_FSTESTS_TESTS="${FSTESTS:-$FSTESTS_DEFAULT}" \
		"$REPO/harness/vm.sh" --name "fstests-$k" --driver "$drv" -- /opt/daxvm/fstests.sh \
		> "$out/$k.txt" 2>&1 && krc=0 || krc=$?
	echo "$krc" > "$out/$k.rc"
	echo "$k: $(( $(date +%s) - start )) s" >> "$out/times.txt"
}

# The kernels' VMs run side by side, FSTESTS_JOBS at a time: much of a
# test's time is spent waiting (sleeps, sync, the 9p root), not computing.
rc=0
jobs=${FSTESTS_JOBS:-3}
start=$(date +%s)
step "fstests: ${kernels// /, } (${FSTESTS:-$FSTESTS_DEFAULT}), $jobs at a time"
run_jobs "$jobs" run_kernel "${klist[@]}"
# How each VM ended: 0 or 1, the tests ran (failures are the table's to
# judge, against the base kernel); 3, the kernel log has a warning (vm.sh),
# which fails a patched kernel and is expected of the base one (the WARN of
# generic/791, which patch 0001 fixes); anything else, the run broke.
for k in "${klist[@]}"; do
	r=$(cat "$out/$k.rc" 2>/dev/null || echo none)
	case $k:$r in
	*:0 | *:1 | base:3) ;;
	*) echo "fstests: the $k VM ended with status $r"; rc=1 ;;
	esac
done
echo "all: $(( $(date +%s) - start )) s" >> "$out/times.txt"
for k in "${klist[@]}"; do
	echo "== $k"
	grep -E '^(Ran|Not run|Failures|Passed all)' "$out/$k.txt" || true
done
cat "$out/times.txt"

python3 "$REPO/harness/suites/fstests/fstests_report.py" "$out/results" "${klist[@]}" > "$out/table.md" || rc=1
cat "$out/table.md"
echo "fstests: results in $out"
exit $rc
