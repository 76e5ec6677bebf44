#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make run: what happens today when persistent memory holds a bad sector.
set -e
say() { printf '\n### %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

say "1. The emulated NVDIMM: one region, labelled, with free capacity"
run ndctl list -R

say "2. Create an fsdax namespace on it (struct pages on the device)"
run ndctl create-namespace --mode=fsdax --map=dev --name=demo >/dev/null
run ndctl list -N
dev=/dev/$(ls /sys/bus/nd/devices/pfn*/block 2>/dev/null | head -n 1)
echo "block device: $dev, DAX capable: $(cat /sys/block/${dev#/dev/}/queue/dax)"

say "3. An ext4 file system mounted with -o dax"
run mkfs.ext4 -q -F -E nodiscard "$dev"
mkdir -p /mnt/pmem
run mount -o dax "$dev" /mnt/pmem
grep /mnt/pmem /proc/mounts

say "4. A 1 MiB file, written through DAX"
run dd if=/dev/urandom of=/mnt/pmem/data bs=1M count=1 conv=fsync 2>/dev/null
attrs=$(xfs_io -c 'statx -r' /mnt/pmem/data | sed -n 's/^stat.attributes = //p')
echo "statx attributes $attrs: STATX_ATTR_DAX (0x200000) is $( [ $((attrs & 0x200000)) -ne 0 ] && echo set || echo NOT set)"
sum=$(sha256sum /mnt/pmem/data | cut -d' ' -f1)
echo "sha256: $sum"

say "5. Mark one 512-byte sector of page 100 bad, as the platform would"
# FIEMAP: file offset -> device byte; badblocks counts 512-byte sectors
# from the start of the pmem data.
sector=$(filefrag -b512 -v /mnt/pmem/data | awk -v want=803 '
	$1 ~ /^[0-9]+:$/ {
		gsub(/\.\.|:/, " "); split($0, f, " ")	# ext lstart lend pstart pend
		if (want >= f[2] && want <= f[3]) print f[4] + want - f[2]
	}')
[ -n "$sector" ] || { echo "FIEMAP found no extent for file sector 803"; exit 1; }
echo "file sector 803 (page 100, sector 3) is device sector $sector"
run sh -c "echo '$sector 1' > /sys/block/${dev#/dev/}/badblocks"
run cat /sys/block/${dev#/dev/}/badblocks

say "6. Plain reads and writes over the bad sector"
echo "- reading the whole file returns the 803 good sectors before the bad one (7.3: EIO, nothing)"
run dd if=/mnt/pmem/data of=/tmp/prefix bs=1M count=1 || true
echo "  $(stat -c %s /tmp/prefix) bytes; they match the file: $(head -c 411136 /mnt/pmem/data 2>/dev/null | cmp -s - /tmp/prefix && echo yes || echo NO)"
echo "- a read that starts on the bad sector still fails with EIO"
run dd if=/mnt/pmem/data of=/dev/null bs=512 count=1 skip=803 || true
echo "- the first, good, 512 bytes of page 100 read fine (7.3: EIO)"
run dd if=/mnt/pmem/data of=/dev/null bs=512 count=1 skip=800
echo "- an overwrite of the bad sector fails with EIO (7.3: EFAULT, 'Bad address')"
run dd if=/dev/zero of=/mnt/pmem/data bs=512 count=1 seek=803 conv=notrunc,fsync || true
echo "- and so does a full-page overwrite: the implicit recovery write needs the bus"
echo "  to clear the poison, and QEMU's emulated NVDIMM has no clear-error command"
run dd if=/dev/zero of=/mnt/pmem/data bs=4096 count=1 seek=100 conv=notrunc,fsync || true

say "7. The recovery flags"
drv=$(basename "$(readlink /sys/block/${dev#/dev/}/device/driver)")
echo "pmem driver: $drv. RWF_IGNORE_HWERROR (read everything readable, bad bytes as"
echo "zeros) and RWF_RESET_HWERROR (clear the poison and write) need a driver with"
echo "recovery; with $drv a zero-length preadv2/pwritev2 probe answers EOPNOTSUPP"
echo "(see dax_flags in the selftests). The Rust pmem driver of this series will"
echo "implement them, and this story will then salvage and repair the file."
umount /mnt/pmem
