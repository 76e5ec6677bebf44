#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Style gate, run by make check: scripts/checkpatch.pl --strict over every
# patch of the series as git format-patch mails it, new files included (any
# error, warning or check fails), no new kernel-doc warnings in the C files
# the series touches, make rustfmtcheck and make rustdoc. Compiler and clippy
# warnings fail the build itself (CONFIG_WERROR, CLIPPY=1). First, the
# harness checks itself: shellcheck on its scripts, pyflakes on its Python,
# and its unit tests (harness/tests). lint.sh --harness does only that.
. "$(dirname "$0")/lib.sh"

h=$REPO/harness
for tool in shellcheck pyflakes3; do
	command -v $tool >/dev/null || die "$tool is missing; run harness/deps.sh"
done
# The host's scripts and the guest's (settings in harness/.shellcheckrc and
# harness/guest/.shellcheckrc, linked from each suite's guest/); lib.sh
# apart, as it is sourced, never run: bash without a shebang, whose variables
# are for the scripts that source it (SC2034).
scripts=() guest=()
for f in "$h"/*.sh "$h"/suites/*/*.sh; do
	[ "$f" = "$h/lib.sh" ] || scripts+=("$f")
done
guest=("$h"/guest/*.sh "$h"/guest/init "$h"/suites/*/guest/*.sh)
{ shellcheck "${scripts[@]}" "${guest[@]}" && shellcheck -s bash -e SC2034 "$h/lib.sh"; } ||
	die "shellcheck: the harness's scripts are not clean (above)"
step "shellcheck: the harness's $((${#scripts[@]} + ${#guest[@]} + 1)) scripts are clean"
pyfiles=("$h"/*.py "$h"/suites/*/*.py "$h"/tests/*.py)
pyflakes3 "${pyfiles[@]}" || die "pyflakes: the harness's Python is not clean (above)"
step "pyflakes: the harness's ${#pyfiles[@]} Python files are clean"
if ! out=$(PYTHONDONTWRITEBYTECODE=1 python3 -m unittest discover -s "$h/tests" 2>&1); then
	printf '%s\n' "$out" | tail -n 60 >&2
	die "the harness's unit tests failed (above; python3 -m unittest discover -s harness/tests -v)"
fi
step "harness unit tests: $(sed -n 's/^Ran \([0-9]*\) tests\{0,1\} in .*/\1/p' <<<"$out") passed (harness/tests)"
[ "${1:-}" != --harness ] || exit 0

cp=$SRC/scripts/checkpatch.pl
[ -f "$cp" ] || die "no $cp; run harness/assemble.sh"
fail=0
n=0
check() {
	local out
	n=$((n + 1))
	# The base is one commit without history, so checkpatch cannot look up
	# the commit a Fixes: tag names; the tags were checked against upstream.
	if ! out=$(cd "$SRC" && perl "$cp" --strict -q --ignore UNKNOWN_COMMIT_ID "$@" 2>&1) ||
	   grep -qE '^(ERROR|WARNING|CHECK)' <<<"$out"; then
		printf "%s\n" "$out" | head -n 20 | sed "s/^/    /"
		fail=1
	fi
}
mailed=$(mktemp -d)
trap 'rm -rf "$mailed"' EXIT
# The harness's own series repository, rebuilt from patches/ and linux/ on
# every run: never $DAX_CACHE/git, where a developer edits the series.
lintgit=$DAX_CACHE/lint-git
out=$("$REPO/harness/series-repo.sh" --scratch "$lintgit" 2>&1) || { printf '%s\n' "$out" >&2; die "harness/series-repo.sh failed"; }
git -C "$lintgit" format-patch -q -o "$mailed" base..series
for p in "$mailed"/*.patch; do
	check "$p"
done
[ $fail = 0 ] || die "checkpatch --strict is not clean (above)"
step "checkpatch --strict: the $n patches of the series are clean"

# kernel-doc: no new warnings in any C file or header the series touches
# (the base's own warnings in those files are not the series' to fix).
kdoc() {	# tree file: its kernel-doc warnings without line numbers
	[ -f "$1/$2" ] || return 0
	(cd "$1" && scripts/kernel-doc -none -Wall "$2" 2>&1 |
		sed -E 's/:[0-9]+//' | sort -u)
}
nk=0 kfail=0
while read -r f; do
	nk=$((nk + 1))
	new=$(comm -13 <(kdoc "$BASE_DIR" "$f") <(kdoc "$lintgit" "$f"))
	[ -z "$new" ] || { printf '%s\n' "$new" | sed 's/^/    /'; kfail=1; }
done < <(sed -n 's|^+++ b/||p' "$mailed"/*.patch | grep -E '\.[ch]$' | sort -u)
[ $kfail = 0 ] || die "kernel-doc: the series adds warnings (above)"
step "kernel-doc -Wall: no new warnings in the $nk C files and headers the series touches"

"${KMAKE[@]}" -s rustfmtcheck || die "make rustfmtcheck: Rust code is not rustfmt-formatted"
step "rustfmtcheck: clean"

# rustdoc: the kernel crate's documentation, new abstractions included,
# builds without warnings (broken intra-doc links are errors).
"${KMAKE[@]}" -s rustdoc >/dev/null || die "make rustdoc failed (above)"
step "rustdoc: clean"
