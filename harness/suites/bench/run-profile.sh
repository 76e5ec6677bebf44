#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench-profile: where a reset's instructions go. Boots the series'
# kernel under -icount with the insn_profile TCG plugin, which counts the
# instructions of pwritev2(2) calls per translation block, three times on
# the e820 bus (the one make bench measures the reset on): nd_pmem and
# rust_pmem repairing poisoned pages with RWF_RESET_HWERROR, and nd_pmem
# writing the same pages plainly. profile.py turns the counts into
# instructions per call and function, and the reset's difference to the
# plain write, in $LOGS/profile-<date>/profile.txt.
#
#   PROFILE_NBAD (16), PROFILE_ROUNDS (32)   pages per round, rounds
# shellcheck source=../../lib.sh
. "$(dirname "$0")/../../lib.sh"

bin=$DAX_CACHE/bench-bin
mkdir -p "$bin"
sel=$SRC/tools/testing/selftests/dax_recovery
step "building dax_bench and the insn_profile plugin"
"clang-$DAX_LLVM" -O2 -g -Wall -Wextra -Wno-unused-parameter -Wno-gnu-variable-sized-type-not-at-end -static -isystem "$BUILD/usr/include" \
	-I"$sel" -o "$bin/dax_bench" "$REPO/harness/suites/bench/dax_bench.c" "$sel/dax_common.c"
"clang-$DAX_LLVM" -O2 -Wall -Wextra -Wno-unused-parameter -shared -fPIC -fvisibility=hidden \
	-o "$bin/insn_profile.so" "$REPO/harness/suites/bench/insn_profile.c"
DAX_INITRAMFS_BENCH=$bin/dax_bench "$REPO/harness/initramfs.sh"

# The window: the entry of pwritev2's handler (x64_sys_call jumps to it)
# to the instruction after entry_SYSCALL_64's call of do_syscall_64, so that
# the work on the way back to user space (a worker the call woke running
# first) counts, as it does in the call's time.
on=$(awk '$3 == "__x64_sys_pwritev2" { print "0x" $1 }' "$BUILD/System.map")
entry=$(awk '$3 == "entry_SYSCALL_64" { print $1 }' "$BUILD/System.map")
off=
if [ -n "$entry" ]; then
	off=$("llvm-objdump-$DAX_LLVM" -d --no-show-raw-insn --start-address="0x$entry" \
		--stop-address="$(printf '%#x' $((0x$entry + 0x400)))" "$BUILD/vmlinux" |
		awk '/call.*<do_syscall_64>/ && !found { found = 1; next }
		     found == 1 && /^ *ffff/ { sub(":", "", $1); print "0x" $1; found = 2 }')
fi
{ [ -n "$on" ] && [ -n "$off" ]; } || die "bench-profile: no __x64_sys_pwritev2, or no call of do_syscall_64 in entry_SYSCALL_64, in $BUILD"

out=$LOGS/profile-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
runs=("nd_pmem reset" "rust_pmem reset" "nd_pmem write")
labels=()
for r in "${runs[@]}"; do
	read -r drv mode <<< "$r"
	label=$drv-$mode
	labels+=("$label")
	step "bench-profile: $drv, $mode"
	DAXVM_ICOUNT=1 DAXVM_E820_SIZE=2G DAXVM_TIMEOUT=${DAXVM_TIMEOUT:-3600} \
	DAXVM_PLUGIN="$bin/insn_profile.so,on=$on,off=$off,out=$out/$label.blocks" \
	DAXVM_ENV_PROFILE_DRIVER=$drv DAXVM_ENV_PROFILE_MODE=$mode \
	DAXVM_ENV_PROFILE_NBAD=${PROFILE_NBAD:-16} DAXVM_ENV_PROFILE_ROUNDS=${PROFILE_ROUNDS:-32} \
	DAX_RUN_LOG=$out/vm-$label \
		"$REPO/harness/vm.sh" --name "profile-$label" --driver "$drv" -- /opt/daxvm/profile.sh \
		> "$out/$label.txt" || die "bench-profile run $label failed, see $out/$label.txt"
	[ -s "$out/$label.blocks" ] || die "bench-profile: the plugin wrote no counts for $label"
done
python3 "$REPO/harness/suites/bench/profile.py" "$BUILD/System.map" "$out" "${labels[@]}" \
	> "$out/profile.txt"
step "bench-profile: $out/profile.txt"
sed -n '/^== /p' "$out/profile.txt"
