#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bisect: build every prefix of the series, first commit to last, the
# way the whole series is built (LLVM=1, CONFIG_WERROR, CLIPPY=1), and the
# selftests once the commit that adds them is in. Stops at the first prefix
# that does not build and names its commit. On demand, not in CI: the
# prefixes share one build tree, so each costs an incremental build, but
# the whole run takes about 35 minutes on two cores.
#
#   bisect.sh [FIRST [LAST]]     default: 1 and the number of commits
. "$(dirname "$0")/lib.sh"

# Its own source and build trees, so the main ones stay as they are.
if [ "$SRC" != "$DAX_CACHE/src-prefix" ]; then
	exec env DAX_SRC="$DAX_CACHE/src-prefix" DAX_BUILD="$DAX_CACHE/build-prefix" "$0" "$@"
fi

series_read
commits=("${SERIES_PATCH[@]}")
first=${1:-1} last=${2:-${#commits[@]}}
log=$LOGS/bisect-$(date +%Y%m%d-%H%M%S).txt
mkdir -p "$LOGS"
total_start=$(date +%s)
for ((i = first; i <= last; i++)); do
	name=${commits[i - 1]}
	start=$(date +%s)
	step "prefix $i/${#commits[@]}: $name"
	DAX_SERIES_PREFIX=$i "$REPO/harness/assemble.sh"
	DAX_SERIES_PREFIX=$i "$REPO/harness/config.sh" 2> >(grep -v '^config: wanted' >&2)
	if ! "${KMAKE[@]}" -s bzImage modules > "$BUILD/prefix.log" 2>&1; then
		tail -n 40 "$BUILD/prefix.log" >&2
		echo "prefix $i FAILED ($name)" | tee -a "$log"
		die "the series does not build at commit $i: $name"
	fi
	if [ -f "$SRC/tools/testing/selftests/dax_recovery/Makefile" ] &&
	   ! "${KMAKE[@]}" -s kselftest-install TARGETS=dax_recovery \
			INSTALL_PATH="$BUILD/kselftest" > "$BUILD/prefix.log" 2>&1; then
		tail -n 40 "$BUILD/prefix.log" >&2
		die "the selftests do not build at commit $i: $name"
	fi
	echo "prefix $i ok in $(( $(date +%s) - start ))s ($name)" | tee -a "$log"
done
echo "every prefix $first..$last builds; $(( $(date +%s) - total_start ))s in all" | tee -a "$log"
