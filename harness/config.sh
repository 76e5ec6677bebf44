#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Generate $BUILD/.config: allnoconfig plus the fragment(s) in config/,
# then check that every option the fragments set has stuck. Regenerated
# only when a fragment or a Kconfig file of the series changed.
. "$(dirname "$0")/lib.sh"

# llvm22.config goes on top of allnoconfig (toolchain_config in lib.sh).
frags=("$REPO/config/dax-recovery.config")
for f in ${DAX_CONFIG_EXTRA:-}; do
	[ "$f" = llvm22.config ] || frags+=("$REPO/config/$f")
done

mkdir -p "$BUILD"
merged=$BUILD/dax-recovery.fragment
# A later fragment overrides an earlier one: only the last setting of an
# option stays (config/btt.config's CONFIG_BLK_DEV_PMEM=y over =m).
cat "${frags[@]}" | awk '
	{ opt = $0; line[NR] = $0 }
	opt ~ /^CONFIG_[A-Za-z0-9_]+=/ { sub(/=.*/, "", opt); key[NR] = opt; last[opt] = NR; next }
	opt ~ /^# CONFIG_[A-Za-z0-9_]+ is not set/ { sub(/^# /, "", opt); sub(/ .*/, "", opt); key[NR] = opt; last[opt] = NR }
	END { for (i = 1; i <= NR; i++) if (!(i in key) || last[key[i]] == i) print line[i] }' > "$merged.new"
stamp=$( (cat "$merged.new"; [ "$DAX_LLVM" != 22 ] || cat "$REPO/config/llvm22.config"; { grep -E '(^|/)Kconfig' "$SRC/.dax-recovery-manifest" || true; } |
	  while read -r k; do cat "$SRC/$k" 2>/dev/null; done) | sha256sum)
if [ -f "$BUILD/.config" ] && [ "$(cat "$BUILD/.config.stamp" 2>/dev/null)" = "$stamp" ]; then
	rm -f "$merged.new"
	exit 0
fi
mv "$merged.new" "$merged"

top=; [ "$DAX_LLVM" != 22 ] || top=", llvm22.config on top"
step "configuring the kernel (allnoconfig + ${frags[*]##*/}$top)"
"${KMAKE[@]}" -s KCONFIG_ALLCONFIG="$merged" allnoconfig
toolchain_config "${KMAKE[@]}"

# A prefix of the series (harness/bisect.sh) may predate options the
# fragment sets (the Rust driver's, for one): what it cannot have is fine.
{ check_fragment "$merged" "$BUILD/.config" &&
  { [ "$DAX_LLVM" != 22 ] || check_fragment "$REPO/config/llvm22.config" "$BUILD/.config"; }; } || [ -n "${DAX_SERIES_PREFIX:-}" ] ||
	die "the kernel configuration does not satisfy the fragment"
echo "$stamp" > "$BUILD/.config.stamp"
