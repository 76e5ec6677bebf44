#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make check: build, boot, run the dax_recovery kselftests, collect KUnit
# results (Rust doctests included) from the kernel log, print the summary.
# T=program runs one selftest program; ARGS=... passes kselftest_harness
# options to it (for instance ARGS="-r fs.ext4.roundtrip_sizes").
. "$(dirname "$0")/lib.sh"

"$REPO/harness/build.sh"
[ "${LINT:-1}" = 0 ] || "$REPO/harness/lint.sh"
# The build matrix's second configuration (CONFIG_ND_BTT=y), for the main
# build only (not make check-debug's); not booted.
[ "${LINT:-1}" = 0 ] || [ "$BUILD" != "$DAX_CACHE/build" ] || "$REPO/harness/build-btt.sh"

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
