/* Unit tests for bay0/bootvar.c on a folder laid out as efivarfs: reading
 * the boot variables, and the one write, BootOrder after a good trial. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootvar.h"

#define G "8be4df61-93ca-11d2-aa0d-00e098032b8c"
static char dir[64];

static const struct lo_hd hd = {
        .part = 1,
        .start = 2048,
        .size = 131072,
        .guid = {0x4e, 0x49, 0x50, 0x53, 0, 0, 0, 0x40, 0x80, 0, 0, 0, 0, 0, 0, 1},
};

static void put(const char *name, const void *data, size_t n)
{
	char p[200];
	uint8_t buf[1024] = {7, 0, 0, 0};
	int fd;

	snprintf(p, sizeof(p), "%s/%s-" G, dir, name);
	memcpy(buf + 4, data, n);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, buf, n + 4), (ssize_t)(n + 4));
	close(fd);
}

static size_t get(const char *name, uint8_t *buf, size_t cap)
{
	char p[200];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "%s/%s-" G, dir, name);
	fd = open(p, O_RDONLY);
	cr_assert(fd >= 0);
	n = read(fd, buf, cap);
	close(fd);
	cr_assert(n >= 0);
	return (size_t)n;
}

static void entry(const char *name, const char *desc, const char *path)
{
	uint8_t raw[512];
	size_t len;
	const char *why;

	cr_assert_eq(lo_encode(LO_ACTIVE, desc, &hd, path, raw, sizeof(raw), &len, &why), 0);
	put(name, raw, len);
}

static void u16s(const char *name, const uint16_t *v, size_t n)
{
	uint8_t raw[64];

	lo_order_encode(v, n, raw);
	put(name, raw, 2 * n);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/bay0-bootvar.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	entry("Boot0001", "Alpine Spine", "\\EFI\\spine\\spineboot.efi");
	entry("Boot0002", "Alpine Spine (loader 2)", "\\EFI\\spine\\spineboot-2.efi");
	entry("Boot1234", "Other OS", "\\EFI\\other\\grubx64.efi");
	put("Boot0009", "\x01\x02", 2); /* malformed: too short */
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(bay0_bootvar, .init = setup, .fini = teardown);

static struct bootvars bv;

Test(bay0_bootvar, reads_and_judges_our_entry)
{
	uint16_t order[] = {1, 0x1234}, cur = 1;

	u16s("BootOrder", order, 2);
	u16s("BootCurrent", &cur, 1);
	cr_assert_eq(bootvar_read(dir, &bv), 0);
	cr_assert_eq(bv.n, 4);
	cr_assert(bv.have_current);
	cr_assert(bv.order_ok);
	cr_assert_eq(bv.v.how, BE_ENTRY);
	cr_assert_eq(bv.v.nours, 2);
	cr_assert_eq(bootvar_promote(dir, &bv), 0, "not a trial: nothing written");
}

Test(bay0_bootvar, promotes_a_trial_and_reads_it_back)
{
	uint16_t order[] = {0x1234, 1}, cur = 2;
	uint8_t back[64];
	static const uint8_t want[] = {7, 0, 0, 0, 0x34, 0x12, 2, 0, 1, 0};

	u16s("BootOrder", order, 2);
	u16s("BootCurrent", &cur, 1);
	cr_assert_eq(bootvar_read(dir, &bv), 0);
	cr_assert_eq(bv.v.how, BE_TRIAL);
	cr_assert_eq(bootvar_promote(dir, &bv), 1);
	cr_assert_eq(get("BootOrder", back, sizeof(back)), sizeof(want));
	cr_assert_arr_eq(back, want, sizeof(want));
	/* Once in BootOrder it is our entry: a second call writes nothing. */
	cr_assert_eq(bootvar_read(dir, &bv), 0);
	cr_assert_eq(bv.v.how, BE_ENTRY);
	cr_assert_eq(bootvar_promote(dir, &bv), 0);
}

Test(bay0_bootvar, a_change_in_between_is_not_undone)
{
	uint16_t order[] = {1}, later[] = {2, 1}, cur = 2;
	uint8_t back[64];

	u16s("BootOrder", order, 1);
	u16s("BootCurrent", &cur, 1);
	cr_assert_eq(bootvar_read(dir, &bv), 0);
	cr_assert_eq(bv.v.how, BE_TRIAL);
	/* Someone (spinectl install from another OS) wrote BootOrder since. */
	u16s("BootOrder", later, 2);
	cr_assert_eq(bootvar_promote(dir, &bv), 0);
	cr_assert_eq(get("BootOrder", back, sizeof(back)), 8);
}

Test(bay0_bootvar, missing_and_malformed_variables)
{
	uint8_t odd[3] = {1, 0, 2};

	cr_assert_eq(bootvar_read(dir, &bv), 0);
	cr_assert(!bv.have_current);
	cr_assert(!bv.order_ok);
	cr_assert_eq(bv.v.how, BE_NO_CURRENT);
	put("BootOrder", odd, 3);
	put("BootCurrent", odd, 3);
	cr_assert_eq(bootvar_read(dir, &bv), 0);
	cr_assert(!bv.have_current, "a 3-byte BootCurrent is not a number");
	cr_assert(!bv.order_ok, "an odd BootOrder is malformed");
	cr_assert_eq(bootvar_read("/nonexistent-efivars", &bv), -ENOENT);
}

Test(bay0_bootvar, no_entry_of_ours)
{
	uint16_t order[] = {0x1234}, cur = 0x1234;
	char p[200];

	snprintf(p, sizeof(p), "%s/Boot0001-" G, dir);
	cr_assert_eq(unlink(p), 0);
	snprintf(p, sizeof(p), "%s/Boot0002-" G, dir);
	cr_assert_eq(unlink(p), 0);
	u16s("BootOrder", order, 1);
	u16s("BootCurrent", &cur, 1);
	cr_assert_eq(bootvar_read(dir, &bv), 0);
	cr_assert_eq(bv.v.how, BE_FALLBACK);
	cr_assert_eq(bv.v.nours, 0);
}
