// The generator of `vmaspec explore`: random step lists over the case language (runner/cases/),
// as RAW case values (what a user writes in YAML), one GENERATORS entry per step kind. A draw is
// free of state, so fast-check shrinks it; `build` turns the drawn list into steps in order,
// knowing only what the case language knows (the window, the regions defined so far), so every
// draw, and every shrunk draw, is a valid case. `caseText` writes it as YAML and `loadGenerated`
// loads it through the normal loader: a generated case is a case by the one definition.
import fc from 'fast-check';
import { Document, isMap, isSeq, type YAMLMap, type YAMLSeq } from 'yaml';
import { parseCase } from '../cases/load.js';
import { ADVICE_NAMES } from '../cases/steps/advice.js';
import { MAP_FLAGS, PROT, STEP_KINDS, type StepKind } from '../cases/steps.js';
import type { Case } from '../cases/types.js';

/** Pages of a generated case's window: room for a few mappings, their holes and moves. */
export const EXPLORE_WINDOW = 12;
/** Steps of one generated list (the top level, a child's, a parent's), before the views. */
const LIST_MAX = 8;
const BRANCH_MAX = 4;
/** The most pages one step spans. */
const SPAN_MAX = 4;

/** A raw step: `{ <kind>: <value> }`, as a step list item of a case file. */
export type RawStep = Record<string, unknown>;
/** A raw case: the top-level keys of a case file. */
export interface RawCase {
  title: string;
  window: number;
  steps: RawStep[];
}

/** A region the generator may still name: defined by a map step in scope, not yet moved by mremap. */
interface Region {
  id: string;
  at: number;
  pages: number;
}

/** What a step is built in: the window, the regions in scope, the case's next region number, and whether its lists record every view. */
export interface GenContext {
  window: number;
  /** `record: all` steps in every list (the differential oracle reads them; the model's claims take their own views). */
  views: boolean;
  regions: Region[];
  ids: { next: number };
}

/** One drawn step: its kind, its draw, and whether every view is recorded after it. */
export interface Item {
  kind: StepKind;
  draw: unknown;
  observe: boolean;
}

/** A step kind's generator: a draw over `list` (a step list, for steps that hold lists), and the raw step value it becomes here. */
interface StepGen<D> {
  /** How often it is drawn against the others (default 1). */
  weight?: number;
  draw(list: fc.Arbitrary<Item[]>): fc.Arbitrary<D>;
  /** The raw value, or undefined when the context has nothing it can act on (the item is dropped). */
  build(d: D, ctx: GenContext): unknown;
}
const gen = <D>(g: StepGen<D>): StepGen<unknown> => g as StepGen<unknown>;

/** The step that records every view (`expect.record`); every process's list ends with it. */
export const RECORD_ALL: RawStep = { expect: { record: 'all' } };
/** Whether a raw step is the generator's `record: all` (it checks nothing; a finding leaves it out). */
export const isRecordAll = (step: RawStep): boolean => JSON.stringify(step) === JSON.stringify(RECORD_ALL);

/** Names at the edges: prefixes of each other, the empty name, 79 bytes (the longest) and 80 (one too long, R3), clearing (null), refused characters (`[`, `$`, DEL as `{ hex: "7f" }`, which a case file shows: R4). */
export const EDGE_NAMES: readonly unknown[] = ['a', 'ab', 'abc', 'b', '', { repeat: 'z', count: 79 }, { repeat: 'z', count: 78 }, null, 'x[', 'a$', { hex: '7f' }, 'a b', { repeat: 'z', count: 80 }];
/** The advice the generator gives: those whose effect the views show, and none that needs swap or THP. */
const ADVICE_DRAWN = ['dontneed', 'free', 'willneed', 'cold', 'pageout', 'populate_read', 'populate_write', 'dontfork', 'dofork', 'wipeonfork', 'keeponfork', 'mergeable', 'unmergeable', 'normal', 'random', 'dontdump', 'remove'].filter((a) =>
  ADVICE_NAMES.includes(a),
);
const PROTS = Object.keys(PROT) as (keyof typeof PROT)[];
const BACKINGS = ['anon', 'anon', 'anon', 'memfd', 'tmpfs', 'zero'] as const;

/** A page range of the window: `at` and `pages` (clipped to the window when built). */
const span = fc.record({ at: fc.nat(EXPLORE_WINDOW - 1), pages: fc.integer({ min: 1, max: SPAN_MAX }) });
const clip = (ctx: GenContext, s: { at: number; pages: number }) => ({ at: s.at % ctx.window, pages: Math.min(s.pages, ctx.window - (s.at % ctx.window)) });
const ranged = <O extends Record<string, fc.Arbitrary<unknown>>>(own: O) =>
  gen({ draw: () => fc.record({ span, ...own }), build: ({ span: s, ...rest }: { span: { at: number; pages: number } }, ctx) => ({ ...clip(ctx, s), ...rest }) });

/** A child's or parent's steps: a copy of the regions (what it defines or moves stays in its branch). */
const branch = (ctx: GenContext): GenContext => ({ ...ctx, regions: ctx.regions.map((r) => ({ ...r })) });

/** The generators, one per step kind generated. */
export const GENERATORS: Partial<Record<StepKind, StepGen<unknown>>> = {
  map: gen({
    weight: 4,
    draw: () =>
      fc.record({
        span,
        prot: fc.constantFrom(...PROTS.filter((p) => p !== 'none'), 'rw', 'rw', 'none'),
        shared: fc.boolean(),
        backing: fc.constantFrom(...BACKINGS),
        unlink: fc.constantFrom('before', 'after', 'never'),
        flags: fc.subarray(MAP_FLAGS.filter((f) => f !== 'fixed_noreplace' && f !== 'droppable' && f !== 'growsdown'), { maxLength: 2 }),
      }),
    build: (d, ctx) => {
      const id = `r${ctx.ids.next++}`;
      const { at, pages } = clip(ctx, d.span);
      ctx.regions = [...ctx.regions.filter((r) => r.at + r.pages <= at || r.at >= at + pages), { id, at, pages }];
      return {
        id,
        at,
        pages,
        ...(d.prot === 'rw' ? {} : { prot: d.prot }),
        ...(d.shared ? { shared: true } : {}),
        ...(d.backing === 'anon' ? {} : { backing: d.backing }),
        ...(d.backing === 'tmpfs' && d.unlink !== 'never' ? { unlink: d.unlink } : {}),
        ...Object.fromEntries(d.flags.map((f) => [f, true])),
      };
    },
  }),
  unmap: ranged({}),
  mprotect: ranged({ prot: fc.constantFrom(...PROTS) }),
  name: gen({
    weight: 3,
    // One name call in eight has len 0 (R8: nothing is renamed, the name is still checked); one
    // in eight fails its 1st, 2nd or 3rd allocation (fail_nth, R5: the name's copies, then a split, R11).
    draw: () => fc.record({ span, name: fc.constantFrom(...EDGE_NAMES), lenZero: fc.nat(7).map((n) => n === 0), failNth: fc.nat(23).map((n) => (n < 3 ? n + 1 : 0)) }),
    build: (d, ctx) => {
      const { at, pages } = clip(ctx, d.span);
      return { at, ...(d.lenZero ? { len: 0 } : { pages }), name: d.name, ...(d.failNth ? { fail_nth: d.failNth } : {}) };
    },
  }),
  touch: gen({
    weight: 2,
    draw: () => fc.record({ span, access: fc.constantFrom('write', 'read') }),
    build: (d, ctx) => ({ ...clip(ctx, d.span), ...(d.access === 'read' ? { access: 'read' } : {}) }),
  }),
  madvise: ranged({ advice: fc.constantFrom(...ADVICE_DRAWN) }),
  mlock: ranged({ onfault: fc.boolean() }),
  munlock: ranged({}),
  mremap: gen({
    draw: () => fc.record({ pick: fc.nat(), pages: fc.option(fc.integer({ min: 1, max: SPAN_MAX }), { nil: undefined }), to: fc.option(fc.nat(EXPLORE_WINDOW - 1), { nil: undefined }) }),
    build: (d, ctx) => {
      const region = ctx.regions[d.pick % Math.max(1, ctx.regions.length)];
      if (!region) return undefined;
      // The region is moved (or not, when the call fails): the generator names it no more.
      ctx.regions = ctx.regions.filter((r) => r !== region);
      const to = d.to === undefined ? undefined : d.to % ctx.window;
      const at = to ?? region.at;
      const pages = Math.min(d.pages ?? region.pages, ctx.window - at);
      return pages === region.pages && to === undefined ? { region: region.id, to: region.at } : { region: region.id, size: pages, ...(to === undefined ? {} : { to }) };
    },
  }),
  brk: gen({
    draw: () => fc.record({ grow: fc.boolean(), pages: fc.integer({ min: 1, max: 3 }) }),
    build: (d) => (d.grow ? { grow: d.pages } : { shrink: d.pages }),
  }),
  memory_merge: gen({
    draw: () => fc.boolean(),
    build: (enable: boolean) => ({ enable }),
  }),
  fork: gen({
    draw: (list) => fc.record({ child: list, parent: list, syncs: fc.array(fc.record({ child: fc.nat(), parent: fc.nat() }), { maxLength: SYNC_MAX }) }),
    build: (d: { child: Item[]; parent: Item[]; syncs: { child: number; parent: number }[] }, ctx) => {
      const child = withSyncs(buildList(d.child, branch(ctx)), d.syncs.map((x) => x.child));
      // A parent with sync points records what it sees at the end, even with no steps of its own.
      const parent = d.parent.length || d.syncs.length ? withSyncs(buildList(d.parent, branch(ctx)), d.syncs.map((x) => x.parent)) : [];
      return { child, ...(parent.length ? { parent } : {}) };
    },
  }),
};

/** Ordering points of one fork block: the child and the parent act in turn between them. */
const SYNC_MAX = 2;

/**
 * A branch's steps with the fork block's sync points `s1`, `s2`, … inserted in order, each before
 * the step at its drawn position (taken modulo the list; never after the final `record: all`).
 * Both branches get the same labels in the same order, so they pair (runner/cases/steps.ts pairSyncs).
 */
function withSyncs(steps: RawStep[], at: readonly number[]): RawStep[] {
  const places = at.map((n) => n % Math.max(1, steps.length)).sort((a, b) => a - b);
  const out = [...steps];
  places.forEach((p, k) => out.splice(p + k, 0, { sync: { label: `s${k + 1}` } }));
  return out;
}

/** Step kinds the generator leaves out, each with why; with GENERATORS, every kind of STEPS is decided. */
export const NOT_GENERATED: Partial<Record<StepKind, string>> = {
  expect: 'the generator writes its own: `record: all` after chosen steps and at the end of every list (oracles add checks)',
  sysctl: 'writes machine-wide settings: a case that lowers vm.max_map_count changes what the cases after it in the boot see',
  process_madvise: 'needs a live child of a fork block in its parent steps; cold/pageout there are what madvise already covers',
  mseal: 'seals for good: every later step on the range fails with EPERM, which hides what the sequence does',
};

/** Step kinds drawn only inside another kind's value: sync points, by the fork generator (they pair across its two lists). */
export const DRAWN_WITHIN: Partial<Record<StepKind, StepKind>> = { sync: 'fork' };

/** The kinds generated, in table order (the draw is an index into it, so the order is part of the seed's meaning). */
export const GENERATED_KINDS = STEP_KINDS.filter((k) => GENERATORS[k] !== undefined);

/** The arbitrary of a step list: items of every generated kind, fork nesting at most twice. */
function listArbitrary(): fc.Arbitrary<Item[]> {
  const { list } = fc.letrec<{ item: Item; list: Item[] }>((tie) => ({
    item: fc.oneof(
      { depthSize: 'small', withCrossShrink: true, maxDepth: 2 },
      ...GENERATED_KINDS.map((kind) => {
        const g = GENERATORS[kind] as StepGen<unknown>;
        const list = kind === 'fork' ? (tie('list') as fc.Arbitrary<Item[]>).map((l) => l.slice(0, BRANCH_MAX)) : fc.constant<Item[]>([]);
        return { weight: g.weight ?? 1, arbitrary: fc.record({ kind: fc.constant(kind), draw: g.draw(list), observe: fc.boolean() }) };
      }),
    ),
    list: fc.array(tie('item') as fc.Arbitrary<Item>, { maxLength: LIST_MAX }),
  }));
  return list;
}

/** The steps of a drawn list built in ctx, each followed by `record: all` when drawn so, and one at the end. */
export function buildList(items: readonly Item[], ctx: GenContext): RawStep[] {
  const out: RawStep[] = [];
  for (const item of items) {
    const g = GENERATORS[item.kind];
    const value = g?.build(item.draw, ctx);
    if (value === undefined) continue;
    out.push({ [item.kind]: value });
    if (ctx.views && item.observe && item !== items[items.length - 1]) out.push(RECORD_ALL);
  }
  if (ctx.views) out.push(RECORD_ALL);
  return out;
}

/** The arbitrary of a generated case's draw: the top-level step list. */
export const caseDraw = (): fc.Arbitrary<Item[]> => listArbitrary();

/** The raw case of a drawn list; `title` says where it came from; `views`: with the `record: all` steps. */
export function buildCase(items: readonly Item[], title: string, views = true): RawCase {
  return { title, window: EXPLORE_WINDOW, steps: buildList(items, { window: EXPLORE_WINDOW, views, regions: [], ids: { next: 1 } }) };
}

/** Step values (not fork's) as flow mappings, one line a step as the hand-written cases are. */
function flowSteps(seq: YAMLSeq): void {
  for (const item of seq.items) {
    if (!isMap(item)) continue;
    for (const pair of (item as YAMLMap).items) {
      const kind = (pair.key as { value?: unknown }).value;
      const value = pair.value;
      if (kind === 'fork' && isMap(value)) for (const p of value.items) isSeq(p.value) && flowSteps(p.value);
      else if (isMap(value) || isSeq(value)) value.flow = true;
    }
  }
}

/** A raw case as YAML text, after `comments` (lines without their `# `). */
export function caseText(raw: RawCase, comments: readonly string[] = []): string {
  const doc = new Document(raw, { aliasDuplicateObjects: false });
  const steps = doc.get('steps', true);
  if (isSeq(steps)) flowSteps(steps);
  const head = comments.map((c) => `# ${c}`.trimEnd()).join('\n');
  return `${head ? `${head}\n` : ''}${doc.toString({ lineWidth: 0, flowCollectionPadding: true })}`;
}

/** Loads a generated case's text through the normal loader; a problem is the generator's bug, thrown with the diagnostics. */
export function loadGenerated(text: string, file: string, id: string): Case {
  const { case: c, diagnostics } = parseCase(text, file, id);
  if (!c) throw new Error(`vmaspec explore generated an invalid case ${id}:\n${diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`).join('\n')}\n${text}`);
  return c;
}
