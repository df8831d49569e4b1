/*
 * test_sv_sumlist.c: signify checksum lists, "SHA512 (name) = <hex>\n",
 * read strictly (docs/formats.md, "Checksum lists").
 */
#include "sv_test_util.h"

static const char *const FILES[][2] = {
        {"vmlinuz", "kernel bytes"},
        {"initrd.img", "the spine"},
        {"cmdline", "console=ttyS0\n"},
        {"slot.conf", "version=3\n"},
};
#define NFILES (sizeof(FILES) / sizeof(FILES[0]))

static void hex(const uint8_t *d, char *out)
{
	for (int i = 0; i < SV_SHA512_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* "SHA512 (name) = <hex of SHA-512(content)>\n" */
static void add_line(tbuf *b, const char *name, const char *content)
{
	uint8_t d[SV_SHA512_LEN];
	char h[2 * SV_SHA512_LEN + 1];

	sv_sha512(content, strlen(content), d);
	hex(d, h);
	tb_str(b, "SHA512 (");
	tb_str(b, name);
	tb_str(b, ") = ");
	tb_str(b, h);
	tb_str(b, "\n");
}

static tbuf good_list(void)
{
	tbuf b = {0};

	for (size_t i = 0; i < NFILES; i++)
		add_line(&b, FILES[i][0], FILES[i][1]);
	return b;
}

static sv_result check_str(const char *s)
{
	return sv_sumlist_check((const uint8_t *)s, strlen(s));
}

/* A list of one line naming `name` (for name and syntax cases). */
static sv_result one_line(const char *name)
{
	tbuf b = {0};
	sv_result r;

	add_line(&b, name, "x");
	r = sv_sumlist_check(b.p, b.len);
	tb_free(&b);
	return r;
}

/* The good list with `tail` appended. */
static sv_result with_tail(const char *tail)
{
	tbuf b = good_list();
	sv_result r;

	tb_str(&b, tail);
	r = sv_sumlist_check(b.p, b.len);
	tb_free(&b);
	return r;
}

static const char HEX0[] = "00000000000000000000000000000000000000000000000000000000000000000"
                           "000000000000000000000000000000000000000000000000000000000000000";

Test(sumlist, good_list_entries_in_order)
{
	tbuf b = good_list();
	sv_sumlist it;
	sv_sum s;
	bool done = true;
	size_t n = 0;

	cr_assert_eq(strlen(HEX0), 128);
	cr_assert_eq(sv_sumlist_check(b.p, b.len), SV_OK);
	sv_sumlist_init(&it, b.p, b.len);
	for (;;) {
		cr_assert_eq(sv_sumlist_next(&it, &s, &done), SV_OK);
		if (done)
			break;
		uint8_t d[SV_SHA512_LEN];

		cr_assert_lt(n, NFILES);
		cr_assert_eq(s.name_len, strlen(FILES[n][0]));
		cr_assert_eq(memcmp(s.name, FILES[n][0], s.name_len), 0);
		sv_sha512(FILES[n][1], strlen(FILES[n][1]), d);
		cr_assert(sv_ct_equal(d, s.digest, SV_SHA512_LEN));
		n++;
		cr_assert_eq(it.line, n);
	}
	cr_assert_eq(n, NFILES);
	/* exhausted stays exhausted */
	cr_assert_eq(sv_sumlist_next(&it, &s, &done), SV_OK);
	cr_assert(done);
}

Test(sumlist, find_each_and_a_missing_file)
{
	tbuf b = good_list();
	uint8_t d[SV_SHA512_LEN], want[SV_SHA512_LEN], keep[SV_SHA512_LEN];

	for (size_t i = 0; i < NFILES; i++) {
		sv_sha512(FILES[i][1], strlen(FILES[i][1]), want);
		cr_assert_eq(sv_sumlist_find(b.p, b.len, FILES[i][0], strlen(FILES[i][0]), d),
		             SV_OK);
		cr_assert_eq(memcmp(d, want, sizeof(d)), 0, "%s", FILES[i][0]);
	}
	memset(d, 0x77, sizeof(d));
	memcpy(keep, d, sizeof(d));
	cr_assert_eq(sv_sumlist_find(b.p, b.len, "bay0.conf", 9, d), SV_E_NOT_LISTED);
	cr_assert_eq(sv_sumlist_find(b.p, b.len, "vmlinu", 6, d), SV_E_NOT_LISTED);
	cr_assert_eq(sv_sumlist_find(b.p, b.len, "vmlinuzz", 8, d), SV_E_NOT_LISTED);
	cr_assert_eq(memcmp(d, keep, sizeof(d)), 0, "digest written on failure");
	cr_assert_eq(sv_sumlist_find(b.p, b.len, "../vmlinuz", 10, d), SV_E_BAD_NAME);
}

/* A list that lacks one of the files the loader needs. */
Test(sumlist, list_with_a_file_missing)
{
	tbuf b = {0};
	uint8_t d[SV_SHA512_LEN];

	for (size_t i = 1; i < NFILES; i++)
		add_line(&b, FILES[i][0], FILES[i][1]);
	cr_assert_eq(sv_sumlist_check(b.p, b.len), SV_OK);
	cr_assert_eq(sv_sumlist_find(b.p, b.len, "vmlinuz", 7, d), SV_E_NOT_LISTED);
}

/* A tampered file, or a tampered list line, no longer matches. */
Test(sumlist, tampered_entry)
{
	tbuf b = good_list();
	uint8_t d[SV_SHA512_LEN], got[SV_SHA512_LEN];
	char *digit;

	sv_sha512("kernel bytes!", 13, d);
	cr_assert_eq(sv_sumlist_find(b.p, b.len, "vmlinuz", 7, got), SV_OK);
	cr_assert_not(sv_ct_equal(d, got, SV_SHA512_LEN));

	digit = strchr((char *)b.p, '=') + 2;
	*digit = *digit == '0' ? '1' : '0';
	sv_sha512("kernel bytes", 12, d);
	cr_assert_eq(sv_sumlist_find(b.p, b.len, "vmlinuz", 7, got), SV_OK);
	cr_assert_not(sv_ct_equal(d, got, SV_SHA512_LEN));
}

Test(sumlist, duplicate_entries)
{
	tbuf b = good_list();
	uint8_t d[SV_SHA512_LEN];

	add_line(&b, "initrd.img", "the spine"); /* same line again */
	cr_assert_eq(sv_sumlist_check(b.p, b.len), SV_E_DUPLICATE);
	cr_assert_eq(sv_sumlist_find(b.p, b.len, "vmlinuz", 7, d), SV_E_DUPLICATE);
	tb_free(&b);

	b = good_list();
	add_line(&b, "vmlinuz", "another kernel"); /* first and last */
	cr_assert_eq(sv_sumlist_check(b.p, b.len), SV_E_DUPLICATE);
	tb_free(&b);

	b = (tbuf){0};
	add_line(&b, "a", "1");
	add_line(&b, "a", "1");
	cr_assert_eq(sv_sumlist_check(b.p, b.len), SV_E_DUPLICATE);
	tb_free(&b);

	/* prefixes are different names */
	add_line(&b, "a", "1");
	add_line(&b, "ab", "1");
	add_line(&b, "b", "1");
	cr_assert_eq(sv_sumlist_check(b.p, b.len), SV_OK);
}

Test(sumlist, other_hash_algorithms)
{
	static const char *algs[] = {"SHA256",     "SHA384", "SHA1",   "MD5",
	                             "SHA512/256", "RMD160", "SHA224", "BLAKE2B"};

	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		char line[300];

		snprintf(line, sizeof(line), "%s (vmlinuz) = %s\n", algs[i], HEX0);
		cr_assert_eq(check_str(line), SV_E_ALGORITHM, "%s", algs[i]);
		cr_assert_eq(with_tail(line), SV_E_ALGORITHM, "%s after good lines", algs[i]);
	}
	/* a SHA256 line of the right length for SHA256 */
	cr_assert_eq(
	        check_str("SHA256 (x) = "
	                  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"),
	        SV_E_ALGORITHM);
	/* not a hash name at all */
	cr_assert_eq(check_str("sha512 (x) = 00\n"), SV_E_MALFORMED);
	cr_assert_eq(check_str("SHA512(x) = 00\n"), SV_E_MALFORMED);
}

Test(sumlist, path_like_and_odd_names)
{
	static const char *bad[] = {"a/b",   "/vmlinuz", "..",       "../x", "x/..", "a..b",
	                            "\\x",   "a\\b",     "a b",      " a",   "a\tb", "a\x01",
	                            "a\x7f", ".",        "a\x1b[2J", "",     "x\r"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(one_line(bad[i]), SV_E_BAD_NAME, "name \"%s\"", bad[i]);
	cr_assert_eq(one_line(".hidden"), SV_OK);
	cr_assert_eq(one_line("a.b.c"), SV_OK);
	cr_assert_eq(one_line("UTF-8-\xc3\xa9"), SV_OK);
}

Test(sumlist, nul_in_name)
{
	char line[300];
	int n = snprintf(line, sizeof(line), "SHA512 (aXb) = %s\n", HEX0);

	line[9] = 0;
	cr_assert_eq(sv_sumlist_check((const uint8_t *)line, (size_t)n), SV_E_BAD_NAME);
}

Test(sumlist, name_length_limit)
{
	char name[300];

	memset(name, 'n', sizeof(name));
	name[SV_NAME_MAX] = 0;
	cr_assert_eq(one_line(name), SV_OK);
	name[SV_NAME_MAX] = 'n';
	name[SV_NAME_MAX + 1] = 0;
	cr_assert_eq(one_line(name), SV_E_BAD_NAME);
}

Test(sumlist, crlf)
{
	tbuf b = good_list(), c = {0};

	for (size_t i = 0; i < b.len; i++) {
		if (b.p[i] == '\n')
			tb_str(&c, "\r");
		tb_add(&c, b.p + i, 1);
	}
	cr_assert_eq(sv_sumlist_check(c.p, c.len), SV_E_MALFORMED);
}

Test(sumlist, trailing_garbage_and_bad_lines)
{
	char l[400];

	cr_assert_eq(with_tail("garbage\n"), SV_E_MALFORMED);
	cr_assert_eq(with_tail("\n"), SV_E_MALFORMED); /* blank line */
	cr_assert_eq(with_tail("x"), SV_E_MALFORMED);
	cr_assert_eq(with_tail(" "), SV_E_MALFORMED);
	snprintf(l, sizeof(l), "SHA512 (x) = %s", HEX0); /* no final newline */
	cr_assert_eq(with_tail(l), SV_E_MALFORMED);
	snprintf(l, sizeof(l), "SHA512 (x) = %s \n", HEX0);
	cr_assert_eq(with_tail(l), SV_E_MALFORMED);
	snprintf(l, sizeof(l), "SHA512 (x) = %s0\n", HEX0); /* 129 digits */
	cr_assert_eq(with_tail(l), SV_E_MALFORMED);
	snprintf(l, sizeof(l), "SHA512 (x) = %.127s\n", HEX0); /* 127 digits */
	cr_assert_eq(with_tail(l), SV_E_MALFORMED);
	snprintf(l, sizeof(l), "SHA512 (x) = %.127sA\n", HEX0); /* upper case */
	cr_assert_eq(with_tail(l), SV_E_MALFORMED);
	snprintf(l, sizeof(l), "SHA512 (x) = %.127sg\n", HEX0);
	cr_assert_eq(with_tail(l), SV_E_MALFORMED);
	snprintf(l, sizeof(l), "SHA512 (x)  = %s\n", HEX0);
	cr_assert_eq(with_tail(l), SV_E_MALFORMED);
	snprintf(l, sizeof(l), " SHA512 (x) = %s\n", HEX0);
	cr_assert_eq(with_tail(l), SV_E_MALFORMED);
	snprintf(l, sizeof(l), "SHA512 (x) %s\n", HEX0);
	cr_assert_eq(with_tail(l), SV_E_MALFORMED);
	snprintf(l, sizeof(l), "SHA512 (x = %s\n", HEX0);
	cr_assert_eq(with_tail(l), SV_E_MALFORMED);
	snprintf(l, sizeof(l), "SHA512 (x)) = %s\n", HEX0);
	cr_assert_eq(with_tail(l), SV_E_MALFORMED);
	/* a base64 digest, which signify would recode */
	cr_assert_eq(
	        with_tail(
	                "SHA512 (x) = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	                "AAAAAAAAAAAAAAAAAAAAAAAAAA==\n"),
	        SV_E_MALFORMED);
	{
		tbuf b = good_list();

		tb_add(&b, "\0", 1); /* a NUL after the last line */
		cr_assert_eq(sv_sumlist_check(b.p, b.len), SV_E_MALFORMED);
	}
}

Test(sumlist, error_names_the_line_and_writes_nothing)
{
	tbuf b = good_list();
	sv_sumlist it;
	sv_sum s, s0;
	bool done = true;
	size_t n = 0;

	tb_str(&b, "SHA256 (x) = 00\n");
	add_line(&b, "after", "x");
	sv_sumlist_init(&it, b.p, b.len);
	for (;;) {
		sv_result r;

		memset(&s, 0x42, sizeof(s));
		s0 = s;
		r = sv_sumlist_next(&it, &s, &done);
		if (r != SV_OK) {
			cr_assert_eq(r, SV_E_ALGORITHM);
			cr_assert_eq(memcmp(&s, &s0, sizeof(s)), 0);
			cr_assert(done == false);
			break;
		}
		cr_assert_not(done);
		n++;
	}
	cr_assert_eq(n, NFILES);
	cr_assert_eq(it.line, NFILES + 1);
}

Test(sumlist, empty_list)
{
	sv_sumlist it;
	sv_sum s;
	bool done = false;
	uint8_t d[SV_SHA512_LEN];

	cr_assert_eq(sv_sumlist_check((const uint8_t *)"", 0), SV_OK);
	cr_assert_eq(sv_sumlist_check(NULL, 0), SV_OK);
	sv_sumlist_init(&it, (const uint8_t *)"", 0);
	cr_assert_eq(sv_sumlist_next(&it, &s, &done), SV_OK);
	cr_assert(done);
	cr_assert_eq(sv_sumlist_find((const uint8_t *)"", 0, "vmlinuz", 7, d), SV_E_NOT_LISTED);
}

/* The embedded list made by the real signify parses and names msg.txt. */
Test(sumlist, list_in_an_embedded_signature)
{
	sv_pubkey k;
	tbuf kf = fixture("key.pub"), e = fixture("SHA512.esig");
	uint8_t d[SV_SHA512_LEN], want[SV_SHA512_LEN];
	tbuf msg = fixture("msg.txt");
	size_t off;

	cr_assert_eq(sv_pubkey_parse(kf.p, kf.len, &k), SV_OK);
	cr_assert_eq(sv_verify_embedded(&k, 1, e.p, e.len, &off), SV_OK);
	cr_assert_eq(sv_sumlist_check(e.p + off, e.len - off), SV_OK);
	cr_assert_eq(sv_sumlist_find(e.p + off, e.len - off, "msg.txt", 7, d), SV_OK);
	sv_sha512(msg.p, msg.len, want);
	cr_assert(sv_ct_equal(d, want, SV_SHA512_LEN));
	cr_assert_eq(sv_sumlist_find(e.p + off, e.len - off, "empty.txt", 9, d), SV_OK);
}
