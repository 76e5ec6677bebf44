#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make check: build, boot, run the dax_recovery kselftests, collect KUnit
# results (Rust doctests included) from the kernel log, print the summary.
# T=program runs one selftest program; ARGS=... passes kselftest_harness
# options to it (for instance ARGS="-r fs.ext4.roundtrip_sizes").
#
# SERIES=A (fixes, A, B, C; series/groups): the same on the last commit of
# that series, built in trees of its own (src-series, build-series,
# vm-series), so the main build and make bisect's stay as they are. The selftests are the ones that series has, with nd_pmem only until
# the series that adds rust_pmem. The fixes have no selftests of their own
# (their reproducers are cases of A's and B's and fstests' generic/791):
# SERIES=fixes builds them (and the style gates run, unless LINT=0) and
# boots nothing.
. "$(dirname "$0")/lib.sh"

if [ -n "${SERIES:-}" ] && [ -z "${DAX_SERIES_PREFIX:-}" ]; then
	series_read
	n=$(series_group_end "$SERIES") || die "SERIES=$SERIES: no such series in series/groups"
	drivers=nd_pmem
	for ((i = 0; i < n; i++)); do
		case " ${SERIES_ADDS[i]} " in *" drivers/nvdimm/rust_pmem.rs "*) drivers="nd_pmem rust_pmem" ;; esac
	done
	step "make check on series $SERIES: the first $n of ${#SERIES_PATCH[@]} commits, driver(s) $drivers"
	exec env DAX_SERIES_PREFIX="$n" DAX_SRC="$DAX_CACHE/src-series" \
		DAX_BUILD="$DAX_CACHE/build-series" DAX_VMDIR="$DAX_CACHE/vm-series" \
		DAXVM_ENV_DAXVM_DRIVERS="$drivers" "$0" "$@"
fi

"$REPO/harness/build.sh"
[ "${LINT:-1}" = 0 ] || "$REPO/harness/lint.sh"
# The build matrix's second configuration (CONFIG_ND_BTT=y), for the main
# build only (not make check-debug's); not booted.
[ "${LINT:-1}" = 0 ] || [ "$BUILD" != "$DAX_CACHE/build" ] || "$REPO/harness/build-btt.sh"

if [ -n "${DAX_SERIES_PREFIX:-}" ] &&
   [ ! -f "$SRC/tools/testing/selftests/dax_recovery/Makefile" ]; then
	step "series ${SERIES:-prefix $DAX_SERIES_PREFIX}: built and checked; no selftests in it to run"
	exit 0
fi

sel=()
[ -n "${T:-}" ] && sel=(-t "dax_recovery:${T#dax_recovery:}")
export DAXVM_ENV_KSELFTEST_ARGS="${ARGS:-}"
cmd="/opt/daxvm/check.sh ${sel[*]}"

log=$LOGS/$(date +%Y%m%d-%H%M%S)-check-$$
set +e
DAX_RUN_LOG=$log "$REPO/harness/vm.sh" --name check -- "$cmd"
vrc=$?
set -e
extra=()
case $vrc in
0 | 1) ;;	# the runner's own status; the summary decides
3) extra=(--extra-fail "kernel log: warnings/oopses, see $log/splats.txt") ;;
4) extra=(--extra-fail "VM did not finish, see $log/console.log") ;;
*) extra=(--extra-fail "VM run failed with status $vrc") ;;
esac
python3 "$REPO/harness/ktap.py" --output "$log/output.log" \
	--console "$log/console.log" --expect-kunit "${extra[@]}"
