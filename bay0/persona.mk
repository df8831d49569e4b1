# bay0/ persona rules: passport, launch, seccomp, capabilities, cgroups.
#
# For the PID 1 part (bay0/bay0.mk): link $(PERSONA_HOST_OBJS) and
# $(PERSONA_LIBS) into bay0, with -Ibay0 -Iverify and $(LIBSV_HOST).

PERSONA_SRCS := bay0/passport.c bay0/persona.c bay0/caps.c bay0/cgroup.c \
	$(wildcard bay0/persona_*.c)
PERSONA_HDRS := $(PERSONA_SRCS:.c=.h) bay0/hex.h $(VERIFY_HDRS)
PERSONA_HOST_OBJS := $(PERSONA_SRCS:bay0/%.c=$(B)/bay0/persona/host/%.o)
PERSONA_SAN_OBJS  := $(PERSONA_SRCS:bay0/%.c=$(B)/bay0/persona/san/%.o)
PERSONA_LIBS := -lseccomp -lcap
.SECONDARY: $(PERSONA_SAN_OBJS)

$(B)/bay0/persona/host/%.o: bay0/%.c $(PERSONA_HDRS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Ibay0 -Iverify -c $< -o $@
$(B)/bay0/persona/san/%.o: bay0/%.c $(PERSONA_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -Ibay0 -Iverify -c $< -o $@

# Programs that run inside a persona: static, so an image needs nothing else.
PERSONA_GUESTS := $(patsubst tests/persona/%.c,$(B)/tests/persona/%,$(wildcard tests/persona/*.c))
$(B)/tests/persona/%: tests/persona/%.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) -O2 -static $< -o $@

# Host driver and bench: hosted build of the launcher (ASan does not mix with
# the raw clone3 child and seccomp's SIGSYS kills; the unit tests carry ASan).
PERSONA_HOST_DRIVER := $(B)/tests/persona-host
$(PERSONA_HOST_DRIVER): tests/host/persona-host.c $(PERSONA_HOST_OBJS) $(LIBSV_HOST) $(PERSONA_HDRS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Ibay0 -Iverify $< $(PERSONA_HOST_OBJS) $(LIBSV_HOST) $(PERSONA_LIBS) \
		$(HOST_LDFLAGS) -o $@
PERSONA_BENCH := $(B)/tests/persona-bench
$(PERSONA_BENCH): tests/bench/persona-bench.c tests/bench/benchstat.h $(PERSONA_HOST_OBJS) $(LIBSV_HOST) $(PERSONA_HDRS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Ibay0 -Iverify $< $(PERSONA_HOST_OBJS) $(LIBSV_HOST) $(PERSONA_LIBS) \
		$(HOST_LDFLAGS) -o $@

# Unit tests: tests/unit/test_persona_*.c, Criterion, ASan+UBSan.
PERSONA_TESTS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_persona_*.c))
$(B)/tests/test_persona_%: tests/unit/test_persona_%.c $(PERSONA_SAN_OBJS) $(LIBSV_SAN) $(PERSONA_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -Ibay0 -Iverify $< $(PERSONA_SAN_OBJS) $(LIBSV_SAN) $(PERSONA_LIBS) \
		$(SAN_LDFLAGS) -lcriterion -o $@

# The passport fuzzer needs the parser, which verify.mk's fuzz rule does not
# link: this explicit rule takes precedence over its pattern rule, and the
# binary is already in FUZZERS through verify.mk's wildcard.
$(B)/fuzz/fuzz_passport: tests/fuzz/fuzz_passport.c bay0/passport.c $(PERSONA_HDRS) $(LIBSV_FUZZ)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -Ibay0 -Iverify $< bay0/passport.c $(LIBSV_FUZZ) -o $@

ALL_TARGETS += $(PERSONA_HOST_OBJS)

.PHONY: check-unit-persona check-host-persona bench-persona
CHECKS += check-unit-persona check-host-persona
check-unit-persona: $(PERSONA_TESTS)
	@rc=0; for t in $(PERSONA_TESTS); do tests/lib/run-criterion.sh $$t || rc=1; done; exit $$rc
check-host-persona: $(PERSONA_HOST_DRIVER) $(PERSONA_GUESTS)
	@tests/host/persona-host.sh $(B)

BENCHES += bench-persona
bench-persona: $(PERSONA_BENCH) $(PERSONA_GUESTS)
	@tests/bench/persona-bench.sh $(B)

DEPS_PKGS += libseccomp-dev libcap-dev erofs-utils squashfs-tools busybox-static bubblewrap \
	util-linux signify-openbsd libcriterion-dev
