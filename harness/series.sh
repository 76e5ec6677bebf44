#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make series: the four upstream series of series/groups (stable fixes; A,
# no uapi; B, the flags; C, the Rust driver), each as git format-patch
# output in $DAX_CACHE/series-out/<n>-<name>/ with its own cover letter
# (series/<name>.txt: subject, blank line, body), To and Cc from the
# kernel's scripts/get_maintainer.pl, and base-commit: each series is based
# on the one before it, which git format-patch names as prerequisite-patch-id
# lines under the base commit (Linux 7.3.4). Then each series goes through
# "b4 prep --check" (b4 0.14 from Debian trixie, harness/b4.sh), which runs
# checkpatch.pl --strict the way b4 does before sending; a finding fails.
#
#   series.sh [--no-check]
. "$(dirname "$0")/lib.sh"

check=1
[ "${1:-}" != --no-check ] || check=0

# Built in the harness's own repository, as lint.sh does: $DAX_CACHE/git is
# the developer's.
dir=$DAX_CACHE/lint-git
"$REPO/harness/series-repo.sh" --scratch "$dir"
g() { git -C "$dir" "$@"; }
out=$DAX_CACHE/series-out
rm -rf "$out"
mkdir -p "$out"

# The commits of the series and the first commit of each group.
mapfile -t commits < <(g rev-list --reverse base..series)
names=() prefixes=() starts=()
while IFS=$'\t' read -r name prefix subject; do
	case "$name" in '' | '#'*) continue ;; esac
	start=
	for ((i = 0; i < ${#commits[@]}; i++)); do
		if [ "$(g log -1 --format=%s "${commits[i]}")" = "$subject" ]; then
			start=$i
			break
		fi
	done
	[ -n "$start" ] || die "series/groups: no commit of the series has the subject '$subject' ($name)"
	[ -f "$REPO/series/$name.txt" ] || die "series/$name.txt (the cover letter of $name) does not exist"
	[ ${#starts[@]} = 0 ] || [ "$start" -gt "${starts[-1]}" ] ||
		die "series/groups: $name does not start after the series before it"
	names+=("$name") prefixes+=("$prefix") starts+=("$start")
done < "$REPO/series/groups"
[ "${starts[0]:-}" = 0 ] || die "series/groups: the first series does not start at the first commit"
starts+=("${#commits[@]}")

# Addresses of the patches in $1, one per line, from get_maintainer.pl:
# maintainers and reviewers (--to) or mailing lists (--cc). By the files a
# patch touches, without keyword matches: the messages of fixes, A and B
# name the Rust driver of C, and "rust" is a keyword of the Rust entry.
addresses() {
	(cd "$dir" && perl scripts/get_maintainer.pl --no-rolestats --no-git \
		--no-git-fallback --no-substatus --no-fixes --no-keywords \
		--no-multiline --separator $'\n' \
		"${@:2}" "$1"/0*.patch) | sed '/^$/d' | sort -u
}

for ((k = 0; k < ${#names[@]}; k++)); do
	name=${names[k]}
	first=${commits[starts[k]]} last=${commits[starts[k + 1] - 1]}
	n=$((starts[k + 1] - starts[k]))
	d=$out/$((k + 1))-$name
	mkdir -p "$d"
	# One branch per series, so that the cover letter is its description.
	g branch -f "series-$name" "$last"
	g config "branch.series-$name.description" "$(cat "$REPO/series/$name.txt")"
	# The patches once without addresses, to ask get_maintainer.pl.
	g format-patch -q -o "$d/.probe" "$first~1..$last"
	to=() cc=()
	while read -r a; do to+=("--to=$a"); done < <(addresses "$d/.probe" --m --r --no-l)
	while read -r a; do cc+=("--cc=$a"); done < <(addresses "$d/.probe" --no-m --no-r --l)
	rm -rf "$d/.probe"
	# The uapi of B is linux-api's (Documentation/process/submitting-patches.rst).
	[ "$name" != B ] || cc+=("--cc=linux-api@vger.kernel.org")
	g checkout -q "series-$name"
	g format-patch -q --cover-letter --cover-from-description=subject \
		--subject-prefix="${prefixes[k]}" --base=base --thread=shallow \
		"${to[@]}" "${cc[@]}" -o "$d" "$first~1..series-$name"
	step "series $((k + 1)) ($name): $n patch(es) and a cover letter in $d; To: ${#to[@]}, Cc: ${#cc[@]}"
done
g checkout -q series

[ $check = 1 ] || exit 0

# b4 prep --check on a prep branch of each series, enrolled at the commit
# before its first; b4 keeps its own state in the repository's .git.
"$REPO/harness/b4.sh"
# b4's checkpatch run, with --strict as lint.sh has it. The base is one
# commit without history, so checkpatch cannot look up the commit a Fixes:
# tag names (UNKNOWN_COMMIT_ID); the tags were checked against upstream.
g config b4.prep-perpatch-check-cmd \
	"./scripts/checkpatch.pl -q --terse --no-summary --mailback --showfile --strict --ignore UNKNOWN_COMMIT_ID"
# Debian's python3 first: b4's modules and checkpatch's spdxcheck.py (ply,
# git) are Debian's packages, whatever python3 comes first on PATH.
b4() {
	(cd "$dir" && PATH=/usr/bin:$PATH PYTHONPATH="$TOOLS/b4/usr/lib/python3/dist-packages" \
		/usr/bin/python3 "$TOOLS/b4/usr/bin/b4" -n --offline-mode --no-stdin "$@")
}
fail=0
for ((k = 0; k < ${#names[@]}; k++)); do
	name=${names[k]}
	first=${commits[starts[k]]} last=${commits[starts[k + 1] - 1]}
	g checkout -q -B "b4/$name" "$last"
	log=$out/b4-check-$name.txt
	if ! b4 prep -e "$first~1" > "$log" 2>&1 || ! b4 prep --check >> "$log" 2>&1; then
		cat "$log" >&2
		fail=1
	elif ! grep -q '^Success: [0-9]*, Warning: 0, Error: 0$' "$log"; then
		# b4's summary, after a line per commit and its findings
		cat "$log" >&2
		fail=1
	fi
	step "b4 prep --check ($name): $(grep "^Success" "$log" || echo failed), in $log"
done
g checkout -q series
[ $fail = 0 ] || die "b4 prep --check found problems (above)"
ls "$out"
