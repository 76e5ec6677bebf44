# SPDX-License-Identifier: GPL-2.0
#
# dax-recovery harness. The build tree, logs and caches live outside the
# repository, under $(DAX_CACHE) (default ~/.cache/dax-recovery).
#
#   make run            build, boot, show the recovery story step by step
#   make check          build, boot, run every test; last line "N passed, N failed"
#   make check T=prog   run one selftest program (ARGS="-r fixture.variant.test" picks cases)
#   make check SERIES=A the same on the last commit of one of the four series (series/groups)
#   make check-debug    make check on a debug kernel (lockdep, KASAN, UBSAN, KFENCE, ...)
#                       built in its own tree; any kernel report fails the run
#   make fstests        fstests (the dax group and DAX data-path tests) on ext4 and XFS,
#                       base kernel / nd_pmem / rust_pmem; FSTESTS="..." picks tests
#   make ndctl          ndctl v81's poison tests on nfit_test (unpatched and patched
#                       kernels built for it) and on e820 with both drivers
#   make shell          interactive shell in the VM; CMD="..." runs a command instead
#   make build          only build the kernel, modules, selftests and initramfs
#   make series         the four upstream series (series/groups), each with its cover
#                       letter, To/Cc and base-commit, checked with b4 prep --check
#   make bisect         build every prefix of the series (on demand; about 35 minutes)
#   make deps           install missing Debian packages and bindgen-cli
#   make clean          remove the build trees, VM images and logs (keeps the base
#                       source, the tools and the series repository $DAX_CACHE/git)

SHELL := /bin/bash
H := harness

.PHONY: all deps base tree build run check check-debug bisect shell bench bench-profile fstests ndctl userspace series clean distclean

all: build

deps:
	@$(H)/deps.sh

base: deps
	@$(H)/base.sh

tree: base
	@$(H)/assemble.sh

build: base
	@$(H)/build.sh

check: base
	@$(H)/check.sh

# The debug kernel has its own build tree and initramfs, so switching
# between the two costs nothing once both are built.
check-debug: base
	@DAX_BUILD=$${DAX_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/dax-recovery}/build-debug \
	 DAX_VMDIR=$${DAX_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/dax-recovery}/vm-debug \
	 DAX_CONFIG_EXTRA=debug.config DAXVM_TIMEOUT=$${DAXVM_TIMEOUT:-7200} \
	 DAXVM_ENV_DAXVM_KSELFTEST_TIMEOUT=$${DAXVM_KSELFTEST_TIMEOUT:-1800} $(H)/check.sh

run: build
	@$(H)/vm.sh --name run -- /opt/daxvm/demo.sh

shell: build
ifeq ($(CMD),)
	@$(H)/vm.sh --shell --name shell
else
	@$(H)/vm.sh --name cmd -- '$(CMD)'
endif

bench: base
	@$(H)/suites/bench/run.sh

bench-profile: build
	@$(H)/suites/bench/run-profile.sh

fstests: base
	@$(H)/suites/fstests/run.sh

ndctl: base
	@$(H)/suites/ndctl/run.sh

# man-pages, xfs_io and strace patched for the flags: built and checked on
# the host, then used in the VM on a poisoned file (USERSPACE_STEPS=host|vm).
userspace: base
	@$(H)/suites/userspace/run.sh

series: base
	@$(H)/series.sh

bisect: base
	@$(H)/bisect.sh $(RANGE)

# Every tree the harness builds; the base source, the tools (bindgen), the
# apt lists and the developer's series repository ($DAX_CACHE/git) stay.
clean:
	@. $(H)/lib.sh && rm -rf "$$BUILD" "$$SRC" "$$VMDIR" "$$LOGS" \
		"$$DAX_CACHE"/{build-debug,vm-debug,src-prefix,build-prefix,src-series,build-series,vm-series,base-build,base-vm,build-llvm19,vm-llvm19,base-build-llvm19,base-vm-llvm19,nfit-base-build,nfit-base-vm,nfit-series-build,nfit-series-vm,build-ndctl,vm-ndctl,ndctl,bench-bin,lint-git,series-out}

distclean:
	@. $(H)/lib.sh && rm -rf "$$DAX_CACHE"
