# SPDX-License-Identifier: GPL-2.0
# Common settings of the dax-recovery harness. Sourced, never run.
#
# Everything built lives outside the repository, under $DAX_CACHE
# (default ~/.cache/dax-recovery):
#   apt/      private apt lists and the downloaded linux-source .deb
#   base/     the pristine 7.3.4 source, unpacked once
#   src/      base + patches/ + linux/, kept in sync file by file
#   build/    the kernel object tree (make O=build)
#   tools/    bindgen-cli, installed by cargo at a pinned version
#   vm/       initramfs pieces and the emulated NVDIMM backing file
#   logs/     one directory per VM run; logs/latest points at the newest

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DAX_CACHE=${DAX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dax-recovery}
BASE_PKG=linux-source-7.3
BASE_VERSION=7.3.4-1~bpo13+1
BASE_SHA256=703e369ddd4cce971452f5a593ee55df3a5c10c83caf0fa0df039633ed181ee3
BASE_SUITE=trixie-backports
BASE_DIR=$DAX_CACHE/base/linux-source-7.3
SRC=${DAX_SRC:-$DAX_CACHE/src}
# DAX_LLVM: the clang/LLVM major version. 22 (the default) is the LLVM
# that rustc-web 1.96 is built on, so C helpers are inlined into Rust
# (CONFIG_RUST_INLINE_HELPERS, config/llvm22.config, added here).
# DAX_LLVM=19 builds with the retired clang-19 in trees of its own
# ($DAX_CACHE/build-llvm19, ...), for comparison only.
DAX_LLVM=${DAX_LLVM:-22}
case $DAX_LLVM in
22)
	sfx=
	case " ${DAX_CONFIG_EXTRA:-} " in
	*" llvm22.config "*) ;;
	*) DAX_CONFIG_EXTRA="${DAX_CONFIG_EXTRA:+$DAX_CONFIG_EXTRA }llvm22.config" ;;
	esac ;;
19) sfx=-llvm19 ;;
*) printf 'error: DAX_LLVM is 22 or 19, not %s\n' "$DAX_LLVM" >&2; exit 1 ;;
esac
export DAX_LLVM
[ -z "${DAX_CONFIG_EXTRA:-}" ] || export DAX_CONFIG_EXTRA
BUILD=${DAX_BUILD:-$DAX_CACHE/build$sfx}
BASE_BUILD=$DAX_CACHE/base-build$sfx
BASE_VM=$DAX_CACHE/base-vm$sfx
TOOLS=$DAX_CACHE/tools
VMDIR=${DAX_VMDIR:-$DAX_CACHE/vm$sfx}
LOGS=$DAX_CACHE/logs
BINDGEN_VERSION=0.72.1

export PATH=/usr/lib/llvm-$DAX_LLVM/bin:$TOOLS/bin:$PATH
export LIBCLANG_PATH=/usr/lib/llvm-$DAX_LLVM/lib

# Arguments for every kernel make invocation: clang/LLVM and the Debian
# rustc-web toolchain named explicitly (the rustc first on PATH may be
# another one); Rust is always compiled through clippy.
KMAKE=(make -C "$SRC" O="$BUILD" ARCH=x86_64 LLVM=1
       RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTFMT=/usr/bin/rustfmt
       CLIPPY_DRIVER=/usr/bin/clippy-driver BINDGEN="$TOOLS/bin/bindgen"
       RUST_LIB_SRC=/usr/lib/rustlib/src/rust/library CLIPPY=1
       -j"$(nproc)")

# check_fragment FRAGMENT CONFIG: whether every option FRAGMENT sets (or
# unsets) has stuck in CONFIG; says which did not, and what they got.
check_fragment() {
	local line opt bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF "$line" "$2" || {
				echo "config: wanted $line, got: $(grep -E "^(# )?${line%%=*}[= ]" "$2" || echo 'not present (dependency missing?)')" >&2
				bad=1
			} ;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }; opt=${opt%% *}
			! grep -q "^$opt=" "$2" || { echo "config: wanted $opt unset" >&2; bad=1; } ;;
		esac
	done < "$1"
	return $bad
}

# run_jobs N FUNC ITEM...: FUNC ITEM for each ITEM, N at a time, in the
# background; returns when all are done (the peer suites' VMs side by side).
run_jobs() {
	local n=$1 fn=$2 item
	shift 2
	for item in "$@"; do
		while [ "$(jobs -rp | wc -l)" -ge "$n" ]; do
			wait -n
		done
		"$fn" "$item" &
	done
	wait
}

die() { printf 'error: %s\n' "$*" >&2; exit 1; }
step() { printf '==> %s\n' "$*" >&2; }

# series_read: patches/series, the one place it is parsed. Fills
# SERIES_PATCH (the patch file of each commit, in order, relative to
# patches/) and SERIES_ADDS (the linux/ files that commit adds, space
# separated); comments and blank lines are skipped. Dies on a line that
# names a patch or a linux/ file that does not exist. No patches/series:
# no commits.
series_read() {
	local p rest path n=0 f=$REPO/patches/series
	SERIES_PATCH=() SERIES_ADDS=()
	[ -f "$f" ] || return 0
	while read -r p rest; do
		case "$p" in '' | '#'*) continue ;; esac
		n=$((n + 1))
		[ -f "$REPO/patches/$p" ] || die "patches/series line $n: patches/$p does not exist"
		for path in $rest; do
			[ -f "$REPO/linux/$path" ] ||
				die "patches/series: $p names linux/$path, which does not exist"
		done
		SERIES_PATCH+=("$p")
		SERIES_ADDS+=("$rest")
	done < "$f"
}

# series_group_end NAME: the number of commits of the series through the
# last one of series/groups' NAME (fixes, A, B, C): NAME's own last commit,
# the prefix "make check SERIES=NAME" builds. Needs series_read.
series_group_end() {
	python3 - "$REPO" "$1" "${SERIES_PATCH[@]}" <<'PY'
import email, sys
repo, want, patches = sys.argv[1], sys.argv[2], sys.argv[3:]
subj = []
for p in patches:
    with open(f"{repo}/patches/{p}") as f:
        s = email.message_from_file(f)["Subject"]
    s = " ".join(s.split())
    subj.append(s[s.index("]") + 1:].strip() if s.startswith("[") else s)
groups = []
for line in open(f"{repo}/series/groups"):
    if line.strip() and not line.startswith("#"):
        name, _, first = line.rstrip("\n").split("\t")
        groups.append((name, subj.index(first)))
for k, (name, start) in enumerate(groups):
    if name == want:
        print(groups[k + 1][1] if k + 1 < len(groups) else len(subj))
        sys.exit(0)
sys.exit(f"series/groups has no series {want!r}")
PY
}

# toolchain_config MAKE...: put the toolchain's options (config/llvm22.config
# with DAX_LLVM=22: EXPERT and RUST_INLINE_HELPERS) on top of a .config that
# allnoconfig made from the other fragments, with olddefconfig. Given to
# allnoconfig, EXPERT=y would make every option that only EXPERT shows
# visible, and allnoconfig would turn them all off (FHANDLE, SYSCTL,
# X86_PAT, PROC_PAGE_MONITOR, ...): on top, they keep the values they have
# without it. MAKE is the kernel make command with its O=.
toolchain_config() {
	local out
	[ "$DAX_LLVM" = 22 ] || return 0
	out=$(printf '%s\n' "$@" | sed -n 's/^O=//p' | tail -n 1)
	sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=.*/\1/p' "$REPO/config/llvm22.config" |
		while read -r opt; do
			sed -i -e "/^$opt=/d" -e "/^# $opt is not set/d" "$out/.config"
		done
	cat "$REPO/config/llvm22.config" >> "$out/.config"
	"$@" -s olddefconfig
}
