# bay0/persona_net.c, persona_wifi.c: a persona's network device
# (docs/network.md). The code is in PERSONA_SRCS (persona.mk's wildcard);
# here its host test and its fuzzers.

PERSONA_NET_DRIVER := $(B)/tests/persona-net
$(PERSONA_NET_DRIVER): tests/host/persona-net.c $(PERSONA_HOST_OBJS) $(LIBSV_HOST) $(PERSONA_HDRS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Ibay0 -Iverify $< $(PERSONA_HOST_OBJS) $(LIBSV_HOST) $(PERSONA_LIBS) \
		$(HOST_LDFLAGS) -o $@

# The netlink answer parser, fuzzed beside the others (FUZZERS picks the
# binary up through verify.mk's wildcard; this rule links what it needs).
$(B)/fuzz/fuzz_persona_net: tests/fuzz/fuzz_persona_net.c bay0/persona_net.c bay0/persona_wifi.c \
		bay0/passport.c $(PERSONA_HDRS) $(LIBSV_FUZZ)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -Ibay0 -Iverify $< bay0/persona_net.c bay0/persona_wifi.c bay0/passport.c \
		$(LIBSV_FUZZ) -lcap -o $@

# The generic netlink parser of the Wi-Fi half (persona_wifi.c).
$(B)/fuzz/fuzz_persona_wifi: tests/fuzz/fuzz_persona_wifi.c bay0/persona_wifi.c bay0/passport.c \
		$(PERSONA_HDRS) $(LIBSV_FUZZ)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -Ibay0 -Iverify $< bay0/persona_wifi.c bay0/passport.c \
		$(LIBSV_FUZZ) -o $@

.PHONY: check-host-net
CHECKS += check-host-net
check-host-net: $(PERSONA_NET_DRIVER) $(PERSONA_GUESTS)
	@tests/host/persona-net.sh $(B)

DEPS_PKGS += iproute2 busybox-static erofs-utils signify-openbsd
