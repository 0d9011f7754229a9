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
