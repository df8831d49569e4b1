/*
 * tcglog.c: the TCG firmware event log reader (tcglog.h; formats in
 * docs/measure.md, "The firmware log").
 */
#include <errno.h>
#include <string.h>

#include "tcglog.h"

#define SPEC_ID_SIG "Spec ID Event03"     /* 16 bytes with its NUL */
#define STARTUP_LOC_SIG "StartupLocality" /* 16 bytes with its NUL */
/* TCG_PCR_EVENT: pcr, type, SHA-1 digest, data size. */
#define LEGACY_HDR (4 + 4 + 20 + 4)
/* TCG_EfiSpecIDEventStruct up to numberOfAlgorithms. */
#define SPEC_ID_FIXED (16 + 4 + 1 + 1 + 1 + 1 + 4)

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static int fail(struct tcglog *log, size_t off, const char *what)
{
	log->err = what;
	log->err_offset = off;
	return -EINVAL;
}

unsigned tcglog_alg_size(uint16_t alg)
{
	switch (alg) {
	case TCG_ALG_SHA1:
		return 20;
	case TCG_ALG_SHA256:
	case TCG_ALG_SM3_256:
		return 32;
	case TCG_ALG_SHA384:
		return 48;
	case TCG_ALG_SHA512:
		return 64;
	}
	return 0;
}

const char *tcglog_alg_name(uint16_t alg)
{
	switch (alg) {
	case TCG_ALG_SHA1:
		return "sha1";
	case TCG_ALG_SHA256:
		return "sha256";
	case TCG_ALG_SHA384:
		return "sha384";
	case TCG_ALG_SHA512:
		return "sha512";
	case TCG_ALG_SM3_256:
		return "sm3_256";
	}
	return NULL;
}

/* The Spec ID event's data: the banks of every later record. */
static int parse_spec_id(struct tcglog *log, const uint8_t *d, uint32_t n, size_t off)
{
	if (n < SPEC_ID_FIXED)
		return fail(log, off, "Spec ID event shorter than its fixed part");
	uint32_t nalgs = le32(d + 20 + 4);
	if (nalgs == 0)
		return fail(log, off, "Spec ID event lists no algorithm");
	if (nalgs > TCGLOG_MAX_BANKS)
		return fail(log, off, "Spec ID event lists more than 8 algorithms");
	/* nalgs is at most 8, so this cannot overflow. */
	if (n < SPEC_ID_FIXED + nalgs * 4 + 1)
		return fail(log, off, "Spec ID event truncated in its algorithm list");
	const uint8_t *a = d + SPEC_ID_FIXED;
	for (uint32_t i = 0; i < nalgs; i++) {
		uint16_t alg = le16(a + 4 * i), size = le16(a + 4 * i + 2);
		if (size == 0 || size > TCG_MAX_DIGEST)
			return fail(log, off, "Spec ID event: digest size 0 or over 64");
		unsigned known = tcglog_alg_size(alg);
		if (known && known != size)
			return fail(log, off,
			            "Spec ID event: wrong digest size for a known algorithm");
		for (uint32_t j = 0; j < i; j++)
			if (log->algs[j].alg == alg)
				return fail(log, off, "Spec ID event lists an algorithm twice");
		log->algs[i].alg = alg;
		log->algs[i].size = size;
	}
	uint8_t vendor = a[4 * nalgs];
	if (n != SPEC_ID_FIXED + nalgs * 4 + 1 + vendor)
		return fail(log, off,
		            "Spec ID event: vendorInfoSize disagrees with the event size");
	log->nalgs = nalgs;
	return 0;
}

/* One TCG_PCR_EVENT (SHA-1 format) at log->pos. */
static int read_legacy(struct tcglog *log, struct tcglog_event *ev)
{
	size_t off = log->pos, left = log->len - off;
	if (left < LEGACY_HDR)
		return fail(log, off, "record truncated in its header");
	const uint8_t *p = log->buf + off;
	uint32_t size = le32(p + 28);
	if (size > left - LEGACY_HDR)
		return fail(log, off, "event data runs past the end of the log");
	ev->offset = off;
	ev->pcr = le32(p);
	ev->type = le32(p + 4);
	ev->ndigests = 1;
	ev->digests[0].alg = TCG_ALG_SHA1;
	ev->digests[0].size = 20;
	ev->digests[0].bytes = p + 8;
	ev->data_size = size;
	ev->data = p + LEGACY_HDR;
	log->pos = off + LEGACY_HDR + size;
	return 1;
}

/* One TCG_PCR_EVENT2 at log->pos, digest sizes from the Spec ID event. */
static int read_agile(struct tcglog *log, struct tcglog_event *ev)
{
	size_t off = log->pos, left = log->len - off;
	if (left < 12)
		return fail(log, off, "record truncated in its header");
	const uint8_t *p = log->buf + off;
	uint32_t count = le32(p + 8);
	if (count > log->nalgs)
		return fail(log, off, "record has more digests than the Spec ID event has banks");
	size_t at = 12;
	for (uint32_t i = 0; i < count; i++) {
		if (left - at < 2)
			return fail(log, off, "record truncated in a digest's algorithm");
		uint16_t alg = le16(p + at);
		unsigned size = 0;
		for (uint32_t j = 0; j < log->nalgs; j++)
			if (log->algs[j].alg == alg)
				size = log->algs[j].size;
		if (size == 0)
			return fail(log, off,
			            "record has a digest of a bank the Spec ID event lacks");
		for (uint32_t j = 0; j < i; j++)
			if (ev->digests[j].alg == alg)
				return fail(log, off, "record has two digests of one bank");
		at += 2;
		if (left - at < size)
			return fail(log, off, "record truncated in a digest");
		ev->digests[i].alg = alg;
		ev->digests[i].size = (uint16_t)size;
		ev->digests[i].bytes = p + at;
		at += size;
	}
	if (left - at < 4)
		return fail(log, off, "record truncated before its event size");
	uint32_t size = le32(p + at);
	at += 4;
	if (size > left - at)
		return fail(log, off, "event data runs past the end of the log");
	ev->offset = off;
	ev->pcr = le32(p);
	ev->type = le32(p + 4);
	ev->ndigests = count;
	ev->data_size = size;
	ev->data = p + at;
	log->pos = off + at + size;
	return 1;
}

static int only_padding(const uint8_t *p, size_t n)
{
	if (n == 0)
		return 1;
	uint8_t pad = p[0];
	if (pad != 0x00 && pad != 0xff)
		return 0;
	for (size_t i = 1; i < n; i++)
		if (p[i] != pad)
			return 0;
	return 1;
}

int tcglog_open(struct tcglog *log, const void *buf, size_t len)
{
	memset(log, 0, sizeof(*log));
	log->buf = buf;
	log->len = len;
	log->locality = -1;
	if (len == 0)
		return fail(log, 0, "empty log");
	struct tcglog_event ev;
	int r = read_legacy(log, &ev);
	log->pos = 0;
	if (r < 0)
		return r;
	if (ev.type == TCG_EV_NO_ACTION && ev.pcr == 0 && ev.data_size >= 16 &&
	    memcmp(ev.data, SPEC_ID_SIG, 16) == 0) {
		for (unsigned i = 0; i < 20; i++)
			if (ev.digests[0].bytes[i])
				return fail(log, 0, "Spec ID event with a non-zero digest");
		r = parse_spec_id(log, ev.data, ev.data_size, 0);
		if (r < 0)
			return r;
		log->agile = 1;
	} else {
		log->nalgs = 1;
		log->algs[0].alg = TCG_ALG_SHA1;
		log->algs[0].size = 20;
	}
	return 0;
}

int tcglog_next(struct tcglog *log, struct tcglog_event *ev)
{
	if (log->err)
		return -EINVAL;
	if (log->pos >= log->len)
		return 0;
	/* The header is always in the SHA-1 format; padding can only follow
	 * it. */
	if (log->nevents > 0 && only_padding(log->buf + log->pos, log->len - log->pos))
		return 0;
	int r = (log->agile && log->nevents > 0) ? read_agile(log, ev) : read_legacy(log, ev);
	if (r < 0)
		return r;
	log->nevents++;
	if (ev->type == TCG_EV_NO_ACTION && ev->data_size >= 16 &&
	    memcmp(ev->data, STARTUP_LOC_SIG, 16) == 0) {
		if (ev->data_size != 17 || ev->pcr != 0)
			return fail(log, ev->offset, "StartupLocality event not 17 bytes in PCR 0");
		if (log->locality >= 0)
			return fail(log, ev->offset, "second StartupLocality event");
		log->locality = ev->data[16];
	}
	return 1;
}
