/*
 * d-memory-contents.c: what reads return (kernel-behaviour.md D1-D5, K3, A5):
 * copy-on-write and shared pages across fork, MADV_WIPEONFORK zeros in the
 * child, an MADV_DONTFORK page absent in the child, MADV_DONTNEED zeros for
 * private but not for shared memory, an untouched page reads the zero page.
 * The child reports what it read through a pipe; the parent judges.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"
#include "procmaps.h"
#include "probewin.h"

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif

#define RW (PROT_READ | PROT_WRITE)

static char child_text[1024];

/* What the child read: runs in the child, written to fd as one line. */
static void child(int fd)
{
	char out[1024];
	size_t n = 0;

	n += (size_t)snprintf(out + n, sizeof(out) - n, "%s|", pw_bytes(2, 2));                    /* wipeonfork */
	n += (size_t)snprintf(out + n, sizeof(out) - n, "%s|", pw_smaps(2, "Rss"));
	n += (size_t)snprintf(out + n, sizeof(out) - n, "%d|", strstr(pw_smaps(2, "VmFlags"), " wf ") != NULL);
	n += (size_t)snprintf(out + n, sizeof(out) - n, "%s|", pw_bytes(6, 3));                    /* dontfork */
	pw_stamp(12, 1, 90);                                                                        /* shared */
	pw_stamp(16, 1, 91);                                                                        /* private */
	n += (size_t)snprintf(out + n, sizeof(out) - n, "%s", pw_bytes(16, 2));
	if (write(fd, out, n) != (ssize_t)n)
		_exit(2);
	_exit(0);
}

int main(void)
{
	char buf[512];
	int p[2], status;
	ssize_t got;
	pid_t pid;

	ktap_print_header();
	ktap_set_plan(8);
	pw_reserve();
	pw_map(2, 2, RW, 0);
	pw_name(2, 2, "w");
	pw_stamp(2, 2, 10);
	madvise((void *)pw_addr(2), 2 * pw_page, MADV_WIPEONFORK);
	pw_map(6, 3, RW, 0);
	pw_name(6, 3, "d");
	pw_stamp(6, 3, 20);
	madvise((void *)pw_addr(7), pw_page, MADV_DONTFORK);
	pw_map(12, 2, RW, MAP_SHARED);
	pw_stamp(12, 2, 30);
	pw_map(16, 2, RW, 0);
	pw_stamp(16, 2, 40);

	if (pipe(p) != 0)
		ktap_exit_fail_msg("pipe: %s", strerror(errno));
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		child(p[1]);
	}
	close(p[1]);
	got = read(p[0], child_text, sizeof(child_text) - 1);
	child_text[got > 0 ? got : 0] = '\0';
	if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0)
		ktap_exit_fail_msg("the child failed (status %#x)", status);
	ktap_print_msg("child read: %s", child_text);

	pw_expect("d2_wipeonfork_child_reads_zeros_rss_0_wf", strtok(child_text, "|"), "0 0");
	snprintf(buf, sizeof(buf), "%s|", strtok(NULL, "|"));
	strcat(buf, strtok(NULL, "|"));
	pw_expect("d2_wipeonfork_child_rss_and_vmflags", buf, "0 kB|1");
	pw_expect("d3_dontfork_page_absent_in_the_child", strtok(NULL, "|"), "20 -1 22");
	pw_expect("d1_child_sees_its_own_private_write", strtok(NULL, "|"), "91 41");
	snprintf(buf, sizeof(buf), "%s|", pw_bytes(2, 2));
	strcat(buf, pw_bytes(6, 3));
	strcat(buf, "|");
	strcat(buf, pw_bytes(16, 2));
	strcat(buf, "|");
	strcat(buf, pw_bytes(12, 2));
	pw_expect("d1_parent_keeps_private_data_sees_the_shared_write", buf, "10 11|20 21 22|40 41|90 31");

	madvise((void *)pw_addr(16), pw_page, MADV_DONTNEED);
	madvise((void *)pw_addr(12), pw_page, MADV_DONTNEED);
	snprintf(buf, sizeof(buf), "%s|", pw_bytes(16, 2));
	strcat(buf, pw_smaps(16, "Rss"));
	strcat(buf, "|");
	strcat(buf, pw_bytes(12, 2));
	pw_expect("d4_dontneed_zeros_private_keeps_shared", buf, "0 41|4 kB|90 31");

	pw_map(25, 1, RW, 0);
	pw_name(25, 1, "z");
	snprintf(buf, sizeof(buf), "%s|", pw_bytes(25, 1));
	strcat(buf, pw_smaps(25, "Rss"));
	pw_map(26, 1, RW, 0);
	pw_name(26, 1, "z");
	strcat(buf, "|");
	strcat(buf, strstr(pw_layout(), "25+"));
	pw_expect("d5_untouched_page_reads_zero_stays_unfaulted", buf, "0|0 kB|25+2 rw-p [anon:z]");

	pw_map(20, 1, PROT_NONE, 0);
	pw_map(22, 1, PROT_READ, 0);
	snprintf(buf, sizeof(buf), "%d %s", pw_peek(pw_addr(-1)), pw_bytes(20, 3));
	pw_expect("d5_prot_none_and_reserve_fault_read_only_reads_zero", buf, "-1 -1 -1 0");
	pw_release();
	ktap_finished();
}
