// Placeholders of byte-exact expected lines (`maps_line`'s `{inode}`, `rollup.header`'s
// `{first_start}` …): each is replaced by its value alone; no other byte of the line changes.

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
