/* modules.dep resolution (bay0/moddep.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "moddep.h"

/* Debian 6.1's own lines for ext4 and i6300esb, plus constructed cases. */
static const char dep[] =
        "kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko "
        "kernel/fs/jbd2/jbd2.ko\n"
        "kernel/lib/crc16.ko:\n"
        "kernel/fs/mbcache.ko:\n"
        "kernel/fs/jbd2/jbd2.ko:\n"
        "kernel/drivers/watchdog/i6300esb.ko: kernel/drivers/watchdog/watchdog.ko\n"
        "kernel/drivers/watchdog/watchdog.ko:\n"
        /* a dependency listed only indirectly: c needs b, b needs a */
        "kernel/c.ko: kernel/b.ko\n"
        "kernel/b.ko: kernel/a.ko\n"
        "kernel/a.ko:\n"
        "kernel/drivers/hid/hid-generic.ko.xz:\n"
        "kernel/loop1.ko: kernel/loop2.ko\n"
        "kernel/loop2.ko: kernel/loop1.ko\n"
        "kernel/dangling.ko: kernel/nowhere.ko\n";

static struct moddep m;

static void setup(void)
{
	cr_assert_eq(moddep_parse(dep, sizeof(dep) - 1, &m), 0);
}

static void teardown(void)
{
	moddep_free(&m);
}

static const char *path_of(size_t idx)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%.*s", (int)m.ents[idx].path_len, m.ents[idx].path);
	return buf;
}

TestSuite(bay0_moddep, .init = setup, .fini = teardown);

Test(bay0_moddep, ext4_after_its_dependencies)
{
	size_t order[16], n = 0;

	cr_assert_eq(moddep_resolve(&m, "ext4", order, 16, &n), 0);
	cr_assert_eq(n, 4);
	cr_assert_str_eq(path_of(order[3]), "kernel/fs/ext4/ext4.ko");
	cr_assert_str_eq(path_of(order[0]), "kernel/lib/crc16.ko");
}

Test(bay0_moddep, indirect_dependencies_come_first)
{
	size_t order[16], n = 0;

	cr_assert_eq(moddep_resolve(&m, "c", order, 16, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(path_of(order[0]), "kernel/a.ko");
	cr_assert_str_eq(path_of(order[1]), "kernel/b.ko");
	cr_assert_str_eq(path_of(order[2]), "kernel/c.ko");
}

Test(bay0_moddep, shared_dependencies_once)
{
	size_t order[16], n = 0;

	cr_assert_eq(moddep_resolve(&m, "b", order, 16, &n), 0);
	cr_assert_eq(moddep_resolve(&m, "c", order, 16, &n), 0);
	cr_assert_eq(moddep_resolve(&m, "c", order, 16, &n), 0);
	cr_assert_eq(n, 3);
}

Test(bay0_moddep, dash_and_underscore_are_one)
{
	size_t order[4], n = 0;
	char name[32];

	cr_assert_eq(moddep_resolve(&m, "hid_generic", order, 4, &n), 0);
	cr_assert_eq(moddep_resolve(&m, "hid-generic", order, 4, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(
	        moddep_name(m.ents[order[0]].path, m.ents[order[0]].path_len, name, sizeof(name)),
	        0);
	cr_assert_str_eq(name, "hid_generic");
}

Test(bay0_moddep, errors)
{
	size_t order[16], n = 0;

	cr_assert_eq(moddep_resolve(&m, "nosuch", order, 16, &n), -ENOENT);
	cr_assert_eq(moddep_resolve(&m, "dangling", order, 16, &n), -ENOENT);
	cr_assert_eq(moddep_resolve(&m, "loop1", order, 16, &n), -ELOOP);
	n = 0;
	cr_assert_eq(moddep_resolve(&m, "ext4", order, 3, &n), -ENOSPC);
	cr_assert_eq(moddep_find(&m, "ext"), -ENOENT, "prefix must not match");
	cr_assert_eq(moddep_find(&m, "ext4x"), -ENOENT);
}

Test(bay0_moddep, malformed_file)
{
	struct moddep x;
	const char bad[] = "kernel/a.ko:\nno colon here\n";

	cr_assert_eq(moddep_parse(bad, sizeof(bad) - 1, &x), -EINVAL);
	cr_assert_eq(moddep_parse(": x\n", 4, &x), -EINVAL);
	cr_assert_eq(moddep_parse("", 0, &x), 0);
	cr_assert_eq(x.n, 0);
	moddep_free(&x);
}

Test(bay0_moddep, names)
{
	char k[8];

	cr_assert_eq(moddep_name("a/b/x-y.ko.zst", 14, k, sizeof(k)), 0);
	cr_assert_str_eq(k, "x_y");
	cr_assert_eq(moddep_name("a/b/x.o", 7, k, sizeof(k)), -EINVAL);
	cr_assert_eq(moddep_name("a/.ko", 5, k, sizeof(k)), -EINVAL);
	cr_assert_eq(moddep_name("verylongname.ko", 15, k, sizeof(k)), -ENAMETOOLONG);
}
