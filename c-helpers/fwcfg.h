/* fwcfg.h: reads a named file of QEMU's fw_cfg device from user space,
 * through its x86 I/O ports (selector 0x510, data 0x511; ioperm() needs
 * CONFIG_X86_IOPL_IOPERM). Header-only, for init.c: see docs/protocol.md. */
#ifndef VMASPEC_FWCFG_H
#define VMASPEC_FWCFG_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/io.h>

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_FILE_DIR 0x0019
#define FW_CFG_NAME_MAX 56

static inline uint32_t fwcfg_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Selects an item; its bytes then come from the data port, in order. */
static inline void fwcfg_select(uint16_t key)
{
	outw(key, FW_CFG_PORT_SEL);
}

/*
 * Finds the file `name`: its selector key and size. -1 with errno: what
 * ioperm() gave, ENODEV when no fw_cfg device answers, ENOENT when the
 * directory has no such file.
 */
static inline int fwcfg_find(const char *name, uint16_t *key, uint32_t *size)
{
	unsigned char sig[4], count[4], entry[64];
	uint32_t n;

	if (ioperm(FW_CFG_PORT_SEL, 2, 1) != 0)
		return -1;
	fwcfg_select(FW_CFG_SIGNATURE);
	insb(FW_CFG_PORT_DATA, sig, sizeof(sig));
	if (memcmp(sig, "QEMU", 4) != 0) {
		errno = ENODEV;
		return -1;
	}
	fwcfg_select(FW_CFG_FILE_DIR);
	insb(FW_CFG_PORT_DATA, count, sizeof(count));
	n = fwcfg_be32(count);
	while (n-- > 0) {
		/* u32 size, u16 select, u16 reserved (big-endian), char name[56] */
		insb(FW_CFG_PORT_DATA, entry, sizeof(entry));
		if (strncmp((const char *)entry + 8, name, FW_CFG_NAME_MAX) == 0) {
			*size = fwcfg_be32(entry);
			*key = (uint16_t)(entry[4] << 8 | entry[5]);
			return 0;
		}
	}
	errno = ENOENT;
	return -1;
}

/* Reads the first `len` bytes of the item `key` into buf. */
static inline void fwcfg_read(uint16_t key, void *buf, uint32_t len)
{
	fwcfg_select(key);
	insb(FW_CFG_PORT_DATA, buf, len);
}

#endif
