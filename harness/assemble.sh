#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Assemble base + patches (series order) + linux/ into $SRC.
#
# The files the series touches are built in a fresh staging directory, then
# compared with $SRC: only files whose content changed are copied (so make
# sees new mtimes on exactly those), files the series no longer touches are
# restored from the base (or removed if the base lacks them). The list of
# touched files is kept in $SRC/.dax-recovery-manifest.
. "$(dirname "$0")/lib.sh"

[ -f "$BASE_DIR/.unpacked" ] || die "base source missing; run harness/base.sh"

if [ ! -f "$SRC/.assembled" ]; then
	step "creating the source tree $SRC from the base"
	rm -rf "$SRC"
	cp -a --reflink=auto "$BASE_DIR" "$SRC"
	: > "$SRC/.dax-recovery-manifest"
	touch "$SRC/.assembled"
fi

# Staging next to the tree, so that trees of different prefixes
# (harness/bisect.sh) can be assembled side by side.
stage=$SRC.stage
rm -rf "$stage"
mkdir -p "$stage"
touched=$SRC.stage.list
: > "$touched"

# Paths a patch reads or writes, from its ---/+++ lines.
patch_paths() {
	sed -n -E 's@^(---|\+\+\+) [ab]/([^\t]*).*$@\2@p' "$1" | sort -u
}

series_read
n=${#SERIES_PATCH[@]}
# DAX_SERIES_PREFIX=N: only the first N commits (harness/bisect.sh).
[ -z "${DAX_SERIES_PREFIX:-}" ] || [ "$n" -le "$DAX_SERIES_PREFIX" ] || n=$DAX_SERIES_PREFIX
for ((i = 0; i < n; i++)); do
	p=${SERIES_PATCH[i]}
	pf=$REPO/patches/$p
	while read -r f; do
		[ -n "$f" ] || continue
		echo "$f" >> "$touched"
		if [ ! -e "$stage/$f" ] && [ -e "$BASE_DIR/$f" ]; then
			mkdir -p "$(dirname "$stage/$f")"
			cp -p "$BASE_DIR/$f" "$stage/$f"
		fi
	done < <(patch_paths "$pf")
	if ! out=$(cd "$stage" && GIT_CEILING_DIRECTORIES="$DAX_CACHE" \
			git apply --whitespace=nowarn -p1 "$pf" 2>&1); then
		printf '%s\n' "$out" >&2
		die "patch patches/$p (series line $((i + 1))) does not apply"
	fi
	# The files this commit adds, so later patches may edit them.
	read -r -a adds <<< "${SERIES_ADDS[i]}"
	for path in "${adds[@]}"; do
		echo "$path" >> "$touched"
		mkdir -p "$(dirname "$stage/$path")"
		cp -p "$REPO/linux/$path" "$stage/$path"
	done
done

# New files no series line names yet (work in progress) go in last.
if [ -d "$REPO/linux" ] && [ -z "${DAX_SERIES_PREFIX:-}" ]; then
	(cd "$REPO/linux" && find . -type f ! -name '*~' -printf '%P\n') | while read -r f; do
		grep -qxF "$f" "$touched" && continue
		echo "warning: linux/$f is not named by any line of patches/series" >&2
		echo "$f" >> "$touched"
		mkdir -p "$(dirname "$stage/$f")"
		cp -p "$REPO/linux/$f" "$stage/$f"
	done
fi

sort -u -o "$touched" "$touched"
changed=0
while read -r f; do
	if [ -e "$stage/$f" ]; then
		if ! cmp -s "$stage/$f" "$SRC/$f"; then
			mkdir -p "$(dirname "$SRC/$f")"
			cp "$stage/$f" "$SRC/$f.tmp" && mv "$SRC/$f.tmp" "$SRC/$f"
			chmod --reference="$stage/$f" "$SRC/$f"
			changed=$((changed + 1))
		fi
	elif [ -e "$SRC/$f" ]; then
		rm -f "$SRC/$f"	# deleted by a patch
		changed=$((changed + 1))
	fi
done < "$touched"

# Files the series touched last time but no longer touches.
while read -r f; do
	[ -n "$f" ] || continue
	if [ -e "$BASE_DIR/$f" ]; then
		if ! cmp -s "$BASE_DIR/$f" "$SRC/$f"; then
			cp "$BASE_DIR/$f" "$SRC/$f"	# a fresh mtime, so make rebuilds
			changed=$((changed + 1))
		fi
	elif [ -e "$SRC/$f" ]; then
		rm -f "$SRC/$f"
		changed=$((changed + 1))
	fi
done < <(comm -23 "$SRC/.dax-recovery-manifest" "$touched")

cp "$touched" "$SRC/.dax-recovery-manifest"
rm -rf "$stage"
step "source tree: $n patch(es), $(wc -l < "$touched") file(s) of the series, $changed updated"
