/*
 * bay0.h: the state PID 1 carries from step to step, and the steps.
 *
 * main.c calls the steps in order (docs/bay0.md, "Sequence"); each returns 0
 * or -errno and logs its own outcome. One struct bay0 lives for the life of
 * the machine; nothing else in bay0 is global.
 */
#ifndef BAY0_BAY0_H
#define BAY0_BAY0_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "bootvar.h"
#include "config.h"
#include "measure.h"
#include "persona.h"
#include "umbilical_copy.h"

#define BAY0_CONF_PATH "/etc/spine.conf"
#define BAY0_STAGE_DIR "/run/bay0/root"
#define BAY0_PERSONA_KEYS_MAX 4 /* old and new during a rotation, and room */
#define BAY0_PERSIST "/persist"
/* The inventory partition's mount point (spine.conf "inventory"). */
#define BAY0_INVENTORY_DISK "/inventory/disk"
#define BAY0_CGROUP "/sys/fs/cgroup"
#define BAY0_EFIVARS "/sys/firmware/efi/efivars"

/* A persona bay0 runs, with what the event loop needs around it. */
struct running {
	struct persona p;
	bool used;
	int life_fd; /* timerfd for the passport's lifetime, -1 if none */
	int log_fd;  /* read end of the entry's stdout/stderr pipe, -1 when closed */
	char log_buf[256];
	size_t log_len;
	/* cgroup v2 event files (memory.events, pids.events), -1 without v2,
	 * and the counters last seen there. */
	int ev_fd[2];
	int psi_fd; /* memory.pressure trigger, -1 without */
	unsigned long long ev_seen[2];
	bool verity_bad; /* its verity image was found corrupt (logged once) */
	/* The Umbilical (umbilical_run.c): bay0's end of the persona's own
	 * channel (-1 without a pull grant), its rate limit, and how many of
	 * its requests the limit refused since the last one it let through. */
	int chan_fd;
	struct umb_rate rate;
	unsigned long rate_refused;
};

struct watchdog {
	int fd;                /* -1: none */
	unsigned timeout;      /* seconds the device accepted */
	int timer_fd;          /* keepalive timerfd in the event loop */
	bool starved;          /* TEST BUILDS: feeding stopped on purpose */
	long long last_fed_ms; /* bay0_now_ms() of the last keepalive that took */
};

/* The Umbilical's console side (umbilical_run.c): the keyboard's VT, the
 * prompt's tick, and the one request at the console. */
struct umb_console {
	int tty_fd;   /* /dev/tty1, raw; -1: no keyboard, every request is denied */
	int timer_fd; /* ticks while a prompt is up */
	unsigned long long next_id;
	bool pending;
	unsigned long long id;
	size_t rslot, sslot; /* receiver, source in personas[] */
	char name[UMB_NAME_MAX + 1];
	struct umb_prompt prompt;
	struct umb_staged st;
	/* a Spine update at the console (umbilical_spine.c): the source is
	 * rslot = sslot; its files staged in /persist/transfer/<stage>/ */
	bool spine;
	char stage[32];
	char esp_dev[256]; /* its /sys/class/block name */
	struct umb_spine_summary sum;
};

/* The slot's probation (health.c): from the personas' start until the slot
 * is marked good, or the boot is judged unhealthy. */
struct health {
	int timer_fd;         /* -1 when not armed */
	bool judged;          /* marked good, skipped, or failed: nothing more to do */
	bool boot_read;       /* boot holds what the firmware's variables said */
	struct bootvars boot; /* how the firmware booted (bootvar.h) */
};

struct bay0 {
	struct spine_conf conf;
	/* Not the machine's init: PID 1 of a nested PID namespace (host
	 * tests). Machine-global steps (modules, sysctls, watchdog, EFI
	 * variables, ctrl-alt-del) are skipped with a log line; everything
	 * else runs as on the Spine. */
	bool contained;
	bool test_build;
	bool cgroup_v2; /* cgroup2 with memory, pids, cpu, cpuset */
	bool persist_mounted;
	bool inventory_mounted;
	bool shutting_down;
	char slot;          /* 'a', 'b', or 0 if unknown */
	long long start_ms; /* CLOCK_MONOTONIC: about ms since the kernel began */
	struct watchdog wd;
	struct health health;
	struct measure tpm; /* docs/measure.md */
	int epfd;
	int sig_fd;
	/* the persona keys, compiled in (bay0/bay0.mk: PERSONA_PUBS): the only
	 * keys a passport may be signed with; never the slot key */
	sv_pubkey keys[BAY0_PERSONA_KEYS_MAX];
	size_t nkeys;
	struct running personas[CONF_MAX_PERSONAS];
	struct persona_env env;
	struct umb_console umb;
};

/* mount.c */
int mount_enter_root(void);
int mount_pseudo(struct bay0 *b);
int mount_seal_root(void);
int mount_efivarfs(void);
/* dev.c */
int dev_populate(void);
int dev_node_from_sys(const char *sys_dev_file, const char *node, mode_t mode);
int dev_add_loops(void);
int dev_add_mapper(void);
/* modules.c */
int modules_load(const struct bay0 *b);
/* harden.c */
int harden_sysctls(const struct bay0 *b, const char *procsys);
/* persist.c */
int persist_mount(struct bay0 *b);
int persist_subtree(const char *name, unsigned uid, unsigned gid);
int persist_unmount(struct bay0 *b);
/* The one block device whose GPT name (by_label: ext4 label) is label:
 * its /sys/class/block name in dev; -ENOENT none, -EEXIST more than one. */
int blockdev_find(const char *label, bool by_label, char *dev, size_t cap);
/* Makes /dev/<dev> (written to node) from /sys/class/block/<dev>/dev. */
int blockdev_node(const char *dev, char *node, size_t cap, mode_t mode);

/* inventory.c */
int inventory_mount(struct bay0 *b);
void inventory_unmount(struct bay0 *b);
/* keys.c */
int keys_load(struct bay0 *b);
/* watchdog.c */
int watchdog_open(struct bay0 *b);
int watchdog_feed(struct bay0 *b);
/* umbilical_run.c */
int umbr_setup(struct bay0 *b);
int umbr_channel(struct bay0 *b, struct running *r, int *child_end);
void umbr_on_channel(struct bay0 *b, struct running *r);
void umbr_on_key(struct bay0 *b);
void umbr_on_timer(struct bay0 *b);
void umbr_persona_gone(struct bay0 *b, struct running *r);
/* For umbilical_spine.c: draw a prompt and start its wait; a line on tty1
 * alone; a reply to a persona. */
void umbr_draw_prompt(struct bay0 *b, char lines[][UMB_RELAY_MAX + 1], size_t n);
void umbr_tty(struct bay0 *b, const char *line);
void umbr_reply(struct running *r, const char *what, const char *detail);
/* umbilical_spine.c: a Spine update offered by r (docs/umbilical.md,
 * "Spine updates"): staged, dry-run and prompted (0), or refused (-errno,
 * err) with nothing left staged and the ESP unwritten. */
int umbs_request(struct bay0 *b, struct running *r, unsigned long long id, const char *folder,
                 char *err, size_t errlen);
void umbs_decide(struct bay0 *b, struct running *s, enum umb_decision d, const char *how);
/* umb_stall.c: the copy's `at` hook for spine.conf's test-umbilical-stall
 * (TEST BUILDS ONLY; NULL in a release bay0 or when the line is absent). */
umb_at_fn *umb_stall_hook(const struct bay0 *b);
/* main.c */
long long bay0_now_ms(void);
/* loop.c */
int loop_setup(struct bay0 *b);
int loop_start_personas(struct bay0 *b);
void loop_run(struct bay0 *b) __attribute__((noreturn));
void loop_purge_all(struct bay0 *b, const char *why);
/* health.c */
int health_start(struct bay0 *b, size_t started);
void health_deadline(struct bay0 *b);
void health_persona_gone(struct bay0 *b, const char *name, const char *why);
/* power.c */
void power_shutdown(struct bay0 *b, enum conf_power how, const char *why) __attribute__((noreturn));
void power_fatal(struct bay0 *b, const char *fmt, ...) __attribute__((noreturn))
__attribute__((format(printf, 2, 3)));
int power_cad_off(const struct bay0 *b);

#endif
