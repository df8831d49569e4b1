/*
 * runlog.c: the reader of bay0's run-time event log and of the PCR 11
 * strings (runlog.h; docs/measure.md, "The run-time log").
 *
 * Strict on purpose: bay0 writes the log and the strings with one spelling,
 * so any other spelling (upper-case hex, a stray space, a '\r', a name the
 * passport parser would refuse) is a fault or a forgery, and a predictor that
 * accepted it would vouch for values nobody can reproduce.
 */
#include "runlog.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Writes the reason into err and returns -EINVAL. */
__attribute__((format(printf, 3, 4))) static int refuse(char *err, size_t errlen, const char *fmt,
                                                        ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool is_word(const char *s, size_t len, const char *w)
{
	size_t n = strlen(w);
	return len == n && memcmp(s, w, n) == 0;
}

int runlog_name_ok(const char *name, size_t len)
{
	if (len == 0 || len > RUNLOG_NAME_MAX || name[0] < 'a' || name[0] > 'z' ||
	    name[len - 1] == '-')
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return 1;
}

static int name_check(const char *s, size_t n, char *err, size_t errlen)
{
	if (n == 0)
		return refuse(err, errlen, "persona name: empty");
	if (n > RUNLOG_NAME_MAX)
		return refuse(err, errlen, "persona name: longer than %d bytes", RUNLOG_NAME_MAX);
	if (s[0] < 'a' || s[0] > 'z')
		return refuse(err, errlen, "persona name: does not start with a letter a-z");
	if (!runlog_name_ok(s, n)) {
		if (s[n - 1] == '-')
			return refuse(err, errlen, "persona name: ends in '-'");
		return refuse(err, errlen, "persona name: a byte outside [a-z0-9-]");
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return -2; /* a hex digit, but the wrong case */
	return -1;
}

/* Reads exactly RUNLOG_HEX_LEN lower-case hex digits from s (avail bytes),
 * stopping at the first byte that is no hex digit of either case. */
static int hex_field(const char *s, size_t avail, uint8_t out[RUNLOG_SHA512_LEN], const char *what,
                     char *err, size_t errlen)
{
	size_t n = 0;
	bool upper = false;

	while (n < avail && hexval(s[n]) != -1) {
		if (hexval(s[n]) == -2)
			upper = true;
		n++;
	}
	if (n < RUNLOG_HEX_LEN)
		return refuse(err, errlen, "%s: %zu hex digits, not %d", what, n, RUNLOG_HEX_LEN);
	if (n > RUNLOG_HEX_LEN)
		return refuse(err, errlen, "%s: more than %d hex digits", what, RUNLOG_HEX_LEN);
	if (upper)
		return refuse(err, errlen, "%s: upper-case hex digit", what);
	for (size_t i = 0; i < RUNLOG_SHA512_LEN; i++)
		out[i] = (uint8_t)(hexval(s[2 * i]) << 4 | hexval(s[2 * i + 1]));
	return 0;
}

int runlog_parse_string(const char *s, size_t len, struct runlog_event *ev, char *err,
                        size_t errlen)
{
	const size_t plen = strlen(RUNLOG_S_PERSONA);

	memset(ev, 0, sizeof(*ev));
	ev->str = s;
	ev->len = len;
	if (is_word(s, len, RUNLOG_S_PERSONAS)) {
		ev->kind = RUNLOG_PERSONAS;
		return 0;
	}
	if (is_word(s, len, RUNLOG_S_SHUTDOWN)) {
		ev->kind = RUNLOG_SHUTDOWN;
		return 0;
	}
	if (len < plen || memcmp(s, RUNLOG_S_PERSONA, plen) != 0)
		return refuse(err, errlen,
		              "not " RUNLOG_S_PERSONAS ", " RUNLOG_S_PERSONA
		              "... or " RUNLOG_S_SHUTDOWN);
	ev->kind = RUNLOG_PERSONA;

	const char *p = s + plen, *end = s + len;
	const char *colon = memchr(p, ':', (size_t)(end - p));
	if (!colon)
		return refuse(err, errlen, "persona: no ':' after the name");
	size_t n = (size_t)(colon - p);
	int r = name_check(p, n, err, errlen);
	if (r)
		return r;
	memcpy(ev->name, p, n);
	ev->name[n] = '\0';

	p = colon + 1;
	r = hex_field(p, (size_t)(end - p), ev->passport_sha512, "passport SHA-512", err, errlen);
	if (r)
		return r;
	p += RUNLOG_HEX_LEN;
	if (p == end)
		return refuse(err, errlen, "persona: no image SHA-512 after the passport's");
	if (*p != ':')
		return refuse(err, errlen, "persona: the passport SHA-512 is not followed by ':'");
	p++;
	r = hex_field(p, (size_t)(end - p), ev->image_sha512, "image SHA-512", err, errlen);
	if (r)
		return r;
	p += RUNLOG_HEX_LEN;
	if (p != end)
		return refuse(err, errlen, "persona: %zu bytes after the image SHA-512",
		              (size_t)(end - p));
	return 0;
}

int runlog_persona_string(char *out, size_t outlen, const char *name,
                          const uint8_t passport_sha512[RUNLOG_SHA512_LEN],
                          const uint8_t image_sha512[RUNLOG_SHA512_LEN])
{
	static const char digits[] = "0123456789abcdef";
	size_t n = strlen(name), need = strlen(RUNLOG_S_PERSONA) + n + 2 + 2 * RUNLOG_HEX_LEN;
	char *p = out;

	if (!runlog_name_ok(name, n) || outlen <= need)
		return -EINVAL;
	memcpy(p, RUNLOG_S_PERSONA, strlen(RUNLOG_S_PERSONA));
	p += strlen(RUNLOG_S_PERSONA);
	memcpy(p, name, n);
	p += n;
	*p++ = ':';
	for (size_t i = 0; i < RUNLOG_SHA512_LEN; i++) {
		*p++ = digits[passport_sha512[i] >> 4];
		*p++ = digits[passport_sha512[i] & 15];
	}
	*p++ = ':';
	for (size_t i = 0; i < RUNLOG_SHA512_LEN; i++) {
		*p++ = digits[image_sha512[i] >> 4];
		*p++ = digits[image_sha512[i] & 15];
	}
	*p = '\0';
	return (int)need;
}

int runlog_open(struct runlog *rl, const void *buf, size_t len)
{
	memset(rl, 0, sizeof(*rl));
	rl->buf = buf;
	rl->len = len;
	if (len > RUNLOG_SIZE_MAX) {
		refuse(rl->err, sizeof(rl->err), "larger than %u bytes", RUNLOG_SIZE_MAX);
		return -EFBIG;
	}
	return 0;
}

int runlog_next(struct runlog *rl, struct runlog_event *ev)
{
	static const char prefix[] = "11 ";

	if (rl->err[0])
		return -EINVAL;
	if (rl->pos >= rl->len)
		return 0;
	rl->line++;

	const char *s = rl->buf + rl->pos;
	size_t avail = rl->len - rl->pos;
	/* The grammar bounds a line's length; a longer one is refused by it,
	 * with the more useful reason. */
	const char *nl = memchr(s, '\n', avail);
	if (!nl)
		return refuse(rl->err, sizeof(rl->err), "no newline at the end of the log");
	size_t n = (size_t)(nl - s);
	if (n == 0)
		return refuse(rl->err, sizeof(rl->err), "empty line");
	if (n < sizeof(prefix) - 1 || memcmp(s, prefix, sizeof(prefix) - 1) != 0)
		return refuse(rl->err, sizeof(rl->err), "does not start with \"11 \"");
	if (runlog_parse_string(s + 3, n - 3, ev, rl->err, sizeof(rl->err)))
		return -EINVAL;
	if (rl->seen_shutdown)
		return refuse(rl->err, sizeof(rl->err), "an event after " RUNLOG_S_SHUTDOWN);
	if (ev->kind == RUNLOG_PERSONAS && rl->line != 1)
		return refuse(rl->err, sizeof(rl->err), RUNLOG_S_PERSONAS " after line 1");
	if (ev->kind == RUNLOG_SHUTDOWN)
		rl->seen_shutdown = 1;
	rl->pos += n + 1;
	rl->nevents++;
	return 1;
}
