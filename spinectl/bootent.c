/* bootent.c: our boot entries and the loader's promotion (bootent.h). */
#include "bootent.h"

const char *const be_loader_file[BE_LOADERS] = {"EFI/spine/spineboot.efi",
                                                "EFI/spine/spineboot-2.efi"};
const char *const be_loader_efi[BE_LOADERS] = {"\\EFI\\spine\\spineboot.efi",
                                               "\\EFI\\spine\\spineboot-2.efi"};
const char *const be_loader_desc[BE_LOADERS] = {"Alpine Spine", "Alpine Spine (loader 2)"};

int be_loader_of(const struct lo_option *o)
{
	/* lo_matches compares the partition too: give it the option's own. */
	for (int i = 0; i < BE_LOADERS; i++)
		if (o->has_hd && lo_matches(o, o->hd.guid, be_loader_efi[i]))
			return i;
	return -1;
}

void be_judge(bool have_current, uint16_t current, const struct be_entry *e, size_t n,
              const uint16_t *order, size_t norder, struct be_verdict *v)
{
	const struct be_entry *cur = NULL;

	v->how = BE_NO_CURRENT;
	v->current = current;
	v->loader = -1;
	v->nours = 0;
	v->first_ours = -1;
	v->first_num = 0;
	for (size_t i = 0; i < n; i++) {
		if (!e[i].decoded)
			continue;
		if (be_loader_of(&e[i].opt) >= 0) {
			long at = lo_order_index(order, norder, e[i].num);

			v->nours++;
			if (at >= 0 && (v->first_ours < 0 || at < v->first_ours)) {
				v->first_ours = at;
				v->first_num = e[i].num;
			}
		}
		if (have_current && e[i].num == current)
			cur = &e[i];
	}
	if (!have_current)
		return;
	if (!cur) {
		v->how = BE_NOT_AN_ENTRY;
		return;
	}
	v->loader = be_loader_of(&cur->opt);
	if (v->loader < 0)
		v->how = BE_FALLBACK;
	else if (lo_order_index(order, norder, current) >= 0)
		v->how = BE_ENTRY;
	else if (v->first_ours >= 0)
		v->how = BE_TRIAL;
	else
		v->how = BE_OURS_ASTRAY;
}

size_t be_promote(const uint16_t *order, size_t n, long first_ours, uint16_t current, uint16_t *out,
                  size_t cap)
{
	size_t k = 0;

	if (first_ours < 0 || (size_t)first_ours >= n || lo_order_index(order, n, current) >= 0 ||
	    n + 1 > cap)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (i == (size_t)first_ours)
			out[k++] = current;
		out[k++] = order[i];
	}
	return k;
}
