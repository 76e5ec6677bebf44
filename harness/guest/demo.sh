#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make run: recovering a file on persistent memory with media errors.
set -e
say() { printf '\n### %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
salvage=/opt/kselftest/dax_recovery/dax_salvage
# The block device of a namespace: through its pfn claim in fsdax mode, its
# own on a label-less region (e820, the test bus), which maps pages itself.
blockdev() {
	h=$(cat /sys/bus/nd/devices/"$1"/holder 2>/dev/null)
	ls /sys/bus/nd/devices/"${h:-$1}"/block
}

say "1. Three nvdimm buses: the test bus (nd_testbus: scrub, clear-error and error"
say "   injection, as real DIMMs have), a legacy e820 region from memmap= (no"
say "   command interface) and QEMU's NVDIMM (ACPI.NFIT, commands but no clear-error)"
run ndctl list -B -R

# Steps 2 to 8 run once per pmem driver: nd_pmem (C), then the series' Rust
# driver; both implement the recovery operations, with the same results.
demo() {
drv=$1

say "2. $drv: the pmem driver (both pmem drivers recover; this run uses $drv)"
# Unloads the other driver, keeps ndctl from loading it by its alias, loads this one.
run /opt/daxvm/pmem-driver.sh "$drv"
run lsmod

say "3. An fsdax namespace on the test bus, ext4 with -o dax"
ns=$(/opt/daxvm/bus-ns.sh testbus)
dev=/dev/$(blockdev "$ns")
echo "block device: $dev, driver: $(basename "$(readlink "/sys/block/${dev#/dev/}/device/driver")")"
run mkfs.ext4 -q -F -E nodiscard "$dev"
mkdir -p /mnt/pmem
run mount -o dax "$dev" /mnt/pmem

say "4. A 1 MiB file written through DAX, and a replica of it elsewhere (tmpfs)"
run dd if=/dev/urandom of=/tmp/replica bs=1M count=1 2>/dev/null
run cp /tmp/replica /mnt/pmem/data
sync
sum=$(sha256sum /mnt/pmem/data | cut -d' ' -f1)
echo "sha256: $sum"

say "5. Media errors: sector 3 of page 100, and two sectors across pages 200/201"
# FIEMAP: file sector -> device sector (badblocks counts 512-byte sectors
# from the start of the pmem data).
devsector() {
	filefrag -b512 -v /mnt/pmem/data | awk -v want="$1" '
	$1 ~ /^[0-9]+:$/ {
		gsub(/\.\.|:/, " "); split($0, f, " ")	# ext lstart lend pstart pend
		if (want >= f[2] && want <= f[3]) print f[4] + want - f[2]
	}'
}
s1=$(devsector 803)
s2=$(devsector 1615)
{ [ -n "$s1" ] && [ -n "$s2" ]; } || { echo "FIEMAP found no extent"; exit 1; }
bb=/sys/block/${dev#/dev/}/badblocks
echo "injected into the (emulated) firmware, found by an address range scrub:"
run ndctl inject-error --no-notify --block="$s1" --count=1 "$ns"
run ndctl inject-error --no-notify --block="$s2" --count=2 "$ns"
run ndctl start-scrub nd_testbus
run ndctl wait-scrub nd_testbus
run cat "$bb"

say "6. Plain reads stop at the first bad byte"
run dd if=/mnt/pmem/data of=/tmp/prefix bs=1M count=1 || true
echo "  $(stat -c %s /tmp/prefix) bytes: the 803 good sectors before the bad one"
run dd if=/mnt/pmem/data of=/dev/null bs=512 count=1 skip=803 || true

say "7. Salvage with RWF_IGNORE_HWERROR, repair from the replica with RWF_RESET_HWERROR"
echo "dax_salvage copies every readable byte (bad ones as zeros), finds the lost"
echo "ranges with plain reads, and rewrites them from the replica with a reset,"
echo "which clears the poison of the pages it writes and keeps their good bytes."
run $salvage /mnt/pmem/data /tmp/salvaged /tmp/replica
run cat "$bb"
echo "(known-bad list empty: cleared through the bus's clear-error command)"
echo "a new scrub finds nothing: the errors are gone from the medium, not only from the list"
run ndctl start-scrub nd_testbus
run ndctl wait-scrub nd_testbus
run cat "$bb"
run sh -c "ndctl inject-error --status $ns | grep -c block || true"

say "8. Verify"
echo "the salvaged copy differs from the original only in the lost sectors:"
run sh -c "cmp -l /tmp/replica /tmp/salvaged | wc -l"
echo "(at most 3 x 512 bytes differ: the lost bytes read as zeros)"
new=$(sha256sum /mnt/pmem/data | cut -d' ' -f1)
echo "sha256 before: $sum"
echo "sha256 now:    $new"
umount /mnt/pmem
run mount -o dax "$dev" /mnt/pmem
after=$(sha256sum /mnt/pmem/data | cut -d' ' -f1)
echo "sha256 after a remount: $after"
umount /mnt/pmem
if [ "$sum" = "$new" ] && [ "$sum" = "$after" ]; then
	echo "checksums match: the file is recovered ($drv)"
else
	echo "CHECKSUM MISMATCH ($drv)"
	exit 1
fi

say "9. $drv on QEMU's NVDIMM: its bus cannot clear poison, so a reset is refused"
ns=$(/opt/daxvm/bus-ns.sh nfit)
dev=/dev/$(blockdev "$ns")
run cat "/sys/block/${dev#/dev/}/device/../../commands"
mkfs.ext4 -q -F -E nodiscard "$dev" && mount -o dax "$dev" /mnt/pmem
cp /tmp/replica /mnt/pmem/data && sync
s1=$(devsector 803)
run sh -c "echo '$s1 1' > /sys/block/${dev#/dev/}/badblocks"
run $salvage /mnt/pmem/data /tmp/salvaged /tmp/replica || true
run cat "/sys/block/${dev#/dev/}/badblocks"
echo "(the sector stays listed bad: nothing was written over poison that may be real)"
umount /mnt/pmem
}

demo nd_pmem
demo rust_pmem
