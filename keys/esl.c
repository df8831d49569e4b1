/*
 * esl.c: EFI_SIGNATURE_LIST reader, SHA-256 list builder and the filter that
 * drops one certificate (esl.h).
 */
#include "esl.h"

#include <string.h>

/* EFI_CERT_X509_GUID a5c059a1-94e4-4aa7-87b5-ab155c2bf072 */
const uint8_t esl_guid_x509[16] = {0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a,
                                   0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72};
/* EFI_CERT_SHA256_GUID c1c41626-504c-4092-aca9-41f936934328 */
const uint8_t esl_guid_sha256[16] = {0x26, 0x16, 0xc4, 0xc1, 0x4c, 0x50, 0x92, 0x40,
                                     0xac, 0xa9, 0x41, 0xf9, 0x36, 0x93, 0x43, 0x28};
/* EFI_CERT_X509_SHA256_GUID 3bd2a492-96c0-4079-b420-fcf98ef103ed */
const uint8_t esl_guid_x509_sha256[16] = {0x92, 0xa4, 0xd2, 0x3b, 0xc0, 0x96, 0x79, 0x40,
                                          0xb4, 0x20, 0xfc, 0xf9, 0x8e, 0xf1, 0x03, 0xed};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

void esl_begin(struct esl_iter *it, const uint8_t *buf, size_t len)
{
	memset(it, 0, sizeof(*it));
	it->buf = buf;
	it->len = len;
}

static int bad(struct esl_iter *it, size_t off, const char *why)
{
	it->why = why;
	it->err_offset = off;
	return -1;
}

int esl_next(struct esl_iter *it, struct esl_entry *e)
{
	const uint8_t *l;
	uint32_t lsize, hsize, ssize;
	size_t room, body;

	if (it->why)
		return -1;
	if (it->in_list == 0) {
		if (it->pos == it->len)
			return 0;
		room = it->len - it->pos;
		if (room < ESL_HDR)
			return bad(it, it->pos, "truncated list header");
		l = it->buf + it->pos;
		lsize = le32(l + 16);
		hsize = le32(l + 20);
		ssize = le32(l + 24);
		if (lsize > room)
			return bad(it, it->pos, "list runs past the end");
		if (ssize <= ESL_OWNER)
			return bad(it, it->pos, "signature size too small");
		if (lsize < ESL_HDR || hsize > lsize - ESL_HDR)
			return bad(it, it->pos, "list size too small");
		body = lsize - ESL_HDR - hsize;
		if (body == 0)
			return bad(it, it->pos, "empty list");
		if (body % ssize)
			return bad(it, it->pos, "list size is not whole entries");
		if (!memcmp(l, esl_guid_sha256, 16) && (hsize != 0 || ssize != ESL_OWNER + 32))
			return bad(it, it->pos, "SHA-256 list with wrong sizes");
		if (!memcmp(l, esl_guid_x509_sha256, 16) &&
		    (hsize != 0 || ssize != ESL_OWNER + 32 + 16))
			return bad(it, it->pos, "X509-SHA256 list with wrong sizes");
		if (!memcmp(l, esl_guid_x509, 16) && hsize != 0)
			return bad(it, it->pos, "X509 list with a header");
		it->in_list = ESL_HDR + hsize;
	}
	l = it->buf + it->pos;
	lsize = le32(l + 16);
	ssize = le32(l + 24);
	e->list = it->list;
	e->offset = it->pos + it->in_list;
	e->type_guid = l;
	e->type = !memcmp(l, esl_guid_x509, 16)          ? ESL_X509
	          : !memcmp(l, esl_guid_sha256, 16)      ? ESL_SHA256
	          : !memcmp(l, esl_guid_x509_sha256, 16) ? ESL_X509_SHA256
	                                                 : ESL_OTHER;
	e->owner = l + it->in_list;
	e->data = e->owner + ESL_OWNER;
	e->size = ssize - ESL_OWNER;
	it->in_list += ssize;
	if (it->in_list == lsize) {
		it->pos += lsize;
		it->in_list = 0;
		it->list++;
	}
	return 1;
}

void esl_guid_str(const uint8_t g[16], char out[37])
{
	static const char hx[] = "0123456789abcdef";
	/* The first three fields are little-endian, the rest bytes in order. */
	static const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
	size_t o = 0;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hx[g[order[i]] >> 4];
		out[o++] = hx[g[order[i]] & 15];
	}
	out[o] = '\0';
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int esl_guid_parse(const char *s, uint8_t g[16])
{
	static const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
	size_t p = 0;

	for (int i = 0; i < 16; i++) {
		int hi, lo;

		if (i == 4 || i == 6 || i == 8 || i == 10) {
			if (s[p] != '-')
				return -1;
			p++;
		}
		hi = nibble(s[p]);
		lo = hi < 0 ? -1 : nibble(s[p + 1]);
		if (lo < 0)
			return -1;
		g[order[i]] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
	return s[p] == '\0' ? 0 : -1;
}

size_t esl_build_sha256(const uint8_t owner[16], const uint8_t (*digests)[32], size_t n,
                        uint8_t *out, size_t cap)
{
	const size_t ssize = ESL_OWNER + 32;
	size_t total;

	if (n == 0 || n > (0xffffffffu - ESL_HDR) / ssize)
		return 0;
	total = ESL_HDR + n * ssize;
	if (total > cap)
		return 0;
	memcpy(out, esl_guid_sha256, 16);
	put32(out + 16, (uint32_t)total);
	put32(out + 20, 0);
	put32(out + 24, (uint32_t)ssize);
	for (size_t i = 0; i < n; i++) {
		memcpy(out + ESL_HDR + i * ssize, owner, ESL_OWNER);
		memcpy(out + ESL_HDR + i * ssize + ESL_OWNER, digests[i], 32);
	}
	return total;
}

/* Close the list begun at out[start] (header of hlen bytes): its ListSize,
 * or nothing of it at all when no entry was kept. */
static size_t close_list(uint8_t *out, size_t start, size_t hlen, size_t o)
{
	if (o == start + hlen)
		return start;
	put32(out + start + 16, (uint32_t)(o - start));
	return o;
}

int esl_without(const uint8_t *buf, size_t len, const uint8_t *der, size_t dlen, uint8_t *out,
                size_t cap, size_t *out_len, size_t *dropped, const char **why, size_t *err_offset)
{
	struct esl_iter it;
	struct esl_entry e;
	size_t o = 0, start = 0, hlen = 0, list = (size_t)-1, n = 0;
	int r;

	/* Malformed input is refused whole, never half copied. */
	esl_begin(&it, buf, len);
	while ((r = esl_next(&it, &e)) == 1)
		;
	if (r < 0) {
		*why = it.why;
		*err_offset = it.err_offset;
		return -1;
	}
	if (cap < len) {
		*why = "output buffer too small";
		*err_offset = 0;
		return -1;
	}
	esl_begin(&it, buf, len);
	while (esl_next(&it, &e) == 1) {
		if (e.list != list) {
			if (list != (size_t)-1)
				o = close_list(out, start, hlen, o);
			list = e.list;
			start = o;
			hlen = ESL_HDR + le32(e.type_guid + 20);
			memcpy(out + o, e.type_guid, hlen);
			o += hlen;
		}
		if (e.type == ESL_X509 && e.size == dlen && !memcmp(e.data, der, dlen)) {
			n++;
			continue;
		}
		memcpy(out + o, e.owner, ESL_OWNER + e.size);
		o += ESL_OWNER + e.size;
	}
	if (list != (size_t)-1)
		o = close_list(out, start, hlen, o);
	*out_len = o;
	*dropped = n;
	return 0;
}
