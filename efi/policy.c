/*
 * policy.c: spineboot's boot decision as pure functions (see policy.h).
 *
 * Built freestanding for EFI and hosted for the tests: only <stdint.h>,
 * <stddef.h>, <stdbool.h> and sv.h. The compiler may still emit memcpy or
 * memset for struct copies; libefi supplies both on the EFI side.
 */
#include "policy.h"

static const char *const file_names[SPINE_NFILES] = {
        [SPINE_F_KERNEL] = "vmlinuz",
        [SPINE_F_INITRD] = "initrd.img",
        [SPINE_F_CMDLINE] = "cmdline",
        [SPINE_F_CONF] = "slot.conf",
};

static const uint32_t file_caps[SPINE_NFILES] = {
        [SPINE_F_KERNEL] = SPINE_CAP_KERNEL,
        [SPINE_F_INITRD] = SPINE_CAP_INITRD,
        [SPINE_F_CMDLINE] = SPINE_CAP_CMDLINE,
        [SPINE_F_CONF] = SPINE_CAP_CONF,
};

const char *spine_file_name(enum spine_file f)
{
	return (unsigned)f < SPINE_NFILES ? file_names[f] : "?";
}

uint32_t spine_file_cap(enum spine_file f)
{
	return (unsigned)f < SPINE_NFILES ? file_caps[f] : 0;
}

static size_t cstrlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static bool bytes_eq(const void *a, const char *b, size_t n)
{
	const uint8_t *x = a;

	for (size_t i = 0; i < n; i++)
		if (x[i] != (uint8_t)b[i])
			return false;
	return true;
}

static void copy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	for (size_t i = 0; i < n; i++)
		d[i] = s[i];
}

/* ---- Manifest --------------------------------------------------------------- */

spine_manifest_result spine_manifest_parse(const uint8_t *list, size_t len,
                                           uint8_t digests[SPINE_NFILES][SV_SHA512_LEN],
                                           sv_result *sv, enum spine_file *which)
{
	uint8_t got[SPINE_NFILES][SV_SHA512_LEN];
	unsigned seen = 0;
	sv_sumlist it;
	sv_result r;

	/* The whole list first: a syntax error or a duplicate anywhere refuses it,
	 * even after the four names were found. */
	r = sv_sumlist_check(list, len);
	if (r != SV_OK) {
		*sv = r;
		return SPINE_MF_LIST;
	}
	sv_sumlist_init(&it, list, len);
	for (;;) {
		sv_sum sum;
		bool done;
		unsigned f;

		r = sv_sumlist_next(&it, &sum, &done);
		if (r != SV_OK) {
			*sv = r;
			return SPINE_MF_LIST;
		}
		if (done)
			break;
		for (f = 0; f < SPINE_NFILES; f++)
			if (sum.name_len == cstrlen(file_names[f]) &&
			    bytes_eq(sum.name, file_names[f], sum.name_len))
				break;
		/* Nothing unlisted is used, and nothing listed goes unused. */
		if (f == SPINE_NFILES)
			return SPINE_MF_UNKNOWN;
		copy(got[f], sum.digest, SV_SHA512_LEN);
		seen |= 1u << f;
	}
	for (unsigned f = 0; f < SPINE_NFILES; f++) {
		if (!(seen & (1u << f))) {
			*which = (enum spine_file)f;
			return SPINE_MF_MISSING;
		}
	}
	copy(digests, got, sizeof(got));
	return SPINE_MF_OK;
}

/* ---- slot.conf --------------------------------------------------------------- */

/* Strict decimal: digits only, no sign, no leading zero (except "0"), <= max. */
static bool parse_dec(const uint8_t *p, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || (n > 1 && p[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		if (v > (max - (uint64_t)(p[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return true;
}

spine_conf_result spine_conf_parse(const uint8_t *p, size_t len, struct spine_conf *out)
{
	bool have_version = false, have_tries = false;
	uint64_t version = 0, tries = SPINE_TRIES_DEFAULT;
	size_t i = 0;

	while (i < len) {
		size_t start = i, eq = 0, end;
		bool have_eq = false;

		/* One line: printable, no spaces, exactly one terminating '\n'. */
		for (end = i; end < len && p[end] != '\n'; end++) {
			if (p[end] < 0x21 || p[end] > 0x7e)
				return SPINE_CONF_SYNTAX;
			if (p[end] == '=' && !have_eq) {
				have_eq = true;
				eq = end;
			}
		}
		if (end == len || end == start || !have_eq || eq == start)
			return SPINE_CONF_SYNTAX;
		i = end + 1;

		const uint8_t *key = p + start, *val = p + eq + 1;
		size_t klen = eq - start, vlen = end - eq - 1;

		if (klen == 7 && bytes_eq(key, "version", 7)) {
			if (have_version)
				return SPINE_CONF_DUPLICATE;
			have_version = true;
			if (!parse_dec(val, vlen, UINT32_MAX, &version))
				return SPINE_CONF_BAD_VERSION;
		} else if (klen == 5 && bytes_eq(key, "tries", 5)) {
			if (have_tries)
				return SPINE_CONF_DUPLICATE;
			have_tries = true;
			if (!parse_dec(val, vlen, SPINE_TRIES_MAX, &tries) || tries == 0)
				return SPINE_CONF_BAD_TRIES;
		} else {
			return SPINE_CONF_UNKNOWN_KEY;
		}
	}
	if (!have_version)
		return SPINE_CONF_NO_VERSION;
	out->version = (uint32_t)version;
	out->tries = (uint8_t)tries;
	return SPINE_CONF_OK;
}

const char *spine_conf_result_str(spine_conf_result r)
{
	switch (r) {
	case SPINE_CONF_OK:
		return "ok";
	case SPINE_CONF_SYNTAX:
		return "syntax error";
	case SPINE_CONF_UNKNOWN_KEY:
		return "unknown key";
	case SPINE_CONF_DUPLICATE:
		return "duplicate key";
	case SPINE_CONF_BAD_VERSION:
		return "bad version";
	case SPINE_CONF_BAD_TRIES:
		return "bad tries";
	case SPINE_CONF_NO_VERSION:
		return "no version";
	}
	return "unknown result";
}

/* ---- cmdline ------------------------------------------------------------------ */

static const char slot_word[] = "spine.slot=";
static const char state_word[] = "spine.state=";
static const char hexdig[] = "0123456789abcdef";

static bool has_word(const uint8_t *p, size_t n, const char *w, size_t wlen)
{
	for (size_t i = 0; i + wlen <= n; i++)
		if (bytes_eq(p + i, w, wlen))
			return true;
	return false;
}

spine_cmdline_result spine_cmdline_build(const uint8_t *p, size_t len, char slot,
                                         const uint8_t id[SPINE_STATE_DIGEST_LEN], uint16_t *out,
                                         size_t cap, size_t *units)
{
	const size_t slen = sizeof(slot_word) - 1, tlen = sizeof(state_word) - 1;
	size_t n = len, need;

	if (len > SPINE_CAP_CMDLINE)
		return SPINE_CMD_TOO_LONG;
	/* signify users write files with echo; one final newline is not part of
	 * the command line. */
	if (n > 0 && p[n - 1] == '\n')
		n--;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return SPINE_CMD_BAD_BYTE;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '"')
			return SPINE_CMD_QUOTE;
	if (has_word(p, n, slot_word, slen) || has_word(p, n, state_word, tlen))
		return SPINE_CMD_HAS_SLOT;
	/* What the kernel keeps, marker included: a longer line would lose its
	 * tail, and with it the marker, in the EFI stub. */
	if (n > SPINE_CMDLINE_MAX)
		return SPINE_CMD_TOO_LONG;

	need = n + (n ? 1 : 0) + SPINE_MARKER_LEN - 1 + 1;
	if (need > cap)
		return SPINE_CMD_TOO_LONG;

	size_t o = 0;
	for (size_t i = 0; i < n; i++)
		out[o++] = p[i];
	if (n)
		out[o++] = ' ';
	for (size_t i = 0; i < slen; i++)
		out[o++] = (uint16_t)slot_word[i];
	out[o++] = (uint16_t)(uint8_t)slot;
	out[o++] = ' ';
	for (size_t i = 0; i < tlen; i++)
		out[o++] = (uint16_t)state_word[i];
	for (size_t i = 0; i < SPINE_STATE_HEX_LEN / 2; i++) {
		out[o++] = (uint16_t)hexdig[id[i] >> 4];
		out[o++] = (uint16_t)hexdig[id[i] & 0xf];
	}
	out[o++] = 0;
	*units = o;
	return SPINE_CMD_OK;
}

const char *spine_cmdline_result_str(spine_cmdline_result r)
{
	switch (r) {
	case SPINE_CMD_OK:
		return "ok";
	case SPINE_CMD_BAD_BYTE:
		return "not one line of printable ASCII";
	case SPINE_CMD_HAS_SLOT:
		return "already contains spine.slot= or spine.state=";
	case SPINE_CMD_TOO_LONG:
		return "too long";
	case SPINE_CMD_QUOTE:
		return "contains a double quote";
	}
	return "unknown result";
}

/* ---- PE ----------------------------------------------------------------------- */

static uint32_t le16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
	return le16(p) | le16(p + 2) << 16;
}

spine_pe_result spine_pe_check(const uint8_t *p, size_t len)
{
	size_t pe, opt;

	if (len < 0x40 || p[0] != 'M' || p[1] != 'Z')
		return SPINE_PE_NOT_PE;
	pe = le32(p + 0x3c);
	/* PE signature (4) + COFF header (20); pe is < 2^32, so no overflow. */
	if (pe > len || len - pe < 24 || !bytes_eq(p + pe, "PE\0\0", 4))
		return SPINE_PE_NOT_PE;
	if (le16(p + pe + 4) != 0x8664)
		return SPINE_PE_NOT_X64;
	opt = pe + 24;
	/* Optional header through MajorImageVersion (offset 44, 2 bytes). */
	if (le16(p + pe + 20) < 46 || len - opt < 46)
		return SPINE_PE_NOT_PE;
	if (le16(p + opt) != 0x20b)
		return SPINE_PE_NOT_X64;
	/* The EFI stub sets MajorImageVersion to its own major version; 1 and
	 * later load the initrd through LINUX_EFI_INITRD_MEDIA_GUID. */
	if (le16(p + opt + 44) < 1)
		return SPINE_PE_NO_INITRD;
	return SPINE_PE_OK;
}

const char *spine_pe_result_str(spine_pe_result r)
{
	switch (r) {
	case SPINE_PE_OK:
		return "ok";
	case SPINE_PE_NOT_PE:
		return "not a PE image";
	case SPINE_PE_NOT_X64:
		return "not an x86-64 PE32+ image";
	case SPINE_PE_NO_INITRD:
		return "EFI stub too old for the LoadFile2 initrd";
	}
	return "unknown result";
}

/* ---- Slot state ------------------------------------------------------------- */

static const char state_magic[4] = {'S', 'P', 'S', '1'};

spine_state_result spine_state_decode(const uint8_t *p, size_t len, uint32_t attrs,
                                      struct spine_state *out)
{
	/* Attributes first: a volatile or authenticated variable by this name
	 * was not written by the loader or bay0. */
	if (attrs != SPINE_STATE_ATTRS)
		return SPINE_STATE_BAD_ATTRS;
	if (len != SPINE_STATE_LEN)
		return SPINE_STATE_BAD_SIZE;
	if (!bytes_eq(p, state_magic, 4))
		return SPINE_STATE_BAD_MAGIC;
	if (p[4] > SPINE_TRIES_MAX || p[5] > 1 || p[6] || p[7])
		return SPINE_STATE_BAD_FIELD;
	out->tries_left = p[4];
	out->good = p[5];
	copy(out->manifest, p + 8, SPINE_STATE_DIGEST_LEN);
	return SPINE_STATE_OK;
}

void spine_state_encode(const struct spine_state *s, uint8_t out[SPINE_STATE_LEN])
{
	copy(out, state_magic, 4);
	out[4] = s->tries_left;
	out[5] = s->good;
	out[6] = 0;
	out[7] = 0;
	copy(out + 8, s->manifest, SPINE_STATE_DIGEST_LEN);
}

const char *spine_state_result_str(spine_state_result r)
{
	switch (r) {
	case SPINE_STATE_OK:
		return "ok";
	case SPINE_STATE_BAD_ATTRS:
		return "wrong attributes";
	case SPINE_STATE_BAD_SIZE:
		return "wrong size";
	case SPINE_STATE_BAD_MAGIC:
		return "wrong magic";
	case SPINE_STATE_BAD_FIELD:
		return "field out of range";
	}
	return "unknown result";
}

static const char state_prefix[SPINE_STATE_PREFIX_LEN + 1] = "SpineSlotX-";

void spine_state_name(char slot, const uint8_t id[SPINE_STATE_DIGEST_LEN],
                      char out[SPINE_STATE_NAME_LEN])
{
	size_t o = 0;

	for (size_t i = 0; i < SPINE_STATE_PREFIX_LEN; i++)
		out[o++] = state_prefix[i];
	out[9] = slot == 'a' ? 'A' : 'B';
	for (size_t i = 0; i < SPINE_STATE_HEX_LEN / 2; i++) {
		out[o++] = hexdig[id[i] >> 4];
		out[o++] = hexdig[id[i] & 0xf];
	}
	out[o] = 0;
}

bool spine_state_name_stale(const char *name, size_t len, char slot, const char *keep)
{
	const char up = slot == 'a' ? 'A' : 'B';

	/* "SpineSlotA": the unbound name earlier loaders used. */
	if (len < 10 || !bytes_eq(name, state_prefix, 9) || name[9] != up)
		return false;
	if (len == 10)
		return true;
	if (len != SPINE_STATE_NAME_LEN - 1 || name[10] != '-')
		return false;
	for (size_t i = SPINE_STATE_PREFIX_LEN; i < len; i++) {
		bool hex = (name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f');

		if (!hex)
			return false;
	}
	return !bytes_eq(name, keep, len);
}

void spine_sha512(const void *p, size_t len, uint8_t out[SV_SHA512_LEN])
{
	struct sv_sha512 c;

	sv_sha512_init(&c);
	sv_sha512_update(&c, p, len);
	sv_sha512_final(&c, out);
}

void spine_manifest_id(const uint8_t *sigfile, size_t len, uint8_t id[SPINE_STATE_DIGEST_LEN])
{
	uint8_t d[SV_SHA512_LEN];

	spine_sha512(sigfile, len, d);
	copy(id, d, SPINE_STATE_DIGEST_LEN);
}

static bool same_install(const struct spine_state *cur, const uint8_t id[SPINE_STATE_DIGEST_LEN])
{
	return cur && sv_ct_equal(cur->manifest, id, SPINE_STATE_DIGEST_LEN);
}

bool spine_state_exhausted(const struct spine_state *cur, const uint8_t id[SPINE_STATE_DIGEST_LEN])
{
	return same_install(cur, id) && !cur->good && cur->tries_left == 0;
}

spine_verdict spine_state_next(const struct spine_state *cur,
                               const uint8_t id[SPINE_STATE_DIGEST_LEN], uint8_t tries,
                               struct spine_state *next)
{
	if (same_install(cur, id)) {
		if (cur->good) {
			*next = *cur;
			return SPINE_V_BOOT_GOOD;
		}
		if (cur->tries_left == 0)
			return SPINE_V_EXHAUSTED;
		*next = *cur;
		next->tries_left = (uint8_t)(cur->tries_left - 1);
		return SPINE_V_BOOT_ATTEMPT;
	}
	/* A new install: it starts with slot.conf's tries, and this first boot
	 * already uses one of them. */
	if (tries == 0)
		return SPINE_V_EXHAUSTED;
	next->tries_left = (uint8_t)(tries - 1);
	next->good = 0;
	copy(next->manifest, id, SPINE_STATE_DIGEST_LEN);
	return SPINE_V_BOOT_ATTEMPT;
}

/* ---- Rollback floor ------------------------------------------------------- */

spine_floor_result spine_floor_decode(const uint8_t *p, size_t len, uint32_t attrs, uint64_t *floor)
{
	/* Runtime access would let the OS lower the floor: such a variable was
	 * not written by the loader and is not trusted. */
	if (attrs != SPINE_FLOOR_ATTRS)
		return SPINE_FLOOR_BAD_ATTRS;
	if (len != 8)
		return SPINE_FLOOR_BAD_SIZE;
	*floor = (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
	return SPINE_FLOOR_OK;
}

void spine_floor_encode(uint64_t floor, uint8_t out[8])
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(floor >> (8 * i));
}

bool spine_floor_allows(uint64_t floor, uint32_t version)
{
	return (uint64_t)version >= floor;
}

bool spine_floor_raise(uint64_t floor, uint32_t version, spine_verdict v, bool other_ok,
                       uint32_t other_version, uint64_t *new_floor)
{
	uint64_t target = version;

	/* Only a slot the running system has vouched for moves the floor: raising
	 * it for an unproven slot would leave nothing to fall back to. */
	if (v != SPINE_V_BOOT_GOOD)
		return false;
	/* The other slot is the fallback (after an update, the previous good
	 * version): the floor stops at it. One already below the floor is
	 * refused anyway and holds nothing up. */
	if (other_ok && (uint64_t)other_version >= floor && other_version < target)
		target = other_version;
	if (target <= floor)
		return false;
	*new_floor = target;
	return true;
}

/* ---- Text ---------------------------------------------------------------- */

void spine_text_init(struct spine_text *t, char *buf, size_t cap)
{
	t->p = buf;
	t->cap = cap;
	t->len = 0;
	if (cap)
		buf[0] = 0;
}

static void text_ch(struct spine_text *t, char c)
{
	/* Truncates silently: a console line is never worth failing a boot. */
	if (t->len + 1 < t->cap) {
		t->p[t->len++] = c;
		t->p[t->len] = 0;
	}
}

void spine_text_str(struct spine_text *t, const char *s)
{
	while (*s)
		text_ch(t, *s++);
}

void spine_text_u64(struct spine_text *t, uint64_t v)
{
	char d[20];
	int n = 0;

	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		text_ch(t, d[--n]);
}

void spine_text_hex(struct spine_text *t, uint64_t v)
{
	static const char hx[] = "0123456789abcdef";

	spine_text_str(t, "0x");
	for (int i = 60; i >= 0; i -= 4)
		text_ch(t, hx[(v >> i) & 0xf]);
}

/* ---- Events ----------------------------------------------------------------- */

void spine_events(struct spine_event_buf *b, char slot, const uint8_t *sigfile, size_t siglen,
                  uint32_t version, struct spine_event ev[SPINE_NEVENTS])
{
	struct spine_text t;
	char s[2] = {slot, 0};

	spine_text_init(&t, b->slot, sizeof(b->slot));
	spine_text_str(&t, slot_word);
	spine_text_str(&t, s);
	ev[0].data = (const uint8_t *)b->slot;
	ev[0].len = t.len;
	ev[0].desc = b->slot;

	ev[1].data = sigfile;
	ev[1].len = siglen;
	ev[1].desc = "spine.manifest";

	spine_text_init(&t, b->version, sizeof(b->version));
	spine_text_str(&t, "spine.version=");
	spine_text_u64(&t, version);
	ev[2].data = (const uint8_t *)b->version;
	ev[2].len = t.len;
	ev[2].desc = b->version;
}
