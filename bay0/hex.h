/* hex.h: bytes as lower-case hex, for bay0's log lines and kernel parameters. */
#ifndef BAY0_HEX_H
#define BAY0_HEX_H

#include <stddef.h>
#include <stdint.h>

/*
 * in[0..n) as 2n lower-case hex digits and a NUL: out holds 2n + 1 bytes.
 * Returns out + 2n (where the NUL is), for callers that go on writing.
 */
static inline char *hex_lower(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		*out++ = digits[in[i] >> 4];
		*out++ = digits[in[i] & 15];
	}
	*out = 0;
	return out;
}

#endif
