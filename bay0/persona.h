/*
 * persona.h: verify, launch and purge one persona.
 *
 * The PID 1 part (bay0/main.c and its event loop) owns lifetimes: it loads a
 * passport and image, calls persona_launch(), watches p->pidfd (readable when
 * the entry exits) and its lifetime timer, and calls persona_purge() when the
 * entry exits, the lifetime ends or a limit trips. Containment law and the
 * test for each mechanism: docs/containment.md.
 *
 * Every function returns 0 or -errno and writes a one-line reason into err.
 */
#ifndef BAY0_PERSONA_H
#define BAY0_PERSONA_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "passport.h"
#include "persona_net.h"
#include "persona_verity.h"

struct persona_env {
	/* cgroup v2 mount ("/sys/fs/cgroup"). When cgroup_v2 is false no
	 * cgroup is made and no limit applies: host tests only, never the
	 * Spine (the build host has a cgroup v1 hybrid). */
	const char *cgroup_root;
	bool cgroup_v2;
	/* Host tests only, never set by bay0: place the persona in its cgroup
	 * (CLONE_INTO_CGROUP, cgroup namespace, cgroup.kill on purge) but write
	 * no controller or limit file, for a cgroup2 mount whose controllers
	 * are all held by the host's cgroup v1 hierarchies. */
	bool cgroup_limits_off;
	/* "/persist": holds <name>/ per persona, made and chowned on launch.
	 * NULL: no persist available; a passport asking for it is refused. */
	const char *persist_root;
	/* An existing directory on the Spine, bay0's alone (0700), where the
	 * first launch mounts the verified image, read-only, nodev, nosuid, at
	 * <stage_dir>/<name> ("/run/bay0/images"). Each launch's child then
	 * builds the persona's root on its own private copy of that mount;
	 * persona_release() unmounts it. */
	const char *stage_dir;
	/* fds the entry gets as 0, 1, 2 (console, a log pipe); -1 = /dev/null
	 * opened from the host before the root changes. */
	int stdio[3];
};

enum persona_state {
	PERSONA_IDLE = 0, /* verified, not running */
	PERSONA_RUNNING,  /* entry exec'd: pid, pidfd valid */
	PERSONA_PURGED,   /* killed, reaped, cgroup removed */
};

struct persona {
	struct passport pp;
	/* sealed memfd holding the verified image; for a verity passport the
	 * inventory file itself, O_RDONLY, its size checked (-1: none) */
	int image_fd;
	unsigned fs_type; /* PERSONA_FS_EROFS or PERSONA_FS_SQUASHFS, from magic */
	enum persona_state state;
	pid_t pid;     /* host pid of the entry (PID 1 of its namespace) */
	int pidfd;     /* CLONE_PIDFD; readable when the entry exits */
	int cgroup_fd; /* <root>/personas/<name>, O_DIRECTORY; -1 without v2 */
	int loop_fd;   /* /dev/loopN bound to image_fd, autoclear */
	int loop_nr;
	char image_mnt[600]; /* <stage_dir>/<name> while mounted, else "" */
	/* verity passports: the dm device while it exists, else "" */
	char dm_name[VERITY_DM_NAME_MAX];
	char dm_node[VERITY_DM_NAME_MAX + 16]; /* /dev/mapper/<dm_name>, bay0's only */
	dev_t dm_dev;
	char dm_table[VERITY_TABLE_MAX]; /* its live table, as the kernel reports it */
	/* persona_release: what the verity teardown did (for bay0's log), or "" */
	char teardown[200];
	struct timespec started; /* CLOCK_MONOTONIC at exec of the entry */
	int exit_status;         /* wait status once reaped by purge, else -1 */
	struct persona_net net;  /* network device owned from launch to purge */
};

#define PERSONA_FS_EROFS 1u
#define PERSONA_FS_SQUASHFS 2u

/* A verity persona: 'C' once the kernel has refused a block of its image
 * (the reader got EIO), 'V' if not, 0 for a whole-file image, or -errno. */
int persona_verity_check(const struct persona *p);

/* Sets every fd to -1 and copies pp. */
void persona_init(struct persona *p, const struct passport *pp);

/* Reads inventory_dirfd/pp->image once into a sealed memfd (F_SEAL_WRITE,
 * SHRINK, GROW, SEAL), hashing as it copies, and compares with the passport's
 * SHA-512. On success p->image_fd holds those verified bytes; the loop device
 * is later bound to that memfd, never to the inventory file.
 * A verity passport: opens the file O_RDONLY and checks its size is the
 * pinned one; nothing of it is read (the kernel verifies each block as the
 * persona reads it, against the passport's root hash). */
int persona_image_load(struct persona *p, int inventory_dirfd, char *err, size_t errlen);

/* Launches the entry contained (clone3, namespaces, cgroup, mounts, ids,
 * caps, NNP, seccomp, exec). Returns 0 once the entry has been exec'd (the
 * child reports exec through a CLOEXEC pipe); on failure the child has been
 * reaped, everything made undone, and err names the failing step. */
int persona_launch(struct persona *p, const struct persona_env *env, char *err, size_t errlen);

/* Kills everything in the persona (cgroup.kill, freeze+kill before 5.14, and
 * SIGKILL to its PID 1, which takes the PID namespace with it), reaps the
 * entry if the caller has not (waitid on the pidfd; ECHILD means it was
 * reaped already), waits for the cgroup to empty and removes it; the mount
 * namespace with its tmpfs and its copy of the image dies with the last
 * process. why is for the caller's log line: purge itself prints nothing.
 * Any error here is a containment failure: the caller must treat it as
 * fatal (violation = halt: log and reboot). */
int persona_purge(struct persona *p, const struct persona_env *env, const char *why, char *err,
                  size_t errlen);

/* After purge, to forget the persona entirely: unmounts the image from
 * <stage_dir>/<name> and removes that directory, removes the verity device
 * if any, releases the loop device, closes image_fd. Until then a relaunch
 * reuses the mounted image. For a verity image, p->teardown then says what
 * was released, or which step failed. */
void persona_release(struct persona *p);

#endif
