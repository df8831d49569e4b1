/*
 * sv.h: the shared verification module's public interface.
 *
 * Freestanding C: this header and every file in verify/ include only
 * <stdint.h>, <stddef.h>, <stdbool.h> and each other. No allocation, no I/O,
 * no mutable globals; the caller owns every buffer. Every function that can
 * fail returns an sv_result and writes its outputs only on SV_OK.
 * Formats and the exact verification policy: docs/formats.md, docs/verify.md.
 */
#ifndef SV_H
#define SV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SV_WUR __attribute__((warn_unused_result))

typedef enum sv_result {
	SV_OK = 0,
	SV_E_MALFORMED,     /* does not parse: syntax, base64, length, comment line */
	SV_E_ALGORITHM,     /* pkalg is not "Ed", or a list line names another hash */
	SV_E_UNKNOWN_KEY,   /* the signature's key number matches no trusted key */
	SV_E_BAD_KEY,       /* public key non-canonical, off-curve or small order */
	SV_E_BAD_SIGNATURE, /* Ed25519 verification failed (S >= L, bad R, ...) */
	SV_E_HASH_MISMATCH, /* a file's SHA-512 differs from its list line */
	SV_E_NOT_LISTED,    /* a required name is absent from a checksum list */
	SV_E_DUPLICATE,     /* a name appears twice in a checksum list */
	SV_E_BAD_NAME,      /* a list name that is empty or has '/', '\\', "..",
	                       NUL, a control character or a space */
	SV_E_TOO_LARGE,     /* a length overflows or exceeds a fixed cap */
	SV_E_BUFFER,        /* the caller's output buffer is too small */
} sv_result;

/* A short lower-case English phrase for r ("bad signature"); never NULL. */
const char *sv_result_str(sv_result r);

/* Constant-time equality of two n-byte buffers. */
bool sv_ct_equal(const void *a, const void *b, size_t n);

/* ---- SHA-512 (FIPS 180-4), streaming ---------------------------------- */

#define SV_SHA512_LEN 64

struct sv_sha512 {
	uint64_t h[8];
	uint64_t bytes_lo; /* message length in bytes, 128-bit */
	uint64_t bytes_hi;
	uint8_t buf[128];
	size_t fill;
};

void sv_sha512_init(struct sv_sha512 *c);
void sv_sha512_update(struct sv_sha512 *c, const void *p, size_t n);
void sv_sha512_final(struct sv_sha512 *c, uint8_t out[SV_SHA512_LEN]);
void sv_sha512(const void *p, size_t n, uint8_t out[SV_SHA512_LEN]);

/* ---- Ed25519 verification (RFC 8032), strict ----------------------------
 * Rejects S >= L, a non-canonical or off-curve A, a small-order A, and any R
 * that is not the canonical encoding of [S]B - [k]A. Variable time: every
 * input is public. Returns SV_OK, SV_E_BAD_KEY or SV_E_BAD_SIGNATURE. */

SV_WUR sv_result sv_ed25519_check_pubkey(const uint8_t pub[32]);
SV_WUR sv_result sv_ed25519_verify(const uint8_t sig[64], const uint8_t pub[32], const uint8_t *msg,
                                   size_t len);

/* ---- Strict base64 (RFC 4648 section 4, padded, canonical) ------------- */

SV_WUR sv_result sv_base64_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap,
                                  size_t *outlen);

/* ---- signify key and signature files ------------------------------------
 * "untrusted comment: <text>\n" then one base64 line and "\n":
 *   public key: "Ed" || keynum[8] || key[32]
 *   signature:  "Ed" || keynum[8] || sig[64]
 * An embedded (-e) signature file is followed by the message itself. */

#define SV_KEYNUM_LEN 8
#define SV_COMMENT_MAX 1024 /* signify's COMMENTMAXLEN */

typedef struct sv_pubkey {
	uint8_t keynum[SV_KEYNUM_LEN];
	uint8_t key[32];
} sv_pubkey;

typedef struct sv_sig {
	uint8_t keynum[SV_KEYNUM_LEN];
	uint8_t sig[64];
} sv_sig;

SV_WUR sv_result sv_pubkey_parse(const uint8_t *file, size_t len, sv_pubkey *out);

/* Parses the two signature lines; *body_off is the offset just past them
 * (for an embedded signature, the message is file[*body_off, len)). */
SV_WUR sv_result sv_sig_parse(const uint8_t *file, size_t len, sv_sig *out, size_t *body_off);

/* Picks the key whose keynum equals sig->keynum (SV_E_UNKNOWN_KEY if none),
 * then verifies. */
SV_WUR sv_result sv_sig_verify(const sv_pubkey *keys, size_t nkeys, const sv_sig *sig,
                               const uint8_t *msg, size_t len);

SV_WUR sv_result sv_verify_detached(const sv_pubkey *keys, size_t nkeys, const uint8_t *sigfile,
                                    size_t siglen, const uint8_t *msg, size_t len);

/* On SV_OK the verified message is file[*msg_off, len). */
SV_WUR sv_result sv_verify_embedded(const sv_pubkey *keys, size_t nkeys, const uint8_t *file,
                                    size_t len, size_t *msg_off);

/* ---- signify checksum lists ---------------------------------------------
 * Lines "SHA512 (name) = <128 lower-case hex>\n", as signify -C checks them.
 * Names are plain (see SV_E_BAD_NAME). */

#define SV_NAME_MAX 255

typedef struct sv_sum {
	const char *name; /* points into the list; not NUL-terminated */
	size_t name_len;
	uint8_t digest[SV_SHA512_LEN];
} sv_sum;

typedef struct sv_sumlist {
	const uint8_t *p;
	size_t len;
	size_t off;
	size_t line; /* 1-based number of the line last read, for messages */
} sv_sumlist;

void sv_sumlist_init(sv_sumlist *it, const uint8_t *list, size_t len);

/* SV_OK with *done == false: *out holds the next entry.
 * SV_OK with *done == true: the list is exhausted. */
SV_WUR sv_result sv_sumlist_next(sv_sumlist *it, sv_sum *out, bool *done);

/* The whole list parses and no name appears twice. */
SV_WUR sv_result sv_sumlist_check(const uint8_t *list, size_t len);

/* The digest listed for name (SV_E_NOT_LISTED if absent). The list must
 * pass sv_sumlist_check. */
SV_WUR sv_result sv_sumlist_find(const uint8_t *list, size_t len, const char *name, size_t name_len,
                                 uint8_t digest[SV_SHA512_LEN]);

#endif
