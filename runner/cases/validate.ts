// Validation: the YAML AST of one case file → a Case, or diagnostics.
// The schema is closed: every key is known, every value checked, every
// problem reported with its position and key path (grammar: cases/README.md).

import { isMap, isScalar, isSeq, type Alias, type Document, type LineCounter, type Node, type YAMLMap } from 'yaml';
import { aliasTargets } from './aliases.js';
import type { Diagnostic } from './diagnostics.js';
import { readObserve } from './expect-observe.js';
import { OBSERVE_KEYS } from './expect-types.js';
import { readProbe } from './probe.js';
import { Ctx, describe, join, list, Scope, type Field, type Region } from './read-context.js';
import { readErrno, readKconfigTerms, readKernelRange, readNameValue, readRange, readVmaList } from './read-values.js';
import { readGuarded } from './when.js';
import { isNameTarget, readByteLen, readExtraStep, readMapBacking, readNamePointer, readNameTarget, readSpecial, readTouchErrno } from './steps/validate.js';
import { withImplied } from './implied.js';
import { GUEST_LIMITS, guestTakes } from './limits.js';
import type { Case, Expectation, PageRange, Requirements, SourcePos, Step } from './types.js';
import { MAP_FLAGS, type MapFlag } from './shared-types.js';
import { LOCK_CALLS } from './steps/types.js';

/** Case files describe x86_64 pages; the plan compiler can re-derive byte offsets for another size. */
export const CASE_PAGE_SIZE = 4096;

export const TOP_KEYS = ['title', 'spec', 'requires', 'window', 'timeout', 'steps', 'probe'] as const;
export const STEP_KINDS = ['map', 'unmap', 'mprotect', 'name', 'touch', 'fork', 'expect', 'mremap', 'madvise', 'process_madvise', ...LOCK_CALLS, 'brk', 'sysctl'] as const;
export const MAP_KEYS = ['id', 'at', 'pages', 'prot', 'shared', ...MAP_FLAGS, 'backing', 'unlink', 'errno'] as const;
export const UNMAP_KEYS = ['region', 'at', 'page', 'pages', 'errno'] as const;
export const MPROTECT_KEYS = ['region', 'at', 'page', 'pages', 'prot', 'errno'] as const;
export const TOUCH_KEYS = ['region', 'at', 'page', 'pages', 'access', 'errno'] as const;
/** The largest `fail_nth`: a prctl reaches a handful of allocation points. */
export const FAIL_NTH_MAX = 1000;

export const NAME_KEYS = ['region', 'at', 'page', 'pages', 'name', 'len', 'offset', 'pointer', 'fail_nth', 'target', 'errno'] as const;
export const FORK_KEYS = ['child', 'parent'] as const;
export const EXPECT_KEYS = ['layout', 'vmas', 'special', ...OBSERVE_KEYS] as const;
export const LAYOUT_KEYS = ['at', 'region', 'page', 'pages', 'perms', 'name'] as const;
export const REQUIRES_KEYS = ['kconfig', 'kernel'] as const;

/** YAML prot words → the plan's prot text. */
export const PROT: Readonly<Record<string, string>> = Object.freeze({
  none: '---',
  r: 'r--',
  rw: 'rw-',
  rx: 'r-x',
  rwx: 'rwx',
  w: '-w-',
  x: '--x',
  wx: '-wx',
});
const PROT_WORDS = Object.keys(PROT);
export const ACCESS: Readonly<Record<string, 'r' | 'w'>> = { read: 'r', write: 'w' };

export const DEFAULT_WINDOW = 32;
export const WINDOW_MIN = 4;
export const WINDOW_MAX = 4096;
export const DEFAULT_TIMEOUT_S = 10;
/** Under emulation a small case takes a few hundred ms from its probe's start; less than this only makes flaky timeouts. */
export const TIMEOUT_MIN_S = 1;
export const TIMEOUT_MAX_S = 3600;

export const REGION_ID = /^[a-z][a-z0-9_]*$/;
export const SPEC_KEY = /^[A-Z]{1,3}[0-9]{1,3}[a-z]?$/;

// --- duplicate keys ----------------------------------------------------------------------

/** Reports every duplicate key in the document at the second (third …) occurrence. */
function checkDuplicates(ctx: Ctx, n: Node | null, path: string): void {
  if (n === null) return;
  if (isMap(n)) {
    const seen = new Map<string, Node>();
    for (const pair of n.items) {
      const k = pair.key as Node | null;
      const v = (pair.value as Node | null) ?? null;
      if (k !== null && isScalar(k) && (typeof k.value === 'string' || typeof k.value === 'number' || typeof k.value === 'boolean')) {
        const name = String(k.value);
        const first = seen.get(name);
        if (first) {
          const p = ctx.pos(first);
          ctx.error(k, join(path, name), `duplicate key ${JSON.stringify(name)} (first at line ${p.line}, column ${p.col})`);
        } else {
          seen.set(name, k);
          checkDuplicates(ctx, v, join(path, name));
        }
      } else {
        checkDuplicates(ctx, v, path);
      }
    }
  } else if (isSeq(n)) {
    n.items.forEach((item, i) => checkDuplicates(ctx, item as Node | null, `${path}[${i}]`));
  }
}

// --- shared pieces -------------------------------------------------------------------------

function readProt(ctx: Ctx, f: Field | undefined, path: string): string | undefined {
  if (!f) return PROT['rw'];
  const word = ctx.oneOf(f, join(path, 'prot'), PROT_WORDS);
  return word === undefined ? undefined : PROT[word];
}

// --- steps ---------------------------------------------------------------------------------

function readMap(ctx: Ctx, m: YAMLMap, path: string, scope: Scope, pos: SourcePos): Step | undefined {
  const F = ctx.fields(m, path, MAP_KEYS);
  let id: string | null = null;
  const idF = F.get('id');
  let idOk = true;
  let badId: string | undefined;
  if (idF) {
    const p = join(path, 'id');
    const v = ctx.str(idF, p, ' (a region id)');
    if (v === undefined) idOk = false;
    else if (!REGION_ID.test(v)) {
      ctx.error(idF.value, p, `invalid region id ${JSON.stringify(v)}; ids match [a-z][a-z0-9_]*`);
      idOk = false;
      badId = v;
    } else {
      const prev = scope.lookup(v);
      if (prev) {
        ctx.error(idF.value, p, `duplicate region id ${JSON.stringify(v)}; already defined at ${prev.path}`);
        idOk = false;
      } else id = v;
    }
  }
  const atF = ctx.required(F, m, path, 'at');
  const pagesF = ctx.required(F, m, path, 'pages');
  let range: PageRange | null = null;
  if (atF && pagesF) {
    const at = ctx.int(atF, join(path, 'at'), 0, ctx.window - 1, ` (a page of the ${ctx.window}-page window)`);
    const pages = ctx.int(pagesF, join(path, 'pages'), 1);
    if (at !== undefined && pages !== undefined) {
      if (at + pages > ctx.window) {
        ctx.error(pagesF.value, join(path, 'pages'), `pages ${pages} from page ${at} runs past the window (${ctx.window} pages)`);
      } else range = { at, pages };
    }
  }
  const prot = readProt(ctx, F.get('prot'), path);
  const flagValue = (key: string): boolean | undefined => {
    const f = F.get(key);
    return f ? ctx.bool(f, join(path, key)) : false;
  };
  const shared = flagValue('shared');
  const flags: MapFlag[] = [];
  let flagsOk = true;
  for (const flag of MAP_FLAGS) {
    const v = flagValue(flag);
    if (v === undefined) flagsOk = false;
    else if (v) flags.push(flag);
  }
  if (shared && flags.includes('droppable')) {
    // MAP_DROPPABLE is a mapping type of its own (0x08), in place of MAP_PRIVATE or MAP_SHARED.
    ctx.error(F.get('shared')!.value, join(path, 'shared'), 'droppable is the mapping type MAP_DROPPABLE, in place of MAP_PRIVATE and MAP_SHARED; leave shared false');
    flagsOk = false;
  }
  const outcome = readErrno(ctx, F, path);
  const regionPath = `${join(path, 'id')} (line ${pos.line})`;
  if (id !== null) {
    const r: Region = { id, range, path: regionPath };
    scope.define(r);
    if (!ctx.allRegions.has(id)) ctx.allRegions.set(id, r);
  } else if (!idOk && badId !== undefined && !scope.lookup(badId)) {
    // An invalid id: later references to it stay quiet instead of cascading.
    scope.define({ id: badId, range: null, path: regionPath });
  }
  const backing = readMapBacking(ctx, F, path);
  const { backingName } = GUEST_LIMITS;
  if (backing && backing.kind !== 'zero' && id !== null && id.length > backingName.value) {
    ctx.error(idF?.value ?? m, join(path, 'id'), `region id is ${id.length} characters and names the ${backing.kind} file; ${guestTakes(backingName, ' characters')}`);
    return undefined;
  }
  if (range === null || prot === undefined || shared === undefined || !flagsOk || backing === undefined) return undefined;
  return { kind: 'map', id, range, prot, shared, flags, outcome, pos, ...(backing ? { backing } : {}) };
}

function readName(ctx: Ctx, m: YAMLMap, path: string, scope: Scope, pos: SourcePos): Step | undefined {
  const F = ctx.fields(m, path, NAME_KEYS);
  const r = readRange(ctx, F, m, path, scope, { pagesOptional: true });
  let offset = 0;
  const offsetF = F.get('offset');
  if (offsetF) {
    const v = ctx.int(offsetF, join(path, 'offset'), 0, CASE_PAGE_SIZE - 1, ' (bytes added to the start)');
    if (v === undefined) return undefined;
    offset = v;
  }
  let byteLen: number | bigint | null = null;
  const lenF = F.get('len');
  if (lenF) {
    const v = readByteLen(ctx, lenF, join(path, 'len'));
    if (v === undefined) return undefined;
    byteLen = v;
  }
  const { pointer, ok: pointerOk } = readNamePointer(ctx, F, path);
  const failF = F.get('fail_nth');
  const failNth = failF ? ctx.int(failF, join(path, 'fail_nth'), 1, FAIL_NTH_MAX, ' (the Nth allocation of the call fails)') : undefined;
  if (failF && failNth === undefined) return undefined;
  const nameF = pointer === 'unmapped' ? undefined : ctx.required(F, m, path, 'name');
  const name = pointer === 'unmapped' ? null : nameF ? readNameValue(ctx, nameF, join(path, 'name')) : undefined;
  const outcome = readErrno(ctx, F, path);
  if (!r || name === undefined || !pointerOk) return undefined;
  const start = r.at * CASE_PAGE_SIZE + offset;
  const len = byteLen ?? (r.pages ?? 0) * CASE_PAGE_SIZE;
  const windowBytes = ctx.window * CASE_PAGE_SIZE;
  // A len beyond a JS number (R7: near 2^64) is meant to leave the address space.
  if (lenF && typeof len === 'number' && start + len > windowBytes) {
    ctx.error(lenF.value, join(path, 'len'), `len ${len} from byte ${start} runs past the window (${windowBytes} bytes)`);
    return undefined;
  }
  const range: PageRange = { at: r.at, pages: r.pages ?? (typeof len === 'number' ? Math.ceil(len / CASE_PAGE_SIZE) : 0) };
  return { kind: 'name', start, len, name, outcome, pos, range, offset, byteLen, ...(pointer ? { pointer } : {}), ...(failNth ? { failNth } : {}) };
}

function readExpect(ctx: Ctx, f: Field, path: string, scope: Scope, pos: SourcePos): Step | undefined {
  const m = ctx.map(f.value, f.key, path, 'a mapping with layout and/or vmas');
  if (!m) return undefined;
  const F = ctx.fields(m, path, EXPECT_KEYS);
  if (m.items.length === 0) {
    ctx.error(m, path, `expect needs at least one of: ${list(EXPECT_KEYS)}`);
    return undefined;
  }
  const expect: Expectation = {};
  let ok = true;
  const layoutF = F.get('layout');
  if (layoutF) {
    const layout = readVmaList(ctx, layoutF, join(path, 'layout'), LAYOUT_KEYS, 'at, pages, perms?, name?', (IF, im, ip) => {
      const r = readRange(ctx, IF, im, ip, scope);
      return r ? { at: r.at, pages: r.pages ?? 0 } : undefined;
    });
    if (layout) expect.layout = layout;
    else ok = false;
  }
  const vmasF = F.get('vmas');
  if (vmasF) {
    const v = ctx.int(vmasF, join(path, 'vmas'), 0);
    if (v === undefined) ok = false;
    else {
      expect.vmas = v;
      if (expect.layout && ok && expect.layout.length !== v) {
        ctx.error(vmasF.value, join(path, 'vmas'), `vmas ${v} disagrees with layout (${expect.layout.length} entries)`);
        ok = false;
      }
    }
  }
  const specialF = F.get('special');
  if (specialF) {
    const sp = readSpecial(ctx, specialF, join(path, 'special'), scope);
    if (sp === undefined) ok = false;
    else expect.special = sp;
  }
  const observe = readObserve(ctx, F, path, scope);
  if (observe === undefined) ok = false;
  else if (observe !== null) expect.observe = observe;
  return ok && F.size > 0 ? { kind: 'expect', expect, pos } : undefined;
}

function readFork(ctx: Ctx, f: Field, path: string, scope: Scope, pos: SourcePos): Step | undefined {
  const m = ctx.map(f.value, f.key, path, 'a mapping { child: [steps], parent?: [steps] }');
  if (!m) return undefined;
  const F = ctx.fields(m, path, FORK_KEYS);
  const childF = ctx.required(F, m, path, 'child');
  const branch = (bf: Field | undefined, key: string): Step[] | undefined => {
    if (!bf) return [];
    const bp = join(path, key);
    const items = ctx.seq(bf, bp, 'a list of steps');
    return items ? readSteps(ctx, items, bp, new Scope(scope, key === 'child' ? 'child' : 'parent')) : undefined;
  };
  const child = childF ? branch(childF, 'child') : undefined;
  const parent = branch(F.get('parent'), 'parent');
  if (!child || !parent) return undefined;
  return { kind: 'fork', child, parent, pos };
}

function readStep(ctx: Ctx, item: Node | null, path: string, scope: Scope): Step | undefined {
  const stepWhat = `a step: a mapping with one key of ${list(STEP_KINDS)}`;
  const m = ctx.map(item, null, path, stepWhat);
  if (!m) return undefined;
  if (m.items.length === 0) {
    ctx.error(m, path, `empty step; expected one key of ${list(STEP_KINDS)}`);
    return undefined;
  }
  if (m.items.length > 1) {
    const keys = m.items.map((p) => {
      const k = p.key as Node | null;
      return k !== null && isScalar(k) ? String(k.value) : describe(k);
    });
    ctx.error(m.items[1]?.key as Node | null, path, `a step has exactly one key; found ${keys.length}: ${list(keys)}`);
    return undefined;
  }
  const pair = m.items[0];
  const k = (pair?.key as Node | null) ?? null;
  if (k === null || !isScalar(k) || typeof k.value !== 'string' || !(STEP_KINDS as readonly string[]).includes(k.value)) {
    const shown = k !== null && isScalar(k) ? String(k.value) : describe(k);
    ctx.error(k ?? m, join(path, shown), `unknown step ${JSON.stringify(shown)}; allowed: ${list(STEP_KINDS)}`);
    return undefined;
  }
  const kind = k.value as (typeof STEP_KINDS)[number];
  const f: Field = { key: k, value: (pair?.value as Node | null) ?? null };
  const p = join(path, kind);
  const pos = ctx.pos(k);
  switch (kind) {
    case 'map': {
      const sm = ctx.map(f.value, k, p, `a mapping { ${list(MAP_KEYS)} }`);
      return sm ? readMap(ctx, sm, p, scope, pos) : undefined;
    }
    case 'unmap': {
      const sm = ctx.map(f.value, k, p, 'a mapping { region | at, page?, pages?, errno? }');
      if (!sm) return undefined;
      const F = ctx.fields(sm, p, UNMAP_KEYS);
      const r = readRange(ctx, F, sm, p, scope);
      const outcome = readErrno(ctx, F, p);
      return r && r.pages !== null ? { kind: 'unmap', range: { at: r.at, pages: r.pages }, outcome, pos } : undefined;
    }
    case 'mprotect': {
      const sm = ctx.map(f.value, k, p, 'a mapping { region | at, page?, pages?, prot, errno? }');
      if (!sm) return undefined;
      const F = ctx.fields(sm, p, MPROTECT_KEYS);
      const r = readRange(ctx, F, sm, p, scope);
      const protF = ctx.required(F, sm, p, 'prot');
      const prot = protF ? readProt(ctx, protF, p) : undefined;
      const outcome = readErrno(ctx, F, p);
      return r && r.pages !== null && prot !== undefined ? { kind: 'mprotect', range: { at: r.at, pages: r.pages }, prot, outcome, pos } : undefined;
    }
    case 'touch': {
      const sm = ctx.map(f.value, k, p, 'a mapping { region | at, page?, pages?, access? }');
      if (!sm) return undefined;
      const F = ctx.fields(sm, p, TOUCH_KEYS);
      const r = readRange(ctx, F, sm, p, scope);
      const accessF = F.get('access');
      const word = accessF ? ctx.oneOf(accessF, join(p, 'access'), Object.keys(ACCESS)) : 'write';
      const access = word === undefined ? undefined : ACCESS[word];
      const outcome = readTouchErrno(ctx, F, p);
      return r && r.pages !== null && access && outcome ? { kind: 'touch', range: { at: r.at, pages: r.pages }, access, outcome, pos } : undefined;
    }
    case 'name': {
      const sm = ctx.map(f.value, k, p, `a mapping { ${list(NAME_KEYS)} }`);
      if (sm && isNameTarget(sm)) return readNameTarget(ctx, sm, p, pos);
      return sm ? readName(ctx, sm, p, scope, pos) : undefined;
    }
    case 'mremap':
    case 'madvise':
    case 'process_madvise':
    case 'mlock':
    case 'munlock':
    case 'mseal':
    case 'brk':
    case 'sysctl': {
      const sm = ctx.map(f.value, k, p, `a mapping (${kind} keys: cases/README.md)`);
      return sm ? readExtraStep(ctx, kind, sm, p, scope, pos) : undefined;
    }
    case 'fork':
      return readFork(ctx, f, p, scope, pos);
    case 'expect':
      return readExpect(ctx, f, p, scope, pos);
  }
}

function readSteps(ctx: Ctx, items: Node[], path: string, scope: Scope): Step[] | undefined {
  const steps: Step[] = [];
  let ok = true;
  const { ops } = GUEST_LIMITS;
  for (const [i, item] of items.entries()) {
    // Every step is at least one plan op: past the limit, reading on only costs time and memory.
    if (ctx.steps++ === ops.value) ctx.error(item, `${path}[${i}]`, `more than ${ops.value} steps in this case (aliases expanded); ${guestTakes(ops, ' ops')} per case`);
    if (ctx.steps > ops.value) return undefined;
    const s = readGuarded(ctx, item, `${path}[${i}]`, scope, readStep);
    if (s) steps.push(s);
    else ok = false;
  }
  return ok ? steps : undefined;
}

// --- top level -----------------------------------------------------------------------------

function readSpec(ctx: Ctx, f: Field): string[] {
  const v = ctx.deref(f.value);
  const check = (n: Node | null, path: string): string | null => {
    const s = ctx.deref(n);
    if (s === null || !isScalar(s) || typeof s.value !== 'string') {
      ctx.error(n ?? f.key, path, `expected a key of kernel-behaviour.md such as S1, R10b, MF3, got ${describe(s)}`);
      return null;
    }
    if (!SPEC_KEY.test(s.value)) {
      ctx.error(n, path, `invalid spec key ${JSON.stringify(s.value)}; expected a key of kernel-behaviour.md such as S1, R10b, MF3`);
      return null;
    }
    return s.value;
  };
  if (v !== null && isSeq(v)) {
    return v.items.map((it, i) => check(it as Node | null, `spec[${i}]`)).filter((s): s is string => s !== null);
  }
  const one = check(f.value, 'spec');
  return one === null ? [] : [one];
}

function readRequires(ctx: Ctx, f: Field): Requirements {
  const req: Requirements = { kconfig: [], kernel: null };
  const m = ctx.map(f.value, f.key, 'requires', 'a mapping { kconfig?: [NAME], kernel?: ">=5.17" }');
  if (!m) return req;
  const F = ctx.fields(m, 'requires', REQUIRES_KEYS);
  const kf = F.get('kconfig');
  if (kf) req.kconfig = readKconfigTerms(ctx, kf, 'requires.kconfig') ?? [];
  const vf = F.get('kernel');
  if (vf) req.kernel = readKernelRange(ctx, vf, 'requires.kernel') ?? null;
  return req;
}

export interface ValidateInput {
  doc: Document.Parsed;
  lineCounter: LineCounter;
  source: string;
  /** The file as shown in diagnostics (relative to the working directory). */
  file: string;
  id: string;
  /** The document's aliases resolved (aliasTargets); computed when absent. */
  aliases?: Map<Alias, Node>;
}

/** Validates one parsed document; the case is null when any diagnostic was reported. */
export function validateCase(input: ValidateInput): { case: Case | null; diagnostics: Diagnostic[] } {
  const { doc, lineCounter, source, file, id } = input;
  const ctx = new Ctx(file, source.split('\n'), lineCounter, input.aliases ?? aliasTargets(doc), DEFAULT_WINDOW);
  const root = doc.contents as Node | null;
  checkDuplicates(ctx, root, '');
  const v = ctx.deref(root);
  if (v === null || (isScalar(v) && v.value === null)) {
    ctx.error(0, '', `empty case file; a case needs at least title and steps`);
    return { case: null, diagnostics: ctx.diags };
  }
  if (!isMap(v)) {
    ctx.error(v, '', `expected a mapping with keys ${list(TOP_KEYS)}, got ${describe(v)}`);
    return { case: null, diagnostics: ctx.diags };
  }
  const F = ctx.fields(v, '', TOP_KEYS);

  let title = '';
  const titleF = ctx.required(F, v, '', 'title');
  if (titleF) {
    const s = ctx.str(titleF, 'title');
    if (s !== undefined && s.trim() === '') ctx.error(ctx.where(titleF), 'title', 'the title is empty; say what the case checks');
    else if (s !== undefined) title = s.trim();
  }
  const specF = F.get('spec');
  const spec = specF ? readSpec(ctx, specF) : [];
  const reqF = F.get('requires');
  const requires = reqF ? readRequires(ctx, reqF) : { kconfig: [], kernel: null };
  const windowF = F.get('window');
  if (windowF) {
    const w = ctx.int(windowF, 'window', WINDOW_MIN, WINDOW_MAX, ' (pages)');
    if (w !== undefined) ctx.window = w;
  }
  let timeoutMs = DEFAULT_TIMEOUT_S * 1000;
  const timeoutF = F.get('timeout');
  if (timeoutF) {
    const t = ctx.deref(timeoutF.value);
    if (t !== null && isScalar(t) && typeof t.value === 'number' && t.value >= TIMEOUT_MIN_S && t.value <= TIMEOUT_MAX_S) {
      timeoutMs = Math.round(t.value * 1000);
    } else {
      ctx.error(ctx.where(timeoutF), 'timeout', `expected seconds, a number from ${TIMEOUT_MIN_S} to ${TIMEOUT_MAX_S} (default ${DEFAULT_TIMEOUT_S}), got ${describe(t)}`);
    }
  }
  let steps: Step[] | undefined;
  const probe = readProbe(ctx, F, v);
  const stepsF = probe === undefined ? F.get('steps') : undefined;
  if (probe) steps = [];
  if (stepsF) {
    const items = ctx.seq(stepsF, 'steps', 'a list of steps');
    if (items && items.length === 0) ctx.error(stepsF.value, 'steps', 'a case needs at least one step');
    else if (items) steps = readSteps(ctx, items, 'steps', new Scope(null));
  }
  if (ctx.diags.length > 0 || !steps) return { case: null, diagnostics: ctx.diags };
  return {
    case: { id, file, title, spec, requires: withImplied(requires, steps), windowPages: ctx.window, timeoutMs, steps, ...(probe ? { probe } : {}) },
    diagnostics: [],
  };
}
