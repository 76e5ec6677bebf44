#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# nfit-kernel.sh base|series: build a kernel for upstream's nfit_test
# (tools/testing/nvdimm), the mock bus ndctl's own tests are written for,
# in a tree of its own: $DAX_CACHE/nfit-<which>-build, with the VM's
# modules and initramfs pieces in $DAX_CACHE/nfit-<which>-vm.
#
# nfit_test rebuilds libnvdimm, the ACPI NFIT driver, nd_pmem, nd_btt,
# nd_e820 and the device-dax drivers with the linker wrapping their
# memory-mapping calls (--wrap), so all of them must be modules
# (tools/testing/nvdimm/config_check.c): the fragment is the test bed's,
# with those set to m. The Rust driver needs libnvdimm built in and is
# left out (nfit_test is for nd_pmem); so are Rust and KUnit, which the
# runs do not use. What the tests need beyond the test bed's fragment is
# added (config/ndctl.config: tracing, writes to mounted disks). The test modules replace the production ones in the
# module tree, as ndctl's README has it ("make M=tools/testing/nvdimm
# modules_install" before the depmod of "make modules_install").
#
#   base     the unpatched 7.3.4 source ($BASE_DIR)
#   series   the source with the series ($SRC, kept by harness/assemble.sh)
# shellcheck source=../../lib.sh
. "$(dirname "$0")/../../lib.sh"

which=${1:?usage: nfit-kernel.sh base|series}
case $which in
base) src=$BASE_DIR ;;
series) src=$SRC; "$REPO/harness/assemble.sh" ;;
*) die "nfit-kernel.sh: base or series, not $which" ;;
esac
NB=$DAX_CACHE/nfit-$which-build
NV=$DAX_CACHE/nfit-$which-vm
mkdir -p "$NB"
kmake=(make -C "$src" O="$NB" "${KMAKE[@]:4}")

sed -E -e 's/^(CONFIG_(ACPI_NFIT|X86_PMEM_LEGACY|LIBNVDIMM))=y$/\1=m/' \
	-e '/^CONFIG_(BLK_DEV_RUST_PMEM|RUST|RUST_[A-Z_]+|KUNIT[A-Z_]*)=/d' \
	"$REPO/config/dax-recovery.config" > "$NB/fragment.new"
cat "$REPO/config/ndctl.config" >> "$NB/fragment.new"
stamp=$( (cat "$NB/fragment.new"; [ "$which" = base ] || cat "$SRC/.dax-recovery-manifest") | sha256sum)
if [ "$(cat "$NB/.config.stamp" 2>/dev/null)" != "$stamp" ]; then
	mv "$NB/fragment.new" "$NB/fragment"
	step "configuring the nfit_test kernel ($which)"
	"${kmake[@]}" -s KCONFIG_ALLCONFIG="$NB/fragment" allnoconfig
	check_fragment "$NB/fragment" "$NB/.config" ||
		die "the nfit_test kernel configuration does not satisfy its fragment"
	echo "$stamp" > "$NB/.config.stamp"
else
	rm -f "$NB/fragment.new"
fi

step "building the nfit_test kernel ($which, $NB)"
"${kmake[@]}" -s bzImage modules > "$NB/build.log" 2>&1 ||
	{ tail -30 "$NB/build.log"; die "nfit_test kernel ($which) build failed"; }
# The test modules; their objects go under $NB/nfit (MO=), whose depth
# keeps the Kbuild's ../../../drivers/ objects inside it.
nv=$src/tools/testing/nvdimm
mo=$NB/nfit/tools/testing/nvdimm
mkdir -p "$mo"
"${kmake[@]}" -s M="$nv" MO="$mo" modules >> "$NB/build.log" 2>&1 ||
	{ tail -30 "$NB/build.log"; die "nfit_test modules ($which) build failed"; }

rm -rf "$NV/modroot" && mkdir -p "$NV/kselftest"
"${kmake[@]}" -s INSTALL_MOD_PATH="$NV/modroot" INSTALL_MOD_STRIP=1 modules_install >/dev/null
"${kmake[@]}" -s M="$nv" MO="$mo" INSTALL_MOD_PATH="$NV/modroot" INSTALL_MOD_STRIP=1 \
	INSTALL_MOD_DIR=extra modules_install >/dev/null
# Only the test versions may load: remove the production modules they
# replace and index the tree again.
kver=$(cat "$NB/include/config/kernel.release")
mods=$NV/modroot/lib/modules/$kver
for m in "$mods"/extra/*.ko; do
	find "$mods/kernel" -name "$(basename "$m")" -delete
done
depmod -b "$NV/modroot" "$kver"
ls "$mods/extra"
