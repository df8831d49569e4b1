/*
 * runlog.h: bay0's run-time event log (/run/bay0/measure.log) and the
 * strings bay0 extends into PCR 11 (docs/measure.md, "The run-time log").
 *
 * The log is text, one line per extend that succeeded, in order:
 *
 *   11 spine:personas
 *   11 spine:persona:<name>:<passport SHA-512>:<image SHA-512>
 *   11 spine:shutdown
 *
 * Pure code: no I/O, no allocation. Every byte is checked against the
 * grammar; a refusal names the line and what is wrong, and is never a read
 * past the buffer.
 */
#ifndef MEASURE_RUNLOG_H
#define MEASURE_RUNLOG_H

#include <stddef.h>
#include <stdint.h>

#define RUNLOG_PCR 11
#define RUNLOG_NAME_MAX 31 /* bay0/passport.h's PASSPORT_NAME_MAX */
#define RUNLOG_SHA512_LEN 64
#define RUNLOG_HEX_LEN (2 * RUNLOG_SHA512_LEN)
/* The longest STRING: "spine:persona:" name ':' hex ':' hex. */
#define RUNLOG_STRING_MAX (14 + RUNLOG_NAME_MAX + 1 + RUNLOG_HEX_LEN + 1 + RUNLOG_HEX_LEN)
/* A whole log: 1 MiB, about 3 400 persona launches of the longest name. */
#define RUNLOG_SIZE_MAX (1u << 20)

#define RUNLOG_S_PERSONAS "spine:personas"
#define RUNLOG_S_PERSONA "spine:persona:"
#define RUNLOG_S_SHUTDOWN "spine:shutdown"

enum runlog_kind {
	RUNLOG_PERSONAS = 1, /* before the first persona starts */
	RUNLOG_PERSONA,      /* before each persona runs */
	RUNLOG_SHUTDOWN,     /* at shutdown, before the personas are stopped */
};

struct runlog_event {
	enum runlog_kind kind;
	const char *str; /* the STRING, in the caller's buffer, not NUL-terminated */
	size_t len;
	/* RUNLOG_PERSONA only: */
	char name[RUNLOG_NAME_MAX + 1];
	uint8_t passport_sha512[RUNLOG_SHA512_LEN];
	uint8_t image_sha512[RUNLOG_SHA512_LEN];
};

struct runlog {
	const char *buf;
	size_t len, pos;
	unsigned line;     /* the line last read (1-based); the failing one on error */
	unsigned nevents;  /* events returned so far */
	int seen_shutdown; /* spine:shutdown has been read */
	char err[96];      /* the reason, "" while none */
};

/* Parses one STRING (no "11 ", no newline) into ev. 0, or -EINVAL with a
 * one-line reason in err (errlen bytes, NUL-terminated). */
int runlog_parse_string(const char *s, size_t len, struct runlog_event *ev, char *err,
                        size_t errlen);

/* Writes the persona STRING for name and the two digests into out (NUL-
 * terminated); returns its length, or -EINVAL (bad name, out too small). */
int runlog_persona_string(char *out, size_t outlen, const char *name,
                          const uint8_t passport_sha512[RUNLOG_SHA512_LEN],
                          const uint8_t image_sha512[RUNLOG_SHA512_LEN]);

/* Starts reading buf. -EFBIG (with err set) when it is over RUNLOG_SIZE_MAX. */
int runlog_open(struct runlog *rl, const void *buf, size_t len);

/* The next event: 1 and ev filled, 0 at the end of the log, -EINVAL with
 * rl->line and rl->err set. Besides each line's grammar, the order bay0
 * writes in is enforced: spine:personas only on line 1, nothing after
 * spine:shutdown. */
int runlog_next(struct runlog *rl, struct runlog_event *ev);

/* Whether name obeys the passport's rule: 1-31 of [a-z0-9-], starting with a
 * letter, not ending in '-'. */
int runlog_name_ok(const char *name, size_t len);

#endif
