#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build a git repository of the series: the base as one commit, then one
# commit per patches/series line (the patch applied with git am, plus the
# linux/ files the line names). Used by "make series" (format-patch) and as
# a work tree for editing the series (see harness/export-series.sh).
#
#   series-repo.sh [--scratch] [DIR]     default: $DAX_CACHE/git
#
# A rebuild resets the branch "series" to base and cleans the work tree, so
# it refuses to run over a developer's work: uncommitted changes, or commits
# on "series" that are not yet in patches/ and linux/ (the repository's
# refs/dax-recovery/synced records the last commit that was: the one built
# here, or the one harness/export-series.sh exported). --scratch is for the
# harness's own repositories (lint.sh, series.sh): whatever is in DIR goes.
. "$(dirname "$0")/lib.sh"

scratch=0
[ "${1:-}" != --scratch ] || { scratch=1; shift; }
dir=${1:-$DAX_CACHE/git}
[ -f "$BASE_DIR/.unpacked" ] || die "base source missing; run harness/base.sh"

g() { git -C "$dir" -c core.autocrlf=false "$@"; }

if ! g rev-parse -q --verify refs/tags/base >/dev/null 2>&1; then
	step "creating $dir with the base as its first commit (once)"
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -a --reflink=auto "$BASE_DIR/." "$dir/"
	rm -f "$dir/.unpacked"
	g init -q -b series
	# The repository's identity; where git has none (a bare CI machine),
	# the one the series is signed off with.
	sob=$(sed -n 's/^Signed-off-by: //p' "$REPO"/patches/0001-*.patch | head -n 1)
	name=$(git -C "$REPO" config user.name || true)
	email=$(git -C "$REPO" config user.email || true)
	g config user.name "${name:-${sob% <*}}"
	email=${email:-${sob##*<}}
	g config user.email "${email%>}"
	g config gc.auto 0
	g add -A -f .
	GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z" \
		g commit -q -m "Linux 7.3.4 ($BASE_PKG $BASE_VERSION)"
	g tag base
	g update-ref refs/dax-recovery/synced base
fi

if [ $scratch = 0 ]; then
	if [ -e "$(g rev-parse --git-path rebase-apply)" ] ||
	   [ -e "$(g rev-parse --git-path rebase-merge)" ]; then
		die "$dir has a git am or rebase in progress; finish it (git -C $dir am --continue or rebase --continue) or drop it (--abort), then run this again"
	fi
	dirty=$(g status --porcelain --untracked-files=all)
	if [ -n "$dirty" ]; then
		printf '%s\n' "$dirty" | head -n 20 | sed 's/^/    /' >&2
		die "$dir has uncommitted changes (above), which rebuilding it would discard. Commit them on the series branch and run harness/export-series.sh $dir to bring them into patches/ and linux/; or set them aside with git -C $dir stash -u (or discard them with git -C $dir reset --hard && git -C $dir clean -fd); then run this again"
	fi
	tip=$(g rev-parse -q --verify refs/heads/series || true)
	synced=$(g rev-parse -q --verify refs/dax-recovery/synced || true)
	if [ -n "$tip" ] && [ "$tip" != "$synced" ]; then
		die "the series branch of $dir has commits that are not in patches/ and linux/ (git -C $dir log ${synced:-base}..series), which rebuilding it would discard. Run harness/export-series.sh $dir to bring them in; or, to drop them, git -C $dir update-ref refs/dax-recovery/synced series; then run this again"
	fi
fi

g checkout -q -f -B series base
g clean -q -fdx
# Every commit made from here on comes from patches/ and linux/.
synced() { g update-ref refs/dax-recovery/synced series; }
synced

named=$(mktemp)
trap 'rm -f "$named" "$named.err"' EXIT
series_read
n=${#SERIES_PATCH[@]}
for ((i = 0; i < n; i++)); do
	p=${SERIES_PATCH[i]}
	if ! g am -q --keep-cr --committer-date-is-author-date "$REPO/patches/$p" 2>"$named.err"; then
		cat "$named.err" >&2
		g am --abort 2>/dev/null || true
		die "patch patches/$p (series line $((i + 1))) does not apply"
	fi
	read -r -a adds <<< "${SERIES_ADDS[i]}"
	for path in "${adds[@]}"; do
		mkdir -p "$dir/$(dirname "$path")"
		cp "$REPO/linux/$path" "$dir/$path"
		g add -f "$path"
		echo "$path" >> "$named"
	done
	[ ${#adds[@]} = 0 ] || g commit -q --amend --no-edit
	synced
done

# Every new file must belong to a commit.
orphans=$(cd "$REPO/linux" && find . -type f -printf '%P\n' | sort | comm -23 - <(sort "$named"))
[ -z "$orphans" ] || die "linux/ files no series line adds: $orphans"
step "series repository $dir: $n commit(s) on base"
