/*
 * slot.h: which slot booted, and marking it good (docs/interfaces.md,
 * "EFI variables"). The parsers here are pure; slot_mark_good() does the
 * efivarfs I/O.
 */
#ifndef BAY0_SLOT_H
#define BAY0_SLOT_H

#include <stddef.h>
#include <stdint.h>

#define SPINE_GUID "46adc6b9-827e-40ec-be2a-a69f042b8f50"
#define SLOT_STATE_LEN 40
#define SLOT_VAR_LEN (4 + SLOT_STATE_LEN) /* efivarfs: u32 attributes, then data */
#define EFI_VAR_NV 0x1u
#define EFI_VAR_BS 0x2u
#define EFI_VAR_RT 0x4u

/* The state variable's name: "SpineSlotA-" + 16 hex digits + NUL. */
#define SLOT_NAME_LEN 28

/* The slot named by the last "spine.slot=a|b" word of a kernel command line
 * (the loader appends it, and the kernel's own rule is that a later word
 * wins). Double-quoted words are read as one, as the kernel does.
 * 0 and *slot = 'a' or 'b'; -ENOENT if absent; -EINVAL if the last one has
 * another value. */
int slot_from_cmdline(const char *cmdline, size_t len, char *slot);

/* The booted install's state variable, from the loader's marker
 * "spine.slot=<x> spine.state=<16 lowercase hex>" (docs/interfaces.md):
 * name = "SpineSlotA-<hex>". The same last-word rule for both words.
 * 0; -ENOENT if either word is absent; -EINVAL if either is malformed. */
int slot_state_name(const char *cmdline, size_t len, char *slot, char name[SLOT_NAME_LEN]);

/* Sets good = 1 in an efivarfs image of struct spine_slot_state (attributes
 * then the 40 bytes). 0: changed, write it back; 1: already good, nothing to
 * write; -EINVAL: wrong length, attributes without NV|BS|RT, or wrong magic
 * (never write over what we do not understand). */
int slot_state_mark_good(uint8_t *var, size_t len);

/* Marks the booted slot good through efivarfs at efivars_dir (mounting is the
 * caller's business), the slot named in cmdline_path ("/proc/cmdline").
 * efivarfs makes variables it does not know immutable: the flag is lifted for
 * the write and put back. 0 (also when already good) or -errno. */
int slot_mark_good(const char *efivars_dir, const char *cmdline_path, char *slot_out);

/* Whether the booted install is already marked good: 1 good, 0 not yet,
 * -errno when it cannot be told (no marker, no variable, malformed). */
int slot_is_good(const char *efivars_dir, const char *cmdline_path);

/* Replaces the existing efivarfs variable at path with raw (4 attribute
 * bytes, then the data) in one write(2), lifting and restoring the
 * immutable flag efivarfs may have set. 0 or -errno. */
int efivar_replace(const char *path, const uint8_t *raw, size_t len);

#endif
