/* newc.h: unpacks a `newc` cpio archive held in memory (what
 * runner/guest/cpio.ts writes): directories and regular files, under a root
 * directory. Header-only, for init.c: see docs/protocol.md. */
#ifndef VMASPEC_NEWC_H
#define VMASPEC_NEWC_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "io.h"

#define NEWC_HEADER 110

/* 8 hex digits at p; -1 when one is not a hex digit. */
static inline long newc_hex8(const char *p)
{
	long v = 0;

	for (int i = 0; i < 8; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static inline size_t newc_pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* Unpacks a[0..len) under `root` ("" for /); 0, or -1 with what went wrong in err. */
static inline int newc_unpack(const char *root, const char *a, size_t len, char *err, size_t errlen)
{
	const size_t rootlen = strlen(root);
	size_t off = 0;

	for (;;) {
		char path[4096];
		long mode, size, namesize;

		if (off + NEWC_HEADER > len || memcmp(a + off, "070701", 6) != 0) {
			snprintf(err, errlen, "no newc header at byte %zu", off);
			return -1;
		}
		mode = newc_hex8(a + off + 14);
		size = newc_hex8(a + off + 54);
		namesize = newc_hex8(a + off + 94);
		if (mode < 0 || size < 0 || namesize < 1 || rootlen + 1 + (size_t)namesize > sizeof(path) ||
		    off + NEWC_HEADER + (size_t)namesize > len) {
			snprintf(err, errlen, "bad newc header at byte %zu", off);
			return -1;
		}
		memcpy(path, root, rootlen);
		path[rootlen] = '/';
		memcpy(path + rootlen + 1, a + off + NEWC_HEADER, (size_t)namesize);
		path[rootlen + (size_t)namesize] = '\0'; /* the name's own NUL */
		off = newc_pad4(off + NEWC_HEADER + (size_t)namesize);
		if (strcmp(path + rootlen, "/TRAILER!!!") == 0)
			return 0;
		if (off + (size_t)size > len) {
			snprintf(err, errlen, "%.200s: %ld bytes past the archive's end", path, size);
			return -1;
		}
		if (S_ISDIR(mode)) {
			if (mkdir(path, mode & 07777) != 0 && errno != EEXIST) {
				snprintf(err, errlen, "mkdir %.200s: %s", path, strerror(errno));
				return -1;
			}
		} else if (S_ISREG(mode)) {
			int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode & 07777);

			if (fd < 0) {
				snprintf(err, errlen, "open %.200s: %s", path, strerror(errno));
				return -1;
			}
			write_all(fd, a + off, (size_t)size);
			close(fd);
		} else {
			snprintf(err, errlen, "%.200s: mode %lo is neither a directory nor a regular file", path, mode);
			return -1;
		}
		off = newc_pad4(off + (size_t)size);
	}
}

#endif
