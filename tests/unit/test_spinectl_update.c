/* Unit tests for spinectl/update_plan.c: the A/B update rule for every
 * combination of A good, B good, neither, B already A's copy, a downgrade,
 * the same version, a fresh install, and the space needed at the fullest
 * moment. */
#include <criterion/criterion.h>
#include <string.h>

#include "update_plan.h"

/* A slot on the ESP with all five files of 100 bytes each. */
static struct upd_slot slot(uint32_t version, bool verifies, bool good)
{
	struct upd_slot s;

	memset(&s, 0, sizeof(s));
	s.present = true;
	s.verifies = verifies;
	s.good = good;
	s.version = version;
	for (int f = 0; f < PF_N; f++) {
		s.has[f] = true;
		s.size[f] = 100;
	}
	return s;
}

/* A v2 good, B v1 not good and different, the new slot v3, all new files
 * different from A's. */
static struct upd_in base(void)
{
	struct upd_in in;

	memset(&in, 0, sizeof(in));
	in.a = slot(2, true, true);
	in.b = slot(1, true, false);
	in.new_version = 3;
	for (int f = 0; f < PF_N; f++)
		in.new_size[f] = 100;
	in.cluster = 0;
	return in;
}

static void expect(const struct upd_plan *p, size_t i, enum upd_kind k, int slot, enum plan_file f,
                   enum upd_src src)
{
	cr_assert_lt(i, p->n, "action %zu missing", i);
	cr_assert_eq(p->act[i].kind, k, "action %zu kind", i);
	cr_assert_eq(p->act[i].slot, slot, "action %zu slot", i);
	cr_assert_eq(p->act[i].file, f, "action %zu file", i);
	if (k == UA_COPY)
		cr_assert_eq(p->act[i].src, src, "action %zu source", i);
}

/* Every file of `slot`, SHA512.sig removed first and written last. */
static size_t expect_whole(const struct upd_plan *p, size_t i, int slot, enum upd_src src)
{
	expect(p, i++, UA_DELETE, slot, PF_SIG, src);
	expect(p, i++, UA_COPY, slot, PF_KERNEL, src);
	expect(p, i++, UA_COPY, slot, PF_INITRD, src);
	expect(p, i++, UA_COPY, slot, PF_CMDLINE, src);
	expect(p, i++, UA_COPY, slot, PF_CONF, src);
	expect(p, i++, UA_COPY, slot, PF_SIG, src);
	return i;
}

Test(update, a_good_copies_a_into_b_then_writes_a)
{
	struct upd_in in = base();
	struct upd_plan p;

	upd_plan(&in, &p);
	cr_assert_eq(p.result, UPD_OK);
	cr_assert(p.copy_b);
	cr_assert_eq(p.good_version, 2);
	cr_assert_eq(expect_whole(&p, expect_whole(&p, 0, 1, UPD_SRC_A), 0, UPD_SRC_NEW), 12);
	cr_assert_eq(p.n, 12);
}

Test(update, a_good_and_b_already_its_copy_writes_only_a)
{
	struct upd_in in = base();
	struct upd_plan p;

	in.b = slot(2, true, false);
	for (int f = 0; f < PF_N; f++)
		in.b_is_a[f] = true;
	upd_plan(&in, &p);
	cr_assert_eq(p.result, UPD_OK);
	cr_assert_not(p.copy_b);
	cr_assert_eq(expect_whole(&p, 0, 0, UPD_SRC_NEW), 6);
	cr_assert_eq(p.n, 6);
}

Test(update, a_good_and_b_partly_its_copy_rewrites_what_differs_sig_around_it)
{
	struct upd_in in = base();
	struct upd_plan p;

	/* Same kernel, initrd and cmdline, as slots of one build have. */
	in.b_is_a[PF_KERNEL] = in.b_is_a[PF_INITRD] = in.b_is_a[PF_CMDLINE] = true;
	upd_plan(&in, &p);
	cr_assert_eq(p.result, UPD_OK);
	expect(&p, 0, UA_DELETE, 1, PF_SIG, UPD_SRC_A);
	expect(&p, 1, UA_COPY, 1, PF_CONF, UPD_SRC_A);
	expect(&p, 2, UA_COPY, 1, PF_SIG, UPD_SRC_A);
	cr_assert_eq(expect_whole(&p, 3, 0, UPD_SRC_NEW), 9);
}

Test(update, b_good_a_not_keeps_b_and_writes_a)
{
	struct upd_in in = base();
	struct upd_plan p;

	/* A's tries used up (never good), B the version that booted. */
	in.a = slot(3, true, false);
	in.b = slot(2, true, true);
	in.new_version = 4;
	upd_plan(&in, &p);
	cr_assert_eq(p.result, UPD_OK);
	cr_assert_not(p.copy_b);
	cr_assert_eq(p.good_version, 2);
	cr_assert_eq(expect_whole(&p, 0, 0, UPD_SRC_NEW), 6);
	cr_assert_eq(p.n, 6);
}

Test(update, both_good_copies_a_the_newer_into_b)
{
	struct upd_in in = base();
	struct upd_plan p;

	in.b = slot(1, true, true);
	upd_plan(&in, &p);
	cr_assert_eq(p.result, UPD_OK);
	cr_assert(p.copy_b);
	cr_assert_eq(p.good_version, 2);
	cr_assert_eq(p.n, 12);
}

Test(update, both_good_b_higher_sets_the_good_version)
{
	struct upd_in in = base();
	struct upd_plan p;

	in.b = slot(5, true, true);
	in.new_version = 4;
	upd_plan(&in, &p);
	cr_assert_eq(p.result, UPD_DOWNGRADE);
	cr_assert_eq(p.good_version, 5);
	cr_assert_eq(p.n, 0);
}

Test(update, neither_good_keeps_a_verifying_b)
{
	struct upd_in in = base();
	struct upd_plan p;

	/* A fresh install, never booted: no state for either slot. */
	in.a = slot(2, true, false);
	in.b = slot(1, true, false);
	upd_plan(&in, &p);
	cr_assert_eq(p.result, UPD_OK);
	cr_assert_not(p.copy_b);
	cr_assert_eq(p.good_version, 0);
	cr_assert_eq(expect_whole(&p, 0, 0, UPD_SRC_NEW), 6);
}

Test(update, neither_good_and_b_refused_is_no_fallback)
{
	struct upd_in in = base();
	struct upd_plan p;

	in.a = slot(2, true, false);
	in.b = slot(1, false, false);
	upd_plan(&in, &p);
	cr_assert_eq(p.result, UPD_NO_FALLBACK);
	cr_assert_eq(p.n, 0);
	cr_assert_str_eq(upd_result_str(p.result),
	                 "slot a is not marked good and slot b does not verify: no slot to fall "
	                 "back to");
}

Test(update, fresh_install_of_a_alone_is_no_fallback)
{
	struct upd_in in = base();
	struct upd_plan p;

	/* install --slot-a only, not booted yet: B absent. */
	in.a = slot(2, true, false);
	memset(&in.b, 0, sizeof(in.b));
	upd_plan(&in, &p);
	cr_assert_eq(p.result, UPD_NO_FALLBACK);
	cr_assert_eq(p.n, 0);
}

Test(update, a_good_and_b_absent_makes_b_first)
{
	struct upd_in in = base();
	struct upd_plan p;

	memset(&in.b, 0, sizeof(in.b));
	upd_plan(&in, &p);
	cr_assert_eq(p.result, UPD_OK);
	cr_assert(p.copy_b);
	/* Nothing to delete in B: its files are written, SHA512.sig last. */
	expect(&p, 0, UA_COPY, 1, PF_KERNEL, UPD_SRC_A);
	expect(&p, 4, UA_COPY, 1, PF_SIG, UPD_SRC_A);
	cr_assert_eq(expect_whole(&p, 5, 0, UPD_SRC_NEW), 11);
}

Test(update, a_refused_but_marked_good_is_not_good)
{
	struct upd_in in = base();
	struct upd_plan p;

	/* A tampered after it was marked good: its bytes are never copied. */
	in.a = slot(2, false, true);
	upd_plan(&in, &p);
	cr_assert_eq(p.result, UPD_OK);
	cr_assert_not(p.copy_b);
	cr_assert_eq(p.good_version, 0);
	cr_assert_eq(p.n, 6);
}

Test(update, downgrade_below_the_good_version_is_refused)
{
	struct upd_in in = base();
	struct upd_plan p;

	in.new_version = 1;
	upd_plan(&in, &p);
	cr_assert_eq(p.result, UPD_DOWNGRADE);
	cr_assert_eq(p.good_version, 2);
	cr_assert_eq(p.n, 0);
	/* B's good version counts when only B is good. */
	in = base();
	in.a = slot(3, true, false);
	in.b = slot(2, true, true);
	in.new_version = 1;
	upd_plan(&in, &p);
	cr_assert_eq(p.result, UPD_DOWNGRADE);
	cr_assert_eq(p.good_version, 2);
}

Test(update, same_version_as_the_good_one_is_an_update)
{
	struct upd_in in = base();
	struct upd_plan p;

	/* A rebuild at the good version: the floor never exceeds it. */
	in.new_version = 2;
	upd_plan(&in, &p);
	cr_assert_eq(p.result, UPD_OK);
	cr_assert_eq(p.n, 12);
}

Test(update, the_new_slot_already_in_a_is_nothing)
{
	struct upd_in in = base();
	struct upd_plan p;

	for (int f = 0; f < PF_N; f++)
		in.a_is_new[f] = true;
	upd_plan(&in, &p);
	cr_assert_eq(p.result, UPD_NOTHING);
	cr_assert_eq(p.n, 0);
	cr_assert_not(p.copy_b);
	/* Not good, B refused: still nothing to do, nothing refused. */
	in.a.good = false;
	in.b.verifies = false;
	upd_plan(&in, &p);
	cr_assert_eq(p.result, UPD_NOTHING);
}

Test(update, a_cut_short_earlier_is_completed)
{
	struct upd_in in = base();
	struct upd_plan p;

	/* An update cut after B's copy and A's kernel: A has no SHA512.sig
	 * (so it does not verify), its kernel is already the new one; B is
	 * A's old copy, which was good, but B's own state is fresh. */
	in.a = slot(0, false, false);
	in.a.present = false;
	in.a.has[PF_SIG] = false;
	in.a_is_new[PF_KERNEL] = true;
	in.b = slot(2, true, false);
	upd_plan(&in, &p);
	cr_assert_eq(p.result, UPD_OK);
	cr_assert_not(p.copy_b);
	expect(&p, 0, UA_COPY, 0, PF_INITRD, UPD_SRC_NEW);
	expect(&p, 1, UA_COPY, 0, PF_CMDLINE, UPD_SRC_NEW);
	expect(&p, 2, UA_COPY, 0, PF_CONF, UPD_SRC_NEW);
	expect(&p, 3, UA_COPY, 0, PF_SIG, UPD_SRC_NEW);
	cr_assert_eq(p.n, 4);
}

Test(update, space_is_the_fullest_moment_not_the_sum)
{
	struct upd_in in = base();
	struct upd_plan p;

	in.cluster = 512;
	/* Old and new files of 100 bytes, one cluster each: each old file
	 * goes as its replacement is renamed over it, SHA512.sig's first, so
	 * the most ever taken is one cluster beyond what is there now. */
	upd_plan(&in, &p);
	cr_assert_eq(p.bytes, 0);
	/* A bigger new kernel (ten clusters): it is written while A's old
	 * one (one cluster) is still there, after A's SHA512.sig freed one;
	 * B's copy freed nothing net: 10 - 1 clusters, and the same again
	 * when SHA512.sig comes back. */
	in.new_size[PF_KERNEL] = 5000;
	upd_plan(&in, &p);
	cr_assert_eq(p.bytes, 9 * 512, "got %llu", (unsigned long long)p.bytes);
	/* B absent: its five files are taken for good, then A's kernel. */
	memset(&in.b, 0, sizeof(in.b));
	in.new_size[PF_KERNEL] = 100;
	upd_plan(&in, &p);
	cr_assert_eq(p.bytes, 5 * 512, "got %llu", (unsigned long long)p.bytes);
}
