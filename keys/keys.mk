# keys/: the signify slot key. Without SLOT_PUB/SLOT_SEC given, a development
# pair is made in keys/dev/ (gitignored, named DEVELOPMENT everywhere).
SLOT_PUB ?= keys/dev/spine-slot-DEVELOPMENT.pub
SLOT_SEC ?= keys/dev/spine-slot-DEVELOPMENT.sec

# The persona key signs passports, and only passports (docs/passport.md,
# "Keys"): bay0 trusts the keys in PERSONA_PUBS (compiled in; rotation: old
# and new), never the slot key, so a persona publisher cannot sign a Spine
# and a passport signed with the slot key is refused. PERSONA_SEC/PUB sign.
PERSONA_PUB  ?= keys/dev/spine-persona-DEVELOPMENT.pub
PERSONA_SEC  ?= keys/dev/spine-persona-DEVELOPMENT.sec
PERSONA_PUBS ?= $(PERSONA_PUB)

keys/dev/spine-slot-DEVELOPMENT.pub keys/dev/spine-slot-DEVELOPMENT.sec \
keys/dev/spine-persona-DEVELOPMENT.pub keys/dev/spine-persona-DEVELOPMENT.sec: | deps
	keys/mkdevkeys.sh keys/dev

# keys/spine-keys, the operator's key tool (docs/keys.md), and its C helper
# build/spine-sbvar (signature lists, one-write efivarfs updates).
DEPS_PKGS += openssl efitools sbsigntool signify-openbsd e2fsprogs util-linux coreutils xxd

SPINE_SBVAR := $(B)/spine-sbvar
ESL_SRCS := keys/esl.c
ESL_HDRS := keys/esl.h
# bootpath reads Boot#### with spinectl's load-option decoder: one parser.
$(SPINE_SBVAR): keys/spine-sbvar.c $(ESL_SRCS) $(ESL_HDRS) spinectl/loadopt.c spinectl/loadopt.h | deps
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Ikeys -Ispinectl $< $(ESL_SRCS) spinectl/loadopt.c $(HOST_LDFLAGS) -o $@
# The reader under libFuzzer (seeds: tests/data/fuzz/esl/); explicit, so
# verify.mk's pattern rule does not link it.
$(B)/fuzz/fuzz_esl: tests/fuzz/fuzz_esl.c $(ESL_SRCS) $(ESL_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -Ikeys $< $(ESL_SRCS) -o $@

ALL_TARGETS += $(SPINE_SBVAR)

# The reader's unit tests, ASan+UBSan.
KEYS_TESTS := $(B)/tests/test_keys_esl
$(B)/tests/test_keys_esl: tests/unit/test_keys_esl.c $(ESL_SRCS) $(ESL_HDRS) | deps
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -Ikeys $< $(ESL_SRCS) $(SAN_LDFLAGS) -lcriterion -o $@
.PHONY: check-unit-keys
CHECKS += check-unit-keys
check-unit-keys: $(KEYS_TESTS)
	@tests/lib/run-criterion.sh $(KEYS_TESTS)

# Slot-key rotation tests: a second signify key (made once, no passphrase,
# build/ only) and two loaders built from the same sources as SPINEBOOT_EFI,
# one trusting the slot key and it, one trusting only it.
ROT_PUB := $(B)/rotkey/new.pub
ROT_SEC := $(B)/rotkey/new.sec
ROT_BOTH_EFI := $(B)/rot-both/efi/spineboot.efi
ROT_NEW_EFI := $(B)/rot-new/efi/spineboot.efi
$(ROT_PUB): | deps
	@mkdir -p $(@D)
	rm -f $(ROT_PUB) $(ROT_SEC)
	signify-openbsd -G -n -c "Alpine Spine rotation TEST key" -p $(ROT_PUB) -s $(ROT_SEC)
$(ROT_SEC): $(ROT_PUB)
$(ROT_BOTH_EFI): $(ROT_PUB) $$(SLOT_PUB) $$(SPINEBOOT_EFI)
	$(MAKE) -s B=$(B)/rot-both SLOT_PUBS="$(SLOT_PUB) $(ROT_PUB)" $@
$(ROT_NEW_EFI): $(ROT_PUB) $$(SPINEBOOT_EFI)
	$(MAKE) -s B=$(B)/rot-new SLOT_PUBS="$(ROT_PUB)" $@

# spine-keys on a fake efivarfs tree: refusals, --dry-run, create, sign,
# status (tests/host/spine-keys.sh); rotate-slot-key on a fake ESP folder,
# killed after each write and run again; revoke's refusals
# (tests/host/spine-keys-rotate.sh); rotate-db (begin, resign, finish), its
# refusals, a kill after resign's first ESP write (tests/host/spine-keys-rotdb.sh).
.PHONY: check-host-keys
CHECKS += check-host-keys
check-host-keys: $(SPINE_SBVAR) $$(SPINE_TCGLOG) $$(SPINE_LOADER_KEYS) $$(SPINEBOOT_EFI) \
		$$(SLOT_PUB) $$(SLOT_SEC) $(ROT_PUB) $(ROT_BOTH_EFI) $(ROT_NEW_EFI) keys/spine-keys \
		tests/host/spine-keys.sh tests/host/spine-keys-rotate.sh tests/host/spine-keys-rotdb.sh \
		image/mkslot.sh | deps
	@SPINE_SBVAR=$(SPINE_SBVAR) SPINE_TCGLOG=$(SPINE_TCGLOG) SPINE_LOADER_KEYS=$(SPINE_LOADER_KEYS) \
		tests/host/spine-keys.sh $(SPINEBOOT_EFI) $(SLOT_PUB) $(B)/tmp/host-keys $(SLOT_SEC) \
		$(ROT_BOTH_EFI) $(ROT_NEW_EFI) $(ROT_PUB) $(ROT_SEC)

# The keys enrolled under OVMF's Secure Boot firmware from an admin
# environment, then the signed, unsigned and foreign-signed loader; then
# the rotations, revoke and the refusals (tests/vm-keys/run.sh; twenty-four
# VM boots).
DEPS_PKGS += busybox-static bash qemu-system-x86 ovmf swtpm ipxe-qemu
.PHONY: check-vm-keys
CHECKS += check-vm-keys
check-vm-keys: $(SPINE_SBVAR) $$(SPINE_TCGLOG) $$(SPINE_LOADER_KEYS) $$(SPINEBOOT_EFI) \
		$$(KERNEL_STAMP) $$(SLOT_SEC) $$(SLOT_PUB) $(ROT_PUB) $(ROT_BOTH_EFI) $(ROT_NEW_EFI) \
		keys/spine-keys tests/vm-keys/run.sh tests/vm-keys/rcS | deps
	@SPINE_SBVAR=$(SPINE_SBVAR) SPINE_TCGLOG=$(SPINE_TCGLOG) SPINE_LOADER_KEYS=$(SPINE_LOADER_KEYS) \
		tests/vm-keys/run.sh $(KERNEL_DIR) $(SPINEBOOT_EFI) $(SLOT_SEC) $(SLOT_PUB) $(B)/tmp/vm-keys \
		$(ROT_BOTH_EFI) $(ROT_NEW_EFI) $(ROT_PUB) $(ROT_SEC)
