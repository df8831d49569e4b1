/*
 * vars.c: the Spine GUID's EFI variables (docs/interfaces.md, docs/boot.md).
 *
 * SpineSlotA/B (NV|BS|RT) carry the attempt count; bay0 can set "good"
 * through efivarfs. SpineRollbackFloor (NV|BS, no RT) is invisible to the
 * OS once ExitBootServices has run, so nothing the booted system does can
 * lower it. The pure checks of what is read live in policy.c.
 */
#include "spineboot.h"

static EFI_GUID spine_guid = {
        0x46adc6b9, 0x827e, 0x40ec, {0xbe, 0x2a, 0xa6, 0x9f, 0x04, 0x2b, 0x8f, 0x50}};

static CHAR16 floor_name[] = L"SpineRollbackFloor";

/* An ASCII state name (spine_state_name) as the firmware wants it. */
static void wide(const char *name, CHAR16 out[SPINE_STATE_NAME_LEN])
{
	size_t i = 0;

	for (; i + 1 < SPINE_STATE_NAME_LEN && name[i]; i++)
		out[i] = (CHAR16)(uint8_t)name[i];
	out[i] = 0;
}

static spine_var_read get(CHAR16 *name, uint8_t *buf, size_t cap, size_t *len, uint32_t *attrs,
                          EFI_STATUS *status)
{
	UINTN n = cap;
	UINT32 at = 0;
	EFI_STATUS s;

	s = uefi_call_wrapper(spine_st->RuntimeServices->GetVariable, 5, name, &spine_guid, &at, &n,
	                      buf);
	*status = s;
	if (s == EFI_NOT_FOUND)
		return SPINE_VAR_ABSENT;
	/* Too big for our buffer: present, but with a size (n, as the firmware
	 * reports it) that the decoder refuses without reading the buffer. */
	if (s == EFI_BUFFER_TOO_SMALL) {
		*len = n > cap ? n : cap + 1;
		*attrs = at;
		return SPINE_VAR_PRESENT;
	}
	if (EFI_ERROR(s))
		return SPINE_VAR_ERROR;
	*len = n;
	*attrs = at;
	return SPINE_VAR_PRESENT;
}

spine_var_read spine_state_read(const char *name, uint8_t buf[SPINE_STATE_LEN], size_t *len,
                                uint32_t *attrs, EFI_STATUS *status)
{
	CHAR16 w[SPINE_STATE_NAME_LEN];

	wide(name, w);
	return get(w, buf, SPINE_STATE_LEN, len, attrs, status);
}

EFI_STATUS spine_state_write(const char *name, const uint8_t buf[SPINE_STATE_LEN])
{
	CHAR16 w[SPINE_STATE_NAME_LEN];
	uint8_t back[SPINE_STATE_LEN];
	size_t len = 0;
	uint32_t attrs = 0;
	EFI_STATUS s;

	wide(name, w);
	s = uefi_call_wrapper(spine_st->RuntimeServices->SetVariable, 5, w, &spine_guid,
	                      (UINT32)SPINE_STATE_ATTRS, (UINTN)SPINE_STATE_LEN,
	                      (void *)(UINTN)buf);
	if (EFI_ERROR(s))
		return s;
	/* Read it back: the attempt must really be on flash before the jump, or
	 * a crashing kernel would be retried for ever (docs/boot.md). */
	if (get(w, back, sizeof(back), &len, &attrs, &s) != SPINE_VAR_PRESENT)
		return EFI_ERROR(s) ? s : EFI_DEVICE_ERROR;
	if (len != SPINE_STATE_LEN || attrs != SPINE_STATE_ATTRS || !sv_ct_equal(buf, back, len))
		return EFI_DEVICE_ERROR;
	return EFI_SUCCESS;
}

spine_var_read spine_floor_read(uint8_t buf[8], size_t *len, uint32_t *attrs, EFI_STATUS *status)
{
	return get(floor_name, buf, 8, len, attrs, status);
}

EFI_STATUS spine_floor_write(uint64_t floor)
{
	uint8_t buf[8], back[8];
	size_t len = 0;
	uint32_t attrs = 0;
	EFI_STATUS s;

	spine_floor_encode(floor, buf);
	s = uefi_call_wrapper(spine_st->RuntimeServices->SetVariable, 5, floor_name, &spine_guid,
	                      (UINT32)SPINE_FLOOR_ATTRS, (UINTN)sizeof(buf), buf);
	if (EFI_ERROR(s))
		return s;
	if (get(floor_name, back, sizeof(back), &len, &attrs, &s) != SPINE_VAR_PRESENT)
		return EFI_ERROR(s) ? s : EFI_DEVICE_ERROR;
	if (len != sizeof(buf) || attrs != SPINE_FLOOR_ATTRS || !sv_ct_equal(buf, back, len))
		return EFI_DEVICE_ERROR;
	return EFI_SUCCESS;
}

/* Up to this many stale names are deleted per boot; more wait for the next
 * new install (each one is 40 bytes of store, not a hazard). */
#define SWEEP_MAX 8

void spine_state_sweep(char slot, const char *keep, void (*note)(const char *))
{
	CHAR16 name[64], found[SWEEP_MAX][SPINE_STATE_NAME_LEN];
	EFI_GUID guid;
	int n = 0;

	name[0] = 0;
	/* Collect first: deleting while GetNextVariableName walks the store
	 * is undefined by the spec. */
	for (;;) {
		UINTN size = sizeof(name);
		char ascii[SPINE_STATE_NAME_LEN];
		size_t len = 0;
		bool plain = true;
		EFI_STATUS s = uefi_call_wrapper(spine_st->RuntimeServices->GetNextVariableName, 3,
		                                 &size, name, &guid);

		if (EFI_ERROR(s))
			break; /* EFI_NOT_FOUND at the end; a longer name is not ours */
		if (!sv_ct_equal((const uint8_t *)&guid, (const uint8_t *)&spine_guid,
		                 sizeof(guid)))
			continue;
		for (; len < SPINE_STATE_NAME_LEN && name[len]; len++) {
			if (name[len] > 0x7e)
				plain = false;
			ascii[len] = (char)name[len];
		}
		if (!plain || len >= SPINE_STATE_NAME_LEN || n == SWEEP_MAX ||
		    !spine_state_name_stale(ascii, len, slot, keep))
			continue;
		for (size_t i = 0; i <= len; i++)
			found[n][i] = name[i];
		n++;
	}
	for (int i = 0; i < n; i++) {
		EFI_STATUS s = uefi_call_wrapper(spine_st->RuntimeServices->SetVariable, 5,
		                                 found[i], &spine_guid, (UINT32)0, (UINTN)0, NULL);
		char line[96];
		struct spine_text t;

		spine_text_init(&t, line, sizeof(line));
		spine_text_str(&t, EFI_ERROR(s) ? "cannot delete stale " : "deleted stale ");
		for (size_t k = 0; found[i][k]; k++)
			spine_text_str(&t, (const char[2]){(char)found[i][k], 0});
		if (EFI_ERROR(s)) {
			spine_text_str(&t, " (");
			spine_text_str(&t, spine_status_str(s));
			spine_text_str(&t, ")");
		}
		note(line);
	}
}

EFI_STATUS spine_floor_delete(void)
{
	return uefi_call_wrapper(spine_st->RuntimeServices->SetVariable, 5, floor_name, &spine_guid,
	                         (UINT32)0, (UINTN)0, NULL);
}
