// The argument kinds of plan ops whose values are the case language's own (runner/cases/):
// mmap flags, name pointers, sysctl values. Apart from ./args.ts, which the case language
// imports through ./observe-ops.ts, so that neither imports the other in a circle.

import { MAP_FLAGS } from '../cases/shared-types.js';
import { NAME_POINTERS, type NamePointer, type SysctlValue } from '../cases/steps.js';
import { bool, flags, name, word, wordList, type ArgKind } from './args.js';

/** How `touch` and `touch-target` touch each page: `r` read, `w` write. */
export const touchAccess = word(wordList('touch_access', ['r', 'w'] as const));

/** `private` or `shared` (MAP_PRIVATE, MAP_SHARED) of `map` and `mapfd`. */
export const sharing = bool('private', 'shared');

/** The mmap flags of `map` and `mapfd`: the words of MAP_FLAGS. */
export const mapFlags = flags(wordList('map_flag', MAP_FLAGS));

/** A name and, for `name` only, a bad pointer in its place (R2): `unmapped`, `prot-none:hex:…`, `runs-off:hex:…`. */
export interface NameWithPointer {
  name: Uint8Array | null;
  pointer?: NamePointer;
}

/** The `<name>` token of `name`; C: struct name_arg with its pointer (the list of bad pointers goes to the C header). */
export const namePointer: ArgKind<NameWithPointer> = {
  tag: 'name',
  text: (v) => (v.pointer === 'unmapped' ? 'unmapped' : v.pointer === undefined ? name.text(v.name) : `${v.pointer}:${name.text(v.name)}`),
  cType: 'struct name_arg',
  cParse: (i) => `name_arg(l, ${i}, 1)`,
  list: wordList('name_pointer', NAME_POINTERS),
};

/** A decimal (a leading `-` allowed), or `maps+<n>` / `maps-<n>`; C: struct sysctl_value. */
export const sysctlValue: ArgKind<SysctlValue> = {
  tag: 'sysctl-value',
  text: (v) => (v.kind === 'number' ? v.value.toString() : `maps${v.delta < 0 ? '-' : '+'}${Math.abs(v.delta)}`),
  cType: 'struct sysctl_value',
  cParse: (i) => `sysctl_value_arg(l, ${i})`,
};
