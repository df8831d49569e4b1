/*
 * spine-pcr: the PCR values a Spine leaves, predicted on the host.
 *
 *   spine-pcr [-l] SLOTDIR a|b
 *   spine-pcr -p [-b BANKS] SLOTDIR a|b [PASSPORT...]
 *   spine-pcr -r LOG [-P DIR] [-b BANKS]
 *
 * The first form prints the PCR 12 (SHA-256 bank) value spineboot leaves
 * when it boots a slot folder, for a machine whose PCR 12 starts at 32 zero
 * bytes, as 64 lower-case hex digits, as Linux shows it in
 * /sys/class/tpm/tpm0/pcr-sha256/12. -l first prints the events, one a line:
 * "<pcr> <type> <sha256 of the hashed data> <event text>".
 *
 * -p prints "sha256 12 <HEX>" (the same value, upper case), then PCR 11 as
 * bay0 extends it (docs/measure.md, "Predicting PCR 11"): for spine:personas,
 * one spine:persona:... per PASSPORT in the order given, and spine:shutdown,
 * one line per bank "<bank> 11 <HEX> <STRING>", HEX the value after that
 * extend. -r prints the same lines for the events of bay0's run-time log
 * (measure/runlog.h); with -P every persona event's passport and image
 * SHA-512 must be those of DIR/<name>.passport. -b picks the banks and their
 * order (default sha1,sha256,sha384,sha512).
 *
 * The PCR 12 events come from efi/policy.c's spine_events(), the same
 * function the loader measures with; docs/boot.md ("Measurements") writes
 * them out. The tool checks what the loader would check of the two files it
 * reads (sizes, the list's names, slot.conf's hash and syntax) and what bay0
 * would check of a passport's body (passport_parse), but no signature: it
 * needs no key. Exit status: 0 printed, 1 the input would be refused, 2 usage.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "passport.h"
#include "policy.h"
#include "runlog.h"
#include "tcgreplay.h"

_Static_assert(RUNLOG_NAME_MAX == PASSPORT_NAME_MAX, "runlog.h and passport.h disagree on names");
_Static_assert(RUNLOG_SHA512_LEN == SV_SHA512_LEN, "SHA-512 sizes");

#define USAGE                                                                                      \
	"usage: spine-pcr [-l] SLOTDIR a|b\n"                                                      \
	"       spine-pcr -p [-b BANKS] SLOTDIR a|b [PASSPORT...]\n"                               \
	"       spine-pcr -r LOG [-P DIR] [-b BANKS]\n"

static void die(int code, const char *what, const char *detail)
{
	fprintf(stderr, "spine-pcr: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	exit(code);
}

static void usage(void)
{
	fputs(USAGE, stderr);
	exit(2);
}

/* Reads path whole into a new buffer; more than cap bytes is an error.
 * 0, or -1 with a reason in err. */
static int slurp_path(const char *path, size_t cap, uint8_t **out, size_t *len, char *err,
                      size_t errlen)
{
	uint8_t *buf;
	size_t n;
	FILE *f;

	f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(cap + 1);
	if (!buf)
		die(1, "out of memory", NULL);
	n = fread(buf, 1, cap + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	if (n > cap) {
		snprintf(err, errlen, "%s: larger than %zu bytes", path, cap);
		free(buf);
		return -1;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* Reads dir/name whole; more than cap bytes is an error, as in the loader. */
static uint8_t *slurp(const char *dir, const char *name, size_t cap, size_t *len)
{
	char path[4096], err[4200];
	uint8_t *buf;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		die(2, "path too long", dir);
	if (slurp_path(path, cap, &buf, len, err, sizeof(err)))
		die(1, err, NULL);
	return buf;
}

static void sha256(const void *p, size_t n, uint8_t out[32])
{
	if (tcg_hash(TCG_ALG_SHA256, p, n, out) != 32)
		die(1, "SHA-256 failed", NULL);
}

static void hex(const uint8_t *p, size_t n, int upper)
{
	for (size_t i = 0; i < n; i++)
		printf(upper ? "%02X" : "%02x", p[i]);
}

/* PCR 12 after spineboot booted slot letter slot from dir (docs/boot.md). */
static void pcr12(const char *dir, char slot, int list, uint8_t pcr[32])
{
	uint8_t digests[SPINE_NFILES][SV_SHA512_LEN], d[SV_SHA512_LEN];
	struct spine_event ev[SPINE_NEVENTS];
	struct spine_event_buf evb;
	struct spine_conf conf;
	enum spine_file which;
	size_t siglen, conflen, body;
	sv_result sr = SV_OK;
	sv_sig sig;

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

	memset(pcr, 0, 32);
	spine_events(&evb, slot, sigf, siglen, conf.version, ev);
	for (int k = 0; k < SPINE_NEVENTS; k++) {
		uint8_t cat[64];

		/* PCR_new = SHA-256(PCR_old || SHA-256(hashed data)) */
		sha256(ev[k].data, ev[k].len, cat + 32);
		memcpy(cat, pcr, 32);
		if (list) {
			printf("%d 0x%08x ", SPINE_PCR, SPINE_EV_IPL);
			hex(cat + 32, 32, 0);
			printf(" %s\n", ev[k].desc);
		}
		sha256(cat, sizeof(cat), pcr);
	}
	free(sigf);
	free(conff);
}

/* ---- PCR 11 ---------------------------------------------------------- */

static const uint16_t all_algs[] = {TCG_ALG_SHA1, TCG_ALG_SHA256, TCG_ALG_SHA384, TCG_ALG_SHA512};
#define NALGS (sizeof(all_algs) / sizeof(all_algs[0]))

struct banks {
	unsigned n;
	uint16_t alg[NALGS];
	uint8_t pcr[NALGS][TCG_MAX_DIGEST];
};

static void banks_parse(struct banks *b, const char *spec)
{
	const char *p = spec;

	memset(b, 0, sizeof(*b));
	if (!spec) {
		b->n = NALGS;
		memcpy(b->alg, all_algs, sizeof(all_algs));
		return;
	}
	for (;;) {
		size_t n = strcspn(p, ",");
		unsigned k;

		for (k = 0; k < NALGS; k++) {
			const char *name = tcglog_alg_name(all_algs[k]);
			if (strlen(name) == n && memcmp(name, p, n) == 0)
				break;
		}
		if (k == NALGS)
			die(2, "-b: not a bank (sha1, sha256, sha384, sha512)", spec);
		for (unsigned j = 0; j < b->n; j++)
			if (b->alg[j] == all_algs[k])
				die(2, "-b: a bank named twice", spec);
		b->alg[b->n++] = all_algs[k];
		if (!p[n])
			break;
		p += n + 1;
	}
}

/* Extends H(s) into PCR 11 of every bank and prints one line per bank. */
static void extend_print(struct banks *b, const char *s, size_t len)
{
	for (unsigned k = 0; k < b->n; k++) {
		uint8_t d[TCG_MAX_DIGEST];
		unsigned size = tcg_hash(b->alg[k], s, len, d);

		if (!size || tcg_extend(b->alg[k], b->pcr[k], d) != 0)
			die(1, "hash failed", tcglog_alg_name(b->alg[k]));
		printf("%s %d ", tcglog_alg_name(b->alg[k]), RUNLOG_PCR);
		hex(b->pcr[k], size, 1);
		printf(" %.*s\n", (int)len, s);
	}
}

struct pp_id {
	char name[PASSPORT_NAME_MAX + 1];
	uint8_t passport_sha512[SV_SHA512_LEN]; /* of the whole file */
	uint8_t image_sha512[SV_SHA512_LEN];    /* as its image line pins it */
};

/* What bay0 would extend for the passport at path: its name, the SHA-512 of
 * the whole file, the image's. The body must parse as bay0 parses it.
 * 0, or -1 with a reason (naming the file) in err. */
static int passport_id(const char *path, struct pp_id *id, char *err, size_t errlen)
{
	struct passport pp;
	char why[256];
	size_t len, body;
	uint8_t *file;
	sv_result sr;
	sv_sig sig;

	if (slurp_path(path, PASSPORT_FILE_MAX, &file, &len, err, errlen))
		return -1;
	if ((sr = sv_sig_parse(file, len, &sig, &body)) != SV_OK) {
		snprintf(err, errlen, "%s: %s", path, sv_result_str(sr));
		free(file);
		return -1;
	}
	if (passport_parse((const char *)file + body, len - body, &pp, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		free(file);
		return -1;
	}
	if (tcg_hash(TCG_ALG_SHA512, file, len, id->passport_sha512) != SV_SHA512_LEN)
		die(1, "SHA-512 failed", NULL);
	memcpy(id->name, pp.name, sizeof(id->name));
	memcpy(id->image_sha512, pp.image_sha512, sizeof(id->image_sha512));
	free(file);
	return 0;
}

static int predict(const char *dir, char slot, const char *bankspec, char **passports, int n)
{
	struct pp_id *ids = calloc(n ? (size_t)n : 1, sizeof(*ids));
	char err[4400], s[RUNLOG_STRING_MAX + 1];
	uint8_t pcr[32];
	struct banks b;

	if (!ids)
		die(1, "out of memory", NULL);
	banks_parse(&b, bankspec);
	/* Every input is checked before anything is printed. */
	pcr12(dir, slot, 0, pcr);
	for (int i = 0; i < n; i++)
		if (passport_id(passports[i], &ids[i], err, sizeof(err)))
			die(1, err, NULL);

	printf("sha256 12 ");
	hex(pcr, sizeof(pcr), 1);
	printf("\n");
	extend_print(&b, RUNLOG_S_PERSONAS, strlen(RUNLOG_S_PERSONAS));
	for (int i = 0; i < n; i++) {
		int len = runlog_persona_string(s, sizeof(s), ids[i].name, ids[i].passport_sha512,
		                                ids[i].image_sha512);
		if (len < 0)
			die(1, passports[i], "name unfit for the run-time log");
		extend_print(&b, s, (size_t)len);
	}
	extend_print(&b, RUNLOG_S_SHUTDOWN, strlen(RUNLOG_S_SHUTDOWN));
	free(ids);
	return 0;
}

static void __attribute__((noreturn, format(printf, 3, 4)))
log_die(const char *log, unsigned line, const char *fmt, ...)
{
	char msg[4400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		fprintf(stderr, "spine-pcr: %s:%u: %s\n", log, line, msg);
	else
		fprintf(stderr, "spine-pcr: %s: %s\n", log, msg);
	exit(1);
}

/* Checks one persona event against dir/<name>.passport. */
static void check_persona(const char *log, unsigned line, const struct runlog_event *ev,
                          const char *dir)
{
	char path[4096], err[4400];
	struct pp_id id;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s.passport", dir, ev->name) >= sizeof(path))
		log_die(log, line, "%s: path too long", dir);
	if (passport_id(path, &id, err, sizeof(err)))
		log_die(log, line, "%s", err);
	if (strcmp(id.name, ev->name) != 0)
		log_die(log, line, "%s names persona '%s', not '%s'", path, id.name, ev->name);
	if (memcmp(id.passport_sha512, ev->passport_sha512, SV_SHA512_LEN) != 0)
		log_die(log, line, "passport SHA-512 is not that of %s", path);
	if (memcmp(id.image_sha512, ev->image_sha512, SV_SHA512_LEN) != 0)
		log_die(log, line, "image SHA-512 is not the one %s pins", path);
}

static int replay(const char *log, const char *dir, const char *bankspec)
{
	struct runlog_event ev;
	struct runlog rl;
	struct banks b;
	char err[4400];
	uint8_t *buf;
	size_t len;
	int r;

	banks_parse(&b, bankspec);
	if (slurp_path(log, RUNLOG_SIZE_MAX, &buf, &len, err, sizeof(err)))
		die(1, err, NULL);
	/* Pass 1: the whole log is valid (and matches the passports) before
	 * any line is printed. */
	if (runlog_open(&rl, buf, len))
		log_die(log, 0, "%s", rl.err);
	while ((r = runlog_next(&rl, &ev)) == 1)
		if (dir && ev.kind == RUNLOG_PERSONA)
			check_persona(log, rl.line, &ev, dir);
	if (r < 0)
		log_die(log, rl.line, "%s", rl.err);
	/* Pass 2: print. */
	runlog_open(&rl, buf, len);
	while (runlog_next(&rl, &ev) == 1)
		extend_print(&b, ev.str, ev.len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	const char *logf = NULL, *dir = NULL, *bankspec = NULL;
	int list = 0, pmode = 0, opt;

	while ((opt = getopt(argc, argv, "+lpr:P:b:")) != -1) {
		switch (opt) {
		case 'l':
			list = 1;
			break;
		case 'p':
			pmode = 1;
			break;
		case 'r':
			logf = optarg;
			break;
		case 'P':
			dir = optarg;
			break;
		case 'b':
			bankspec = optarg;
			break;
		default:
			usage();
		}
	}
	int nargs = argc - optind;
	char **args = argv + optind;

	if (logf) {
		if (list || pmode || nargs != 0)
			usage();
		return replay(logf, dir, bankspec);
	}
	if (dir || nargs < 2 || (strcmp(args[1], "a") != 0 && strcmp(args[1], "b") != 0))
		usage();
	if (pmode) {
		if (list)
			usage();
		return predict(args[0], args[1][0], bankspec, args + 2, nargs - 2);
	}
	if (bankspec || nargs != 2)
		usage();

	uint8_t pcr[32];
	pcr12(args[0], args[1][0], list, pcr);
	hex(pcr, sizeof(pcr), 0);
	printf("\n");
	return 0;
}
