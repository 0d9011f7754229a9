// The building blocks of the case language's shape (zod 4): scalars whose every issue says what
// they expect and what the case gave, closed mappings that list their keys, and the values several
// keys share (region ids, errno names, Kconfig terms, version ranges, perms, names, page ranges).
// Shapes check a value with its own keys only; what depends on the rest of the case (regions, the
// window, fork branches, guest limits) is ./resolve.ts's.
import { z } from 'zod';
import { parseRange, RANGE_EXAMPLE, RANGE_PATTERN } from '../kernel/version-range.js';
import { canonicalErrno, ERRNO, ERRNO_ALIASES, similarErrnos } from '../abi/errno.js';
import { describe, EMPTY, list } from './tree.js';

/** Case files describe x86_64 pages; the plan compiler can re-derive byte offsets for another size. */
export const CASE_PAGE_SIZE = 4096;
export const REGION_ID = /^[a-z][a-z0-9_]*$/;
/** A key of docs/kernel-behaviour.md: S1, R10b, MF3. */
export const SPEC_KEY = /^[A-Z]{1,3}[0-9]{1,3}[a-z]?$/;
/** A Kconfig term of `requires`/`when`: `NAME` (y or m), or `NAME=y|m|n` (n: not set). */
export const KCONFIG = /^[A-Z0-9_]+(=[ymn])?$/;
/** The perms column of /proc/PID/maps. */
export const PERMS = /^[r-][w-][x-][ps]$/;

/** Where a case file says something (1-based line and column). */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/** A page range inside the case's window, resolved from region references. */
export interface PageRange {
  at: number;
  pages: number;
}

/** Expected outcome of a step that makes a syscall: success, or failure with this errno name. */
export interface Outcome {
  errno: string | null;
  /** Expected return value on success (`ret:`), where the step allows it. */
  ret?: number;
}

/** The error of every issue of a schema, from the value the case gave. */
export const says = (message: (input: unknown, code: string) => string) => ({ error: (iss: { input?: unknown; code?: string }) => message(iss.input, iss.code ?? '') });
const expected = (what: string) => says((v) => `expected ${what}, got ${describe(v)}`);

export const int = (min: number, max?: number, hint = '') => {
  const e = expected(`an integer ${max === undefined ? `>= ${min}` : `from ${min} to ${max}`}${hint}`);
  return max === undefined ? z.int(e).min(min, e) : z.int(e).min(min, e).max(max, e);
};
export const str = (hint = '') => z.string(expected(`a string${hint}`));
export const bool = () => z.boolean(expected('true or false'));
/** A string that must match `re`; `bad` says why one does not. */
export const pattern = (re: RegExp, hint: string, bad: (s: string) => string) => str(hint).regex(re, says((v) => bad(String(v))));

/** A label that names a point of a case (a sync point, a saved count): `what` is its kind, in messages. */
export const label = (what: string) => pattern(/^[a-z0-9][a-z0-9_-]*$/, ` (a ${what} label)`, (s) => `invalid ${what} label ${JSON.stringify(s)}; labels match [a-z0-9][a-z0-9_-]*`);

/** One of a list of words; `bad` starts the message for another word. */
export const oneOf = <const T extends readonly [string, ...string[]]>(words: T, bad = 'invalid value') =>
  z.enum(words, says((v) => (typeof v === 'string' ? `${bad} ${JSON.stringify(v)}; allowed: ${list(words)}` : `expected one of ${list(words)}, got ${describe(v)}`)));

/**
 * A closed mapping; an unknown key is reported at the key (`{key}` is filled in per key).
 * `what` names it when the value is not a mapping.
 */
export function obj<S extends z.core.$ZodLooseShape>(shape: S, o: { what?: string; unknown?: string } = {}) {
  const keys = Object.keys(shape);
  const unknown = o.unknown ?? `unknown key {key}; allowed: ${list(keys)}`;
  return z.strictObject(shape, says((v, code) => (code === 'unrecognized_keys' ? unknown : `expected ${o.what ?? `a mapping { ${list(keys)} }`}, got ${describe(v)}`)));
}

/** A rule over a whole mapping, checked once its keys and values are right (those are the mistakes to fix first). */
export const needs = <S extends z.ZodType>(shape: S, ok: (v: z.output<S>) => boolean, message: string) =>
  shape.refine(ok, { ...says(() => message), when: (payload) => payload.issues.length === 0 });

export const listOf = <T extends z.ZodType>(item: T, what: string) => z.array(item, expected(`a list of ${what}`));

/** One value for every page, or a list with one per page (Resolver.perPage checks the count); `what`: one value. */
export const perPage = <T extends z.ZodType>(item: T, what: string) =>
  z.union([item, listOf(item, `${what}, one per page`)], says((v) => `expected ${what}, or a list of them with one per page, got ${describe(v)}`));

/** A bigint as a number where it fits one exactly (lengths and addresses near 2^64 stay bigints). */
export const narrow = (v: bigint): number | bigint => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);

/** An integer that may pass 2^53: a YAML integer, or a string of decimal digits or `0x` hex. */
export function bigInt(min: bigint, max: bigint, what: string) {
  const msg = (v: unknown): string => `expected ${what}, an integer from ${min} to ${max} (a string of digits or 0x hex also works), got ${describe(v)}`;
  const e = says(msg);
  return z.union([z.int(e), z.bigint(e), z.string(e).trim().regex(/^-?([0-9]+|0x[0-9a-fA-F]+)$/, e)], e).transform((v, ctx) => {
    const t = String(v);
    const n = t.startsWith('-') ? -BigInt(t.slice(1)) : BigInt(t);
    if (n >= min && n <= max) return n;
    ctx.issues.push({ code: 'custom', message: msg(v), input: v });
    return z.NEVER;
  });
}

/** Every errno name a case may write (aliases too); the model keeps the canonical one. */
export const ERRNO_NAMES = [...Object.keys(ERRNO), ...Object.keys(ERRNO_ALIASES)].sort() as [string, ...string[]];

/** An errno name, or one of the `extra` words. */
export function errnoName(extra: readonly string[] = []) {
  const words = [...extra, ...ERRNO_NAMES] as [string, ...string[]];
  return z
    .enum(words, {
      error: (iss: { input?: unknown }) => {
        const v = iss.input;
        if (typeof v !== 'string') return `expected a string (an errno name such as EINVAL), got ${describe(v)}`;
        const close = similarErrnos(v);
        const hint = close.length === 1 ? `did you mean ${close[0]}?` : close.length ? `did you mean one of: ${list(close)}?` : 'expected a Linux errno name such as EINVAL, ENOMEM, EFAULT, EBADF, EAGAIN, EPERM';
        return `unknown errno name ${JSON.stringify(v)}; ${extra.length ? `allowed: ${list(extra)} or an errno name; ` : ''}${hint}`;
      },
    })
    .transform((n) => canonicalErrno(n) ?? n);
}
export const errno = errnoName().describe('the call must fail with this errno');

/** A reference to a region: the id of an earlier map step (looked up by ./resolve.ts). */
export const regionRef = str(' (a region id)').meta({ description: 'a region id defined by an earlier map step', pattern: REGION_ID.source });

/** A page of the case's window; `{last}` and `{window}` are filled in when it is reported (./resolve.ts). */
export const WINDOW_PAGE = 'an integer from 0 to {last} (a page of the {window}-page window)';
export const windowPage = () => z.int(expected(WINDOW_PAGE)).min(0, expected(WINDOW_PAGE)).describe('a page of the window');

/** The keys that say which pages: `region` (+ `page`, `pages`) or `at` + `pages`. */
export const RANGE_KEYS = {
  region: regionRef.optional(),
  at: windowPage().optional(),
  page: int(0).describe('a page of the region (default 0)').optional(),
  pages: int(1).describe('a number of pages (default: the rest of the region)').optional(),
};
export type RangeKeys = { region?: string; at?: number; page?: number; pages?: number };

const kconfigTerm = pattern(KCONFIG, ' (a Kconfig option)', (s) => `invalid Kconfig term ${JSON.stringify(s)}; expected NAME (y or m) or NAME=y, NAME=m, NAME=n, in upper-case letters, digits and _`)
  .refine((s) => !s.startsWith('CONFIG_'), says((v) => `write ${JSON.stringify(String(v).slice('CONFIG_'.length))} without the CONFIG_ prefix`))
  .describe('a Kconfig option without CONFIG_: NAME (y or m) or NAME=y|m|n');

/** A kernel version range (runner/kernel/version-range.ts), as its normalised text. */
const kernelRange = str(` such as "${RANGE_EXAMPLE}" (a kernel version range; quote it)`)
  .transform((s, ctx) => {
    const p = parseRange(s);
    if (p.ok) return p.range.text;
    ctx.issues.push({ code: 'custom', message: p.message, input: s });
    return z.NEVER;
  })
  .meta({ description: `a kernel version range such as "${RANGE_EXAMPLE}"`, pattern: RANGE_PATTERN.source });

/** `requires` and `when`: Kconfig terms and a version range. */
export const requirements = (what: string) =>
  obj(
    {
      kernel: kernelRange.optional(),
      kconfig: listOf(kconfigTerm, 'Kconfig options such as [ANON_VMA_NAME] or [ANON_VMA_NAME=n]').describe('Kconfig options the kernel must have (NAME, NAME=y, NAME=m) or not have (NAME=n)').optional(),
    },
    { what },
  );

/** What a case or a step needs of the kernel under test. */
export interface Requirements {
  /** Kconfig terms (without `CONFIG_`): `NAME` must be y or m; `NAME=y`, `NAME=m` exactly that; `NAME=n` not set. */
  kconfig: string[];
  /** A version range such as `>=5.17` or `>=6.2 <6.13`, or null. */
  kernel: string | null;
}

/** A perms column such as rw-p. */
export const perms = pattern(PERMS, ' like rw-p', (s) => `invalid perms ${JSON.stringify(s)}; expected 4 characters [r-][w-][x-][ps], e.g. rw-p`);

/** The largest `count` of a `{ repeat, count }` name. */
export const REPEAT_MAX = 4096;
const NAME_WHAT = 'a string, null, { hex: "…" } or { repeat: "…", count: n }';

/** A name: a string, null (clears it), `{ hex }` (raw bytes) or `{ repeat, count }`; ./resolve.ts makes the bytes. */
export const nameValue = z
  .union(
    [
      z.string().describe('the name (UTF-8)'),
      z.null().describe('clears the name'),
      needs(
        obj({
          hex: pattern(/^([0-9a-fA-F]{2})*$/, ' of hex digits', (s) => `invalid hex ${JSON.stringify(s)}; expected pairs of hex digits, e.g. "80ff"`).describe('the name bytes in hex').optional(),
          repeat: str().describe('text to repeat').optional(),
          count: int(0, REPEAT_MAX).describe('how many times').optional(),
        }),
        (v) => Object.keys(v).length > 0,
        `expected ${NAME_WHAT}, got an empty mapping`,
      ).meta({ minProperties: 1 }),
    ],
    says((v) =>
      v === EMPTY
        ? `missing value; expected ${NAME_WHAT} (write null to clear the name, "" for the empty name)`
        : `expected ${NAME_WHAT}, got ${describe(v)}${typeof v === 'object' ? '' : '; quote it to use it as a name'}`,
    ),
  )
  .meta({ id: 'name' });
export type NameValue = z.output<typeof nameValue>;
