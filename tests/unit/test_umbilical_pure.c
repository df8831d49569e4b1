/* The Umbilical's pure parts (bay0/umbilical.c, docs/umbilical.md). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "passport.h"
#include "umbilical.h"

static int name(const char *s, char *err)
{
	return umb_name_check(s, strlen(s), err, 256);
}

Test(umbilical, name_rule_accepts)
{
	char err[256], long_ok[256];

	cr_assert_eq(name("report.pdf", err), 0);
	cr_assert_eq(name(".hidden", err), 0, "a leading dot is a name, not '.'");
	cr_assert_eq(name("...", err), 0);
	cr_assert_eq(name("a b  c", err), 0, "spaces are allowed");
	cr_assert_eq(name("r\xc3\xa9sum\xc3\xa9", err), 0, "UTF-8");
	cr_assert_eq(name("\xe6\x97\xa5\xe6\x9c\xac", err), 0, "CJK");
	cr_assert_eq(name("\xf0\x9f\x93\x84", err), 0, "4-byte sequence");
	memset(long_ok, 'x', 255);
	long_ok[255] = 0;
	cr_assert_eq(name(long_ok, err), 0, "255 bytes");
}

Test(umbilical, name_rule_refuses_and_names_the_rule)
{
	char err[256], too_long[257];

	cr_assert_eq(umb_name_check("", 0, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "name rule: the name is empty"), "%s", err);
	memset(too_long, 'x', 256);
	too_long[256] = 0;
	cr_assert_eq(name(too_long, err), -ENAMETOOLONG);
	cr_assert(strstr(err, "name rule: longer than 255 bytes"), "%s", err);
	cr_assert_eq(name(".", err), -EINVAL);
	cr_assert(strstr(err, "'.' and '..'"), "%s", err);
	cr_assert_eq(name("..", err), -EINVAL);
	cr_assert_eq(name("../secret", err), -EINVAL);
	cr_assert(strstr(err, "name rule: '/' at byte 2"), "%s", err);
	cr_assert_eq(name("/etc/passwd", err), -EINVAL);
	cr_assert(strstr(err, "'/' at byte 0"), "%s", err);
	cr_assert_eq(umb_name_check("a\0b", 3, err, sizeof(err)), -EINVAL, "NUL");
	cr_assert(strstr(err, "control character U+0000 at byte 1"), "%s", err);
	cr_assert_eq(name("a\nb", err), -EINVAL);
	cr_assert_eq(name("a\rb", err), -EINVAL);
	cr_assert_eq(name("\x1b[2J", err), -EINVAL, "escape sequence");
	cr_assert(strstr(err, "U+001B"), "%s", err);
	cr_assert_eq(name("a\x7f", err), -EINVAL, "DEL");
	cr_assert_eq(name("a\xc2\x85", err), -EINVAL, "C1 NEL");
	cr_assert(strstr(err, "U+0085"), "%s", err);
	cr_assert_eq(name("evil\xe2\x80\xae"
	                  "fdp.exe",
	                  err),
	             -EINVAL, "RIGHT-TO-LEFT OVERRIDE");
	cr_assert(strstr(err, "U+202E"), "%s", err);
	cr_assert_eq(name("a\xe2\x81\xa6", err), -EINVAL, "LRI");
	cr_assert_eq(name("a\xe2\x80\x8f", err), -EINVAL, "RLM");
	cr_assert_eq(name("a\xd8\x9c", err), -EINVAL, "ALM");
	/* not UTF-8 */
	cr_assert_eq(name("a\xff", err), -EINVAL);
	cr_assert(strstr(err, "name rule: not valid UTF-8 at byte 1"), "%s", err);
	cr_assert_eq(name("\xc0\xaf", err), -EINVAL, "overlong '/'");
	cr_assert_eq(name("\xe0\x80\xaf", err), -EINVAL, "overlong '/', 3 bytes");
	cr_assert_eq(name("\xed\xa0\x80", err), -EINVAL, "surrogate");
	cr_assert_eq(name("\xf4\x90\x80\x80", err), -EINVAL, "above U+10FFFF");
	cr_assert_eq(name("\xc3", err), -EINVAL, "cut sequence");
	cr_assert_eq(name("\x80", err), -EINVAL, "lone continuation");
	cr_assert_eq(name("\xe6\x97x", err), -EINVAL, "bad continuation");
}

static int req(const char *s, struct umb_request *rq, char *err)
{
	return umb_request_parse((const uint8_t *)s, strlen(s), rq, err, 256);
}

Test(umbilical, request)
{
	struct umb_request rq;
	char err[256];

	cr_assert_eq(req("pull web report.pdf", &rq, err), 0, "%s", err);
	cr_assert_eq(rq.op, UMB_OP_PULL);
	cr_assert_str_eq(rq.source, "web");
	cr_assert_str_eq(rq.name, "report.pdf");
	cr_assert_eq(req("pull work-2 my file.txt\n", &rq, err), 0, "one final newline dropped");
	cr_assert_str_eq(rq.source, "work-2");
	cr_assert_str_eq(rq.name, "my file.txt");
	cr_assert_eq(req("pull web  lead", &rq, err), 0, "the name is everything after one space");
	cr_assert_str_eq(rq.name, " lead");

	memset(&rq, 0x55, sizeof(rq));
	cr_assert_eq(req("push web x", &rq, err), -EINVAL);
	cr_assert(strstr(err, "want 'pull <persona> <file name>'"), "%s", err);
	cr_assert_eq(rq.source[0], 0x55, "nothing written on refusal");
	cr_assert_eq(req("pull", &rq, err), -EINVAL);
	cr_assert_eq(req("pull ", &rq, err), -EINVAL);
	cr_assert_eq(req("pull web", &rq, err), -EINVAL, "no name");
	cr_assert_eq(req("pull web ", &rq, err), -EINVAL, "empty name");
	cr_assert(strstr(err, "name rule"), "%s", err);
	cr_assert_eq(req("pull Web x", &rq, err), -EINVAL, "persona names are lower case");
	cr_assert_eq(req("pull ../web x", &rq, err), -EINVAL);
	cr_assert_eq(req("pull web- x", &rq, err), -EINVAL);
	cr_assert_eq(req("pull abcdefghijklmnopqrstuvwxyz012345 x", &rq, err), -EINVAL,
	             "32-byte persona name");
	cr_assert_eq(req("pull web ../../etc/shadow", &rq, err), -EINVAL);
	cr_assert(strstr(err, "name rule: '/'"), "%s", err);
	cr_assert_eq(req("pull web ..", &rq, err), -EINVAL);
	cr_assert_eq(req("pull web a\n\n", &rq, err), -EINVAL, "only one newline is dropped");
	cr_assert(strstr(err, "control character"), "%s", err);
	{
		uint8_t big[UMB_REQ_MAX + 1];
		memset(big, 'a', sizeof(big));
		memcpy(big, "pull web ", 9);
		cr_assert_eq(umb_request_parse(big, sizeof(big), &rq, err, 256), -E2BIG);
		cr_assert_eq(umb_request_parse(big, 9 + 256, &rq, err, 256), -ENAMETOOLONG);
		cr_assert_eq(umb_request_parse(big, 9 + 255, &rq, err, 256), 0);
		cr_assert_eq(strlen(rq.name), 255);
	}
	{
		static const uint8_t nul[] = "pull web a\0b";
		cr_assert_eq(umb_request_parse(nul, sizeof(nul) - 1, &rq, err, 256), -EINVAL);
	}
}

Test(umbilical, grants)
{
	char err[256];

	cr_assert_eq(umb_may("work", PASSPORT_UMB_PULL, "web", PASSPORT_UMB_OFFER, err, 256), 0);
	cr_assert_eq(umb_may("work", PASSPORT_UMB_BOTH, "web", PASSPORT_UMB_BOTH, err, 256), 0);
	cr_assert_eq(umb_may("work", PASSPORT_UMB_OFFER, "web", PASSPORT_UMB_OFFER, err, 256),
	             -EPERM);
	cr_assert(strstr(err, "work's passport does not grant pull"), "%s", err);
	cr_assert_eq(umb_may("work", PASSPORT_UMB_PULL, "web", PASSPORT_UMB_PULL, err, 256),
	             -EPERM);
	cr_assert(strstr(err, "web's passport does not grant offer"), "%s", err);
	cr_assert_eq(umb_may("work", PASSPORT_UMB_NONE, "web", PASSPORT_UMB_BOTH, err, 256),
	             -EPERM);
	cr_assert_eq(umb_may("web", PASSPORT_UMB_BOTH, "web", PASSPORT_UMB_BOTH, err, 256),
	             -EINVAL);
}

Test(umbilical, escape)
{
	char out[64];

	cr_assert_eq(umb_escape("plain text", 10, out, sizeof(out)), 10);
	cr_assert_str_eq(out, "plain text");
	cr_assert_eq(umb_escape("a\\b", 3, out, sizeof(out)), 3);
	cr_assert_str_eq(out, "a\\\\b", "a backslash cannot start a fake escape");
	cr_assert_eq(umb_escape("\x1b[2J\r\nbay0: ", 12, out, sizeof(out)), 12);
	cr_assert_str_eq(out, "\\x1b[2J\\x0d\\x0abay0: ");
	cr_assert_eq(umb_escape("\xc3\xa9\x7f", 3, out, sizeof(out)), 3);
	cr_assert_str_eq(out, "\\xc3\\xa9\\x7f");
	cr_assert_eq(umb_escape("a\0b", 3, out, sizeof(out)), 3);
	cr_assert_str_eq(out, "a\\x00b");
	/* A short buffer takes whole escapes only. */
	cr_assert_eq(umb_escape("ab\x01", 3, out, 5), 2);
	cr_assert_str_eq(out, "ab");
	cr_assert_eq(umb_escape("\x01", 1, out, 5), 1);
	cr_assert_str_eq(out, "\\x01");
	cr_assert_eq(umb_escape("\x01", 1, out, 4), 0);
	cr_assert_str_eq(out, "");
	cr_assert_eq(umb_escape("x", 1, out, 0), 0);
}

Test(umbilical, rate_limit)
{
	struct umb_rate r = {0};
	long long t = 1000;

	for (unsigned i = 0; i < UMB_RATE_BURST; i++)
		cr_assert(umb_rate_allow(&r, t), "burst %u", i);
	cr_assert_not(umb_rate_allow(&r, t));
	cr_assert_not(umb_rate_allow(&r, t + UMB_RATE_REFILL_MS - 1));
	cr_assert(umb_rate_allow(&r, t + UMB_RATE_REFILL_MS));
	cr_assert_not(umb_rate_allow(&r, t + UMB_RATE_REFILL_MS));
	/* A thousand requests in a second get the burst and no more. */
	{
		struct umb_rate f = {0};
		unsigned ok = 0;
		for (int i = 0; i < 1000; i++)
			ok += umb_rate_allow(&f, 5000 + i);
		cr_assert_eq(ok, UMB_RATE_BURST);
	}
	/* A long quiet spell refills to the burst, not beyond. */
	t += 100 * UMB_RATE_REFILL_MS;
	for (unsigned i = 0; i < UMB_RATE_BURST; i++)
		cr_assert(umb_rate_allow(&r, t));
	cr_assert_not(umb_rate_allow(&r, t));
	/* Time going backwards mints nothing. */
	cr_assert_not(umb_rate_allow(&r, 0));
}

Test(umbilical, prompt)
{
	struct umb_prompt p = {0};
	long long t = 10000;

	cr_assert_eq(umb_prompt_key(&p, 'Y', t), UMB_PENDING, "no prompt, no decision");
	umb_prompt_show(&p, t);
	cr_assert_eq(umb_prompt_key(&p, 'Y', t + 100), UMB_PENDING, "too soon");
	cr_assert_eq(umb_prompt_key(&p, 'Y', t + 100 + UMB_ARM_MS - 1), UMB_PENDING,
	             "an early Y started the wait again");
	cr_assert_eq(umb_prompt_key(&p, 'y', t + 10000), UMB_PENDING, "lower case is not it");
	cr_assert_eq(umb_prompt_key(&p, '\r', t + 10000), UMB_PENDING, "Enter is not it");
	cr_assert_eq(umb_prompt_key(&p, ' ', t + 10000), UMB_PENDING);
	umb_prompt_redrawn(&p, t + 10000);
	cr_assert_eq(umb_prompt_key(&p, 'Y', t + 10000 + UMB_ARM_MS - 1), UMB_PENDING,
	             "a redraw started the wait again");
	cr_assert_eq(umb_prompt_key(&p, 'Y', t + 13000 + UMB_ARM_MS), UMB_ACCEPTED);
	cr_assert_not(p.active);
	cr_assert_eq(umb_prompt_key(&p, 'Y', t + 20000), UMB_PENDING, "one accept per prompt");

	umb_prompt_show(&p, t);
	cr_assert_eq(umb_prompt_key(&p, 'n', t + 1), UMB_DENIED, "deny needs no wait");
	umb_prompt_show(&p, t);
	cr_assert_eq(umb_prompt_key(&p, 0x1b, t + 1), UMB_DENIED);
	umb_prompt_show(&p, t);
	cr_assert_eq(umb_prompt_tick(&p, t + UMB_TIMEOUT_MS - 1), UMB_PENDING);
	cr_assert_eq(umb_prompt_tick(&p, t + UMB_TIMEOUT_MS), UMB_TIMED_OUT);
	cr_assert_eq(umb_prompt_tick(&p, t + UMB_TIMEOUT_MS + 1), UMB_PENDING);
	/* A Y that comes after the deadline is a timeout, not an accept. */
	umb_prompt_show(&p, t);
	cr_assert_eq(umb_prompt_key(&p, 'Y', t + UMB_TIMEOUT_MS), UMB_TIMED_OUT);
	/* Redraws cannot keep a prompt alive past its deadline. */
	umb_prompt_show(&p, t);
	umb_prompt_redrawn(&p, t + UMB_TIMEOUT_MS - 10);
	cr_assert_eq(umb_prompt_tick(&p, t + UMB_TIMEOUT_MS), UMB_TIMED_OUT);
	/* spine.conf's umbilical-timeout. */
	p.timeout_ms = 8000;
	umb_prompt_show(&p, t);
	cr_assert_eq(umb_prompt_tick(&p, t + 7999), UMB_PENDING);
	cr_assert_eq(umb_prompt_tick(&p, t + 8000), UMB_TIMED_OUT);
	cr_assert_str_eq(umb_decision_str(UMB_TIMED_OUT), "timed out");
	cr_assert_str_eq(umb_decision_str(UMB_ACCEPTED), "accepted");
}

/* The passport grant (bay0/passport.c, docs/passport.md). */
static int pp_with(const char *extra, struct passport *pp, char *err)
{
	char text[1024];
	int n = snprintf(text, sizeof(text),
	                 "name web\n"
	                 "image web.erofs %0128d\n"
	                 "entry /bin/sh\n"
	                 "cores 1\n"
	                 "memory.max 64M\n"
	                 "pids.max 8\n"
	                 "%s",
	                 0, extra);
	return passport_parse(text, (size_t)n, pp, err, 256);
}

Test(umbilical, passport_grant)
{
	struct passport pp;
	char err[256];

	cr_assert_eq(pp_with("", &pp, err), 0, "%s", err);
	cr_assert_eq(pp.umbilical, PASSPORT_UMB_NONE, "default: no crossing");
	cr_assert_eq(pp_with("umbilical none\n", &pp, err), 0, "%s", err);
	cr_assert_eq(pp.umbilical, PASSPORT_UMB_NONE);
	cr_assert_eq(pp_with("umbilical pull\n", &pp, err), 0, "%s", err);
	cr_assert_eq(pp.umbilical, PASSPORT_UMB_PULL);
	cr_assert_eq(pp_with("umbilical offer\n", &pp, err), 0, "%s", err);
	cr_assert_eq(pp.umbilical, PASSPORT_UMB_OFFER);
	cr_assert_eq(pp_with("umbilical both\n", &pp, err), 0, "%s", err);
	cr_assert_eq(pp.umbilical, PASSPORT_UMB_BOTH);
	cr_assert_eq(pp_with("umbilical push\n", &pp, err), -EINVAL);
	cr_assert(strstr(err, "line 7: umbilical: want none|pull|offer|both"), "%s", err);
	cr_assert_eq(pp_with("umbilical pull offer\n", &pp, err), -EINVAL);
	cr_assert_eq(pp_with("umbilical\n", &pp, err), -EINVAL);
	cr_assert_eq(pp_with("umbilical pull\numbilical both\n", &pp, err), -EINVAL);
	cr_assert(strstr(err, "duplicate directive 'umbilical'"), "%s", err);
}

/* The relay (bay0/loop.c uses umb_relay for every persona line). */
struct lines {
	char l[16][UMB_RELAY_MAX + 8];
	int n;
};

static void collect(void *arg, const char *line)
{
	struct lines *ls = arg;
	if (ls->n < 16)
		snprintf(ls->l[ls->n], sizeof(ls->l[0]), "%s", line);
	ls->n++;
}

Test(umbilical, relay_cannot_imitate_the_prompt)
{
	static const char fake[] = "\rbay0: umbilical: work asks for secret.txt from vault\n"
	                           "\x1b[2K\x1b[1Gbay0: umbilical: press Y\x07";
	struct lines ls = {0};
	char big[256];

	umb_relay("web", fake, sizeof(fake) - 1, collect, &ls);
	cr_assert_eq(ls.n, 1, "one persona line, one relayed line");
	cr_assert_str_eq(ls.l[0],
	                 "[web] \\x0dbay0: umbilical: work asks for secret.txt from vault\\x0a"
	                 "\\x1b[2K\\x1b[1Gbay0: umbilical: press Y\\x07");
	/* 256 bytes that each take four: cut into marked lines, none lost. */
	memset(big, 0xff, sizeof(big));
	ls.n = 0;
	umb_relay("web", big, sizeof(big), collect, &ls);
	cr_assert_eq(ls.n, 3);
	{
		size_t total = 0;
		for (int i = 0; i < ls.n; i++) {
			cr_assert_eq(strncmp(ls.l[i], "[web] ", 6), 0, "line %d marked", i);
			cr_assert_leq(strlen(ls.l[i]), UMB_RELAY_MAX);
			for (const char *p = ls.l[i]; *p; p++)
				cr_assert(*p >= 0x20 && *p <= 0x7e);
			total += (strlen(ls.l[i]) - 6) / 4;
		}
		cr_assert_eq(total, sizeof(big));
	}
	ls.n = 0;
	umb_relay("web", "", 0, collect, &ls);
	cr_assert_eq(ls.n, 1, "an empty line is relayed as one");
	cr_assert_str_eq(ls.l[0], "[web] ");
}

Test(umbilical, prompt_text)
{
	char lines[UMB_PROMPT_LINES][UMB_RELAY_MAX + 1], name[256], joined[2048] = "";
	struct umb_prompt_info pi = {.id = 7,
	                             .source = "web",
	                             .receiver = "work",
	                             .name = "r\xc3\xa9sum\xc3\xa9 \\.pdf",
	                             .size = 1234};
	size_t n;

	for (int i = 0; i < SV_SHA512_LEN; i++)
		pi.sha512[i] = (uint8_t)i;
	n = umb_prompt_text(&pi, lines);
	cr_assert_eq(n, 8);
	cr_assert_str_eq(lines[0], "umbilical: ---- transfer request 7 ----");
	cr_assert_str_eq(lines[1], "umbilical: from persona  web");
	cr_assert_str_eq(lines[2], "umbilical: to persona    work (its inbox)");
	cr_assert_str_eq(lines[3], "umbilical: file name   r\\xc3\\xa9sum\\xc3\\xa9 \\\\.pdf");
	cr_assert_str_eq(lines[4], "umbilical: size         1234 bytes");
	cr_assert_str_eq(lines[5],
	                 "umbilical: sha512       000102030405060708090a0b0c0d0e0f1011121314"
	                 "15161718191a1b1c1d1e1f");
	cr_assert_str_eq(lines[6],
	                 "umbilical:              202122232425262728292a2b2c2d2e2f3031323334"
	                 "35363738393a3b3c3d3e3f");
	cr_assert(strstr(lines[7], "press Y"));
	cr_assert(strstr(lines[7], "no answer in 30 s denies"), "the default timeout shown");
	pi.timeout_s = 8;
	n = umb_prompt_text(&pi, lines);
	cr_assert(strstr(lines[7], "no answer in 8 s denies"), "spine.conf's timeout shown");
	/* The longest name that passes the rule, all of it escapes: wrapped,
	 * nothing lost, every line marked and printable. */
	memset(name, 0xe6, 255); /* not a name, but the widest the escaper can get */
	name[255] = 0;
	pi.name = name;
	n = umb_prompt_text(&pi, lines);
	cr_assert_leq(n, UMB_PROMPT_LINES);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(strncmp(lines[i], "umbilical: ", 11), 0);
		cr_assert_leq(strlen(lines[i]), UMB_RELAY_MAX);
		for (const char *p = lines[i]; *p; p++)
			cr_assert(*p >= 0x20 && *p <= 0x7e);
		if (i >= 3 && i < n - 4)
			strcat(joined, lines[i] + 23);
	}
	cr_assert_eq(strlen(joined), 4 * 255, "every byte of the name shown");
}

Test(umbilical, spine_request)
{
	struct umb_request rq;
	char err[256];

	cr_assert_eq(req("spine slot-v3", &rq, err), 0, "%s", err);
	cr_assert_eq(rq.op, UMB_OP_SPINE);
	cr_assert_str_eq(rq.name, "slot-v3");
	cr_assert_str_eq(rq.source, "", "no source: the sender is the source");
	cr_assert_eq(req("spine v3\n", &rq, err), 0, "one final newline dropped");
	cr_assert_str_eq(rq.name, "v3");
	memset(&rq, 0x55, sizeof(rq));
	cr_assert_eq(req("spine ../v3", &rq, err), -EINVAL, "a folder name, not a path");
	cr_assert(strstr(err, "name rule: '/'"), "%s", err);
	cr_assert_eq(rq.op, (enum umb_op)0x55555555, "nothing written on refusal");
	cr_assert_eq(req("spine ..", &rq, err), -EINVAL);
	cr_assert_eq(req("spine ", &rq, err), -EINVAL, "empty name");
	cr_assert_eq(req("spine", &rq, err), -EINVAL);
	cr_assert(strstr(err, "or 'spine <folder name>'"), "%s", err);
	cr_assert_eq(req("spine a\x1b[2J", &rq, err), -EINVAL);
	cr_assert(strstr(err, "control character"), "%s", err);
	cr_assert_eq(req("spines v3", &rq, err), -EINVAL);
}

Test(umbilical, spine_summary)
{
	struct umb_spine_summary s;
	char err[256];
	const char *dry = "slot a: version 2, good\n"
	                  "slot b: version 1, not good\n"
	                  "new slot (/persist/transfer/spine-7): version 3\n"
	                  "write /run/bay0/esp/spine/b/slot.conf (18 bytes, slot a's)\n";

	cr_assert_eq(umb_spine_summary_parse(dry, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert(s.have_version);
	cr_assert_eq(s.version, 3);
	cr_assert_not(s.already);
	cr_assert_str_eq(s.slot[0], "slot a: version 2, good");
	cr_assert_str_eq(s.slot[1], "slot b: version 1, not good");
	cr_assert_eq(umb_spine_summary_parse("slot a: version 3, good\nnew slot (x): version 3\n"
	                                     "updated already: slot a holds this slot\n",
	                                     &s, err, sizeof(err)),
	             0);
	cr_assert(s.already);
	/* No version, or a malformed one: refused, never a guess. */
	cr_assert_eq(umb_spine_summary_parse("slot a: version 2, good\n", &s, err, sizeof(err)),
	             -EINVAL);
	cr_assert(strstr(err, "no version"), "%s", err);
	cr_assert_eq(umb_spine_summary_parse("new slot (x): version \n", &s, err, sizeof(err)),
	             -EINVAL);
	cr_assert_eq(umb_spine_summary_parse("new slot (x): version 3x\n", &s, err, sizeof(err)),
	             -EINVAL);
	cr_assert_eq(
	        umb_spine_summary_parse("new slot (x): version 4294967296\n", &s, err, sizeof(err)),
	        -EINVAL, "over 32 bits");
	cr_assert_eq(
	        umb_spine_summary_parse("new slot (x): version 4294967295", &s, err, sizeof(err)),
	        0, "no final newline");
	cr_assert_eq(s.version, 4294967295u);
	cr_assert_eq(umb_spine_summary_parse("", &s, err, sizeof(err)), -EINVAL);
}

Test(umbilical, spine_prompt_text)
{
	char lines[UMB_PROMPT_LINES][UMB_RELAY_MAX + 1], name[256];
	struct umb_spine_summary sum = {.have_version = true,
	                                .version = 3,
	                                .slot = {"slot a: version 2, good", "slot b: \x1b[2Jx"}};
	struct umb_spine_prompt_info pi = {
	        .id = 9, .source = "web", .folder = "v3", .sum = &sum, .size = 4321};
	size_t n;

	for (int i = 0; i < SV_SHA512_LEN; i++)
		pi.sig_sha512[i] = (uint8_t)(0xff - i);
	n = umb_spine_prompt_text(&pi, lines);
	cr_assert_eq(n, 11);
	cr_assert_str_eq(lines[0], "umbilical: ---- Spine update request 9 ----");
	cr_assert_str_eq(lines[1], "umbilical: from persona  web");
	cr_assert_str_eq(lines[2], "umbilical: its folder   v3");
	cr_assert(strstr(lines[3], "the Spine: slot a of the ESP"), "%s", lines[3]);
	cr_assert_str_eq(lines[4], "umbilical: version      3");
	cr_assert_str_eq(lines[5], "umbilical: on the ESP   slot a: version 2, good");
	cr_assert_str_eq(lines[6], "umbilical:              slot b: \\x1b[2Jx", "escaped");
	cr_assert_str_eq(lines[7], "umbilical: size         4321 bytes in 5 files");
	cr_assert(strstr(lines[8], "SHA512.sig   sha512 fffefdfc"), "%s", lines[8]);
	cr_assert(strstr(lines[10], "press Y"));
	memset(name, 0xe6, 255);
	name[255] = 0;
	pi.folder = name;
	n = umb_spine_prompt_text(&pi, lines);
	cr_assert_leq(n, UMB_PROMPT_LINES);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(strncmp(lines[i], "umbilical: ", 11), 0);
		cr_assert_leq(strlen(lines[i]), UMB_RELAY_MAX);
		for (const char *p = lines[i]; *p; p++)
			cr_assert(*p >= 0x20 && *p <= 0x7e);
	}
	cr_assert_eq(n, 14, "the widest folder name takes four lines, whole");
}
