#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Generate $BUILD/.config: allnoconfig plus the fragment(s) in config/,
# then check that every option the fragments set has stuck. Regenerated
# only when a fragment or a Kconfig file of the series changed.
. "$(dirname "$0")/lib.sh"

frags=("$REPO/config/dax-recovery.config")
for f in ${DAX_CONFIG_EXTRA:-}; do frags+=("$REPO/config/$f"); done

mkdir -p "$BUILD"
merged=$BUILD/dax-recovery.fragment
cat "${frags[@]}" > "$merged.new"
stamp=$( (cat "$merged.new"; { grep -E '(^|/)Kconfig' "$SRC/.dax-recovery-manifest" || true; } |
	  while read -r k; do cat "$SRC/$k" 2>/dev/null; done) | sha256sum)
if [ -f "$BUILD/.config" ] && [ "$(cat "$BUILD/.config.stamp" 2>/dev/null)" = "$stamp" ]; then
	rm -f "$merged.new"
	exit 0
fi
mv "$merged.new" "$merged"

step "configuring the kernel (allnoconfig + ${frags[*]##*/})"
"${KMAKE[@]}" -s KCONFIG_ALLCONFIG="$merged" allnoconfig

# A prefix of the series (harness/bisect.sh) may predate options the
# fragment sets (the Rust driver's, for one): what it cannot have is fine.
check_fragment "$merged" "$BUILD/.config" || [ -n "${DAX_SERIES_PREFIX:-}" ] ||
	die "the kernel configuration does not satisfy the fragment"
echo "$stamp" > "$BUILD/.config.stamp"
