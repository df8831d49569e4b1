/*
 * test_sv_base64.c: sv_base64_decode accepts exactly the canonical padded
 * RFC 4648 encoding and nothing else (docs/formats.md, "base64").
 */
#include "sv_test_util.h"

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static bool in_alphabet(int c)
{
	return c != 0 && strchr(ALPHABET, c) != NULL;
}

static sv_result dec(const char *s, uint8_t *out, size_t cap, size_t *n)
{
	return sv_base64_decode(s, strlen(s), out, cap, n);
}

/* Fails, and leaves both outputs as they were. */
static void refused(const char *s, size_t len, sv_result want)
{
	uint8_t out[64];
	size_t n = 0x5a5a;

	memset(out, 0xa5, sizeof(out));
	cr_assert_eq(sv_base64_decode(s, len, out, sizeof(out), &n), want, "input \"%.*s\"",
	             (int)len, s);
	cr_assert_eq(n, 0x5a5a, "outlen written on failure");
	for (size_t i = 0; i < sizeof(out); i++)
		cr_assert_eq(out[i], 0xa5, "output written on failure");
}

Test(base64, rfc4648_vectors)
{
	static const struct {
		const char *in, *out;
	} v[] = {{"", ""},
	         {"Zg==", "f"},
	         {"Zm8=", "fo"},
	         {"Zm9v", "foo"},
	         {"Zm9vYg==", "foob"},
	         {"Zm9vYmE=", "fooba"},
	         {"Zm9vYmFy", "foobar"}};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t out[16];
		size_t n = 99;

		cr_assert_eq(dec(v[i].in, out, sizeof(out), &n), SV_OK, "%s", v[i].in);
		cr_assert_eq(n, strlen(v[i].out));
		cr_assert_eq(memcmp(out, v[i].out, n), 0, "%s", v[i].in);
	}
}

Test(base64, round_trip_every_length_and_byte)
{
	uint8_t in[120], out[120];
	char enc[200];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 151 + 7);
	for (size_t len = 0; len <= sizeof(in); len++) {
		size_t e = b64_encode(in, len, enc), n = 0;

		cr_assert_eq(sv_base64_decode(enc, e, out, len, &n), SV_OK, "len %zu", len);
		cr_assert_eq(n, len);
		cr_assert_eq(memcmp(in, out, len), 0, "len %zu", len);
	}
	/* Every byte value survives (three at a time, no padding). */
	for (int b = 0; b < 256; b++) {
		uint8_t x[3] = {(uint8_t)b, (uint8_t)~b, (uint8_t)(b ^ 0x5a)}, y[3];
		size_t n;

		b64_encode(x, 3, enc);
		cr_assert_eq(sv_base64_decode(enc, 4, y, 3, &n), SV_OK);
		cr_assert_eq(memcmp(x, y, 3), 0);
	}
}

Test(base64, truncated)
{
	refused("Z", 1, SV_E_MALFORMED);
	refused("Zm", 2, SV_E_MALFORMED);
	refused("Zm9", 3, SV_E_MALFORMED);
	refused("Zg=", 3, SV_E_MALFORMED);
	refused("Zm9vY", 5, SV_E_MALFORMED);
	refused("Zm9vYmFy"
	        "Zg=",
	        11, SV_E_MALFORMED);
}

Test(base64, overlong_for_the_buffer)
{
	uint8_t out[8];
	size_t n = 77;

	memset(out, 0xa5, sizeof(out));
	cr_assert_eq(dec("Zm9vYmFy", out, 5, &n), SV_E_BUFFER);
	cr_assert_eq(n, 77);
	cr_assert_eq(out[0], 0xa5);
	cr_assert_eq(dec("Zm9vYmFy", out, 6, &n), SV_OK);
	cr_assert_eq(n, 6);
	cr_assert_eq(dec("Zm9vYmE=", out, 4, &n), SV_E_BUFFER);
	cr_assert_eq(dec("Zm9vYmE=", out, 5, &n), SV_OK);
}

/* '=' included: "Zm9vYm=y" and "Zm9vYmF=" (stray low bits) are both wrong. */
Test(base64, every_byte_outside_the_alphabet_in_every_position)
{
	for (int c = 0; c < 256; c++) {
		for (size_t pos = 0; pos < 8; pos++) {
			char s[9] = "Zm9vYmFy";

			s[pos] = (char)c;
			if (in_alphabet(c)) {
				uint8_t out[6];
				size_t n;

				cr_assert_eq(sv_base64_decode(s, 8, out, sizeof(out), &n), SV_OK);
			} else {
				refused(s, 8, SV_E_MALFORMED);
			}
		}
	}
}

Test(base64, whitespace_anywhere)
{
	refused("Zm9v YmFy", 9, SV_E_MALFORMED);
	refused("Zm9vYmF\ny", 9, SV_E_MALFORMED);
	refused("Zm9vYmFy\n", 9, SV_E_MALFORMED);
	refused("Zm9vYmFy\r", 9, SV_E_MALFORMED);
	refused(" Zm9vYmFy", 9, SV_E_MALFORMED);
	refused("Zm9v\tYmF", 8, SV_E_MALFORMED);
	refused("Zg==    ", 8, SV_E_MALFORMED);
	refused("Zm9v\0mFy", 8, SV_E_MALFORMED);
}

Test(base64, url_safe_alphabet)
{
	refused("Zm9-", 4, SV_E_MALFORMED);
	refused("Zm9_", 4, SV_E_MALFORMED);
}

Test(base64, bad_padding)
{
	refused("====", 4, SV_E_MALFORMED);
	refused("Z===", 4, SV_E_MALFORMED);
	refused("Zg=a", 4, SV_E_MALFORMED);
	refused("Z=g=", 4, SV_E_MALFORMED);
	refused("=m9v", 4, SV_E_MALFORMED);
	refused("Zm=v", 4, SV_E_MALFORMED);
	refused("Zg==Zm9v", 8, SV_E_MALFORMED); /* padding before the end */
	refused("Zm8=Zm9v", 8, SV_E_MALFORMED);
	refused("Zm9v====", 8, SV_E_MALFORMED);
	refused("Zg", 2, SV_E_MALFORMED); /* unpadded */
	refused("Zm8", 3, SV_E_MALFORMED);
}

/* The bits below the last encoded byte must be zero: of the 64 characters
 * before "==" only the 4 with the low four bits clear are accepted, and of
 * those before "=" only the 16 with the low two bits clear. */
Test(base64, nonzero_unused_bits)
{
	int ok2 = 0, ok1 = 0;

	for (int v = 0; v < 64; v++) {
		char s2[5] = {'Z', ALPHABET[v], '=', '=', 0},
		     s1[5] = {'Z', 'm', ALPHABET[v], '=', 0};
		uint8_t out[2];
		size_t n;

		if ((v & 0x0f) == 0) {
			cr_assert_eq(dec(s2, out, sizeof(out), &n), SV_OK, "%s", s2);
			ok2++;
		} else {
			refused(s2, 4, SV_E_MALFORMED);
		}
		if ((v & 0x03) == 0) {
			cr_assert_eq(dec(s1, out, sizeof(out), &n), SV_OK, "%s", s1);
			ok1++;
		} else {
			refused(s1, 4, SV_E_MALFORMED);
		}
	}
	cr_assert_eq(ok2, 4);
	cr_assert_eq(ok1, 16);
	refused("Zh==", 4, SV_E_MALFORMED); /* "f" with a stray low bit */
	refused("Zm9=", 4, SV_E_MALFORMED);
}

Test(base64, empty_input_needs_no_buffer)
{
	size_t n = 5;

	cr_assert_eq(sv_base64_decode("", 0, NULL, 0, &n), SV_OK);
	cr_assert_eq(n, 0);
}
