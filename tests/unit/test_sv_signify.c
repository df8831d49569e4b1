/*
 * test_sv_signify.c: signify key and signature files, detached and embedded
 * signatures, trusted key sets (docs/formats.md). Good cases use files made
 * by the real signify-openbsd (tests/data/signify/regen.sh).
 */
#include "sv_test_util.h"

#define PUB_RAW 42
#define SIG_RAW 74

static sv_pubkey load_key(const char *name)
{
	tbuf f = fixture(name);
	sv_pubkey k;

	cr_assert_eq(sv_pubkey_parse(f.p, f.len, &k), SV_OK, "%s", name);
	tb_free(&f);
	return k;
}

static sv_result detached(const sv_pubkey *keys, size_t n, const tbuf *sig, const tbuf *msg)
{
	return sv_verify_detached(keys, n, sig->p, sig->len, msg->p, msg->len);
}

/* Parse results with a sentinel check: nothing written unless SV_OK. */
static sv_result pub_result(const tbuf *f)
{
	sv_pubkey k, k0;
	sv_result r;

	memset(&k, 0x3c, sizeof(k));
	k0 = k;
	r = sv_pubkey_parse(f->p, f->len, &k);
	if (r != SV_OK)
		cr_assert_eq(memcmp(&k, &k0, sizeof(k)), 0, "pubkey written on failure");
	return r;
}

static sv_result sig_result(const tbuf *f)
{
	sv_sig s, s0;
	size_t off = 12345;
	sv_result r;

	memset(&s, 0x3c, sizeof(s));
	s0 = s;
	r = sv_sig_parse(f->p, f->len, &s, &off);
	if (r != SV_OK) {
		cr_assert_eq(memcmp(&s, &s0, sizeof(s)), 0, "sig written on failure");
		cr_assert_eq(off, 12345, "body_off written on failure");
	}
	return r;
}

/* S + L, little-endian, in place (S < L < 2^253, so it never carries out). */
static void add_l(uint8_t s[32])
{
	static const uint8_t L[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
	                              0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
	                              0,    0,    0,    0,    0,    0,    0,    0,
	                              0,    0,    0,    0,    0,    0,    0,    0x10};
	unsigned c = 0;

	for (int i = 0; i < 32; i++) {
		c += (unsigned)s[i] + L[i];
		s[i] = (uint8_t)c;
		c >>= 8;
	}
	cr_assert_eq(c, 0);
}

Test(signify, fixtures_from_real_signify_verify)
{
	sv_pubkey k = load_key("key.pub");
	tbuf sig = fixture("msg.txt.sig"), msg = fixture("msg.txt");
	tbuf esig = fixture("empty.txt.sig"), empty = fixture("empty.txt");

	cr_assert_eq(detached(&k, 1, &sig, &msg), SV_OK);
	cr_assert_eq(detached(&k, 1, &esig, &empty), SV_OK);
	cr_assert_eq(empty.len, 0);
}

Test(signify, embedded_message_is_everything_after_line_two)
{
	sv_pubkey k = load_key("key.pub");
	tbuf e = fixture("msg.txt.esig"), msg = fixture("msg.txt"), sig = fixture("msg.txt.sig");
	size_t off = 0;

	cr_assert_eq(sv_verify_embedded(&k, 1, e.p, e.len, &off), SV_OK);
	cr_assert_eq(off, sig.len, "the two lines are the detached signature");
	cr_assert_eq(e.len - off, msg.len);
	cr_assert_eq(memcmp(e.p + off, msg.p, msg.len), 0);
}

Test(signify, each_message_byte_flipped)
{
	sv_pubkey k = load_key("key.pub");
	tbuf sig = fixture("msg.txt.sig"), msg = fixture("msg.txt");

	for (size_t i = 0; i < msg.len; i++) {
		msg.p[i] ^= 0x01;
		cr_assert_eq(detached(&k, 1, &sig, &msg), SV_E_BAD_SIGNATURE, "byte %zu", i);
		msg.p[i] ^= 0x01;
	}
	/* one byte more or less */
	msg.len--;
	cr_assert_eq(detached(&k, 1, &sig, &msg), SV_E_BAD_SIGNATURE);
	tb_add(&msg, "\n\n", 2);
	cr_assert_eq(detached(&k, 1, &sig, &msg), SV_E_BAD_SIGNATURE);
}

Test(signify, embedded_message_tampered)
{
	sv_pubkey k = load_key("key.pub");
	tbuf e = fixture("msg.txt.esig");
	size_t off = 777;

	e.p[e.len - 2] ^= 0x20;
	cr_assert_eq(sv_verify_embedded(&k, 1, e.p, e.len, &off), SV_E_BAD_SIGNATURE);
	cr_assert_eq(off, 777, "msg_off written on failure");
}

Test(signify, each_signature_bit_flipped)
{
	sv_pubkey k = load_key("key.pub");
	tbuf msg = fixture("msg.txt");
	uint8_t raw[SIG_RAW];

	cr_assert_eq(fixture_raw("msg.txt.sig", raw, sizeof(raw)), SIG_RAW);
	for (size_t bit = 0; bit < 64 * 8; bit++) {
		tbuf f;

		raw[10 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		f = signify_file("verify with key.pub", raw, sizeof(raw));
		cr_assert_eq(sv_verify_detached(&k, 1, f.p, f.len, msg.p, msg.len),
		             SV_E_BAD_SIGNATURE, "bit %zu", bit);
		tb_free(&f);
		raw[10 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
}

/* signify's own Ed25519 reduces S and so may take S + L; we refuse it. */
Test(signify, s_plus_l_refused)
{
	sv_pubkey k = load_key("key.pub");
	tbuf msg = fixture("msg.txt"), f;
	uint8_t raw[SIG_RAW];

	cr_assert_eq(fixture_raw("msg.txt.sig", raw, sizeof(raw)), SIG_RAW);
	add_l(raw + 10 + 32);
	f = signify_file("verify with key.pub", raw, sizeof(raw));
	cr_assert_eq(sv_verify_detached(&k, 1, f.p, f.len, msg.p, msg.len), SV_E_BAD_SIGNATURE);
}

Test(signify, wrong_key_number)
{
	sv_pubkey k1 = load_key("key.pub"), k2 = load_key("key2.pub");
	sv_pubkey both[2] = {k1, k2}, rev[2] = {k2, k1};
	tbuf sig2 = fixture("msg.txt.key2.sig"), sig1 = fixture("msg.txt.sig");
	tbuf msg = fixture("msg.txt");

	cr_assert_neq(memcmp(k1.keynum, k2.keynum, SV_KEYNUM_LEN), 0);
	cr_assert_eq(detached(&k1, 1, &sig2, &msg), SV_E_UNKNOWN_KEY);
	cr_assert_eq(detached(&k2, 1, &sig1, &msg), SV_E_UNKNOWN_KEY);
	cr_assert_eq(detached(NULL, 0, &sig1, &msg), SV_E_UNKNOWN_KEY);
	cr_assert_eq(detached(both, 0, &sig1, &msg), SV_E_UNKNOWN_KEY);
	/* In a set, the key number picks the key, in any order. */
	cr_assert_eq(detached(both, 2, &sig1, &msg), SV_OK);
	cr_assert_eq(detached(both, 2, &sig2, &msg), SV_OK);
	cr_assert_eq(detached(rev, 2, &sig1, &msg), SV_OK);
	cr_assert_eq(detached(rev, 2, &sig2, &msg), SV_OK);
}

/* A signature relabelled with another key's number is a bad signature
 * against that key, not a pass. */
Test(signify, key_number_forged)
{
	sv_pubkey k1 = load_key("key.pub");
	tbuf msg = fixture("msg.txt"), f;
	uint8_t raw[SIG_RAW];

	cr_assert_eq(fixture_raw("msg.txt.key2.sig", raw, sizeof(raw)), SIG_RAW);
	memcpy(raw + 2, k1.keynum, SV_KEYNUM_LEN);
	f = signify_file("verify with key.pub", raw, sizeof(raw));
	cr_assert_eq(sv_verify_detached(&k1, 1, f.p, f.len, msg.p, msg.len), SV_E_BAD_SIGNATURE);
}

Test(signify, wrong_algorithm_bytes)
{
	static const char *algs[] = {"Eb", "ed", "BK", "ED", "\0\0"};
	uint8_t pub[PUB_RAW], sig[SIG_RAW];

	cr_assert_eq(fixture_raw("key.pub", pub, sizeof(pub)), PUB_RAW);
	cr_assert_eq(fixture_raw("msg.txt.sig", sig, sizeof(sig)), SIG_RAW);
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		tbuf a, b;

		memcpy(pub, algs[i], 2);
		memcpy(sig, algs[i], 2);
		a = signify_file("k", pub, sizeof(pub));
		b = signify_file("s", sig, sizeof(sig));
		cr_assert_eq(pub_result(&a), SV_E_ALGORITHM, "%zu", i);
		cr_assert_eq(sig_result(&b), SV_E_ALGORITHM, "%zu", i);
		tb_free(&a);
		tb_free(&b);
	}
}

Test(signify, payload_length_wrong)
{
	uint8_t raw[SIG_RAW + 3];

	cr_assert_eq(fixture_raw("msg.txt.sig", raw, sizeof(raw)), SIG_RAW);
	raw[74] = raw[75] = raw[76] = 0;
	/* a signature where a key belongs and the reverse; one byte short/long */
	for (size_t n = 40; n <= SIG_RAW + 2; n++) {
		tbuf f = signify_file("x", raw, n);

		if (n != PUB_RAW)
			cr_assert_eq(pub_result(&f), SV_E_MALFORMED, "pub of %zu bytes", n);
		if (n != SIG_RAW)
			cr_assert_eq(sig_result(&f), SV_E_MALFORMED, "sig of %zu bytes", n);
		tb_free(&f);
	}
}

Test(signify, base64_line_truncated_overlong_or_loose)
{
	tbuf good = fixture("msg.txt.sig");
	uint8_t *l2 = (uint8_t *)memchr(good.p, '\n', good.len) + 1;
	size_t c1 = (size_t)(l2 - good.p); /* comment line length */
	static const struct {
		const char *pre;
		size_t take;
		const char *post;
	} v[] = {
	        {"", 99, "\n"},      /* one character short */
	        {"", 96, "\n"},      /* one quantum short */
	        {"", 100, "AAAA\n"}, /* one quantum long */
	        {" ", 100, "\n"},    /* leading space */
	        {"", 100, " \n"},    /* trailing space */
	        {"", 100, "\r\n"},   /* CRLF */
	        {"", 98, "\n"},      /* padding dropped */
	        {"", 0, "\n"},       /* empty line */
	};

	cr_assert_eq(good.p[c1 + 100], '\n');
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		tbuf f = {0};

		tb_add(&f, good.p, c1);
		tb_str(&f, v[i].pre);
		tb_add(&f, l2, v[i].take);
		tb_str(&f, v[i].post);
		cr_assert_eq(sig_result(&f), SV_E_MALFORMED, "variant %zu", i);
		tb_free(&f);
	}
	/* wrapped over two lines */
	{
		tbuf f = {0};

		tb_add(&f, good.p, c1);
		tb_add(&f, l2, 50);
		tb_str(&f, "\n");
		tb_add(&f, l2 + 50, 50);
		tb_str(&f, "\n");
		cr_assert_eq(sig_result(&f), SV_E_MALFORMED);
	}
	/* non-zero unused bits: the last data character before '=' */
	{
		tbuf f = {0};

		tb_add(&f, good.p, good.len);
		cr_assert_eq(f.p[c1 + 99], '=');
		f.p[c1 + 98] = f.p[c1 + 98] == 'A' ? 'B' : (uint8_t)(f.p[c1 + 98] ^ 1);
		cr_assert_eq(sig_result(&f), SV_E_MALFORMED);
	}
}

Test(signify, missing_newlines)
{
	tbuf good = fixture("msg.txt.sig"), f = {0};

	tb_add(&f, good.p, good.len - 1); /* no final newline */
	cr_assert_eq(sig_result(&f), SV_E_MALFORMED);
	tb_free(&f);
	/* every proper prefix fails, and none is read past */
	for (size_t n = 0; n < good.len; n++) {
		uint8_t *p = malloc(n ? n : 1);

		memcpy(p, good.p, n);
		{
			tbuf t = {p, n};

			cr_assert_eq(sig_result(&t), SV_E_MALFORMED, "prefix %zu", n);
		}
		free(p);
	}
	{
		tbuf k = fixture("key.pub");

		k.len--;
		cr_assert_eq(pub_result(&k), SV_E_MALFORMED);
	}
}

Test(signify, comment_prefix_missing_or_altered)
{
	uint8_t raw[SIG_RAW];
	static const char *heads[] = {
	        "",
	        "\n",
	        "untrusted comment:x\n",
	        "untrusted comment:\n",
	        "Untrusted comment: x\n",
	        "untrusted  comment: x\n",
	        " untrusted comment: x\n",
	        "trusted comment: x\n",
	        "untrusted comment: \n", /* signify refuses an empty comment */
	        "untrusted comment: x\r\n\n",
	};

	cr_assert_eq(fixture_raw("msg.txt.sig", raw, sizeof(raw)), SIG_RAW);
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		tbuf s = signify_file("x", raw, sizeof(raw)), f = {0};
		char *nl = memchr(s.p, '\n', s.len);

		tb_str(&f, heads[i]);
		tb_add(&f, nl + 1, s.len - (size_t)((uint8_t *)nl + 1 - s.p));
		cr_assert_eq(sig_result(&f), SV_E_MALFORMED, "head %zu", i);
		tb_free(&f);
		tb_free(&s);
	}
	/* Without the header line at all: just the base64 line. */
	{
		tbuf s = fixture("msg.txt.sig");
		char *nl = memchr(s.p, '\n', s.len);
		tbuf t = {(uint8_t *)nl + 1, s.len - (size_t)((uint8_t *)nl + 1 - s.p)};

		cr_assert_eq(sig_result(&t), SV_E_MALFORMED);
	}
}

Test(signify, comment_length_limit)
{
	uint8_t raw[SIG_RAW];
	char c[1100];
	tbuf f;

	cr_assert_eq(fixture_raw("msg.txt.sig", raw, sizeof(raw)), SIG_RAW);
	memset(c, 'c', sizeof(c));
	c[SV_COMMENT_MAX - 1] = 0; /* 1023 bytes: the longest signify takes */
	f = signify_file(c, raw, sizeof(raw));
	cr_assert_eq(sig_result(&f), SV_OK);
	tb_free(&f);
	c[SV_COMMENT_MAX - 1] = 'c';
	c[SV_COMMENT_MAX] = 0; /* 1024 */
	f = signify_file(c, raw, sizeof(raw));
	cr_assert_eq(sig_result(&f), SV_E_MALFORMED);
	tb_free(&f);
}

Test(signify, comment_of_one_mebibyte)
{
	uint8_t raw[SIG_RAW], pub[PUB_RAW];
	char *c = malloc((1 << 20) + 1);
	sv_pubkey k = load_key("key.pub");
	size_t off = 5;
	tbuf f;

	cr_assert_eq(fixture_raw("msg.txt.sig", raw, sizeof(raw)), SIG_RAW);
	cr_assert_eq(fixture_raw("key.pub", pub, sizeof(pub)), PUB_RAW);
	memset(c, 'c', 1 << 20);
	c[1 << 20] = 0;
	f = signify_file(c, raw, sizeof(raw));
	cr_assert_eq(sig_result(&f), SV_E_MALFORMED);
	cr_assert_eq(sv_verify_embedded(&k, 1, f.p, f.len, &off), SV_E_MALFORMED);
	cr_assert_eq(off, 5);
	tb_free(&f);
	f = signify_file(c, pub, sizeof(pub));
	cr_assert_eq(pub_result(&f), SV_E_MALFORMED);
	tb_free(&f);
	free(c);
}

Test(signify, nul_in_comment)
{
	tbuf s = fixture("msg.txt.sig");

	s.p[22] = 0;
	cr_assert_eq(sig_result(&s), SV_E_MALFORMED);
}

Test(signify, empty_files)
{
	tbuf e = fixture("empty.txt");
	sv_pubkey k = load_key("key.pub");
	size_t off;

	cr_assert_eq(pub_result(&e), SV_E_MALFORMED);
	cr_assert_eq(sig_result(&e), SV_E_MALFORMED);
	cr_assert_eq(sv_verify_detached(&k, 1, e.p, 0, e.p, 0), SV_E_MALFORMED);
	cr_assert_eq(sv_verify_embedded(&k, 1, e.p, 0, &off), SV_E_MALFORMED);
	cr_assert_eq(sv_pubkey_parse(NULL, 0, &k), SV_E_MALFORMED);
}

Test(signify, trailing_garbage)
{
	tbuf k = fixture("key.pub"), s = fixture("msg.txt.sig"), msg = fixture("msg.txt");
	sv_pubkey key = load_key("key.pub");
	sv_sig sig;
	size_t off;

	tb_str(&k, "x");
	cr_assert_eq(pub_result(&k), SV_E_MALFORMED);
	tb_str(&s, "\n");
	/* the two lines still parse; a detached signature must end there */
	cr_assert_eq(sv_sig_parse(s.p, s.len, &sig, &off), SV_OK);
	cr_assert_eq(off, s.len - 1);
	cr_assert_eq(detached(&key, 1, &s, &msg), SV_E_MALFORMED);
}

Test(signify, crlf_files)
{
	tbuf k = fixture("key.pub"), f = {0};

	for (size_t i = 0; i < k.len; i++) {
		if (k.p[i] == '\n')
			tb_str(&f, "\r");
		tb_add(&f, k.p + i, 1);
	}
	cr_assert_eq(pub_result(&f), SV_E_MALFORMED);
}

/* A key that is the identity point (small order) can never be trusted. */
Test(signify, small_order_key_refused)
{
	uint8_t raw[PUB_RAW];
	tbuf f;

	cr_assert_eq(fixture_raw("key.pub", raw, sizeof(raw)), PUB_RAW);
	memset(raw + 10, 0, 32);
	raw[10] = 1;
	f = signify_file("identity", raw, sizeof(raw));
	cr_assert_eq(pub_result(&f), SV_E_BAD_KEY);
}

Test(signify, null_message_pointer)
{
	sv_pubkey k = load_key("key.pub");
	tbuf sig = fixture("empty.txt.sig");
	sv_sig s;
	size_t off;

	cr_assert_eq(sv_sig_parse(sig.p, sig.len, &s, &off), SV_OK);
	cr_assert_eq(sv_sig_verify(&k, 1, &s, NULL, 0), SV_OK);
	cr_assert_eq(sv_sig_verify(&k, 1, &s, NULL, 1), SV_E_MALFORMED);
}
