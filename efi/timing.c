/*
 * timing.c: "spineboot: entry to handoff N us".
 *
 * The TSC counts from entry; its rate is measured at the end against
 * gBS->Stall (the firmware's own calibrated delay), so the figure holds under
 * QEMU's TCG as on metal. A preempted vCPU makes one 1 ms Stall span more
 * ticks, never fewer, so the least of several is the rate. The calibration
 * (about CALIBRATIONS ms) is not counted.
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

#define CALIBRATIONS 5

uint64_t spine_time_us(void)
{
	uint64_t now = rdtsc(), per_ms = UINT64_MAX;

	for (int i = 0; i < CALIBRATIONS; i++) {
		uint64_t a = rdtsc(), b;

		uefi_call_wrapper(spine_bs->Stall, 1, 1000);
		b = rdtsc();
		if (b > a && b - a < per_ms)
			per_ms = b - a;
	}
	if (per_ms == UINT64_MAX)
		return 0;
	/* elapsed us = ticks * 1000 / per_ms, split to stay in 64 bits. */
	uint64_t ticks = now - t0;
	return ticks / per_ms * 1000 + ticks % per_ms * 1000 / per_ms;
}
