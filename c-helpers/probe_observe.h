/*
 * probe_observe.h — the observation ops of vmaprobe: what an `expect` step
 * needs beyond /proc/self/maps (docs/protocol.md, ops `smaps`, `rollup`,
 * `query`, `mapfile`, `pagemap`, `mmerge-get`, `fork-points`, `peek`; records `A`, `U`, `M`,
 * `Q`, `L`, `P`, `R`).
 *
 * Included once by vmaprobe.c, after the window and snapshot code: it uses
 * that file's record writers (out_*, record_step, broken), the plan's op
 * structs (plan_ops.h), the window (page0, page_size, win_lo, win_hi) and
 * the fault guard (access_byte()).
 * Same rules as the probe: static buffers only,
 * no stdio, no malloc, so reading these files does not change the address
 * space being observed (fork-points maps one page, once: see there).
 */
#ifndef VMASPEC_PROBE_OBSERVE_H
#define VMASPEC_PROBE_OBSERVE_H

#include <sys/ioctl.h>

/* PROCMAP_QUERY (linux/fs.h, 6.11+): defined here, musl's headers lack it. */
struct vmaspec_procmap_query {
	uint64_t size;
	uint64_t query_flags;
	uint64_t query_addr;
	uint64_t vma_start;
	uint64_t vma_end;
	uint64_t vma_flags;
	uint64_t vma_page_size;
	uint64_t vma_offset;
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	uint32_t vma_name_size;
	uint32_t build_id_size;
	uint64_t vma_name_addr;
	uint64_t build_id_addr;
};
_Static_assert(sizeof(struct vmaspec_procmap_query) == 104, "procmap_query is 104 bytes");
#define VMASPEC_PROCMAP_QUERY 0xc0686611UL /* _IOWR('f', 17, struct procmap_query) */

#define OBS_QUERIES_MAX 4096  /* query ops per plan */
#define OBS_NAME_BUF 4096     /* PATH_MAX: the kernel caps the name buffer there */
#define OBS_LINE_MAX 8192     /* a maps line (name up to PATH_MAX) */

static size_t n_obs_queries;

/* The name buffer is the probe's own (OBS_NAME_BUF); a plan has at most OBS_QUERIES_MAX queries. */
static void check_query(const struct line *l, const struct op_query *a)
{
	if (a->name_buf > OBS_NAME_BUF)
		bad_line(l, "query name buffer larger than 4096");
	if (++n_obs_queries > OBS_QUERIES_MAX)
		bad_line(l, "too many query ops");
}

/* ------------------------------------------------------------------ */
/* Reading /proc files line by line into a static buffer.               */

static char obs_buf[MAPS_BUF];

/* Calls fn(ctx, line, len) for each line of path; 0, or -1 with errno set. */
static int obs_each_line(const char *path, void (*fn)(void *, const char *, size_t), void *ctx)
{
	return each_line(path, obs_buf, sizeof(obs_buf), fn, ctx);
}

/* start and end of a maps or smaps header line; 0 when it is not one. */
static int obs_header(const char *line, size_t n, unsigned long *start, unsigned long *end)
{
	const char *p = line, *e = line + n;

	return parse_hex(&p, e, '-', start) && parse_hex(&p, e, ' ', end);
}

static void obs_record(char letter, uint64_t step, const char *line, size_t n)
{
	char head[2] = { letter, ' ' };

	out_mem(head, 2);
	out_u64(step);
	out_str(" ");
	out_mem(line, n);
	out_end();
}

/* ------------------------------------------------------------------ */
/* smaps: `A` for the lines of the blocks of VMAs overlapping the window. */

struct smaps_ctx {
	uint64_t step;
	unsigned long lo, hi; /* the blocks of the VMAs overlapping [lo, hi) */
	unsigned lines;       /* the lines after a header to send, bit k for smaps_line_words[k]; 0: every line */
	int in_range;
};

/* Whether a line after a header is one of `lines` (its name before the colon). */
static int smaps_wanted(unsigned lines, const char *line, size_t n)
{
	const char *colon = memchr(line, ':', n);
	size_t k, len;

	if (!lines || !colon)
		return !lines;
	len = (size_t)(colon - line);
	for (k = 0; k < SMAPS_LINE_COUNT; k++)
		if ((lines & (1u << k)) && strlen(smaps_line_words[k]) == len && memcmp(line, smaps_line_words[k], len) == 0)
			return 1;
	return 0;
}

static void smaps_line(void *vctx, const char *line, size_t n)
{
	struct smaps_ctx *c = vctx;
	unsigned long start, end;

	if (obs_header(line, n, &start, &end)) {
		c->in_range = start < c->hi && end > c->lo;
		if (c->in_range)
			obs_record('A', c->step, line, n);
		return;
	}
	if (c->in_range && smaps_wanted(c->lines, line, n))
		obs_record('A', c->step, line, n);
}

/* `A` for the lines (`lines`, 0: all) of the smaps blocks of the VMAs overlapping [lo, hi), then `S` (smaps, smaps-area). */
static void smaps_blocks(uint64_t step, unsigned long lo, unsigned long hi, unsigned lines)
{
	struct smaps_ctx c = { step, lo, hi, lines, 0 };

	if (obs_each_line("/proc/self/smaps", smaps_line, &c) < 0)
		record_step(step, -1, errno);
	else
		record_step(step, 0, 0);
}

static void run_smaps(const struct op *op, const struct op_smaps *a)
{
	smaps_blocks(op->step, win_lo, win_hi, a->lines);
}

/*
 * rollup: `U` for every line of smaps_rollup, then `M` for the maps lines
 * its header is made of: the first VMA, the [stack] VMA and the last VMA
 * that is not the gate VMA [vsyscall] (each once, in maps order).
 */
static char rollup_first[OBS_LINE_MAX], rollup_stack[OBS_LINE_MAX], rollup_last[OBS_LINE_MAX];
static size_t rollup_first_n, rollup_stack_n, rollup_last_n;
static int rollup_lines;

static void rollup_line(void *vctx, const char *line, size_t n)
{
	uint64_t step = *(const uint64_t *)vctx;

	obs_record('U', step, line, n);
}

static void keep_line(char *dst, size_t *dst_n, const char *line, size_t n)
{
	if (n > OBS_LINE_MAX)
		n = OBS_LINE_MAX;
	memcpy(dst, line, n);
	*dst_n = n;
}

static void rollup_maps_line(void *vctx, const char *line, size_t n)
{
	(void)vctx;
	if (rollup_lines++ == 0)
		keep_line(rollup_first, &rollup_first_n, line, n);
	if (n >= 7 && memcmp(line + n - 7, "[stack]", 7) == 0)
		keep_line(rollup_stack, &rollup_stack_n, line, n);
	/* smaps_rollup walks the mm's VMAs: its end is the last one's, not the gate VMA's (F8). */
	if (!gate_vma_line(line, n))
		keep_line(rollup_last, &rollup_last_n, line, n);
}

static int same_line(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && memcmp(a, b, an) == 0;
}

static void run_rollup(const struct op *op)
{
	uint64_t step = op->step;

	if (obs_each_line("/proc/self/smaps_rollup", rollup_line, &step) < 0) {
		record_step(step, -1, errno);
		return;
	}
	rollup_lines = 0;
	rollup_first_n = rollup_stack_n = rollup_last_n = 0;
	if (obs_each_line("/proc/self/maps", rollup_maps_line, NULL) < 0)
		broken("cannot read /proc/self/maps", "errno", errno);
	if (rollup_first_n)
		obs_record('M', step, rollup_first, rollup_first_n);
	if (rollup_stack_n && !same_line(rollup_stack, rollup_stack_n, rollup_first, rollup_first_n))
		obs_record('M', step, rollup_stack, rollup_stack_n);
	if (rollup_last_n && !same_line(rollup_last, rollup_last_n, rollup_first, rollup_first_n) &&
	    !same_line(rollup_last, rollup_last_n, rollup_stack, rollup_stack_n))
		obs_record('M', step, rollup_last, rollup_last_n);
	record_step(step, 0, 0);
}

/* ------------------------------------------------------------------ */
/* query: one PROCMAP_QUERY ioctl; `Q` with the out fields on success.  */

static unsigned char query_arg[8192];
static unsigned char query_name[OBS_NAME_BUF + 64];

static void out_hex_bytes(const unsigned char *p, size_t n)
{
	size_t i;

	if (n == 0) {
		out_str("-");
		return;
	}
	for (i = 0; i < n; i++) {
		char two[2] = { "0123456789abcdef"[p[i] >> 4], "0123456789abcdef"[p[i] & 15] };
		out_mem(two, 2);
	}
}

static void run_query(const struct op *op, const struct op_query *q)
{
	static char path[32];
	struct vmaspec_procmap_query *arg = (struct vmaspec_procmap_query *)query_arg;
	int fd, err;
	long r;

	memset(query_arg, 0, sizeof(query_arg));
	memset(query_name, 0, sizeof(query_name));
	arg->size = q->size;
	arg->query_flags = q->flags;
	arg->query_addr = page0 + (unsigned long)q->start;
	arg->vma_name_size = q->name_buf;
	switch (q->name_addr) {
	case QUERY_NAME_ADDR_BUF: /* even with size 0: Q5's half-set pair */
		arg->vma_name_addr = (uint64_t)(unsigned long)query_name;
		break;
	case QUERY_NAME_ADDR_BAD:
		arg->vma_name_addr = win_lo; /* the reserve's guard page: PROT_NONE */
		break;
	case QUERY_NAME_ADDR_NULL:
		break;
	}
	arg->build_id_size = q->build_id_size; /* its address stays 0 */
	if (q->tail)
		query_arg[sizeof(*arg)] = 1;

	memcpy(path, "/proc/self/", 11);
	memcpy(path + 11, query_file_words[q->file], strlen(query_file_words[q->file]) + 1);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		broken_full("cannot open", path, "errno", errno);
	r = ioctl(fd, VMASPEC_PROCMAP_QUERY, query_arg);
	err = errno;
	close(fd);
	if (r == 0) {
		out_str("Q ");
		out_u64(op->step);
		out_str(" ");
		out_hex(arg->vma_start);
		out_str(" ");
		out_hex(arg->vma_end);
		out_str(" ");
		out_u64(arg->vma_flags);
		out_str(" ");
		out_u64(arg->vma_page_size);
		out_str(" ");
		out_hex(arg->vma_offset);
		out_str(" ");
		out_u64(arg->inode);
		out_str(" ");
		out_u64(arg->dev_major);
		out_str(" ");
		out_u64(arg->dev_minor);
		out_str(" ");
		out_u64(arg->vma_name_size);
		out_str(" ");
		out_u64(arg->build_id_size);
		out_str(" ");
		out_hex_bytes(query_name, arg->vma_name_addr == (uint64_t)(unsigned long)query_name &&
				  arg->vma_name_size <= OBS_NAME_BUF ? arg->vma_name_size : 0);
		out_end();
	}
	record_step(op->step, r == 0 ? 0 : -1, r == 0 ? 0 : err);
}

/* ------------------------------------------------------------------ */
/* mapfile: look up /proc/self/map_files/<start>-<end> of the VMA that  */
/* holds an address, spelt one of several ways; `L` with the outcome;   */
/* `S <step> -1 ENOENT` and no `L` when no VMA holds it.                 */

struct find_ctx {
	unsigned long addr, start, end;
	int found;
};

static void find_line(void *vctx, const char *line, size_t n)
{
	struct find_ctx *c = vctx;
	unsigned long start, end;

	if (!c->found && obs_header(line, n, &start, &end) && start <= c->addr && c->addr < end) {
		c->start = start;
		c->end = end;
		c->found = 1;
	}
}

static char mf_path[128];
static size_t mf_len;
static char mf_target[OBS_NAME_BUF + 1];

static void mf_put(const char *s, size_t n)
{
	memcpy(mf_path + mf_len, s, n);
	mf_len += n;
}

/* v in hex: at least `width` digits, lower or upper case. */
static void mf_hex(unsigned long v, int width, int upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[20];
	int i = sizeof(tmp);

	do {
		tmp[--i] = digits[v & 15];
		v >>= 4;
	} while (v || (int)sizeof(tmp) - i < width);
	mf_put(tmp + i, sizeof(tmp) - (size_t)i);
}

static void run_mapfile(const struct op *op, const struct op_mapfile *a)
{
	static const char prefix[] = "/proc/self/map_files/";
	struct find_ctx c = { page0 + (unsigned long)a->start, 0, 0, 0 };
	enum mapfile_spelling spell = a->spelling;
	int rl_err = 0, open_err = 0, fd;
	ssize_t rl;
	size_t name_at;

	if (obs_each_line("/proc/self/maps", find_line, &c) < 0)
		broken("cannot read /proc/self/maps", "errno", errno);
	if (!c.found) {
		/* A hole: there is no entry name to spell (a `record` reads every page). */
		record_step(op->step, -1, ENOENT);
		return;
	}
	mf_len = 0;
	mf_put(prefix, sizeof(prefix) - 1);
	name_at = mf_len;
	switch (spell) {
	case MAPFILE_SPELLING_LEADING_ZERO: mf_put("0", 1); break;
	case MAPFILE_SPELLING_0X: mf_put("0x", 2); break;
	case MAPFILE_SPELLING_DIGITS17: mf_put("1", 1); break;
	case MAPFILE_SPELLING_PLUS: mf_put("+", 1); break;
	case MAPFILE_SPELLING_EXACT:
	case MAPFILE_SPELLING_UPPER:
	case MAPFILE_SPELLING_SPACE:
		break;
	}
	mf_hex(c.start, spell == MAPFILE_SPELLING_DIGITS17 ? 16 : 1, spell == MAPFILE_SPELLING_UPPER);
	mf_put("-", 1);
	mf_hex(c.end, 1, spell == MAPFILE_SPELLING_UPPER);
	if (spell == MAPFILE_SPELLING_SPACE)
		mf_put(" ", 1);
	mf_path[mf_len] = '\0';

	rl = readlink(mf_path, mf_target, sizeof(mf_target) - 1);
	if (rl < 0)
		rl_err = errno;
	fd = open(mf_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		open_err = errno;
	else
		close(fd);

	out_str("L ");
	out_u64(op->step);
	out_str(" ");
	out_u64((uint64_t)rl_err);
	out_str(" ");
	out_u64((uint64_t)open_err);
	out_str(" ");
	out_hex_bytes((const unsigned char *)mf_target, rl < 0 ? 0 : (size_t)rl);
	out_str(" ");
	out_hex_bytes((const unsigned char *)mf_path + name_at, mf_len - name_at);
	out_end();
	record_step(op->step, 0, 0);
}

/* ------------------------------------------------------------------ */
/* pagemap: `P <step> <page> <entry hex>` for each page of a range.      */

static uint64_t pm_buf[512];

/*
 * `P` for each of `pages` pages from addr, numbered from `first`, then `S`
 * (pagemap, pagemap-area).
 */
static void pagemap_pages(uint64_t step, unsigned long addr, int64_t first, uint64_t pages)
{
	uint64_t done = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		record_step(step, -1, errno);
		return;
	}
	while (done < pages) {
		uint64_t want = pages - done, k;
		off_t off = (off_t)(((addr + done * page_size) / page_size) * sizeof(uint64_t));
		ssize_t r;

		if (want > sizeof(pm_buf) / sizeof(pm_buf[0]))
			want = sizeof(pm_buf) / sizeof(pm_buf[0]);
		r = pread(fd, pm_buf, want * sizeof(uint64_t), off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || r % sizeof(uint64_t) != 0) {
			int err = r < 0 ? errno : EIO;
			close(fd);
			record_step(step, -1, err);
			return;
		}
		for (k = 0; k < (uint64_t)r / sizeof(uint64_t); k++) {
			out_str("P ");
			out_u64(step);
			out_str(" ");
			out_s64((int64_t)((uint64_t)first + done + k));
			out_str(" ");
			out_hex(pm_buf[k]);
			out_end();
		}
		done += (uint64_t)r / sizeof(uint64_t);
	}
	close(fd);
	record_step(step, 0, 0);
}

static void run_pagemap(const struct op *op, const struct op_pagemap *a)
{
	pagemap_pages(op->step, page_addr((uint64_t)a->at), a->at, a->pages);
}

/*
 * peek: `R <step> <page> <byte>` for the first byte of each page, -1 when the
 * read faulted. The only observation that can change what it observes: a read
 * maps the zero page into untouched private memory and allocates a page of
 * untouched shared memory, so an expect step runs it last.
 */
static void run_peek(const struct op *op, const struct op_peek *a)
{
	uint64_t i;

	for (i = 0; i < a->pages; i++) {
		int byte = access_byte(page_addr((uint64_t)a->at + i), 0, 0);

		out_str("R ");
		out_u64(op->step);
		out_str(" ");
		out_s64((int64_t)((uint64_t)a->at + i));
		out_str(" ");
		out_s64(byte);
		out_end();
	}
	record_step(op->step, 0, 0);
}

/* mmerge-get: prctl(PR_GET_MEMORY_MERGE) returns 1 or 0 (Linux 6.4+, EINVAL before). */
#ifndef PR_GET_MEMORY_MERGE
#define PR_GET_MEMORY_MERGE 68
#endif
static void run_mmerge_get(const struct op *op)
{
	run_syscall_result(op->step, syscall(SYS_prctl, PR_GET_MEMORY_MERGE, 0UL, 0UL, 0UL, 0UL));
}

/*
 * fork-points (K4): how many fault-injection points a fork of this process
 * reaches: every slab allocation (FAILSLAB; init sets ignore-gfp-wait N), as
 * /proc/thread-self/fail-nth counts them: armed with a count no fork reaches
 * and read back right after clone3, it has gone down by what the fork spent.
 * A name is shared by reference on fork, so naming a VMA costs fork nothing;
 * copying it would cost an allocation per named VMA. Two other things would
 * move the count, and are kept out (measured: without them it wandered over
 * 104-107 for one address space, with them it stayed 104 in 800 forks):
 *  - the child's pid: alloc_pid() preloads IDR nodes for a pid whose leaf does
 *    not exist yet; set_tid puts the child in a free slot of this process's
 *    own leaf of 64 pids, which exists while this process lives;
 *  - copy-on-write faults: fork write-protects the parent's private pages and
 *    a write while the child lives copies one; clone3, the child's exit and
 *    the read are one register-only sequence reading into a shared page.
 * `S <step> <points> 0`; `S <step> -1 <errno>`: ENOENT without fault
 * injection, EEXIST when every slot of the leaf is taken. The shared page is
 * the one change to the address space an observation makes: mapped at the
 * process's first count, far from the window, MADV_DONTFORK so that a child
 * (which may count at the same time) maps its own.
 */
#define FORK_POINTS_ADDR 0x300000100000UL
#define FORK_POINTS_ARMED 1000000000UL

struct vmaspec_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

/* clone3(args) with the child exiting at once, then pread(fd, buf, len, 0): no memory written in between. */
static long clone3_then_pread(const struct vmaspec_clone_args *args, int fd, char *buf, long len, long *read)
{
#if defined(__x86_64__)
	long pid;
	register long r10 __asm__("r10") = 0;
	register long r8 __asm__("r8");

	__asm__ volatile(
		"mov $435, %%eax\n\t" /* SYS_clone3 */
		"syscall\n\t"
		"test %%rax, %%rax\n\t"
		"jnz 1f\n\t"
		"mov $60, %%eax\n\t" /* the child: SYS_exit(0) */
		"xor %%edi, %%edi\n\t"
		"syscall\n\t"
		"1:\n\t"
		"mov %%rax, %%r8\n\t"
		"mov %[fd], %%rdi\n\t"
		"mov %[buf], %%rsi\n\t"
		"mov %[len], %%rdx\n\t"
		"mov $17, %%eax\n\t" /* SYS_pread64 */
		"syscall\n\t"
		: "=&a"(*read), "=&r"(r8)
		: "D"(args), "S"(sizeof(*args)), [fd] "r"((long)fd), [buf] "r"(buf), [len] "r"(len), "r"(r10)
		: "rcx", "r11", "rdx", "memory");
	pid = r8;
	return pid;
#else
#error "fork-points: write clone3_then_pread() for this architecture"
#endif
}

static void run_fork_points(const struct op *op)
{
	static long owner; /* the process that mapped the page (a child inherits this, not the page) */
	struct vmaspec_clone_args *args = (struct vmaspec_clone_args *)FORK_POINTS_ADDR;
	int64_t *tid = (int64_t *)(FORK_POINTS_ADDR + 256);
	char *buf = (char *)(FORK_POINTS_ADDR + 512);
	long self = (long)getpid(), k;
	int fd;

	if (owner != self) {
		long r = syscall(SYS_mmap, FORK_POINTS_ADDR, page_size, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

		if ((unsigned long)r != FORK_POINTS_ADDR || syscall(SYS_madvise, FORK_POINTS_ADDR, page_size, MADV_DONTFORK) != 0)
			broken("fork-points: the shared page cannot be mapped", "errno", errno);
		owner = self;
	}
	fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		record_step(op->step, -1, errno);
		return;
	}
	for (k = 1; k < 64; k++) {
		long slot = (self & ~63L) | ((self + k) & 63L), pid, n = 0;
		uint64_t left = 0;

		if (slot < 2)
			continue;
		memset(args, 0, sizeof(*args));
		args->exit_signal = SIGCHLD;
		*tid = slot;
		args->set_tid = (uint64_t)(uintptr_t)tid;
		args->set_tid_size = 1;
		fail_nth_set(fd, FORK_POINTS_ARMED, "fork-points: cannot arm /proc/thread-self/fail-nth");
		pid = clone3_then_pread(args, fd, buf, 31, &n);
		fail_nth_set(fd, 0, "fork-points: cannot disarm /proc/thread-self/fail-nth");
		if (pid == -EEXIST)
			continue;
		close(fd);
		if (pid < 0) {
			record_step(op->step, -1, (int)-pid);
			return;
		}
		if (waitpid((pid_t)pid, NULL, 0) != pid)
			broken("fork-points: cannot reap the child", "errno", errno);
		if (n <= 0)
			broken("fork-points: cannot read /proc/thread-self/fail-nth back", "errno", (int)-n);
		for (long i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
			left = left * 10 + (uint64_t)(buf[i] - '0');
		if (left == 0 || left > FORK_POINTS_ARMED)
			broken("fork-points: the fork reached the armed fault", "left", left);
		record_step(op->step, (long)(FORK_POINTS_ARMED - left), 0);
		return;
	}
	close(fd);
	record_step(op->step, -1, EEXIST);
}

#endif
