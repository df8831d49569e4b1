/*
 * ge25519.h: points of edwards25519 (-x^2 + y^2 = 1 + d x^2 y^2), internal
 * to verify/. Formulas: Hisil, Wong, Carter, Dawson, "Twisted Edwards curves
 * revisited" (2008), sections 3.1-3.3 with a = -1.
 *
 * Four representations, each chosen for what the next step needs:
 *   ge_p2      (X:Y:Z)          x = X/Z, y = Y/Z; enough to double
 *   ge_p3      (X:Y:Z:T)        extended, T = XY/Z; needed to add
 *   ge_p1p1    ((X:Z),(Y:T))    "completed": x = X/Z, y = Y/T; what dbl and
 *                               add produce, converted with 3 or 4 multiplies
 *   ge_cached  (Y+X, Y-X, Z, 2dT)  an addend prepared once, added many times
 *   ge_niels   (y+x, y-x, 2dxy)    an affine addend (Z = 1): the base table
 */
#ifndef SV_GE25519_H
#define SV_GE25519_H

#include "fe25519.h"

typedef struct {
	fe X, Y, Z;
} ge_p2;

typedef struct {
	fe X, Y, Z, T;
} ge_p3;

typedef struct {
	fe X, Y, Z, T;
} ge_p1p1;

typedef struct {
	fe YpX, YmX, Z, T2d;
} ge_cached;

typedef struct {
	fe ypx, ymx, xy2d;
} ge_niels;

/* d = -121665/121666 and 2d mod p, and sqrt(-1) = 2^((p-1)/4) mod p. */
static const fe fe_d = {{0x34dca135978a3ull, 0x1a8283b156ebdull, 0x5e7a26001c029ull,
                         0x739c663a03cbbull, 0x52036cee2b6ffull}};
static const fe fe_d2 = {{0x69b9426b2f159ull, 0x35050762add7aull, 0x3cf44c0038052ull,
                          0x6738cc7407977ull, 0x2406d9dc56dffull}};
static const fe fe_sqrtm1 = {{0x61b274a0ea0b0ull, 0x0d5a5fc8f189dull, 0x7ef5e9cbd0c60ull,
                              0x78595a6804c9eull, 0x2b8324804fc1dull}};

static inline void ge_p2_0(ge_p2 *h)
{
	fe_0(&h->X);
	fe_1(&h->Y);
	fe_1(&h->Z);
}

static inline void ge_p1p1_to_p2(ge_p2 *r, const ge_p1p1 *p)
{
	fe_mul(&r->X, &p->X, &p->T);
	fe_mul(&r->Y, &p->Y, &p->Z);
	fe_mul(&r->Z, &p->Z, &p->T);
}

static inline void ge_p1p1_to_p3(ge_p3 *r, const ge_p1p1 *p)
{
	fe_mul(&r->X, &p->X, &p->T);
	fe_mul(&r->Y, &p->Y, &p->Z);
	fe_mul(&r->Z, &p->Z, &p->T);
	fe_mul(&r->T, &p->X, &p->Y);
}

static inline void ge_p3_to_p2(ge_p2 *r, const ge_p3 *p)
{
	r->X = p->X;
	r->Y = p->Y;
	r->Z = p->Z;
}

static inline void ge_p3_to_cached(ge_cached *r, const ge_p3 *p)
{
	fe_add(&r->YpX, &p->Y, &p->X);
	fe_sub(&r->YmX, &p->Y, &p->X);
	r->Z = p->Z;
	fe_mul(&r->T2d, &p->T, &fe_d2);
}

/*
 * r = 2p ("dbl-2008-hwcd", a = -1), as a completed point:
 *   x = 2XY / (Y^2 - X^2),  y = (X^2 + Y^2) / (2Z^2 - Y^2 + X^2).
 */
static inline void ge_dbl(ge_p1p1 *r, const ge_p2 *p)
{
	fe a, b, c, t;

	fe_sq(&a, &p->X);
	fe_sq(&b, &p->Y);
	fe_sq(&c, &p->Z);
	fe_add(&c, &c, &c);
	fe_add(&t, &p->X, &p->Y);
	fe_sq(&t, &t);
	fe_add(&r->Y, &a, &b);    /* X^2 + Y^2 */
	fe_sub(&r->X, &t, &r->Y); /* (X+Y)^2 - X^2 - Y^2 = 2XY */
	fe_sub(&r->Z, &b, &a);    /* Y^2 - X^2 */
	fe_add(&t, &a, &c);
	fe_sub(&r->T, &t, &b); /* 2Z^2 - Y^2 + X^2 */
}

/* r = p + q ("add-2008-hwcd-3", a = -1) or, with sub set, p - q: negating q
 * swaps Y+X with Y-X and negates T. */
static inline void ge_add_cached(ge_p1p1 *r, const ge_p3 *p, const ge_cached *q, bool sub)
{
	fe a, b, c, d;

	fe_add(&a, &p->Y, &p->X);
	fe_sub(&b, &p->Y, &p->X);
	fe_mul(&a, &a, sub ? &q->YmX : &q->YpX); /* (Y1+X1)(Y2+X2) */
	fe_mul(&b, &b, sub ? &q->YpX : &q->YmX); /* (Y1-X1)(Y2-X2) */
	fe_mul(&c, &p->T, &q->T2d);
	fe_mul(&d, &p->Z, &q->Z);
	fe_add(&d, &d, &d);
	fe_sub(&r->X, &a, &b); /* E */
	fe_add(&r->Y, &a, &b); /* H */
	if (sub) {
		fe_sub(&r->Z, &d, &c); /* G */
		fe_add(&r->T, &d, &c); /* F */
	} else {
		fe_add(&r->Z, &d, &c);
		fe_sub(&r->T, &d, &c);
	}
}

/* The same with an affine addend (Z2 = 1 saves a multiply). */
static inline void ge_add_niels(ge_p1p1 *r, const ge_p3 *p, const ge_niels *q, bool sub)
{
	fe a, b, c, d;

	fe_add(&a, &p->Y, &p->X);
	fe_sub(&b, &p->Y, &p->X);
	fe_mul(&a, &a, sub ? &q->ymx : &q->ypx);
	fe_mul(&b, &b, sub ? &q->ypx : &q->ymx);
	fe_mul(&c, &p->T, &q->xy2d);
	fe_add(&d, &p->Z, &p->Z);
	fe_sub(&r->X, &a, &b);
	fe_add(&r->Y, &a, &b);
	if (sub) {
		fe_sub(&r->Z, &d, &c);
		fe_add(&r->T, &d, &c);
	} else {
		fe_add(&r->Z, &d, &c);
		fe_sub(&r->T, &d, &c);
	}
}

/*
 * Decodes a point as RFC 8032 section 5.1.3 does, strictly: false if y >= p,
 * if x^2 = (y^2 - 1) / (d y^2 + 1) has no root, or if x = 0 with the sign bit
 * set (the non-canonical encodings of (0, 1) and (0, -1)).
 */
static inline bool ge_decode(ge_p3 *h, const uint8_t s[32])
{
	uint8_t canon[32];
	fe u, v, v3, vxx, t;
	int sign = s[31] >> 7;

	fe_decode(&h->Y, s);
	fe_encode(canon, &h->Y);
	canon[31] |= (uint8_t)(sign << 7);
	for (int i = 0; i < 32; i++)
		if (canon[i] != s[i])
			return false; /* y >= p */

	fe_1(&h->Z);
	fe_sq(&u, &h->Y);
	fe_mul(&v, &u, &fe_d);
	fe_sub(&u, &u, &h->Z); /* u = y^2 - 1 */
	fe_add(&v, &v, &h->Z); /* v = d y^2 + 1 */

	/* x = u v^3 (u v^7)^((p-5)/8), a root of u/v if one exists. */
	fe_sq(&v3, &v);
	fe_mul(&v3, &v3, &v);
	fe_sq(&t, &v3);
	fe_mul(&t, &t, &v);
	fe_mul(&t, &t, &u);
	fe_pow22523(&t, &t);
	fe_mul(&t, &t, &v3);
	fe_mul(&h->X, &t, &u);

	fe_sq(&vxx, &h->X);
	fe_mul(&vxx, &vxx, &v);
	if (!fe_equal(&vxx, &u)) {
		fe_add(&t, &vxx, &u);
		if (!fe_iszero(&t))
			return false; /* v x^2 = -u neither: not a square, off the curve */
		fe_mul(&h->X, &h->X, &fe_sqrtm1);
	}
	if (fe_iszero(&h->X) && sign)
		return false;
	if (fe_isodd(&h->X) != sign)
		fe_neg(&h->X, &h->X);
	fe_mul(&h->T, &h->X, &h->Y);
	return true;
}

/* The canonical encoding of (X:Y:Z): y with x's low bit in bit 255. */
static inline void ge_encode(uint8_t s[32], const ge_p2 *p)
{
	fe zi, x, y;

	fe_invert(&zi, &p->Z);
	fe_mul(&x, &p->X, &zi);
	fe_mul(&y, &p->Y, &zi);
	fe_encode(s, &y);
	s[31] |= (uint8_t)(fe_isodd(&x) << 7);
}

#endif
