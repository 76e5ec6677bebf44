#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build $VMDIR/initramfs.cpio: busybox, the host's ndctl, dmsetup, mkfs.ext4, mkfs.xfs
# and friends with their shared libraries, the kernel modules and the
# installed kselftests. Rebuilt on every run; it takes a second or two.
. "$(dirname "$0")/lib.sh"

root=$VMDIR/root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,root,mnt,opt/daxvm,lib,lib64}
ln -s ../lib "$root/usr/lib"

# busybox provides the shell and the usual tools.
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list-full); do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done

# Real tools from the host, and every library they need.
HOST_BINS=(
	/usr/bin/ndctl /usr/bin/daxctl
	/sbin/mke2fs /sbin/mkfs.ext4 /sbin/e2fsck /usr/sbin/filefrag
	/sbin/mkfs.xfs /usr/sbin/xfs_io /sbin/xfs_repair
	/usr/bin/timeout /usr/bin/cmp /usr/bin/sha256sum /usr/bin/stat
	/sbin/dmsetup
)
copy_with_libs() {
	local bin=$1 dst=$2
	install -D -m 0755 "$(readlink -f "$bin")" "$root$dst"
	{ ldd "$bin" 2>/dev/null || true; } | { grep -o '/[^ ]*' || true; } | while read -r lib; do
		[ -e "$root$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
	done
}
for b in "${HOST_BINS[@]}"; do
	p=$b; [ -e "$p" ] || p=$(command -v "$(basename "$b")" || true)
	{ [ -n "$p" ] && [ -e "$p" ]; } || die "$b not found on the host (harness/deps.sh installs it)"
	rm -f "$root$b"
	copy_with_libs "$p" "$b"
done
[ -f /etc/mke2fs.conf ] && cp /etc/mke2fs.conf "$root/etc/"

# make bench adds fio (80 MB of libraries, so only then) and its own
# dax_bench binary, named by DAX_INITRAMFS_BENCH.
if [ -n "${DAX_INITRAMFS_BENCH:-}" ]; then
	copy_with_libs "$(command -v fio)" /usr/bin/fio
	install -D -m 0755 "$DAX_INITRAMFS_BENCH" "$root/opt/daxvm/dax_bench"
fi

cat > "$root/etc/passwd" <<'EOP'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOP
cat > "$root/etc/group" <<'EOP'
root:x:0:
nogroup:x:65534:
EOP

# Kernel modules (modules_install ran depmod).
cp -a "$VMDIR/modroot/lib/modules" "$root/lib/"

# The kselftests, as "make kselftest-install" laid them out.
cp -a "$VMDIR/kselftest" "$root/opt/kselftest"
# ... and the shared libraries of its programs (scripts have none).
find "$root/opt/kselftest" -type f -perm -u+x | while read -r f; do
	{ ldd "$f" 2>/dev/null || true; } | { grep -o '/[^ ]*' || true; } | while read -r lib; do
		[ -e "$root$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
	done
done

cp "$REPO/harness/guest/init" "$root/init"
# The guest's scripts, the suites' (harness/suites/*/guest/) among them.
cp "$REPO"/harness/guest/*.sh "$REPO"/harness/suites/*/guest/*.sh "$root/opt/daxvm/"
chmod 0755 "$root/init" "$root"/opt/daxvm/*.sh

(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) > "$VMDIR/initramfs.cpio.new"
mv "$VMDIR/initramfs.cpio.new" "$VMDIR/initramfs.cpio"
