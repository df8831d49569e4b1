/*
 * policy.h: spineboot's boot decision as pure functions.
 *
 * Nothing here knows about firmware: no gnu-efi headers, no I/O, no
 * allocation, no globals. The same source is compiled into spineboot.efi and
 * into the host unit tests (tests/unit/test_efi_*.c) and the PCR prediction
 * tool (image/spine-pcr.c), so what the tests prove is what the loader runs.
 * The rules themselves are written down in docs/boot.md.
 */
#ifndef SPINE_POLICY_H
#define SPINE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sv.h"

#define SPINE_WUR __attribute__((warn_unused_result))

/* ---- Size caps, checked before anything is allocated --------------------- */

#define SPINE_CAP_SIG (64u * 1024)
#define SPINE_CAP_KERNEL (64u * 1024 * 1024)
#define SPINE_CAP_INITRD (256u * 1024 * 1024)
#define SPINE_CAP_CMDLINE (4u * 1024)
#define SPINE_CAP_CONF (4u * 1024)

/* The slot state variable's size, and how much of the manifest id it keeps. */
#define SPINE_STATE_LEN 40
#define SPINE_STATE_DIGEST_LEN 32

/* ---- The slot's files ----------------------------------------------------- */

enum spine_file { SPINE_F_KERNEL, SPINE_F_INITRD, SPINE_F_CMDLINE, SPINE_F_CONF, SPINE_NFILES };

/* The name in the slot folder and in SHA512.sig ("vmlinuz", ...). */
const char *spine_file_name(enum spine_file f);
/* The cap for f, in bytes. */
uint32_t spine_file_cap(enum spine_file f);

/* ---- The manifest: SHA512.sig's verified checksum list -------------------- */

typedef enum spine_manifest_result {
	SPINE_MF_OK = 0,
	SPINE_MF_LIST,    /* the list itself is bad: see *sv */
	SPINE_MF_UNKNOWN, /* a name that is not one of the four files */
	SPINE_MF_MISSING, /* one of the four files is not listed */
} spine_manifest_result;

/*
 * Checks that the list parses, has no duplicates and names exactly the four
 * slot files, and copies their digests into digests[] in enum spine_file
 * order. On SPINE_MF_LIST, *sv says why; on SPINE_MF_MISSING, *which says
 * which file. Only *sv and *which are written on failure.
 */
SPINE_WUR spine_manifest_result spine_manifest_parse(const uint8_t *list, size_t len,
                                                     uint8_t digests[SPINE_NFILES][SV_SHA512_LEN],
                                                     sv_result *sv, enum spine_file *which);

/* ---- slot.conf (docs/interfaces.md) -------------------------------------- */

#define SPINE_TRIES_DEFAULT 3
#define SPINE_TRIES_MAX 15

struct spine_conf {
	uint32_t version;
	uint8_t tries;
};

typedef enum spine_conf_result {
	SPINE_CONF_OK = 0,
	SPINE_CONF_SYNTAX,      /* not "key=value\n" lines: blank, no '=', no final \n, bad byte */
	SPINE_CONF_UNKNOWN_KEY, /* a key other than version, tries */
	SPINE_CONF_DUPLICATE,   /* a key given twice */
	SPINE_CONF_BAD_VERSION, /* not decimal 0..2^32-1 without sign or leading zero */
	SPINE_CONF_BAD_TRIES,   /* not decimal 1..15 without sign or leading zero */
	SPINE_CONF_NO_VERSION,  /* version= missing */
} spine_conf_result;

SPINE_WUR spine_conf_result spine_conf_parse(const uint8_t *p, size_t len, struct spine_conf *out);
const char *spine_conf_result_str(spine_conf_result r);

/* ---- The kernel command line ----------------------------------------------
 * The signed cmdline file is one line of printable ASCII (0x20..0x7e), with
 * or without one final '\n'. The loader appends the marker
 * " spine.slot=<x> spine.state=<16 hex>" and bay0 must find exactly one, so
 * the signed text may not carry either word, nor a '"' (the kernel's parser
 * would let an unbalanced quote swallow the marker). The whole line handed
 * over, marker included, is at most what the kernel keeps: x86's
 * COMMAND_LINE_SIZE is 2048 with its NUL, and the EFI stub drops the rest. */

#define SPINE_CMDLINE_KEPT 2047u
/* " spine.slot=a spine.state=" + 16 hex digits */
#define SPINE_MARKER_LEN 42u
#define SPINE_CMDLINE_MAX (SPINE_CMDLINE_KEPT - SPINE_MARKER_LEN)

typedef enum spine_cmdline_result {
	SPINE_CMD_OK = 0,
	SPINE_CMD_BAD_BYTE, /* a byte outside 0x20..0x7e (other than one final \n) */
	SPINE_CMD_HAS_SLOT, /* the signed text already says spine.slot= or spine.state= */
	SPINE_CMD_TOO_LONG, /* over SPINE_CMDLINE_MAX, or the output buffer */
	SPINE_CMD_QUOTE,    /* a '"' */
} spine_cmdline_result;

/*
 * Writes the kernel's LoadOptions: the cmdline as UTF-16LE code units, then
 * " spine.slot=<slot> spine.state=<hex>" (no leading space when the cmdline
 * is empty), then a NUL. hex is the state variable's 16-digit suffix
 * (spine_state_name). *units counts the units written including the NUL.
 */
SPINE_WUR spine_cmdline_result spine_cmdline_build(const uint8_t *p, size_t len, char slot,
                                                   const uint8_t id[SPINE_STATE_DIGEST_LEN],
                                                   uint16_t *out, size_t cap, size_t *units);
const char *spine_cmdline_result_str(spine_cmdline_result r);

/* ---- The kernel image ------------------------------------------------------ */

typedef enum spine_pe_result {
	SPINE_PE_OK = 0,
	SPINE_PE_NOT_PE,    /* no MZ/PE headers inside the buffer */
	SPINE_PE_NOT_X64,   /* machine is not x86-64 or not PE32+ */
	SPINE_PE_NO_INITRD, /* MajorImageVersion < 1: no LoadFile2 initrd (Linux < 5.8) */
} spine_pe_result;

SPINE_WUR spine_pe_result spine_pe_check(const uint8_t *p, size_t len);
const char *spine_pe_result_str(spine_pe_result r);

/* ---- Slot state: the SpineSlotA/B variable (docs/interfaces.md) ----------- */

struct spine_state {
	uint8_t tries_left;
	uint8_t good;
	uint8_t manifest[SPINE_STATE_DIGEST_LEN];
};

typedef enum spine_state_result {
	SPINE_STATE_OK = 0,
	SPINE_STATE_BAD_ATTRS, /* not exactly NV|BS|RT */
	SPINE_STATE_BAD_SIZE,  /* not 40 bytes */
	SPINE_STATE_BAD_MAGIC, /* not "SPS1" */
	SPINE_STATE_BAD_FIELD, /* tries_left > 15, good > 1, or reserved != 0 */
} spine_state_result;

/* The EFI variable attribute bits this file checks, as the UEFI spec numbers them. */
#define SPINE_ATTR_NV 0x1u
#define SPINE_ATTR_BS 0x2u
#define SPINE_ATTR_RT 0x4u
#define SPINE_STATE_ATTRS (SPINE_ATTR_NV | SPINE_ATTR_BS | SPINE_ATTR_RT)
#define SPINE_FLOOR_ATTRS (SPINE_ATTR_NV | SPINE_ATTR_BS)

SPINE_WUR spine_state_result spine_state_decode(const uint8_t *p, size_t len, uint32_t attrs,
                                                struct spine_state *out);
void spine_state_encode(const struct spine_state *s, uint8_t out[SPINE_STATE_LEN]);
const char *spine_state_result_str(spine_state_result r);

/*
 * The state variable of one install of a slot: "SpineSlotA-" or
 * "SpineSlotB-", then the first 8 bytes of the manifest id as 16 lowercase
 * hex digits. Binding the name to the install means a variable the loader
 * cannot use (malformed, or squatted as an authenticated variable by root in
 * the OS) never outlives a reinstall: the next install has another name.
 */
#define SPINE_STATE_PREFIX_LEN 11u
#define SPINE_STATE_HEX_LEN 16u
#define SPINE_STATE_NAME_LEN (SPINE_STATE_PREFIX_LEN + SPINE_STATE_HEX_LEN + 1)
void spine_state_name(char slot, const uint8_t id[SPINE_STATE_DIGEST_LEN],
                      char out[SPINE_STATE_NAME_LEN]);
/* True for a name of slot's state variables other than keep: the bound form
 * for another install, or the unbound "SpineSlotA"/"SpineSlotB" of earlier
 * loaders. What the loader sweeps after starting a new install. */
bool spine_state_name_stale(const char *name, size_t len, char slot, const char *keep);

/* SHA-512 in one call, through verify/'s streaming interface. */
void spine_sha512(const void *p, size_t len, uint8_t out[SV_SHA512_LEN]);

/*
 * The first 32 bytes of SHA-512(SHA512.sig as read): what binds a state to one
 * install of a slot.
 */
void spine_manifest_id(const uint8_t *sigfile, size_t len, uint8_t id[SPINE_STATE_DIGEST_LEN]);

/* True when cur (NULL: no variable) belongs to this manifest, is not good and
 * has no attempts left: the slot is skipped before any more is read. */
bool spine_state_exhausted(const struct spine_state *cur, const uint8_t id[SPINE_STATE_DIGEST_LEN]);

typedef enum spine_verdict {
	SPINE_V_BOOT_GOOD,    /* marked good: boot, no write, floor may rise */
	SPINE_V_BOOT_ATTEMPT, /* not good: write *next (one attempt used) before booting */
	SPINE_V_EXHAUSTED,    /* not good and no attempts left: refuse */
} spine_verdict;

/*
 * The transition for a fully verified slot. cur is the decoded variable or
 * NULL when there is none; a cur for another manifest counts as none (the
 * slot was reinstalled). tries is slot.conf's. On SPINE_V_BOOT_ATTEMPT *next
 * is the state to write durably before the jump.
 */
spine_verdict spine_state_next(const struct spine_state *cur,
                               const uint8_t id[SPINE_STATE_DIGEST_LEN], uint8_t tries,
                               struct spine_state *next);

/* ---- Rollback floor: the SpineRollbackFloor variable ----------------------- */

typedef enum spine_floor_result {
	SPINE_FLOOR_OK = 0,
	SPINE_FLOOR_BAD_ATTRS, /* not exactly NV|BS: not written by the loader */
	SPINE_FLOOR_BAD_SIZE,  /* not 8 bytes */
} spine_floor_result;

SPINE_WUR spine_floor_result spine_floor_decode(const uint8_t *p, size_t len, uint32_t attrs,
                                                uint64_t *floor);
void spine_floor_encode(uint64_t floor, uint8_t out[8]);

/* version may boot under floor. */
bool spine_floor_allows(uint64_t floor, uint32_t version);

/*
 * Whether booting this slot raises the floor, and to what (docs/boot.md,
 * "Rollback floor"): only a slot already marked good, only upward, and
 * never above the other slot while that one verifies at or above the
 * floor, so the fallback is never stranded. other_ok says whether the
 * other slot verified (as far as its slot.conf), other_version its version.
 */
bool spine_floor_raise(uint64_t floor, uint32_t version, spine_verdict v, bool other_ok,
                       uint32_t other_version, uint64_t *new_floor);

/* ---- PCR 12 events (docs/boot.md, "Measurements") --------------------------
 * Each event is EV_IPL into PCR 12; the digest is over the event's "hashed
 * data", and the log's event field says what it was. */

#define SPINE_PCR 12
#define SPINE_EV_IPL 0x0Du
#define SPINE_NEVENTS 3

struct spine_event {
	const uint8_t *data; /* the hashed bytes */
	size_t len;
	const char *desc; /* the event-log text (ASCII, logged without NUL) */
};

/* Scratch for the events' own bytes; keeps the functions allocation-free. */
struct spine_event_buf {
	char slot[16];
	char version[32];
};

/* Fills ev[0..2] for booting slot (a/b) with this SHA512.sig and version. */
void spine_events(struct spine_event_buf *b, char slot, const uint8_t *sigfile, size_t siglen,
                  uint32_t version, struct spine_event ev[SPINE_NEVENTS]);

/* ---- Small ASCII text builder, for console lines --------------------------- */

struct spine_text {
	char *p;
	size_t cap; /* including the NUL */
	size_t len;
};

void spine_text_init(struct spine_text *t, char *buf, size_t cap);
void spine_text_str(struct spine_text *t, const char *s);
void spine_text_u64(struct spine_text *t, uint64_t v);
void spine_text_hex(struct spine_text *t, uint64_t v);

#endif
