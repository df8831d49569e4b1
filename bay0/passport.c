/*
 * passport.c: the strict passport parser (docs/passport.md) and the
 * read-once, verify-in-memory loader.
 *
 * The parser is deliberately unforgiving: a passport is written by a build
 * script and signed, so any surprise in it is a mistake or an attack and the
 * persona is refused with a reason rather than guessed at.
 */
#define _GNU_SOURCE
#include "passport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int persona_refuse(char *err, size_t errlen, int e, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -e;
}

static const struct {
	const char *name;
	uint32_t bit;
} devs[] = {
        {"null", PASSPORT_DEV_NULL},       {"zero", PASSPORT_DEV_ZERO},
        {"full", PASSPORT_DEV_FULL},       {"random", PASSPORT_DEV_RANDOM},
        {"urandom", PASSPORT_DEV_URANDOM}, {"tty", PASSPORT_DEV_TTY},
};

const char *passport_dev_name(uint32_t bit)
{
	for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++)
		if (devs[i].bit == bit)
			return devs[i].name;
	return NULL;
}

/* FNV-1a: stable across builds and hosts, which is all a derived id needs. */
uint32_t passport_derived_id(const char *name)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *s = (const unsigned char *)name; *s; s++)
		h = (h ^ *s) * 16777619u;
	return PASSPORT_UID_BASE + h % PASSPORT_UID_SPAN;
}

void passport_argv(const struct passport *pp, char *argv[PASSPORT_ARGC_MAX + 1])
{
	unsigned i;
	for (i = 0; i < pp->argc; i++)
		argv[i] = (char *)(uintptr_t)pp->argv[i];
	argv[i] = NULL;
}

/* A word is a run of bytes 0x21..0x7e. Words are separated by exactly one
 * space; the caller has already checked the line's bytes. */
struct words {
	const char *w[PASSPORT_ARGC_MAX + 2];
	size_t n[PASSPORT_ARGC_MAX + 2];
	unsigned count;
	bool too_many;
};

static void split(const char *line, size_t len, struct words *ws)
{
	ws->count = 0;
	ws->too_many = false;
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && line[j] != ' ')
			j++;
		if (ws->count == sizeof ws->w / sizeof ws->w[0]) {
			ws->too_many = true;
			return;
		}
		ws->w[ws->count] = line + i;
		ws->n[ws->count] = j - i;
		ws->count++;
		i = j + 1;
	}
}

static bool word_is(const char *w, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(w, s, n) == 0;
}

/* Decimal, no sign, no leading zeros, no overflow, at most max. */
static bool parse_u64(const char *w, size_t n, uint64_t max, uint64_t *out)
{
	if (n == 0 || n > 20 || (n > 1 && w[0] == '0'))
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (w[i] < '0' || w[i] > '9')
			return false;
		unsigned d = (unsigned)(w[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* A byte size: decimal with an optional K, M or G suffix (powers of 1024). */
static bool parse_size(const char *w, size_t n, uint64_t *out)
{
	uint64_t mul = 1;
	if (n > 1) {
		switch (w[n - 1]) {
		case 'K':
			mul = 1ull << 10;
			n--;
			break;
		case 'M':
			mul = 1ull << 20;
			n--;
			break;
		case 'G':
			mul = 1ull << 30;
			n--;
			break;
		default:
			break;
		}
	}
	uint64_t v;
	if (!parse_u64(w, n, UINT64_MAX, &v) || v > UINT64_MAX / mul)
		return false;
	*out = v * mul;
	return true;
}

static bool valid_name(const char *w, size_t n)
{
	if (n == 0 || n > PASSPORT_NAME_MAX || w[0] < 'a' || w[0] > 'z' || w[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((w[i] >= 'a' && w[i] <= 'z') || (w[i] >= '0' && w[i] <= '9') || w[i] == '-'))
			return false;
	return true;
}

/* Inventory file name: [A-Za-z0-9._-], not starting with '.', so it can be
 * neither a path nor a hidden or relative name. */
static bool valid_image(const char *w, size_t n)
{
	if (n == 0 || n > PASSPORT_IMAGE_MAX || w[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = w[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* A network device name (docs/network.md): what the kernel's dev_valid_name
 * takes, narrowed to one plain spelling. lo is refused: loopback cannot
 * leave its namespace, and every persona has its own. */
static bool valid_netdev(const char *w, size_t n)
{
	if (n == 0 || n > PASSPORT_NETDEV_MAX || word_is(w, n, "lo"))
		return false;
	if (!((w[0] >= 'a' && w[0] <= 'z') || (w[0] >= 'A' && w[0] <= 'Z') ||
	      (w[0] >= '0' && w[0] <= '9')))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = w[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Lower-case hex of exactly 2*len digits into out[len]. */
static bool parse_hex(const char *w, size_t n, uint8_t *out, size_t len)
{
	if (n != 2 * len)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = w[i];
		unsigned v;
		if (c >= '0' && c <= '9')
			v = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = (unsigned)(c - 'a' + 10);
		else
			return false;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= (uint8_t)v;
	}
	return true;
}

uint64_t passport_verity_tree_bytes(uint64_t data_blocks)
{
	/* Level 0 hashes the data blocks, each higher level the one below,
	 * until one block holds a level; the root hash is that block's hash.
	 * One data block has no tree at all: its hash is the root. */
	const uint64_t per = PASSPORT_VERITY_BLOCK / PASSPORT_VERITY_ROOT_LEN;
	uint64_t total = 0, n = data_blocks;
	while (n > 1) {
		n = (n + per - 1) / per;
		total += n;
	}
	return total * PASSPORT_VERITY_BLOCK;
}

/* verity <file> <size> <data blocks> <hash offset> <data bs> <hash bs> sha256 <salt|-> <root> */
static int parse_verity(struct passport *pp, const struct words *ws, size_t lineno, char *err,
                        size_t errlen)
{
	struct passport_verity *v = &pp->verity;
	uint64_t bs1, bs2;

	if (ws->count != 10 || !valid_image(ws->w[1], ws->n[1]))
		return persona_refuse(err, errlen, EINVAL,
		                      "line %zu: verity: want '<file> <size> <data blocks> <hash "
		                      "offset> 4096 4096 sha256 <salt hex|-> <root hex>' with a "
		                      "plain file name",
		                      lineno);
	if (!parse_u64(ws->w[2], ws->n[2], PASSPORT_VERITY_SIZE_MAX, &v->size) ||
	    !parse_u64(ws->w[3], ws->n[3], PASSPORT_VERITY_SIZE_MAX, &v->data_blocks) ||
	    !parse_u64(ws->w[4], ws->n[4], PASSPORT_VERITY_SIZE_MAX, &v->hash_offset) ||
	    v->data_blocks == 0)
		return persona_refuse(err, errlen, EINVAL,
		                      "line %zu: verity: size, data blocks and hash offset want "
		                      "decimals, blocks >= 1, at most 1 TiB",
		                      lineno);
	if (!parse_u64(ws->w[5], ws->n[5], UINT32_MAX, &bs1) ||
	    !parse_u64(ws->w[6], ws->n[6], UINT32_MAX, &bs2) || bs1 != PASSPORT_VERITY_BLOCK ||
	    bs2 != PASSPORT_VERITY_BLOCK)
		return persona_refuse(err, errlen, EINVAL,
		                      "line %zu: verity: data and hash block sizes must be %u",
		                      lineno, PASSPORT_VERITY_BLOCK);
	if (!word_is(ws->w[7], ws->n[7], "sha256"))
		return persona_refuse(err, errlen, EINVAL,
		                      "line %zu: verity: hash algorithm must be sha256", lineno);
	if (word_is(ws->w[8], ws->n[8], "-"))
		v->salt_len = 0;
	else if (ws->n[8] % 2 == 0 && ws->n[8] >= 2 && ws->n[8] <= 2 * PASSPORT_VERITY_SALT_MAX &&
	         parse_hex(ws->w[8], ws->n[8], v->salt, ws->n[8] / 2))
		v->salt_len = ws->n[8] / 2;
	else
		return persona_refuse(
		        err, errlen, EINVAL,
		        "line %zu: verity: salt wants '-' or 1-%d bytes of lower-case "
		        "hex",
		        lineno, PASSPORT_VERITY_SALT_MAX);
	if (!parse_hex(ws->w[9], ws->n[9], v->root, sizeof v->root))
		return persona_refuse(err, errlen, EINVAL,
		                      "line %zu: verity: root hash is not 64 lower-case hex digits",
		                      lineno);
	/* The layout is fixed: the tree starts right after the data and the
	 * file ends right after the tree. No gap, no overlap, no tail: every
	 * byte of the file is either a verified data block or the tree. */
	if (v->hash_offset != v->data_blocks * PASSPORT_VERITY_BLOCK)
		return persona_refuse(err, errlen, EINVAL,
		                      "line %zu: verity: hash offset %llu is not data blocks * %u",
		                      lineno, (unsigned long long)v->hash_offset,
		                      PASSPORT_VERITY_BLOCK);
	uint64_t want = v->hash_offset + passport_verity_tree_bytes(v->data_blocks);
	if (v->size != want)
		return persona_refuse(err, errlen, EINVAL,
		                      "line %zu: verity: size %llu is not data + hash tree (%llu)",
		                      lineno, (unsigned long long)v->size,
		                      (unsigned long long)want);
	v->data_block_size = (uint32_t)bs1;
	v->hash_block_size = (uint32_t)bs2;
	memcpy(pp->image, ws->w[1], ws->n[1]);
	pp->image[ws->n[1]] = 0;
	pp->form = PASSPORT_IMAGE_VERITY;
	return 0;
}

static bool parse_hex512(const char *w, size_t n, uint8_t out[SV_SHA512_LEN])
{
	return parse_hex(w, n, out, SV_SHA512_LEN); /* lower-case only, as signify writes it */
}

/* "2-3,5": ascending, non-overlapping ranges; core 0 is refused. */
static bool parse_cpus(const char *w, size_t n, uint64_t *out)
{
	uint64_t mask = 0;
	int last = -1;
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && w[j] != ',')
			j++;
		size_t dash = i;
		while (dash < j && w[dash] != '-')
			dash++;
		uint64_t a, b;
		if (!parse_u64(w + i, dash - i, PASSPORT_CPUS_MAX - 1, &a))
			return false;
		b = a;
		if (dash < j && !parse_u64(w + dash + 1, j - dash - 1, PASSPORT_CPUS_MAX - 1, &b))
			return false;
		if (b < a || (int)a <= last)
			return false;
		for (uint64_t c = a; c <= b; c++)
			mask |= 1ull << c;
		last = (int)b;
		if (j == n)
			break;
		if (j + 1 == n)
			return false; /* trailing comma */
		i = j + 1;
	}
	if (mask == 0 || (mask & 1))
		return false;
	*out = mask;
	return true;
}

enum directive {
	D_NAME,
	D_IMAGE,
	D_ENTRY,
	D_CORES,
	D_CPU_MAX,
	D_MEMORY_MAX,
	D_PIDS_MAX,
	D_LIFETIME,
	D_DEVICES,
	D_NETWORK,
	D_PERSIST,
	D_UID,
	D_GID,
	D_UMBILICAL,
	D_VERITY,
	D_COUNT
};

static const char *const directive_names[D_COUNT] = {
        "name",    "image",   "entry",   "cores", "cpu.max", "memory.max", "pids.max", "lifetime",
        "devices", "network", "persist", "uid",   "gid",     "umbilical",  "verity",
};

/* Without these a persona is refused; the rest have safe defaults. And
 * exactly one of image and verity. */
static const unsigned required =
        1u << D_NAME | 1u << D_ENTRY | 1u << D_CORES | 1u << D_MEMORY_MAX | 1u << D_PIDS_MAX;

#define ID_MIN 1000u       /* below: system ids */
#define ID_MAX 0x7ffffffeu /* 2^31-2: clear of (uid_t)-1 and the overflow id */

static int directive(struct passport *pp, enum directive d, const struct words *ws, size_t lineno,
                     char *err, size_t errlen)
{
	const char *dn = directive_names[d];
	unsigned na = ws->count - 1; /* arguments */
	uint64_t v;

	/* Every directive takes a value; w[1] is only set when one is there. */
	if (na == 0)
		return persona_refuse(err, errlen, EINVAL, "line %zu: %s: needs a value", lineno,
		                      dn);
	const char *a = ws->w[1];
	size_t an = ws->n[1];

	switch (d) {
	case D_NAME:
		if (na != 1 || !valid_name(a, an))
			return persona_refuse(
			        err, errlen, EINVAL,
			        "line %zu: name: want 1-%d of [a-z0-9-], starting a-z", lineno,
			        PASSPORT_NAME_MAX);
		memcpy(pp->name, a, an);
		pp->name[an] = 0;
		return 0;
	case D_IMAGE:
		if (na != 2 || !valid_image(a, an))
			return persona_refuse(
			        err, errlen, EINVAL,
			        "line %zu: image: want '<file> <sha512 hex>' with a plain "
			        "file name",
			        lineno);
		if (!parse_hex512(ws->w[2], ws->n[2], pp->image_sha512))
			return persona_refuse(
			        err, errlen, EINVAL,
			        "line %zu: image: SHA-512 is not 128 lower-case hex digits",
			        lineno);
		memcpy(pp->image, a, an);
		pp->image[an] = 0;
		pp->form = PASSPORT_IMAGE_SHA512;
		return 0;
	case D_VERITY:
		return parse_verity(pp, ws, lineno, err, errlen);
	case D_ENTRY:
		if (ws->too_many || na > PASSPORT_ARGC_MAX)
			return persona_refuse(err, errlen, E2BIG,
			                      "line %zu: entry: more than %d words", lineno,
			                      PASSPORT_ARGC_MAX);
		if (na == 0 || a[0] != '/')
			return persona_refuse(err, errlen, EINVAL,
			                      "line %zu: entry: want an absolute path", lineno);
		for (unsigned i = 0; i < na; i++) {
			if (ws->n[i + 1] > PASSPORT_ARG_MAX)
				return persona_refuse(
				        err, errlen, E2BIG,
				        "line %zu: entry: word %u longer than %d bytes", lineno,
				        i + 1, PASSPORT_ARG_MAX);
			memcpy(pp->argv[i], ws->w[i + 1], ws->n[i + 1]);
			pp->argv[i][ws->n[i + 1]] = 0;
		}
		pp->argc = na;
		return 0;
	case D_CORES:
		if (na != 1 || !parse_cpus(a, an, &pp->cpus))
			return persona_refuse(
			        err, errlen, EINVAL,
			        "line %zu: cores: want ascending ranges like 2-3,5 within 1-%d "
			        "(core 0 is bay0's)",
			        lineno, PASSPORT_CPUS_MAX - 1);
		return 0;
	case D_CPU_MAX: {
		uint64_t q = 0, per;
		bool qok =
		        word_is(a, an, "max") || (parse_u64(a, an, 1000000000ull, &q) && q >= 1000);
		if (na != 2 || !qok || !parse_u64(ws->w[2], ws->n[2], 1000000, &per) || per < 1000)
			return persona_refuse(
			        err, errlen, EINVAL,
			        "line %zu: cpu.max: want '<quota us>|max <period us>', "
			        "quota >= 1000, period 1000..1000000",
			        lineno);
		pp->cpu_quota = q;
		pp->cpu_period = per;
		return 0;
	}
	case D_MEMORY_MAX:
		/* 1 MiB floor: below it the entry cannot even be exec'd. */
		if (na != 1 || !parse_size(a, an, &v) || v < (1u << 20) || v > (1ull << 50))
			return persona_refuse(
			        err, errlen, EINVAL,
			        "line %zu: memory.max: want bytes (K/M/G suffix), 1M..1P", lineno);
		pp->memory_max = v;
		return 0;
	case D_PIDS_MAX:
		if (na != 1 || !parse_u64(a, an, 4194304, &v) || v == 0)
			return persona_refuse(err, errlen, EINVAL,
			                      "line %zu: pids.max: want 1..4194304", lineno);
		pp->pids_max = v;
		return 0;
	case D_LIFETIME:
		if (na == 1 && word_is(a, an, "none")) {
			pp->lifetime_s = 0;
			return 0;
		}
		if (na != 1 || !parse_u64(a, an, 315360000ull, &v) || v == 0)
			return persona_refuse(
			        err, errlen, EINVAL,
			        "line %zu: lifetime: want seconds 1..315360000 or none", lineno);
		pp->lifetime_s = v;
		return 0;
	case D_DEVICES:
		pp->devices = 0;
		if (na == 1 && word_is(a, an, "none"))
			return 0;
		if (ws->too_many || na == 0)
			return persona_refuse(err, errlen, EINVAL,
			                      "line %zu: devices: want names or none", lineno);
		for (unsigned i = 1; i <= na; i++) {
			uint32_t bit = 0;
			for (size_t k = 0; k < sizeof devs / sizeof devs[0]; k++)
				if (word_is(ws->w[i], ws->n[i], devs[k].name))
					bit = devs[k].bit;
			if (!bit)
				return persona_refuse(
				        err, errlen, EPERM,
				        "line %zu: devices: '%.*s' is not on the allow-list",
				        lineno, (int)ws->n[i], ws->w[i]);
			if (pp->devices & bit)
				return persona_refuse(err, errlen, EINVAL,
				                      "line %zu: devices: '%.*s' twice", lineno,
				                      (int)ws->n[i], ws->w[i]);
			pp->devices |= bit;
		}
		return 0;
	case D_NETWORK:
		if (na == 1 && word_is(a, an, "none")) {
			pp->net = PASSPORT_NET_NONE;
			return 0;
		}
		if (na != 2 || !word_is(a, an, "device") || !valid_netdev(ws->w[2], ws->n[2]))
			return persona_refuse(err, errlen, EINVAL,
			                      "line %zu: network: want 'none' or 'device <name>' "
			                      "(1-%d of [A-Za-z0-9_.-], starting with a letter "
			                      "or digit, not lo)",
			                      lineno, PASSPORT_NETDEV_MAX);
		pp->net = PASSPORT_NET_DEVICE;
		memcpy(pp->net_device, ws->w[2], ws->n[2]);
		pp->net_device[ws->n[2]] = 0;
		return 0;
	case D_PERSIST:
		if (na == 1 && word_is(a, an, "none"))
			pp->persist = PASSPORT_PERSIST_NONE;
		else if (na == 1 && word_is(a, an, "rw"))
			pp->persist = PASSPORT_PERSIST_RW;
		else if (na == 1 && word_is(a, an, "rw+exec"))
			pp->persist = PASSPORT_PERSIST_RW_EXEC;
		else
			return persona_refuse(err, errlen, EINVAL,
			                      "line %zu: persist: want none|rw|rw+exec", lineno);
		return 0;
	case D_UMBILICAL: {
		static const char *const g[] = {"none", "pull", "offer", "both"};
		for (unsigned i = 0; i < 4; i++)
			if (na == 1 && word_is(a, an, g[i])) {
				pp->umbilical = (enum passport_umbilical)i;
				return 0;
			}
		return persona_refuse(err, errlen, EINVAL,
		                      "line %zu: umbilical: want none|pull|offer|both", lineno);
	}
	case D_UID:
	case D_GID:
		if (na != 1 || !parse_u64(a, an, ID_MAX, &v) || v < ID_MIN)
			return persona_refuse(err, errlen, EINVAL, "line %zu: %s: want %u..%u",
			                      lineno, dn, ID_MIN, ID_MAX);
		if (d == D_UID)
			pp->uid = (uint32_t)v;
		else
			pp->gid = (uint32_t)v;
		return 0;
	case D_COUNT:
		break;
	}
	return persona_refuse(err, errlen, EINVAL, "line %zu: internal: directive %d", lineno,
	                      (int)d);
}

int passport_parse(const char *text, size_t len, struct passport *out, char *err, size_t errlen)
{
	struct passport pp;
	memset(&pp, 0, sizeof pp);
	pp.cpu_quota = 0;
	pp.cpu_period = 100000;
	pp.net = PASSPORT_NET_NONE;
	pp.persist = PASSPORT_PERSIST_NONE;

	if (len == 0)
		return persona_refuse(err, errlen, EINVAL, "empty passport");
	if (len > PASSPORT_FILE_MAX)
		return persona_refuse(err, errlen, E2BIG, "passport longer than %d bytes",
		                      PASSPORT_FILE_MAX);
	if (text[len - 1] != '\n')
		return persona_refuse(err, errlen, EINVAL, "passport does not end with a newline");

	unsigned seen = 0;
	size_t lineno = 0;
	for (size_t off = 0; off < len;) {
		const char *line = text + off;
		size_t n = 0;
		while (line[n] != '\n')
			n++;
		off += n + 1;
		lineno++;
		/* Printable ASCII, single spaces between words, none at either end:
		 * one spelling per meaning, so what was signed is what was meant. */
		if (n == 0)
			return persona_refuse(err, errlen, EINVAL, "line %zu: empty line", lineno);
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)line[i];
			if (c < 0x20 || c > 0x7e)
				return persona_refuse(err, errlen, EINVAL,
				                      "line %zu: byte 0x%02x not allowed", lineno,
				                      c);
			if (c == ' ' && (i == 0 || i == n - 1 || line[i - 1] == ' '))
				return persona_refuse(
				        err, errlen, EINVAL,
				        "line %zu: stray space (one space between words)", lineno);
		}
		struct words ws;
		split(line, n, &ws);
		enum directive d = D_COUNT;
		for (unsigned k = 0; k < D_COUNT; k++)
			if (word_is(ws.w[0], ws.n[0], directive_names[k]))
				d = (enum directive)k;
		if (d == D_COUNT)
			return persona_refuse(err, errlen, EINVAL,
			                      "line %zu: unknown directive '%.*s'", lineno,
			                      (int)(ws.n[0] > 32 ? 32 : ws.n[0]), ws.w[0]);
		if (seen & (1u << d))
			return persona_refuse(err, errlen, EINVAL,
			                      "line %zu: duplicate directive '%s'", lineno,
			                      directive_names[d]);
		seen |= 1u << d;
		if (ws.too_many && d != D_ENTRY && d != D_DEVICES)
			return persona_refuse(err, errlen, E2BIG, "line %zu: %s: too many words",
			                      lineno, directive_names[d]);
		int r = directive(&pp, d, &ws, lineno, err, errlen);
		if (r)
			return r;
	}
	for (unsigned k = 0; k < D_COUNT; k++)
		if ((required & (1u << k)) && !(seen & (1u << k)))
			return persona_refuse(err, errlen, EINVAL, "missing directive '%s'",
			                      directive_names[k]);
	if ((seen & (1u << D_IMAGE)) && (seen & (1u << D_VERITY)))
		return persona_refuse(err, errlen, EINVAL,
		                      "both 'image' and 'verity': a passport names one form");
	if (!(seen & (1u << D_IMAGE | 1u << D_VERITY)))
		return persona_refuse(err, errlen, EINVAL, "missing directive 'image' or 'verity'");
	if (!(seen & (1u << D_UID)))
		pp.uid = passport_derived_id(pp.name);
	if (!(seen & (1u << D_GID)))
		pp.gid = pp.uid;
	*out = pp;
	return 0;
}

int passport_verify_parse(const uint8_t *file, size_t len, const sv_pubkey *keys, size_t nkeys,
                          struct passport *out, char *err, size_t errlen)
{
	size_t off;
	if (len > PASSPORT_FILE_MAX)
		return persona_refuse(err, errlen, E2BIG, "passport file longer than %d bytes",
		                      PASSPORT_FILE_MAX);
	sv_result r = sv_verify_embedded(keys, nkeys, file, len, &off);
	if (r != SV_OK)
		return persona_refuse(err, errlen, EPERM, "signature: %s", sv_result_str(r));
	return passport_parse((const char *)file + off, len - off, out, err, errlen);
}

bool passport_file_matches(const char *file, const char *name)
{
	size_t n = strlen(name);

	return n && !strncmp(file, name, n) && !strcmp(file + n, ".passport");
}

int passport_load(int dirfd, const char *path, const sv_pubkey *keys, size_t nkeys,
                  struct passport *out, char *err, size_t errlen)
{
	/* One read into memory; the verified bytes are the parsed bytes. */
	uint8_t *buf = malloc(PASSPORT_FILE_MAX + 1);
	if (!buf)
		return persona_refuse(err, errlen, ENOMEM, "out of memory");
	int r;
	int fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = persona_refuse(err, errlen, errno, "open %s: %s", path, strerror(errno));
		goto out;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = persona_refuse(err, errlen, EINVAL, "%s: not a regular file", path);
		goto out;
	}
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, PASSPORT_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = persona_refuse(err, errlen, errno, "read %s: %s", path,
			                   strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > PASSPORT_FILE_MAX) {
			r = persona_refuse(err, errlen, E2BIG, "%s: longer than %d bytes", path,
			                   PASSPORT_FILE_MAX);
			goto out;
		}
	}
	r = passport_verify_parse(buf, len, keys, nkeys, out, err, errlen);
	if (r == 0)
		sv_sha512(buf, len, out->file_sha512);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return r;
}
