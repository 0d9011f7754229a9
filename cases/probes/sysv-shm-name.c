/*
 * sysv-shm-name.c: naming a SysV shared memory attachment fails with EBADF
 * (kernel-behaviour.md R10: a VMA with a vm_file whose vm_ops are not the
 * anon-shmem ops). Needs CONFIG_SYSVIPC; without it shmget() gives ENOSYS and
 * the probe skips with that reason (ktap_exit_skip, exit KSFT_SKIP).
 */
#define _GNU_SOURCE
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <unistd.h>

#include "ktap.h"

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	int id;
	void *p;

	ktap_print_header();
	id = shmget(IPC_PRIVATE, (size_t)page, IPC_CREAT | 0600);
	if (id < 0 && errno == ENOSYS)
		ktap_exit_skip("SysV IPC is not built in (shmget: ENOSYS, CONFIG_SYSVIPC=n)");
	if (id < 0)
		ktap_exit_fail_msg("shmget: %m");
	ktap_set_plan(1);
	p = shmat(id, NULL, 0);
	shmctl(id, IPC_RMID, NULL);
	if (p == (void *)-1)
		ktap_exit_fail_msg("shmat: %m");
	errno = 0;
	int r = prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, p, page, "shm");
	ktap_print_msg("prctl returned %d, errno %d", r, errno);
	ktap_test_result(r == -1 && errno == EBADF, "sysv_shm_name_is_ebadf");
	ktap_finished();
}
