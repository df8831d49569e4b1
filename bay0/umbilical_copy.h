/*
 * umbilical_copy.h: the Umbilical's copy (docs/umbilical.md, "The copy").
 *
 * Two steps, so the person at bay0's console confirms the very bytes that
 * will arrive: umb_stage() copies the source persona's outbox file into
 * bay0's staging folder (/persist/transfer) and hashes it on the way;
 * after an accept, umb_deliver() links that staged copy into the
 * receiver's inbox as a new file it owns. A crash at any moment leaves
 * either nothing in the inbox or the whole file; umb_sweep() removes what
 * a crash left in the staging folder.
 *
 * Each returns 0 or -errno, with one line naming the refusal in err.
 */
#ifndef BAY0_UMBILICAL_COPY_H
#define BAY0_UMBILICAL_COPY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sv.h"
#include "umbilical.h"

struct umb_caps {
	uint64_t max_bytes; /* one file */
	unsigned max_files; /* entries in one receiver's inbox */
};

struct umb_staged {
	int fd; /* the staged copy, read-write; -1 when none */
	char stage_name[64];
	uint64_t size;
	uint8_t sha512[SV_SHA512_LEN];
};

/* The moments of a transfer a power-cut test stops at (bay0's test-only
 * spine.conf `test-umbilical-stall`, bay0/umb_stall.c): half the bytes
 * written to the staging file; the whole copy fsynced, before it is read
 * back; given to the receiver, before it is linked; linked into the inbox,
 * before the staged name is removed. */
enum umb_point { UMB_AT_MID_COPY, UMB_AT_STAGED, UMB_AT_OWNED, UMB_AT_LINKED, UMB_POINTS };
typedef void umb_at_fn(void *arg, enum umb_point p);

/* Called during the copy; any member may be NULL. after_chunk: after each
 * chunk copied (bay0 feeds the watchdog there; the host test swaps or
 * changes the source there). at: at each enum umb_point (TESTS ONLY: the
 * power-cut test stalls there; NULL in a release bay0). */
struct umb_copy_hooks {
	void (*after_chunk)(void *arg, uint64_t copied);
	umb_at_fn *at;
	void *arg;
};

/* Opens path under root with openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS
 * | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV: no absolute path, no "..",
 * no symbolic link and no mount point anywhere on the way. Returns the fd
 * or -errno. */
int umb_open_beneath(int root, const char *path, int flags, mode_t mode);

/* Copies <src_root>/outbox/<name> (a regular file with one link, at most
 * caps->max_bytes) to <stage_dir>/<stage_name> (created, 0600), hashing
 * it while copying; fsyncs the copy and the folder, then reads the copy
 * back and checks its hash. A source changed or swapped during the copy
 * is refused. On success *out holds the open copy; on failure nothing is
 * left in stage_dir. */
int umb_stage(int src_root, const char *name, int stage_dir, const char *stage_name,
              const struct umb_caps *caps, const struct umb_copy_hooks *hooks,
              struct umb_staged *out, char *err, size_t errlen);

/* The same for <src_root>/outbox/<sub>/<name> (sub passes the name rule
 * too): a file of a Spine update's folder. */
int umb_stage_in(int src_root, const char *sub, const char *name, int stage_dir,
                 const char *stage_name, const struct umb_caps *caps,
                 const struct umb_copy_hooks *hooks, struct umb_staged *out, char *err,
                 size_t errlen);

/* Removes the staged folder name in stage_dir and what is in it. */
int umb_remove_folder(int stage_dir, const char *name);

/* Checks the staged copy's hash once more, gives it to uid:gid as mode
 * 0600, fsyncs it, links it as <dst_root>/inbox/<name> (never replacing a
 * file; inbox is made, owned by uid:gid, if missing), fsyncs the inbox,
 * then removes the staged name. Refused when the inbox already holds
 * caps->max_files entries. The staged copy is discarded either way.
 * hooks (may be NULL): only its `at` is called. */
int umb_deliver(struct umb_staged *st, int stage_dir, int dst_root, const char *name, uid_t uid,
                gid_t gid, const struct umb_caps *caps, const struct umb_copy_hooks *hooks,
                char *err, size_t errlen);

/* Drops a staged copy (a denied or timed-out transfer). */
void umb_discard(struct umb_staged *st, int stage_dir);

/* Removes every entry in stage_dir (start-up: what a crash left), a staged
 * Spine update's folder with what is in it. Returns how many, or -errno. */
int umb_sweep(int stage_dir);

#endif
