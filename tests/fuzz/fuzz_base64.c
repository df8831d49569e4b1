/*
 * fuzz_base64.c: sv_base64_decode on arbitrary bytes. Besides not crashing,
 * the decoder must be canonical: whatever it accepts re-encodes to exactly
 * the input, and on failure it writes nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "sv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t encode(const uint8_t *in, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = i + 1 < n ? a[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? a[v & 63] : '=';
	}
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly-sized copies so ASan sees any over-read of input or output. */
	char *in = malloc(size ? size : 1);
	size_t cap = size / 4 * 3, n = 12345;
	uint8_t *out = malloc(cap ? cap : 1), small[8];
	char *re;
	sv_result r;

	memcpy(in, data, size);
	r = sv_base64_decode(in, size, out, cap, &n);
	if (r != SV_OK) {
		if (n != 12345)
			abort(); /* outlen written on failure */
	} else {
		re = malloc(size ? size : 1);
		if (n > cap || encode(out, n, re) != size || memcmp(re, in, size) != 0)
			abort(); /* accepted a non-canonical encoding */
		free(re);
	}
	/* A small buffer: SV_E_BUFFER, never an overflow. */
	memset(small, 0xa5, sizeof(small));
	r = sv_base64_decode(in, size, small, sizeof(small), &n);
	if (r == SV_E_BUFFER) {
		for (size_t i = 0; i < sizeof(small); i++)
			if (small[i] != 0xa5)
				abort();
	}
	free(out);
	free(in);
	return 0;
}
