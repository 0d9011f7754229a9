// Placeholders of byte-exact expected lines (`maps_line`'s `{inode}`, `rollup.header`'s
// `{first_start}` …): each is replaced by its value alone; no other byte of the line changes.
// The lists below are the one definition: the validator accepts these and names them in its error.

/** `maps_line.line`: the VMA's device `MM:mm` and inode as its actual maps line shows them, and the spaces `seq_pad` writes before the name (verdict/maps-extra.ts). */
export const MAPS_LINE_PLACEHOLDERS = ['dev', 'inode', 'pad'] as const;
/** `rollup.header`: taken from the process's maps when the header is compared (verdict/smaps.ts). */
export const ROLLUP_PLACEHOLDERS = ['first_start', 'stack_end', 'last_end'] as const;

/** `text` with every `{key}` that `values` has replaced by its value; `missing`: the first `{key}` it has not (left as written). */
export function fillPlaceholders(text: string, values: Readonly<Record<string, string>>): { text: string; missing: string | null } {
  let missing: string | null = null;
  const out = text.replace(/\{([a-z_]+)\}/g, (whole, key: string) => {
    const v = values[key];
    if (v === undefined) missing ??= key;
    return v ?? whole;
  });
  return { text: out, missing };
}
