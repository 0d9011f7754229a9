/* probewin.h: a window for custom C probes, like vmaprobe's: a PROT_NONE
 * reserve named `vmaspec:window` at 0x200000000000 with a guard page on each
 * side, so case mappings (MAP_FIXED at window pages) never merge with
 * anything else; the window's layout as one comparable line; byte reads that
 * survive a fault; smaps fields of the VMA holding a page.
 *
 *	pw_reserve();                        // window pages 0 .. PW_PAGES-1
 *	pw_map(2, 3, PROT_READ | PROT_WRITE, 0);
 *	pw_expect("named", pw_layout(), "2+3 rw-p [anon:a]");
 *	pw_release();                        // unmaps the window, guards included
 *
 * Header-only and static, for probes that include ktap.h and procmaps.h
 * first. One probe process at a time owns the window (a forked child shares it).
 */
#ifndef VMASPEC_PROBEWIN_H
#define VMASPEC_PROBEWIN_H

#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

#define PW_BASE 0x200000000000UL /* the guard page -1; page 0 follows it */
#define PW_PAGES 32
#define PW_RESERVE_NAME "[anon:vmaspec:window]"

static unsigned long pw_page;

/* Address of window page n (-1 and PW_PAGES are the guard pages). */
static inline unsigned long pw_addr(long n) { return PW_BASE + (unsigned long)(n + 1) * pw_page; }

/* Window page of an address (may be outside 0 .. PW_PAGES-1). */
static inline long pw_at(unsigned long a) { return ((long)a - (long)pw_addr(0)) / (long)pw_page; }

static inline long pw_prctl_name(unsigned long start, unsigned long len, const char *name)
{
	return syscall(SYS_prctl, PR_SET_VMA, PR_SET_VMA_ANON_NAME, start, len, name);
}

/* 0, or the errno of naming window pages [at, at+pages). */
static inline int pw_name(long at, long pages, const char *name)
{
	return pw_prctl_name(pw_addr(at), (unsigned long)pages * pw_page, name) == 0 ? 0 : errno;
}

static inline void pw_reserve(void)
{
	unsigned long len;

	pw_page = (unsigned long)sysconf(_SC_PAGESIZE);
	len = (PW_PAGES + 2) * pw_page;
	if (syscall(SYS_mmap, PW_BASE, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) !=
	    (long)PW_BASE)
		ktap_exit_fail_msg("window reserve: %s", strerror(errno));
	if (pw_prctl_name(PW_BASE, len, "vmaspec:window") != 0)
		ktap_exit_fail_msg("naming the window reserve: %s", strerror(errno));
}

static inline void pw_release(void) { syscall(SYS_munmap, PW_BASE, (PW_PAGES + 2) * pw_page); }

/* MAP_FIXED anonymous mapping of window pages; flags: MAP_SHARED or 0 (private), plus others. */
static inline void pw_map(long at, long pages, int prot, int flags)
{
	int type = flags & MAP_SHARED ? 0 : MAP_PRIVATE;

	if (syscall(SYS_mmap, pw_addr(at), (unsigned long)pages * pw_page, prot, type | MAP_ANONYMOUS | MAP_FIXED | flags,
		    -1, 0) != (long)pw_addr(at))
		ktap_exit_fail_msg("mmap of window page %ld: %s", at, strerror(errno));
}

/* 0, or the errno of mremap(page at, pages, new_pages, flags, page to); a success elsewhere than `to` bails out. */
static inline int pw_mremap(long at, long pages, long new_pages, int flags, long to)
{
	long r = syscall(SYS_mremap, pw_addr(at), (unsigned long)pages * pw_page, (unsigned long)new_pages * pw_page, flags,
			 (flags & 2 /* MREMAP_FIXED */) ? pw_addr(to) : 0UL);

	if (r == -1)
		return errno;
	if ((unsigned long)r != pw_addr(flags & 2 ? to : at))
		ktap_exit_fail_msg("mremap landed at %#lx", (unsigned long)r);
	return 0;
}

#define PW_TEXT 4096

/* The next of eight result buffers: a few results may be used in one expression. */
static inline char *pw_ring(void)
{
	static char ring[8][PW_TEXT];
	static unsigned int next;

	return ring[next++ % 8];
}

/*
 * The window's VMAs, the reserve's pieces left out, as `<at>+<pages> <perms>[ <name>]`
 * joined by `, ` (e.g. `2+1 rw-p [anon:a], 4+1 rw-p`); printed as a diagnostic with
 * the maps lines.
 */
static inline const char *pw_layout(void)
{
	struct procmaps_vma v;
	char *text = pw_ring();
	size_t n = 0;

	text[0] = '\0';
	if (procmaps_read() != 0)
		ktap_exit_fail_msg("reading /proc/self/maps: %s", strerror(errno));
	for (char *c = NULL; procmaps_next(&c, &v);) {
		/* the name column starts at byte 73 (kernel-behaviour.md F2); unnamed lines are shorter */
		const char *perms = strchr(v.line, ' ') + 1, *name = strlen(v.line) > 73 ? v.line + 73 : "";

		if (v.end <= PW_BASE || v.start >= PW_BASE + (PW_PAGES + 2) * pw_page)
			continue;
		ktap_print_msg("maps: %s", v.line);
		if (strncmp(perms, "---p", 4) == 0 && strcmp(name, PW_RESERVE_NAME) == 0)
			continue;
		n += (size_t)snprintf(text + n, PW_TEXT - n, "%s%ld+%ld %.4s%s%s", n ? ", " : "", pw_at(v.start),
				      (long)((v.end - v.start) / pw_page), perms, *name ? " " : "", name);
		if (n >= PW_TEXT)
			ktap_exit_fail_msg("layout too long");
	}
	return text;
}

/* A test named `test` that passes when got equals want; both are printed when they differ. */
static inline void pw_expect(const char *test, const char *got, const char *want)
{
	int ok = strcmp(got, want) == 0;

	if (!ok)
		ktap_print_msg("%s: got \"%s\", expected \"%s\"", test, got, want);
	ktap_test_result(ok, "%s", test);
}

/* Reads that survive SIGSEGV/SIGBUS. */
static sigjmp_buf pw_jmp;
static volatile sig_atomic_t pw_armed;

static inline void pw_on_fault(int sig)
{
	if (pw_armed)
		siglongjmp(pw_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The byte at a, or -1 when reading it faults. */
static inline int pw_peek(unsigned long a)
{
	static int installed;
	int v;

	if (!installed) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = pw_on_fault;
		sigaction(SIGSEGV, &sa, NULL);
		sigaction(SIGBUS, &sa, NULL);
		installed = 1;
	}
	if (sigsetjmp(pw_jmp, 1)) {
		pw_armed = 0;
		return -1;
	}
	pw_armed = 1;
	v = *(volatile unsigned char *)a;
	pw_armed = 0;
	return v;
}

/* The first byte of each of window pages [at, at+pages), space-separated (`-1`: the read faulted). */
static inline const char *pw_bytes(long at, long pages)
{
	char *text = pw_ring();
	size_t n = 0;

	text[0] = '\0';
	for (long i = 0; i < pages && n < PW_TEXT - 8; i++)
		n += (size_t)snprintf(text + n, PW_TEXT - n, "%s%d", i ? " " : "", pw_peek(pw_addr(at + i)));
	return text;
}

/* Writes base, base+1, … into the first byte of window pages [at, at+pages). */
static inline void pw_stamp(long at, long pages, int base)
{
	for (long i = 0; i < pages; i++)
		*(volatile unsigned char *)pw_addr(at + i) = (unsigned char)(base + i);
}

static char pw_smaps_buf[1 << 17];

/*
 * The value of smaps field `field` (e.g. "Rss", "VmFlags") of the VMA holding address a,
 * as printed after the colon without leading spaces (`8 kB`, `rd wr mr mw me ac `);
 * "" when the VMA or the field is absent.
 */
static inline const char *pw_smaps_at(unsigned long a, const char *field)
{
	int fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC), in = 0;
	size_t len = 0, k = strlen(field);
	ssize_t r;
	char *p, *nl, *text = pw_ring();

	text[0] = '\0';
	if (fd < 0)
		ktap_exit_fail_msg("open /proc/self/smaps: %s", strerror(errno));
	while ((r = read(fd, pw_smaps_buf + len, sizeof(pw_smaps_buf) - 1 - len)) > 0)
		len += (size_t)r;
	close(fd);
	pw_smaps_buf[len] = '\0';
	for (p = pw_smaps_buf; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		char *dash = strchr(p, '-'), *sp = strchr(p, ' ');

		if (dash && sp && dash < sp && sp < nl) { /* a header line: start-end perms … */
			unsigned long s = strtoul(p, NULL, 16), e = strtoul(dash + 1, NULL, 16);

			in = s <= a && a < e;
			continue;
		}
		if (in && strncmp(p, field, k) == 0 && p[k] == ':') {
			char *v = p + k + 1;

			while (*v == ' ')
				v++;
			snprintf(text, PW_TEXT, "%.*s", (int)(nl - v), v);
			break;
		}
	}
	return text;
}

/* smaps field of the VMA holding window page at. */
static inline const char *pw_smaps(long at, const char *field) { return pw_smaps_at(pw_addr(at), field); }

/* 1 when the running kernel's version is at least major.minor. */
static inline int pw_kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		ktap_exit_fail_msg("uname: cannot read the kernel version");
	return ma > major || (ma == major && mi >= minor);
}

#endif
