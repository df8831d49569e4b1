/*
 * umbilical.c: the Umbilical's pure parts (umbilical.h, docs/umbilical.md).
 */
#include "umbilical.h"
#include "hex.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool persona_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > PASSPORT_NAME_MAX || s[0] < 'a' || s[0] > 'z' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

/* One UTF-8 sequence at s[0..n): its code point and length, or 0 when it
 * is not the shortest form of a scalar value. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0; /* a continuation byte, 0xc0/0xc1 or 0xf5.. */
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static bool is_control(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c || c == 0x200e || c == 0x200f ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

int umb_name_check(const char *name, size_t len, char *err, size_t errlen)
{
	const unsigned char *s = (const unsigned char *)name;

	if (len == 0)
		return persona_refuse(err, errlen, EINVAL, "name rule: the name is empty");
	if (len > UMB_NAME_MAX)
		return persona_refuse(err, errlen, ENAMETOOLONG, "name rule: longer than %d bytes",
		                      UMB_NAME_MAX);
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return persona_refuse(err, errlen, EINVAL, "name rule: '.' and '..' are not names");
	for (size_t i = 0; i < len;) {
		uint32_t c;
		size_t k = utf8_next(s + i, len - i, &c);

		if (k == 0)
			return persona_refuse(err, errlen, EINVAL,
			                      "name rule: not valid UTF-8 at byte %zu", i);
		if (c == '/')
			return persona_refuse(err, errlen, EINVAL,
			                      "name rule: '/' at byte %zu (a name, not a path)", i);
		if (is_control(c))
			return persona_refuse(err, errlen, EINVAL,
			                      "name rule: control character U+%04X at byte %zu",
			                      (unsigned)c, i);
		i += k;
	}
	return 0;
}

int umb_request_parse(const uint8_t *msg, size_t len, struct umb_request *out, char *err,
                      size_t errlen)
{
	static const char want[] =
	        "request: want 'pull <persona> <file name>' or 'spine <folder name>'";
	struct umb_request rq;
	const char *m = (const char *)msg;
	size_t i, src;
	int e;

	if (len > UMB_REQ_MAX)
		return persona_refuse(err, errlen, E2BIG, "request longer than %d bytes",
		                      UMB_REQ_MAX);
	if (len && m[len - 1] == '\n')
		len--;
	memset(&rq, 0, sizeof(rq));
	if (len >= 6 && !memcmp(m, "spine ", 6)) {
		e = umb_name_check(m + 6, len - 6, err, errlen);
		if (e)
			return e;
		rq.op = UMB_OP_SPINE;
		memcpy(rq.name, m + 6, len - 6);
		*out = rq;
		return 0;
	}
	if (len < 5 || memcmp(m, "pull ", 5))
		return persona_refuse(err, errlen, EINVAL, "%s", want);
	src = 5;
	for (i = src; i < len && m[i] != ' '; i++)
		;
	if (i == len || !persona_name_ok(m + src, i - src))
		return persona_refuse(err, errlen, EINVAL,
		                      "request: want 'pull <persona> <file name>', the persona "
		                      "1-%d of [a-z0-9-] starting a-z",
		                      PASSPORT_NAME_MAX);
	rq.op = UMB_OP_PULL;
	memcpy(rq.source, m + src, i - src);
	e = umb_name_check(m + i + 1, len - i - 1, err, errlen);
	if (e)
		return e;
	memcpy(rq.name, m + i + 1, len - i - 1);
	*out = rq;
	return 0;
}

int umb_may(const char *receiver, enum passport_umbilical rgrant, const char *source,
            enum passport_umbilical sgrant, char *err, size_t errlen)
{
	if (!strcmp(receiver, source))
		return persona_refuse(err, errlen, EINVAL, "%s asks for its own file", receiver);
	if (!(rgrant & PASSPORT_UMB_PULL))
		return persona_refuse(err, errlen, EPERM, "%s's passport does not grant pull",
		                      receiver);
	if (!(sgrant & PASSPORT_UMB_OFFER))
		return persona_refuse(err, errlen, EPERM, "%s's passport does not grant offer",
		                      source);
	return 0;
}

size_t umb_escape(const char *in, size_t len, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (outlen == 0)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		size_t need = (c >= 0x20 && c <= 0x7e) ? (c == '\\' ? 2 : 1) : 4;

		if (o + need > outlen - 1)
			break;
		if (need == 1) {
			out[o++] = (char)c;
		} else if (need == 2) {
			out[o++] = '\\';
			out[o++] = '\\';
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = 0;
	return i;
}

void umb_relay(const char *name, const char *buf, size_t len,
               void (*emit)(void *arg, const char *line), void *arg)
{
	char out[UMB_RELAY_MAX + 1];
	size_t off = 0;
	int pre = snprintf(out, sizeof(out), "[%.*s] ", PASSPORT_NAME_MAX, name);

	do {
		off += umb_escape(buf + off, len - off, out + pre, sizeof(out) - (size_t)pre);
		emit(arg, out);
	} while (off < len);
}

bool umb_rate_allow(struct umb_rate *r, long long now_ms)
{
	if (!r->started) {
		r->started = true;
		r->tokens = UMB_RATE_BURST;
		r->last_ms = now_ms;
	}
	/* Whole refills only; time never runs backwards on CLOCK_MONOTONIC,
	 * but a caller's mistake must not mint tokens. */
	if (now_ms > r->last_ms) {
		long long add = (now_ms - r->last_ms) / UMB_RATE_REFILL_MS;

		if (add > 0) {
			r->tokens = add >= UMB_RATE_BURST || r->tokens + add >= UMB_RATE_BURST
			                    ? UMB_RATE_BURST
			                    : r->tokens + (unsigned)add;
			r->last_ms += add * UMB_RATE_REFILL_MS;
		}
	}
	if (r->tokens == 0)
		return false;
	r->tokens--;
	return true;
}

void umb_prompt_show(struct umb_prompt *p, long long now_ms)
{
	p->active = true;
	p->shown_ms = now_ms;
	p->deadline_ms = now_ms + (p->timeout_ms > 0 ? p->timeout_ms : UMB_TIMEOUT_MS);
}

void umb_prompt_redrawn(struct umb_prompt *p, long long now_ms)
{
	if (p->active)
		p->shown_ms = now_ms;
}

enum umb_decision umb_prompt_tick(struct umb_prompt *p, long long now_ms)
{
	if (!p->active)
		return UMB_PENDING;
	if (now_ms >= p->deadline_ms) {
		p->active = false;
		return UMB_TIMED_OUT;
	}
	return UMB_PENDING;
}

enum umb_decision umb_prompt_key(struct umb_prompt *p, unsigned char key, long long now_ms)
{
	enum umb_decision d = umb_prompt_tick(p, now_ms);

	if (!p->active)
		return d;
	if (key == 'n' || key == 'N' || key == 0x1b) {
		p->active = false;
		return UMB_DENIED;
	}
	if (key != UMB_KEY_ACCEPT)
		return UMB_PENDING;
	if (now_ms - p->shown_ms < UMB_ARM_MS) {
		/* Too soon: typed ahead, or the prompt just changed. */
		p->shown_ms = now_ms;
		return UMB_PENDING;
	}
	p->active = false;
	return UMB_ACCEPTED;
}

size_t umb_prompt_text(const struct umb_prompt_info *pi,
                       char lines[UMB_PROMPT_LINES][UMB_RELAY_MAX + 1])
{
	char h[2 * SV_SHA512_LEN + 1];
	size_t n = 0, off = 0, len = strlen(pi->name);

	hex_lower(pi->sha512, SV_SHA512_LEN, h);
#define LINE(...) snprintf(lines[n++], UMB_RELAY_MAX + 1, __VA_ARGS__)
	LINE("umbilical: ---- transfer request %llu ----", pi->id);
	LINE("umbilical: from persona  %.*s", PASSPORT_NAME_MAX, pi->source);
	LINE("umbilical: to persona    %.*s (its inbox)", PASSPORT_NAME_MAX, pi->receiver);
	/* 255 bytes escape to at most 1020: four lines of 300. */
	do {
		char e[301];
		off += umb_escape(pi->name + off, len - off, e, sizeof(e));
		const char *label = n == 3 ? "file name   " : "            ";
		LINE("umbilical: %s%s", label, e);
	} while (off < len && n < UMB_PROMPT_LINES - 5);
	LINE("umbilical: size         %llu bytes", (unsigned long long)pi->size);
	LINE("umbilical: sha512       %.64s", h);
	LINE("umbilical:              %.64s", h + 64);
	LINE("umbilical: press Y (shift+y) to accept once this has stood 1.5 s; n or Esc denies; "
	     "no answer in %u s denies",
	     pi->timeout_s ? pi->timeout_s : (unsigned)(UMB_TIMEOUT_MS / 1000));
#undef LINE
	return n;
}

/* The line of text starting at p, without its newline, into out. */
static void line_copy(const char *p, char *out, size_t cap)
{
	size_t n = strcspn(p, "\n");

	if (n >= cap)
		n = cap - 1;
	memcpy(out, p, n);
	out[n] = 0;
}

int umb_spine_summary_parse(const char *out, struct umb_spine_summary *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	for (const char *p = out; *p; p += strcspn(p, "\n"), p += *p == '\n') {
		if (!strncmp(p, "slot a: ", 8) || !strncmp(p, "slot b: ", 8)) {
			line_copy(p, s->slot[p[5] - 'a'], sizeof(s->slot[0]));
		} else if (!strncmp(p, "updated already", 15)) {
			s->already = true;
		} else if (!strncmp(p, "new slot (", 10)) {
			char l[UMB_SPINE_LINE_MAX + 1], *v;
			unsigned long n;

			line_copy(p, l, sizeof(l));
			v = strstr(l, "): version ");
			if (!v || v[11] < '0' || v[11] > '9')
				continue;
			errno = 0;
			n = strtoul(v + 11, &v, 10);
			if (errno || *v || n > UINT32_MAX)
				continue;
			s->have_version = true;
			s->version = (uint32_t)n;
		}
	}
	if (!s->have_version)
		return persona_refuse(err, errlen, EINVAL,
		                      "spinectl named no version for the new slot");
	return 0;
}

size_t umb_spine_prompt_text(const struct umb_spine_prompt_info *pi,
                             char lines[UMB_PROMPT_LINES][UMB_RELAY_MAX + 1])
{
	char h[2 * SV_SHA512_LEN + 1], e[301];
	size_t n = 0, off = 0, len = strlen(pi->folder);

	hex_lower(pi->sig_sha512, SV_SHA512_LEN, h);
#define LINE(...) snprintf(lines[n++], UMB_RELAY_MAX + 1, __VA_ARGS__)
	LINE("umbilical: ---- Spine update request %llu ----", pi->id);
	LINE("umbilical: from persona  %.*s", PASSPORT_NAME_MAX, pi->source);
	do {
		const char *label = n == 2 ? "its folder   " : "             ";

		off += umb_escape(pi->folder + off, len - off, e, sizeof(e));
		LINE("umbilical: %s%s", label, e);
	} while (off < len && n < 6);
	LINE("umbilical: to           the Spine: slot a of the ESP, a good slot kept in b");
	LINE("umbilical: version      %u", (unsigned)pi->sum->version);
	for (int s = 0; s < 2; s++) {
		const char *label = s ? "             " : "on the ESP   ";

		umb_escape(pi->sum->slot[s], strlen(pi->sum->slot[s]), e, sizeof(e));
		LINE("umbilical: %s%s", label, e[0] ? e : "?");
	}
	LINE("umbilical: size         %llu bytes in 5 files", (unsigned long long)pi->size);
	LINE("umbilical: SHA512.sig   sha512 %.64s", h);
	LINE("umbilical:                     %.64s", h + 64);
	LINE("umbilical: press Y (shift+y) to write it to the ESP once this has stood 1.5 s; n or "
	     "Esc denies; no answer in %u s denies",
	     pi->timeout_s ? pi->timeout_s : (unsigned)(UMB_TIMEOUT_MS / 1000));
#undef LINE
	return n;
}

const char *umb_decision_str(enum umb_decision d)
{
	switch (d) {
	case UMB_ACCEPTED:
		return "accepted";
	case UMB_DENIED:
		return "denied";
	case UMB_TIMED_OUT:
		return "timed out";
	case UMB_PENDING:
		break;
	}
	return "pending";
}
