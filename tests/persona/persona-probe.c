/*
 * persona-probe: runs inside a persona, as its entry (PID 1 of its PID
 * namespace), and tries each item of the escape checklist
 * (shared research/runtime.md section 2) that needs no cgroup v2, plus the
 * inspections of issue 4. One line per item:
 *
 *   escape: <item>: ok
 *   escape: <item>: FAIL <detail>
 *   escape: <item>: skip <reason>
 *   info: <key> <value>            (for the host side to compare)
 *
 * Static, no libc state beyond stdio; the host test and the VM tests both
 * parse these lines. Arguments:
 *   --dev a,b,c     the device nodes the passport granted
 *   --persist none|rw|rw+exec
 *   --abstract NAME an abstract socket bay0's side listens on
 *   --wifi PHY      NAME is a Wi-Fi interface of the wiphy PHY (docs/network.md):
 *                   it must see only that wiphy, under that name, be refused
 *                   the regulatory domain and rfkill, and then renames the
 *                   wiphy and adds a monitor interface for bay0 to undo
 *   --netdev NAME   the passport gives it this network device (docs/network.md):
 *                   it must hold exactly CAP_NET_ADMIN, CAP_NET_RAW and
 *                   CAP_NET_BIND_SERVICE, in a user namespace of its own, see
 *                   only lo and NAME, and still fail every other item
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/nl80211.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

static int failures;
/* --netdev: the device the persona owns, and the capabilities that go with
 * it (bits 10, 12, 13: NET_BIND_SERVICE, NET_ADMIN, NET_RAW). */
static const char *netdev;
/* --wifi: its device is a Wi-Fi interface whose wiphy should be named so. */
static const char *wifi_phy;
#define NETDEV_CAPS 0x3400ull

__attribute__((format(printf, 2, 3))) static void result(const char *item, const char *fmt, ...)
{
	char detail[512] = "";
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(detail, sizeof detail, fmt, ap);
		va_end(ap);
	}
	if (!fmt) {
		printf("escape: %s: ok\n", item);
	} else {
		printf("escape: %s: FAIL %s\n", item, detail);
		failures++;
	}
	fflush(stdout);
}

static void skip(const char *item, const char *why)
{
	printf("escape: %s: skip %s\n", item, why);
	fflush(stdout);
}

/* A syscall that must fail with errno want (or with want2, if non-zero). */
static void expect_errno(const char *item, long ret, int want, int want2)
{
	int e = errno;
	if (ret >= 0)
		result(item, "succeeded (returned %ld)", ret);
	else if (e != want && (!want2 || e != want2))
		result(item, "errno %d (%s), want %s", e, strerror(e), strerrorname_np(want));
	else
		result(item, NULL);
}

/* ---- inspections ------------------------------------------------------ */

static void check_status(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f) {
		result("proc status readable", "open: %s", strerror(errno));
		return;
	}
	char line[256];
	bool seen_nnp = false, seen_sc = false;
	while (fgets(line, sizeof line, f)) {
		char key[64];
		unsigned long long v;
		if (sscanf(line, "%63[^:]:\t%llx", key, &v) != 2)
			continue;
		if (!strncmp(key, "Cap", 3)) {
			char item[96];
			if (netdev) {
				snprintf(item, sizeof item, "%s only the network caps", key);
				result(item, v != NETDEV_CAPS ? "%s = %llx, want %llx" : NULL, key,
				       v, NETDEV_CAPS);
			} else {
				snprintf(item, sizeof item, "%s zero", key);
				result(item, v ? "%s = %llx" : NULL, key, v);
			}
		} else if (!strcmp(key, "NoNewPrivs")) {
			seen_nnp = true;
			result("NoNewPrivs 1", v == 1 ? NULL : "NoNewPrivs = %llx", v);
		} else if (!strcmp(key, "Seccomp")) {
			seen_sc = true;
			result("Seccomp 2 (filter)", v == 2 ? NULL : "Seccomp = %llx", v);
		}
	}
	fclose(f);
	if (!seen_nnp)
		result("NoNewPrivs 1", "no NoNewPrivs line");
	if (!seen_sc)
		result("Seccomp 2 (filter)", "no Seccomp line");
}

static void check_identity(void)
{
	result("entry is PID 1 of its namespace", getpid() == 1 ? NULL : "pid %d", (int)getpid());
	uid_t r, e, s;
	gid_t gr, ge, gs;
	getresuid(&r, &e, &s);
	getresgid(&gr, &ge, &gs);
	result("uid unprivileged", r && e && s ? NULL : "uid %u/%u/%u", r, e, s);
	result("gid unprivileged", gr && ge && gs ? NULL : "gid %u/%u/%u", gr, ge, gs);
	gid_t groups[8];
	int n = getgroups(8, groups);
	result("no supplementary groups", n == 0 ? NULL : "%d groups", n);
	printf("info: uid %u\ninfo: gid %u\n", r, gr);

	struct utsname u;
	const char *want = getenv("PERSONA");
	uname(&u);
	result("hostname is the persona name", want && !strcmp(u.nodename, want) ? NULL : "%s",
	       u.nodename);
	char cwd[256];
	result("cwd inside root", getcwd(cwd, sizeof cwd) && !strcmp(cwd, "/") ? NULL : "getcwd %s",
	       strerror(errno));
	FILE *cg = fopen("/proc/self/cgroup", "r");
	char cl[256];
	while (cg && fgets(cl, sizeof cl, cg))
		if (!strncmp(cl, "0::", 3)) /* the v2 line, as the persona sees it */
			printf("info: cgroup %.*s\n", (int)strcspn(cl, "\n"), cl);
	if (cg)
		fclose(cg);
	static const char *const ns[] = {"mnt", "pid", "net", "ipc", "uts", "cgroup", "user"};
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		char p[64];
		struct stat st;
		snprintf(p, sizeof p, "/proc/self/ns/%s", ns[i]);
		if (stat(p, &st) == 0)
			printf("info: ns %s %llu\n", ns[i], (unsigned long long)st.st_ino);
	}
	fflush(stdout);
}

static void check_fds(void)
{
	/* CVE-2024-21626, CVE-2016-9962: nothing beyond 0-2 may be open. */
	int stray = -1;
	for (int fd = 3; fd < 65536; fd++)
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF) {
			stray = fd;
			break;
		}
	if (stray < 0) {
		result("no fds beyond 0-2", NULL);
	} else {
		char p[64], t[256] = "";
		snprintf(p, sizeof p, "/proc/self/fd/%d", stray);
		ssize_t n = readlink(p, t, sizeof t - 1);
		t[n > 0 ? n : 0] = 0;
		result("no fds beyond 0-2", "fd %d open (%s)", stray, t);
	}
}

static void check_tty(void)
{
	/* TIOCSTI needs a tty to push into; a new session has none. */
	result("session leader (setsid)", getsid(0) == getpid() ? NULL : "sid %d", (int)getsid(0));
	FILE *f = fopen("/proc/self/stat", "r");
	int tty = -1;
	if (f) {
		char buf[1024];
		if (fgets(buf, sizeof buf, f)) {
			char *p = strrchr(buf, ')');
			if (p)
				sscanf(p + 2, "%*c %*d %*d %*d %d", &tty);
		}
		fclose(f);
	}
	result("no controlling tty", tty == 0 ? NULL : "tty_nr %d", tty);
	int fd = open("/dev/tty", O_RDWR);
	if (fd >= 0) {
		close(fd);
		result("open /dev/tty fails", "opened");
	} else {
		result("open /dev/tty fails", errno == ENXIO || errno == ENOENT ? NULL : "%s",
		       strerror(errno));
	}
}

static void check_root(void)
{
	int fd = open("/escape-test", O_WRONLY | O_CREAT, 0644);
	expect_errno("root is read-only (create)", fd, EROFS, 0);
	expect_errno("root is read-only (mkdir)", mkdir("/bin/x", 0755), EROFS, 0);
	/* CVE-2019-5736: the entry's binary and PID 1's exe not writable. */
	expect_errno("open /proc/self/exe for write", open("/proc/self/exe", O_WRONLY), EROFS,
	             ETXTBSY);
	expect_errno("open /proc/1/exe for write", open("/proc/1/exe", O_WRONLY), EROFS, ETXTBSY);
	struct statvfs sv;
	result("/tmp nosuid,nodev and writable",
	       statvfs("/tmp", &sv) == 0 && (sv.f_flag & ST_NOSUID) && (sv.f_flag & ST_NODEV) &&
	                       !(sv.f_flag & ST_RDONLY)
	               ? NULL
	               : "flags %lx",
	       sv.f_flag);
	int t = open("/tmp/w", O_WRONLY | O_CREAT | O_EXCL, 0600);
	result("/tmp writable", t >= 0 ? NULL : "%s", strerror(errno));
	if (t >= 0)
		close(t);
	result("/run noexec,nosuid,nodev",
	       statvfs("/run", &sv) == 0 && (sv.f_flag & ST_NOEXEC) && (sv.f_flag & ST_NOSUID) &&
	                       (sv.f_flag & ST_NODEV)
	               ? NULL
	               : "flags %lx",
	       sv.f_flag);
}

static void check_dev(const char *granted)
{
	/* Exactly the granted nodes plus the four symlinks. */
	char want[256];
	snprintf(want, sizeof want, ",%s,fd,stdin,stdout,stderr,", granted);
	DIR *d = opendir("/dev");
	if (!d) {
		result("/dev holds only granted nodes", "opendir %s", strerror(errno));
		return;
	}
	int found = 0, extra = 0;
	char extras[256] = "";
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char key[300];
		snprintf(key, sizeof key, ",%s,", e->d_name);
		if (strstr(want, key)) {
			found++;
		} else {
			extra++;
			strncat(extras, e->d_name, sizeof extras - strlen(extras) - 2);
			strcat(extras, " ");
		}
	}
	closedir(d);
	int wanted = 4;
	for (const char *p = granted; *p; p++)
		wanted += *p == ',';
	if (*granted)
		wanted++;
	result("/dev holds only granted nodes",
	       extra == 0 && found == wanted ? NULL : "found %d of %d, extra: %s", found, wanted,
	       extras);
	expect_errno("unlink /dev/null", unlink("/dev/null"), EROFS, 0);
	expect_errno("mknod char device 1:3", mknod("/tmp/mem", S_IFCHR | 0600, makedev(1, 1)),
	             EPERM, 0);
	static const char *const absent[] = {"/dev/watchdog", "/dev/watchdog0", "/dev/mem",
	                                     "/dev/kmsg",     "/dev/sda",       "/dev/loop0"};
	for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++) {
		char item[64];
		snprintf(item, sizeof item, "%s absent", absent[i]);
		expect_errno(item, open(absent[i], O_RDONLY), ENOENT, 0);
	}
}

static void check_proc_sys(void)
{
	static const char *const ro[] = {
	        "/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe", "/proc/sysrq-trigger",
	        "/sys/kernel/uevent_helper", "/sys/fs/cgroup/cgroup.procs"};
	for (size_t i = 0; i < sizeof ro / sizeof ro[0]; i++) {
		char item[96];
		snprintf(item, sizeof item, "write %s", ro[i]);
		int fd = open(ro[i], O_WRONLY);
		if (fd >= 0) {
			ssize_t n = write(fd, "x", 1);
			int e = errno;
			close(fd);
			/* /proc/sysrq-trigger is masked by /dev/null: writes vanish. */
			if (!strcmp(ro[i], "/proc/sysrq-trigger")) {
				struct stat st;
				result(item,
				       stat(ro[i], &st) == 0 && S_ISCHR(st.st_mode)
				               ? NULL
				               : "opened, write %zd %s",
				       n, strerror(e));
			} else {
				result(item, "opened for write (write %zd)", n);
			}
		} else {
			int e = errno;
			result(item,
			       e == EROFS || e == EACCES || e == ENOENT || e == EPERM ? NULL : "%s",
			       strerror(e));
		}
	}
	/* Masked: reads give nothing. */
	static const char *const masked[] = {"/proc/kcore", "/proc/keys", "/proc/timer_list",
	                                     "/proc/sched_debug"};
	for (size_t i = 0; i < sizeof masked / sizeof masked[0]; i++) {
		char item[96], buf[64];
		snprintf(item, sizeof item, "%s masked", masked[i]);
		int fd = open(masked[i], O_RDONLY);
		if (fd < 0) {
			result(item, errno == ENOENT || errno == EACCES ? NULL : "%s",
			       strerror(errno));
			continue;
		}
		ssize_t n = read(fd, buf, sizeof buf);
		close(fd);
		result(item, n == 0 ? NULL : "read %zd bytes", n);
	}
}

static void check_persist(const char *mode)
{
	struct statvfs sv;
	if (!strcmp(mode, "none")) {
		int fd = open("/persist/x", O_WRONLY | O_CREAT, 0600);
		expect_errno("/persist not writable without a right", fd, EROFS, 0);
		return;
	}
	bool exec_ok = !strcmp(mode, "rw+exec");
	if (statvfs("/persist", &sv) < 0) {
		result("/persist flags", "statvfs %s", strerror(errno));
		return;
	}
	bool good = (sv.f_flag & ST_NOSUID) && (sv.f_flag & ST_NODEV) && !(sv.f_flag & ST_RDONLY) &&
	            !!(sv.f_flag & ST_NOEXEC) == !exec_ok;
	result(exec_ok ? "/persist rw,nosuid,nodev,exec" : "/persist rw,nosuid,nodev,noexec",
	       good ? NULL : "flags %lx", sv.f_flag);
	int fd = open("/persist/probe-was-here", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	result("/persist writable", fd >= 0 ? NULL : "%s", strerror(errno));
	if (fd >= 0) {
		if (write(fd, "probe\n", 6) != 6)
			result("/persist write", "%s", strerror(errno));
		close(fd);
	}
	/* A program copied to /persist must not run (noexec), nor map exec. */
	int in = open("/proc/self/exe", O_RDONLY);
	int out = open("/persist/copy", O_WRONLY | O_CREAT | O_TRUNC, 0700);
	char buf[65536];
	ssize_t n;
	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (exec_ok)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		char a0[] = "copy", a1[] = "--noop";
		char *argv[] = {a0, a1, NULL};
		execve("/persist/copy", argv, environ);
		_exit(errno == EACCES ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	result("exec from /persist", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? NULL : "status %x",
	       st);
	int f = open("/persist/copy", O_RDONLY);
	void *m = f >= 0 ? mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, f, 0) : MAP_FAILED;
	expect_errno("mmap PROT_EXEC from /persist", m == MAP_FAILED ? -1 : 0, EPERM, 0);
	if (f >= 0)
		close(f);
	expect_errno("../ out of /persist",
	             open("/persist/../persist/../etc/x", O_WRONLY | O_CREAT, 0600), EROFS, ENOENT);
}

/* ---- escape syscalls --------------------------------------------------- */

static void check_namespaces(void)
{
	static const struct {
		unsigned long f;
		const char *n;
	} fl[] = {{CLONE_NEWUSER, "unshare(CLONE_NEWUSER)"},
	          {CLONE_NEWNS, "unshare(CLONE_NEWNS)"},
	          {CLONE_NEWPID, "unshare(CLONE_NEWPID)"},
	          {CLONE_NEWNET, "unshare(CLONE_NEWNET)"},
	          {CLONE_NEWIPC, "unshare(CLONE_NEWIPC)"},
	          {CLONE_NEWUTS, "unshare(CLONE_NEWUTS)"},
	          {CLONE_NEWCGROUP, "unshare(CLONE_NEWCGROUP)"},
	          {CLONE_NEWTIME, "unshare(CLONE_NEWTIME)"}};
	for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++)
		expect_errno(fl[i].n, syscall(SYS_unshare, fl[i].f), EPERM, 0);
	/* raw clone with CLONE_NEWUSER: must fail in the parent, no child. */
	long r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (r == 0)
		_exit(0);
	expect_errno("clone(CLONE_NEWUSER)", r, EPERM, 0);
	r = syscall(SYS_clone, CLONE_NEWNET | CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0);
	if (r == 0)
		_exit(0);
	expect_errno("clone(CLONE_NEWNET|CLONE_NEWNS)", r, EPERM, 0);
	struct clone_args ca = {.flags = CLONE_NEWUSER, .exit_signal = SIGCHLD};
	r = syscall(SYS_clone3, &ca, sizeof ca);
	if (r == 0)
		_exit(0);
	expect_errno("clone3 answers ENOSYS", r, ENOSYS, 0);
	int fd = open("/proc/self/ns/mnt", O_RDONLY);
	expect_errno("setns(mnt)", syscall(SYS_setns, fd, 0), EPERM, 0);
	if (fd >= 0)
		close(fd);
	/* plain fork still works: the filter is not a blanket clone ban */
	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	int st = 0;
	if (pid > 0)
		waitpid(pid, &st, 0);
	result("fork still works", pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 7 ? NULL : "%s",
	       strerror(errno));
}

/* Runs fn in a child; the child must die of SIGSYS (killed by the filter). */
static void expect_killed(const char *item, void (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		_exit(0); /* reached only if the call came back */
	}
	int st;
	waitpid(pid, &st, 0);
	result(item, WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS ? NULL : "status %#x (not SIGSYS)",
	       st);
}

/* As expect_killed, for int 0x80. Some kernels have no int 0x80 gate at all
 * (IA32 emulation off, or a hypervisor that takes the vector): the
 * instruction then faults with SIGSEGV before any syscall entry, so there is
 * no i386 table for the filter to guard and nothing to test. That is a skip,
 * never a pass; every other outcome is judged as above. */
static void expect_killed_int80(const char *item, void (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV)
		skip(item, "int 0x80 faults with SIGSEGV: this kernel has no i386 syscall entry");
	else
		result(item,
		       WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS ? NULL : "status %#x (not SIGSYS)",
		       st);
}

static void x32_unshare(void)
{
	syscall(0x40000000 | SYS_unshare, CLONE_NEWUSER);
}
static void x32_getpid(void)
{
	syscall(0x40000000 | SYS_getpid);
}
static void i386_unshare(void)
{
	/* int 0x80 enters the i386 table: 310 is unshare there. */
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "0"(310L), "b"((long)CLONE_NEWUSER) : "memory");
}
static void i386_getpid(void)
{
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "0"(20L) : "memory");
}

static void check_abi(void)
{
	expect_killed("x32 unshare (nr|0x40000000) killed", x32_unshare);
	expect_killed("x32 getpid (nr|0x40000000) killed", x32_getpid);
	expect_killed_int80("int 0x80 unshare killed", i386_unshare);
	expect_killed_int80("int 0x80 getpid killed", i386_getpid);
}

static void check_denied(void)
{
	pid_t kid = fork();
	if (kid == 0) {
		pause();
		_exit(0);
	}
	expect_errno("ptrace(TRACEME)", ptrace(PTRACE_TRACEME, 0, 0, 0), EPERM, 0);
	expect_errno("ptrace(ATTACH)", ptrace(PTRACE_ATTACH, kid, 0, 0), EPERM, 0);
	expect_errno("ptrace(SEIZE)", ptrace(PTRACE_SEIZE, kid, 0, 0), EPERM, 0);
	char buf[8];
	struct iovec l = {buf, sizeof buf}, rv = {buf, sizeof buf};
	expect_errno("process_vm_readv", process_vm_readv(kid, &l, 1, &rv, 1, 0), EPERM, 0);
	expect_errno("process_vm_writev", process_vm_writev(kid, &l, 1, &rv, 1, 0), EPERM, 0);
	int pfd = (int)syscall(SYS_pidfd_open, kid, 0);
	expect_errno("pidfd_getfd", syscall(SYS_pidfd_getfd, pfd, 0, 0), EPERM, 0);
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
	if (pfd >= 0)
		close(pfd);

	union bpf_attr ba;
	memset(&ba, 0, sizeof ba);
	expect_errno("bpf(MAP_CREATE)", syscall(SYS_bpf, BPF_MAP_CREATE, &ba, sizeof ba), EPERM, 0);
	struct perf_event_attr pa;
	memset(&pa, 0, sizeof pa);
	pa.size = sizeof pa;
	pa.type = PERF_TYPE_SOFTWARE;
	expect_errno("perf_event_open", syscall(SYS_perf_event_open, &pa, 0, -1, -1, 0), EPERM, 0);
	char ring[128] = {0};
	expect_errno("io_uring_setup", syscall(SYS_io_uring_setup, 1, ring), EPERM, 0);
	expect_errno("userfaultfd", syscall(SYS_userfaultfd, 0), EPERM, 0);
	expect_errno("keyctl", syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3, 0), EPERM, 0);
	expect_errno("add_key", syscall(SYS_add_key, "user", "x", "y", 1, -3), EPERM, 0);
	expect_errno("request_key", syscall(SYS_request_key, "user", "x", NULL, 0), EPERM, 0);
	if (netdev) {
		/* Allowed by design to a device owner (its DHCP client), over
		 * its own namespace's devices only. */
		int ps = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
		result("socket(AF_PACKET) allowed to a device owner", ps >= 0 ? NULL : "%s",
		       strerror(errno));
		if (ps >= 0)
			close(ps);
	} else
		expect_errno("socket(AF_PACKET)", socket(AF_PACKET, SOCK_RAW, 0), EAFNOSUPPORT,
		             EPERM);
	expect_errno("socket(AF_VSOCK)", socket(AF_VSOCK, SOCK_STREAM, 0), EAFNOSUPPORT, EPERM);
	char fh[64] = {0};
	expect_errno("open_by_handle_at", syscall(SYS_open_by_handle_at, AT_FDCWD, fh, O_RDONLY),
	             EPERM, 0);
	expect_errno("modify_ldt", syscall(SYS_modify_ldt, 0, buf, sizeof buf), EPERM, 0);

	expect_errno("reboot", syscall(SYS_reboot, 0xfee1dead, 672274793, 0x4321fedc, 0), EPERM, 0);
	expect_errno("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0), EPERM, 0);
	expect_errno("kexec_file_load", syscall(SYS_kexec_file_load, -1, -1, 0, "", 2), EPERM, 0);
	expect_errno("init_module", syscall(SYS_init_module, buf, sizeof buf, ""), EPERM, 0);
	expect_errno("finit_module", syscall(SYS_finit_module, 0, "", 0), EPERM, 0);
	expect_errno("delete_module", syscall(SYS_delete_module, "loop", 0), EPERM, 0);
	expect_errno("swapon", syscall(SYS_swapon, "/tmp/w", 0), EPERM, 0);
	expect_errno("swapoff", syscall(SYS_swapoff, "/tmp/w"), EPERM, 0);
	expect_errno("iopl", syscall(SYS_iopl, 3), EPERM, 0);
	expect_errno("ioperm", syscall(SYS_ioperm, 0x80, 1, 1), EPERM, 0);
	struct timeval tv = {0, 0};
	expect_errno("settimeofday", syscall(SYS_settimeofday, &tv, NULL), EPERM, 0);
	expect_errno("syslog(READ_ALL)", syscall(SYS_syslog, 3, buf, sizeof buf), EPERM, 0);

	expect_errno("mount tmpfs", mount("none", "/tmp", "tmpfs", 0, NULL), EPERM, 0);
	expect_errno("umount2 /proc", umount2("/proc", MNT_DETACH), EPERM, 0);
	expect_errno("pivot_root", syscall(SYS_pivot_root, "/tmp", "/tmp"), EPERM, 0);
	expect_errno("chroot", chroot("/tmp"), EPERM, 0);
	expect_errno("fsopen", syscall(SYS_fsopen, "tmpfs", 0), EPERM, 0);
	expect_errno("open_tree", syscall(SYS_open_tree, AT_FDCWD, "/", 1 /* CLONE */), EPERM, 0);
	expect_errno("move_mount", syscall(SYS_move_mount, -1, "", -1, "", 0), EPERM, 0);

	/* CVE-2017-5226, CVE-2019-10063, CVE-2023-1523. */
	char c = 'x';
	expect_errno("ioctl(TIOCSTI)", syscall(SYS_ioctl, 0, TIOCSTI, &c), EPERM, 0);
	expect_errno("ioctl(TIOCSTI | 0x123<<32)",
	             syscall(SYS_ioctl, 0, (unsigned long)TIOCSTI | (0x123ul << 32), &c), EPERM, 0);
	char sub = 6;
	expect_errno("ioctl(TIOCLINUX)", syscall(SYS_ioctl, 0, TIOCLINUX, &sub), EPERM, 0);

	/* CVE-2022-29162: no capability can be raised back. */
	struct {
		uint32_t version;
		int pid;
	} hdr = {0x20080522, 0};
	struct {
		uint32_t eff, prm, inh;
	} data[2] = {{1u << 21, 1u << 21, 0}, {0, 0, 0}};
	expect_errno("capset raise CAP_SYS_ADMIN", syscall(SYS_capset, &hdr, data), EPERM, 0);
	/* A device owner's user namespace maps only its own uid: 0 does not
	 * exist there (EINVAL), which fails as surely as EPERM. */
	expect_errno("setuid(0)", setuid(0), EPERM, netdev ? EINVAL : 0);
	/* PID 1 of the namespace signalling -1 reaches only its own namespace,
	 * where nothing else runs now. */
	expect_errno("kill(-1, 0) finds no other process", kill(-1, 0), ESRCH, 0);
}

/* An image may carry a setuid-root file: nosuid on the image mount and
 * no_new_privs must leave it as unprivileged as its caller. */
static void check_suid(void)
{
	struct stat st;
	/* A device owner's user namespace does not map uid 0: root's file
	 * shows as the overflow uid there (65534), and is still root's. */
	bool root_owned = stat("/bin/persona-probe-suid", &st) == 0 &&
	                  (st.st_uid == 0 || (netdev && st.st_uid == 65534));
	if (!root_owned || !(st.st_mode & S_ISUID)) {
		skip("setuid-root file in the image stays unprivileged",
		     "no setuid-root copy in image");
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char a0[] = "persona-probe-suid", a1[] = "--euid";
		char *av[] = {a0, a1, NULL};
		execve("/bin/persona-probe-suid", av, environ);
		_exit(2);
	}
	int st2 = 0;
	waitpid(pid, &st2, 0);
	result("setuid-root file in the image stays unprivileged",
	       WIFEXITED(st2) && WEXITSTATUS(st2) == 0 ? NULL : "status %#x", st2);
}

static void check_proc_visible(void)
{
	DIR *d = opendir("/proc");
	int pids = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
			pids++;
	if (d)
		closedir(d);
	result("only own processes in /proc", pids == 1 ? NULL : "%d pids visible", pids);
}

static void check_abstract(const char *name)
{
	if (!name) {
		skip("abstract socket of bay0 unreachable", "no --abstract given");
		return;
	}
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	size_t n = strlen(name);
	memcpy(a.sun_path + 1, name, n);
	int r = connect(s, (struct sockaddr *)&a,
	                (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n));
	expect_errno("abstract socket of bay0 unreachable", r, ECONNREFUSED, 0);
	close(s);
}

static void check_net(void)
{
	FILE *f = fopen("/proc/net/dev", "r");
	char line[256], ifs[128] = "";
	int n = 0, lo = 0;
	while (f && fgets(line, sizeof line, f)) {
		char name[32];
		if (sscanf(line, " %31[^:]:", name) == 1 && strchr(line, ':')) {
			n++;
			lo += !strcmp(name, "lo");
			strncat(ifs, name, sizeof ifs - strlen(ifs) - 2);
			strcat(ifs, " ");
		}
	}
	if (f)
		fclose(f);
	if (!netdev) {
		result("network is loopback only", n == 1 && lo ? NULL : "interfaces: %s", ifs);
		return;
	}
	char want[64];
	snprintf(want, sizeof want, "lo %s ", netdev);
	char alt[64];
	snprintf(alt, sizeof alt, "%s lo ", netdev);
	result("network is loopback and its own device only",
	       n == 2 && (!strcmp(ifs, want) || !strcmp(ifs, alt)) ? NULL : "interfaces: %s", ifs);
}

/* One rtnetlink request, its ack's error (0, or -errno). */
static int rtnl_ack(struct nlmsghdr *h)
{
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0)
		return -errno;
	h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = 1;
	int r = -EBADMSG;
	char buf[8192];
	if (send(s, h, h->nlmsg_len, 0) < 0) {
		r = -errno;
	} else {
		ssize_t n = recv(s, buf, sizeof buf, 0);
		const struct nlmsghdr *a = (const void *)buf;
		if (n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) &&
		    a->nlmsg_type == NLMSG_ERROR)
			r = ((const struct nlmsgerr *)NLMSG_DATA(a))->error;
		else if (n >= (ssize_t)sizeof *a)
			r = 0; /* an answer, not an error */
	}
	close(s);
	return r;
}

struct link_req {
	struct nlmsghdr h;
	struct ifinfomsg i;
	char attrs[64];
};

static void link_req(struct link_req *q, int type, int ifindex, int attr, int32_t val)
{
	memset(q, 0, sizeof *q);
	q->h.nlmsg_type = (unsigned short)type;
	q->i.ifi_family = AF_UNSPEC;
	q->i.ifi_index = ifindex;
	q->h.nlmsg_len = NLMSG_LENGTH(sizeof q->i);
	struct rtattr *a = (struct rtattr *)((char *)q + NLMSG_ALIGN(q->h.nlmsg_len));
	a->rta_type = (unsigned short)attr;
	a->rta_len = RTA_LENGTH(sizeof val);
	memcpy(RTA_DATA(a), &val, sizeof val);
	q->h.nlmsg_len = NLMSG_ALIGN(q->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static bool read_line(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	bool ok = f && fgets(buf, (int)cap, f);
	if (f)
		fclose(f);
	return ok;
}

/* A device owner's network capabilities reach its own namespace and no
 * other: every name it could give another one is its own. */
static void check_netdev(void)
{
	if (!netdev)
		return;
	char line[128] = "", want[64];
	uid_t u = getuid();
	gid_t g = getgid();
	snprintf(want, sizeof want, "%u %u 1", u, u);
	bool ok = read_line("/proc/self/uid_map", line, sizeof line);
	line[strcspn(line, "\n")] = 0;
	/* /proc/<pid>/uid_map prints each field padded to 10 columns */
	unsigned a, b, c;
	result("in a user namespace that maps only its own uid",
	       ok && sscanf(line, "%u %u %u", &a, &b, &c) == 3 && a == u && b == u && c == 1
	               ? NULL
	               : "uid_map '%s', want '%s'",
	       ok ? line : "?", want);
	ok = read_line("/proc/self/gid_map", line, sizeof line);
	line[strcspn(line, "\n")] = 0;
	result("in a user namespace that maps only its own gid",
	       ok && sscanf(line, "%u %u %u", &a, &b, &c) == 3 && a == g && b == g && c == 1
	               ? NULL
	               : "gid_map '%s'",
	       ok ? line : "?");
	int ifindex = (int)if_nametoindex(netdev);
	result("its device is there", ifindex > 0 ? NULL : "%s: %s", netdev, strerror(errno));
	if (ifindex <= 0)
		return;
	/* IFLA_NET_NS_PID names a namespace by a pid of the caller's PID
	 * namespace: its own pid 1 is itself. The move is a no-op. */
	struct link_req q;
	link_req(&q, RTM_NEWLINK, ifindex, IFLA_NET_NS_PID, 1);
	int r = rtnl_ack(&q.h);
	result("its device stays (IFLA_NET_NS_PID 1 is its own namespace)",
	       (int)if_nametoindex(netdev) == ifindex ? NULL : "gone after the move (ack %d)", r);
	/* A namespace id is the only other way to name a namespace, and it has
	 * none: nothing of another namespace is known to its own. */
	for (int id = 0; id < 4; id++) {
		char item[96];
		link_req(&q, RTM_GETLINK, 1, IFLA_TARGET_NETNSID, id);
		snprintf(item, sizeof item, "RTM_GETLINK in namespace id %d refused", id);
		r = rtnl_ack(&q.h);
		result(item, r < 0 ? NULL : "answered (%d)", r);
	}
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	expect_errno("setns(own net) with CAP_NET_ADMIN", syscall(SYS_setns, fd, CLONE_NEWNET),
	             EPERM, 0);
	if (fd >= 0)
		close(fd);
	fd = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
	expect_errno("setns(own user)", syscall(SYS_setns, fd, CLONE_NEWUSER), EPERM, 0);
	if (fd >= 0)
		close(fd);
}

/* ---- Wi-Fi (--wifi PHY): what a wiphy's owner can and cannot do ---------- */

struct gmsg {
	struct nlmsghdr h;
	struct genlmsghdr g;
	char attrs[256];
};

static void gput(struct gmsg *m, unsigned short type, const void *d, size_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)m + NLMSG_ALIGN(m->h.nlmsg_len));
	a->nla_type = type;
	a->nla_len = (unsigned short)(NLA_HDRLEN + len);
	if (len)
		memcpy((char *)a + NLA_HDRLEN, d, len);
	m->h.nlmsg_len = NLMSG_ALIGN(m->h.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static void ginit(struct gmsg *m, unsigned short family, unsigned char cmd, unsigned short flags)
{
	static unsigned seq;
	memset(m, 0, sizeof *m);
	m->h.nlmsg_type = family;
	m->h.nlmsg_flags = (unsigned short)(NLM_F_REQUEST | flags);
	m->h.nlmsg_seq = ++seq;
	m->h.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m->g.cmd = cmd;
	m->g.version = 1;
}

/* Sends m; for a dump, calls each() on every attribute of every answer
 * (wiphy, attr type, data, len) until NLMSG_DONE. Returns the ack's error
 * (0 or -errno). */
static int gtalk(int s, struct gmsg *m, void (*each)(unsigned, const char *, size_t, void *),
                 void *ctx)
{
	if (send(s, m, m->h.nlmsg_len, 0) < 0)
		return -errno;
	static char buf[32768];
	for (;;) {
		ssize_t n = recv(s, buf, sizeof buf, 0);
		if (n < 0)
			return -errno;
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != m->h.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			size_t off = NLMSG_LENGTH(GENL_HDRLEN);
			while (off + NLA_HDRLEN <= h->nlmsg_len) {
				struct nlattr *a = (void *)((char *)h + off);
				if (a->nla_len < NLA_HDRLEN || a->nla_len > h->nlmsg_len - off)
					break;
				if (each)
					each(a->nla_type & NLA_TYPE_MASK, (char *)a + NLA_HDRLEN,
					     a->nla_len - NLA_HDRLEN, ctx);
				off += NLA_ALIGN(a->nla_len);
			}
		}
	}
}

static void take_family(unsigned type, const char *d, size_t len, void *ctx)
{
	if (type == CTRL_ATTR_FAMILY_ID && len == 2)
		memcpy(ctx, d, 2);
}

struct phys {
	int n;
	uint32_t last;
	char names[128];
};

static void take_phy(unsigned type, const char *d, size_t len, void *ctx)
{
	struct phys *p = ctx;
	if (type == NL80211_ATTR_WIPHY && len == 4) {
		uint32_t w;
		memcpy(&w, d, 4);
		if (!p->n || w != p->last)
			p->n++;
		p->last = w;
	} else if (type == NL80211_ATTR_WIPHY_NAME && len && !memchr(d, 0, len - 1) &&
	           !d[len - 1] && !strstr(p->names, d) &&
	           strlen(p->names) + len + 1 < sizeof p->names) {
		strcat(p->names, d);
		strcat(p->names, " ");
	}
}

static int phys_here(int s, unsigned short fam, struct phys *p)
{
	struct gmsg m;
	memset(p, 0, sizeof *p);
	ginit(&m, fam, NL80211_CMD_GET_WIPHY, NLM_F_DUMP);
	gput(&m, NL80211_ATTR_SPLIT_WIPHY_DUMP, NULL, 0);
	return gtalk(s, &m, take_phy, p);
}

static void check_wifi(void)
{
	if (!wifi_phy)
		return;
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	struct gmsg m;
	unsigned short fam = 0;
	ginit(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK);
	gput(&m, CTRL_ATTR_FAMILY_NAME, "nl80211", 8);
	int r = s < 0 ? -errno : gtalk(s, &m, take_family, &fam);
	result("Wi-Fi: nl80211 reachable", !r && fam ? NULL : "%s", strerror(-r));
	if (r || !fam) {
		if (s >= 0)
			close(s);
		return;
	}
	/* Its own wiphy, and no other, under the name it had at claim: on a
	 * second launch that is bay0 having put the name back. */
	struct phys p;
	r = phys_here(s, fam, &p);
	char want[80];
	snprintf(want, sizeof want, "%s ", wifi_phy);
	result("Wi-Fi: only its own wiphy, named as at claim",
	       !r && p.n == 1 && !strcmp(p.names, want) ? NULL : "%d wiphy(s): '%s' (%s)", p.n,
	       p.names, strerror(-r));
	uint32_t wiphy = p.last;
	/* The regulatory domain stays bay0's (GENL_ADMIN_PERM: the initial
	 * user namespace's CAP_NET_ADMIN). */
	ginit(&m, fam, NL80211_CMD_REQ_SET_REG, NLM_F_ACK);
	gput(&m, NL80211_ATTR_REG_ALPHA2, "US", 3);
	r = gtalk(s, &m, NULL, NULL);
	result("Wi-Fi: setting the regulatory domain refused", r == -EPERM ? NULL : "ack %d", r);
	errno = 0;
	int fd = open("/dev/rfkill", O_RDWR | O_CLOEXEC);
	result("Wi-Fi: no /dev/rfkill", fd < 0 && errno == ENOENT ? NULL : "open: %s",
	       fd < 0 ? strerror(errno) : "opened");
	if (fd >= 0)
		close(fd);
	/* Moving it to "the namespace of pid 1" names its own: a no-op. */
	uint32_t one = 1;
	ginit(&m, fam, NL80211_CMD_SET_WIPHY_NETNS, NLM_F_ACK);
	gput(&m, NL80211_ATTR_WIPHY, &wiphy, 4);
	gput(&m, NL80211_ATTR_PID, &one, 4);
	r = gtalk(s, &m, NULL, NULL);
	r = phys_here(s, fam, &p);
	result("Wi-Fi: its wiphy stays (SET_WIPHY_NETNS to its own pid 1)",
	       !r && p.n == 1 ? NULL : "%d wiphy(s) after the move", p.n);
	/* What an owner may do, and bay0 must undo at purge: rename the
	 * wiphy, add a monitor interface. */
	ginit(&m, fam, NL80211_CMD_SET_WIPHY, NLM_F_ACK);
	gput(&m, NL80211_ATTR_WIPHY, &wiphy, 4);
	gput(&m, NL80211_ATTR_WIPHY_NAME, "personaphy", 11);
	r = gtalk(s, &m, NULL, NULL);
	result("Wi-Fi: renamed its wiphy (bay0 restores it)", r ? "ack %d" : NULL, r);
	uint32_t mon = NL80211_IFTYPE_MONITOR;
	ginit(&m, fam, NL80211_CMD_NEW_INTERFACE, NLM_F_ACK);
	gput(&m, NL80211_ATTR_WIPHY, &wiphy, 4);
	gput(&m, NL80211_ATTR_IFNAME, "wlmon0", 7);
	gput(&m, NL80211_ATTR_IFTYPE, &mon, 4);
	r = gtalk(s, &m, NULL, NULL);
	result("Wi-Fi: added a monitor interface (bay0 removes it)",
	       r || !if_nametoindex("wlmon0") ? "ack %d" : NULL, r);
	close(s);
}

int main(int argc, char **argv)
{
	const char *dev = "", *persist = "none", *abstract = NULL;
	/* The copy on /persist runs this only if noexec failed to stop it. */
	if (argc == 2 && !strcmp(argv[1], "--noop"))
		return 3;
	/* Run as the image's setuid-root copy: report whether it worked. */
	if (argc == 2 && !strcmp(argv[1], "--euid"))
		return geteuid() == 0 || getuid() == 0 ? 1 : 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--dev"))
			dev = argv[i + 1];
		else if (!strcmp(argv[i], "--persist"))
			persist = argv[i + 1];
		else if (!strcmp(argv[i], "--abstract"))
			abstract = argv[i + 1];
		else if (!strcmp(argv[i], "--netdev"))
			netdev = argv[i + 1];
		else if (!strcmp(argv[i], "--wifi"))
			wifi_phy = argv[i + 1];
	}
	/* fds first: anything the probe opens itself would count. */
	check_fds();
	check_status();
	check_identity();
	check_tty();
	check_root();
	check_dev(dev);
	check_proc_sys();
	check_persist(persist);
	check_suid();
	check_proc_visible();
	check_namespaces();
	check_abi();
	check_denied();
	check_abstract(abstract);
	check_net();
	check_netdev();
	check_wifi(); /* last: it leaves an interface behind for bay0 to remove */
	printf("info: failures %d\n", failures);
	fflush(stdout);
	return failures ? 1 : 0;
}
