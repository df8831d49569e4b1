/*
 * moddep.h: module dependency resolution from depmod's modules.dep.
 *
 * Pure code over a buffer (the caller reads the file). A modules.dep line is
 *   kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko ...
 * and names every module the first one needs, directly or not. We do not
 * trust that the list is complete or ordered: each dependency is resolved
 * through its own line, depth first, so a module always comes after
 * everything it needs, and each appears once.
 */
#ifndef BAY0_MODDEP_H
#define BAY0_MODDEP_H

#include <stddef.h>

struct moddep_ent {
	const char *path; /* points into the caller's buffer, not NUL-terminated */
	size_t path_len;
	const char *deps; /* the text after ':' */
	size_t deps_len;
};

struct moddep {
	struct moddep_ent *ents;
	size_t n;
};

#define MODDEP_MAX_DEPTH 32

/* Indexes text (which must outlive *out). 0, -EINVAL (a line without ':'),
 * -ENOMEM. */
int moddep_parse(const char *text, size_t len, struct moddep *out);
void moddep_free(struct moddep *m);

/* The module's name as the kernel spells it: the file's base name up to
 * ".ko", with '-' read as '_'. Writes at most cap bytes with the NUL;
 * -ENAMETOOLONG, -EINVAL when path has no ".ko". */
int moddep_name(const char *path, size_t path_len, char *out, size_t cap);

/* Index of the module called name ('-' and '_' equal), or -ENOENT. */
int moddep_find(const struct moddep *m, const char *name);

/* Appends to order[*n] (capacity cap) the indexes of name's dependencies and
 * then name itself, skipping those already in order[0..*n). Call once per
 * wanted module with the same order array to get one load order.
 * -ENOENT (name or a listed dependency missing), -ELOOP (a cycle or more
 * than MODDEP_MAX_DEPTH levels), -ENOSPC (order full). On error *n may have
 * grown by entries that are themselves complete (their own deps precede
 * them). */
int moddep_resolve(const struct moddep *m, const char *name, size_t *order, size_t cap, size_t *n);

#endif
