# measure/: the TCG PC Client firmware event-log reader (measure/tcglog.c,
# pure, no dependency, docs/measure.md), the PCR arithmetic and replay over
# Nettle (measure/tcgreplay.c, static in Debian, for the Spine), and the
# programs over them.
#
#   build/spine-tcglog        list a log, replay it per bank, list its drivers
#   build/measure/spine-tpm   the Spine's one-shot TPM program (tpm2-tss)
#   check-unit-measure        tests/unit/test_measure_*.c, ASan+UBSan
#                             (with measure/runlog.c, bay0's run-time log)
#   check-measure-replay      the captured OVMF+swtpm log replays to its PCRs
#   check-host-spine-tpm      spine-tpm against swtpm on 127.0.0.1
#   check-vm-tpm              spine-tpm in a guest, tpm-tis and tpm-crb
#   check-host-spine-pcr      spine-pcr -p/-r (PCR 11) against coreutils
#
# The VM case "eventlog" (tests/vm/scenarios.sh) replays a live boot's log.

MEASURE_HDRS := measure/tcglog.h measure/tcgreplay.h
MEASURE_SRCS := measure/tcglog.c measure/tcgreplay.c
MEASURE_LIBS := -l:libnettle.a
# bay0's run-time log (PCR 11) reader: pure, for spine-pcr, the tests and
# the fuzzer (spine-tpm and spine-tcglog do not need it).
RUNLOG_HDRS := measure/runlog.h
RUNLOG_SRCS := measure/runlog.c

SPINE_TCGLOG := $(B)/spine-tcglog
$(SPINE_TCGLOG): image/spine-tcglog.c $(MEASURE_SRCS) $(MEASURE_HDRS) | deps
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Imeasure $< $(MEASURE_SRCS) $(HOST_LDFLAGS) $(MEASURE_LIBS) -o $@

MEASURE_TESTS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_measure_*.c))
$(B)/tests/test_measure_%: tests/unit/test_measure_%.c $(MEASURE_SRCS) $(MEASURE_HDRS) \
		$(RUNLOG_SRCS) $(RUNLOG_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -Imeasure $< $(MEASURE_SRCS) $(RUNLOG_SRCS) $(SAN_LDFLAGS) -lcriterion \
		$(MEASURE_LIBS) -o $@

# The fuzz targets (reader and replay; run-time log): explicit, so verify.mk's pattern rule
# does not link it (its wildcard puts it in FUZZ_BINS for check-fuzz-smoke).
$(B)/fuzz/fuzz_tcgreplay: tests/fuzz/fuzz_tcgreplay.c $(MEASURE_SRCS) $(MEASURE_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -Imeasure $< $(MEASURE_SRCS) $(MEASURE_LIBS) -o $@
# The run-time log reader on arbitrary bytes (seeds: tests/data/fuzz/runlog/).
$(B)/fuzz/fuzz_runlog: tests/fuzz/fuzz_runlog.c $(RUNLOG_SRCS) $(RUNLOG_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -Imeasure $< $(RUNLOG_SRCS) -o $@

# The Spine's TPM program: dynamically linked, because Debian ships
# tpm2-tss only as shared libraries (docs/measure.md, "Placement").
SPINE_TPM := $(B)/measure/spine-tpm
$(SPINE_TPM): measure/spine-tpm.c $(MEASURE_SRCS) $(MEASURE_HDRS) | deps
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Imeasure $< $(MEASURE_SRCS) $(HOST_LDFLAGS) $(MEASURE_LIBS) \
		-ltss2-sys -ltss2-mu -ltss2-tctildr -o $@

ALL_TARGETS += $(SPINE_TCGLOG) $(SPINE_TPM)
DEPS_PKGS += nettle-dev libtss2-dev swtpm xxd python3 coreutils signify-openbsd
# tpm2-tools: test-only, for the sealing half of check-vm-tpm (never in the
# Spine; docs/measure.md, "Sealing a secret no persona can unseal").
DEPS_PKGS += tpm2-tools

.PHONY: check-unit-measure check-measure-replay check-host-spine-tpm check-vm-tpm \
	check-host-spine-pcr
CHECKS += check-unit-measure check-measure-replay check-host-spine-tpm check-vm-tpm \
	check-host-spine-pcr
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

# spine-tpm against swtpm on 127.0.0.1: extends equal the host arithmetic in
# every bank, and a firmware-log replay names an extended PCR.
check-host-spine-tpm: $(SPINE_TPM)
	@tests/host/spine-tpm.sh $(SPINE_TPM)

# spine-tpm in a guest with swtpm behind tpm-tis and tpm-crb (two short
# direct-kernel boots on one swtpm state), and a secret sealed to PCR 11 at
# zero that unseals before "spine:personas" only, on either boot.
check-vm-tpm: $(SPINE_TPM) $(KERNEL_STAMP)
	@tests/vm-tpm/run.sh $(SPINE_TPM)

# spine-pcr's PCR 11 prediction and log replay against coreutils' sha*sum,
# for a slot folder and two passports made in $(B)/tmp/spine-pcr-runtime.
check-host-spine-pcr: $(SPINE_PCR) tests/host/spine-pcr-runtime.sh image/mkslot.sh \
		image/spine/mkpassport.sh $(SLOT_SEC) $(SLOT_PUB) | deps
	@tests/host/spine-pcr-runtime.sh $(SPINE_PCR) $(SLOT_SEC) $(SLOT_PUB) $(B)/tmp/spine-pcr-runtime
