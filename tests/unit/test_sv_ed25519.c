/*
 * test_sv_ed25519.c: strict Ed25519 verification (docs/verify.md): RFC 8032
 * section 7.1, then every rejection the policy promises. Vectors are data:
 * sv_vectors.h (published) and sv_ed25519_edge.h (verify/gen/).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sv.h"
#include "ed25519_base.h"
#include "sv_ed25519_edge.h"
#include "sv_vectors.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* L, the group order, little-endian. */
static const char L_hex[] = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";

/* Decodes hex into a heap buffer of exactly the decoded size (so ASan sees
 * any over-read of the message); *n is its length. */
static uint8_t *unhex_alloc(const char *hex, size_t *n)
{
	size_t len = strlen(hex);
	uint8_t *out;

	cr_assert_eq(len % 2, 0, "vector hex length");
	*n = len / 2;
	out = malloc(*n ? *n : 1);
	cr_assert_not_null(out);
	for (size_t i = 0; i < *n; i++) {
		unsigned v;
		cr_assert_eq(sscanf(hex + 2 * i, "%2x", &v), 1, "vector hex digit");
		out[i] = (uint8_t)v;
	}
	return out;
}

static void unhex(const char *hex, uint8_t *out, size_t n)
{
	size_t got;
	uint8_t *b = unhex_alloc(hex, &got);

	cr_assert_eq(got, n, "vector length");
	memcpy(out, b, n);
	free(b);
}

struct vec {
	uint8_t pub[32];
	uint8_t sig[64];
	uint8_t *msg;
	size_t len;
};

static void load(struct vec *v, const struct ed25519_vector *e)
{
	unhex(e->public_hex, v->pub, 32);
	unhex(e->sig_hex, v->sig, 64);
	v->msg = unhex_alloc(e->msg_hex, &v->len);
}

static sv_result verify(const struct vec *v)
{
	return sv_ed25519_verify(v->sig, v->pub, v->msg, v->len);
}

/* 256-bit little-endian a + b (no overflow for the values used here). */
static void add256(uint8_t out[32], const uint8_t a[32], const uint8_t b[32])
{
	unsigned carry = 0;

	for (int i = 0; i < 32; i++) {
		unsigned t = a[i] + b[i] + carry;
		out[i] = (uint8_t)t;
		carry = t >> 8;
	}
	cr_assert_eq(carry, 0);
}

static void check_rfc(size_t k)
{
	struct vec v;

	load(&v, &ed25519_vectors[k]);
	cr_expect_eq(sv_ed25519_check_pubkey(v.pub), SV_OK, "%s: key", ed25519_vectors[k].name);
	cr_expect_eq(verify(&v), SV_OK, "%s: signature", ed25519_vectors[k].name);
	free(v.msg);
}

Test(ed25519, rfc8032_test_1)
{
	check_rfc(0);
}

Test(ed25519, rfc8032_test_2)
{
	check_rfc(1);
}

Test(ed25519, rfc8032_test_3)
{
	check_rfc(2);
}

Test(ed25519, rfc8032_test_1024)
{
	check_rfc(3);
}

Test(ed25519, rfc8032_test_sha_abc)
{
	check_rfc(4);
}

/* Signatures from the model signer in verify/gen (checked there against
 * OpenSSL), over lengths around the SHA-512 block, two of them empty. */
Test(ed25519, model_signatures_verify)
{
	for (size_t i = 0; i < COUNT(good); i++) {
		uint8_t pub[32], sig[64];
		size_t n;
		uint8_t *msg = unhex_alloc(good[i].msg_hex, &n);

		unhex(good[i].public_hex, pub, 32);
		unhex(good[i].sig_hex, sig, 64);
		cr_expect_eq(sv_ed25519_verify(sig, pub, msg, n), SV_OK,
		             "model vector %zu (%zu bytes)", i, n);
		free(msg);
	}
}

/* Wycheproof's Ed25519 cases (sv_vectors.h): every "valid" one verifies,
 * every "invalid" one is refused. Each case is named on failure. */
Test(ed25519, wycheproof)
{
	size_t n_valid = 0;

	for (size_t i = 0; i < COUNT(wycheproof_ed25519); i++) {
		const struct wycheproof_case *w = &wycheproof_ed25519[i];
		uint8_t pub[32], sig[64];
		size_t n;
		uint8_t *msg = unhex_alloc(w->msg_hex, &n);

		unhex(w->public_hex, pub, 32);
		unhex(w->sig_hex, sig, 64);
		sv_result r = sv_ed25519_verify(sig, pub, msg, n);
		if (w->valid)
			cr_expect_eq(r, SV_OK, "tcId %d: %s", w->tc_id, sv_result_str(r));
		else
			cr_expect_neq(r, SV_OK, "tcId %d accepted", w->tc_id);
		n_valid += w->valid;
		free(msg);
	}
	cr_expect_gt(n_valid, 0);
	cr_expect_lt(n_valid, COUNT(wycheproof_ed25519));
}

/* The empty message of RFC TEST 1, passed as NULL as well as a pointer. */
Test(ed25519, empty_message_known_good)
{
	uint8_t pub[32], sig[64], byte = 0x5a;

	unhex(ed25519_vectors[0].public_hex, pub, 32);
	unhex(ed25519_vectors[0].sig_hex, sig, 64);
	cr_expect_eq(sv_ed25519_verify(sig, pub, NULL, 0), SV_OK);
	cr_expect_eq(sv_ed25519_verify(sig, pub, &byte, 0), SV_OK);
	cr_expect_eq(sv_ed25519_verify(sig, pub, &byte, 1), SV_E_BAD_SIGNATURE);
}

/* Each of the 512 bits of each RFC signature flipped. */
Test(ed25519, every_signature_bit_flipped)
{
	for (size_t k = 0; k < COUNT(ed25519_vectors); k++) {
		struct vec v;

		load(&v, &ed25519_vectors[k]);
		for (int bit = 0; bit < 512; bit++) {
			v.sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			cr_expect_eq(verify(&v), SV_E_BAD_SIGNATURE, "%s: bit %d",
			             ed25519_vectors[k].name, bit);
			v.sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		free(v.msg);
	}
}

/* Each of the 256 bits of the public key flipped: never accepted, and the
 * result is a key error or a signature error, nothing else. */
Test(ed25519, every_key_bit_flipped)
{
	struct vec v;

	load(&v, &ed25519_vectors[2]);
	for (int bit = 0; bit < 256; bit++) {
		v.pub[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		sv_result r = verify(&v);
		cr_expect(r == SV_E_BAD_KEY || r == SV_E_BAD_SIGNATURE, "bit %d: %s", bit,
		          sv_result_str(r));
		v.pub[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	free(v.msg);
}

/* Each byte of the 1023-byte and 64-byte RFC messages flipped, plus the
 * message cut short and extended by one byte. */
Test(ed25519, every_message_byte_flipped)
{
	static const size_t which[] = {3, 4};

	for (size_t w = 0; w < COUNT(which); w++) {
		struct vec v;
		uint8_t *longer;

		load(&v, &ed25519_vectors[which[w]]);
		for (size_t i = 0; i < v.len; i++) {
			v.msg[i] ^= 0xff;
			cr_expect_eq(verify(&v), SV_E_BAD_SIGNATURE, "%s: byte %zu",
			             ed25519_vectors[which[w]].name, i);
			v.msg[i] ^= 0xff;
		}
		cr_expect_eq(sv_ed25519_verify(v.sig, v.pub, v.msg, v.len - 1), SV_E_BAD_SIGNATURE);
		longer = malloc(v.len + 1);
		cr_assert_not_null(longer);
		memcpy(longer, v.msg, v.len);
		longer[v.len] = 0;
		cr_expect_eq(sv_ed25519_verify(v.sig, v.pub, longer, v.len + 1),
		             SV_E_BAD_SIGNATURE);
		free(longer);
		free(v.msg);
	}
}

/* S + L names the same scalar; signify and lax verifiers accept it. */
Test(ed25519, s_plus_l_rejected)
{
	uint8_t L[32];

	unhex(L_hex, L, 32);
	for (size_t k = 0; k < COUNT(ed25519_vectors); k++) {
		struct vec v;

		load(&v, &ed25519_vectors[k]);
		add256(v.sig + 32, v.sig + 32, L);
		cr_expect_eq(verify(&v), SV_E_BAD_SIGNATURE, "%s with S + L",
		             ed25519_vectors[k].name);
		free(v.msg);
	}
}

Test(ed25519, s_equal_l_and_above_rejected)
{
	struct vec v;

	load(&v, &ed25519_vectors[0]);
	unhex(L_hex, v.sig + 32, 32);
	cr_expect_eq(verify(&v), SV_E_BAD_SIGNATURE, "S = L");
	v.sig[32] = 0xee; /* L + 1 */
	cr_expect_eq(verify(&v), SV_E_BAD_SIGNATURE, "S = L + 1");
	memset(v.sig + 32, 0xff, 32);
	cr_expect_eq(verify(&v), SV_E_BAD_SIGNATURE, "S = 2^256 - 1");
	free(v.msg);
}

static void expect_bad_key(const char *hex, const char *what)
{
	struct vec v;
	uint8_t pub[32];

	unhex(hex, pub, 32);
	cr_expect_eq(sv_ed25519_check_pubkey(pub), SV_E_BAD_KEY, "%s %s", what, hex);
	load(&v, &ed25519_vectors[0]);
	cr_expect_eq(sv_ed25519_verify(v.sig, pub, v.msg, v.len), SV_E_BAD_KEY, "%s %s", what, hex);
	free(v.msg);
}

Test(ed25519, key_y_ge_p_rejected)
{
	for (size_t i = 0; i < COUNT(y_ge_p_hex); i++)
		expect_bad_key(y_ge_p_hex[i], "y >= p");
}

Test(ed25519, key_off_curve_rejected)
{
	for (size_t i = 0; i < COUNT(off_curve_hex); i++)
		expect_bad_key(off_curve_hex[i], "off curve");
}

Test(ed25519, key_small_order_rejected)
{
	for (size_t i = 0; i < COUNT(small_order_hex); i++)
		expect_bad_key(small_order_hex[i], "small order");
}

Test(ed25519, key_small_order_noncanonical_rejected)
{
	for (size_t i = 0; i < COUNT(small_order_alias_hex); i++)
		expect_bad_key(small_order_alias_hex[i], "small order alias");
}

/* R = the identity with S = k a: the canonical encoding verifies, so the
 * rejections of its aliases are the byte comparison at work. */
Test(ed25519, r_noncanonical_rejected)
{
	size_t valid = 0;

	for (size_t i = 0; i < COUNT(crafted); i++) {
		uint8_t pub[32], sig[64];

		unhex(crafted[i].public_hex, pub, 32);
		unhex(crafted[i].sig_hex, sig, 64);
		cr_expect_eq(sv_ed25519_verify(sig, pub, (const uint8_t *)crafted[i].msg,
		                               strlen(crafted[i].msg)),
		             crafted[i].valid ? SV_OK : SV_E_BAD_SIGNATURE, "%s", crafted[i].name);
		valid += crafted[i].valid;
	}
	cr_expect_eq(valid, 1, "exactly one control case");
}

/* A mixed-order key (prime-order part plus a point of order 8) is not of
 * small order and loads. With it, [S]B - [k]A' = R - [k]T8, so the
 * cofactorless equation holds only when 8 divides k; a cofactored verifier
 * would accept all four. */
Test(ed25519, mixed_order_key_cofactorless)
{
	uint8_t pub[32];
	size_t n_ok = 0, n_bad = 0;

	unhex(mixed_key_hex, pub, 32);
	cr_expect_eq(sv_ed25519_check_pubkey(pub), SV_OK, "mixed-order key loads");
	for (size_t i = 0; i < COUNT(mixed); i++) {
		uint8_t sig[64];

		unhex(mixed[i].sig_hex, sig, 64);
		cr_expect_eq(sv_ed25519_verify(sig, pub, (const uint8_t *)mixed[i].msg,
		                               strlen(mixed[i].msg)),
		             mixed[i].k_mult_of_8 ? SV_OK : SV_E_BAD_SIGNATURE, "%s", mixed[i].msg);
		if (mixed[i].k_mult_of_8)
			n_ok++;
		else
			n_bad++;
	}
	cr_expect(n_ok > 0 && n_bad > 0, "both kinds present");
}

Test(ed25519, all_zero)
{
	struct vec v;
	uint8_t zero[64] = {0};

	load(&v, &ed25519_vectors[1]);
	cr_expect_eq(sv_ed25519_verify(zero, zero, v.msg, v.len), SV_E_BAD_KEY, "zero key and sig");
	cr_expect_eq(sv_ed25519_verify(zero, v.pub, v.msg, v.len), SV_E_BAD_SIGNATURE,
	             "zero signature");
	cr_expect_eq(sv_ed25519_verify(v.sig, zero, v.msg, v.len), SV_E_BAD_KEY, "zero key");
	free(v.msg);
}

/* The const table equals (2i+1)B recomputed here by repeated addition, and
 * its first entry is B itself (y = 4/5). */
Test(ed25519, base_table_matches_base_point)
{
	static const uint8_t base_enc[32] = {0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	                                     0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	                                     0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	                                     0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66};
	ge_p3 B, B2, P;
	ge_p2 p2;
	ge_p1p1 t;
	ge_cached b2;

	cr_assert(ge_decode(&B, base_enc));
	ge_p3_to_p2(&p2, &B);
	ge_dbl(&t, &p2);
	ge_p1p1_to_p3(&B2, &t);
	ge_p3_to_cached(&b2, &B2);
	P = B;
	for (size_t i = 0; i < COUNT(base_odd); i++) {
		/* Compare projectively: (y+x) Z = ypx, (y-x) Z = ymx, 2dxy Z^2 = 2d X Y. */
		fe lhs, rhs, z2;

		fe_add(&lhs, &P.Y, &P.X);
		fe_mul(&rhs, &base_odd[i].ypx, &P.Z);
		cr_expect(fe_equal(&lhs, &rhs), "entry %zu: y+x", i);
		fe_sub(&lhs, &P.Y, &P.X);
		fe_mul(&rhs, &base_odd[i].ymx, &P.Z);
		cr_expect(fe_equal(&lhs, &rhs), "entry %zu: y-x", i);
		fe_mul(&lhs, &P.X, &P.Y);
		fe_mul(&lhs, &lhs, &fe_d2);
		fe_sq(&z2, &P.Z);
		fe_mul(&rhs, &base_odd[i].xy2d, &z2);
		cr_expect(fe_equal(&lhs, &rhs), "entry %zu: 2dxy", i);
		ge_add_cached(&t, &P, &b2, false);
		ge_p1p1_to_p3(&P, &t);
	}
}
