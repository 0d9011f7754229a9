/* ktap.h: KTAP v1 output for custom C probes (a case's `probe: probes/x.c`).
 *
 * Header-only and static, like the kernel's tools/testing/selftests/kselftest.h,
 * whose exit codes (KSFT_*) and call pattern it keeps:
 *
 *     ktap_print_header();
 *     ktap_set_plan(2);
 *     ktap_print_msg("maps line: %s", line);      // diagnostic, before its result
 *     ktap_test_result(ok, "name_shows");          // or ktap_test_pass/fail(...)
 *     ktap_test_skip("shmem_name", "needs %s", "CONFIG_SHMEM");
 *     ktap_finished();                             // exits KSFT_PASS or KSFT_FAIL
 *
 * The whole probe can give up with ktap_exit_skip("reason") (KSFT_SKIP, the
 * case is skipped with that reason) or ktap_exit_fail_msg("why") (`Bail out!`).
 *
 * Every line goes out with one write(2) on stdout, formatted on the stack:
 * no stdio buffer, no malloc, so the probe's address space holds only what
 * it maps itself, a fork() cannot print a line twice and a crash loses
 * nothing already reported. A trailing newline in a format is optional.
 * The host parses the output (runner/tap/); docs/protocol.md, `O` records.
 */
#ifndef VMASPEC_KTAP_H
#define VMASPEC_KTAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"

/* kselftest exit codes (tools/testing/selftests/kselftest.h). */
#define KSFT_PASS  0
#define KSFT_FAIL  1
#define KSFT_XFAIL 2
#define KSFT_XPASS 3
#define KSFT_SKIP  4

#define KTAP_LINE_MAX 1024

struct ktap_counts {
	unsigned int pass, fail, skip, xfail;
};

static struct ktap_counts ktap_cnt;
static unsigned int ktap_plan;

static inline unsigned int ktap_test_num(void)
{
	return ktap_cnt.pass + ktap_cnt.fail + ktap_cnt.skip + ktap_cnt.xfail;
}

/* One line: prefix, formatted text, optional " # directive" + formatted reason;
 * newlines inside the text become spaces so a record stays one line. */
static inline void ktap_vline(const char *prefix, const char *fmt, va_list ap)
{
	char line[KTAP_LINE_MAX];
	int saved = errno;
	size_t n = (size_t)snprintf(line, sizeof(line), "%s", prefix);
	int m;

	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	errno = saved; /* for %m */
	m = fmt ? vsnprintf(line + n, sizeof(line) - 1 - n, fmt, ap) : 0;
	if (m > 0)
		n += (size_t)m < sizeof(line) - 1 - n ? (size_t)m : sizeof(line) - 2 - n;
	while (n > 0 && line[n - 1] == '\n')
		n--;
	for (size_t i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';
	write_all(STDOUT_FILENO, line, n);
	errno = saved;
}

__attribute__((format(printf, 2, 3)))
static inline void ktap_line(const char *prefix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ktap_vline(prefix, fmt, ap);
	va_end(ap);
}

/* `KTAP version 1`: the first line of the output. */
static inline void ktap_print_header(void)
{
	ktap_line("", "KTAP version 1");
}

/* `1..n`: how many results follow. */
static inline void ktap_set_plan(unsigned int n)
{
	ktap_plan = n;
	ktap_line("", "1..%u", n);
}

/* `# text`: a diagnostic line; the host shows those printed before a failing result with it. */
__attribute__((format(printf, 1, 2)))
static inline void ktap_print_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ktap_vline("# ", fmt, ap);
	va_end(ap);
}

/* `# <msg>: <strerror(errno)> (<errno>)`. */
static inline void ktap_perror(const char *msg)
{
	int e = errno;

	ktap_print_msg("%s: %s (%d)", msg, strerror(e), e);
}

static inline void ktap_result(const char *verdict, const char *fmt, va_list ap)
{
	char prefix[32];

	snprintf(prefix, sizeof(prefix), "%s %u ", verdict, ktap_test_num());
	ktap_vline(prefix, fmt, ap);
}

/* `ok N <name>`. */
__attribute__((format(printf, 1, 2)))
static inline void ktap_test_pass(const char *fmt, ...)
{
	va_list ap;

	ktap_cnt.pass++;
	va_start(ap, fmt);
	ktap_result("ok", fmt, ap);
	va_end(ap);
}

/* `not ok N <name>`. */
__attribute__((format(printf, 1, 2)))
static inline void ktap_test_fail(const char *fmt, ...)
{
	va_list ap;

	ktap_cnt.fail++;
	va_start(ap, fmt);
	ktap_result("not ok", fmt, ap);
	va_end(ap);
}

/* `ok N <name> # SKIP <reason>`. */
__attribute__((format(printf, 2, 3)))
static inline void ktap_test_skip(const char *name, const char *fmt, ...)
{
	char prefix[KTAP_LINE_MAX];
	va_list ap;

	ktap_cnt.skip++;
	snprintf(prefix, sizeof(prefix), "ok %u %s # SKIP ", ktap_test_num(), name);
	va_start(ap, fmt);
	ktap_vline(prefix, fmt, ap);
	va_end(ap);
}

/* `ok N <name> # XFAIL <reason>`: a known failure, counted as expected. */
__attribute__((format(printf, 2, 3)))
static inline void ktap_test_xfail(const char *name, const char *fmt, ...)
{
	char prefix[KTAP_LINE_MAX];
	va_list ap;

	ktap_cnt.xfail++;
	snprintf(prefix, sizeof(prefix), "ok %u %s # XFAIL ", ktap_test_num(), name);
	va_start(ap, fmt);
	ktap_vline(prefix, fmt, ap);
	va_end(ap);
}

/* ok or not ok by the condition. */
#define ktap_test_result(cond, ...)            \
	do {                                   \
		if (cond)                      \
			ktap_test_pass(__VA_ARGS__); \
		else                           \
			ktap_test_fail(__VA_ARGS__); \
	} while (0)

/* `# Totals: …` (and the plan mismatch, if any), as kselftest prints them. */
static inline void ktap_print_cnts(void)
{
	if (ktap_plan != ktap_test_num())
		ktap_print_msg("Planned tests != run tests (%u != %u)", ktap_plan, ktap_test_num());
	ktap_print_msg("Totals: pass:%u fail:%u xfail:%u xpass:0 skip:%u error:0",
		       ktap_cnt.pass, ktap_cnt.fail, ktap_cnt.xfail, ktap_cnt.skip);
}

/* Exits KSFT_PASS when every planned test passed, was skipped or xfailed; else KSFT_FAIL. */
__attribute__((noreturn))
static inline void ktap_finished(void)
{
	ktap_print_cnts();
	exit(ktap_plan == ktap_cnt.pass + ktap_cnt.skip + ktap_cnt.xfail && ktap_cnt.fail == 0 ? KSFT_PASS : KSFT_FAIL);
}

/* Skips the whole probe: `1..0 # SKIP <reason>` before any result, else
 * `ok N # SKIP <reason>`; exits KSFT_SKIP (the case is skipped with the reason). */
__attribute__((noreturn, format(printf, 1, 2)))
static inline void ktap_exit_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (ktap_plan || ktap_test_num()) {
		char prefix[32];

		ktap_cnt.skip++;
		snprintf(prefix, sizeof(prefix), "ok %u # SKIP ", ktap_test_num());
		ktap_vline(prefix, fmt, ap);
	} else {
		ktap_vline("1..0 # SKIP ", fmt, ap);
	}
	va_end(ap);
	exit(KSFT_SKIP);
}

/* Gives up: `Bail out! <reason>`, exits KSFT_FAIL. */
__attribute__((noreturn, format(printf, 1, 2)))
static inline void ktap_exit_fail_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ktap_vline("Bail out! ", fmt, ap);
	va_end(ap);
	ktap_print_cnts();
	exit(KSFT_FAIL);
}

#endif
