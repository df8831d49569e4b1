# efi/: spineboot.efi (gnu-efi, x86-64), its host-built policy for the unit
# tests, and build/spine-pcr (image/spine-pcr.c), the PCR 12 predictor.
#
#   build/efi/spineboot.efi   the loader (PE32+, EFI application)
#   build/efi/keys.h          trusted signify keys, generated from SLOT_PUBS
#   build/spine-pcr           expected PCR 12 (sha256) for a slot folder, PCR 11
#                             for it and its passports or for bay0's run-time log
#   check-efi-symbols         the linked .so resolves every symbol itself
#   check-unit-efi            tests/unit/test_efi_*.c, ASan+UBSan
#
# SLOT_PUBS: every signify public key spineboot trusts (rotation: old and new
# side by side). Defaults to the one slot key of keys/keys.mk.

SLOT_PUBS ?= $(SLOT_PUB)

GNUEFI_INC := /usr/include/efi
GNUEFI_LIB := /usr/lib
# SV_INC: where sv.h comes from (a command-line override lets the loader be
# built against a verify/ work in progress).
SV_INC   := -Iverify
EFI_INCS := -isystem $(GNUEFI_INC) -isystem $(GNUEFI_INC)/x86_64 -Iefi $(SV_INC) -I$(B)/efi

# policy.c and slot.c are pure: built without the gnu-efi headers on purpose,
# and once more for the host (tests, spine-pcr).
EFI_PURE := efi/policy.c efi/slot.c
EFI_FW   := $(filter-out $(EFI_PURE),$(wildcard efi/*.c))
EFI_HDRS := $(wildcard efi/*.h) $(VERIFY_HDRS)
EFI_OBJS := $(EFI_PURE:efi/%.c=$(B)/efi/%.o) $(EFI_FW:efi/%.c=$(B)/efi/%.o)

SPINEBOOT_SO  := $(B)/efi/spineboot.so
SPINEBOOT_EFI := $(B)/efi/spineboot.efi

# keys/keys.mk (which sets SLOT_PUB and makes the DEVELOPMENT key) is read
# after this file, so the key prerequisites are expanded a second time, when
# the rule is used: the header then depends on the key files and their rule.
.SECONDEXPANSION:
$(B)/efi/keys.h: efi/mkkeys.sh $$(SLOT_PUBS)
	@mkdir -p $(@D)
	efi/mkkeys.sh $@ $(SLOT_PUBS)

$(B)/efi/policy.o $(B)/efi/slot.o: $(B)/efi/%.o: efi/%.c $(EFI_HDRS)
	@mkdir -p $(@D)
	$(CC) $(EFI_CFLAGS) $(SV_INC) -c $< -o $@
$(B)/efi/main.o: $(B)/efi/keys.h
$(B)/efi/%.o: efi/%.c $(EFI_HDRS)
	@mkdir -p $(@D)
	$(CC) $(EFI_CFLAGS) $(EFI_INCS) -c $< -o $@

$(SPINEBOOT_SO): $(EFI_OBJS) $(LIBSV_EFI)
	ld -nostdlib -znocombreloc -T $(GNUEFI_LIB)/elf_x86_64_efi.lds -shared -Bsymbolic \
		$(GNUEFI_LIB)/crt0-efi-x86_64.o $(EFI_OBJS) $(LIBSV_EFI) \
		-L$(GNUEFI_LIB) -lefi -lgnuefi -o $@

$(SPINEBOOT_EFI): $(SPINEBOOT_SO)
	objcopy -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
		-j '.rel.*' -j '.rela.*' -j .reloc -j .spkeys --target efi-app-x86_64 --subsystem=10 \
		$< $@

# Host builds of the pure files: sanitized for the tests, optimised for the tool.
EFI_SAN_OBJS := $(EFI_PURE:efi/%.c=$(B)/efi/san/%.o)
$(B)/efi/san/%.o: efi/%.c $(EFI_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) $(SV_INC) -c $< -o $@
$(B)/efi/host/%.o: efi/%.c $(EFI_HDRS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(SV_INC) -c $< -o $@

# It also predicts PCR 11 (bay0's run-time phases): the passport parser and
# measure/'s hashes (Nettle) and run-time log reader. measure.mk and
# persona.mk are read after this file, hence the second expansion.
SPINE_PCR := $(B)/spine-pcr
SPINE_PCR_OBJS = $(B)/efi/host/policy.o $(B)/bay0/persona/host/passport.o
$(SPINE_PCR): image/spine-pcr.c $$(SPINE_PCR_OBJS) $(LIBSV_HOST) $(EFI_HDRS) \
		$$(MEASURE_SRCS) $$(RUNLOG_SRCS) $$(MEASURE_HDRS) $$(RUNLOG_HDRS) bay0/passport.h
	$(CC) $(HOST_CFLAGS) -Iefi -Ibay0 -Imeasure $(SV_INC) $< $(SPINE_PCR_OBJS) \
		$(MEASURE_SRCS) $(RUNLOG_SRCS) $(LIBSV_HOST) $(HOST_LDFLAGS) $(MEASURE_LIBS) -o $@

# build/spine-loader-keys: the keys a loader binary trusts, from its .spkeys
# section (image/loaderkeys.c, pure; docs/boot.md, "Keys").
SPINE_LOADER_KEYS := $(B)/spine-loader-keys
$(B)/image/host/loaderkeys.o: image/loaderkeys.c image/loaderkeys.h
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -c $< -o $@
$(SPINE_LOADER_KEYS): image/spine-loader-keys.c $(B)/image/host/loaderkeys.o $(LIBSV_HOST) \
		image/loaderkeys.h $(VERIFY_HDRS)
	$(CC) $(HOST_CFLAGS) -Iimage $(SV_INC) $< $(B)/image/host/loaderkeys.o $(LIBSV_HOST) \
		$(HOST_LDFLAGS) -o $@
$(B)/image/san/loaderkeys.o: image/loaderkeys.c image/loaderkeys.h
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -c $< -o $@
$(B)/image/fuzz/loaderkeys.o: image/loaderkeys.c image/loaderkeys.h
	@mkdir -p $(@D)
	$(CLANG) $(CSTD) -O1 -g -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

EFI_TESTS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_efi_*.c))
$(B)/tests/test_efi_%: tests/unit/test_efi_%.c $(EFI_SAN_OBJS) $(B)/image/san/loaderkeys.o \
		$(LIBSV_SAN) $(EFI_HDRS) image/loaderkeys.h
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -Iefi -Iimage $(SV_INC) -Itests/unit $< $(EFI_SAN_OBJS) \
		$(B)/image/san/loaderkeys.o $(LIBSV_SAN) $(SAN_LDFLAGS) -lcriterion -lsodium -o $@

# libFuzzer target over the policy's parsers, seeds beside it (efi/fuzz/seeds).
EFI_FUZZ := $(B)/fuzz/fuzz_efi_policy
$(B)/efi/fuzz/policy.o: efi/policy.c $(EFI_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(CSTD) -O1 -g -fsanitize=fuzzer-no-link,address,undefined $(SV_INC) -c $< -o $@
$(EFI_FUZZ): efi/fuzz/fuzz_efi_policy.c $(B)/efi/fuzz/policy.o $(B)/image/fuzz/loaderkeys.o \
		$(LIBSV_FUZZ) $(EFI_HDRS) image/loaderkeys.h
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -Iefi -Iimage $(SV_INC) $< $(B)/efi/fuzz/policy.o \
		$(B)/image/fuzz/loaderkeys.o $(LIBSV_FUZZ) -o $@
FUZZERS += $(EFI_FUZZ)

ALL_TARGETS += $(SPINEBOOT_EFI) $(SPINE_PCR) $(SPINE_LOADER_KEYS)

.PHONY: check-efi-symbols check-unit-efi check-fuzz-efi check-efi-keys check-efi-secureboot \
	check-efi-pcr
CHECKS += check-efi-symbols check-unit-efi check-fuzz-efi check-efi-keys check-efi-secureboot \
	check-efi-pcr

# spine-pcr against the measurement spec, recomputed with sha256sum.
check-efi-pcr: $(SPINE_PCR) efi/check-pcr.sh $$(SLOT_SEC) | deps
	@efi/check-pcr.sh $(SPINE_PCR) $(SLOT_SEC) $(B)/tmp/pcr

# Secure Boot on (OVMF + Debian's snakeoil keys): the firmware refuses an
# unsigned spineboot.efi, and a signed one boots the not-db-signed kernel.
check-efi-secureboot: $(SPINEBOOT_EFI) $$(KERNEL_STAMP) $$(TESTINIT_INITRD) $$(SLOT_SEC) \
		$$(SLOT_PUB) efi/check-secureboot.sh | deps
	@efi/check-secureboot.sh $(SPINEBOOT_EFI) $(KERNEL) $(TESTINIT_INITRD) $(SLOT_SEC) \
		$(SLOT_PUB) $(B)/tmp/secureboot

# The trusted-key table generator, with two keys and with bad key files; then
# the keys as spine-loader-keys reads them back out of a real loader built
# with one key and one built with two (in $(B)/tmp/lk, its own build tree).
check-efi-keys: efi/mkkeys.sh efi/check-mkkeys.sh efi/check-loader-keys.sh $(SPINEBOOT_EFI) \
		$(SPINE_LOADER_KEYS) $$(SLOT_PUB) | deps
	@SV_DIR=$(patsubst -I%,%,$(SV_INC)) efi/check-mkkeys.sh $(B)/tmp/mkkeys
	@efi/check-loader-keys.sh $(SPINE_LOADER_KEYS) $(SPINEBOOT_EFI) $(SLOT_PUB) $(B)/tmp/lk

# An undefined symbol in the .so would be a null call at run time: the EFI
# loader has no dynamic linker to complain.
# The pure files reach nothing but verify/ (sv_*), each other (spine_*) and
# the memcpy/memset a compiler may emit: no firmware, no libc.
check-efi-symbols: $(SPINEBOOT_SO) $(SPINEBOOT_EFI) $(EFI_PURE:efi/%.c=$(B)/efi/%.o)
	@u=$$(nm -u $(SPINEBOOT_SO)); \
	if [ -n "$$u" ]; then echo "FAIL: spineboot.so undefined symbols:" $$u; exit 1; fi; \
	echo "PASS: spineboot.so has no undefined symbols"
	@for o in $(EFI_PURE:efi/%.c=$(B)/efi/%.o); do \
		u=$$(nm -u $$o | awk '{print $$2}' | grep -Ev '^(sv_|spine_|memcpy$$|memset$$)'); \
		if [ -n "$$u" ]; then echo "FAIL: $$o reaches outside verify/ and efi/:" $$u; exit 1; fi; \
		echo "PASS: $$o references only sv_* and spine_*"; done
	@if objdump -p $(SPINEBOOT_EFI) | grep -q 'Subsystem.*0*a.*EFI application'; then \
		echo "PASS: spineboot.efi is a PE32+ EFI application"; \
	else echo "FAIL: spineboot.efi is not a PE32+ EFI application"; exit 1; fi

check-unit-efi: $(EFI_TESTS)
	@rc=0; for t in $(EFI_TESTS); do tests/lib/run-criterion.sh $$t || rc=1; done; exit $$rc

# A short run from the seeds, as tests/fuzz/run.sh does for verify/.
check-fuzz-efi: $(EFI_FUZZ)
	@mkdir -p $(B)/fuzz/corpus-efi_policy
	@if $(EFI_FUZZ) -max_total_time=$(FUZZ_SMOKE_SECONDS) -timeout=10 -rss_limit_mb=1024 \
		-max_len=8192 -artifact_prefix=$(B)/fuzz/efi_policy- \
		$(B)/fuzz/corpus-efi_policy efi/fuzz/seeds >$(B)/fuzz/fuzz_efi_policy.log 2>&1; then \
		echo "PASS: fuzz efi_policy for $(FUZZ_SMOKE_SECONDS) s"; \
	else echo "FAIL: fuzz efi_policy (log $(B)/fuzz/fuzz_efi_policy.log)"; exit 1; fi

.PHONY: fuzz-efi
fuzz: fuzz-efi
fuzz-efi: $(EFI_FUZZ)
	$(EFI_FUZZ) -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=1024 -max_len=8192 \
		-artifact_prefix=$(B)/fuzz/efi_policy- $(B)/fuzz/corpus-efi_policy efi/fuzz/seeds

DEPS_PKGS += gnu-efi binutils libssl-dev libsodium-dev libcriterion-dev clang signify-openbsd ovmf \
	qemu-system-x86 mtools swtpm sbsigntool openssl xxd
