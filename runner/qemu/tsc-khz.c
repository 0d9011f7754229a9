/*
 * tsc-khz: the rate of this x86 host's time-stamp counter, in kHz rounded to
 * the MHz, on stdout. Under TCG a guest's RDTSC reads the host's counter
 * (QEMU's cpu_get_host_ticks), so this is the guest's TSC rate too
 * (runner/qemu/host-tsc.ts). Measured against CLOCK_MONOTONIC_RAW: the median
 * of five 10 ms windows. Exit 1 where there is no TSC to read (not x86), or
 * the process was preempted at every try.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Windows measured, the median counts; a window whose end readings took longer than SPREAD_MAX cycles (preempted) is measured again. */
#define WINDOWS 5
#define TRIES 50
#define SPREAD_MAX 20000

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(void)
{
	double khz[WINDOWS];
	int n = 0, tries;

	for (tries = 0; tries < TRIES && n < WINDOWS; tries++) {
		uint64_t t0, c0, s0, t1, c1, s1;

		pair(&t0, &c0, &s0);
		do
			pair(&t1, &c1, &s1);
		while (c1 - c0 < 10000000u);
		if (s0 < SPREAD_MAX && s1 < SPREAD_MAX)
			khz[n++] = (double)(t1 - t0) * 1e6 / (double)(c1 - c0);
	}
	if (n < WINDOWS)
		return 1;
	qsort(khz, WINDOWS, sizeof(khz[0]), cmp);
	if (khz[WINDOWS / 2] < 1000)
		return 1;
	printf("%llu\n", (unsigned long long)(khz[WINDOWS / 2] / 1000 + 0.5) * 1000);
	return 0;
}
#else
int main(void)
{
	return 1;
}
#endif
