/* The TCG firmware event-log reader (measure/tcglog.c): a log captured from
 * OVMF with swtpm (tests/data/tcglog/, made by testinit.eventlog=1), and
 * hand-made logs for what that firmware never writes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcgreplay.h"

static uint8_t *captured(size_t *len)
{
	FILE *f = fopen("tests/data/tcglog/ovmf-swtpm.bin", "rb");
	static uint8_t buf[65536];

	cr_assert_not_null(f);
	*len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	cr_assert_gt(*len, 1000);
	return buf;
}

Test(tcglog, the_captured_log)
{
	struct tcglog log;
	struct tcglog_event ev;
	size_t len;
	const uint8_t *buf = captured(&len);
	unsigned n = 0, pcr12 = 0;
	int r;

	cr_assert_eq(tcglog_open(&log, buf, len), 0, "%s", log.err);
	cr_assert(log.agile);
	cr_assert_eq(log.nalgs, 4);
	cr_assert_eq(log.algs[0].alg, TCG_ALG_SHA1);
	cr_assert_eq(log.algs[1].alg, TCG_ALG_SHA256);
	while ((r = tcglog_next(&log, &ev)) == 1) {
		if (n++ == 0) {
			cr_assert_eq(ev.type, TCG_EV_NO_ACTION, "the Spec ID header first");
			continue;
		}
		cr_assert_eq(ev.ndigests, 4, "record at %zu", ev.offset);
		if (ev.pcr == 12) {
			pcr12++;
			cr_assert_eq(ev.type, 0x0d, "spineboot's EV_IPL events");
		}
	}
	cr_assert_eq(r, 0, "%s at %zu", log.err, log.err_offset);
	cr_assert_eq(n, 30);
	cr_assert_eq(pcr12, 3, "spineboot's three PCR 12 events");
	cr_assert_eq(log.locality, -1, "OVMF writes no StartupLocality");
}

Test(tcglog, every_truncation_is_an_error_or_an_earlier_end)
{
	size_t len;
	const uint8_t *buf = captured(&len);

	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1); /* exact size: ASan sees any overread */
		struct tcglog log;
		struct tcglog_event ev;
		int r;

		cr_assert_not_null(copy);
		memcpy(copy, buf, cut);
		r = tcglog_open(&log, copy, cut);
		if (r == 0)
			while ((r = tcglog_next(&log, &ev)) == 1)
				;
		/* A cut at a record boundary is a shorter, valid log. */
		cr_assert(r == 0 || (r == -EINVAL && log.err), "cut %zu", cut);
		free(copy);
	}
}

/* A legacy (SHA-1 only) log: TCG_PCR_EVENT records throughout. */
static size_t legacy(uint8_t *p, uint32_t pcr, uint32_t type, uint8_t fill, const char *data)
{
	uint32_t n = (uint32_t)strlen(data);

	memcpy(p, &pcr, 4);
	memcpy(p + 4, &type, 4);
	memset(p + 8, fill, 20);
	memcpy(p + 28, &n, 4);
	memcpy(p + 32, data, n);
	return 32 + n;
}

Test(tcglog, a_sha1_only_log_replays)
{
	uint8_t log_bytes[256], want[20] = {0}, in[40];
	static struct tcg_pcrs pcrs;
	const struct tcg_bank *bk;
	struct tcglog log;
	size_t n = 0;

	n += legacy(log_bytes + n, 0, 8, 0xaa, "first");
	n += legacy(log_bytes + n, 7, 0x80000001u, 0xbb, "second");
	memset(log_bytes + n, 0xff, 16); /* padding, as copies of the EFI table have */
	cr_assert_eq(tcglog_open(&log, log_bytes, n + 16), 0, "%s", log.err);
	cr_assert(!log.agile);
	cr_assert_eq(tcg_replay(&log, &pcrs), 0, "%s", log.err);
	cr_assert_eq(pcrs.nbanks, 1);
	bk = tcg_bank_of(&pcrs, TCG_ALG_SHA1);
	cr_assert_not_null(bk);
	cr_assert_eq(bk->extended, 1u << 0 | 1u << 7);
	memset(in + 20, 0xaa, 20);
	memset(in, 0, 20);
	cr_assert_eq(tcg_hash(TCG_ALG_SHA1, in, 40, want), 20);
	cr_assert_arr_eq(bk->pcr[0], want, 20);
	cr_assert_null(tcg_bank_of(&pcrs, TCG_ALG_SHA256), "no sha256 bank in a SHA-1 log");
}

/* The captured log's Spec ID header, then records edited by hand. */
Test(tcglog, hostile_records)
{
	size_t len, hdr;
	const uint8_t *buf = captured(&len);
	static uint8_t b[70000];
	struct tcglog log;
	struct tcglog_event ev;
	uint32_t v;

	memcpy(&v, buf + 28, 4);
	hdr = 32 + v;
	/* A record claiming 2^32-1 digests, then one claiming a huge event. */
	memcpy(b, buf, hdr);
	memset(b + hdr, 0, 12);
	v = 0xffffffffu;
	memcpy(b + hdr + 8, &v, 4);
	cr_assert_eq(tcglog_open(&log, b, hdr + 12), 0);
	cr_assert_eq(tcglog_next(&log, &ev), 1);
	cr_assert_eq(tcglog_next(&log, &ev), -EINVAL);
	cr_assert_str_eq(log.err, "record has more digests than the Spec ID event has banks");
	cr_assert_eq(log.err_offset, hdr);
	/* One sha1 digest, then an event size past the end. */
	v = 1;
	memcpy(b + hdr + 8, &v, 4);
	b[hdr + 12] = 4;
	b[hdr + 13] = 0;
	memset(b + hdr + 14, 0, 20);
	v = 0x7fffffffu;
	memcpy(b + hdr + 34, &v, 4);
	cr_assert_eq(tcglog_open(&log, b, hdr + 38), 0);
	cr_assert_eq(tcglog_next(&log, &ev), 1);
	cr_assert_eq(tcglog_next(&log, &ev), -EINVAL);
	cr_assert_str_eq(log.err, "event data runs past the end of the log");
	/* A StartupLocality record (17 bytes, PCR 0) sets PCR 0's start. */
	memcpy(b + hdr, "\0\0\0\0\3\0\0\0\1\0\0\0\4\0", 14);
	memset(b + hdr + 14, 0, 20);
	v = 17;
	memcpy(b + hdr + 34, &v, 4);
	memcpy(b + hdr + 38, "StartupLocality\0\3", 17);
	cr_assert_eq(tcglog_open(&log, b, hdr + 55), 0);
	while (tcglog_next(&log, &ev) == 1)
		;
	cr_assert_eq(log.locality, 3);
	/* Twice is refused. */
	memcpy(b + hdr + 55, b + hdr, 55);
	cr_assert_eq(tcglog_open(&log, b, hdr + 110), 0);
	while (tcglog_next(&log, &ev) == 1)
		;
	cr_assert_str_eq(log.err, "second StartupLocality event");
	/* A Spec ID event listing 9 banks. */
	memcpy(b, buf, hdr);
	v = 9;
	memcpy(b + 32 + 24, &v, 4);
	cr_assert_eq(tcglog_open(&log, b, hdr), -EINVAL);
	cr_assert_str_eq(log.err, "Spec ID event lists more than 8 algorithms");
	cr_assert_eq(tcglog_open(&log, b, 0), -EINVAL);
	cr_assert_str_eq(log.err, "empty log");
}
