/*
 * config.h: spine.conf, bay0's own configuration (format: docs/bay0.md).
 *
 * Pure code: parses a buffer, touches no file, no global; the unit tests and
 * a fuzzer reach it on the host. spine.conf lives in the verified initramfs,
 * so a malformed one is a build mistake, and bay0 treats it as fatal.
 */
#ifndef BAY0_CONFIG_H
#define BAY0_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define CONF_MAX_MODULES 64
#define CONF_MAX_PERSONAS 32
#define CONF_MODULE_MAX 56 /* kernel MODULE_NAME_LEN is 56 with the NUL */
#define CONF_PATH_MAX 256
#define CONF_LABEL_MAX 36 /* a GPT partition name: 36 UTF-16 units */
#define CONF_MAX_FILE 65536
#define CONF_NAME_MAX 31 /* a persona's name, as in its passport */

enum conf_power { CONF_REBOOT, CONF_POWEROFF };
/* tpm: measure when a TPM answers (auto), refuse to run personas without
 * one (required), or never touch it (off). docs/measure.md. */
enum conf_tpm { CONF_TPM_AUTO, CONF_TPM_REQUIRED, CONF_TPM_OFF };

struct spine_conf {
	char modules[CONF_MAX_MODULES][CONF_MODULE_MAX];
	size_t nmodules;
	char personas[CONF_MAX_PERSONAS][CONF_PATH_MAX]; /* passport paths */
	size_t npersonas;
	unsigned watchdog_sec;                  /* 0: no watchdog */
	bool watchdog_required;                 /* no device = fatal (default true when on) */
	enum conf_power on_fatal;               /* what the fatal path ends in */
	enum conf_power on_signal;              /* SIGTERM; SIGINT (ctrl-alt-del) always reboots */
	char persist_label[CONF_LABEL_MAX + 1]; /* "" = no /persist */
	bool persist_required;                  /* not found = fatal */
	/* GPT name of the inventory partition, mounted at BAY0_INVENTORY_DISK
	 * ("" = none, the default). Not found = its personas are refused. */
	char inventory_label[CONF_LABEL_MAX + 1];
	/* PSI: purge a persona whose tasks all stall on memory for psi_stall_ms
	 * within psi_window_ms (0 = off). */
	unsigned psi_stall_ms, psi_window_ms;
	unsigned shutdown_sec; /* cap on waiting for processes to die */
	enum conf_tpm tpm;
	bool tpm_eventlog_strict; /* a firmware log that does not replay = fatal */
	/* Health (docs/bay0.md, "Marking the slot good"): the slot is marked
	 * good once healthy_sec have passed with every needed persona running
	 * and the watchdog fed. No healthy-needs line: every persona listed. */
	unsigned healthy_sec;
	/* The Umbilical's caps (docs/umbilical.md): one file, in MiB, and the
	 * files in one receiver's inbox. */
	unsigned umb_max_mib, umb_max_files;
	unsigned umb_timeout_s; /* the prompt's answer time */
	/* The persona that may offer Spine updates ("" = none, the default). */
	char spine_updates_from[CONF_NAME_MAX + 1];
	/* TEST BUILDS ONLY: spinectl stops after its N-th ESP write, or fails
	 * (exit 1) after it (0: off). */
	unsigned test_update_stop_after, test_update_fail_after;
	/* TEST BUILDS ONLY: the Umbilical's copy stalls at this point, as
	 * enum umb_point + 1 (0: off; bay0/umb_stall.c), for good or, when
	 * test_umb_stall_s is not 0, for that many seconds. */
	unsigned test_umb_stall, test_umb_stall_s;
	char healthy_needs[CONF_MAX_PERSONAS][CONF_NAME_MAX + 1];
	size_t nhealthy_needs;
	unsigned starve_after_sec; /* TEST BUILDS ONLY: stop feeding after N s */
	/* TEST BUILDS ONLY: personas started once more after their first
	 * purge (a name is cleared once used). */
	char test_relaunch[CONF_MAX_PERSONAS][CONF_NAME_MAX + 1];
	size_t ntest_relaunch;
};

/* Fills *c with the defaults (docs/bay0.md), then applies the file.
 * Returns 0, or -EINVAL with the 1-based line number in *err_line and a short
 * reason in err (always NUL-terminated). test_build says whether directives
 * reserved for test builds are accepted. */
int conf_parse(const char *text, size_t len, bool test_build, struct spine_conf *c,
               unsigned *err_line, char *err, size_t errlen);

#endif
