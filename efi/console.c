/*
 * console.c: spineboot's only output, ASCII lines on ConOut.
 *
 * OVMF and laptops mirror ConOut to the serial port; the tests read the
 * lines named in docs/interfaces.md from there.
 */
#include "spineboot.h"

void spine_puts(const char *line)
{
	CHAR16 buf[128];
	size_t n = 0;

	/* Chunks, so a line of any length needs no allocation. */
	for (const char *s = line;; s++) {
		bool end = *s == 0;

		if (end || n + 3 > sizeof(buf) / sizeof(buf[0])) {
			if (end) {
				buf[n++] = L'\r';
				buf[n++] = L'\n';
			}
			buf[n] = 0;
			uefi_call_wrapper(spine_st->ConOut->OutputString, 2, spine_st->ConOut, buf);
			n = 0;
		}
		if (end)
			break;
		buf[n++] = (CHAR16)(uint8_t)*s;
	}
}

const char *spine_status_str(EFI_STATUS s)
{
	switch (s) {
	case EFI_SUCCESS:
		return "success";
	case EFI_LOAD_ERROR:
		return "load error";
	case EFI_INVALID_PARAMETER:
		return "invalid parameter";
	case EFI_UNSUPPORTED:
		return "unsupported";
	case EFI_BUFFER_TOO_SMALL:
		return "buffer too small";
	case EFI_DEVICE_ERROR:
		return "device error";
	case EFI_WRITE_PROTECTED:
		return "write protected";
	case EFI_OUT_OF_RESOURCES:
		return "out of resources";
	case EFI_VOLUME_CORRUPTED:
		return "volume corrupted";
	case EFI_VOLUME_FULL:
		return "volume full";
	case EFI_NOT_FOUND:
		return "not found";
	case EFI_ACCESS_DENIED:
		return "access denied";
	case EFI_SECURITY_VIOLATION:
		return "security violation";
	case EFI_ALREADY_STARTED:
		return "already started";
	case EFI_ABORTED:
		return "aborted";
	}
	return "error";
}
