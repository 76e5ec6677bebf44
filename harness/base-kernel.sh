#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the unpatched 7.3.4 kernel, the baseline of make bench and make
# fstests, in $DAX_CACHE/base-build from the same fragment minus the
# series' own options, with its modules in $DAX_CACHE/base-vm/modroot
# (base-build-llvm19 and base-vm-llvm19 with DAX_LLVM=19).
# Rebuilt (incrementally) only when the fragment changed.
. "$(dirname "$0")/lib.sh"

BBUILD=$BASE_BUILD
BVM=$BASE_VM
mkdir -p "$BBUILD"
{
	grep -v 'RUST_PMEM' "$REPO/config/dax-recovery.config"
} > "$BBUILD/fragment.new"
stamp=$( (cat "$BBUILD/fragment.new"; [ "$DAX_LLVM" = 19 ] || cat "$REPO/config/llvm22.config") | sha256sum)
if [ -f "$BBUILD/arch/x86/boot/bzImage" ] && [ "$(cat "$BBUILD/.base-built" 2>/dev/null)" = "$stamp" ]; then
	rm -f "$BBUILD/fragment.new"
	exit 0
fi
mv "$BBUILD/fragment.new" "$BBUILD/fragment"
step "building the unpatched base kernel ($BBUILD)"
base=(make -C "$BASE_DIR" O="$BBUILD" "${KMAKE[@]:4}")
"${base[@]}" -s KCONFIG_ALLCONFIG="$BBUILD/fragment" allnoconfig
toolchain_config "${base[@]}"
"${base[@]}" -s bzImage modules > "$BBUILD/build.log" 2>&1 ||
	{ tail -20 "$BBUILD/build.log"; die "base kernel build failed"; }
rm -rf "$BVM" && mkdir -p "$BVM/kselftest"
"${base[@]}" -s INSTALL_MOD_PATH="$BVM/modroot" INSTALL_MOD_STRIP=1 modules_install >/dev/null
echo "$stamp" > "$BBUILD/.base-built"
