/*
 * libFuzzer target: keys/esl.c's signature-list reader on arbitrary bytes
 * (seeds: tests/data/fuzz/esl/). Every entry it hands out must lie inside
 * the buffer; the builder's output must read back as the digests put in.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
