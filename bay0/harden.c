/*
 * harden.c: kernel settings bay0 writes once, after the modules are in
 * (docs/bay0.md, "Hardening"). The list follows the KSPP set Talos applies
 * (shared/research/runtime.md), plus the two one-way switches the design
 * asks for. Each write is logged when it fails; a setting the running
 * kernel does not have (ENOENT) is logged as skipped. Only the two one-way
 * switches are required: without them the Spine's immutability is a promise
 * nobody keeps, so their failure is fatal (main.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bay0.h"
#include "log.h"
#include "util.h"

struct sysctl {
	const char *key; /* relative to /proc/sys, with '/' */
	const char *val;
	bool required;
};

static const struct sysctl sysctls[] = {
        /* One-way: no module and no new kernel until the next boot. After
	 * this, nothing can request_module() either, so the Spine must list
	 * every module it will need (crc32c for ext4 checksums, loop, ...). */
        {"kernel/modules_disabled", "1", true},
        {"kernel/kexec_load_disabled", "1", true},
        /* Kernel pointers and the kernel log are for nobody. */
        {"kernel/kptr_restrict", "2", false},
        {"kernel/dmesg_restrict", "1", false},
        /* Debian's patch: 3 forbids perf_event_open to the unprivileged. */
        {"kernel/perf_event_paranoid", "3", false},
        /* Nothing on the Spine debugs anything: no ptrace attach at all. */
        {"kernel/yama/ptrace_scope", "3", false},
        {"kernel/unprivileged_bpf_disabled", "1", false},
        {"net/core/bpf_jit_harden", "2", false},
        /* Reboot and poweroff belong to bay0 alone: no magic SysRq. */
        {"kernel/sysrq", "0", false},
        /* A kernel oops means the kernel is no longer what was verified:
	 * panic, and the panic= of the signed cmdline reboots. */
        {"kernel/panic_on_oops", "1", false},
        /* Personas get no user namespaces (the seccomp filter denies them
	 * too; this holds even for a path around it). */
        {"user/max_user_namespaces", "0", false},
        {"vm/unprivileged_userfaultfd", "0", false},
        {"fs/protected_symlinks", "1", false},
        {"fs/protected_hardlinks", "1", false},
        {"fs/protected_fifos", "2", false},
        {"fs/protected_regular", "2", false},
        {"fs/suid_dumpable", "0", false},
        {"dev/tty/ldisc_autoload", "0", false},
        /* Linux 6.2 and 6.6: absent from Debian 12's 6.1, logged as skipped. */
        {"dev/tty/legacy_tiocsti", "0", false},
        {"kernel/io_uring_disabled", "2", false},
};

int harden_sysctls(const struct bay0 *b, const char *procsys)
{
	unsigned ok = 0, skipped = 0, failed = 0;
	int fatal = 0;

	if (b->contained) {
		/* The host's kernel is not ours to harden. */
		log_line("sysctls: skipped (contained)");
		return 0;
	}
	for (size_t i = 0; i < sizeof(sysctls) / sizeof(sysctls[0]); i++) {
		const struct sysctl *s = &sysctls[i];
		char path[128], name[96];
		int r;

		snprintf(name, sizeof(name), "%s", s->key);
		for (char *p = name; *p; p++)
			if (*p == '/')
				*p = '.';
		snprintf(path, sizeof(path), "%s/%s", procsys, s->key);
		r = write_file(path, s->val);
		if (r == -ENOENT) {
			log_line("sysctl %s: not in this kernel, skipped", name);
			skipped++;
		} else if (r) {
			log_err(r, "sysctl %s=%s", name, s->val);
			failed++;
			if (s->required)
				fatal = r;
		} else {
			ok++;
		}
	}
	log_line("sysctls: %u set, %u skipped, %u failed", ok, skipped, failed);
	return fatal;
}
