#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what the harness needs; quick (no network) when all is there.
. "$(dirname "$0")/lib.sh"

PKGS=(
	# kernel build: clang/LLVM (DAX_LLVM, 22 by default) and the Debian
	# rustc-web toolchain
	"clang-$DAX_LLVM" "lld-$DAX_LLVM" "llvm-$DAX_LLVM" "libclang-$DAX_LLVM-dev"
	rustc-web rust-web-src rustfmt-web rust-web-clippy cargo-web
	make flex bison bc libelf-dev libssl-dev cpio kmod xz-utils
	python3 perl git patch rsync
	# selftests, linked statically into the initramfs
	libc6-dev liburing-dev libaio-dev
	# the VM and what runs inside it
	qemu-system-x86 busybox-static ndctl daxctl dmsetup xfsprogs e2fsprogs fio
	# make check's lint of the harness itself (harness/lint.sh)
	shellcheck pyflakes3
	# b4 (harness/b4.sh, from trixie) runs on these; git-filter-repo for b4 prep
	python3-dkim python3-dnspython python3-requests git-filter-repo
	# checkpatch's spdxcheck.py
	python3-ply python3-git
)

# make bench also draws a plot.
[ "${DAX_DEPS_BENCH:-0}" = 1 ] && PKGS+=(gnuplot-nox)
# make fstests builds fstests and runs it with the host's tools.
[ "${DAX_DEPS_FSTESTS:-0}" = 1 ] && PKGS+=(
	xfslibs-dev uuid-dev libattr1-dev libacl1-dev libaio-dev liburing-dev
	libgdbm-dev libtool automake autoconf pkg-config gawk
	bc attr acl psmisc quota xfsprogs e2fsprogs fio)
# make ndctl builds ndctl's tests (meson) and runs them with these tools.
[ "${DAX_DEPS_NDCTL:-0}" = 1 ] && PKGS+=(
	meson ninja-build pkgconf libkmod-dev libudev-dev uuid-dev libjson-c-dev
	libiniparser-dev jq trace-cmd util-linux xfsprogs e2fsprogs kmod)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	step "installing Debian packages: ${missing[*]}"
	SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
fi

if ! "$TOOLS/bin/bindgen" --version 2>/dev/null | grep -qx "bindgen $BINDGEN_VERSION"; then
	# cargo-web (above) is the cargo of the rustc-web toolchain; a cargo
	# already on PATH (rustup's) is used if there is one.
	CARGO=$(command -v cargo || echo /usr/bin/cargo)
	step "installing bindgen-cli $BINDGEN_VERSION from crates.io"
	"$CARGO" install --quiet --locked --force --root "$TOOLS" "bindgen-cli@$BINDGEN_VERSION"
fi
