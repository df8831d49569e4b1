/*
 * spine-tcglog [-e] LOG: reads a TCG firmware event log (the bytes of
 * /sys/kernel/security/tpm0/binary_bios_measurements) and prints, for every
 * bank and every PCR the log extends, "BANK PCR HEX" (the format of
 * tests/data/tcglog/swtpm-ovmf.pcrs); -e first prints each record as
 * "event OFFSET PCR TYPE DATASIZE". Exit 1 with one line naming the file,
 * the offset and what is wrong. docs/measure.md.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcglog.h"
#include "tcgreplay.h"

/* The largest log we read; real ones are tens of KiB. */
#define MAX_LOG (16u << 20)

int main(int argc, char **argv)
{
	int events = 0, opt;
	while ((opt = getopt(argc, argv, "e")) != -1) {
		if (opt != 'e')
			goto usage;
		events = 1;
	}
	if (optind + 1 != argc)
		goto usage;
	const char *path = argv[optind];
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "spine-tcglog: %s: %s\n", path, strerror(errno));
		return 1;
	}
	uint8_t *buf = malloc(MAX_LOG + 1);
	size_t len = buf ? fread(buf, 1, MAX_LOG + 1, f) : 0;
	int bad = !buf || ferror(f);
	fclose(f);
	if (bad || len > MAX_LOG) {
		fprintf(stderr, "spine-tcglog: %s: %s\n", path,
		        bad ? "cannot read" : "larger than 16 MiB");
		return 1;
	}

	struct tcglog log;
	struct tcglog_event ev;
	struct tcg_pcrs p;
	int r = tcglog_open(&log, buf, len);
	if (r == 0 && events) {
		while ((r = tcglog_next(&log, &ev)) == 1)
			printf("event %zu %u 0x%08x %u\n", ev.offset, ev.pcr, ev.type,
			       ev.data_size);
		if (r == 0)
			r = tcglog_open(&log, buf, len);
	}
	if (r == 0)
		r = tcg_replay(&log, &p);
	if (r < 0) {
		fprintf(stderr, "spine-tcglog: %s: offset %zu: %s\n", path, log.err_offset,
		        log.err ? log.err : "unreadable");
		return 1;
	}
	for (unsigned b = 0; b < p.nbanks; b++) {
		const struct tcg_bank *bank = &p.banks[b];
		const char *name = tcglog_alg_name(bank->alg);
		if (!bank->supported) {
			printf("# bank 0x%04x: not computed (unknown algorithm)\n", bank->alg);
			continue;
		}
		for (unsigned i = 0; i < TCGLOG_NPCR; i++) {
			if (!(bank->extended & (1u << i)))
				continue;
			printf("%s %u ", name, i);
			for (unsigned k = 0; k < bank->size; k++)
				printf("%02X", bank->pcr[i][k]);
			putchar('\n');
		}
	}
	free(buf);
	return 0;
usage:
	fprintf(stderr, "usage: spine-tcglog [-e] LOG\n");
	return 2;
}
