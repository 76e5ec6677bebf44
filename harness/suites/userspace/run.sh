#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make userspace: the flags in the tools people already have. The pinned
# snapshots of man-pages, xfsprogs and strace in ../shared/peers (checked
# against their checksums) are unpacked into $DAX_CACHE/userspace/, the
# project's patches for each (userspace/<project>/*.patch, git format-patch
# files in that project's own form) applied, and built; then:
#
#   host  man-pages: readv.2, statx.2, io_submit.2 render without a warning
#         (groff -man -ww -z, man --warnings); readv.2's example compiles
#         with -Wall -Wextra -Werror. strace: its own preadv2-pwritev2 and
#         statx tests pass (make check), and fail on the unpatched tree's
#         decoder (the test is not vacuous). xfs_io: built, pread -E and
#         pwrite -E reach preadv2/pwritev2 with the flags (seen by the
#         built strace), and are refused by the host kernel's tmpfs.
#   VM    the patched kernel, the test bus (clear-error) and QEMU's NFIT
#         (none), ext4 and XFS with DAX: the built xfs_io salvages and
#         repairs a poisoned file with pread -E / pwrite -E (exact bytes,
#         badblocks, a remount), the built strace shows the flag names of
#         the real calls and STATX_ATTR_HWERROR_RECOVERY, and readv.2's
#         example, compiled in the VM, salvages and repairs a file
#         (guest/userspace.sh), with both pmem drivers.
#
# ndctl's patches (userspace/ndctl) are applied by make ndctl (suites/ndctl/run.sh).
#
#   USERSPACE_STEPS   "host vm" (default) or either; "build" (neither)
#                     only builds the three, as make fstests uses it
#   USERSPACE_DRIVERS the VM runs' pmem drivers (default "nd_pmem rust_pmem")
#   USERSPACE_BUILD   0: use the kernel already built (no build.sh)
# shellcheck source=../../lib.sh
. "$(dirname "$0")/../../lib.sh"

PEERS=${DAX_PEERS:-$REPO/../shared/peers}
US=$DAX_CACHE/userspace
mkdir -p "$US"
out=$LOGS/userspace-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

declare -A TARBALL=(
	[man-pages]=man-pages-5.13-33-gae6b221.tar.xz
	[xfsprogs]=xfsprogs-6.5.0.tar.xz
	[strace]=strace-7.2.tar.xz
)
declare -A SHA256=(
	[man-pages]=1b66676a66ba326f0ccb704ff93f2d8e9f5b5328670f673a8ecc831a3f71e823
	[xfsprogs]=cb5f7ffb107a1a9a4400fe58acbd365aeca45c56a3f61fa46cf55ac0bc7e08b5
	[strace]=f8d38048fa4b4bb94ee093b1cfb51a5330dd1706332afa65675f6ec22bfd717f
)

# unpack PROJECT DIR [nopatch]: the snapshot in $US/DIR, with the project's
# patches unless "nopatch"; prints the source directory. Redone when the
# snapshot or a patch changes (the stamp); returns 1 if it was redone.
unpack() {
	local p=$1 dir=$US/$2 t=$PEERS/${TARBALL[$1]} stamp src patch
	[ -f "$t" ] || die "no $t (DAX_PEERS names the directory)"
	echo "${SHA256[$p]}  $t" | sha256sum -c --quiet - >&2 || die "$t does not match its pinned checksum"
	stamp=$( (echo "${SHA256[$p]}"; [ "${3:-}" = nopatch ] || cat "$REPO/userspace/$p"/*.patch) | sha256sum)
	if [ "$(cat "$dir/.unpacked" 2>/dev/null)" = "$stamp" ]; then
		find "$dir" -mindepth 1 -maxdepth 1 -type d | head -n 1
		return 0
	fi
	rm -rf "$dir" && mkdir -p "$dir"
	tar -C "$dir" -xJf "$t"
	src=$(find "$dir" -mindepth 1 -maxdepth 1 -type d | head -n 1)
	if [ "${3:-}" != nopatch ]; then
		for patch in "$REPO/userspace/$p"/*.patch; do
			patch -d "$src" -p1 -s --no-backup-if-mismatch < "$patch" >&2 ||
				die "$p: $(basename "$patch") does not apply"
		done
	fi
	echo "$stamp" > "$dir/.unpacked"
	echo "$src"
	return 1
}

steps=${USERSPACE_STEPS:-host vm}
rc=0
pass=0 fail=0
result() {	# result NAME STATUS
	if [ "$2" = 0 ]; then
		pass=$((pass + 1)); echo "ok: $1"
	else
		fail=$((fail + 1)); rc=1; echo "FAIL: $1"
	fi
	echo "$1 $2" >> "$out/results.txt"
}

# --- build ------------------------------------------------------------------
# The build dependencies of the three (Debian packages), installed if missing.
PKGS=(autoconf automake gawk libtool gettext autopoint pkg-config groff-base man-db gcc make
      uuid-dev libblkid-dev libinih-dev liburcu-dev)
missing=()
for p in "${PKGS[@]}"; do
	[ "$(dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null)" = "ii " ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	step "installing ${missing[*]}"
	apt-get install -y -qq "${missing[@]}" > "$US/apt.log" 2>&1 ||
		{ apt-get update -qq && apt-get install -y -qq "${missing[@]}" > "$US/apt.log" 2>&1; } ||
		die "installing ${missing[*]} failed (see $US/apt.log)"
fi

# man-pages: nothing to build.
MP=$(unpack man-pages man-pages) || true

# xfsprogs: only xfs_io is needed (and the headers and libraries it links).
XP=$(unpack xfsprogs xfsprogs) && built=1 || built=0
if [ "$built" = 0 ] || [ ! -x "$XP/io/xfs_io" ]; then
	step "building xfs_io (xfsprogs 6.5.0 + userspace/xfsprogs)"
	(cd "$XP" && make configure && ./configure && make headers && make -j"$(nproc)" io) \
		> "$US/xfsprogs.build.log" 2>&1 || { tail -20 "$US/xfsprogs.build.log"; die "building xfs_io failed"; }
fi
XFS_IO=$XP/io/xfs_io

# strace: bootstrapped from its git tree (the version from .tarball-version),
# built out of tree, without the m32/mx32 personalities.
build_strace() {	# build_strace SRC BUILD
	local src=$1 b=$2
	[ -x "$b/src/strace" ] && return 0
	echo 7.2 > "$src/.tarball-version"
	(cd "$src" && ./bootstrap) && mkdir -p "$b" &&
	(cd "$b" && "$src/configure" --enable-mpers=no && make -j"$(nproc)")
}
ST=$(unpack strace strace) || rm -rf "$US/strace-build"
step "building strace 7.2 + userspace/strace"
build_strace "${ST%/}" "$US/strace-build" > "$US/strace.build.log" 2>&1 ||
	{ tail -20 "$US/strace.build.log"; die "building strace failed"; }
STRACE=$US/strace-build/src/strace

# --- checks: each records its result, none stops the run ----------------------
set +e
if [[ " $steps " == *" host "* ]]; then
	start=$(date +%s)
	step "host: man-pages, strace's tests, xfs_io"
	for page in man2/readv.2 man2/statx.2 man2/io_submit.2; do
		w=$( { groff -man -ww -z "$MP/$page"; MANWIDTH=80 man --warnings -l "$MP/$page" > /dev/null; } 2>&1)
		[ -z "$w" ] || printf '%s\n' "$w"
		grep -q HWERROR "$MP/$page" && [ -z "$w" ]
		result "man-pages: $page renders without warnings" $?
	done
	# readv.2's example, from the page: the lines of "Program source".
	sed -n '/^\.SS Program source/,/^\.EE/p' "$MP/man2/readv.2" | sed '1,/^\.EX/d;$d' |
		sed -e 's/\\e/\\/g' -e 's/\\-/-/g' > "$US/readv-example.c"
	gcc -Wall -Wextra -Werror -O2 -o "$US/readv-example" "$US/readv-example.c" 2>&1
	result "man-pages: readv.2's example compiles warning-free" $?
	# On the host kernel (no DAX file) the example must refuse, not salvage.
	printf 'abc' > "$US/plain-file"
	msg=$("$US/readv-example" "$US/plain-file" 2>&1 >/dev/null); ex=$?
	echo "readv-example on a plain file: status $ex: $msg"
	[ $ex = 1 ] && [[ $msg == *"does not know the flags"* || $msg == *"does not support them"* ]]
	result "man-pages: readv.2's example refuses a file without recovery" $?

	# strace's own tests, the patched decoder ...
	(cd "$US/strace-build/tests" &&
	 make check TESTS='preadv2-pwritev2.gen.test statx.gen.test' > "$out/strace-check.log" 2>&1)
	s=$?
	grep -E '^(PASS|FAIL|SKIP|XFAIL|ERROR):' "$out/strace-check.log"
	grep -q '^PASS: preadv2-pwritev2.gen.test' "$out/strace-check.log" &&
		grep -q '^PASS: statx.gen.test' "$out/strace-check.log" && [ $s = 0 ]
	result "strace: make check preadv2-pwritev2 statx" $?
	# ... and the extended test against the unpatched decoder: it must fail.
	SO=$(unpack strace strace-orig nopatch) || rm -rf "$US/strace-orig-build"
	if build_strace "${SO%/}" "$US/strace-orig-build" > "$US/strace-orig.build.log" 2>&1; then
		(cd "$US/strace-build/tests" &&
		 STRACE=$US/strace-orig-build/src/strace \
		 make check TESTS=preadv2-pwritev2.gen.test > "$out/strace-orig-check.log" 2>&1)
		s=$?
		grep -E '^(PASS|FAIL):' "$out/strace-orig-check.log" | sed 's/^/unpatched strace: /'
		[ $s != 0 ] && grep -q '^FAIL: preadv2-pwritev2.gen.test' "$out/strace-orig-check.log"
		result "strace: the extended test fails with 7.2's unpatched decoder" $?
	else
		tail -5 "$US/strace-orig.build.log"
		result "strace: the extended test fails with 7.2's unpatched decoder (build)" 1
	fi

	# xfs_io: the options reach the system calls with the flags.
	f=$US/xfs_io-file
	rm -f "$f"
	"$XFS_IO" -f -c "pwrite -q -S 0x5a 0 8192" "$f"
	tr=$("$STRACE" -e trace=preadv2,pwritev2 -e signal=none -qq "$XFS_IO" \
		-c "pread -E 0 4096" -c "pread -E -V 2 -b 1024 0 2048" \
		-c "pwrite -E 0 512" -c "pwrite -E -V 2 -b 512 0 1024" "$f" 2>&1)
	printf '%s\n' "$tr"
	[ "$(grep -Ec '^preadv2\([0-9]+, .*, RWF_IGNORE_HWERROR\) = -1 EOPNOTSUPP' <<< "$tr")" = 2 ] &&
	[ "$(grep -Ec '^pwritev2\([0-9]+, .*, RWF_RESET_HWERROR\) = -1 EOPNOTSUPP' <<< "$tr")" = 2 ] &&
	grep -Eq '^preadv2\([0-9]+, \[\{iov_base=.*, iov_len=1024\}, \{iov_base=.*, iov_len=1024\}\], 2, 0, RWF_IGNORE_HWERROR\)' <<< "$tr" &&
	cmp -s <(head -c 8192 /dev/zero | tr '\0' 'Z') "$f"
	result "xfs_io: pread -E / pwrite -E (with and without -V) issue the flags; the file is untouched" $?
	"$XFS_IO" -c "help pread" -c "help pwrite" | grep -E -- '-E +--' > "$out/xfs_io-help.txt"
	[ "$(wc -l < "$out/xfs_io-help.txt")" = 2 ]
	result "xfs_io: help lists pread -E and pwrite -E" $?
	w=$( { groff -man -ww -z "$XP/man/man8/xfs_io.8"; MANWIDTH=80 man --warnings -l "$XP/man/man8/xfs_io.8" > /dev/null; } 2>&1)
	[ -z "$w" ] && grep -q RWF_IGNORE_HWERROR "$XP/man/man8/xfs_io.8"
	result "xfsprogs: xfs_io.8 renders without warnings" $?
	echo "host: $(( $(date +%s) - start )) s" >> "$out/times.txt"
fi

# --- VM proof -------------------------------------------------------------------
if [[ " $steps " == *" vm "* ]]; then
	# USERSPACE_BUILD=0: the kernel already built, only the initramfs
	# repacked (with guest/userspace.sh).
	if [ "${USERSPACE_BUILD:-1}" = 0 ]; then
		"$REPO/harness/initramfs.sh" || die "packing the initramfs failed"
	else
		"$REPO/harness/build.sh" || die "building the kernel failed"
	fi
	for drv in ${USERSPACE_DRIVERS:-nd_pmem rust_pmem}; do
		start=$(date +%s)
		DAXVM_HOSTROOT=1 DAXVM_RESULTS="$out" DAX_RUN_LOG="$out/vm-$drv" \
			DAXVM_ENV_US_XFS_IO="$XFS_IO" DAXVM_ENV_US_STRACE="$STRACE" \
			DAXVM_ENV_US_EXAMPLE="$US/readv-example.c" DAXVM_ENV_US_LABEL="$drv" \
			"$REPO/harness/vm.sh" --name "userspace-$drv" --driver "$drv" -- /opt/daxvm/userspace.sh \
			> "$out/vm-$drv.txt" 2>&1
		s=$?
		echo "vm $drv: $(( $(date +%s) - start )) s" >> "$out/times.txt"
		grep -E '^(ok|FAIL|SKIP): ' "$out/vm-$drv.txt" | sed "s/^/$drv: /"
		n=$(grep -c '^ok: ' "$out/vm-$drv.txt")
		echo "$drv: guest status $s, $n checks passed"
		[ $s = 0 ] && [ "$n" -gt 0 ] && ! grep -q '^FAIL: ' "$out/vm-$drv.txt"
		result "VM ($drv): xfs_io, strace and readv.2's example recover a poisoned file (ext4, XFS)" $?
	done
fi

cat "$out/times.txt" 2>/dev/null
echo "userspace: $pass passed, $fail failed (logs in $out)"
exit $rc
