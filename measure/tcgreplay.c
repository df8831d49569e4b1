/*
 * tcgreplay.c: PCR arithmetic and log replay (tcgreplay.h, docs/measure.md).
 */
#include <errno.h>
#include <string.h>

#include <nettle/sha1.h>
#include <nettle/sha2.h>

#include "tcgreplay.h"

unsigned tcg_hash(uint16_t alg, const void *data, size_t n, uint8_t *out)
{
	switch (alg) {
	case TCG_ALG_SHA1: {
		struct sha1_ctx c;
		sha1_init(&c);
		sha1_update(&c, n, data);
		sha1_digest(&c, SHA1_DIGEST_SIZE, out);
		return SHA1_DIGEST_SIZE;
	}
	case TCG_ALG_SHA256: {
		struct sha256_ctx c;
		sha256_init(&c);
		sha256_update(&c, n, data);
		sha256_digest(&c, SHA256_DIGEST_SIZE, out);
		return SHA256_DIGEST_SIZE;
	}
	case TCG_ALG_SHA384: {
		struct sha384_ctx c;
		sha384_init(&c);
		sha384_update(&c, n, data);
		sha384_digest(&c, SHA384_DIGEST_SIZE, out);
		return SHA384_DIGEST_SIZE;
	}
	case TCG_ALG_SHA512: {
		struct sha512_ctx c;
		sha512_init(&c);
		sha512_update(&c, n, data);
		sha512_digest(&c, SHA512_DIGEST_SIZE, out);
		return SHA512_DIGEST_SIZE;
	}
	}
	return 0;
}

int tcg_extend(uint16_t alg, uint8_t *pcr, const uint8_t *digest)
{
	unsigned size = tcglog_alg_size(alg);
	uint8_t cat[2 * TCG_MAX_DIGEST];
	if (size == 0 || alg == TCG_ALG_SM3_256)
		return -EINVAL;
	memcpy(cat, pcr, size);
	memcpy(cat + size, digest, size);
	tcg_hash(alg, cat, 2 * size, pcr);
	return 0;
}

const struct tcg_bank *tcg_bank_of(const struct tcg_pcrs *p, uint16_t alg)
{
	for (unsigned i = 0; i < p->nbanks; i++)
		if (p->banks[i].alg == alg)
			return &p->banks[i];
	return NULL;
}

int tcg_replay(struct tcglog *log, struct tcg_pcrs *out)
{
	struct tcglog_event ev;
	int r;

	memset(out, 0, sizeof(*out));
	out->locality = -1;
	out->nbanks = log->nalgs;
	for (unsigned b = 0; b < log->nalgs; b++) {
		out->banks[b].alg = log->algs[b].alg;
		out->banks[b].size = log->algs[b].size;
		out->banks[b].supported =
		        tcg_hash(log->algs[b].alg, "", 0, out->banks[b].pcr[0]) != 0;
		memset(out->banks[b].pcr[0], 0, TCG_MAX_DIGEST);
	}
	while ((r = tcglog_next(log, &ev)) == 1) {
		if (ev.type == TCG_EV_NO_ACTION) {
			if (log->locality >= 0 && out->locality < 0) {
				/* It only sets PCR 0's reset value: after an extend it
				 * would be a lie about what the TPM started from. */
				for (unsigned b = 0; b < out->nbanks; b++) {
					if (out->banks[b].extended & 1u) {
						log->err =
						        "StartupLocality after PCR 0 was extended";
						log->err_offset = ev.offset;
						return -EINVAL;
					}
				}
				out->locality = log->locality;
				for (unsigned b = 0; b < out->nbanks; b++)
					out->banks[b].pcr[0][out->banks[b].size - 1] =
					        (uint8_t)log->locality;
			}
			continue;
		}
		if (ev.pcr >= TCGLOG_NPCR) {
			log->err = "record names a PCR over 23";
			log->err_offset = ev.offset;
			return -EINVAL;
		}
		for (unsigned b = 0; b < out->nbanks; b++) {
			struct tcg_bank *bank = &out->banks[b];
			const struct tcglog_digest *d = NULL;
			for (unsigned i = 0; i < ev.ndigests; i++)
				if (ev.digests[i].alg == bank->alg)
					d = &ev.digests[i];
			if (!d) {
				log->err = "record lacks a digest for a declared bank";
				log->err_offset = ev.offset;
				return -EINVAL;
			}
			bank->extended |= 1u << ev.pcr;
			if (bank->supported)
				tcg_extend(bank->alg, bank->pcr[ev.pcr], d->bytes);
		}
	}
	return r;
}
