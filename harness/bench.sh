#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: what the series costs on the clean path, and the Rust driver
# against the C one, measured side by side in the same VM setup:
#
#   base     unpatched 7.3.4 kernel, nd_pmem
#   series   the patched kernel, nd_pmem
#   rust     the patched kernel, rust_pmem
#
# Each run (guest/bench.sh) times plain DAX reads and writes on ext4 and
# O_DIRECT block I/O with dd, best of 5 rounds of 1 GiB, and the host prints
# MB/s and the ratios series/base and rust/series. The unpatched kernel is
# built once, from the same fragment minus the series' own options, in
# $DAX_CACHE/base-build. TCG timings are noisy: compare ratios, not MB/s.
. "$(dirname "$0")/lib.sh"

"$REPO/harness/build.sh"

BBUILD=$DAX_CACHE/base-build
BVM=$DAX_CACHE/base-vm
if [ ! -f "$BBUILD/.bench-built" ]; then
	step "building the unpatched base kernel once ($BBUILD)"
	mkdir -p "$BBUILD"
	grep -v 'RUST_PMEM' "$REPO/config/dax-recovery.config" > "$BBUILD/fragment"
	base=(make -C "$BASE_DIR" O="$BBUILD" "${KMAKE[@]:4}")
	"${base[@]}" -s KCONFIG_ALLCONFIG="$BBUILD/fragment" allnoconfig
	"${base[@]}" -s bzImage modules > "$BBUILD/build.log" 2>&1 ||
		{ tail -20 "$BBUILD/build.log"; die "base kernel build failed"; }
	rm -rf "$BVM" && mkdir -p "$BVM/kselftest"
	"${base[@]}" -s INSTALL_MOD_PATH="$BVM/modroot" INSTALL_MOD_STRIP=1 modules_install >/dev/null
	touch "$BBUILD/.bench-built"
fi
if [ ! -f "$BVM/initramfs.cpio" ] || [ "$REPO/harness/guest/bench.sh" -nt "$BVM/initramfs.cpio" ]; then
	DAX_VMDIR=$BVM DAX_BUILD=$BBUILD "$REPO/harness/initramfs.sh"
fi

out=$LOGS/bench-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
run() {	# label build vmdir driver
	step "bench: $1"
	DAX_BUILD=$2 DAX_VMDIR=$3 DAXVM_PMEM_DRIVER=$4 \
		"$REPO/harness/vm.sh" --name "bench-$1" -- /opt/daxvm/bench.sh > "$out/$1.txt" ||
		die "bench run $1 failed, see $out/$1.txt"
	grep '^bench ' "$out/$1.txt" | sed "s/^bench /$1 /" >> "$out/results.txt"
}
: > "$out/results.txt"
run base "$BBUILD" "$BVM" nd_pmem
run series "$BUILD" "$VMDIR" nd_pmem
run rust "$BUILD" "$VMDIR" rust_pmem

python3 - "$out/results.txt" <<'PY'
import sys, collections
r = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    label, test, mbs = line.split()
    r[test][label] = float(mbs)
print(f"{'test':<28}{'base':>9}{'series':>9}{'rust':>9}  series/base  rust/series")
for test, v in r.items():
    b, s, ru = v.get('base'), v.get('series'), v.get('rust')
    f = lambda x: f"{x:9.0f}" if x else f"{'-':>9}"
    q = lambda a, c: f"{a / c:11.2f}" if a and c else f"{'-':>11}"
    print(f"{test:<28}{f(b)}{f(s)}{f(ru)}  {q(s, b)}  {q(ru, s)}")
print("MB/s, best of the rounds; ratios > 1 are faster")
PY
echo "raw results: $out"
