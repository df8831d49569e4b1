/* plan.c: the install plan (plan.h). */
#include "plan.h"

static const char *const names[PF_N] = {"vmlinuz", "initrd.img", "cmdline", "slot.conf",
                                        "SHA512.sig"};
static const char *const paths[2][PF_N] = {
        {"spine/a/vmlinuz", "spine/a/initrd.img", "spine/a/cmdline", "spine/a/slot.conf",
         "spine/a/SHA512.sig"},
        {"spine/b/vmlinuz", "spine/b/initrd.img", "spine/b/cmdline", "spine/b/slot.conf",
         "spine/b/SHA512.sig"},
};

const char *plan_file_name(enum plan_file f)
{
	return names[f];
}

const char *plan_slot_path(int slot, enum plan_file f)
{
	return paths[slot][f];
}

const char *plan_src_path(int src)
{
	if (src == PSRC_LOADER)
		return PLAN_LOADER_PATH;
	if (src >= PSRC_SLOT_A && src < PSRC_SLOT_A + 2 * PF_N)
		return paths[(src - PSRC_SLOT_A) / PF_N][(src - PSRC_SLOT_A) % PF_N];
	return "";
}

static uint64_t rounded(uint64_t n, uint32_t cluster)
{
	if (cluster == 0)
		return n;
	return (n + cluster - 1) / cluster * cluster;
}

static void add(struct plan_action *out, size_t *n, enum plan_kind k, int src, const char *path)
{
	out[*n].kind = k;
	out[*n].src = src;
	out[*n].path = path;
	(*n)++;
}

size_t plan_install(const struct plan_in *in, struct plan_action out[PLAN_MAX], uint64_t *bytes)
{
	size_t n = 0;

	*bytes = 0;
	/* 1. The loader at its own path: nothing points at it yet on a
	 * first install, and an install over an older one replaces it by
	 * rename (docs/install.md says what that costs on FAT). */
	if (in->loader != PS_SAME) {
		add(out, &n, PA_COPY, PSRC_LOADER, PLAN_LOADER_PATH);
		*bytes += rounded(in->loader_size, in->cluster);
	}
	/* 2. Each slot: SHA512.sig goes first and comes back last, so that
	 * every state in between is a slot the loader refuses, never a mix. */
	for (int s = 0; s < 2; s++) {
		bool changed = false;

		if (!in->slot_given[s])
			continue;
		for (int f = 0; f < PF_N; f++)
			changed |= in->slot[s][f] != PS_SAME;
		if (!changed)
			continue;
		if (in->slot[s][PF_SIG] != PS_ABSENT)
			add(out, &n, PA_DELETE, PSRC_NONE, paths[s][PF_SIG]);
		for (int f = 0; f < PF_N; f++) {
			if (f != PF_SIG && in->slot[s][f] == PS_SAME)
				continue;
			add(out, &n, PA_COPY, PSRC_SLOT_A + s * PF_N + f, paths[s][f]);
			*bytes += rounded(in->slot_size[s][f], in->cluster);
		}
	}
	/* 3. The fallback path: ours, or nobody's, or taken on request with
	 * the previous one kept for remove. */
	switch (in->fallback) {
	case PFB_OURS_SAME:
		break;
	case PFB_ABSENT:
	case PFB_OURS_OTHER:
		add(out, &n, PA_COPY, PSRC_LOADER, PLAN_FALLBACK_PATH);
		*bytes += rounded(in->loader_size, in->cluster);
		break;
	case PFB_FOREIGN:
		if (!in->take_fallback) {
			add(out, &n, PA_KEEP_FALLBACK, PSRC_NONE, PLAN_FALLBACK_PATH);
			break;
		}
		if (!in->fallback_saved) {
			add(out, &n, PA_SAVE_FALLBACK, PSRC_NONE, PLAN_SAVED_PATH);
			*bytes += rounded(in->fallback_size, in->cluster);
		}
		add(out, &n, PA_COPY, PSRC_LOADER, PLAN_FALLBACK_PATH);
		*bytes += rounded(in->loader_size, in->cluster);
		break;
	}
	/* 4. Variables last: the firmware is pointed at the loader only once
	 * every file it will read is in place. */
	if (in->variables) {
		if (!in->entry_same)
			add(out, &n, PA_WRITE_ENTRY, PSRC_NONE, "");
		if (!in->order_first)
			add(out, &n, PA_WRITE_ORDER, PSRC_NONE, "");
	}
	return n;
}
