/*
 * sha512.c: SHA-512 (FIPS 180-4 section 6.4), streaming.
 *
 * The 80 rounds are written out, so the working variables rotate by
 * renaming, not by moves; the message schedule runs beside them in vector
 * registers (see STEP). Speed figures and what was tried: docs/verify.md.
 */
#include "sv.h"

/* Aligned so that the schedule can read K two words at a time. */
static const uint64_t K2[80] __attribute__((aligned(16))) = {
        0x428a2f98d728ae22ull, 0x7137449123ef65cdull, 0xb5c0fbcfec4d3b2full, 0xe9b5dba58189dbbcull,
        0x3956c25bf348b538ull, 0x59f111f1b605d019ull, 0x923f82a4af194f9bull, 0xab1c5ed5da6d8118ull,
        0xd807aa98a3030242ull, 0x12835b0145706fbeull, 0x243185be4ee4b28cull, 0x550c7dc3d5ffb4e2ull,
        0x72be5d74f27b896full, 0x80deb1fe3b1696b1ull, 0x9bdc06a725c71235ull, 0xc19bf174cf692694ull,
        0xe49b69c19ef14ad2ull, 0xefbe4786384f25e3ull, 0x0fc19dc68b8cd5b5ull, 0x240ca1cc77ac9c65ull,
        0x2de92c6f592b0275ull, 0x4a7484aa6ea6e483ull, 0x5cb0a9dcbd41fbd4ull, 0x76f988da831153b5ull,
        0x983e5152ee66dfabull, 0xa831c66d2db43210ull, 0xb00327c898fb213full, 0xbf597fc7beef0ee4ull,
        0xc6e00bf33da88fc2ull, 0xd5a79147930aa725ull, 0x06ca6351e003826full, 0x142929670a0e6e70ull,
        0x27b70a8546d22ffcull, 0x2e1b21385c26c926ull, 0x4d2c6dfc5ac42aedull, 0x53380d139d95b3dfull,
        0x650a73548baf63deull, 0x766a0abb3c77b2a8ull, 0x81c2c92e47edaee6ull, 0x92722c851482353bull,
        0xa2bfe8a14cf10364ull, 0xa81a664bbc423001ull, 0xc24b8b70d0f89791ull, 0xc76c51a30654be30ull,
        0xd192e819d6ef5218ull, 0xd69906245565a910ull, 0xf40e35855771202aull, 0x106aa07032bbd1b8ull,
        0x19a4c116b8d2d0c8ull, 0x1e376c085141ab53ull, 0x2748774cdf8eeb99ull, 0x34b0bcb5e19b48a8ull,
        0x391c0cb3c5c95a63ull, 0x4ed8aa4ae3418acbull, 0x5b9cca4f7763e373ull, 0x682e6ff3d6b2b8a3ull,
        0x748f82ee5defb2fcull, 0x78a5636f43172f60ull, 0x84c87814a1f0ab72ull, 0x8cc702081a6439ecull,
        0x90befffa23631e28ull, 0xa4506cebde82bde9ull, 0xbef9a3f7b2c67915ull, 0xc67178f2e372532bull,
        0xca273eceea26619cull, 0xd186b8c721c0c207ull, 0xeada7dd6cde0eb1eull, 0xf57d4f7fee6ed178ull,
        0x06f067aa72176fbaull, 0x0a637dc5a2c898a6ull, 0x113f9804bef90daeull, 0x1b710b35131c471bull,
        0x28db77f523047d84ull, 0x32caab7b40c72493ull, 0x3c9ebe0a15c9bebcull, 0x431d67c49c100d4cull,
        0x4cc5d4becb3e42b6ull, 0x597f299cfc657e2aull, 0x5fcb6fab3ad6faecull, 0x6c44198c4a475817ull,
};

static const uint64_t H0[8] = {
        0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull, 0x3c6ef372fe94f82bull, 0xa54ff53a5f1d36f1ull,
        0x510e527fade682d1ull, 0x9b05688c2b3e6c1full, 0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull,
};

/* Byte-wise loads and stores: no alignment assumption; gcc turns them into
 * one bswap (or movbe). */
static inline uint64_t load_be64(const uint8_t *p)
{
	return ((uint64_t)p[0] << 56) | ((uint64_t)p[1] << 48) | ((uint64_t)p[2] << 40) |
	       ((uint64_t)p[3] << 32) | ((uint64_t)p[4] << 24) | ((uint64_t)p[5] << 16) |
	       ((uint64_t)p[6] << 8) | (uint64_t)p[7];
}

static inline void store_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static inline uint64_t ror(uint64_t x, unsigned n)
{
	return (x >> n) | (x << (64 - n));
}

/* Sigma0 = ror28 ^ ror34 ^ ror39 and Sigma1 = ror14 ^ ror18 ^ ror41, nested
 * so that x is rotated in place instead of copied three times (measured
 * faster on x86-64 without BMI2's three-operand rorx). */
#define S0(x) ror(ror(ror((x), 5) ^ (x), 6) ^ (x), 28)
#define S1(x) ror(ror(ror((x), 23) ^ (x), 4) ^ (x), 14)

/* Ch in its cheapest form. Maj(a, b, c) = b ^ ((a ^ b) & (b ^ c)), and this
 * round's a ^ b is the next round's b ^ c: each round computes one XOR and
 * hands it on (ab_ is written, bc_ read; the two swap roles every round). */
#define CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))

/* One round; the caller rotates the roles of a..h by argument order. */
#define ROUND(a, b, c, d, e, f, g, h, wk, ab_, bc_)                                                \
	do {                                                                                       \
		uint64_t t1_ = (h) + S1(e) + CH((e), (f), (g)) + (wk);                             \
		(ab_) = (a) ^ (b);                                                                 \
		(d) += t1_;                                                                        \
		(h) = t1_ + S0(a) + ((b) ^ ((ab_) & (bc_)));                                       \
	} while (0)

/* Two 64-bit lanes: plain SSE2 on x86-64 (which every UEFI machine has),
 * generic code elsewhere. */
typedef uint64_t v2u64 __attribute__((vector_size(16)));

static inline v2u64 vror(v2u64 x, unsigned n)
{
	return (x >> n) | (x << (64 - n));
}

/* sigma0 and sigma1 of FIPS 180-4 (4.12), (4.13), two words at a time. */
static inline v2u64 vs0(v2u64 x)
{
	return vror(x, 1) ^ vror(x, 8) ^ (x >> 7);
}

static inline v2u64 vs1(v2u64 x)
{
	return vror(x, 19) ^ vror(x, 61) ^ (x >> 6);
}

#define WK(t) (wk[(t) / 2][(t) % 2])

/*
 * The message schedule runs two words at a time in vector registers, K
 * added, sixteen words ahead of the rounds that consume them. Its shifts
 * then go to the vector units while the rounds' rotates keep the scalar
 * shift ports busy; with a scalar schedule those ports are the bottleneck.
 * X[i] holds (W[2j], W[2j+1]) for the latest step j with j % 8 == i; step
 * j needs X for j-1 and j-8 and the unaligned pairs (W[2j-15], W[2j-14])
 * and (W[2j-7], W[2j-6]), each spliced from two neighbours. i is a
 * constant in every expansion, so X stays in registers.
 */
#define STEP(j, i)                                                                                 \
	do {                                                                                       \
		v2u64 w15_ = __builtin_shufflevector(X[(i)&7], X[((i) + 1) & 7], 1, 2);            \
		v2u64 w7_ = __builtin_shufflevector(X[((i) + 4) & 7], X[((i) + 5) & 7], 1, 2);     \
		X[(i)&7] += vs1(X[((i) + 7) & 7]) + w7_ + vs0(w15_);                               \
		wk[(j)] = X[(i)&7] + kv[(j)];                                                      \
	} while (0)

#define EIGHT(t)                                                                                   \
	do {                                                                                       \
		ROUND(a, b, c, d, e, f, g, h, WK((t) + 0), m0, m1);                                \
		ROUND(h, a, b, c, d, e, f, g, WK((t) + 1), m1, m0);                                \
		ROUND(g, h, a, b, c, d, e, f, WK((t) + 2), m0, m1);                                \
		ROUND(f, g, h, a, b, c, d, e, WK((t) + 3), m1, m0);                                \
		ROUND(e, f, g, h, a, b, c, d, WK((t) + 4), m0, m1);                                \
		ROUND(d, e, f, g, h, a, b, c, WK((t) + 5), m1, m0);                                \
		ROUND(c, d, e, f, g, h, a, b, WK((t) + 6), m0, m1);                                \
		ROUND(b, c, d, e, f, g, h, a, WK((t) + 7), m1, m0);                                \
	} while (0)

/* Rounds t .. t+7 with schedule steps 8 + t/2 .. 11 + t/2 between them. */
#define EIGHT_STEP(t)                                                                              \
	do {                                                                                       \
		ROUND(a, b, c, d, e, f, g, h, WK((t) + 0), m0, m1);                                \
		ROUND(h, a, b, c, d, e, f, g, WK((t) + 1), m1, m0);                                \
		STEP(8 + (t) / 2, (t) / 2);                                                        \
		ROUND(g, h, a, b, c, d, e, f, WK((t) + 2), m0, m1);                                \
		ROUND(f, g, h, a, b, c, d, e, WK((t) + 3), m1, m0);                                \
		STEP(9 + (t) / 2, 1 + (t) / 2);                                                    \
		ROUND(e, f, g, h, a, b, c, d, WK((t) + 4), m0, m1);                                \
		ROUND(d, e, f, g, h, a, b, c, WK((t) + 5), m1, m0);                                \
		STEP(10 + (t) / 2, 2 + (t) / 2);                                                   \
		ROUND(c, d, e, f, g, h, a, b, WK((t) + 6), m0, m1);                                \
		ROUND(b, c, d, e, f, g, h, a, WK((t) + 7), m1, m0);                                \
		STEP(11 + (t) / 2, 3 + (t) / 2);                                                   \
	} while (0)

/* Compresses nblocks consecutive 128-byte blocks into h8. */
static void compress(uint64_t h8[8], const uint8_t *p, size_t nblocks)
{
	const v2u64 *kv = (const v2u64 *)(const void *)K2;
	v2u64 wk[40], X[8];

	while (nblocks--) {
		uint64_t a = h8[0], b = h8[1], c = h8[2], d = h8[3];
		uint64_t e = h8[4], f = h8[5], g = h8[6], h = h8[7];
		uint64_t m0, m1 = b ^ c;

		/* Written out rather than looped: with every index a constant,
		 * the compiler keeps X in registers. */
		X[0] = (v2u64){load_be64(p + 0), load_be64(p + 8)};
		X[1] = (v2u64){load_be64(p + 16), load_be64(p + 24)};
		X[2] = (v2u64){load_be64(p + 32), load_be64(p + 40)};
		X[3] = (v2u64){load_be64(p + 48), load_be64(p + 56)};
		X[4] = (v2u64){load_be64(p + 64), load_be64(p + 72)};
		X[5] = (v2u64){load_be64(p + 80), load_be64(p + 88)};
		X[6] = (v2u64){load_be64(p + 96), load_be64(p + 104)};
		X[7] = (v2u64){load_be64(p + 112), load_be64(p + 120)};
		wk[0] = X[0] + kv[0];
		wk[1] = X[1] + kv[1];
		wk[2] = X[2] + kv[2];
		wk[3] = X[3] + kv[3];
		wk[4] = X[4] + kv[4];
		wk[5] = X[5] + kv[5];
		wk[6] = X[6] + kv[6];
		wk[7] = X[7] + kv[7];

		EIGHT_STEP(0);
		EIGHT_STEP(8);
		EIGHT_STEP(16);
		EIGHT_STEP(24);
		EIGHT_STEP(32);
		EIGHT_STEP(40);
		EIGHT_STEP(48);
		EIGHT_STEP(56);
		EIGHT(64);
		EIGHT(72);

		h8[0] += a;
		h8[1] += b;
		h8[2] += c;
		h8[3] += d;
		h8[4] += e;
		h8[5] += f;
		h8[6] += g;
		h8[7] += h;
		p += 128;
	}
}

void sv_sha512_init(struct sv_sha512 *c)
{
	for (int i = 0; i < 8; i++)
		c->h[i] = H0[i];
	c->bytes_lo = 0;
	c->bytes_hi = 0;
	c->fill = 0;
}

void sv_sha512_update(struct sv_sha512 *c, const void *data, size_t n)
{
	const uint8_t *p = data;

	/* Also keeps a NULL pointer with n == 0 away from memcpy. */
	if (n == 0)
		return;
	/* The length is a 128-bit counter; the carry makes it exact for any
	 * sequence of updates (FIPS 180-4 allows messages below 2^128 bits;
	 * the bit count is formed from the byte count in final). */
	c->bytes_lo += (uint64_t)n;
	if (c->bytes_lo < (uint64_t)n)
		c->bytes_hi++;

	if (c->fill > 0) {
		size_t take = 128 - c->fill;
		if (take > n)
			take = n;
		__builtin_memcpy(c->buf + c->fill, p, take);
		c->fill += take;
		p += take;
		n -= take;
		if (c->fill < 128)
			return;
		compress(c->h, c->buf, 1);
		c->fill = 0;
	}
	if (n >= 128) {
		compress(c->h, p, n / 128);
		p += n & ~(size_t)127;
		n &= 127;
	}
	if (n > 0) {
		__builtin_memcpy(c->buf, p, n);
		c->fill = n;
	}
}

void sv_sha512_final(struct sv_sha512 *c, uint8_t out[SV_SHA512_LEN])
{
	/* Bit length = byte length * 8, as a 128-bit big-endian number. */
	uint64_t bits_hi = (c->bytes_hi << 3) | (c->bytes_lo >> 61);
	uint64_t bits_lo = c->bytes_lo << 3;
	size_t fill = c->fill;

	c->buf[fill++] = 0x80;
	if (fill > 112) {
		__builtin_memset(c->buf + fill, 0, 128 - fill);
		compress(c->h, c->buf, 1);
		fill = 0;
	}
	__builtin_memset(c->buf + fill, 0, 112 - fill);
	store_be64(c->buf + 112, bits_hi);
	store_be64(c->buf + 120, bits_lo);
	compress(c->h, c->buf, 1);

	for (int i = 0; i < 8; i++)
		store_be64(out + 8 * i, c->h[i]);
	/* The context is spent; wipe it so a stray reuse is obvious. */
	__builtin_memset(c, 0, sizeof(*c));
}

void sv_sha512(const void *p, size_t n, uint8_t out[SV_SHA512_LEN])
{
	struct sv_sha512 c;

	sv_sha512_init(&c);
	sv_sha512_update(&c, p, n);
	sv_sha512_final(&c, out);
}
