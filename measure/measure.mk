# measure/: the TCG PC Client firmware event-log reader (measure/tcglog.c,
# pure, docs/measure.md) and build/spine-tcglog, the host tool over it.
#
#   build/spine-tcglog        list a log, replay it per bank, list its drivers
#   check-unit-measure        tests/unit/test_measure_*.c, ASan+UBSan
#   check-measure-replay      the captured OVMF+swtpm log replays to its PCRs
#
# The VM case "eventlog" (tests/vm/scenarios.sh) does the same on a live boot.

MEASURE_HDRS := measure/tcglog.h
SPINE_TCGLOG := $(B)/spine-tcglog
$(SPINE_TCGLOG): image/spine-tcglog.c measure/tcglog.c $(MEASURE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Imeasure $< measure/tcglog.c $(HOST_LDFLAGS) -lcrypto -o $@

MEASURE_TESTS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_measure_*.c))
$(B)/tests/test_measure_%: tests/unit/test_measure_%.c measure/tcglog.c $(MEASURE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -Imeasure $< measure/tcglog.c $(SAN_LDFLAGS) -lcriterion -lcrypto -o $@

# The fuzz target: explicit, so verify.mk's pattern rule does not link it.
$(B)/fuzz/fuzz_tcglog: tests/fuzz/fuzz_tcglog.c measure/tcglog.c $(MEASURE_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -Imeasure $< measure/tcglog.c -o $@

ALL_TARGETS += $(SPINE_TCGLOG)
DEPS_PKGS += libssl-dev

.PHONY: check-unit-measure check-measure-replay
CHECKS += check-unit-measure check-measure-replay
check-unit-measure: $(MEASURE_TESTS)
	@rc=0; for t in $(MEASURE_TESTS); do tests/lib/run-criterion.sh $$t || rc=1; done; exit $$rc

# Every PCR the captured log extends, in both banks the TPM exposed, equals
# the value the guest read from sysfs on that boot.
check-measure-replay: $(SPINE_TCGLOG) tests/data/tcglog/ovmf-swtpm.bin tests/data/tcglog/ovmf-swtpm.pcrs
	@for bank in sha1 sha256; do \
		got=$$($(SPINE_TCGLOG) -r $$bank tests/data/tcglog/ovmf-swtpm.bin) || exit 1; \
		n=0 bad=0; while read -r pcr val; do n=$$((n + 1)); \
			want=$$(awk -v b=$$bank -v p=$$pcr '$$1 == b && $$2 == p {print $$3}' \
				tests/data/tcglog/ovmf-swtpm.pcrs); \
			[ "$$val" = "$$want" ] || { bad=1; echo "FAIL: replay $$bank PCR $$pcr: $$val, guest read $$want"; }; \
		done <<<"$$got"; \
		[ $$bad = 0 ] && [ $$n -ge 8 ] && echo "PASS: replay of the captured OVMF+swtpm log, $$bank: all $$n PCRs it extends equal the guest's"; \
		[ $$bad = 0 ] && [ $$n -ge 8 ] || exit 1; \
	done
