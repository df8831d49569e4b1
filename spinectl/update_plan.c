/* update_plan.c: the update plan (update_plan.h). */
#include "update_plan.h"

#include <string.h>

static uint64_t rounded(uint64_t n, uint32_t cluster)
{
	if (cluster == 0)
		return n;
	return (n + cluster - 1) / cluster * cluster;
}

struct space {
	int64_t cur;  /* bytes taken now, against the start */
	int64_t peak; /* the most at any moment */
};

static void take(struct space *sp, uint64_t bytes)
{
	sp->cur += (int64_t)bytes;
	if (sp->cur > sp->peak)
		sp->peak = sp->cur;
}

static void add(struct upd_plan *p, enum upd_kind k, int slot, enum plan_file f, enum upd_src src)
{
	p->act[p->n].kind = k;
	p->act[p->n].slot = slot;
	p->act[p->n].file = f;
	p->act[p->n].src = src;
	p->n++;
}

/*
 * Slot `slot` (whose files are now dst) takes the files of src, skipping
 * those marked same[] and their sizes in size[]. SHA512.sig goes first and
 * comes back last: every state in between is a slot without a signature,
 * which the loader refuses and skips. Each file is written beside the old one
 * and renamed over it, so both take space until the rename.
 */
static void write_slot(struct upd_plan *p, struct space *sp, int slot, const struct upd_slot *dst,
                       const bool same[PF_N], const uint64_t size[PF_N], enum upd_src src,
                       uint32_t cluster)
{
	if (dst->has[PF_SIG]) {
		add(p, UA_DELETE, slot, PF_SIG, src);
		sp->cur -= (int64_t)rounded(dst->size[PF_SIG], cluster);
	}
	for (int f = 0; f < PF_N; f++) {
		if (f != PF_SIG && same[f])
			continue;
		add(p, UA_COPY, slot, (enum plan_file)f, src);
		take(sp, rounded(size[f], cluster));
		if (f != PF_SIG && dst->has[f])
			sp->cur -= (int64_t)rounded(dst->size[f], cluster);
	}
}

static bool all(const bool v[PF_N])
{
	for (int f = 0; f < PF_N; f++)
		if (!v[f])
			return false;
	return true;
}

void upd_plan(const struct upd_in *in, struct upd_plan *out)
{
	bool a_good = in->a.present && in->a.verifies && in->a.good;
	bool b_good = in->b.present && in->b.verifies && in->b.good;
	bool b_same[PF_N], a_same[PF_N];
	struct space sp = {0, 0};

	memset(out, 0, sizeof(*out));
	for (int f = 0; f < PF_N; f++) {
		b_same[f] = in->b.has[f] && in->a.has[f] && in->b_is_a[f];
		a_same[f] = in->a.has[f] && in->a_is_new[f];
	}
	/* The version the machine is known to run well: the floor rises to
	 * at most this one, and an update below it is a rollback. */
	if (a_good)
		out->good_version = in->a.version;
	if (b_good && in->b.version > out->good_version)
		out->good_version = in->b.version;
	if (in->new_version < out->good_version) {
		out->result = UPD_DOWNGRADE;
		return;
	}
	/* Already there: a second update changes nothing, not even B. */
	if (all(a_same)) {
		out->result = UPD_NOTHING;
		return;
	}
	/* 1. B, the fallback while A is rewritten and after it: A's files
	 * when A is the proven one; otherwise B stays as it is, and it must
	 * then be a slot the loader boots. */
	if (a_good) {
		if (!all(b_same)) {
			out->copy_b = true;
			write_slot(out, &sp, 1, &in->b, b_same, in->a.size, UPD_SRC_A, in->cluster);
		}
	} else if (!(in->b.present && in->b.verifies)) {
		out->result = UPD_NO_FALLBACK;
		out->n = 0;
		return;
	}
	/* 2. The new version into A. */
	write_slot(out, &sp, 0, &in->a, a_same, in->new_size, UPD_SRC_NEW, in->cluster);
	out->bytes = (uint64_t)sp.peak;
	out->result = UPD_OK;
}

const char *upd_result_str(enum upd_result r)
{
	switch (r) {
	case UPD_OK:
		return "ok";
	case UPD_NOTHING:
		return "slot a holds this slot already";
	case UPD_DOWNGRADE:
		return "version below the good version";
	case UPD_NO_FALLBACK:
		return "slot a is not marked good and slot b does not verify: no slot to fall back "
		       "to";
	}
	return "unknown";
}
