/* config.c: the spine.conf parser (config.h, docs/bay0.md). */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAX_WORDS 3
#define LINE_MAX_LEN 512

static void conf_defaults(struct spine_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->watchdog_sec = 30;
	c->watchdog_required = true;
	c->on_fatal = CONF_REBOOT;
	c->on_signal = CONF_POWEROFF;
	memcpy(c->persist_label, "persist", sizeof("persist"));
	c->persist_required = true;
	c->shutdown_sec = 10;
	c->healthy_sec = 20;
	c->umb_max_mib = 64;
	c->umb_max_files = 256;
	c->umb_timeout_s = 30;
	c->psi_stall_ms = 2000;
	c->psi_window_ms = 10000;
}

/* Decimal, no sign, no leading zeros, lo..hi. */
static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	uint64_t v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > hi)
			return -EINVAL;
	}
	if (v < lo)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int parse_power(const char *s, enum conf_power *out)
{
	if (!strcmp(s, "reboot"))
		*out = CONF_REBOOT;
	else if (!strcmp(s, "poweroff"))
		*out = CONF_POWEROFF;
	else
		return -EINVAL;
	return 0;
}

/* A module name as modules.dep spells its file: letters, digits, '_', '-'. */
static bool module_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= CONF_MODULE_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* An absolute path of printable characters, no "." or ".." component:
 * bay0 opens it as given, so it must mean one thing. */
static bool path_ok(const char *s)
{
	size_t n = strlen(s);

	if (s[0] != '/' || n >= CONF_PATH_MAX)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return false;
	for (const char *p = s; *p;) {
		const char *e;
		size_t l;

		while (*p == '/')
			p++;
		e = strchr(p, '/');
		l = e ? (size_t)(e - p) : strlen(p);
		if ((l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += l;
	}
	return s[n - 1] != '/';
}

/* A filesystem label: what e2label and GPT names commonly hold. */
static bool label_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CONF_LABEL_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return false;
	return true;
}

/* A persona name as passports have it: [a-z][a-z0-9-]*, not ending in '-'. */
static bool persona_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CONF_NAME_MAX || s[0] < 'a' || s[0] > 'z' || s[n - 1] == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

static int fail(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s", why);
	return -EINVAL;
}

/* One directive: words[0] is the keyword. */
static int conf_directive(struct spine_conf *c, char **w, size_t nw, bool test_build, char *err,
                          size_t errlen)
{
	const char *k = w[0];
	unsigned v;

	if (!strcmp(k, "module")) {
		if (nw != 2 || !module_name_ok(w[1]))
			return fail(err, errlen, "module: one module name");
		if (c->nmodules == CONF_MAX_MODULES)
			return fail(err, errlen, "module: too many");
		for (size_t i = 0; i < c->nmodules; i++)
			if (!strcmp(c->modules[i], w[1]))
				return fail(err, errlen, "module: listed twice");
		strcpy(c->modules[c->nmodules++], w[1]);
	} else if (!strcmp(k, "persona")) {
		if (nw != 2 || !path_ok(w[1]))
			return fail(err, errlen, "persona: one absolute passport path");
		if (c->npersonas == CONF_MAX_PERSONAS)
			return fail(err, errlen, "persona: too many");
		for (size_t i = 0; i < c->npersonas; i++)
			if (!strcmp(c->personas[i], w[1]))
				return fail(err, errlen, "persona: listed twice");
		strcpy(c->personas[c->npersonas++], w[1]);
	} else if (!strcmp(k, "watchdog")) {
		if (nw == 2 && !strcmp(w[1], "off")) {
			c->watchdog_sec = 0;
			c->watchdog_required = false;
		} else if ((nw == 2 || nw == 3) && parse_uint(w[1], 2, 3600, &v) == 0) {
			c->watchdog_sec = v;
			c->watchdog_required = true;
			if (nw == 3) {
				if (strcmp(w[2], "optional"))
					return fail(err, errlen,
					            "watchdog: <seconds> [optional] | off");
				c->watchdog_required = false;
			}
		} else {
			return fail(err, errlen, "watchdog: <seconds 2..3600> [optional] | off");
		}
	} else if (!strcmp(k, "tpm")) {
		if (nw == 2 && !strcmp(w[1], "auto"))
			c->tpm = CONF_TPM_AUTO;
		else if (nw == 2 && !strcmp(w[1], "required"))
			c->tpm = CONF_TPM_REQUIRED;
		else if (nw == 2 && !strcmp(w[1], "off"))
			c->tpm = CONF_TPM_OFF;
		else
			return fail(err, errlen, "tpm: auto | required | off");
	} else if (!strcmp(k, "tpm-eventlog")) {
		if (nw == 2 && (!strcmp(w[1], "log") || !strcmp(w[1], "strict")))
			c->tpm_eventlog_strict = w[1][0] == 's';
		else
			return fail(err, errlen, "tpm-eventlog: log | strict");
	} else if (!strcmp(k, "on-fatal")) {
		if (nw != 2 || parse_power(w[1], &c->on_fatal))
			return fail(err, errlen, "on-fatal: reboot | poweroff");
	} else if (!strcmp(k, "on-sigterm")) {
		if (nw != 2 || parse_power(w[1], &c->on_signal))
			return fail(err, errlen, "on-sigterm: reboot | poweroff");
	} else if (!strcmp(k, "persist")) {
		if (nw == 2 && !strcmp(w[1], "off")) {
			c->persist_label[0] = '\0';
			c->persist_required = false;
		} else if ((nw == 2 || nw == 3) && label_ok(w[1])) {
			strcpy(c->persist_label, w[1]);
			c->persist_required = true;
			if (nw == 3) {
				if (strcmp(w[2], "optional"))
					return fail(err, errlen,
					            "persist: <label> [optional] | off");
				c->persist_required = false;
			}
		} else {
			return fail(err, errlen, "persist: <label> [optional] | off");
		}
	} else if (!strcmp(k, "inventory")) {
		if (nw == 2 && !strcmp(w[1], "off"))
			c->inventory_label[0] = '\0';
		else if (nw == 2 && label_ok(w[1]))
			strcpy(c->inventory_label, w[1]);
		else
			return fail(err, errlen, "inventory: <gpt partition name> | off");
	} else if (!strcmp(k, "memory-pressure-purge")) {
		unsigned stall, window;
		if (nw == 2 && !strcmp(w[1], "off")) {
			c->psi_stall_ms = c->psi_window_ms = 0;
		} else if (nw == 3 && parse_uint(w[1], 1, 9999, &stall) == 0 &&
		           parse_uint(w[2], 500, 10000, &window) == 0 && stall < window) {
			/* The kernel's PSI trigger limits: window 500 ms..10 s,
			 * stall below the window. */
			c->psi_stall_ms = stall;
			c->psi_window_ms = window;
		} else {
			return fail(
			        err, errlen,
			        "memory-pressure-purge: <stall ms> <window ms 500..10000> | off");
		}
	} else if (!strcmp(k, "shutdown-timeout")) {
		if (nw != 2 || parse_uint(w[1], 1, 300, &c->shutdown_sec))
			return fail(err, errlen, "shutdown-timeout: <seconds 1..300>");
	} else if (!strcmp(k, "healthy-after")) {
		if (nw != 2 || parse_uint(w[1], 1, 3600, &c->healthy_sec))
			return fail(err, errlen, "healthy-after: <seconds 1..3600>");
	} else if (!strcmp(k, "umbilical-max-mib")) {
		if (nw != 2 || parse_uint(w[1], 1, 4096, &c->umb_max_mib))
			return fail(err, errlen, "umbilical-max-mib: <MiB 1..4096>");
	} else if (!strcmp(k, "umbilical-max-files")) {
		if (nw != 2 || parse_uint(w[1], 1, 65536, &c->umb_max_files))
			return fail(err, errlen, "umbilical-max-files: <files 1..65536>");
	} else if (!strcmp(k, "spine-updates-from")) {
		/* The one persona that may offer Spine updates (docs/umbilical.md,
		 * "Spine updates"); off by default. */
		if (nw == 2 && !strcmp(w[1], "off"))
			c->spine_updates_from[0] = '\0';
		else if (nw == 2 && persona_name_ok(w[1]))
			strcpy(c->spine_updates_from, w[1]);
		else
			return fail(err, errlen, "spine-updates-from: <persona name> | off");
	} else if (!strcmp(k, "test-spine-update-stop-after")) {
		/* Accepted only by test builds: the power-cut test stops
		 * spinectl after its N-th write to the ESP. */
		if (!test_build)
			return fail(err, errlen, "test-spine-update-stop-after: not a test build");
		if (nw != 2 || parse_uint(w[1], 1, 64, &c->test_update_stop_after))
			return fail(err, errlen, "test-spine-update-stop-after: <action 1..64>");
	} else if (!strcmp(k, "test-spine-update-fail-after")) {
		/* Accepted only by test builds: spinectl fails (exit 1) after
		 * its N-th write to the ESP, as on an I/O error. */
		if (!test_build)
			return fail(err, errlen, "test-spine-update-fail-after: not a test build");
		if (nw != 2 || parse_uint(w[1], 1, 64, &c->test_update_fail_after))
			return fail(err, errlen, "test-spine-update-fail-after: <action 1..64>");
	} else if (!strcmp(k, "test-umbilical-stall")) {
		/* Accepted only by test builds: the power-cut test stops a
		 * transfer at one point of the copy (bay0/umb_stall.c), for
		 * good or for SECONDS. */
		static const char *const points[] = {"mid-copy", "staged", "owned", "linked"};
		unsigned i;

		if (!test_build)
			return fail(err, errlen, "test-umbilical-stall: not a test build");
		for (i = 0; nw >= 2 && i < sizeof(points) / sizeof(points[0]); i++)
			if (!strcmp(w[1], points[i]))
				break;
		c->test_umb_stall_s = 0;
		if (nw < 2 || nw > 3 || i == sizeof(points) / sizeof(points[0]) ||
		    (nw == 3 && parse_uint(w[2], 1, 600, &c->test_umb_stall_s)))
			return fail(err, errlen,
			            "test-umbilical-stall: <mid-copy|staged|owned|linked> [seconds "
			            "1..600]");
		c->test_umb_stall = i + 1;
	} else if (!strcmp(k, "umbilical-timeout")) {
		if (nw != 2 || parse_uint(w[1], 5, 300, &c->umb_timeout_s))
			return fail(err, errlen, "umbilical-timeout: <seconds 5..300>");
	} else if (!strcmp(k, "healthy-needs")) {
		if (nw != 2 || !persona_name_ok(w[1]))
			return fail(err, errlen, "healthy-needs: one persona name");
		if (c->nhealthy_needs == CONF_MAX_PERSONAS)
			return fail(err, errlen, "healthy-needs: too many");
		for (size_t i = 0; i < c->nhealthy_needs; i++)
			if (!strcmp(c->healthy_needs[i], w[1]))
				return fail(err, errlen, "healthy-needs: listed twice");
		strcpy(c->healthy_needs[c->nhealthy_needs++], w[1]);
	} else if (!strcmp(k, "test-starve-watchdog")) {
		/* Accepted only by test builds: a release bay0 refuses a config
		 * that asks it to stop feeding the watchdog. */
		if (!test_build)
			return fail(err, errlen, "test-starve-watchdog: not a test build");
		if (nw != 2 || parse_uint(w[1], 0, 3600, &c->starve_after_sec))
			return fail(err, errlen, "test-starve-watchdog: <seconds>");
		c->starve_after_sec++; /* stored +1 so that 0 means "never" */
	} else if (!strcmp(k, "test-relaunch")) {
		/* Accepted only by test builds: a release bay0 never restarts a
		 * persona (docs/bay0.md); the VM test uses it to show a device
		 * handed back and claimed again within one boot. */
		if (!test_build)
			return fail(err, errlen, "test-relaunch: not a test build");
		if (nw != 2 || !persona_name_ok(w[1]))
			return fail(err, errlen, "test-relaunch: one persona name");
		if (c->ntest_relaunch == CONF_MAX_PERSONAS)
			return fail(err, errlen, "test-relaunch: too many");
		for (size_t i = 0; i < c->ntest_relaunch; i++)
			if (!strcmp(c->test_relaunch[i], w[1]))
				return fail(err, errlen, "test-relaunch: listed twice");
		strcpy(c->test_relaunch[c->ntest_relaunch++], w[1]);
	} else {
		return fail(err, errlen, "unknown directive");
	}
	return 0;
}

int conf_parse(const char *text, size_t len, bool test_build, struct spine_conf *c,
               unsigned *err_line, char *err, size_t errlen)
{
	struct spine_conf tmp;
	unsigned line = 0;
	size_t off = 0;

	conf_defaults(&tmp);
	*err_line = 0;
	if (errlen)
		err[0] = '\0';
	if (len > CONF_MAX_FILE)
		return fail(err, errlen, "file too large");
	while (off < len) {
		char buf[LINE_MAX_LEN];
		char *w[MAX_WORDS + 1];
		size_t nw = 0, l = 0;
		const char *nl;
		int r;

		line++;
		nl = memchr(text + off, '\n', len - off);
		if (!nl) {
			*err_line = line;
			return fail(err, errlen, "last line has no newline");
		}
		l = (size_t)(nl - (text + off));
		if (l >= sizeof(buf)) {
			*err_line = line;
			return fail(err, errlen, "line too long");
		}
		memcpy(buf, text + off, l);
		buf[l] = '\0';
		off += l + 1;
		for (size_t i = 0; i < l; i++) {
			unsigned char ch = (unsigned char)buf[i];
			if ((ch < 0x20 && ch != '\t') || ch >= 0x7f) {
				*err_line = line;
				return fail(err, errlen, "control or non-ASCII character");
			}
		}
		/* '#' starts a comment only at the start of a line (after
		 * blanks): values never need to be guessed at. */
		for (char *p = buf;;) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (!*p || (nw == 0 && *p == '#'))
				break;
			if (nw == MAX_WORDS) {
				*err_line = line;
				return fail(err, errlen, "too many words");
			}
			w[nw++] = p;
			while (*p && *p != ' ' && *p != '\t')
				p++;
			if (*p)
				*p++ = '\0';
		}
		if (nw == 0)
			continue;
		r = conf_directive(&tmp, w, nw, test_build, err, errlen);
		if (r) {
			*err_line = line;
			return r;
		}
	}
	*c = tmp;
	return 0;
}
