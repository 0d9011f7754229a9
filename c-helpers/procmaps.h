/* procmaps.h: /proc/self/maps for custom probes (header-only, static, no malloc).
 *
 *	struct procmaps_vma v;
 *	if (procmaps_read() != 0) ...;
 *	for (char *c = NULL; procmaps_next(&c, &v);)
 *		if (v.start <= addr && addr < v.end) ...;
 *
 * procmaps_read() snapshots the file into a static buffer; procmaps_next()
 * walks its lines (as often as needed), each NUL-terminated in place, with the
 * VMA's bounds parsed.
 */
#ifndef VMASPEC_PROCMAPS_H
#define VMASPEC_PROCMAPS_H

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct procmaps_vma {
	unsigned long start, end;
	const char *line; /* the whole maps line, without its newline */
};

static char procmaps_buf[1 << 16];
static size_t procmaps_len;

/* Reads /proc/self/maps into the buffer; 0, or -1 with errno set. */
static inline int procmaps_read(void)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -1;
	procmaps_len = 0;
	while ((r = read(fd, procmaps_buf + procmaps_len, sizeof(procmaps_buf) - 1 - procmaps_len)) > 0)
		procmaps_len += (size_t)r;
	close(fd);
	procmaps_buf[procmaps_len] = '\0';
	return r < 0 ? -1 : 0;
}

/* The line after *cursor (NULL: the first) in v; 1, or 0 after the last line. */
static inline int procmaps_next(char **cursor, struct procmaps_vma *v)
{
	char *p = *cursor ? *cursor : procmaps_buf, *nl;

	if (p >= procmaps_buf + procmaps_len || *p == '\0')
		return 0;
	/* A line ends at its newline, or at the NUL an earlier walk put there. */
	nl = strchr(p, '\n');
	if (!nl)
		nl = p + strlen(p);
	*cursor = nl < procmaps_buf + procmaps_len ? nl + 1 : nl;
	*nl = '\0';
	v->line = p;
	v->start = strtoul(p, NULL, 16);
	v->end = strtoul(strchr(p, '-') + 1, NULL, 16);
	return 1;
}

#endif
