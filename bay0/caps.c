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
#include <grp.h>
#include <linux/securebits.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

int persona_drop_privileges(uint32_t uid, uint32_t gid, const char **step)
{
	/* cap_max_bits() is the running kernel's last cap + 1, not the headers'. */
	*step = "drop bounding set";
	for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++)
		if (cap_drop_bound(c) < 0 && errno != EINVAL)
			return -errno;

	*step = "clear ambient set";
	if (cap_reset_ambient() < 0)
		return -errno;

	*step = "lock securebits";
	unsigned bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
	                SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
	                SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
	if (cap_set_secbits(bits) < 0)
		return -errno;

	*step = "setgroups";
	if (setgroups(0, NULL) < 0)
		return -errno;
	*step = "setresgid";
	if (setresgid(gid, gid, gid) < 0)
		return -errno;
	*step = "setresuid";
	if (setresuid(uid, uid, uid) < 0)
		return -errno;

	*step = "clear capability sets";
	cap_t none = cap_init(); /* all three sets empty */
	if (!none)
		return -ENOMEM;
	int r = cap_set_proc(none) < 0 ? -errno : 0;
	cap_free(none);
	if (r)
		return r;

	*step = "no_new_privs";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	*step = NULL;
	return 0;
}
