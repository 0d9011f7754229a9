/*
 * ks5-ksmd-merges-identical-pages.c: with ksmd running, eight identical
 * pages of a named MADV_MERGEABLE VMA become one KSM page shared eight times
 * (kernel-behaviour.md KS5): smaps Rss and Anonymous keep counting them,
 * they turn Shared_Dirty, Pss drops to one page, `KSM:` (6.12; no such field
 * on 6.1) counts them. /sys/kernel/mm/ksm is global: the probe puts `run`
 * and `sleep_millisecs` back (run 2 first: unmerge everything).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ktap.h"
#include "procmaps.h"
#include "probewin.h"

#define KSM "/sys/kernel/mm/ksm/"

static char old_run[32], old_sleep[32];

static int put(const char *file, const char *value)
{
	int fd = open(file, O_WRONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, value, strlen(value)) == (ssize_t)strlen(value);
	close(fd);
	return ok ? 0 : -1;
}

static void get(const char *file, char *out, size_t size)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, out, size - 1);

	if (fd >= 0)
		close(fd);
	out[n > 0 ? n : 0] = '\0';
}

static void restore(void)
{
	put(KSM "run", "2");
	put(KSM "run", old_run);
	put(KSM "sleep_millisecs", old_sleep);
}

int main(void)
{
	char buf[256], ksm[32], sharing[32] = "";

	ktap_print_header();
	get(KSM "run", old_run, sizeof(old_run));
	get(KSM "sleep_millisecs", old_sleep, sizeof(old_sleep));
	if (!old_run[0])
		ktap_exit_skip("no %srun (CONFIG_KSM=n or no sysfs)", KSM);
	ktap_set_plan(2);
	pw_reserve();
	pw_map(2, 8, PROT_READ | PROT_WRITE, 0);
	pw_name(2, 8, "k");
	for (int i = 0; i < 8; i++)
		memset((void *)pw_addr(2 + i), 0x77, pw_page);
	if (madvise((void *)pw_addr(2), 8 * pw_page, MADV_MERGEABLE) != 0)
		ktap_exit_fail_msg("MADV_MERGEABLE: %s", strerror(errno));
	if (put(KSM "sleep_millisecs", "10") != 0 || put(KSM "run", "1") != 0) {
		int e = errno;

		restore();
		if (e == EROFS || e == EACCES || e == EPERM) /* a run on the host: /sys is read-only (docs/host.md) */
			ktap_exit_skip("cannot start ksmd: %s: %s is global and read-only here", strerror(e), KSM);
		ktap_exit_fail_msg("cannot start ksmd: %s", strerror(e));
	}
	for (int t = 0; t < 100 && atoi(sharing) < 7; t++) {
		usleep(50000);
		get(KSM "pages_sharing", sharing, sizeof(sharing));
	}
	ktap_print_msg("pages_sharing %s", sharing);
	snprintf(buf, sizeof(buf), "%s|%s|%s|%s|%s", pw_smaps(2, "Rss"), pw_smaps(2, "Anonymous"), pw_smaps(2, "Shared_Dirty"),
		 pw_smaps(2, "Private_Dirty"), pw_smaps(2, "Pss"));
	snprintf(ksm, sizeof(ksm), "%s", pw_smaps(2, "KSM"));
	restore();
	pw_expect("ks5_eight_identical_pages_share_one", buf, "32 kB|32 kB|32 kB|0 kB|4 kB");
	pw_expect("ks5_smaps_ksm_field", ksm, pw_kernel_at_least(6, 12) ? "32 kB" : "");
	pw_release();
	ktap_finished();
}
