/*
 * m3-memory-merge-stops-merging.c: after prctl(PR_SET_MEMORY_MERGE, 1) (KSM for
 * the whole process) two adjacent new private anonymous mappings stay two VMAs
 * (kernel-behaviour.md M3). In 6.12 mmap_region() tries the merge with the new
 * flags and only then ksm_add_vma() sets VM_MERGEABLE, so the new VMA never
 * equals its already-mergeable neighbour. Control: the same pair mapped before
 * the prctl merges into one VMA. Mappings are MAP_FIXED inside a PROT_NONE
 * window (M1), so nothing else can be adjacent.
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

#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE 67
#define PR_GET_MEMORY_MERGE 68
#endif

static size_t page;
static char *window;

/* VMAs overlapping window pages [from, from+n), the PROT_NONE reserve included; -1 on error. */
static int vmas(size_t from, size_t n)
{
	unsigned long lo = (unsigned long)(window + from * page), hi = lo + n * page;
	struct procmaps_vma v;
	int count = 0;

	if (procmaps_read() != 0)
		return -1;
	for (char *c = NULL; procmaps_next(&c, &v);) {
		if (v.start < hi && v.end > lo) {
			ktap_print_msg("maps: %s", v.line);
			count++;
		}
	}
	return count;
}

/* Two 2-page RW mappings, side by side at window pages at and at+2, never written. */
static void map_pair(size_t at)
{
	for (size_t i = 0; i < 2; i++) {
		char *p = mmap(window + (at + 2 * i) * page, 2 * page, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (p == MAP_FAILED)
			ktap_exit_fail_msg("mmap: %m");
	}
}

int main(void)
{
	int r, n;

	page = (size_t)sysconf(_SC_PAGESIZE);
	ktap_print_header();
	window = mmap(NULL, 16 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (window == MAP_FAILED)
		ktap_exit_fail_msg("mmap window: %m");
	errno = 0;
	r = prctl(PR_GET_MEMORY_MERGE, 0, 0, 0, 0);
	if (r < 0 && errno == EINVAL)
		ktap_exit_skip("PR_GET_MEMORY_MERGE: EINVAL (CONFIG_KSM=n or a kernel before 6.4)");
	ktap_set_plan(4);

	map_pair(2);
	n = vmas(2, 4);
	ktap_print_msg("before PR_SET_MEMORY_MERGE: %d VMA(s) over pages 2..5", n);
	ktap_test_result(n == 1, "control_adjacent_pair_merges");

	errno = 0;
	r = prctl(PR_SET_MEMORY_MERGE, 1, 0, 0, 0);
	ktap_print_msg("PR_SET_MEMORY_MERGE 1: %d errno %d; PR_GET_MEMORY_MERGE: %d", r, errno,
		       prctl(PR_GET_MEMORY_MERGE, 0, 0, 0, 0));
	ktap_test_result(r == 0, "set_memory_merge");

	map_pair(8);
	n = vmas(8, 4);
	ktap_print_msg("after PR_SET_MEMORY_MERGE: %d VMA(s) over pages 8..11", n);
	ktap_test_result(n == 2, "adjacent_new_pair_stays_two_vmas");
	n = vmas(2, 4);
	ktap_test_result(n == 1, "earlier_merged_vma_unchanged");
	ktap_finished();
}
