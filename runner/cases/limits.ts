// The limits of case input, in one place. GUEST_LIMITS are what the guest's C programs can
// take: each mirrors a C constant (named with its file) and test/unit/cases-limits.test.ts
// compiles the C side to check they agree. The input limits bound what the loader reads
// before any of it is validated (file size, alias expansion).

/** A limit of the guest: its value, and the C constant it mirrors. */
export interface GuestLimit {
  value: number;
  /** The C macro's name, e.g. `NAME_MAX_BYTES`. */
  constant: string;
  /** The C file that defines it, relative to the repository. */
  file: string;
}

export const GUEST_LIMITS = {
  /** Decoded bytes of a name passed to prctl (`name`, `name-target` ops). */
  nameBytes: { value: 8192, constant: 'NAME_MAX_BYTES', file: 'c-helpers/vmaprobe.c' },
  /** Ops of one plan. */
  ops: { value: 65536, constant: 'OPS_MAX', file: 'c-helpers/vmaprobe.c' },
  /** Bytes of one plan file; the probe reads at most PLAN_MAX - 1 (a full buffer is "plan too large"). */
  planBytes: { value: 4 << 20, constant: 'PLAN_MAX', file: 'c-helpers/vmaprobe.c' },
  /** PROCMAP_QUERY ops of one plan. */
  queries: { value: 4096, constant: 'OBS_QUERIES_MAX', file: 'c-helpers/probe_observe.h' },
  /** Things one process of a case puts back when it ends: sysctl values and tmpfs files. */
  undo: { value: 32, constant: 'STEPS_UNDO_MAX', file: 'c-helpers/probe_steps.h' },
  /** Characters of a tmpfs file's or memfd's name part (the region id). */
  backingName: { value: 64, constant: 'STEPS_BASE_MAX', file: 'c-helpers/probe_steps.h' },
  /** Characters of a sysctl key (a path under /proc/sys). */
  sysctlKey: { value: 96, constant: 'STEPS_KEY_MAX', file: 'c-helpers/probe_steps.h' },
  /** Bytes of the manifest of one boot; init reads at most MANIFEST_MAX - 1 and drops the rest. */
  manifestBytes: { value: 1 << 20, constant: 'MANIFEST_MAX', file: 'c-helpers/init.c' },
  /** Not a limit: the fixed address of the window's reservation (its guard page -1); page 0 is one page above. */
  windowAddress: { value: 0x2000_0000_0000, constant: 'WINDOW_ADDR', file: 'c-helpers/vmaprobe.c' },
} as const satisfies Record<string, GuestLimit>;

/** ", the guest takes at most N (CONSTANT, c-helpers/file)": the tail of a limit's message. */
export const guestTakes = (l: GuestLimit, unit = ''): string => `the guest takes at most ${l.value}${unit} (${l.constant}, ${l.file})`;

/** Bytes of one case file (or one ```yaml block of a page); the largest case is a few KB. */
export const CASE_FILE_MAX_BYTES = 1 << 20;

/**
 * YAML nodes of a case with every alias expanded: enough for a case of OPS_MAX steps,
 * few enough that validating it takes seconds, not the exponential walk of an alias bomb.
 */
export const EXPANDED_NODES_MAX = 1 << 20;

/**
 * An upper bound of one manifest line's bytes (`<index> <timeout_ms> /vmaspec/cases/<index>.plan`
 * or `<index> <timeout_ms> exec /vmaspec/probes/<index>`: runner/plan/plan.ts, runner/guest/initramfs.ts);
 * a timeout of 3600 s stretched 4x is 8 digits. With it, the cases of one run fit MANIFEST_MAX.
 */
export const MANIFEST_LINE_BOUND = 64;

/** The most cases one run (so one boot's manifest) may hold. */
export const CASES_PER_RUN_MAX = Math.floor((GUEST_LIMITS.manifestBytes.value - 1) / MANIFEST_LINE_BOUND);
