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

static CHAR16 *state_name(char slot)
{
	static CHAR16 a[] = L"SpineSlotA", b[] = L"SpineSlotB";

	return slot == 'a' ? a : b;
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

spine_var_read spine_state_read(char slot, uint8_t buf[SPINE_STATE_LEN], size_t *len,
                                uint32_t *attrs, EFI_STATUS *status)
{
	return get(state_name(slot), buf, SPINE_STATE_LEN, len, attrs, status);
}

EFI_STATUS spine_state_write(char slot, const uint8_t buf[SPINE_STATE_LEN])
{
	uint8_t back[SPINE_STATE_LEN];
	size_t len = 0;
	uint32_t attrs = 0;
	EFI_STATUS s;

	s = uefi_call_wrapper(spine_st->RuntimeServices->SetVariable, 5, state_name(slot),
	                      &spine_guid, (UINT32)SPINE_STATE_ATTRS, (UINTN)SPINE_STATE_LEN,
	                      (void *)(UINTN)buf);
	if (EFI_ERROR(s))
		return s;
	/* Read it back: the attempt must really be on flash before the jump, or
	 * a crashing kernel would be retried for ever (docs/boot.md). */
	if (get(state_name(slot), back, sizeof(back), &len, &attrs, &s) != SPINE_VAR_PRESENT)
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
	uint8_t buf[8];

	spine_floor_encode(floor, buf);
	return uefi_call_wrapper(spine_st->RuntimeServices->SetVariable, 5, floor_name, &spine_guid,
	                         (UINT32)SPINE_FLOOR_ATTRS, (UINTN)sizeof(buf), buf);
}

EFI_STATUS spine_floor_delete(void)
{
	return uefi_call_wrapper(spine_st->RuntimeServices->SetVariable, 5, floor_name, &spine_guid,
	                         (UINT32)0, (UINTN)0, NULL);
}
