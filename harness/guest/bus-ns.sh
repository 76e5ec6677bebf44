#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# bus-ns.sh BUS: print the fsdax namespace the suite uses on BUS, creating
# it if needed. Three buses in the VM (harness/vm.sh):
#   nfit  QEMU's NVDIMM: a labelled region on the ACPI.NFIT bus, whose
#         commands have no clear-error (poison cannot be cleared); the
#         namespace is named dax_recovery
#   e820  the legacy region from memmap=: a bus with no command interface
#         (a clear counts as done); its one label-less namespace,
#         reconfigured to fsdax
#   testbus  tools/testing/nd_testbus: a bus with scrub, clear-error and
#         error injection, as real DIMMs have; label-less, as e820
bus=${1:?usage: bus-ns.sh nfit|e820|testbus}
case $bus in
nfit) provider=ACPI.NFIT ;;
e820) provider=e820 ;;
testbus) provider=nd_testbus ;;
*) echo "bus-ns.sh: unknown bus $bus" >&2; exit 2 ;;
esac
region=
for b in /sys/bus/nd/devices/ndbus*; do
	[ "$(cat "$b/provider" 2>/dev/null)" = "$provider" ] || continue
	for r in "$b"/region*; do
		[ -e "$r" ] && region=${r##*/} && break 2
	done
done
[ -n "$region" ] || { echo "bus-ns.sh: no $provider region" >&2; exit 1; }
if [ "$bus" != nfit ]; then
	ns=namespace${region#region}.0
	[ "$(cat "/sys/bus/nd/devices/$ns/mode" 2>/dev/null)" = memory ] ||
		ndctl create-namespace -f -e "$ns" --mode=fsdax --map=dev >/dev/null || exit 1
	echo "$ns"
	exit 0
fi
for n in /sys/bus/nd/devices/"$region"/namespace*; do
	[ "$(cat "$n/alt_name" 2>/dev/null)" = dax_recovery ] && echo "${n##*/}" && exit 0
done
ndctl create-namespace -r "$region" --mode=fsdax --map=dev --name=dax_recovery >/dev/null || exit 1
for n in /sys/bus/nd/devices/"$region"/namespace*; do
	[ "$(cat "$n/alt_name" 2>/dev/null)" = dax_recovery ] && echo "${n##*/}" && exit 0
done
exit 1
