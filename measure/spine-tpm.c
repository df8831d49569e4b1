/*
 * spine-tpm: the Spine's one-shot TPM program, over tpm2-tss's SAPI, MU and
 * TCTI layers (no OpenSSL). docs/measure.md has the PCRs, the strings and
 * why this is a separate, dynamically linked program and not part of bay0.
 *
 *   spine-tpm [-T TCTI] replay [LOG]
 *       replays the firmware log (default
 *       /sys/kernel/security/tpm0/binary_bios_measurements) in every active
 *       bank and compares with the TPM: prints one line, "matches" or the
 *       first PCR and bank that differ. Exit 0 matches, 3 differs.
 *   spine-tpm [-T TCTI] extend PCR STRING
 *       extends PCR with H(STRING) (no NUL) in every active bank, then
 *       prints what the TPM then holds, as "read" does: the caller logs
 *       the TPM's own values, not ones it computed.
 *   spine-tpm [-T TCTI] read PCR
 *       prints "BANK PCR HEX" for every active bank.
 *
 * TCTI is a tctildr string; default "device:/dev/tpmrm0", then
 * "device:/dev/tpm0"; with neither device, "spine-tpm: no TPM ..." and exit
 * 4. Any other failure: one line on stderr, exit 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tss2/tss2_sys.h>
#include <tss2/tss2_tctildr.h>

#include "tcglog.h"
#include "tcgreplay.h"

#define FW_LOG "/sys/kernel/security/tpm0/binary_bios_measurements"
#define MAX_LOG (16u << 20)

static TSS2_SYS_CONTEXT *sys;
static TPML_PCR_SELECTION active; /* the banks with any PCR allocated */

static int die(const char *what, TSS2_RC rc)
{
	fprintf(stderr, "spine-tpm: %s: TSS2_RC 0x%08x\n", what, rc);
	exit(1);
}

static void open_tpm(const char *conf)
{
	TSS2_TCTI_CONTEXT *tcti = NULL;
	TSS2_RC rc;
	/* The library logs each failed step on stderr; our one line says it. */
	setenv("TSS2_LOG", "all+NONE", 0);
	if (!conf && access("/dev/tpmrm0", F_OK) && access("/dev/tpm0", F_OK)) {
		fprintf(stderr, "spine-tpm: no TPM (no /dev/tpmrm0 or /dev/tpm0)\n");
		exit(4);
	}
	if (conf)
		rc = Tss2_TctiLdr_Initialize(conf, &tcti);
	else if ((rc = Tss2_TctiLdr_Initialize("device:/dev/tpmrm0", &tcti)) != TSS2_RC_SUCCESS)
		rc = Tss2_TctiLdr_Initialize("device:/dev/tpm0", &tcti);
	if (rc != TSS2_RC_SUCCESS)
		die(conf ? conf : "no /dev/tpmrm0 or /dev/tpm0", rc);
	size_t size = Tss2_Sys_GetContextSize(0);
	sys = calloc(1, size);
	if (!sys)
		die("out of memory", 0);
	TSS2_ABI_VERSION abi = TSS2_ABI_VERSION_CURRENT;
	if ((rc = Tss2_Sys_Initialize(sys, size, tcti, &abi)) != TSS2_RC_SUCCESS)
		die("Tss2_Sys_Initialize", rc);
	/* Firmware has started the TPM; a bare simulator has not. */
	rc = Tss2_Sys_Startup(sys, TPM2_SU_CLEAR);
	if (rc != TSS2_RC_SUCCESS && rc != TPM2_RC_INITIALIZE)
		die("TPM2_Startup", rc);

	TPMI_YES_NO more;
	TPMS_CAPABILITY_DATA cap;
	if ((rc = Tss2_Sys_GetCapability(sys, NULL, TPM2_CAP_PCRS, 0, 1, &more, &cap, NULL)))
		die("TPM2_GetCapability(PCRS)", rc);
	memset(&active, 0, sizeof(active));
	for (UINT32 i = 0; i < cap.data.assignedPCR.count; i++) {
		const TPMS_PCR_SELECTION *s = &cap.data.assignedPCR.pcrSelections[i];
		int any = 0;
		for (unsigned k = 0; k < s->sizeofSelect; k++)
			any |= s->pcrSelect[k];
		if (any && tcglog_alg_size(s->hash))
			active.pcrSelections[active.count++].hash = s->hash;
	}
}

/* One PCR of one bank; returns its size. */
static unsigned read_pcr(TPMI_ALG_HASH alg, unsigned pcr, uint8_t *out)
{
	TPML_PCR_SELECTION in = {.count = 1}, sel;
	TPML_DIGEST vals;
	UINT32 counter;
	in.pcrSelections[0].hash = alg;
	in.pcrSelections[0].sizeofSelect = 3;
	in.pcrSelections[0].pcrSelect[pcr / 8] = (uint8_t)(1u << (pcr % 8));
	TSS2_RC rc = Tss2_Sys_PCR_Read(sys, NULL, &in, &counter, &sel, &vals, NULL);
	if (rc)
		die("TPM2_PCR_Read", rc);
	if (vals.count != 1 || vals.digests[0].size != tcglog_alg_size(alg))
		die("TPM2_PCR_Read returned no value", 0);
	memcpy(out, vals.digests[0].buffer, vals.digests[0].size);
	return vals.digests[0].size;
}

static int cmd_read(unsigned pcr)
{
	for (UINT32 b = 0; b < active.count; b++) {
		uint8_t v[TCG_MAX_DIGEST];
		TPMI_ALG_HASH alg = active.pcrSelections[b].hash;
		unsigned n = read_pcr(alg, pcr, v);
		printf("%s %u ", tcglog_alg_name(alg), pcr);
		for (unsigned k = 0; k < n; k++)
			printf("%02X", v[k]);
		putchar('\n');
	}
	return 0;
}

static int cmd_extend(unsigned pcr, const char *s)
{
	TPML_DIGEST_VALUES d = {.count = active.count};
	for (UINT32 b = 0; b < active.count; b++) {
		d.digests[b].hashAlg = active.pcrSelections[b].hash;
		tcg_hash(d.digests[b].hashAlg, s, strlen(s), (uint8_t *)&d.digests[b].digest);
	}
	/* An empty password session: PCRs 0-15 need no authorization value. */
	TSS2L_SYS_AUTH_COMMAND auth = {.count = 1};
	auth.auths[0].sessionHandle = TPM2_RH_PW;
	TSS2L_SYS_AUTH_RESPONSE rsp;
	TSS2_RC rc = Tss2_Sys_PCR_Extend(sys, pcr, &auth, &d, &rsp);
	if (rc)
		die("TPM2_PCR_Extend", rc);
	return cmd_read(pcr);
}

static int cmd_replay(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "spine-tpm: %s: %s\n", path, strerror(errno));
		return 1;
	}
	uint8_t *buf = malloc(MAX_LOG + 1);
	size_t len = buf ? fread(buf, 1, MAX_LOG + 1, f) : 0;
	fclose(f);
	if (!buf || len > MAX_LOG) {
		fprintf(stderr, "spine-tpm: %s: unreadable or over 16 MiB\n", path);
		return 1;
	}
	struct tcglog log;
	struct tcg_pcrs p;
	if (tcglog_open(&log, buf, len) || tcg_replay(&log, &p)) {
		fprintf(stderr, "spine-tpm: %s: offset %zu: %s\n", path, log.err_offset, log.err);
		return 1;
	}
	unsigned banks = 0;
	for (UINT32 b = 0; b < active.count; b++) {
		TPMI_ALG_HASH alg = active.pcrSelections[b].hash;
		const struct tcg_bank *bank = tcg_bank_of(&p, alg);
		if (!bank) {
			printf("spine-tpm: firmware log: no %s bank in the log\n",
			       tcglog_alg_name(alg));
			return 3;
		}
		/* The firmware's PCRs always; any other only if the log
		 * extends it (the run-time PCR and IMA's are not in it). */
		for (unsigned i = 0; i < TCGLOG_NPCR; i++) {
			if (i > 7 && !(bank->extended & (1u << i)))
				continue;
			uint8_t v[TCG_MAX_DIGEST];
			read_pcr(alg, i, v);
			if (memcmp(v, bank->pcr[i], bank->size) != 0) {
				printf("spine-tpm: firmware log: PCR %u differs in %s\n", i,
				       tcglog_alg_name(alg));
				return 3;
			}
		}
		banks++;
	}
	printf("spine-tpm: firmware log matches the PCRs in %u banks (%u events)\n", banks,
	       log.nevents);
	free(buf);
	return 0;
}

static unsigned pcr_arg(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || v > 23) {
		fprintf(stderr, "spine-tpm: bad PCR '%s' (0-23)\n", s);
		exit(1);
	}
	return (unsigned)v;
}

int main(int argc, char **argv)
{
	const char *conf = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "T:")) != -1) {
		if (opt != 'T')
			goto usage;
		conf = optarg;
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		goto usage;
	if (strcmp(argv[0], "replay") == 0 && argc <= 2) {
		open_tpm(conf);
		return cmd_replay(argc == 2 ? argv[1] : FW_LOG);
	}
	if (strcmp(argv[0], "extend") == 0 && argc == 3) {
		unsigned pcr = pcr_arg(argv[1]);
		open_tpm(conf);
		return cmd_extend(pcr, argv[2]);
	}
	if (strcmp(argv[0], "read") == 0 && argc == 2) {
		unsigned pcr = pcr_arg(argv[1]);
		open_tpm(conf);
		return cmd_read(pcr);
	}
usage:
	fprintf(stderr, "usage: spine-tpm [-T TCTI] replay [LOG] | extend PCR STRING | read PCR\n");
	return 2;
}
