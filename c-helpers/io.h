/* io.h: what both guest programs need to write safely (header-only, static).
 * init.c and vmaprobe.c share nothing else: see docs/protocol.md. */
#ifndef VMASPEC_IO_H
#define VMASPEC_IO_H

#include <errno.h>
#include <stddef.h>
#include <unistd.h>

/* Writes all n bytes, retrying short writes and EINTR; gives up silently on
 * any other error (there is nobody left to tell). */
static inline void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

#endif
