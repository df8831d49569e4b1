/*
 * tcglog.h: a reader for the TCG PC Client firmware event log (the bytes of
 * /sys/kernel/security/tpm0/binary_bios_measurements), both forms:
 *
 *   crypto-agile  a SHA-1-format TCG_PCR_EVENT whose data is the
 *                 "Spec ID Event03" structure (it lists the banks and their
 *                 digest sizes), then TCG_PCR_EVENT2 records;
 *   SHA-1 only    TCG_PCR_EVENT records throughout (TPM 1.2 style logs).
 *
 * Pure code: no I/O, no allocation, no libc beyond <string.h>; every
 * length is checked against the buffer before it is read, so a truncated or
 * hostile log ends in an error, never a read past it. The byte layouts and
 * the stricter-than-firmware rules are in docs/measure.md ("The firmware
 * log").
 */
#ifndef MEASURE_TCGLOG_H
#define MEASURE_TCGLOG_H

#include <stddef.h>
#include <stdint.h>

/* TPM_ALG_ID values of the banks we know the digest size of. */
#define TCG_ALG_SHA1 0x0004
#define TCG_ALG_SHA256 0x000B
#define TCG_ALG_SHA384 0x000C
#define TCG_ALG_SHA512 0x000D
#define TCG_ALG_SM3_256 0x0012

#define TCG_EV_NO_ACTION 0x00000003u
#define TCG_MAX_DIGEST 64
/* A PC Client TPM has at most five banks; more in a Spec ID event is an
 * error, not something to size a loop by. */
#define TCGLOG_MAX_BANKS 8
#define TCGLOG_NPCR 24

struct tcglog_digest {
	uint16_t alg;
	uint16_t size;
	const uint8_t *bytes; /* points into the log */
};

struct tcglog_event {
	size_t offset; /* of the record in the log */
	uint32_t pcr;
	uint32_t type;
	uint32_t ndigests;
	struct tcglog_digest digests[TCGLOG_MAX_BANKS];
	uint32_t data_size;
	const uint8_t *data; /* points into the log */
};

struct tcglog {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	int agile;      /* 1: TCG_PCR_EVENT2 records after the header */
	uint32_t nalgs; /* banks listed in the Spec ID event (1, SHA-1, if legacy) */
	struct {
		uint16_t alg;
		uint16_t size;
	} algs[TCGLOG_MAX_BANKS];
	int locality;      /* StartupLocality's byte, -1 if the log has none */
	unsigned nevents;  /* records returned so far, the header included */
	size_t err_offset; /* where the last error was found */
	const char *err;   /* what it was; NULL if none */
};

/* Reads the first record and decides the form. 0, or -EINVAL with log->err
 * and log->err_offset set (empty, truncated, bad Spec ID event). The buffer
 * must outlive the reader. */
int tcglog_open(struct tcglog *log, const void *buf, size_t len);

/* The next record, the header first. 1: *ev filled; 0: end of log (also
 * when only 0x00 or 0xFF padding remains, as in logs copied from the EFI
 * table); -EINVAL: log->err says what, at log->err_offset. An
 * EV_NO_ACTION "StartupLocality" record sets log->locality. */
int tcglog_next(struct tcglog *log, struct tcglog_event *ev);

/* The digest size of a known algorithm, 0 if unknown. */
unsigned tcglog_alg_size(uint16_t alg);
/* "sha1", "sha256", ... as in /sys/class/tpm/tpm0/pcr-<name>; NULL if unknown. */
const char *tcglog_alg_name(uint16_t alg);

#endif
