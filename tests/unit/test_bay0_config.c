/* spine.conf parser (bay0/config.c, docs/bay0.md "spine.conf"). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

static int parse(const char *s, bool test_build, struct spine_conf *c, unsigned *line)
{
	char err[128];

	return conf_parse(s, strlen(s), test_build, c, line, err, sizeof(err));
}

Test(bay0_config, defaults_from_empty_file)
{
	struct spine_conf c;
	unsigned line;

	cr_assert_eq(parse("", false, &c, &line), 0);
	cr_assert_eq(c.nmodules, 0);
	cr_assert_eq(c.npersonas, 0);
	cr_assert_eq(c.watchdog_sec, 30);
	cr_assert(c.watchdog_required);
	cr_assert_eq(c.on_fatal, CONF_REBOOT);
	cr_assert_eq(c.on_signal, CONF_POWEROFF);
	cr_assert_str_eq(c.persist_label, "persist");
	cr_assert(c.persist_required);
	cr_assert_str_eq(c.inventory_label, "");    /* no inventory partition unless named */
	cr_assert_str_eq(c.spine_updates_from, ""); /* no Spine updates unless named */
	cr_assert_eq(c.test_update_stop_after, 0);
	cr_assert_eq(c.test_update_fail_after, 0);
	cr_assert_eq(c.test_umb_stall, 0);
	cr_assert_eq(c.shutdown_sec, 10);
	cr_assert_eq(c.healthy_sec, 20);
	cr_assert_eq(c.nhealthy_needs, 0);
	cr_assert_eq(c.psi_stall_ms, 2000);
	cr_assert_eq(c.psi_window_ms, 10000);
	cr_assert_eq(c.starve_after_sec, 0);
	cr_assert_eq(c.tpm, CONF_TPM_AUTO);
	cr_assert(!c.tpm_eventlog_strict);
}

Test(bay0_config, full_file)
{
	struct spine_conf c;
	unsigned line;
	const char *s = "# the Spine\n"
	                "\n"
	                "module ext4\n"
	                "module i6300esb\n"
	                "  module\tefivarfs  \n"
	                "persona /spine/inventory/web.passport\n"
	                "persona /spine/inventory/work.passport\n"
	                "watchdog 20 optional\n"
	                "on-fatal poweroff\n"
	                "on-sigterm reboot\n"
	                "persist spine-persist optional\n"
	                "inventory spine-inventory\n"
	                "shutdown-timeout 5\n"
	                "healthy-after 7\n"
	                "umbilical-max-mib 4096\n"
	                "umbilical-max-files 1\n"
	                "umbilical-timeout 300\n"
	                "healthy-needs web\n"
	                "healthy-needs work-2\n"
	                "memory-pressure-purge 150 1000\n"
	                "tpm required\n"
	                "tpm-eventlog strict\n";

	cr_assert_eq(parse(s, false, &c, &line), 0);
	cr_assert_eq(c.nmodules, 3);
	cr_assert_str_eq(c.modules[0], "ext4");
	cr_assert_str_eq(c.modules[2], "efivarfs");
	cr_assert_eq(c.npersonas, 2);
	cr_assert_str_eq(c.personas[1], "/spine/inventory/work.passport");
	cr_assert_eq(c.watchdog_sec, 20);
	cr_assert(!c.watchdog_required);
	cr_assert_eq(c.on_fatal, CONF_POWEROFF);
	cr_assert_eq(c.on_signal, CONF_REBOOT);
	cr_assert_str_eq(c.persist_label, "spine-persist");
	cr_assert(!c.persist_required);
	cr_assert_str_eq(c.inventory_label, "spine-inventory");
	cr_assert_eq(c.shutdown_sec, 5);
	cr_assert_eq(c.healthy_sec, 7);
	cr_assert_eq(c.umb_max_mib, 4096);
	cr_assert_eq(c.umb_max_files, 1);
	cr_assert_eq(c.umb_timeout_s, 300);
	cr_assert_eq(c.nhealthy_needs, 2);
	cr_assert_str_eq(c.healthy_needs[1], "work-2");
	cr_assert_eq(c.psi_stall_ms, 150);
	cr_assert_eq(c.psi_window_ms, 1000);
	cr_assert_eq(c.tpm, CONF_TPM_REQUIRED);
	cr_assert(c.tpm_eventlog_strict);
}

Test(bay0_config, off_switches)
{
	struct spine_conf c;
	unsigned line;

	cr_assert_eq(parse("watchdog off\npersist off\nmemory-pressure-purge off\ntpm off\n"
	                   "tpm-eventlog log\ninventory inv\ninventory off\n",
	                   false, &c, &line),
	             0);
	cr_assert_eq(c.psi_stall_ms, 0);
	cr_assert_eq(c.psi_window_ms, 0);
	cr_assert_eq(c.watchdog_sec, 0);
	cr_assert(!c.watchdog_required);
	cr_assert_str_eq(c.persist_label, "");
	cr_assert(!c.persist_required);
	cr_assert_str_eq(c.inventory_label, "");
	cr_assert_eq(c.tpm, CONF_TPM_OFF);
	cr_assert(!c.tpm_eventlog_strict);
}

Test(bay0_config, refusals_name_the_line)
{
	static const struct {
		const char *text;
		unsigned line;
	} bad[] = {
	        {"frobnicate 1\n", 1},
	        {"module ext4\nmodule ext4\n", 2},      /* duplicate */
	        {"module\n", 1},                        /* missing value */
	        {"module a b\n", 1},                    /* extra word */
	        {"module ../../x\n", 1},                /* not a module name */
	        {"persona relative/path\n", 1},         /* not absolute */
	        {"persona /a/../etc/shadow\n", 1},      /* .. component */
	        {"persona /a/./b\n", 1},                /* . component */
	        {"persona /a/b/\n", 1},                 /* trailing slash */
	        {"persona /a\npersona /a\n", 2},        /* duplicate */
	        {"watchdog 1\n", 1},                    /* below 2 s */
	        {"watchdog 3601\n", 1},                 /* above an hour */
	        {"watchdog 030\n", 1},                  /* leading zero */
	        {"watchdog -5\n", 1},                   /* sign */
	        {"watchdog 99999999999999999999\n", 1}, /* overflow */
	        {"watchdog 30 maybe\n", 1},
	        {"on-fatal halt\n", 1},
	        {"tpm\n", 1},
	        {"tpm yes\n", 1},
	        {"tpm auto required\n", 1},
	        {"tpm-eventlog fatal\n", 1},
	        {"tpm-eventlog\n", 1},
	        {"on-sigterm\n", 1},
	        {"persist bad/label\n", 1},
	        {"inventory\n", 1},
	        {"inventory bad/label\n", 1},
	        {"inventory inventory optional\n", 1},
	        {"inventory 0123456789012345678901234567890123456\n", 1}, /* 37 chars */
	        {"persist 0123456789012345678901234567890123456\n", 1},   /* 37 chars */
	        {"shutdown-timeout 0\n", 1},
	        {"healthy-after 0\n", 1},
	        {"healthy-after 3601\n", 1},
	        {"healthy-after\n", 1},
	        {"umbilical-max-mib 0\n", 1},
	        {"umbilical-max-mib 4097\n", 1},
	        {"umbilical-max-mib 1M\n", 1},
	        {"umbilical-max-files 0\n", 1},
	        {"umbilical-max-files 65537\n", 1},
	        {"umbilical-max-files\n", 1},
	        {"umbilical-timeout 4\n", 1},
	        {"umbilical-timeout 301\n", 1},
	        {"healthy-needs Web\n", 1},
	        {"healthy-needs web-\n", 1},
	        {"healthy-needs 9web\n", 1},
	        {"healthy-needs web work\n", 1},
	        {"healthy-needs a23456789012345678901234567890123\n", 1}, /* 32 chars */
	        {"healthy-needs web\nhealthy-needs web\n", 2},
	        {"module ext4", 1},             /* no final newline */
	        {"module ext4\r\n", 1},         /* control character */
	        {"module \xc3\xa9\n", 1},       /* non-ASCII */
	        {"module ext4 # comment\n", 1}, /* '#' only at line start */
	        {"\n\nwatchdog x\n", 3},
	        {"test-starve-watchdog 10\n", 1}, /* release build */
	        {"test-relaunch web\n", 1},       /* release build */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct spine_conf c;
		unsigned line = 0;
		char err[128] = "";
		int r = conf_parse(bad[i].text, strlen(bad[i].text), false, &c, &line, err,
		                   sizeof(err));
		cr_assert_eq(r, -EINVAL, "accepted: %s", bad[i].text);
		cr_assert_eq(line, bad[i].line, "line %u for: %s", line, bad[i].text);
		cr_assert_neq(err[0], '\0', "no reason for: %s", bad[i].text);
	}
}

Test(bay0_config, refusal_leaves_output_untouched)
{
	struct spine_conf c;
	unsigned line;

	memset(&c, 0x5a, sizeof(c));
	cr_assert_eq(parse("module ext4\nbogus\n", false, &c, &line), -EINVAL);
	cr_assert_eq(((unsigned char *)&c)[0], 0x5a);
	cr_assert_eq(c.nmodules, (size_t)0x5a5a5a5a5a5a5a5aull);
}

Test(bay0_config, test_switch_only_in_test_builds)
{
	struct spine_conf c;
	unsigned line;

	cr_assert_eq(parse("test-starve-watchdog 10\n", false, &c, &line), -EINVAL);
	cr_assert_eq(parse("test-starve-watchdog 10\n", true, &c, &line), 0);
	cr_assert_eq(c.starve_after_sec, 11);
	cr_assert_eq(parse("test-starve-watchdog 0\n", true, &c, &line), 0);
	cr_assert_eq(c.starve_after_sec, 1);
}

Test(bay0_config, test_relaunch_only_in_test_builds)
{
	struct spine_conf c;
	unsigned line;

	cr_assert_eq(parse("test-relaunch netown\n", false, &c, &line), -EINVAL);
	cr_assert_eq(parse("test-relaunch netown\ntest-relaunch wifiown\n", true, &c, &line), 0);
	cr_assert_eq(c.ntest_relaunch, 2);
	cr_assert_str_eq(c.test_relaunch[0], "netown");
	cr_assert_str_eq(c.test_relaunch[1], "wifiown");
	cr_assert_eq(parse("test-relaunch netown\ntest-relaunch netown\n", true, &c, &line),
	             -EINVAL);
	cr_assert_eq(line, 2);
	cr_assert_eq(parse("test-relaunch Net\n", true, &c, &line), -EINVAL);
	cr_assert_eq(parse("test-relaunch a b\n", true, &c, &line), -EINVAL);
	cr_assert_eq(parse("test-relaunch\n", true, &c, &line), -EINVAL);
}

Test(bay0_config, limits)
{
	char buf[CONF_MAX_PERSONAS * 16 + 32];
	struct spine_conf c;
	unsigned line;
	size_t off = 0;

	for (unsigned i = 0; i < CONF_MAX_PERSONAS; i++)
		off += (size_t)sprintf(buf + off, "persona /p/%u\n", i);
	cr_assert_eq(parse(buf, false, &c, &line), 0);
	cr_assert_eq(c.npersonas, CONF_MAX_PERSONAS);
	sprintf(buf + off, "persona /p/x\n");
	cr_assert_eq(parse(buf, false, &c, &line), -EINVAL);
	cr_assert_eq(line, CONF_MAX_PERSONAS + 1);
}

Test(bay0_config, spine_updates_from)
{
	struct spine_conf c;
	unsigned line;

	cr_assert_eq(parse("spine-updates-from web\n", false, &c, &line), 0);
	cr_assert_str_eq(c.spine_updates_from, "web");
	cr_assert_eq(parse("spine-updates-from web\nspine-updates-from off\n", false, &c, &line),
	             0);
	cr_assert_str_eq(c.spine_updates_from, "", "the last line wins; off is none");
	cr_assert_eq(parse("spine-updates-from Web\n", false, &c, &line), -EINVAL);
	cr_assert_eq(parse("spine-updates-from web work\n", false, &c, &line), -EINVAL);
	cr_assert_eq(parse("spine-updates-from\n", false, &c, &line), -EINVAL);
	cr_assert_eq(parse("spine-updates-from ../web\n", false, &c, &line), -EINVAL);
}

Test(bay0_config, spine_update_stop_only_in_test_builds)
{
	struct spine_conf c;
	unsigned line;

	cr_assert_eq(parse("test-spine-update-stop-after 5\n", false, &c, &line), -EINVAL);
	cr_assert_eq(parse("test-spine-update-stop-after 5\n", true, &c, &line), 0);
	cr_assert_eq(c.test_update_stop_after, 5);
	cr_assert_eq(parse("test-spine-update-stop-after 0\n", true, &c, &line), -EINVAL);
	cr_assert_eq(parse("test-spine-update-stop-after 65\n", true, &c, &line), -EINVAL);
	cr_assert_eq(parse("test-spine-update-fail-after 5\n", false, &c, &line), -EINVAL);
	cr_assert_eq(parse("test-spine-update-fail-after 3\n", true, &c, &line), 0);
	cr_assert_eq(c.test_update_fail_after, 3);
	cr_assert_eq(parse("test-spine-update-fail-after 0\n", true, &c, &line), -EINVAL);
	cr_assert_eq(parse("test-spine-update-fail-after x\n", true, &c, &line), -EINVAL);
	/* The Umbilical's stall points: 1 + enum umb_point, test builds only. */
	cr_assert_eq(parse("test-umbilical-stall staged\n", false, &c, &line), -EINVAL);
	cr_assert_eq(parse("test-umbilical-stall mid-copy\n", true, &c, &line), 0);
	cr_assert_eq(c.test_umb_stall, 1);
	cr_assert_eq(parse("test-umbilical-stall staged\n", true, &c, &line), 0);
	cr_assert_eq(c.test_umb_stall, 2);
	cr_assert_eq(parse("test-umbilical-stall owned\n", true, &c, &line), 0);
	cr_assert_eq(c.test_umb_stall, 3);
	cr_assert_eq(parse("test-umbilical-stall linked\n", true, &c, &line), 0);
	cr_assert_eq(c.test_umb_stall, 4);
	cr_assert_eq(parse("test-umbilical-stall\n", true, &c, &line), -EINVAL);
	cr_assert_eq(parse("test-umbilical-stall copied\n", true, &c, &line), -EINVAL);
	cr_assert_eq(parse("test-umbilical-stall owned linked\n", true, &c, &line), -EINVAL);
	cr_assert_eq(c.test_umb_stall_s, 0);
	cr_assert_eq(parse("test-umbilical-stall mid-copy 10\n", true, &c, &line), 0);
	cr_assert_eq(c.test_umb_stall, 1);
	cr_assert_eq(c.test_umb_stall_s, 10);
	cr_assert_eq(parse("test-umbilical-stall mid-copy 0\n", true, &c, &line), -EINVAL);
	cr_assert_eq(parse("test-umbilical-stall mid-copy 601\n", true, &c, &line), -EINVAL);
	cr_assert_eq(parse("test-umbilical-stall mid-copy 5 5\n", true, &c, &line), -EINVAL);
}
