/*
 * b64_encode.h: standard padded base64 encoding (RFC 4648 section 4), the
 * reference the unit tests build signify files with and the base64 fuzzer
 * re-encodes accepted input with. Writes 4 * ceil(n / 3) bytes, no NUL.
 */
#ifndef TESTS_B64_ENCODE_H
#define TESTS_B64_ENCODE_H

#include <stddef.h>
#include <stdint.h>

static inline size_t b64_encode_raw(const uint8_t *in, size_t n, char *out)
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

#endif
