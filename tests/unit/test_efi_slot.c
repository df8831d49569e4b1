/*
 * test_efi_slot.c: spineboot's whole per-slot sequence (efi/slot.c) against
 * a fake firmware: files, variables and a TPM in memory, each able to fail.
 *
 * Slots are signed here with libsodium in signify's own format, so the real
 * verify/ code checks them. Beyond each verdict the tests check what the
 * loader must never do: write state, raise the floor or measure for a slot
 * it refuses, read a kernel it is going to skip, or leak a buffer.
 */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slot.h"

#define DEV_ERR 0x8000000000000007ull
#define NOT_FOUND 0x800000000000000eull

/* ---- the fake firmware -------------------------------------------------------- */

enum { F_SIG, F_KERNEL, F_INITRD, F_CMDLINE, F_CONF, NF };
static const char *const fname[NF] = {"SHA512.sig", "vmlinuz", "initrd.img", "cmdline",
                                      "slot.conf"};

struct ffile {
	uint8_t *data; /* NULL: missing */
	size_t len;
	size_t claimed;      /* nonzero: the size the file system reports instead */
	uint64_t read_error; /* nonzero: reading fails with this status */
	int reads;
};

struct fslot {
	struct ffile f[NF];
	bool have_state; /* a variable named state_name exists */
	char state_name[SPINE_STATE_NAME_LEN];
	uint8_t state[64];
	size_t state_len;
	uint32_t state_attrs;
	uint64_t state_read_error;
	uint64_t state_write_error;
	int state_writes;
	int sweeps;
	char swept_keep[SPINE_STATE_NAME_LEN];
};

struct world {
	struct fslot s[2];
	bool have_floor;
	uint8_t floor[16];
	size_t floor_len;
	uint32_t floor_attrs;
	uint64_t floor_read_error, floor_write_error, floor_delete_error;
	int floor_writes, floor_deletes;
	uint64_t floor_written;
	uint64_t measure_error;
	int measures;
	uint8_t ev_bytes[3][256];
	size_t ev_len[3];
	char ev_desc[3][64];
	char notes[8][192];
	int nnotes;
	bool alloc_fails;
	int live;
};

static struct world W;
static sv_pubkey trusted[2];
static unsigned char sk[2][crypto_sign_SECRETKEYBYTES];

static struct fslot *fs(char slot)
{
	return &W.s[slot == 'a' ? 0 : 1];
}

static spine_read_result fk_read(void *ctx, char slot, const char *name, size_t cap, uint8_t **buf,
                                 size_t *len, uint64_t *status)
{
	(void)ctx;
	for (int i = 0; i < NF; i++) {
		struct ffile *f = &fs(slot)->f[i];

		if (strcmp(name, fname[i]) != 0)
			continue;
		f->reads++;
		if (!f->data)
			return SPINE_READ_MISSING;
		if ((f->claimed ? f->claimed : f->len) > cap)
			return SPINE_READ_TOO_LARGE;
		if (f->read_error) {
			*status = f->read_error;
			return SPINE_READ_ERROR;
		}
		*buf = malloc(f->len + 1);
		cr_assert(*buf);
		memcpy(*buf, f->data, f->len);
		*len = f->len;
		W.live++;
		return SPINE_READ_OK;
	}
	cr_assert_fail("the loader asked for %s", name);
	return SPINE_READ_ERROR;
}

static void *fk_alloc(void *ctx, size_t len)
{
	(void)ctx;
	if (W.alloc_fails)
		return NULL;
	W.live++;
	return malloc(len);
}

static void fk_free(void *ctx, void *p)
{
	(void)ctx;
	W.live--;
	free(p);
}

/* The state name of slot's current install, as the loader must derive it. */
static void cur_name(char slot, char name[SPINE_STATE_NAME_LEN]);

static spine_var_read fk_state_read(void *ctx, char slot, const char *name,
                                    uint8_t buf[SPINE_STATE_LEN], size_t *len, uint32_t *attrs,
                                    uint64_t *status)
{
	struct fslot *s = fs(slot);
	char want[SPINE_STATE_NAME_LEN];

	(void)ctx;
	cur_name(slot, want);
	cr_assert_str_eq(name, want, "the loader read another install's variable");
	if (s->state_read_error) {
		*status = s->state_read_error;
		return SPINE_VAR_ERROR;
	}
	/* One variable per slot in this store: another name is another install's. */
	if (!s->have_state || strcmp(name, s->state_name) != 0)
		return SPINE_VAR_ABSENT;
	/* As vars.c does: a variable too big for the buffer is reported by size. */
	if (s->state_len <= SPINE_STATE_LEN)
		memcpy(buf, s->state, s->state_len);
	*len = s->state_len;
	*attrs = s->state_attrs;
	return SPINE_VAR_PRESENT;
}

static uint64_t fk_state_write(void *ctx, char slot, const char *name,
                               const uint8_t buf[SPINE_STATE_LEN])
{
	struct fslot *s = fs(slot);

	(void)ctx;
	s->state_writes++;
	/* A squat (an authenticated variable of root's) holds only its own name. */
	if (s->state_write_error && (!s->have_state || strcmp(name, s->state_name) == 0))
		return s->state_write_error;
	snprintf(s->state_name, sizeof(s->state_name), "%s", name);
	memcpy(s->state, buf, SPINE_STATE_LEN);
	s->state_len = SPINE_STATE_LEN;
	s->state_attrs = SPINE_STATE_ATTRS;
	s->have_state = true;
	return 0;
}

static void fk_state_sweep(void *ctx, char slot, const char *keep)
{
	(void)ctx;
	fs(slot)->sweeps++;
	snprintf(fs(slot)->swept_keep, sizeof(fs(slot)->swept_keep), "%s", keep);
}

static spine_var_read fk_floor_read(void *ctx, uint8_t buf[8], size_t *len, uint32_t *attrs,
                                    uint64_t *status)
{
	(void)ctx;
	if (W.floor_read_error) {
		*status = W.floor_read_error;
		return SPINE_VAR_ERROR;
	}
	if (!W.have_floor)
		return SPINE_VAR_ABSENT;
	if (W.floor_len <= 8)
		memcpy(buf, W.floor, W.floor_len);
	*len = W.floor_len;
	*attrs = W.floor_attrs;
	return SPINE_VAR_PRESENT;
}

static uint64_t fk_floor_write(void *ctx, uint64_t v)
{
	(void)ctx;
	W.floor_writes++;
	if (W.floor_write_error)
		return W.floor_write_error;
	W.floor_written = v;
	W.have_floor = true;
	W.floor_len = 8;
	W.floor_attrs = SPINE_FLOOR_ATTRS;
	spine_floor_encode(v, W.floor);
	return 0;
}

static uint64_t fk_floor_delete(void *ctx)
{
	(void)ctx;
	W.floor_deletes++;
	if (W.floor_delete_error)
		return W.floor_delete_error;
	W.have_floor = false;
	return 0;
}

static uint64_t fk_measure(void *ctx, const struct spine_event ev[SPINE_NEVENTS])
{
	(void)ctx;
	W.measures++;
	for (int i = 0; i < SPINE_NEVENTS; i++) {
		W.ev_len[i] = ev[i].len;
		memcpy(W.ev_bytes[i], ev[i].data, ev[i].len < 256 ? ev[i].len : 256);
		snprintf(W.ev_desc[i], sizeof(W.ev_desc[i]), "%s", ev[i].desc);
	}
	return W.measure_error;
}

static const char *fk_status(uint64_t s)
{
	return s == DEV_ERR ? "device error" : s == NOT_FOUND ? "not found" : "error";
}

static void fk_note(void *ctx, const char *text)
{
	(void)ctx;
	cr_assert_lt(W.nnotes, 8);
	snprintf(W.notes[W.nnotes++], sizeof(W.notes[0]), "%s", text);
}

static const struct spine_ops ops = {
        .keys = trusted,
        .nkeys = 2,
        .read_file = fk_read,
        .alloc = fk_alloc,
        .free_buf = fk_free,
        .state_read = fk_state_read,
        .state_write = fk_state_write,
        .state_sweep = fk_state_sweep,
        .floor_read = fk_floor_read,
        .floor_write = fk_floor_write,
        .floor_delete = fk_floor_delete,
        .measure = fk_measure,
        .status_str = fk_status,
        .note = fk_note,
};

static void cur_name(char slot, char name[SPINE_STATE_NAME_LEN])
{
	uint8_t id[SPINE_STATE_DIGEST_LEN];

	spine_manifest_id(fs(slot)->f[F_SIG].data, fs(slot)->f[F_SIG].len, id);
	spine_state_name(slot, id, name);
}

/* ---- building signed slots ------------------------------------------------------- */

static void set_file(char slot, int i, const void *p, size_t n)
{
	struct ffile *f = &fs(slot)->f[i];

	free(f->data);
	f->data = malloc(n + 1);
	cr_assert(f->data);
	memcpy(f->data, p, n);
	f->len = n;
}

static size_t b64(const uint8_t *in, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
		             (i + 2 < n ? in[i + 2] : 0);
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = i + 1 < n ? a[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? a[v & 63] : '=';
	}
	out[o] = 0;
	return o;
}

/* signify -S -e: comment, base64("Ed" || keynum || sig), then the message. */
static void sign_list(char slot, const char *list, int key)
{
	uint8_t blob[2 + 8 + 64];
	char line[128], file[8192];
	int n;

	blob[0] = 'E';
	blob[1] = 'd';
	memcpy(blob + 2, trusted[key].keynum, 8);
	crypto_sign_detached(blob + 10, NULL, (const uint8_t *)list, strlen(list), sk[key]);
	b64(blob, sizeof(blob), line);
	n = snprintf(file, sizeof(file), "untrusted comment: verify with test.pub\n%s\n%s", line,
	             list);
	cr_assert(n > 0 && (size_t)n < sizeof(file));
	set_file(slot, F_SIG, file, (size_t)n);
}

static void list_line(char *list, size_t cap, const char *name, const struct ffile *f)
{
	uint8_t d[64];
	size_t o = strlen(list);

	spine_sha512(f->data, f->len, d);
	o += (size_t)snprintf(list + o, cap - o, "SHA512 (%s) = ", name);
	for (int i = 0; i < 64; i++)
		o += (size_t)snprintf(list + o, cap - o, "%02x", d[i]);
	snprintf(list + o, cap - o, "\n");
}

/* Signs whatever the four files now hold, with key 0. */
static void sign(char slot)
{
	char list[4096] = "";

	for (int i = F_KERNEL; i < NF; i++)
		list_line(list, sizeof(list), fname[i], &fs(slot)->f[i]);
	sign_list(slot, list, 0);
}

static void kernel(uint8_t *p, size_t cap, uint16_t major)
{
	memset(p, 0x90, cap);
	p[0] = 'M';
	p[1] = 'Z';
	memset(p + 0x3c, 0, 4);
	p[0x3c] = 0x80;
	memcpy(p + 0x80, "PE\0\0", 4);
	p[0x84] = 0x64;
	p[0x85] = 0x86;
	p[0x94] = 240;
	p[0x95] = 0;
	p[0x98] = 0x0b;
	p[0x99] = 0x02;
	p[0x98 + 44] = (uint8_t)major;
	p[0x98 + 45] = 0;
}

static void good_slot(char slot, const char *cmdline, const char *conf)
{
	uint8_t k[1024];

	kernel(k, sizeof(k), 1);
	set_file(slot, F_KERNEL, k, sizeof(k));
	set_file(slot, F_INITRD, "initrd bytes", 12);
	set_file(slot, F_CMDLINE, cmdline, strlen(cmdline));
	set_file(slot, F_CONF, conf, strlen(conf));
	sign(slot);
}

static void setup(void)
{
	cr_assert_eq(sodium_init() >= 0, true);
	memset(&W, 0, sizeof(W));
	for (int k = 0; k < 2; k++) {
		crypto_sign_keypair(trusted[k].key, sk[k]);
		randombytes_buf(trusted[k].keynum, 8);
	}
	good_slot('a', "console=ttyS0 panic=-1\n", "version=5\n");
	good_slot('b', "console=ttyS0\n", "version=4\ntries=2\n");
}

static void teardown(void)
{
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < NF; i++)
			free(W.s[s].f[i].data);
}

TestSuite(slot, .init = setup, .fini = teardown);

/* Back to setup()'s world within one test (same keys). */
static void setup_reset(void)
{
	teardown();
	memset(&W, 0, sizeof(W));
	good_slot('a', "console=ttyS0 panic=-1\n", "version=5\n");
	good_slot('b', "console=ttyS0\n", "version=4\ntries=2\n");
}

/* Runs one slot under floor fl; returns the verdict, leaves the reason. */
static bool run(char slot, uint64_t floor, char *why)
{
	struct spine_floor_state fl = {.ok = true, .value = floor};
	struct spine_slot s = {.slot = slot};
	bool ok = spine_slot_prepare(&ops, &fl, &s);

	if (why)
		snprintf(why, 192, "%s", s.why);
	spine_slot_release(&ops, &s);
	cr_assert_eq(W.live, 0, "buffers leaked");
	return ok;
}

static void state_of(char slot, struct spine_state *st)
{
	cr_assert(fs(slot)->have_state);
	cr_assert_eq(
	        spine_state_decode(fs(slot)->state, fs(slot)->state_len, fs(slot)->state_attrs, st),
	        SPINE_STATE_OK);
}

/* ---- booting ---------------------------------------------------------------------- */

Test(slot, a_fresh_slot_boots_and_its_attempt_is_recorded_first)
{
	struct spine_floor_state fl = {.ok = true};
	struct spine_slot s = {.slot = 'a'};
	struct spine_state st;
	uint8_t id[32];
	char want[128], name[SPINE_STATE_NAME_LEN];

	cur_name('a', name);
	cr_assert_eq(strncmp(name, "SpineSlotA-", 11), 0);
	cr_assert_eq(strlen(name), 27);
	snprintf(want, sizeof(want), "console=ttyS0 panic=-1 spine.slot=a spine.state=%s",
	         name + 11);
	cr_assert(spine_slot_prepare(&ops, &fl, &s), "%s", s.why);
	cr_assert_eq(s.version, 5);
	cr_assert_eq(s.verdict, SPINE_V_BOOT_ATTEMPT);
	cr_assert_eq(s.option_units, strlen(want) + 1);
	for (size_t i = 0; i <= strlen(want); i++)
		cr_assert_eq(s.options[i], (uint16_t)(uint8_t)want[i]);
	/* The buffers handed off are the bytes that were hashed. */
	cr_assert_eq(s.len[SPINE_F_KERNEL], fs('a')->f[F_KERNEL].len);
	cr_assert_eq(memcmp(s.file[SPINE_F_KERNEL], fs('a')->f[F_KERNEL].data, 1024), 0);
	cr_assert_eq(memcmp(s.file[SPINE_F_INITRD], "initrd bytes", 12), 0);
	spine_slot_release(&ops, &s);
	cr_assert_eq(W.live, 0);

	state_of('a', &st);
	cr_assert_eq(fs('a')->state_writes, 1);
	cr_assert_eq(st.tries_left, SPINE_TRIES_DEFAULT - 1);
	cr_assert_eq(st.good, 0);
	spine_manifest_id(fs('a')->f[F_SIG].data, fs('a')->f[F_SIG].len, id);
	cr_assert_eq(memcmp(st.manifest, id, 32), 0);
	cr_assert_str_eq(fs('a')->state_name, name);
	cr_assert_eq(fs('a')->sweeps, 1, "a new install sweeps earlier installs' variables");
	cr_assert_str_eq(fs('a')->swept_keep, name);
	cr_assert_eq(W.floor_writes, 0, "floor raised for an unproven slot");
	for (int i = 0; i < NF; i++)
		cr_assert_eq(fs('a')->f[i].reads, 1, "%s read %d times", fname[i],
		             fs('a')->f[i].reads);
}

Test(slot, measures_the_documented_events)
{
	cr_assert(run('b', 0, NULL));
	cr_assert_eq(W.measures, 1);
	cr_assert_eq(W.ev_len[0], 12);
	cr_assert_eq(memcmp(W.ev_bytes[0], "spine.slot=b", 12), 0);
	cr_assert_eq(W.ev_len[1], fs('b')->f[F_SIG].len);
	cr_assert_eq(memcmp(W.ev_bytes[1], fs('b')->f[F_SIG].data,
	                    W.ev_len[1] < 256 ? W.ev_len[1] : 256),
	             0);
	cr_assert_str_eq(W.ev_desc[1], "spine.manifest");
	cr_assert_eq(W.ev_len[2], 15);
	cr_assert_eq(memcmp(W.ev_bytes[2], "spine.version=4", 15), 0);
}

Test(slot, a_failed_measurement_is_reported_and_the_boot_goes_on)
{
	W.measure_error = DEV_ERR;
	cr_assert(run('a', 0, NULL));
	cr_assert_eq(W.nnotes, 1);
	cr_assert_str_eq(W.notes[0], "slot a: measurement failed: device error");
}

Test(slot, the_second_key_is_trusted_too)
{
	char list[4096] = "";

	for (int i = F_KERNEL; i < NF; i++)
		list_line(list, sizeof(list), fname[i], &fs('a')->f[i]);
	sign_list('a', list, 1);
	cr_assert(run('a', 0, NULL));
}

/* ---- attempts, good, floor -------------------------------------------------------- */

Test(slot, tries_are_counted_down_then_the_slot_is_skipped)
{
	char why[192];
	struct spine_state st;

	/* slot b: tries=2 */
	cr_assert(run('b', 0, NULL));
	state_of('b', &st);
	cr_assert_eq(st.tries_left, 1);
	cr_assert(run('b', 0, NULL));
	state_of('b', &st);
	cr_assert_eq(st.tries_left, 0);
	for (int i = 0; i < NF; i++)
		fs('b')->f[i].reads = 0;
	cr_assert(!run('b', 0, why));
	cr_assert_str_eq(why, "boot attempts used up");
	cr_assert_eq(fs('b')->state_writes, 2);
	/* Skipped before the expensive part: nothing but the manifest read. */
	cr_assert_eq(fs('b')->f[F_SIG].reads, 1);
	for (int i = F_KERNEL; i < NF; i++)
		cr_assert_eq(fs('b')->f[i].reads, 0, "%s read", fname[i]);
	cr_assert_eq(W.measures, 2);
}

Test(slot, a_good_slot_boots_without_counting_and_raises_the_floor)
{
	struct spine_state st;

	free(fs('b')->f[F_SIG].data); /* no fallback: the floor goes to A's version */
	fs('b')->f[F_SIG].data = NULL;
	cr_assert(run('a', 0, NULL));
	state_of('a', &st);
	fs('a')->state[5] = 1; /* bay0 marks it good */
	fs('a')->state[4] = 0; /* even with no attempts left */
	for (int i = 0; i < 5; i++)
		cr_assert(run('a', 3, NULL));
	cr_assert_eq(fs('a')->state_writes, 1, "a good slot's state was rewritten");
	cr_assert_eq(W.floor_writes, 5);
	cr_assert_eq(W.floor_written, 5);
}

/* A at 5 marked good, B (the fallback) at 4 verifies: the floor stops at 4,
 * so B still boots if A fails later. Reading B takes its SHA512.sig and
 * slot.conf only. */
Test(slot, the_floor_never_strands_a_verifying_fallback)
{
	char why[192];

	cr_assert(run('a', 0, NULL));
	fs('a')->state[5] = 1;
	cr_assert(run('a', 0, NULL));
	cr_assert_eq(W.floor_writes, 1);
	cr_assert_eq(W.floor_written, 4);
	cr_assert_eq(fs('b')->f[F_SIG].reads, 1);
	cr_assert_eq(fs('b')->f[F_CONF].reads, 1);
	cr_assert_eq(fs('b')->f[F_KERNEL].reads, 0, "the fallback's kernel was read");
	cr_assert_eq(fs('b')->f[F_INITRD].reads, 0);
	cr_assert(run('b', 4, why), "B refused under the floor A raised: %s", why);
}

/* A fallback that does not verify (tampered slot.conf, bad signature,
 * missing) holds nothing up: the floor goes to A's own version. */
Test(slot, a_fallback_that_does_not_verify_does_not_hold_the_floor)
{
	const int kinds = 3;

	for (int k = 0; k < kinds; k++) {
		setup_reset();
		cr_assert(run('a', 0, NULL));
		fs('a')->state[5] = 1;
		if (k == 0)
			fs('b')->f[F_CONF].data[0] ^= 1;
		else if (k == 1)
			fs('b')->f[F_SIG].data[fs('b')->f[F_SIG].len - 2] ^= 1;
		else
			fs('b')->f[F_SIG].read_error = DEV_ERR;
		W.floor_writes = 0;
		cr_assert(run('a', 0, NULL));
		cr_assert_eq(W.floor_writes, 1, "kind %d", k);
		cr_assert_eq(W.floor_written, 5, "kind %d", k);
	}
}

Test(slot, the_floor_only_moves_up)
{
	cr_assert(run('a', 0, NULL));
	fs('a')->state[5] = 1;
	cr_assert(run('a', 5, NULL)); /* at the floor already */
	cr_assert(run('a', 4, NULL)); /* at B's version: min(5, 4) is no raise */
	cr_assert_eq(W.floor_writes, 0);
	cr_assert(run('a', 3, NULL)); /* below both: up to B's 4, not to 5 */
	cr_assert_eq(W.floor_writes, 1);
	cr_assert_eq(W.floor_written, 4);
}

Test(slot, a_failed_floor_raise_is_reported_and_the_boot_goes_on)
{
	cr_assert(run('a', 0, NULL));
	fs('a')->state[5] = 1;
	W.floor_write_error = DEV_ERR;
	cr_assert(run('a', 0, NULL));
	cr_assert_eq(W.nnotes, 1);
	cr_assert_str_eq(W.notes[0], "slot a: cannot raise the rollback floor: device error");
}

Test(slot, a_reinstalled_slot_starts_afresh)
{
	struct spine_state st;

	cr_assert(run('b', 0, NULL));
	cr_assert(run('b', 0, NULL));
	cr_assert(!run('b', 0, NULL));
	good_slot('b', "console=ttyS0 quiet\n", "version=6\ntries=2\n"); /* re-signed */
	cr_assert(run('b', 0, NULL));
	state_of('b', &st);
	cr_assert_eq(st.tries_left, 1);
}

Test(slot, every_tries_value_gives_exactly_that_many_boots)
{
	for (int t = 1; t <= SPINE_TRIES_MAX; t++) {
		char conf[32];
		int boots = 0;

		snprintf(conf, sizeof(conf), "version=1\ntries=%d\n", t);
		good_slot('a', "x\n", conf);
		while (run('a', 0, NULL))
			cr_assert_leq(++boots, t);
		cr_assert_eq(boots, t, "tries=%d", t);
	}
}

/* ---- refusals: the exact reason, and nothing written -------------------------------- */

static void refused(char slot, uint64_t floor, const char *want)
{
	char why[192];
	int writes = fs(slot)->state_writes;

	cr_assert(!run(slot, floor, why), "booted, wanted \"%s\"", want);
	cr_assert_str_eq(why, want);
	cr_assert_eq(fs(slot)->state_writes, writes, "state written for a refused slot");
	cr_assert_eq(W.floor_writes, 0, "floor written for a refused slot");
	cr_assert_eq(W.measures, 0, "a refused slot was measured");
}

Test(slot, refuses_a_missing_or_bad_manifest)
{
	struct ffile *sig = &fs('a')->f[F_SIG];

	sig->read_error = DEV_ERR;
	refused('a', 0, "SHA512.sig: unreadable (device error)");
	sig->read_error = 0;
	sig->claimed = SPINE_CAP_SIG + 1;
	refused('a', 0, "SHA512.sig: too large");
	sig->claimed = 0;
	sig->len = 0;
	refused('a', 0, "SHA512.sig: malformed");
	set_file('a', F_SIG, "garbage\n", 8);
	refused('a', 0, "SHA512.sig: malformed");
	free(sig->data);
	sig->data = NULL;
	refused('a', 0, "SHA512.sig: missing");
}

Test(slot, refuses_a_bad_signature_or_key)
{
	struct ffile *sig = &fs('a')->f[F_SIG];
	size_t nl;

	sign('a');
	nl = (size_t)((uint8_t *)memchr(sig->data, '\n', sig->len) - sig->data);
	/* Bytes 40..42 of the base64 line fall inside the Ed25519 signature. */
	sig->data[nl + 1 + 40] = sig->data[nl + 1 + 40] == 'A' ? 'B' : 'A';
	refused('a', 0, "SHA512.sig: bad signature");
	sign('a');
	trusted[0].keynum[0] ^= 1; /* the signing key is no longer trusted */
	refused('a', 0, "SHA512.sig: unknown key number");
	trusted[0].keynum[0] ^= 1;
	/* A signed list followed by more text: the signature no longer covers it. */
	sign('a');
	{
		uint8_t *p = realloc(sig->data, sig->len + 6);
		cr_assert(p);
		memcpy(p + sig->len, "extra\n", 6);
		sig->data = p;
		sig->len += 6;
	}
	refused('a', 0, "SHA512.sig: bad signature");
}

Test(slot, refuses_a_list_with_other_names)
{
	char list[4096];

	/* A fifth plain name. */
	list[0] = 0;
	for (int i = F_KERNEL; i < NF; i++)
		list_line(list, sizeof(list), fname[i], &fs('a')->f[i]);
	list_line(list, sizeof(list), "extra", &fs('a')->f[F_CONF]);
	sign_list('a', list, 0);
	refused('a', 0, "SHA512.sig: lists a file the loader does not use");
	/* Path-like. */
	list[0] = 0;
	for (int i = F_KERNEL; i < NF; i++)
		list_line(list, sizeof(list), fname[i], &fs('a')->f[i]);
	list_line(list, sizeof(list), "../x", &fs('a')->f[F_CONF]);
	sign_list('a', list, 0);
	refused('a', 0, "SHA512.sig: bad name");
	/* Each file missing from the list. */
	for (int miss = F_KERNEL; miss < NF; miss++) {
		char want[96];

		list[0] = 0;
		for (int i = F_KERNEL; i < NF; i++)
			if (i != miss)
				list_line(list, sizeof(list), fname[i], &fs('a')->f[i]);
		sign_list('a', list, 0);
		snprintf(want, sizeof(want), "SHA512.sig: does not list %s", fname[miss]);
		refused('a', 0, want);
	}
	/* A duplicate. */
	list[0] = 0;
	for (int i = F_KERNEL; i < NF; i++)
		list_line(list, sizeof(list), fname[i], &fs('a')->f[i]);
	list_line(list, sizeof(list), "cmdline", &fs('a')->f[F_CMDLINE]);
	sign_list('a', list, 0);
	refused('a', 0, "SHA512.sig: duplicate entry");
}

Test(slot, refuses_each_file_missing_large_unreadable_or_changed)
{
	for (int i = F_KERNEL; i < NF; i++) {
		struct ffile *f = &fs('a')->f[i];
		char want[96];
		uint8_t *keep = f->data;

		f->data = NULL;
		snprintf(want, sizeof(want), "%s: missing", fname[i]);
		refused('a', 0, want);
		f->data = keep;

		f->claimed = spine_file_cap((enum spine_file)(i - 1)) + 1;
		snprintf(want, sizeof(want), "%s: too large", fname[i]);
		refused('a', 0, want);
		f->claimed = 0;

		f->read_error = DEV_ERR;
		snprintf(want, sizeof(want), "%s: unreadable (device error)", fname[i]);
		refused('a', 0, want);
		f->read_error = 0;

		/* One bit anywhere, including the last byte. */
		f->data[f->len - 1] ^= 1;
		snprintf(want, sizeof(want), "%s: hash mismatch", fname[i]);
		refused('a', 0, want);
		f->data[f->len - 1] ^= 1;
		cr_assert(run('a', 0, NULL), "restored slot boots");
		memset(&fs('a')->state, 0, sizeof(fs('a')->state));
		fs('a')->have_state = false;
		fs('a')->state_writes = 0;
		W.measures = 0;
	}
}

Test(slot, refuses_what_the_verified_files_say)
{
	good_slot('a', "x\n", "version=01\n");
	refused('a', 0, "slot.conf: bad version");
	good_slot('a', "x\n", "version=1\nfoo=2\n");
	refused('a', 0, "slot.conf: unknown key");
	good_slot('a', "x\n", "tries=3\n");
	refused('a', 0, "slot.conf: no version");
	good_slot('a', "x\n", "version=3\n");
	refused('a', 5, "version 3 is below the rollback floor 5");
	refused('a', 4, "version 3 is below the rollback floor 4");
	cr_assert(run('a', 3, NULL), "at the floor boots");
	fs('a')->have_state = false;
	W.measures = 0;
	fs('a')->state_writes = 0;
	good_slot('a', "x\ty\n", "version=1\n");
	refused('a', 0, "cmdline: not one line of printable ASCII");
	good_slot('a', "x spine.slot=b\n", "version=1\n");
	refused('a', 0, "cmdline: already contains spine.slot= or spine.state=");
	good_slot('a', "x spine.state=0123456789abcdef\n", "version=1\n");
	refused('a', 0, "cmdline: already contains spine.slot= or spine.state=");
	good_slot('a', "x y=\"z\n", "version=1\n");
	refused('a', 0, "cmdline: contains a double quote");
	{
		char big[SPINE_CMDLINE_MAX + 3];

		memset(big, 'x', SPINE_CMDLINE_MAX + 1);
		big[SPINE_CMDLINE_MAX + 1] = '\n';
		big[SPINE_CMDLINE_MAX + 2] = 0;
		good_slot('a', big, "version=1\n");
		refused('a', 0, "cmdline: too long");
	}
	good_slot('a', "x\n", "version=1\n");
	W.alloc_fails = true;
	refused('a', 0, "cmdline: no memory");
	W.alloc_fails = false;
	set_file('a', F_KERNEL, "not a kernel", 12);
	sign('a');
	refused('a', 0, "vmlinuz: not a PE image");
	{
		uint8_t k[1024];

		kernel(k, sizeof(k), 0);
		set_file('a', F_KERNEL, k, sizeof(k));
		sign('a');
		refused('a', 0, "vmlinuz: EFI stub too old for the LoadFile2 initrd");
	}
}

Test(slot, refuses_a_bad_state_variable)
{
	struct fslot *s = fs('a');

	s->state_read_error = DEV_ERR;
	refused('a', 0, "slot state variable: unreadable (device error)");
	s->state_read_error = 0;
	s->have_state = true;
	cur_name('a', s->state_name);
	s->state_len = 40;
	s->state_attrs = SPINE_STATE_ATTRS;
	memcpy(s->state, "SPS0", 4);
	refused('a', 0, "slot state variable: wrong magic");
	memcpy(s->state, "SPS1", 4);
	s->state[4] = 16;
	refused('a', 0, "slot state variable: field out of range");
	s->state[4] = 3;
	s->state_attrs = SPINE_FLOOR_ATTRS; /* NV|BS: not ours */
	refused('a', 0, "slot state variable: wrong attributes");
	s->state_attrs = SPINE_STATE_ATTRS;
	s->state_len = 41; /* bigger than any state: read by size only */
	refused('a', 0, "slot state variable: wrong size");
	s->state_len = 40; /* a well-formed state of an earlier install */
	cr_assert(run('a', 0, NULL));
}

/* Root in the OS makes the current install's variable unusable: malformed,
 * or an authenticated variable the loader can neither read as its own nor
 * overwrite. The slot is refused, and a reinstall (any new SHA512.sig) gets a
 * new variable name, so the squat does not outlive it. */
Test(slot, a_squatted_state_does_not_outlive_a_reinstall)
{
	struct fslot *s = fs('a');
	char old[SPINE_STATE_NAME_LEN], why[192];

	cur_name('a', old);
	snprintf(s->state_name, sizeof(s->state_name), "%s", old);
	s->have_state = true;
	s->state_len = 40;
	s->state_attrs = SPINE_STATE_ATTRS | 0x20; /* time-based authenticated */
	memcpy(s->state, "SPS1", 4);
	refused('a', 0, "slot state variable: wrong attributes");
	s->state_attrs = SPINE_STATE_ATTRS;
	s->state[5] = 2; /* good=2 */
	refused('a', 0, "slot state variable: field out of range");
	s->state_len = 39;
	refused('a', 0, "slot state variable: wrong size");

	/* Reinstalled: a new SHA512.sig, so a new id and a new name. */
	good_slot('a', "console=ttyS0 panic=-1 \n", "version=5\n");
	cr_assert(run('a', 0, why), "%s", why);
	cr_assert_str_neq(s->state_name, old);
	cr_assert_str_eq(s->swept_keep, s->state_name);
}

Test(slot, a_state_the_loader_cannot_write_refuses_until_reinstalled)
{
	struct fslot *s = fs('a');
	char old[SPINE_STATE_NAME_LEN], why[192];

	/* A write-protected (authenticated) variable that reads as absent to
	 * GetVariable's attribute check would still block every SetVariable. */
	s->state_write_error = DEV_ERR;
	cur_name('a', old);
	cr_assert(!run('a', 0, why));
	cr_assert_str_eq(why, "cannot record the boot attempt (device error)");
	snprintf(s->state_name, sizeof(s->state_name), "%s", old);
	s->have_state = false;
	good_slot('a', "console=ttyS0 panic=-1 \n", "version=5\n");
	/* The squat holds only the old name: the new install's write succeeds. */
	s->have_state = true;
	s->state_len = 40;
	s->state_attrs = SPINE_STATE_ATTRS | 0x20;
	cr_assert(run('a', 0, why), "%s", why);
	cr_assert_str_neq(s->state_name, old);
}

Test(slot, refuses_when_the_attempt_cannot_be_recorded)
{
	char why[192];

	fs('a')->state_write_error = DEV_ERR;
	cr_assert(!run('a', 0, why));
	cr_assert_str_eq(why, "cannot record the boot attempt (device error)");
	cr_assert_eq(fs('a')->state_writes, 1, "the write was tried");
	cr_assert_eq(W.measures, 0, "measured a slot that will not boot");
	cr_assert_eq(W.floor_writes, 0);
}

Test(slot, refuses_every_slot_when_the_floor_is_unknown)
{
	struct spine_floor_state fl = {.ok = false};
	struct spine_slot s = {.slot = 'a'};

	snprintf(fl.why, sizeof(fl.why), "rollback floor unreadable (device error)");
	cr_assert(!spine_slot_prepare(&ops, &fl, &s));
	cr_assert_str_eq(s.why, "rollback floor unreadable (device error)");
	spine_slot_release(&ops, &s);
	cr_assert_eq(fs('a')->f[F_SIG].reads, 0);
}

/* ---- the floor variable ------------------------------------------------------------ */

Test(slot, floor_load)
{
	struct spine_floor_state fl;

	/* None yet: created at 0 before anything boots, so that root in the OS
	 * never finds the name free. */
	spine_floor_load(&ops, &fl);
	cr_assert(fl.ok);
	cr_assert_eq(fl.value, 0);
	cr_assert_eq(W.floor_writes, 1);
	cr_assert(W.have_floor);
	cr_assert_eq(W.floor_attrs, SPINE_FLOOR_ATTRS);
	cr_assert_str_eq(W.notes[W.nnotes - 1], "created SpineRollbackFloor = 0");
	W.have_floor = false;
	W.floor_write_error = DEV_ERR;
	spine_floor_load(&ops, &fl);
	cr_assert(!fl.ok, "booting with the name free leaves the squat window open");
	cr_assert_str_eq(fl.why, "rollback floor cannot be created (device error)");
	W.floor_write_error = 0;

	W.have_floor = true;
	W.floor_len = 8;
	W.floor_attrs = SPINE_FLOOR_ATTRS;
	spine_floor_encode(0x1122334455ull, W.floor);
	spine_floor_load(&ops, &fl);
	cr_assert(fl.ok);
	cr_assert_eq(fl.value, 0x1122334455ull);
	cr_assert_eq(W.floor_deletes, 0);

	W.floor_read_error = DEV_ERR;
	spine_floor_load(&ops, &fl);
	cr_assert(!fl.ok);
	cr_assert_str_eq(fl.why, "rollback floor unreadable (device error)");
	W.floor_read_error = 0;

	/* With RT: created from the OS; deleted and not believed. */
	W.floor_attrs = SPINE_FLOOR_ATTRS | SPINE_ATTR_RT;
	W.floor_delete_error = DEV_ERR;
	spine_floor_load(&ops, &fl);
	cr_assert(!fl.ok);
	cr_assert_str_eq(fl.why,
	                 "rollback floor variable malformed and not deletable (device error)");
	W.floor_delete_error = 0;
	spine_floor_load(&ops, &fl);
	cr_assert(fl.ok);
	cr_assert_eq(fl.value, 0);
	cr_assert(W.have_floor, "the floor is created again right after the delete");
	cr_assert_eq(W.floor_attrs, SPINE_FLOOR_ATTRS);
	cr_assert_str_eq(W.notes[W.nnotes - 2], "deleted a malformed SpineRollbackFloor");
	cr_assert_str_eq(W.notes[W.nnotes - 1], "created SpineRollbackFloor = 0");

	W.have_floor = true;
	W.floor_attrs = SPINE_FLOOR_ATTRS;
	W.floor_len = 9;
	spine_floor_load(&ops, &fl);
	cr_assert(fl.ok);
	cr_assert_eq(fl.value, 0);
	cr_assert_eq(W.floor_deletes, 3);
}
