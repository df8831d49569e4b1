/*
 * persona_seccomp.h: the persona filter (docs/containment.md, "Seccomp").
 *
 * Built once with libseccomp in bay0 and kept as raw BPF, so that the child
 * between clone and exec only calls prctl(): no allocation, no libseccomp
 * state, nothing to fail but the load itself.
 */
#ifndef BAY0_PERSONA_SECCOMP_H
#define BAY0_PERSONA_SECCOMP_H

#include <linux/filter.h>

/* Returns the compiled filter (built on first use, then cached for the life
 * of bay0). 0 or -errno. */
int persona_seccomp_prog(const struct sock_fprog **out);

/* The same filter for a persona that owns a network device, less one rule:
 * socket(AF_PACKET) is allowed (docs/network.md). 0 or -errno. */
int persona_seccomp_prog_netdev(const struct sock_fprog **out);

/* Installs prog on the calling thread. no_new_privs must already be set.
 * 0 or -errno. */
int persona_seccomp_load(const struct sock_fprog *prog);

#endif
