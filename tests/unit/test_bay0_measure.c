/*
 * bay0/measure.c against stand-ins for spine-tpm: shell scripts that exit
 * the way spine-tpm does (docs/measure.md) and print what it prints. What
 * bay0 decides from each, what it appends to the run-time log, and that a
 * tool that hangs is killed.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "measure.h"

static char dir[] = "/tmp/bay0-measure-XXXXXX";
static char tool_path[256], log_path[256];

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(tool_path, sizeof(tool_path), "%s/spine-tpm", dir);
	snprintf(log_path, sizeof(log_path), "%s/measure.log", dir);
}

static void teardown(void)
{
	unlink(tool_path);
	unlink(log_path);
	rmdir(dir);
}

/* The stand-in: "$@" is what bay0 passed; body is shell. */
static void fake(const char *body)
{
	FILE *f = fopen(tool_path, "w");
	cr_assert_not_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(tool_path, 0755), 0);
}

static char *slurp(const char *path)
{
	static char buf[4096];
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = 0;
	return buf;
}

TestSuite(bay0_measure, .init = setup, .fini = teardown);

Test(bay0_measure, replay_outcomes_follow_the_exit_status)
{
	static const struct {
		const char *body;
		enum measure_replay want;
		bool on;
	} cases[] = {
	        {"echo 'spine-tpm: firmware log matches the PCRs in 4 banks (25 events)'",
	         MEASURE_MATCH, true},
	        {"echo 'spine-tpm: firmware log: PCR 0 differs in sha1'; exit 3", MEASURE_DIFFERS,
	         true},
	        {"echo 'spine-tpm: no TPM (no /dev/tpmrm0 or /dev/tpm0)' >&2; exit 4",
	         MEASURE_NO_TPM, false},
	        {"echo 'spine-tpm: TPM2_PCR_Read: TSS2_RC 0x000a000a' >&2; exit 1", MEASURE_FAILED,
	         true},
	        {"kill -9 $$", MEASURE_FAILED, true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct measure m;
		fake(cases[i].body);
		measure_init(&m, tool_path, log_path);
		cr_assert_eq(measure_replay(&m), cases[i].want, "case %zu", i);
		cr_assert_eq(m.on, cases[i].on, "case %zu", i);
		cr_assert_eq(m.runs, 1);
	}
}

Test(bay0_measure, no_tool_in_the_spine_is_no_tpm)
{
	struct measure m;
	measure_init(&m, tool_path, log_path); /* nothing at tool_path */
	cr_assert_eq(measure_replay(&m), MEASURE_NO_TPM);
	cr_assert(!m.on);
	cr_assert_eq(m.runs, 0);
}

Test(bay0_measure, extends_append_to_the_log_in_order)
{
	struct measure m;
	char err[512] = "";
	/* The stand-in records its arguments and prints one bank. */
	char body[512];
	snprintf(body, sizeof(body),
	         "[ \"$1 $2\" = 'extend 11' ] || exit 9; printf '%%s\\n' \"$3\" >>%s/args; "
	         "echo 'sha256 11 00AB'; echo 'sha1 11 00CD'",
	         dir);
	fake(body);
	measure_init(&m, tool_path, log_path);
	cr_assert_eq(measure_open_log(&m), 0);
	cr_assert_eq(measure_open_log(&(struct measure){.log_path = log_path}), -EEXIST,
	             "a second log for the same boot is refused");
	cr_assert_eq(measure_extend(&m, "spine:personas", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(measure_extend(&m, "spine:shutdown", err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(slurp(log_path), "11 spine:personas\n11 spine:shutdown\n");
	char args[300];
	snprintf(args, sizeof(args), "%s/args", dir);
	cr_assert_str_eq(slurp(args), "spine:personas\nspine:shutdown\n");
	unlink(args);
	cr_assert_eq(m.runs, 2);
}

Test(bay0_measure, a_failed_extend_is_an_error_and_not_logged)
{
	struct measure m;
	char err[512] = "";
	fake("echo 'spine-tpm: TPM2_PCR_Extend: TSS2_RC 0x00000922' >&2; exit 1");
	measure_init(&m, tool_path, log_path);
	cr_assert_eq(measure_open_log(&m), 0);
	cr_assert_eq(measure_extend(&m, "spine:personas", err, sizeof(err)), -EIO);
	cr_assert(strstr(err, "exit 1") && strstr(err, "TSS2_RC 0x00000922"), "%s", err);
	cr_assert_str_eq(slurp(log_path), "");
}

Test(bay0_measure, an_overlong_event_is_refused_before_the_tool_runs)
{
	struct measure m;
	char err[512] = "", s[MEASURE_STRING_MAX + 1];
	fake("exit 0");
	measure_init(&m, tool_path, log_path);
	memset(s, 'x', sizeof(s) - 1);
	s[sizeof(s) - 1] = 0;
	cr_assert_eq(measure_extend(&m, s, err, sizeof(err)), -E2BIG);
	cr_assert_eq(m.runs, 0);
}

Test(bay0_measure, a_tool_that_hangs_is_killed)
{
	char out[64], err[64];
	char sh[] = "/bin/sh", c[] = "-c", cmd[] = "echo started; sleep 30";
	char *argv[] = {sh, c, cmd, NULL};
	cr_assert_eq(measure_run(argv, out, sizeof(out), err, sizeof(err), 300), 256 + SIGKILL);
	cr_assert_str_eq(out, "started\n");
}

Test(bay0_measure, output_beyond_the_buffer_is_dropped_not_overrun)
{
	char out[16], err[16];
	char sh[] = "/bin/sh", c[] = "-c", cmd[] = "yes | head -c 100000; yes e | head -c 5000 >&2";
	char *argv[] = {sh, c, cmd, NULL};
	cr_assert_eq(measure_run(argv, out, sizeof(out), err, sizeof(err), 5000), 0);
	cr_assert_eq(strlen(out), 15);
	cr_assert_eq(strlen(err), 15);
}

Test(bay0_measure, persona_string)
{
	uint8_t p[64], img[64];
	char s[MEASURE_STRING_MAX];
	for (int i = 0; i < 64; i++) {
		p[i] = (uint8_t)i;
		img[i] = (uint8_t)(0xff - i);
	}
	measure_persona_string(s, "netown", p, img);
	cr_assert_eq(strlen(s), 14 + 6 + 1 + 128 + 1 + 128);
	cr_assert(!strncmp(s, "spine:persona:netown:000102030405", 33), "%s", s);
	cr_assert(strstr(s, "3d3e3f:fffefdfc"), "%s", s);
	cr_assert(!strcmp(s + strlen(s) - 6, "c2c1c0"), "%s", s);
	/* The longest name fits. */
	measure_persona_string(s, "a234567890123456789012345678901", p, img);
	cr_assert_eq(strlen(s), MEASURE_STRING_MAX - 1);
}
