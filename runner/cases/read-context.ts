// The reading context of one case file: where each YAML node is (diagnostics with
// file:line:col and the source line), the typed scalar and structure readers that report a
// bad value, and the region ids visible at a step. Every reader of the case language
// (./validate.ts, ./steps/validate.ts, ./expect-observe.ts, ./when.ts, ./probe.ts) gets one.

import { isAlias, isMap, isScalar, isSeq, type Alias, type LineCounter, type Node, type Scalar, type YAMLMap } from 'yaml';
import type { Diagnostic } from './diagnostics.js';
import type { PageRange, SourcePos } from './shared-types.js';

/** A key of a mapping and its value (null when empty). */
export type Field = { key: Scalar; value: Node | null };
/** The known keys of a mapping, by name. */
export type Fields = Map<string, Field>;

/** A region id and the page range it names now (moved by mremap). */
export interface Region {
  id: string;
  /** null when the defining step was invalid: references then skip their checks quietly. */
  range: PageRange | null;
  path: string;
}

/** Region ids visible at a step; a fork branch opens a scope of its own. */
export class Scope {
  private readonly own = new Map<string, Region>();
  constructor(
    readonly parent: Scope | null,
    /** The fork branch this scope is the steps of, null at the top level. */
    readonly branch: 'child' | 'parent' | null = null,
  ) {}
  lookup(id: string): Region | undefined {
    return this.own.get(id) ?? this.parent?.lookup(id);
  }
  define(r: Region): void {
    this.own.set(r.id, r);
  }
  visible(): string[] {
    const ids = new Set<string>(this.parent?.visible() ?? []);
    for (const id of this.own.keys()) ids.add(id);
    return [...ids];
  }
}

/** A key path one key deeper, for diagnostics: `steps[0].map` + `at`. */
export const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);
/** Words for a message: `a, b, c`. */
export const list = (xs: readonly string[]): string => xs.join(', ');

/** Scalar text as the user wrote it, for messages. */
export function describe(n: Node | null): string {
  if (n === null) return 'nothing';
  if (isScalar(n)) {
    const v = n.value;
    if (v === null) return n.source === '' ? 'nothing' : 'null';
    if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
    if (typeof v === 'number') return Number.isInteger(v) ? `integer ${v}` : `number ${v}`;
    if (typeof v === 'boolean') return `boolean ${v}`;
    return typeof v;
  }
  if (isMap(n)) return 'a mapping';
  if (isSeq(n)) return 'a list';
  return 'an unsupported node';
}

/** The validation context of one file: diagnostics, positions and the typed readers. */
export class Ctx {
  readonly diags: Diagnostic[] = [];
  /** Every region id defined anywhere in the case, for hints about branch-local ids. */
  readonly allRegions = new Map<string, Region>();
  /** Steps read so far, aliases expanded; past the guest's op limit the rest are not read. */
  steps = 0;
  /** Plan text the names read so far take (two hex digits a byte); past the plan limit the rest are not built. */
  nameHexBytes = 0;

  constructor(
    readonly file: string,
    private readonly lines: string[],
    private readonly lc: LineCounter,
    /** Every alias → its node (runner/cases/aliases.ts). */
    private readonly aliases: Map<Alias, Node>,
    /** The window's size in pages: the default until the case's `window:` is read. */
    public window: number,
  ) {}

  pos(where: Node | number | null | undefined): SourcePos {
    const offset = typeof where === 'number' ? where : (where?.range?.[0] ?? 0);
    const { line, col } = this.lc.linePos(offset);
    return { file: this.file, line, col };
  }

  error(where: Node | number | null | undefined, path: string, message: string): void {
    const { line, col } = this.pos(where);
    const sourceLine = this.lines[line - 1];
    this.diags.push({ file: this.file, line, col, path, message, ...(sourceLine === undefined ? {} : { sourceLine }) });
  }

  /** The node an alias points to; other nodes as they are. */
  deref(n: Node | null): Node | null {
    if (n !== null && isAlias(n)) return this.aliases.get(n) ?? null;
    return n;
  }

  /** Where to report a bad value: the value, or the key when the value is missing or empty. */
  where(f: Field): Node {
    const v = f.value;
    if (v === null || (isScalar(v) && v.value === null && v.source === '')) return f.key;
    return v;
  }

  // --- structural readers: report and return undefined on a bad value -----------------

  map(n: Node | null, at: Node | null, path: string, what: string): YAMLMap | undefined {
    const v = this.deref(n);
    if (v !== null && isMap(v)) return v;
    const empty = n === null || (isScalar(n) && n.value === null && n.source === '');
    this.error(empty ? (at ?? n) : n, path, `expected ${what}, got ${describe(v)}`);
    return undefined;
  }

  /** The fields of a mapping; unknown and non-string keys are reported. Duplicates were reported already: first wins. */
  fields(m: YAMLMap, path: string, allowed: readonly string[]): Fields {
    const out: Fields = new Map();
    for (const pair of m.items) {
      const k = pair.key as Node | null;
      if (k === null || !isScalar(k) || typeof k.value !== 'string') {
        this.error(k ?? m, path, `keys must be plain strings, got ${describe(k)}`);
        continue;
      }
      if (!allowed.includes(k.value)) {
        this.error(k, join(path, k.value), `unknown key ${JSON.stringify(k.value)}; allowed: ${list(allowed)}`);
        continue;
      }
      if (!out.has(k.value)) out.set(k.value, { key: k, value: (pair.value as Node | null) ?? null });
    }
    return out;
  }

  required(F: Fields, m: YAMLMap, path: string, key: string): Field | undefined {
    const f = F.get(key);
    if (!f) this.error(m, path, `missing required key ${JSON.stringify(key)}`);
    return f;
  }

  str(f: Field, path: string, hint = ''): string | undefined {
    const v = this.deref(f.value);
    if (v !== null && isScalar(v) && typeof v.value === 'string') return v.value;
    this.error(this.where(f), path, `expected a string${hint}, got ${describe(v)}`);
    return undefined;
  }

  int(f: Field, path: string, min: number, max = Number.MAX_SAFE_INTEGER, what = ''): number | undefined {
    const v = this.deref(f.value);
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    if (v !== null && isScalar(v) && typeof v.value === 'number' && Number.isSafeInteger(v.value) && v.value >= min && v.value <= max) {
      return v.value;
    }
    this.error(this.where(f), path, `expected an integer ${range}${what}, got ${describe(v)}`);
    return undefined;
  }

  bool(f: Field, path: string): boolean | undefined {
    const v = this.deref(f.value);
    if (v !== null && isScalar(v) && typeof v.value === 'boolean') return v.value;
    this.error(this.where(f), path, `expected true or false, got ${describe(v)}`);
    return undefined;
  }

  oneOf(f: Field, path: string, allowed: readonly string[]): string | undefined {
    const v = this.deref(f.value);
    if (v !== null && isScalar(v) && typeof v.value === 'string') {
      if (allowed.includes(v.value)) return v.value;
      this.error(f.value, path, `invalid value ${JSON.stringify(v.value)}; allowed: ${list(allowed)}`);
      return undefined;
    }
    this.error(this.where(f), path, `expected one of ${list(allowed)}, got ${describe(v)}`);
    return undefined;
  }

  seq(f: Field, path: string, what: string): Node[] | undefined {
    const v = this.deref(f.value);
    if (v !== null && isSeq(v)) return v.items as Node[];
    this.error(this.where(f), path, `expected ${what}, got ${describe(v)}`);
    return undefined;
  }
}
