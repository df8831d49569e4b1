/*
 * ed25519.c: strict Ed25519 verification (RFC 8032 section 5.1.7 with the
 * cofactorless equation). The exact policy, and how it differs from signify
 * and libsodium, is in docs/verify.md.
 *
 * [S]B - [k]A is one interleaved double-scalar multiplication: width-5 wNAF
 * for A over 8 odd multiples computed per call, width-8 wNAF for B over 64
 * odd multiples in a const table (ed25519_base.h, made by verify/gen/).
 */
#include "sv.h"
#include "ge25519.h"
#include "ed25519_base.h"

/* L = 2^252 + 27742317777372353535851937790883648493, little-endian limbs. */
static const uint64_t L64[4] = {0x5812631a5cf5d3edull, 0x14def9dea2f79cd6ull, 0, 1ull << 60};

/* mu = floor(2^512 / L), for Barrett reduction. */
static const uint64_t MU[5] = {0xed9ce5a30a2c131bull, 0x2106215d086329a7ull, 0xffffffffffffffebull,
                               0xffffffffffffffffull, 0xfull};

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* a >= L, for a of n >= 4 limbs. */
static bool ge_L(const uint64_t *a, size_t n)
{
	for (size_t i = n; i-- > 4;)
		if (a[i] != 0)
			return true;
	for (size_t i = 4; i-- > 0;)
		if (a[i] != L64[i])
			return a[i] > L64[i];
	return true;
}

/* S is canonical: S < L (RFC 8032 section 5.1.7 step 1). */
static bool scalar_is_canonical(const uint8_t s[32])
{
	uint64_t a[4];

	for (int i = 0; i < 4; i++)
		a[i] = load_le64(s + 8 * i);
	return !ge_L(a, 4);
}

/*
 * out = h mod L for a 512-bit little-endian h: Barrett reduction with base
 * 2^64 and k = 4 (Menezes et al., Handbook of Applied Cryptography, 14.42).
 * q = floor(floor(h / 2^192) * mu / 2^320) undershoots floor(h / L) by at
 * most 2, so r = h - q L lies in [0, 3L) and two conditional subtractions
 * finish. Only the low 320 bits of h and q L are needed for r.
 */
static void scalar_reduce512(uint64_t out[4], const uint8_t h[64])
{
	uint64_t x[8], prod[10] = {0}, r[5], qL[5] = {0};

	for (int i = 0; i < 8; i++)
		x[i] = load_le64(h + 8 * i);

	/* prod = (x >> 192) * mu */
	for (int i = 0; i < 5; i++) {
		uint64_t carry = 0;
		for (int j = 0; j < 5; j++) {
			sv_u128 t = (sv_u128)x[3 + i] * MU[j] + prod[i + j] + carry;
			prod[i + j] = (uint64_t)t;
			carry = (uint64_t)(t >> 64);
		}
		prod[i + 5] = carry;
	}
	/* q = prod >> 320 = prod[5..9]; qL = (q * L) mod 2^320 */
	for (int i = 0; i < 5; i++) {
		uint64_t carry = 0;
		for (int j = 0; j < 4 && i + j < 5; j++) {
			sv_u128 t = (sv_u128)prod[5 + i] * L64[j] + qL[i + j] + carry;
			qL[i + j] = (uint64_t)t;
			carry = (uint64_t)(t >> 64);
		}
		if (i + 4 < 5)
			qL[i + 4] += carry;
	}
	/* r = (x - qL) mod 2^320 */
	uint64_t borrow = 0;
	for (int i = 0; i < 5; i++) {
		sv_u128 t = (sv_u128)x[i] - qL[i] - borrow;
		r[i] = (uint64_t)t;
		borrow = (uint64_t)(t >> 64) & 1;
	}
	while (ge_L(r, 5)) {
		borrow = 0;
		for (int i = 0; i < 5; i++) {
			uint64_t l = i < 4 ? L64[i] : 0;
			sv_u128 t = (sv_u128)r[i] - l - borrow;
			r[i] = (uint64_t)t;
			borrow = (uint64_t)(t >> 64) & 1;
		}
	}
	for (int i = 0; i < 4; i++)
		out[i] = r[i];
}

/*
 * Width-w non-adjacent form of a scalar below 2^253: naf[i] is 0 or odd in
 * (-2^(w-1), 2^(w-1)), any two non-zero digits are at least w apart, and
 * sum naf[i] 2^i equals the scalar. The invariant of the loop is that the
 * part not yet written equals (s >> pos) + carry.
 */
static void wnaf(int8_t naf[256], const uint64_t s[4], unsigned w)
{
	const uint64_t width = UINT64_C(1) << w, mask = width - 1;
	uint64_t carry = 0;
	unsigned pos = 0;

	for (int i = 0; i < 256; i++)
		naf[i] = 0;
	while (pos < 256) {
		unsigned limb = pos / 64, shift = pos % 64;
		uint64_t bits = s[limb] >> shift;

		if (shift + w > 64 && limb + 1 < 4)
			bits |= s[limb + 1] << (64 - shift);
		uint64_t window = carry + (bits & mask);
		if ((window & 1) == 0) {
			pos++;
			continue;
		}
		if (window < width / 2) {
			carry = 0;
			naf[pos] = (int8_t)window;
		} else {
			carry = 1;
			naf[pos] = (int8_t)((int64_t)window - (int64_t)width);
		}
		pos += w;
	}
}

/* r = [a]A + [b]B, variable time. a, b < 2^253. */
static void double_scalarmult(ge_p2 *r, const uint64_t a[4], const ge_p3 *A, const uint64_t b[4])
{
	int8_t an[256], bn[256];
	ge_cached Ai[8]; /* A, 3A, 5A, ..., 15A */
	ge_p1p1 t;
	ge_p3 u, A2;
	ge_p2 p;
	int i;

	wnaf(an, a, 5);
	wnaf(bn, b, 8);

	ge_p3_to_cached(&Ai[0], A);
	ge_p3_to_p2(&p, A);
	ge_dbl(&t, &p);
	ge_p1p1_to_p3(&A2, &t);
	for (int j = 1; j < 8; j++) {
		ge_add_cached(&t, &A2, &Ai[j - 1], false);
		ge_p1p1_to_p3(&u, &t);
		ge_p3_to_cached(&Ai[j], &u);
	}

	for (i = 255; i >= 0 && an[i] == 0 && bn[i] == 0; i--)
		;
	ge_p2_0(r);
	for (; i >= 0; i--) {
		ge_dbl(&t, r);
		if (an[i] != 0) {
			ge_p1p1_to_p3(&u, &t);
			if (an[i] > 0)
				ge_add_cached(&t, &u, &Ai[an[i] / 2], false);
			else
				ge_add_cached(&t, &u, &Ai[-an[i] / 2], true);
		}
		if (bn[i] != 0) {
			ge_p1p1_to_p3(&u, &t);
			if (bn[i] > 0)
				ge_add_niels(&t, &u, &base_odd[bn[i] / 2], false);
			else
				ge_add_niels(&t, &u, &base_odd[-bn[i] / 2], true);
		}
		ge_p1p1_to_p2(r, &t);
	}
}

/* [8]P is the identity exactly when P's order divides 8. */
static bool has_small_order(const ge_p3 *P)
{
	ge_p2 p;
	ge_p1p1 t;

	ge_p3_to_p2(&p, P);
	for (int i = 0; i < 3; i++) {
		ge_dbl(&t, &p);
		ge_p1p1_to_p2(&p, &t);
	}
	return fe_iszero(&p.X) && fe_equal(&p.Y, &p.Z);
}

static bool pubkey_decode(ge_p3 *A, const uint8_t pub[32])
{
	return ge_decode(A, pub) && !has_small_order(A);
}

sv_result sv_ed25519_check_pubkey(const uint8_t pub[32])
{
	ge_p3 A;

	return pubkey_decode(&A, pub) ? SV_OK : SV_E_BAD_KEY;
}

sv_result sv_ed25519_verify(const uint8_t sig[64], const uint8_t pub[32], const uint8_t *msg,
                            size_t len)
{
	uint8_t h[SV_SHA512_LEN], check[32];
	uint64_t k[4], s[4];
	struct sv_sha512 c;
	ge_p3 A;
	ge_p2 R;

	if (!pubkey_decode(&A, pub))
		return SV_E_BAD_KEY;
	if (!scalar_is_canonical(sig + 32))
		return SV_E_BAD_SIGNATURE;

	/* k = SHA-512(R || A || M) mod L, over the encodings as given. */
	sv_sha512_init(&c);
	sv_sha512_update(&c, sig, 32);
	sv_sha512_update(&c, pub, 32);
	sv_sha512_update(&c, msg, len);
	sv_sha512_final(&c, h);
	scalar_reduce512(k, h);
	for (int i = 0; i < 4; i++)
		s[i] = load_le64(sig + 32 + 8 * i);

	/* [S]B - [k]A = [S]B + [k](-A); -(x, y) = (-x, y). */
	fe_neg(&A.X, &A.X);
	fe_neg(&A.T, &A.T);
	double_scalarmult(&R, k, &A, s);

	/* Byte equality with the canonical encoding also rejects an R that is
	 * non-canonical or off the curve: such bytes are never an output. */
	ge_encode(check, &R);
	return sv_ct_equal(check, sig, 32) ? SV_OK : SV_E_BAD_SIGNATURE;
}
