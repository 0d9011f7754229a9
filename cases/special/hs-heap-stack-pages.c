/*
 * hs-heap-stack-pages.c: touching and measuring heap and stack pages
 * (kernel-behaviour.md HS1, HS2): the [heap] VMA exists only once brk grows
 * it, written pages count in smaps and read ones do not; the [stack] VMA
 * (VmFlags gd) grows down by exactly the distance of a touch below it, up to
 * RLIMIT_STACK, beyond which the touch faults. The probe never allocates.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ktap.h"
#include "procmaps.h"
#include "probewin.h"

/* Bounds of the first and the last VMA whose maps line ends with tag; 0 when none. */
static int find(const char *tag, unsigned long *start, unsigned long *end)
{
	struct procmaps_vma v;
	size_t k = strlen(tag);
	int n = 0;

	*start = *end = 0;
	if (procmaps_read() != 0)
		ktap_exit_fail_msg("reading /proc/self/maps: %s", strerror(errno));
	for (char *c = NULL; procmaps_next(&c, &v);) {
		size_t len = strlen(v.line);

		if (len >= k && strcmp(v.line + len - k, tag) == 0) {
			ktap_print_msg("maps: %s", v.line);
			if (!n++)
				*start = v.start;
			*end = v.end;
		}
	}
	return n;
}

static unsigned long brk_to(unsigned long a) { return (unsigned long)syscall(SYS_brk, a); }

int main(void)
{
	unsigned long hs, he, b0, ss, se, size0, rss0;
	struct rlimit lim;
	char buf[256];
	int n, m;

	pw_page = (unsigned long)sysconf(_SC_PAGESIZE);
	ktap_print_header();
	ktap_set_plan(6);

	n = find("[heap]", &hs, &he);
	b0 = brk_to(0);
	brk_to(b0 + 4 * pw_page);
	m = find("[heap]", &hs, &he);
	snprintf(buf, sizeof(buf), "%d %d %lu", n, m, (he - hs) / pw_page);
	pw_expect("hs1_heap_appears_when_brk_grows", buf, "0 1 4");

	*(volatile char *)b0 = 1;
	*(volatile char *)(b0 + pw_page) = 1;
	snprintf(buf, sizeof(buf), "%s|%s|", pw_smaps_at(hs, "Rss"), pw_smaps_at(hs, "Anonymous"));
	(void)*(volatile char *)(b0 + 2 * pw_page);
	strcat(buf, pw_smaps_at(hs, "Rss"));
	pw_expect("hs1_written_heap_pages_count_read_ones_do_not", buf, "8 kB|8 kB|8 kB");

	brk_to(b0 + 3 * pw_page);
	m = find("[heap]", &hs, &he);
	snprintf(buf, sizeof(buf), "%d %lu %s", m, (he - hs) / pw_page, pw_smaps_at(hs, "Rss"));
	pw_expect("hs1_brk_shrink_unmaps_from_the_top", buf, "1 3 8 kB");

	if (find("[stack]", &ss, &se) != 1)
		ktap_exit_fail_msg("no [stack] line");
	size0 = se - ss;
	rss0 = strtoul(pw_smaps_at(ss, "Rss"), NULL, 10);
	ktap_test_result(strstr(pw_smaps_at(ss, "VmFlags"), " gd ") != NULL, "hs2_stack_is_growsdown");

	*(volatile char *)(ss - pw_page) = 1;
	*(volatile char *)(ss - 65 * pw_page) = 1;
	find("[stack]", &ss, &se);
	snprintf(buf, sizeof(buf), "%lu %d", (se - ss - size0) / pw_page,
		 strtoul(pw_smaps_at(ss, "Rss"), NULL, 10) >= rss0 + 8);
	pw_expect("hs2_touch_below_grows_the_stack_by_the_distance", buf, "65 1");

	if (getrlimit(RLIMIT_STACK, &lim) != 0)
		ktap_exit_fail_msg("RLIMIT_STACK: %s", strerror(errno));
	if (lim.rlim_cur == RLIM_INFINITY) {
		ktap_test_skip("hs2_growth_stops_at_rlimit_stack", "RLIMIT_STACK is unlimited here");
		ktap_finished();
	}
	ktap_print_msg("RLIMIT_STACK %lu", (unsigned long)lim.rlim_cur);
	n = pw_peek(se - lim.rlim_cur + 16 * pw_page) >= 0;
	m = pw_peek(se - lim.rlim_cur - pw_page);
	find("[stack]", &ss, &se);
	snprintf(buf, sizeof(buf), "%d %d", n, m);
	pw_expect("hs2_growth_stops_at_rlimit_stack", buf, "1 -1");
	ktap_finished();
}
