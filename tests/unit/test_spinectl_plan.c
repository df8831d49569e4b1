/* Unit tests for spinectl/esp.c and spinectl/plan.c: every ESP refusal, and
 * the install plan's order, idempotence, fallback rules and space sum. */
#include <criterion/criterion.h>
#include <string.h>

#include "esp.h"
#include "plan.h"

static struct esp_facts good(void)
{
	struct esp_facts f = {true, true, "vfat", "gpt", "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"};
	return f;
}

Test(esp, checks_in_order)
{
	struct esp_facts f = good();

	cr_assert_null(esp_check(&f));
	f.fs_vfat = false;
	f.mount_root = false;
	cr_assert_str_eq(esp_check(&f), "not a vfat file system");
	f = good();
	f.mount_root = false;
	cr_assert_str_eq(esp_check(&f), "not the root of its own mount");
	f = good();
	f.fs_type = "ext4";
	cr_assert_str_eq(esp_check(&f), "its device does not hold a vfat file system (blkid)");
	f.fs_type = NULL;
	cr_assert_not_null(esp_check(&f));
	f = good();
	f.part_scheme = "dos";
	cr_assert_str_eq(esp_check(&f), "not on a GPT partition");
	f.part_scheme = NULL;
	cr_assert_str_eq(esp_check(&f), "not on a GPT partition");
	f = good();
	f.part_type = "0fc63daf-8483-4772-8e79-3d69d8477de4";
	cr_assert(strstr(esp_check(&f), "partition type is not the EFI System Partition"));
	f.part_type = NULL;
	cr_assert_not_null(esp_check(&f));
}

static struct plan_in fresh(void)
{
	struct plan_in in;

	memset(&in, 0, sizeof(in));
	in.loader = PS_ABSENT;
	in.loader_size = 1000;
	in.slot_given[0] = in.slot_given[1] = true;
	for (int s = 0; s < 2; s++)
		for (int f = 0; f < PF_N; f++) {
			in.slot[s][f] = PS_ABSENT;
			in.slot_size[s][f] = 100;
		}
	in.fallback = PFB_ABSENT;
	in.variables = true;
	in.cluster = 512;
	return in;
}

static bool is(const struct plan_action *a, enum plan_kind k, const char *path)
{
	return a->kind == k && strcmp(a->path, path) == 0;
}

Test(plan, fresh_install_order)
{
	struct plan_in in = fresh();
	struct plan_action a[PLAN_MAX];
	uint64_t bytes = 0;
	size_t n = plan_install(&in, a, &bytes);

	cr_assert_eq(n, 1 + 5 + 5 + 1 + 2);
	cr_assert(is(&a[0], PA_COPY, "EFI/spine/spineboot.efi"));
	cr_assert(is(&a[1], PA_COPY, "spine/a/vmlinuz"));
	cr_assert(is(&a[5], PA_COPY, "spine/a/SHA512.sig"), "the signature after its files");
	cr_assert_eq(a[5].src, PSRC_SLOT_A + PF_SIG);
	cr_assert(is(&a[10], PA_COPY, "spine/b/SHA512.sig"));
	cr_assert_eq(a[10].src, PSRC_SLOT_B + PF_SIG);
	cr_assert(is(&a[11], PA_COPY, "EFI/BOOT/BOOTX64.EFI"));
	cr_assert_eq(a[11].src, PSRC_LOADER);
	cr_assert_eq(a[12].kind, PA_WRITE_ENTRY, "variables last");
	cr_assert_eq(a[13].kind, PA_WRITE_ORDER);
	/* loader 1000 -> 1024 twice, ten files of 100 -> 512 each */
	cr_assert_eq(bytes, 2 * 1024 + 10 * 512);
}

Test(plan, second_install_is_empty)
{
	struct plan_in in = fresh();
	struct plan_action a[PLAN_MAX];
	uint64_t bytes = 1;

	in.loader = PS_SAME;
	for (int s = 0; s < 2; s++)
		for (int f = 0; f < PF_N; f++)
			in.slot[s][f] = PS_SAME;
	in.fallback = PFB_OURS_SAME;
	in.entry_same = in.order_first = true;
	cr_assert_eq(plan_install(&in, a, &bytes), 0);
	cr_assert_eq(bytes, 0);
}

Test(plan, changed_slot_deletes_signature_first)
{
	struct plan_in in = fresh();
	struct plan_action a[PLAN_MAX];
	uint64_t bytes = 0;
	size_t n;

	in.loader = PS_SAME;
	in.slot_given[1] = false;
	for (int f = 0; f < PF_N; f++)
		in.slot[0][f] = PS_SAME;
	in.slot[0][PF_CONF] = PS_DIFFERENT;
	in.slot[0][PF_SIG] = PS_DIFFERENT;
	in.fallback = PFB_OURS_SAME;
	in.variables = false;
	n = plan_install(&in, a, &bytes);
	cr_assert_eq(n, 3);
	cr_assert(is(&a[0], PA_DELETE, "spine/a/SHA512.sig"));
	cr_assert(is(&a[1], PA_COPY, "spine/a/slot.conf"));
	cr_assert(is(&a[2], PA_COPY, "spine/a/SHA512.sig"));
	cr_assert_eq(bytes, 2 * 512);
}

Test(plan, same_signature_other_file_still_rewrites_signature)
{
	struct plan_in in = fresh();
	struct plan_action a[PLAN_MAX];
	uint64_t bytes = 0;
	size_t n;

	in.loader = PS_SAME;
	in.slot_given[1] = false;
	for (int f = 0; f < PF_N; f++)
		in.slot[0][f] = PS_SAME;
	in.slot[0][PF_KERNEL] = PS_DIFFERENT; /* tampered on the ESP */
	in.fallback = PFB_OURS_SAME;
	in.variables = false;
	n = plan_install(&in, a, &bytes);
	cr_assert_eq(n, 3);
	cr_assert(is(&a[0], PA_DELETE, "spine/a/SHA512.sig"));
	cr_assert(is(&a[1], PA_COPY, "spine/a/vmlinuz"));
	cr_assert(is(&a[2], PA_COPY, "spine/a/SHA512.sig"));
}

Test(plan, foreign_fallback)
{
	struct plan_in in = fresh();
	struct plan_action a[PLAN_MAX];
	uint64_t bytes = 0;
	size_t n;

	in.loader = PS_SAME;
	in.slot_given[0] = in.slot_given[1] = false;
	in.variables = false;
	in.fallback = PFB_FOREIGN;
	in.fallback_size = 2000;
	n = plan_install(&in, a, &bytes);
	cr_assert_eq(n, 1);
	cr_assert(is(&a[0], PA_KEEP_FALLBACK, "EFI/BOOT/BOOTX64.EFI"), "left alone");
	cr_assert_eq(bytes, 0);
	in.take_fallback = true;
	n = plan_install(&in, a, &bytes);
	cr_assert_eq(n, 2);
	cr_assert(is(&a[0], PA_SAVE_FALLBACK, "EFI/spine/BOOTX64.orig"), "kept before replaced");
	cr_assert(is(&a[1], PA_COPY, "EFI/BOOT/BOOTX64.EFI"));
	cr_assert_eq(bytes, 2048 + 1024);
	in.fallback_saved = true; /* a second --take-fallback never overwrites the saved one */
	n = plan_install(&in, a, &bytes);
	cr_assert_eq(n, 1);
	cr_assert(is(&a[0], PA_COPY, "EFI/BOOT/BOOTX64.EFI"));
	in.fallback = PFB_OURS_OTHER; /* an older spineboot: ours to replace */
	in.take_fallback = false;
	n = plan_install(&in, a, &bytes);
	cr_assert_eq(n, 1);
	cr_assert(is(&a[0], PA_COPY, "EFI/BOOT/BOOTX64.EFI"));
}

Test(plan, variables_only_when_needed)
{
	struct plan_in in = fresh();
	struct plan_action a[PLAN_MAX];
	uint64_t bytes = 0;
	size_t n;

	in.loader = PS_SAME;
	in.slot_given[0] = in.slot_given[1] = false;
	in.fallback = PFB_OURS_SAME;
	in.entry_same = true;
	n = plan_install(&in, a, &bytes);
	cr_assert_eq(n, 1);
	cr_assert_eq(a[0].kind, PA_WRITE_ORDER, "the entry is there, BootOrder lost it");
	in.entry_same = false;
	in.order_first = true;
	n = plan_install(&in, a, &bytes);
	cr_assert_eq(n, 1);
	cr_assert_eq(a[0].kind, PA_WRITE_ENTRY);
	in.variables = false;
	cr_assert_eq(plan_install(&in, a, &bytes), 0, "--no-variables");
}

Test(plan, paths)
{
	cr_assert_str_eq(plan_src_path(PSRC_LOADER), "EFI/spine/spineboot.efi");
	cr_assert_str_eq(plan_src_path(PSRC_SLOT_B + PF_INITRD), "spine/b/initrd.img");
	cr_assert_str_eq(plan_file_name(PF_SIG), "SHA512.sig");
	cr_assert_str_eq(plan_src_path(PSRC_NONE), "");
}
