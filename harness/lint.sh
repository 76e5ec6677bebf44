#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Style gate, run by make check: scripts/checkpatch.pl --strict over every
# patch of the series as git format-patch mails it, new files included (any
# error, warning or check fails), and make rustfmtcheck. Compiler and clippy
# warnings fail the build itself (CONFIG_WERROR, CLIPPY=1).
. "$(dirname "$0")/lib.sh"

cp=$SRC/scripts/checkpatch.pl
[ -f "$cp" ] || die "no $cp; run harness/assemble.sh"
fail=0
n=0
check() {
	local out
	n=$((n + 1))
	if ! out=$(cd "$SRC" && perl "$cp" --strict -q "$@" 2>&1) ||
	   grep -qE '^(ERROR|WARNING|CHECK)' <<<"$out"; then
		printf "%s\n" "$out" | head -n 20 | sed "s/^/    /"
		fail=1
	fi
}
mailed=$(mktemp -d)
trap 'rm -rf "$mailed"' EXIT
out=$("$REPO/harness/series-repo.sh" 2>&1) || { printf '%s\n' "$out" >&2; die "harness/series-repo.sh failed"; }
git -C "$DAX_CACHE/git" format-patch -q -o "$mailed" base..series
for p in "$mailed"/*.patch; do
	check "$p"
done
[ $fail = 0 ] || die "checkpatch --strict is not clean (above)"
step "checkpatch --strict: the $n patches of the series are clean"

"${KMAKE[@]}" -s rustfmtcheck || die "make rustfmtcheck: Rust code is not rustfmt-formatted"
step "rustfmtcheck: clean"
