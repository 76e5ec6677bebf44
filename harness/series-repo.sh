#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build a git repository of the series: the base as one commit, then one
# commit per patches/series line (the patch applied with git am, plus the
# linux/ files the line names). Used by "make series" (format-patch) and as
# a work tree for editing the series (see harness/export-series.sh).
#
#   series-repo.sh [DIR]     default: $DAX_CACHE/git
. "$(dirname "$0")/lib.sh"

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
fi

g checkout -q -f -B series base
g clean -q -fdx

named=$(mktemp)
trap 'rm -f "$named"' EXIT
n=0
while read -r p rest; do
	case "$p" in '' | '#'*) continue ;; esac
	n=$((n + 1))
	pf=$REPO/patches/$p
	[ -f "$pf" ] || die "patches/series line $n: patches/$p does not exist"
	if ! g am -q --keep-cr --committer-date-is-author-date "$pf" 2>"$named.err"; then
		cat "$named.err" >&2
		g am --abort 2>/dev/null || true
		die "patch patches/$p (series line $n) does not apply"
	fi
	for path in $rest; do
		[ -f "$REPO/linux/$path" ] || die "patches/series: $p names linux/$path, which does not exist"
		mkdir -p "$dir/$(dirname "$path")"
		cp "$REPO/linux/$path" "$dir/$path"
		g add -f "$path"
		echo "$path" >> "$named"
	done
	[ -z "$rest" ] || g commit -q --amend --no-edit
done < "$REPO/patches/series"

# Every new file must belong to a commit.
orphans=$(cd "$REPO/linux" && find . -type f -printf '%P\n' | sort | comm -23 - <(sort "$named"))
[ -z "$orphans" ] || die "linux/ files no series line adds: $orphans"
step "series repository $dir: $n commit(s) on base"
