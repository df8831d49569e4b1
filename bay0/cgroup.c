/*
 * cgroup.c: create, fill, kill and remove a persona's cgroup (cgroup v2).
 *
 * Limits are written before the first process joins (the process is then
 * born inside with CLONE_INTO_CGROUP), so there is no window in which the
 * entry runs unlimited. File order as nsjail and crun: subtree_control
 * first, then the limits.
 */
#define _GNU_SOURCE
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int write_at(int dirfd, const char *file, const char *val)
{
	int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	size_t n = strlen(val);
	ssize_t w = write(fd, val, n);
	int r = w < 0 ? -errno : (size_t)w != n ? -EIO : 0;
	close(fd);
	return r;
}

/* Controllers a persona's limits need. cpuset before cpu matches the
 * kernel's own listing order; any order is accepted. */
static const char controllers[] = "+cpuset +cpu +memory +pids";

int persona_cgroup_cpus(uint64_t mask, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = 0;
	for (int c = 0; c < 64; c++) {
		if (!(mask & (1ull << c)))
			continue;
		int e = c;
		while (e + 1 < 64 && (mask & (1ull << (e + 1))))
			e++;
		int n = e == c ? snprintf(buf + off, len - off, "%s%d", off ? "," : "", c)
		               : snprintf(buf + off, len - off, "%s%d-%d", off ? "," : "", c, e);
		if (n < 0 || (size_t)n >= len - off)
			return -ENAMETOOLONG;
		off += (size_t)n;
		c = e;
	}
	return 0;
}

int persona_cgroup_create(const char *root, const struct passport *pp, bool limits, int *dirfd,
                          const char **step)
{
	int rootfd = -1, pfd = -1, fd = -1, r;
	char buf[256];

	*step = "open cgroup root";
	rootfd = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	*step = "enable controllers in root subtree_control";
	if (limits && (r = write_at(rootfd, "cgroup.subtree_control", controllers)))
		goto fail;
	*step = "mkdir personas";
	if (mkdirat(rootfd, "personas", 0755) < 0 && errno != EEXIST) {
		r = -errno;
		goto fail;
	}
	pfd = openat(rootfd, "personas", O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (pfd < 0) {
		r = -errno;
		goto fail;
	}
	*step = "enable controllers in personas subtree_control";
	if (limits && (r = write_at(pfd, "cgroup.subtree_control", controllers)))
		goto fail;
	*step = "mkdir personas/<name> (exists: an earlier purge failed)";
	if (mkdirat(pfd, pp->name, 0755) < 0) {
		r = -errno;
		goto fail;
	}
	fd = openat(pfd, pp->name, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		r = -errno;
		goto fail_rmdir;
	}
	if (!limits)
		goto done;
	*step = "cpuset.cpus";
	if ((r = persona_cgroup_cpus(pp->cpus, buf, sizeof buf)) ||
	    (r = write_at(fd, "cpuset.cpus", buf)))
		goto fail_rmdir;
	*step = "cpu.max";
	if (pp->cpu_quota)
		snprintf(buf, sizeof buf, "%" PRIu64 " %" PRIu64, pp->cpu_quota, pp->cpu_period);
	else
		snprintf(buf, sizeof buf, "max %" PRIu64, pp->cpu_period);
	if ((r = write_at(fd, "cpu.max", buf)))
		goto fail_rmdir;
	*step = "memory.max";
	snprintf(buf, sizeof buf, "%" PRIu64, pp->memory_max);
	if ((r = write_at(fd, "memory.max", buf)))
		goto fail_rmdir;
	/* Without swap support the file is absent and there is no swap to
	 * escape into: ENOENT is fine, anything else is not. */
	*step = "memory.swap.max";
	if ((r = write_at(fd, "memory.swap.max", "0")) && r != -ENOENT)
		goto fail_rmdir;
	*step = "pids.max";
	snprintf(buf, sizeof buf, "%" PRIu64, pp->pids_max);
	if ((r = write_at(fd, "pids.max", buf)))
		goto fail_rmdir;
	/* An OOM kill takes the whole persona, not one random process of it. */
	*step = "memory.oom.group";
	if ((r = write_at(fd, "memory.oom.group", "1")) && r != -ENOENT)
		goto fail_rmdir;
done:
	close(pfd);
	close(rootfd);
	*dirfd = fd;
	*step = NULL;
	return 0;
fail_rmdir:
	if (fd >= 0)
		close(fd);
	unlinkat(pfd, pp->name, AT_REMOVEDIR);
fail:
	if (pfd >= 0)
		close(pfd);
	close(rootfd);
	return r;
}

static int freeze(int dirfd, const char *v)
{
	return write_at(dirfd, "cgroup.freeze", v);
}

int persona_cgroup_kill(int dirfd)
{
	int r = write_at(dirfd, "cgroup.kill", "1");
	if (r != -ENOENT)
		return r;
	/* Before 5.14: freeze so nothing forks while we read the list, kill
	 * each, thaw so the kills are delivered. */
	if ((r = freeze(dirfd, "1")))
		return r;
	int fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		freeze(dirfd, "0");
		return r;
	}
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		freeze(dirfd, "0");
		return -ENOMEM;
	}
	long pid;
	while (fscanf(f, "%ld", &pid) == 1)
		if (kill((pid_t)pid, SIGKILL) < 0 && errno != ESRCH)
			r = -errno;
	fclose(f);
	int t = freeze(dirfd, "0");
	return r ? r : t;
}

int persona_cgroup_wait_empty(int dirfd, int timeout_ms)
{
	int fd = openat(dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r;
	for (;;) {
		char buf[256];
		ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
		if (n < 0) {
			r = -errno;
			break;
		}
		buf[n] = 0;
		if (strstr(buf, "populated 0")) {
			r = 0;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		long ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= timeout_ms) {
			r = -ETIMEDOUT;
			break;
		}
		/* cgroup.events signals a change with POLLPRI. */
		struct pollfd pfd = {.fd = fd, .events = POLLPRI};
		poll(&pfd, 1, (int)(timeout_ms - ms));
	}
	close(fd);
	return r;
}

int persona_cgroup_remove(const char *root, const char *name)
{
	char path[4096];
	int n = snprintf(path, sizeof path, "%s/personas/%s", root, name);
	if (n < 0 || (size_t)n >= sizeof path)
		return -ENAMETOOLONG;
	if (rmdir(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}
