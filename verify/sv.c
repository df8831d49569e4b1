/*
 * sv.c: the small helpers every part of verify/ shares.
 */
#include "sv.h"

const char *sv_result_str(sv_result r)
{
	switch (r) {
	case SV_OK:
		return "ok";
	case SV_E_MALFORMED:
		return "malformed";
	case SV_E_ALGORITHM:
		return "unsupported algorithm";
	case SV_E_UNKNOWN_KEY:
		return "unknown key number";
	case SV_E_BAD_KEY:
		return "bad public key";
	case SV_E_BAD_SIGNATURE:
		return "bad signature";
	case SV_E_HASH_MISMATCH:
		return "hash mismatch";
	case SV_E_NOT_LISTED:
		return "not listed";
	case SV_E_DUPLICATE:
		return "duplicate entry";
	case SV_E_BAD_NAME:
		return "bad name";
	case SV_E_TOO_LARGE:
		return "too large";
	case SV_E_BUFFER:
		return "buffer too small";
	}
	/* A value outside the enum (a caller's cast): still a string, never NULL. */
	return "unknown result";
}

/*
 * Accumulates the OR of all byte differences, so the loop's time depends on
 * n only. The volatile reads keep the compiler from turning it into an early
 * exit memcmp.
 */
bool sv_ct_equal(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a;
	const volatile uint8_t *y = b;
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= (uint8_t)(x[i] ^ y[i]);
	/* (d - 1) >> 8 is 1 only when d == 0; no branch on secret data. */
	return (((unsigned)d - 1u) >> 8) & 1u;
}
