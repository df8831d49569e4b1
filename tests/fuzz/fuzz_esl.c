/*
 * libFuzzer target: keys/esl.c's signature-list reader on arbitrary bytes
 * (seeds: tests/data/fuzz/esl/). Every entry it hands out must lie inside
 * the buffer; the builder's output must read back as the digests put in;
 * esl_without's output (dropping the first X509 entry's certificate, or
 * bytes of the input) must parse, be no larger than the input, and hold
 * every entry but the dropped ones, in order.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t wout[8192 + 64];

static void check_without(const uint8_t *data, size_t size)
{
	struct esl_iter it, ot;
	struct esl_entry e, f;
	const uint8_t *der = data;
	size_t dlen = size < 40 ? size : 40, olen = 0, dropped = 0, off = 0, seen = 0;
	const char *why = NULL;
	int r;

	if (size > sizeof(wout))
		return;
	/* Drop the first certificate, if there is one. */
	esl_begin(&it, data, size);
	while ((r = esl_next(&it, &e)) == 1)
		if (e.type == ESL_X509) {
			der = e.data;
			dlen = e.size;
			break;
		}
	if (esl_without(data, size, der, dlen, wout, size, &olen, &dropped, &why, &off)) {
		/* Refused only when the reader refuses it too. */
		esl_begin(&it, data, size);
		while ((r = esl_next(&it, &e)) == 1)
			;
		if (r != -1 || !why || off != it.err_offset)
			abort();
		return;
	}
	if (olen > size)
		abort();
	esl_begin(&it, data, size);
	esl_begin(&ot, wout, olen);
	while (esl_next(&it, &e) == 1) {
		if (e.type == ESL_X509 && e.size == dlen && !memcmp(e.data, der, dlen)) {
			seen++;
			continue;
		}
		if (esl_next(&ot, &f) != 1 || f.type != e.type || f.size != e.size ||
		    memcmp(f.type_guid, e.type_guid, 16) || memcmp(f.owner, e.owner, 16 + e.size))
			abort();
	}
	if (esl_next(&ot, &f) != 0 || seen != dropped)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct esl_iter it;
	struct esl_entry e;
	uint8_t out[ESL_HDR + 4 * 48];
	size_t n = 0, len;
	int r;

	esl_begin(&it, data, size);
	while ((r = esl_next(&it, &e)) == 1) {
		if (e.data < data || e.data + e.size > data + size || e.owner + 16 != e.data)
			abort();
		n++;
	}
	if (r < 0 && !it.why)
		abort();
	check_without(data, size);
	/* Up to four digests taken from the input, through the builder and back. */
	n = size / 32 > 4 ? 4 : size / 32;
	if (n == 0)
		return 0;
	len = esl_build_sha256(data, (const uint8_t(*)[32])data, n, out, sizeof(out));
	if (len != ESL_HDR + n * 48)
		abort();
	esl_begin(&it, out, len);
	for (size_t i = 0; i < n; i++)
		if (esl_next(&it, &e) != 1 || e.type != ESL_SHA256 ||
		    memcmp(e.data, data + 32 * i, 32) || memcmp(e.owner, data, 16))
			abort();
	if (esl_next(&it, &e) != 0)
		abort();
	return 0;
}
