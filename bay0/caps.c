/*
 * caps.c: from root to an unprivileged, capability-less persona identity.
 *
 * The securebits are set while CAP_SETPCAP is still held, and locked, so
 * that nothing after exec (a setuid-root file, a uid-0 transition, an
 * ambient raise) can give a capability back; no_new_privs then closes
 * setuid and file capabilities for good. Order as minijail: ids and caps,
 * then NNP, then (the caller) seccomp.
 */
#define _GNU_SOURCE
#include "caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Each step is one plain system call on the calling task only: no libc
 * set*id broadcast to other threads (the child shares bay0's memory until
 * exec, see persona.c) and no allocation. */
int persona_drop_privileges(uint32_t uid, uint32_t gid, const char **step)
{
	/* cap_max_bits() is the running kernel's last cap + 1, not the headers'. */
	*step = "drop bounding set";
	for (int c = 0; c < cap_max_bits(); c++)
		if (prctl(PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;

	/* One call rather than libcap's probe of each bit. */
	*step = "clear ambient set";
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return -errno;

	*step = "lock securebits";
	unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
	                     SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
	                     SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
	if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
		return -errno;

	*step = "setgroups";
	if (syscall(SYS_setgroups, 0, NULL) < 0)
		return -errno;
	*step = "setresgid";
	if (syscall(SYS_setresgid, gid, gid, gid) < 0)
		return -errno;
	*step = "setresuid";
	if (syscall(SYS_setresuid, uid, uid, uid) < 0)
		return -errno;

	/* capset() with all three sets empty: what cap_set_proc(cap_init())
	 * did, without its allocation and capget. */
	*step = "clear capability sets";
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3] = {{0}};
	if (syscall(SYS_capset, &hdr, none) < 0)
		return -errno;

	*step = "no_new_privs";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	*step = NULL;
	return 0;
}
