/*
 * cgroup.h: a persona's cgroup v2 directory, <root>/personas/<name>.
 */
#ifndef BAY0_CGROUP_H
#define BAY0_CGROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "passport.h"

/* Enables cpuset, cpu, memory, pids in root's and personas/'s
 * subtree_control, makes personas/<name> (refusing one that already exists:
 * a leftover means an earlier purge failed), and writes, before any process
 * joins: cpuset.cpus, cpu.max, memory.max, memory.swap.max = 0, pids.max.
 * On success *dirfd is an O_DIRECTORY fd for CLONE_INTO_CGROUP. On failure
 * the directory is removed again and *step names what failed. limits =
 * false skips every controller and limit file (host tests only, see
 * struct persona_env). */
int persona_cgroup_create(const char *root, const struct passport *pp, bool limits, int *dirfd,
                          const char **step);

/* Writes mask as a cpuset list ("1-3,5") into buf. 0 or -ENAMETOOLONG. */
int persona_cgroup_cpus(uint64_t mask, char *buf, size_t len);

/* Kills every process in the cgroup: cgroup.kill, or (kernels before 5.14)
 * freeze, SIGKILL each pid in cgroup.procs, thaw. 0 or -errno. */
int persona_cgroup_kill(int dirfd);

/* Waits up to timeout_ms for cgroup.events to say "populated 0". */
int persona_cgroup_wait_empty(int dirfd, int timeout_ms);

/* rmdir root/personas/<name>. */
int persona_cgroup_remove(const char *root, const char *name);

#endif
