/*
 * keys/esl.c: the signature-list reader on well-formed lists (one, several,
 * several lists) and on each malformation edk2 would refuse; the SHA-256
 * builder; the GUID text form.
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
