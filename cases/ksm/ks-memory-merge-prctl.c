/*
 * ks-memory-merge-prctl.c: prctl(PR_SET_MEMORY_MERGE) as a process-wide KSM
 * switch (kernel-behaviour.md KS1-KS4, M3): VmFlags `mg` on existing and new
 * private anonymous VMAs, no merge at mmap time but at the next change, fork
 * inheritance, and what turning it off leaves. EINVAL before 6.4.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"
#include "procmaps.h"
#include "probewin.h"

#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE 67
#define PR_GET_MEMORY_MERGE 68
#endif

#define RW (PROT_READ | PROT_WRITE)

/* prctl's result, or -errno. */
static long pr(long option, long arg2, long arg3)
{
	long r = prctl(option, arg2, arg3, 0, 0);

	return r == -1 ? -(long)errno : r;
}

/* 1 when the VMA holding window page at has VmFlags code `mg`. */
static int mg(long at) { return strstr(pw_smaps(at, "VmFlags"), " mg ") != NULL; }

int main(void)
{
	char buf[256];
	long r[6];
	pid_t pid;
	int status;

	ktap_print_header();
	if (!pw_kernel_at_least(6, 4)) {
		ktap_set_plan(1);
		r[0] = pr(PR_SET_MEMORY_MERGE, 1, 0);
		r[1] = pr(PR_GET_MEMORY_MERGE, 0, 0);
		snprintf(buf, sizeof(buf), "%ld %ld", r[0], r[1]);
		pw_expect("ks1_einval_before_6_4", buf, "-22 -22");
		ktap_finished();
	}
	ktap_set_plan(9);
	pw_reserve();
	pw_map(2, 2, RW, 0);
	pw_name(2, 2, "a");
	pw_map(10, 2, RW, 0);
	pw_map(14, 2, RW, MAP_SHARED);

	/* one call per statement: the order of the calls is the point */
	r[0] = pr(PR_GET_MEMORY_MERGE, 0, 0);
	r[1] = pr(PR_SET_MEMORY_MERGE, 1, 1);
	r[2] = pr(PR_GET_MEMORY_MERGE, 1, 0);
	r[3] = pr(PR_SET_MEMORY_MERGE, 1, 0);
	r[4] = pr(PR_SET_MEMORY_MERGE, 2, 0);
	r[5] = pr(PR_GET_MEMORY_MERGE, 0, 0);
	snprintf(buf, sizeof(buf), "%ld %ld %ld %ld %ld %ld", r[0], r[1], r[2], r[3], r[4], r[5]);
	pw_expect("ks1_get_set_and_their_einval", buf, "0 -22 -22 0 0 1");

	snprintf(buf, sizeof(buf), "%d %d %d %d|%s", mg(2), mg(10), mg(14), mg(30), pw_layout());
	pw_expect("ks2_existing_private_vmas_get_mg_shared_not_no_split", buf,
		  "1 1 0 1|2+2 rw-p [anon:a], 10+2 rw-p, 14+2 rw-s /dev/zero (deleted)");

	pw_map(12, 1, RW, 0);
	snprintf(buf, sizeof(buf), "%d|%s", mg(12), pw_layout());
	pw_expect("ks2_new_mapping_gets_mg_after_the_merge_attempt", buf,
		  "1|2+2 rw-p [anon:a], 10+2 rw-p, 12+1 rw-p, 14+2 rw-s /dev/zero (deleted)");

	pw_name(12, 1, "x");
	pw_name(12, 1, NULL);
	pw_expect("ks2_a_later_change_merges_it", pw_layout(), "2+2 rw-p [anon:a], 10+3 rw-p, 14+2 rw-s /dev/zero (deleted)");

	madvise((void *)pw_addr(3), pw_page, MADV_UNMERGEABLE);
	snprintf(buf, sizeof(buf), "%d %d|%s", mg(2), mg(3), pw_layout());
	pw_expect("ks4_madv_unmergeable_splits_the_page_off", buf,
		  "1 0|2+1 rw-p [anon:a], 3+1 rw-p [anon:a], 10+3 rw-p, 14+2 rw-s /dev/zero (deleted)");

	pid = fork();
	if (pid == 0) {
		pw_map(24, 1, RW, 0);
		_exit((pr(PR_GET_MEMORY_MERGE, 0, 0) == 1) | mg(2) << 1 | mg(24) << 2);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		ktap_exit_fail_msg("fork or wait failed");
	ktap_print_msg("child: get %d, mg on a %d, mg on a new mapping %d", WEXITSTATUS(status) & 1,
		       WEXITSTATUS(status) >> 1 & 1, WEXITSTATUS(status) >> 2 & 1);
	ktap_test_result(WEXITSTATUS(status) == 7, "ks3_child_inherits_merge_any");

	r[0] = pr(PR_SET_MEMORY_MERGE, 0, 0);
	r[1] = pr(PR_GET_MEMORY_MERGE, 0, 0);
	snprintf(buf, sizeof(buf), "%ld %ld %d %d", r[0], r[1], mg(2), mg(10));
	pw_expect("ks4_off_clears_mg_everywhere", buf, "0 0 0 0");
	pw_expect("ks4_off_does_not_merge_the_now_equal_pieces", pw_layout(),
		  "2+1 rw-p [anon:a], 3+1 rw-p [anon:a], 10+3 rw-p, 14+2 rw-s /dev/zero (deleted)");
	pw_map(26, 1, RW, 0);
	pw_map(27, 1, RW, 0);
	pw_expect("ks4_off_new_neighbours_merge_again", pw_layout(),
		  "2+1 rw-p [anon:a], 3+1 rw-p [anon:a], 10+3 rw-p, 14+2 rw-s /dev/zero (deleted), 26+2 rw-p");
	pw_release();
	ktap_finished();
}
