/*
 * r1-sub-option-not-zero.c: prctl(PR_SET_VMA, <sub-option != 0>, …) fails with
 * EINVAL before the name is read (kernel-behaviour.md R1: kernel/sys.c
 * prctl_set_vma() switches on arg2 first), and names nothing. Controls with
 * sub-option 0 (P1): the same bad name pointer gives EFAULT, a good name names.
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

/* 1 when the maps line of the VMA starting at addr ends with name, 0 when not, -1 when no VMA starts there. */
static int named(unsigned long addr, const char *name)
{
	struct procmaps_vma v;

	if (procmaps_read() != 0)
		return -1;
	for (char *c = NULL; procmaps_next(&c, &v);) {
		if (v.start == addr) {
			size_t n = strlen(v.line), k = strlen(name);

			ktap_print_msg("maps: %s", v.line);
			return n >= k && strcmp(v.line + n - k, name) == 0;
		}
	}
	return -1;
}

static int call(unsigned long opt, void *addr, size_t len, const void *name, int *err)
{
	int r;

	errno = 0;
	r = prctl(PR_SET_VMA, opt, (unsigned long)addr, len, (unsigned long)name);
	*err = errno;
	return r;
}

int main(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const unsigned long opts[] = { 1, 2, 0x100, ~0UL };
	char *a, *hole;
	int r, err;

	ktap_print_header();
	ktap_set_plan(8);
	a = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	hole = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED || hole == MAP_FAILED || munmap(hole, page) != 0)
		ktap_exit_fail_msg("mmap: %m");

	for (unsigned i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		r = call(opts[i], a, page, "r1", &err);
		ktap_print_msg("sub-option %#lx, good name: %d errno %d", opts[i], r, err);
		ktap_test_result(r == -1 && err == EINVAL, "sub_option_%#lx_einval", opts[i]);
	}
	r = call(1, a, page, hole, &err);
	ktap_print_msg("sub-option 1, unreadable name: %d errno %d", r, err);
	ktap_test_result(r == -1 && err == EINVAL, "checked_before_the_name_is_read");
	ktap_test_result(named((unsigned long)a, "[anon:r1]") == 0, "sub_option_1_names_nothing");

	r = call(PR_SET_VMA_ANON_NAME, a, page, hole, &err);
	ktap_print_msg("sub-option 0, unreadable name: %d errno %d", r, err);
	ktap_test_result(r == -1 && err == EFAULT, "control_sub_option_0_reads_the_name_efault");
	r = call(PR_SET_VMA_ANON_NAME, a, page, "r1", &err);
	ktap_test_result(r == 0 && named((unsigned long)a, "[anon:r1]") == 1, "control_sub_option_0_names");
	ktap_finished();
}
