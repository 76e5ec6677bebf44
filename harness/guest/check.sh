#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM: the dax_recovery kselftests through the kernel's own
# runner (KTAP on stdout), once per pmem driver (the C nd_pmem and the Rust
# rust_pmem) and kind of nvdimm bus (bus-ns.sh). Before each driver's runs
# pmem-driver.sh unloads the other driver, keeps it from being autoloaded,
# and loads this one; namespaces rebind to it.
#
#  testbus  the whole suite: the test bus, with scrub, clear-error and
#        error injection, where a reset clears through the clear-error
#        command (DAX_RECOVERY_BUS=clear-error)
#  e820  the whole suite: a bus with no command interface, where a reset
#        clears by forgetting (DAX_RECOVERY_BUS=no-commands)
#  nfit  QEMU's NVDIMM, whose bus has commands but no clear-error: the
#        programs that assert that row of the contract (dax_bus: resets
#        refused, nothing forgotten; dax_testbed; dax_driver, which also
#        covers the raw mode only a labelled namespace has), and only when
#        no arguments pick programs; then dax_mce, last of all
#
# dax_mce raises real machine checks. On the NFIT bus their poison cannot
# be cleared and stays in the bus's list for the life of the VM, where the
# other programs' fixtures would find it: so dax_mce runs on that bus after
# everything else, once per driver (also when the arguments pick dax_mce).
#
# Each run is preceded by a "# daxvm-suite: <driver>/<bus>" marker that the
# host's summary groups by. Arguments are passed to run_kselftest.sh, so
# "-t dax_recovery:dax_testbed" runs one program. DAXVM_DRIVERS and
# DAXVM_BUSES override the lists.
cd /opt/kselftest || exit 1
set -o pipefail

# run_kselftest.sh, with a line "# daxvm-time: <program> <seconds>" after
# each program's result: what the kselftest timeout (settings) must cover.
# DAXVM_KSELFTEST_TIMEOUT overrides that timeout (make check-debug).
run_timed() {
	./run_kselftest.sh ${DAXVM_KSELFTEST_TIMEOUT:+-o "$DAXVM_KSELFTEST_TIMEOUT"} "$@" | {
		t0=$(cut -d' ' -f1 /proc/uptime)
		while IFS= read -r l; do
			echo "$l"
			case $l in
			"ok "*" selftests: "*|"not ok "*" selftests: "*)
				t=$(cut -d' ' -f1 /proc/uptime)
				p=${l#* selftests: dax_recovery: }
				echo "# daxvm-time: ${p%% *}" \
				     "$(awk -v a="$t0" -v b="$t" 'BEGIN { printf "%.0f", b - a }')"
				t0=$t
				;;
			esac
		done
	}
}

rc=0
buses=${DAXVM_BUSES:-testbus e820 nfit}
for drv in ${DAXVM_DRIVERS:-nd_pmem rust_pmem}; do
	if ! /opt/daxvm/pmem-driver.sh "$drv"; then
		echo "# daxvm-suite: $drv"
		echo "not ok 1 load $drv"
		rc=1
		continue
	fi
	for bus in $buses; do
		case $bus in
		testbus) kind=clear-error ;;
		e820) kind=no-commands ;;
		nfit) kind=no-clear-error ;;
		esac
		if [ "$bus" = nfit ] && [ $# -gt 0 ]; then
			continue
		fi
		echo "# daxvm-suite: $drv/$bus"
		if ! ns=$(/opt/daxvm/bus-ns.sh "$bus"); then
			echo "not ok 1 $bus namespace"
			rc=1
			continue
		fi
		echo "daxvm: pmem driver $drv, bus $bus ($kind), $ns"
		export DAX_RECOVERY_NS="$ns" DAX_RECOVERY_BUS="$kind" \
		       DAXVM_PMEM_DRIVER="$drv" DAX_RECOVERY_DRIVER="$drv"
		if [ "$bus" = nfit ]; then
			# those of them a prefix of the series has (make check SERIES=)
			sel=
			for p in dax_bus dax_testbed dax_driver; do
				[ ! -x "dax_recovery/$p" ] || sel="$sel -t dax_recovery:$p"
			done
			# shellcheck disable=SC2086 # one word per option
			run_timed $sel || rc=1
		else
			run_timed "$@" || rc=1
		fi
	done
done

# dax_mce on the NFIT bus, after every other run (above).
case " $buses " in
*" nfit "*) ;;
*) exit $rc ;;
esac
case " $* " in
"  " | *dax_mce*) ;;
*) exit $rc ;;
esac
[ -x dax_recovery/dax_mce ] || exit $rc
for drv in ${DAXVM_DRIVERS:-nd_pmem rust_pmem}; do
	echo "# daxvm-suite: $drv/nfit"
	if ! /opt/daxvm/pmem-driver.sh "$drv" || ! ns=$(/opt/daxvm/bus-ns.sh nfit); then
		echo "not ok 1 $drv, nfit namespace"
		rc=1
		continue
	fi
	echo "daxvm: pmem driver $drv, bus nfit (no-clear-error), $ns: machine checks"
	export DAX_RECOVERY_NS="$ns" DAX_RECOVERY_BUS=no-clear-error \
	       DAXVM_PMEM_DRIVER="$drv" DAX_RECOVERY_DRIVER="$drv"
	run_timed -t dax_recovery:dax_mce || rc=1
done
exit $rc
