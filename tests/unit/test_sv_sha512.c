/*
 * test_sv_sha512.c: SHA-512 against published vectors, streaming against
 * one-shot, and the shared helpers in sv.c.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sv.h"
#include "sv_vectors.h"

static void unhex(const char *hex, uint8_t *out, size_t n)
{
	cr_assert_eq(strlen(hex), 2 * n, "vector hex length");
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		cr_assert_eq(sscanf(hex + 2 * i, "%2x", &v), 1, "vector hex digit");
		out[i] = (uint8_t)v;
	}
}

/* The message of a vector, in a heap buffer the caller frees (so ASan sees
 * any over-read of its exact length). */
static uint8_t *vector_msg(const struct sha512_vector *v, size_t *len)
{
	size_t n = v->msg ? strlen(v->msg) : v->repeat;
	uint8_t *m = malloc(n ? n : 1);

	cr_assert_not_null(m);
	if (v->msg)
		memcpy(m, v->msg, n);
	else
		memset(m, 'a', n);
	*len = n;
	return m;
}

static void pattern(uint8_t *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		m[i] = (uint8_t)(i * 7 + 3);
}

static void check_vector(size_t k)
{
	const struct sha512_vector *v = &sha512_vectors[k];
	uint8_t want[64], got[64];
	size_t n;
	uint8_t *m = vector_msg(v, &n);

	unhex(v->digest_hex, want, 64);
	sv_sha512(m, n, got);
	cr_expect_arr_eq(got, want, 64, "one-shot digest of %s", v->name);
	free(m);
}

/* One test per vector, so each is its own PASS/FAIL line. */
Test(sha512, nist_empty)
{
	check_vector(0);
}

Test(sha512, nist_abc)
{
	check_vector(1);
}

Test(sha512, nist_448_bit)
{
	check_vector(2);
}

Test(sha512, nist_896_bit)
{
	check_vector(3);
}

Test(sha512, nist_million_a)
{
	check_vector(4);
}

Test(sha512, padding_boundaries)
{
	for (size_t k = 0; k < sizeof(sha512_boundaries) / sizeof(sha512_boundaries[0]); k++) {
		const struct sha512_boundary *v = &sha512_boundaries[k];
		uint8_t want[64], got[64];
		uint8_t *m = malloc(v->len);

		cr_assert_not_null(m);
		pattern(m, v->len);
		unhex(v->digest_hex, want, 64);
		sv_sha512(m, v->len, got);
		cr_expect_arr_eq(got, want, 64, "digest of %zu pattern bytes", v->len);
		free(m);
	}
}

/* Every vector fed in chunks of each size 1..300 (odd sizes cross the block
 * boundary at every offset) equals the published digest. */
Test(sha512, streaming_chunks)
{
	for (size_t k = 0; k < sizeof(sha512_vectors) / sizeof(sha512_vectors[0]); k++) {
		const struct sha512_vector *v = &sha512_vectors[k];
		uint8_t want[64], got[64];
		size_t n;
		uint8_t *m = vector_msg(v, &n);
		/* A million bytes in 1-byte steps 300 times is slow under ASan:
		 * chunk sizes for that vector step by 37. */
		size_t step = n > 10000 ? 37 : 1;

		unhex(v->digest_hex, want, 64);
		for (size_t chunk = 1; chunk <= 300; chunk += step) {
			struct sv_sha512 c;

			sv_sha512_init(&c);
			for (size_t off = 0; off < n; off += chunk)
				sv_sha512_update(&c, m + off, n - off < chunk ? n - off : chunk);
			sv_sha512_final(&c, got);
			cr_expect_arr_eq(got, want, 64, "%s in chunks of %zu", v->name, chunk);
		}
		free(m);
	}
}

/* Irregular chunk sizes, including empty updates, over 5000 pattern bytes. */
Test(sha512, streaming_irregular)
{
	enum { N = 5000 };
	static const size_t sizes[] = {0, 1, 127, 0, 128, 129, 3, 255, 1000, 17, 111, 112, 113};
	uint8_t *m = malloc(N);
	uint8_t want[64], got[64];
	struct sv_sha512 c;
	size_t off = 0, i = 0;

	cr_assert_not_null(m);
	pattern(m, N);
	sv_sha512(m, N, want);
	sv_sha512_init(&c);
	while (off < N) {
		size_t take = sizes[i++ % (sizeof(sizes) / sizeof(sizes[0]))];
		if (take > N - off)
			take = N - off;
		sv_sha512_update(&c, m + off, take);
		off += take;
	}
	sv_sha512_final(&c, got);
	cr_expect_arr_eq(got, want, 64, "irregular chunks equal one-shot");
	free(m);
}

/* The 128-bit length counter carries out of its low word. Two updates of
 * (SIZE_MAX/2) bytes cannot be run, so set the counter directly: a context
 * whose low word is about to wrap must count into the high word. */
Test(sha512, length_counter_carries)
{
	struct sv_sha512 c;
	uint8_t b = 0;

	sv_sha512_init(&c);
	c.bytes_lo = UINT64_MAX;
	sv_sha512_update(&c, &b, 1);
	cr_expect_eq(c.bytes_lo, 0);
	cr_expect_eq(c.bytes_hi, 1);
}

Test(sv, ct_equal)
{
	uint8_t a[64], b[64];

	pattern(a, sizeof(a));
	memcpy(b, a, sizeof(b));
	cr_expect(sv_ct_equal(a, b, 64));
	cr_expect(sv_ct_equal(a, b, 0), "empty buffers are equal");
	for (size_t i = 0; i < 64; i++) {
		for (int bit = 0; bit < 8; bit++) {
			b[i] ^= (uint8_t)(1u << bit);
			cr_expect(!sv_ct_equal(a, b, 64), "byte %zu bit %d differs", i, bit);
			b[i] ^= (uint8_t)(1u << bit);
		}
	}
}

Test(sv, result_str)
{
	for (int r = SV_OK; r <= SV_E_BUFFER; r++) {
		const char *s = sv_result_str((sv_result)r);
		cr_assert_not_null(s);
		cr_expect_gt(strlen(s), 0);
		for (int q = SV_OK; q < r; q++)
			cr_expect_str_neq(s, sv_result_str((sv_result)q), "results %d and %d", q,
			                  r);
	}
	cr_expect_str_eq(sv_result_str(SV_E_BAD_SIGNATURE), "bad signature");
	cr_expect_not_null(sv_result_str((sv_result)99));
}
