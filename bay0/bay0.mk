# bay0/: PID 1. Persona rules live in bay0/persona.mk.
include bay0/persona.mk
include bay0/network.mk

# The PID 1 part: everything in bay0/ that persona.mk does not build.
BAY0_SRCS := bay0/main.c bay0/log.c bay0/util.c bay0/config.c bay0/moddep.c bay0/modules.c \
	bay0/mount.c bay0/dev.c bay0/harden.c bay0/persist.c bay0/inventory.c bay0/watchdog.c bay0/power.c \
	bay0/loop.c bay0/slot.c bay0/slot_mark.c bay0/keys.c bay0/health.c bay0/measure.c
BAY0_SRCS += bay0/umbilical.c bay0/umbilical_copy.c bay0/umbilical_run.c bay0/umbilical_spine.c \
	bay0/umb_stall.c bay0/bootvar.c
# spinectl's load-option decoder and its judgement of boot entries, shared
# so that bay0 and spinectl read the firmware's variables alike.
BAY0_SHARED := spinectl/loadopt.c spinectl/bootent.c
BAY0_HDRS := $(wildcard bay0/*.h) spinectl/loadopt.h spinectl/bootent.h efi/policy.h $(VERIFY_HDRS) \
	$(B)/bay0/gen/personakeys.h
# Pure code (no I/O, no globals): what the unit tests and fuzzers link, plus
# the efivarfs and sysctl writers and their helpers, tested on files in a
# temporary folder.
BAY0_PURE := bay0/config.c bay0/moddep.c bay0/slot.c
BAY0_UNIT_IO := bay0/slot_mark.c bay0/harden.c bay0/log.c bay0/util.c bay0/measure.c \
	bay0/bootvar.c

BAY0_CPPFLAGS := -Ibay0 -Iverify -Ispinectl -I$(B)/bay0/gen
# Static PIE: the Spine holds no shared libraries. Debian ships libseccomp.a
# and libcap.a; glibc's static parts are used for nothing that needs NSS.
BAY0_LDFLAGS := -static-pie -Wl,-z,relro,-z,now
# libblkid (static, libblkid-dev): the partition type of the ESP, for Spine
# updates over the Umbilical (bay0/umbilical_spine.c). Expanded by the shell
# at link time, after `deps` has installed pkg-config.
BAY0_LIBS = $(LIBSV_HOST) -lseccomp -lcap $$(pkg-config --static --libs blkid)

BAY0_OBJS      := $(BAY0_SRCS:bay0/%.c=$(B)/bay0/pid1/%.o) \
	$(BAY0_SHARED:spinectl/%.c=$(B)/bay0/pid1/spinectl/%.o)
BAY0_TEST_OBJS := $(BAY0_SRCS:bay0/%.c=$(B)/bay0/pid1-test/%.o) \
	$(BAY0_SHARED:spinectl/%.c=$(B)/bay0/pid1-test/spinectl/%.o)
BAY0_SAN_OBJS  := $(patsubst bay0/%.c,$(B)/bay0/pid1-san/%.o,$(BAY0_PURE) $(BAY0_UNIT_IO)) \
	$(BAY0_SHARED:spinectl/%.c=$(B)/bay0/pid1-san/spinectl/%.o)
.SECONDARY: $(BAY0_SAN_OBJS)

BAY0      := $(B)/bay0/bay0
# The test build: the same code plus the switches release builds must not
# have (stop feeding the watchdog). Never put it in a slot that ships.
BAY0_TEST := $(B)/bay0/bay0-test

# The trusted persona keys (the keys passports are signed with; never the
# slot key), compiled in as bytes of their .pub files. keys/keys.mk is read
# after this file and sets the same defaults.
SLOT_PUB ?= keys/dev/spine-slot-DEVELOPMENT.pub
SLOT_SEC ?= keys/dev/spine-slot-DEVELOPMENT.sec
PERSONA_PUB  ?= keys/dev/spine-persona-DEVELOPMENT.pub
PERSONA_SEC  ?= keys/dev/spine-persona-DEVELOPMENT.sec
PERSONA_PUBS ?= $(PERSONA_PUB)
$(B)/bay0/gen/personakeys.h: $(PERSONA_PUBS) bay0/bay0.mk
	@mkdir -p $(@D)
	{ echo '/* Generated from $(PERSONA_PUBS) by bay0/bay0.mk. */'; \
	  n=0; for k in $(PERSONA_PUBS); do \
	    echo "static const uint8_t bay0_persona_pub_$$n[] = {"; \
	    od -An -v -tx1 $$k | sed -e 's/ \([0-9a-f][0-9a-f]\)/0x\1, /g' -e 's/ *$$//'; \
	    echo '};'; n=$$((n + 1)); done; \
	  echo 'static const struct { const uint8_t *pub; size_t len; } bay0_persona_pubs[] = {'; \
	  n=0; for k in $(PERSONA_PUBS); do \
	    echo "	{bay0_persona_pub_$$n, sizeof(bay0_persona_pub_$$n)},"; n=$$((n + 1)); done; \
	  echo '};'; } > $@.tmp && mv $@.tmp $@

$(B)/bay0/pid1/%.o: bay0/%.c $(BAY0_HDRS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(BAY0_CPPFLAGS) -c $< -o $@
$(B)/bay0/pid1-test/%.o: bay0/%.c $(BAY0_HDRS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -DBAY0_TEST_BUILD $(BAY0_CPPFLAGS) -c $< -o $@
$(B)/bay0/pid1-san/%.o: bay0/%.c $(BAY0_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) $(BAY0_CPPFLAGS) -c $< -o $@
$(B)/bay0/pid1/spinectl/%.o: spinectl/%.c $(BAY0_HDRS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(BAY0_CPPFLAGS) -c $< -o $@
$(B)/bay0/pid1-test/spinectl/%.o: spinectl/%.c $(BAY0_HDRS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -DBAY0_TEST_BUILD $(BAY0_CPPFLAGS) -c $< -o $@
$(B)/bay0/pid1-san/spinectl/%.o: spinectl/%.c $(BAY0_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) $(BAY0_CPPFLAGS) -c $< -o $@

$(BAY0): $(BAY0_OBJS) $(PERSONA_HOST_OBJS) $(LIBSV_HOST)
	$(CC) $(HOST_CFLAGS) $(BAY0_OBJS) $(PERSONA_HOST_OBJS) $(BAY0_LIBS) $(BAY0_LDFLAGS) -o $@
$(BAY0_TEST): $(BAY0_TEST_OBJS) $(PERSONA_HOST_OBJS) $(LIBSV_HOST)
	$(CC) $(HOST_CFLAGS) $(BAY0_TEST_OBJS) $(PERSONA_HOST_OBJS) $(BAY0_LIBS) $(BAY0_LDFLAGS) -o $@

ALL_TARGETS += $(BAY0) $(BAY0_TEST)

# Unit tests: tests/unit/test_bay0_*.c against the pure files, ASan+UBSan.
BAY0_UNIT := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_bay0_*.c))
$(B)/tests/test_bay0_%: tests/unit/test_bay0_%.c $(BAY0_SAN_OBJS) $(BAY0_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) $(BAY0_CPPFLAGS) $< $(BAY0_SAN_OBJS) $(SAN_LDFLAGS) -lcriterion -o $@

# Fuzz targets beside the parsers: tests/fuzz/fuzz_bay0_*.c. These explicit
# rules take precedence over verify.mk's pattern rule (which links only
# verify/); the binaries are already in FUZZERS through its wildcard.
$(B)/fuzz/fuzz_bay0_conf: tests/fuzz/fuzz_bay0_conf.c bay0/config.c bay0/config.h
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -Ibay0 $< bay0/config.c -o $@
$(B)/fuzz/fuzz_bay0_moddep: tests/fuzz/fuzz_bay0_moddep.c bay0/moddep.c bay0/moddep.h
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -Ibay0 $< bay0/moddep.c -o $@
$(B)/fuzz/fuzz_bay0_slot: tests/fuzz/fuzz_bay0_slot.c bay0/slot.c bay0/slot.h
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -Ibay0 $< bay0/slot.c -o $@

.PHONY: bay0 check-unit-bay0 check-host-bay0 check-bay0-release
bay0: $(BAY0) $(BAY0_TEST)
CHECKS += check-unit-bay0 check-bay0-release check-host-bay0
check-unit-bay0: $(BAY0_UNIT)
	@rc=0; for t in $(BAY0_UNIT); do tests/lib/run-criterion.sh $$t || rc=1; done; exit $$rc
# The release binary must not contain the test switches, and must need no
# shared library.
check-bay0-release: $(BAY0) $(BAY0_TEST)
	@tests/host/bay0-release.sh $(BAY0) $(BAY0_TEST)
# bay0 as PID 1 of a fresh PID + mount namespace (root; tests/host/bay0-pid1.sh),
# with personas whose passports the slot key signs.
check-host-bay0: $(BAY0) $(BAY0_TEST) $(PERSONA_SEC) $(SLOT_SEC)
	@tests/host/bay0-pid1.sh $(BAY0) $(BAY0_TEST) $(PERSONA_SEC) $(SLOT_SEC)

DEPS_PKGS += libseccomp-dev libcap-dev libcriterion-dev e2fsprogs util-linux erofs-utils \
	busybox-static signify-openbsd binutils procps coreutils
