#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot the built kernel in QEMU with an emulated NVDIMM and run a command.
#
#   vm.sh [--shell] [--name NAME] [--driver MODULE] [--] [COMMAND...]
#
# Three kinds of nvdimm bus: an emulated NVDIMM, a fresh file-backed device
# (DAXVM_NVDIMM_SIZE, 1 GiB) with a 128 KiB label area on every boot, a
# legacy e820 pmem region carved out of RAM (DAXVM_E820_SIZE, 1 GiB), and
# the test bus over 1 GiB of reserved RAM. The kernel console goes to $LOGS/<run>/console.log, the
# command's output to the terminal and $LOGS/<run>/output.log. Exits with
# the guest command's status; a run whose kernel log holds a WARNING, BUG,
# Oops, lockdep, KASAN or UBSAN report fails (status 3), and so does a
# guest that never reports back (status 4).
. "$(dirname "$0")/lib.sh"

mode=cmd name=run driver=${DAXVM_PMEM_DRIVER:-nd_pmem}
while [ $# -gt 0 ]; do
	case "$1" in
	--shell) mode=shell ;;
	--name) name=$2; shift ;;
	--driver) driver=$2; shift ;;
	--) shift; break ;;
	*) break ;;
	esac
	shift
done
cmd=${*:-true}

kernel=$BUILD/arch/x86/boot/bzImage
[ -f "$kernel" ] || die "no kernel at $kernel; run make build"
[ -f "$VMDIR/initramfs.cpio" ] || die "no initramfs; run make build"

# DAX_RUN_LOG names the run's log directory (check.sh sets it, so that
# runs side by side each read their own); logs/latest is for people.
log=${DAX_RUN_LOG:-$LOGS/$(date +%Y%m%d-%H%M%S)-$name}
mkdir -p "$log"
ln -sfn "$log" "$LOGS/latest"

# Per-run configuration, appended to the initramfs as a second archive.
conf=$log/conf
mkdir -p "$conf/etc"
{
	printf 'DAXVM_MODE=%q\n' "$mode"
	printf 'DAXVM_CMD=%q\n' "$cmd"
	printf 'DAXVM_PMEM_DRIVER=%q\n' "$driver"
	for v in ${!DAXVM_ENV_@}; do printf 'export %s=%q\n' "${v#DAXVM_ENV_}" "${!v}"; done
} > "$conf/etc/daxvm.conf"
(cd "$conf" && printf 'etc\netc/daxvm.conf\n' | cpio -o -H newc --quiet) > "$log/conf.cpio"
cat "$VMDIR/initramfs.cpio" "$log/conf.cpio" > "$log/initramfs.cpio"

# The image is a shared file mapping: on a disk file system the host writes
# its dirty pages back while the guest runs, and a guest store to a page
# under writeback takes a host page fault. make bench puts it on tmpfs
# (DAXVM_NVDIMM_DIR) so that no timed write pays for that.
nvdimm=${DAXVM_NVDIMM_DIR:-$log}/nvdimm0-$$.img
truncate -s "${DAXVM_NVDIMM_SIZE:-1G}" "$nvdimm"

# Real machine checks, on the guest's request (harness/mce-injector.py):
# QEMU's human monitor and a third serial port, the guest's /dev/ttyS2
# (ttyS0 is the console, ttyS1 the command's terminal), are unix sockets
# that the injector listens on and QEMU connects to. A test in the guest
# writes "mce <phys>" on ttyS2; the injector has the monitor raise an
# action-optional memory-scrub machine check at that physical address
# (mce -b 0 9 0xbd000000000000c0 0x5 <phys> 0x86) on every vCPU and answers
# "ok" or "err <why>". The guest's own handler runs: memory_failure() and
# the machine-check notifiers, as on hardware. The sockets live in the
# run's log directory, or in /tmp where that path is too long for one.
mcedir=$log
[ ${#mcedir} -le 80 ] || mcedir=$(mktemp -d /tmp/daxvm-mce.XXXXXX)
mcemon=$mcedir/mce-monitor.sock mceser=$mcedir/mce-serial.sock
rm -f "$mcemon" "$mceser"
python3 "$REPO/harness/mce-injector.py" --monitor "$mcemon" --serial "$mceser" \
	--log "$log/mce-injector.log" &
injector=$!
# shellcheck disable=SC2317  # run by the EXIT trap
stop_injector() {
	kill "$injector" 2>/dev/null || true
	wait "$injector" 2>/dev/null || true
	rm -f "$mcemon" "$mceser"
	[ "$mcedir" = "$log" ] || rmdir "$mcedir" 2>/dev/null || true
}
trap 'rm -f "$nvdimm"; stop_injector' EXIT
for _ in $(seq 100); do
	[ -S "$mcemon" ] && [ -S "$mceser" ] && break
	kill -0 "$injector" 2>/dev/null || die "the machine-check injector failed ($log/mce-injector.log)"
	sleep 0.1
done
if ! [ -S "$mcemon" ] || ! [ -S "$mceser" ]; then
	die "the machine-check injector did not start ($log/mce-injector.log)"
fi

# An Intel CPU model: the guest grades machine checks as on the Intel
# platforms that had persistent memory, and QEMU's monitor broadcasts a
# machine check (mce -b, see below) only to an Intel CPU. "max" under TCG
# is every feature TCG emulates, MCA with MCG_SER_P and 10 banks included.
# shellcheck disable=SC2054  # the comma is in QEMU's option
cpu=(-cpu max,vendor=GenuineIntel)
accel=(-accel tcg "${cpu[@]}")
[ "${DAXVM_ACCEL:-tcg}" = kvm ] && accel=(-accel kvm -cpu host)
# DAXVM_ICOUNT=1: deterministic TCG, one guest instruction per virtual
# nanosecond (-icount shift=0,sleep=off; one host thread for all vCPUs).
# Guest timings then count instructions, not host speed.
# shellcheck disable=SC2054  # the commas are in QEMU's options
[ "${DAXVM_ICOUNT:-0}" = 1 ] && accel=(-accel tcg,thread=single -icount shift=0,sleep=off "${cpu[@]}")

if [ "$mode" = shell ]; then
	out=(-serial mon:stdio)
else
	out=(-serial stdio)
fi

# Three kinds of nvdimm bus: QEMU's NVDIMM (an NFIT whose bus has commands
# but no clear-error: poison there cannot be cleared); a legacy e820 pmem
# region carved out of RAM by memmap=nn!ss (a bus with no command interface:
# a clear counts as done) of DAXVM_E820_SIZE (whole GiB); and the test bus
# (tools/testing/nd_testbus: scrub, clear-error, error injection) over 1 GiB
# reserved with memmap=nn$ss, whose place the guest learns from the
# daxvm.testbus= parameter. The guest keeps 2G of RAM besides. Neither range
# covers the top of low RAM, which holds the firmware's ACPI tables: QEMU
# puts RAM beyond 3G at 4G, and the test bus takes the first GiB there.
e820=${DAXVM_E820_SIZE:-1G}
e820=${e820%G}
if [ "$e820" -le 1 ]; then
	mem=4 e820at=1 testbus=4
else
	mem=$((5 + e820)) e820at=4 testbus=$((4 + e820))
fi
memmap="memmap=${e820}G!${e820at}G memmap=1G\$${testbus}G daxvm.testbus=1G@${testbus}G"
# make fstests (DAXVM_E820_TWO=1): two 1 GiB e820 regions, TEST and SCRATCH,
# apart (adjacent ones would merge into one region, which a label-less
# namespace cannot divide), the test bus between them.
if [ "${DAXVM_E820_TWO:-0}" = 1 ]; then
	mem=7
	memmap="memmap=1G!4G memmap=1G\$5G daxvm.testbus=1G@5G memmap=1G!6G"
fi
nvsize=${DAXVM_NVDIMM_SIZE:-1G}
# shellcheck disable=SC2054  # the commas are in QEMU's options
qemu=(qemu-system-x86_64 -machine pc,nvdimm=on "${accel[@]}" -smp 2
      -m "${mem}G,slots=2,maxmem=$((mem + ${nvsize%G}))G"
      -object memory-backend-file,id=nvm0,share=on,mem-path="$nvdimm",size="${DAXVM_NVDIMM_SIZE:-1G}"
      -device nvdimm,id=nvdimm0,memdev=nvm0,label-size=128K
      -device virtio-rng-pci
      -kernel "$kernel" -initrd "$log/initramfs.cpio"
      -append "console=ttyS0,115200 loglevel=7 panic=-1 rdinit=/init $memmap ${DAXVM_CMDLINE:-}"
      -display none -monitor none -no-reboot
      -serial file:"$log/console.log" "${out[@]}"
      -chardev socket,id=mcemon,path="$mcemon" -mon chardev=mcemon,mode=readline
      -chardev socket,id=mceser,path="$mceser" -serial chardev:mceser)
# make fstests: the host's root, read-only, for a whole userland (bash,
# perl, xfsprogs, fstests itself) that the guest chroots into, and a
# writable directory for the results (DAXVM_HOSTROOT=1,
# DAXVM_RESULTS=<host directory>).
# shellcheck disable=SC2054  # the commas are in QEMU's options
if [ "${DAXVM_HOSTROOT:-0}" = 1 ]; then
	qemu+=(-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap)
	[ -n "${DAXVM_RESULTS:-}" ] &&
		qemu+=(-virtfs local,path="$DAXVM_RESULTS",mount_tag=results,security_model=none,multidevs=remap)
fi
# DAXVM_PLUGIN: a TCG plugin and its arguments (make bench's profile).
[ -n "${DAXVM_PLUGIN:-}" ] && qemu+=(-plugin "$DAXVM_PLUGIN")
printf '%q ' "${qemu[@]}" > "$log/qemu.cmd"

step "booting the VM (logs: $log)"
start=$(date +%s)
if [ "$mode" = shell ]; then
	"${qemu[@]}"
	rm -f "$nvdimm"
	exit 0
fi
set +e
timeout "${DAXVM_TIMEOUT:-3600}" "${qemu[@]}" < /dev/null | tr -d '\r' | tee "$log/output.log" |
	grep -v '^@@DAXVM-EXIT'
qrc=${PIPESTATUS[0]}
set -e
rm -f "$nvdimm"
echo "$(( $(date +%s) - start ))" > "$log/seconds"

rc=$(sed -n 's/^@@DAXVM-EXIT \([0-9]*\)@@$/\1/p' "$log/output.log" | tail -n 1)
if [ -z "$rc" ]; then
	echo "error: the VM did not report an exit status (qemu status $qrc; timeout or crash?)" >&2
	tail -n 30 "$log/console.log" >&2
	exit 4
fi

# Kernel splats fail the run whatever the command said.
splat='WARNING:|BUG:|Oops|kernel BUG|general protection fault|Kernel panic|KASAN|UBSAN|KFENCE|'
splat+='possible circular locking|possible recursive locking|inconsistent lock state|'
splat+='DEBUG_LOCKS_WARN_ON|suspicious RCU usage|INFO: task .* blocked|rcu: .*stall|'
splat+='[-]+\[ cut here \][-]+|Call Trace:|refcount_t: |list_(add|del) corruption'
# The stack dump that follows a report of an allocation failure or an
# injected fault is part of that report (the tests inject them), not a splat;
# a WARNING or BUG near one still is.
expected='vmalloc error:|page allocation failure:|__kmem_cache_create_args\(.*\) failed with error|'
expected+='FAULT_INJECTION: forcing a failure'
# The patterns go through the environment: awk -v would process their
# backslashes as string escapes (gawk warns and drops them).
SPLAT=$splat EXPECTED=$expected awk '
	BEGIN { splat = ENVIRON["SPLAT"]; expected = ENVIRON["EXPECTED"] }
	$0 ~ expected { near = NR }
	$0 ~ splat {
		if ($0 ~ /Call Trace:/ && near && NR - near <= 8)
			next
		print NR ":" $0
	}' "$log/console.log" > "$log/splats.txt"
if [ -s "$log/splats.txt" ]; then
	echo "error: the kernel log has $(wc -l < "$log/splats.txt") line(s) of warnings/oopses ($log/console.log):" >&2
	head -n 40 "$log/splats.txt" >&2
	exit 3
fi
exit "$rc"
