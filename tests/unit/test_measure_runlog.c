/*
 * bay0's run-time log and its PCR 11 strings (measure/runlog.c,
 * docs/measure.md, "The run-time log"): good logs read back event by event,
 * and each malformation refused with its line number and reason. Every log
 * is copied into a buffer of exactly its size, so ASan sees any read past it.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runlog.h"

/* Two digests whose hex is easy to tell apart: 00 01 02 ... and ff fe ... */
static uint8_t P[RUNLOG_SHA512_LEN], I[RUNLOG_SHA512_LEN];
static char PH[RUNLOG_HEX_LEN + 1], IH[RUNLOG_HEX_LEN + 1];

static void init_digests(void)
{
	for (int i = 0; i < RUNLOG_SHA512_LEN; i++) {
		P[i] = (uint8_t)i;
		I[i] = (uint8_t)(0xff - i);
		snprintf(PH + 2 * i, 3, "%02x", P[i]);
		snprintf(IH + 2 * i, 3, "%02x", I[i]);
	}
}

TestSuite(runlog, .init = init_digests);

/* An exact-size heap copy of s (strlen bytes, no NUL). */
static char *exact(const char *s, size_t n)
{
	char *b = malloc(n ? n : 1);
	cr_assert_not_null(b);
	memcpy(b, s, n);
	return b;
}

/* Reads the whole log; the number of events, or -1 on a refusal (rl filled). */
static int read_all(const char *s, size_t n, struct runlog *rl)
{
	struct runlog_event ev;
	char *b = exact(s, n);
	int r, count = 0;

	if (runlog_open(rl, b, n) != 0) {
		free(b);
		return -1;
	}
	while ((r = runlog_next(rl, &ev)) == 1)
		count++;
	free(b);
	return r < 0 ? -1 : count;
}

/* The log in s is refused at line with exactly the reason msg. */
static void refused(const char *s, unsigned line, const char *msg)
{
	struct runlog rl;

	cr_assert_eq(read_all(s, strlen(s), &rl), -1, "accepted: [%s]", s);
	cr_assert_eq(rl.line, line, "line %u, want %u (%s) for [%s]", rl.line, line, rl.err, s);
	cr_assert_str_eq(rl.err, msg, "for [%s]", s);
}

static char *persona_line(const char *name, const char *p, const char *i, const char *tail)
{
	static char buf[1024];
	snprintf(buf, sizeof(buf), "11 spine:persona:%s:%s:%s%s\n", name, p, i, tail);
	return buf;
}

Test(runlog, a_boot_reads_back_event_by_event)
{
	char log[2048];
	struct runlog_event ev;
	struct runlog rl;

	snprintf(log, sizeof(log),
	         "11 spine:personas\n11 spine:persona:web:%s:%s\n11 spine:persona:a-9:%s:%s\n"
	         "11 spine:persona:web:%s:%s\n11 spine:shutdown\n",
	         PH, IH, IH, PH, PH, IH);
	size_t n = strlen(log);
	char *b = exact(log, n);

	cr_assert_eq(runlog_open(&rl, b, n), 0);
	cr_assert_eq(runlog_next(&rl, &ev), 1);
	cr_assert_eq(ev.kind, RUNLOG_PERSONAS);
	cr_assert_eq(ev.len, strlen("spine:personas"));
	cr_assert(memcmp(ev.str, "spine:personas", ev.len) == 0);
	cr_assert_eq(ev.str, b + 3, "the string points into the buffer, after \"11 \"");

	cr_assert_eq(runlog_next(&rl, &ev), 1);
	cr_assert_eq(ev.kind, RUNLOG_PERSONA);
	cr_assert_str_eq(ev.name, "web");
	cr_assert_arr_eq(ev.passport_sha512, P, sizeof(P));
	cr_assert_arr_eq(ev.image_sha512, I, sizeof(I));
	cr_assert_eq(ev.len, 14 + 3 + 1 + 128 + 1 + 128);
	cr_assert_eq(rl.line, 2);

	cr_assert_eq(runlog_next(&rl, &ev), 1);
	cr_assert_str_eq(ev.name, "a-9");
	cr_assert_arr_eq(ev.passport_sha512, I, sizeof(I), "the two fields are not swapped");
	cr_assert_arr_eq(ev.image_sha512, P, sizeof(P));

	cr_assert_eq(runlog_next(&rl, &ev), 1);
	cr_assert_str_eq(ev.name, "web", "a relaunch is logged again");
	cr_assert_eq(runlog_next(&rl, &ev), 1);
	cr_assert_eq(ev.kind, RUNLOG_SHUTDOWN);
	cr_assert_eq(rl.line, 5);
	cr_assert_eq(runlog_next(&rl, &ev), 0);
	cr_assert_eq(runlog_next(&rl, &ev), 0, "the end stays the end");
	cr_assert_eq(rl.nevents, 5);
	cr_assert_str_eq(rl.err, "");
	free(b);
}

Test(runlog, short_logs_bay0_can_leave)
{
	struct runlog rl;

	cr_assert_eq(read_all("", 0, &rl), 0, "no extend succeeded (no TPM): an empty log");
	cr_assert_eq(read_all("11 spine:personas\n", 18, &rl), 1, "a Spine with no persona yet");
	/* The spine:personas extend failed, the persona's did not. */
	const char *l = persona_line("web", PH, IH, "");
	cr_assert_eq(read_all(l, strlen(l), &rl), 1, "%s", rl.err);
	cr_assert_eq(read_all("11 spine:shutdown\n", 18, &rl), 1);
}

Test(runlog, persona_string_round_trips)
{
	char s[RUNLOG_STRING_MAX + 1], name[RUNLOG_NAME_MAX + 1];
	struct runlog_event ev;
	char err[96];

	memset(name, 'z', RUNLOG_NAME_MAX);
	name[RUNLOG_NAME_MAX] = '\0';
	int n = runlog_persona_string(s, sizeof(s), name, P, I);
	cr_assert_eq(n, RUNLOG_STRING_MAX, "the longest name makes the longest string");
	cr_assert_eq(strlen(s), (size_t)n);
	cr_assert_eq(runlog_parse_string(s, (size_t)n, &ev, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(ev.name, name);
	cr_assert_arr_eq(ev.passport_sha512, P, sizeof(P));
	cr_assert_arr_eq(ev.image_sha512, I, sizeof(I));

	n = runlog_persona_string(s, sizeof(s), "web", P, I);
	char want[400];
	snprintf(want, sizeof(want), "spine:persona:web:%s:%s", PH, IH);
	cr_assert_str_eq(s, want);
	cr_assert_eq(n, (int)strlen(want));

	cr_assert_eq(runlog_persona_string(s, sizeof(s), "Web", P, I), -EINVAL);
	cr_assert_eq(runlog_persona_string(s, sizeof(s), "", P, I), -EINVAL);
	cr_assert_eq(runlog_persona_string(s, (size_t)n, "web", P, I), -EINVAL,
	             "no room for the NUL");
	cr_assert_eq(runlog_persona_string(s, (size_t)n + 1, "web", P, I), n);
}

Test(runlog, names_follow_the_passport_rule)
{
	static const char *good[] = {"a", "web", "a-9", "x1-2-3",
	                             "abcdefghijklmnopqrstuvwxyz01234"};
	static const struct {
		const char *name, *why;
	} bad[] = {
	        {"", "persona name: empty"},
	        {"abcdefghijklmnopqrstuvwxyz012345", "persona name: longer than 31 bytes"},
	        {"9web", "persona name: does not start with a letter a-z"},
	        {"-web", "persona name: does not start with a letter a-z"},
	        {"Web", "persona name: does not start with a letter a-z"},
	        {"web-", "persona name: ends in '-'"},
	        {"wEb", "persona name: a byte outside [a-z0-9-]"},
	        {"we_b", "persona name: a byte outside [a-z0-9-]"},
	        {"we b", "persona name: a byte outside [a-z0-9-]"},
	        {"we.b", "persona name: a byte outside [a-z0-9-]"},
	};
	struct runlog rl;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const char *l = persona_line(good[i], PH, IH, "");
		cr_assert_eq(read_all(l, strlen(l), &rl), 1, "%s: %s", good[i], rl.err);
		cr_assert(runlog_name_ok(good[i], strlen(good[i])));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		refused(persona_line(bad[i].name, PH, IH, ""), 1, bad[i].why);
		cr_assert(!runlog_name_ok(bad[i].name, strlen(bad[i].name)), "%s", bad[i].name);
	}
}

Test(runlog, digests_are_128_lower_case_hex)
{
	char h[300];

	snprintf(h, sizeof(h), "%.127s", PH);
	refused(persona_line("web", h, IH, ""), 1, "passport SHA-512: 127 hex digits, not 128");
	snprintf(h, sizeof(h), "%s0", PH);
	refused(persona_line("web", h, IH, ""), 1, "passport SHA-512: more than 128 hex digits");
	snprintf(h, sizeof(h), "%s", PH);
	h[77] = 'A';
	refused(persona_line("web", h, IH, ""), 1, "passport SHA-512: upper-case hex digit");
	h[77] = 'g';
	refused(persona_line("web", h, IH, ""), 1, "passport SHA-512: 77 hex digits, not 128");
	refused(persona_line("web", "", IH, ""), 1, "passport SHA-512: 0 hex digits, not 128");

	snprintf(h, sizeof(h), "%.127s", IH);
	refused(persona_line("web", PH, h, ""), 1, "image SHA-512: 127 hex digits, not 128");
	snprintf(h, sizeof(h), "%s", IH);
	h[127] = 'F';
	refused(persona_line("web", PH, h, ""), 1, "image SHA-512: upper-case hex digit");
	refused(persona_line("web", PH, IH, "0"), 1, "image SHA-512: more than 128 hex digits");
}

Test(runlog, persona_strings_have_exactly_three_fields)
{
	char l[1024];

	refused("11 spine:persona:web\n", 1, "persona: no ':' after the name");
	snprintf(l, sizeof(l), "11 spine:persona:web:%s\n", PH);
	refused(l, 1, "persona: no image SHA-512 after the passport's");
	snprintf(l, sizeof(l), "11 spine:persona:web:%s;%s\n", PH, IH);
	refused(l, 1, "persona: the passport SHA-512 is not followed by ':'");
	snprintf(l, sizeof(l), "11 spine:persona:web:%s::%s\n", PH, IH);
	refused(l, 1, "image SHA-512: 0 hex digits, not 128");
	refused(persona_line("web", PH, IH, " "), 1, "persona: 1 bytes after the image SHA-512");
	refused(persona_line("web", PH, IH, "\r"), 1, "persona: 1 bytes after the image SHA-512");
	refused(persona_line("web", PH, IH, ":extra"), 1,
	        "persona: 6 bytes after the image SHA-512");
	snprintf(l, sizeof(l), "11 spine:persona:web:%s:%s\n", IH, PH);
	struct runlog rl;
	cr_assert_eq(read_all(l, strlen(l), &rl), 1, "digits of either value parse");
}

Test(runlog, lines_are_11_space_string_newline)
{
	static const char *unknown = "not spine:personas, spine:persona:... or spine:shutdown";

	refused("12 spine:personas\n", 1, "does not start with \"11 \"");
	refused("011 spine:personas\n", 1, "does not start with \"11 \"");
	refused("11\tspine:personas\n", 1, "does not start with \"11 \"");
	refused("11\n", 1, "does not start with \"11 \"");
	refused("11 \n", 1, unknown);
	refused("11  spine:personas\n", 1, unknown);
	refused("11 spine:personas \n", 1, unknown);
	refused("11 spine:personas\r\n", 1, unknown);
	refused("11 SPINE:PERSONAS\n", 1, unknown);
	refused("11 spine:persona\n", 1, unknown);
	refused("11 spine:phase\n", 1, unknown);
	refused("11 spine:personas\n11 spine:shutdownx\n", 2, unknown);
	refused("11 spine:personas\n\n", 2, "empty line");
	refused("11 spine:personas\n11 spine:shutdown", 2, "no newline at the end of the log");
	refused("11 spine:personas", 1, "no newline at the end of the log");

	/* A NUL inside a line: not a string bay0 writes. */
	struct runlog rl;
	cr_assert_eq(read_all("11 spine:personas\0\n", 19, &rl), -1);
	cr_assert_eq(rl.line, 1);
	cr_assert_str_eq(rl.err, unknown);
}

Test(runlog, long_lines)
{
	size_t n = 100000;
	char *b = malloc(n), name[1001];
	struct runlog_event ev;
	struct runlog rl;

	cr_assert_not_null(b);
	memset(b, 'x', n);
	memcpy(b, "11 ", 3);
	b[n - 1] = '\n';
	cr_assert_eq(runlog_open(&rl, b, n), 0);
	cr_assert_eq(runlog_next(&rl, &ev), -EINVAL);
	cr_assert_str_eq(rl.err, "not spine:personas, spine:persona:... or spine:shutdown");
	cr_assert_eq(runlog_open(&rl, b, n - 1), 0);
	cr_assert_eq(runlog_next(&rl, &ev), -EINVAL);
	cr_assert_str_eq(rl.err, "no newline at the end of the log");
	free(b);
	memset(name, 'a', 1000);
	name[1000] = '\0';
	char *l = malloc(1500);
	cr_assert_not_null(l);
	snprintf(l, 1500, "11 spine:persona:%s:%s:%s\n", name, PH, IH);
	refused(l, 1, "persona name: longer than 31 bytes");
	free(l);
}

Test(runlog, the_order_bay0_writes_in)
{
	char l[1024];

	refused("11 spine:personas\n11 spine:personas\n", 2, "spine:personas after line 1");
	snprintf(l, sizeof(l), "%s11 spine:personas\n", persona_line("web", PH, IH, ""));
	refused(l, 2, "spine:personas after line 1");
	refused("11 spine:shutdown\n11 spine:shutdown\n", 2, "an event after spine:shutdown");
	refused("11 spine:shutdown\n11 spine:personas\n", 2, "an event after spine:shutdown");
	snprintf(l, sizeof(l), "11 spine:personas\n11 spine:shutdown\n%s",
	         persona_line("web", PH, IH, ""));
	refused(l, 3, "an event after spine:shutdown");
}

Test(runlog, a_refusal_sticks)
{
	const char *s = "12 x\n11 spine:personas\n";
	char *b = exact(s, strlen(s));
	struct runlog_event ev;
	struct runlog rl;

	cr_assert_eq(runlog_open(&rl, b, strlen(s)), 0);
	cr_assert_eq(runlog_next(&rl, &ev), -EINVAL);
	cr_assert_eq(runlog_next(&rl, &ev), -EINVAL, "no reading on past a bad line");
	cr_assert_eq(rl.line, 1);
	free(b);
}

Test(runlog, the_size_cap)
{
	const char *l = persona_line("web", PH, IH, "");
	size_t ll = strlen(l), n = RUNLOG_SIZE_MAX / ll * ll;
	char *b = malloc(RUNLOG_SIZE_MAX + 1);
	struct runlog rl;

	cr_assert_not_null(b);
	for (size_t off = 0; off < n; off += ll)
		memcpy(b + off, l, ll);
	struct runlog_event ev;
	int r, count = 0;
	cr_assert_eq(runlog_open(&rl, b, n), 0);
	while ((r = runlog_next(&rl, &ev)) == 1)
		count++;
	cr_assert_eq(r, 0, "%s", rl.err);
	cr_assert_eq((size_t)count, n / ll, "a log just under the cap is read whole");
	cr_assert_eq(runlog_open(&rl, b, RUNLOG_SIZE_MAX + 1), -EFBIG);
	cr_assert_str_eq(rl.err, "larger than 1048576 bytes");
	cr_assert_eq(runlog_next(&rl, &ev), -EINVAL, "a refused log yields nothing");
	free(b);
}

/* Every prefix of a good log ends at a line boundary (all its whole lines
 * read) or in a refusal of the cut line, never a read past the end. */
Test(runlog, every_truncation)
{
	char log[2048];

	snprintf(log, sizeof(log),
	         "11 spine:personas\n11 spine:persona:web:%s:%s\n11 spine:shutdown\n", PH, IH);
	size_t n = strlen(log);
	for (size_t k = 0; k <= n; k++) {
		struct runlog rl;
		int whole = 0;
		for (size_t i = 0; i < k; i++)
			whole += log[i] == '\n';
		int r = read_all(log, k, &rl);
		if (k == 0 || log[k - 1] == '\n') {
			cr_assert_eq(r, whole, "prefix %zu: %s", k, rl.err);
		} else {
			cr_assert_eq(r, -1, "prefix %zu accepted", k);
			cr_assert_eq(rl.line, (unsigned)whole + 1, "prefix %zu: line %u", k,
			             rl.line);
			cr_assert_str_eq(rl.err, "no newline at the end of the log");
		}
	}
}
