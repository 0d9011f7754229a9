// Aliases, resolved once and their expansion bounded before validation. The validator
// reads a case with its aliases resolved, so nested anchors (a fork whose child and
// parent steps are aliases of a fork whose steps are aliases …) make its walk
// exponential: a 1 KB file of 4^17 steps. `expansionProblem` counts the expanded nodes
// in linear time (each node's size once) and finds where the count first passes the
// limit, or an alias inside its own anchor. `aliasTargets` resolves every alias in one
// pass (the yaml library's Alias.resolve walks the whole document on each call).
import { isAlias, isMap, isScalar, isSeq, visit, type Alias, type Document, type Node } from 'yaml';
import { pathText, sub, type KeyPath } from './tree.js';

/** Where the expanded document first passes the limit: the alias, its key path and why. */
export interface ExpansionProblem {
  node: Node;
  path: string;
  message: string;
}

const keyText = (k: unknown): string => (isScalar(k) ? String(k.value) : '?');

/** Every alias of the document → the node it refers to: the last node before it, in document order, with that anchor. */
export function aliasTargets(doc: Document): Map<Alias, Node> {
  const anchors = new Map<string, Node>();
  const targets = new Map<Alias, Node>();
  visit(doc, {
    Node: (_key, node) => {
      if (isAlias(node)) {
        const t = anchors.get(node.source);
        if (t) targets.set(node, t);
      } else if (node.anchor) anchors.set(node.anchor, node);
    },
  });
  return targets;
}

/**
 * Null when the document, aliases expanded, has at most `max` nodes (scalars, mappings,
 * sequences, keys); else the first alias (in document order) that takes it past `max`,
 * or an alias that refers to a node containing it.
 */
export function expansionProblem(doc: Document, targets: Map<Alias, Node>, max: number): ExpansionProblem | null {
  const sizes = new Map<Node, number>();
  const open = new Set<Node>();
  const target = (a: Node): Node | null => (isAlias(a) ? targets.get(a) : undefined) ?? null;

  /** Expanded nodes under n, n included; Infinity for a cycle. */
  const size = (n: Node | null): number => {
    if (n === null) return 0;
    if (isAlias(n)) return size(target(n));
    const known = sizes.get(n);
    if (known !== undefined) return known;
    if (open.has(n)) return Infinity;
    open.add(n);
    let s = 1;
    if (isMap(n)) for (const p of n.items) s += size(p.key as Node | null) + size((p.value as Node | null) ?? null);
    else if (isSeq(n)) for (const it of n.items) s += size(it as Node | null);
    open.delete(n);
    sizes.set(n, s);
    return s;
  };

  let total = 0;
  /** Document order; stops at the first alias that cannot be added. */
  const walk = (n: Node | null, path: KeyPath): ExpansionProblem | null => {
    if (n === null) return null;
    const s = size(n);
    if (total + s <= max) {
      total += s;
      return null;
    }
    if (!isAlias(n) && !isMap(n) && !isSeq(n)) return { node: n, path: pathText(path), message: `this case has more than ${max} YAML nodes` };
    if (isAlias(n)) {
      const message =
        s === Infinity
          ? `alias *${n.source} refers to a node that contains it; a case cannot repeat itself`
          : `aliases expand this case to more than ${max} YAML nodes (this alias alone is ${s}); write the steps out or nest fewer aliases`;
      return { node: n, path: pathText(path), message };
    }
    total += 1;
    if (isMap(n)) {
      for (const p of n.items) {
        const k = sub(path, keyText(p.key));
        const r = walk(p.key as Node | null, k) ?? walk((p.value as Node | null) ?? null, k);
        if (r) return r;
      }
    } else if (isSeq(n)) {
      for (const [i, it] of n.items.entries()) {
        const r = walk(it as Node | null, sub(path, i));
        if (r) return r;
      }
    }
    return null;
  };
  return walk((doc.contents as Node | null) ?? null, null);
}
