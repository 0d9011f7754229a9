// Number checks of the observation expectations: `16`, `Rss/2`, `{ min: 4, max: 8 }`,
// evaluated against the fields of one smaps block, the rollup, or nothing (constants only).
import type { CheckOp, NumberCheck, Operand } from '../cases/expect-types.js';
import { CHECK_OPS } from '../cases/expect-types.js';

/** A field's value by name, undefined when the observation has no such field. */
export type FieldLookup = (name: string) => number | undefined;

const NO_FIELDS: FieldLookup = () => undefined;

/** The value of an operand, or the name of a field it needs and the observation lacks. */
export function evalOperand(o: Operand, get: FieldLookup = NO_FIELDS): { value: number } | { missing: string } {
  let value = 0;
  for (const t of o.terms) {
    let v = t.value;
    if (t.field !== null) {
      const f = get(t.field);
      if (f === undefined) return { missing: t.field };
      v = f;
    }
    value += (t.sign * v * t.mul) / t.div;
  }
  return { value };
}

const SYMBOL: Record<CheckOp, string> = { eq: '=', ne: '!=', min: '>=', max: '<=', lt: '<', gt: '>' };

const holds = (op: CheckOp, actual: number, want: number): boolean => {
  switch (op) {
    case 'eq':
      return actual === want;
    case 'ne':
      return actual !== want;
    case 'min':
      return actual >= want;
    case 'max':
      return actual <= want;
    case 'lt':
      return actual < want;
    case 'gt':
      return actual > want;
  }
};

/** A number for messages: integers as they are, fractions to two places. */
export const shownNumber = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/0+$/, ''));

const isConstant = (o: Operand): boolean => o.terms.every((t) => t.field === null);

/** One bound as a person reads it: `16`, `>= 4`, `= Rss/2 = 8`. */
function boundText(op: CheckOp, o: Operand, value: number | null, unit: string): string {
  const sym = op === 'eq' ? '' : `${SYMBOL[op]} `;
  const u = unit ? ` ${unit}` : '';
  if (isConstant(o) || value === null) return `${sym}${value === null ? o.text : shownNumber(value)}${value === null ? '' : u}`;
  return `${SYMBOL[op]} ${o.text} = ${shownNumber(value)}${u}`;
}

export interface CheckResult {
  /** The bounds that do not hold, as text (`>= 4 kB`, `= Rss/2 = 8 kB`); empty when all hold. */
  violated: string[];
  /** Fields the check refers to that the observation does not have. */
  missing: string[];
}

/** Evaluates every bound of a check against `actual`. */
export function runCheck(check: NumberCheck, actual: number, get: FieldLookup = NO_FIELDS, unit = ''): CheckResult {
  const violated: string[] = [];
  const missing: string[] = [];
  for (const op of CHECK_OPS) {
    const o = check[op];
    if (!o) continue;
    const r = evalOperand(o, get);
    if ('missing' in r) {
      missing.push(r.missing);
      continue;
    }
    if (!holds(op, actual, r.value)) violated.push(boundText(op, o, r.value, unit));
  }
  return { violated, missing };
}

/** The whole check as text, for messages about a value that could not be read. */
export function checkText(check: NumberCheck, unit = ''): string {
  return CHECK_OPS.filter((op) => check[op])
    .map((op) => boundText(op, check[op] as Operand, null, unit))
    .join(', ');
}
