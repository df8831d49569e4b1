# ovmf/: the QEMU + OVMF (+ swtpm) harness (ovmf/run.sh, docs/harness.md),
# `make boot`, the boot bench, and the loader scenario tests.

DEPS_PKGS += qemu-system-x86 ovmf swtpm swtpm-tools systemd-boot-efi coreutils

include tests/vm/vm.mk

# Build the default ESP (slots A and B good, docs/slots.md) and boot it,
# printing the serial console as it comes: spineboot's lines, the kernel,
# testinit. testinit marks A good and powers off, which ends the run.
BOOT_TIMEOUT ?= 120
boot: $(DEFAULT_ESP) | deps
	ovmf/run.sh --esp $(DEFAULT_ESP) --live --log $(B)/ovmf/boot.log --timeout $(BOOT_TIMEOUT)

# The same kernel and initrd behind spineboot and behind systemd-boot: time
# from QEMU's start to testinit's first line, median of BENCH_RUNS each.
BENCH_RUNS ?= 5
.PHONY: bench-boot
BENCHES += bench-boot
bench-boot: $(KERNEL_STAMP) $(TESTINIT_INITRD) $(SPINEBOOT_EFI) $(SLOT_SEC) $(SLOT_PUB) | deps
	@B=$(B) SPINEBOOT=$(SPINEBOOT_EFI) SLOT_SEC=$(SLOT_SEC) SLOT_PUB=$(SLOT_PUB) \
		ovmf/bench.sh $(BENCH_RUNS)
