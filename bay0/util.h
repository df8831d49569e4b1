/* util.h: small file helpers for bay0. All return 0 (or a count) or -errno. */
#ifndef BAY0_UTIL_H
#define BAY0_UTIL_H

#include <stddef.h>
#include <sys/types.h>

/* Reads at most cap bytes of path (O_NOFOLLOW is not used: /proc and /sys
 * paths are ours). Returns the byte count or -errno. */
ssize_t read_file(const char *path, void *buf, size_t cap);

/* Reads path whole into a malloc'd, NUL-terminated buffer of at most max
 * bytes (-EFBIG beyond). */
int read_file_alloc(const char *path, size_t max, char **out, size_t *len);

/* Writes s to path (O_WRONLY, no O_CREAT, no O_TRUNC): sysctls, sysfs and
 * cgroup files. One write(2). */
int write_file(const char *path, const char *s);

/* mkdir that accepts an existing directory. */
int mkdir_exist_ok(const char *path, mode_t mode);

#endif
