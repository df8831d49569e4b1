/*
 * loadopt.h: EFI_LOAD_OPTION (Boot####) and BootOrder, encoded and decoded
 * by hand (docs/install.md, "Why not libefiboot").
 *
 * Pure: no I/O, no allocation, no globals. Decoding never trusts a length
 * it has not checked against the buffer; on failure *why names what is wrong
 * in a few words and *out is left half-written only in fields the caller
 * must not use.
 */
#ifndef SPINECTL_LOADOPT_H
#define SPINECTL_LOADOPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LO_ACTIVE 0x1u
#define LO_DESC_MAX 127 /* ASCII characters kept from a Description */
#define LO_PATH_MAX 255 /* ASCII characters kept from a File() path */

/* HD(PartitionNumber, GPT, Signature, PartitionStart, PartitionSize). */
struct lo_hd {
	uint32_t part;
	uint64_t start; /* in logical blocks */
	uint64_t size;
	uint8_t guid[16]; /* the partition's unique GUID, EFI byte order */
};

struct lo_option {
	uint32_t attrs;
	char desc[LO_DESC_MAX + 1]; /* non-ASCII units read as '?' */
	bool has_hd;                /* a GPT HD() node was found */
	struct lo_hd hd;
	bool has_path;
	char path[LO_PATH_MAX + 1]; /* File() nodes joined; non-ASCII read as '?' */
	size_t optional_len;        /* bytes of OptionalData after the device path */
};

/*
 * HD(hd)/File(path)/End, with desc as Description, no OptionalData. desc and
 * path are printable ASCII. 0 and *len, or -1 with *why (too long, bad byte).
 */
int lo_encode(uint32_t attrs, const char *desc, const struct lo_hd *hd, const char *path,
              uint8_t *out, size_t cap, size_t *len, const char **why);

/* Any EFI_LOAD_OPTION, as firmware or another tool wrote it. 0 or -1, *why. */
int lo_decode(const uint8_t *p, size_t len, struct lo_option *out, const char **why);

/* The option points at path (case-insensitive, '/' and '\' alike: some
 * firmware upper-cases the path) on the partition hd->guid. */
bool lo_matches(const struct lo_option *o, const uint8_t guid[16], const char *path);

/* "c12a7328-f81f-11d2-ba4b-00a0c93ec93b" <-> EFI byte order (the first
 * three fields little-endian). Parse: 0 or -1. Format: 37 bytes with NUL. */
int lo_guid_parse(const char *s, uint8_t out[16]);
void lo_guid_format(const uint8_t g[16], char out[37]);

/* ---- BootOrder: an array of u16, little-endian ----------------------------
 * The output holds at most cap entries; each returns the count written. */

/* num first, then every other entry of in in its order, num's other
 * occurrences dropped. Other entries are never dropped or reordered. */
size_t lo_order_first(const uint16_t *in, size_t n, uint16_t num, uint16_t *out, size_t cap);
/* in without num. */
size_t lo_order_remove(const uint16_t *in, size_t n, uint16_t num, uint16_t *out, size_t cap);
/* Where num stands in in, or -1. */
long lo_order_index(const uint16_t *in, size_t n, uint16_t num);

/* BootOrder's bytes to entries: an odd length is malformed (-1). */
int lo_order_decode(const uint8_t *p, size_t len, uint16_t *out, size_t cap, size_t *n);
void lo_order_encode(const uint16_t *in, size_t n, uint8_t *out);

/* "Boot0007" -> 7; anything but Boot and 4 upper-case hex digits: -1. */
long lo_boot_number(const char *name, size_t len);

#endif
