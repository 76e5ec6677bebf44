#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Write the commits base..HEAD of a series repository (harness/series-repo.sh)
# back into the repository: files a commit adds go to linux/, its edits to
# existing files become patches/NNNN-*.patch, and patches/series is
# regenerated. The inverse of series-repo.sh.
#
#   export-series.sh [DIR]     default: $DAX_CACHE/git
. "$(dirname "$0")/lib.sh"

dir=${1:-$DAX_CACHE/git}
g() { git -C "$dir" "$@"; }
g rev-parse -q --verify refs/tags/base >/dev/null || die "$dir is not a series repository"
[ -z "$(g status --porcelain)" ] || die "$dir has uncommitted changes"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -f "$REPO"/patches/*.patch
rm -rf "$REPO/linux"
mkdir -p "$REPO/linux"
{
	echo "# The series, in order: one upstream commit per line."
	echo "# <patch file in patches/> [files the commit adds, relative to linux/ ...]"
} > "$REPO/patches/series"

n=0
for c in $(g rev-list --reverse base..HEAD); do
	n=$((n + 1))
	added=$(g diff-tree --no-commit-id --name-only -r --diff-filter=A "$c")
	excl=()
	for f in $added; do
		excl+=(":(exclude)$f")
		mkdir -p "$REPO/linux/$(dirname "$f")"
		g show "$c:$f" > "$REPO/linux/$f"
		[ "$(g ls-tree "$c" -- "$f" | cut -c1-6)" = 100755 ] && chmod +x "$REPO/linux/$f"
	done
	rm -rf "$tmp/out"
	g format-patch -q --zero-commit --no-signature --start-number "$n" -1 "$c" \
		-o "$tmp/out" -- . "${excl[@]}"
	p=$(ls "$tmp/out")
	mv "$tmp/out/$p" "$REPO/patches/$p"
	echo "$p" $added >> "$REPO/patches/series"
done
step "exported $n commit(s) to patches/ and linux/"
