/*
 * plan_parse.h — the plan reader of vmaprobe (docs/protocol.md, "Plan").
 *
 * The ops, their arguments and the words those take are defined once, on the
 * host (runner/plan/plan.ts); runner/guest/plan-header.ts generates from them
 * plan_words.h (the word lists) and plan_ops.h (enum op_kind, a struct per op,
 * a parse function per op, the ops table op_ops[]) into the build directory.
 * This file is the hand-written half: it splits a line into tokens and reads
 * each kind of argument; the generated parse functions call these readers.
 *
 * The whole plan is parsed before the address space is touched. A bad line
 * is `B plan line <n>: <why>` and exit status EXIT_BROKEN.
 *
 * Included once by vmaprobe.c, after its record writers (out_*, broken) and
 * its limits (PLAN_MAX, OPS_MAX, NAME_MAX_BYTES).
 */
#ifndef VMASPEC_PLAN_PARSE_H
#define VMASPEC_PLAN_PARSE_H

#include "plan_words.h"

/* `-` or a number (mremap's <to>). */
struct opt_u64 {
	int set;
	uint64_t v;
};

/* `null` or `hex:` + hex digits (checked here, decoded when run), or a bad pointer (R2). */
struct name_arg {
	const char *hex;   /* the digits in the plan text */
	size_t hex_len;
	int null;          /* `null` (or `unmapped`): no bytes */
	int bad_pointer;   /* 1: `pointer` says which */
	enum name_pointer pointer;
};

/* `zero`, or `<kind>:<base>`: the file of a mapfd. */
struct backing_arg {
	enum backing kind;
	const char *base;  /* in the plan text; none for zero */
	size_t base_len;
};

/* A span of the plan text (a sysctl key). */
struct text_arg {
	const char *s;
	size_t n;
};

/* A comma list of bytes in decimal (checked here): read in turn by bytes_next(). */
struct bytes_arg {
	const char *s;     /* in the plan text */
	size_t n;
	uint64_t count;    /* how many bytes: at least one */
};

/* A sysctl value: n (negated when neg), or the maps line count plus or minus n. */
struct sysctl_value {
	int maps;
	int neg;
	uint64_t n;
};

struct line {
	const char *tok[2 + OP_ARGS_MAX];  /* step, op and the arguments */
	size_t len[2 + OP_ARGS_MAX];
	int n;
	unsigned long lineno;
};

static void bad_line_start(const struct line *l)
{
	out_len = 0;
	out_str("B plan line ");
	out_u64(l->lineno);
	out_str(": ");
}

__attribute__((noreturn))
static void bad_line_end(void)
{
	out_end();
	_exit(EXIT_BROKEN);
}

__attribute__((noreturn))
static void bad_line(const struct line *l, const char *why)
{
	bad_line_start(l);
	out_str(why);
	bad_line_end();
}

/* `<what>: <why>`: an argument that is not what its op takes. */
__attribute__((noreturn))
static void bad_arg(const struct line *l, const char *what, const char *why)
{
	bad_line_start(l);
	out_str(what);
	out_str(": ");
	out_str(why);
	bad_line_end();
}

/* `<what>: want <w0>, <w1> …`: a word not in its list. */
__attribute__((noreturn))
static void bad_word(const struct line *l, const char *what, const char *const *words, int n)
{
	int k;

	bad_line_start(l);
	out_str(what);
	out_str(": want ");
	for (k = 0; k < n; k++) {
		out_str(k ? ", " : "");
		out_str(words[k]);
	}
	bad_line_end();
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
		if (l->n == 2 + OP_ARGS_MAX)
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

/* ------------------------------------------------------------------ */
/* The argument kinds (runner/plan/args.ts).                            */

/* A decimal from 0 to max. */
static uint64_t unsigned_arg(const struct line *l, int i, uint64_t max, const char *what)
{
	uint64_t v;

	if (!parse_num(l->tok[i], l->len[i], 0, &v))
		bad_arg(l, what, "bad number");
	if (v > max)
		bad_arg(l, what, "out of range");
	return v;
}

/* A decimal from -2^63 to 2^64-1 (a page number or byte offset, wrapping). */
static int64_t signed_arg(const struct line *l, int i, const char *what)
{
	uint64_t v;

	if (!parse_num(l->tok[i], l->len[i], 1, &v))
		bad_arg(l, what, "bad number");
	return (int64_t)v;
}

/* Three characters from `rwx` or `-`: PROT_* bits. */
static int prot_arg(const struct line *l, int i)
{
	static const struct { char c; int bit; } bits[3] = { { 'r', PROT_READ }, { 'w', PROT_WRITE }, { 'x', PROT_EXEC } };
	int k, prot = 0;

	if (l->len[i] != 3)
		bad_line(l, "bad prot");
	for (k = 0; k < 3; k++) {
		if (l->tok[i][k] == bits[k].c)
			prot |= bits[k].bit;
		else if (l->tok[i][k] != '-')
			bad_line(l, "bad prot");
	}
	return prot;
}

/* The index of token i in words. */
static int word_arg(const struct line *l, int i, const char *const *words, int n, const char *what)
{
	int k;

	for (k = 0; k < n; k++)
		if (tok_is(l, i, words[k]))
			return k;
	bad_word(l, what, words, n);
}

/* `-`, or a comma list of words: bit k for words[k]. */
static unsigned flags_arg(const struct line *l, int i, const char *const *words, int n, const char *what)
{
	const char *p = l->tok[i], *end = p + l->len[i];
	unsigned flags = 0;

	if (tok_is(l, i, "-"))
		return 0;
	for (;;) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		size_t len = c ? (size_t)(c - p) : (size_t)(end - p);
		int k;

		for (k = 0; k < n; k++)
			if (strlen(words[k]) == len && memcmp(p, words[k], len) == 0)
				break;
		if (k == n)
			bad_word(l, what, words, n);
		flags |= 1u << k;
		if (!c)
			return flags;
		p = c + 1;
	}
}

/* no → 0, yes → 1. */
static int bool_arg(const struct line *l, int i, const char *no, const char *yes, const char *what)
{
	const char *const words[2] = { no, yes };

	return word_arg(l, i, words, 2, what);
}

/* `-` (not set) or a number. */
static struct opt_u64 optional_arg(const struct line *l, int i)
{
	struct opt_u64 o = { 0, 0 };

	if (tok_is(l, i, "-"))
		return o;
	o.set = 1;
	o.v = unsigned_arg(l, i, UINT64_MAX, "page");
	return o;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * `null` or `hex:` + lower-case hex pairs. With pointers (`name` only), a bad
 * pointer instead (R2): `unmapped`, or `prot-none:` / `runs-off:` and the
 * name's bytes (not null), at most a page with their NUL.
 */
static struct name_arg name_arg(const struct line *l, int i, int pointers)
{
	struct name_arg a = { NULL, 0, 0, 0, NAME_POINTER_UNMAPPED };
	const char *t = l->tok[i];
	size_t k, n = l->len[i];
	int p;

	if (pointers && tok_is(l, i, name_pointer_words[NAME_POINTER_UNMAPPED])) {
		a.null = a.bad_pointer = 1;
		return a;
	}
	for (p = 0; pointers && p < NAME_POINTER_COUNT; p++) {
		size_t pn = strlen(name_pointer_words[p]);
		if (p != NAME_POINTER_UNMAPPED && n > pn && memcmp(t, name_pointer_words[p], pn) == 0 && t[pn] == ':') {
			a.bad_pointer = 1;
			a.pointer = (enum name_pointer)p;
			t += pn + 1;
			n -= pn + 1;
			break;
		}
	}
	if (n == 4 && memcmp(t, "null", 4) == 0) {
		if (a.bad_pointer)
			bad_line(l, "a bad name pointer needs the name's bytes, not null");
		a.null = 1;
		return a;
	}
	if (n < 4 || memcmp(t, "hex:", 4) != 0)
		bad_line(l, "bad name (want null or hex:...)");
	a.hex = t + 4;
	a.hex_len = n - 4;
	if (a.hex_len % 2 != 0)
		bad_line(l, "odd number of hex digits in name");
	if (a.hex_len / 2 > NAME_MAX_BYTES)
		bad_line(l, "name too long");
	if (a.bad_pointer && a.hex_len / 2 + 1 > 4096)
		bad_line(l, "name too long for a bad-pointer page");
	for (k = 0; k < a.hex_len; k++)
		if (hex_digit(a.hex[k]) < 0)
			bad_line(l, "bad hex digit in name");
	return a;
}

/* A comma list of one or more decimals from 0 to 255. */
static struct bytes_arg bytes_arg(const struct line *l, int i, const char *what)
{
	struct bytes_arg b = { l->tok[i], l->len[i], 0 };
	const char *p = b.s, *end = b.s + b.n;

	for (;;) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		size_t len = c ? (size_t)(c - p) : (size_t)(end - p);
		uint64_t v;

		if (!parse_num(p, len, 0, &v) || v > 255)
			bad_arg(l, what, "want a comma list of bytes 0-255");
		b.count++;
		if (!c)
			return b;
		p = c + 1;
	}
}

/* The byte at offset *pos of b's text; *pos moves to the next one, after the last back to the first. */
static unsigned char bytes_next(const struct bytes_arg *b, size_t *pos)
{
	const char *p = b->s + *pos, *end = b->s + b->n;
	unsigned v = 0;

	while (p < end && *p != ',')
		v = v * 10 + (unsigned)(*p++ - '0');
	*pos = p < end ? (size_t)(p + 1 - b->s) : 0;
	return (unsigned char)v;
}

/* Lower-case letters, digits, `_`, `-` (and `/` when slash): file names and sysctl keys. */
static int safe_text(const char *s, size_t n, int slash)
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

/* `zero`, or `<kind>:<base>` for the other backings, base `[a-z0-9_-]+` (its length: check_mapfd()). */
static struct backing_arg backing_arg(const struct line *l, int i)
{
	struct backing_arg b = { BACKING_ZERO, NULL, 0 };
	int k;

	if (tok_is(l, i, backing_words[BACKING_ZERO]))
		return b;
	for (k = 0; k < BACKING_COUNT; k++) {
		size_t p = strlen(backing_words[k]);
		if (k != BACKING_ZERO && l->len[i] > p + 1 && memcmp(l->tok[i], backing_words[k], p) == 0 && l->tok[i][p] == ':') {
			b.kind = (enum backing)k;
			b.base = l->tok[i] + p + 1;
			b.base_len = l->len[i] - p - 1;
			if (!safe_text(b.base, b.base_len, 0))
				bad_line(l, "bad backing file name (want [a-z0-9_-])");
			return b;
		}
	}
	bad_word(l, "backing (<kind>:<name>, or zero)", backing_words, BACKING_COUNT);
}

/* A path under /proc/sys: safe text, no `..` (its length: check_sysctl()). */
static struct text_arg sysctl_key_arg(const struct line *l, int i)
{
	struct text_arg t = { l->tok[i], l->len[i] };

	if (!safe_text(t.s, t.n, 1) || memmem(t.s, t.n, "..", 2) != NULL)
		bad_line(l, "bad sysctl key");
	return t;
}

/* A decimal (a leading `-` allowed), or `maps+<n>` / `maps-<n>`. */
static struct sysctl_value sysctl_value_arg(const struct line *l, int i)
{
	struct sysctl_value v = { 0, 0, 0 };
	const char *t = l->tok[i];
	size_t n = l->len[i];

	if (n > 5 && memcmp(t, "maps", 4) == 0 && (t[4] == '+' || t[4] == '-')) {
		v.maps = 1;
		v.neg = t[4] == '-';
		t += 5;
		n -= 5;
	} else if (n > 1 && t[0] == '-') {
		v.neg = 1;
		t++;
		n--;
	}
	if (!parse_num(t, n, 0, &v.n) || (v.neg && !v.maps && v.n > (uint64_t)1 << 63))
		bad_line(l, "bad number");
	return v;
}

#include "plan_ops.h"

/* ------------------------------------------------------------------ */
/* The plan.                                                            */

static char plan_text[PLAN_MAX + 1];
static struct op ops[OPS_MAX];
static size_t n_ops;
static uint64_t window_pages;

static void parse_op(const struct line *l, struct op *op)
{
	int k;

	memset(op, 0, sizeof(*op));
	if (l->n < 2)
		bad_line(l, "missing op");
	op->step = unsigned_arg(l, 0, UINT64_MAX, "step");
	for (k = 0; k < OP_COUNT; k++)
		if (tok_is(l, 1, op_ops[k].name))
			break;
	if (k == OP_COUNT)
		bad_line(l, "unknown op");
	if (l->n != 2 + op_ops[k].args)
		bad_line(l, "wrong number of arguments");
	op->kind = (enum op_kind)k;
	if (op_ops[k].parse)
		op_ops[k].parse(l, op);
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
		case OP_SYNC:
			/* child side: between fork and parent; parent side: between parent and wait */
			if (depth == 0 || (ops[stack[depth - 1]].parent_idx == SIZE_MAX) != (ops[i].u.sync.side == SYNC_SIDE_CHILD))
				broken("plan: sync outside its side of a fork block", "step", ops[i].step);
			break;
		default:
			break;
		}
	}
	if (depth != 0)
		broken("plan: fork block not closed", "step", ops[stack[depth - 1]].step);
}

static size_t read_plan_file(const char *path, char *buf, size_t cap)
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
	size_t n = read_plan_file(path, plan_text, PLAN_MAX);
	char *p = plan_text, *end = plan_text + n;
	struct line l;

	l.lineno = 0;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		l.lineno++;
		if (l.lineno == 1) {
			if (len != strlen(PLAN_MAGIC) || memcmp(p, PLAN_MAGIC, len) != 0)
				bad_line(&l, "not a " PLAN_MAGIC " file");
		} else if (l.lineno == 2) {
			split_line(&l, p, len);
			if (!(l.n == 2 && tok_is(&l, 0, "window")))
				bad_line(&l, "expected window <pages>");
			window_pages = unsigned_arg(&l, 1, (uint64_t)1 << 32, "window");
		} else {
			split_line(&l, p, len);
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

#endif /* VMASPEC_PLAN_PARSE_H */
