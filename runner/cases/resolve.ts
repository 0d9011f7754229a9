// The resolve pass of one case file: what the shape (./shapes.ts) cannot see alone. It reports
// every problem through one path → position index (./tree.ts): the zod issues of the shape check
// as well as its own (regions and their scopes across fork branches, the window's bounds, the
// `region`/`at`/`page` choice, guest limits), as `file:line:col: key.path: message`.
import type { LineCounter } from 'yaml';
import type { z } from 'zod';
import { diagnosticAt, type Diagnostic } from './diagnostics.js';
import { GUEST_LIMITS, guestTakes } from './limits.js';
import { RANGE_KEYS, type NameValue, type PageRange, type RangeKeys, type SourcePos } from './shapes.js';
import { describe, isMapping, list, pathText, sub, type KeyPath, type Tree, type Where } from './tree.js';

/** A region id and the page range it names now (moved by mremap). */
export interface Region {
  id: string;
  /** null when the defining step was invalid: references then skip their checks quietly. */
  range: PageRange | null;
  /** Where it was defined, for messages: `steps[0].map.id (line 3)`. */
  path: string;
}

/** Region ids visible at a step, and the fork_points labels saved in its process; a fork branch opens a scope of its own. */
export class Scope {
  private readonly own = new Map<string, Region>();
  /** fork_points labels saved here, each with where (`steps[2].expect.fork_points.save (line 7)`). */
  private readonly points = new Map<string, string>();
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
    return [...new Set([...(this.parent?.visible() ?? []), ...this.own.keys()])];
  }
  /** The scopes of this scope's process, innermost first: a fork's child branch is another process, its parent branch the same. */
  private process(): Scope[] {
    return [this, ...(this.branch === 'child' ? [] : (this.parent?.process() ?? []))];
  }
  /** Where a fork_points label was saved in this process. */
  savedPoints(label: string): string | undefined {
    return this.process().find((s) => s.points.has(label))?.points.get(label);
  }
  /** The fork_points labels saved in this process, in the order they were saved. */
  pointLabels(): string[] {
    return this.process()
      .reverse()
      .flatMap((s) => [...s.points.keys()]);
  }
  savePoints(label: string, where: string): void {
    this.points.set(label, where);
  }
}

/** Which VMA an expectation speaks of: the one holding window page `at`; with `pages` it must also start there and span that many. */
export interface VmaSelector {
  at: number;
  pages: number | null;
}

/** Pages picked by `region` (+ `page`) or `at`, before a default for `pages`: `rest` pages are there from `at`. */
export interface Picked {
  at: number;
  pages: number | undefined;
  rest: number;
  byRegion: boolean;
}

type ZodIssue = { code: string; path: PropertyKey[]; message: string; keys?: string[]; errors?: ZodIssue[][] };

function valueAt(root: unknown, path: KeyPath): unknown {
  if (path === null) return root;
  const o = valueAt(root, path.up);
  return typeof o === 'object' && o !== null ? (o as Record<string | number, unknown>)[path.key] : undefined;
}

/** Whether the issues of a union's option say the value has the option's type (and is wrong inside it). */
const hasType = (issues: readonly ZodIssue[]): boolean =>
  issues.every((i) => i.path.length > 0 || (i.code !== 'invalid_type' && (i.code !== 'invalid_union' || (i.errors ?? []).some(hasType))));

/**
 * A shape check: the issues, and the value; when the mistakes of a mapping are all inside some of
 * its keys (`dropped`) or are unknown keys, the value without those keys, if it fits without them.
 */
function parse<S extends z.ZodType>(shape: S, value: unknown): { data: z.output<S> | undefined; dropped: string[]; issues: ZodIssue[] } {
  const r = shape.safeParse(value);
  if (r.success) return { data: r.data, dropped: [], issues: [] };
  const issues = r.error.issues as unknown as ZodIssue[];
  if (!isMapping(value) || issues.some((i) => i.path.length === 0 && i.code !== 'unrecognized_keys')) return { data: undefined, dropped: [], issues };
  const unknown = issues.flatMap((i) => (i.path.length === 0 ? (i.keys ?? []) : []));
  const dropped = [...new Set(issues.flatMap((i) => (i.path.length > 0 ? [String(i.path[0])] : [])))];
  const rest = shape.safeParse(Object.fromEntries(Object.entries(value).filter(([k]) => !dropped.includes(k) && !unknown.includes(k))));
  return { data: rest.success ? rest.data : undefined, dropped, issues };
}

export class Resolver {
  readonly diags: Diagnostic[] = [];
  /** Every region id defined anywhere in the case, for hints about branch-local ids. */
  readonly allRegions = new Map<string, Region>();
  /** Steps read so far, aliases expanded; past the guest's op limit the rest are not read. */
  steps = 0;
  /** Plan text the names read so far take (two hex digits a byte). */
  nameHexBytes = 0;
  /** The heap's pages after the `brk` steps read so far in this process (0: no heap; it exists only once brk grows it). */
  heapPages = 0;
  /** The whole case as a plain value (./tree.ts), set before anything is checked. */
  root: unknown = undefined;

  constructor(
    readonly file: string,
    private readonly tree: Tree,
    private readonly lc: LineCounter,
    private readonly lines: readonly string[],
    /** The window's size in pages: the default until the case's `window:` is read. */
    public window: number,
  ) {}

  /** Where a key of a mapping of the case is (`pos(sub(path, key), 'key')` without the walk from the top). */
  keyPos(mapping: object, key: string, path: KeyPath): SourcePos {
    const offset = this.tree.keyOffset(mapping, key);
    return offset === undefined ? this.pos(sub(path, key), 'key') : this.pos(null, { offset });
  }

  /** Where a diagnostic at `path` points (see `error`). */
  pos(path: KeyPath, where: Where | { offset: number } = 'value'): SourcePos {
    const { line, col } = this.lc.linePos(typeof where === 'object' ? where.offset : this.tree.offset(path, where));
    return { file: this.file, line, col };
  }

  /** Reports at the value of `path` (its key when the value is empty, or with `where: 'key'`, or at an offset); `shown` is the path printed. */
  error(path: KeyPath, message: string, where: Where | { offset: number } = 'value', shown: KeyPath = path): void {
    const { line, col } = this.pos(path, where);
    const text = message.replaceAll('{window}', String(this.window)).replaceAll('{last}', String(this.window - 1));
    this.diags.push(diagnosticAt(this.file, this.lines, line, col, pathText(shown), text));
  }

  /** The value at `path` checked by a shape, its issues reported; see `take` for what comes back. */
  check<S extends z.ZodType>(shape: S, value: unknown, path: KeyPath): z.output<S> | undefined {
    const r = this.parse(shape, value, path);
    this.issues(r.issues, path);
    return r.data;
  }

  /**
   * The value at `path` checked by a shape, or undefined when it does not fit (the shape check
   * reports why). A mapping whose mistakes are in some keys comes back without them, so that one
   * mistake does not hide the others: what is then missing (`missing`) is not reported again.
   */
  take<S extends z.ZodType>(shape: S, value: unknown, path: KeyPath): z.output<S> | undefined {
    return this.parse(shape, value, path).data;
  }

  /** The mappings (by path) that `take` gave back without some keys, and those keys. */
  private readonly left = new Map<string, string[]>();

  private parse<S extends z.ZodType>(shape: S, value: unknown, path: KeyPath): ReturnType<typeof parse<S>> {
    const r = parse(shape, value);
    if (r.dropped.length > 0) this.left.set(pathText(path), r.dropped);
    return r;
  }

  /** The keys of the mapping at `path` that were left out for their mistakes (a default in their place would mislead). */
  dropped(path: KeyPath): readonly string[] {
    return this.left.get(pathText(path)) ?? [];
  }

  /** Reports that the mapping at `path` lacks a key, unless keys were left out of it for their mistakes (one of them may be it). */
  missing(path: KeyPath, keys: readonly string[], message = `missing required key ${keys.map((k) => JSON.stringify(k)).join(' or ')}`): void {
    if (this.dropped(path).length === 0) this.error(path, message);
  }

  /** Reports the issues of a shape check of the value at `base`: unknown keys at the key, a missing key at its mapping. */
  private issues(issues: readonly ZodIssue[], base: KeyPath): void {
    for (const iss of issues) {
      const path = sub(base, ...(iss.path as (string | number)[]));
      if (iss.code === 'unrecognized_keys') {
        for (const k of iss.keys ?? []) this.error(sub(path, k), iss.message.replace('{key}', JSON.stringify(k)), 'key');
      } else if (path !== null && valueAt(this.root, path) === undefined) {
        this.error(path.up, iss.message.startsWith('missing') ? iss.message : `missing required key ${JSON.stringify(path.key)}`);
      } else if (iss.code === 'invalid_union' && iss.errors) {
        // The one option whose type the value has says what is wrong inside it; else the union says what it takes.
        const typed = iss.errors.filter(hasType);
        if (typed.length === 1) this.issues(typed[0] ?? [], path);
        else this.error(path, iss.message);
      } else this.error(path, iss.message);
    }
  }

  /** Reports an integer outside the window (or `lo`..`hi`), which the shape cannot know. */
  inWindow(v: number, path: KeyPath, lo = 0, hi = this.window - 1, what = `an integer from ${lo} to ${hi} (a page of the {window}-page window)`): boolean {
    if (v >= lo && v <= hi) return true;
    this.error(path, `expected ${what}, got ${describe(v)}`);
    return false;
  }

  /** Whether the heap exists (a brk step grew it) for the key at `path`; reported when it does not. */
  hasHeap(path: KeyPath): boolean {
    if (this.heapPages === 0) this.error(path, 'the heap does not exist until brk grows it; add a step brk: { grow: 1 } before this one');
    return this.heapPages > 0;
  }

  /** Whether a value given per page (one for all, or a list with one per page) fits `pages` pages; reported when not. */
  perPage(v: unknown, pages: number, path: KeyPath): boolean {
    const n = Array.isArray(v) ? v.length : pages;
    if (n !== pages) this.error(path, `${n} value${n === 1 ? '' : 's'} for ${pages} page${pages === 1 ? '' : 's'}; give one per page, or one value (not a list) for all`);
    return n === pages;
  }

  /** The region a `region:` key names, visible from this step; undefined once the mistake is reported. */
  region(id: string, path: KeyPath, scope: Scope): { id: string; range: PageRange } | undefined {
    const region = scope.lookup(id);
    if (!region) {
      const elsewhere = this.allRegions.get(id);
      const visible = scope.visible();
      this.error(
        path,
        elsewhere
          ? `region ${JSON.stringify(id)} is not visible here (defined at ${elsewhere.path}, in a fork branch that does not enclose this step)`
          : `region ${JSON.stringify(id)} is not defined by an earlier map step; ${visible.length ? `defined: ${list(visible)}` : 'no region is defined yet'}`,
      );
      return undefined;
    }
    return region.range === null ? undefined : { id, range: region.range }; // its map step was reported already
  }

  /**
   * Which pages `region` (+ `page`, `pages`) or `at` (+ `pages`) name; undefined once a mistake is reported.
   * `reach`: pages beyond each end of the window `at` may name (a `name` step reaches the guard page and the hole past it).
   */
  pick(s: RangeKeys, path: KeyPath, scope: Scope, reach = 0): Picked | undefined {
    const at = (k: string): KeyPath => sub(path, k);
    // Without a key of its own (left out for a mistake) the range would be another one.
    if (this.dropped(path).some((k) => k in RANGE_KEYS)) return undefined;
    if (s.region !== undefined && s.at !== undefined) return void this.error(at('at'), 'give region or at, not both', 'key');
    if (s.region === undefined && s.at === undefined) return void this.missing(path, ['region', 'at']);
    if (s.region !== undefined) {
      const found = this.region(s.region, at('region'), scope);
      if (!found) return undefined;
      const { id, range } = found;
      const page = s.page ?? 0;
      if (page >= range.pages) return void this.error(at('page'), `page ${page} is outside region ${JSON.stringify(id)} (${range.pages} pages: 0..${range.pages - 1})`);
      if (s.pages !== undefined && page + s.pages > range.pages) {
        return void this.error(at('pages'), `pages ${s.pages} from page ${page} runs past region ${JSON.stringify(id)} (${range.pages} pages); use at: for a range across regions`);
      }
      return { at: range.at + page, pages: s.pages, rest: range.pages - page, byRegion: true };
    }
    const a = s.at as number;
    if (s.page !== undefined) return void this.error(at('page'), 'page is only used with region; with at, give the window page directly', 'key');
    const [lo, hi] = [-reach, this.window - 1 + reach];
    const what = reach ? `an integer from ${lo} to ${hi} (a page of the {window}-page window, or up to ${reach} beyond either end)` : undefined;
    if (!this.inWindow(a, at('at'), lo, hi, what)) return undefined;
    if (s.pages !== undefined && a + s.pages > hi + 1) return void this.error(at('pages'), `pages ${s.pages} from page ${a} runs past ${reach ? `page ${hi}` : `the window (${this.window} pages)`}`);
    return { at: a, pages: s.pages, rest: hi + 1 - a, byRegion: false };
  }

  /** A page range of a step: `pages` defaults to the rest of the region; with `at` it is required. `reach`: as for pick. */
  range(s: RangeKeys, path: KeyPath, scope: Scope, reach = 0): PageRange | undefined {
    const p = this.pick(s, path, scope, reach);
    if (p && p.pages === undefined && !p.byRegion) this.missing(path, ['pages']);
    return p && (p.pages !== undefined || p.byRegion) ? { at: p.at, pages: p.pages ?? p.rest } : undefined;
  }

  /**
   * A name's bytes (null clears it); undefined once reported. A name must fit the guest, and the
   * names of a case its plan: past the plan limit, later ones are reported and not built.
   */
  nameBytes(v: NameValue, path: KeyPath): Uint8Array | null | undefined {
    if (v === null) return null;
    if (typeof v === 'string') return this.fits(path, Buffer.byteLength(v)) ? new TextEncoder().encode(v) : undefined;
    if (v.hex !== undefined) {
      if (v.repeat !== undefined || v.count !== undefined) return void this.error(sub(path, v.repeat !== undefined ? 'repeat' : 'count'), 'give hex or repeat + count, not both', 'key');
      return this.fits(sub(path, 'hex'), v.hex.length / 2) ? Uint8Array.from(Buffer.from(v.hex, 'hex')) : undefined;
    }
    if (v.repeat === undefined || v.count === undefined) return void this.error(path, `missing required key ${JSON.stringify(v.repeat === undefined ? 'repeat' : 'count')}`);
    // Checked before the bytes are built: { repeat: <100 KB>, count: 4096 } would be 400 MB.
    return this.fits(path, Buffer.byteLength(v.repeat) * v.count) ? new TextEncoder().encode(v.repeat.repeat(v.count)) : undefined;
  }

  private fits(path: KeyPath, bytes: number): boolean {
    const { nameBytes, planBytes } = GUEST_LIMITS;
    if (bytes > nameBytes.value) {
      this.error(path, `name is ${bytes} bytes; ${guestTakes(nameBytes, ' bytes')}`);
      return false;
    }
    const before = this.nameHexBytes;
    this.nameHexBytes += 2 * bytes;
    if (this.nameHexBytes < planBytes.value) return true;
    if (before < planBytes.value) {
      this.error(path, `the names of this case take ${planBytes.value} bytes of plan text by here (two hex digits a byte); the guest reads plans of less than ${planBytes.value} bytes (${planBytes.constant}, ${planBytes.file})`);
    }
    return false;
  }

  /**
   * Each item of a list (or the one mapping given instead, with `one`) that fits `item`, resolved
   * by `read`; undefined when any does not (every item is still read, so every mistake is reported).
   */
  each<S extends z.ZodType, T>(item: S, raw: unknown, path: KeyPath, read: (v: z.output<S>, path: KeyPath, written: unknown) => T | undefined, one = false): T[] | undefined {
    const items = Array.isArray(raw) ? raw.map((v, i) => [v, sub(path, i)] as const) : one && isMapping(raw) ? [[raw, path] as const] : null;
    if (!items) return undefined;
    const out: T[] = [];
    let ok = true;
    for (const [v, p] of items) {
      const typed = this.take(item, v, p);
      const r = typed === undefined ? undefined : read(typed, p, v);
      if (r === undefined) ok = false;
      else out.push(r);
    }
    return ok ? out : undefined;
  }
}
