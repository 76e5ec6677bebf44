#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Write the commits base..HEAD of a series repository (harness/series-repo.sh)
# back into the repository: files a commit adds go to linux/, its edits to
# existing files become patches/NNNN-*.patch, and patches/series is
# regenerated. The inverse of series-repo.sh.
#
#   export-series.sh [DIR]     default: $DAX_CACHE/git
#
# patches/ and linux/ are rewritten whole, so it refuses to run while they
# have uncommitted changes in this repository, or while DIR has any.
. "$(dirname "$0")/lib.sh"

dir=${1:-$DAX_CACHE/git}
g() { git -C "$dir" "$@"; }
g rev-parse -q --verify refs/tags/base >/dev/null || die "$dir is not a series repository"
dirty=$(g status --porcelain --untracked-files=all)
if [ -n "$dirty" ]; then
	printf '%s\n' "$dirty" | head -n 20 | sed 's/^/    /' >&2
	die "$dir has uncommitted changes (above), which would not be exported. Commit them (git -C $dir commit -a, or --amend / rebase -i onto the commit they belong to), then export again"
fi
mine=$(git -C "$REPO" status --porcelain --untracked-files=all -- patches linux) ||
	die "$REPO is not a git work tree: patches/ and linux/ could not be checked before being rewritten"
if [ -n "$mine" ]; then
	printf '%s\n' "$mine" | head -n 20 | sed 's/^/    /' >&2
	die "patches/ or linux/ have uncommitted changes (above), which exporting would overwrite. Commit them (git -C $REPO commit -- patches linux) or set them aside (git -C $REPO stash push -u -- patches linux), then export again"
fi

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
	mapfile -t added < <(g diff-tree --no-commit-id --name-only -r --diff-filter=A "$c")
	excl=()
	for f in "${added[@]}"; do
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
	echo "$p" "${added[@]}" >> "$REPO/patches/series"
done
# What was exported is in patches/ and linux/ now: harness/series-repo.sh
# may rebuild DIR from them.
g update-ref refs/dax-recovery/synced HEAD
step "exported $n commit(s) to patches/ and linux/"
