/*
 * slot.c: one slot's check sequence (see slot.h and docs/boot.md).
 *
 * Pure like policy.c: everything the firmware does comes through ops. Each
 * step either passes or sets s->why and returns false; nothing is written
 * before every check has passed.
 */
#include "slot.h"

/* The LoadOptions buffer: the capped cmdline, " spine.slot=x" and a NUL. */
#define OPTIONS_UNITS (SPINE_CAP_CMDLINE + 32)

static bool refuse(struct spine_slot *s, const char *a, const char *b)
{
	struct spine_text t;

	spine_text_init(&t, s->why, sizeof(s->why));
	spine_text_str(&t, a);
	spine_text_str(&t, b);
	return false;
}

static bool refuse_status(const struct spine_ops *ops, struct spine_slot *s, const char *a,
                          const char *b, uint64_t status)
{
	struct spine_text t;

	spine_text_init(&t, s->why, sizeof(s->why));
	spine_text_str(&t, a);
	spine_text_str(&t, b);
	spine_text_str(&t, " (");
	spine_text_str(&t, ops->status_str(status));
	spine_text_str(&t, ")");
	return false;
}

static void note(const struct spine_ops *ops, char slot, const char *a, const char *b)
{
	char line[160];
	struct spine_text t;
	const char sl[2] = {slot, 0};

	spine_text_init(&t, line, sizeof(line));
	spine_text_str(&t, "slot ");
	spine_text_str(&t, sl);
	spine_text_str(&t, ": ");
	spine_text_str(&t, a);
	spine_text_str(&t, b);
	ops->note(ops->ctx, line);
}

static bool read_one(const struct spine_ops *ops, struct spine_slot *s, const char *name,
                     size_t cap, uint8_t **buf, size_t *len)
{
	uint64_t st = 0;

	switch (ops->read_file(ops->ctx, s->slot, name, cap, buf, len, &st)) {
	case SPINE_READ_OK:
		return true;
	case SPINE_READ_MISSING:
		*buf = NULL;
		return refuse(s, name, ": missing");
	case SPINE_READ_TOO_LARGE:
		*buf = NULL;
		return refuse(s, name, ": too large");
	case SPINE_READ_ERROR:
		break;
	}
	*buf = NULL;
	return refuse_status(ops, s, name, ": unreadable", st);
}

/*
 * The other slot's version, when it verifies as far as slot.conf: its
 * manifest's signature and names, then slot.conf's hash and grammar. Its
 * kernel and initrd are not read: this only decides how far the floor may
 * rise, and the other slot is checked whole when it boots.
 */
static bool other_version(const struct spine_ops *ops, char slot, uint32_t *version)
{
	uint8_t digests[SPINE_NFILES][SV_SHA512_LEN], d[SV_SHA512_LEN];
	uint8_t *sig = NULL, *conf = NULL;
	size_t sig_len = 0, conf_len = 0, off = 0;
	enum spine_file missing = SPINE_F_KERNEL;
	struct spine_conf c;
	sv_result sr = SV_OK;
	uint64_t st = 0;
	bool ok = false;

	if (ops->read_file(ops->ctx, slot, "SHA512.sig", SPINE_CAP_SIG, &sig, &sig_len, &st) !=
	    SPINE_READ_OK)
		return false;
	if (sv_verify_embedded(ops->keys, ops->nkeys, sig, sig_len, &off) != SV_OK ||
	    spine_manifest_parse(sig + off, sig_len - off, digests, &sr, &missing) != SPINE_MF_OK)
		goto out;
	if (ops->read_file(ops->ctx, slot, "slot.conf", SPINE_CAP_CONF, &conf, &conf_len, &st) !=
	    SPINE_READ_OK) {
		conf = NULL;
		goto out;
	}
	spine_sha512(conf, conf_len, d);
	if (!sv_ct_equal(d, digests[SPINE_F_CONF], SV_SHA512_LEN) ||
	    spine_conf_parse(conf, conf_len, &c) != SPINE_CONF_OK)
		goto out;
	*version = c.version;
	ok = true;
out:
	ops->free_buf(ops->ctx, sig);
	if (conf)
		ops->free_buf(ops->ctx, conf);
	return ok;
}

bool spine_slot_prepare(const struct spine_ops *ops, const struct spine_floor_state *fl,
                        struct spine_slot *s)
{
	uint8_t id[SPINE_STATE_DIGEST_LEN], raw[SPINE_STATE_LEN];
	char var[SPINE_STATE_NAME_LEN];
	uint8_t digests[SPINE_NFILES][SV_SHA512_LEN];
	struct spine_state cur, next, *curp = NULL;
	struct spine_event_buf evb;
	struct spine_event ev[SPINE_NEVENTS];
	struct spine_conf conf;
	enum spine_file missing = SPINE_F_KERNEL;
	size_t msg_off = 0, len = 0;
	uint32_t attrs = 0;
	uint64_t st = 0, new_floor = 0;
	bool raise = false;
	sv_result sr = SV_OK;
	int rc;

	if (!fl->ok)
		return refuse(s, fl->why, "");

	/* 1. The manifest file and the state bound to it. The attempt count is
	 * looked at before anything expensive: a slot with no attempts left is
	 * skipped without reading its kernel. */
	if (!read_one(ops, s, "SHA512.sig", SPINE_CAP_SIG, &s->sig, &s->sig_len))
		return false;
	spine_manifest_id(s->sig, s->sig_len, id);
	spine_state_name(s->slot, id, var);
	switch (ops->state_read(ops->ctx, s->slot, var, raw, &len, &attrs, &st)) {
	case SPINE_VAR_ABSENT:
		break;
	case SPINE_VAR_ERROR:
		return refuse_status(ops, s, "slot state variable", ": unreadable", st);
	case SPINE_VAR_PRESENT:
		rc = spine_state_decode(raw, len, attrs, &cur);
		if (rc != SPINE_STATE_OK)
			return refuse(s, "slot state variable: ", spine_state_result_str(rc));
		curp = &cur;
		break;
	}
	if (spine_state_exhausted(curp, id))
		return refuse(s, "boot attempts used up", "");

	/* 2. The signature, then the list's names. */
	sr = sv_verify_embedded(ops->keys, ops->nkeys, s->sig, s->sig_len, &msg_off);
	if (sr != SV_OK)
		return refuse(s, "SHA512.sig: ", sv_result_str(sr));
	switch (spine_manifest_parse(s->sig + msg_off, s->sig_len - msg_off, digests, &sr,
	                             &missing)) {
	case SPINE_MF_OK:
		break;
	case SPINE_MF_LIST:
		return refuse(s, "SHA512.sig: ", sv_result_str(sr));
	case SPINE_MF_UNKNOWN:
		return refuse(s, "SHA512.sig: ", "lists a file the loader does not use");
	case SPINE_MF_MISSING:
		return refuse(s, "SHA512.sig: does not list ", spine_file_name(missing));
	}

	/* 3. Each file once, whole; these buffers are what boots. */
	for (unsigned f = 0; f < SPINE_NFILES; f++) {
		uint8_t d[SV_SHA512_LEN];
		const char *name = spine_file_name((enum spine_file)f);

		if (!read_one(ops, s, name, spine_file_cap((enum spine_file)f), &s->file[f],
		              &s->len[f]))
			return false;
		spine_sha512(s->file[f], s->len[f], d);
		if (!sv_ct_equal(d, digests[f], SV_SHA512_LEN))
			return refuse(s, name, ": hash mismatch");
	}

	/* 4. What the verified files say. */
	rc = spine_conf_parse(s->file[SPINE_F_CONF], s->len[SPINE_F_CONF], &conf);
	if (rc != SPINE_CONF_OK)
		return refuse(s, "slot.conf: ", spine_conf_result_str(rc));
	s->version = conf.version;
	if (!spine_floor_allows(fl->value, conf.version)) {
		struct spine_text t;

		spine_text_init(&t, s->why, sizeof(s->why));
		spine_text_str(&t, "version ");
		spine_text_u64(&t, conf.version);
		spine_text_str(&t, " is below the rollback floor ");
		spine_text_u64(&t, fl->value);
		return false;
	}
	rc = spine_pe_check(s->file[SPINE_F_KERNEL], s->len[SPINE_F_KERNEL]);
	if (rc != SPINE_PE_OK)
		return refuse(s, "vmlinuz: ", spine_pe_result_str(rc));
	s->options = ops->alloc(ops->ctx, OPTIONS_UNITS * sizeof(uint16_t));
	if (!s->options)
		return refuse(s, "cmdline: ", "no memory");
	rc = spine_cmdline_build(s->file[SPINE_F_CMDLINE], s->len[SPINE_F_CMDLINE], s->slot, id,
	                         s->options, OPTIONS_UNITS, &s->option_units);
	if (rc != SPINE_CMD_OK)
		return refuse(s, "cmdline: ", spine_cmdline_result_str(rc));

	/* 5. Everything checked: count the attempt durably before the jump, so
	 * a kernel that hangs or crashes never gets the same attempt twice. A
	 * write that fails or does not read back refuses the slot. */
	s->verdict = spine_state_next(curp, id, conf.tries, &next);
	if (s->verdict == SPINE_V_EXHAUSTED)
		return refuse(s, "boot attempts used up", "");
	if (s->verdict == SPINE_V_BOOT_ATTEMPT) {
		spine_state_encode(&next, raw);
		st = ops->state_write(ops->ctx, s->slot, var, raw);
		if (st != 0)
			return refuse_status(ops, s, "cannot record the boot attempt", "", st);
		/* A new install: the variables of earlier installs of this slot
		 * are dead weight in a small variable store. */
		if (!curp)
			ops->state_sweep(ops->ctx, s->slot, var);
	}
	if (s->verdict == SPINE_V_BOOT_GOOD) {
		uint32_t ov = 0;
		bool ook = other_version(ops, s->slot == 'a' ? 'b' : 'a', &ov);

		raise = spine_floor_raise(fl->value, conf.version, s->verdict, ook, ov, &new_floor);
	}
	if (raise) {
		/* Not raising it costs protection later, not safety now: this
		 * slot is verified and at or above the floor. */
		st = ops->floor_write(ops->ctx, new_floor);
		if (st != 0)
			note(ops, s->slot,
			     "cannot raise the rollback floor: ", ops->status_str(st));
	}

	/* 6. Measure what boots. */
	spine_events(&evb, s->slot, s->sig, s->sig_len, conf.version, ev);
	st = ops->measure(ops->ctx, ev);
	if (st != 0)
		note(ops, s->slot, "measurement failed: ", ops->status_str(st));
	return true;
}

void spine_slot_release(const struct spine_ops *ops, struct spine_slot *s)
{
	if (s->sig)
		ops->free_buf(ops->ctx, s->sig);
	s->sig = NULL;
	for (unsigned f = 0; f < SPINE_NFILES; f++) {
		if (s->file[f])
			ops->free_buf(ops->ctx, s->file[f]);
		s->file[f] = NULL;
	}
	if (s->options)
		ops->free_buf(ops->ctx, s->options);
	s->options = NULL;
}

/*
 * No floor yet (a first boot, or one the OS planted was just deleted): write
 * floor 0 now, before any handoff. While no loader-written floor exists, root
 * in the OS could create one itself, as an authenticated variable the loader
 * can never delete; once ours exists (NV|BS, invisible at run time) the
 * firmware refuses any other of that name. If it cannot be written, no slot
 * boots: booting would leave that window open.
 */
static void floor_create(const struct spine_ops *ops, struct spine_floor_state *fl,
                         struct spine_text *t)
{
	uint64_t st = ops->floor_write(ops->ctx, 0);

	fl->value = 0;
	if (st != 0) {
		spine_text_str(t, "rollback floor cannot be created (");
		spine_text_str(t, ops->status_str(st));
		spine_text_str(t, ")");
		return;
	}
	ops->note(ops->ctx, "created SpineRollbackFloor = 0");
	fl->ok = true;
}

void spine_floor_load(const struct spine_ops *ops, struct spine_floor_state *fl)
{
	uint8_t raw[8];
	size_t len = 0;
	uint32_t attrs = 0;
	uint64_t st = 0;
	struct spine_text t;

	fl->ok = false;
	fl->value = 0;
	spine_text_init(&t, fl->why, sizeof(fl->why));
	switch (ops->floor_read(ops->ctx, raw, &len, &attrs, &st)) {
	case SPINE_VAR_ABSENT:
		floor_create(ops, fl, &t);
		return;
	case SPINE_VAR_ERROR:
		/* Unknown floor: booting anything could be a rollback. */
		spine_text_str(&t, "rollback floor unreadable (");
		spine_text_str(&t, ops->status_str(st));
		spine_text_str(&t, ")");
		return;
	case SPINE_VAR_PRESENT:
		break;
	}
	if (spine_floor_decode(raw, len, attrs, &fl->value) == SPINE_FLOOR_OK) {
		fl->ok = true;
		return;
	}
	/* Not as the loader writes it. With RT it was created from the OS,
	 * which the firmware allows only when ours never existed: it carries
	 * nothing, and would block writing the real one. */
	st = ops->floor_delete(ops->ctx);
	if (st != 0) {
		spine_text_str(&t, "rollback floor variable malformed and not deletable (");
		spine_text_str(&t, ops->status_str(st));
		spine_text_str(&t, ")");
		return;
	}
	ops->note(ops->ctx, "deleted a malformed SpineRollbackFloor");
	floor_create(ops, fl, &t);
}
