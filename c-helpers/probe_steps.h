/*
 * probe_steps.h — the steps ops of vmaprobe (docs/protocol.md, "Steps ops"):
 * mapfd (tmpfs, memfd and /dev/zero mappings), mremap, madvise, pmadvise
 * (process_madvise on the child of the enclosing fork), name-target (naming
 * the heap, stack, vdso or vvar), special (their maps lines), brk, sysctl,
 * lock (mlock, mlock2 with MLOCK_ONFAULT, munlock, mseal), mmerge
 * (PR_SET_MEMORY_MERGE); touch-target, smaps-area, pagemap-area (heap and
 * stack pages, from their first look, written as `Z` records at the start:
 * steps_first_look()).
 *
 * Included once by vmaprobe.c, after the window and snapshot code: it uses
 * that file's record writers (out_*, record_step, broken), the plan's op
 * structs (plan_ops.h), its helpers (mmap_flags, decode_name, parse_hex,
 * each_maps_line_of) and the window (page0, page_size, page_addr, pages_len,
 * maps_buf). Same rules as the probe: no stdio, no malloc, static buffers only.
 *
 * Global state a case changes is put back when the process that changed it
 * ends (steps_restore(): normal exit, a `B` record, a fatal signal the probe
 * catches): sysctl values and the tmpfs files it created. Each sysctl's value
 * from before the case is also kept in a journal on the guest's tmpfs: the
 * case's first process writes it back when it ends, and the next probe does
 * at its start (steps_recover()) when a probe was killed (timeout, SIGKILL).
 */
#ifndef VMASPEC_PROBE_STEPS_H
#define VMASPEC_PROBE_STEPS_H

#include <sys/uio.h>

#ifndef MREMAP_MAYMOVE
#define MREMAP_MAYMOVE 1
#endif
#ifndef MREMAP_FIXED
#define MREMAP_FIXED 2
#endif

#define STEPS_BASE_MAX 64   /* file name part of a mapfd backing */
#define STEPS_KEY_MAX 96    /* sysctl key (path under /proc/sys) */
#define STEPS_UNDO_MAX 32   /* sysctl values and files to put back */
#define STEPS_VALUE_MAX 64  /* a saved sysctl value */
#define STEPS_JOURNAL "/tmp/vmaspec-sysctl-journal" /* `<path>\0<value>\0` entries */
#define STEPS_JOURNAL_MAX 4096

/* The backing's file name and the sysctl key: their lengths fit the paths built from them. */
static void check_mapfd(const struct line *l, const struct op_mapfd *a)
{
	check_map_flags(l, a->shared, a->flags);
	if (a->backing.base_len > STEPS_BASE_MAX)
		bad_line(l, "backing file name longer than 64");
}

static void check_sysctl(const struct line *l, const struct op_sysctl *a)
{
	if (a->key.n > STEPS_KEY_MAX)
		bad_line(l, "sysctl key longer than 96");
}

/* ------------------------------------------------------------------ */
/* Undo: sysctl values and files to put back when this process ends.   */

static struct steps_undo {
	pid_t owner;
	int sysctl;                    /* 1: write value back to path; 0: unlink path */
	char path[STEPS_KEY_MAX + 16];
	char value[STEPS_VALUE_MAX];
	size_t value_len;
} steps_undo[STEPS_UNDO_MAX];
static int n_steps_undo;

static struct steps_undo *steps_undo_add(uint64_t step, int sysctl, const char *path)
{
	struct steps_undo *u;
	size_t n = strlen(path);

	if (n_steps_undo == STEPS_UNDO_MAX || n >= sizeof(u->path))
		broken("too many sysctl or file steps to undo", "step", step);
	u = &steps_undo[n_steps_undo++];
	u->owner = getpid();
	u->sysctl = sysctl;
	memcpy(u->path, path, n + 1);
	u->value_len = 0;
	return u;
}

static pid_t steps_top; /* the case's first process (steps_recover()) */
static char steps_journal[STEPS_JOURNAL_MAX];

/* The journal's bytes (0 when there is none). */
static size_t steps_journal_read(void)
{
	ssize_t r;
	int fd = open(STEPS_JOURNAL, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	r = read(fd, steps_journal, sizeof(steps_journal));
	close(fd);
	return r > 0 ? (size_t)r : 0;
}

/* Writes every journalled value back and removes the journal; safe in a signal handler. */
static void steps_journal_replay(void)
{
	size_t n = steps_journal_read(), at = 0;

	while (at < n) {
		const char *path = steps_journal + at, *value, *end;
		const char *z = memchr(path, '\0', n - at);
		int fd;

		if (!z)
			break;
		value = z + 1;
		end = memchr(value, '\0', (size_t)(steps_journal + n - value));
		if (!end)
			break;
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			write_all(fd, value, (size_t)(end - value));
			close(fd);
		}
		at = (size_t)(end + 1 - steps_journal);
	}
	unlink(STEPS_JOURNAL);
}

/* Adds a sysctl's value from before the case to the journal, unless it is there already. */
static void steps_journal_add(uint64_t step, const char *path, const char *value, size_t len)
{
	size_t n = steps_journal_read(), at = 0, plen = strlen(path);
	int fd;

	while (at < n) {
		size_t k = strnlen(steps_journal + at, n - at);
		if (k == plen && memcmp(steps_journal + at, path, plen) == 0)
			return;
		at += k + 1;
		at += strnlen(steps_journal + at, n > at ? n - at : 0) + 1;
	}
	if (n + plen + len + 2 > sizeof(steps_journal))
		broken("sysctl journal full", "step", step);
	fd = open(STEPS_JOURNAL, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		broken("cannot write the sysctl journal", "errno", errno);
	memcpy(steps_journal, path, plen + 1);
	memcpy(steps_journal + plen + 1, value, len);
	steps_journal[plen + 1 + len] = '\0';
	write_all(fd, steps_journal, plen + len + 2);
	close(fd);
}

/* At the probe's start: undo what a killed predecessor left (see the top of this file). */
static void steps_recover(void)
{
	steps_top = getpid();
	steps_journal_replay();
}

/*
 * Puts back what this process changed, newest first, and in the case's first
 * process every journalled sysctl; safe in a signal handler.
 */
static void steps_restore(void)
{
	pid_t me = getpid();
	int i;

	for (i = n_steps_undo - 1; i >= 0; i--) {
		struct steps_undo *u = &steps_undo[i];
		if (u->owner != me)
			continue;
		u->owner = 0;
		if (u->sysctl) {
			int fd = open(u->path, O_WRONLY | O_CLOEXEC);
			if (fd >= 0) {
				write_all(fd, u->value, u->value_len);
				close(fd);
			}
		} else {
			unlink(u->path);
		}
	}
	if (me == steps_top)
		steps_journal_replay();
}

/* ------------------------------------------------------------------ */
/* /proc/self/maps, line by line (maps_buf, as run_snapshot).           */

static void steps_each_maps_line(uint64_t step, maps_line_fn fn, void *arg)
{
	if (each_maps_line_of("/proc/self/maps", step, fn, arg) != 0)
		broken("cannot open /proc/self/maps", "errno", errno);
}

static int steps_ends_with(const char *line, size_t n, const char *s)
{
	size_t k = strlen(s);
	return n >= k && memcmp(line + n - k, s, k) == 0;
}

/* ------------------------------------------------------------------ */
/* Special areas: heap, stack, vdso, vvar.                              */

struct steps_range {
	unsigned long lo, hi;
};

static unsigned long steps_heap_start; /* the program break as first seen */
static struct steps_range steps_stack, steps_vdso, steps_vvar;

static unsigned long steps_brk(unsigned long addr) { return (unsigned long)syscall(SYS_brk, addr); }

static unsigned long steps_round_up(unsigned long v)
{
	return (v + page_size - 1) & ~(page_size - 1);
}

static void steps_area_line(void *arg, const char *line, size_t n, unsigned long start,
			    unsigned long end)
{
	struct steps_range *r = NULL;

	(void)arg;
	if (steps_ends_with(line, n, " [stack]"))
		r = &steps_stack;
	else if (steps_ends_with(line, n, " [vdso]"))
		r = &steps_vdso;
	else if (steps_ends_with(line, n, " [vvar]"))
		r = &steps_vvar;
	if (r) {
		r->lo = start;
		r->hi = end;
	}
}

/* `Z <area> <lo> <hi>`: an area's extent as first seen. */
static void steps_record_area(const char *area, unsigned long lo, unsigned long hi)
{
	out_str("Z ");
	out_str(area);
	out_str(" ");
	out_hex(lo);
	out_str(" ");
	out_hex(hi);
	out_end();
}

/*
 * At the probe's start, before any op: the areas as first seen, and their
 * `Z` records for the heap and the stack (docs/protocol.md). The probe never
 * moves the break itself (no malloc): the heap's first look is start_brk.
 */
static void steps_first_look(void)
{
	steps_heap_start = steps_brk(0);
	steps_each_maps_line(0, steps_area_line, NULL);
	steps_record_area("heap", steps_heap_start, steps_round_up(steps_heap_start));
	steps_record_area("stack", steps_stack.lo, steps_stack.hi);
}

struct steps_find {
	unsigned long addr;
	struct steps_range found;
};

static void steps_find_line(void *arg, const char *line, size_t n, unsigned long start,
			    unsigned long end)
{
	struct steps_find *f = arg;

	(void)line;
	(void)n;
	if (start <= f->addr && f->addr < end) {
		f->found.lo = start;
		f->found.hi = end;
	}
}

/* The VMA holding addr now, or an empty range. */
static struct steps_range steps_vma_at(uint64_t step, unsigned long addr)
{
	struct steps_find f = { addr, { 0, 0 } };

	steps_each_maps_line(step, steps_find_line, &f);
	return f.found;
}

/* The extent of an area: for `special`, every VMA overlapping it is reported. */
static struct steps_range steps_area(enum special_area area)
{
	struct steps_range r = { 0, 0 };

	switch (area) {
	case SPECIAL_AREA_HEAP:
		r.lo = steps_heap_start;
		r.hi = steps_round_up(steps_brk(0));
		break;
	case SPECIAL_AREA_STACK:
		r = steps_stack;
		break;
	case SPECIAL_AREA_VDSO:
		r = steps_vdso;
		break;
	case SPECIAL_AREA_VVAR:
		r = steps_vvar;
		break;
	case SPECIAL_AREA_CHILD:
		r.lo = win_lo; /* as run_snapshot: the reserve and its guard pages */
		r.hi = win_hi;
		break;
	}
	return r;
}

/* The VMA holding the area's first byte (last for the stack), as now in /proc/self/maps. */
static struct steps_range steps_area_vma(uint64_t step, enum special_area area, const char *what)
{
	struct steps_range r = steps_area(area);

	if (r.hi == 0)
		broken_full("no", what, "step", (int64_t)step);
	return steps_vma_at(step, area == SPECIAL_AREA_STACK ? r.hi - 1 : r.lo);
}

/* The range a name-target op names, resolved now from /proc/self/maps. */
static struct steps_range steps_target_range(uint64_t step, enum name_target target)
{
	struct steps_range r = { 0, 0 };

	switch (target) {
	case NAME_TARGET_HEAP:
		return steps_area(SPECIAL_AREA_HEAP); /* every heap VMA */
	case NAME_TARGET_STACK:
		return steps_area_vma(step, SPECIAL_AREA_STACK, "[stack] in /proc/self/maps"); /* the VMA shown as [stack] */
	case NAME_TARGET_STACK_BOTTOM_PAGE:
		r = steps_area_vma(step, SPECIAL_AREA_STACK, "[stack] in /proc/self/maps");
		break;
	case NAME_TARGET_VDSO:
		return steps_area_vma(step, SPECIAL_AREA_VDSO, "[vdso] in /proc/self/maps");
	case NAME_TARGET_VDSO_PAGE:
		r = steps_area_vma(step, SPECIAL_AREA_VDSO, "[vdso] in /proc/self/maps");
		break;
	case NAME_TARGET_VVAR:
		return steps_area_vma(step, SPECIAL_AREA_VVAR, "[vvar] in /proc/self/maps");
	case NAME_TARGET_VVAR_PAGE:
		r = steps_area_vma(step, SPECIAL_AREA_VVAR, "[vvar] in /proc/self/maps");
		break;
	}
	r.hi = r.lo + page_size; /* the *-page targets: the first page */
	return r;
}

/* ------------------------------------------------------------------ */
/* Ops.                                                                 */

static size_t steps_cat(char *dst, size_t at, size_t cap, const char *s, size_t n)
{
	if (at + n >= cap)
		n = cap - 1 - at;
	memcpy(dst + at, s, n);
	dst[at + n] = '\0';
	return at + n;
}

static size_t steps_cat_u64(char *dst, size_t at, size_t cap, uint64_t v)
{
	char tmp[24];
	const char *p = u64_decimal(tmp, v);

	return steps_cat(dst, at, cap, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* The backing's file descriptor: a tmpfs file (path, created afresh), a memfd or /dev/zero. */
static int steps_backing_fd(uint64_t step, const struct backing_arg *b, char *path, size_t cap)
{
	int fd;
	size_t n;

	switch (b->kind) {
	case BACKING_TMPFS:
	case BACKING_TMPFS_UNLINK_BEFORE:
	case BACKING_TMPFS_UNLINK_AFTER:
		n = steps_cat(path, 0, cap, "/tmp/vmaspec-", 13);
		steps_cat(path, n, cap, b->base, b->base_len);
		unlink(path); /* a stale file of an earlier op or case */
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			broken_full("mapfd: cannot create", path, "errno", errno);
		steps_undo_add(step, 0, path);
		return fd;
	case BACKING_MEMFD:
		n = steps_cat(path, 0, cap, "vmaspec-", 8);
		steps_cat(path, n, cap, b->base, b->base_len);
		fd = (int)syscall(SYS_memfd_create, path, MFD_CLOEXEC);
		if (fd < 0)
			broken("mapfd: memfd_create failed", "errno", errno);
		return fd;
	case BACKING_ZERO:
		break;
	}
	fd = open("/dev/zero", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		broken("mapfd: cannot open /dev/zero", "errno", errno);
	return fd;
}

/* mmap of a tmpfs file, a memfd or /dev/zero, at the op's window page. */
static void run_mapfd(const struct op *op, const struct op_mapfd *a)
{
	static char path[STEPS_BASE_MAX + 32];
	unsigned long want = page_addr((uint64_t)a->at);
	unsigned long len = pages_len(a->pages);
	int fd = steps_backing_fd(op->step, &a->backing, path, sizeof(path)), err;
	long r;

	if (a->backing.kind != BACKING_ZERO && ftruncate(fd, (off_t)len) != 0)
		broken("mapfd: ftruncate failed", "errno", errno);
	if (a->backing.kind == BACKING_TMPFS_UNLINK_BEFORE)
		unlink(path);
	r = syscall(SYS_mmap, want, len, a->prot, mmap_flags(a->shared, a->flags), fd, 0);
	err = errno;
	if (a->backing.kind == BACKING_TMPFS_UNLINK_AFTER)
		unlink(path);
	close(fd);
	if (r == -1)
		record_step(op->step, -1, err);
	else if ((unsigned long)r != want)
		broken("mapfd landed elsewhere", "step", op->step);
	else
		record_step(op->step, 0, 0);
}

/* mremap with the plan's flags, new_addr the window page <to> (0 for `-`); 0 when it lands where asked:
 * at <to> with MREMAP_FIXED, else in place. */
static void run_mremap(const struct op *op, const struct op_mremap *a)
{
	unsigned long old = page_addr((uint64_t)a->at);
	unsigned long to = a->to.set ? page_addr(a->to.v) : 0;
	unsigned long want = (a->flags & MREMAP_FIXED) ? to : old;
	long r = syscall(SYS_mremap, old, pages_len(a->pages), pages_len(a->new_pages), (unsigned long)a->flags, to);

	if (r == -1)
		record_step(op->step, -1, errno);
	else if ((unsigned long)r != want)
		broken("mremap landed elsewhere", "step", op->step);
	else
		record_step(op->step, 0, 0);
}

static void run_madvise(const struct op *op, const struct op_madvise *a)
{
	run_syscall_result(op->step, syscall(SYS_madvise, page_addr((uint64_t)a->at), pages_len(a->pages), a->advice));
}

/* The child of the fork block whose parent ops run now (-1: none or fork failed). */
static pid_t steps_child = -1;

static pid_t steps_set_child(pid_t pid)
{
	pid_t prev = steps_child;
	steps_child = pid;
	return prev;
}

/* process_madvise(pidfd of the child, [range], 1, advice, 0): the bytes advised. */
static void run_pmadvise(const struct op *op, const struct op_pmadvise *a)
{
	struct iovec iov = { (void *)page_addr((uint64_t)a->at), pages_len(a->pages) };
	long pidfd, r;
	int err;

	if (steps_child <= 0) {
		record_step(op->step, -1, ECHILD);
		return;
	}
	pidfd = syscall(SYS_pidfd_open, steps_child, 0);
	if (pidfd < 0) {
		record_step(op->step, -1, errno);
		return;
	}
	r = syscall(SYS_process_madvise, pidfd, &iov, 1, a->advice, 0);
	err = errno;
	close((int)pidfd);
	record_step(op->step, r, r < 0 ? err : 0);
}

static void run_name_target(const struct op *op, const struct op_name_target *a)
{
	struct steps_range r = steps_target_range(op->step, a->target);
	const char *name = decode_name(&a->name);

	run_syscall_result(op->step, sys_prctl_name(r.lo, r.hi - r.lo, name));
}

struct steps_special {
	uint64_t step;
	struct steps_range area;
};

static void steps_special_line(void *arg, const char *line, size_t n, unsigned long start,
			       unsigned long end)
{
	const struct steps_special *s = arg;

	if (start >= s->area.hi || end <= s->area.lo)
		return;
	out_str("M ");
	out_u64(s->step);
	out_str(" ");
	out_mem(line, n);
	out_end();
}

/*
 * `M` for each maps line overlapping the area, then `S`. For the child's
 * window, /proc/<child>/maps; `S <step> -1 <errno>` when it cannot be read.
 */
static void run_special(const struct op *op, const struct op_special *a)
{
	struct steps_special s = { op->step, steps_area(a->target) };
	char path[48];
	size_t n;

	if (a->target != SPECIAL_AREA_CHILD) {
		if (s.area.hi > s.area.lo)
			steps_each_maps_line(op->step, steps_special_line, &s);
		record_step(op->step, 0, 0);
		return;
	}
	if (steps_child <= 0) {
		record_step(op->step, -1, ECHILD);
		return;
	}
	n = steps_cat(path, 0, sizeof(path), "/proc/", 6);
	n = steps_cat_u64(path, n, sizeof(path), (uint64_t)steps_child);
	steps_cat(path, n, sizeof(path), "/maps", 5);
	if (each_maps_line_of(path, op->step, steps_special_line, &s) != 0)
		record_step(op->step, -1, errno);
	else
		record_step(op->step, 0, 0);
}

static void run_brk(const struct op *op, const struct op_brk *a)
{
	unsigned long cur, want;

	cur = steps_brk(0);
	want = cur + (unsigned long)(a->pages * (int64_t)page_size);
	if (steps_brk(want) == want)
		record_step(op->step, 0, 0);
	else
		record_step(op->step, -1, ENOMEM); /* brk returns the old break on failure */
}

static void steps_count_line(void *arg, const char *line, size_t n, unsigned long start,
			     unsigned long end)
{
	(void)start;
	(void)end;
	if (!gate_vma_line(line, n))
		++*(int64_t *)arg;
}

/* Writes a sysctl (saving the old value once per process for steps_restore()). */
static void run_sysctl(const struct op *op, const struct op_sysctl *a)
{
	static char path[STEPS_KEY_MAX + 16];
	char value[32];
	int64_t v;
	size_t i, n = steps_cat(path, 0, sizeof(path), "/proc/sys/", 10);
	int fd, k, saved = 0;
	ssize_t r;

	steps_cat(path, n, sizeof(path), a->key.s, a->key.n);
	for (k = 0; k < n_steps_undo; k++)
		if (steps_undo[k].sysctl && steps_undo[k].owner == getpid() &&
		    strcmp(steps_undo[k].path, path) == 0)
			saved = 1;
	if (!saved) {
		struct steps_undo *u;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			record_step(op->step, -1, errno);
			return;
		}
		u = steps_undo_add(op->step, 1, path);
		r = read(fd, u->value, sizeof(u->value));
		close(fd);
		if (r <= 0 || (size_t)r == sizeof(u->value)) {
			n_steps_undo--;
			broken_full("sysctl: cannot save the old value of", path, "errno", r < 0 ? errno : 0);
		}
		u->value_len = (size_t)r;
		steps_journal_add(op->step, path, u->value, u->value_len);
	}
	/* the decimal text, then a newline */
	if (a->value.maps) {
		v = 0;
		steps_each_maps_line(op->step, steps_count_line, &v);
		v = a->value.neg ? v - (int64_t)a->value.n : v + (int64_t)a->value.n;
		i = v < 0 ? steps_cat(value, 0, sizeof(value), "-", 1) : 0;
		i = steps_cat_u64(value, i, sizeof(value), v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
	} else {
		i = a->value.neg && a->value.n ? steps_cat(value, 0, sizeof(value), "-", 1) : 0;
		i = steps_cat_u64(value, i, sizeof(value), a->value.n);
	}
	value[i++] = '\n';
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		record_step(op->step, -1, errno);
		return;
	}
	r = write(fd, value, i);
	k = errno;
	close(fd);
	if (r < 0)
		record_step(op->step, -1, k);
	else
		record_step(op->step, 0, 0);
}

/* lock: mlock, mlock2 with MLOCK_ONFAULT, munlock or mseal (musl has no mseal wrapper). */
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 0x01
#endif
#define STEPS_NR_MSEAL 462 /* x86_64, arch/x86/entry/syscalls/syscall_64.tbl; Linux 6.10+ */
static void run_lock(const struct op *op, const struct op_lock *a)
{
	unsigned long addr = page_addr((uint64_t)a->at);
	size_t len = pages_len(a->pages);
	long r = -1;

	switch (a->call) {
	case LOCK_CALL_MLOCK:
		r = syscall(SYS_mlock, addr, len);
		break;
	case LOCK_CALL_ONFAULT:
		r = syscall(SYS_mlock2, addr, len, MLOCK_ONFAULT);
		break;
	case LOCK_CALL_MUNLOCK:
		r = syscall(SYS_munlock, addr, len);
		break;
	case LOCK_CALL_MSEAL:
		r = syscall(STEPS_NR_MSEAL, addr, len, 0UL);
		break;
	}
	run_syscall_result(op->step, r);
}

/* mmerge: prctl(PR_SET_MEMORY_MERGE, 1 | 0), KSM for the whole process (Linux 6.4+, EINVAL before). */
#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE 67
#endif
static void run_mmerge(const struct op *op, const struct op_mmerge *a)
{
	run_syscall_result(op->step, syscall(SYS_prctl, PR_SET_MEMORY_MERGE, (unsigned long)a->enable, 0UL, 0UL, 0UL));
}

/* ------------------------------------------------------------------ */
/* Heap and stack pages: touch-target, smaps-area, pagemap-area.        */

/*
 * The address of page `first` of an area, counted from its first look: the
 * heap's first page, or the lowest page of [stack] (negative: below it).
 * `pages` from there must not pass the top of [stack] as first seen.
 */
static unsigned long steps_area_pages(uint64_t step, enum page_area area, int64_t first, uint64_t pages)
{
	unsigned long base = area == PAGE_AREA_HEAP ? steps_heap_start : steps_stack.lo;

	if (area == PAGE_AREA_STACK) {
		if (steps_stack.hi == 0)
			broken("no [stack] in /proc/self/maps at the start", "step", step);
		if (first + (int64_t)pages > (int64_t)((steps_stack.hi - steps_stack.lo) / page_size))
			broken("pages past the top of [stack] as first seen", "step", step);
	}
	return base + (unsigned long)first * page_size;
}

static void run_touch_target(const struct op *op, const struct op_touch_target *a)
{
	touch_range(op->step, steps_area_pages(op->step, a->area, a->first, a->pages), a->pages, a->access, &a->value);
}

/* `A` for the smaps block of the VMA holding the heap's first page or the top page of [stack] as first seen. */
static void run_smaps_area(const struct op *op, const struct op_smaps_area *a)
{
	unsigned long at = a->area == PAGE_AREA_HEAP ? steps_heap_start : steps_stack.hi - page_size;

	smaps_blocks(op->step, at, at + 1, 0);
}

static void run_pagemap_area(const struct op *op, const struct op_pagemap_area *a)
{
	pagemap_pages(op->step, steps_area_pages(op->step, a->area, a->first, a->pages), a->first, a->pages);
}

#endif /* VMASPEC_PROBE_STEPS_H */
