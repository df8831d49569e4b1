/*
 * slot.h: one slot's whole check sequence, pure, over a small ops table.
 *
 * The firmware supplies reading, variables and measuring (efi/main.c); the
 * host tests supply fakes (tests/unit/test_efi_slot.c). The order of the
 * steps and every refusal text live here, so the tests see exactly what the
 * loader does. docs/boot.md, "Boot policy", is this file in prose.
 */
#ifndef SPINE_SLOT_H
#define SPINE_SLOT_H

#include "policy.h"

typedef enum spine_read_result {
	SPINE_READ_OK = 0,
	SPINE_READ_MISSING,   /* no such file (or a directory) */
	SPINE_READ_TOO_LARGE, /* over the cap: nothing was allocated or read */
	SPINE_READ_ERROR,     /* anything else; *status says what */
} spine_read_result;

typedef enum spine_var_read {
	SPINE_VAR_PRESENT, /* *len may exceed the buffer: then nothing was read */
	SPINE_VAR_ABSENT,
	SPINE_VAR_ERROR,
} spine_var_read;

/* Status codes are the firmware's (EFI_STATUS); 0 is success. */
struct spine_ops {
	void *ctx;
	const sv_pubkey *keys;
	size_t nkeys;
	/* \spine\<slot>\<name>, whole, into a buffer the caller frees with
	 * free_buf. A file over cap is not read. */
	spine_read_result (*read_file)(void *ctx, char slot, const char *name, size_t cap,
	                               uint8_t **buf, size_t *len, uint64_t *status);
	void *(*alloc)(void *ctx, size_t len);
	void (*free_buf)(void *ctx, void *buf);
	/* name: spine_state_name()'s, the variable of this install of slot. */
	spine_var_read (*state_read)(void *ctx, char slot, const char *name,
	                             uint8_t buf[SPINE_STATE_LEN], size_t *len, uint32_t *attrs,
	                             uint64_t *status);
	/* Durable: returns 0 only if the variable reads back as written. */
	uint64_t (*state_write)(void *ctx, char slot, const char *name,
	                        const uint8_t buf[SPINE_STATE_LEN]);
	/* Deletes slot's other state variables (spine_state_name_stale against
	 * keep); best effort, notes what it could not delete. */
	void (*state_sweep)(void *ctx, char slot, const char *keep);
	spine_var_read (*floor_read)(void *ctx, uint8_t buf[8], size_t *len, uint32_t *attrs,
	                             uint64_t *status);
	/* Durable: returns 0 only if the floor reads back as written, NV|BS. */
	uint64_t (*floor_write)(void *ctx, uint64_t floor);
	uint64_t (*floor_delete)(void *ctx);
	/* 0 when measured or when there is no TPM. */
	uint64_t (*measure)(void *ctx, const struct spine_event ev[SPINE_NEVENTS]);
	const char *(*status_str)(uint64_t status);
	/* A console line that does not end the slot: "spineboot: <text>". */
	void (*note)(void *ctx, const char *text);
};

/* The rollback floor, read once before slot a. */
struct spine_floor_state {
	bool ok;
	uint64_t value;
	char why[96]; /* every slot's refusal when !ok */
};

void spine_floor_load(const struct spine_ops *ops, struct spine_floor_state *fl);

/* One slot, from SHA512.sig to "ready to hand off". */
struct spine_slot {
	char slot; /* 'a' or 'b' */
	uint8_t *sig;
	size_t sig_len;
	uint8_t *file[SPINE_NFILES]; /* the verified bytes: what boots */
	size_t len[SPINE_NFILES];
	uint16_t *options; /* the kernel's LoadOptions, UTF-16, NUL-terminated */
	size_t option_units;
	uint32_t version;
	spine_verdict verdict;
	char why[192]; /* the refusal reason when spine_slot_prepare fails */
};

/*
 * Runs every check and, on success, records the attempt, raises the floor
 * when the slot is good, and measures: the slot is then ready to hand off.
 * On false, s->why holds the reason for "spineboot: slot X: refused: ".
 * Either way, release s with spine_slot_release.
 */
bool spine_slot_prepare(const struct spine_ops *ops, const struct spine_floor_state *fl,
                        struct spine_slot *s);
void spine_slot_release(const struct spine_ops *ops, struct spine_slot *s);

#endif
