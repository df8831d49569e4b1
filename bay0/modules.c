/*
 * modules.c: loading the modules spine.conf lists, from the verified
 * initramfs, in dependency order (moddep.c), with finit_module(2).
 *
 * Debian 6.1 ships uncompressed .ko files (CONFIG_MODULE_COMPRESS_NONE) and
 * no CONFIG_MODULE_DECOMPRESS; a compressed file is still handed to the
 * kernel with MODULE_INIT_COMPRESSED_FILE, so a kernel that can decompress
 * does, and one that cannot says so (EOPNOTSUPP) in the log.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bay0.h"
#include "log.h"
#include "moddep.h"
#include "util.h"

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif
#define MODDEP_FILE_MAX (4u << 20)
#define MAX_LOAD 256

static bool is_compressed(const char *path, size_t len)
{
	return !(len >= 3 && !memcmp(path + len - 3, ".ko", 3));
}

/* modules.builtin lists what is compiled in: asking for those is fine, and
 * there is nothing to load. */
static bool is_builtin(const char *builtin, const char *name)
{
	char k[64];

	for (const char *p = builtin; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		if (moddep_name(p, l, k, sizeof(k)) == 0) {
			const char *a = k, *w = name;
			for (; *a && (*w == '-' ? '_' : *w) == *a; a++, w++)
				;
			if (!*a && !*w)
				return true;
		}
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

static int load_one(const char *dir, const struct moddep_ent *e)
{
	char path[512];
	int fd, flags = 0, r = 0;

	if (snprintf(path, sizeof(path), "%s/%.*s", dir, (int)e->path_len, e->path) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (is_compressed(e->path, e->path_len))
		flags |= MODULE_INIT_COMPRESSED_FILE;
	if (syscall(SYS_finit_module, fd, "", flags) < 0 && errno != EEXIST)
		r = -errno;
	close(fd);
	return r;
}

int modules_load(const struct bay0 *b)
{
	char dir[300], path[340];
	struct utsname u;
	struct moddep m = {0};
	char *dep = NULL, *builtin = NULL;
	size_t deplen = 0, blen = 0, order[MAX_LOAD], n = 0, loaded = 0, failed = 0;
	int r;

	if (b->conf.nmodules == 0) {
		log_line("modules loaded: 0");
		return 0;
	}
	if (uname(&u) < 0)
		return -errno;
	snprintf(dir, sizeof(dir), "/lib/modules/%s", u.release);
	snprintf(path, sizeof(path), "%s/modules.dep", dir);
	r = read_file_alloc(path, MODDEP_FILE_MAX, &dep, &deplen);
	if (r) {
		log_err(r, "read %s", path);
		return r;
	}
	snprintf(path, sizeof(path), "%s/modules.builtin", dir);
	if (read_file_alloc(path, MODDEP_FILE_MAX, &builtin, &blen))
		builtin = NULL;
	r = moddep_parse(dep, deplen, &m);
	if (r) {
		log_err(r, "parse modules.dep");
		goto out;
	}
	for (size_t i = 0; i < b->conf.nmodules; i++) {
		const char *name = b->conf.modules[i];
		if (moddep_find(&m, name) < 0 && builtin && is_builtin(builtin, name)) {
			log_line("module %s: built in", name);
			continue;
		}
		r = moddep_resolve(&m, name, order, MAX_LOAD, &n);
		if (r) {
			log_err(r, "module %s: resolve", name);
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct moddep_ent *e = &m.ents[order[i]];
		if (b->contained) {
			log_line("module %.*s: skipped (contained)", (int)e->path_len, e->path);
			continue;
		}
		/* A module that fails to load is logged and passed over: what
		 * needed it (the watchdog, /persist) fails later with its own
		 * reason, and that step decides whether it is fatal. */
		r = load_one(dir, e);
		if (r) {
			log_err(r, "module %.*s: load", (int)e->path_len, e->path);
			failed++;
			continue;
		}
		loaded++;
	}
	if (failed)
		log_line("modules loaded: %zu (%zu failed)", loaded, failed);
	else
		log_line("modules loaded: %zu", loaded);
	r = 0;
out:
	moddep_free(&m);
	free(dep);
	free(builtin);
	return r;
}
