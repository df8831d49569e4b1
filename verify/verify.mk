# verify/: the shared verification module, built four ways from one source set.
#   fs   -ffreestanding -nostdinc: proves the include rule; nm checks run on it
#   efi  the same plus the EFI ABI flags, linked into spineboot.efi
#   host hosted -O2, linked into bay0 and the host tools
#   san  ASan+UBSan, linked into the unit tests
# and once more with clang for the libFuzzer targets.

VERIFY_SRCS := $(wildcard verify/*.c)
VERIFY_HDRS := $(wildcard verify/*.h)
VERIFY_FS   := $(VERIFY_SRCS:verify/%.c=$(B)/verify/fs/%.o)
VERIFY_EFI  := $(VERIFY_SRCS:verify/%.c=$(B)/verify/efi/%.o)
VERIFY_HOST := $(VERIFY_SRCS:verify/%.c=$(B)/verify/host/%.o)
VERIFY_SAN  := $(VERIFY_SRCS:verify/%.c=$(B)/verify/san/%.o)
VERIFY_FUZZ := $(VERIFY_SRCS:verify/%.c=$(B)/verify/fuzz/%.o)

LIBSV_EFI  := $(B)/verify/libsv-efi.a
LIBSV_HOST := $(B)/verify/libsv-host.a
LIBSV_SAN  := $(B)/verify/libsv-san.a
LIBSV_FUZZ := $(B)/verify/libsv-fuzz.a

$(B)/verify/fs/%.o: verify/%.c $(VERIFY_HDRS)
	@mkdir -p $(@D)
	$(CC) $(FREESTANDING_CFLAGS) -c $< -o $@
$(B)/verify/efi/%.o: verify/%.c $(VERIFY_HDRS)
	@mkdir -p $(@D)
	$(CC) $(EFI_CFLAGS) -c $< -o $@
$(B)/verify/host/%.o: verify/%.c $(VERIFY_HDRS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -c $< -o $@
$(B)/verify/san/%.o: verify/%.c $(VERIFY_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -c $< -o $@
$(B)/verify/fuzz/%.o: verify/%.c $(VERIFY_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(CSTD) -O1 -g -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

$(LIBSV_EFI): $(VERIFY_EFI)
	rm -f $@; ar rcs $@ $^
$(LIBSV_HOST): $(VERIFY_HOST)
	rm -f $@; ar rcs $@ $^
$(LIBSV_SAN): $(VERIFY_SAN)
	rm -f $@; ar rcs $@ $^
$(LIBSV_FUZZ): $(VERIFY_FUZZ)
	rm -f $@; ar rcs $@ $^

# spine-verify: signify's verify flags and exit codes over verify/.
SPINE_VERIFY := $(B)/spine-verify
$(SPINE_VERIFY): image/spine-verify.c $(LIBSV_HOST) $(VERIFY_HDRS)
	$(CC) $(HOST_CFLAGS) -Iverify $< $(LIBSV_HOST) $(HOST_LDFLAGS) -o $@
$(B)/spine-verify-san: image/spine-verify.c $(LIBSV_SAN) $(VERIFY_HDRS)
	$(CC) $(SAN_CFLAGS) -Iverify $< $(LIBSV_SAN) $(SAN_LDFLAGS) -o $@

ALL_TARGETS += $(VERIFY_FS) $(LIBSV_EFI) $(LIBSV_HOST) $(SPINE_VERIFY)

# Unit tests for verify/: tests/unit/test_sv_*.c, one Criterion binary each.
SV_TESTS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_sv_*.c))
$(B)/tests/test_sv_%: tests/unit/test_sv_%.c $(LIBSV_SAN) $(VERIFY_HDRS) $(wildcard tests/unit/*.h)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -Iverify -Itests/unit $< $(LIBSV_SAN) $(SAN_LDFLAGS) -lcriterion -o $@

# Fuzz targets: tests/fuzz/fuzz_*.c, seeds in tests/data/fuzz/<name>/.
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIBSV_FUZZ) $(VERIFY_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -Iverify $< $(LIBSV_FUZZ) -o $@
FUZZERS += $(FUZZ_BINS)

FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 4

.PHONY: fuzz check-symbols check-unit-verify check-fuzz-smoke check-interop
fuzz: $(FUZZ_BINS) | deps
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

CHECKS += check-symbols check-unit-verify check-interop check-fuzz-smoke
check-symbols: $(VERIFY_FS)
	@tests/check-symbols.sh $(VERIFY_FS)
check-unit-verify: $(SV_TESTS)
	@rc=0; for t in $(SV_TESTS); do tests/lib/run-criterion.sh $$t || rc=1; done; exit $$rc
check-interop: $(SPINE_VERIFY) $(B)/spine-verify-san
	@tests/interop/run.sh $(B)/spine-verify-san
check-fuzz-smoke: $(FUZZ_BINS)
	@tests/fuzz/run.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_BINS)

DEPS_PKGS += libssl-dev libsodium-dev

# ---- Speed: verify/ beside OpenSSL and libsodium (tests/bench/) ----------
BENCH_VERIFY := $(B)/bench/bench_verify
$(BENCH_VERIFY): tests/bench/bench_verify.c $(LIBSV_HOST) $(VERIFY_HDRS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Iverify $< $(LIBSV_HOST) $(HOST_LDFLAGS) -lcrypto -lsodium -o $@

.PHONY: bench-verify verify-gen-table
bench-verify: $(BENCH_VERIFY) | deps
	@$(BENCH_VERIFY)
BENCHES += bench-verify

# Regenerates verify/ed25519_base.h (the base point's odd multiples) with
# verify's own point code; the unit tests check the committed table.
$(B)/verify/gen_base_table: verify/gen/gen_base_table.c verify/fe25519.h verify/ge25519.h
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $< -o $@
verify-gen-table: $(B)/verify/gen_base_table
	$< > verify/ed25519_base.h.tmp && clang-format -i --assume-filename=verify/ed25519_base.h verify/ed25519_base.h.tmp && \
		mv verify/ed25519_base.h.tmp verify/ed25519_base.h
