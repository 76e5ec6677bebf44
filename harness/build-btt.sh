#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The second configuration make check builds (a gate, skipped with LINT=0):
# nd_pmem built in, which builds the btt driver in (CONFIG_ND_BTT=y,
# config/btt.config), the one configuration where the Rust abstractions
# compile their btt paths (#[cfg(CONFIG_ND_BTT = "y")] in rust/kernel/
# nvdimm.rs). Only what those paths touch is built, in a tree of its own
# ($DAX_CACHE/build-btt): the Rust crates and drivers/nvdimm, through
# clippy, with CONFIG_WERROR, so that a lint or a dead-code expectation
# that only this configuration trips fails make check. It is not booted.
. "$(dirname "$0")/lib.sh"

if [ "$BUILD" != "$DAX_CACHE/build-btt" ]; then
	exec env DAX_BUILD="$DAX_CACHE/build-btt" DAX_CONFIG_EXTRA="${DAX_CONFIG_EXTRA:-} btt.config" "$0" "$@"
fi

"$REPO/harness/config.sh"
grep -qx 'CONFIG_ND_BTT=y' "$BUILD/.config" || die "build-btt: CONFIG_ND_BTT is not y in $BUILD/.config"
start=$(date +%s)
if ! "${KMAKE[@]}" -s prepare > "$BUILD/build.log" 2>&1 ||
   ! "${KMAKE[@]}" -s rust/ >> "$BUILD/build.log" 2>&1 ||
   ! "${KMAKE[@]}" -s drivers/nvdimm/ >> "$BUILD/build.log" 2>&1; then
	tail -n 40 "$BUILD/build.log" >&2
	die "build-btt: the CONFIG_ND_BTT=y configuration does not build (log: $BUILD/build.log)"
fi
step "build-btt: rust/ and drivers/nvdimm/ build with CONFIG_ND_BTT=y ($(( $(date +%s) - start ))s)"
