/*
 * main.c: spineboot's sequence (docs/boot.md, "Boot policy").
 *
 * Slot a, then slot b, then power off. No menu, prompt, timeout or key is
 * ever read, and spineboot's own LoadOptions are never looked at. Each step
 * of try_slot either passes or ends the slot with one "refused:" line.
 */
#include "spineboot.h"

#include <efilib.h>

EFI_SYSTEM_TABLE *spine_st;
EFI_BOOT_SERVICES *spine_bs;
EFI_HANDLE spine_image;

/* build/efi/keys.h, made by efi/mkkeys.sh from $(SLOT_PUBS). */
#include "keys.h"

#define NKEYS (sizeof(spine_trusted_keys) / sizeof(spine_trusted_keys[0]))

/* The rollback floor, read once before any slot is tried. */
struct floor_state {
	bool ok;
	uint64_t value;
	char why[96]; /* the refusal for every slot when !ok */
};

struct slot_run {
	char slot;
	struct spine_file_buf sig;
	struct spine_file_buf files[SPINE_NFILES];
	uint16_t *options;
	char why[192];
	struct spine_text t;
};

static void say(char slot, const char *what, const char *detail)
{
	char line[256];
	struct spine_text t;
	char s[2] = {slot, 0};

	spine_text_init(&t, line, sizeof(line));
	spine_text_str(&t, "spineboot: slot ");
	spine_text_str(&t, s);
	spine_text_str(&t, ": ");
	spine_text_str(&t, what);
	spine_text_str(&t, detail);
	spine_puts(line);
}

/* Starts the reason text: "<subject>: <phrase>" and the like. */
static void why(struct slot_run *r, const char *a, const char *b)
{
	spine_text_init(&r->t, r->why, sizeof(r->why));
	spine_text_str(&r->t, a);
	spine_text_str(&r->t, b);
}

static void why_status(struct slot_run *r, const char *a, const char *b, EFI_STATUS s)
{
	why(r, a, b);
	spine_text_str(&r->t, " (");
	spine_text_str(&r->t, spine_status_str(s));
	spine_text_str(&r->t, ")");
}

/* Reads one file of the slot, with a refusal reason on failure. */
static bool read_one(EFI_FILE_HANDLE root, struct slot_run *r, const char *name, size_t cap,
                     struct spine_file_buf *out)
{
	EFI_STATUS s;

	switch (spine_read_file(root, r->slot, name, cap, out, &s)) {
	case SPINE_READ_OK:
		return true;
	case SPINE_READ_MISSING:
		why(r, name, ": missing");
		return false;
	case SPINE_READ_TOO_LARGE:
		why(r, name, ": too large");
		return false;
	case SPINE_READ_ERROR:
		break;
	}
	why_status(r, name, ": unreadable", s);
	return false;
}

/*
 * Everything up to the jump. Returns false with r->why set when the slot is
 * refused; true when the kernel was started and came back (r->why then holds
 * its status).
 */
static bool try_slot(EFI_FILE_HANDLE root, const struct floor_state *fl, struct slot_run *r)
{
	uint8_t id[SPINE_STATE_DIGEST_LEN], raw[SPINE_STATE_LEN];
	uint8_t digests[SPINE_NFILES][SV_SHA512_LEN];
	struct spine_state cur, next, *curp = NULL;
	struct spine_event_buf evb;
	struct spine_event ev[SPINE_NEVENTS];
	struct spine_conf conf;
	enum spine_file missing = SPINE_F_KERNEL;
	spine_verdict v;
	size_t msg_off = 0, len = 0, units = 0;
	uint32_t attrs = 0;
	uint64_t new_floor;
	sv_result sr = SV_OK;
	EFI_STATUS s;
	int rc;

	if (!fl->ok) {
		why(r, fl->why, "");
		return false;
	}

	/* 1. The manifest file, and the state it binds to. The attempt count is
	 * looked at before the expensive checks: a slot with no attempts left is
	 * skipped without reading its kernel. */
	if (!read_one(root, r, "SHA512.sig", SPINE_CAP_SIG, &r->sig))
		return false;
	spine_manifest_id(r->sig.p, r->sig.len, id);
	switch (spine_state_read(r->slot, raw, &len, &attrs, &s)) {
	case SPINE_VAR_ABSENT:
		break;
	case SPINE_VAR_ERROR:
		why_status(r, "slot state variable", ": unreadable", s);
		return false;
	case SPINE_VAR_PRESENT:
		rc = spine_state_decode(raw, len, attrs, &cur);
		if (rc != SPINE_STATE_OK) {
			why(r, "slot state variable: ", spine_state_result_str(rc));
			return false;
		}
		curp = &cur;
		break;
	}
	if (spine_state_exhausted(curp, id)) {
		why(r, "boot attempts used up", "");
		return false;
	}

	/* 2. Signature, then the list's names. */
	sr = sv_verify_embedded(spine_trusted_keys, NKEYS, r->sig.p, r->sig.len, &msg_off);
	if (sr != SV_OK) {
		why(r, "SHA512.sig: ", sv_result_str(sr));
		return false;
	}
	switch (spine_manifest_parse(r->sig.p + msg_off, r->sig.len - msg_off, digests, &sr,
	                             &missing)) {
	case SPINE_MF_OK:
		break;
	case SPINE_MF_LIST:
		why(r, "SHA512.sig: ", sv_result_str(sr));
		return false;
	case SPINE_MF_UNKNOWN:
		why(r, "SHA512.sig: ", "lists a file the loader does not use");
		return false;
	case SPINE_MF_MISSING:
		why(r, "SHA512.sig: does not list ", spine_file_name(missing));
		return false;
	}

	/* 3. Each file once, whole; these buffers are what boots. */
	for (unsigned f = 0; f < SPINE_NFILES; f++) {
		uint8_t d[SV_SHA512_LEN];
		const char *name = spine_file_name((enum spine_file)f);

		if (!read_one(root, r, name, spine_file_cap((enum spine_file)f), &r->files[f]))
			return false;
		spine_sha512(r->files[f].p, r->files[f].len, d);
		if (!sv_ct_equal(d, digests[f], SV_SHA512_LEN)) {
			why(r, name, ": hash mismatch");
			return false;
		}
	}

	/* 4. What the verified files say. */
	rc = spine_conf_parse(r->files[SPINE_F_CONF].p, r->files[SPINE_F_CONF].len, &conf);
	if (rc != SPINE_CONF_OK) {
		why(r, "slot.conf: ", spine_conf_result_str(rc));
		return false;
	}
	if (!spine_floor_allows(fl->value, conf.version)) {
		why(r, "version ", "");
		spine_text_u64(&r->t, conf.version);
		spine_text_str(&r->t, " is below the rollback floor ");
		spine_text_u64(&r->t, fl->value);
		return false;
	}
	rc = spine_pe_check(r->files[SPINE_F_KERNEL].p, r->files[SPINE_F_KERNEL].len);
	if (rc != SPINE_PE_OK) {
		why(r, "vmlinuz: ", spine_pe_result_str(rc));
		return false;
	}
	const size_t cap = SPINE_CAP_CMDLINE + 32;
	s = uefi_call_wrapper(spine_bs->AllocatePool, 3, EfiLoaderData, cap * sizeof(uint16_t),
	                      (void **)&r->options);
	if (EFI_ERROR(s)) {
		r->options = NULL;
		why_status(r, "cmdline: ", "no memory", s);
		return false;
	}
	rc = spine_cmdline_build(r->files[SPINE_F_CMDLINE].p, r->files[SPINE_F_CMDLINE].len,
	                         r->slot, r->options, cap, &units);
	if (rc != SPINE_CMD_OK) {
		why(r, "cmdline: ", spine_cmdline_result_str(rc));
		return false;
	}

	/* 5. Count the attempt durably before the jump: a kernel that hangs or
	 * crashes must not get the same attempt again. A write that fails or
	 * does not read back refuses the slot. */
	v = spine_state_next(curp, id, conf.tries, &next);
	if (v == SPINE_V_EXHAUSTED) {
		why(r, "boot attempts used up", "");
		return false;
	}
	if (v == SPINE_V_BOOT_ATTEMPT) {
		s = spine_state_write(r->slot, &next);
		if (EFI_ERROR(s)) {
			why_status(r, "cannot record the boot attempt", "", s);
			return false;
		}
	}
	if (spine_floor_raise(fl->value, conf.version, v, &new_floor)) {
		/* Not raising it costs protection later, not safety now: this
		 * slot is verified and at or above the floor. Say so and go on. */
		s = spine_floor_write(new_floor);
		if (EFI_ERROR(s))
			say(r->slot, "cannot raise the rollback floor: ", spine_status_str(s));
	}

	/* 6. Measure what boots, then boot it. */
	spine_events(&evb, r->slot, r->sig.p, r->sig.len, conf.version, ev);
	s = spine_measure(ev);
	if (EFI_ERROR(s) && s != EFI_NOT_FOUND)
		say(r->slot, "measurement failed: ", spine_status_str(s));

	{
		char line[80];
		struct spine_text t;
		char sl[2] = {r->slot, 0};

		spine_text_init(&t, line, sizeof(line));
		spine_text_str(&t, "spineboot: booting slot ");
		spine_text_str(&t, sl);
		spine_text_str(&t, " version ");
		spine_text_u64(&t, conf.version);
		spine_puts(line);
	}
	s = spine_handoff(r->slot, &r->files[SPINE_F_KERNEL], &r->files[SPINE_F_INITRD], r->options,
	                  units);
	why(r, spine_status_str(s), "");
	return true;
}

static void slot_free(struct slot_run *r)
{
	spine_file_free(&r->sig);
	for (unsigned f = 0; f < SPINE_NFILES; f++)
		spine_file_free(&r->files[f]);
	if (r->options)
		uefi_call_wrapper(spine_bs->FreePool, 1, r->options);
	r->options = NULL;
}

static void floor_load(struct floor_state *fl)
{
	uint8_t raw[8];
	size_t len = 0;
	uint32_t attrs = 0;
	EFI_STATUS s;
	struct spine_text t;

	fl->ok = false;
	fl->value = 0;
	spine_text_init(&t, fl->why, sizeof(fl->why));
	switch (spine_floor_read(raw, &len, &attrs, &s)) {
	case SPINE_VAR_ABSENT:
		fl->ok = true;
		return;
	case SPINE_VAR_ERROR:
		/* Unknown floor: booting anything could be a rollback. */
		spine_text_str(&t, "rollback floor unreadable (");
		spine_text_str(&t, spine_status_str(s));
		spine_text_str(&t, ")");
		return;
	case SPINE_VAR_PRESENT:
		break;
	}
	if (spine_floor_decode(raw, len, attrs, &fl->value) == SPINE_FLOOR_OK) {
		fl->ok = true;
		return;
	}
	/* Not as the loader writes it (e.g. with RT, so created from the OS,
	 * which is only possible when ours never existed): not trusted, and it
	 * would block writing the real one. */
	s = spine_floor_delete();
	if (EFI_ERROR(s)) {
		spine_text_str(&t, "rollback floor variable malformed and not deletable (");
		spine_text_str(&t, spine_status_str(s));
		spine_text_str(&t, ")");
		return;
	}
	spine_puts("spineboot: deleted a malformed SpineRollbackFloor");
	fl->value = 0;
	fl->ok = true;
}

/* Not EFIAPI: gnu-efi's crt0 (_start) takes the firmware's MS ABI call and
 * calls efi_main with the System V ABI. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	static const char slots[2] = {'a', 'b'};
	struct floor_state fl;
	EFI_FILE_HANDLE root = NULL;
	EFI_STATUS s;

	spine_time_start();
	spine_st = systab;
	spine_bs = systab->BootServices;
	spine_image = image;
	InitializeLib(image, systab); /* for libefi's device-path helpers */

	floor_load(&fl);
	s = spine_fs_open(image, &root);
	if (EFI_ERROR(s) && fl.ok) {
		struct spine_text t;

		spine_text_init(&t, fl.why, sizeof(fl.why));
		spine_text_str(&t, "cannot open the ESP (");
		spine_text_str(&t, spine_status_str(s));
		spine_text_str(&t, ")");
		fl.ok = false;
	}

	for (int i = 0; i < 2; i++) {
		struct slot_run r = {.slot = slots[i]};

		if (try_slot(root, &fl, &r))
			say(r.slot, "kernel did not start: ", r.why);
		else
			say(r.slot, "refused: ", r.why);
		slot_free(&r);
	}

	spine_puts("spineboot: no bootable slot, powering off");
	for (;;) {
		uefi_call_wrapper(spine_st->RuntimeServices->ResetSystem, 4, EfiResetShutdown,
		                  EFI_SUCCESS, (UINTN)0, NULL);
		/* ResetSystem does not return; if a broken firmware's does, never
		 * fall back to its boot menu or shell. */
		__asm__ __volatile__("cli; hlt");
	}
}
