/*
 * caps.h: identity and capability drop for a persona child (plain syscalls;
 * libcap only for the kernel's capability count).
 */
#ifndef BAY0_CAPS_H
#define BAY0_CAPS_H

#include <stdint.h>

/* In order, stopping at the first error (*step names it):
 *   1. drop every capability from the bounding set;
 *   2. clear the ambient set;
 *   3. lock securebits: NOROOT, NO_SETUID_FIXUP, KEEP_CAPS off,
 *      NO_CAP_AMBIENT_RAISE, each with its lock bit;
 *   4. setgroups(0), setresgid, setresuid to the persona's ids;
 *   5. clear effective, permitted and inheritable (NO_SETUID_FIXUP means
 *      the uid change in 4 kept them: they go explicitly here);
 *   6. no_new_privs.
 * 0 or -errno. */
int persona_drop_privileges(uint32_t uid, uint32_t gid, const char **step);

#endif
