/* loaderkeys.c: the .spkeys reader (loaderkeys.h; format in docs/boot.md). */
#include "loaderkeys.h"

#include <string.h>

static uint32_t le16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
	return le16(p) | le16(p + 2) << 16;
}

static int no(const char **why, const char *what)
{
	*why = what;
	return -1;
}

int lk_find_section(const uint8_t *pe, size_t len, const char *name, const uint8_t **data,
                    size_t *size, const char **why)
{
	size_t nlen = strlen(name), coff, table, nsect, optsize;

	if (nlen == 0 || nlen > 8)
		return no(why, "bad section name");
	if (len < 0x40 || pe[0] != 'M' || pe[1] != 'Z')
		return no(why, "not a PE image (no MZ header)");
	coff = le32(pe + 0x3c);
	/* "PE\0\0" and the 20-byte COFF header. */
	if (coff > len || len - coff < 24 || memcmp(pe + coff, "PE\0\0", 4))
		return no(why, "not a PE image (no PE signature)");
	if (le16(pe + coff + 4) != 0x8664)
		return no(why, "not an x86-64 image");
	nsect = le16(pe + coff + 6);
	optsize = le16(pe + coff + 20);
	table = coff + 24 + optsize; /* < 2^32 + 2^17: no overflow in size_t */
	if (table > len || (len - table) / 40 < nsect)
		return no(why, "section table past the end of the file");
	for (size_t i = 0; i < nsect; i++) {
		const uint8_t *s = pe + table + 40 * i;
		size_t vsize = le32(s + 8), rsize = le32(s + 16), raw = le32(s + 20);

		if (memcmp(s, name, nlen) || (nlen < 8 && s[nlen] != 0))
			continue;
		if (raw > len || len - raw < rsize)
			return no(why, "section data past the end of the file");
		/* The raw data is padded to the file alignment; VirtualSize is
		 * what the linker put there. */
		*data = pe + raw;
		*size = vsize < rsize ? vsize : rsize;
		return 0;
	}
	return no(why, "no such section");
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* n hex digits at p into out[n / 2]; false on any other byte. */
static int unhex(const uint8_t *p, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i += 2) {
		int hi = hexval(p[i]), lo = hexval(p[i + 1]);

		if (hi < 0 || lo < 0)
			return 0;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return 1;
}

int lk_parse_marker(const uint8_t *p, size_t len, struct lk_key keys[LK_MAX_KEYS], size_t *n,
                    const char **why)
{
	static const char head[] = "spineboot-keys 1\n";
	const size_t hlen = sizeof(head) - 1, llen = 16 + 1 + 64 + 1;
	struct lk_key got[LK_MAX_KEYS];
	size_t i, count = 0;

	if (len < hlen || memcmp(p, head, hlen))
		return no(why, "no 'spineboot-keys 1' header");
	for (i = hlen; i < len && p[i]; i += llen) {
		if (len - i < llen || p[i + 16] != ' ' || p[i + llen - 1] != '\n')
			return no(why, "malformed key line");
		if (count == LK_MAX_KEYS)
			return no(why, "too many keys");
		if (!unhex(p + i, 16, got[count].keynum) || !unhex(p + i + 17, 64, got[count].key))
			return no(why, "malformed key line");
		count++;
	}
	for (; i < len; i++)
		if (p[i])
			return no(why, "bytes after the key lines");
	if (count == 0)
		return no(why, "no key");
	memcpy(keys, got, count * sizeof(got[0]));
	*n = count;
	return 0;
}
