// A case's `requires` against the kernel under test: met, or the reason to skip.

/** Compares dotted versions numerically (`6.12.117` > `6.2`); a missing part counts as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

const COMPARATOR = /^(>=|<=|>|<|=)?(\d+(?:\.\d+){0,2})$/;

/** True when the range text is well formed: space-separated comparators such as `>=5.17 <6.13`. */
export function isVersionRange(range: string): boolean {
  const parts = range.trim().split(/\s+/);
  return parts.length > 0 && parts.every((p) => COMPARATOR.test(p));
}

/** True when `release` (e.g. `6.12.117` or `6.12.0-rc1+`) lies in the range; each bound is compared at its own precision. */
export function versionSatisfies(release: string, range: string): boolean {
  const version = /^\d+(?:\.\d+){0,2}/.exec(release)?.[0] ?? '0';
  return range
    .trim()
    .split(/\s+/)
    .every((part) => {
      const m = COMPARATOR.exec(part);
      if (!m) return false;
      // The release is compared at the bound's precision: `=6.12` and `<=6.12` take in 6.12.117.
      const bound = m[2]!;
      const c = compareVersions(version.split('.').slice(0, bound.split('.').length).join('.'), bound);
      switch (m[1] ?? '=') {
        case '>=':
          return c >= 0;
        case '<=':
          return c <= 0;
        case '>':
          return c > 0;
        case '<':
          return c < 0;
        default:
          return c === 0;
      }
    });
}

/** Null when the kernel meets the requirements, else why the case is skipped. */
export function unmetRequirement(requires: { kconfig: string[]; kernel: string | null }, kernel: { release: string; config: Map<string, string> }): string | null {
  if (requires.kernel !== null && !versionSatisfies(kernel.release, requires.kernel)) return `needs kernel ${requires.kernel}, this is ${kernel.release}`;
  const unmet = requires.kconfig.filter((term) => !kconfigHolds(term, kernel.config));
  if (unmet.length === 0) return null;
  const wanted = unmet.filter((t) => !t.endsWith('=n'));
  const unwanted = unmet.filter((t) => t.endsWith('=n')).map((t) => t.slice(0, -2));
  const show = (names: string[]): string => names.map((n) => `CONFIG_${n}`).join(', ');
  return [
    wanted.length > 0 ? `needs ${show(wanted)}, not set in this kernel` : null,
    unwanted.length > 0 ? `needs ${show(unwanted)} off, set in this kernel` : null,
  ]
    .filter((s) => s !== null)
    .join('; ');
}

/** Whether a Kconfig term (`NAME`, `NAME=y|m|n`) holds for a .config (option name → value). */
export function kconfigHolds(term: string, config: Map<string, string>): boolean {
  const [name, want] = term.split('=') as [string, string | undefined];
  const value = config.get(name);
  const set = value === 'y' || value === 'm';
  if (want === undefined) return set;
  if (want === 'n') return !set;
  return value === want;
}
