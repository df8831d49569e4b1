# ovmf/: the QEMU + OVMF (+ swtpm) harness (ovmf/run.sh, docs/harness.md),
# `make boot`, the boot bench, and the loader scenario tests.

DEPS_PKGS += qemu-system-x86 ovmf swtpm swtpm-tools systemd-boot-efi coreutils efitools openssl xxd

include tests/vm/vm.mk

# The loader on its own: the default loader-test ESP (slots A and B good,
# docs/slots.md), printing spineboot's lines, the kernel and testinit, which
# marks A good and powers off, ending the run. `make boot` (image/spine/
# spine.mk) boots the whole chain with bay0 instead.
BOOT_TIMEOUT ?= 120
.PHONY: boot-loader
boot-loader: $(DEFAULT_ESP) | deps
	ovmf/run.sh --esp $(DEFAULT_ESP) --live --log $(B)/ovmf/boot.log --timeout $(BOOT_TIMEOUT)

# The same kernel and initrd behind spineboot and behind systemd-boot: time
# from QEMU's start to testinit's first line, median of BENCH_RUNS each.
BENCH_RUNS ?= 5
.PHONY: bench-boot
BENCHES += bench-boot
bench-boot: $(KERNEL_STAMP) $(TESTINIT_INITRD) $(SPINEBOOT_EFI) $(SLOT_SEC) $(SLOT_PUB) | deps
	@B=$(B) SPINEBOOT=$(SPINEBOOT_EFI) SLOT_SEC=$(SLOT_SEC) SLOT_PUB=$(SLOT_PUB) \
		ovmf/bench.sh $(BENCH_RUNS)
