/*
 * tsc-khz: the rate of this x86 host's time-stamp counter, in kHz rounded to
 * the MHz, on stdout. Under TCG a guest's RDTSC reads the host's counter
 * (QEMU's cpu_get_host_ticks), so this is the guest's TSC rate too
 * (runner/qemu/host-tsc.ts). Measured against CLOCK_MONOTONIC_RAW over three
 * 20 ms windows; the window read back to back most tightly counts. Exit 1
 * where there is no TSC to read (not x86).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static uint64_t ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC_RAW, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* One reading of the clock with the TSC before and after it; the spread in *spread. */
static void pair(uint64_t *tsc, uint64_t *clock, uint64_t *spread)
{
	uint64_t a = rdtsc();

	*clock = ns();
	*spread = rdtsc() - a;
	*tsc = a + *spread / 2;
}

int main(void)
{
	double best_khz = 0;
	uint64_t best_spread = UINT64_MAX;
	int i;

	for (i = 0; i < 3; i++) {
		uint64_t t0, c0, s0, t1, c1, s1;

		pair(&t0, &c0, &s0);
		do
			pair(&t1, &c1, &s1);
		while (c1 - c0 < 20000000u);
		if (s0 + s1 < best_spread) {
			best_spread = s0 + s1;
			best_khz = (double)(t1 - t0) * 1e6 / (double)(c1 - c0);
		}
	}
	if (best_khz < 1000)
		return 1;
	printf("%llu\n", (unsigned long long)(best_khz / 1000 + 0.5) * 1000);
	return 0;
}
#else
int main(void)
{
	return 1;
}
#endif
