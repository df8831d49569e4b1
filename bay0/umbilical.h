/*
 * umbilical.h: the pure parts of the Umbilical, the one crossing between
 * personas (docs/umbilical.md): the request a persona sends on its own
 * channel, the file-name rule, the grant check, the escaping of anything a
 * persona wrote before bay0 puts it on its console, the rate limit and the
 * console prompt's decision rule.
 *
 * No I/O, no allocation, no globals: the unit tests and the fuzzer reach
 * all of it. Functions that refuse return -errno and write one line naming
 * the broken rule into err (NUL-terminated, truncated to errlen).
 */
#ifndef BAY0_UMBILICAL_H
#define BAY0_UMBILICAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "passport.h"

#define UMB_NAME_MAX 255  /* bytes of a file name, as NAME_MAX */
#define UMB_REQ_MAX 512   /* bytes of one request message */
#define UMB_ESCAPED_MAX 4 /* output bytes per input byte: "\xNN" */

/* Caps; spine.conf can lower or raise them (docs/umbilical.md). */
#define UMB_DEFAULT_MAX_BYTES (64ull << 20) /* one file */
#define UMB_DEFAULT_MAX_FILES 256u          /* files in one receiver's inbox */

/* The Umbilical's own folders, relative to a persona's /persist subtree,
 * and bay0's staging folder under /persist. */
#define UMB_OUTBOX "outbox"
#define UMB_INBOX "inbox"
#define UMB_STAGE "transfer"

/* The file-name rule: 1..255 bytes of valid UTF-8 (shortest form, no
 * surrogates, at most U+10FFFF), no control character (C0, DEL, C1, and the
 * bidirectional controls U+061C, U+200E-U+200F, U+202A-U+202E,
 * U+2066-U+2069), no '/', and not "." or "..". Returns 0, or -EINVAL /
 * -ENAMETOOLONG with "name rule: ..." in err. */
int umb_name_check(const char *name, size_t len, char *err, size_t errlen);

enum umb_op {
	UMB_OP_PULL = 1, /* "pull <source persona> <file name>" */
	UMB_OP_SPINE,    /* "spine <folder name>": a Spine update in outbox/<folder>/ */
};

struct umb_request {
	enum umb_op op;
	char source[PASSPORT_NAME_MAX + 1]; /* UMB_OP_PULL; "" for UMB_OP_SPINE */
	char name[UMB_NAME_MAX + 1];        /* passed umb_name_check */
};

/* Parses one message as read from a persona's channel (one datagram of a
 * SOCK_SEQPACKET socket): "pull", one space, a persona name, one space,
 * the file name to the end of the message; or "spine", one space, the name
 * of a folder in the sender's own outbox, to the end of the message. One
 * final '\n' is dropped (a name cannot contain one). Who asks is never in
 * the message: bay0 knows it from the channel the message came on. */
int umb_request_parse(const uint8_t *msg, size_t len, struct umb_request *out, char *err,
                      size_t errlen);

/* May receiver pull from source, given their passports' grants? The
 * receiver needs pull (or both), the source offer (or both), and they
 * must be two personas. */
int umb_may(const char *receiver, enum passport_umbilical rgrant, const char *source,
            enum passport_umbilical sgrant, char *err, size_t errlen);

/* Escapes persona bytes for bay0's console: printable ASCII (0x20..0x7e)
 * but '\' as is, '\' as "\\", every other byte as "\xNN". So nothing a
 * persona wrote can move the cursor, start a line, clear the screen or
 * look like something else in another script. Writes at most outlen - 1
 * bytes and a NUL; returns how many input bytes it took (all of them when
 * outlen >= UMB_ESCAPED_MAX * len + 1; at least one when outlen > 4). */
size_t umb_escape(const char *in, size_t len, char *out, size_t outlen);

/* How bay0 relays one line a persona wrote (loop.c): "[name] " and the
 * escaped bytes, cut into as many lines of at most UMB_RELAY_MAX bytes
 * (NUL excluded) as it takes, each marked with the name, each handed to
 * emit. So no relayed line can start as bay0's own lines or its prompt
 * do, or carry a byte that moves the cursor. */
#define UMB_RELAY_MAX 400
void umb_relay(const char *name, const char *buf, size_t len,
               void (*emit)(void *arg, const char *line), void *arg);

/* A token bucket per persona: burst requests at once, then one per
 * refill_ms. Times are CLOCK_MONOTONIC ms. */
struct umb_rate {
	unsigned tokens;
	long long last_ms;
	bool started;
};
#define UMB_RATE_BURST 3u
#define UMB_RATE_REFILL_MS 10000ll
bool umb_rate_allow(struct umb_rate *r, long long now_ms);

/* The prompt on bay0's console. Accept takes the deliberate key 'Y'
 * (shift and y) once the prompt has stood unchanged for UMB_ARM_MS; a 'Y'
 * before that, or any redraw, starts the wait again. 'n', 'N' and Escape
 * deny at once, any other key is ignored, and at UMB_TIMEOUT_MS the answer
 * is deny. */
#define UMB_ARM_MS 1500ll
#define UMB_TIMEOUT_MS 30000ll
#define UMB_KEY_ACCEPT 'Y'

enum umb_decision {
	UMB_PENDING = 0,
	UMB_ACCEPTED,
	UMB_DENIED,
	UMB_TIMED_OUT,
};

struct umb_prompt {
	bool active;
	long long shown_ms;    /* last time it was (re)drawn */
	long long deadline_ms; /* shown first + the timeout */
	long long timeout_ms;  /* set before umb_prompt_show; 0: UMB_TIMEOUT_MS */
};

void umb_prompt_show(struct umb_prompt *p, long long now_ms);
/* The prompt was drawn again (something else reached the console): the
 * moment of standing unchanged starts again; the deadline does not move. */
void umb_prompt_redrawn(struct umb_prompt *p, long long now_ms);
enum umb_decision umb_prompt_key(struct umb_prompt *p, unsigned char key, long long now_ms);
enum umb_decision umb_prompt_tick(struct umb_prompt *p, long long now_ms);

/* What the prompt shows, and the lines it is drawn as: each starts with
 * "umbilical: " (bay0's log_line adds "bay0: "), is printable ASCII and at
 * most UMB_RELAY_MAX bytes; the name is escaped (umb_escape) and wrapped
 * over as many lines as it takes; the SHA-512 in full, on two lines.
 * Returns the number of lines (at most UMB_PROMPT_LINES). */
#define UMB_PROMPT_LINES 16
struct umb_prompt_info {
	unsigned long long id; /* request number, for the log */
	const char *source, *receiver;
	const char *name;
	uint64_t size;
	uint8_t sha512[SV_SHA512_LEN];
	unsigned timeout_s; /* as shown; 0: UMB_TIMEOUT_MS / 1000 */
};
size_t umb_prompt_text(const struct umb_prompt_info *pi,
                       char lines[UMB_PROMPT_LINES][UMB_RELAY_MAX + 1]);

/* A Spine update (docs/umbilical.md, "Spine updates"): what spinectl's dry
 * run of `update` printed, read back for the prompt. spinectl is the one
 * implementation of the loader's check and of the A/B plan; bay0 only
 * shows what it said. */
#define UMB_SPINE_LINE_MAX 200
struct umb_spine_summary {
	bool have_version;
	uint32_t version;                     /* "new slot (DIR): version N" */
	bool already;                         /* "updated already: ..." */
	char slot[2][UMB_SPINE_LINE_MAX + 1]; /* its "slot a: ..." and "slot b: ..." lines */
};
/* 0, or -EINVAL with a line in err when out holds no "new slot" line with
 * a version (out is spinectl's standard output, NUL-terminated). */
int umb_spine_summary_parse(const char *out, struct umb_spine_summary *s, char *err, size_t errlen);

struct umb_spine_prompt_info {
	unsigned long long id;
	const char *source;
	const char *folder; /* passed umb_name_check */
	const struct umb_spine_summary *sum;
	uint64_t size;                     /* the five files */
	uint8_t sig_sha512[SV_SHA512_LEN]; /* of SHA512.sig, which lists every file's */
	unsigned timeout_s;
};
/* The prompt of a Spine update, as umb_prompt_text's: every line starts
 * with "umbilical: ", is printable ASCII, at most UMB_RELAY_MAX bytes; the
 * folder name and spinectl's lines escaped. */
size_t umb_spine_prompt_text(const struct umb_spine_prompt_info *pi,
                             char lines[UMB_PROMPT_LINES][UMB_RELAY_MAX + 1]);

/* "accepted", "denied", "timed out", "pending". */
const char *umb_decision_str(enum umb_decision d);

#endif
