// The plan contract between host and guest, tested on the host: the guest's interpreter
// (c-helpers/vmaprobe.c with the headers generated from the op table) is compiled with the
// host's cc into a driver that parses a plan and prints back every op's typed struct. The
// plan is serializePlan() of ops of every kind with edge values (0, the largest numbers,
// negatives, every word of every list, long names); what C parsed must be what TS meant.
// Bad lines must still be rejected, with their line number.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { int31, name, signed, signed64, u32, u64, unsigned, type ArgKind, type OpDef } from '../../runner/plan/args.js';
import { namePointer, type NameWithPointer } from '../../runner/plan/case-args.js';
import { PLAN_OPS, serializePlan, type PlanOp } from '../../runner/plan/plan.js';
import { NAME_POINTERS, type SysctlValue } from '../../runner/cases/steps.js';
import { writeGeneratedHeaders } from '../../runner/guest/helpers.js';
import { cField, cOpKind, cOpName } from '../../runner/guest/plan-header.js';
import { repoRoot } from '../../runner/qemu/arch.js';

type Kind = ArgKind<unknown>;
const ops = Object.entries(PLAN_OPS) as [string, OpDef][];

const bytes = (n: number, fill = (i: number): number => i & 0xff): Uint8Array => Uint8Array.from({ length: n }, (_, i) => fill(i));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const U64_MAX = 2n ** 64n - 1n;

/** Edge values of each kind of argument; a kind without samples fails the test, so that a new kind gets some. */
function samples(kind: Kind): unknown[] {
  const k = kind as ArgKind<never>;
  switch (kind.tag) {
    case 'unsigned':
      if (k === unsigned) return [0, 1, Number.MAX_SAFE_INTEGER];
      if (k === u64) return [0, Number.MAX_SAFE_INTEGER, U64_MAX];
      if (k === u32) return [0, 2 ** 32 - 1];
      if (k === int31) return [0, 2 ** 31 - 1];
      break;
    case 'signed':
      if (k === signed) return [0, -1, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
      if (k === signed64) return [0, -1, -(2n ** 63n), 2n ** 63n - 1n];
      break;
    case 'prot':
      return ['---', 'r--', '-w-', '--x', 'rwx'];
    case 'word':
      return [...(kind.list?.words ?? [])];
    case 'flags':
      return [[], ...(kind.list?.words ?? []).map((w) => [w]), [...(kind.list?.words ?? [])]];
    case 'bool':
      return [false, true];
    case 'optional':
      return [null, 0, Number.MAX_SAFE_INTEGER];
    case 'name':
      if (k === name) return [null, bytes(0), bytes(256), bytes(8192, () => 0xab)];
      if (k === namePointer)
        return [
          { name: null },
          { name: bytes(8192) },
          ...NAME_POINTERS.map((pointer): NameWithPointer => (pointer === 'unmapped' ? { name: null, pointer } : { name: bytes(4095, () => 0x7f), pointer })),
          { name: bytes(0), pointer: 'runs-off' },
        ];
      break;
    case 'bytes':
      return [[0], [255], [7, 0, 255], Array.from({ length: 256 }, (_, i) => 255 - i)];
    case 'backing':
      return (kind.list?.words ?? []).flatMap((w) => (w === 'zero' ? ['zero'] : [`${w}:${'a'.repeat(64)}`, `${w}:x_1-`]));
    case 'sysctl-key':
      return ['vm.max_map_count', 'k'.repeat(96)];
    case 'sysctl-value':
      return [
        { kind: 'number', value: 0n },
        { kind: 'number', value: -(2n ** 63n) },
        { kind: 'number', value: U64_MAX },
        { kind: 'current_maps', delta: 0 },
        { kind: 'current_maps', delta: -5 },
        { kind: 'current_maps', delta: 7 },
      ] satisfies SysctlValue[];
  }
  throw new Error(`no samples for a ${kind.tag} kind`);
}

/** Arguments whose op takes fewer values than their kind (the op's check() in C). */
const NARROWER: Record<string, unknown[]> = { 'query.nameBuf': [0, 1, 4096] };

/** MAP_DROPPABLE is a mapping type in place of MAP_PRIVATE: never with shared (check_map). */
const valid = (op: Record<string, unknown>): Record<string, unknown> =>
  Array.isArray(op.flags) && op.flags.includes('droppable') ? { ...op, shared: false } : op;

/** A sync sits in its side of a fork block (match_blocks()): the child's after `fork`, the parent's after `parent`. */
function inBlock(planOps: PlanOp[]): PlanOp[] {
  const syncs = planOps.filter((o) => o.op === 'sync');
  return planOps
    .filter((o) => o.op !== 'sync')
    .flatMap((o): PlanOp[] => (o.op === 'fork' || o.op === 'parent' ? [o, ...syncs.filter((y) => y.side === (o.op === 'fork' ? 'child' : 'parent'))] : [o]));
}

/** Ops of every kind: as many of each op as its argument with the most samples has, every sample used. */
function sampleOps(): PlanOp[] {
  let step = 0;
  return inBlock(ops.flatMap(([opName, def]) => {
    const values = def.args.map((a) => NARROWER[`${opName}.${'field' in a ? a.field : a.spread}`] ?? samples(a.kind as Kind));
    const n = Math.max(1, ...values.map((v) => v.length));
    return Array.from({ length: n }, (_, j) => {
      const op: Record<string, unknown> = { op: opName, step: step++ };
      def.args.forEach((a, i) => {
        const vs = values[i] as unknown[];
        const v = vs[j % vs.length];
        if ('field' in a) op[a.field] = v;
        else Object.assign(op, v);
      });
      return valid(op) as PlanOp;
    });
  }));
}

/** What the driver prints for a value of a kind: TS side. */
function expected(kind: Kind, v: unknown): string {
  switch (kind.tag) {
    case 'unsigned':
    case 'signed':
      return String(v);
    case 'prot':
    case 'word':
      return String(v);
    case 'flags':
      return (kind.list?.words ?? []).filter((w) => (v as string[]).includes(w)).join(',') || '-';
    case 'bool':
      return v ? '1' : '0';
    case 'optional':
      return v === null ? '-' : String(v);
    case 'name': {
      const p = v === null || v instanceof Uint8Array ? { name: v } : (v as NameWithPointer);
      const bytesOf = p.pointer === 'unmapped' ? null : p.name;
      return `${p.pointer ?? '-'}/${bytesOf === null ? 1 : 0}/${bytesOf === null ? '' : hex(bytesOf)}`;
    }
    case 'bytes':
      return (v as number[]).join(',');
    case 'backing':
      return v === 'zero' ? 'zero:' : String(v);
    case 'sysctl-key':
      return (v as string).replaceAll('.', '/');
    case 'sysctl-value': {
      const s = v as SysctlValue;
      const n = s.kind === 'number' ? s.value : BigInt(s.delta);
      return `${s.kind === 'number' ? 0 : 1}/${n < 0n ? 1 : 0}/${n < 0n ? -n : n}`;
    }
  }
}

/** The C statement that prints field `e` of a kind, as expected() does. */
function printer(kind: Kind, e: string): string {
  const list = kind.list?.cName;
  switch (kind.tag) {
    case 'unsigned':
      return `printf("%llu", (unsigned long long)${e});`;
    case 'signed':
      return `printf("%lld", (long long)${e});`;
    case 'prot':
      return `printf("%c%c%c", ${e} & PROT_READ ? 'r' : '-', ${e} & PROT_WRITE ? 'w' : '-', ${e} & PROT_EXEC ? 'x' : '-');`;
    case 'word':
      return `printf("%s", (unsigned)${e} < ${list?.toUpperCase()}_COUNT ? ${list}_words[${e}] : "?");`;
    case 'flags':
      return `{ int k, first = 1; for (k = 0; k < 32; k++) if (${e} & 1u << k) { printf("%s%s", first ? "" : ",", k < ${list?.toUpperCase()}_COUNT ? ${list}_words[k] : "?"); first = 0; } if (first) printf("-"); }`;
    case 'bool':
      return `printf("%d", ${e});`;
    case 'optional':
      return `if (${e}.set) printf("%llu", (unsigned long long)${e}.v); else printf("-");`;
    case 'name':
      return `printf("%s/%d/%.*s", ${e}.bad_pointer ? name_pointer_words[${e}.pointer] : "-", ${e}.null, (int)${e}.hex_len, ${e}.hex ? ${e}.hex : "");`;
    case 'bytes':
      return `{ size_t pos = 0; uint64_t k; for (k = 0; k < ${e}.count; k++) printf("%s%u", k ? "," : "", bytes_next(&${e}, &pos)); }`;
    case 'backing':
      return `printf("%s:%.*s", backing_words[${e}.kind], (int)${e}.base_len, ${e}.base ? ${e}.base : "");`;
    case 'sysctl-key':
      return `printf("%.*s", (int)${e}.n, ${e}.s);`;
    case 'sysctl-value':
      return `printf("%d/%d/%llu", ${e}.maps, ${e}.neg, (unsigned long long)${e}.n);`;
  }
}

/** The driver: the interpreter itself (its main renamed), and a main that parses a plan and prints its ops. */
function driverSource(): string {
  const cases = ops.map(([opName, def]) => {
    const c = cOpName(opName);
    const fields = def.args.map((a) => `\t\tprintf(" ${cField(a)}="); ${printer(a.kind as Kind, `op->u.${c}.${cField(a)}`)}`);
    return [`\tcase ${cOpKind(opName)}:`, ...fields, '\t\tbreak;'].join('\n');
  });
  return [
    '#define main vmaprobe_main',
    '#include "vmaprobe.c"',
    '#undef main',
    '#include <stdio.h>',
    '',
    'static void print_op(const struct op *op)',
    '{',
    '\tprintf("%llu %s", (unsigned long long)op->step, op_ops[op->kind].name);',
    '\tswitch (op->kind) {',
    ...cases,
    '\t}',
    '\tprintf("\\n");',
    '}',
    '',
    'int main(int argc, char **argv)',
    '{',
    '\tsize_t i;',
    '',
    '\tif (argc != 2)',
    '\t\treturn 2;',
    '\tload_plan(argv[1]);',
    '\tfor (i = 0; i < n_ops; i++)',
    '\t\tprint_op(&ops[i]);',
    '\treturn 0;',
    '}',
    '',
  ].join('\n');
}

describe('the plan text: serializePlan on the host, the generated parser in C', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmaspec-plan-contract-'));
  const driver = join(dir, 'plan-driver');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const parse = (text: string): { status: number | null; out: string[] } => {
    const file = join(dir, `plan-${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, text);
    const r = spawnSync(driver, [file], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.stderr) throw new Error(r.stderr);
    return { status: r.status, out: r.stdout.trimEnd().split('\n') };
  };

  beforeAll(async () => {
    await writeGeneratedHeaders(dir);
    writeFileSync(join(dir, 'plan-driver.c'), driverSource());
    const sanitize = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all'];
    execFileSync('cc', ['-O1', '-g', '-std=gnu11', '-Wall', '-Wextra', '-Werror', ...sanitize, '-I', join(repoRoot, 'c-helpers'), '-I', dir, '-o', driver, join(dir, 'plan-driver.c')]);
  }, 60_000);

  it('reads back every op with every sample of its arguments, as the TS op says', () => {
    const planOps = sampleOps();
    expect(new Set(planOps.map((o) => o.op))).toEqual(new Set(Object.keys(PLAN_OPS)));
    const want = planOps.map((o) => {
      const def = PLAN_OPS[o.op] as OpDef;
      const fields = o as unknown as Record<string, unknown>;
      return [`${o.step} ${o.op}`, ...def.args.map((a) => `${cField(a)}=${expected(a.kind as Kind, 'field' in a ? fields[a.field] : o)}`)].join(' ');
    });
    const r = parse(serializePlan({ index: 0, windowPages: 2 ** 32, timeoutMs: 1, ops: planOps }));
    expect(r.status).toBe(0);
    expect(r.out).toEqual(want);
  });

  it('rejects a bad line with its number and why', () => {
    const bad = (line: string): string[] => {
      const r = parse(`vmaspec-plan 1\nwindow 4\n0 snapshot\n${line}\n1 snapshot\n`);
      expect(r.status).toBe(3);
      return r.out;
    };
    const cases: [string, string][] = [
      ['1 bogus', 'unknown op'],
      ['1 unmap 1', 'wrong number of arguments'],
      ['1 unmap 1  2', 'empty token (double space or blank line)'],
      ['1 unmap 1 -2', 'pages: bad number'],
      ['1 mprotect 0 18446744073709551616 r--', 'pages: bad number'],
      ['1 unmap -9223372036854775809 1', 'at: bad number'],
      ['1 map 0 1 rwz private -', 'bad prot'],
      ['1 map 0 1 rw- shared droppable', 'droppable with shared'],
      ['1 map 0 1 rw- private noreserve,bogus', 'flags: want noreserve, growsdown, populate, fixed_noreplace, droppable'],
      ['1 map 0 1 rw- public -', 'shared: want private, shared'],
      ['1 madvise 0 1 2147483648', 'advice: out of range'],
      ['1 name 0 1 hex:abc 0 0', 'odd number of hex digits in name'],
      ['1 name 0 1 hex:AB 0 0', 'bad hex digit in name'],
      [`1 name 0 1 hex:${'61'.repeat(8193)} 0 0`, 'name too long'],
      ['1 name 0 1 prot-none:null 0 0', "a bad name pointer needs the name's bytes, not null"],
      ['1 name-target heap unmapped', 'bad name (want null or hex:...)'],
      ['1 lock 0 1 mlock2', 'call: want mlock, munlock, mseal, onfault'],
      ['1 sysctl vm/../x 1', 'bad sysctl key'],
      [`1 sysctl ${'k'.repeat(97)} 1`, 'sysctl key longer than 96'],
      ['1 sysctl vm/x -9223372036854775809', 'bad number'],
      ['1 mapfd 0 1 rw- private - tmpfs:', 'backing (<kind>:<name>, or zero): want tmpfs, tmpfs-unlink-before, tmpfs-unlink-after, memfd, zero'],
      [`1 mapfd 0 1 rw- private - memfd:${'a'.repeat(65)}`, 'backing file name longer than 64'],
      ['1 query maps 0 0 4097 buf 104 0 0', 'query name buffer larger than 4096'],
      ['1 query maps 0 0 0 buf 104 0 4294967296', 'build_id_size: out of range'],
      ['1 mapfile 0 lower', 'spelling: want exact, upper, leading_zero, 0x, digits17, space, plus'],
      ['1 touch 0 1 w 256', 'value: want a comma list of bytes 0-255'],
      ['1 touch 0 1 w 1,,2', 'value: want a comma list of bytes 0-255'],
      ['1 touch 0 1 w 1,', 'value: want a comma list of bytes 0-255'],
      ['1 touch 0 1 w -', 'value: want a comma list of bytes 0-255'],
    ];
    expect(cases.map(([line]) => bad(line))).toEqual(cases.map(([, why]) => [`B plan line 4: ${why}`]));
  });

  it('rejects a plan whose header or fork blocks are wrong', () => {
    expect(parse('vmaspec-plan 2\nwindow 4\n')).toEqual({ status: 3, out: ['B plan line 1: not a vmaspec-plan 1 file'] });
    expect(parse('vmaspec-plan 1\nwindow 4294967297\n')).toEqual({ status: 3, out: ['B plan line 2: window: out of range'] });
    expect(parse('vmaspec-plan 1\nwindow 4\n0 fork\n1 wait\n')).toEqual({ status: 3, out: ['B plan: wait without fork and parent (step 1)'] });
    expect(parse('vmaspec-plan 1\nwindow 4\n0 fork\n1 parent\n')).toEqual({ status: 3, out: ['B plan: fork block not closed (step 0)'] });
    const outside = 'B plan: sync outside its side of a fork block (step 1)';
    expect(parse('vmaspec-plan 1\nwindow 4\n0 snapshot\n1 sync child\n')).toEqual({ status: 3, out: [outside] });
    expect(parse('vmaspec-plan 1\nwindow 4\n0 fork\n1 sync parent\n2 parent\n3 wait\n')).toEqual({ status: 3, out: [outside] });
    expect(parse('vmaspec-plan 1\nwindow 4\n0 fork\n2 parent\n1 sync child\n3 wait\n')).toEqual({ status: 3, out: [outside] });
    expect(parse('vmaspec-plan 1\nwindow 4\n1 sync bogus\n')).toEqual({ status: 3, out: ['B plan line 3: side: want child, parent'] });
  });
});
