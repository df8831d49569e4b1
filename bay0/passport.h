/*
 * passport.h: a persona's passport, parsed and verified.
 *
 * The passport is a signify-signed text file (embedded signature, `signify -S
 * -e`), one directive a line. Format and limits: docs/passport.md. Parsing is
 * pure (no I/O, no allocation) so the unit tests and the fuzzer reach all of
 * it; passport_load() adds the read-once-then-verify step.
 *
 * Every function returns 0 or -errno and writes a one-line reason into err
 * (NUL-terminated, truncated to errlen) when it refuses.
 */
#ifndef BAY0_PASSPORT_H
#define BAY0_PASSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sv.h"

#define PASSPORT_NAME_MAX 31    /* [a-z][a-z0-9-]*, also the hostname and cgroup name */
#define PASSPORT_IMAGE_MAX 127  /* plain file name in the inventory */
#define PASSPORT_ARGC_MAX 16    /* entry and its arguments */
#define PASSPORT_ARG_MAX 255    /* bytes per argument */
#define PASSPORT_FILE_MAX 16384 /* whole signed file, signature lines included */
#define PASSPORT_CPUS_MAX 64    /* cores 0..63 fit a uint64_t mask */

/* Device nodes a passport may grant. Fixed allow-list; nothing else exists
 * in a persona's /dev (no block devices, no kmsg, no mem, no watchdog). */
enum passport_dev {
	PASSPORT_DEV_NULL = 1u << 0,    /* 1:3 */
	PASSPORT_DEV_ZERO = 1u << 1,    /* 1:5 */
	PASSPORT_DEV_FULL = 1u << 2,    /* 1:7 */
	PASSPORT_DEV_RANDOM = 1u << 3,  /* 1:8 */
	PASSPORT_DEV_URANDOM = 1u << 4, /* 1:9 */
	PASSPORT_DEV_TTY = 1u << 5,     /* 5:0; useless without a ctty, harmless */
};

enum passport_net {
	PASSPORT_NET_NONE = 0, /* own network namespace, loopback only */
	PASSPORT_NET_DEVICE,   /* the same, plus one Ethernet device (docs/network.md) */
};

/* A network device name as the kernel takes it: 1-15 bytes (IFNAMSIZ - 1). */
#define PASSPORT_NETDEV_MAX 15

/* dm-verity form of the image (docs/passport.md, "Verity images"): what the
 * kernel's verity table is built from, every value pinned by the signature. */
#define PASSPORT_VERITY_BLOCK 4096u           /* data and hash block size, the only one */
#define PASSPORT_VERITY_ROOT_LEN 32           /* sha256 */
#define PASSPORT_VERITY_SALT_MAX 256          /* bytes, veritysetup's limit */
#define PASSPORT_VERITY_SIZE_MAX (1ull << 40) /* 1 TiB image file */

enum passport_image_form {
	PASSPORT_IMAGE_SHA512 = 0, /* image <file> <sha512>: read whole into a sealed memfd */
	PASSPORT_IMAGE_VERITY,     /* verity ...: erofs || hash tree, checked block by block */
};

struct passport_verity {
	uint64_t size;        /* exact byte size of the image file */
	uint64_t data_blocks; /* 4096-byte blocks of erofs: the dm device's size */
	uint64_t hash_offset; /* bytes; == data_blocks * 4096 (tree right after the data) */
	uint32_t data_block_size, hash_block_size; /* PASSPORT_VERITY_BLOCK */
	size_t salt_len;                           /* 0: no salt ("-") */
	uint8_t salt[PASSPORT_VERITY_SALT_MAX];
	uint8_t root[PASSPORT_VERITY_ROOT_LEN];
};

/* Bytes of a dm-verity hash tree (format 1, no superblock, sha256 in 4096-byte
 * blocks: 128 hashes a block) over data_blocks blocks, as the kernel and
 * veritysetup lay it out. */
uint64_t passport_verity_tree_bytes(uint64_t data_blocks);

enum passport_persist {
	PASSPORT_PERSIST_NONE = 0, /* /persist is an empty read-only directory */
	PASSPORT_PERSIST_RW,       /* /persist/<name>: rw, nodev, nosuid, noexec */
	PASSPORT_PERSIST_RW_EXEC,  /* the same without noexec (explicit right) */
};

/* The Umbilical (docs/umbilical.md): may the persona pull files from
 * others, offer its own, both, or neither. Bits. */
enum passport_umbilical {
	PASSPORT_UMB_NONE = 0,
	PASSPORT_UMB_PULL = 1u << 0,
	PASSPORT_UMB_OFFER = 1u << 1,
	PASSPORT_UMB_BOTH = PASSPORT_UMB_PULL | PASSPORT_UMB_OFFER,
};

struct passport {
	char name[PASSPORT_NAME_MAX + 1];
	char image[PASSPORT_IMAGE_MAX + 1];
	enum passport_image_form form; /* which of image / verity the passport names */
	/* PASSPORT_IMAGE_SHA512: the image's SHA-512. PASSPORT_IMAGE_VERITY: all
	 * zero (the passport's own SHA-512 pins the root hash). */
	uint8_t image_sha512[SV_SHA512_LEN];
	struct passport_verity verity; /* PASSPORT_IMAGE_VERITY only */
	/* passport_load only: SHA-512 of the file's bytes as read and
	 * verified, the persona's identity in PCR 11 (docs/measure.md). */
	uint8_t file_sha512[SV_SHA512_LEN];
	/* entry: argv[0] is an absolute path inside the image. Stored inline so
	 * a struct passport can be copied; passport_argv() builds the pointers. */
	unsigned argc;
	char argv[PASSPORT_ARGC_MAX][PASSPORT_ARG_MAX + 1];
	uint64_t cpus;       /* bit n = core n; never bit 0 (core 0 is bay0's) */
	uint64_t cpu_quota;  /* cpu.max quota in us; 0 = "max" */
	uint64_t cpu_period; /* cpu.max period in us */
	uint64_t memory_max; /* bytes; memory.swap.max is always 0 */
	uint64_t pids_max;   /* >= 1 */
	uint64_t lifetime_s; /* 0 = until the entry exits */
	uint32_t devices;    /* enum passport_dev bits */
	enum passport_net net;
	char net_device[PASSPORT_NETDEV_MAX + 1]; /* PASSPORT_NET_DEVICE: its name, else "" */
	enum passport_persist persist;
	uint32_t uid, gid; /* host ids, unprivileged; derived from name if absent */
	enum passport_umbilical umbilical;
};

/* Writes the printf-style message into err (NUL-terminated, truncated to
 * errlen; nothing when err is NULL) and returns -e: how the passport and
 * persona code refuse. */
__attribute__((format(printf, 4, 5))) int persona_refuse(char *err, size_t errlen, int e,
                                                         const char *fmt, ...);

/* Parses the (already verified) passport text. Strict: unknown or duplicate
 * directive, missing required directive, overflow, bad name, core 0, a byte
 * outside printable ASCII, a missing final newline: refused. */
int passport_parse(const char *text, size_t len, struct passport *out, char *err, size_t errlen);

/* Reads path (relative to dirfd; O_NOFOLLOW) once into memory, verifies the
 * embedded signify signature against keys, then parses the signed body. */
int passport_load(int dirfd, const char *path, const sv_pubkey *keys, size_t nkeys,
                  struct passport *out, char *err, size_t errlen);

/* A passport is kept as "<name>.passport", name being the persona it signs
 * for: true when file (a base name) is that. bay0 refuses any other, so a
 * valid passport copied over another persona's file on an unsigned
 * inventory starts nobody (docs/passport.md, "File names"). */
bool passport_file_matches(const char *file, const char *name);

/* Verifies a whole signed passport held in memory (what passport_load does
 * after reading). */
int passport_verify_parse(const uint8_t *file, size_t len, const sv_pubkey *keys, size_t nkeys,
                          struct passport *out, char *err, size_t errlen);

/* Fills argv[0..argc] (argv[argc] = NULL) with pointers into pp. */
void passport_argv(const struct passport *pp, char *argv[PASSPORT_ARGC_MAX + 1]);

/* The uid used when a passport names none: PASSPORT_UID_BASE + a hash of the
 * name in [0, PASSPORT_UID_SPAN). bay0 refuses two personas with one uid. */
#define PASSPORT_UID_BASE 100000u
#define PASSPORT_UID_SPAN 65536u
uint32_t passport_derived_id(const char *name);

/* The device name ("null") for one enum passport_dev bit, or NULL. */
const char *passport_dev_name(uint32_t bit);

#endif
