/*
 * The TCG event-log reader and replay (measure/tcglog.c, measure/tcgreplay.c,
 * docs/measure.md). The swtpm case is a log captured from a boot of
 * spineboot under OVMF with swtpm (tests/data/tcglog/README), checked against
 * the PCR values the same guest read from sysfs; the rest are logs built
 * here byte by byte.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcglog.h"
#include "tcgreplay.h"

#define DATA "tests/data/tcglog/"

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s (run from the worktree's top)", path);
	static uint8_t buf[65536];
	*len = fread(buf, 1, sizeof(buf), f);
	cr_assert(feof(f), "%s larger than the test's buffer", path);
	fclose(f);
	return buf;
}

static void unhex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		cr_assert_eq(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static uint16_t alg_of(const char *name)
{
	static const uint16_t algs[] = {TCG_ALG_SHA1, TCG_ALG_SHA256, TCG_ALG_SHA384,
	                                TCG_ALG_SHA512};
	for (unsigned i = 0; i < 4; i++)
		if (strcmp(tcglog_alg_name(algs[i]), name) == 0)
			return algs[i];
	cr_assert_fail("unknown bank %s", name);
	return 0;
}

Test(measure_replay, swtpm_log_replays_to_the_guests_pcrs)
{
	size_t len;
	const uint8_t *buf = slurp(DATA "swtpm-ovmf.bin", &len);
	struct tcglog log;
	struct tcg_pcrs p;

	cr_assert_eq(tcglog_open(&log, buf, len), 0, "%s", log.err);
	cr_assert(log.agile);
	cr_assert_eq(log.nalgs, 4, "swtpm allocates four banks");
	cr_assert_eq(tcg_replay(&log, &p), 0, "%s at %zu", log.err, log.err_offset);
	cr_assert_eq(p.locality, -1, "OVMF logs no StartupLocality event");
	cr_assert_gt(log.nevents, 20);

	FILE *f = fopen(DATA "swtpm-ovmf.pcrs", "r");
	cr_assert_not_null(f);
	char bank[16], hex[2 * TCG_MAX_DIGEST + 2];
	unsigned idx, checked = 0, logged = 0;
	while (fscanf(f, "%15s %u %129s", bank, &idx, hex) == 3) {
		const struct tcg_bank *b = tcg_bank_of(&p, alg_of(bank));
		cr_assert_not_null(b, "no bank %s in the log", bank);
		cr_assert_lt(idx, TCGLOG_NPCR);
		cr_assert_eq(strlen(hex), 2u * b->size);
		uint8_t want[TCG_MAX_DIGEST];
		unhex(hex, want, b->size);
		/* PCRs 17-22 reset to all-ones, and the rest the log never
		 * touches stay zero: compare only what the log speaks for. */
		if (!(b->extended & (1u << idx)))
			continue;
		logged++;
		cr_assert(memcmp(b->pcr[idx], want, b->size) == 0, "%s PCR %u differs", bank, idx);
		checked++;
	}
	fclose(f);
	/* PCRs 0-7, 9 (initrd) and 12 (spineboot) in four banks */
	cr_assert_geq(checked, 4 * 10, "only %u PCR values compared", checked);
	cr_assert_eq(checked, logged);
	for (unsigned i = 0; i < p.nbanks; i++)
		cr_assert(p.banks[i].extended & (1u << 12), "spineboot's PCR 12 is in the log");
}

Test(measure_replay, every_truncation_of_the_swtpm_log_is_an_error_or_a_prefix)
{
	size_t len;
	const uint8_t *buf = slurp(DATA "swtpm-ovmf.bin", &len);
	/* A copy of exactly n bytes, so ASan sees any read past it. */
	for (size_t n = 0; n < len; n++) {
		uint8_t *cut = malloc(n ? n : 1);
		memcpy(cut, buf, n);
		struct tcglog log;
		struct tcglog_event ev;
		int r = tcglog_open(&log, cut, n);
		size_t end = 0;
		while (r == 0 && (r = tcglog_next(&log, &ev)) == 1) {
			end = log.pos;
			r = 0;
		}
		/* Either it stopped at a record boundary (what follows the last
		 * record, if anything, is uniform 0x00 or 0xFF padding), or it
		 * said why. */
		if (r == 0) {
			cr_assert_leq(end, n);
			for (size_t i = end; i < n; i++)
				cr_assert(cut[i] == cut[end] && (cut[i] == 0 || cut[i] == 0xff),
				          "cut at %zu ended quietly at %zu", n, end);
		} else
			cr_assert(r == -EINVAL && log.err != NULL, "cut at %zu", n);
		free(cut);
	}
}

/* ---- hand-made logs ---------------------------------------------------- */

struct b {
	uint8_t d[4096];
	size_t n;
};

static void put(struct b *b, const void *p, size_t n)
{
	cr_assert_leq(b->n + n, sizeof(b->d));
	memcpy(b->d + b->n, p, n);
	b->n += n;
}

static void u32(struct b *b, uint32_t v)
{
	uint8_t p[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	put(b, p, 4);
}

static void u16(struct b *b, uint16_t v)
{
	uint8_t p[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	put(b, p, 2);
}

static void legacy(struct b *b, uint32_t pcr, uint32_t type, const uint8_t sha1[20],
                   const void *data, uint32_t n)
{
	static const uint8_t zero[20];
	u32(b, pcr);
	u32(b, type);
	put(b, sha1 ? sha1 : zero, 20);
	u32(b, n);
	put(b, data, n);
}

/* The header: a Spec ID Event03 listing algs[] (sizes from the table). */
static void spec_id(struct b *b, const uint16_t *algs, uint32_t nalgs, uint32_t claimed)
{
	struct b s = {.n = 0};
	put(&s, "Spec ID Event03", 16);
	u32(&s, 0);                     /* platformClass */
	put(&s, "\x00\x02\x00\x02", 4); /* minor 0, major 2, errata 0, uintnSize 2 */
	u32(&s, claimed);
	for (uint32_t i = 0; i < nalgs; i++) {
		u16(&s, algs[i]);
		u16(&s, (uint16_t)tcglog_alg_size(algs[i]));
	}
	put(&s, "\x00", 1); /* vendorInfoSize */
	legacy(b, 0, TCG_EV_NO_ACTION, NULL, s.d, (uint32_t)s.n);
}

/* A TCG_PCR_EVENT2 whose digest in each bank is H(data), as firmware does. */
static void agile(struct b *b, uint32_t pcr, uint32_t type, const uint16_t *algs, uint32_t nalgs,
                  const void *data, uint32_t n)
{
	u32(b, pcr);
	u32(b, type);
	u32(b, nalgs);
	for (uint32_t i = 0; i < nalgs; i++) {
		uint8_t d[TCG_MAX_DIGEST];
		u16(b, algs[i]);
		put(b, d, tcg_hash(algs[i], data, n, d));
	}
	u32(b, n);
	put(b, data, n);
}

static int replay(const struct b *b, struct tcglog *log, struct tcg_pcrs *p)
{
	int r = tcglog_open(log, b->d, b->n);
	return r ? r : tcg_replay(log, p);
}

static void expect(const struct tcg_pcrs *p, uint16_t alg, unsigned pcr, uint8_t start,
                   const char *const *events, unsigned nev)
{
	const struct tcg_bank *b = tcg_bank_of(p, alg);
	cr_assert_not_null(b);
	uint8_t want[TCG_MAX_DIGEST] = {0}, d[TCG_MAX_DIGEST];
	want[b->size - 1] = start;
	for (unsigned i = 0; i < nev; i++) {
		tcg_hash(alg, events[i], strlen(events[i]), d);
		cr_assert_eq(tcg_extend(alg, want, d), 0);
	}
	cr_assert(memcmp(b->pcr[pcr], want, b->size) == 0, "bank %s PCR %u", tcglog_alg_name(alg),
	          pcr);
}

static const uint16_t four[] = {TCG_ALG_SHA1, TCG_ALG_SHA256, TCG_ALG_SHA384, TCG_ALG_SHA512};

Test(measure_replay, several_banks_and_startup_locality)
{
	struct b b = {.n = 0};
	struct tcglog log;
	struct tcg_pcrs p;
	static const char *const pcr0[] = {"crtm", "bios"}, *const pcr7[] = {"sb"};

	spec_id(&b, four, 4, 4);
	agile(&b, 0, TCG_EV_NO_ACTION, four, 4, "StartupLocality\0\x03", 17);
	agile(&b, 0, 8, four, 4, "crtm", 4);
	agile(&b, 7, 0x80000001, four, 4, "sb", 2);
	agile(&b, 0, 1, four, 4, "bios", 4);
	cr_assert_eq(replay(&b, &log, &p), 0, "%s", log.err);
	cr_assert_eq(p.nbanks, 4);
	cr_assert_eq(p.locality, 3);
	for (unsigned i = 0; i < 4; i++) {
		expect(&p, four[i], 0, 3, pcr0, 2);
		expect(&p, four[i], 7, 0, pcr7, 1);
		cr_assert_eq(tcg_bank_of(&p, four[i])->extended, (1u << 0) | (1u << 7));
	}
}

Test(measure_replay, sha1_only_legacy_log)
{
	struct b b = {.n = 0};
	struct tcglog log;
	struct tcg_pcrs p;
	uint8_t d[20];
	static const char *const ev[] = {"one", "two"};

	tcg_hash(TCG_ALG_SHA1, "one", 3, d);
	legacy(&b, 4, 0x80000003, d, "one", 3);
	tcg_hash(TCG_ALG_SHA1, "two", 3, d);
	legacy(&b, 4, 0x80000003, d, "two", 3);
	cr_assert_eq(replay(&b, &log, &p), 0, "%s", log.err);
	cr_assert_eq(log.agile, 0);
	cr_assert_eq(p.nbanks, 1);
	cr_assert_eq(p.locality, -1);
	expect(&p, TCG_ALG_SHA1, 4, 0, ev, 2);
}

Test(measure_replay, crypto_agile_with_only_sha1)
{
	struct b b = {.n = 0};
	struct tcglog log;
	struct tcg_pcrs p;
	static const uint16_t one[] = {TCG_ALG_SHA1};
	static const char *const ev[] = {"x"};

	spec_id(&b, one, 1, 1);
	agile(&b, 2, 1, one, 1, "x", 1);
	cr_assert_eq(replay(&b, &log, &p), 0, "%s", log.err);
	cr_assert(log.agile);
	expect(&p, TCG_ALG_SHA1, 2, 0, ev, 1);
}

Test(measure_replay, padding_after_the_last_record_ends_the_log)
{
	struct b b = {.n = 0};
	struct tcglog log;
	struct tcg_pcrs p;

	spec_id(&b, four, 2, 2);
	agile(&b, 1, 1, four, 2, "x", 1);
	put(&b, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 13);
	cr_assert_eq(replay(&b, &log, &p), 0, "%s", log.err);
	b.n -= 13;
	put(&b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 25);
	cr_assert_eq(replay(&b, &log, &p), 0, "%s", log.err);
	b.n -= 25;
	put(&b, "\0\0\xff\0", 4); /* mixed: not padding, and a truncated header */
	cr_assert_eq(replay(&b, &log, &p), -EINVAL);
}

static void refused(const struct b *b, const char *what)
{
	struct tcglog log;
	struct tcg_pcrs p;
	cr_assert_eq(replay(b, &log, &p), -EINVAL, "accepted: %s", what);
	cr_assert_not_null(log.err);
	cr_assert(strstr(log.err, what) != NULL, "wanted '%s', got '%s'", what, log.err);
}

Test(measure_replay, huge_counts_and_sizes_are_refused)
{
	struct b b = {.n = 0};

	spec_id(&b, four, 4, 0x40000000u);
	refused(&b, "more than 8 algorithms");

	b.n = 0;
	spec_id(&b, four, 2, 2);
	u32(&b, 0);
	u32(&b, 1);
	u32(&b, 0xffffffffu); /* digest count */
	refused(&b, "more digests than");

	b.n = 0;
	spec_id(&b, four, 2, 2);
	u32(&b, 0);
	u32(&b, 1);
	u32(&b, 0);
	u32(&b, 0xfffffff0u); /* event size */
	refused(&b, "past the end");

	b.n = 0;
	legacy(&b, 0, 1, NULL, "", 0);
	b.d[28] = 0xff, b.d[29] = 0xff, b.d[30] = 0xff, b.d[31] = 0xff;
	refused(&b, "past the end");
}

Test(measure_replay, malformed_records_are_refused)
{
	struct b b = {.n = 0};
	static const uint16_t odd[] = {TCG_ALG_SHA256, TCG_ALG_SHA1};

	b.n = 0;
	refused(&b, "empty");

	spec_id(&b, four, 2, 2);
	agile(&b, 1, 1, odd + 1, 1, "x", 1); /* only the SHA-1 digest */
	refused(&b, "lacks a digest");

	b.n = 0;
	spec_id(&b, four, 2, 2);
	agile(&b, 24, 1, four, 2, "x", 1);
	refused(&b, "over 23");

	b.n = 0;
	spec_id(&b, four, 1, 1);
	agile(&b, 1, 1, odd, 1, "x", 1); /* SHA-256 in a SHA-1 log */
	refused(&b, "bank the Spec ID event lacks");

	b.n = 0;
	spec_id(&b, four, 2, 2);
	u32(&b, 1);
	u32(&b, 1);
	u32(&b, 2);
	u16(&b, TCG_ALG_SHA1);
	put(&b, "01234567890123456789", 20);
	u16(&b, TCG_ALG_SHA1);
	put(&b, "01234567890123456789", 20);
	u32(&b, 0);
	refused(&b, "two digests of one bank");

	b.n = 0;
	spec_id(&b, four, 2, 2);
	agile(&b, 0, 1, four, 2, "x", 1);
	agile(&b, 0, TCG_EV_NO_ACTION, four, 2, "StartupLocality\0\x03", 17);
	refused(&b, "after PCR 0 was extended");

	b.n = 0;
	spec_id(&b, four, 2, 2);
	agile(&b, 0, TCG_EV_NO_ACTION, four, 2, "StartupLocality\0\x03\x00", 18);
	refused(&b, "17 bytes");

	b.n = 0;
	spec_id(&b, four, 2, 2);
	b.d[8] = 1; /* a digest in the header */
	refused(&b, "non-zero digest");

	b.n = 0;
	static const uint16_t twice[] = {TCG_ALG_SHA256, TCG_ALG_SHA256};
	spec_id(&b, twice, 2, 2);
	refused(&b, "twice");

	b.n = 0;
	spec_id(&b, four, 2, 2);
	b.d[32 + 16 + 8 + 4 + 2] = 21; /* SHA-1 said to be 21 bytes */
	refused(&b, "wrong digest size");

	b.n = 0;
	spec_id(&b, four, 2, 2);
	b.d[b.n - 1] = 5; /* vendorInfoSize past the event */
	refused(&b, "vendorInfoSize");
}

Test(measure_replay, extend_arithmetic_matches_the_definition)
{
	/* PCR = H(PCR || H(data)) from zero, SHA-256 of "spine.slot=a" once:
	 * printf '%064d' 0 | xxd -r -p; printf spine.slot=a | sha256sum ... */
	uint8_t pcr[32] = {0}, d[32], cat[64], want[32];
	cr_assert_eq(tcg_hash(TCG_ALG_SHA256, "spine.slot=a", 12, d), 32);
	memcpy(cat + 32, d, 32);
	memset(cat, 0, 32);
	tcg_hash(TCG_ALG_SHA256, cat, 64, want);
	cr_assert_eq(tcg_extend(TCG_ALG_SHA256, pcr, d), 0);
	cr_assert(memcmp(pcr, want, 32) == 0);
	cr_assert_eq(tcg_extend(TCG_ALG_SM3_256, pcr, d), -EINVAL);
	cr_assert_eq(tcg_hash(0x0099, "", 0, d), 0);
	/* SHA-1("abc"), FIPS 180 */
	static const uint8_t abc[20] = {0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e,
	                                0x25, 0x71, 0x78, 0x50, 0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d};
	cr_assert_eq(tcg_hash(TCG_ALG_SHA1, "abc", 3, d), 20);
	cr_assert(memcmp(d, abc, 20) == 0);
}
