/*
 * spine-pcr: the PCR 12 (SHA-256 bank) value spineboot leaves when it boots a
 * slot folder, for a machine whose PCR 12 starts at 32 zero bytes.
 *
 *   spine-pcr [-l] SLOTDIR a|b
 *
 * Prints the value as 64 lower-case hex digits, as Linux shows it in
 * /sys/class/tpm/tpm0/pcr-sha256/12. -l first prints the events, one a line:
 * "<pcr> <type> <sha256 of the hashed data> <event text>".
 *
 * The events come from efi/policy.c's spine_events(), the same function the
 * loader measures with; docs/boot.md ("Measurements") writes them out. The
 * tool checks what the loader would check of the two files it reads (sizes,
 * the list's names, slot.conf's hash and syntax) but not the signature: it
 * needs no key. Exit status: 0 printed, 1 the slot would be refused, 2 usage.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

static void die(int code, const char *what, const char *detail)
{
	fprintf(stderr, "spine-pcr: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	exit(code);
}

/* Reads dir/name whole; more than cap bytes is an error, as in the loader. */
static uint8_t *slurp(const char *dir, const char *name, size_t cap, size_t *len)
{
	char path[4096];
	uint8_t *buf;
	size_t n;
	FILE *f;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		die(2, "path too long", dir);
	f = fopen(path, "rb");
	if (!f)
		die(1, path, strerror(errno));
	buf = malloc(cap + 1);
	if (!buf)
		die(1, "out of memory", NULL);
	n = fread(buf, 1, cap + 1, f);
	if (ferror(f))
		die(1, path, "read error");
	fclose(f);
	if (n > cap)
		die(1, path, "too large");
	*len = n;
	return buf;
}

static void sha256(const void *p, size_t n, uint8_t out[32])
{
	unsigned int len = 0;

	if (!EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) || len != 32)
		die(1, "SHA-256 failed", NULL);
}

static void hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

int main(int argc, char **argv)
{
	uint8_t digests[SPINE_NFILES][SV_SHA512_LEN], d[SV_SHA512_LEN], pcr[32] = {0};
	struct spine_event ev[SPINE_NEVENTS];
	struct spine_event_buf evb;
	struct spine_conf conf;
	enum spine_file which;
	size_t siglen, conflen, body;
	sv_result sr = SV_OK;
	bool list = false;
	sv_sig sig;
	int i = 1;

	if (argc > 1 && strcmp(argv[1], "-l") == 0) {
		list = true;
		i++;
	}
	if (argc - i != 2 || (strcmp(argv[i + 1], "a") != 0 && strcmp(argv[i + 1], "b") != 0)) {
		fprintf(stderr, "usage: spine-pcr [-l] SLOTDIR a|b\n");
		return 2;
	}
	const char *dir = argv[i];
	const char slot = argv[i + 1][0];

	uint8_t *sigf = slurp(dir, "SHA512.sig", SPINE_CAP_SIG, &siglen);
	uint8_t *conff = slurp(dir, "slot.conf", SPINE_CAP_CONF, &conflen);

	if ((sr = sv_sig_parse(sigf, siglen, &sig, &body)) != SV_OK)
		die(1, "SHA512.sig", sv_result_str(sr));
	switch (spine_manifest_parse(sigf + body, siglen - body, digests, &sr, &which)) {
	case SPINE_MF_OK:
		break;
	case SPINE_MF_LIST:
		die(1, "SHA512.sig", sv_result_str(sr));
		break;
	case SPINE_MF_UNKNOWN:
		die(1, "SHA512.sig", "lists a file the loader does not use");
		break;
	case SPINE_MF_MISSING:
		die(1, "SHA512.sig: does not list", spine_file_name(which));
		break;
	}
	spine_sha512(conff, conflen, d);
	if (memcmp(d, digests[SPINE_F_CONF], sizeof(d)) != 0)
		die(1, "slot.conf", "hash mismatch");
	spine_conf_result cr = spine_conf_parse(conff, conflen, &conf);
	if (cr != SPINE_CONF_OK)
		die(1, "slot.conf", spine_conf_result_str(cr));

	spine_events(&evb, slot, sigf, siglen, conf.version, ev);
	for (int k = 0; k < SPINE_NEVENTS; k++) {
		uint8_t cat[64];

		/* PCR_new = SHA-256(PCR_old || SHA-256(hashed data)) */
		sha256(ev[k].data, ev[k].len, cat + 32);
		memcpy(cat, pcr, 32);
		if (list) {
			printf("%d 0x%08x ", SPINE_PCR, SPINE_EV_IPL);
			hex(cat + 32, 32);
			printf(" %s\n", ev[k].desc);
		}
		sha256(cat, sizeof(cat), pcr);
	}
	hex(pcr, sizeof(pcr));
	printf("\n");
	free(sigf);
	free(conff);
	return 0;
}
