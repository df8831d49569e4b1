/*
 * loaderkeys.h: which signify keys a spineboot.efi binary trusts, read from
 * its .spkeys section without running it (docs/boot.md, "Keys").
 *
 * Pure: parses a buffer, no I/O, no allocation. Every offset read from the
 * PE headers is checked against the buffer first. On failure *why names
 * what is wrong in a few words.
 */
#ifndef SPINE_LOADERKEYS_H
#define SPINE_LOADERKEYS_H

#include <stddef.h>
#include <stdint.h>

#define LK_MAX_KEYS 16

struct lk_key {
	uint8_t keynum[8];
	uint8_t key[32];
};

/* The raw bytes of the PE32+ section called name (at most 8 bytes, as in
 * the section table), clipped to its VirtualSize. 0, or -1 with *why. */
int lk_find_section(const uint8_t *pe, size_t len, const char *name, const uint8_t **data,
                    size_t *size, const char **why);

/* The marker's text: "spineboot-keys 1\n", then one "<16 hex keynum> <64 hex
 * key>\n" line per key (lowercase, at least one, at most LK_MAX_KEYS), then
 * NUL bytes only to the end. 0 and *n, or -1 with *why. */
int lk_parse_marker(const uint8_t *p, size_t len, struct lk_key keys[LK_MAX_KEYS], size_t *n,
                    const char **why);

#endif
