/* Marking a slot good through an efivarfs-like folder (bay0/slot_mark.c):
 * the same code as on the Spine, on plain files in a temporary folder. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "slot.h"

static char dir[64], cmdline[96];

static void put(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static size_t get(const char *path, uint8_t *p, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	cr_assert_geq(fd, 0);
	n = read(fd, p, cap);
	close(fd);
	cr_assert_geq(n, 0);
	return (size_t)n;
}

/* The loader's marker names the install: "spine.state=" HEX. */
#define HEX "0123456789abcdef"

static void var_path(char *out, size_t cap, char slot)
{
	snprintf(out, cap, "%s/SpineSlot%c-" HEX "-" SPINE_GUID, dir, slot);
}

static void state(uint8_t v[SLOT_VAR_LEN], uint8_t good)
{
	memset(v, 0, SLOT_VAR_LEN);
	v[0] = 7;
	memcpy(v + 4, "SPS1", 4);
	v[8] = 2;
	v[9] = good;
	memset(v + 12, 0xab, 32);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/bay0-slotmark.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(cmdline, sizeof(cmdline), "%s/cmdline", dir);
}

static void teardown(void)
{
	char p[160];

	var_path(p, sizeof(p), 'A');
	unlink(p);
	var_path(p, sizeof(p), 'B');
	unlink(p);
	unlink(cmdline);
	rmdir(dir);
}

TestSuite(bay0_slotmark, .init = setup, .fini = teardown);

Test(bay0_slotmark, marks_the_booted_slot_only)
{
	uint8_t a[SLOT_VAR_LEN], b[SLOT_VAR_LEN], got[SLOT_VAR_LEN + 8], want[SLOT_VAR_LEN];
	char pa[160], pb[160], slot = 0;
	const char cl[] = "console=ttyS0 panic=-1 spine.slot=b spine.state=" HEX "\n";

	state(a, 0);
	state(b, 0);
	var_path(pa, sizeof(pa), 'A');
	var_path(pb, sizeof(pb), 'B');
	put(pa, a, sizeof(a));
	put(pb, b, sizeof(b));
	put(cmdline, cl, sizeof(cl) - 1);
	cr_assert_eq(slot_mark_good(dir, cmdline, &slot), 0);
	cr_assert_eq(slot, 'b');
	state(want, 1);
	cr_assert_eq(get(pb, got, sizeof(got)), SLOT_VAR_LEN);
	cr_assert_arr_eq(got, want, SLOT_VAR_LEN);
	cr_assert_eq(get(pa, got, sizeof(got)), SLOT_VAR_LEN);
	cr_assert_arr_eq(got, a, SLOT_VAR_LEN, "slot A must not change");
}

Test(bay0_slotmark, already_good_and_refusals_leave_the_variable_alone)
{
	uint8_t v[SLOT_VAR_LEN], got[SLOT_VAR_LEN + 8];
	char p[160], slot = 0;
	const char cl[] = "spine.slot=a spine.state=" HEX;

	var_path(p, sizeof(p), 'A');
	put(cmdline, cl, sizeof(cl) - 1);
	state(v, 1);
	put(p, v, sizeof(v));
	cr_assert_eq(slot_mark_good(dir, cmdline, &slot), 0);
	cr_assert_eq(get(p, got, sizeof(got)), SLOT_VAR_LEN);
	cr_assert_arr_eq(got, v, SLOT_VAR_LEN);

	state(v, 0);
	memcpy(v + 4, "SPS2", 4);
	put(p, v, sizeof(v));
	cr_assert_eq(slot_mark_good(dir, cmdline, &slot), -EINVAL);
	cr_assert_eq(get(p, got, sizeof(got)), SLOT_VAR_LEN);
	cr_assert_arr_eq(got, v, SLOT_VAR_LEN);

	state(v, 0);
	put(p, v, SLOT_VAR_LEN - 1); /* short */
	cr_assert_eq(slot_mark_good(dir, cmdline, &slot), -EINVAL);
	cr_assert_eq(get(p, got, sizeof(got)), SLOT_VAR_LEN - 1);
}

Test(bay0_slotmark, missing_pieces)
{
	char slot = 0;
	const char none[] = "console=ttyS0\n", bad[] = "spine.slot=c spine.state=" HEX "\n",
	           a[] = "spine.slot=a spine.state=" HEX "\n", nostate[] = "spine.slot=a\n";
	char p[160];
	uint8_t v[SLOT_VAR_LEN];

	put(cmdline, none, sizeof(none) - 1);
	cr_assert_eq(slot_mark_good(dir, cmdline, &slot), -ENOENT);
	put(cmdline, bad, sizeof(bad) - 1);
	cr_assert_eq(slot_mark_good(dir, cmdline, &slot), -EINVAL);
	put(cmdline, a, sizeof(a) - 1);
	cr_assert_eq(slot_mark_good(dir, cmdline, &slot), -ENOENT, "no variable");
	cr_assert_eq(slot_is_good(dir, cmdline), -ENOENT);
	/* An older loader's marker alone names no install: nothing is written,
	 * not even to the unbound SpineSlotA. */
	snprintf(p, sizeof(p), "%s/SpineSlotA-" SPINE_GUID, dir);
	state(v, 0);
	put(p, v, sizeof(v));
	put(cmdline, nostate, sizeof(nostate) - 1);
	cr_assert_eq(slot_mark_good(dir, cmdline, &slot), -ENOENT);
	cr_assert_eq(get(p, v, sizeof(v)), SLOT_VAR_LEN);
	cr_assert_eq(v[9], 0);
	unlink(p);
}

Test(bay0_slotmark, is_good_reads_without_writing)
{
	uint8_t v[SLOT_VAR_LEN], got[SLOT_VAR_LEN + 8];
	char p[160];
	const char cl[] = "spine.slot=a spine.state=" HEX;

	var_path(p, sizeof(p), 'A');
	put(cmdline, cl, sizeof(cl) - 1);
	state(v, 0);
	put(p, v, sizeof(v));
	cr_assert_eq(slot_is_good(dir, cmdline), 0);
	cr_assert_eq(get(p, got, sizeof(got)), SLOT_VAR_LEN);
	cr_assert_arr_eq(got, v, SLOT_VAR_LEN);
	state(v, 1);
	put(p, v, sizeof(v));
	cr_assert_eq(slot_is_good(dir, cmdline), 1);
	memcpy(v + 4, "SPS2", 4);
	put(p, v, sizeof(v));
	cr_assert_eq(slot_is_good(dir, cmdline), -EINVAL);
}

/* efivarfs makes unknown variables immutable: the flag is lifted for the
 * write and put back. Shown on a filesystem that has the flag (ext4, as
 * root); elsewhere the case is skipped, not passed. */
Test(bay0_slotmark, immutable_flag_lifted_and_restored)
{
	uint8_t v[SLOT_VAR_LEN], got[SLOT_VAR_LEN + 8];
	char p[160], slot = 0;
	const char cl[] = "spine.slot=a spine.state=" HEX;
	int fd, flags;

	var_path(p, sizeof(p), 'A');
	put(cmdline, cl, sizeof(cl) - 1);
	state(v, 0);
	put(p, v, sizeof(v));
	fd = open(p, O_RDONLY);
	cr_assert_geq(fd, 0);
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0 ||
	    (flags |= FS_IMMUTABLE_FL, ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)) {
		close(fd);
		cr_skip_test("no immutable flag here (%s)", strerror(errno));
	}
	cr_assert_eq(slot_mark_good(dir, cmdline, &slot), 0);
	cr_assert_eq(ioctl(fd, FS_IOC_GETFLAGS, &flags), 0);
	cr_assert(flags & FS_IMMUTABLE_FL, "flag not restored");
	flags &= ~FS_IMMUTABLE_FL;
	cr_assert_eq(ioctl(fd, FS_IOC_SETFLAGS, &flags), 0);
	close(fd);
	cr_assert_eq(get(p, got, sizeof(got)), SLOT_VAR_LEN);
	cr_assert_eq(got[9], 1);
}
