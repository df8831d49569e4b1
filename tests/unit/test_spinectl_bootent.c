/* Unit tests for spinectl/bootent.c: which boot entries are ours, how the
 * firmware booted, and the BootOrder that promotes a new loader. */
#include <criterion/criterion.h>
#include <string.h>

#include "bootent.h"

static const struct lo_hd hd = {
        .part = 1,
        .start = 2048,
        .size = 131072,
        .guid = {0x4e, 0x49, 0x50, 0x53, 0, 0, 0, 0x40, 0x80, 0, 0, 0, 0, 0, 0, 1},
};

/* An entry as the store would hold it, through the real encoder and decoder. */
static struct be_entry mk(uint16_t num, const char *desc, const char *path)
{
	struct be_entry e = {.num = num};
	uint8_t raw[512];
	size_t len;
	const char *why;

	cr_assert_eq(lo_encode(LO_ACTIVE, desc, &hd, path, raw, sizeof(raw), &len, &why), 0);
	e.decoded = lo_decode(raw, len, &e.opt, &why) == 0;
	cr_assert(e.decoded);
	return e;
}

/* The firmware's own entry for a removable disk: a device path without
 * HD()/File() (here: only End). */
static struct be_entry mk_misc(uint16_t num)
{
	static const uint8_t raw[] = {1, 0, 0, 0, 4, 0, 'U', 0, 0, 0, 0x7f, 0xff, 4, 0};
	struct be_entry e = {.num = num};
	const char *why;

	e.decoded = lo_decode(raw, sizeof(raw), &e.opt, &why) == 0;
	cr_assert(e.decoded, "%s", why);
	return e;
}

Test(bootent, loader_of)
{
	struct be_entry a = mk(1, "x", "\\EFI\\spine\\spineboot.efi");
	struct be_entry b = mk(2, "x", "\\efi\\SPINE\\SPINEBOOT-2.EFI");
	struct be_entry c = mk(3, "x", "\\EFI\\spine\\spineboot-3.efi");
	struct be_entry d = mk(4, "x", "\\EFI\\debian\\shimx64.efi");

	cr_assert_eq(be_loader_of(&a.opt), 0);
	cr_assert_eq(be_loader_of(&b.opt), 1);
	cr_assert_eq(be_loader_of(&c.opt), -1);
	cr_assert_eq(be_loader_of(&d.opt), -1);
	struct be_entry m = mk_misc(5);
	cr_assert_eq(be_loader_of(&m.opt), -1);
}

static struct be_entry ents[4];
static void four(void)
{
	ents[0] = mk(1, "Alpine Spine", be_loader_efi[0]);
	ents[1] = mk(2, "Alpine Spine (loader 2)", be_loader_efi[1]);
	ents[2] = mk(0x1234, "Other OS", "\\EFI\\other\\grubx64.efi");
	ents[3] = mk_misc(3);
}

Test(bootent, our_entry_first)
{
	struct be_verdict v;
	uint16_t order[] = {1, 0x1234};

	four();
	be_judge(true, 1, ents, 4, order, 2, &v);
	cr_assert_eq(v.how, BE_ENTRY);
	cr_assert_eq(v.loader, 0);
	cr_assert_eq(v.nours, 2);
	cr_assert_eq(v.first_ours, 0);
	cr_assert_eq(v.first_num, 1);
}

Test(bootent, our_entry_not_first)
{
	struct be_verdict v;
	uint16_t order[] = {0x1234, 2, 1};

	four();
	be_judge(true, 1, ents, 4, order, 3, &v);
	cr_assert_eq(v.how, BE_ENTRY);
	cr_assert_eq(v.first_ours, 1);
	cr_assert_eq(v.first_num, 2);
}

Test(bootent, trial_outside_bootorder)
{
	struct be_verdict v;
	uint16_t order[] = {0x1234, 1};

	four();
	be_judge(true, 2, ents, 4, order, 2, &v);
	cr_assert_eq(v.how, BE_TRIAL);
	cr_assert_eq(v.loader, 1);
	cr_assert_eq(v.first_ours, 1);
}

Test(bootent, ours_but_none_in_bootorder)
{
	struct be_verdict v;
	uint16_t order[] = {0x1234};

	four();
	be_judge(true, 2, ents, 4, order, 1, &v);
	cr_assert_eq(v.how, BE_OURS_ASTRAY);
	cr_assert_eq(v.first_ours, -1);
}

Test(bootent, fallback_and_foreign)
{
	struct be_verdict v;
	uint16_t order[] = {1};

	four();
	be_judge(true, 3, ents, 4, order, 1, &v);
	cr_assert_eq(v.how, BE_FALLBACK);
	cr_assert_eq(v.loader, -1);
	be_judge(true, 0x1234, ents, 4, order, 1, &v);
	cr_assert_eq(v.how, BE_FALLBACK);
}

Test(bootent, entry_dropped)
{
	struct be_verdict v;
	uint16_t order[] = {0x1234};

	four();
	/* Only the other OS's entry and the firmware's are left. */
	be_judge(true, 3, ents + 2, 2, order, 1, &v);
	cr_assert_eq(v.how, BE_FALLBACK);
	cr_assert_eq(v.nours, 0);
	/* BootCurrent names an entry that is not there, or not readable. */
	be_judge(true, 9, ents, 4, order, 1, &v);
	cr_assert_eq(v.how, BE_NOT_AN_ENTRY);
	ents[0].decoded = false;
	be_judge(true, 1, ents, 4, order, 1, &v);
	cr_assert_eq(v.how, BE_NOT_AN_ENTRY);
	cr_assert_eq(v.nours, 1, "an undecodable entry is not counted as ours");
	be_judge(false, 0, ents, 4, order, 1, &v);
	cr_assert_eq(v.how, BE_NO_CURRENT);
}

Test(bootent, promote_takes_the_place_of_the_first_of_ours)
{
	uint16_t order[] = {0x1234, 1, 7}, out[8];
	size_t n = be_promote(order, 3, 1, 2, out, 8);
	uint16_t want[] = {0x1234, 2, 1, 7};

	cr_assert_eq(n, 4);
	cr_assert_arr_eq(out, want, sizeof(want));
}

Test(bootent, promote_first)
{
	uint16_t order[] = {1, 0x1234}, out[8];
	uint16_t want[] = {2, 1, 0x1234};

	cr_assert_eq(be_promote(order, 2, 0, 2, out, 8), 3);
	cr_assert_arr_eq(out, want, sizeof(want));
}

Test(bootent, promote_refuses)
{
	uint16_t order[] = {1, 2}, out[2];

	cr_assert_eq(be_promote(order, 2, 0, 2, out, 8), 0, "current in BootOrder already");
	cr_assert_eq(be_promote(order, 2, -1, 3, out, 8), 0, "none of ours in BootOrder");
	cr_assert_eq(be_promote(order, 2, 2, 3, out, 8), 0, "first_ours past the end");
	cr_assert_eq(be_promote(order, 2, 0, 3, out, 2), 0, "no room for one more");
}
