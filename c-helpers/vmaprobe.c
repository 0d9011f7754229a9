/*
 * vmaprobe — the vmaspec step interpreter (guest side, run by /init).
 *
 * Usage: vmaprobe <plan file>
 *
 * Reads one case plan (plan_parse.h), reserves the PROT_NONE window at a
 * fixed address, runs the plan's ops (mmap, munmap, mprotect,
 * PR_SET_VMA_ANON_NAME, page touches, /proc/self/maps snapshots, nested fork
 * blocks and their sync points; the observation ops of probe_observe.h and
 * the steps ops of probe_steps.h) and writes one result record per op to
 * stdout. The plan format and the records are the contract in
 * docs/protocol.md.
 *
 * Each op is defined once on the host (runner/plan/plan.ts); its struct, its
 * parser and the ops table op_ops[] are generated from that definition into
 * plan_ops.h at build time (runner/guest/plan-header.ts). Each op's run
 * function is here or in the two headers: `run_<op>(op, args)`, taking the
 * op's typed arguments (`struct op_<op>`).
 *
 * The probe must not disturb the address space it is measuring: no stdio,
 * no malloc, only static buffers and raw write(2) of whole records. The
 * memory syscalls are issued through syscall(2) so libc does not adjust
 * their arguments (musl's mprotect rounds the address, its mmap rejects
 * huge lengths itself).
 *
 * Exit status: 0 when every op ran (whatever the ops returned), 3 after a
 * `B` record (bad plan or harness failure).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"

/* probe_steps.h: puts back the sysctls and files this process changed (every exit path). */
static void steps_restore(void);
/* probe_steps.h: at the start, puts back the sysctls a killed earlier probe left. */
static void steps_recover(void);
/* probe_steps.h: the child of the fork block whose parent ops run now; returns the previous. */
static pid_t steps_set_child(pid_t pid);

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#endif
#ifndef PR_SET_VMA_ANON_NAME
#define PR_SET_VMA_ANON_NAME 0
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08 /* a mapping type (MAP_TYPE 0x0f), Linux 6.11+ */
#endif

#define WINDOW_ADDR 0x200000000000UL
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 1U
#endif

#define WINDOW_NAME "vmaspec:window"
#define WINDOW_NAME_MEMFD "vmaspec-window" /* maps: /memfd:vmaspec-window (deleted) */
#define EXIT_BROKEN 3

#define PLAN_MAX (4u << 20)   /* plan file bytes */
#define OPS_MAX 65536         /* ops per plan */
#define NAME_MAX_BYTES 8192   /* decoded name bytes */
#define MAPS_BUF 65536        /* /proc/self/maps read buffer (> PATH_MAX line) */
#define OUT_BUF (MAPS_BUF + 128)

/* ------------------------------------------------------------------ */
/* Output: records built in a static buffer, one write(2) per record.  */

static char out[OUT_BUF];
static size_t out_len;

static void out_mem(const char *s, size_t n)
{
	if (n > sizeof(out) - 1 - out_len)
		n = sizeof(out) - 1 - out_len; /* keep room for the '\n' */
	memcpy(out + out_len, s, n);
	out_len += n;
}

static void out_str(const char *s) { out_mem(s, strlen(s)); }

/* v in decimal, written at the end of buf[24]; returns where it starts (it ends at buf + 24). */
static char *u64_decimal(char buf[24], uint64_t v)
{
	char *p = buf + 24;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

static void out_u64(uint64_t v)
{
	char tmp[24];
	const char *p = u64_decimal(tmp, v);

	out_mem(p, (size_t)(tmp + sizeof(tmp) - p));
}

static void out_s64(int64_t v)
{
	if (v < 0) {
		out_mem("-", 1);
		out_u64((uint64_t)0 - (uint64_t)v);
	} else {
		out_u64((uint64_t)v);
	}
}

static void out_hex(uint64_t v)
{
	char tmp[16];
	int i = sizeof(tmp);
	do {
		tmp[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	out_mem(tmp + i, sizeof(tmp) - (size_t)i);
}

/* Terminate the record with '\n' and write it in one go. */
static void out_end(void)
{
	out[out_len++] = '\n';
	write_all(1, out, out_len);
	out_len = 0;
}

static void record_step(uint64_t step, long ret, int err)
{
	out_str("S ");
	out_u64(step);
	out_str(" ");
	out_s64(ret);
	out_str(" ");
	out_s64(err);
	out_end();
}

/*
 * `B <msg>[ <detail>][ (<label> <num>)]`, then exit: the case is broken.
 * Only called between records (out is empty or discarded).
 */
__attribute__((noreturn))
static void broken_full(const char *msg, const char *detail, const char *label, int64_t num)
{
	out_len = 0;
	out_str("B ");
	out_str(msg);
	if (detail) {
		out_str(" ");
		out_str(detail);
	}
	if (label) {
		out_str(" (");
		out_str(label);
		out_str(" ");
		out_s64(num);
		out_str(")");
	}
	out_end();
	steps_restore();
	_exit(EXIT_BROKEN);
}

#define broken(msg, label, num) broken_full(msg, NULL, label, (int64_t)(num))

#include "plan_parse.h"

/* ------------------------------------------------------------------ */
/* The window.                                                          */

static unsigned long page_size;
static unsigned long page0;   /* address of window page 0 */
static unsigned long win_lo;  /* the reservation, guard pages included */
static unsigned long win_hi;

/* prctl(PR_SET_VMA, sub, …): sub is PR_SET_VMA_ANON_NAME but for a case's `sub_option` (R1). */
static long sys_prctl_vma(uint64_t sub, unsigned long addr, unsigned long len, const char *name)
{
	return syscall(SYS_prctl, PR_SET_VMA, (unsigned long)sub, addr, len, name);
}

static long sys_prctl_name(unsigned long addr, unsigned long len, const char *name)
{
	return sys_prctl_vma(PR_SET_VMA_ANON_NAME, addr, len, name);
}

/*
 * A kernel that cannot name VMAs (ANON_VMA_NAME=n: P2) still needs a reserve
 * that no case mapping merges with and that maps tells apart: a PROT_NONE
 * private mapping of a memfd, `/memfd:vmaspec-window (deleted)`, laid over
 * the anonymous one. Without memfd, the reserve stays unnamed anonymous.
 */
static void reserve_from_memfd(unsigned long len)
{
	int fd = (int)syscall(SYS_memfd_create, WINDOW_NAME_MEMFD, MFD_CLOEXEC);

	if (fd < 0)
		return;
	if (ftruncate(fd, (off_t)len) == 0)
		(void)syscall(SYS_mmap, WINDOW_ADDR, len, PROT_NONE,
			      MAP_PRIVATE | MAP_NORESERVE | MAP_FIXED, fd, 0);
	close(fd);
}

static void reserve_window(void)
{
	unsigned long len;
	long r;
	int named;

	page_size = (unsigned long)sysconf(_SC_PAGESIZE);
	len = (unsigned long)(window_pages + 2) * page_size;
	r = syscall(SYS_mmap, WINDOW_ADDR, len, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
		    -1, 0);
	if (r == -1)
		broken("window reserve failed", "errno", errno);
	if ((unsigned long)r != WINDOW_ADDR)
		broken("window reserve landed elsewhere", NULL, 0);
	named = sys_prctl_name(WINDOW_ADDR, len, WINDOW_NAME) == 0;
	if (!named)
		reserve_from_memfd(len);

	win_lo = WINDOW_ADDR;
	win_hi = WINDOW_ADDR + len;
	page0 = WINDOW_ADDR + page_size;

	out_str("W ");
	out_hex(page0);
	out_str(" ");
	out_u64(window_pages);
	out_str(" ");
	out_u64(page_size);
	out_str(named ? " 1" : " 0");
	out_end();
}

static unsigned long page_addr(uint64_t at) { return page0 + (unsigned long)at * page_size; }
static unsigned long pages_len(uint64_t n) { return (unsigned long)n * page_size; }

/* ------------------------------------------------------------------ */
/* Ops.                                                                 */

static int mmap_flag(enum map_flag f)
{
	switch (f) {
	case MAP_FLAG_NORESERVE:
		return MAP_NORESERVE;
	case MAP_FLAG_GROWSDOWN:
		return MAP_GROWSDOWN;
	case MAP_FLAG_POPULATE:
		return MAP_POPULATE;
	case MAP_FLAG_FIXED_NOREPLACE:
		return MAP_FIXED_NOREPLACE;
	case MAP_FLAG_DROPPABLE:
		return MAP_DROPPABLE;
	}
	return 0;
}

/*
 * The mmap flags of `map` and `mapfd`: MAP_FIXED unless fixed_noreplace asks
 * for MAP_FIXED_NOREPLACE, and the mapping type MAP_DROPPABLE in place of
 * MAP_PRIVATE when droppable is listed (check_map_flags()).
 */
static int mmap_flags(int shared, unsigned flags)
{
	int f = 0, k;

	for (k = 0; k < MAP_FLAG_COUNT; k++)
		if (flags & 1u << k)
			f |= mmap_flag((enum map_flag)k);
	if (!(flags & 1u << MAP_FLAG_FIXED_NOREPLACE))
		f |= MAP_FIXED;
	if (!(flags & 1u << MAP_FLAG_DROPPABLE))
		f |= shared ? MAP_SHARED : MAP_PRIVATE;
	return f;
}

/* MAP_DROPPABLE is a mapping type of its own: MAP_DROPPABLE|MAP_SHARED is not a plan. */
static void check_map_flags(const struct line *l, int shared, unsigned flags)
{
	if (shared && flags & 1u << MAP_FLAG_DROPPABLE)
		bad_line(l, "droppable with shared");
}

static void check_map(const struct line *l, const struct op_map *a)
{
	check_map_flags(l, a->shared, a->flags);
}

static void run_map(const struct op *op, const struct op_map *a)
{
	unsigned long want = page_addr((uint64_t)a->at);
	long r = syscall(SYS_mmap, want, pages_len(a->pages), a->prot,
			 MAP_ANONYMOUS | mmap_flags(a->shared, a->flags), -1, 0);

	if (r == -1)
		record_step(op->step, -1, errno);
	else if ((unsigned long)r != want)
		broken("map landed elsewhere", "step", op->step);
	else
		record_step(op->step, 0, 0);
}

static void run_syscall_result(uint64_t step, long r)
{
	record_step(step, r, r == -1 ? errno : 0);
}

static void run_unmap(const struct op *op, const struct op_unmap *a)
{
	run_syscall_result(op->step, syscall(SYS_munmap, page_addr((uint64_t)a->at), pages_len(a->pages)));
}

static void run_mprotect(const struct op *op, const struct op_mprotect *a)
{
	run_syscall_result(op->step, syscall(SYS_mprotect, page_addr((uint64_t)a->at), pages_len(a->pages), a->prot));
}

static char name_buf[NAME_MAX_BYTES + 1];

/* The decoded name (name_buf, NUL-terminated), or NULL for `null`. */
static const char *decode_name(const struct name_arg *n)
{
	size_t k;

	if (n->null)
		return NULL;
	for (k = 0; k < n->hex_len / 2; k++)
		name_buf[k] = (char)(hex_digit(n->hex[2 * k]) << 4 | hex_digit(n->hex[2 * k + 1]));
	name_buf[k] = '\0';
	return name_buf;
}

/* Bad-pointer pages for `name` (R2), far from the window: page 0 PROT_NONE,
 * page 1 unmapped, page 2 read-write, page 3 unmapped. */
#define SCRATCH_ADDR 0x300000000000UL

static void scratch_init(uint64_t step)
{
	static int ready;
	long r;

	if (ready)
		return;
	r = syscall(SYS_mmap, SCRATCH_ADDR, 4 * page_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	if (r == -1)
		broken("bad-pointer pages: mmap failed", "errno", errno);
	if ((unsigned long)r != SCRATCH_ADDR)
		broken("bad-pointer pages landed elsewhere", "step", step);
	if (syscall(SYS_munmap, SCRATCH_ADDR + page_size, page_size) != 0 ||
	    syscall(SYS_munmap, SCRATCH_ADDR + 3 * page_size, page_size) != 0 ||
	    syscall(SYS_mprotect, SCRATCH_ADDR, page_size, PROT_NONE) != 0)
		broken("bad-pointer pages: setup failed", "errno", errno);
	ready = 1;
}

/* The pointer a `name` op with a bad pointer passes instead of name (R2). */
static const char *bad_name_pointer(uint64_t step, const struct name_arg *n, const char *name)
{
	size_t len = n->hex_len / 2;
	char *p;

	scratch_init(step);
	switch (n->pointer) {
	case NAME_POINTER_UNMAPPED:
		return (const char *)(SCRATCH_ADDR + page_size);
	case NAME_POINTER_PROT_NONE:
		/* The bytes and their NUL, in a page that is PROT_NONE when the kernel reads it. */
		if (syscall(SYS_mprotect, SCRATCH_ADDR, page_size, PROT_READ | PROT_WRITE) != 0)
			broken("bad-pointer pages: mprotect failed", "errno", errno);
		memcpy((char *)SCRATCH_ADDR, name, len + 1);
		if (syscall(SYS_mprotect, SCRATCH_ADDR, page_size, PROT_NONE) != 0)
			broken("bad-pointer pages: mprotect failed", "errno", errno);
		return (const char *)SCRATCH_ADDR;
	case NAME_POINTER_RUNS_OFF:
		break;
	}
	/* The bytes without a NUL, ending where the unmapped page begins. */
	p = (char *)(SCRATCH_ADDR + 3 * page_size) - len;
	memcpy(p, name, len);
	return p;
}

/* Sets this thread's /proc/thread-self/fail-nth (open as fd) to n; 0 disarms it. `what` names the op in the report. */
static void fail_nth_set(int fd, uint64_t n, const char *what)
{
	char buf[24];
	const char *text = u64_decimal(buf, n);
	ssize_t len = buf + sizeof(buf) - text;

	if (write(fd, text, (size_t)len) != len)
		broken(what, "errno", errno);
}

/*
 * `fail_nth: N` (R5): the Nth fault-injection point the prctl reaches fails
 * (Documentation/fault-injection/fault-injection.rst, "fail-nth"). Armed just
 * before the call, read back and disarmed just after; `F <step> <fired>`
 * says whether the failure was injected (the file reads 0 once it was).
 */
static void run_name_failing(const struct op *op, const struct op_name *a, const char *name)
{
	char buf[24];
	ssize_t n;
	long r;
	int e, fired;
	int fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		broken("fail_nth: cannot open /proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION)", "errno", errno);
	fail_nth_set(fd, a->fail_nth, "fail_nth: cannot arm /proc/thread-self/fail-nth");
	r = sys_prctl_vma(a->sub, page0 + (unsigned long)a->start, (unsigned long)a->len, name);
	e = errno;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	fired = n > 0 && buf[0] == '0';
	fail_nth_set(fd, 0, "fail_nth: cannot disarm /proc/thread-self/fail-nth");
	close(fd);
	out_str("F ");
	out_u64(op->step);
	out_str(fired ? " 1" : " 0");
	out_end();
	errno = e;
	run_syscall_result(op->step, r);
}

static void run_name(const struct op *op, const struct op_name *a)
{
	const char *name = decode_name(&a->name);

	if (a->name.bad_pointer)
		name = bad_name_pointer(op->step, &a->name, name);
	if (a->fail_nth) {
		run_name_failing(op, a, name);
		return;
	}
	run_syscall_result(op->step, sys_prctl_vma(a->sub, page0 + (unsigned long)a->start,
						    (unsigned long)a->len, name));
}

/*
 * touch and peek: a fault on an inaccessible page is an outcome (EFAULT, or a
 * read that faulted), not a crash.
 */
static sigjmp_buf fault_env;
static volatile sig_atomic_t fault_armed;

static void on_fault(int sig)
{
	if (fault_armed)
		siglongjmp(fault_env, 1);
	steps_restore();
	signal(sig, SIG_DFL); /* a real bug: die of the signal */
	raise(sig);
}

static void install_fault_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/*
 * Writes value to the byte at addr (write), or reads it: returns the byte
 * read or written, or -1 when the access faulted (SIGSEGV, SIGBUS).
 */
static int access_byte(unsigned long addr, int write, unsigned char value)
{
	volatile unsigned char *p = (volatile unsigned char *)addr;
	int byte;

	if (sigsetjmp(fault_env, 1)) {
		fault_armed = 0;
		return -1;
	}
	fault_armed = 1;
	if (write)
		*p = value;
	byte = write ? value : *p;
	fault_armed = 0;
	return byte;
}

/*
 * Writes (page i: value i mod count) or reads the first byte of each of `pages`
 * pages from addr; stops at the first fault: `S 0 0`, or `S -1 EFAULT` (touch,
 * touch-target).
 */
static void touch_range(uint64_t step, unsigned long addr, uint64_t pages, enum touch_access access, const struct bytes_arg *value)
{
	int write = access == TOUCH_ACCESS_W;
	size_t pos = 0;
	uint64_t i;

	for (i = 0; i < pages; i++) {
		if (access_byte(addr + i * page_size, write, bytes_next(value, &pos)) < 0) {
			record_step(step, -1, EFAULT);
			return;
		}
	}
	record_step(step, 0, 0);
}

static void run_touch(const struct op *op, const struct op_touch *a)
{
	touch_range(op->step, page_addr((uint64_t)a->at), a->pages, a->access, &a->value);
}

/* snapshot: `M` for each maps line overlapping the reservation, then `S`. */
static char maps_buf[MAPS_BUF];

/* The gate VMA ([vsyscall]): maps shows it, but it is none of the mm's VMAs (map_count, smaps_rollup's end). */
static int gate_vma_line(const char *line, size_t n)
{
	static const char tag[] = " [vsyscall]";
	size_t k = sizeof(tag) - 1;

	return n >= k && memcmp(line + n - k, tag, k) == 0;
}

static int parse_hex(const char **p, const char *end, char stop, unsigned long *v)
{
	const char *s = *p;
	unsigned long x = 0;
	int d;

	while (s < end && (d = hex_digit(*s)) >= 0) {
		x = x << 4 | (unsigned long)d;
		s++;
	}
	if (s == *p || s == end || *s != stop)
		return 0;
	*p = s + 1;
	*v = x;
	return 1;
}

/*
 * Calls fn(arg, line, len) for each line of path (without its '\n'), read
 * through buf. Returns 0, or -1 with errno set when the file cannot be opened
 * or read. A line longer than buf is a harness fault.
 */
static int each_line(const char *path, char *buf, size_t size, void (*fn)(void *, const char *, size_t), void *arg)
{
	size_t have = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	for (;;) {
		size_t used = 0;
		char *nl;
		ssize_t r = read(fd, buf + have, size - have);

		if (r < 0) {
			int err = errno;
			if (err == EINTR)
				continue;
			close(fd);
			errno = err;
			return -1;
		}
		if (r == 0)
			break;
		have += (size_t)r;
		while ((nl = memchr(buf + used, '\n', have - used)) != NULL) {
			fn(arg, buf + used, (size_t)(nl - (buf + used)));
			used = (size_t)(nl - buf) + 1;
		}
		if (used == 0 && have == size)
			broken_full("line too long in", path, NULL, 0);
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	close(fd);
	if (have > 0)
		fn(arg, buf, have);
	return 0;
}

/* A maps line with its VMA's start and end parsed. */
typedef void (*maps_line_fn)(void *arg, const char *line, size_t n, unsigned long start, unsigned long end);

struct maps_walk {
	uint64_t step;
	maps_line_fn fn;
	void *arg;
};

static void maps_walk_line(void *vw, const char *line, size_t n)
{
	struct maps_walk *w = vw;
	const char *p = line, *end = line + n;
	unsigned long start, stop;

	if (!parse_hex(&p, end, '-', &start) || !parse_hex(&p, end, ' ', &stop))
		broken("unparsable maps line", "step", w->step);
	w->fn(w->arg, line, n, start, stop);
}

/* Calls fn for each line of a maps file (maps_buf); -1 with errno when it cannot be read. */
static int each_maps_line_of(const char *path, uint64_t step, maps_line_fn fn, void *arg)
{
	struct maps_walk w = { step, fn, arg };

	return each_line(path, maps_buf, sizeof(maps_buf), maps_walk_line, &w);
}

/* `M` for a line whose VMA overlaps the reservation. */
static void snapshot_line(void *vstep, const char *line, size_t n, unsigned long start, unsigned long end)
{
	if (start >= win_hi || end <= win_lo)
		return;
	out_str("M ");
	out_u64(*(const uint64_t *)vstep);
	out_str(" ");
	out_mem(line, n);
	out_end();
}

static void run_snapshot(const struct op *op)
{
	uint64_t step = op->step;

	if (each_maps_line_of("/proc/self/maps", step, snapshot_line, &step) != 0)
		broken("cannot read /proc/self/maps", "errno", errno);
	record_step(op->step, 0, 0);
}

#include "probe_observe.h" /* the observation ops (listed at its top) */
#include "probe_steps.h"   /* the steps ops (listed at its top) */

/* ------------------------------------------------------------------ */
/* The interpreter and fork blocks.                                     */

static void run_ops(size_t lo, size_t hi);

static void record_child(uint64_t step, pid_t pid)
{
	out_str("C ");
	out_u64(step);
	out_str(" ");
	out_s64(pid);
	out_end();
}

static void record_wait_status(uint64_t step, int status)
{
	out_str("X ");
	out_u64(step);
	out_str(" ");
	out_s64(status);
	out_end();
}

/* Reads one byte from fd, retrying EINTR: 1, or 0 at EOF (the writer ended) or on an error. */
static int read_byte(int fd)
{
	char c;
	ssize_t r;

	while ((r = read(fd, &c, 1)) < 0 && errno == EINTR)
		;
	return r == 1;
}

/* Writes one byte to fd: 1, or 0 when the reader ended (EPIPE; SIGPIPE is ignored, main()). */
static int write_byte(int fd)
{
	char c = 1;
	ssize_t r;

	while ((r = write(fd, &c, 1)) < 0 && errno == EINTR)
		;
	return r == 1;
}

/*
 * A fork block's two pipes carry a turn token: `ready` (child → parent) and
 * `release` (parent → child). Exactly one process of a block holds the turn
 * and writes records; the other is blocked in read(). The child runs its ops
 * up to its first `sync` (or its end) and hands the turn over with a byte on
 * `ready`; each `sync` of either side hands it back (docs/protocol.md).
 */
struct link {
	int to_peer, from_peer;
};

static struct link up = { -1, -1 };   /* as the child of its block: ready[1], release[0] */
static struct link down = { -1, -1 }; /* as the parent of the block whose parent ops run: release[1], ready[0] */
static int down_gone;                 /* that block's child ended (EOF on ready), or its fork failed */

/*
 * `sync child`: the record first (it precedes the parent's next ones), then
 * the turn goes to the parent and comes back. EOF: the parent ended its ops
 * without this sync (a plan whose syncs do not pair).
 */
static void sync_as_child(const struct op *op)
{
	record_step(op->step, 0, 0);
	if (!write_byte(up.to_peer) || !read_byte(up.from_peer))
		broken("sync: the parent ended its steps before this sync point", "step", op->step);
}

/*
 * `sync parent`: the child runs its next segment; ECHILD when the child has
 * ended (before this sync or during that segment) or was never forked.
 */
static void sync_as_parent(const struct op *op)
{
	if (!down_gone)
		down_gone = !write_byte(down.to_peer) || !read_byte(down.from_peer);
	record_step(op->step, down_gone ? -1 : 0, down_gone ? ECHILD : 0);
}

/* match_blocks() put each sync inside its side of a fork block. */
static void run_sync(const struct op *op, const struct op_sync *a)
{
	if (a->side == SYNC_SIDE_CHILD)
		sync_as_child(op);
	else
		sync_as_parent(op);
}

static void close_link(struct link *l)
{
	if (l->to_peer >= 0) {
		close(l->to_peer);
		close(l->from_peer);
	}
	l->to_peer = l->from_peer = -1;
}

/*
 * The child's side of a fork block: report, run the child's ops (each
 * `sync child` hands the turn to the parent and waits for it), report the
 * `parent` step, hand the turn over a last time and block until released
 * (EOF on the release pipe). A byte instead of EOF: the parent has a sync
 * this child does not.
 */
static void run_child(const struct op *fork_op, pid_t parent, int ready_w, int release_r)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1); /* the parent died before PDEATHSIG was armed */
	/* The enclosing blocks' pipes are not this process's: a peer's EOF must not wait for it. */
	close_link(&up);
	close_link(&down);
	up.to_peer = ready_w;
	up.from_peer = release_r;
	record_child(fork_op->step, getpid());
	run_ops((size_t)(fork_op - ops) + 1, fork_op->parent_idx);
	record_step(ops[fork_op->parent_idx].step, 0, 0);
	if (write_byte(ready_w) && read_byte(release_r))
		broken("sync: the parent has a sync point after this child's last", "step", ops[fork_op->parent_idx].step);
	steps_restore();
	_exit(0);
}

/*
 * One fork … parent … wait block, parent side. The `S` of the fork step is
 * written once the child has finished its first segment (its first sync or
 * its last op) or died, so the child's records of that segment precede the
 * parent's; the segments alternate from there, one `sync` at a time.
 */
static void run_fork(const struct op *fork_op)
{
	const struct op *wait_op = &ops[fork_op->wait_idx];
	int ready[2], release[2], status, err, prev_gone = down_gone;
	struct link prev = down;
	pid_t self = getpid(), pid, prev_child;

	if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(release, O_CLOEXEC) != 0)
		broken("pipe failed", "errno", errno);
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(release[1]);
		run_child(fork_op, self, ready[1], release[0]);
	}
	err = errno;
	close(ready[1]);
	close(release[0]);
	down.to_peer = release[1];
	down.from_peer = ready[0];
	down_gone = pid < 0 || !read_byte(ready[0]); /* a byte: the first segment is done; EOF: the child died */
	record_step(fork_op->step, pid, pid < 0 ? err : 0);

	prev_child = steps_set_child(pid); /* for pmadvise, special child */
	run_ops(fork_op->parent_idx + 1, fork_op->wait_idx);
	steps_set_child(prev_child);

	close_link(&down); /* EOF on release lets the child end */
	down = prev;
	down_gone = prev_gone;
	if (pid < 0) {
		record_step(wait_op->step, -1, ECHILD); /* no child to wait for */
		return;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			record_step(wait_op->step, -1, errno);
			return;
		}
	}
	record_step(wait_op->step, 0, 0);
	record_wait_status(wait_op->step, status);
}

/* parent and wait end a fork block: run_ops() never runs them (match_blocks()). */
static void run_parent(const struct op *op)
{
	broken("internal: stray block op", "step", op->step);
}

static void run_wait(const struct op *op)
{
	broken("internal: stray block op", "step", op->step);
}

/* Run ops[lo, hi); a fork block is run whole and skipped over. */
static void run_ops(size_t lo, size_t hi)
{
	size_t i = lo;

	while (i < hi) {
		op_ops[ops[i].kind].run(&ops[i]);
		i = ops[i].kind == OP_FORK ? ops[i].wait_idx + 1 : i + 1;
	}
}

int main(int argc, char **argv)
{
	steps_recover();
	if (argc != 2)
		broken("usage: vmaprobe <plan file>", NULL, 0);
	load_plan(argv[1]);
	install_fault_handler();
	signal(SIGPIPE, SIG_IGN); /* a sync's byte to a child that ended: EPIPE, not death */
	reserve_window();
	steps_first_look();
	run_ops(0, n_ops);
	steps_restore();
	_exit(0);
}
