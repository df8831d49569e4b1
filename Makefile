# Alpine Spine: one plain Makefile. Every output goes under build/.
# Each folder adds its own rules in <folder>/<folder>.mk; this file holds the
# flag sets they share and the top-level targets.
#
#   make            build everything (spineboot.efi, bay0, host tools, images)
#   make boot       build, then boot the whole chain in QEMU/OVMF; ends by itself
#   make check      every test: format, symbols, unit, interop, fuzz smoke, host, VM
#   make fuzz       run each fuzz target for FUZZ_SECONDS (default 60)
#   make bench      speed figures beside a peer's, as ratios
#   make deps       install missing Debian packages (apt-get; needs root)

.DEFAULT_GOAL := all
SHELL := /bin/bash
.SUFFIXES:
.DELETE_ON_ERROR:

B       := build
CC      := gcc
CLANG   := clang
GCC_INC := $(shell $(CC) -print-file-name=include)

WARN := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wcast-qual -Wcast-align \
	-Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations -Wvla \
	-Wformat=2 -Wundef -Wimplicit-fallthrough -Wwrite-strings \
	-Wold-style-definition -Wredundant-decls -Wnested-externs
CSTD := -std=c11

# Hosted code: bay0 and the host tools.
HOST_CFLAGS  := $(CSTD) $(WARN) -O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
HOST_LDFLAGS := -pie -Wl,-z,relro,-z,now
# Tests: the same code under AddressSanitizer and UndefinedBehaviorSanitizer.
SAN_CFLAGS  := $(CSTD) $(WARN) -O1 -g -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all
SAN_LDFLAGS := -fsanitize=address,undefined
# verify/ built as it must be: no libc headers at all (only the compiler's
# own stdint.h/stddef.h/stdbool.h survive -nostdinc; limits.h does not).
FREESTANDING_CFLAGS := $(CSTD) $(WARN) -O2 -ffreestanding -nostdinc -isystem $(GCC_INC) \
	-fno-stack-protector
# The EFI flavour (gnu-efi, x86-64, MS ABI calls, no red zone).
EFI_CFLAGS := $(FREESTANDING_CFLAGS) -fpic -fshort-wchar -mno-red-zone \
	-maccumulate-outgoing-args -DGNU_EFI_USE_MS_ABI
# libFuzzer targets.
FUZZ_CFLAGS := $(CSTD) -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all

# Filled in by the folders' .mk files.
ALL_TARGETS :=
CHECKS      :=
BENCHES     :=
FUZZERS     :=

DEPS_PKGS := build-essential clang clang-format libclang-rt-14-dev libcriterion-dev \
	pkg-config signify-openbsd

include verify/verify.mk
include efi/efi.mk
include bay0/bay0.mk
include bay0/umbilical.mk
include keys/keys.mk
include image/image.mk
# Before the Spine's rules: every Spine carries spine-tpm.
include measure/measure.mk
include image/spine/spine.mk
include ovmf/ovmf.mk
include spinectl/spinectl.mk
include tests/tests.mk
include tests/vm-spineupd/spineupd.mk
include tests/vm-umbcut/umbcut.mk

.PHONY: all all-targets check fuzz bench deps clean boot format check-format

# deps first, then the build: an order-only prerequisite listed beside the
# targets would be made after them, too late on a fresh machine.
all: | deps
	@$(MAKE) --no-print-directory all-targets
all-targets: $(ALL_TARGETS)

# Runs every check even when one fails, then prints the totals and fails if
# any check failed (tests/run-checks.sh). CHECK_JOBS checks run at once; a
# heavy one (it keeps both cores busy by itself) runs alone. Heavy and long
# ones start first, so that the short ones fill the gaps at the end; the long
# ones longest first (their VM time in the last runs), so that no long one is
# left running alone at the end. The build before them runs CHECK_JOBS wide.
CHECK_JOBS ?= 2
CHECKS_HEAVY := check-vm-boot check-vm-bay0
CHECKS_LONG := check-vm-keys check-vm-loader check-vm-umbcut check-vm-update check-vm-spineupd \
	check-vm-spinectl check-vm-tpm
CHECKS_ORDERED = $(filter $(CHECKS),$(CHECKS_HEAVY)) $(filter $(CHECKS),$(CHECKS_LONG)) \
	$(filter-out $(CHECKS_HEAVY) $(CHECKS_LONG),$(CHECKS))
check: | deps
	@$(MAKE) --no-print-directory -j$(CHECK_JOBS) all-targets
	@CHECK_HEAVY="$(CHECKS_HEAVY)" tests/run-checks.sh -j $(CHECK_JOBS) $(CHECKS_ORDERED)

bench: | deps
	@$(MAKE) --no-print-directory all-targets
	@set -e; for b in $(BENCHES); do $(MAKE) --no-print-directory $$b; done

# Install only what is missing, so a machine that has everything never calls apt.
deps:
	@missing=$$(for p in $(sort $(DEPS_PKGS)); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' \
		|| echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing" $$missing; \
		apt-get update && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends $$missing; \
	fi

SOURCES = $(shell git ls-files -co --exclude-standard -- '*.c' '*.h' 2>/dev/null)

format:
	clang-format -i $(SOURCES)

CHECKS += check-format
check-format:
	@bad=0; for f in $(SOURCES); do \
		if ! clang-format --dry-run --Werror "$$f" >/dev/null 2>&1; then \
			echo "FAIL: format $$f (run 'make format')"; bad=1; fi; done; \
	[ $$bad = 0 ] && echo "PASS: format of $(words $(SOURCES)) C files"

clean:
	rm -rf $(B)
