// The argument kinds of plan ops (docs/protocol.md): how the host writes each kind as a
// plan token and how the guest reads it back. An op is defined once, as a list of its
// arguments (op() below); its TypeScript type, its plan text (runner/plan/plan.ts) and the
// guest's C struct and parser (runner/guest/plan-header.ts) all come from that list. The
// kinds of the case language's own values are in ./case-args.ts; this module imports nothing.

/** A list of words a plan argument takes, named for C: `enum <cName>`, `<cName>_words[]`, `<CNAME>_<WORD>`. */
export interface WordList<W extends string = string> {
  cName: string;
  words: readonly W[];
}

export const wordList = <const W extends string>(cName: string, words: readonly W[]): WordList<W> => ({ cName, words });

/** The kinds of argument; test/unit/plan-contract.test.ts prints each kind back from C. */
export type ArgTag = 'unsigned' | 'signed' | 'prot' | 'word' | 'flags' | 'bool' | 'optional' | 'name' | 'bytes' | 'backing' | 'sysctl-key' | 'sysctl-value';

/** One kind of plan argument: its token on the host, its C field type and parser on the guest. */
export interface ArgKind<V> {
  tag: ArgTag;
  /** The plan token of a value. */
  text(v: V): string;
  /** The C type of the op struct's field. */
  cType: string;
  /** The C expression that reads token `i` of `const struct line *l` (c-helpers/vmaprobe.c); `what` names the field in messages. */
  cParse(i: number, what: string): string;
  /** The word list of a word or flags kind, emitted into the C header. */
  list?: WordList;
}

const number = (cType: string, max: string): ArgKind<number> => ({
  tag: 'unsigned',
  text: String,
  cType,
  cParse: (i, what) => `${cType === 'uint64_t' ? '' : `(${cType})`}unsigned_arg(l, ${i}, ${max}, "${what}")`,
});

/** A non-negative decimal up to 2^64 - 1. */
export const unsigned = number('uint64_t', 'UINT64_MAX');
/** A non-negative decimal that fits a C int (e.g. a MADV_ number). */
export const int31 = number('int', 'INT32_MAX');
/** A non-negative decimal that fits 32 bits. */
export const u32 = number('uint32_t', 'UINT32_MAX');
/** A u64 that may need a bigint (R7: lengths near 2^64). */
export const u64: ArgKind<number | bigint> = { ...unsigned, text: String };

/** A page number or byte offset: a decimal from -2^63 to 2^64 - 1, wrapping like address arithmetic. */
export const signed: ArgKind<number> = { tag: 'signed', text: String, cType: 'int64_t', cParse: (i, what) => `signed_arg(l, ${i}, "${what}")` };

/** A byte offset that may need a bigint (an address outside the window, as an offset from page 0). */
export const signed64: ArgKind<number | bigint> = { ...signed, text: String };

/** Three characters from `rwx` or `-`, as mprotect/mmap prot, e.g. `rw-`. */
export type ProtText = string;

/** mmap/mprotect prot; C: PROT_* bits. */
export const prot: ArgKind<ProtText> = { tag: 'prot', text: (v) => v, cType: 'int', cParse: (i) => `prot_arg(l, ${i})` };

const words = (list: WordList): string => `${list.cName}_words, ${list.cName.toUpperCase()}_COUNT`;

/** One word of a list; C: its index, as `enum <list>`. */
export const word = <W extends string>(list: WordList<W>): ArgKind<W> => ({
  tag: 'word',
  text: (v) => v,
  cType: `enum ${list.cName}`,
  cParse: (i, what) => `(enum ${list.cName})word_arg(l, ${i}, ${words(list)}, "${what}")`,
  list,
});

/** `-`, or a comma list of words in the list's order; C: a bit mask, bit k for word k. */
export const flags = <W extends string>(list: WordList<W>): ArgKind<W[]> => ({
  tag: 'flags',
  text: (v) => (v.length ? list.words.filter((w) => v.includes(w)).join(',') : '-'),
  cType: 'unsigned',
  cParse: (i, what) => `flags_arg(l, ${i}, ${words(list)}, "${what}")`,
  list,
});

/** One of two words; C: 0 or 1. */
export const bool = (no: string, yes: string): ArgKind<boolean> => ({
  tag: 'bool',
  text: (v) => (v ? yes : no),
  cType: 'int',
  cParse: (i, what) => `bool_arg(l, ${i}, "${no}", "${yes}", "${what}")`,
});

/** `-` for none, or an unsigned decimal; C: struct opt_u64. */
export const optional: ArgKind<number | null> = {
  tag: 'optional',
  text: (v) => (v === null ? '-' : String(v)),
  cType: 'struct opt_u64',
  cParse: (i) => `optional_arg(l, ${i})`,
};

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const nameText = (name: Uint8Array | null): string => (name === null ? 'null' : `hex:${hex(name)}`);

/** `null` (a NULL pointer) or `hex:` and the name's bytes; C: struct name_arg. */
export const name: ArgKind<Uint8Array | null> = { tag: 'name', text: nameText, cType: 'struct name_arg', cParse: (i) => `name_arg(l, ${i}, 0)` };

/** A comma list of one or more bytes in decimal (`165`, `10,11,0`); C: struct bytes_arg, read in turn by bytes_next(). */
export const byteList: ArgKind<readonly number[]> = { tag: 'bytes', text: (v) => v.join(','), cType: 'struct bytes_arg', cParse: (i, what) => `bytes_arg(l, ${i}, "${what}")` };

/** What a `mapfd` maps: a tmpfs file (unlinked before or after mmap, or never), a memfd, or /dev/zero. */
export const BACKINGS = wordList('backing', ['tmpfs', 'tmpfs-unlink-before', 'tmpfs-unlink-after', 'memfd', 'zero'] as const);
type BackingKind = (typeof BACKINGS.words)[number];
/** The `<backing>` token: `zero`, or a file kind and the file's name part (`[a-z0-9_-]{1,64}`). */
export type BackingToken = 'zero' | `${Exclude<BackingKind, 'zero'>}:${string}`;

/** C: struct backing_arg. */
export const backing: ArgKind<BackingToken> = { tag: 'backing', text: (v) => v, cType: 'struct backing_arg', cParse: (i) => `backing_arg(l, ${i})`, list: BACKINGS };

/** A dotted sysctl key (`vm.max_map_count`), written as its path under /proc/sys; C: struct text_arg. */
export const sysctlKey: ArgKind<string> = { tag: 'sysctl-key', text: (v) => v.split('.').join('/'), cType: 'struct text_arg', cParse: (i) => `sysctl_key_arg(l, ${i})` };

/** One argument of an op: the op field it writes, or (spread) the fields of the op it writes together. */
export type ArgSpec = { field: string; kind: ArgKind<never> } | { spread: string; kind: ArgKind<never> };

/** An argument written from `op[field]`. */
export const arg = <const F extends string, V>(field: F, kind: ArgKind<V>): { field: F; kind: ArgKind<V> } => ({ field, kind });

/** An argument written from several fields of the op (the kind's value is an object of them); `cField` names its C field. */
export const spread = <V extends object>(cField: string, kind: ArgKind<V>): { spread: string; kind: ArgKind<V> } => ({ spread: cField, kind });

/** One plan op: its arguments in plan order, and whether C checks them together (`check_<op>()`). */
export interface OpDef {
  args: readonly ArgSpec[];
  check: boolean;
}

/** An op definition. */
export const op = <const A extends readonly ArgSpec[]>(args: A, opts: { check?: boolean } = {}): { args: A; check: boolean } => ({ args, check: opts.check ?? false });

type FieldsOf<A> = A extends { field: infer F extends string; kind: ArgKind<infer V> } ? { [K in F]: V } : A extends { spread: string; kind: ArgKind<infer V> } ? V : never;
type ArgsFields<A> = A extends readonly [infer H, ...infer T] ? FieldsOf<H> & ArgsFields<T> : unknown;
type Flat<T> = { [K in keyof T]: T[K] } & {};

/** The TypeScript type of op `N` defined by `D`: `{ op, step }` and a field per argument. */
export type OpOf<N extends string, D> = D extends { args: infer A } ? Flat<{ op: N; step: number } & ArgsFields<A>> : never;

/** The union of the ops of a table of definitions. */
export type OpsOf<T> = { [N in keyof T & string]: OpOf<N, T[N]> }[keyof T & string];

/** The plan tokens of an op's arguments. */
export function argTokens(def: OpDef, op: object): string[] {
  const fields = op as Record<string, unknown>;
  return def.args.map((a) => (a.kind as ArgKind<unknown>).text('field' in a ? fields[a.field] : op));
}
