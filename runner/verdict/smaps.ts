// Compares `expect.smaps`, `expect.smaps_fields` and `expect.rollup` (kernel-behaviour.md
// F6–F8, A1–A5) with the smaps blocks and the smaps_rollup a step observed.
import type { FlagsCheck, NumberCheck, RollupExpect } from '../cases/expect-types.js';
import type { CheckOf, Expected } from '../plan/compiled.js';
import { parseMapsLine } from '../results/maps.js';
import type { Rollup, SmapsBlock, SmapsField } from '../results/smaps.js';
import type { WindowInfo } from '../results/types.js';
import { quoted, visible } from '../util/text.js';
import { checkText, runCheck, type FieldLookup } from './compare.js';
import { windowVmas, type WindowVma } from '../results/maps.js';
import { describeVma, selectVma } from './select.js';
import { fillPlaceholders } from './placeholders.js';
import { failer, type Fail, type StepWhere } from './failure.js';
import type { Failure, FailureKind } from './types.js';

const lookup =
  (fields: readonly SmapsField[]): FieldLookup =>
  (name) =>
    fields.find((f) => f.name === name)?.value;

const unitOf = (fields: readonly SmapsField[], name: string): string => (fields.find((f) => f.name === name)?.unit ?? '');

/** Failures of `name: check` pairs against one set of fields (a smaps block or the rollup). */
function checkFields(
  kind: FailureKind,
  checks: readonly [string, NumberCheck][],
  fields: readonly SmapsField[],
  base: string,
  subject: string,
  fail: Fail,
): Failure[] {
  const out: Failure[] = [];
  const get = lookup(fields);
  for (const [name, check] of checks) {
    const path = `${base}.${name}`;
    const actual = get(name);
    if (actual === undefined) {
      out.push(fail(kind, path, `${subject}: no ${name} field (fields: ${fields.map((f) => f.name).join(', ')})`, checkText(check), null));
      continue;
    }
    const unit = unitOf(fields, name);
    const r = runCheck(check, actual, get, unit);
    for (const m of r.missing) out.push(fail(kind, path, `${subject}: ${name}: the check refers to ${m}, which is not in the block`, checkText(check, unit), null));
    if (r.violated.length) {
      const got = `${actual}${unit ? ` ${unit}` : ''}`;
      out.push(fail(kind, path, `${subject}: ${name}: expected ${r.violated.join(' and ')}, got ${got}`, r.violated.join(' and '), got));
    }
  }
  return out;
}

const codes = (xs: readonly string[]): string => `[${xs.join(' ')}]`;

function checkFlags(check: FlagsCheck, actual: readonly string[] | null, path: string, subject: string, fail: Fail): Failure[] {
  if (actual === null) return [fail('smaps', path, `${subject}: the block has no VmFlags line`, null, null)];
  const out: Failure[] = [];
  if (check.exact && (check.exact.length !== actual.length || check.exact.some((c, i) => actual[i] !== c))) {
    out.push(fail('smaps', path, `${subject}: VmFlags: expected ${codes(check.exact)}, got ${codes(actual)}`, codes(check.exact), codes(actual)));
  }
  const missing = (check.has ?? []).filter((c) => !actual.includes(c));
  if (missing.length) out.push(fail('smaps', `${path}.has`, `${subject}: VmFlags ${codes(actual)} lacks ${missing.join(', ')}`, codes(check.has ?? []), codes(actual)));
  const extra = (check.lacks ?? []).filter((c) => actual.includes(c));
  if (extra.length) out.push(fail('smaps', `${path}.lacks`, `${subject}: VmFlags ${codes(actual)} has ${extra.join(', ')}`, codes(check.lacks ?? []), codes(actual)));
  return out;
}

/** The window VMAs of the smaps blocks, each with its block. */
function blockVmas(blocks: readonly SmapsBlock[], window: WindowInfo): { vma: WindowVma; block: SmapsBlock }[] {
  return blocks.flatMap((block) => windowVmas([block.header], window).map((vma) => ({ vma, block })));
}

/** The first position where two name lists differ, as text. */
function firstDifference(want: readonly string[], got: readonly string[]): string {
  const n = Math.max(want.length, got.length);
  for (let i = 0; i < n; i++) {
    if (want[i] !== got[i]) return `first difference at position ${i + 1}: expected ${want[i] ?? '(end)'}, got ${got[i] ?? '(end)'}`;
  }
  return '';
}

/** Failures of `expect.smaps` items and `expect.smaps_fields` (the smaps op's check) against the step's smaps blocks. */
export function judgeSmaps(check: CheckOf<'smaps'>, blocks: readonly SmapsBlock[], window: WindowInfo, where: StepWhere): Failure[] {
  const out: Failure[] = [];
  const all = blockVmas(blocks, window);
  const vmas = all.map((x) => x.vma);
  const listing = vmas.map((v) => describeVma(v));
  for (const { path: base, pos, expect: item } of check.items) {
    const fail = failer(where, pos);
    const sel = selectVma(vmas, item.vma);
    if ('error' in sel) {
      out.push(fail('smaps', base, sel.error, null, null, listing));
      continue;
    }
    const block = all.find((x) => x.vma === sel.vma)?.block as SmapsBlock;
    const subject = describeVma(sel.vma);
    if (item.name !== undefined && item.name !== block.entry.name) {
      out.push(fail('smaps', `${base}.name`, `${subject}: header name: expected ${quoted(item.name)}, got ${quoted(block.entry.name)}`, item.name, block.entry.name));
    }
    out.push(...checkFields('smaps', item.fields, block.fields, base, subject, fail));
    if (item.vmFlags) out.push(...checkFlags(item.vmFlags, block.vmFlags, `${base}.VmFlags`, subject, fail));
  }
  const order = check.fields;
  if (order) {
    const fail = failer(where, order.pos);
    const { path, expect: names } = order;
    const mine = all.filter((x) => !x.vma.reserve);
    if (mine.length === 0) out.push(fail('smaps_fields', path, 'no VMA of the case in the window to compare', names.join(', '), null, listing));
    for (const { vma, block } of mine) {
      const got = block.order;
      if (got.length === names.length && got.every((n, i) => n === names[i])) continue;
      out.push(fail('smaps_fields', path, `${describeVma(vma)}: field order differs; ${firstDifference(names, got)}`, names.join(', '), got.join(', '), [`got: ${got.join(', ')}`]));
    }
  }
  return out;
}

/** Failures of one heap or stack `smaps` item against the block its `smaps-area` op reported (none: no VMA holds the page). */
export function judgeSmapsArea(check: CheckOf<'smaps_area'>, blocks: readonly SmapsBlock[], where: StepWhere): Failure[] {
  const { path: base, pos, expect: item } = check;
  const fail = failer(where, pos);
  const anchor = item.area === 'heap' ? "the heap's first page" : 'the top page of [stack]';
  const block = blocks[0];
  if (!block) return [fail('smaps', base, `no VMA holds ${anchor} as first seen`, null, null)];
  const e = block.entry;
  const subject = `${item.area} VMA 0x${e.start.toString(16)}-0x${e.end.toString(16)} ${e.perms} ${e.name === '' ? '(unnamed)' : e.name}`;
  const out: Failure[] = [];
  if (item.name !== undefined && item.name !== e.name) out.push(fail('smaps', `${base}.name`, `${subject}: header name: expected ${quoted(item.name)}, got ${quoted(e.name)}`, item.name, e.name));
  out.push(...checkFields('smaps', item.fields, block.fields, base, subject, fail));
  if (item.vmFlags) out.push(...checkFlags(item.vmFlags, block.vmFlags, `${base}.VmFlags`, subject, fail));
  return out;
}

/** The values of the header placeholders, from the maps lines the rollup op sent (first, [stack], last). */
export function rollupPlaceholders(maps: readonly string[]): Record<string, string> {
  const hex = (n: bigint): string => n.toString(16).padStart(8, '0');
  const entries = maps.map((l) => ({ line: l, e: parseMapsLine(l) }));
  const out: Record<string, string> = {};
  const first = entries[0];
  const last = entries[entries.length - 1];
  const stack = entries.find((x) => x.e.name === '[stack]');
  if (first) out['first_start'] = hex(first.e.start);
  if (last) out['last_end'] = hex(last.e.end);
  if (stack) out['stack_end'] = hex(stack.e.end);
  return out;
}

/** Failures of `expect.rollup` against the observed smaps_rollup and the maps lines of its bounds. */
export function judgeRollup(check: Expected<RollupExpect>, rollup: Rollup, maps: readonly string[], where: StepWhere): Failure[] {
  const fail = failer(where, check.pos);
  const { path: base, expect } = check;
  const out: Failure[] = [];
  if (expect.header !== undefined) {
    const { text: want, missing } = fillPlaceholders(expect.header, rollupPlaceholders(maps));
    if (missing !== null) out.push(fail('rollup', `${base}.header`, `{${missing}} has no value: the process maps did not show it`, expect.header, rollup.header, maps.map((l) => visible(l))));
    else if (want !== rollup.header) {
      const at = [...want].findIndex((c, i) => rollup.header[i] !== c);
      const pos = at < 0 ? want.length : at;
      out.push(
        fail('rollup', `${base}.header`, `header: expected ${quoted(want)}, got ${quoted(rollup.header)} (first difference at byte ${pos})`, want, rollup.header, [
          ...maps.map((l) => `maps: ${visible(l)}`),
        ]),
      );
    }
  }
  if (expect.order) {
    const got = rollup.order;
    const want = expect.order;
    if (got.length !== want.length || got.some((n, i) => n !== want[i])) {
      out.push(fail('rollup', `${base}.fields`, `field order differs; ${firstDifference(want, got)}`, want.join(', '), got.join(', '), [`got: ${got.join(', ')}`]));
    }
  }
  out.push(...checkFields('rollup', expect.fields, rollup.fields, base, 'smaps_rollup', fail));
  return out;
}
