/* Filesystem probes, run as the entry of a persona with persist rights "rw".
 *
 *	fsprobe
 *	fsprobe --exec-right	(persist rights "rw+exec": the positive control)
 *
 * Writes to the root (the persona's image), the Spine's files, /proc/sys,
 * /sys and cgroupfs must all fail; so must mounting a fresh sysfs or
 * cgroup2 to get around a missing or read-only one. On /persist (its own
 * subtree, /persist/<name> on the disk, which it may write) an executable copy of itself, even setuid, must not
 * run and must not map PROT_EXEC, and the mount must carry nosuid, noexec
 * and nodev. A write to /tmp and to /persist is the control: it must
 * succeed, or the negatives prove nothing.
 *
 * With --exec-right only the /persist part runs, expecting the opposite for
 * exec: the same setuid copy runs (and, nosuid, gains nothing) and maps
 * PROT_EXEC, the mount is still nosuid and nodev. That the same program
 * fails on "rw" and runs on "rw+exec" ties the failure to the mount flag. */
#include "pvm.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

/* 0 if writing one byte to path succeeded, else -errno. */
static int try_write(const char *path, int flags)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | flags, 0600);
	if (fd < 0)
		return -errno;
	int r = write(fd, "1", 1) == 1 ? 0 : -errno;
	close(fd);
	return r;
}

static void expect_write_fails(const char *item, const char *path, int flags)
{
	int r = try_write(path, flags);
	pvm_report(item, r < 0, "write %s: %s", path, r < 0 ? pvm_errname(-r) : "succeeded");
}

static int copy_self(const char *dst)
{
	char buf[65536];
	ssize_t n;
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	int r = 0;

	if (in < 0 || out < 0)
		r = -errno;
	while (!r && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			r = -EIO;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return r;
}

static void persist_probes(int exec_right)
{
	const char *dir = "/persist";
	char exe[300];
	struct statvfs vfs;

	snprintf(exe, sizeof(exe), "%s/fsprobe-copy", dir);
	int c = copy_self(exe);
	const char *pfx = exec_right ? "exec-right" : "persist";
	char item[64];
#define ITEM(s) (snprintf(item, sizeof(item), "%s-%s", pfx, s), item)
	pvm_report(ITEM("write"), c == 0, "copy of self to %s: %s", exe,
	           c ? pvm_errname(-c) : "written");
	if (c)
		return;
	/* Setuid to our own uid is all we can make; nosuid must still show. */
	int cm = chmod(exe, 04755) == 0 ? 0 : -errno;
	pid_t p = fork();
	if (p == 0) {
		char child[] = "--child";
		char *args[] = {exe, child, NULL};
		execv(exe, args);
		_exit(100 + errno < 255 ? 100 + errno : 254);
	}
	int st = 0;
	waitpid(p, &st, 0);
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	/* A successful exec of the copy exits 0 (main's "--child" path) if
	 * it gained no privilege, 1 if it did. */
	if (exec_right)
		pvm_report(ITEM("exec"), code == 0, "execve %s (chmod 04755 %s): %s", exe,
		           cm ? pvm_errname(-cm) : "ok",
		           code == 0    ? "ran, euid = uid"
		           : code > 100 ? pvm_errname(code - 100)
		                        : "ran with other ids");
	else
		pvm_report(ITEM("noexec"), code > 100, "execve %s (chmod 04755 %s): %s", exe,
		           cm ? pvm_errname(-cm) : "ok",
		           code > 100 ? pvm_errname(code - 100) : "ran");
	int fd = open(exe, O_RDONLY | O_CLOEXEC);
	void *m =
	        fd >= 0 ? mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	int e = errno;
	pvm_report(ITEM("mmap-exec"), exec_right ? m != MAP_FAILED : m == MAP_FAILED,
	           "mmap PROT_EXEC of %s: %s", exe, m == MAP_FAILED ? pvm_errname(e) : "mapped");
	if (fd >= 0)
		close(fd);
	if (statvfs(dir, &vfs) == 0)
		pvm_report(ITEM("flags"),
		           (vfs.f_flag & ST_NOSUID) && (vfs.f_flag & ST_NODEV) &&
		                   !(vfs.f_flag & ST_NOEXEC) == !!exec_right,
		           "%s: nosuid %d noexec %d nodev %d", dir, !!(vfs.f_flag & ST_NOSUID),
		           !!(vfs.f_flag & ST_NOEXEC), !!(vfs.f_flag & ST_NODEV));
	else
		pvm_report(ITEM("flags"), 0, "statvfs %s: %s", dir, pvm_errname(errno));
	snprintf(exe, sizeof(exe), "%s/null", dir);
	int r = mknod(exe, S_IFCHR | 0666, makedev(1, 3));
	e = errno;
	pvm_report(ITEM("mknod"), r < 0, "mknod %s c 1 3: %s", exe,
	           r < 0 ? pvm_errname(e) : "created");
#undef ITEM
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--child"))
		return geteuid() == getuid() && getegid() == getgid() ? 0 : 1;
	if (argc == 2 && !strcmp(argv[1], "--exec-right")) {
		persist_probes(1);
		pvm_line("pvm: fsprobe-exec-right-done");
		return 0;
	}
	if (argc != 1)
		return 2;

	int t = try_write("/tmp/fsprobe", O_CREAT);
	pvm_report("write-tmp-control", t == 0, "write /tmp/fsprobe: %s",
	           t ? pvm_errname(-t) : "ok");

	/* The root is the persona's image, read-only; the Spine is not in view. */
	expect_write_fails("write-root", "/fsprobe", O_CREAT);
	expect_write_fails("write-root-bin", "/bin/busybox", 0);
	struct stat st;
	int spine = stat("/etc/spine.conf", &st) == 0 || stat("/init", &st) == 0;
	pvm_report("spine-invisible", !spine, "/etc/spine.conf or /init of the Spine %s",
	           spine ? "visible" : "absent");

	expect_write_fails("write-proc-sys", "/proc/sys/kernel/core_pattern", 0);
	expect_write_fails("write-proc-sys-modprobe", "/proc/sys/kernel/modprobe", 0);
	/* bay0 masks it as runc does, binding /dev/null over it: the write
	 * then succeeds and goes nowhere. Either outcome is contained. */
	int q = try_write("/proc/sysrq-trigger", 0);
	struct stat sq;
	int masked = stat("/proc/sysrq-trigger", &sq) == 0 && S_ISCHR(sq.st_mode) &&
	             sq.st_rdev == makedev(1, 3);
	pvm_report("write-sysrq", q < 0 || masked, "write /proc/sysrq-trigger: %s%s",
	           q < 0 ? pvm_errname(-q) : "accepted", masked ? " (it is /dev/null, 1:3)" : "");
	expect_write_fails("write-sys", "/sys/kernel/uevent_helper", 0);
	expect_write_fails("write-cgroupfs", "/sys/fs/cgroup/cgroup.procs", 0);
	expect_write_fails("write-cgroupfs-limit", "/sys/fs/cgroup/pids.max", 0);

	mkdir("/tmp/m", 0700);
	int r = mount("sysfs", "/tmp/m", "sysfs", 0, NULL);
	int e = errno;
	pvm_report("mount-sysfs", r < 0, "mount sysfs: %s", r < 0 ? pvm_errname(e) : "mounted");
	r = mount("cgroup2", "/tmp/m", "cgroup2", 0, NULL);
	e = errno;
	pvm_report("mount-cgroup2", r < 0, "mount cgroup2: %s", r < 0 ? pvm_errname(e) : "mounted");
	r = mount("proc", "/proc", NULL, MS_REMOUNT, NULL);
	e = errno;
	pvm_report("remount-proc", r < 0, "remount /proc rw: %s", r < 0 ? pvm_errname(e) : "ok");

	persist_probes(0);
	pvm_line("pvm: fsprobe-done");
	return 0;
}
