/*
 * spineboot.h: what the firmware-facing files of spineboot share.
 *
 * One file per responsibility: main.c (the sequence), console.c, fileio.c,
 * vars.c, measure.c, handoff.c, timing.c. The decision itself is pure code in
 * policy.c. Every function here returns EFI_STATUS; the caller prints.
 */
#ifndef SPINEBOOT_H
#define SPINEBOOT_H

#include <efi.h>

#include "slot.h"

/* Set once in efi_main; boot services are never exited by spineboot (the
 * kernel's EFI stub does that). */
extern EFI_SYSTEM_TABLE *spine_st;
extern EFI_BOOT_SERVICES *spine_bs;
extern EFI_HANDLE spine_image;

/* console.c: one ASCII line, "\r\n" appended. */
void spine_puts(const char *line);
const char *spine_status_str(EFI_STATUS s);

/* fileio.c: a file of the slot folder, read whole into pool memory. */
EFI_STATUS spine_fs_open(EFI_HANDLE image, EFI_FILE_HANDLE *root);
spine_read_result spine_read_file(EFI_FILE_HANDLE root, char slot, const char *name, size_t cap,
                                  uint8_t **buf, size_t *len, EFI_STATUS *status);
/* A fresh device path: the device spineboot came from + \spine\<slot>\<name>. */
EFI_DEVICE_PATH *spine_file_path(EFI_HANDLE image, char slot, const char *name);

/* vars.c */
spine_var_read spine_state_read(const char *name, uint8_t buf[SPINE_STATE_LEN], size_t *len,
                                uint32_t *attrs, EFI_STATUS *status);
EFI_STATUS spine_state_write(const char *name, const uint8_t buf[SPINE_STATE_LEN]);
/* Deletes slot's state variables other than keep (spine_state_name_stale);
 * note() gets one line per name, deleted or not. */
void spine_state_sweep(char slot, const char *keep, void (*note)(const char *));
spine_var_read spine_floor_read(uint8_t buf[8], size_t *len, uint32_t *attrs, EFI_STATUS *status);
EFI_STATUS spine_floor_write(uint64_t floor);
EFI_STATUS spine_floor_delete(void);

/* measure.c: EFI_NOT_FOUND when there is no TPM 2.0; the events otherwise. */
EFI_STATUS spine_measure(const struct spine_event ev[SPINE_NEVENTS]);

/* handoff.c: LoadImage/StartImage of the verified buffers. Returns only if
 * the kernel did not start (or returned); everything it set up is undone. */
EFI_STATUS spine_handoff(const struct spine_slot *s);

/* timing.c */
void spine_time_start(void);
uint64_t spine_time_us(void);

#endif
