/* The .spkeys reader (image/loaderkeys.c): a loader's trusted keys, read
 * from a PE32+ built here byte by byte, and every way the bytes can lie. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "loaderkeys.h"

static uint8_t img[4096];
static size_t img_len;

#define K1 "51cf87c37aa9498f 80258d3a5e62c3a5bccf586d3566dd6367df2a01414ce0cf24c4d18b5ed45ec7\n"
#define K2 "00112233445566ff 0000000000000000000000000000000000000000000000000000000000000001\n"

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* MZ, PE at 0x80, COFF (x86-64, two sections), a 240-byte optional header,
 * then .text and a section named sname holding data (raw size 2048,
 * VirtualSize the data's length). */
static void build(const char *sname, const void *data, size_t len)
{
	const size_t coff = 0x80, table = coff + 24 + 240, raw1 = 0x400, raw2 = 0x600;

	memset(img, 0, sizeof(img));
	img[0] = 'M';
	img[1] = 'Z';
	put32(img + 0x3c, coff);
	memcpy(img + coff, "PE\0\0", 4);
	put16(img + coff + 4, 0x8664);
	put16(img + coff + 6, 2);
	put16(img + coff + 20, 240);
	memcpy(img + table, ".text", 5);
	put32(img + table + 8, 16);
	put32(img + table + 16, 512);
	put32(img + table + 20, raw1);
	memset(img + raw1, 0xc3, 16);
	memcpy(img + table + 40, sname, strlen(sname));
	put32(img + table + 40 + 8, (uint32_t)len);
	put32(img + table + 40 + 16, 2048);
	put32(img + table + 40 + 20, raw2);
	memcpy(img + raw2, data, len);
	img_len = raw2 + 2048;
}

static int read_keys(struct lk_key *keys, size_t *n, const char **why)
{
	const uint8_t *s;
	size_t sl;

	if (lk_find_section(img, img_len, ".spkeys", &s, &sl, why))
		return -2;
	return lk_parse_marker(s, sl, keys, n, why);
}

Test(loaderkeys, one_and_two_keys)
{
	static const char one[] = "spineboot-keys 1\n" K1, two[] = "spineboot-keys 1\n" K1 K2;
	struct lk_key keys[LK_MAX_KEYS];
	const char *why = NULL;
	size_t n = 0;

	build(".spkeys", one, sizeof(one)); /* with its NUL, as the loader has it */
	cr_assert_eq(read_keys(keys, &n, &why), 0, "%s", why);
	cr_assert_eq(n, 1);
	cr_assert_eq(keys[0].keynum[0], 0x51);
	cr_assert_eq(keys[0].keynum[7], 0x8f);
	cr_assert_eq(keys[0].key[31], 0xc7);
	build(".spkeys", two, sizeof(two) - 1); /* VirtualSize without the NUL */
	cr_assert_eq(read_keys(keys, &n, &why), 0, "%s", why);
	cr_assert_eq(n, 2);
	cr_assert_eq(keys[1].keynum[7], 0xff);
	cr_assert_eq(keys[1].key[31], 0x01);
}

static void bad_marker(const char *text, size_t len, const char *want)
{
	struct lk_key keys[LK_MAX_KEYS];
	const char *why = NULL;
	size_t n = 77;

	build(".spkeys", text, len);
	cr_assert_eq(read_keys(keys, &n, &why), -1, "accepted: %s", text);
	cr_assert_str_eq(why, want, "for: %s", text);
	cr_assert_eq(n, 77, "written on failure");
}

Test(loaderkeys, marker_refusals)
{
	static const char upper[] =
	        "spineboot-keys 1\n51CF87C37AA9498F "
	        "80258d3a5e62c3a5bccf586d3566dd6367df2a01414ce0cf24c4d18b5ed45ec7\n";
	char many[17 + 17 * 82 + 1];

	bad_marker("spineboot-keys 2\n" K1, 17 + 82, "no 'spineboot-keys 1' header");
	bad_marker("", 0, "no 'spineboot-keys 1' header");
	bad_marker("spineboot-keys 1\n", 17, "no key");
	bad_marker("spineboot-keys 1\n" K1 "x", 17 + 82 + 1, "malformed key line");
	bad_marker("spineboot-keys 1\n" K1, 17 + 81, "malformed key line"); /* no \n */
	bad_marker(upper, sizeof(upper) - 1, "malformed key line");
	bad_marker("spineboot-keys 1\n" K1 "\0\0x", 17 + 82 + 3, "bytes after the key lines");
	strcpy(many, "spineboot-keys 1\n");
	for (int i = 0; i < 17; i++)
		strcat(many, K1);
	bad_marker(many, strlen(many), "too many keys");
}

Test(loaderkeys, pe_refusals)
{
	static const char one[] = "spineboot-keys 1\n" K1;
	const uint8_t *s;
	size_t sl;
	const char *why = NULL;

	build(".spkeysX", one, sizeof(one));
	cr_assert_eq(lk_find_section(img, img_len, ".spkeys", &s, &sl, &why), -1);
	cr_assert_str_eq(why, "no such section", "a longer name is another section");
	build(".spkey", one, sizeof(one));
	cr_assert_eq(lk_find_section(img, img_len, ".spkeys", &s, &sl, &why), -1);
	build(".spkeys", one, sizeof(one));
	/* Every truncation of the file is refused or clipped, never read past. */
	for (size_t cut = 0; cut < img_len; cut++) {
		int r = lk_find_section(img, cut, ".spkeys", &s, &sl, &why);

		if (r == 0)
			cr_assert((size_t)(s - img) + sl <= cut, "cut %zu", cut);
	}
	cr_assert_eq(lk_find_section(img, 0x600, ".spkeys", &s, &sl, &why), -1);
	cr_assert_str_eq(why, "section data past the end of the file");
	img[0x80 + 4] = 0x4c; /* i386 */
	cr_assert_eq(lk_find_section(img, img_len, ".spkeys", &s, &sl, &why), -1);
	cr_assert_str_eq(why, "not an x86-64 image");
	build(".spkeys", one, sizeof(one));
	put16(img + 0x80 + 6, 0xffff); /* 65535 sections */
	cr_assert_eq(lk_find_section(img, img_len, ".spkeys", &s, &sl, &why), -1);
	cr_assert_str_eq(why, "section table past the end of the file");
	build(".spkeys", one, sizeof(one));
	put32(img + 0x3c, 0xfffffff0u);
	cr_assert_eq(lk_find_section(img, img_len, ".spkeys", &s, &sl, &why), -1);
	cr_assert_str_eq(why, "not a PE image (no PE signature)");
	img[0] = 'Z';
	cr_assert_eq(lk_find_section(img, img_len, ".spkeys", &s, &sl, &why), -1);
	cr_assert_str_eq(why, "not a PE image (no MZ header)");
}
