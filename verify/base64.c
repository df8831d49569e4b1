/*
 * base64.c: strict base64 decoding (RFC 4648 section 4), the only form the
 * signify key and signature lines may take here: the standard alphabet, no
 * whitespace, padded to a multiple of four, '=' only at the end, and the
 * unused bits of the last quantum zero. So every byte string has exactly one
 * accepted encoding (docs/formats.md, "base64").
 */
#include "sv.h"

/* The 6-bit value of c, or -1 for anything outside the alphabet ('=' too). */
static int b64_value(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

sv_result sv_base64_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap,
                           size_t *outlen)
{
	const uint8_t *s = (const uint8_t *)in;
	size_t pad = 0, n, i, o;

	if (inlen % 4 != 0)
		return SV_E_MALFORMED;
	if (inlen > 0 && s[inlen - 1] == '=') {
		pad = 1;
		if (s[inlen - 2] == '=')
			pad = 2;
	}
	/* Validate everything before writing anything: outputs only on SV_OK. */
	for (i = 0; i < inlen - pad; i++) {
		if (b64_value(s[i]) < 0)
			return SV_E_MALFORMED;
	}
	/* The bits the padding leaves over must be zero (canonical form). */
	if (pad == 1 && (b64_value(s[inlen - 2]) & 0x03) != 0)
		return SV_E_MALFORMED;
	if (pad == 2 && (b64_value(s[inlen - 3]) & 0x0f) != 0)
		return SV_E_MALFORMED;

	n = inlen / 4 * 3 - pad; /* inlen / 4 * 3 < inlen: cannot overflow */
	if (n > outcap)
		return SV_E_BUFFER;

	for (i = 0, o = 0; i < inlen; i += 4) {
		uint32_t v = (uint32_t)b64_value(s[i]) << 18 | (uint32_t)b64_value(s[i + 1]) << 12;

		out[o++] = (uint8_t)(v >> 16);
		if (i + 4 == inlen && pad == 2)
			break;
		v |= (uint32_t)b64_value(s[i + 2]) << 6;
		out[o++] = (uint8_t)(v >> 8);
		if (i + 4 == inlen && pad == 1)
			break;
		v |= (uint32_t)b64_value(s[i + 3]);
		out[o++] = (uint8_t)v;
	}
	*outlen = n;
	return SV_OK;
}
