/* Unit tests for spinectl/loadopt.c: EFI_LOAD_OPTION and BootOrder. The
 * expected bytes are written out by hand from the UEFI spec's layout. */
#include <criterion/criterion.h>
#include <string.h>

#include "loadopt.h"

static const struct lo_hd hd = {
        .part = 1,
        .start = 2048,
        .size = 131072,
        .guid = {0x4e, 0x49, 0x50, 0x53, 0, 0, 0, 0x40, 0x80, 0, 0, 0, 0, 0, 0, 1},
};

Test(loadopt, encode_bytes)
{
	uint8_t out[512];
	size_t len = 0;
	const char *why = NULL;
	static const uint8_t want[] = {
	        1,    0,    0,   0,    58,   0, /* ACTIVE, FilePathListLength 42 + 12 + 4 */
	        'A',  0,    'B', 0,    0,    0, /* "AB" */
	        4,    1,    42,  0,    1,    0, 0,   0, 0,   8, 0,    0,    0,    0,
	        0,    0,    0,   0,    2,    0, 0,   0, 0,   0, 0x4e, 0x49, 0x50, 0x53,
	        0,    0,    0,   0x40, 0x80, 0, 0,   0, 0,   0, 0,    1,    2,    2,
	        4,    4,    12,  0,    '\\', 0, 'x', 0, 'y', 0, 0,    0, /* File(\xy) */
	        0x7f, 0xff, 4,   0,
	};

	cr_assert_eq(lo_encode(LO_ACTIVE, "AB", &hd, "\\xy", out, sizeof(out), &len, &why), 0);
	cr_assert_eq(len, sizeof(want));
	cr_assert_arr_eq(out, want, sizeof(want));
}

Test(loadopt, round_trip)
{
	uint8_t out[512];
	size_t len = 0;
	const char *why = NULL;
	struct lo_option o;

	cr_assert_eq(lo_encode(LO_ACTIVE, "Alpine Spine", &hd, "\\EFI\\spine\\spineboot.efi", out,
	                       sizeof(out), &len, &why),
	             0);
	cr_assert_eq(lo_decode(out, len, &o, &why), 0, "%s", why);
	cr_assert_eq(o.attrs, LO_ACTIVE);
	cr_assert_str_eq(o.desc, "Alpine Spine");
	cr_assert(o.has_hd && o.has_path);
	cr_assert_eq(o.hd.part, 1);
	cr_assert_eq(o.hd.start, 2048);
	cr_assert_eq(o.hd.size, 131072);
	cr_assert_str_eq(o.path, "\\EFI\\spine\\spineboot.efi");
	cr_assert_eq(o.optional_len, 0);
	cr_assert(lo_matches(&o, hd.guid, "\\EFI\\spine\\spineboot.efi"));
	/* Firmware that upper-cases the path, or a tool that writes '/'. */
	cr_assert(lo_matches(&o, hd.guid, "\\EFI\\SPINE\\SPINEBOOT.EFI"));
	cr_assert(lo_matches(&o, hd.guid, "/efi/spine/spineboot.efi"));
	cr_assert_not(lo_matches(&o, hd.guid, "\\EFI\\spine\\spineboot.ef"));
	cr_assert_not(lo_matches(&o, hd.guid, "\\EFI\\spine\\spineboot.efi2"));
	uint8_t other[16];
	memcpy(other, hd.guid, 16);
	other[15] ^= 1;
	cr_assert_not(lo_matches(&o, other, "\\EFI\\spine\\spineboot.efi"), "another partition");
}

Test(loadopt, encode_refuses)
{
	uint8_t out[512];
	size_t len = 0;
	const char *why = NULL;
	char longp[300];

	cr_assert_eq(lo_encode(1, "a\tb", &hd, "\\x", out, sizeof(out), &len, &why), -1);
	cr_assert_eq(lo_encode(1, "ab", &hd, "", out, sizeof(out), &len, &why), -1);
	memset(longp, 'x', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = 0;
	cr_assert_eq(lo_encode(1, "ab", &hd, longp, out, sizeof(out), &len, &why), -1);
	cr_assert_eq(lo_encode(1, "ab", &hd, "\\x", out, 40, &len, &why), -1);
	cr_assert_str_eq(why, "output buffer too small");
}

/* Decoding what firmware writes: prefixes before HD(), File() split in two,
 * OptionalData after the end, and every malformation. */
static size_t build(uint8_t *p, const uint8_t *fp, size_t fplen, size_t extra)
{
	size_t off = 0;

	p[off++] = 1, p[off++] = 0, p[off++] = 0, p[off++] = 0;
	p[off++] = (uint8_t)fplen, p[off++] = (uint8_t)(fplen >> 8);
	p[off++] = 'd', p[off++] = 0, p[off++] = 0xe9, p[off++] = 0, p[off++] = 0, p[off++] = 0;
	memcpy(p + off, fp, fplen);
	off += fplen;
	memset(p + off, 0xaa, extra);
	return off + extra;
}

Test(loadopt, decode_firmware_forms)
{
	static const uint8_t fp[] = {
	        2,    1,    12, 0, 0xd0, 0x41, 0x03, 0x0a, 0, 0, 0, 0, /* PciRoot(0) */
	        4,    4,    8,  0, '\\', 0,    'A',  0,                /* File(\A) without NUL */
	        4,    4,    10, 0, 'B',  0,    'C',  0,    0, 0,       /* File(BC) */
	        0x7f, 0xff, 4,  0,
	};
	uint8_t buf[256];
	struct lo_option o;
	const char *why = NULL;
	size_t len = build(buf, fp, sizeof(fp), 5);

	cr_assert_eq(lo_decode(buf, len, &o, &why), 0, "%s", why);
	cr_assert_str_eq(o.desc, "d?"); /* U+00E9 is not ASCII */
	cr_assert_not(o.has_hd);
	cr_assert_str_eq(o.path, "\\A\\BC");
	cr_assert_eq(o.optional_len, 5);
	cr_assert_not(lo_matches(&o, hd.guid, "\\A\\BC"), "no HD(): never ours");
}

Test(loadopt, decode_malformed)
{
	uint8_t buf[256] = {0};
	struct lo_option o;
	const char *why = NULL;
	static const uint8_t no_end[] = {4, 4, 8, 0, 'x', 0, 0, 0};
	static const uint8_t short_node[] = {4, 4, 2, 0, 0x7f, 0xff, 4, 0};
	static const uint8_t long_node[] = {4, 4, 200, 0, 0x7f, 0xff, 4, 0};
	size_t len;

	cr_assert_eq(lo_decode(buf, 5, &o, &why), -1);
	cr_assert_str_eq(why, "shorter than its header");
	len = build(buf, no_end, sizeof(no_end), 0);
	cr_assert_eq(lo_decode(buf, len, &o, &why), -1);
	cr_assert_str_eq(why, "device path without an end node");
	len = build(buf, short_node, sizeof(short_node), 0);
	cr_assert_eq(lo_decode(buf, len, &o, &why), -1);
	cr_assert_str_eq(why, "device path node length out of bounds");
	len = build(buf, long_node, sizeof(long_node), 0);
	cr_assert_eq(lo_decode(buf, len, &o, &why), -1);
	/* FilePathListLength past the end of the option. */
	len = build(buf, no_end, sizeof(no_end), 0);
	buf[4] = 100;
	cr_assert_eq(lo_decode(buf, len, &o, &why), -1);
	cr_assert_str_eq(why, "device path longer than the option");
	/* A description that never ends. */
	memset(buf, 'x', 40);
	cr_assert_eq(lo_decode(buf, 40, &o, &why), -1);
	cr_assert_str_eq(why, "description not NUL-terminated");
}

Test(loadopt, guid_text)
{
	uint8_t g[16];
	char s[37];

	cr_assert_eq(lo_guid_parse("5350494e-0000-4000-8000-000000000001", g), 0);
	cr_assert_arr_eq(g, hd.guid, 16);
	lo_guid_format(g, s);
	cr_assert_str_eq(s, "5350494e-0000-4000-8000-000000000001");
	cr_assert_eq(lo_guid_parse("5350494E-0000-4000-8000-000000000001", g), 0);
	cr_assert_eq(lo_guid_parse("5350494e-0000-4000-8000-00000000000", g), -1);
	cr_assert_eq(lo_guid_parse("5350494e-0000-4000-8000-0000000000011", g), -1);
	cr_assert_eq(lo_guid_parse("5350494e+0000-4000-8000-000000000001", g), -1);
	cr_assert_eq(lo_guid_parse("5350494g-0000-4000-8000-000000000001", g), -1);
}

Test(loadopt, boot_order)
{
	const uint16_t in[] = {3, 0, 7, 0, 5};
	uint16_t out[8];
	size_t n;

	n = lo_order_first(in, 5, 7, out, 8);
	cr_assert_eq(n, 5);
	cr_assert_arr_eq(out, ((uint16_t[]){7, 3, 0, 0, 5}), 5 * sizeof(uint16_t),
	                 "others kept, in order, even their duplicates");
	n = lo_order_first(in, 5, 9, out, 8);
	cr_assert_eq(n, 6);
	cr_assert_arr_eq(out, ((uint16_t[]){9, 3, 0, 7, 0, 5}), 6 * sizeof(uint16_t));
	n = lo_order_first(NULL, 0, 1, out, 8);
	cr_assert_eq(n, 1);
	cr_assert_eq(out[0], 1);
	n = lo_order_remove(in, 5, 0, out, 8);
	cr_assert_arr_eq(out, ((uint16_t[]){3, 7, 5}), 3 * sizeof(uint16_t));
	cr_assert_eq(n, 3);
	cr_assert_eq(lo_order_index(in, 5, 7), 2);
	cr_assert_eq(lo_order_index(in, 5, 8), -1);
	/* install then remove gives back the order it started from */
	uint16_t back[8];
	n = lo_order_first(in, 5, 9, out, 8);
	n = lo_order_remove(out, n, 9, back, 8);
	cr_assert_eq(n, 5);
	cr_assert_arr_eq(back, in, sizeof(in));
}

Test(loadopt, boot_order_bytes)
{
	const uint8_t raw[] = {1, 0, 0, 0x10, 0xff, 0xff};
	uint16_t o[4];
	uint8_t back[6];
	size_t n = 0;

	cr_assert_eq(lo_order_decode(raw, 6, o, 4, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(o[1], 0x1000);
	lo_order_encode(o, n, back);
	cr_assert_arr_eq(back, raw, 6);
	cr_assert_eq(lo_order_decode(raw, 5, o, 4, &n), -1, "odd length");
	cr_assert_eq(lo_order_decode(raw, 6, o, 2, &n), -1, "over the cap");
}

Test(loadopt, boot_numbers)
{
	cr_assert_eq(lo_boot_number("Boot0000", 8), 0);
	cr_assert_eq(lo_boot_number("Boot00A7", 8), 0xa7);
	cr_assert_eq(lo_boot_number("BootFFFF", 8), 0xffff);
	cr_assert_eq(lo_boot_number("Boot00a7", 8), -1, "lower case is not a Boot#### name");
	cr_assert_eq(lo_boot_number("BootOrder", 9), -1);
	cr_assert_eq(lo_boot_number("Boot000", 7), -1);
	cr_assert_eq(lo_boot_number("Driver01", 8), -1);
}
