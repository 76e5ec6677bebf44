#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Assemble the tree, configure, build the kernel and modules, install the
# kselftests and pack the initramfs. Incremental: a second run after an edit
# rebuilds only what the edit touched.
. "$(dirname "$0")/lib.sh"

"$REPO/harness/assemble.sh"
"$REPO/harness/config.sh"

step "building the kernel ($BUILD)"
start=$(date +%s)
# CONFIG_WERROR makes any C warning and any Rust or clippy warning fatal.
"${KMAKE[@]}" -s bzImage modules 2>&1 | tee "$BUILD/build.log"
step "kernel built in $(( $(date +%s) - start ))s"

# The nvdimm test bus (tools/testing/nd_testbus), an external module; a
# prefix of the series (make check SERIES=fixes) may not have it yet, nor
# the selftests.
testbus=$SRC/tools/testing/nd_testbus
[ ! -d "$testbus" ] ||
	"${KMAKE[@]}" -s M="$testbus" MO="$BUILD/nd_testbus" modules 2>&1 | tee -a "$BUILD/build.log"

rm -rf "$VMDIR/modroot"
"${KMAKE[@]}" -s INSTALL_MOD_PATH="$VMDIR/modroot" INSTALL_MOD_STRIP=1 modules_install >/dev/null
[ ! -d "$testbus" ] ||
	"${KMAKE[@]}" -s M="$testbus" MO="$BUILD/nd_testbus" INSTALL_MOD_PATH="$VMDIR/modroot" \
		INSTALL_MOD_STRIP=1 modules_install >/dev/null

# The selftests, through the kernel's own kselftest build and install.
rm -rf "$VMDIR/kselftest"
if [ -f "$SRC/tools/testing/selftests/dax_recovery/Makefile" ]; then
	"${KMAKE[@]}" -s kselftest-install TARGETS=dax_recovery \
		INSTALL_PATH="$VMDIR/kselftest" >/dev/null
else
	mkdir -p "$VMDIR/kselftest"
fi

"$REPO/harness/initramfs.sh"
