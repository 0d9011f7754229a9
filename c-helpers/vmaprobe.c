/*
 * vmaprobe — the vmaspec step interpreter (guest side, run by /init).
 *
 * Usage: vmaprobe <plan file>
 *
 * Reads one case plan, reserves the PROT_NONE window at a fixed address,
 * runs the plan's ops (mmap, munmap, mprotect, PR_SET_VMA_ANON_NAME, page
 * touches, /proc/self/maps snapshots, nested fork blocks) and writes one
 * result record per op to stdout. The plan format and the records are the
 * contract in docs/protocol.md; keep this file and that page in step.
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

/* ------------------------------------------------------------------ */
/* Plan.                                                                */

enum op_kind { OP_MAP, OP_UNMAP, OP_MPROTECT, OP_NAME, OP_TOUCH,
	       OP_SNAPSHOT, OP_FORK, OP_PARENT, OP_WAIT,
	       /* observations (probe_observe.h) */
	       OP_SMAPS, OP_ROLLUP, OP_QUERY, OP_MAPFILE, OP_PAGEMAP,
	       /* steps (probe_steps.h) */
	       OP_MAPFD, OP_MREMAP, OP_MADVISE, OP_PMADVISE, OP_NAME_TARGET,
	       OP_SPECIAL, OP_BRK, OP_SYSCTL, OP_LOCK };

struct op {
	enum op_kind kind;
	uint64_t step;
	uint64_t a;          /* at (page) or start (byte); may be "negative" */
	uint64_t b;          /* pages or len */
	int prot;            /* map, mprotect */
	int flags;           /* map, mapfd: MAP_FIXED or MAP_FIXED_NOREPLACE | type | extra flags */
	int write;           /* touch */
	const char *name;    /* name: hex digits in the plan text, or NULL */
	size_t name_hex_len; /* name: number of hex digits */
	int name_null;       /* name: `null` */
	size_t parent_idx;   /* fork: index of the matching parent */
	size_t wait_idx;     /* fork, parent: index of the matching wait */
	uint64_t c, d;       /* steps ops: more numbers (probe_steps.h) */
	int sub;             /* steps ops: backing, target, pointer or value kind */
	const char *text;    /* steps ops: file name part or sysctl key, in the plan text */
	size_t text_len;
};

static char plan_text[PLAN_MAX + 1];
static struct op ops[OPS_MAX];
static size_t n_ops;
static uint64_t window_pages;

#define MAX_TOKENS 12 /* step, op and up to 10 arguments (query has 8) */
struct line {
	const char *tok[MAX_TOKENS];
	size_t len[MAX_TOKENS];
	int n;
	unsigned long lineno;
};

__attribute__((noreturn))
static void bad_line(const struct line *l, const char *why)
{
	out_len = 0;
	out_str("B plan line ");
	out_u64(l->lineno);
	out_str(": ");
	out_str(why);
	out_end();
	_exit(EXIT_BROKEN);
}

static int tok_is(const struct line *l, int i, const char *s)
{
	return l->len[i] == strlen(s) && memcmp(l->tok[i], s, l->len[i]) == 0;
}

/* Split one line on single spaces; empty tokens are malformed. */
static void split_line(struct line *l, char *s, size_t n)
{
	size_t i, start = 0;

	l->n = 0;
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != ' ')
			continue;
		if (i == start)
			bad_line(l, "empty token (double space or blank line)");
		if (l->n == MAX_TOKENS)
			bad_line(l, "too many tokens");
		l->tok[l->n] = s + start;
		l->len[l->n] = i - start;
		l->n++;
		start = i + 1;
	}
}

/*
 * A decimal integer. Non-negative values up to 2^64-1; with allow_neg,
 * negative values down to -2^63, returned as their two's complement so
 * that address arithmetic wraps like the kernel's.
 */
static int parse_num(const char *s, size_t n, int allow_neg, uint64_t *out_v)
{
	int neg = 0;
	uint64_t v = 0;
	size_t i = 0;

	if (n > 0 && s[0] == '-') {
		if (!allow_neg)
			return 0;
		neg = 1;
		i = 1;
	}
	if (i == n)
		return 0;
	for (; i < n; i++) {
		unsigned d;
		if (s[i] < '0' || s[i] > '9')
			return 0;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	if (neg) {
		if (v > (uint64_t)1 << 63)
			return 0;
		v = (uint64_t)0 - v;
	}
	*out_v = v;
	return 1;
}

static uint64_t num_arg(const struct line *l, int i, int allow_neg)
{
	uint64_t v;
	if (!parse_num(l->tok[i], l->len[i], allow_neg, &v))
		bad_line(l, "bad number");
	return v;
}

static int prot_arg(const struct line *l, int i)
{
	const char *p = l->tok[i];
	int prot = 0;

	if (l->len[i] != 3)
		bad_line(l, "bad prot");
	if (p[0] == 'r')
		prot |= PROT_READ;
	else if (p[0] != '-')
		bad_line(l, "bad prot");
	if (p[1] == 'w')
		prot |= PROT_WRITE;
	else if (p[1] != '-')
		bad_line(l, "bad prot");
	if (p[2] == 'x')
		prot |= PROT_EXEC;
	else if (p[2] != '-')
		bad_line(l, "bad prot");
	return prot;
}

static int sharing_arg(const struct line *l, int i)
{
	if (tok_is(l, i, "private"))
		return MAP_PRIVATE;
	if (tok_is(l, i, "shared"))
		return MAP_SHARED;
	bad_line(l, "bad sharing");
	return 0;
}

/* `-` or a comma list of noreserve, growsdown, populate, fixed_noreplace, droppable. */
static int flags_arg(const struct line *l, int i)
{
	const char *p = l->tok[i], *end = p + l->len[i];
	int flags = 0;

	if (tok_is(l, i, "-"))
		return 0;
	while (p <= end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		size_t n = c ? (size_t)(c - p) : (size_t)(end - p);

		if (n == 9 && memcmp(p, "noreserve", 9) == 0)
			flags |= MAP_NORESERVE;
		else if (n == 9 && memcmp(p, "growsdown", 9) == 0)
			flags |= MAP_GROWSDOWN;
		else if (n == 8 && memcmp(p, "populate", 8) == 0)
			flags |= MAP_POPULATE;
		else if (n == 15 && memcmp(p, "fixed_noreplace", 15) == 0)
			flags |= MAP_FIXED_NOREPLACE;
		else if (n == 9 && memcmp(p, "droppable", 9) == 0)
			flags |= MAP_DROPPABLE;
		else
			bad_line(l, "bad map flag");
		if (!c)
			break;
		p = c + 1;
	}
	return flags;
}

/*
 * The mmap flags of `map` and `mapfd` from `<sharing> <flags>` at tokens i, i + 1:
 * MAP_FIXED unless fixed_noreplace asks for MAP_FIXED_NOREPLACE, and the mapping
 * type MAP_DROPPABLE in place of MAP_PRIVATE when droppable is listed.
 */
static int map_flags_arg(const struct line *l, int i)
{
	int sharing = sharing_arg(l, i), flags = flags_arg(l, i + 1);

	if (flags & MAP_DROPPABLE) {
		if (sharing != MAP_PRIVATE)
			bad_line(l, "droppable with shared");
		sharing = 0;
	}
	if (!(flags & MAP_FIXED_NOREPLACE))
		flags |= MAP_FIXED;
	return sharing | flags;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* `null` or `hex:` + lower-case hex pairs (checked here, decoded when run). */
static void name_arg(const struct line *l, int i, struct op *op)
{
	size_t k, n = l->len[i];

	if (tok_is(l, i, "null")) {
		op->name_null = 1;
		return;
	}
	if (n < 4 || memcmp(l->tok[i], "hex:", 4) != 0)
		bad_line(l, "bad name (want null or hex:...)");
	op->name = l->tok[i] + 4;
	op->name_hex_len = n - 4;
	if (op->name_hex_len % 2 != 0)
		bad_line(l, "odd number of hex digits in name");
	if (op->name_hex_len / 2 > NAME_MAX_BYTES)
		bad_line(l, "name too long");
	for (k = 0; k < op->name_hex_len; k++)
		if (hex_digit(op->name[k]) < 0)
			bad_line(l, "bad hex digit in name");
}

static const struct { const char *name; enum op_kind kind; int args; } op_table[] = {
	{ "map", OP_MAP, 5 },       { "unmap", OP_UNMAP, 2 },
	{ "mprotect", OP_MPROTECT, 3 }, { "name", OP_NAME, 4 },
	{ "touch", OP_TOUCH, 3 },   { "snapshot", OP_SNAPSHOT, 0 },
	{ "fork", OP_FORK, 0 },     { "parent", OP_PARENT, 0 },
	{ "wait", OP_WAIT, 0 },
	{ "smaps", OP_SMAPS, 0 },   { "rollup", OP_ROLLUP, 0 },
	{ "query", OP_QUERY, 8 },   { "mapfile", OP_MAPFILE, 2 },
	{ "pagemap", OP_PAGEMAP, 2 },
	{ "mapfd", OP_MAPFD, 6 },   { "mremap", OP_MREMAP, 4 },
	{ "madvise", OP_MADVISE, 3 }, { "pmadvise", OP_PMADVISE, 3 },
	{ "name-target", OP_NAME_TARGET, 2 }, { "special", OP_SPECIAL, 1 },
	{ "brk", OP_BRK, 1 },       { "sysctl", OP_SYSCTL, 2 },
	{ "lock", OP_LOCK, 3 },
};

/* The observation ops live in probe_observe.h (included below the window code). */
static void observe_parse(const struct line *l, struct op *op);
static void observe_run(const struct op *op);

/* The steps ops live in probe_steps.h (included below the window code). */
static void steps_parse(const struct line *l, struct op *op);
static void steps_name_arg(const struct line *l, int i, struct op *op);
static const char *steps_name_pointer(const struct op *op, const char *name);
static void steps_run(const struct op *op);
static pid_t steps_set_child(pid_t pid);

static void parse_op(const struct line *l, struct op *op)
{
	size_t k;

	memset(op, 0, sizeof(*op));
	if (l->n < 2)
		bad_line(l, "missing op");
	op->step = num_arg(l, 0, 0);
	for (k = 0; k < sizeof(op_table) / sizeof(op_table[0]); k++)
		if (tok_is(l, 1, op_table[k].name))
			break;
	if (k == sizeof(op_table) / sizeof(op_table[0]))
		bad_line(l, "unknown op");
	if (l->n != 2 + op_table[k].args)
		bad_line(l, "wrong number of arguments");
	op->kind = op_table[k].kind;

	switch (op->kind) {
	case OP_MAP:
		op->a = num_arg(l, 2, 1);
		op->b = num_arg(l, 3, 0);
		op->prot = prot_arg(l, 4);
		op->flags = map_flags_arg(l, 5);
		break;
	case OP_UNMAP:
		op->a = num_arg(l, 2, 1);
		op->b = num_arg(l, 3, 0);
		break;
	case OP_MPROTECT:
		op->a = num_arg(l, 2, 1);
		op->b = num_arg(l, 3, 0);
		op->prot = prot_arg(l, 4);
		break;
	case OP_NAME:
		op->a = num_arg(l, 2, 1);
		op->b = num_arg(l, 3, 0);
		steps_name_arg(l, 4, op); /* name_arg(), or a bad pointer (R2) */
		op->d = num_arg(l, 5, 0); /* fail_nth, 0 = none */
		break;
	case OP_TOUCH:
		op->a = num_arg(l, 2, 1);
		op->b = num_arg(l, 3, 0);
		if (tok_is(l, 4, "w"))
			op->write = 1;
		else if (!tok_is(l, 4, "r"))
			bad_line(l, "bad access (want r or w)");
		break;
	case OP_QUERY:
	case OP_MAPFILE:
	case OP_PAGEMAP:
		observe_parse(l, op);
		break;
	case OP_MAPFD:
	case OP_MREMAP:
	case OP_MADVISE:
	case OP_PMADVISE:
	case OP_NAME_TARGET:
	case OP_SPECIAL:
	case OP_BRK:
	case OP_SYSCTL:
	case OP_LOCK:
		steps_parse(l, op);
		break;
	default:
		break;
	}
}

/*
 * Match fork … parent … wait blocks (they nest). Each fork learns where
 * its child's ops end (parent) and where the block ends (wait).
 */
static void match_blocks(void)
{
	static size_t stack[OPS_MAX];
	size_t depth = 0, i;

	for (i = 0; i < n_ops; i++) {
		switch (ops[i].kind) {
		case OP_FORK:
			ops[i].parent_idx = SIZE_MAX;
			stack[depth++] = i;
			break;
		case OP_PARENT:
			if (depth == 0 || ops[stack[depth - 1]].parent_idx != SIZE_MAX)
				broken("plan: parent without an open fork", "step", ops[i].step);
			ops[stack[depth - 1]].parent_idx = i;
			break;
		case OP_WAIT:
			if (depth == 0 || ops[stack[depth - 1]].parent_idx == SIZE_MAX)
				broken("plan: wait without fork and parent", "step", ops[i].step);
			ops[stack[depth - 1]].wait_idx = i;
			ops[ops[stack[depth - 1]].parent_idx].wait_idx = i;
			depth--;
			break;
		default:
			break;
		}
	}
	if (depth != 0)
		broken("plan: fork block not closed", "step", ops[stack[depth - 1]].step);
}

static size_t read_file(const char *path, char *buf, size_t cap)
{
	size_t have = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		broken_full("cannot open plan", path, "errno", errno);
	for (;;) {
		ssize_t r = read(fd, buf + have, cap - have);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			broken_full("cannot read plan", path, "errno", errno);
		}
		if (r == 0)
			break;
		have += (size_t)r;
		if (have == cap)
			broken("plan too large", NULL, 0);
	}
	close(fd);
	return have;
}

/* Parse the whole plan before touching the address space. */
static void load_plan(const char *path)
{
	size_t n = read_file(path, plan_text, PLAN_MAX);
	char *p = plan_text, *end = plan_text + n;
	struct line l;

	l.lineno = 0;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		l.lineno++;
		split_line(&l, p, len);
		if (l.lineno == 1) {
			if (!(l.n == 2 && tok_is(&l, 0, "vmaspec-plan") && tok_is(&l, 1, "1")))
				bad_line(&l, "not a vmaspec-plan 1 file");
		} else if (l.lineno == 2) {
			if (!(l.n == 2 && tok_is(&l, 0, "window")))
				bad_line(&l, "expected window <pages>");
			window_pages = num_arg(&l, 1, 0);
			if (window_pages > ((uint64_t)1 << 32))
				bad_line(&l, "window too large");
		} else {
			if (n_ops == OPS_MAX)
				bad_line(&l, "too many ops");
			parse_op(&l, &ops[n_ops++]);
		}
		p += len + 1;
	}
	if (l.lineno < 2)
		broken("plan: missing header or window line", NULL, 0);
	match_blocks();
}

/* ------------------------------------------------------------------ */
/* The window.                                                          */

static unsigned long page_size;
static unsigned long page0;   /* address of window page 0 */
static unsigned long win_lo;  /* the reservation, guard pages included */
static unsigned long win_hi;

static long sys_prctl_name(unsigned long addr, unsigned long len, const char *name)
{
	return syscall(SYS_prctl, PR_SET_VMA, PR_SET_VMA_ANON_NAME, addr, len, name);
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

static void run_map(const struct op *op)
{
	unsigned long want = page_addr(op->a);
	long r = syscall(SYS_mmap, want, pages_len(op->b), op->prot,
			 MAP_ANONYMOUS | op->flags, -1, 0);

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

static char name_buf[NAME_MAX_BYTES + 1];

/*
 * `fail_nth: N` (R5): the Nth fault-injection point the prctl reaches fails
 * (Documentation/fault-injection/fault-injection.rst, "fail-nth"). Armed just
 * before the call, read back and disarmed just after; `F <step> <fired>`
 * says whether the failure was injected (the file reads 0 once it was).
 */
static void run_name_failing(const struct op *op, const char *name)
{
	char buf[24];
	const char *nth = u64_decimal(buf, op->d);
	ssize_t n = buf + sizeof(buf) - nth;
	long r;
	int e, fired;
	int fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		broken("fail_nth: cannot open /proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION)", "errno", errno);
	if (write(fd, nth, (size_t)n) != n)
		broken("fail_nth: cannot arm /proc/thread-self/fail-nth", "errno", errno);
	r = sys_prctl_name(page0 + (unsigned long)op->a, (unsigned long)op->b, name);
	e = errno;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	fired = n > 0 && buf[0] == '0';
	if (write(fd, "0", 1) != 1)
		broken("fail_nth: cannot disarm /proc/thread-self/fail-nth", "errno", errno);
	close(fd);
	out_str("F ");
	out_u64(op->step);
	out_str(fired ? " 1" : " 0");
	out_end();
	errno = e;
	run_syscall_result(op->step, r);
}

static void run_name(const struct op *op)
{
	const char *name = NULL;
	size_t k;

	if (!op->name_null) {
		for (k = 0; k < op->name_hex_len / 2; k++)
			name_buf[k] = (char)(hex_digit(op->name[2 * k]) << 4 |
					     hex_digit(op->name[2 * k + 1]));
		name_buf[k] = '\0';
		name = name_buf;
	}
	if (op->sub)
		name = steps_name_pointer(op, name); /* R2: a bad pointer instead */
	if (op->d) {
		run_name_failing(op, name);
		return;
	}
	run_syscall_result(op->step, sys_prctl_name(page0 + (unsigned long)op->a,
						     (unsigned long)op->b, name));
}

/* touch: a fault on an inaccessible page is an outcome (EFAULT), not a crash. */
static sigjmp_buf fault_env;
static volatile sig_atomic_t fault_armed;
static volatile unsigned long touch_addr, touch_pages, touch_write, touch_i;

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

static int touch_all(void)
{
	if (sigsetjmp(fault_env, 1)) {
		fault_armed = 0;
		return -1;
	}
	fault_armed = 1;
	for (touch_i = 0; touch_i < touch_pages; touch_i++) {
		volatile unsigned char *p =
			(volatile unsigned char *)(touch_addr + touch_i * page_size);
		if (touch_write)
			*p = 0xa5;
		else
			(void)*p;
	}
	fault_armed = 0;
	return 0;
}

static void run_touch(const struct op *op)
{
	touch_addr = page_addr(op->a);
	touch_pages = (unsigned long)op->b;
	touch_write = (unsigned long)op->write;
	if (touch_all() == 0)
		record_step(op->step, 0, 0);
	else
		record_step(op->step, -1, EFAULT);
}

/* snapshot: `M` for each maps line overlapping the reservation, then `S`. */
static char maps_buf[MAPS_BUF];

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

#include "probe_observe.h" /* smaps, rollup, query, mapfile, pagemap */
#include "probe_steps.h"   /* mapfd, mremap, madvise, pmadvise, name-target, special, brk, sysctl, lock */

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

/* Read one byte (or EOF) from fd, retrying EINTR. */
static void read_one(int fd)
{
	char c;
	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
}

/*
 * The child's side of a fork block: report, run the child's ops, report
 * the `parent` step, tell the parent it is ready and block until released
 * (EOF on the release pipe).
 */
static void run_child(const struct op *fork_op, pid_t parent, int ready_w, int release_r)
{
	char c = 1;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1); /* the parent died before PDEATHSIG was armed */
	record_child(fork_op->step, getpid());
	run_ops((size_t)(fork_op - ops) + 1, fork_op->parent_idx);
	record_step(ops[fork_op->parent_idx].step, 0, 0);
	write_all(ready_w, &c, 1);
	read_one(release_r);
	steps_restore();
	_exit(0);
}

/*
 * One fork … parent … wait block, parent side. The `S` of the fork step is
 * written once the child is ready (or dead), so the child's records form one
 * contiguous run in the stream and the parent's follow.
 */
static void run_fork_block(const struct op *fork_op)
{
	const struct op *wait_op = &ops[fork_op->wait_idx];
	int ready[2], release[2], status, err;
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
	if (pid > 0)
		read_one(ready[0]); /* a byte: ready; EOF: the child died */
	close(ready[0]);
	record_step(fork_op->step, pid, pid < 0 ? err : 0);

	prev_child = steps_set_child(pid); /* for pmadvise, special child */
	run_ops(fork_op->parent_idx + 1, fork_op->wait_idx);
	steps_set_child(prev_child);

	close(release[1]); /* EOF releases the child (a write could SIGPIPE if it died) */
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

static void run_op(const struct op *op)
{
	switch (op->kind) {
	case OP_MAP:
		run_map(op);
		break;
	case OP_UNMAP:
		run_syscall_result(op->step, syscall(SYS_munmap, page_addr(op->a),
						     pages_len(op->b)));
		break;
	case OP_MPROTECT:
		run_syscall_result(op->step, syscall(SYS_mprotect, page_addr(op->a),
						     pages_len(op->b), op->prot));
		break;
	case OP_NAME:
		run_name(op);
		break;
	case OP_TOUCH:
		run_touch(op);
		break;
	case OP_SNAPSHOT:
		run_snapshot(op);
		break;
	case OP_SMAPS:
	case OP_ROLLUP:
	case OP_QUERY:
	case OP_MAPFILE:
	case OP_PAGEMAP:
		observe_run(op);
		break;
	case OP_MAPFD:
	case OP_MREMAP:
	case OP_MADVISE:
	case OP_PMADVISE:
	case OP_NAME_TARGET:
	case OP_SPECIAL:
	case OP_BRK:
	case OP_SYSCTL:
	case OP_LOCK:
		steps_run(op);
		break;
	case OP_FORK:
		run_fork_block(op);
		break;
	case OP_PARENT:
	case OP_WAIT:
		/* match_blocks() guarantees run_ops() never lands here */
		broken("internal: stray block op", "step", op->step);
		break;
	}
}

/* Run ops[lo, hi); a fork block is run whole and skipped over. */
static void run_ops(size_t lo, size_t hi)
{
	size_t i = lo;

	while (i < hi) {
		run_op(&ops[i]);
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
	reserve_window();
	run_ops(0, n_ops);
	steps_restore();
	_exit(0);
}
