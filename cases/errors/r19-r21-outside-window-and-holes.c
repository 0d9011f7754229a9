/*
 * r19-r21-outside-window-and-holes.c: PR_SET_VMA_ANON_NAME on ranges outside
 * the mapped address space (kernel-behaviour.md R19, R20, R9, R13): no VMA at
 * all is ENOMEM whatever the address, kernel addresses included; a range that
 * runs past the window renames the guard page on the way. (R21, the reserve
 * versus a real hole, is cases/errors/r21-reserve-versus-hole.yaml.)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ktap.h"
#include "procmaps.h"
#include "probewin.h"

#define RW (PROT_READ | PROT_WRITE)

/* 0, or the errno of naming [start, start+len). */
static int name_at(unsigned long start, unsigned long len, const char *name)
{
	return pw_prctl_name(start, len, name) == 0 ? 0 : errno;
}

static char buf[1024];

static void outside(void)
{
	static const unsigned long nothing[] = { 0, 0x7ffffffff000UL, 0x800000000000UL, 0xffff888000000000UL,
						 0xffffffff81000000UL };
	size_t n = 0;

	pw_reserve();
	pw_map(2, 2, RW, 0);
	for (size_t i = 0; i < sizeof(nothing) / sizeof(nothing[0]); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%d ", name_at(nothing[i], pw_page, "x"));
	strcat(buf, pw_layout());
	pw_expect("r19_no_vma_at_any_address_enomem_nothing_renamed", buf, "12 12 12 12 12 2+2 rw-p");
	snprintf(buf, sizeof(buf), "%d %d %d %d", name_at(0xffffffff81000000UL, 0, "x"),
		 name_at(0xffffffff81000001UL, pw_page, "x"), name_at(0xfffffffffffff000UL, pw_page, "x"),
		 name_at(pw_addr(2), 0UL - pw_addr(2), "x"));
	pw_expect("r19_len_0_is_0_unaligned_and_wrapping_einval", buf, "0 22 22 22");

	pw_map(PW_PAGES - 1, 1, RW, 0);
	snprintf(buf, sizeof(buf), "%d %d|", name_at(pw_addr(PW_PAGES - 1), 3 * pw_page, "e"),
		 name_at(pw_addr(-2), 3 * pw_page, "s"));
	strcat(buf, pw_layout());
	pw_expect("r20_ranges_past_the_window_rename_the_guard_pages_then_enomem", buf,
		  "12 12|-1+2 ---p [anon:s], 2+2 rw-p, 31+1 rw-p [anon:e], 32+1 ---p [anon:e]");
	pw_release();

	pw_reserve();
	pw_map(2, 2, RW, 0);
	snprintf(buf, sizeof(buf), "%d|", name_at(pw_addr(2), 1UL << 62, "x"));
	strcat(buf, pw_layout());
	{
		/* above the window only [vvar], [vdso] and [stack]: renamed too, invisibly (F5) */
		struct procmaps_vma v;
		int special = 0;

		procmaps_read();
		for (char *c = NULL; procmaps_next(&c, &v);)
			special += strstr(v.line, "[vvar]") || strstr(v.line, "[vdso]") || strstr(v.line, "[stack]");
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "|%d", special);
	}
	pw_expect("r20_a_huge_len_renames_every_vma_above_then_enomem", buf,
		  "12|2+2 rw-p [anon:x], 4+29 ---p [anon:x]|3");
	pw_release();
}

int main(void)
{
	ktap_print_header();
	ktap_set_plan(4);
	outside();
	ktap_finished();
}
