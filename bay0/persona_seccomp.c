/*
 * persona_seccomp.c: the persona filter (named so that <seccomp.h> is
 * always libseccomp's, whatever -I a build adds).
 *
 * A deny-list over a default of ALLOW (the argument for it, and what it does
 * not cover, is in docs/containment.md). What it adds on top of "no
 * capabilities, no_new_privs, no user namespace":
 *  - namespace creation and entry: unshare, setns -> EPERM; clone with any
 *    CLONE_NEW* bit -> EPERM; clone3 -> ENOSYS, because its flags live in
 *    memory a filter cannot read, and ENOSYS makes libc fall back to clone();
 *  - kernel attack surface reachable without privilege and the privileged
 *    families, listed below -> EPERM;
 *  - ioctl(TIOCSTI) and ioctl(TIOCLINUX), compared on the low 32 bits only,
 *    as the tty layer does (CVE-2019-10063);
 *  - every ABI but x86-64 closed: libseccomp's bad-arch action kills the
 *    process for i386 (int 0x80) and its x86-64 arch check kills any number
 *    with the x32 bit (0x40000000) set. The host test proves both.
 */
#define _GNU_SOURCE
#include "persona_seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* EPERM for each. Names libseccomp 2.5 does not know are skipped by name and
 * covered by number in late_syscalls[] below. */
static const char *const denied[] = {
        /* namespaces */
        "unshare",
        "setns",
        /* @debug, process memory of others */
        "ptrace",
        "process_vm_readv",
        "process_vm_writev",
        "pidfd_getfd",
        "perf_event_open",
        "lookup_dcookie",
        "kcmp",
        /* @reboot, @module */
        "reboot",
        "kexec_load",
        "kexec_file_load",
        "init_module",
        "finit_module",
        "delete_module",
        /* @mount */
        "mount",
        "umount",
        "umount2",
        "pivot_root",
        "chroot",
        "fsopen",
        "fsconfig",
        "fsmount",
        "fspick",
        "move_mount",
        "open_tree",
        "mount_setattr",
        /* kernel surfaces that are not namespaced or have a CVE history */
        "bpf",
        "userfaultfd",
        "io_uring_setup",
        "io_uring_enter",
        "io_uring_register",
        "keyctl",
        "add_key",
        "request_key",
        "open_by_handle_at",
        "name_to_handle_at",
        /* @swap, @raw-io, @cpu-emulation, @clock, @obsolete, misc host state */
        "swapon",
        "swapoff",
        "iopl",
        "ioperm",
        "modify_ldt",
        "vm86",
        "vm86old",
        "settimeofday",
        "clock_settime",
        "clock_adjtime",
        "adjtimex",
        "syslog",
        "acct",
        "quotactl",
        "quotactl_fd",
        "nfsservctl",
        "uselib",
        "_sysctl",
        "vhangup",
        "fanotify_init",
        "sethostname",
        "setdomainname",
};

/* Syscalls newer than libseccomp 2.5's table (x86-64 numbers). */
static const struct {
	int nr;
	const char *what;
} late_syscalls[] = {
        {467, "open_tree_attr"},
};

static const uint64_t clone_new_flags[] = {
        CLONE_NEWNS,   CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
        CLONE_NEWUSER, CLONE_NEWPID,    CLONE_NEWNET, CLONE_NEWTIME,
};

/* Socket families with kernel bugs a persona has no use for. */
static const int denied_families[] = {AF_PACKET, AF_VSOCK, AF_KEY};

static int build(scmp_filter_ctx ctx, bool netdev)
{
	int r;
	const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);

	/* Kill on any non-native arch (i386 through int 0x80, and x32, which
	 * the x86-64 arch check routes to the same action). */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)))
		return r;
	/* A binary tree over the syscall numbers instead of libseccomp's
	 * default linear list: the same rules and actions, but each syscall
	 * takes ~log2(n) comparisons instead of walking all of them. Loading
	 * it is faster too (the kernel runs the filter once per syscall
	 * number to build its allow cache): 160 -> 88 us per launch here. */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)))
		return r;
	/* Filters are inherited; NNP is set by the caller, say so explicitly. */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)))
		return r;

	for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
		int nr = seccomp_syscall_resolve_name(denied[i]);
		if (nr == __NR_SCMP_ERROR || nr < 0)
			continue; /* not on x86-64 (vm86, umount) or unknown to this libseccomp */
		if ((r = seccomp_rule_add(ctx, eperm, nr, 0)))
			return r;
	}
	for (size_t i = 0; i < sizeof late_syscalls / sizeof late_syscalls[0]; i++)
		if (seccomp_syscall_resolve_name(late_syscalls[i].what) == __NR_SCMP_ERROR &&
		    (r = seccomp_rule_add(ctx, eperm, late_syscalls[i].nr, 0)))
			return r;

	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0)))
		return r;
	/* x86-64 clone(flags, ...): flags are arg 0. One rule per bit because
	 * a rule's comparisons are ANDed. */
	for (size_t i = 0; i < sizeof clone_new_flags / sizeof clone_new_flags[0]; i++)
		if ((r = seccomp_rule_add(
		             ctx, eperm, SCMP_SYS(clone), 1,
		             SCMP_A0(SCMP_CMP_MASKED_EQ, clone_new_flags[i], clone_new_flags[i]))))
			return r;
	/* The mask drops the upper 32 bits, so TIOCSTI | (x << 32) still matches. */
	if ((r = seccomp_rule_add(ctx, eperm, SCMP_SYS(ioctl), 1,
	                          SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI))))
		return r;
	if ((r = seccomp_rule_add(ctx, eperm, SCMP_SYS(ioctl), 1,
	                          SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX))))
		return r;
	for (size_t i = 0; i < sizeof denied_families / sizeof denied_families[0]; i++)
		/* A device owner's DHCP client needs packet sockets, over its
		 * own namespace (docs/network.md, "Cost"). */
		if (!(netdev && denied_families[i] == AF_PACKET) &&
		    (r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
		                          SCMP_A0(SCMP_CMP_EQ, (uint64_t)denied_families[i]))))
			return r;
	return 0;
}

/* libseccomp 2.5 only exports BPF to an fd: export into a memfd, read it
 * back. Done once; the result lives as long as bay0. */
static int export_prog(scmp_filter_ctx ctx, struct sock_fprog *prog)
{
	int fd = memfd_create("bay0-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = seccomp_export_bpf(ctx, fd);
	struct stat st;
	if (!r && fstat(fd, &st) < 0)
		r = -errno;
	if (!r && (st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) ||
	           st.st_size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS))
		r = -E2BIG;
	struct sock_filter *insns = NULL;
	if (!r && !(insns = malloc((size_t)st.st_size)))
		r = -ENOMEM;
	if (!r && pread(fd, insns, (size_t)st.st_size, 0) != st.st_size)
		r = -EIO;
	close(fd);
	if (r) {
		free(insns);
		return r;
	}
	prog->len = (unsigned short)(st.st_size / (off_t)sizeof(struct sock_filter));
	prog->filter = insns;
	return 0;
}

static int prog_variant(bool netdev, const struct sock_fprog **out)
{
	static struct sock_fprog progs[2];
	struct sock_fprog *prog = &progs[netdev];
	if (prog->filter) {
		*out = prog;
		return 0;
	}
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	int r = build(ctx, netdev);
	if (!r)
		r = export_prog(ctx, prog);
	seccomp_release(ctx);
	if (r)
		return r < 0 ? r : -EINVAL;
	*out = prog;
	return 0;
}

int persona_seccomp_prog(const struct sock_fprog **out)
{
	return prog_variant(false, out);
}

int persona_seccomp_prog_netdev(const struct sock_fprog **out)
{
	return prog_variant(true, out);
}

int persona_seccomp_load(const struct sock_fprog *prog)
{
	/* SECCOMP_FILTER_FLAG_LOG: denied attempts reach the kernel log (audit
	 * type 1326, rate-limited), so bay0's console records them. TSYNC is
	 * pointless: the child is single-threaded. */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_LOG, prog) < 0)
		return -errno;
	return 0;
}
