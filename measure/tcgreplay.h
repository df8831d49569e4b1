/*
 * tcgreplay.h: PCR arithmetic for every bank (SHA-1, SHA-256, SHA-384,
 * SHA-512, through Nettle, which Debian ships as a static library), and the
 * replay of a firmware event log (tcglog.h) into per-bank PCR values.
 * Rules: docs/measure.md, "Replay".
 */
#ifndef MEASURE_TCGREPLAY_H
#define MEASURE_TCGREPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "tcglog.h"

struct tcg_bank {
	uint16_t alg;
	uint16_t size;
	int supported;     /* 0: an algorithm we cannot hash (its values are not computed) */
	uint32_t extended; /* bit n: the log extends PCR n in this bank */
	uint8_t pcr[TCGLOG_NPCR][TCG_MAX_DIGEST];
};

struct tcg_pcrs {
	unsigned nbanks;
	struct tcg_bank banks[TCGLOG_MAX_BANKS];
	int locality; /* -1: none */
};

/* H(data) in bank alg; returns the digest size, 0 if the algorithm is not
 * one of the four. */
unsigned tcg_hash(uint16_t alg, const void *data, size_t n, uint8_t *out);
/* pcr = H(pcr || digest), both alg-sized; 0 or -EINVAL for an unknown alg. */
int tcg_extend(uint16_t alg, uint8_t *pcr, const uint8_t *digest);

/* Replays the log: every bank the log declares starts at zero (PCR 0 at
 * the StartupLocality byte in its last octet), and every record that is
 * not EV_NO_ACTION extends its PCR with its own digest for that bank.
 * 0, or -EINVAL with log->err set (parse errors; a PCR over 23; a record
 * that lacks a digest for a declared bank; StartupLocality after PCR 0 was
 * extended). */
int tcg_replay(struct tcglog *log, struct tcg_pcrs *out);

/* The bank of alg in p, NULL if the log has none. */
const struct tcg_bank *tcg_bank_of(const struct tcg_pcrs *p, uint16_t alg);

#endif
