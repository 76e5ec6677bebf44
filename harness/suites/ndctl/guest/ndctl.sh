#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM: ndctl's own tests (libnvdimm's poison tests), each
# script as meson would run it (its environment, exit status 77 for a
# skip), in the host's userland, chrooted as for fstests (guest/fstests.sh):
# the host's root read-only over 9p, the guest's /proc, /sys, /dev, and its
# module tree (the VM's initramfs, with nfit_test's modules on a kernel
# built for them) in place of the host's /lib/modules. The scripts' own
# working files go to a tmpfs /tmp.
#
#   NDCTL_SRC     ndctl's source tree, on the host
#   NDCTL_BUILD   its meson build directory, on the host
#   NDCTL_TESTS   the test scripts to run, in order
#   NDCTL_LABEL   the results subdirectory
#   NDCTL_OWN     the project's own checks to run after them, from
#                 /opt/daxvm in the VM's own userland (nfit-salvage.sh)
#   NDCTL_MODULES modules to load first (nd_e820 for the e820 bus that
#                 dax-ext4.sh and dax-xfs.sh use)
set -u
R=/host
src=${NDCTL_SRC:?} build=${NDCTL_BUILD:?}
label=${NDCTL_LABEL:-run}

for m in ${NDCTL_MODULES:-}; do
	modprobe "$m" || echo "ndctl: loading $m failed"
done

. /opt/daxvm/hostroot.sh
mount -t tmpfs tmpfs $R/etc/modprobe.d
[ -d /etc/modprobe.d ] && cp /etc/modprobe.d/* $R/etc/modprobe.d/ 2>/dev/null
out=$R/mnt/results/$label
mkdir -p "$out"

# The VM's module tree in place of the host's: the scripts load nfit_test
# with the host's modprobe, libndctl loads drivers by their aliases.
mount -o bind /lib/modules $R/lib/modules || exit 1
mkdir -p $R/tmp/bin

# check_dmesg (test/common) asks the journal for the kernel's messages of
# the test's last N seconds; there is no journal here: answer from the
# kernel log, by its timestamps, the same lines.
cat > $R/tmp/bin/journalctl <<'EOF'
#!/bin/sh
since=
while [ $# -gt 0 ]; do
	case $1 in --since) since=$2; shift ;; esac
	shift
done
since=${since#-}
since=${since%s}
up=$(cut -d' ' -f1 /proc/uptime)
dmesg | awk -v from="$up" -v back="${since:-0}" '
	{ t = $0; sub(/^\[ */, "", t); sub(/\].*/, "", t) }
	back == 0 || t + 0 >= from - back { print }' | tac
EOF
chmod +x $R/tmp/bin/journalctl

rc=0
for t in ${NDCTL_TESTS:?} ${NDCTL_OWN:-}; do
	start=$(cut -d' ' -f1 /proc/uptime)
	echo "ndctl: $t ..."
	case " ${NDCTL_OWN:-} " in
	*" $t "*)
		timeout 600 "/opt/daxvm/$t" > "$out/$t.log" 2>&1 ;;
	*)
		chroot $R /usr/bin/env -i HOME=/tmp TERM=dumb \
			PATH=/tmp/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			NDCTL="$build/ndctl/ndctl" DAXCTL="$build/daxctl/daxctl" CXL="$build/cxl/cxl" \
			TEST_PATH="$build/test" DATA_PATH="$src/test" \
			/bin/sh -c "cd /tmp && timeout 600 '$src/test/$t'" > "$out/$t.log" 2>&1 ;;
	esac
	trc=$?
	secs=$(awk -v a="$start" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%d", b - a }')
	case $trc in
	0) res=pass ;;
	77) res=skip ;;
	*) res=fail; rc=1 ;;
	esac
	echo "$t $res $trc $secs" >> "$out/results.txt"
	echo "ndctl: $t: $res (status $trc, $secs s)"
	[ $res = fail ] && tail -n 15 "$out/$t.log"
	# What a failing script left behind must not fail the next one.
	modprobe -r nfit_test 2>/dev/null
	umount $R/tmp/test_dax_mnt 2>/dev/null
done
exit $rc
