/*
 * k5-named-fork-cost.c: fork() of a process with ~30000 named VMAs costs no
 * more kernel memory and no more time than with the same VMAs unnamed, because
 * the child's VMAs share the parent's refcounted names (kernel-behaviour.md K4,
 * K5). A kernel that copies the name per VMA allocates ~96 bytes more for each
 * (kmalloc-96: kref + 79 characters + NUL), ~2.9 MB here, and forks slower.
 *
 * One boot: vm.max_map_count is raised (and restored), one unfaulted private
 * mapping of NVMAS pages becomes NVMAS VMAs by giving every other page
 * PROT_READ. Two workers are forked from that: U keeps the VMAs unnamed, N
 * names them all with one 79-character name (one prctl over the mapping). The
 * driver then asks them in turn (U N, N U, U N, …), so host load and drift
 * (TCG on a shared machine) fall on both alike, for SAMPLES forks each. Each
 * fork gives both figures:
 *   - Slab from /proc/meminfo before fork() and while the child is alive (it
 *     waits on a pipe): what fork allocated;
 *   - the time of fork() in the parent plus the child's _exit() and the
 *     parent's waitpid(), from the child's release: fork + exit + wait
 *     without the hand-shake and the Slab read between them.
 * Each fork with 30000 VMAs costs 90-170 ms under TCG: this is the longest
 * case of the suite, so one fork serves both figures.
 * Results: medians for Slab; for time, two estimates of named/unnamed (see
 * the judgement at the end); the host judges the KTAP, the numbers go out as
 * `#` lines.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

#define NVMAS 30000
/* Forks per kind (each gives a time and a Slab growth, see above). */
#define SAMPLES 7
/* One 79-character name: the longest accepted (R3). */
#define NAME "vmaspec-fork-cost-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOPQRSTUVW"
#define MAX_MAP_COUNT "/proc/sys/vm/max_map_count"
/* What fork must allocate at least for NVMAS VMAs (a vm_area_struct is ~180 bytes). */
#define MIN_FORK_SLAB_KB (NVMAS * 100 / 1024)
/* Named minus unnamed Slab growth allowed: a sixth of what copying the names costs. */
#define SLAB_TOLERANCE_KB (NVMAS * 96 / 1024 / 6)
/* Named fork time allowed, in hundredths of the unnamed one. */
#define TIME_RATIO_MAX 115

static char buf[1 << 16];

/* The whole of a small file, NUL-terminated; its length or -1. */
static ssize_t read_small(const char *path)
{
	ssize_t n, len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - (size_t)len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return n < 0 ? -1 : len;
}

static int write_small(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Slab: in kB, from /proc/meminfo; -1 when not found. */
static long slab_kb(void)
{
	char *p;

	if (read_small("/proc/meminfo") < 0 || !(p = strstr(buf, "\nSlab:")))
		return -1;
	return strtol(p + 6, NULL, 10);
}

/* Lines of a maps file and how many of them end in [anon:NAME]: a line at a time (30000 lines). */
static void count_maps(const char *path, long *lines, long *named)
{
	static char chunk[1 << 16];
	static const char tail[] = "[anon:" NAME "]";
	const size_t tlen = sizeof(tail) - 1;
	size_t have = 0; /* bytes of an unfinished line kept at the start of chunk */
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*lines = *named = 0;
	if (fd < 0)
		return;
	while ((n = read(fd, chunk + have, sizeof(chunk) - have)) > 0) {
		char *line = chunk, *end = chunk + have + n, *nl;

		while ((nl = memchr(line, '\n', (size_t)(end - line))) != NULL) {
			(*lines)++;
			if ((size_t)(nl - line) >= tlen && memcmp(nl - tlen, tail, tlen) == 0)
				(*named)++;
			line = nl + 1;
		}
		have = (size_t)(end - line);
		if (have == sizeof(chunk))
			have = 0; /* a 64 KiB line: not a maps line; drop it */
		memmove(chunk, line, have);
	}
	close(fd);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The smallest step CLOCK_MONOTONIC reads in (ns), of three: ns on the TSC, the
 * tick (4 ms) on a jiffies clocksource, whose fork times are too coarse to judge.
 * clock_getres() says neither: without HIGH_RES_TIMERS it gives the tick. */
static uint64_t clock_step_ns(void)
{
	uint64_t step = UINT64_MAX;

	for (int i = 0; i < 3; i++) {
		uint64_t a = now_ns(), b;

		while ((b = now_ns()) == a)
			;
		if (b - a < step)
			step = b - a;
	}
	return step;
}

/* One fork of this process; in the caller's two slots: 0 the time in ns, 1 the Slab growth in kB. -1 on failure. */
static int sample_fork(int64_t out[2])
{
	int ready[2], go[2], status, ok;
	long before, during;
	uint64_t t0, t1, t2, t3;
	char c = 0;
	pid_t pid;

	if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC))
		return -1;
	before = slab_kb();
	t0 = now_ns();
	pid = fork();
	if (pid == 0) {
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	t1 = now_ns();
	ok = pid > 0 && read(ready[0], &c, 1) == 1;
	during = slab_kb();
	t2 = now_ns();
	ok = ok && write(go[1], &c, 1) == 1 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	t3 = now_ns();
	close(ready[0]), close(ready[1]), close(go[0]), close(go[1]);
	if (!ok || before < 0 || during < 0)
		return -1;
	out[0] = (int64_t)((t1 - t0) + (t3 - t2));
	out[1] = during - before;
	return 0;
}

/* A worker: answers each command byte on `cmd` ('f' a fork sample, 'p' ping) with 16 bytes on `out` (for 'f': time ns, Slab kB; -1 -1 when it failed); 'q' ends it. */
struct worker {
	pid_t pid;
	int cmd, out;
};

__attribute__((noreturn))
static void worker_loop(int cmd, int out)
{
	char c;

	while (read(cmd, &c, 1) == 1 && c != 'q') {
		int64_t v[2] = { 0, 0 };

		if (c == 'f' && sample_fork(v))
			v[0] = v[1] = -1;
		if (write(out, v, sizeof(v)) != sizeof(v))
			break;
	}
	_exit(0);
}

/* Forks a worker over the current address space; `name` (or NULL) names the whole area in it first. */
static int start_worker(struct worker *w, char *area, size_t len, const char *name)
{
	int cmd[2], out[2];

	if (pipe2(cmd, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		return -1;
	w->pid = fork();
	if (w->pid < 0)
		return -1;
	if (w->pid == 0) {
		close(cmd[1]);
		close(out[0]);
		if (name && prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, area, len, name))
			_exit(3);
		worker_loop(cmd[0], out[1]);
	}
	close(cmd[0]);
	close(out[1]);
	w->cmd = cmd[1];
	w->out = out[0];
	return 0;
}

/* One answer of a worker into v; -1 when it failed or is gone. */
static int ask(struct worker *w, char what, int64_t v[2])
{
	if (write(w->cmd, &what, 1) != 1 || read(w->out, v, 2 * sizeof(v[0])) != (ssize_t)(2 * sizeof(v[0])))
		return -1;
	return v[0] < 0 ? -1 : 0;
}

/* The worker's /proc/PID/maps: its lines and how many end in [anon:NAME]. */
static void count_worker_maps(pid_t pid, long *lines, long *named)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	count_maps(path, lines, named);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const size_t len = NVMAS * page;
	int64_t t[2][SAMPLES], sl[2][SAMPLES], ratio[SAMPLES], v[2];
	struct worker w[2]; /* 0: unnamed, 1: named */
	long lines[2], named[2];
	char saved[32] = "";
	char *area;
	/* When each phase ended (ns): the numbers say where the case's time goes. */
	uint64_t at[5];

	at[0] = now_ns();
	ktap_print_header();
	ktap_set_plan(5);
	signal(SIGPIPE, SIG_IGN); /* a dead worker fails ask(), it does not kill the driver */

	if (read_small(MAX_MAP_COUNT) > 0 && strlen(buf) < sizeof(saved))
		memcpy(saved, buf, strlen(buf) + 1);
	if (write_small(MAX_MAP_COUNT, "200000"))
		ktap_exit_fail_msg("cannot raise vm.max_map_count: %s", strerror(errno));
	area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		ktap_exit_fail_msg("mmap of %d pages: %s", NVMAS, strerror(errno));
	for (size_t i = 1; i < NVMAS; i += 2)
		if (mprotect(area + i * page, page, PROT_READ))
			ktap_exit_fail_msg("mprotect page %zu: %s", i, strerror(errno));
	at[1] = now_ns();
	if (start_worker(&w[0], area, len, NULL) || start_worker(&w[1], area, len, NAME))
		ktap_exit_fail_msg("starting the workers: %s", strerror(errno));
	munmap(area, len); /* only the workers hold the VMAs now */
	if (ask(&w[0], 'p', v) || ask(&w[1], 'p', v)) /* both answer: N named its VMAs */
		ktap_exit_fail_msg("a worker failed to start (exit 3: the prctl naming its VMAs failed)");
	at[2] = now_ns();
	for (int k = 0; k < 2; k++)
		count_worker_maps(w[k].pid, &lines[k], &named[k]);
	at[3] = now_ns();
	ktap_print_msg("maps of the workers: unnamed %ld lines, %ld named; named %ld lines, %ld named [anon:%s]", lines[0], named[0], lines[1], named[1], NAME);
	ktap_test_result(lines[0] >= NVMAS && lines[1] >= NVMAS && named[0] == 0, "made_%d_vmas", NVMAS);
	ktap_test_result(named[1] == NVMAS, "all_%d_vmas_named", NVMAS);

	for (int i = 0; i < SAMPLES; i++)
		for (int j = 0; j < 2; j++) {
			int k = (i + j) & 1; /* U N, N U, U N, … */

			if (ask(&w[k], 'f', v))
				ktap_exit_fail_msg("sample %d: fork or /proc/meminfo in worker %d failed", i, k);
			t[k][i] = v[0];
			sl[k][i] = v[1];
		}
	at[4] = now_ns();
	ktap_print_msg("time (ms): %d VMAs made %.0f, workers started %.0f, their maps read %.0f, %d forks sampled %.0f", NVMAS,
		       (at[1] - at[0]) / 1e6, (at[2] - at[1]) / 1e6, (at[3] - at[2]) / 1e6, 2 * SAMPLES, (at[4] - at[3]) / 1e6);
	for (int i = 0; i < SAMPLES; i++)
		ratio[i] = t[1][i] * 1000 / t[0][i];
	qsort(ratio, SAMPLES, sizeof(ratio[0]), cmp_i64);
	for (int k = 0; k < 2; k++) {
		/* 'q', not EOF: the other worker holds a copy of this pipe's write end */
		if (write(w[k].cmd, "q", 1) != 1 || waitpid(w[k].pid, NULL, 0) != w[k].pid)
			ktap_exit_fail_msg("worker %d did not end", k);
		qsort(t[k], SAMPLES, sizeof(t[k][0]), cmp_i64);
		qsort(sl[k], SAMPLES, sizeof(sl[k][0]), cmp_i64);
	}
	if (saved[0])
		write_small(MAX_MAP_COUNT, saved);

	int64_t sp = sl[0][SAMPLES / 2], sn = sl[1][SAMPLES / 2];
	int64_t tp = t[0][SAMPLES / 2], tn = t[1][SAMPLES / 2];

	ktap_print_msg("Slab growth while the child lives, median of %d: unnamed %lld kB (min %lld, max %lld), named %lld kB (min %lld, max %lld)",
		       SAMPLES, (long long)sp, (long long)sl[0][0], (long long)sl[0][SAMPLES - 1], (long long)sn,
		       (long long)sl[1][0], (long long)sl[1][SAMPLES - 1]);
	ktap_test_result(sp >= MIN_FORK_SLAB_KB, "slab_shows_the_fork (unnamed growth %lld kB >= %d kB)", (long long)sp, MIN_FORK_SLAB_KB);
	ktap_print_msg("named - unnamed = %lld kB; copying the names would add ~%d kB; allowed %d kB", (long long)(sn - sp), NVMAS * 96 / 1024, SLAB_TOLERANCE_KB);
	ktap_test_result(sn - sp <= SLAB_TOLERANCE_KB, "named_fork_allocates_no_more_slab");

	ktap_print_msg("fork+exit+wait, median of %d: unnamed %.1f ms (min %.1f, max %.1f), named %.1f ms (min %.1f, max %.1f), ratio %.3f; the clock reads in steps of %.3f us",
		       SAMPLES, tp / 1e6, t[0][0] / 1e6, t[0][SAMPLES - 1] / 1e6, tn / 1e6, t[1][0] / 1e6, t[1][SAMPLES - 1] / 1e6,
		       (double)tn / (double)tp, clock_step_ns() / 1e3);
	ktap_print_msg("named/unnamed of back-to-back pairs: median %.3f (min %.3f, max %.3f)", ratio[SAMPLES / 2] / 1e3, ratio[0] / 1e3,
		       ratio[SAMPLES - 1] / 1e3);
	/* Two estimates of named/unnamed, each robust to one kind of host noise:
	 *  - the median of the ratios of back-to-back pairs: a slow spell of the
	 *    host (it comes and goes for seconds under TCG) falls on both of a pair;
	 *  - the ratio of the fastest forks of each kind: the host's noise only
	 *    ever adds time, so each minimum is the fork with the least of it.
	 * Noise has inflated one or the other; a kernel whose named forks cost
	 * more inflates both. Measured over 308 runs on kernels that share names:
	 * the pairs' median exceeded 1.15 in 3, the minima's ratio in 5, both in
	 * none; with the fork-copies-names mutant both exceeded it in 4 of 4
	 * (1.26 to 1.54). Too slow is when both say so. */
	int64_t min_ratio = t[1][0] * 1000 / t[0][0];

	ktap_print_msg("fastest named / fastest unnamed: %.3f; allowed %.2f by one of the two", min_ratio / 1e3, TIME_RATIO_MAX / 100.0);
	ktap_test_result(ratio[SAMPLES / 2] * 100 <= TIME_RATIO_MAX * 1000 || min_ratio * 100 <= TIME_RATIO_MAX * 1000,
			 "named_fork_within_1.15x_of_unnamed");
	ktap_finished();
}
