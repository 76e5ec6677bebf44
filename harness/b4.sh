#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# b4 0.14 (for "b4 prep --check") from Debian trixie, unpacked into the
# cache's tools: bookworm's b4 0.12 has no --check. Fetched through a
# private apt lists directory, as the base source is (harness/base.sh);
# b4 and patatt are pure Python and run on the host's python3 with its
# dkim, dnspython, requests and git-filter-repo (harness/deps.sh), with
# Debian's /usr/bin/python3, whatever python3 comes first on PATH.
. "$(dirname "$0")/lib.sh"

B4_SUITE=trixie
dir=$TOOLS/b4
[ -x "$dir/usr/bin/b4" ] && exit 0
apt=$DAX_CACHE/apt-$B4_SUITE
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/etc"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $B4_SUITE main" \
	> "$apt/etc/sources.list"
aptopts=(-o Dir::Etc::SourceList="$apt/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
	 -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache"
	 -o Dir::State::status=/dev/null -o APT::Sandbox::User=root -qq)
step "fetching b4 and python3-patatt from $B4_SUITE"
apt-get "${aptopts[@]}" update
rm -f "$apt"/*.deb
(cd "$apt" && apt-get "${aptopts[@]}" download b4 python3-patatt)
rm -rf "$dir.new"
mkdir -p "$dir.new"
for deb in "$apt"/*.deb; do
	dpkg-deb -x "$deb" "$dir.new"
done
rm -rf "$dir"
mv "$dir.new" "$dir"
