/*
 * sv_test_util.h: helpers for the verify/ unit tests (hosted code: libc is
 * fine here). Fixtures live in tests/data/signify/ (made by its regen.sh);
 * the tests run from the top of the tree, as make runs them.
 */
#ifndef SV_TEST_UTIL_H
#define SV_TEST_UTIL_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/b64_encode.h"
#include "sv.h"

#define SV_FIXTURES "tests/data/signify/"

/* A growable byte buffer; tests build files out of pieces. */
typedef struct tbuf {
	uint8_t *p;
	size_t len;
} tbuf;

static inline void tb_add(tbuf *b, const void *p, size_t n)
{
	uint8_t *q = realloc(b->p, b->len + n + 1);

	cr_assert_not_null(q);
	if (n)
		memcpy(q + b->len, p, n);
	b->p = q;
	b->len += n;
	b->p[b->len] = 0;
}

static inline void tb_str(tbuf *b, const char *s)
{
	tb_add(b, s, strlen(s));
}

static inline void tb_free(tbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
}

/* The whole fixture file, or a failed test. */
static inline tbuf fixture(const char *name)
{
	char path[256];
	tbuf b = {0};
	uint8_t chunk[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), SV_FIXTURES "%s", name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s (run from the top of the tree)", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		tb_add(&b, chunk, n);
	fclose(f);
	if (b.p == NULL)
		tb_add(&b, "", 0);
	return b;
}

/* Standard padded base64, NUL-terminated, for building test files. */
static inline size_t b64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t o = b64_encode_raw(in, n, out);

	out[o] = 0;
	return o;
}

/* "untrusted comment: <comment>\n" base64(raw) "\n" */
static inline tbuf signify_file(const char *comment, const uint8_t *raw, size_t n)
{
	char b64[256];
	tbuf b = {0};

	cr_assert(n <= 150);
	tb_str(&b, "untrusted comment: ");
	tb_str(&b, comment);
	tb_str(&b, "\n");
	b64_encode(raw, n, b64);
	tb_str(&b, b64);
	tb_str(&b, "\n");
	return b;
}

/* The raw payload of a fixture key or signature file (second line). */
static inline size_t fixture_raw(const char *name, uint8_t *raw, size_t cap)
{
	tbuf f = fixture(name);
	char *l1 = memchr(f.p, '\n', f.len), *l2;
	size_t got = 0;

	cr_assert_not_null(l1);
	l2 = memchr(l1 + 1, '\n', f.len - (size_t)((uint8_t *)l1 + 1 - f.p));
	cr_assert_not_null(l2);
	cr_assert_eq(sv_base64_decode(l1 + 1, (size_t)(l2 - l1 - 1), raw, cap, &got), SV_OK);
	tb_free(&f);
	return got;
}

#endif
