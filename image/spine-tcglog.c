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
 * The replay is measure/tcgreplay.c's (Nettle), the one the Spine uses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcgreplay.h"

#define MAX_LOG (16u << 20)
#define EV_EFI_BOOT_SERVICES_DRIVER 0x80000004u

static const char *prog = "spine-tcglog";

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
	static struct tcg_pcrs pcrs;
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
		const struct tcg_bank *bk;

		if (tcg_replay(&log, &pcrs)) {
			r = bad(path, &log);
			free(buf);
			return r;
		}
		bk = tcg_bank_of(&pcrs, bank);
		if (!bk || !bk->supported) {
			fprintf(stderr, "%s: %s: no %s bank in the log\n", prog, path, argv[2]);
			free(buf);
			return 2;
		}
		for (int i = 0; i < TCGLOG_NPCR; i++) {
			if (!(bk->extended & 1u << i))
				continue;
			printf("%d ", i);
			hex(bk->pcr[i], bk->size);
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
