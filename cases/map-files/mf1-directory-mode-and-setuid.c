/*
 * mf1-directory-mode-and-setuid.c: /proc/self/map_files is dr-x------ and the
 * process can still list it and readlink its entries after setuid() to
 * another user (kernel-behaviour.md MF1): the directory stays root's (the
 * process is no longer dumpable) but its .permission, proc_fd_permission() in
 * fs/proc/fd.c, lets the same thread group in. Following a link then fails
 * with EPERM (MF4). The guest runs the probe as root; it drops to 65534.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ktap.h"

/* 1 when the directory lists entry, 0 when not, -1 when it cannot be opened (errno set). */
static int lists(const char *entry)
{
	DIR *d = opendir("/proc/self/map_files");
	struct dirent *e;
	int found = 0, n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		n += e->d_name[0] != '.';
		found |= strcmp(e->d_name, entry) == 0;
	}
	closedir(d);
	ktap_print_msg("map_files lists %d entries, %s among them: %s", n, entry, found ? "yes" : "no");
	return found;
}

int main(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char entry[64], path[96], link[256];
	struct stat st;
	ssize_t len;
	char *p;

	ktap_print_header();
	if (getuid() != 0)
		ktap_exit_skip("needs to start as root to setuid to another user (uid %u)", getuid());
	ktap_set_plan(6);
	/* a file-backed VMA, so the directory has an entry: private /dev/zero (MF2) */
	int fd = open("/dev/zero", O_RDWR | O_CLOEXEC);
	p = fd < 0 ? MAP_FAILED : mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		ktap_exit_fail_msg("mmap /dev/zero: %m");
	close(fd);
	snprintf(entry, sizeof(entry), "%lx-%lx", (unsigned long)p, (unsigned long)p + page);
	snprintf(path, sizeof(path), "/proc/self/map_files/%s", entry);

	if (stat("/proc/self/map_files", &st) != 0)
		ktap_exit_fail_msg("stat /proc/self/map_files: %m");
	ktap_print_msg("mode %o uid %u", (unsigned)st.st_mode, (unsigned)st.st_uid);
	ktap_test_result(st.st_mode == (S_IFDIR | 0500), "directory_is_dr-x------");
	ktap_test_result(lists(entry) == 1, "root_lists_the_entry");

	if (setgid(65534) != 0 || setuid(65534) != 0)
		ktap_exit_fail_msg("setuid 65534: %m");
	ktap_print_msg("now uid %u euid %u", getuid(), geteuid());
	/* the directory is root's now, mode 0500: only proc_fd_permission() lets us in */
	ktap_test_result(getuid() == 65534 && geteuid() == 65534, "dropped_to_another_user");
	if (stat("/proc/self/map_files", &st) != 0)
		ktap_perror("stat after setuid");
	else
		ktap_print_msg("after setuid: mode %o uid %u", (unsigned)st.st_mode, (unsigned)st.st_uid);
	int listed = lists(entry);
	if (listed < 0)
		ktap_perror("opendir after setuid");
	ktap_test_result(listed == 1, "lists_the_entry_after_setuid");
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		ktap_perror("readlink after setuid");
	else
		link[len] = '\0';
	ktap_print_msg("readlink %s: %s", entry, len < 0 ? "(failed)" : link);
	ktap_test_result(len > 0 && strcmp(link, "/dev/zero") == 0, "readlink_after_setuid");
	/* following the link needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE (MF4): gone now */
	errno = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ktap_print_msg("open through the link: %d errno %d", fd, errno);
	ktap_test_result(fd < 0 && errno == EPERM, "open_after_setuid_eperm");
	ktap_finished();
}
