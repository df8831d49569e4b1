/*
 * bench_verify.c: verify/'s SHA-512 and Ed25519 verification beside
 * OpenSSL's libcrypto and libsodium, on this machine, as ratios.
 *
 * Time is this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so that other
 * work on a shared machine does not count against whichever peer it hits.
 * The peers take turns within each run, so that a burst of load falls on
 * all of them, and each reports its median run, with its best in brackets:
 * on a loaded virtual machine the CPU-time clock now and then yields an
 * impossible best, which the median ignores.
 * SHA-512: MB/s (10^6 bytes) over one 8 MiB buffer, 15 runs.
 * Ed25519: verifications/s of one 64-byte message, 15 runs of about 0.1 s of
 * CPU each. Before timing, the three implementations must agree on the
 * digests and on 256 good and tampered signatures, or the bench fails.
 */
#define _POSIX_C_SOURCE 200809L
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sv.h"

#define SHA_BYTES (8u << 20)
#define SHA_RUNS 15
#define ED_RUNS 15
#define ED_SECONDS 0.1

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_verify: %s\n", what);
	exit(1);
}

/* ---- SHA-512 ------------------------------------------------------------ */

typedef void (*hash_fn)(const uint8_t *p, size_t n, uint8_t out[64]);

static void hash_ours(const uint8_t *p, size_t n, uint8_t out[64])
{
	sv_sha512(p, n, out);
}

static void hash_openssl(const uint8_t *p, size_t n, uint8_t out[64])
{
	unsigned len = 0;

	if (EVP_Digest(p, n, out, &len, EVP_sha512(), NULL) != 1 || len != 64)
		die("EVP_Digest failed");
}

static void hash_sodium(const uint8_t *p, size_t n, uint8_t out[64])
{
	crypto_hash_sha512(out, p, n);
}

/* A peer's runs, summarized. */
struct fig {
	double med, best;
};

/* Sorts the n (odd) samples and summarizes them. */
static struct fig summarize(double *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return (struct fig){.med = v[n / 2], .best = v[n - 1]};
}

static void sha_mbps(const hash_fn f[3], const uint8_t *buf, struct fig fig[3])
{
	double s[3][SHA_RUNS];
	uint8_t out[64];

	for (int r = 0; r < SHA_RUNS; r++) {
		for (int i = 0; i < 3; i++) {
			double t0 = now();
			f[i](buf, SHA_BYTES, out);
			s[i][r] = SHA_BYTES / (now() - t0) / 1e6;
		}
	}
	for (int i = 0; i < 3; i++)
		fig[i] = summarize(s[i], SHA_RUNS);
}

/* ---- Ed25519 ------------------------------------------------------------ */

struct ed_case {
	uint8_t pk[32];
	uint8_t sig[64];
	uint8_t msg[64];
	EVP_PKEY *pkey;
	EVP_MD_CTX *ctx;
};

typedef int (*verify_fn)(struct ed_case *c);

static int verify_ours(struct ed_case *c)
{
	return sv_ed25519_verify(c->sig, c->pk, c->msg, sizeof(c->msg)) == SV_OK;
}

static int verify_sodium(struct ed_case *c)
{
	return crypto_sign_verify_detached(c->sig, c->msg, sizeof(c->msg), c->pk) == 0;
}

static int verify_openssl(struct ed_case *c)
{
	if (EVP_DigestVerifyInit(c->ctx, NULL, NULL, NULL, c->pkey) != 1)
		die("EVP_DigestVerifyInit failed");
	return EVP_DigestVerify(c->ctx, c->sig, 64, c->msg, sizeof(c->msg)) == 1;
}

static void ed_per_sec(const verify_fn f[3], struct ed_case *c, struct fig fig[3])
{
	double s[3][ED_RUNS];

	for (int r = 0; r < ED_RUNS; r++) {
		for (int i = 0; i < 3; i++) {
			long n = 0;
			double t0 = now(), dt;
			do {
				for (int j = 0; j < 32; j++)
					if (!f[i](c))
						die("a good signature failed to verify while "
						    "timing");
				n += 32;
				dt = now() - t0;
			} while (dt < ED_SECONDS);
			s[i][r] = n / dt;
		}
	}
	for (int i = 0; i < 3; i++)
		fig[i] = summarize(s[i], ED_RUNS);
}

static void ed_setup(struct ed_case *c, const uint8_t seed[32], const uint8_t *msg)
{
	uint8_t sk[64];

	memcpy(c->msg, msg, sizeof(c->msg));
	if (crypto_sign_seed_keypair(c->pk, sk, seed) != 0 ||
	    crypto_sign_detached(c->sig, NULL, c->msg, sizeof(c->msg), sk) != 0)
		die("libsodium could not sign");
	c->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, c->pk, 32);
	c->ctx = EVP_MD_CTX_new();
	if (!c->pkey || !c->ctx)
		die("OpenSSL could not load an Ed25519 key");
}

static void ed_free(struct ed_case *c)
{
	EVP_MD_CTX_free(c->ctx);
	EVP_PKEY_free(c->pkey);
}

/* All three must agree on good signatures and on each with one bit flipped
 * in R, S, the key or the message. */
static void ed_agree(void)
{
	for (int i = 0; i < 256; i++) {
		uint8_t seed[32], msg[64];
		struct ed_case c;

		randombytes_buf(seed, sizeof(seed));
		randombytes_buf(msg, sizeof(msg));
		ed_setup(&c, seed, msg);
		switch (i % 4) {
		case 1:
			c.sig[randombytes_uniform(64)] ^= (uint8_t)(1u << randombytes_uniform(8));
			break;
		case 2:
			c.pk[randombytes_uniform(32)] ^= (uint8_t)(1u << randombytes_uniform(8));
			EVP_PKEY_free(c.pkey);
			c.pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, c.pk, 32);
			if (!c.pkey)
				die("OpenSSL could not load an Ed25519 key");
			break;
		case 3:
			c.msg[randombytes_uniform(64)] ^= 1;
			break;
		default:
			break;
		}
		int a = verify_ours(&c), b = verify_sodium(&c), o = verify_openssl(&c);
		if (a != b || a != o || (i % 4 == 0) != a)
			die("implementations disagree on an Ed25519 case");
		ed_free(&c);
	}
}

static void figure(const char *what, struct fig f, const char *unit)
{
	printf("%-34s %8.1f %-4s [best %8.1f]\n", what, f.med, unit, f.best);
}

static void ratio(const char *what, struct fig ours, struct fig peer, double target)
{
	double r = ours.med / peer.med;

	printf("%-34s %5.2fx [best %5.2fx]  (target >= %.2fx: %s)\n", what, r,
	       ours.best / peer.best, target, r >= target ? "met" : "NOT met");
}

int main(void)
{
	uint8_t *buf = malloc(SHA_BYTES);
	uint8_t d1[64], d2[64], d3[64];

	if (!buf || sodium_init() < 0)
		die("setup failed");
	for (size_t i = 0; i < SHA_BYTES; i++)
		buf[i] = (uint8_t)(i * 131 + (i >> 13));
	hash_ours(buf, SHA_BYTES, d1);
	hash_openssl(buf, SHA_BYTES, d2);
	hash_sodium(buf, SHA_BYTES, d3);
	if (memcmp(d1, d2, 64) || memcmp(d1, d3, 64))
		die("SHA-512 digests disagree");
	ed_agree();

	static const hash_fn hashes[3] = {hash_ours, hash_openssl, hash_sodium};
	struct fig sf[3];
	sha_mbps(hashes, buf, sf);
	figure("sha512 8 MiB, verify/:", sf[0], "MB/s");
	figure("sha512 8 MiB, OpenSSL EVP:", sf[1], "MB/s");
	figure("sha512 8 MiB, libsodium:", sf[2], "MB/s");
	ratio("sha512 verify/ vs OpenSSL:", sf[0], sf[1], 0.9);
	ratio("sha512 verify/ vs libsodium:", sf[0], sf[2], 1.2);

	uint8_t seed[32], msg[64];
	struct ed_case c;
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)(7 * i + 1);
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	ed_setup(&c, seed, msg);
	static const verify_fn verifiers[3] = {verify_ours, verify_sodium, verify_openssl};
	struct fig ef[3];
	ed_per_sec(verifiers, &c, ef);
	ed_free(&c);
	figure("ed25519 verify 64 B, verify/:", ef[0], "/s");
	figure("ed25519 verify 64 B, libsodium:", ef[1], "/s");
	figure("ed25519 verify 64 B, OpenSSL EVP:", ef[2], "/s");
	ratio("ed25519 verify/ vs libsodium:", ef[0], ef[1], 1.0);
	ratio("ed25519 verify/ vs OpenSSL:", ef[0], ef[2], 1.0);
	free(buf);
	return 0;
}
