/* bootvar.c: the firmware's boot variables, read and judged (bootvar.h). */
#define _GNU_SOURCE
#include "bootvar.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "slot.h"
#include "util.h"

#define EFI_GLOBAL "8be4df61-93ca-11d2-aa0d-00e098032b8c"
#define VAR_MAX 4096
#define ATTRS_NV_BS_RT 7u

/* The data of variable name (after its 4 attribute bytes), or -errno. */
static ssize_t var_read(const char *dir, const char *name, uint8_t *buf, size_t cap,
                        uint32_t *attrs)
{
	char path[512];
	uint8_t raw[VAR_MAX + 4];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s-" EFI_GLOBAL, dir, name);
	n = read_file(path, raw, sizeof(raw));
	if (n < 0)
		return n;
	if (n < 4 || (size_t)n - 4 > cap)
		return -EINVAL;
	*attrs = (uint32_t)raw[0] | (uint32_t)raw[1] << 8 | (uint32_t)raw[2] << 16 |
	         (uint32_t)raw[3] << 24;
	memcpy(buf, raw + 4, (size_t)n - 4);
	return n - 4;
}

int bootvar_read(const char *efivars_dir, struct bootvars *bv)
{
	uint8_t buf[VAR_MAX];
	char suffix[64];
	struct dirent *d;
	uint32_t attrs;
	ssize_t n;
	DIR *dir;

	memset(bv, 0, sizeof(*bv));
	dir = opendir(efivars_dir);
	if (!dir)
		return -errno;
	snprintf(suffix, sizeof(suffix), "-%s", EFI_GLOBAL);
	while ((d = readdir(dir)) && bv->n < BOOTVAR_ENTRIES) {
		struct be_entry *e = &bv->e[bv->n];
		const char *why;
		char name[9];
		long num;

		if (strlen(d->d_name) != 8 + strlen(suffix) || strcmp(d->d_name + 8, suffix))
			continue;
		num = lo_boot_number(d->d_name, 8);
		if (num < 0)
			continue;
		memcpy(name, d->d_name, 8);
		name[8] = 0;
		e->num = (uint16_t)num;
		n = var_read(efivars_dir, name, buf, sizeof(buf), &attrs);
		e->decoded = n >= 0 && lo_decode(buf, (size_t)n, &e->opt, &why) == 0;
		bv->n++;
	}
	closedir(dir);
	n = var_read(efivars_dir, "BootCurrent", buf, sizeof(buf), &attrs);
	if (n == 2) {
		bv->have_current = true;
		bv->current = (uint16_t)(buf[0] | buf[1] << 8);
	}
	n = var_read(efivars_dir, "BootOrder", buf, sizeof(buf), &attrs);
	bv->order_ok = n >= 0 &&
	               lo_order_decode(buf, (size_t)n, bv->order, BOOTVAR_ORDER, &bv->norder) == 0;
	if (!bv->order_ok)
		bv->norder = 0;
	be_judge(bv->have_current, bv->current, bv->e, bv->n, bv->order, bv->norder, &bv->v);
	return 0;
}

static const struct be_entry *entry(const struct bootvars *bv, uint16_t num)
{
	for (size_t i = 0; i < bv->n; i++)
		if (bv->e[i].num == num)
			return &bv->e[i];
	return NULL;
}

void bootvar_report(const struct bootvars *bv)
{
	const struct be_verdict *v = &bv->v;
	const struct be_entry *cur = bv->have_current ? entry(bv, v->current) : NULL;
	const char *desc = cur && cur->decoded ? cur->opt.desc : "?";

	switch (v->how) {
	case BE_NO_CURRENT:
		log_line("boot: the firmware does not say what it booted (no BootCurrent)");
		break;
	case BE_NOT_AN_ENTRY:
		log_line("boot: the firmware booted Boot%04X, which is not a readable entry: not "
		         "through an Alpine Spine entry",
		         v->current);
		break;
	case BE_ENTRY:
		log_line("boot: the firmware booted Boot%04X (%s), our entry, %s BootOrder",
		         v->current, be_loader_efi[v->loader],
		         lo_order_index(bv->order, bv->norder, v->current) == 0 ? "first in"
		                                                                : "not first in");
		break;
	case BE_TRIAL:
		log_line("boot: the firmware booted Boot%04X (%s) outside BootOrder: a new loader "
		         "on trial; it goes first in BootOrder once this boot is marked good",
		         v->current, be_loader_efi[v->loader]);
		break;
	case BE_OURS_ASTRAY:
		log_line("boot: the firmware booted Boot%04X (%s), but no Alpine Spine entry is in "
		         "BootOrder: bay0 does not repair it (spinectl install does)",
		         v->current, be_loader_efi[v->loader]);
		break;
	case BE_FALLBACK:
		log_line(
		        "boot: the firmware booted Boot%04X \"%s\", not an Alpine Spine entry: the "
		        "fallback path (\\EFI\\BOOT\\BOOTX64.EFI) or a boot menu choice",
		        v->current, desc);
		break;
	}
	if (v->nours == 0)
		log_line("boot: no Alpine Spine boot entry in the variable store (the firmware "
		         "dropped it?): bay0 does not repair it (spinectl install writes it back)");
	else if (v->first_ours < 0 && v->how != BE_OURS_ASTRAY)
		log_line("boot: no Alpine Spine entry is in BootOrder: bay0 does not repair it "
		         "(spinectl install does)");
}

int bootvar_promote(const char *efivars_dir, struct bootvars *bv)
{
	uint8_t raw[4 + 2 * BOOTVAR_ORDER], back[2 * BOOTVAR_ORDER];
	uint16_t order[BOOTVAR_ORDER];
	char path[512];
	uint32_t attrs;
	ssize_t n;
	size_t m;
	int r;

	if (bv->v.how != BE_TRIAL)
		return 0;
	r = bootvar_read(efivars_dir, bv);
	if (r)
		return r;
	if (bv->v.how != BE_TRIAL || !bv->order_ok)
		return 0;
	m = be_promote(bv->order, bv->norder, bv->v.first_ours, bv->current, order, BOOTVAR_ORDER);
	if (m == 0)
		return -ENOSPC; /* BootOrder as long as bay0 reads: leave it */
	raw[0] = ATTRS_NV_BS_RT;
	raw[1] = raw[2] = raw[3] = 0;
	lo_order_encode(order, m, raw + 4);
	snprintf(path, sizeof(path), "%s/BootOrder-" EFI_GLOBAL, efivars_dir);
	r = efivar_replace(path, raw, 4 + 2 * m);
	if (r)
		return r;
	n = var_read(efivars_dir, "BootOrder", back, sizeof(back), &attrs);
	if (n != (ssize_t)(2 * m) || memcmp(back, raw + 4, 2 * m) != 0)
		return -EIO;
	memcpy(bv->order, order, sizeof(order[0]) * m);
	bv->norder = m;
	return 1;
}
