/*
 * spine-tcglog: reads a TCG PC Client firmware event log
 * (/sys/kernel/security/tpm0/binary_bios_measurements, or a copy of it) with
 * measure/tcglog.c (docs/measure.md).
 *
 *   spine-tcglog LOG             one line per record: offset, PCR, type, digests
 *   spine-tcglog -r BANK LOG     the PCR values the log replays to in BANK
 *                                (sha1, sha256, sha384, sha512): "<pcr> <hex>"
 *   spine-tcglog -d LOG          the boot-services drivers the firmware loaded
 *                                (EV_EFI_BOOT_SERVICES_DRIVER: option ROMs),
 *                                "<pcr> <bank> <hex>" per digest
 *
 * Exit 0, or 2 with one line naming the file, the offset and what is wrong.
 * Host tool: hashes through OpenSSL's libcrypto.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcglog.h"

#define MAX_LOG (16u << 20)
#define EV_EFI_BOOT_SERVICES_DRIVER 0x80000004u

static const char *prog = "spine-tcglog";

static const EVP_MD *md_of(uint16_t alg)
{
	switch (alg) {
	case TCG_ALG_SHA1:
		return EVP_sha1();
	case TCG_ALG_SHA256:
		return EVP_sha256();
	case TCG_ALG_SHA384:
		return EVP_sha384();
	case TCG_ALG_SHA512:
		return EVP_sha512();
	}
	return NULL;
}

static int hash2(uint16_t alg, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                 uint8_t *out)
{
	const EVP_MD *md = md_of(alg);
	uint8_t tmp[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *c;
	unsigned n = 0;
	int ok;

	if (!md)
		return -1;
	c = EVP_MD_CTX_new();
	ok = c && EVP_DigestInit_ex(c, md, NULL) && EVP_DigestUpdate(c, a, alen) &&
	     EVP_DigestUpdate(c, b, blen) && EVP_DigestFinal_ex(c, tmp, &n);
	EVP_MD_CTX_free(c);
	if (!ok)
		return -1;
	memcpy(out, tmp, n);
	return 0;
}

static void hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static uint16_t bank_of(const char *name)
{
	static const uint16_t algs[] = {TCG_ALG_SHA1, TCG_ALG_SHA256, TCG_ALG_SHA384,
	                                TCG_ALG_SHA512};

	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (!strcmp(name, tcglog_alg_name(algs[i])))
			return algs[i];
	return 0;
}

static int bad(const char *path, const struct tcglog *log)
{
	fprintf(stderr, "%s: %s: offset %zu: %s\n", prog, path, log->err_offset, log->err);
	return 2;
}

int main(int argc, char **argv)
{
	static uint8_t pcrs[TCGLOG_NPCR][TCG_MAX_DIGEST];
	struct tcglog log;
	struct tcglog_event ev;
	const char *path;
	char mode = 'l';
	uint16_t bank = 0;
	uint8_t *buf;
	size_t len;
	FILE *f;
	int r;

	if (argc == 4 && !strcmp(argv[1], "-r")) {
		mode = 'r';
		bank = bank_of(argv[2]);
		if (!bank) {
			fprintf(stderr, "%s: unknown bank '%s' (sha1, sha256, sha384, sha512)\n",
			        prog, argv[2]);
			return 2;
		}
		path = argv[3];
	} else if (argc == 3 && !strcmp(argv[1], "-d")) {
		mode = 'd';
		path = argv[2];
	} else if (argc == 2 && argv[1][0] != '-') {
		path = argv[1];
	} else {
		fprintf(stderr, "usage: %s [-r BANK | -d] LOG\n", prog);
		return 2;
	}
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return 2;
	}
	buf = malloc(MAX_LOG + 1);
	len = buf ? fread(buf, 1, MAX_LOG + 1, f) : 0;
	if (!buf || ferror(f) || len > MAX_LOG) {
		fprintf(stderr, "%s: %s: %s\n", prog, path,
		        !buf        ? "out of memory"
		        : ferror(f) ? "read error"
		                    : "too large");
		fclose(f);
		free(buf);
		return 2;
	}
	fclose(f);
	if (tcglog_open(&log, buf, len)) {
		r = bad(path, &log);
		free(buf);
		return r;
	}
	if (mode == 'r') {
		uint32_t mask = 0;

		if (tcglog_replay(&log, bank, hash2, pcrs, &mask)) {
			r = bad(path, &log);
			free(buf);
			return r;
		}
		for (int i = 0; i < TCGLOG_NPCR; i++) {
			if (!(mask & 1u << i))
				continue;
			printf("%d ", i);
			hex(pcrs[i], tcglog_alg_size(bank));
			putchar('\n');
		}
		free(buf);
		return 0;
	}
	while ((r = tcglog_next(&log, &ev)) == 1) {
		if (mode == 'd' && ev.type != EV_EFI_BOOT_SERVICES_DRIVER)
			continue;
		if (mode == 'l')
			printf("%zu %u 0x%08x", ev.offset, ev.pcr, ev.type);
		for (uint32_t i = 0; i < ev.ndigests; i++) {
			const char *name = tcglog_alg_name(ev.digests[i].alg);

			if (mode == 'd')
				printf("%u ", ev.pcr);
			else
				putchar(' ');
			if (name)
				printf("%s:", name);
			else
				printf("0x%04x:", ev.digests[i].alg);
			hex(ev.digests[i].bytes, ev.digests[i].size);
			if (mode == 'd')
				putchar('\n');
		}
		if (mode == 'l')
			printf(" data %u\n", ev.data_size);
	}
	if (r < 0) {
		r = bad(path, &log);
		free(buf);
		return r;
	}
	if (mode == 'l' && log.locality >= 0)
		printf("startup-locality %d\n", log.locality);
	free(buf);
	return 0;
}
