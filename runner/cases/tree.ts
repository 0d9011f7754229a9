// A case file's YAML tree seen two ways: as a plain value for the shape check (./shapes.ts and
// the tables built of it) and, from a key path back, as the nodes a diagnostic points at. Aliases are expanded (their
// expansion is bounded before, ./aliases.ts); an empty value (`key:`) stays apart from `null`;
// integers past 2^53 are read exactly, from their source text, as bigints (`name.len`).
import { isAlias, isMap, isScalar, isSeq, type Alias, type LineCounter, type Node, type Scalar, type YAMLMap } from 'yaml';

/** The value of `key:` with nothing after it: not `null`, so that `name:` is not "clear the name". */
export const EMPTY: unique symbol = Symbol('empty value');

/** A key path inside a case (keys and list indices from the top), linked from its last key: one key deeper is O(1). */
export type KeyPath = { readonly up: KeyPath; readonly key: string | number } | null;

/** `path` one or more keys deeper. */
export const sub = (path: KeyPath, ...keys: readonly (string | number)[]): KeyPath => keys.reduce<KeyPath>((up, key) => ({ up, key }), path);

/** `steps[0].map.at`, as diagnostics show a path. */
export const pathText = (path: KeyPath): string =>
  path === null ? '' : typeof path.key === 'number' ? `${pathText(path.up)}[${path.key}]` : path.up === null ? path.key : `${pathText(path.up)}.${path.key}`;

/** Words for a message: `a, b, c`. */
export const list = (xs: readonly string[]): string => xs.join(', ');

/** A plain value as a message names it: `string "3"`, `integer 5`, `nothing`, `a list` … */
export function describe(v: unknown): string {
  if (v === EMPTY || v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `integer ${v}` : `number ${v}`;
  if (typeof v === 'bigint') return `integer ${v}`;
  if (typeof v === 'boolean') return `boolean ${v}`;
  return Array.isArray(v) ? 'a list' : 'a mapping';
}

/** A mapping of the plain value (keys are strings, values plain values). */
export const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An integer written beyond 2^53, from its source text; a YAML float stays a number. */
function scalarValue(n: Scalar): unknown {
  const v = n.value;
  if (v === null || v === undefined) return n.source === '' ? EMPTY : null;
  if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) {
    const text = (n.source ?? '').replace(/^\+/, '');
    if (/^-?([0-9]+|0x[0-9a-fA-F]+)$/.test(text)) return text.startsWith('-') ? -BigInt(text.slice(1)) : BigInt(text);
  }
  return v;
}

/** What a diagnostic points at: the value, or its key (a missing or empty value is shown at its key). */
export type Where = 'value' | 'key';

export class Tree {
  constructor(
    private readonly root: Node | null,
    /** Every alias → its node (./aliases.ts). */
    private readonly aliases: Map<Alias, Node>,
    private readonly lc: LineCounter,
  ) {}

  private deref(n: Node | null): Node | null {
    return n !== null && isAlias(n) ? (this.aliases.get(n) ?? null) : n;
  }

  /**
   * The plain value of the document. A repeated key or a key that is not a string is reported
   * (once, where it is written) and left out: the first one wins.
   */
  value(report: (path: KeyPath, offset: number, message: string) => void): unknown {
    // An alias is the value of its anchor, shared (the anchor comes first, and ./aliases.ts has ruled out cycles).
    const made = new Map<Node, unknown>();
    const plain = (n: Node | null, path: KeyPath): unknown => {
      if (n === null) return EMPTY;
      if (isAlias(n)) {
        const target = this.deref(n);
        return target === null ? EMPTY : made.has(target) ? made.get(target) : plain(target, path);
      }
      if (isScalar(n)) return scalarValue(n);
      if (isSeq(n)) {
        const items: unknown[] = [];
        made.set(n, items);
        n.items.forEach((it, i) => items.push(plain(it as Node | null, sub(path, i))));
        return items;
      }
      if (!isMap(n)) return EMPTY;
      const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      made.set(n, out);
      this.maps.set(out, n);
      const seen = new Map<string, Node>();
      for (const pair of n.items) {
        const k = (pair.key as Node | null) ?? null;
        const kv = k !== null && isScalar(k) ? k.value : undefined;
        const name = typeof kv === 'string' || typeof kv === 'number' || typeof kv === 'boolean' ? String(kv) : null;
        const first = name === null ? undefined : seen.get(name);
        if (k === null || typeof kv !== 'string' || first) {
          if (first && k) {
            const { line, col } = this.lc.linePos(first.range?.[0] ?? 0);
            report(sub(path, name as string), k.range?.[0] ?? 0, `duplicate key ${JSON.stringify(name)} (first at line ${line}, column ${col})`);
          } else report(path, (k ?? n).range?.[0] ?? 0, `keys must be plain strings, got ${k === null ? 'nothing' : isScalar(k) ? describe(scalarValue(k)) : isSeq(k) ? 'a list' : 'a mapping'}`);
          continue;
        }
        seen.set(kv, k);
        out[kv] = plain((pair.value as Node | null) ?? null, sub(path, kv));
      }
      return out;
    };
    return plain(this.root, null);
  }

  /** The mapping node each mapping of the plain value was made from. */
  private readonly maps = new WeakMap<object, YAMLMap>();

  /** The source offset of a key of a mapping of the plain value (a shortcut for `offset(path, 'key')`). */
  keyOffset(mapping: object, key: string): number | undefined {
    const pair = this.maps.get(mapping)?.items.find((p) => isScalar(p.key) && p.key.value === key);
    return (pair?.key as Node | undefined)?.range?.[0];
  }

  /** The key node (null for a list item or the root) and the value node (null when absent) at a path. */
  at(path: KeyPath): { key: Node | null; value: Node | null } {
    if (path === null) return { key: null, value: this.root };
    const n = this.deref(this.at(path.up).value);
    const k = path.key;
    if (typeof k === 'number' && n !== null && isSeq(n)) return { key: null, value: (n.items[k] as Node | null) ?? null };
    const pair = typeof k === 'string' && n !== null && isMap(n) ? n.items.find((p) => isScalar(p.key) && p.key.value === k) : undefined;
    return pair ? { key: pair.key as Node, value: (pair.value as Node | null) ?? null } : { key: null, value: null };
  }

  /** The source offset a diagnostic at a path points to. */
  offset(path: KeyPath, where: Where): number {
    const { key, value } = this.at(path);
    const empty = value === null || (isScalar(value) && value.value === null && value.source === '');
    const node = where === 'key' || empty ? (key ?? value) : value;
    return node?.range?.[0] ?? (path === null ? 0 : this.offset(path.up, 'value'));
  }
}
