// How much slower than the default kernel a kernel runs the cases, read from its
// .config. A case's `timeout` is written for the default kernel; on a kernel with
// run-time checkers (the `debug` profile, or a user's prebuilt debug kernel) the
// guest's per-case timeout and the host's boot watchdog are stretched by this
// factor, so the same case stays a timeout check instead of becoming a blanket
// raise. Ratios a case measures itself (fork-cost) are not touched: both sides
// of a ratio pay the same checks.

/** An option that slows every case down, and the factor its timeouts get (docs/debug-profile.md). */
export interface SlowOption {
  option: string;
  factor: number;
}

/**
 * The run-time checkers of the debug profile. Measured together (docs/debug-profile.md,
 * 3 runs each, 2 cores, TCG): the median per-case time ratio debug/default was 3.5x,
 * cases over 100 ms 1.0-2.3x, the worst 8.3x on a 15 ms case (a fixed 60-110 ms more
 * per case: exec and exit under KASAN and lockdep), boot to the first case ~3x. Each
 * option gets 4: the bound for a case that takes a real share of its timeout. A
 * checker whose cost grows with the case rather than by a factor is a `requires`
 * of the case instead (fork-cost: DEBUG_VM_MAPLE_TREE=n).
 */
export const SLOW_OPTIONS: readonly SlowOption[] = [
  { option: 'KASAN', factor: 4 },
  { option: 'PROVE_LOCKING', factor: 4 },
];

/**
 * The factor of a kernel: the largest factor of the checkers it has (they were
 * measured together, so they do not multiply); 1 when it has none.
 */
export function kernelSlowdown(config: ReadonlyMap<string, string>): number {
  return SLOW_OPTIONS.reduce((f, s) => (config.get(s.option) === 'y' ? Math.max(f, s.factor) : f), 1);
}

/** The checkers of SLOW_OPTIONS a kernel has, for the log line that explains stretched timeouts. */
export function slowOptionsOf(config: ReadonlyMap<string, string>): string[] {
  return SLOW_OPTIONS.filter((s) => config.get(s.option) === 'y').map((s) => s.option);
}
