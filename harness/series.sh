#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make series: the upstream series as git format-patch output, with the
# cover letter of series/cover-letter.txt and a base-commit reference,
# in $DAX_CACHE/series-out.
. "$(dirname "$0")/lib.sh"

# Built in the harness's own repository, as lint.sh does: $DAX_CACHE/git is
# the developer's.
dir=$DAX_CACHE/lint-git
"$REPO/harness/series-repo.sh" --scratch "$dir"
out=$DAX_CACHE/series-out
rm -rf "$out"
git -C "$dir" config branch.series.description "$(cat "$REPO/series/cover-letter.txt")"
git -C "$dir" format-patch -q --cover-letter --cover-from-description=subject \
	--base=base --thread=shallow -o "$out" base..series
step "series: $(find "$out" -type f | wc -l) file(s) in $out"
ls "$out"
