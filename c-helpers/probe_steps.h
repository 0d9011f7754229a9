/*
 * probe_steps.h — the steps ops of vmaprobe (docs/protocol.md, "Steps ops"):
 * mapfd (tmpfs, memfd and /dev/zero mappings), mremap, madvise, pmadvise
 * (process_madvise on the child of the enclosing fork), name-target (naming
 * the heap, stack, vdso or vvar), special (their maps lines), brk, sysctl,
 * lock (mlock, mlock2 with MLOCK_ONFAULT, munlock, mseal),
 * and the bad name pointers of `name` (R2).
 *
 * Included once by vmaprobe.c, after the window and snapshot code: it uses
 * that file's record writers (out_*, record_step, broken, bad_line), its
 * plan helpers (struct line, num_arg, prot_arg, sharing_arg, flags_arg,
 * name_arg, tok_is, hex_digit, parse_hex) and the window (page0, page_size,
 * page_addr, pages_len, maps_buf, name_buf). Same rules as the probe: no
 * stdio, no malloc, static buffers only.
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

/* Bad-pointer pages for `name` (R2), far from the window: page 0 PROT_NONE,
 * page 1 unmapped, page 2 read-write, page 3 unmapped. */
#define SCRATCH_ADDR 0x300000000000UL

#define STEPS_BASE_MAX 64   /* file name part of a mapfd backing */
#define STEPS_KEY_MAX 96    /* sysctl key (path under /proc/sys) */
#define STEPS_UNDO_MAX 32   /* sysctl values and files to put back */
#define STEPS_VALUE_MAX 64  /* a saved sysctl value */
#define STEPS_JOURNAL "/tmp/vmaspec-sysctl-journal" /* `<path>\0<value>\0` entries */
#define STEPS_JOURNAL_MAX 4096

enum steps_backing { BK_TMPFS = 1, BK_TMPFS_UNLINK_BEFORE, BK_TMPFS_UNLINK_AFTER,
		     BK_MEMFD, BK_ZERO };
enum steps_target { TG_HEAP = 1, TG_STACK, TG_STACK_BOTTOM, TG_VDSO, TG_VDSO_PAGE,
		    TG_VVAR, TG_VVAR_PAGE, TG_CHILD };
enum steps_pointer { PTR_UNMAPPED = 1, PTR_PROT_NONE, PTR_RUNS_OFF };
enum steps_value { VAL_NUMBER, VAL_MAPS };

/* ------------------------------------------------------------------ */
/* Plan arguments.                                                      */

static int steps_word(const struct line *l, int i, const char *const *words, int n,
		      const char *why)
{
	int k;

	for (k = 0; k < n; k++)
		if (tok_is(l, i, words[k]))
			return k;
	bad_line(l, why);
	return 0;
}

/* Lower-case letters, digits, `_`, `-` (and `/` when slash): file names and sysctl keys. */
static int steps_safe_text(const char *s, size_t n, int slash)
{
	size_t k;

	if (n == 0)
		return 0;
	for (k = 0; k < n; k++) {
		char c = s[k];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '-' || (slash && c == '/')))
			return 0;
	}
	return !(slash && (s[0] == '/' || s[n - 1] == '/'));
}

/* `<backing>`: tmpfs:<base>, tmpfs-unlink-before:<base>, tmpfs-unlink-after:<base>, memfd:<base>, zero. */
static void steps_backing_arg(const struct line *l, int i, struct op *op)
{
	static const struct { const char *prefix; int kind; } kinds[] = {
		{ "tmpfs:", BK_TMPFS },
		{ "tmpfs-unlink-before:", BK_TMPFS_UNLINK_BEFORE },
		{ "tmpfs-unlink-after:", BK_TMPFS_UNLINK_AFTER },
		{ "memfd:", BK_MEMFD },
	};
	size_t k;

	if (tok_is(l, i, "zero")) {
		op->sub = BK_ZERO;
		return;
	}
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		size_t p = strlen(kinds[k].prefix);
		if (l->len[i] > p && memcmp(l->tok[i], kinds[k].prefix, p) == 0) {
			op->sub = kinds[k].kind;
			op->text = l->tok[i] + p;
			op->text_len = l->len[i] - p;
			if (op->text_len > STEPS_BASE_MAX || !steps_safe_text(op->text, op->text_len, 0))
				bad_line(l, "bad backing file name (want [a-z0-9_-], at most 64)");
			return;
		}
	}
	bad_line(l, "bad backing (want tmpfs:, tmpfs-unlink-before:, tmpfs-unlink-after:, memfd: or zero)");
}

/*
 * The `<name>` of `name`: as name_arg() takes it, or a bad pointer (R2):
 * `unmapped`, `prot-none:<name>`, `runs-off:<name>` (the name not null).
 */
static void steps_name_arg(const struct line *l, int i, struct op *op)
{
	static const struct { const char *prefix; int kind; } ptrs[] = {
		{ "prot-none:", PTR_PROT_NONE },
		{ "runs-off:", PTR_RUNS_OFF },
	};
	struct line rest = *l;
	size_t k;

	if (tok_is(l, i, "unmapped")) {
		op->sub = PTR_UNMAPPED;
		return;
	}
	for (k = 0; k < sizeof(ptrs) / sizeof(ptrs[0]); k++) {
		size_t p = strlen(ptrs[k].prefix);
		if (l->len[i] > p && memcmp(l->tok[i], ptrs[k].prefix, p) == 0) {
			op->sub = ptrs[k].kind;
			rest.tok[i] += p;
			rest.len[i] -= p;
			break;
		}
	}
	name_arg(&rest, i, op);
	if (op->sub && op->name_null)
		bad_line(l, "a bad name pointer needs the name's bytes, not null");
	if (op->sub && op->name_hex_len / 2 + 1 > 4096)
		bad_line(l, "name too long for a bad-pointer page");
}

/*
 * mapfd <at> <pages> <prot> <sharing> <flags> <backing>
 * mremap <at> <pages> <new_pages> <to|->   (c = new pages, d = to + 1, 0 in place)
 * madvise|pmadvise <at> <pages> <advice>  (c = advice)
 * name-target <target> <name>             (sub = target)
 * special <heap|stack|vdso|vvar|child>    (sub = target)
 * brk <pages>                             (a = pages, signed)
 * sysctl <key> <value>                    (text = key; sub = value kind, a = value, d = negative)
 * lock <at> <pages> <mlock|onfault|munlock|mseal>  (sub = call)
 */
static void steps_parse(const struct line *l, struct op *op)
{
	static const char *const targets[] = { "heap", "stack", "stack-bottom-page", "vdso",
					       "vdso-page", "vvar", "vvar-page" };
	static const char *const areas[] = { "heap", "stack", "vdso", "vvar", "child" };
	static const int area_target[] = { TG_HEAP, TG_STACK, TG_VDSO, TG_VVAR, TG_CHILD };
	static const char *const lock_calls[] = { "mlock", "onfault", "munlock", "mseal" };

	switch (op->kind) {
	case OP_MAPFD:
		op->a = num_arg(l, 2, 1);
		op->b = num_arg(l, 3, 0);
		op->prot = prot_arg(l, 4);
		op->flags = map_flags_arg(l, 5);
		steps_backing_arg(l, 7, op);
		break;
	case OP_MREMAP:
		op->a = num_arg(l, 2, 1);
		op->b = num_arg(l, 3, 0);
		op->c = num_arg(l, 4, 0);
		op->d = tok_is(l, 5, "-") ? 0 : num_arg(l, 5, 0) + 1;
		break;
	case OP_MADVISE:
	case OP_PMADVISE:
		op->a = num_arg(l, 2, 1);
		op->b = num_arg(l, 3, 0);
		op->c = num_arg(l, 4, 0);
		if (op->c > INT32_MAX)
			bad_line(l, "advice out of range");
		break;
	case OP_NAME_TARGET:
		op->sub = steps_word(l, 2, targets, 7, "bad target") + TG_HEAP;
		name_arg(l, 3, op);
		break;
	case OP_SPECIAL:
		op->sub = area_target[steps_word(l, 2, areas, 5, "bad area (want heap, stack, vdso, vvar or child)")];
		break;
	case OP_BRK:
		op->a = num_arg(l, 2, 1);
		break;
	case OP_LOCK:
		op->a = num_arg(l, 2, 1);
		op->b = num_arg(l, 3, 0);
		op->sub = steps_word(l, 4, lock_calls, 4, "bad lock call (want mlock, onfault, munlock or mseal)");
		break;
	case OP_SYSCTL:
		op->text = l->tok[2];
		op->text_len = l->len[2];
		if (op->text_len > STEPS_KEY_MAX || !steps_safe_text(op->text, op->text_len, 1) ||
		    memmem(op->text, op->text_len, "..", 2) != NULL)
			bad_line(l, "bad sysctl key");
		if (l->len[3] > 5 && memcmp(l->tok[3], "maps", 4) == 0 &&
		    (l->tok[3][4] == '+' || l->tok[3][4] == '-')) {
			op->sub = VAL_MAPS;
			if (!parse_num(l->tok[3] + 5, l->len[3] - 5, 0, &op->a))
				bad_line(l, "bad number");
			op->d = l->tok[3][4] == '-';
		} else {
			op->sub = VAL_NUMBER;
			op->d = l->tok[3][0] == '-';
			op->a = num_arg(l, 3, 1);
		}
		break;
	default:
		break;
	}
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

static int steps_areas_ready;
static unsigned long steps_heap_start; /* the program break before any brk op */
static struct steps_range steps_stack, steps_vdso, steps_vvar;

static unsigned long steps_brk(unsigned long addr) { return (unsigned long)syscall(SYS_brk, addr); }

/* The probe never moves the break itself (no malloc): the first look is start_brk. */
static void steps_note_heap(void)
{
	if (!steps_heap_start)
		steps_heap_start = steps_brk(0);
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

/* The areas as first seen (before any op of this file changed them). */
static void steps_areas_init(uint64_t step)
{
	if (steps_areas_ready)
		return;
	steps_note_heap();
	steps_each_maps_line(step, steps_area_line, NULL);
	steps_areas_ready = 1;
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

static unsigned long steps_round_up(unsigned long v)
{
	return (v + page_size - 1) & ~(page_size - 1);
}

/* The extent of an area: for `special`, every VMA overlapping it is reported. */
static struct steps_range steps_area(uint64_t step, int target)
{
	struct steps_range r = { 0, 0 };

	steps_areas_init(step);
	switch (target) {
	case TG_HEAP:
		r.lo = steps_heap_start;
		r.hi = steps_round_up(steps_brk(0));
		break;
	case TG_STACK:
		r = steps_stack;
		break;
	case TG_VDSO:
		r = steps_vdso;
		break;
	case TG_VVAR:
		r = steps_vvar;
		break;
	case TG_CHILD:
		r.lo = win_lo; /* as run_snapshot: the reserve and its guard pages */
		r.hi = win_hi;
		break;
	}
	return r;
}

/* The range a name-target op names, resolved now from /proc/self/maps. */
static struct steps_range steps_target_range(const struct op *op)
{
	struct steps_range area, r;

	switch (op->sub) {
	case TG_HEAP:
		return steps_area(op->step, TG_HEAP); /* every heap VMA */
	case TG_STACK:
	case TG_STACK_BOTTOM:
		area = steps_area(op->step, TG_STACK);
		if (area.hi == 0)
			broken("no [stack] in /proc/self/maps", "step", op->step);
		r = steps_vma_at(op->step, area.hi - 1); /* the VMA shown as [stack] */
		break;
	case TG_VDSO:
	case TG_VDSO_PAGE:
		area = steps_area(op->step, TG_VDSO);
		if (area.hi == 0)
			broken("no [vdso] in /proc/self/maps", "step", op->step);
		r = steps_vma_at(op->step, area.lo);
		break;
	default:
		area = steps_area(op->step, TG_VVAR);
		if (area.hi == 0)
			broken("no [vvar] in /proc/self/maps", "step", op->step);
		r = steps_vma_at(op->step, area.lo);
		break;
	}
	if (op->sub == TG_STACK_BOTTOM || op->sub == TG_VDSO_PAGE || op->sub == TG_VVAR_PAGE)
		r.hi = r.lo + page_size;
	return r;
}

/* ------------------------------------------------------------------ */
/* Ops.                                                                 */

/* The decoded name of an op (name_buf), or NULL for `null`. */
static const char *steps_decode_name(const struct op *op)
{
	size_t k;

	if (op->name_null)
		return NULL;
	for (k = 0; k < op->name_hex_len / 2; k++)
		name_buf[k] = (char)(hex_digit(op->name[2 * k]) << 4 | hex_digit(op->name[2 * k + 1]));
	name_buf[k] = '\0';
	return name_buf;
}

static void steps_scratch_init(uint64_t step)
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
static const char *steps_name_pointer(const struct op *op, const char *name)
{
	size_t n = op->name_hex_len / 2;
	char *p;

	steps_scratch_init(op->step);
	switch (op->sub) {
	case PTR_UNMAPPED:
		return (const char *)(SCRATCH_ADDR + page_size);
	case PTR_PROT_NONE:
		/* The bytes and their NUL, in a page that is PROT_NONE when the kernel reads it. */
		if (syscall(SYS_mprotect, SCRATCH_ADDR, page_size, PROT_READ | PROT_WRITE) != 0)
			broken("bad-pointer pages: mprotect failed", "errno", errno);
		memcpy((char *)SCRATCH_ADDR, name, n + 1);
		if (syscall(SYS_mprotect, SCRATCH_ADDR, page_size, PROT_NONE) != 0)
			broken("bad-pointer pages: mprotect failed", "errno", errno);
		return (const char *)SCRATCH_ADDR;
	default:
		/* The bytes without a NUL, ending where the unmapped page begins. */
		p = (char *)(SCRATCH_ADDR + 3 * page_size) - n;
		memcpy(p, name, n);
		return p;
	}
}

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

/* mmap of a tmpfs file, a memfd or /dev/zero, at the op's window page. */
static void steps_run_mapfd(const struct op *op)
{
	static char path[STEPS_BASE_MAX + 32];
	unsigned long want = page_addr(op->a);
	unsigned long len = pages_len(op->b);
	int fd, err, tmpfs = op->sub == BK_TMPFS || op->sub == BK_TMPFS_UNLINK_BEFORE ||
			     op->sub == BK_TMPFS_UNLINK_AFTER;
	long r;

	if (tmpfs) {
		size_t n = steps_cat(path, 0, sizeof(path), "/tmp/vmaspec-", 13);
		steps_cat(path, n, sizeof(path), op->text, op->text_len);
		unlink(path); /* a stale file of an earlier op or case */
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			broken_full("mapfd: cannot create", path, "errno", errno);
		steps_undo_add(op->step, 0, path);
	} else if (op->sub == BK_MEMFD) {
		size_t n = steps_cat(path, 0, sizeof(path), "vmaspec-", 8);
		steps_cat(path, n, sizeof(path), op->text, op->text_len);
		fd = (int)syscall(SYS_memfd_create, path, MFD_CLOEXEC);
		if (fd < 0)
			broken("mapfd: memfd_create failed", "errno", errno);
	} else {
		fd = open("/dev/zero", O_RDWR | O_CLOEXEC);
		if (fd < 0)
			broken("mapfd: cannot open /dev/zero", "errno", errno);
	}
	if (op->sub != BK_ZERO && ftruncate(fd, (off_t)len) != 0)
		broken("mapfd: ftruncate failed", "errno", errno);
	if (op->sub == BK_TMPFS_UNLINK_BEFORE)
		unlink(path);
	r = syscall(SYS_mmap, want, len, op->prot, op->flags, fd, 0);
	err = errno;
	if (op->sub == BK_TMPFS_UNLINK_AFTER)
		unlink(path);
	close(fd);
	if (r == -1)
		record_step(op->step, -1, err);
	else if ((unsigned long)r != want)
		broken("mapfd landed elsewhere", "step", op->step);
	else
		record_step(op->step, 0, 0);
}

/* mremap in place (flags 0) or to a window page (MAYMOVE|FIXED); 0 when it lands where asked. */
static void steps_run_mremap(const struct op *op)
{
	unsigned long old = page_addr(op->a);
	unsigned long want = op->d ? page_addr(op->d - 1) : old;
	long r = syscall(SYS_mremap, old, pages_len(op->b), pages_len(op->c),
			 op->d ? MREMAP_MAYMOVE | MREMAP_FIXED : 0, want);

	if (r == -1)
		record_step(op->step, -1, errno);
	else if ((unsigned long)r != want)
		broken("mremap landed elsewhere", "step", op->step);
	else
		record_step(op->step, 0, 0);
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
static void steps_run_pmadvise(const struct op *op)
{
	struct iovec iov = { (void *)page_addr(op->a), pages_len(op->b) };
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
	r = syscall(SYS_process_madvise, pidfd, &iov, 1, (int)op->c, 0);
	err = errno;
	close((int)pidfd);
	record_step(op->step, r, r < 0 ? err : 0);
}

static void steps_run_name_target(const struct op *op)
{
	struct steps_range r = steps_target_range(op);
	const char *name = steps_decode_name(op);

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
static void steps_run_special(const struct op *op)
{
	struct steps_special s = { op->step, steps_area(op->step, op->sub) };
	char path[48];
	size_t n;

	if (op->sub != TG_CHILD) {
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

static void steps_run_brk(const struct op *op)
{
	unsigned long cur, want;

	steps_note_heap();
	cur = steps_brk(0);
	want = cur + (unsigned long)((int64_t)op->a * (int64_t)page_size);
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
	/* The gate VMA is shown but is not one of the mm's VMAs (map_count). */
	if (!steps_ends_with(line, n, " [vsyscall]"))
		++*(int64_t *)arg;
}

/* Writes a sysctl (saving the old value once per process for steps_restore()). */
static void steps_run_sysctl(const struct op *op)
{
	static char path[STEPS_KEY_MAX + 16];
	char value[32];
	int64_t v;
	size_t i, n = steps_cat(path, 0, sizeof(path), "/proc/sys/", 10);
	int fd, k, saved = 0;
	ssize_t r;

	steps_cat(path, n, sizeof(path), op->text, op->text_len);
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
	if (op->sub == VAL_MAPS) {
		v = 0;
		steps_each_maps_line(op->step, steps_count_line, &v);
		v = op->d ? v - (int64_t)op->a : v + (int64_t)op->a;
	} else {
		v = (int64_t)op->a;
	}
	/* the decimal text, then a newline */
	if (op->sub == VAL_NUMBER && !op->d) {
		i = steps_cat_u64(value, 0, sizeof(value), op->a);
	} else {
		i = v < 0 ? steps_cat(value, 0, sizeof(value), "-", 1) : 0;
		i = steps_cat_u64(value, i, sizeof(value), v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
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

/* lock: sub indexes mlock, onfault, munlock, mseal (steps_parse). musl has no mseal wrapper. */
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 0x01
#endif
#define STEPS_NR_MSEAL 462 /* x86_64, arch/x86/entry/syscalls/syscall_64.tbl; Linux 6.10+ */
static void steps_run_lock(const struct op *op)
{
	unsigned long addr = page_addr(op->a);
	size_t len = pages_len(op->b);
	long r;

	switch (op->sub) {
	case 0:
		r = syscall(SYS_mlock, addr, len);
		break;
	case 1:
		r = syscall(SYS_mlock2, addr, len, MLOCK_ONFAULT);
		break;
	case 2:
		r = syscall(SYS_munlock, addr, len);
		break;
	default:
		r = syscall(STEPS_NR_MSEAL, addr, len, 0UL);
		break;
	}
	run_syscall_result(op->step, r);
}

static void steps_run(const struct op *op)
{
	switch (op->kind) {
	case OP_MAPFD:
		steps_run_mapfd(op);
		break;
	case OP_MREMAP:
		steps_run_mremap(op);
		break;
	case OP_MADVISE:
		run_syscall_result(op->step, syscall(SYS_madvise, page_addr(op->a), pages_len(op->b),
						     (int)op->c));
		break;
	case OP_PMADVISE:
		steps_run_pmadvise(op);
		break;
	case OP_NAME_TARGET:
		steps_run_name_target(op);
		break;
	case OP_SPECIAL:
		steps_run_special(op);
		break;
	case OP_BRK:
		steps_run_brk(op);
		break;
	case OP_SYSCTL:
		steps_run_sysctl(op);
		break;
	case OP_LOCK:
		steps_run_lock(op);
		break;
	default:
		broken("internal: not a steps op", "step", op->step);
	}
}

#endif /* VMASPEC_PROBE_STEPS_H */
