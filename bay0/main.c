/*
 * bay0: PID 1 of the Alpine Spine (docs/bay0.md).
 *
 * main() is the boot sequence, one step a line. Each step logs its outcome
 * as a "bay0: " console line. A step that fails leaves the Spine in a state
 * nobody vouched for, so it ends in power_fatal(): a logged reboot (or
 * poweroff, per spine.conf). bay0 never returns from main(): when PID 1
 * exits, the kernel panics.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bay0.h"
#include "log.h"
#include "slot.h"
#include "util.h"

/* PROC_PID_INIT_INO (include/linux/proc_ns.h): the inode number of the
 * initial PID namespace, fixed since Linux 3.8. */
#define PID_NS_INIT_INO 0xEFFFFFFCu

#ifdef BAY0_TEST_BUILD
#define TEST_BUILD true
#else
#define TEST_BUILD false
#endif

long long bay0_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void refuse_unless_pid1(void)
{
	if (getpid() == 1)
		return;
	log_line("refusing to run: not PID 1 (pid %d)", (int)getpid());
	exit(1);
}

static bool in_nested_pid_ns(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 && st.st_ino != PID_NS_INIT_INO;
}

static void read_config(struct bay0 *b)
{
	char *text, err[128];
	size_t len;
	unsigned line;
	int r;

	r = read_file_alloc(BAY0_CONF_PATH, CONF_MAX_FILE, &text, &len);
	if (r)
		power_fatal(b, BAY0_CONF_PATH ": %s", strerror(-r));
	r = conf_parse(text, len, b->test_build, &b->conf, &line, err, sizeof(err));
	free(text);
	if (r)
		power_fatal(b, BAY0_CONF_PATH ":%u: %s", line, err);
	log_line("config: %zu modules, %zu personas, watchdog %us, persist '%s', inventory '%s', "
	         "on-fatal %s",
	         b->conf.nmodules, b->conf.npersonas, b->conf.watchdog_sec,
	         b->conf.persist_label[0] ? b->conf.persist_label : "off",
	         b->conf.inventory_label[0] ? b->conf.inventory_label : "off",
	         b->conf.on_fatal == CONF_POWEROFF ? "poweroff" : "reboot");
}

static void mount_persist(struct bay0 *b)
{
	int r;

	if (!b->conf.persist_label[0]) {
		log_line("persist: off (spine.conf)");
		return;
	}
	r = persist_mount(b);
	if (r && b->conf.persist_required)
		power_fatal(b, "persist: %s", strerror(-r));
	if (r)
		log_err(r, "persist: not mounted (optional)");
	else
		b->env.persist_root = BAY0_PERSIST;
}

/* Not found or not mountable: logged, and the personas spine.conf names
 * there are refused at start like any passport that cannot be read. */
static void mount_inventory(struct bay0 *b)
{
	if (b->conf.inventory_label[0])
		(void)inventory_mount(b);
}

static void open_watchdog(struct bay0 *b)
{
	int r = watchdog_open(b);

	if (r && b->conf.watchdog_required)
		power_fatal(b, "watchdog: %s", strerror(-r));
	if (r)
		log_err(r, "watchdog: not armed (optional)");
}

/* Core 0 is bay0's: personas' cpusets never include it, so a persona that
 * spins cannot starve PID 1 (and with it the watchdog's keepalive). */
static void pin_core0(struct bay0 *b)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		power_fatal(b, "pin to core 0: %s", strerror(errno));
	log_line("pinned to core 0");
}

static void setup_env(struct bay0 *b)
{
	b->env.cgroup_root = BAY0_CGROUP;
	b->env.cgroup_v2 = b->cgroup_v2;
	b->env.stage_dir = BAY0_STAGE_DIR;
	b->env.stdio[0] = b->env.stdio[1] = b->env.stdio[2] = -1;
	/* The Spine exists to contain personas: without cgroup v2 limits it
	 * must not start them. A nested namespace on a v1 host may. */
	if (!b->cgroup_v2 && !b->contained)
		power_fatal(b, "cgroup v2 controllers cpu cpuset memory pids missing");
}

/* docs/measure.md: the firmware log's replay, then the phase barrier.
 * Once a TPM has answered, no persona runs unless "spine:personas" is in
 * PCR 11: a secret sealed to the boot-time PCR 11 stays out of reach. */
static void measure_boot(struct bay0 *b)
{
	char err[512];

	measure_init(&b->tpm, MEASURE_TOOL, MEASURE_LOG);
	if (b->conf.tpm == CONF_TPM_OFF) {
		log_line("tpm: off (spine.conf): nothing is measured at run time");
		return;
	}
	if (b->contained) {
		log_line("tpm: skipped (contained): nothing is measured at run time");
		return;
	}
	/* The firmware log (securityfs) and the TPM's nodes, when the kernel
	 * found one. No node: spine-tpm says there is no TPM. */
	if (mount("securityfs", "/sys/kernel/security", "securityfs",
	          MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 &&
	    errno != EBUSY)
		log_err(-errno, "tpm: mount securityfs");
	(void)dev_node_from_sys("/sys/class/tpmrm/tpmrm0/dev", "/dev/tpmrm0", 0600);
	(void)dev_node_from_sys("/sys/class/tpm/tpm0/dev", "/dev/tpm0", 0600);
	enum measure_replay r = measure_replay(&b->tpm);
	if (r == MEASURE_NO_TPM) {
		if (b->conf.tpm == CONF_TPM_REQUIRED)
			power_fatal(b, "tpm required (spine.conf) and none answers");
		return;
	}
	if (r != MEASURE_MATCH && b->conf.tpm_eventlog_strict)
		power_fatal(b, "tpm: the firmware log does not replay to the PCRs "
		               "(tpm-eventlog strict)");
	int e = measure_open_log(&b->tpm);
	if (e)
		log_err(e, "tpm: %s", MEASURE_LOG);
	if (measure_extend(&b->tpm, "spine:personas", err, sizeof(err)))
		power_fatal(b, "tpm: phase barrier not in PCR 11 (%s): no persona may run", err);
	b->tpm.barrier = true;
}

static void step(struct bay0 *b, int r, const char *what)
{
	if (r)
		power_fatal(b, "%s: %s", what, strerror(-r));
}

int main(void)
{
	static struct bay0 b = {.wd.fd = -1,
	                        .wd.timer_fd = -1,
	                        .epfd = -1,
	                        .sig_fd = -1,
	                        .umb.tty_fd = -1,
	                        .umb.timer_fd = -1};

	refuse_unless_pid1();
	b.start_ms = bay0_now_ms();
	b.test_build = TEST_BUILD;
	umask(022);
	/* Signals first: from here on every signal bay0 handles waits in the
	 * signalfd, and a fatal path can wait for SIGCHLD. */
	step(&b, loop_setup(&b), "block signals, event loop setup");
	step(&b, mount_enter_root(), "enter the Spine root");
	step(&b, mount_pseudo(&b), "mount proc, sys, cgroup2, dev, run");
	step(&b, dev_populate(), "populate /dev");
	log_attach_console();
	b.contained = in_nested_pid_ns();
	log_line("starting: %s, %s build",
	         b.contained ? "contained (nested PID namespace)" : "machine",
	         b.test_build ? "TEST" : "release");
	read_config(&b);
	step(&b, power_cad_off(&b), "ctrl-alt-del off");
	step(&b, modules_load(&b), "load modules");
	step(&b, dev_add_loops(), "loop device nodes");
	step(&b, dev_add_mapper(), "device-mapper control node");
	step(&b, harden_sysctls(&b, "/proc/sys"), "harden sysctls");
	step(&b, mount_seal_root(), "make the root read-only");
	log_line("root read-only");
	mount_persist(&b);
	mount_inventory(&b);
	open_watchdog(&b);
	pin_core0(&b);
	step(&b, keys_load(&b), "load the trusted persona keys");
	setup_env(&b);
	measure_boot(&b);
	step(&b, umbr_setup(&b), "umbilical console");
	step(&b, health_start(&b, (size_t)loop_start_personas(&b)), "slot health timer");
	log_line("ready");
	loop_run(&b);
}
