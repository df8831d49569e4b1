/*
 * timing.c: "spineboot: entry to handoff N us".
 *
 * The TSC counts from entry; its rate is measured once, at the end, against
 * gBS->Stall (the firmware's own calibrated delay), so the figure is right
 * under TCG as on metal. The 1 ms calibration is not counted.
 */
#include "spineboot.h"

static uint64_t t0;

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

void spine_time_start(void)
{
	t0 = rdtsc();
}

uint64_t spine_time_us(void)
{
	uint64_t now = rdtsc(), a, b;

	a = rdtsc();
	uefi_call_wrapper(spine_bs->Stall, 1, 1000);
	b = rdtsc();
	if (b <= a)
		return 0;
	/* ticks per ms = b - a; elapsed us = ticks * 1000 / (b - a). Split to
	 * keep the product in 64 bits for any plausible elapsed time. */
	uint64_t ticks = now - t0, per_ms = b - a;
	return ticks / per_ms * 1000 + ticks % per_ms * 1000 / per_ms;
}
