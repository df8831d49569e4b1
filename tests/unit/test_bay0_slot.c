/* Slot parsing and the good-marking update (bay0/slot.c, docs/interfaces.md). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "slot.h"

static int cmd(const char *s, char *slot)
{
	return slot_from_cmdline(s, strlen(s), slot);
}

Test(bay0_slot, cmdline)
{
	char s = 0;

	cr_assert_eq(cmd("console=ttyS0 spine.slot=a\n", &s), 0);
	cr_assert_eq(s, 'a');
	cr_assert_eq(cmd("spine.slot=b", &s), 0);
	cr_assert_eq(s, 'b');
	/* the loader appends: the last word wins */
	cr_assert_eq(cmd("spine.slot=a quiet spine.slot=b", &s), 0);
	cr_assert_eq(s, 'b');
	cr_assert_eq(cmd("x=\"spine.slot=a b\" spine.slot=\"b\"", &s), 0);
	cr_assert_eq(s, 'b');
	s = 0;
	cr_assert_eq(cmd("console=ttyS0\n", &s), -ENOENT);
	cr_assert_eq(cmd("", &s), -ENOENT);
	cr_assert_eq(cmd("xspine.slot=a", &s), -ENOENT);
	cr_assert_eq(cmd("\"spine.slot=a b\"", &s), -EINVAL, "quoted value is 'a b'");
	cr_assert_eq(s, 0);
	cr_assert_eq(cmd("spine.slot=c", &s), -EINVAL);
	cr_assert_eq(cmd("spine.slot=", &s), -EINVAL);
	cr_assert_eq(cmd("spine.slot=ab", &s), -EINVAL);
	cr_assert_eq(cmd("spine.slot=A", &s), -EINVAL);
	cr_assert_eq(cmd("spine.slot=b spine.slot=x", &s), -EINVAL, "last one is bad");
}

static int name(const char *s, char *slot, char n[SLOT_NAME_LEN])
{
	return slot_state_name(s, strlen(s), slot, n);
}

Test(bay0_slot, state_name_from_the_marker)
{
	char s = 0, n[SLOT_NAME_LEN] = "";

	cr_assert_eq(name("quiet spine.slot=b spine.state=0123456789abcdef\n", &s, n), 0);
	cr_assert_eq(s, 'b');
	cr_assert_str_eq(n, "SpineSlotB-0123456789abcdef");
	cr_assert_eq(name("spine.state=00000000000000ff spine.slot=a", &s, n), 0);
	cr_assert_str_eq(n, "SpineSlotA-00000000000000ff");
	/* the last word wins, as for spine.slot= */
	cr_assert_eq(name("spine.state=zz spine.slot=a spine.state=0123456789abcdef", &s, n), 0);
	cr_assert_eq(name("spine.slot=a", &s, n), -ENOENT, "an older loader's marker");
	cr_assert_eq(name("spine.state=0123456789abcdef", &s, n), -ENOENT);
	cr_assert_eq(name("spine.slot=a spine.state=0123456789ABCDEF", &s, n), -EINVAL);
	cr_assert_eq(name("spine.slot=a spine.state=0123456789abcde", &s, n), -EINVAL);
	cr_assert_eq(name("spine.slot=a spine.state=0123456789abcdef0", &s, n), -EINVAL);
	cr_assert_eq(name("spine.slot=a spine.state=../../../../x", &s, n), -EINVAL);
	cr_assert_eq(name("spine.slot=a spine.state=", &s, n), -EINVAL);
	cr_assert_eq(name("spine.slot=c spine.state=0123456789abcdef", &s, n), -EINVAL);
	{
		char longw[200] = "spine.slot=a spine.state=";

		memset(longw + strlen(longw), 'a', 150);
		cr_assert_eq(name(longw, &s, n), -EINVAL);
	}
}

static void state(uint8_t v[SLOT_VAR_LEN], uint32_t attrs, uint8_t tries, uint8_t good)
{
	memset(v, 0, SLOT_VAR_LEN);
	v[0] = (uint8_t)attrs;
	v[1] = (uint8_t)(attrs >> 8);
	memcpy(v + 4, "SPS1", 4);
	v[8] = tries;
	v[9] = good;
	for (int i = 0; i < 32; i++)
		v[12 + i] = (uint8_t)(0xa0 + i);
}

Test(bay0_slot, mark_good_sets_only_the_good_byte)
{
	uint8_t v[SLOT_VAR_LEN], want[SLOT_VAR_LEN];

	state(v, 7, 2, 0);
	state(want, 7, 2, 1);
	cr_assert_eq(slot_state_mark_good(v, sizeof(v)), 0);
	cr_assert_arr_eq(v, want, sizeof(v));
}

Test(bay0_slot, already_good_means_no_write)
{
	uint8_t v[SLOT_VAR_LEN], want[SLOT_VAR_LEN];

	state(v, 7, 0, 1);
	memcpy(want, v, sizeof(v));
	cr_assert_eq(slot_state_mark_good(v, sizeof(v)), 1);
	cr_assert_arr_eq(v, want, sizeof(v));
}

Test(bay0_slot, refuses_what_it_does_not_understand)
{
	uint8_t v[SLOT_VAR_LEN + 1];

	state(v, 7, 3, 0);
	cr_assert_eq(slot_state_mark_good(v, SLOT_VAR_LEN - 1), -EINVAL);
	cr_assert_eq(slot_state_mark_good(v, SLOT_VAR_LEN + 1), -EINVAL);
	state(v, 3, 3, 0); /* no runtime access */
	cr_assert_eq(slot_state_mark_good(v, SLOT_VAR_LEN), -EINVAL);
	state(v, 7, 3, 0);
	v[4] = 'X'; /* magic */
	cr_assert_eq(slot_state_mark_good(v, SLOT_VAR_LEN), -EINVAL);
	cr_assert_eq(v[9], 0);
	state(v, 7, 3, 2); /* good is 0 or 1 */
	cr_assert_eq(slot_state_mark_good(v, SLOT_VAR_LEN), -EINVAL);
}
