/*
 * m1-unconstrained-mmaps-merge.c: two separate 3-page mmap(NULL, …) calls are
 * placed side by side (top-down allocator: the second right below the first)
 * and merge into one 6-page VMA (kernel-behaviour.md M1) - why cases map with
 * MAP_FIXED inside a PROT_NONE window of their own. Naming one of them splits
 * the pair again (S1-like), which shows the two calls really made one VMA.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "ktap.h"
#include "procmaps.h"

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

/* The [start, end) of the VMA holding addr in *s, *e; 0 if found. */
static int vma_of(unsigned long addr, unsigned long *s, unsigned long *e)
{
	struct procmaps_vma v;

	if (procmaps_read() != 0)
		return -1;
	for (char *c = NULL; procmaps_next(&c, &v);) {
		if (v.start <= addr && addr < v.end) {
			ktap_print_msg("maps: %s", v.line);
			*s = v.start;
			*e = v.end;
			return 0;
		}
	}
	return -1;
}

int main(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), len = 3 * page;
	unsigned long s, e;
	char *a, *b;

	ktap_print_header();
	a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED || b == MAP_FAILED)
		ktap_exit_fail_msg("mmap: %m");
	ktap_print_msg("first at %p, second at %p", (void *)a, (void *)b);
	if (b + len != a && a + len != b)
		ktap_exit_skip("the kernel did not place the two mappings side by side (%p, %p)", (void *)a, (void *)b);
	char *lo = a < b ? a : b;
	ktap_set_plan(3);
	ktap_test_result(vma_of((unsigned long)lo, &s, &e) == 0 && s == (unsigned long)lo && e - s == 2 * len,
			 "two_mmaps_are_one_6_page_vma");
	ktap_test_result(prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)a, len, (unsigned long)"m1") == 0,
			 "name_the_first_mmap");
	ktap_test_result(vma_of((unsigned long)a, &s, &e) == 0 && s == (unsigned long)a && e - s == len,
			 "naming_one_splits_them_again");
	ktap_finished();
}
