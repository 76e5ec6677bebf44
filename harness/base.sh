#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fetch linux-source-7.3 from trixie-backports through a private apt lists
# directory (the host's apt configuration is neither read nor changed),
# verify its sha256 and unpack it once.
. "$(dirname "$0")/lib.sh"

[ -f "$BASE_DIR/.unpacked" ] && exit 0

apt=$DAX_CACHE/apt
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/etc"
cat > "$apt/etc/sources.list" <<EOS
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $BASE_SUITE main
EOS
aptopts=(-o Dir::Etc::SourceList="$apt/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
	 -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache"
	 -o Dir::State::status=/dev/null -o APT::Sandbox::User=root -qq)
deb=$apt/${BASE_PKG}_${BASE_VERSION}_all.deb
if [ ! -f "$deb" ] || ! echo "$BASE_SHA256  $deb" | sha256sum -c --status; then
	step "fetching $BASE_PKG $BASE_VERSION from $BASE_SUITE"
	apt-get "${aptopts[@]}" update
	(cd "$apt" && apt-get "${aptopts[@]}" download "$BASE_PKG=$BASE_VERSION")
	mv "$apt/${BASE_PKG}_${BASE_VERSION//:/%3a}_all.deb" "$deb" 2>/dev/null || true
fi
echo "$BASE_SHA256  $deb" | sha256sum -c --status ||
	die "$deb: sha256 mismatch (expected $BASE_SHA256)"

step "unpacking $BASE_PKG into $BASE_DIR"
rm -rf "$DAX_CACHE/base"
mkdir -p "$DAX_CACHE/base/deb"
dpkg-deb -x "$deb" "$DAX_CACHE/base/deb"
tar -C "$DAX_CACHE/base" -xf "$DAX_CACHE/base/deb/usr/src/$BASE_PKG.tar.xz"
rm -rf "$DAX_CACHE/base/deb"
[ -f "$BASE_DIR/Makefile" ] || die "unexpected layout of $BASE_PKG"
touch "$BASE_DIR/.unpacked"
