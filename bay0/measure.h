/*
 * measure.h: bay0's run-time measurements (docs/measure.md). bay0 does no
 * TPM work itself: it starts the Spine's one-shot spine-tpm, waits for it,
 * and logs what it printed. A TPM that answers makes every extend required:
 * a failed "spine:personas" stops the boot (the caller's power_fatal), a
 * failed persona extend refuses that persona.
 */
#ifndef BAY0_MEASURE_H
#define BAY0_MEASURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEASURE_TOOL "/lib/spine/spine-tpm"
#define MEASURE_LOG "/run/bay0/measure.log"
#define MEASURE_PCR 11
/* "spine:persona:" name ":" 128 hex ":" 128 hex, and the NUL. */
#define MEASURE_STRING_MAX (14 + 31 + 1 + 128 + 1 + 128 + 1)

struct measure {
	const char *tool;     /* spine-tpm */
	const char *log_path; /* the run-time log, created by measure_open_log */
	bool on;              /* a TPM answered: every extend is required */
	bool barrier;         /* "spine:personas" is in PCR 11 */
	int log_fd;           /* -1: not open */
	unsigned runs;        /* spine-tpm runs so far */
	long long spent_ms;   /* their wall time, fork to reap */
};

enum measure_replay {
	MEASURE_NO_TPM,  /* spine-tpm exit 4: said once, nothing more is done */
	MEASURE_MATCH,   /* exit 0 */
	MEASURE_DIFFERS, /* exit 3: a PCR does not match the firmware log */
	MEASURE_FAILED,  /* anything else: the TPM or the log could not be read */
};

void measure_init(struct measure *m, const char *tool, const char *log_path);

/* Runs "spine-tpm replay" and logs its one line ("tpm: ..."). Sets m->on
 * unless there is no TPM. */
enum measure_replay measure_replay(struct measure *m);

/* Creates the run-time log (O_EXCL: one per boot). 0 or -errno. */
int measure_open_log(struct measure *m);

/* Extends PCR 11 with s through spine-tpm; on success appends "11 <s>\n" to
 * the run-time log and logs "tpm: log 11 <s>" and, per bank, "tpm: <bank>
 * 11 <HEX>" as the TPM read it back. 0, or -errno with err filled. */
int measure_extend(struct measure *m, const char *s, char *err, size_t errlen);

/* "spine:persona:<name>:<passport sha512 hex>:<image sha512 hex>". */
void measure_persona_string(char out[MEASURE_STRING_MAX], const char *name,
                            const uint8_t passport_sha512[64], const uint8_t image_sha512[64]);

/* Runs argv[0] with argv, no environment but PATH-free defaults, stdin
 * /dev/null; collects up to outcap-1 bytes of stdout and errcap-1 of stderr
 * (NUL-terminated), kills it after timeout_ms. Returns its exit status
 * (0-255), 256 + signal if killed, or -errno if it could not be run. */
int measure_run(char *const argv[], char *out, size_t outcap, char *err, size_t errcap,
                int timeout_ms);

#endif
