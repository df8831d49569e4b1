/* Sysctl writing (bay0/harden.c) against a fake /proc/sys in a temporary
 * folder: what is there is written, what is missing is skipped, and only a
 * failure of the two one-way switches is fatal. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bay0.h"

static char root[64];

static void mk(const char *rel, bool dir)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (dir) {
		cr_assert_eq(mkdir(p, 0755), 0, "mkdir %s", p);
	} else {
		/* Empty: bay0 writes without O_TRUNC, as /proc/sys wants. */
		int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		cr_assert_geq(fd, 0, "create %s", p);
		close(fd);
	}
}

static void value(const char *rel, const char *want)
{
	char p[256], buf[16] = "";
	int fd;
	ssize_t n;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	fd = open(p, O_RDONLY);
	cr_assert_geq(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	cr_assert_geq(n, 0);
	cr_assert_str_eq(buf, want, "%s", rel);
}

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/bay0-harden.XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	mk("kernel", true);
	mk("fs", true);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(bay0_harden, .init = setup, .fini = teardown);

Test(bay0_harden, writes_what_exists_skips_what_does_not)
{
	struct bay0 b = {0};

	mk("kernel/modules_disabled", false);
	mk("kernel/kexec_load_disabled", false);
	mk("kernel/kptr_restrict", false);
	mk("fs/protected_fifos", false);
	/* yama/, dev/tty/, io_uring_disabled ...: absent, as in some kernels */
	cr_assert_eq(harden_sysctls(&b, root), 0);
	value("kernel/modules_disabled", "1");
	value("kernel/kexec_load_disabled", "1");
	value("kernel/kptr_restrict", "2");
	value("fs/protected_fifos", "2");
}

Test(bay0_harden, the_one_way_switches_are_required)
{
	struct bay0 b = {0};

	/* A missing key means the kernel has no such door (no
	 * CONFIG_KEXEC_CORE): skipped, with a line. */
	mk("kernel/modules_disabled", false);
	cr_assert_eq(harden_sysctls(&b, root), 0, "a missing key is skipped, not failed");
	/* A key that is there but refuses the write is fatal. */
	mk("kernel/kexec_load_disabled", true);
	cr_assert_neq(harden_sysctls(&b, root), 0);
}

Test(bay0_harden, other_failures_are_not_fatal)
{
	struct bay0 b = {0};

	mk("kernel/modules_disabled", false);
	mk("kernel/kexec_load_disabled", false);
	mk("kernel/dmesg_restrict", true); /* EISDIR on open for writing */
	cr_assert_eq(harden_sysctls(&b, root), 0);
	value("kernel/modules_disabled", "1");
}

Test(bay0_harden, contained_touches_nothing)
{
	struct bay0 b = {.contained = true};

	mk("kernel/modules_disabled", false);
	cr_assert_eq(harden_sysctls(&b, root), 0);
	value("kernel/modules_disabled", "");
}
