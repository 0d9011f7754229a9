// Kernel version ranges, defined once: a case's `requires.kernel`, a step's `when.kernel`
// and a known-splats.yaml entry's `kernel` are parsed, checked, matched and described here,
// and the JSON Schema's pattern for them is built here (cases/README.md, "Kernel version
// ranges", describes the same grammar for people).
//
//   range   = bound { spaces bound }          every bound must hold
//   bound   = [ ">=" | ">" | "<=" | "<" | "=" ] version      (no comparator: "=")
//   version = number [ "." number [ "." number ] ]            6, 6.13, 6.12.118
//
// A bound compares at its own precision: `=6.12` and `<=6.12` take in 6.12.118, `>6.12`
// starts at 6.13.0, `<6.13` ends before 6.13.0. A release (`make kernelrelease`) counts by
// its first three numbers; what follows them is ignored: 6.13.0-rc2 and 6.13-rc1 are 6.13.0
// (they meet `>=6.13`, since a feature is in a release from its -rc1), 6.12.118-amd64 and
// 6.12.118+ are 6.12.118.

/** The comparators of a bound, longest first (the order a pattern must try them in). */
export const RANGE_OPS = ['>=', '<=', '>', '<', '='] as const;
export type RangeOp = (typeof RANGE_OPS)[number];

/** Major, minor and patch level; a version with fewer numbers is padded with zeros. */
type Triple = readonly [number, number, number];

/** One bound as written and the half-open interval [from, until) of releases it takes in. */
export interface Bound {
  op: RangeOp;
  /** The version's numbers as written (one to three). */
  version: readonly number[];
  /** Null: no lower limit. */
  from: Triple | null;
  /** Null: no upper limit. */
  until: Triple | null;
}

/** A parsed range: every bound must hold. */
export interface VersionRange {
  bounds: readonly Bound[];
  /** The range normalised for messages and the case model: bounds as written, one space apart. */
  text: string;
}

/** The outcome of parsing: the range, or one message saying what is wrong and what is allowed. */
export type RangeParse = { ok: true; range: VersionRange } | { ok: false; message: string };

/** An example range, for messages and the schema. */
export const RANGE_EXAMPLE = '>=6.2 <6.13';
/** What a range may be, for messages and the schema's description. */
export const RANGE_ALLOWED = `bounds separated by spaces, each an optional >=, >, <=, < or = (none means =) and a version of one to three numbers, e.g. ">=5.17" or "${RANGE_EXAMPLE}"`;

const OP_SOURCE = `(${RANGE_OPS.join('|')})`;
const VERSION_SOURCE = '[0-9]+(\\.[0-9]+){0,2}';
/** One bound, anchored. */
export const BOUND_PATTERN = new RegExp(`^${OP_SOURCE}?${VERSION_SOURCE}$`);
/** A whole range as the validator accepts it (spaces around allowed), anchored: the JSON Schema's pattern. */
export const RANGE_PATTERN = new RegExp(`^\\s*${OP_SOURCE}?${VERSION_SOURCE}(\\s+${OP_SOURCE}?${VERSION_SOURCE})*\\s*$`);

const BOUND = /^(>=|<=|>|<|=)?([0-9]+(?:\.[0-9]+){0,2})$/;

const pad = (v: readonly number[]): Triple => [v[0] ?? 0, v[1] ?? 0, v[2] ?? 0];
/** The first version after every version that starts with `v`: `6.12` → 6.13.0. */
const after = (v: readonly number[]): Triple => pad(v.map((n, i) => (i === v.length - 1 ? n + 1 : n)));
/** Orders two versions (negative: a is older). */
export const compareVersions = (a: Triple, b: Triple): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
const cmp = compareVersions;

/** True when a release's version is past every release a version names: `6.12` names 6.12.x, so 6.13.0 is past it. */
export const pastVersion = (release: Triple, v: readonly number[]): boolean => cmp(release, after(v)) >= 0;

function bound(op: RangeOp, version: readonly number[]): Bound {
  switch (op) {
    case '>=':
      return { op, version, from: pad(version), until: null };
    case '>':
      return { op, version, from: after(version), until: null };
    case '<=':
      return { op, version, from: null, until: after(version) };
    case '<':
      return { op, version, from: null, until: pad(version) };
    case '=':
      return { op, version, from: pad(version), until: after(version) };
  }
}

const boundText = (b: Pick<Bound, 'op' | 'version'>): string => `${b.op}${b.version.join('.')}`;

/** Why one term is not a bound, as specific as the mistake allows. */
function termProblem(term: string, next: string | undefined): string {
  const q = JSON.stringify(term);
  if (/^(>=|<=|>|<|=)$/.test(term)) return `${q} needs its version right after it, without a space: ${JSON.stringify(term + (next ?? '6.13'))}`;
  if (term.includes(',')) return `${q}: bounds are separated by spaces, not commas`;
  if (term === '||' || term.includes('|')) return `${q}: a range is one interval (all bounds must hold); there is no "or"`;
  const op = /^(=>|=<|==|!=|~|\^)/.exec(term)?.[1];
  if (op !== undefined) {
    const instead: Record<string, string> = { '=>': '>=', '=<': '<=', '==': '=' };
    const rest = term.slice(op.length);
    return instead[op] ? `unknown comparator ${JSON.stringify(op)}; did you mean ${JSON.stringify(instead[op] + rest)}?` : `unknown comparator ${JSON.stringify(op)}; allowed: ${RANGE_OPS.join(', ')}`;
  }
  const m = /^(>=|<=|>|<|=)?(.*)$/.exec(term);
  const cmpOp = m?.[1] ?? '';
  const version = m?.[2] ?? term;
  if (/^[vV][0-9]/.test(version)) return `${q}: write the version without "v": ${JSON.stringify(cmpOp + version.slice(1))}`;
  const numbers = /^[0-9]+(?:\.[0-9]+)*/.exec(version)?.[0];
  if (numbers !== undefined && numbers.split('.').length > 3) return `${q}: a version has at most three numbers (major.minor.patch)`;
  if (numbers !== undefined && numbers.length < version.length) {
    const tail = version.slice(numbers.length);
    if (tail === '+') return `${q}: for ${numbers} and later write ${JSON.stringify(`>=${numbers}`)}`;
    if (tail.startsWith('-')) return `${q}: a bound is numbers only; ${JSON.stringify(tail)} is not compared (${numbers}${tail} meets ${JSON.stringify(`>=${numbers}`)})`;
  }
  return `${q} is not a bound`;
}

/** Reads a range; a message names the first bad term (or the bounds that exclude each other) and what is allowed. */
export function parseRange(text: string): RangeParse {
  const terms = text.trim() === '' ? [] : text.trim().split(/\s+/);
  if (terms.length === 0) return { ok: false, message: `empty version range; expected ${RANGE_ALLOWED}` };
  const bounds: Bound[] = [];
  for (const [i, term] of terms.entries()) {
    const m = BOUND.exec(term);
    if (!m) {
      // A range of one term need not name the term again.
      const q = JSON.stringify(term);
      let why = termProblem(term, terms[i + 1]);
      if (terms.length === 1) why = why === `${q} is not a bound` ? '' : why.startsWith(`${q}: `) ? why.slice(q.length + 2) : why;
      return { ok: false, message: `invalid version range ${JSON.stringify(text)}${why ? `: ${why}` : ''}; expected ${RANGE_ALLOWED}` };
    }
    bounds.push(bound((m[1] ?? '=') as RangeOp, m[2]!.split('.').map(Number)));
  }
  const range: VersionRange = { bounds, text: terms.join(' ') };
  const empty = emptyRangeReason(range);
  if (empty !== null) return { ok: false, message: `version range ${JSON.stringify(text)} matches no kernel (${empty})` };
  return { ok: true, range };
}

/** Null when some release lies in the range, else why none can: `no kernel is >=6.13 and <6.2`. */
export function emptyRangeReason(range: VersionRange): string | null {
  let lo: { b: Bound; at: Triple } | null = null;
  let hi: { b: Bound; at: Triple } | null = null;
  for (const b of range.bounds) {
    if (b.from !== null && (lo === null || cmp(b.from, lo.at) > 0)) lo = { b, at: b.from };
    if (b.until !== null && (hi === null || cmp(b.until, hi.at) < 0)) hi = { b, at: b.until };
  }
  if (hi === null || cmp(lo?.at ?? [0, 0, 0], hi.at) < 0) return null;
  // `=V` shows the side that conflicts: its lower limit as >=V, its upper as <=V.
  const upper = boundText({ op: hi.b.op === '=' ? '<=' : hi.b.op, version: hi.b.version });
  if (lo === null) return `no kernel is ${upper}`;
  return `no kernel is ${boundText({ op: lo.b.op === '=' ? '>=' : lo.b.op, version: lo.b.version })} and ${upper}`;
}

/** A release's version: its first three numbers (`6.13.0-rc2` → 6.13.0, `6.12.118-amd64` → 6.12.118); null when it does not start with one. */
export function releaseVersion(release: string): Triple | null {
  const m = /^([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?![0-9])/.exec(release.trim());
  if (!m) return null;
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

/** True when the release lies in the range (a range given as text must be valid); a release with no version matches nothing. */
export function rangeMatches(range: VersionRange | string, release: string): boolean {
  const r = typeof range === 'string' ? validRange(range) : range;
  const v = releaseVersion(release);
  if (v === null) return false;
  return r.bounds.every((b) => (b.from === null || cmp(v, b.from) >= 0) && (b.until === null || cmp(v, b.until) < 0));
}

/** The range of text that was validated when it was read; throws (a harness bug) when it is not a range. */
export function validRange(text: string): VersionRange {
  const p = parseRange(text);
  if (!p.ok) throw new Error(`internal: ${p.message}`);
  return p.range;
}
