#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: the Rust pmem driver against nd_pmem, recovery against the 7.3
# workaround, and what the series costs on the clean path. Two VM boots:
#
#   series   the patched kernel; every round measures nd_pmem and then
#            rust_pmem (the order alternates between rounds) on the same
#            namespace, so their ratio is taken side by side
#   base     the unpatched 7.3.4 kernel (built once, from the same fragment
#            minus the series' own options), nd_pmem only
#
# guest/bench.sh runs fio and dax_bench (dax_bench.c, built here
# against the series' UAPI headers and the selftests' helpers) in the VM;
# bench_report.py turns the samples into results.json, results.md and
# ratios.dat, and gnuplot draws ratios.png. The run's files go to
# $LOGS/bench-<date>/; BENCH_RECORD=<label> also records them in the
# repository, as bench/<date>-<label>/ with the index bench/README.md.
#
#   BENCH_ROUNDS (5)   rounds per driver; medians with min and max
#   FIO_RUNTIME (2)    seconds per fio run
#   DAX_BENCH_SHM      tmpfs for the DIMM image (/dev/shm; 3 GiB free)
#   BENCH_ICOUNT (1)   also run the workloads under -icount, where the
#                      guest clock counts instructions (both kernels, and
#                      the recovery workloads but the salvage runs on the
#                      series; BENCH_ICOUNT_ROUNDS, 2, rounds after a
#                      warm-up)
#
# TCG timings are noisy: compare ratios, not MB/s.
# shellcheck source=../../lib.sh
. "$(dirname "$0")/../../lib.sh"

# The emulated DIMM's image goes on tmpfs: on a disk file system the host
# writes back the pages the guest dirties, and a guest store to a page under
# writeback waits for a host page fault, which halved some write runs of
# either driver at random (see harness/vm.sh).
shm=${DAX_BENCH_SHM:-/dev/shm}
if ! { [ -d "$shm" ] && [ -w "$shm" ] &&
	[ "$(df -Pk "$shm" | awk 'NR == 2 { print $4 }')" -gt $((3 << 20)) ]; }; then
	die "make bench needs 3 GiB free on a writable tmpfs at $shm (DAX_BENCH_SHM)"
fi

DAX_DEPS_BENCH=1 "$REPO/harness/deps.sh"
"$REPO/harness/build.sh"

ROUNDS=${BENCH_ROUNDS:-5}
ICOUNT_ROUNDS=${BENCH_ICOUNT_ROUNDS:-2}
RT=${FIO_RUNTIME:-2}
BBUILD=$BASE_BUILD
BVM=$BASE_VM
"$REPO/harness/base-kernel.sh"

step "building dax_bench"
bin=$DAX_CACHE/bench-bin
mkdir -p "$bin"
sel=$SRC/tools/testing/selftests/dax_recovery
"clang-$DAX_LLVM" -O2 -g -Wall -Wextra -Wno-unused-parameter -Wno-gnu-variable-sized-type-not-at-end -static -isystem "$BUILD/usr/include" \
	-I"$sel" -o "$bin/dax_bench" "$REPO/harness/suites/bench/dax_bench.c" "$sel/dax_common.c"

# Both initramfs images get fio and dax_bench (the next build drops them).
DAX_INITRAMFS_BENCH=$bin/dax_bench "$REPO/harness/initramfs.sh"
DAX_INITRAMFS_BENCH=$bin/dax_bench DAX_VMDIR=$BVM DAX_BUILD=$BBUILD "$REPO/harness/initramfs.sh"

out=$LOGS/bench-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
run() {	# label build vmdir drivers [rounds]
	local rounds=${5:-$ROUNDS}
	step "bench: $1 kernel, $4 ($rounds rounds)"
	DAX_BUILD=$2 DAX_VMDIR=$3 DAXVM_NVDIMM_DIR=$shm DAXVM_E820_SIZE=2G DAXVM_TIMEOUT=${DAXVM_TIMEOUT:-5400} \
	DAXVM_ENV_ROUNDS=$rounds DAXVM_ENV_FIO_RUNTIME=$RT DAXVM_ENV_BENCH_DRIVERS="$4" \
	DAX_RUN_LOG=$out/vm-$1 \
		"$REPO/harness/vm.sh" --name "bench-$1" --driver "${4%% *}" -- /opt/daxvm/bench.sh \
		> "$out/$1.txt" || die "bench run $1 failed, see $out/$1.txt and $out/vm-$1/"
	grep '^bench ' "$out/$1.txt" | sed "s/^bench /$1 /" >> "$out/results.txt"
	sed -n 's/^daxvm: \([0-9][^,]*\), .*/\1/p' "$out/$1.txt" | head -n 1 > "$out/$1.kernel"
}
: > "$out/results.txt"
start=$(date +%s)
run series "$BUILD" "$VMDIR" "nd_pmem rust_pmem"
run base "$BBUILD" "$BVM" nd_pmem
# The same workloads again with -icount (vm.sh DAXVM_ICOUNT): the guest's
# clock then counts instructions, so runs repeat to about 0.2% where TCG
# timings between two boots differ by several percent. That is what can
# show a 1% cost of the series on the clean paths, and what the targets
# are judged on; it counts instructions, not time (memory and caches are
# not modelled). The recovery workloads run on the series only (the base
# has no flags), without the salvage runs (dax_salvage's time is mostly
# its own).
if [ "${BENCH_ICOUNT:-1}" = 1 ]; then
	export DAXVM_ICOUNT=1 DAXVM_ENV_BENCH_SALVAGE=0
	run series-icount "$BUILD" "$VMDIR" "nd_pmem rust_pmem" "$ICOUNT_ROUNDS"
	export DAXVM_ENV_BENCH_RECOVER=0
	run base-icount "$BBUILD" "$BVM" nd_pmem "$ICOUNT_ROUNDS"
	unset DAXVM_ICOUNT DAXVM_ENV_BENCH_SALVAGE DAXVM_ENV_BENCH_RECOVER
fi

series_read
python3 - "$out" "$ROUNDS" "$RT" "$(( $(date +%s) - start ))" "${#SERIES_PATCH[@]}" \
	"$("clang-$DAX_LLVM" --version | head -n 1), $(/usr/bin/rustc --version)" > "$out/meta.json" <<'PY'
import json, subprocess, sys, datetime
out, rounds, rt, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
patches, toolchain = int(sys.argv[5]), sys.argv[6]
first = lambda cmd: subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0]
cpu = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")]
print(json.dumps({
    "date": datetime.date.today().isoformat(),
    "engine": first(["qemu-system-x86_64", "--version"]).replace("QEMU emulator version", "QEMU") + " TCG",
    "host_cpu": cpu[0] if cpu else "", "cpus": 2,
    "kernel": open(f"{out}/series.kernel").read().strip(),
    "base_kernel": open(f"{out}/base.kernel").read().strip(),
    "fio": first(["fio", "--version"]), "fio_runtime": rt, "rounds": rounds,
    "vm_seconds": secs, "patches": patches, "toolchain": toolchain,
    "recorded": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
}))
PY
python3 "$REPO/harness/suites/bench/bench_report.py" "$out" "$out/results.txt" "$out/meta.json"
plot() {	# run-directory: draws ratios.png from ratios.dat
	gnuplot <<EOF2
set terminal pngcairo size 1100,540 font ",10" noenhanced
set output "$1/ratios.png"
set title "make bench: speed ratios, medians of $ROUNDS rounds, whiskers min-max, dashed: 0.98 (> 1: faster)"
set rmargin 10
set ylabel "ratio"
set yrange [0:2]
set xrange [-0.6:*]
set xtics rotate by -35 left
set grid ytics
set key top left
set boxwidth 0.35
set style fill solid 0.6 border -1
set arrow from graph 0, first 0.98 to graph 1, first 0.98 nohead dt 2 lc rgb "red"
plot "$1/ratios.dat" using (\$0 - 0.18):2:3:4:(0.35):xtic(1) with boxerrorbars lc rgb "#4477aa" \
	title "Rust/C, same boot (ignore-read rows: IGNORE read / clean read)", \
     "" using (\$0 + 0.18):5 with boxes lc rgb "#ccbb44" title "series/base, nd_pmem (two boots)"
EOF2
}
plot "$out"
echo "results: $out (results.json, results.md, ratios.png)"
# BENCH_RECORD=<label> (1: "run") records the run as bench/<date>-<label>/
# and rewrites bench/README.md, the index, from every recorded run.
if [ "${BENCH_RECORD:-0}" != 0 ]; then
	label=$BENCH_RECORD
	[ "$label" != 1 ] || label=run
	dest=$REPO/bench/$(date +%F)-$label
	[ ! -e "$dest" ] || die "bench: $dest is taken; record under another BENCH_RECORD label (the run is in $out)"
	mkdir -p "$dest"
	cp "$out"/{results.json,results.md,ratios.png,results.txt} "$dest/"
	python3 "$REPO/harness/suites/bench/bench_report.py" --index "$REPO/bench"
	step "recorded in $dest; bench/README.md rewritten"
fi
