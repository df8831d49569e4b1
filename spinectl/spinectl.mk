# spinectl/: install, inspect and remove Alpine Spine on an ESP
# (docs/install.md).
#
#   build/spinectl                  the tool: static, so the admin initrd of
#                                   the VM test can carry it without libraries
#   check-unit-spinectl             tests/unit/test_spinectl_*.c, ASan+UBSan
#   check-vm-spinectl               tests/vm-spinectl/run.sh: an admin VM
#                                   installs onto a GPT disk beside another
#                                   OS, the disk boots alone, status, remove
#
# It links the loader's own check sequence (efi/policy.c, efi/slot.c, built
# for the host by efi/efi.mk), verify/ and image/loaderkeys.c, so a slot is
# refused here exactly when spineboot would refuse it.

SPINECTL := $(B)/spinectl
SPINECTL_PURE := spinectl/loadopt.c spinectl/esp.c spinectl/plan.c spinectl/update_plan.c
SPINECTL_HDRS := $(wildcard spinectl/*.h) $(EFI_HDRS) image/loaderkeys.h
SPINECTL_CPPFLAGS := -Ispinectl -Iefi -Iimage $(SV_INC)
SPINECTL_OBJS := $(B)/efi/host/policy.o $(B)/efi/host/slot.o $(B)/image/host/loaderkeys.o

$(SPINECTL): spinectl/spinectl.c $(SPINECTL_PURE) $(SPINECTL_HDRS) $(SPINECTL_OBJS) \
		$(LIBSV_HOST) | deps
	$(CC) $(HOST_CFLAGS) $(SPINECTL_CPPFLAGS) spinectl/spinectl.c $(SPINECTL_PURE) \
		$(SPINECTL_OBJS) $(LIBSV_HOST) -static-pie -Wl,-z,relro,-z,now \
		$$(pkg-config --static --libs blkid) -o $@

ALL_TARGETS += $(SPINECTL)

SPINECTL_SAN_OBJS := $(SPINECTL_PURE:spinectl/%.c=$(B)/spinectl.d/san/%.o)
.SECONDARY: $(SPINECTL_SAN_OBJS)
$(B)/spinectl.d/san/%.o: spinectl/%.c $(SPINECTL_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -Ispinectl -c $< -o $@

SPINECTL_TESTS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_spinectl_*.c))
$(B)/tests/test_spinectl_%: tests/unit/test_spinectl_%.c $(SPINECTL_SAN_OBJS) $(SPINECTL_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -Ispinectl $< $(SPINECTL_SAN_OBJS) $(SAN_LDFLAGS) -lcriterion -o $@

# The update plan is shared with bay0 (issue 10): built here with bay0's
# flags too, so that a change that would not build there fails this check.
$(B)/spinectl.d/bay0/update_plan.o: spinectl/update_plan.c spinectl/update_plan.h spinectl/plan.h
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(BAY0_CPPFLAGS) -Ispinectl -c $< -o $@

# The load-option and BootOrder decoders, fed what firmware or another OS
# may have left in the variables (seeds: tests/data/fuzz/spinectl_loadopt/).
$(B)/fuzz/fuzz_spinectl_loadopt: tests/fuzz/fuzz_spinectl_loadopt.c spinectl/loadopt.c \
		spinectl/loadopt.h
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -Ispinectl $< spinectl/loadopt.c -o $@

.PHONY: check-unit-spinectl check-vm-spinectl check-vm-update
CHECKS += check-unit-spinectl check-vm-spinectl check-vm-update
check-unit-spinectl: $(SPINECTL_TESTS) $(B)/spinectl.d/bay0/update_plan.o
	@rc=0; for t in $(SPINECTL_TESTS); do tests/lib/run-criterion.sh $$t || rc=1; done; exit $$rc

# Five boots on one OVMF store, about two minutes under TCG; the build
# machine's kernel has no vfat, so the disk is worked on inside a guest
# (docs/install.md, "Tests"). On a shared machine, run it under
# `flock /tmp/spine-vm.lock make check-vm-spinectl` (not taken here: a caller
# already holding the lock, such as a whole `make check` under flock, would
# wait for itself).
check-vm-spinectl: $(SPINECTL) $(SPINEBOOT_EFI) $(TESTINIT_INITRD) $(KERNEL_STAMP) $(SLOT_SEC) \
		$(SLOT_PUB) tests/vm-spinectl/run.sh tests/vm-spinectl/guest.sh | deps
	@tests/vm-spinectl/run.sh $(SPINECTL) $(SPINEBOOT_EFI) \
		$(TESTINIT_INITRD) $(SLOT_SEC) $(SLOT_PUB)

# Twelve VM runs (14 or 15 boots) on one OVMF store, four to eight minutes under TCG: update, the
# slots booting after it, power cuts in the middle of it, and the floor read
# from the store on the host (docs/install.md, "Tests"). The same flock note.
check-vm-update: $(SPINECTL) $(SPINEBOOT_EFI) $(TESTINIT_INITRD) $(KERNEL_STAMP) $(SLOT_SEC) \
		$(SLOT_PUB) tests/vm-update/run.sh tests/vm-update/guest.sh tests/vm-update/varstore.py | deps
	@tests/vm-update/run.sh $(SPINECTL) $(SPINEBOOT_EFI) \
		$(TESTINIT_INITRD) $(SLOT_SEC) $(SLOT_PUB)

DEPS_PKGS += python3 libblkid-dev pkg-config util-linux fdisk dosfstools mtools signify-openbsd busybox-static \
	qemu-system-x86 ovmf xxd libc-bin
