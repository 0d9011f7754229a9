// Failures as the reports show them: the failures of one layout or VMA-count check follow
// each other (verdict/layout.ts), and their one diff (text or drawing) comes after the last.
import type { Failure, LayoutContext } from '../verdict/types.js';

/** A run of failures; `layout`: the check they share, shown once after them. */
export interface FailureGroup {
  failures: Failure[];
  layout: LayoutContext | null;
}

const layoutKey = (f: Failure): string | null => (f.layout ? `${f.step}\0${f.layout.path}` : null);

/** The failures in order, consecutive failures of one layout check in one group. */
export function failureGroups(failures: readonly Failure[]): FailureGroup[] {
  const groups: FailureGroup[] = [];
  let last: string | null = null;
  for (const f of failures) {
    const key = layoutKey(f);
    const open = groups.at(-1);
    if (open && key !== null && key === last) open.failures.push(f);
    else groups.push({ failures: [f], layout: f.layout ?? null });
    last = key;
  }
  return groups;
}
