/*
 * fuzz_base64.c: sv_base64_decode on arbitrary bytes. Besides not crashing,
 * the decoder must be canonical: whatever it accepts re-encodes to exactly
 * the input, and on failure it writes nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/b64_encode.h"
#include "sv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
		if (n > cap || b64_encode_raw(out, n, re) != size || memcmp(re, in, size) != 0)
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
