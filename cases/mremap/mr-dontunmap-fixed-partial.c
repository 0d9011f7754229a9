/*
 * mr-dontunmap-fixed-partial.c: mremap with MREMAP_DONTUNMAP, MREMAP_FIXED over
 * mappings, holes and the window reserve, of part of a VMA and of one piece of
 * a split region (kernel-behaviour.md MR1-MR9). Every scenario runs in a fresh
 * window (c-helpers/probewin.h); layouts leave the reserve's pieces out.
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

#ifndef MREMAP_MAYMOVE
#define MREMAP_MAYMOVE 1
#endif
#ifndef MREMAP_FIXED
#define MREMAP_FIXED 2
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

#define RW (PROT_READ | PROT_WRITE)
#define MF (MREMAP_MAYMOVE | MREMAP_FIXED)
#define DU (MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)

static char buf[2048];

/* A private RW mapping of window pages named `name`, written (stamped from `stamp`) unless stamp < 0. */
static void named(long at, long pages, const char *name, int stamp)
{
	pw_map(at, pages, RW, 0);
	if (pw_name(at, pages, name) != 0)
		ktap_exit_fail_msg("naming page %ld: %s", at, strerror(errno));
	if (stamp >= 0)
		pw_stamp(at, pages, stamp);
}

/* The layout, then `|` and the bytes of pages [at, at+pages). */
static const char *layout_bytes(long at, long pages)
{
	const char *layout = pw_layout();
	char *text = pw_ring();

	snprintf(text, PW_TEXT, "%s|%s", layout, pw_bytes(at, pages));
	return text;
}

static void dontunmap(void)
{
	/* MR1: the whole VMA; its source keeps name and flags, loses its pages, and becomes unfaulted */
	pw_reserve();
	named(2, 2, "a", 10);
	if (pw_mremap(2, 2, 2, DU, 10) != 0)
		ktap_exit_fail_msg("MREMAP_DONTUNMAP: %s", strerror(errno));
	pw_expect("mr1_dontunmap_source_and_destination_named", pw_layout(), "2+2 rw-p [anon:a], 10+2 rw-p [anon:a]");
	snprintf(buf, sizeof(buf), "%s|", pw_bytes(2, 2));
	strcat(buf, pw_bytes(10, 2));
	pw_expect("mr1_source_reads_zeros_destination_has_the_data", buf, "0 0|10 11");
	snprintf(buf, sizeof(buf), "%s|", pw_smaps(2, "Rss"));
	strcat(buf, pw_smaps(10, "Rss"));
	pw_expect("mr1_rss_moves_to_the_destination", buf, "0 kB|8 kB");
	snprintf(buf, sizeof(buf), "%s|", pw_smaps(2, "VmFlags"));
	strcat(buf, pw_smaps(10, "VmFlags"));
	pw_expect("mr1_same_vmflags_ac_kept", buf, "rd wr mr mw me ac |rd wr mr mw me ac ");
	named(4, 1, "a", -1);
	named(1, 1, "a", -1);
	pw_expect("mr1_source_unfaulted_merges_with_unfaulted_neighbours", pw_layout(),
		  "1+4 rw-p [anon:a], 10+2 rw-p [anon:a]");
	pw_release();

	/* MR2: part of a VMA; the source is not split */
	pw_reserve();
	named(2, 3, "a", 10);
	if (pw_mremap(3, 1, 1, DU, 10) != 0)
		ktap_exit_fail_msg("MREMAP_DONTUNMAP of page 1: %s", strerror(errno));
	snprintf(buf, sizeof(buf), "%s|", layout_bytes(2, 3));
	strcat(buf, pw_bytes(10, 1));
	pw_expect("mr2_partial_dontunmap_leaves_the_source_whole", buf,
		  "2+3 rw-p [anon:a], 10+1 rw-p [anon:a]|10 0 12|11");
	pw_release();

	/* MR3: DONTUNMAP needs MAYMOVE and the same size; without FIXED the kernel picks the place */
	pw_reserve();
	named(2, 2, "a", 10);
	snprintf(buf, sizeof(buf), "%d %d %d %d", pw_mremap(2, 2, 3, DU, 10), pw_mremap(2, 2, 2, MREMAP_DONTUNMAP, 0),
		 pw_mremap(2, 2, 2, MREMAP_DONTUNMAP | MREMAP_FIXED, 10), pw_mremap(2, 2, 2, DU, 3));
	pw_expect("mr3_dontunmap_einval_resize_no_maymove_overlap", buf, "22 22 22 22");
	{
		long r = syscall(SYS_mremap, pw_addr(2), 2 * pw_page, 2 * pw_page, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);

		ktap_print_msg("MREMAP_MAYMOVE|MREMAP_DONTUNMAP without FIXED: %#lx", (unsigned long)r);
		ktap_test_result(r != -1 && ((unsigned long)r < PW_BASE || (unsigned long)r >= pw_addr(PW_PAGES + 1)),
				 "mr3_dontunmap_without_fixed_lands_outside_the_window");
		if (r != -1)
			munmap((void *)r, 2 * pw_page);
	}
	pw_release();
}

static void fixed(void)
{
	/* MR4: FIXED over the middle of a mapping, into a hole, onto the reserve; the source becomes a hole */
	pw_reserve();
	named(2, 2, "a", 10);
	named(10, 4, "b", 20);
	if (pw_mremap(2, 2, 2, MF, 11) != 0)
		ktap_exit_fail_msg("MREMAP_FIXED onto b: %s", strerror(errno));
	snprintf(buf, sizeof(buf), "%s|", layout_bytes(10, 4));
	strcat(buf, pw_bytes(2, 2));
	pw_expect("mr4_fixed_replaces_the_middle_of_b_source_is_a_hole", buf,
		  "10+1 rw-p [anon:b], 11+2 rw-p [anon:a], 13+1 rw-p [anon:b]|20 10 11 23|-1 -1");
	munmap((void *)pw_addr(20), 3 * pw_page);
	if (pw_mremap(11, 2, 2, MF, 20) != 0 || pw_mremap(20, 2, 2, MF, 25) != 0)
		ktap_exit_fail_msg("MREMAP_FIXED into a hole, onto the reserve: %s", strerror(errno));
	snprintf(buf, sizeof(buf), "%s|", layout_bytes(20, 3));
	strcat(buf, pw_bytes(25, 2));
	pw_expect("mr4_fixed_into_a_hole_and_onto_the_reserve", buf,
		  "10+1 rw-p [anon:b], 13+1 rw-p [anon:b], 25+2 rw-p [anon:a]|-1 -1 -1|10 11");
	pw_release();

	pw_reserve();
	named(2, 3, "c", -1);
	munmap((void *)pw_addr(20), pw_page);
	snprintf(buf, sizeof(buf), "%d %d %ld %d %d %ld", pw_mremap(2, 3, 3, MF, 3), pw_mremap(2, 3, 3, MREMAP_FIXED, 10),
		 syscall(SYS_mremap, pw_addr(2), pw_page, pw_page, MF, pw_addr(10) + 1) == -1 ? (long)errno : 0L,
		 pw_mremap(2, 1, 1, 8, 10), pw_mremap(20, 1, 1, MF, 10),
		 syscall(SYS_mremap, pw_addr(2) + 1, pw_page, pw_page, MF, pw_addr(10)) == -1 ? (long)errno : 0L);
	pw_expect("mr4_errors_overlap_no_maymove_unaligned_flag_hole_source", buf, "22 22 22 22 14 22");
	pw_release();

	/* MR5: mremap_to() unmaps the destination before it finds the source spans two VMAs */
	pw_reserve();
	named(2, 2, "a", -1);
	pw_map(4, 1, RW, 0);
	named(10, 4, "b", 20);
	snprintf(buf, sizeof(buf), "%d|", pw_mremap(2, 3, 3, MF, 10));
	strcat(buf, layout_bytes(10, 4));
	pw_expect("mr5_failed_fixed_efault_has_unmapped_the_destination", buf,
		  "14|2+2 rw-p [anon:a], 4+1 rw-p, 13+1 rw-p [anon:b]|-1 -1 -1 23");
	pw_release();
}

static void pieces(void)
{
	/* MR6: moving a page out of a VMA splits the source around a hole; moved back, it re-merges */
	pw_reserve();
	named(2, 3, "a", 10);
	named(20, 3, "u", -1);
	if (pw_mremap(3, 1, 1, MF, 10) != 0 || pw_mremap(21, 1, 1, MF, 26) != 0)
		ktap_exit_fail_msg("moving page 1: %s", strerror(errno));
	pw_expect("mr6_partial_move_splits_the_source", layout_bytes(2, 3),
		  "2+1 rw-p [anon:a], 4+1 rw-p [anon:a], 10+1 rw-p [anon:a], 20+1 rw-p [anon:u], 22+1 rw-p [anon:u], "
		  "26+1 rw-p [anon:u]|10 -1 12");
	if (pw_mremap(10, 1, 1, MF, 3) != 0 || pw_mremap(26, 1, 1, MF, 21) != 0)
		ktap_exit_fail_msg("moving page 1 back: %s", strerror(errno));
	pw_expect("mr6_moved_back_remerges_faulted_or_not", layout_bytes(2, 3), "2+3 rw-p [anon:a], 20+3 rw-p [anon:u]|10 11 12");
	pw_release();

	/* MR7: an unfaulted piece merges at its destination with same-named neighbours of equal flags */
	pw_reserve();
	named(2, 3, "a", -1);
	if (mprotect((void *)pw_addr(3), pw_page, PROT_READ) != 0)
		ktap_exit_fail_msg("mprotect: %s", strerror(errno));
	pw_map(9, 1, PROT_READ, 0);
	pw_name(9, 1, "a");
	pw_map(11, 1, PROT_READ, 0);
	pw_name(11, 1, "a");
	if (pw_mremap(3, 1, 1, MF, 10) != 0)
		ktap_exit_fail_msg("moving the r-- piece: %s", strerror(errno));
	/* 6.1 keeps VM_ACCOUNT on the piece made read-only (M2), so its flags differ from the neighbours' */
	pw_expect("mr7_unfaulted_piece_merges_between_same_named_neighbours", pw_layout(),
		  pw_kernel_at_least(6, 12)
			  ? "2+1 rw-p [anon:a], 4+1 rw-p [anon:a], 9+3 r--p [anon:a]"
			  : "2+1 rw-p [anon:a], 4+1 rw-p [anon:a], 9+1 r--p [anon:a], 10+1 r--p [anon:a], 11+1 r--p [anon:a]");
	named(14, 3, "y", -1);
	pw_name(15, 1, "x");
	named(23, 1, "x", -1);
	if (pw_mremap(15, 1, 1, MF, 22) != 0)
		ktap_exit_fail_msg("moving the x piece: %s", strerror(errno));
	pw_expect("mr7_renamed_piece_merges_with_its_name_not_its_origin", pw_layout(),
		  pw_kernel_at_least(6, 12)
			  ? "2+1 rw-p [anon:a], 4+1 rw-p [anon:a], 9+3 r--p [anon:a], 14+1 rw-p [anon:y], 16+1 rw-p [anon:y], "
			    "22+2 rw-p [anon:x]"
			  : "2+1 rw-p [anon:a], 4+1 rw-p [anon:a], 9+1 r--p [anon:a], 10+1 r--p [anon:a], 11+1 r--p [anon:a], "
			    "14+1 rw-p [anon:y], 16+1 rw-p [anon:y], 22+2 rw-p [anon:x]");
	pw_release();

	pw_reserve();
	named(2, 3, "a", 10);
	named(11, 1, "a", 40);
	named(13, 1, "a", -1);
	if (pw_mremap(3, 1, 1, MF, 10) != 0 || pw_mremap(4, 1, 1, MF, 12) != 0)
		ktap_exit_fail_msg("moving faulted pages: %s", strerror(errno));
	pw_expect("mr7_faulted_piece_keeps_pgoff_and_stays_apart", pw_layout(),
		  "2+1 rw-p [anon:a], 10+1 rw-p [anon:a], 11+1 rw-p [anon:a], 12+1 rw-p [anon:a], 13+1 rw-p [anon:a]");
	pw_release();

	pw_reserve();
	named(2, 2, "b", -1);
	named(10, 4, "b", -1);
	if (pw_mremap(2, 2, 2, MF, 11) != 0)
		ktap_exit_fail_msg("moving into b: %s", strerror(errno));
	pw_expect("mr7_unfaulted_lands_inside_same_named_target_one_vma", pw_layout(), "10+4 rw-p [anon:b]");
	pw_release();
}

static void sizes(void)
{
	/* MR8: a move may grow (new pages read zero) or shrink (the tail is unmapped first) */
	pw_reserve();
	named(2, 3, "a", 10);
	if (pw_mremap(3, 1, 2, MF, 10) != 0)
		ktap_exit_fail_msg("growing move: %s", strerror(errno));
	pw_expect("mr8_partial_move_grows", layout_bytes(10, 2), "2+1 rw-p [anon:a], 4+1 rw-p [anon:a], 10+2 rw-p [anon:a]|11 0");
	named(20, 3, "c", 60);
	if (pw_mremap(20, 3, 1, MF, 25) != 0)
		ktap_exit_fail_msg("shrinking move: %s", strerror(errno));
	snprintf(buf, sizeof(buf), "%s|", pw_bytes(20, 3));
	strcat(buf, pw_bytes(25, 1));
	pw_expect("mr8_shrinking_move_leaves_no_source", buf, "-1 -1 -1|60");
	pw_release();

	pw_reserve();
	named(14, 3, "d", -1);
	named(28, 1, "e", -1);
	snprintf(buf, sizeof(buf), "%d|", pw_mremap(14, 3, 1, 0, 0));
	strcat(buf, layout_bytes(15, 2));
	pw_expect("mr8_shrink_in_place_leaves_a_hole", buf, "0|14+1 rw-p [anon:d], 28+1 rw-p [anon:e]|-1 -1");
	snprintf(buf, sizeof(buf), "%d %d", pw_mremap(14, 1, 2, 0, 0), pw_mremap(28, 1, 2, 0, 0));
	pw_expect("mr8_grow_in_place_into_a_hole_ok_into_the_reserve_enomem", buf, "0 12");
	pw_release();
}

static void shared(void)
{
	/* MR9: DONTUNMAP of shared anonymous memory: the source still reads the data (shmem) */
	int named_ok;

	pw_reserve();
	pw_map(2, 2, RW, MAP_SHARED);
	named_ok = pw_name(2, 2, "s") == 0; /* 6.2+ (R10b, S17); EBADF before */
	pw_stamp(2, 2, 10);
	if (pw_mremap(2, 2, 2, DU, 10) != 0)
		ktap_exit_fail_msg("MREMAP_DONTUNMAP of shared memory: %s", strerror(errno));
	snprintf(buf, sizeof(buf), "%s|", pw_bytes(2, 2));
	strcat(buf, pw_bytes(10, 2));
	pw_expect("mr9_shared_dontunmap_source_keeps_the_data", buf, "10 11|10 11");
	pw_expect("mr9_shared_dontunmap_both_named_alike", pw_layout(),
		  named_ok ? "2+2 rw-s [anon_shmem:s], 10+2 rw-s [anon_shmem:s]"
			   : "2+2 rw-s /dev/zero (deleted), 10+2 rw-s /dev/zero (deleted)");
	pw_release();
}

int main(void)
{
	ktap_print_header();
	ktap_set_plan(24);
	dontunmap();
	fixed();
	pieces();
	sizes();
	shared();
	ktap_finished();
}
