# measure/: the TCG firmware event-log reader (pure, no dependency: the keys
# tool reuses it) and the PCR arithmetic and replay over Nettle (static in
# Debian). docs/measure.md.
MEASURE_HDRS := measure/tcglog.h measure/tcgreplay.h
MEASURE_SRCS := measure/tcglog.c measure/tcgreplay.c
MEASURE_LIBS := -l:libnettle.a

# Host tool: prints a log's records and the replayed PCRs per bank.
SPINE_TCGLOG := $(B)/spine-tcglog
$(SPINE_TCGLOG): measure/spine-tcglog.c $(MEASURE_SRCS) $(MEASURE_HDRS) | deps
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Imeasure $< $(MEASURE_SRCS) $(HOST_LDFLAGS) $(MEASURE_LIBS) -o $@
ALL_TARGETS += $(SPINE_TCGLOG)

MEASURE_UNIT := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_measure_*.c))
$(B)/tests/test_measure_%: tests/unit/test_measure_%.c $(MEASURE_SRCS) $(MEASURE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -Imeasure $< $(MEASURE_SRCS) $(SAN_LDFLAGS) -lcriterion $(MEASURE_LIBS) -o $@

# Beside verify.mk's pattern rule, which links only verify/ (FUZZ_BINS
# already holds it through its wildcard, so check-fuzz-smoke runs it).
$(B)/fuzz/fuzz_tcgreplay: tests/fuzz/fuzz_tcgreplay.c $(MEASURE_SRCS) $(MEASURE_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -Imeasure $< $(MEASURE_SRCS) $(MEASURE_LIBS) -o $@

.PHONY: check-unit-measure check-host-tcglog
CHECKS += check-unit-measure check-host-tcglog
check-unit-measure: $(MEASURE_UNIT)
	@rc=0; for t in $(MEASURE_UNIT); do tests/lib/run-criterion.sh $$t || rc=1; done; exit $$rc
# The tool on the captured swtpm log: its PCR lines equal the guest's.
check-host-tcglog: $(SPINE_TCGLOG)
	@tests/host/tcglog.sh $(SPINE_TCGLOG)

DEPS_PKGS += nettle-dev

# The Spine's TPM program: dynamically linked, because Debian ships
# tpm2-tss only as shared libraries (docs/measure.md, "Placement").
SPINE_TPM := $(B)/measure/spine-tpm
$(SPINE_TPM): measure/spine-tpm.c $(MEASURE_SRCS) $(MEASURE_HDRS) | deps
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Imeasure $< $(MEASURE_SRCS) $(HOST_LDFLAGS) $(MEASURE_LIBS) \
		-ltss2-sys -ltss2-mu -ltss2-tctildr -o $@
ALL_TARGETS += $(SPINE_TPM)

# spine-tpm against swtpm on 127.0.0.1: extends equal the host arithmetic in
# every bank, and a firmware-log replay names an extended PCR.
.PHONY: check-host-spine-tpm
CHECKS += check-host-spine-tpm
check-host-spine-tpm: $(SPINE_TPM)
	@tests/host/spine-tpm.sh $(SPINE_TPM)

DEPS_PKGS += libtss2-dev swtpm xxd python3

# spine-tpm in a guest with swtpm behind tpm-tis and tpm-crb (two short
# direct-kernel boots; run the target under flock /tmp/spine-vm.lock).
.PHONY: check-vm-tpm
CHECKS += check-vm-tpm
check-vm-tpm: $(SPINE_TPM) $(KERNEL_STAMP)
	@tests/vm-tpm/run.sh $(SPINE_TPM)
