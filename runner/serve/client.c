/*
 * The command server's client (docs/serve.md): `./vmaspec` runs it as
 * `client <checkout> [args...]`. It hands the command line, the environment,
 * the working directory and the terminal's facts to the checkout's server, then
 * copies what comes back to standard output and error and exits with the
 * command's status; SIGINT, SIGTERM and SIGHUP are passed on. Without a server
 * (or when the server says `F`) it runs `node <checkout>/runner/bin/vmaspec.js`
 * itself: the same command, a slower start.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

static const char *root;
static char **args;
static int nargs;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static int sig_pipe[2] = { -1, -1 };

/* Runs the command directly; `start` asks the launcher to start a server after it. */
__attribute__((noreturn)) static void direct(int start)
{
	char launcher[4096];
	char **argv = calloc((size_t)nargs + 3, sizeof(char *));
	int i;

	if (!argv) {
		fputs("vmaspec: out of memory\n", stderr);
		exit(2);
	}
	snprintf(launcher, sizeof(launcher), "%s/runner/bin/vmaspec.js", root);
	argv[0] = "node";
	argv[1] = launcher;
	for (i = 0; i < nargs; i++)
		argv[i + 2] = args[i];
	if (start)
		setenv("VMASPEC_SERVE_START", "1", 1);
	signal(SIGPIPE, SIG_DFL); /* an ignored signal stays ignored across exec */
	execvp("node", argv);
	fprintf(stderr, "vmaspec: cannot run node: %s\n", strerror(errno));
	exit(2);
}

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* a descriptor left non-blocking by whoever shares it: wait until it takes more */
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			poll(&pfd, 1, -1);
			continue;
		}
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One frame: type, 4-byte big-endian length, payload. */
static int send_frame(int fd, char type, const char *payload, size_t len)
{
	unsigned char head[5] = { (unsigned char)type, (unsigned char)(len >> 24), (unsigned char)(len >> 16), (unsigned char)(len >> 8), (unsigned char)len };

	return write_all(fd, head, 5) || write_all(fd, payload, len);
}

/* A frame's whole size, header included, from its header. */
static size_t frame_size(const unsigned char *head)
{
	return 5 + ((size_t)head[1] << 24 | (size_t)head[2] << 16 | (size_t)head[3] << 8 | head[4]);
}

static void on_signal(int sig)
{
	unsigned char s = (unsigned char)sig;
	int saved = errno;

	if (write(sig_pipe[1], &s, 1) < 0) {
		/* the pipe is full: the signal is passed on already */
	}
	errno = saved;
}

/* The socket of this checkout: <cache>/serve/<FNV-1a 64 of the checkout, hex>.sock; -1 when it does not fit. */
static int socket_path(void)
{
	const char *cache = getenv("VMASPEC_CACHE");
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	uint64_t h = 0xcbf29ce484222325ull;
	const unsigned char *p;
	int n;

	for (p = (const unsigned char *)root; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ull;
	}
	if (cache && *cache)
		n = snprintf(sock_path, sizeof(sock_path), "%s/serve/%016llx.sock", cache, (unsigned long long)h);
	else if (xdg && *xdg)
		n = snprintf(sock_path, sizeof(sock_path), "%s/vmaspec/serve/%016llx.sock", xdg, (unsigned long long)h);
	else
		n = snprintf(sock_path, sizeof(sock_path), "%s/.cache/vmaspec/serve/%016llx.sock", home ? home : "", (unsigned long long)h);
	return n > 0 && (size_t)n < sizeof(sock_path) ? 0 : -1;
}

/* The working directory, read before connecting: without one (deleted), node reports it. */
static char cwd[4096];

static int send_request(int fd)
{
	char text[64];
	struct winsize ws = { 0 };
	char **e;
	int i;

	for (i = 0; i < nargs; i++)
		if (send_frame(fd, 'A', args[i], strlen(args[i])))
			return -1;
	for (e = environ; *e; e++)
		if (send_frame(fd, 'E', *e, strlen(*e)))
			return -1;
	if (send_frame(fd, 'C', cwd, strlen(cwd)))
		return -1;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0)
		ws.ws_col = ws.ws_row = 0;
	snprintf(text, sizeof(text), "%d %d %d %u %u", isatty(0), isatty(1), isatty(2), ws.ws_col, ws.ws_row);
	return send_frame(fd, 'T', text, strlen(text)) || send_frame(fd, 'G', "", 0);
}

__attribute__((noreturn)) static void lost(void)
{
	fprintf(stderr,
		"vmaspec: the command server's worker went away before the command ended (see %.*s.log); "
		"its results are lost: run the command again, or with VMASPEC_SERVE=0\n",
		(int)(strlen(sock_path) - strlen(".sock")), sock_path);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *serve = getenv("VMASPEC_SERVE");
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct sigaction sa = { 0 };
	unsigned char *buf = NULL;
	size_t cap = 0, have = 0;
	int fd, i, signalled = 0;

	if (argc < 2) {
		fputs("usage: client <checkout> [vmaspec args...]\n", stderr);
		return 2;
	}
	root = argv[1];
	args = argv + 2;
	nargs = argc - 2;
	if (serve && strcmp(serve, "0") == 0)
		direct(0);
	for (i = 0; i < nargs; i++)
		if (strcmp(args[i], "-") == 0)
			direct(0); /* the command reads standard input, which is not passed on */
	if (socket_path() != 0 || !getcwd(cwd, sizeof(cwd)) || pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		direct(0);
	memcpy(addr.sun_path, sock_path, strlen(sock_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		direct(1);
	/* Caught from before the request: a signal once `G` is sent is passed on, never fatal here. */
	signal(SIGPIPE, SIG_IGN);
	sa.sa_handler = on_signal; /* no SA_RESTART: poll returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (send_request(fd) != 0)
		lost();
	for (;;) {
		struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN }, { .fd = sig_pipe[0], .events = POLLIN } };
		size_t at = 0;
		ssize_t r;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			lost();
		}
		if (pfd[1].revents & POLLIN) {
			unsigned char s;

			if (read(sig_pipe[0], &s, 1) == 1) {
				const char *name = s == SIGINT ? "SIGINT" : s == SIGTERM ? "SIGTERM" : "SIGHUP";
				signalled = s;
				send_frame(fd, 'S', name, strlen(name)); /* a server gone says so below */
			}
		}
		if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (have == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				lost();
		}
		r = read(fd, buf + have, cap - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			lost();
		have += (size_t)r;
		/* Every whole frame in the buffer; one not whole yet stays (the buffer doubles when full). */
		while (have - at >= 5 && have - at >= frame_size(buf + at)) {
			unsigned char *f = buf + at;
			size_t len = frame_size(f) - 5;

			if (f[0] == 'O' || f[0] == 'R') {
				/* An output that cannot be written (closed, full) is dropped, as the command's own would be; its status still comes. */
				write_all(f[0] == 'O' ? STDOUT_FILENO : STDERR_FILENO, f + 5, len);
			} else if (f[0] == 'X' || f[0] == 'F') {
				char text[4096];
				size_t n = len < sizeof(text) - 1 ? len : sizeof(text) - 1;
				unsigned char s;

				memcpy(text, f + 5, n);
				text[n] = '\0';
				if (f[0] == 'X') {
					char *end;
					long status = strtol(text, &end, 10);

					/* A status that is not one is never taken for a pass. */
					if (end == text || *end != '\0' || status < 0 || status > 255) {
						fprintf(stderr, "vmaspec: the command server sent no exit status ('%s'); its results are unknown\n", text);
						exit(2);
					}
					exit((int)status);
				}
				close(fd);
				if (getenv("VMASPEC_SERVE_DEBUG"))
					fprintf(stderr, "vmaspec: the command server runs no command now: %s\n", text);
				/* Interrupted before anything ran: end as the interrupted command would, not start it. */
				if (read(sig_pipe[0], &s, 1) == 1)
					signalled = s;
				if (signalled) {
					signal(signalled, SIG_DFL);
					raise(signalled);
				}
				direct(0);
			}
			at += 5 + len;
		}
		memmove(buf, buf + at, have - at);
		have -= at;
	}
}
