/* moddep.c: modules.dep parsing and load order (moddep.h). */
#include "moddep.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int moddep_parse(const char *text, size_t len, struct moddep *out)
{
	size_t cap = 0, n = 0, off = 0;
	struct moddep_ent *ents = NULL;

	while (off < len) {
		const char *line = text + off, *nl, *colon;
		size_t l;

		nl = memchr(line, '\n', len - off);
		l = nl ? (size_t)(nl - line) : len - off;
		off += l + (nl ? 1 : 0);
		if (l == 0)
			continue;
		colon = memchr(line, ':', l);
		if (!colon || colon == line) {
			free(ents);
			return -EINVAL;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct moddep_ent *ne = realloc(ents, ncap * sizeof(*ne));
			if (!ne) {
				free(ents);
				return -ENOMEM;
			}
			ents = ne;
			cap = ncap;
		}
		ents[n].path = line;
		ents[n].path_len = (size_t)(colon - line);
		ents[n].deps = colon + 1;
		ents[n].deps_len = l - ents[n].path_len - 1;
		n++;
	}
	out->ents = ents;
	out->n = n;
	return 0;
}

void moddep_free(struct moddep *m)
{
	free(m->ents);
	m->ents = NULL;
	m->n = 0;
}

int moddep_name(const char *path, size_t path_len, char *out, size_t cap)
{
	const char *base = path, *end = NULL;
	size_t l;

	for (size_t i = 0; i < path_len; i++)
		if (path[i] == '/')
			base = path + i + 1;
	l = path_len - (size_t)(base - path);
	for (size_t i = 0; i + 3 <= l; i++)
		if (!memcmp(base + i, ".ko", 3) && (i + 3 == l || base[i + 3] == '.'))
			end = base + i;
	if (!end || end == base)
		return -EINVAL;
	l = (size_t)(end - base);
	if (l + 1 > cap)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < l; i++)
		out[i] = base[i] == '-' ? '_' : base[i];
	out[l] = '\0';
	return 0;
}

static bool name_eq(const char *kname, const char *want)
{
	for (;; kname++, want++) {
		char a = *kname, b = *want == '-' ? '_' : *want;
		if (a != b)
			return false;
		if (!a)
			return true;
	}
}

int moddep_find(const struct moddep *m, const char *name)
{
	char k[64];

	for (size_t i = 0; i < m->n; i++) {
		if (moddep_name(m->ents[i].path, m->ents[i].path_len, k, sizeof(k)))
			continue;
		if (name_eq(k, name))
			return (int)i;
	}
	return -ENOENT;
}

static int find_path(const struct moddep *m, const char *p, size_t l)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->ents[i].path_len == l && !memcmp(m->ents[i].path, p, l))
			return (int)i;
	return -ENOENT;
}

static bool in_order(const size_t *order, size_t n, size_t idx)
{
	for (size_t i = 0; i < n; i++)
		if (order[i] == idx)
			return true;
	return false;
}

/* stack[] holds the path from the root request down to idx, for cycles. */
static int resolve_idx(const struct moddep *m, size_t idx, size_t *stack, unsigned depth,
                       size_t *order, size_t cap, size_t *n)
{
	const struct moddep_ent *e = &m->ents[idx];
	size_t off = 0;

	if (in_order(order, *n, idx))
		return 0;
	if (depth >= MODDEP_MAX_DEPTH)
		return -ELOOP;
	for (unsigned i = 0; i < depth; i++)
		if (stack[i] == idx)
			return -ELOOP;
	stack[depth] = idx;
	while (off < e->deps_len) {
		const char *w;
		size_t l = 0;
		int d, r;

		while (off < e->deps_len && (e->deps[off] == ' ' || e->deps[off] == '\t'))
			off++;
		w = e->deps + off;
		while (off < e->deps_len && e->deps[off] != ' ' && e->deps[off] != '\t') {
			off++;
			l++;
		}
		if (l == 0)
			break;
		d = find_path(m, w, l);
		if (d < 0)
			return d;
		r = resolve_idx(m, (size_t)d, stack, depth + 1, order, cap, n);
		if (r)
			return r;
	}
	if (*n == cap)
		return -ENOSPC;
	order[(*n)++] = idx;
	return 0;
}

int moddep_resolve(const struct moddep *m, const char *name, size_t *order, size_t cap, size_t *n)
{
	size_t stack[MODDEP_MAX_DEPTH];
	int idx = moddep_find(m, name);

	if (idx < 0)
		return idx;
	return resolve_idx(m, (size_t)idx, stack, 0, order, cap, n);
}
