/*
 * main.c: spineboot's sequence (docs/boot.md, "Boot policy").
 *
 * Slot a, then slot b, then power off. No menu, prompt, timeout or key is
 * ever read, and spineboot's own LoadOptions are never looked at. The checks
 * themselves are slot.c's; this file gives them the firmware (the ops table)
 * and does what only firmware can: hand off, power off.
 */
#include "spineboot.h"

#include <efilib.h>

EFI_SYSTEM_TABLE *spine_st;
EFI_BOOT_SERVICES *spine_bs;
EFI_HANDLE spine_image;

/* build/efi/keys.h, made by efi/mkkeys.sh from $(SLOT_PUBS). */
#include "keys.h"

#define NKEYS (sizeof(spine_trusted_keys) / sizeof(spine_trusted_keys[0]))

/* The same keys as text in a section of their own, so that a host tool can
 * tell which keys a loader binary trusts without running it (docs/boot.md,
 * "Keys"; image/spine-loader-keys.c). Never read by the loader itself. */
__attribute__((used, section(".spkeys"))) static const char spine_keys_marker[] = SPINE_KEYS_MARKER;

/* ---- the ops table: slot.c's view of the firmware ---------------------------- */

static spine_read_result op_read_file(void *ctx, char slot, const char *name, size_t cap,
                                      uint8_t **buf, size_t *len, uint64_t *status)
{
	EFI_STATUS s = EFI_SUCCESS;
	spine_read_result r = spine_read_file(ctx, slot, name, cap, buf, len, &s);

	*status = s;
	return r;
}

static void *op_alloc(void *ctx, size_t len)
{
	void *p = NULL;

	(void)ctx;
	if (EFI_ERROR(uefi_call_wrapper(spine_bs->AllocatePool, 3, EfiLoaderData, len, &p)))
		return NULL;
	return p;
}

static void op_free(void *ctx, void *p)
{
	(void)ctx;
	uefi_call_wrapper(spine_bs->FreePool, 1, p);
}

static spine_var_read op_state_read(void *ctx, char slot, const char *name,
                                    uint8_t buf[SPINE_STATE_LEN], size_t *len, uint32_t *attrs,
                                    uint64_t *status)
{
	EFI_STATUS s = EFI_SUCCESS;
	spine_var_read r = spine_state_read(name, buf, len, attrs, &s);

	(void)ctx;
	(void)slot;
	*status = s;
	return r;
}

static uint64_t op_state_write(void *ctx, char slot, const char *name,
                               const uint8_t buf[SPINE_STATE_LEN])
{
	(void)ctx;
	(void)slot;
	return spine_state_write(name, buf);
}

static void note_line(const char *text)
{
	char line[192];
	struct spine_text t;

	spine_text_init(&t, line, sizeof(line));
	spine_text_str(&t, "spineboot: ");
	spine_text_str(&t, text);
	spine_puts(line);
}

static void op_state_sweep(void *ctx, char slot, const char *keep)
{
	(void)ctx;
	spine_state_sweep(slot, keep, note_line);
}

static spine_var_read op_floor_read(void *ctx, uint8_t buf[8], size_t *len, uint32_t *attrs,
                                    uint64_t *status)
{
	EFI_STATUS s = EFI_SUCCESS;
	spine_var_read r = spine_floor_read(buf, len, attrs, &s);

	(void)ctx;
	*status = s;
	return r;
}

static uint64_t op_floor_write(void *ctx, uint64_t floor)
{
	(void)ctx;
	return spine_floor_write(floor);
}

static uint64_t op_floor_delete(void *ctx)
{
	(void)ctx;
	return spine_floor_delete();
}

static uint64_t op_measure(void *ctx, const struct spine_event ev[SPINE_NEVENTS])
{
	EFI_STATUS s = spine_measure(ev);

	(void)ctx;
	/* No TPM is not a failure: the PCR then simply does not exist. */
	return s == EFI_NOT_FOUND ? EFI_SUCCESS : s;
}

static void op_note(void *ctx, const char *text)
{
	(void)ctx;
	note_line(text);
}

/* ---- the sequence --------------------------------------------------------------- */

static void say(char slot, const char *what, const char *detail)
{
	char line[256];
	struct spine_text t;
	const char s[2] = {slot, 0};

	spine_text_init(&t, line, sizeof(line));
	spine_text_str(&t, "spineboot: slot ");
	spine_text_str(&t, s);
	spine_text_str(&t, ": ");
	spine_text_str(&t, what);
	spine_text_str(&t, detail);
	spine_puts(line);
}

/* Not EFIAPI: gnu-efi's crt0 (_start) takes the firmware's MS ABI call and
 * calls efi_main with the System V ABI. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	static const char slots[2] = {'a', 'b'};
	struct spine_ops ops = {
	        .keys = spine_trusted_keys,
	        .nkeys = NKEYS,
	        .read_file = op_read_file,
	        .alloc = op_alloc,
	        .free_buf = op_free,
	        .state_read = op_state_read,
	        .state_write = op_state_write,
	        .state_sweep = op_state_sweep,
	        .floor_read = op_floor_read,
	        .floor_write = op_floor_write,
	        .floor_delete = op_floor_delete,
	        .measure = op_measure,
	        .status_str = spine_status_str,
	        .note = op_note,
	};
	struct spine_floor_state fl;
	EFI_FILE_HANDLE root = NULL;
	EFI_STATUS s;

	spine_time_start();
	spine_st = systab;
	spine_bs = systab->BootServices;
	spine_image = image;
	InitializeLib(image, systab); /* for libefi's device-path helpers */

	spine_floor_load(&ops, &fl);
	s = spine_fs_open(image, &root);
	if (EFI_ERROR(s) && fl.ok) {
		struct spine_text t;

		spine_text_init(&t, fl.why, sizeof(fl.why));
		spine_text_str(&t, "cannot open the ESP (");
		spine_text_str(&t, spine_status_str(s));
		spine_text_str(&t, ")");
		fl.ok = false;
	}
	ops.ctx = root;

	for (int i = 0; i < 2; i++) {
		struct spine_slot sl = {.slot = slots[i]};

		if (!spine_slot_prepare(&ops, &fl, &sl)) {
			say(sl.slot, "refused: ", sl.why);
		} else {
			char line[80];
			struct spine_text t;

			spine_text_init(&t, line, sizeof(line));
			spine_text_str(&t, "spineboot: booting slot ");
			spine_text_str(&t, (const char[2]){sl.slot, 0});
			spine_text_str(&t, " version ");
			spine_text_u64(&t, sl.version);
			spine_puts(line);
			s = spine_handoff(&sl);
			/* Back here only if the kernel never took over. */
			say(sl.slot, "kernel did not start: ", spine_status_str(s));
		}
		spine_slot_release(&ops, &sl);
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
