/*
 * keys/esl.c: the signature-list reader on well-formed lists (one, several,
 * several lists) and on each malformation edk2 would refuse; the SHA-256
 * builder; the GUID text form; esl_without.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "esl.h"

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* One list of type `type` with n entries of `ssize` bytes (owner included). */
static size_t list(uint8_t *out, const uint8_t type[16], uint32_t hsize, uint32_t ssize, size_t n)
{
	size_t total = ESL_HDR + hsize + n * ssize;

	memcpy(out, type, 16);
	put32(out + 16, (uint32_t)total);
	put32(out + 20, hsize);
	put32(out + 24, ssize);
	for (size_t i = 0; i < hsize + n * ssize; i++)
		out[ESL_HDR + i] = (uint8_t)(i + 1);
	return total;
}

static const char *first_error(const uint8_t *buf, size_t len)
{
	struct esl_iter it;
	struct esl_entry e;
	int r;

	esl_begin(&it, buf, len);
	while ((r = esl_next(&it, &e)) == 1)
		;
	return r < 0 ? it.why : NULL;
}

Test(esl, two_lists_all_entries_in_order)
{
	uint8_t buf[1024];
	size_t len = list(buf, esl_guid_x509, 0, 16 + 100, 1);
	struct esl_iter it;
	struct esl_entry e;

	len += list(buf + len, esl_guid_sha256, 0, 48, 3);
	esl_begin(&it, buf, len);
	cr_assert_eq(esl_next(&it, &e), 1);
	cr_assert_eq(e.type, ESL_X509);
	cr_assert_eq(e.size, 100);
	cr_assert_eq(e.offset, ESL_HDR);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(esl_next(&it, &e), 1);
		cr_assert_eq(e.type, ESL_SHA256);
		cr_assert_eq(e.list, 1);
		cr_assert_eq(e.size, 32);
		cr_assert_eq(e.offset, ESL_HDR + 116 + ESL_HDR + (size_t)i * 48);
	}
	cr_assert_eq(esl_next(&it, &e), 0);
}

Test(esl, empty_buffer_has_no_entries)
{
	struct esl_iter it;
	struct esl_entry e;

	esl_begin(&it, (const uint8_t *)"", 0);
	cr_assert_eq(esl_next(&it, &e), 0);
}

Test(esl, each_malformation_refused)
{
	uint8_t buf[512];
	size_t len;

	len = list(buf, esl_guid_sha256, 0, 48, 2);
	cr_assert_str_eq(first_error(buf, len - 1), "list runs past the end");
	cr_assert_str_eq(first_error(buf, 27), "truncated list header");
	len = list(buf, esl_guid_sha256, 0, 48, 1);
	put32(buf + 24, 16);
	cr_assert_str_eq(first_error(buf, len), "signature size too small");
	len = list(buf, esl_guid_x509, 0, 40, 0);
	cr_assert_str_eq(first_error(buf, len), "empty list");
	len = list(buf, esl_guid_x509, 0, 40, 2);
	put32(buf + 16, (uint32_t)len - 1);
	cr_assert_str_eq(first_error(buf, len - 1), "list size is not whole entries");
	len = list(buf, esl_guid_sha256, 0, 40, 1);
	cr_assert_str_eq(first_error(buf, len), "SHA-256 list with wrong sizes");
	len = list(buf, esl_guid_x509, 4, 40, 1);
	cr_assert_str_eq(first_error(buf, len), "X509 list with a header");
	len = list(buf, esl_guid_x509, 0, 40, 1);
	put32(buf + 20, 0xffffffffu);
	cr_assert_str_eq(first_error(buf, len), "list size too small");
	/* A good list followed by a bad one: the good entries, then the error. */
	len = list(buf, esl_guid_x509, 0, 40, 1);
	memset(buf + len, 0, 10);
	cr_assert_str_eq(first_error(buf, len + 10), "truncated list header");
}

Test(esl, sha256_builder_reads_back)
{
	uint8_t owner[16], d[2][32], out[256];
	struct esl_iter it;
	struct esl_entry e;
	size_t len;

	memset(owner, 0xab, 16);
	memset(d[0], 1, 32);
	memset(d[1], 2, 32);
	len = esl_build_sha256(owner, (const uint8_t(*)[32])d, 2, out, sizeof(out));
	cr_assert_eq(len, ESL_HDR + 2 * 48);
	esl_begin(&it, out, len);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(esl_next(&it, &e), 1);
		cr_assert_eq(e.type, ESL_SHA256);
		cr_assert_eq(memcmp(e.owner, owner, 16), 0);
		cr_assert_eq(memcmp(e.data, d[i], 32), 0);
	}
	cr_assert_eq(esl_next(&it, &e), 0);
	cr_assert_eq(esl_build_sha256(owner, (const uint8_t(*)[32])d, 2, out, len - 1), 0);
	cr_assert_eq(esl_build_sha256(owner, (const uint8_t(*)[32])d, 0, out, sizeof(out)), 0);
}

Test(esl, guid_text_round_trip)
{
	const char *s = "d719b2cb-3d3a-4596-a3bc-dad00e67656f";
	uint8_t g[16];
	char back[37];

	cr_assert_eq(esl_guid_parse(s, g), 0);
	cr_assert_eq(g[0], 0xcb);
	cr_assert_eq(g[3], 0xd7);
	cr_assert_eq(g[8], 0xa3);
	esl_guid_str(g, back);
	cr_assert_str_eq(back, s);
	esl_guid_str(esl_guid_x509, back);
	cr_assert_str_eq(back, "a5c059a1-94e4-4aa7-87b5-ab155c2bf072");
	cr_assert_eq(esl_guid_parse("d719b2cb-3d3a-4596-a3bc-dad00e67656", g), -1);
	cr_assert_eq(esl_guid_parse("d719b2cb-3d3a-4596-a3bc-dad00e67656f0", g), -1);
	cr_assert_eq(esl_guid_parse("d719b2cb+3d3a-4596-a3bc-dad00e67656f", g), -1);
	cr_assert_eq(esl_guid_parse("g719b2cb-3d3a-4596-a3bc-dad00e67656f", g), -1);
}

/* One X509 entry of n bytes, each byte `fill`, at out (owner: 16 x owner). */
static size_t x509_entry(uint8_t *out, uint8_t owner, uint8_t fill, size_t n)
{
	memset(out, owner, ESL_OWNER);
	memset(out + ESL_OWNER, fill, n);
	return ESL_OWNER + n;
}

/* A list of one X509 entry: certificate bytes `fill`, n of them. */
static size_t x509_list(uint8_t *out, uint8_t owner, uint8_t fill, size_t n)
{
	memcpy(out, esl_guid_x509, 16);
	put32(out + 16, (uint32_t)(ESL_HDR + ESL_OWNER + n));
	put32(out + 20, 0);
	put32(out + 24, (uint32_t)(ESL_OWNER + n));
	return ESL_HDR + x509_entry(out + ESL_HDR, owner, fill, n);
}

Test(esl, without_drops_only_that_certificate)
{
	uint8_t buf[1024], out[1024], want[1024], old[40], other[40];
	const char *why = NULL;
	size_t len = 0, wl = 0, ol = 0, n = 0, off = 0, l;

	memset(old, 0x0d, sizeof(old));
	memset(other, 0x0e, sizeof(other));
	/* old cert, pinned digests, a vendor cert, a two-entry list holding the
	 * old cert again and a cert of the same size, and the old cert last. */
	len += x509_list(buf + len, 1, 0x0d, 40);
	l = list(buf + len, esl_guid_sha256, 0, 48, 2);
	memcpy(want + wl, buf + len, l);
	len += l;
	wl += l;
	l = x509_list(buf + len, 2, 0x0e, 30);
	memcpy(want + wl, buf + len, l);
	len += l;
	wl += l;
	memcpy(buf + len, esl_guid_x509, 16);
	put32(buf + len + 16, ESL_HDR + 2 * 56);
	put32(buf + len + 20, 0);
	put32(buf + len + 24, 56);
	x509_entry(buf + len + ESL_HDR, 3, 0x0d, 40);
	x509_entry(buf + len + ESL_HDR + 56, 3, 0x0e, 40);
	/* What stays of it: one entry, ListSize 28 + 56. */
	memcpy(want + wl, buf + len, ESL_HDR);
	put32(want + wl + 16, ESL_HDR + 56);
	memcpy(want + wl + ESL_HDR, buf + len + ESL_HDR + 56, 56);
	wl += ESL_HDR + 56;
	len += ESL_HDR + 2 * 56;
	len += x509_list(buf + len, 1, 0x0d, 40);

	cr_assert_eq(esl_without(buf, len, old, 40, out, len, &ol, &n, &why, &off), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(ol, wl);
	cr_assert_eq(memcmp(out, want, wl), 0);
	/* A certificate that is a prefix of the old one matches nothing. */
	cr_assert_eq(esl_without(buf, len, old, 39, out, len, &ol, &n, &why, &off), 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(ol, len);
	cr_assert_eq(memcmp(out, buf, len), 0);
	/* A digest's bytes (the SHA-256 list's first entry, after the 84-byte
	 * first list) are not a certificate: nothing dropped. */
	cr_assert_eq(esl_without(buf, len, buf + 84 + ESL_HDR + ESL_OWNER, 32, out, len, &ol, &n,
	                         &why, &off),
	             0);
	cr_assert_eq(n, 0);
	/* The vendor certificate alone goes, with its list. */
	cr_assert_eq(esl_without(buf, len, other, 30, out, len, &ol, &n, &why, &off), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(ol, len - (ESL_HDR + ESL_OWNER + 30));
}

Test(esl, without_everything_is_empty_and_bad_input_refused)
{
	uint8_t buf[256], out[256], old[40];
	const char *why = NULL;
	size_t len, ol = 99, n = 0, off = 0;

	memset(old, 0x0d, sizeof(old));
	len = x509_list(buf, 1, 0x0d, 40);
	cr_assert_eq(esl_without(buf, len, old, 40, out, len, &ol, &n, &why, &off), 0);
	cr_assert_eq(ol, 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(esl_without(buf, 0, old, 40, out, 0, &ol, &n, &why, &off), 0);
	cr_assert_eq(ol, 0);
	/* A malformed second list: refused, with where. */
	memset(buf + len, 0, 10);
	cr_assert_eq(esl_without(buf, len + 10, old, 40, out, sizeof(out), &ol, &n, &why, &off),
	             -1);
	cr_assert_str_eq(why, "truncated list header");
	cr_assert_eq(off, len);
	cr_assert_eq(esl_without(buf, len, old, 40, out, len - 1, &ol, &n, &why, &off), -1);
	cr_assert_str_eq(why, "output buffer too small");
}
