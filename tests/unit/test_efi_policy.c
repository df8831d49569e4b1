/*
 * test_efi_policy.c: spineboot's pure boot decision (efi/policy.c), on the
 * host under ASan+UBSan. The rules under test are docs/boot.md's; where a
 * domain is small (tries, good, attributes, sizes) every value is tried.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

/* ---- helpers ---------------------------------------------------------------- */

static spine_conf_result conf(const char *s, struct spine_conf *c)
{
	return spine_conf_parse((const uint8_t *)s, strlen(s), c);
}

static void conf_ok(const char *s, uint32_t version, uint8_t tries)
{
	struct spine_conf c = {0};

	cr_assert_eq(conf(s, &c), SPINE_CONF_OK, "\"%s\"", s);
	cr_assert_eq(c.version, version, "\"%s\"", s);
	cr_assert_eq(c.tries, tries, "\"%s\"", s);
}

static void conf_bad(const char *s, size_t len, spine_conf_result want)
{
	struct spine_conf c = {.version = 0x5a5a5a5a, .tries = 0x5a};

	cr_assert_eq(spine_conf_parse((const uint8_t *)s, len, &c), want, "\"%.*s\"", (int)len, s);
	cr_assert_eq(c.version, 0x5a5a5a5a, "written on failure");
	cr_assert_eq(c.tries, 0x5a, "written on failure");
}

static void conf_bad_s(const char *s, spine_conf_result want)
{
	conf_bad(s, strlen(s), want);
}

/* ---- files ----------------------------------------------------------------- */

Test(files, names_and_caps)
{
	cr_assert_str_eq(spine_file_name(SPINE_F_KERNEL), "vmlinuz");
	cr_assert_str_eq(spine_file_name(SPINE_F_INITRD), "initrd.img");
	cr_assert_str_eq(spine_file_name(SPINE_F_CMDLINE), "cmdline");
	cr_assert_str_eq(spine_file_name(SPINE_F_CONF), "slot.conf");
	cr_assert_eq(spine_file_cap(SPINE_F_KERNEL), 64u << 20);
	cr_assert_eq(spine_file_cap(SPINE_F_INITRD), 256u << 20);
	cr_assert_eq(spine_file_cap(SPINE_F_CMDLINE), 4096);
	cr_assert_eq(spine_file_cap(SPINE_F_CONF), 4096);
	cr_assert_eq(SPINE_CAP_SIG, 65536);
	cr_assert_str_eq(spine_file_name(SPINE_NFILES), "?");
	cr_assert_eq(spine_file_cap(SPINE_NFILES), 0);
}

/* ---- slot.conf ------------------------------------------------------------- */

Test(conf, accepts_the_documented_forms)
{
	conf_ok("version=0\n", 0, SPINE_TRIES_DEFAULT);
	conf_ok("version=1\n", 1, 3);
	conf_ok("version=4294967295\n", 4294967295u, 3);
	conf_ok("version=7\ntries=1\n", 7, 1);
	conf_ok("tries=15\nversion=42\n", 42, 15);
}

Test(conf, every_tries_value)
{
	char buf[64];

	for (int t = 0; t <= 100; t++) {
		struct spine_conf c = {0};

		snprintf(buf, sizeof(buf), "version=5\ntries=%d\n", t);
		if (t >= 1 && t <= SPINE_TRIES_MAX) {
			cr_assert_eq(conf(buf, &c), SPINE_CONF_OK, "tries=%d", t);
			cr_assert_eq(c.tries, t);
		} else {
			cr_assert_eq(conf(buf, &c), SPINE_CONF_BAD_TRIES, "tries=%d", t);
		}
	}
}

Test(conf, version_boundaries)
{
	conf_bad_s("version=4294967296\n", SPINE_CONF_BAD_VERSION);
	conf_bad_s("version=4294967300\n", SPINE_CONF_BAD_VERSION);
	conf_bad_s("version=18446744073709551615\n", SPINE_CONF_BAD_VERSION);
	conf_bad_s("version=18446744073709551616\n", SPINE_CONF_BAD_VERSION);
	conf_bad_s("version=99999999999999999999999999\n", SPINE_CONF_BAD_VERSION);
	conf_bad_s("version=00\n", SPINE_CONF_BAD_VERSION);
	conf_bad_s("version=01\n", SPINE_CONF_BAD_VERSION);
	conf_bad_s("version=+1\n", SPINE_CONF_BAD_VERSION);
	conf_bad_s("version=-1\n", SPINE_CONF_BAD_VERSION);
	conf_bad_s("version=0x10\n", SPINE_CONF_BAD_VERSION);
	conf_bad_s("version=1.0\n", SPINE_CONF_BAD_VERSION);
	conf_bad_s("version=\n", SPINE_CONF_BAD_VERSION);
	conf_bad_s("version=1=2\n", SPINE_CONF_BAD_VERSION);
	conf_bad_s("tries=03\nversion=1\n", SPINE_CONF_BAD_TRIES);
	conf_bad_s("tries=\nversion=1\n", SPINE_CONF_BAD_TRIES);
	conf_bad_s("tries=+3\nversion=1\n", SPINE_CONF_BAD_TRIES);
}

Test(conf, every_single_byte_value)
{
	/* "version=<b>\n" for each byte b: only a digit parses. */
	for (int b = 0; b < 256; b++) {
		char s[] = "version=X\n";
		struct spine_conf c = {0};
		spine_conf_result r;

		s[8] = (char)b;
		r = spine_conf_parse((const uint8_t *)s, 10, &c);
		if (b >= '0' && b <= '9') {
			cr_assert_eq(r, SPINE_CONF_OK, "byte %d", b);
			cr_assert_eq(c.version, (uint32_t)(b - '0'));
		} else if (b == '\n') {
			cr_assert_eq(r, SPINE_CONF_BAD_VERSION, "byte %d", b); /* empty value */
		} else if (b < 0x21 || b > 0x7e) {
			cr_assert_eq(r, SPINE_CONF_SYNTAX, "byte %d", b);
		} else {
			cr_assert_eq(r, SPINE_CONF_BAD_VERSION, "byte %d", b);
		}
	}
}

Test(conf, malformed_lines)
{
	conf_bad_s("", SPINE_CONF_NO_VERSION);
	conf_bad_s("tries=3\n", SPINE_CONF_NO_VERSION);
	conf_bad_s("version=1", SPINE_CONF_SYNTAX);      /* no final newline */
	conf_bad_s("\n", SPINE_CONF_SYNTAX);             /* blank line */
	conf_bad_s("version=1\n\n", SPINE_CONF_SYNTAX);  /* trailing blank */
	conf_bad_s("\nversion=1\n", SPINE_CONF_SYNTAX);  /* leading blank */
	conf_bad_s("version =1\n", SPINE_CONF_SYNTAX);   /* space */
	conf_bad_s("version= 1\n", SPINE_CONF_SYNTAX);   /* space */
	conf_bad_s(" version=1\n", SPINE_CONF_SYNTAX);   /* space */
	conf_bad_s("version=1 \n", SPINE_CONF_SYNTAX);   /* space */
	conf_bad_s("version=1\r\n", SPINE_CONF_SYNTAX);  /* CR */
	conf_bad_s("version=1\tx\n", SPINE_CONF_SYNTAX); /* tab */
	conf_bad_s("version\n", SPINE_CONF_SYNTAX);      /* no '=' */
	conf_bad_s("=1\n", SPINE_CONF_SYNTAX);           /* no key */
	conf_bad_s("# comment\nversion=1\n", SPINE_CONF_SYNTAX);
	conf_bad_s("#comment=x\nversion=1\n", SPINE_CONF_UNKNOWN_KEY);
	conf_bad_s("version=1\nfoo=1\n", SPINE_CONF_UNKNOWN_KEY);
	conf_bad_s("Version=1\n", SPINE_CONF_UNKNOWN_KEY);
	conf_bad_s("versions=1\n", SPINE_CONF_UNKNOWN_KEY);
	conf_bad_s("versio=1\n", SPINE_CONF_UNKNOWN_KEY);
	conf_bad_s("try=1\nversion=1\n", SPINE_CONF_UNKNOWN_KEY);
	conf_bad_s("version=1\nversion=1\n", SPINE_CONF_DUPLICATE);
	conf_bad_s("version=1\nversion=2\n", SPINE_CONF_DUPLICATE);
	conf_bad_s("version=1\ntries=3\ntries=3\n", SPINE_CONF_DUPLICATE);
	conf_bad("version=1\n\0", 11, SPINE_CONF_SYNTAX); /* NUL after the line */
	conf_bad("version=1\0\n", 11, SPINE_CONF_SYNTAX); /* NUL in the value */
}

Test(conf, every_truncation_of_a_good_file)
{
	static const char good[] = "version=123\ntries=4\n";
	const size_t n = sizeof(good) - 1;

	/* Only the whole file and the cut right after the version line parse. */
	for (size_t len = 0; len <= n; len++) {
		struct spine_conf c = {0};
		spine_conf_result r = spine_conf_parse((const uint8_t *)good, len, &c);

		if (len == n) {
			cr_assert_eq(r, SPINE_CONF_OK);
			cr_assert_eq(c.tries, 4);
		} else if (len == 12) {
			cr_assert_eq(r, SPINE_CONF_OK);
			cr_assert_eq(c.tries, 3);
		} else {
			cr_assert_neq(r, SPINE_CONF_OK, "len %zu", len);
		}
	}
}

Test(conf, result_strings)
{
	for (int r = SPINE_CONF_OK; r <= SPINE_CONF_NO_VERSION; r++)
		cr_assert_str_neq(spine_conf_result_str(r), "unknown result");
	cr_assert_str_eq(spine_conf_result_str((spine_conf_result)99), "unknown result");
}

/* ---- cmdline --------------------------------------------------------------- */

/* A fixed manifest id: the marker's state word is its first 8 bytes in hex. */
static const uint8_t ID[SPINE_STATE_DIGEST_LEN] = {0x01, 0x23, 0x45, 0x67, 0x89,
                                                   0xab, 0xcd, 0xef, 0xff};
#define TAIL_A " spine.slot=a spine.state=0123456789abcdef"
#define TAIL_B " spine.slot=b spine.state=0123456789abcdef"

static spine_cmdline_result cmd(const char *s, size_t len, char slot, uint16_t *out, size_t cap,
                                size_t *units)
{
	return spine_cmdline_build((const uint8_t *)s, len, slot, ID, out, cap, units);
}

static void cmd_is(const char *in, char slot, const char *want)
{
	uint16_t out[8192];
	size_t units = 0, n = strlen(want);

	cr_assert_eq(cmd(in, strlen(in), slot, out, 8192, &units), SPINE_CMD_OK, "\"%s\"", in);
	cr_assert_eq(units, n + 1, "\"%s\"", in);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(out[i], (uint16_t)(uint8_t)want[i], "\"%s\" at %zu", in, i);
	cr_assert_eq(out[n], 0, "NUL-terminated");
}

Test(cmdline, utf16_with_the_marker_appended)
{
	cr_assert_eq(strlen(TAIL_A), SPINE_MARKER_LEN);
	cmd_is("console=ttyS0 panic=-1\n", 'a', "console=ttyS0 panic=-1" TAIL_A);
	cmd_is("console=ttyS0 panic=-1", 'b', "console=ttyS0 panic=-1" TAIL_B);
	cmd_is("", 'a', TAIL_A + 1);
	cmd_is("\n", 'b', TAIL_B + 1);
	cmd_is(" ", 'a', " " TAIL_A);
	cmd_is("spine.slot", 'a', "spine.slot" TAIL_A);
	cmd_is("xspine.slotx= spine.statex=", 'a', "xspine.slotx= spine.statex=" TAIL_A);
	cmd_is("~!#$%&'()*+,-./:;<=>?@[\\]^_`{|}", 'a', "~!#$%&'()*+,-./:;<=>?@[\\]^_`{|}" TAIL_A);
}

Test(cmdline, every_byte_value)
{
	for (int b = 0; b < 256; b++) {
		char s[] = "a=X b";
		uint16_t out[64];
		size_t units = 0;
		spine_cmdline_result r;

		s[2] = (char)b;
		r = cmd(s, 5, 'a', out, 64, &units);
		if (b == '"')
			cr_assert_eq(r, SPINE_CMD_QUOTE, "byte %d", b);
		else if (b >= 0x20 && b <= 0x7e)
			cr_assert_eq(r, SPINE_CMD_OK, "byte %d", b);
		else
			cr_assert_eq(r, SPINE_CMD_BAD_BYTE, "byte %d", b);
	}
}

Test(cmdline, refusals)
{
	uint16_t out[64];
	size_t units = 0;

	cr_assert_eq(cmd("a\n\n", 3, 'a', out, 64, &units), SPINE_CMD_BAD_BYTE);
	cr_assert_eq(cmd("a\nb", 3, 'a', out, 64, &units), SPINE_CMD_BAD_BYTE);
	cr_assert_eq(cmd("a\r\n", 3, 'a', out, 64, &units), SPINE_CMD_BAD_BYTE);
	cr_assert_eq(cmd("a\0b", 3, 'a', out, 64, &units), SPINE_CMD_BAD_BYTE);
	cr_assert_eq(cmd("spine.slot=b", 12, 'a', out, 64, &units), SPINE_CMD_HAS_SLOT);
	cr_assert_eq(cmd("x spine.slot=a\n", 15, 'a', out, 64, &units), SPINE_CMD_HAS_SLOT);
	cr_assert_eq(cmd("xspine.slot=", 12, 'a', out, 64, &units), SPINE_CMD_HAS_SLOT);
	cr_assert_eq(cmd("spine.state=0", 13, 'a', out, 64, &units), SPINE_CMD_HAS_SLOT);
	/* An unbalanced quote would make the kernel read the marker as part of
	 * the quoted word; a balanced pair is refused as well (one rule). */
	cr_assert_eq(cmd("x=\"y", 4, 'a', out, 64, &units), SPINE_CMD_QUOTE);
	cr_assert_eq(cmd("x=\"y z\"", 7, 'a', out, 64, &units), SPINE_CMD_QUOTE);
	cr_assert_eq(units, 0, "units written on failure");
}

Test(cmdline, length_limits)
{
	static char big[SPINE_CAP_CMDLINE + 2];
	static uint16_t out[SPINE_CAP_CMDLINE + 64];
	size_t units = 0;
	const size_t tail = SPINE_MARKER_LEN + 1;

	memset(big, 'x', sizeof(big));
	/* The longest line the kernel keeps whole, marker included: with and
	 * without its newline. One byte more is refused. */
	cr_assert_eq(cmd(big, SPINE_CMDLINE_MAX, 'a', out, sizeof(out) / 2, &units), SPINE_CMD_OK);
	cr_assert_eq(units, SPINE_CMDLINE_KEPT + 1);
	big[SPINE_CMDLINE_MAX] = '\n';
	cr_assert_eq(cmd(big, SPINE_CMDLINE_MAX + 1, 'a', out, sizeof(out) / 2, &units),
	             SPINE_CMD_OK);
	cr_assert_eq(units, SPINE_CMDLINE_KEPT + 1);
	big[SPINE_CMDLINE_MAX] = 'x';
	cr_assert_eq(cmd(big, SPINE_CMDLINE_MAX + 1, 'a', out, sizeof(out) / 2, &units),
	             SPINE_CMD_TOO_LONG);
	cr_assert_eq(cmd(big, SPINE_CAP_CMDLINE + 1, 'a', out, sizeof(out) / 2, &units),
	             SPINE_CMD_TOO_LONG);
	/* The output buffer: exactly enough, and one unit short. */
	for (size_t n = 0; n < 40; n++) {
		size_t need = n + (n ? 1 : 0) + tail - 1;

		cr_assert_eq(cmd(big, n, 'b', out, need, &units), SPINE_CMD_OK, "n=%zu", n);
		cr_assert_eq(units, need);
		cr_assert_eq(cmd(big, n, 'b', out, need - 1, &units), SPINE_CMD_TOO_LONG, "n=%zu",
		             n);
	}
}

/* ---- state variable names ------------------------------------------------------ */

Test(state_name, bound_to_the_install)
{
	char a[SPINE_STATE_NAME_LEN], b[SPINE_STATE_NAME_LEN];
	uint8_t other[SPINE_STATE_DIGEST_LEN] = {0};

	spine_state_name('a', ID, a);
	spine_state_name('b', ID, b);
	cr_assert_str_eq(a, "SpineSlotA-0123456789abcdef");
	cr_assert_str_eq(b, "SpineSlotB-0123456789abcdef");
	other[7] = 1;
	spine_state_name('a', other, b);
	cr_assert_str_eq(b, "SpineSlotA-0000000000000001");
}

static bool stale(const char *name, char slot, const char *keep)
{
	return spine_state_name_stale(name, strlen(name), slot, keep);
}

Test(state_name, what_the_sweep_may_delete)
{
	const char *keep = "SpineSlotA-0123456789abcdef";

	cr_assert(stale("SpineSlotA", 'a', keep), "the unbound name of earlier loaders");
	cr_assert(stale("SpineSlotA-0000000000000001", 'a', keep));
	cr_assert(!stale(keep, 'a', keep), "the current install's own variable");
	cr_assert(!stale("SpineSlotB-0000000000000001", 'a', keep), "the other slot's");
	cr_assert(!stale("SpineSlotB", 'a', keep));
	cr_assert(!stale("SpineRollbackFloor", 'a', keep), "never the floor");
	cr_assert(!stale("SpineSlotA-0123456789ABCDEF", 'a', keep), "not a name we write");
	cr_assert(!stale("SpineSlotA-0123456789abcde", 'a', keep));
	cr_assert(!stale("SpineSlotA-0123456789abcdef0", 'a', keep));
	cr_assert(!stale("SpineSlotA_0123456789abcdef", 'a', keep));
	cr_assert(!stale("SpineSlotAX", 'a', keep));
	cr_assert(!stale("SpineSlot", 'a', keep));
	cr_assert(!stale("", 'a', keep));
	cr_assert(stale("SpineSlotB-0000000000000001", 'b', "SpineSlotB-0123456789abcdef"));
}

/* ---- PE ---------------------------------------------------------------------- */

/* A minimal x86-64 PE32+ header with the EFI stub's MajorImageVersion. */
static size_t make_pe(uint8_t *p, size_t cap, uint16_t major)
{
	const size_t pe = 0x80, opt = pe + 24;

	cr_assert(cap >= opt + 240);
	memset(p, 0, cap);
	p[0] = 'M';
	p[1] = 'Z';
	p[0x3c] = pe;
	memcpy(p + pe, "PE\0\0", 4);
	p[pe + 4] = 0x64; /* machine 0x8664 */
	p[pe + 5] = 0x86;
	p[pe + 20] = 240; /* SizeOfOptionalHeader */
	p[opt] = 0x0b;    /* PE32+ magic 0x20b */
	p[opt + 1] = 0x02;
	p[opt + 44] = (uint8_t)major;
	p[opt + 45] = (uint8_t)(major >> 8);
	return opt + 46;
}

Test(pe, accepts_an_efi_stub_header)
{
	uint8_t p[512];
	size_t n = make_pe(p, sizeof(p), 1);

	cr_assert_eq(spine_pe_check(p, sizeof(p)), SPINE_PE_OK);
	cr_assert_eq(spine_pe_check(p, n), SPINE_PE_OK);
	make_pe(p, sizeof(p), 0x100);
	cr_assert_eq(spine_pe_check(p, sizeof(p)), SPINE_PE_OK);
}

Test(pe, every_truncation_is_refused)
{
	uint8_t p[512];
	size_t n = make_pe(p, sizeof(p), 1);

	for (size_t len = 0; len < n; len++)
		cr_assert_eq(spine_pe_check(p, len), SPINE_PE_NOT_PE, "len %zu", len);
}

Test(pe, refusals)
{
	uint8_t p[512];

	make_pe(p, sizeof(p), 0);
	cr_assert_eq(spine_pe_check(p, sizeof(p)), SPINE_PE_NO_INITRD);
	make_pe(p, sizeof(p), 1);
	p[1] = 'X';
	cr_assert_eq(spine_pe_check(p, sizeof(p)), SPINE_PE_NOT_PE);
	make_pe(p, sizeof(p), 1);
	p[0x82] = 'X';
	cr_assert_eq(spine_pe_check(p, sizeof(p)), SPINE_PE_NOT_PE);
	make_pe(p, sizeof(p), 1);
	p[0x84] = 0x4c; /* i386 */
	p[0x85] = 0x01;
	cr_assert_eq(spine_pe_check(p, sizeof(p)), SPINE_PE_NOT_X64);
	make_pe(p, sizeof(p), 1);
	p[0x80 + 24] = 0x0b; /* PE32 */
	p[0x80 + 25] = 0x01;
	cr_assert_eq(spine_pe_check(p, sizeof(p)), SPINE_PE_NOT_X64);
	make_pe(p, sizeof(p), 1);
	p[0x80 + 20] = 45; /* optional header too short to hold MajorImageVersion */
	cr_assert_eq(spine_pe_check(p, sizeof(p)), SPINE_PE_NOT_PE);
	make_pe(p, sizeof(p), 1);
	p[0x3c] = 0xff; /* e_lfanew beyond the buffer */
	p[0x3d] = 0xff;
	p[0x3e] = 0xff;
	p[0x3f] = 0xff;
	cr_assert_eq(spine_pe_check(p, sizeof(p)), SPINE_PE_NOT_PE);
	for (int r = SPINE_PE_OK; r <= SPINE_PE_NO_INITRD; r++)
		cr_assert_str_neq(spine_pe_result_str(r), "unknown result");
}

/* ---- slot state ------------------------------------------------------------ */

static void fill_id(uint8_t id[SPINE_STATE_DIGEST_LEN], uint8_t seed)
{
	for (int i = 0; i < SPINE_STATE_DIGEST_LEN; i++)
		id[i] = (uint8_t)(seed + i * 7);
}

Test(state, layout_is_byte_exact)
{
	struct spine_state s = {.tries_left = 2, .good = 1};
	uint8_t out[SPINE_STATE_LEN];

	fill_id(s.manifest, 9);
	spine_state_encode(&s, out);
	cr_assert_eq(memcmp(out, "SPS1", 4), 0);
	cr_assert_eq(out[4], 2);
	cr_assert_eq(out[5], 1);
	cr_assert_eq(out[6], 0);
	cr_assert_eq(out[7], 0);
	cr_assert_eq(memcmp(out + 8, s.manifest, 32), 0);
}

Test(state, every_valid_state_round_trips)
{
	for (int t = 0; t <= SPINE_TRIES_MAX; t++) {
		for (int g = 0; g <= 1; g++) {
			struct spine_state s = {.tries_left = (uint8_t)t, .good = (uint8_t)g}, back;
			uint8_t raw[SPINE_STATE_LEN];

			fill_id(s.manifest, (uint8_t)(t * 3 + g));
			spine_state_encode(&s, raw);
			cr_assert_eq(spine_state_decode(raw, sizeof(raw), SPINE_STATE_ATTRS, &back),
			             SPINE_STATE_OK);
			cr_assert_eq(back.tries_left, t);
			cr_assert_eq(back.good, g);
			cr_assert_eq(memcmp(back.manifest, s.manifest, 32), 0);
		}
	}
}

Test(state, refusals)
{
	struct spine_state s = {.tries_left = 3}, back = {.tries_left = 0x5a};
	uint8_t raw[SPINE_STATE_LEN];

	fill_id(s.manifest, 1);
	spine_state_encode(&s, raw);
	/* Every attribute set but NV|BS|RT, including the authenticated bits. */
	for (uint32_t a = 0; a < 0x80; a++)
		if (a != SPINE_STATE_ATTRS)
			cr_assert_eq(spine_state_decode(raw, sizeof(raw), a, &back),
			             SPINE_STATE_BAD_ATTRS, "attrs %#x", a);
	for (size_t len = 0; len < sizeof(raw); len++)
		cr_assert_eq(spine_state_decode(raw, len, SPINE_STATE_ATTRS, &back),
		             SPINE_STATE_BAD_SIZE);
	cr_assert_eq(spine_state_decode(raw, 41, SPINE_STATE_ATTRS, &back), SPINE_STATE_BAD_SIZE);
	cr_assert_eq(spine_state_decode(raw, 4096, SPINE_STATE_ATTRS, &back), SPINE_STATE_BAD_SIZE);
	for (int i = 0; i < 4; i++) {
		raw[i] ^= 0x20;
		cr_assert_eq(spine_state_decode(raw, sizeof(raw), SPINE_STATE_ATTRS, &back),
		             SPINE_STATE_BAD_MAGIC);
		raw[i] ^= 0x20;
	}
	for (int v = SPINE_TRIES_MAX + 1; v < 256; v++) {
		raw[4] = (uint8_t)v;
		cr_assert_eq(spine_state_decode(raw, sizeof(raw), SPINE_STATE_ATTRS, &back),
		             SPINE_STATE_BAD_FIELD, "tries_left %d", v);
	}
	raw[4] = 3;
	for (int v = 2; v < 256; v++) {
		raw[5] = (uint8_t)v;
		cr_assert_eq(spine_state_decode(raw, sizeof(raw), SPINE_STATE_ATTRS, &back),
		             SPINE_STATE_BAD_FIELD, "good %d", v);
	}
	raw[5] = 0;
	for (int i = 6; i < 8; i++) {
		raw[i] = 1;
		cr_assert_eq(spine_state_decode(raw, sizeof(raw), SPINE_STATE_ATTRS, &back),
		             SPINE_STATE_BAD_FIELD);
		raw[i] = 0;
	}
	cr_assert_eq(back.tries_left, 0x5a, "written on failure");
	cr_assert_eq(spine_state_decode(raw, sizeof(raw), SPINE_STATE_ATTRS, &back),
	             SPINE_STATE_OK);
}

/* Every (state, install, tries) combination against the rules in words. */
Test(state, every_transition)
{
	uint8_t id[32], other[32];

	fill_id(id, 1);
	fill_id(other, 2);
	for (int kind = 0; kind < 3; kind++) { /* no variable, this install, earlier install */
		for (int left = 0; left <= SPINE_TRIES_MAX; left++) {
			for (int good = 0; good <= 1; good++) {
				for (int tries = 1; tries <= SPINE_TRIES_MAX; tries++) {
					struct spine_state cur = {.tries_left = (uint8_t)left,
					                          .good = (uint8_t)good};
					struct spine_state next;
					const struct spine_state *cp = kind == 0 ? NULL : &cur;
					spine_verdict v;

					memcpy(cur.manifest, kind == 1 ? id : other, 32);
					memset(&next, 0xa5, sizeof(next));
					v = spine_state_next(cp, id, (uint8_t)tries, &next);
					if (kind != 1) {
						/* New install: counted from slot.conf, first
						 * boot already uses one. */
						cr_assert_eq(v, SPINE_V_BOOT_ATTEMPT);
						cr_assert_eq(next.tries_left, tries - 1);
						cr_assert_eq(next.good, 0);
						cr_assert_eq(memcmp(next.manifest, id, 32), 0);
						cr_assert(!spine_state_exhausted(cp, id));
					} else if (good) {
						cr_assert_eq(v, SPINE_V_BOOT_GOOD);
						cr_assert_eq(next.tries_left, left);
						cr_assert_eq(next.good, 1);
						cr_assert(!spine_state_exhausted(cp, id));
					} else if (left == 0) {
						cr_assert_eq(v, SPINE_V_EXHAUSTED);
						cr_assert(spine_state_exhausted(cp, id));
						cr_assert_eq(next.tries_left, 0xa5,
						             "written when exhausted");
					} else {
						cr_assert_eq(v, SPINE_V_BOOT_ATTEMPT);
						cr_assert_eq(next.tries_left, left - 1);
						cr_assert_eq(next.good, 0);
						cr_assert_eq(memcmp(next.manifest, id, 32), 0);
						cr_assert(!spine_state_exhausted(cp, id));
					}
				}
			}
		}
	}
}

/* Boots as the machine sees them: each one reads the state the last wrote. */
static int boots_until_exhausted(uint8_t tries, int mark_good_at)
{
	uint8_t id[32];
	struct spine_state st, next;
	bool have = false;
	int boots = 0;

	fill_id(id, 5);
	for (int i = 0; i < 100; i++) {
		spine_verdict v = spine_state_next(have ? &st : NULL, id, tries, &next);

		if (v == SPINE_V_EXHAUSTED)
			return boots;
		boots++;
		st = next; /* the loader's write (or, when good, no write) */
		have = true;
		if (boots == mark_good_at)
			st.good = 1; /* bay0 */
	}
	return -1; /* never exhausted */
}

Test(state, attempt_sequences)
{
	for (uint8_t t = 1; t <= SPINE_TRIES_MAX; t++) {
		cr_assert_eq(boots_until_exhausted(t, 0), t, "tries=%d", t);
		for (int g = 1; g <= t; g++)
			cr_assert_eq(boots_until_exhausted(t, g), -1, "tries=%d good at %d", t, g);
	}
}

Test(state, manifest_id_is_the_first_half_of_sha512)
{
	/* SHA-512("abc"), FIPS 180-4 example. */
	static const uint8_t want[32] = {0xdd, 0xaf, 0x35, 0xa1, 0x93, 0x61, 0x7a, 0xba,
	                                 0xcc, 0x41, 0x73, 0x49, 0xae, 0x20, 0x41, 0x31,
	                                 0x12, 0xe6, 0xfa, 0x4e, 0x89, 0xa9, 0x7e, 0xa2,
	                                 0x0a, 0x9e, 0xee, 0xe6, 0x4b, 0x55, 0xd3, 0x9a};
	uint8_t id[32];

	spine_manifest_id((const uint8_t *)"abc", 3, id);
	cr_assert_eq(memcmp(id, want, 32), 0);
}

/* ---- rollback floor -------------------------------------------------------- */

Test(floor, decode)
{
	static const uint8_t le[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
	uint64_t f = 77;
	uint8_t out[8];

	cr_assert_eq(spine_floor_decode(le, 8, SPINE_FLOOR_ATTRS, &f), SPINE_FLOOR_OK);
	cr_assert_eq(f, 0x0807060504030201ull);
	spine_floor_encode(f, out);
	cr_assert_eq(memcmp(out, le, 8), 0);
	f = 77;
	for (uint32_t a = 0; a < 0x80; a++)
		if (a != SPINE_FLOOR_ATTRS)
			cr_assert_eq(spine_floor_decode(le, 8, a, &f), SPINE_FLOOR_BAD_ATTRS,
			             "attrs %#x", a);
	/* Runtime access in particular: the OS could have written it. */
	cr_assert_eq(spine_floor_decode(le, 8, SPINE_FLOOR_ATTRS | SPINE_ATTR_RT, &f),
	             SPINE_FLOOR_BAD_ATTRS);
	for (size_t len = 0; len < 20; len++)
		if (len != 8)
			cr_assert_eq(spine_floor_decode(le, len, SPINE_FLOOR_ATTRS, &f),
			             SPINE_FLOOR_BAD_SIZE);
	cr_assert_eq(f, 77, "written on failure");
}

Test(floor, boundaries)
{
	static const uint64_t floors[] = {
	        0, 1, 2, 41, 42, 43, 0xfffffffeull, 0xffffffffull, 0x100000000ull, UINT64_MAX};
	static const uint32_t versions[] = {0, 1, 2, 41, 42, 43, 0xfffffffeu, 0xffffffffu};

	for (size_t i = 0; i < sizeof(floors) / sizeof(floors[0]); i++) {
		for (size_t j = 0; j < sizeof(versions) / sizeof(versions[0]); j++) {
			uint64_t fl = floors[i], nf = 0;
			uint32_t v = versions[j];

			cr_assert_eq(spine_floor_allows(fl, v), (uint64_t)v >= fl);
			/* Raised only by a good slot, only upward, exactly to it when
			 * the other slot does not verify. */
			cr_assert(!spine_floor_raise(fl, v, SPINE_V_BOOT_ATTEMPT, false, 0, &nf));
			cr_assert(!spine_floor_raise(fl, v, SPINE_V_EXHAUSTED, false, 0, &nf));
			cr_assert_eq(spine_floor_raise(fl, v, SPINE_V_BOOT_GOOD, false, 0, &nf),
			             (uint64_t)v > fl);
			if ((uint64_t)v > fl)
				cr_assert_eq(nf, v);
			/* With a verifying other slot of every version: the floor
			 * is min(v, other) when the other is at or above the floor,
			 * v when the other is below it (refused anyway); never down,
			 * never above the fallback. */
			for (size_t k = 0; k < sizeof(versions) / sizeof(versions[0]); k++) {
				uint32_t o = versions[k];
				uint64_t want = (uint64_t)o >= fl && o < v ? o : v;
				bool raised;

				nf = 12345;
				cr_assert(!spine_floor_raise(fl, v, SPINE_V_BOOT_ATTEMPT, true, o,
				                             &nf));
				raised = spine_floor_raise(fl, v, SPINE_V_BOOT_GOOD, true, o, &nf);
				cr_assert_eq(raised, want > fl, "floor %llu v %u other %u",
				             (unsigned long long)fl, v, o);
				if (raised) {
					cr_assert_eq(nf, want);
					cr_assert(nf > fl && nf <= v);
					cr_assert((uint64_t)o < fl || nf <= o,
					          "the fallback stranded");
				} else {
					cr_assert_eq(nf, 12345, "written without a raise");
				}
			}
		}
	}
}

/* ---- manifest ---------------------------------------------------------------- */

static void line(char *buf, size_t cap, const char *name, uint8_t fill)
{
	size_t o = strlen(buf);

	o += (size_t)snprintf(buf + o, cap - o, "SHA512 (%s) = ", name);
	for (int i = 0; i < 64; i++)
		o += (size_t)snprintf(buf + o, cap - o, "%02x", (uint8_t)(fill + i));
	snprintf(buf + o, cap - o, "\n");
}

static spine_manifest_result mf(const char *list, uint8_t d[SPINE_NFILES][64], sv_result *sv,
                                enum spine_file *which)
{
	return spine_manifest_parse((const uint8_t *)list, strlen(list), d, sv, which);
}

Test(manifest, exactly_the_four_names_in_any_order)
{
	static const int orders[][4] = {{0, 1, 2, 3}, {3, 2, 1, 0}, {1, 3, 0, 2}, {2, 0, 3, 1}};

	for (size_t o = 0; o < 4; o++) {
		char list[2048] = "";
		uint8_t d[SPINE_NFILES][64];
		sv_result sv = SV_OK;
		enum spine_file w = SPINE_F_KERNEL;

		for (int k = 0; k < 4; k++) {
			int f = orders[o][k];
			line(list, sizeof(list), spine_file_name(f), (uint8_t)(f * 16));
		}
		cr_assert_eq(mf(list, d, &sv, &w), SPINE_MF_OK, "order %zu", o);
		/* Each digest lands at its file's index, whatever the line order. */
		for (int f = 0; f < 4; f++)
			for (int i = 0; i < 64; i++)
				cr_assert_eq(d[f][i], (uint8_t)(f * 16 + i));
	}
}

Test(manifest, refusals)
{
	const char *n[4] = {"vmlinuz", "initrd.img", "cmdline", "slot.conf"};
	uint8_t d[SPINE_NFILES][64];
	sv_result sv;
	enum spine_file w;

	/* Each one missing. */
	for (int miss = 0; miss < 4; miss++) {
		char list[2048] = "";

		for (int f = 0; f < 4; f++)
			if (f != miss)
				line(list, sizeof(list), n[f], 1);
		memset(d, 0x5a, sizeof(d));
		cr_assert_eq(mf(list, d, &sv, &w), SPINE_MF_MISSING);
		cr_assert_eq(w, miss);
		cr_assert_eq(d[0][0], 0x5a, "written on failure");
	}
	cr_assert_eq(mf("", d, &sv, &w), SPINE_MF_MISSING);
	cr_assert_eq(w, SPINE_F_KERNEL);

	/* A fifth name, plain or path-like, or a duplicate. */
	static const struct {
		const char *extra;
		spine_manifest_result want;
	} ex[] = {
	        {"extra", SPINE_MF_UNKNOWN},
	        {"VMLINUZ", SPINE_MF_UNKNOWN},
	        {"vmlinuz.old", SPINE_MF_UNKNOWN},
	        {"initrd", SPINE_MF_UNKNOWN},
	        {"../x", SPINE_MF_LIST},
	        {"a/vmlinuz", SPINE_MF_LIST},
	        {"..", SPINE_MF_LIST},
	        {"vmlinuz", SPINE_MF_LIST},
	        {"slot.conf", SPINE_MF_LIST},
	};
	for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		for (int pos = 0; pos <= 4; pos++) {
			char list[4096] = "";

			for (int f = 0; f <= 4; f++) {
				if (f == pos)
					line(list, sizeof(list), ex[i].extra, 9);
				if (f < 4)
					line(list, sizeof(list), n[f], 1);
			}
			sv = SV_OK;
			cr_assert_eq(mf(list, d, &sv, &w), ex[i].want, "%s at %d", ex[i].extra,
			             pos);
			if (ex[i].want == SPINE_MF_LIST)
				cr_assert_neq(sv, SV_OK);
		}
	}

	/* Malformed after four good lines: the whole list is refused. */
	char list[4096] = "";
	for (int f = 0; f < 4; f++)
		line(list, sizeof(list), n[f], 1);
	strcat(list, "garbage\n");
	cr_assert_eq(mf(list, d, &sv, &w), SPINE_MF_LIST);
	cr_assert_eq(sv, SV_E_MALFORMED);
}

/* ---- events ------------------------------------------------------------------- */

Test(events, bytes_are_as_documented)
{
	static const uint8_t sig[] = "untrusted comment: x\nAAAA\nbody\n";
	struct spine_event_buf b;
	struct spine_event ev[SPINE_NEVENTS];

	spine_events(&b, 'a', sig, sizeof(sig) - 1, 0, ev);
	cr_assert_eq(ev[0].len, 12);
	cr_assert_eq(memcmp(ev[0].data, "spine.slot=a", 12), 0);
	cr_assert_str_eq(ev[0].desc, "spine.slot=a");
	cr_assert_eq(ev[1].data, sig, "the manifest file as read, not a copy");
	cr_assert_eq(ev[1].len, sizeof(sig) - 1);
	cr_assert_str_eq(ev[1].desc, "spine.manifest");
	cr_assert_eq(ev[2].len, 15);
	cr_assert_eq(memcmp(ev[2].data, "spine.version=0", 15), 0);
	cr_assert_str_eq(ev[2].desc, "spine.version=0");

	spine_events(&b, 'b', sig, 0, 4294967295u, ev);
	cr_assert_eq(memcmp(ev[0].data, "spine.slot=b", 12), 0);
	cr_assert_eq(ev[1].len, 0);
	cr_assert_eq(ev[2].len, 24);
	cr_assert_eq(memcmp(ev[2].data, "spine.version=4294967295", 24), 0);
	cr_assert_eq(SPINE_PCR, 12);
	cr_assert_eq(SPINE_EV_IPL, 0x0d);
}

/* ---- text --------------------------------------------------------------------- */

Test(text, numbers_and_truncation)
{
	char buf[64];
	struct spine_text t;

	spine_text_init(&t, buf, sizeof(buf));
	spine_text_u64(&t, 0);
	spine_text_str(&t, " ");
	spine_text_u64(&t, UINT64_MAX);
	spine_text_str(&t, " ");
	spine_text_hex(&t, 0x800000000000000eull);
	cr_assert_str_eq(buf, "0 18446744073709551615 0x800000000000000e");

	char small[5];
	spine_text_init(&t, small, sizeof(small));
	spine_text_str(&t, "abcdefgh");
	cr_assert_str_eq(small, "abcd");
	cr_assert_eq(t.len, 4);
}
