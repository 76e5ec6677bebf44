#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make ndctl: libnvdimm's own poison tests, from ndctl v81, as a peer suite.
#
# ndctl is the pinned snapshot in ../shared/peers (checked against its
# checksum), unpacked and built once in $DAX_CACHE/ndctl with meson and
# Debian's build dependencies. Its tests are written for upstream's
# nfit_test mock bus (tools/testing/nvdimm), which needs a kernel of its
# own (harness/suites/ndctl/nfit-kernel.sh): they run on the unpatched 7.3.4 kernel and
# on the series, with nd_pmem (nfit_test wraps the C driver; the Rust one
# needs libnvdimm built in). dax-ext4.sh and dax-xfs.sh (dax-pmd and
# dax-poison) ask for the e820 bus instead, which the test bed's kernel
# also has: they run there too, with both drivers. After ndctl's scripts,
# the nfit runs check the series' own recovery on nfit_test's emulated
# clear-error (guest/nfit-salvage.sh: the selftests' dax_salvage salvages
# and repairs a file; a kernel without the flags skips it).
#
# The scripts cannot run on the test bus (tools/testing/nd_testbus): they
# name nfit_test's buses and load its module, and make their namespaces
# from the labels of its DIMMs, which a label-less bus does not have.
#
# Results go to $LOGS/ndctl-<date>/, with table.md (test, bus, driver,
# unpatched, patched). A test that passes on the unpatched kernel and
# fails on the series, or a VM that breaks, fails the run.
#
#   NDCTL_TESTS   the scripts (default: the poison tests below)
#   NDCTL_RUNS    the runs (default "nfit-base nfit-series e820-nd_pmem e820-rust_pmem")
#   NDCTL_JOBS    how many VMs at once (default 2)
# shellcheck source=../../lib.sh
. "$(dirname "$0")/../../lib.sh"

PEERS=${DAX_PEERS:-$REPO/../shared/peers}
TARBALL=ndctl-v81.tar.xz
TARBALL_SHA256=0193c6532b0ea98e7bbb1953aba62a298b4e04e3942280333c029f31d517aefc
NFIT_TESTS="clear.sh inject-error.sh pmem-errors.sh btt-errors.sh pfn-meta-errors.sh"
NFIT_TESTS+=" daxdev-errors.sh dax-ext4.sh dax-xfs.sh"
E820_TESTS="dax-ext4.sh dax-xfs.sh"

# Its trees (nfit-*-build, build-ndctl) are the default toolchain's.
[ "$DAX_LLVM" = 22 ] || die "make ndctl builds with the default clang-22 only"
DAX_DEPS_NDCTL=1 "$REPO/harness/deps.sh"
# The headers of the two options v81 needs enabled (below), which
# deps.sh's list for make ndctl lacks: without them meson stops at
# "Dependency libtraceevent not found".
missing=()
for p in libkeyutils-dev libtraceevent-dev libtracefs-dev; do
	[ "$(dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null)" = "ii " ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	step "installing ${missing[*]}"
	apt-get install -y -qq "${missing[@]}" > "$DAX_CACHE/ndctl-apt.log" 2>&1 ||
		die "installing ${missing[*]} failed (see $DAX_CACHE/ndctl-apt.log)"
fi

# ndctl, unpacked and built once per snapshot. v81 does not build with
# the keyutils or libtracefs options disabled (keys.h's stub of
# ndctl_dimm_remove_key() has the old signature; cxl/json.c includes
# tracefs.h unconditionally): both are enabled, their libraries installed.
[ -f "$PEERS/$TARBALL" ] || die "no $PEERS/$TARBALL (DAX_PEERS names the directory)"
echo "$TARBALL_SHA256  $PEERS/$TARBALL" | sha256sum -c --quiet - ||
	die "$PEERS/$TARBALL does not match its pinned checksum"
ND=$DAX_CACHE/ndctl
# With the project's patches to its tests (userspace/ndctl: the clear-on-write
# checks, on where the kernel offers RWF_RESET_HWERROR).
stamp=$( (echo "$TARBALL_SHA256"; cat "$REPO"/userspace/ndctl/*.patch 2>/dev/null) | sha256sum)
if [ "$(cat "$ND/.built" 2>/dev/null)" != "$stamp" ]; then
	step "unpacking and building ndctl ($TARBALL)"
	rm -rf "$ND" && mkdir -p "$ND"
	tar -C "$ND" -xJf "$PEERS/$TARBALL"
	for p in "$REPO"/userspace/ndctl/*.patch; do
		[ -f "$p" ] || continue
		patch -d "$ND/ndctl" -p1 -s < "$p" || die "ndctl: $p does not apply"
	done
	(cd "$ND/ndctl" && meson setup "$ND/build" -Dtest=enabled -Ddestructive=enabled \
		-Ddocs=disabled -Dsystemd=disabled -Dkeyutils=enabled -Dlibtracefs=enabled &&
	 ninja -C "$ND/build") > "$ND/build.log" 2>&1 ||
		{ tail -20 "$ND/build.log"; die "building ndctl failed"; }
	echo "$stamp" > "$ND/.built"
fi

runs=${NDCTL_RUNS:-nfit-base nfit-series e820-nd_pmem e820-rust_pmem}
read -r -a runlist <<< "$runs"
# The e820 runs: the test bed's kernel with config/ndctl.config, in a tree
# of its own.
ndctl_env=(env DAX_BUILD="$DAX_CACHE/build-ndctl" DAX_VMDIR="$DAX_CACHE/vm-ndctl"
	   DAX_CONFIG_EXTRA=ndctl.config)
# The e820 runs' kernel also gives the nfit runs the selftests' dax_salvage,
# the project's own check on nfit_test (guest/nfit-salvage.sh).
"${ndctl_env[@]}" "$REPO/harness/build.sh"
for r in $runs; do
	case $r in
	nfit-base) "$REPO/harness/suites/ndctl/nfit-kernel.sh" base ;;
	nfit-series) "$REPO/harness/suites/ndctl/nfit-kernel.sh" series ;;
	e820-*) ;;
	*) die "unknown run $r" ;;
	esac
done
for r in $runs; do
	case $r in
	nfit-*)
		rm -rf "$DAX_CACHE/$r-vm/kselftest" && mkdir -p "$DAX_CACHE/$r-vm/kselftest/dax_recovery"
		cp "$DAX_CACHE/vm-ndctl/kselftest/dax_recovery/dax_salvage" "$DAX_CACHE/$r-vm/kselftest/dax_recovery/"
		DAX_VMDIR=$DAX_CACHE/$r-vm DAX_BUILD=$DAX_CACHE/$r-build "$REPO/harness/initramfs.sh" ;;
	esac
done

# The guest mounts its module tree over the host's /lib/modules, which a
# container's root may lack: make the mount point.
[ -d /lib/modules ] || mkdir -p /lib/modules

out=$LOGS/ndctl-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out/results"
# shellcheck disable=SC2317  # run by run_jobs, which shellcheck cannot follow
run_one() {
	local r=$1 env=() drv=nd_pmem tests mods own='' start rrc
	case $r in
	nfit-*)
		env=("DAX_BUILD=$DAX_CACHE/$r-build" "DAX_VMDIR=$DAX_CACHE/$r-vm")
		tests=${NDCTL_TESTS:-$NFIT_TESTS} mods=nd_e820 own=nfit-salvage.sh ;;
	e820-*)
		env=("${ndctl_env[@]:1}")
		drv=${r#e820-}
		tests=${NDCTL_TESTS:-$E820_TESTS} mods= ;;
	esac
	start=$(date +%s)
	# dax-ext4.sh and dax-xfs.sh fallocate 1 GiB on the e820 namespace.
	env "${env[@]}" DAXVM_HOSTROOT=1 DAXVM_RESULTS="$out/results" DAXVM_E820_SIZE=2G \
		DAXVM_TIMEOUT="${DAXVM_TIMEOUT:-5400}" DAX_RUN_LOG="$out/vm-$r" \
		DAXVM_ENV_NDCTL_SRC="$ND/ndctl" DAXVM_ENV_NDCTL_BUILD="$ND/build" \
		DAXVM_ENV_NDCTL_TESTS="$tests" DAXVM_ENV_NDCTL_LABEL="$r" \
		DAXVM_ENV_NDCTL_MODULES="$mods" DAXVM_ENV_NDCTL_OWN="$own" \
		"$REPO/harness/vm.sh" --name "ndctl-$r" --driver "$drv" -- /opt/daxvm/ndctl.sh \
		> "$out/$r.txt" 2>&1 && rrc=0 || rrc=$?
	echo "$rrc" > "$out/$r.rc"
	echo "$r: $(( $(date +%s) - start )) s" >> "$out/times.txt"
}

step "ndctl: ${runs// /, }, ${NDCTL_JOBS:-2} at a time"
start=$(date +%s)
run_jobs "${NDCTL_JOBS:-2}" run_one "${runlist[@]}"
rc=0
# 0 or 1: the tests ran (the table judges them); 3, the kernel log has a
# warning or an oops (vm.sh), which fails a patched kernel; else the run broke.
for r in $runs; do
	v=$(cat "$out/$r.rc" 2>/dev/null || echo none)
	case $r:$v in
	*:0 | *:1 | nfit-base:3) ;;
	*) echo "ndctl: the $r VM ended with status $v"; rc=1 ;;
	esac
	echo "== $r"
	cat "$out/results/$r/results.txt" 2>/dev/null || echo "(no results)"
done
# pmem-errors.sh passes whether or not its clear-on-write section ran (the
# project's ndctl patch skips it where the kernel lacks RWF_RESET_HWERROR),
# and a skip is not a pass: the series must have run it (dax-errors printed
# "clear-on-write succeeded" on the fsdax namespace; the script then checked
# that badblocks is empty and the page reads back), the unpatched kernel
# must have said why it skipped it.
case " ${NDCTL_TESTS:-$NFIT_TESTS} " in
*" pmem-errors.sh "*)
	for r in $runs; do
		case $r in
		nfit-series) want='  clear-on-write succeeded' what="ran and passed" ;;
		nfit-base) want='clear-on-write: RWF_RESET_HWERROR not offered by this kernel, skipped'
			   what="was skipped (no flag)" ;;
		*) continue ;;
		esac
		if grep -qxF -- "$want" "$out/results/$r/pmem-errors.sh.log" 2>/dev/null; then
			echo "ndctl: $r: pmem-errors.sh's clear-on-write section $what"
		else
			echo "ndctl: $r: pmem-errors.sh's clear-on-write section: no \"$want\" in its log"
			rc=1
		fi
	done ;;
esac
echo "all: $(( $(date +%s) - start )) s" >> "$out/times.txt"
cat "$out/times.txt"
python3 "$REPO/harness/suites/ndctl/ndctl_report.py" "$out/results" "${runlist[@]}" > "$out/table.md" || rc=1
cat "$out/table.md"
echo "ndctl: results in $out"
exit $rc
