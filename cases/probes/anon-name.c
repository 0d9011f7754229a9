/*
 * anon-name.c: prctl(PR_SET_VMA_ANON_NAME) on the middle page of a 3-page
 * private anonymous mapping shows [anon:NAME] on that page in /proc/self/maps
 * and splits the mapping into three VMAs whose outer two stay unnamed
 * (kernel-behaviour.md P1, S1, F1-F3).
 *
 * A custom probe of vmaspec: static musl, KTAP output through ktap.h (one
 * write(2) per line), /proc/self/maps read with read(2) into a static buffer,
 * so the probe's own address space is not disturbed by stdio or malloc.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
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

#define NAME "vmaspec_probe"

/* The maps line of the VMA starting at addr, without its newline, in out; 0 if found. */
static int line_at(unsigned long addr, char *out, size_t size)
{
	struct procmaps_vma v;

	for (char *c = NULL; procmaps_next(&c, &v);) {
		if (v.start == addr) {
			snprintf(out, size, "%s", v.line);
			return 0;
		}
	}
	return -1;
}

/* The name column of a maps line: what follows the 5th field, padding skipped. */
static const char *name_of(const char *line)
{
	const char *p = line;

	for (int field = 0; field < 5 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p)
		return "";
	while (*p == ' ')
		p++;
	return p;
}

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char line[512];
	char *base;

	ktap_print_header();
	ktap_set_plan(3);

	base = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		ktap_exit_fail_msg("mmap of 3 pages: %m");
	if (prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, base + page, page, NAME) != 0) {
		if (errno == EINVAL)
			ktap_exit_skip("PR_SET_VMA_ANON_NAME gives EINVAL: CONFIG_ANON_VMA_NAME is off (P2)");
		ktap_exit_fail_msg("prctl(PR_SET_VMA_ANON_NAME): %m");
	}
	ktap_test_pass("prctl_names_middle_page");

	if (procmaps_read() != 0)
		ktap_exit_fail_msg("open /proc/self/maps: %m");

	if (line_at((unsigned long)(base + page), line, sizeof(line)) != 0) {
		ktap_print_msg("no VMA starts at %p: the name did not split the mapping", (void *)(base + page));
		ktap_test_fail("maps_shows_anon_name");
	} else {
		ktap_print_msg("maps: %s", line);
		ktap_test_result(strcmp(name_of(line), "[anon:" NAME "]") == 0, "maps_shows_anon_name");
	}

	int outer_ok = 1;
	for (int i = 0; i < 3; i += 2) {
		if (line_at((unsigned long)(base + i * page), line, sizeof(line)) != 0) {
			ktap_print_msg("no VMA starts at page %d of the mapping", i);
			outer_ok = 0;
		} else if (name_of(line)[0] != '\0') {
			ktap_print_msg("page %d: %s", i, line);
			outer_ok = 0;
		}
	}
	ktap_test_result(outer_ok, "outer_pages_stay_unnamed");
	ktap_finished();
}
