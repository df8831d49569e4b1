# image/: Debian's kernel, initramfs, signed slot folders, ESP images.
# Formats and how the pieces fit: docs/slots.md.

DEPS_PKGS += apt dpkg kmod cpio gzip xz-utils zstd coreutils file dosfstools mtools signify-openbsd

KERNEL_DIR := $(B)/kernel
KERNEL     := $(KERNEL_DIR)/vmlinuz
# The unpacked kernel's stamp: fetch-kernel.sh writes it inside the tree it
# swaps into place. Delete build/kernel to pick up a newer Debian kernel. The
# script is an order-only prerequisite: editing it must not make every build
# re-extract 400 MB under the feet of whoever is booting that kernel.
KERNEL_STAMP := $(KERNEL_DIR)/version

$(KERNEL_STAMP): | image/fetch-kernel.sh deps
	image/fetch-kernel.sh $(KERNEL_DIR) $(B)/cache/apt
$(KERNEL): $(KERNEL_STAMP)

# The loader-test init (tests/init/testinit.c, docs/interfaces.md): static,
# because the initramfs holds no libraries.
TESTINIT := $(B)/tests/testinit
$(TESTINIT): tests/init/testinit.c | deps
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -static-pie -Wl,-z,relro,-z,now -o $@ $<

# Loader-only initramfs: testinit plus what it needs to mark a slot good
# (efivarfs) and to stand for a hung system (the i6300esb watchdog).
# The TPM drivers (tpm_tis, tpm_crb) are built into Debian's kernel.
TESTINIT_INITRD := $(B)/initrd/testinit.img
$(TESTINIT_INITRD): $(TESTINIT) $(KERNEL_STAMP) image/mkinitrd.sh
	@mkdir -p $(@D)
	image/mkinitrd.sh -o $@ -i $(TESTINIT) -k $(KERNEL_DIR) -m efivarfs -m i6300esb

# The default slots and ESP that `make boot` starts: A and B both good.
BOOT_CMDLINE = console=ttyS0 panic=-1 testinit.good=1
SLOT_DEPS = $(KERNEL_STAMP) $(TESTINIT_INITRD) image/mkslot.sh $(SLOT_SEC) $(SLOT_PUB)

$(B)/slots/default-a/SHA512.sig: $(SLOT_DEPS)
	image/mkslot.sh -o $(@D) -k $(KERNEL) -i $(TESTINIT_INITRD) \
		-c "$(BOOT_CMDLINE)" -v 1 -s $(SLOT_SEC) -p $(SLOT_PUB)
$(B)/slots/default-b/SHA512.sig: $(SLOT_DEPS)
	image/mkslot.sh -o $(@D) -k $(KERNEL) -i $(TESTINIT_INITRD) \
		-c "$(BOOT_CMDLINE)" -v 1 -s $(SLOT_SEC) -p $(SLOT_PUB)

# efi/efi.mk builds it (docs/interfaces.md).
SPINEBOOT_EFI ?= $(B)/efi/spineboot.efi

DEFAULT_ESP := $(B)/esp/default.img
$(DEFAULT_ESP): $(SPINEBOOT_EFI) $(B)/slots/default-a/SHA512.sig \
		$(B)/slots/default-b/SHA512.sig image/mkesp.sh
	image/mkesp.sh -o $@ -l $(SPINEBOOT_EFI) -a $(B)/slots/default-a -b $(B)/slots/default-b

# `make` builds the images too (the kernel download included, once).
ALL_TARGETS += $(TESTINIT_INITRD) $(DEFAULT_ESP)

.PHONY: kernel testinit images
kernel: $(KERNEL_STAMP)
testinit: $(TESTINIT) $(TESTINIT_INITRD)
images: $(DEFAULT_ESP)
