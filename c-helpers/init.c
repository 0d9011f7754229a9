/*
 * init — the vmaspec supervisor, PID 1 of the guest.
 *
 * Mounts /proc, /sys, /dev and a tmpfs on /tmp, opens the result channel
 * (the node VMASPEC_RESULTS names: a virtio console, /dev/hvc0, or the second
 * UART, /dev/ttyS1; raw mode) and parks: it says so and waits for
 * the host's `g` (the host may save the VM meanwhile: a snapshot that later
 * runs restore instead of booting). Then it unpacks the run's payload from
 * QEMU's fw_cfg (or, after `p`/`w`, from the channel) into /, reseeds the kernel's
 * RNG, and runs every case of /vmaspec/manifest: one
 * /bin/vmaprobe per case, in its own session, with its stdout on a pipe
 * whose lines are forwarded verbatim to the channel between `T … begin`
 * and `T … end` records. A case with a custom probe (manifest `exec`) runs
 * that binary instead, stdout and stderr on the pipe, and each of its lines
 * is forwarded as an `O <line>` record. A case that outlives its timeout is
 * killed; one that does not die then either (stuck in the kernel) ends as
 * `hung`. Around each case it writes `vmaspec: case <i> begin` / `end` to
 * /dev/kmsg (so they also mark the console) and forwards the kernel log
 * records of the case as `K` records. After the last case it writes `D` and
 * ends the VM; after a warm-up (`w`) it clears the payload and parks again.
 *
 * The park, the payload, the manifest and the result stream are the
 * contract in docs/protocol.md; keep this file and that page in step.
 *
 * PID 1 must never return or exit (the kernel panics): every path ends in
 * power_off().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fwcfg.h"
#include "io.h"
#include "newc.h"

/* The result channel when the kernel command line names none (VMASPEC_RESULTS=, runner/qemu/argv.ts). */
#define CHANNEL_DEFAULT "/dev/ttyS1"
#define MANIFEST "/vmaspec/manifest"
#define PAYLOAD "opt/vmaspec/payload" /* the run's fw_cfg file: a newc archive */
#define SEED "/vmaspec/seed"           /* in the payload: bytes for the kernel's RNG */
#ifndef RNDRESEEDCRNG
#define RNDRESEEDCRNG _IO('R', 0x07)
#endif
#define PROBE "/bin/vmaprobe"

#define MANIFEST_MAX (1u << 20)
#define FWD_BUF 65536          /* partial-line buffer for forwarding */
#define DRAIN_MS 2000          /* after a kill, how long to wait for EOF */
#define KILL_WAIT_MS 2000      /* after a kill, how long to wait for the probe to die */
#define KMSG_RECORD_MAX 8192   /* a /dev/kmsg read must fit one whole record */
#define KMSG_CASE_MAX 4000     /* K records per case at most; the rest are counted */
/* Capability numbers (linux/capability.h; musl has no kernel headers). */
#define CAP_SYS_RAWIO 17
#define CAP_SYS_PTRACE 19
#define CAP_MKNOD 27
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434     /* the same number on every architecture */
#endif

static int channel = -1;       /* /dev/ttyS1 */
static int verbose;            /* vmaspec.verbose=1: echo records to the console */

/* ------------------------------------------------------------------ */
/* Output.                                                              */

/* Bytes for the channel (and the console when verbose). */
static void emit(const char *p, size_t n)
{
	write_all(channel, p, n);
	if (verbose)
		write_all(STDOUT_FILENO, p, n);
}

/* Formats one line (newline added, truncated to fit) into buf; returns its length. */
static size_t format_line(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, size - 1, fmt, ap);

	if (n < 0)
		return 0;
	if ((size_t)n > size - 2)
		n = (int)size - 2;
	buf[n++] = '\n';
	return (size_t)n;
}

/* One record: formatted, then written with a single write(). */
__attribute__((format(printf, 1, 2)))
static void record(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = format_line(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		emit(line, n);
}

/* A message for the kernel console (stderr is /dev/console). */
__attribute__((format(printf, 1, 2)))
static void console(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = format_line(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		write_all(STDERR_FILENO, line, n);
}

/* ------------------------------------------------------------------ */
/* Ending the VM.                                                       */

/*
 * The kernel is booted with `reboot=t` and QEMU runs with `-no-reboot`, so
 * a reboot makes QEMU exit at once (no firmware reset, no ACPI needed).
 * Power-off is the fallback. PID 1 must not return, so we park forever if
 * both fail.
 */
__attribute__((noreturn))
static void power_off(void)
{
	sync();
	reboot(RB_AUTOBOOT);
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

/* ------------------------------------------------------------------ */
/* Setup.                                                               */

static void mount_fs(const char *src, const char *dir, const char *type)
{
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		console("init: mkdir %s: %s", dir, strerror(errno));
	if (mount(src, dir, type, MS_NOSUID | MS_NOEXEC, NULL) != 0 && errno != EBUSY)
		console("init: mount %s on %s: %s", type, dir, strerror(errno));
}

/*
 * The kernel gives PID 1 /dev/console as fds 0-2 when the initramfs has the
 * node. Without it they are closed; open the console from devtmpfs then, so
 * that pipes never land on 0-2.
 */
static void ensure_std_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1)
			continue;
		int c = open("/dev/console", O_RDWR | O_NOCTTY);
		if (c < 0)
			c = open("/dev/null", O_RDWR);
		if (c >= 0 && c != fd) {
			dup2(c, fd);
			close(c);
		}
	}
}

/* Read a whole small file into buf (NUL-terminated); -1 on error. */
static ssize_t read_small_file(const char *path, char *buf, size_t cap)
{
	size_t have = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (have < cap - 1) {
		ssize_t r = read(fd, buf + have, cap - 1 - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		have += (size_t)r;
	}
	close(fd);
	buf[have] = '\0';
	return (ssize_t)have;
}

static int cmdline_has(const char *word)
{
	static char cmdline[4096];
	size_t n = strlen(word);
	const char *p = cmdline;

	if (read_small_file("/proc/cmdline", cmdline, sizeof(cmdline)) < 0)
		return 0;
	while ((p = strstr(p, word)) != NULL) {
		int starts = p == cmdline || p[-1] == ' ';
		int ends = p[n] == '\0' || p[n] == ' ' || p[n] == '\n';
		if (starts && ends)
			return 1;
		p += n;
	}
	return 0;
}

/* The result channel's node: VMASPEC_RESULTS from the kernel command line, else CHANNEL_DEFAULT. */
static const char *channel_dev = CHANNEL_DEFAULT;

/*
 * The result channel: raw, 8N1, no flow control, CLOCAL so neither open
 * nor write waits for a carrier. Opened non-blocking, then switched back.
 */
static int open_channel(void)
{
	struct termios t;
	const char *named = getenv("VMASPEC_RESULTS");
	int fd;

	if (named && strncmp(named, "/dev/", 5) == 0)
		channel_dev = named;
	fd = open(channel_dev, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	/* The node exists even without the UART; then tcgetattr gives EIO. */
	if (tcgetattr(fd, &t) != 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	t.c_cflag &= ~(tcflag_t)CRTSCTS;
	cfsetispeed(&t, B115200);
	cfsetospeed(&t, B115200);
	if (tcsetattr(fd, TCSANOW, &t) != 0)
		console("init: tcsetattr %s: %s", channel_dev, strerror(errno));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/* ------------------------------------------------------------------ */
/* Cases.                                                               */

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/*
 * The time the CPU has been idle since boot, in µs: /proc/uptime's second
 * figure (hundredths of a second); 0 when unreadable. A case's share of it
 * tells the host that the case mostly waits (docs/protocol.md, `T … end`).
 */
static uint64_t idle_us(void)
{
	char buf[64];
	unsigned long long s, cs;

	if (read_small_file("/proc/uptime", buf, sizeof(buf)) <= 0 ||
	    sscanf(buf, "%*s %llu.%2llu", &s, &cs) != 2)
		return 0;
	return (uint64_t)s * 1000000u + (uint64_t)cs * 10000u;
}

/* /proc/sys/kernel/tainted as text, without the newline. */
static const char *taint(void)
{
	static char buf[32];
	ssize_t n = read_small_file("/proc/sys/kernel/tainted", buf, sizeof(buf));

	if (n <= 0)
		return "0";
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/*
 * Forwarding: complete lines go to the channel verbatim. A line longer than
 * the buffer goes out in pieces; nothing else writes to the channel in
 * between, so it stays one line.
 */
/*
 * Repeats (docs/protocol.md, "Repeats"): an observation record (REPEAT_LETTERS) whose text
 * after the step was already sent in this case goes as `= <step> <id>` when that is shorter, and
 * a run of them with the same step and ids one after another as `= <step> <id> <count>`;
 * every such record sent whole (text of at most REPEAT_MAX_TEXT bytes, the first REPEAT_MAX_IDS
 * of the case) gets the next id. The host (runner/results/repeats.ts) numbers them the same way.
 * The channel is the guest's bottleneck (every byte a UART write under TCG).
 */
#define REPEAT_LETTERS "AUQLPM"
#define REPEAT_MAX_TEXT 240
#define REPEAT_MAX_IDS 8192
#define REPEAT_SLOTS (REPEAT_MAX_IDS * 2)

static char rep_arena[REPEAT_MAX_IDS * (REPEAT_MAX_TEXT + 1)];
static struct { uint32_t off; uint16_t len; } rep_entry[REPEAT_MAX_IDS];
static int rep_slot[REPEAT_SLOTS]; /* id + 1; 0: empty */
static int rep_ids;
static uint32_t rep_used;

/* A new case: no line sent yet. */
static void repeats_reset(void)
{
	memset(rep_slot, 0, sizeof(rep_slot));
	rep_ids = 0;
	rep_used = 0;
}

/* The id of key (letter, space, text), registering it when new; -2 new and registered, -1 new and not kept. */
static int repeat_id(const char *key, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 16777619u;
	for (i = h & (REPEAT_SLOTS - 1);; i = (i + 1) & (REPEAT_SLOTS - 1)) {
		int id = rep_slot[i] - 1;

		if (id < 0)
			break;
		if (rep_entry[id].len == len && memcmp(rep_arena + rep_entry[id].off, key, len) == 0)
			return id;
	}
	if (rep_ids >= REPEAT_MAX_IDS)
		return -1;
	memcpy(rep_arena + rep_used, key, len);
	rep_entry[rep_ids].off = rep_used;
	rep_entry[rep_ids].len = (uint16_t)len;
	rep_used += (uint32_t)len;
	rep_slot[i] = ++rep_ids;
	return -2;
}

static char rep_out[FWD_BUF];
static size_t rep_o;
static const char *run_step; /* the step of the run of repeats not yet written, and its length */
static int run_step_len, run_id, run_count;

/* Writes the pending run of repeats into rep_out. */
static void flush_run(void)
{
	if (run_count == 1)
		rep_o += (size_t)snprintf(rep_out + rep_o, sizeof(rep_out) - rep_o, "= %.*s %d\n", run_step_len, run_step, run_id);
	else if (run_count > 1)
		rep_o += (size_t)snprintf(rep_out + rep_o, sizeof(rep_out) - rep_o, "= %.*s %d %d\n", run_step_len, run_step, run_id, run_count);
	run_count = 0;
}

/* Complete lines of the probe's records, each sent whole or as a repeat; `cont`: the first continues a line already sent. */
static void emit_records(const char *p, size_t n, int cont)
{
	char *out = rep_out;

	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t len = (size_t)(nl - p) + 1; /* callers give complete lines */
		const char *step = p + 2, *text = NULL;
		char key[REPEAT_MAX_TEXT + 2], ref[32];
		int id = -1, r = 0;

		if (!cont && len > 2 && p[0] != 0 && strchr(REPEAT_LETTERS, p[0]) && p[1] == ' ') {
			text = memchr(step, ' ', len - 2);
			if (text && text > step && (size_t)(nl - text - 1) <= REPEAT_MAX_TEXT) {
				size_t tlen = (size_t)(nl - text - 1);

				key[0] = p[0];
				key[1] = ' ';
				memcpy(key + 2, text + 1, tlen);
				id = repeat_id(key, tlen + 2);
				if (id >= 0)
					r = snprintf(ref, sizeof(ref), "= %.*s %d\n", (int)(text - step), step, id);
			}
		}
		if (id >= 0 && r > 0 && (size_t)r < len) {
			int slen = (int)(text - step);

			if (run_count > 0 && slen == run_step_len && memcmp(step, run_step, (size_t)slen) == 0 && id == run_id + run_count) {
				run_count++;
			} else {
				flush_run();
				run_step = step;
				run_step_len = slen;
				run_id = id;
				run_count = 1;
			}
		} else {
			flush_run();
			memcpy(out + rep_o, p, len);
			rep_o += len;
		}
		cont = 0;
		p += len;
		n -= len;
	}
	flush_run();
	emit(out, rep_o);
	rep_o = 0;
}

static char fwd[FWD_BUF];
static size_t fwd_len;
static int fwd_mid_line;      /* part of the current line already sent */
static const char *fwd_prefix; /* "O " for a custom probe's lines, NULL for vmaprobe's records */

/* A piece of a line; the prefix goes before the first piece only. */
static void emit_piece(const char *p, size_t n)
{
	if (fwd_prefix && !fwd_mid_line)
		emit(fwd_prefix, strlen(fwd_prefix));
	emit(p, n);
}

static void forward(const char *p, size_t n)
{
	while (n > 0) {
		size_t take = n < sizeof(fwd) - fwd_len ? n : sizeof(fwd) - fwd_len;
		char *nl;

		memcpy(fwd + fwd_len, p, take);
		fwd_len += take;
		p += take;
		n -= take;
		if (fwd_prefix) {
			/* Line by line: each line gets its prefix. */
			size_t done = 0;

			while ((nl = memchr(fwd + done, '\n', fwd_len - done)) != NULL) {
				size_t len = (size_t)(nl - (fwd + done)) + 1;
				emit_piece(fwd + done, len);
				fwd_mid_line = 0;
				done += len;
			}
			memmove(fwd, fwd + done, fwd_len - done);
			fwd_len -= done;
		} else {
			nl = memrchr(fwd, '\n', fwd_len);
			if (nl) {
				size_t upto = (size_t)(nl - fwd) + 1;
				emit_records(fwd, upto, fwd_mid_line);
				memmove(fwd, fwd + upto, fwd_len - upto);
				fwd_len -= upto;
				fwd_mid_line = 0;
			}
		}
		if (fwd_len == sizeof(fwd)) {
			emit_piece(fwd, fwd_len);
			fwd_len = 0;
			fwd_mid_line = 1;
		}
	}
}

/* At EOF: a cut-off last line is still ended, so `T … end` starts a line. */
static void forward_finish(void)
{
	if (fwd_len > 0 || fwd_mid_line) {
		fwd[fwd_len++] = '\n';
		emit_piece(fwd, fwd_len);
	}
	fwd_len = 0;
	fwd_mid_line = 0;
}

static int ms_until(uint64_t deadline_us)
{
	uint64_t now = now_us();
	uint64_t ms;

	if (now >= deadline_us)
		return 0;
	ms = (deadline_us - now + 999) / 1000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/*
 * SIGCHLD stays blocked in the supervisor, and it sleeps in sigtimedwait()
 * until a child changes state (or a deadline) instead of polling: without
 * high-resolution timers a 1 ms nanosleep is a whole tick (4 ms at HZ=250).
 * (The probe's EOF comes before it is a zombie, but on one vCPU without
 * preemption it is one by the time init runs: measured, no faster suite.)
 * Probes get the signal mask init started with.
 */
static sigset_t chld_set, probe_mask;

static void on_sigchld(int sig)
{
	(void)sig; /* never runs (blocked); a handler, not SIG_IGN, which would reap the children itself */
}

static void block_sigchld(void)
{
	struct sigaction sa = { .sa_handler = on_sigchld };

	sigemptyset(&chld_set);
	sigaddset(&chld_set, SIGCHLD);
	sigaction(SIGCHLD, &sa, NULL);
	sigprocmask(SIG_BLOCK, &chld_set, &probe_mask);
}

/* Sleeps until a SIGCHLD or the deadline: 0 when the deadline has passed. */
static int await_child(uint64_t deadline_us)
{
	int left = ms_until(deadline_us);
	struct timespec ts;

	if (left == 0)
		return 0;
	ts.tv_sec = left / 1000;
	ts.tv_nsec = (long)(left % 1000) * 1000000L;
	sigtimedwait(&chld_set, NULL, &ts);
	return 1;
}

/*
 * Ends every process of the case: the probe is gone, and so must be whatever
 * it left behind (children that left its process group or session, orphans
 * that sleep or spin), before the next case starts. PID 1's kill(-1) reaches
 * every process but itself; orphans are reparented to PID 1, so reaping until
 * ECHILD proves they are all gone. Returns -1 when one did not die by the
 * deadline (stuck in the kernel).
 */
static int kill_leftovers(uint64_t deadline_us)
{
	kill(-1, SIGKILL);
	for (;;) {
		pid_t r = waitpid(-1, NULL, WNOHANG);

		if (r > 0)
			continue;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return 0; /* ECHILD: nothing of the case is left */
		if (!await_child(deadline_us))
			return -1;
	}
}

enum pump_end { PUMP_EOF, PUMP_EXITED, PUMP_DEADLINE };

/*
 * Forward the probe's output until EOF, the probe's exit (its pidfd turns
 * readable; -1 when there is none) or the deadline.
 */
static enum pump_end pump(int fd, int pidfd, uint64_t deadline_us)
{
	static char buf[16384];

	for (;;) {
		struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
		int left = ms_until(deadline_us);
		int r;

		if (left == 0)
			return PUMP_DEADLINE;
		r = poll(pfd, pidfd >= 0 ? 2 : 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			console("init: poll: %s", strerror(errno));
			return PUMP_DEADLINE;
		}
		if (r == 0)
			continue; /* ms_until() decides */
		if (pfd[0].revents) {
			ssize_t n = read(fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return PUMP_EOF;
			forward(buf, (size_t)n);
			continue; /* what the probe wrote before it exited comes first */
		}
		if (pidfd >= 0 && pfd[1].revents)
			return PUMP_EXITED;
	}
}

/*
 * The result channel belongs to the supervisor alone. Its node is gone
 * (unlinked once open), PID 1 is not dumpable (so /proc/1/fd needs
 * CAP_SYS_PTRACE), and a probe runs without the capabilities that would
 * reach the UART anyway: CAP_SYS_RAWIO (ioperm on its ports), CAP_MKNOD
 * (a new node), CAP_SYS_PTRACE (PID 1's fds). Probes keep the rest of root:
 * cases write sysctls, mount (upstream selftests), inject faults.
 */
static void seal_channel(void)
{
	static const int caps[] = { CAP_SYS_RAWIO, CAP_MKNOD, CAP_SYS_PTRACE };
	size_t i;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		prctl(PR_CAPBSET_DROP, caps[i], 0, 0, 0);
}

/*
 * The child side: a new session, stdout on the pipe, exec the probe:
 * vmaprobe with the plan, or (binary != NULL) a custom probe with stdout
 * and stderr on the pipe and stdin on /dev/null.
 */
__attribute__((noreturn))
static void exec_probe(int out_fd, const char *plan, const char *binary)
{
	char *argv[] = { "vmaprobe", (char *)plan, NULL };
	char *custom_argv[] = { (char *)binary, NULL };
	char msg[64];
	int n;

	setsid();
	if (out_fd != STDOUT_FILENO) {
		dup2(out_fd, STDOUT_FILENO);
		if (binary)
			dup2(out_fd, STDERR_FILENO);
		close(out_fd);
	}
	if (binary) {
		int null = open("/dev/null", O_RDONLY);
		if (null >= 0 && null != STDIN_FILENO) {
			dup2(null, STDIN_FILENO);
			close(null);
		}
	}
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, &probe_mask, NULL);
	seal_channel();
	if (binary)
		execv(binary, custom_argv);
	else
		execv(PROBE, argv);
	n = snprintf(msg, sizeof(msg), "B exec failed: %d\n", errno);
	write_all(STDOUT_FILENO, msg, (size_t)n);
	_exit(127);
}

/* Wait for the probe until the deadline; 0 when reaped, -1 on timeout. */
static int wait_until(pid_t pid, int *status, uint64_t deadline_us)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return 0; /* cannot happen: it is our child */
		if (!await_child(deadline_us))
			return -1;
	}
}

static void kill_case(pid_t pid)
{
	kill(-pid, SIGKILL); /* its session's process group: forked children too */
	kill(pid, SIGKILL);
}

/* ------------------------------------------------------------------ */
/* Kernel log.                                                          */

/* A line for the kernel log (and so the console), at KERN_NOTICE. */
static void kmsg_mark(const char *index, const char *what)
{
	char line[64];
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	int n;

	if (fd < 0)
		return;
	n = snprintf(line, sizeof(line), "<5>vmaspec: case %s %s\n", index, what);
	if (n > 0)
		write_all(fd, line, (size_t)n);
	close(fd);
}

/* A reader positioned after the last record now; -1 without /dev/kmsg. */
static int kmsg_open_end(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Forwards the records the kernel logged since kmsg_open_end() as
 * `K <seq> <level> <usec> <text>`: the text as /dev/kmsg gives it (the kernel
 * escapes `\`, control and non-ASCII bytes as `\xNN`); continuation lines
 * (` KEY=value`) are dropped. `K overrun` when records were overwritten
 * before they could be read (EPIPE), `K dropped <n>` past KMSG_CASE_MAX.
 */
static void kmsg_forward(int fd)
{
	static char buf[KMSG_RECORD_MAX];
	static char line[KMSG_RECORD_MAX + 64];
	unsigned long sent = 0, dropped = 0;

	if (fd < 0)
		return;
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf) - 1);
		unsigned long prio, seq;
		unsigned long long usec;
		char *text, *end;
		int n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EPIPE) {
			record("K overrun");
			continue;
		}
		if (r <= 0)
			break;
		buf[r] = '\0';
		text = strchr(buf, ';');
		if (!text || sscanf(buf, "%lu,%lu,%llu", &prio, &seq, &usec) != 3)
			continue;
		text++;
		end = strchr(text, '\n');
		if (end)
			*end = '\0';
		if (sent >= KMSG_CASE_MAX) {
			dropped++;
			continue;
		}
		n = snprintf(line, sizeof(line), "K %lu %lu %llu %s\n", seq, prio & 7, usec, text);
		if (n > 0)
			emit(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
		sent++;
	}
	if (dropped)
		record("K dropped %lu", dropped);
	close(fd);
}

/* The case's end: written, then drained to the host before anything else happens (a later panic must not take it along). */
static void end_record(const char *index, const char *end_status, uint64_t duration, uint64_t idle)
{
	record("T %s end %s %s %llu %llu", index, end_status, taint(), (unsigned long long)duration, (unsigned long long)idle);
	tcdrain(channel);
}

/*
 * One case: vmaprobe on the plan, or the custom probe `binary` when not NULL.
 * Returns 1 when the case ended `hung` (its probe, or a process it left,
 * could not be killed).
 */
static int run_case(const char *index, unsigned long timeout_ms, const char *plan, const char *binary)
{
	int pipefd[2], status = 0, timed_out = 0, unkillable = 0, kmsg, pidfd;
	uint64_t t0, deadline, duration, idle0, idle;
	char end_status[32];
	pid_t pid;

	repeats_reset();
	record("T %s begin %s", index, taint());
	kmsg_mark(index, "begin");
	kmsg = kmsg_open_end();
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		record("B pipe failed: %d", errno);
		kmsg_forward(kmsg);
		kmsg_mark(index, "end");
		end_record(index, "exit:127", 0, 0);
		return 0;
	}
	idle0 = idle_us();
	t0 = now_us();
	deadline = t0 + (uint64_t)timeout_ms * 1000u;
	pid = fork();
	if (pid == 0)
		exec_probe(pipefd[1], plan, binary);
	close(pipefd[1]);
	if (pid < 0) {
		record("B fork failed: %d", errno);
		close(pipefd[0]);
		kmsg_forward(kmsg);
		kmsg_mark(index, "end");
		end_record(index, "exit:127", 0, 0);
		return 0;
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0); /* -1 before 5.3: then EOF alone ends the pump */

	fwd_prefix = binary ? "O " : NULL;
	if (pump(pipefd[0], pidfd, deadline) == PUMP_DEADLINE) {
		timed_out = 1;
		kill_case(pid);
	}
	if (!timed_out && wait_until(pid, &status, deadline) != 0) {
		timed_out = 1;
		kill_case(pid);
	}
	/* SIGKILL does not end a task stuck in the kernel (D state): give up then. */
	if (timed_out && wait_until(pid, &status, now_us() + KILL_WAIT_MS * 1000u) != 0)
		unkillable = 1;
	duration = now_us() - t0;
	idle = idle_us();
	idle = idle > idle0 ? idle - idle0 : 0;
	if (idle > duration)
		idle = duration; /* ticks against the clock: never more than the case's own time */
	if (pidfd >= 0)
		close(pidfd);
	/* Whatever the probe left behind dies now, so that its output ends and the next case starts alone. */
	if (unkillable)
		kill(-1, SIGKILL);
	else if (kill_leftovers(now_us() + KILL_WAIT_MS * 1000u) != 0) {
		record("B a process the case left behind could not be killed");
		unkillable = 1;
	}
	pump(pipefd[0], -1, now_us() + DRAIN_MS * 1000u);
	forward_finish();
	close(pipefd[0]);
	kmsg_forward(kmsg);
	kmsg_mark(index, "end");

	if (unkillable)
		snprintf(end_status, sizeof(end_status), "hung");
	else if (timed_out)
		snprintf(end_status, sizeof(end_status), "timeout");
	else if (WIFEXITED(status))
		snprintf(end_status, sizeof(end_status), "exit:%d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(end_status, sizeof(end_status), "signal:%d", WTERMSIG(status));
	else
		snprintf(end_status, sizeof(end_status), "exit:127");
	end_record(index, end_status, duration, idle);
	return unkillable;
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* One manifest line: `<index> <timeout_ms> <plan path>` or `<index> <timeout_ms> exec <binary>`; 1 when the case hung. */
static int run_manifest_line(char *line, unsigned long lineno)
{
	static const char want[] = "want <index> <timeout_ms> <plan path> or <index> <timeout_ms> exec <binary>";
	char *index = line, *timeout, *path, *binary = NULL;

	timeout = strchr(index, ' ');
	path = timeout ? strchr(timeout + 1, ' ') : NULL;
	if (!path) {
		record("B manifest line %lu: %s", lineno, want);
		return 0;
	}
	*timeout++ = '\0';
	*path++ = '\0';
	if (strncmp(path, "exec ", 5) == 0) {
		binary = path + 5;
		path = NULL;
	}
	if (!all_digits(index) || !all_digits(timeout) || (path && !*path) || (binary && (!*binary || strchr(binary, ' ')))) {
		record("B manifest line %lu: %s", lineno, want);
		return 0;
	}
	return run_case(index, strtoul(timeout, NULL, 10), path, binary);
}

static void run_manifest(void)
{
	static char text[MANIFEST_MAX];
	unsigned long lineno = 0;
	char *p, *nl;

	if (read_small_file(MANIFEST, text, sizeof(text)) < 0) {
		record("B cannot read %s: %d", MANIFEST, errno);
		return;
	}
	for (p = text; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		lineno++;
		/*
		 * A task the kernel will not let die may hold kernel locks, and the
		 * hung-task detector keeps reporting it: the cases left must not run
		 * on this kernel. Power off without `D`; the host boots again for them.
		 */
		if (*p && run_manifest_line(p, lineno)) {
			console("init: a case could not be killed; powering off so the cases left run on a fresh kernel");
			tcdrain(channel);
			power_off();
		}
		if (!nl)
			break;
	}
}

/*
 * Fault injection (kernel-config/fault-injection.config), when built: let
 * failslab fail sleeping allocations too (the default skips GFP_KERNEL), with
 * one log line per injected failure. Probability stays 0, so only a probe's
 * /proc/thread-self/fail-nth (`fail_nth:` on a name step) ever fails one.
 */
static void setup_fault_injection(void)
{
	static const char *const knobs[][2] = {
		{ "/sys/kernel/debug/failslab/ignore-gfp-wait", "N" },
		{ "/sys/kernel/debug/failslab/verbose", "1" },
	};
	size_t i;

	if (access("/sys/kernel/debug", F_OK) != 0)
		return;
	if (mount("debugfs", "/sys/kernel/debug", "debugfs", MS_NOSUID | MS_NOEXEC, NULL) != 0)
		return; /* no DEBUG_FS: nothing to set */
	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		int fd = open(knobs[i][0], O_WRONLY | O_CLOEXEC);

		if (fd < 0)
			continue; /* no FAILSLAB */
		if (write(fd, knobs[i][1], strlen(knobs[i][1])) < 0)
			console("init: %s: %s", knobs[i][0], strerror(errno));
		close(fd);
	}
}

/*
 * Parked: the kernel is up and everything so far is the same for every run.
 * `vmaspec-parked 1` tells the host, which may save the VM's state now (a snapshot that
 * later runs restore instead of booting), then says where the cases are: `g` (fw_cfg),
 * `p<len> <fnv>\n` + the archive on the channel, or `w…` the same for a warm-up run
 * after which the supervisor parks again (docs/protocol.md). Returns that byte.
 */
static int park(void)
{
	char c;

	record("vmaspec-parked 1");
	tcdrain(channel);
	for (;;) {
		ssize_t r = read(channel, &c, 1);

		if (r == 1 && (c == 'g' || c == 'p' || c == 'w'))
			return c;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			console("init: the channel closed while parked; powering off");
			power_off();
		}
	}
}

/* Reads exactly n bytes of the channel; -1 when it ends first. */
static int read_channel(char *buf, size_t n)
{
	while (n > 0) {
		ssize_t r = read(channel, buf, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		buf += r;
		n -= (size_t)r;
	}
	return 0;
}

/* FNV-1a, 32 bits: the check of an archive that came over the channel (runner/qemu/parked.ts). */
static uint32_t fnv1a32(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0) {
		h ^= (unsigned char)*p++;
		h *= 16777619u;
	}
	return h;
}

/* The largest archive the channel carries (the host refuses larger ones). */
#define CHANNEL_PAYLOAD_MAX (64u << 20)

/* Unpacks an archive into /; -1 after a `B` record. */
static int unpack(const char *buf, size_t size, const char *from)
{
	char err[256];
	int r = newc_unpack("", buf, size, err, sizeof(err));

	if (r != 0)
		record("B the cases' archive (%s): %s", from, err);
	return r;
}

/* The cases from the channel: `<len> <fnv>\n` after the mode byte, then len bytes; -1 after a `B` record. */
static int load_channel_payload(void)
{
	char line[32];
	unsigned long len = 0, sum = 0;
	size_t i = 0;
	char *buf;
	int r;

	for (;;) {
		if (i + 1 >= sizeof(line) || read_channel(&line[i], 1) != 0) {
			record("B the cases' archive (channel): no length line");
			return -1;
		}
		if (line[i] == '\n')
			break;
		i++;
	}
	line[i] = '\0';
	if (sscanf(line, "%lu %lx", &len, &sum) != 2 || len == 0 || len > CHANNEL_PAYLOAD_MAX) {
		record("B the cases' archive (channel): bad length line '%s'", line);
		return -1;
	}
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		record("B cannot map %lu bytes for the cases: %s", len, strerror(errno));
		return -1;
	}
	if (read_channel(buf, len) != 0) {
		record("B the cases' archive (channel): the channel ended inside it");
		munmap(buf, len);
		return -1;
	}
	if (fnv1a32(buf, len) != (uint32_t)sum) {
		record("B the cases' archive (channel): checksum %08x, expected %08lx", fnv1a32(buf, len), sum);
		munmap(buf, len);
		return -1;
	}
	r = unpack(buf, len, "channel");
	munmap(buf, len);
	return r;
}

/* Unpacks the run's cases (manifest, plans, probes, seed) from fw_cfg into /; -1 after a `B` record. */
static int load_payload(void)
{
	uint16_t key;
	uint32_t size;
	char *buf;
	int r;

	if (fwcfg_find(PAYLOAD, &key, &size) != 0) {
		int err_no = errno;

		ioperm(FW_CFG_PORT_SEL, 2, 0);
		if (err_no == ENOSYS || err_no == EPERM)
			record("B cannot read fw_cfg: ioperm: %s (the kernel needs CONFIG_X86_IOPL_IOPERM=y)", strerror(err_no));
		else
			record("B cannot find fw_cfg file %s: %s", PAYLOAD, strerror(err_no));
		return -1;
	}
	buf = mmap(NULL, size + 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		record("B cannot map %u bytes for the cases: %s", size, strerror(errno));
		return -1;
	}
	fwcfg_read(key, buf, size);
	ioperm(FW_CFG_PORT_SEL, 2, 0); /* the probes do not inherit port access */
	r = unpack(buf, size, "fw_cfg " PAYLOAD);
	munmap(buf, size + 1);
	return r;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

/* After a warm-up: its cases go, so that the next archive's manifest is the only one. */
static void clear_payload(void)
{
	nftw("/vmaspec", remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * A restored snapshot would give every run the kernel's random state of the
 * moment it was saved: mix the host's seed in and reseed the CRNG, so that
 * address-space layouts and the like differ between runs as after a boot.
 */
static void reseed(void)
{
	char seed[64];
	ssize_t n = read_small_file(SEED, seed, sizeof(seed));
	int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || n <= 0) {
		if (fd >= 0)
			close(fd);
		return;
	}
	write_all(fd, seed, (size_t)n);
	if (ioctl(fd, RNDRESEEDCRNG) != 0 && verbose)
		console("init: RNDRESEEDCRNG: %s", strerror(errno));
	close(fd);
}

int main(void)
{
	mount_fs("devtmpfs", "/dev", "devtmpfs");
	ensure_std_fds();
	mount_fs("proc", "/proc", "proc");
	mount_fs("sysfs", "/sys", "sysfs");
	mount_fs("tmpfs", "/tmp", "tmpfs"); /* shmem files for `map: { backing: tmpfs }` */
	setup_fault_injection();
	verbose = cmdline_has("vmaspec.verbose=1");
	signal(SIGPIPE, SIG_IGN);
	block_sigchld();

	channel = open_channel();
	if (channel < 0) {
		console("init: cannot open %s: %s; powering off", channel_dev, strerror(errno));
		power_off();
	}
	unlink(channel_dev);              /* see seal_channel() */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

	for (;;) {
		int mode = park();

		record("vmaspec-results 1");
		if ((mode == 'g' ? load_payload() : load_channel_payload()) == 0) {
			reseed();
			run_manifest();
		}
		record("D");
		tcdrain(channel);
		if (mode != 'w')
			power_off();
		clear_payload();
	}
}
