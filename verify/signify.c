/*
 * signify.c: signify public-key and signature files, detached and embedded
 * signatures checked against a set of trusted keys, and signify checksum
 * lists. The byte-level formats, and every place where we are stricter than
 * OpenBSD signify, are in docs/formats.md.
 *
 * Offsets are compared against what is left (len - off) rather than added, so
 * no length arithmetic can wrap.
 */
#include "sv.h"

#define COMMENT_HDR "untrusted comment: "
#define COMMENT_HDR_LEN 19
#define PKALG_LEN 2

/* Raw lengths of the base64 payloads and of their (padded) encodings. */
#define PUBKEY_RAW (PKALG_LEN + SV_KEYNUM_LEN + 32) /* 42 */
#define SIG_RAW (PKALG_LEN + SV_KEYNUM_LEN + 64)    /* 74 */
#define B64_LEN(n) (((n) + 2) / 3 * 4)

#define SUM_PREFIX "SHA512 ("
#define SUM_PREFIX_LEN 8
#define SUM_MIDDLE ") = "
#define SUM_MIDDLE_LEN 4
#define SUM_HEX_LEN (2 * SV_SHA512_LEN)
#define ALGO_MAX 16 /* longest hash-name token we recognise as one */

static bool bytes_equal(const uint8_t *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i] != (uint8_t)b[i])
			return false;
	}
	return true;
}

static void copy_bytes(uint8_t *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src[i];
}

/*
 * The two lines every key and signature file starts with:
 *   "untrusted comment: " text "\n" base64(raw[rawlen]) "\n"
 * text is 1..SV_COMMENT_MAX-1 bytes with no NUL (signify refuses an empty
 * one too). raw must start with "Ed". On SV_OK, *end is the offset just past
 * the second newline.
 */
static sv_result parse_two_lines(const uint8_t *file, size_t len, uint8_t *raw, size_t rawlen,
                                 size_t *end)
{
	const size_t enclen = B64_LEN(rawlen);
	uint8_t tmp[SIG_RAW];
	size_t nl, b64, got;
	sv_result r;

	if (file == NULL || len < COMMENT_HDR_LEN ||
	    !bytes_equal(file, COMMENT_HDR, COMMENT_HDR_LEN))
		return SV_E_MALFORMED;
	/* Look for the comment's end no further than the cap: a 1 GiB comment
	 * costs no more than a short one. */
	for (nl = COMMENT_HDR_LEN; nl < len && file[nl] != '\n'; nl++) {
		if (file[nl] == '\0' || nl - COMMENT_HDR_LEN >= SV_COMMENT_MAX - 1)
			return SV_E_MALFORMED;
	}
	if (nl == len || nl == COMMENT_HDR_LEN)
		return SV_E_MALFORMED; /* no newline, or an empty comment */

	b64 = nl + 1;
	/* The base64 line has exactly enclen bytes, then "\n". */
	if (len - b64 < enclen + 1 || file[b64 + enclen] != '\n')
		return SV_E_MALFORMED;
	r = sv_base64_decode((const char *)file + b64, enclen, tmp, sizeof(tmp), &got);
	if (r != SV_OK)
		return r == SV_E_BUFFER ? SV_E_MALFORMED : r;
	if (got != rawlen)
		return SV_E_MALFORMED;
	if (tmp[0] != 'E' || tmp[1] != 'd')
		return SV_E_ALGORITHM;
	copy_bytes(raw, tmp, rawlen);
	*end = b64 + enclen + 1;
	return SV_OK;
}

sv_result sv_pubkey_parse(const uint8_t *file, size_t len, sv_pubkey *out)
{
	uint8_t raw[PUBKEY_RAW];
	size_t end;
	sv_result r;

	r = parse_two_lines(file, len, raw, sizeof(raw), &end);
	if (r != SV_OK)
		return r;
	if (end != len)
		return SV_E_MALFORMED; /* a key file is exactly two lines */
	/* Refuse a key that can never verify anything now, not at first use. */
	r = sv_ed25519_check_pubkey(raw + PKALG_LEN + SV_KEYNUM_LEN);
	if (r != SV_OK)
		return r;
	copy_bytes(out->keynum, raw + PKALG_LEN, SV_KEYNUM_LEN);
	copy_bytes(out->key, raw + PKALG_LEN + SV_KEYNUM_LEN, 32);
	return SV_OK;
}

sv_result sv_sig_parse(const uint8_t *file, size_t len, sv_sig *out, size_t *body_off)
{
	uint8_t raw[SIG_RAW];
	size_t end;
	sv_result r;

	r = parse_two_lines(file, len, raw, sizeof(raw), &end);
	if (r != SV_OK)
		return r;
	copy_bytes(out->keynum, raw + PKALG_LEN, SV_KEYNUM_LEN);
	copy_bytes(out->sig, raw + PKALG_LEN + SV_KEYNUM_LEN, 64);
	*body_off = end;
	return SV_OK;
}

sv_result sv_sig_verify(const sv_pubkey *keys, size_t nkeys, const sv_sig *sig, const uint8_t *msg,
                        size_t len)
{
	if (sig == NULL || (msg == NULL && len != 0))
		return SV_E_MALFORMED;
	/* The key number only selects a key; the signature proves the rest.
	 * The first trusted key with that number is the one. */
	for (size_t i = 0; keys != NULL && i < nkeys; i++) {
		if (bytes_equal(keys[i].keynum, (const char *)sig->keynum, SV_KEYNUM_LEN))
			return sv_ed25519_verify(sig->sig, keys[i].key, msg, len);
	}
	return SV_E_UNKNOWN_KEY;
}

sv_result sv_verify_detached(const sv_pubkey *keys, size_t nkeys, const uint8_t *sigfile,
                             size_t siglen, const uint8_t *msg, size_t len)
{
	sv_sig sig;
	size_t end;
	sv_result r;

	r = sv_sig_parse(sigfile, siglen, &sig, &end);
	if (r != SV_OK)
		return r;
	if (end != siglen)
		return SV_E_MALFORMED; /* bytes after a detached signature */
	return sv_sig_verify(keys, nkeys, &sig, msg, len);
}

sv_result sv_verify_embedded(const sv_pubkey *keys, size_t nkeys, const uint8_t *file, size_t len,
                             size_t *msg_off)
{
	sv_sig sig;
	size_t off;
	sv_result r;

	r = sv_sig_parse(file, len, &sig, &off);
	if (r != SV_OK)
		return r;
	r = sv_sig_verify(keys, nkeys, &sig, file + off, len - off);
	if (r != SV_OK)
		return r;
	*msg_off = off;
	return SV_OK;
}

/* ---- checksum lists ------------------------------------------------------ */

static int hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1; /* upper case too: one spelling per digest */
}

/* A plain file name: what the loader may open inside its own folder. */
static sv_result check_name(const uint8_t *name, size_t n)
{
	if (n == 0 || n > SV_NAME_MAX)
		return SV_E_BAD_NAME;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = name[i];

		if (c <= ' ' || c == 0x7f || c == '/' || c == '\\')
			return SV_E_BAD_NAME;
		if (c == '.' && i + 1 < n && name[i + 1] == '.')
			return SV_E_BAD_NAME;
	}
	if (n == 1 && name[0] == '.')
		return SV_E_BAD_NAME;
	return SV_OK;
}

/* Tells "names another hash" (SV_E_ALGORITHM) from plain garbage: a line
 * that starts with an upper-case token such as "SHA256" or "MD5", then " (". */
static bool other_algorithm(const uint8_t *p, size_t left)
{
	size_t i;

	for (i = 0; i < left && i <= ALGO_MAX; i++) {
		uint8_t c = p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '/'))
			break;
	}
	return i > 0 && left - i >= 2 && p[i] == ' ' && p[i + 1] == '(';
}

void sv_sumlist_init(sv_sumlist *it, const uint8_t *list, size_t len)
{
	it->p = list;
	it->len = list == NULL ? 0 : len;
	it->off = 0;
	it->line = 0;
}

/*
 * One line: "SHA512 (" name ") = " hex[128] "\n". The name ends at the first
 * ')', as in signify's sscanf("%[^)]"), so a name can never contain one.
 * On failure it->line names the offending line; it->off does not move.
 */
sv_result sv_sumlist_next(sv_sumlist *it, sv_sum *out, bool *done)
{
	const uint8_t *p;
	size_t left, name_len, hex;
	uint8_t digest[SV_SHA512_LEN];
	sv_result r;

	if (it->off >= it->len) { /* >=: a corrupted iterator ends, never underflows */
		*done = true;
		return SV_OK;
	}
	it->line++;
	p = it->p + it->off;
	left = it->len - it->off;

	if (left < SUM_PREFIX_LEN || !bytes_equal(p, SUM_PREFIX, SUM_PREFIX_LEN))
		return other_algorithm(p, left) ? SV_E_ALGORITHM : SV_E_MALFORMED;
	for (name_len = 0; SUM_PREFIX_LEN + name_len < left; name_len++) {
		uint8_t c = p[SUM_PREFIX_LEN + name_len];

		if (c == ')' || c == '\n')
			break;
		if (name_len > SV_NAME_MAX)
			return SV_E_BAD_NAME; /* stop scanning an endless name */
	}
	hex = SUM_PREFIX_LEN + name_len + SUM_MIDDLE_LEN;
	if (left - SUM_PREFIX_LEN - name_len < SUM_MIDDLE_LEN + SUM_HEX_LEN + 1 ||
	    !bytes_equal(p + SUM_PREFIX_LEN + name_len, SUM_MIDDLE, SUM_MIDDLE_LEN) ||
	    p[hex + SUM_HEX_LEN] != '\n')
		return SV_E_MALFORMED;
	r = check_name(p + SUM_PREFIX_LEN, name_len);
	if (r != SV_OK)
		return r;
	for (size_t i = 0; i < SV_SHA512_LEN; i++) {
		int hi = hex_value(p[hex + 2 * i]), lo = hex_value(p[hex + 2 * i + 1]);

		if (hi < 0 || lo < 0)
			return SV_E_MALFORMED;
		digest[i] = (uint8_t)(hi << 4 | lo);
	}

	out->name = (const char *)p + SUM_PREFIX_LEN;
	out->name_len = name_len;
	copy_bytes(out->digest, digest, SV_SHA512_LEN);
	it->off += hex + SUM_HEX_LEN + 1;
	*done = false;
	return SV_OK;
}

static bool same_name(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && bytes_equal((const uint8_t *)a, b, alen);
}

sv_result sv_sumlist_check(const uint8_t *list, size_t len)
{
	sv_sumlist it, prev;
	sv_sum cur, old;
	bool done;
	size_t start;
	sv_result r;

	sv_sumlist_init(&it, list, len);
	for (;;) {
		start = it.off;
		r = sv_sumlist_next(&it, &cur, &done);
		if (r != SV_OK || done)
			return r;
		/* Compare with every earlier line. Quadratic, but the list is
		 * signed and short, and this needs no allocation. */
		sv_sumlist_init(&prev, list, start);
		for (;;) {
			r = sv_sumlist_next(&prev, &old, &done);
			if (r != SV_OK)
				return r;
			if (done)
				break;
			if (same_name(old.name, old.name_len, cur.name, cur.name_len))
				return SV_E_DUPLICATE;
		}
	}
}

sv_result sv_sumlist_find(const uint8_t *list, size_t len, const char *name, size_t name_len,
                          uint8_t digest[SV_SHA512_LEN])
{
	sv_sumlist it;
	sv_sum cur;
	bool done;
	sv_result r;

	if (name == NULL)
		return SV_E_BAD_NAME;
	r = check_name((const uint8_t *)name, name_len);
	if (r != SV_OK)
		return r;
	/* Whole-list check first: a match is never taken from a list that has
	 * a bad line or a duplicate further down. */
	r = sv_sumlist_check(list, len);
	if (r != SV_OK)
		return r;
	sv_sumlist_init(&it, list, len);
	for (;;) {
		r = sv_sumlist_next(&it, &cur, &done);
		if (r != SV_OK)
			return r;
		if (done)
			return SV_E_NOT_LISTED;
		if (same_name(cur.name, cur.name_len, name, name_len)) {
			copy_bytes(digest, cur.digest, SV_SHA512_LEN);
			return SV_OK;
		}
	}
}
