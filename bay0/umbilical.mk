# bay0/ Umbilical rules (docs/umbilical.md): the pure request, name, escape,
# rate and prompt code (bay0/umbilical.c) and the copy (bay0/umbilical_copy.c).
# Both link with bay0/passport.c (persona_refuse, the grants) and verify/.
UMB_SRCS := bay0/umbilical.c bay0/umbilical_copy.c
UMB_HDRS := bay0/umbilical.h bay0/umbilical_copy.h bay0/passport.h bay0/hex.h $(VERIFY_HDRS)
UMB_SAN_OBJS := $(UMB_SRCS:bay0/%.c=$(B)/bay0/umb-san/%.o) $(B)/bay0/umb-san/passport.o
.SECONDARY: $(UMB_SAN_OBJS)

$(B)/bay0/umb-san/%.o: bay0/%.c $(UMB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -Ibay0 -Iverify -c $< -o $@

# Unit tests: tests/unit/test_umbilical_*.c, Criterion, ASan+UBSan.
UMB_UNIT := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_umbilical_*.c))
$(B)/tests/test_umbilical_%: tests/unit/test_umbilical_%.c $(UMB_SAN_OBJS) $(LIBSV_SAN) $(UMB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -Ibay0 -Iverify $< $(UMB_SAN_OBJS) $(LIBSV_SAN) $(SAN_LDFLAGS) \
		-lcriterion -o $@

# The host test's driver: the copy under ASan+UBSan, run as root on files
# a hostile persona would make (tests/host/umbilical-copy.sh).
UMB_HOST_DRIVER := $(B)/tests/umbilical-copy
$(UMB_HOST_DRIVER): tests/host/umbilical-copy.c $(UMB_SAN_OBJS) $(LIBSV_SAN) $(UMB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -Ibay0 -Iverify $< $(UMB_SAN_OBJS) $(LIBSV_SAN) $(SAN_LDFLAGS) -o $@

# Fuzz: the request parser, the name rule and the escaper. An explicit rule
# (verify.mk's pattern rule links only verify/); in FUZZERS by its wildcard.
$(B)/fuzz/fuzz_umbilical: tests/fuzz/fuzz_umbilical.c bay0/umbilical.c bay0/passport.c \
		$(UMB_HDRS) $(LIBSV_FUZZ)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -Ibay0 -Iverify $< bay0/umbilical.c bay0/passport.c \
		$(LIBSV_FUZZ) -o $@

.PHONY: check-unit-umbilical check-host-umbilical
CHECKS += check-unit-umbilical check-host-umbilical
check-unit-umbilical: $(UMB_UNIT)
	@rc=0; for t in $(UMB_UNIT); do tests/lib/run-criterion.sh $$t || rc=1; done; exit $$rc
check-host-umbilical: $(UMB_HOST_DRIVER)
	@tests/host/umbilical-copy.sh $(UMB_HOST_DRIVER)

DEPS_PKGS += libcriterion-dev util-linux coreutils
