/* loadopt.c: EFI_LOAD_OPTION and BootOrder (loadopt.h; UEFI 2.10, 3.1.3 and 10.3). */
#include "loadopt.h"

#include <string.h>

#define DP_MEDIA 0x04
#define DP_MEDIA_HD 0x01
#define DP_MEDIA_FILE 0x04
#define DP_END 0x7f
#define DP_END_ENTIRE 0xff
#define HD_NODE_LEN 42
#define HD_MBR_GPT 0x02
#define HD_SIG_GUID 0x02

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

int lo_encode(uint32_t attrs, const char *desc, const struct lo_hd *hd, const char *path,
              uint8_t *out, size_t cap, size_t *len, const char **why)
{
	size_t dl = strlen(desc), pl = strlen(path), off = 0, fp;

	if (!printable(desc) || !printable(path)) {
		*why = "description or path is not printable ASCII";
		return -1;
	}
	if (dl > LO_DESC_MAX || pl > LO_PATH_MAX || pl == 0) {
		*why = "description or path too long, or path empty";
		return -1;
	}
	fp = HD_NODE_LEN + 4 + 2 * (pl + 1) + 4;
	if (6 + 2 * (dl + 1) + fp > cap) {
		*why = "output buffer too small";
		return -1;
	}
	put32(out, attrs);
	put16(out + 4, (uint16_t)fp);
	off = 6;
	for (size_t i = 0; i <= dl; i++, off += 2)
		put16(out + off, (uint8_t)desc[i]);
	out[off] = DP_MEDIA;
	out[off + 1] = DP_MEDIA_HD;
	put16(out + off + 2, HD_NODE_LEN);
	put32(out + off + 4, hd->part);
	put64(out + off + 8, hd->start);
	put64(out + off + 16, hd->size);
	memcpy(out + off + 24, hd->guid, 16);
	out[off + 40] = HD_MBR_GPT;
	out[off + 41] = HD_SIG_GUID;
	off += HD_NODE_LEN;
	out[off] = DP_MEDIA;
	out[off + 1] = DP_MEDIA_FILE;
	put16(out + off + 2, (uint16_t)(4 + 2 * (pl + 1)));
	off += 4;
	for (size_t i = 0; i <= pl; i++, off += 2)
		put16(out + off, (uint8_t)path[i]);
	out[off] = DP_END;
	out[off + 1] = DP_END_ENTIRE;
	put16(out + off + 2, 4);
	off += 4;
	*len = off;
	return 0;
}

/* UTF-16LE units up to a NUL, at most n units, into ASCII (cap with NUL);
 * characters past cap are dropped. Returns the units read including the
 * NUL, or 0 if there is no NUL within n. */
static size_t utf16_ascii(const uint8_t *p, size_t n, char *out, size_t cap, size_t *olen)
{
	for (size_t i = 0; i < n; i++) {
		uint16_t u = get16(p + 2 * i);

		if (u == 0) {
			out[*olen] = 0;
			return i + 1;
		}
		if (*olen + 1 < cap)
			out[(*olen)++] = (u >= 0x20 && u <= 0x7e) ? (char)u : '?';
	}
	return 0;
}

int lo_decode(const uint8_t *p, size_t len, struct lo_option *out, const char **why)
{
	size_t off, units, fplen, end, dlen = 0, plen = 0;

	memset(out, 0, sizeof(*out));
	if (len < 6) {
		*why = "shorter than its header";
		return -1;
	}
	out->attrs = get32(p);
	fplen = get16(p + 4);
	units = utf16_ascii(p + 6, (len - 6) / 2, out->desc, sizeof(out->desc), &dlen);
	if (!units) {
		*why = "description not NUL-terminated";
		return -1;
	}
	off = 6 + 2 * units;
	if (fplen > len - off) {
		*why = "device path longer than the option";
		return -1;
	}
	end = off + fplen;
	for (;;) {
		uint8_t type, sub;
		uint16_t nl;

		if (end - off < 4) {
			*why = "device path without an end node";
			return -1;
		}
		type = p[off];
		sub = p[off + 1];
		nl = get16(p + off + 2);
		if (nl < 4 || nl > end - off) {
			*why = "device path node length out of bounds";
			return -1;
		}
		if (type == DP_END)
			break; /* the first instance is the one firmware boots */
		if (type == DP_MEDIA && sub == DP_MEDIA_HD && nl == HD_NODE_LEN &&
		    p[off + 40] == HD_MBR_GPT && p[off + 41] == HD_SIG_GUID && !out->has_hd) {
			out->has_hd = true;
			out->hd.part = get32(p + off + 4);
			out->hd.start = get64(p + off + 8);
			out->hd.size = get64(p + off + 16);
			memcpy(out->hd.guid, p + off + 24, 16);
		} else if (type == DP_MEDIA && sub == DP_MEDIA_FILE) {
			size_t n = (nl - 4) / 2;

			/* A File() node's text may stop at its NUL or at its end. */
			if (plen > 0 && plen + 1 < sizeof(out->path) && out->path[plen - 1] != '\\')
				out->path[plen++] = '\\';
			for (size_t i = 0; i < n; i++) {
				uint16_t u = get16(p + off + 4 + 2 * i);

				if (u == 0)
					break;
				if (plen + 1 < sizeof(out->path))
					out->path[plen++] =
					        (u >= 0x20 && u <= 0x7e) ? (char)u : '?';
			}
			out->path[plen] = 0;
			out->has_path = true;
		}
		off += nl;
	}
	out->optional_len = len - end;
	return 0;
}

static char fold(char c)
{
	if (c == '/')
		return '\\';
	if (c >= 'A' && c <= 'Z')
		return (char)(c - 'A' + 'a');
	return c;
}

bool lo_matches(const struct lo_option *o, const uint8_t guid[16], const char *path)
{
	const char *a = o->path, *b = path;

	if (!o->has_hd || !o->has_path || memcmp(o->hd.guid, guid, 16) != 0)
		return false;
	for (; *a && *b; a++, b++)
		if (fold(*a) != fold(*b))
			return false;
	return *a == 0 && *b == 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Text order of the 16 bytes, as indexes into the EFI layout. */
static const uint8_t guid_order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};

int lo_guid_parse(const char *s, uint8_t out[16])
{
	uint8_t g[16];
	size_t k = 0;

	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -1;
			continue;
		}
		int hi = hexval(s[i]), lo;

		if (hi < 0)
			return -1;
		lo = hexval(s[++i]);
		if (lo < 0)
			return -1;
		g[guid_order[k++]] = (uint8_t)(hi << 4 | lo);
	}
	if (s[36] != 0)
		return -1;
	memcpy(out, g, 16);
	return 0;
}

void lo_guid_format(const uint8_t g[16], char out[37])
{
	static const char hx[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t k = 0; k < 16; k++) {
		if (k == 4 || k == 6 || k == 8 || k == 10)
			out[o++] = '-';
		out[o++] = hx[g[guid_order[k]] >> 4];
		out[o++] = hx[g[guid_order[k]] & 15];
	}
	out[o] = 0;
}

size_t lo_order_first(const uint16_t *in, size_t n, uint16_t num, uint16_t *out, size_t cap)
{
	size_t m = 0;

	if (cap == 0)
		return 0;
	out[m++] = num;
	for (size_t i = 0; i < n && m < cap; i++)
		if (in[i] != num)
			out[m++] = in[i];
	return m;
}

size_t lo_order_remove(const uint16_t *in, size_t n, uint16_t num, uint16_t *out, size_t cap)
{
	size_t m = 0;

	for (size_t i = 0; i < n && m < cap; i++)
		if (in[i] != num)
			out[m++] = in[i];
	return m;
}

long lo_order_index(const uint16_t *in, size_t n, uint16_t num)
{
	for (size_t i = 0; i < n; i++)
		if (in[i] == num)
			return (long)i;
	return -1;
}

int lo_order_decode(const uint8_t *p, size_t len, uint16_t *out, size_t cap, size_t *n)
{
	if (len % 2 || len / 2 > cap)
		return -1;
	for (size_t i = 0; i < len / 2; i++)
		out[i] = get16(p + 2 * i);
	*n = len / 2;
	return 0;
}

void lo_order_encode(const uint16_t *in, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++)
		put16(out + 2 * i, in[i]);
}

long lo_boot_number(const char *name, size_t len)
{
	long v = 0;

	if (len != 8 || memcmp(name, "Boot", 4) != 0)
		return -1;
	for (size_t i = 4; i < 8; i++) {
		char c = name[i];

		if (c >= '0' && c <= '9')
			v = v * 16 + (c - '0');
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (c - 'A' + 10);
		else
			return -1;
	}
	return v;
}
