# tests/vm/: the loader scenario tests (tests/vm/scenarios.sh, docs/harness.md).
# Included from ovmf/ovmf.mk.

VM_JOBS ?= 2
VM_CASES ?=

.PHONY: check-vm-boot
CHECKS += check-vm-boot

# spineboot.efi and spine-pcr are built here but not prerequisites: without
# them every case prints its own FAIL line instead of make stopping at the
# first missing file.
check-vm-boot: $(KERNEL_STAMP) $(TESTINIT) $(TESTINIT_INITRD) $(SLOT_SEC) $(SLOT_PUB) | deps
	@$(MAKE) --no-print-directory $(SPINEBOOT_EFI) $(SPINE_PCR) $(SPINE_TCGLOG) >/dev/null 2>&1 || \
		echo "check-vm-boot: building $(SPINEBOOT_EFI), $(SPINE_PCR) or $(SPINE_TCGLOG) failed"
	@B=$(B) SPINEBOOT=$(SPINEBOOT_EFI) SPINE_PCR=$(SPINE_PCR) SLOT_SEC=$(SLOT_SEC) \
		SLOT_PUB=$(SLOT_PUB) TESTINIT=$(TESTINIT) KERNEL_DIR=$(KERNEL_DIR) SPINE_TCGLOG=$(SPINE_TCGLOG) tests/vm/scenarios.sh -j $(VM_JOBS) $(VM_CASES)

# Host checks of the image/ scripts: no VM, seconds. spine-verify is built
# but not a prerequisite, for the same reason as above.
.PHONY: check-image
CHECKS += check-image
check-image: $(KERNEL_STAMP) $(TESTINIT) $(TESTINIT_INITRD) $(SLOT_SEC) $(SLOT_PUB) | deps
	@$(MAKE) --no-print-directory $(B)/spine-verify >/dev/null 2>&1 || \
		echo "check-image: building $(B)/spine-verify failed"
	@B=$(B) SLOT_SEC=$(SLOT_SEC) SLOT_PUB=$(SLOT_PUB) tests/vm/image-checks.sh
