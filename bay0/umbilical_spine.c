/*
 * umbilical_spine.c: Spine updates over the Umbilical (docs/umbilical.md,
 * "Spine updates"). The one persona spine.conf names (spine-updates-from)
 * offers a slot folder from its outbox; bay0 stages the five files in
 * /persist/transfer, where no persona reaches; spinectl, the one
 * implementation of the loader's check and of the A/B update plan, checks
 * them against the ESP in a dry run, read-only; the person at bay0's
 * console sees what it said and says yes or no; only after a yes is the
 * ESP mounted read-write, for spinectl's real run, and unmounted again.
 *
 * The persona picks nothing but bytes: not the ESP, not the slot, not the
 * order of the writes. What it offers is verified by the keys of the
 * loader on the ESP, exactly as the loader will verify it at the next boot.
 */
#define _GNU_SOURCE
#include <blkid/blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bay0.h"
#include "log.h"
#include "util.h"

#define ESP_TYPE "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define ESP_MNT "/run/bay0/esp"
#define SPINECTL "/lib/spine/spinectl"
#define SPINECTL_TIMEOUT_MS (600 * 1000)
#define TOOL_OUT_MAX (16 * 1024)

/* The files of a slot folder (docs/slots.md), SHA512.sig last, each with
 * the loader's cap (efi/policy.h's SPINE_CAP_*, whose header bay0 cannot
 * include: its struct spine_conf is slot.conf's). They only bound what is
 * staged: spinectl applies the loader's own caps again. */
static const char *const slot_files[] = {"vmlinuz", "initrd.img", "cmdline", "slot.conf",
                                         "SHA512.sig"};
static const uint64_t slot_caps[] = {64ull << 20, 256ull << 20, 4096, 4096, 64 * 1024};
#define NSLOT_FILES (sizeof(slot_files) / sizeof(slot_files[0]))

/* ---- the ESP -------------------------------------------------------------------- */

/* The /sys/class/block name of partition partno of disk, into out. */
static int part_name(const char *disk, int partno, char out[NAME_MAX + 1])
{
	char path[600], val[32];
	DIR *d;
	struct dirent *de;
	int r = -ENOENT;

	snprintf(path, sizeof(path), "/sys/class/block/%s", disk);
	d = opendir(path);
	if (!d)
		return -errno;
	while (r && (de = readdir(d))) {
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/block/%s/%s/partition", disk, de->d_name);
		n = read_file(path, val, sizeof(val) - 1);
		if (n <= 0)
			continue;
		val[n] = 0;
		if (atoi(val) == partno) {
			snprintf(out, NAME_MAX + 1, "%s", de->d_name);
			r = 0;
		}
	}
	closedir(d);
	return r;
}

/* The EFI System partitions of one whole disk, from its GPT (libblkid);
 * the first into dev. Returns how many. */
static int disk_esps(const char *disk, char dev[NAME_MAX + 1], bool have)
{
	char node[300];
	blkid_probe pr;
	blkid_partlist pl;
	const char *type;
	int n = 0, np;

	if (blockdev_node(disk, node, sizeof(node), 0600) < 0)
		return 0;
	pr = blkid_new_probe_from_filename(node);
	if (!pr)
		return 0;
	pl = blkid_probe_get_partitions(pr);
	type = pl ? blkid_parttable_get_type(blkid_partlist_get_table(pl)) : NULL;
	np = pl && type && !strcmp(type, "gpt") ? blkid_partlist_numof_partitions(pl) : 0;
	for (int i = 0; i < np; i++) {
		blkid_partition p = blkid_partlist_get_partition(pl, i);
		const char *t = p ? blkid_partition_get_type_string(p) : NULL;
		char name[NAME_MAX + 1];

		if (!t || strcasecmp(t, ESP_TYPE))
			continue;
		if (part_name(disk, blkid_partition_get_partno(p), name) < 0) {
			log_line("umbilical: ESP: %s partition %d has no block device", disk,
			         blkid_partition_get_partno(p));
			continue;
		}
		if (!have && n == 0)
			snprintf(dev, NAME_MAX + 1, "%s", name);
		else
			log_line("umbilical: ESP: %s is an EFI System partition too", name);
		n++;
	}
	blkid_free_probe(pr);
	return n;
}

/* The one GPT partition of the EFI System type on the machine's disks, as
 * /sys/class/block names it. -ENOENT none, -EEXIST more than one (bay0
 * writes neither). */
static int esp_find(char dev[NAME_MAX + 1], char *err, size_t errlen)
{
	DIR *d = opendir("/sys/class/block");
	struct dirent *de;
	int found = 0;

	if (!d)
		return persona_refuse(err, errlen, errno, "/sys/class/block: %s", strerror(errno));
	while ((de = readdir(d))) {
		char path[300];
		struct stat st;

		if (de->d_name[0] == '.' || !strncmp(de->d_name, "loop", 4) ||
		    !strncmp(de->d_name, "dm-", 3))
			continue;
		snprintf(path, sizeof(path), "/sys/class/block/%s/partition", de->d_name);
		if (stat(path, &st) == 0)
			continue; /* a partition: its disk is probed */
		found += disk_esps(de->d_name, dev, found > 0);
	}
	closedir(d);
	if (found == 0)
		return persona_refuse(err, errlen, ENOENT, "no EFI System partition (GPT) found");
	if (found > 1)
		return persona_refuse(err, errlen, EEXIST,
		                      "%d EFI System partitions: bay0 writes none of them", found);
	return 0;
}

/* Mounts the ESP at ESP_MNT: read-only for the dry run, read-write for the
 * one real run. Never exec, never devices or set-id files. */
static int esp_mount(const char *dev, bool rw, char *err, size_t errlen)
{
	char node[300];
	unsigned long fl = MS_NODEV | MS_NOSUID | MS_NOEXEC | MS_NOATIME | (rw ? 0 : MS_RDONLY);
	int e;

	if (mkdir_exist_ok("/run/bay0", 0700) < 0 || mkdir_exist_ok(ESP_MNT, 0700) < 0)
		return persona_refuse(err, errlen, errno, "%s: %s", ESP_MNT, strerror(errno));
	e = blockdev_node(dev, node, sizeof(node), 0600);
	if (e < 0)
		return persona_refuse(err, errlen, -e, "%s: %s", dev, strerror(-e));
	if (mount(node, ESP_MNT, "vfat", fl, "umask=077,shortname=mixed,errors=remount-ro") < 0)
		return persona_refuse(err, errlen, errno, "mount %s (vfat%s): %s", node,
		                      rw ? ", read-write" : ", read-only", strerror(errno));
	log_line("umbilical: ESP %s mounted %s on %s", node, rw ? "read-write" : "read-only",
	         ESP_MNT);
	return 0;
}

static void esp_unmount(void)
{
	sync();
	for (int i = 0; i < 50; i++) {
		if (umount2(ESP_MNT, 0) == 0) {
			log_line("umbilical: ESP unmounted");
			return;
		}
		if (errno != EBUSY)
			break;
		usleep(100 * 1000);
	}
	log_err(-errno, "umbilical: unmount %s", ESP_MNT);
}

/* ---- spinectl ------------------------------------------------------------------- */

struct tool_out {
	char all[TOOL_OUT_MAX];
	size_t len;
	char line[512]; /* the line being read */
	size_t ll;
};

static void tool_line(struct tool_out *o)
{
	char e[sizeof(o->line) * UMB_ESCAPED_MAX + 1];

	/* spinectl's own "spinectl: " before its errors is said once. */
	size_t skip = o->ll >= 10 && !memcmp(o->line, "spinectl: ", 10) ? 10 : 0;

	umb_escape(o->line + skip, o->ll - skip, e, sizeof(e));
	log_line("spinectl: %s", e);
	if (o->len + o->ll + 2 < sizeof(o->all)) {
		memcpy(o->all + o->len, o->line, o->ll);
		o->len += o->ll;
		o->all[o->len++] = '\n';
		o->all[o->len] = 0;
	}
	o->ll = 0;
}

/* Runs spinectl with argv, every line it prints relayed to bay0's log as
 * it comes ("bay0: spinectl: ..."), the watchdog fed meanwhile. Returns its
 * exit status (256 + signal when killed), or -errno. */
static int spinectl_run(struct bay0 *b, char *const argv[], struct tool_out *o)
{
	char env[2][64];
	char *envp[] = {NULL, NULL, NULL};
	int p[2], st = 0;
	long long end = bay0_now_ms() + SPINECTL_TIMEOUT_MS;
	bool killed = false;
	pid_t pid;

	memset(o, 0, sizeof(*o));
#ifdef BAY0_TEST_BUILD
	{
		/* spine.conf's test-spine-update-stop-after (the power-cut test)
		 * and test-spine-update-fail-after (an update failing part way). */
		const struct {
			unsigned n;
			const char *var, *what;
		} hook[2] = {
		        {b->conf.test_update_stop_after, "SPINECTL_TEST_STOP_AFTER", "stops"},
		        {b->conf.test_update_fail_after, "SPINECTL_TEST_FAIL_AFTER", "fails"},
		};
		int ne = 0;

		for (int i = 0; i < 2; i++) {
			if (!hook[i].n)
				continue;
			snprintf(env[i], sizeof(env[i]), "%s=%u", hook[i].var, hook[i].n);
			envp[ne++] = env[i];
			log_line("umbilical: TEST: spinectl %s after ESP write %u", hook[i].what,
			         hook[i].n);
		}
	}
#else
	(void)env;
#endif
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid == 0) {
		sigset_t none;
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (nul < 0 || dup2(nul, 0) < 0 || dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0)
			_exit(127);
		execve(argv[0], argv, envp);
		dprintf(2, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0) {
		int e = -errno;
		close(p[0]);
		close(p[1]);
		return e;
	}
	close(p[1]);
	for (;;) {
		struct pollfd pf = {.fd = p[0], .events = POLLIN};
		char buf[1024];
		ssize_t n;

		if (bay0_now_ms() >= end) {
			kill(pid, SIGKILL);
			killed = true;
			break;
		}
		(void)watchdog_feed(b);
		if (poll(&pf, 1, 1000) <= 0)
			continue;
		n = read(p[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n' || o->ll == sizeof(o->line))
				tool_line(o);
			if (buf[i] != '\n')
				o->line[o->ll++] = buf[i];
		}
	}
	if (o->ll)
		tool_line(o);
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (killed)
		log_line("umbilical: spinectl ran over %d s: killed", SPINECTL_TIMEOUT_MS / 1000);
	if (killed || WIFSIGNALED(st))
		return 256 + (killed ? SIGKILL : WTERMSIG(st));
	return WEXITSTATUS(st);
}

/* spinectl update (dry: --dry-run) of the staged folder on the mounted
 * ESP. */
static int spinectl_update(struct bay0 *b, const char *folder, bool dry, struct tool_out *o)
{
	static char prog[] = SPINECTL, esp_opt[] = "--esp-path", esp[] = ESP_MNT,
	            vars_opt[] = "--efivars", vars[] = BAY0_EFIVARS, dry_opt[] = "--dry-run",
	            cmd[] = "update";
	char path[128];
	char *argv[9];
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s/%s", BAY0_PERSIST, UMB_STAGE, folder);
	argv[n++] = prog;
	argv[n++] = esp_opt;
	argv[n++] = esp;
	argv[n++] = vars_opt;
	argv[n++] = vars;
	if (dry)
		argv[n++] = dry_opt;
	argv[n++] = cmd;
	argv[n++] = path;
	argv[n] = NULL;
	return spinectl_run(b, argv, o);
}

/* ---- the request ---------------------------------------------------------------- */

static int stage_root(void)
{
	return open(BAY0_PERSIST "/" UMB_STAGE, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static int src_root(const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "%s/%s", BAY0_PERSIST, name);
	return open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static void copy_feed(void *arg, uint64_t copied)
{
	struct bay0 *b = arg;

	(void)copied;
	if (bay0_now_ms() - b->wd.last_fed_ms >= 1000)
		(void)watchdog_feed(b);
}

/* Copies outbox/<folder>/<each slot file> into /persist/transfer/<stage>/,
 * each under the Umbilical's rules (umb_stage_in) and the loader's cap.
 * *size: the bytes staged; sig: SHA512.sig's SHA-512. */
static int stage_slot(struct bay0 *b, const char *source, const char *folder, const char *stage,
                      uint64_t *size, uint8_t sig[SV_SHA512_LEN], char *err, size_t errlen)
{
	int sroot = src_root(source), troot = stage_root(), sdir = -1, e = 0;

	*size = 0;
	if (sroot < 0 || troot < 0) {
		e = persona_refuse(err, errlen, errno, "%s: %s",
		                   sroot < 0 ? source : "/persist/transfer", strerror(errno));
		goto out;
	}
	if (mkdirat(troot, stage, 0700) < 0) {
		e = persona_refuse(err, errlen, errno, "staging %s: %s", stage, strerror(errno));
		goto out;
	}
	sdir = openat(troot, stage, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sdir < 0) {
		e = persona_refuse(err, errlen, errno, "staging %s: %s", stage, strerror(errno));
		goto out_rm;
	}
	for (size_t i = 0; i < NSLOT_FILES; i++) {
		struct umb_copy_hooks hooks = {.after_chunk = copy_feed, .arg = b};
		struct umb_caps caps = {slot_caps[i], 0};
		struct umb_staged st;
		char ferr[256];

		e = umb_stage_in(sroot, folder, slot_files[i], sdir, slot_files[i], &caps, &hooks,
		                 &st, ferr, sizeof(ferr));
		if (e) {
			persona_refuse(err, errlen, -e, "%s: %s", slot_files[i], ferr);
			goto out_rm;
		}
		*size += st.size;
		if (i == NSLOT_FILES - 1)
			memcpy(sig, st.sha512, SV_SHA512_LEN);
		close(st.fd);
	}
	goto out;
out_rm:
	umb_remove_folder(troot, stage);
out:
	if (sdir >= 0)
		close(sdir);
	if (sroot >= 0)
		close(sroot);
	if (troot >= 0)
		close(troot);
	return e;
}

static void discard(const char *stage)
{
	int t = stage_root();

	if (t >= 0) {
		umb_remove_folder(t, stage);
		close(t);
	}
}

int umbs_request(struct bay0 *b, struct running *r, unsigned long long id, const char *folder,
                 char *err, size_t errlen)
{
	struct umb_spine_summary sum;
	static struct tool_out tool;
	struct tool_out *o = &tool;
	uint8_t sig[SV_SHA512_LEN];
	uint64_t size;
	char stage[32], dev[NAME_MAX + 1];
	int e, rc;

	snprintf(stage, sizeof(stage), "spine-%llu", id);
	e = stage_slot(b, r->p.pp.name, folder, stage, &size, sig, err, errlen);
	if (e)
		return e;
	e = esp_find(dev, err, errlen);
	if (!e)
		e = esp_mount(dev, false, err, errlen);
	if (e) {
		discard(stage);
		return e;
	}
	rc = spinectl_update(b, stage, true, o);
	esp_unmount();
	e = rc == 0 ? umb_spine_summary_parse(o->all, &sum, err, errlen) : 0;
	if (rc != 0)
		e = persona_refuse(err, errlen, EPERM,
		                   "spinectl refused it (exit %d): nothing was written to the ESP",
		                   rc);
	else if (!e && sum.already)
		e = persona_refuse(err, errlen, EEXIST, "slot a holds this slot already");
	if (e) {
		discard(stage);
		return e;
	}
	b->umb.spine = true;
	b->umb.sum = sum;
	snprintf(b->umb.esp_dev, sizeof(b->umb.esp_dev), "%s", dev);
	snprintf(b->umb.stage, sizeof(b->umb.stage), "%s", stage);
	{
		char lines[UMB_PROMPT_LINES][UMB_RELAY_MAX + 1];
		struct umb_spine_prompt_info pi = {.id = id,
		                                   .source = r->p.pp.name,
		                                   .folder = folder,
		                                   .sum = &b->umb.sum,
		                                   .size = size,
		                                   .timeout_s = b->conf.umb_timeout_s};
		size_t nl;

		memcpy(pi.sig_sha512, sig, sizeof(sig));
		nl = umb_spine_prompt_text(&pi, lines);
		umbr_draw_prompt(b, lines, nl);
	}
	return 0;
}

void umbs_decide(struct bay0 *b, struct running *s, enum umb_decision d, const char *how)
{
	static struct tool_out tool;
	char err[256] = "", ename[UMB_NAME_MAX * UMB_ESCAPED_MAX + 1];
	int rc;

	b->umb.spine = false;
	umb_escape(b->umb.name, strlen(b->umb.name), ename, sizeof(ename));
	if (d != UMB_ACCEPTED) {
		discard(b->umb.stage);
		log_line("umbilical: request %llu: %s (%s): the ESP is not written; '%s' from %s "
		         "dropped",
		         b->umb.id, umb_decision_str(d), how, ename, s->p.pp.name);
		umbr_tty(b,
		         d == UMB_TIMED_OUT ? "umbilical: timed out: denied" : "umbilical: denied");
		umbr_reply(s, umb_decision_str(d), "");
		return;
	}
	log_line("umbilical: request %llu: accepted (%s): Spine update '%s' from %s, version %u",
	         b->umb.id, how, ename, s->p.pp.name, (unsigned)b->umb.sum.version);
	if (esp_mount(b->umb.esp_dev, true, err, sizeof(err)) != 0) {
		discard(b->umb.stage);
		log_line("umbilical: request %llu: not written: %s", b->umb.id, err);
		umbr_reply(s, "refused: ", err);
		return;
	}
	rc = spinectl_update(b, b->umb.stage, false, &tool);
	esp_unmount();
	discard(b->umb.stage);
	if (rc != 0) {
		snprintf(err, sizeof(err), "spinectl update failed (exit %d)", rc);
		log_line("umbilical: request %llu: %s; the loader still boots a good slot (docs/"
		         "install.md, \"A power cut during update\")",
		         b->umb.id, err);
		umbr_tty(b, "umbilical: the update failed; the ESP still boots a good slot");
		umbr_reply(s, "refused: ", err);
		return;
	}
	log_line("umbilical: request %llu: Spine version %u written to slot a: reboot to boot it",
	         b->umb.id, (unsigned)b->umb.sum.version);
	umbr_tty(b, "umbilical: the Spine update is on the ESP: reboot to start it");
	umbr_reply(s, "updated ", b->umb.name);
}
