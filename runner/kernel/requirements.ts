// A case's `requires` (or a step's `when`) against the kernel under test: met, or the reason to skip.
import { rangeMatches } from './version-range.js';

/** Null when the kernel meets the requirements, else why the case is skipped. */
export function unmetRequirement(requires: { kconfig: string[]; kernel: string | null }, kernel: { release: string; config: Map<string, string> }): string | null {
  if (requires.kernel !== null && !rangeMatches(requires.kernel, kernel.release)) return `needs kernel ${requires.kernel}, this is ${kernel.release}`;
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
