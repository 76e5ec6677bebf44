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
BUILD=${DAX_BUILD:-$DAX_CACHE/build}
TOOLS=$DAX_CACHE/tools
VMDIR=${DAX_VMDIR:-$DAX_CACHE/vm}
LOGS=$DAX_CACHE/logs
BINDGEN_VERSION=0.72.1

export PATH=/usr/lib/llvm-19/bin:$TOOLS/bin:$PATH
export LIBCLANG_PATH=/usr/lib/llvm-19/lib

# Arguments for every kernel make invocation: clang/LLVM 19 and the Debian
# rustc-web toolchain named explicitly (the rustc first on PATH may be
# another one); Rust is always compiled through clippy.
KMAKE=(make -C "$SRC" O="$BUILD" ARCH=x86_64 LLVM=1
       RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTFMT=/usr/bin/rustfmt
       CLIPPY_DRIVER=/usr/bin/clippy-driver BINDGEN="$TOOLS/bin/bindgen"
       RUST_LIB_SRC=/usr/lib/rustlib/src/rust/library CLIPPY=1
       -j"$(nproc)")

die() { printf 'error: %s\n' "$*" >&2; exit 1; }
step() { printf '==> %s\n' "$*" >&2; }
