// Kconfig text as data: parse `.config` and fragments, merge fragments onto a
// base config, and name the requested options that did not survive olddefconfig.

/** Option values by name without the `CONFIG_` prefix; `n` for "is not set". */
export type KconfigValues = Map<string, string>;

/** A requested option, with the fragment line that asked for it. */
export interface KconfigRequest {
  name: string;
  value: string;
  file: string;
  line: number;
}

const SET = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/;
const UNSET = /^# CONFIG_([A-Za-z0-9_]+) is not set$/;

/** Parses `.config` or fragment text. */
export function parseKconfig(text: string): KconfigValues {
  const values: KconfigValues = new Map();
  for (const line of text.split('\n')) {
    const set = SET.exec(line.trim());
    if (set) values.set(set[1]!, set[2]!);
    const unset = UNSET.exec(line.trim());
    if (unset) values.set(unset[1]!, 'n');
  }
  return values;
}

/** The requests of one fragment file, in order, with line numbers. */
export function fragmentRequests(file: string, text: string): KconfigRequest[] {
  const requests: KconfigRequest[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    const set = SET.exec(line);
    const unset = UNSET.exec(line);
    if (set) requests.push({ name: set[1]!, value: set[2]!, file, line: i + 1 });
    else if (unset) requests.push({ name: unset[1]!, value: 'n', file, line: i + 1 });
  });
  return requests;
}

/** The base `.config` text with the requests applied (later requests win), ready for olddefconfig. */
export function mergeKconfig(base: string, requests: KconfigRequest[]): string {
  const wanted = new Map(requests.map((r) => [r.name, r.value]));
  const out: string[] = [];
  for (const line of base.split('\n')) {
    const m = SET.exec(line.trim()) ?? UNSET.exec(line.trim());
    if (m && wanted.has(m[1]!)) continue;
    out.push(line);
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  for (const [name, value] of wanted) out.push(value === 'n' ? `# CONFIG_${name} is not set` : `CONFIG_${name}=${value}`);
  return out.join('\n') + '\n';
}

/** The requests whose value differs in the final config (an absent option counts as `n`). */
export function droppedOptions(requests: KconfigRequest[], final: KconfigValues): (KconfigRequest & { got: string })[] {
  const last = new Map(requests.map((r) => [r.name, r]));
  const dropped: (KconfigRequest & { got: string })[] = [];
  for (const request of last.values()) {
    const got = final.get(request.name) ?? 'n';
    if (got !== request.value) dropped.push({ ...request, got });
  }
  return dropped;
}

/** The kernel release a `.config` was made for, from its header (`# Linux/x86 6.12.117 Kernel Configuration`). */
export function configRelease(text: string): string | null {
  return /^# Linux\/\S+ (\S+) Kernel Configuration$/m.exec(text)?.[1] ?? null;
}

/** An option whose value a merge (and olddefconfig after it) changed; `request` is the fragment line that asked for it, null for a consequence. */
export interface KconfigChange {
  name: string;
  from: string;
  to: string;
  request: KconfigRequest | null;
}

/**
 * What changed from `before` to `after` (absent counts as `n`), the requested options first
 * with the fragment line that asked, then the options
 * olddefconfig changed as a consequence (dependencies, selects, new defaults), by name.
 */
export function configChanges(before: KconfigValues, after: KconfigValues, requests: KconfigRequest[]): KconfigChange[] {
  // The value asked for is the last request's; the line named is the first that asks for it (base.config before vma.config).
  const value = new Map(requests.map((r) => [r.name, r.value]));
  const asked = new Map<string, KconfigRequest>();
  for (const r of requests) if (!asked.has(r.name) && r.value === value.get(r.name)) asked.set(r.name, r);
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((name) => (before.get(name) ?? 'n') !== (after.get(name) ?? 'n'));
  const change = (name: string): KconfigChange => ({ name, from: before.get(name) ?? 'n', to: after.get(name) ?? 'n', request: asked.get(name) ?? null });
  const requested = [...asked.keys()].filter((n) => changed.includes(n)).map(change);
  const consequences = changed.filter((n) => !asked.has(n)).sort().map(change);
  return [...requested, ...consequences];
}

/** `CONFIG_ANON_VMA_NAME: n → y, needed by kernel-config/vma.config:4`. */
export function formatChange(c: KconfigChange): string {
  return `CONFIG_${c.name}: ${c.from} → ${c.to}, ${c.request ? `needed by ${c.request.file}:${c.request.line}` : 'by olddefconfig, following the above'}`;
}
