/*
 * testinit: the loader-test init, /init of loader-only slots.
 *
 * It reports what the loader handed over and does what the signed cmdline
 * asks, nothing else (contract: docs/interfaces.md, "The loader-test init"):
 *
 *   1. mount devtmpfs on /dev and take /dev/console as stdin/out/err
 *      (the initramfs has no /dev/console node of its own);
 *   2. load the modules listed in /lib/modules/<release>/load.list;
 *   3. mount /proc, /sys and efivarfs;
 *   4. print "testinit: cmdline=<exact /proc/cmdline>";
 *   5. print what the OS sees of the loader's variables, then, with
 *      testinit.good=1, mark the install named by spine.slot= and
 *      spine.state= good;
 *   6. testinit.floor=plant: try to plant SpineRollbackFloor=0 as root;
 *      testinit.squat=1: write each file of /squat/ (named as efivarfs
 *      names variables, holding attributes and data) as root, the way an
 *      attacker would squat the loader's variable names;
 *      print "testinit: pcr12=<hex>" when the TPM exposes PCR 12;
 *      testinit.watchdog=N: arm /dev/watchdog for N s, never pet it;
 *   7. testinit.action=poweroff|reboot|panic|hang (default poweroff).
 *
 * A step that fails prints "testinit: <step>: <error>" and the init goes on
 * to the action: the scenario tests read the console, and a missing line is
 * a failure they report.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/watchdog.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#define SPINE_GUID "46adc6b9-827e-40ec-be2a-a69f042b8f50"
#define EFIVARS "/sys/firmware/efi/efivars"

/* struct spine_slot_state (docs/interfaces.md), behind efivarfs' 4-byte
 * attribute word. */
enum {
	ATTR_LEN = 4,
	STATE_LEN = 40,
	STATE_GOOD = 5,
};

static char cmdline[4096];

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("testinit: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static void console(void)
{
	int fd;

	mkdir("/dev", 0755);
	if (mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID | MS_NOEXEC, NULL) != 0 &&
	    errno != EBUSY)
		return; /* nowhere to say so */
	fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

/* Reads a whole small file into buf as a NUL-terminated string. */
static int slurp(const char *path, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			close(fd);
			return (int)r;
		}
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	return (int)n;
}

static void load_modules(void)
{
	struct utsname u;
	char dir[512], list[8192], path[1024];
	char *line, *save = NULL;
	int n;

	if (uname(&u) != 0)
		return;
	snprintf(dir, sizeof(dir), "/lib/modules/%s", u.release);
	snprintf(path, sizeof(path), "%s/load.list", dir);
	n = slurp(path, list, sizeof(list));
	if (n == -ENOENT)
		return;
	if (n < 0) {
		say("modules: %s: %s", path, strerror(-n));
		return;
	}
	for (line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int fd;

		snprintf(path, sizeof(path), "%s/%s", dir, line);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			say("modules: %s: %s", path, strerror(errno));
			continue;
		}
		if (syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST)
			say("modules: %s: %s", line, strerror(errno));
		close(fd);
	}
}

static void mounts(void)
{
	mkdir("/proc", 0555);
	mkdir("/sys", 0555);
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
		say("mount /proc: %s", strerror(errno));
	if (mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
		say("mount /sys: %s", strerror(errno));
	if (mount("efivarfs", EFIVARS, "efivarfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
		say("mount efivarfs: %s", strerror(errno));
}

/* The value of the last "key=value" word of the cmdline, as the kernel would
 * take it, or NULL. Copied into out (truncated to size). */
static const char *param(const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	const char *p = cmdline, *found = NULL;
	size_t flen = 0;

	while (*p) {
		size_t len;

		while (*p == ' ')
			p++;
		len = strcspn(p, " ");
		if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			found = p + klen + 1;
			flen = len - klen - 1;
		}
		p += len;
	}
	if (!found)
		return NULL;
	if (flen >= size)
		flen = size - 1;
	memcpy(out, found, flen);
	out[flen] = '\0';
	return out;
}

/* Sets good=1 in the booted slot's SpineSlot<X> variable: read, check the
 * magic, write attributes and data back in one write(2). */
static void mark_good(void)
{
	char slot[8], state[24], path[256];
	unsigned char buf[ATTR_LEN + STATE_LEN + 1];
	ssize_t n;
	int fd;

	if (!param("spine.slot", slot, sizeof(slot)) ||
	    (strcmp(slot, "a") != 0 && strcmp(slot, "b") != 0)) {
		say("good: no spine.slot=a|b on the cmdline");
		return;
	}
	if (!param("spine.state", state, sizeof(state)) || strlen(state) != 16 ||
	    strspn(state, "0123456789abcdef") != 16) {
		say("good: no spine.state=<16 hex> on the cmdline");
		return;
	}
	snprintf(path, sizeof(path), EFIVARS "/SpineSlot%c-%s-" SPINE_GUID, slot[0] - 'a' + 'A',
	         state);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		say("good: %s: %s", path, strerror(errno));
		return;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n != ATTR_LEN + STATE_LEN || memcmp(buf + ATTR_LEN, "SPS1", 4) != 0) {
		say("good: %s: not a slot state (%zd bytes)", path, n);
		return;
	}
	buf[ATTR_LEN + STATE_GOOD] = 1;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 && errno == EPERM) {
		/* efivarfs marks variables it does not know as removable, so
		 * ours should be writable; clear the immutable flag if not. */
		int ro = open(path, O_RDONLY | O_CLOEXEC), flags = 0;

		if (ro >= 0 && ioctl(ro, FS_IOC_GETFLAGS, &flags) == 0) {
			flags &= ~FS_IMMUTABLE_FL;
			ioctl(ro, FS_IOC_SETFLAGS, &flags);
		}
		if (ro >= 0)
			close(ro);
		fd = open(path, O_WRONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		say("good: %s: %s", path, strerror(errno));
		return;
	}
	n = write(fd, buf, ATTR_LEN + STATE_LEN);
	if (n != ATTR_LEN + STATE_LEN) {
		say("good: write %s: %s", path, n < 0 ? strerror(errno) : "short write");
		close(fd);
		return;
	}
	close(fd);
	say("slot %s marked good", slot);
}

/* One variable as the OS sees it, printed under label. */
static void print_var(const char *label, const char *file)
{
	char path[512];
	unsigned char buf[ATTR_LEN + STATE_LEN + 1];
	uint32_t attrs;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), EFIVARS "/%s", file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		say("%s: %s", label, errno == ENOENT ? "none" : strerror(errno));
		return;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < ATTR_LEN) {
		say("%s: unreadable", label);
		return;
	}
	memcpy(&attrs, buf, sizeof(attrs));
	if (n == ATTR_LEN + STATE_LEN && memcmp(buf + ATTR_LEN, "SPS1", 4) == 0)
		say("%s: %.*s attrs=0x%x tries_left=%u good=%u", label,
		    (int)(strlen(file) - sizeof(SPINE_GUID)), file, (unsigned)attrs,
		    buf[ATTR_LEN + 4], buf[ATTR_LEN + STATE_GOOD]);
	else
		say("%s: %.*s attrs=0x%x %zd bytes", label,
		    (int)(strlen(file) - sizeof(SPINE_GUID)), file, (unsigned)attrs, n - ATTR_LEN);
}

/* What the running system can see of the loader's variables: every slot
 * state (runtime-visible by design; one per install, the name bound to it)
 * and the rollback floor (boot-services only: it must not show up here). */
static void print_vars(void)
{
	static const char *const slots[] = {"SpineSlotA", "SpineSlotB"};
	const size_t glen = sizeof(SPINE_GUID) - 1;

	for (size_t i = 0; i < 2; i++) {
		DIR *d = opendir(EFIVARS);
		struct dirent *e;
		int seen = 0;

		while (d && (e = readdir(d))) {
			size_t n = strlen(e->d_name);

			if (n < 11 + glen || strncmp(e->d_name, slots[i], 10) != 0 ||
			    (e->d_name[10] != '-') || strcmp(e->d_name + n - glen, SPINE_GUID) != 0)
				continue;
			print_var(slots[i], e->d_name);
			seen++;
		}
		if (d)
			closedir(d);
		if (!seen)
			say("%s: none", slots[i]);
	}
	print_var("SpineRollbackFloor", "SpineRollbackFloor-" SPINE_GUID);
}

/* testinit.squat=1: root in the OS writes each prepared variable of /squat/
 * (the scenario tests build them: authenticated variables signed with a
 * throw-away key, or malformed states) under the loader's names. */
static void squat(void)
{
	DIR *d = opendir("/squat");
	struct dirent *e;

	if (!d) {
		say("squat: /squat: %s", strerror(errno));
		return;
	}
	while ((e = readdir(d))) {
		char src[300], dst[512], buf[8192];
		ssize_t n;
		int in, out;

		if (e->d_name[0] == '.')
			continue;
		snprintf(src, sizeof(src), "/squat/%s", e->d_name);
		snprintf(dst, sizeof(dst), EFIVARS "/%s", e->d_name);
		n = slurp(src, buf, sizeof(buf));
		in = n;
		if (in < 0) {
			say("squat %s: %s", e->d_name, strerror(-in));
			continue;
		}
		/* efivarfs takes attributes and data in one write(2). */
		out = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (out < 0) {
			say("squat %s: %s", e->d_name, strerror(errno));
			continue;
		}
		n = write(out, buf, (size_t)in);
		if (n != in)
			say("squat %s: %s", e->d_name, n < 0 ? strerror(errno) : "short write");
		else
			say("squat %s: ok", e->d_name);
		close(out);
	}
	closedir(d);
}

/* testinit.floor=plant: what a root attacker on the running system would try
 * against rollback protection: create SpineRollbackFloor = 0 through
 * efivarfs (it can only ask for NV|BS|RT; a boot-services-only variable
 * cannot be written at run time). The loader's floor must not move. */
static void plant_floor(void)
{
	static const unsigned char var[4 + 8] = {0x07, 0, 0, 0};
	const char *path = EFIVARS "/SpineRollbackFloor-" SPINE_GUID;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0) {
		say("plant SpineRollbackFloor: %s", strerror(errno));
		return;
	}
	n = write(fd, var, sizeof(var));
	if (n != (ssize_t)sizeof(var))
		say("plant SpineRollbackFloor: %s", n < 0 ? strerror(errno) : "short write");
	else
		say("plant SpineRollbackFloor: ok");
	close(fd);
}

/* testinit.watchdog=N: open the hardware watchdog with an N-second timeout
 * and never pet it again. With testinit.action=hang that is a hung system
 * as the loader sees it: the watchdog resets the machine mid-attempt. */
static void arm_watchdog(const char *secs)
{
	int fd, t = atoi(secs);

	if (t <= 0) {
		say("watchdog: bad timeout %s", secs);
		return;
	}
	fd = open("/dev/watchdog", O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		say("watchdog: /dev/watchdog: %s", strerror(errno));
		return;
	}
	if (ioctl(fd, WDIOC_SETTIMEOUT, &t) != 0) {
		say("watchdog: WDIOC_SETTIMEOUT: %s", strerror(errno));
		return;
	}
	ioctl(fd, WDIOC_KEEPALIVE, 0);
	/* fd stays open on purpose: closing it without the magic 'V' leaves
	 * the timer running anyway, but an open fd says so plainly. */
	say("watchdog armed, %d s", t);
}

static void print_pcr12(void)
{
	char hex[256];
	int n = slurp("/sys/class/tpm/tpm0/pcr-sha256/12", hex, sizeof(hex));

	if (n < 0)
		return;
	hex[strcspn(hex, "\n")] = '\0';
	for (char *p = hex; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	say("pcr12=%s", hex);
}

/* testinit.eventlog=1: the firmware's TCG event log as hex lines
 * ("testinit: eventlog <offset> <hex of up to 48 bytes>", then
 * "testinit: eventlog end <size>"), and every PCR of the sha1 and sha256
 * banks ("testinit: pcr <bank> <n> <hex>"), so that the host can replay the
 * log against the PCRs (tests/vm/scenarios.sh, case eventlog). */
static void print_eventlog(void)
{
	static const char *const banks[] = {"sha1", "sha256"};
	static unsigned char buf[256 * 1024];
	const char *path = "/sys/kernel/security/tpm0/binary_bios_measurements";
	size_t n = 0;
	ssize_t r;
	int fd;

	if (mount("securityfs", "/sys/kernel/security", "securityfs", 0, NULL) < 0 &&
	    errno != EBUSY)
		say("eventlog: mount securityfs: %s", strerror(errno));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		say("eventlog: %s: %s", path, strerror(errno));
		return;
	}
	while (n < sizeof(buf) && (r = read(fd, buf + n, sizeof(buf) - n)) > 0)
		n += (size_t)r;
	close(fd);
	for (size_t off = 0; off < n; off += 48) {
		char line[2 * 48 + 1];
		size_t k = n - off < 48 ? n - off : 48;

		for (size_t i = 0; i < k; i++)
			snprintf(line + 2 * i, 3, "%02x", buf[off + i]);
		say("eventlog %zu %s", off, line);
	}
	say("eventlog end %zu", n);
	for (size_t b = 0; b < 2; b++) {
		for (int pcr = 0; pcr < 24; pcr++) {
			char p[96], hex[160];

			snprintf(p, sizeof(p), "/sys/class/tpm/tpm0/pcr-%s/%d", banks[b], pcr);
			if (slurp(p, hex, sizeof(hex)) < 0)
				continue;
			hex[strcspn(hex, "\n")] = '\0';
			for (char *c = hex; *c; c++)
				if (*c >= 'A' && *c <= 'F')
					*c = (char)(*c - 'A' + 'a');
			say("pcr %s %d %s", banks[b], pcr, hex);
		}
	}
}

int main(void)
{
	char action[16] = "poweroff", good[4], floor[8], wd[8], sq[4], el[4];
	int n;

	console();
	say("started");
	load_modules();
	mounts();

	n = slurp("/proc/cmdline", cmdline, sizeof(cmdline));
	if (n < 0) {
		say("/proc/cmdline: %s", strerror(-n));
		cmdline[0] = '\0';
	}
	/* The kernel adds one '\n'; everything before it is the cmdline. */
	if (n > 0 && cmdline[n - 1] == '\n')
		cmdline[n - 1] = '\0';
	say("cmdline=%s", cmdline);

	print_vars();
	if (param("testinit.good", good, sizeof(good)) && strcmp(good, "1") == 0)
		mark_good();
	if (param("testinit.floor", floor, sizeof(floor)) && strcmp(floor, "plant") == 0)
		plant_floor();
	if (param("testinit.squat", sq, sizeof(sq)) && strcmp(sq, "1") == 0)
		squat();
	print_pcr12();
	if (param("testinit.eventlog", el, sizeof(el)) && strcmp(el, "1") == 0)
		print_eventlog();
	if (param("testinit.watchdog", wd, sizeof(wd)))
		arm_watchdog(wd);
	param("testinit.action", action, sizeof(action));

	say("action=%s", action);
	sync();
	if (strcmp(action, "hang") == 0) {
		for (;;)
			pause();
	} else if (strcmp(action, "panic") == 0) {
		/* PID 1 exiting panics the kernel ("Attempted to kill init"). */
		return 1;
	} else if (strcmp(action, "reboot") == 0) {
		reboot(RB_AUTOBOOT);
	} else {
		reboot(RB_POWER_OFF);
	}
	say("%s: %s", action, strerror(errno));
	for (;;)
		pause();
}
