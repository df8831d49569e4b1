/*
 * esl.h: EFI_SIGNATURE_LIST reading and building (UEFI 2.x, 32.4.1), the
 * payload of the PK, KEK, db and dbx variables (docs/keys.md, "Formats").
 *
 * Pure: parses a caller's buffer, no I/O, no allocation. Every length is
 * checked against the buffer before it is read; on failure *why names what
 * is wrong in a few words and err_offset where.
 */
#ifndef SPINE_ESL_H
#define SPINE_ESL_H

#include <stddef.h>
#include <stdint.h>

#define ESL_HDR 28 /* SignatureType, ListSize, HeaderSize, SignatureSize */
#define ESL_OWNER 16

enum esl_type { ESL_X509, ESL_SHA256, ESL_X509_SHA256, ESL_OTHER };

extern const uint8_t esl_guid_x509[16];
extern const uint8_t esl_guid_sha256[16];
extern const uint8_t esl_guid_x509_sha256[16];

struct esl_entry {
	size_t list;   /* index of the list it is in */
	size_t offset; /* of the entry (its owner GUID) in the buffer */
	enum esl_type type;
	const uint8_t *type_guid; /* 16 bytes, into the buffer */
	const uint8_t *owner;     /* 16 bytes, into the buffer */
	const uint8_t *data;      /* after the owner */
	size_t size;              /* of data */
};

struct esl_iter {
	const uint8_t *buf;
	size_t len;
	size_t pos;      /* start of the current list */
	size_t in_list;  /* next entry's offset inside it, 0 before the first */
	size_t list;     /* index of the current list */
	const char *why; /* set when esl_next returns -1 */
	size_t err_offset;
};

void esl_begin(struct esl_iter *it, const uint8_t *buf, size_t len);

/* 1 and *e for the next entry, 0 at the clean end, -1 on malformed input
 * (it->why, it->err_offset). A list with no entries, a header not of its
 * type's size (X509: any size over 0, SHA-256: 32 bytes), a SignatureSize of
 * 16 or less, or a list size that is not the header plus whole entries is
 * malformed, as edk2's CheckSignatureListFormat would refuse it. */
int esl_next(struct esl_iter *it, struct esl_entry *e);

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (EFI_GUID byte order) into out[37]. */
void esl_guid_str(const uint8_t g[16], char out[37]);
/* The reverse; 0, or -1 on a malformed string. */
int esl_guid_parse(const char *s, uint8_t g[16]);

/* One EFI_CERT_SHA256 list of n digests owned by owner into out (cap
 * bytes): its size, or 0 when n is 0 or it does not fit. */
size_t esl_build_sha256(const uint8_t owner[16], const uint8_t (*digests)[32], size_t n,
                        uint8_t *out, size_t cap);

/* buf's lists minus every EFI_CERT_X509 entry whose data is exactly der
 * (dlen bytes) into out (cap bytes; len is always enough): every other list
 * header and entry byte for byte and in order, each ListSize made to fit, a
 * list left with no entries dropped. 0, *out_len and *dropped (the entries
 * left out); -1 on malformed input (*why, *err_offset, as esl_next) or when
 * cap is less than len (*why says so), out untouched: the whole input is
 * checked before a byte is written. */
int esl_without(const uint8_t *buf, size_t len, const uint8_t *der, size_t dlen, uint8_t *out,
                size_t cap, size_t *out_len, size_t *dropped, const char **why, size_t *err_offset);

#endif
