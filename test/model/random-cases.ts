// Writes N random step sequences as cases, each step followed by the reference model's expect
// step and carrying the errno the model predicts, cut at the first step the model cannot follow:
// run them on the pristine kernel to find the model's false alarms before explore does.
//   npx tsx test/model/random-cases.ts OUT_DIR N SEED [RELEASE]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { parseCase } from '../../runner/cases/load.js';
import { modelKernel } from '../../runner/model/kernel.js';
import { simulate } from '../../runner/model/simulate.js';

const [out, n = '50', seed = '1', release = '6.12.118'] = process.argv.slice(2);
if (!out) throw new Error('usage: random-cases.ts OUT_DIR N SEED [RELEASE]');
const k = modelKernel(release);
if (!k) throw new Error(`no model for ${release}`);
let x = Number(seed) >>> 0 || 1;
const rnd = (m: number): number => {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return (x >>> 0) % m;
};
const pick = <T>(a: readonly T[]): T => a[rnd(a.length)] as T;
const WINDOW = 12;
const NAMES = [null, '', 'a', 'a', 'b', 'ab'];
const PROTS = ['none', 'r', 'rw', 'rw', 'rw'];
const ADVICE = ['dontfork', 'dofork', 'wipeonfork', 'keeponfork', 'dontneed', 'random', 'normal', 'mergeable', 'hugepage'];

function range(): { at: number; pages: number } {
  const at = rnd(WINDOW);
  return { at, pages: 1 + rnd(Math.min(4, WINDOW - at)) };
}

function step(ids: string[], i: number): Record<string, unknown> {
  const r = rnd(100);
  if (r < 25 || ids.length === 0) {
    const id = `m${i}`;
    ids.push(id);
    const shared = rnd(6) === 0;
    return { map: { id, ...range(), prot: pick(PROTS), ...(shared ? { shared } : {}), ...(rnd(5) === 0 ? { noreserve: true } : {}) } };
  }
  if (r < 35) return { unmap: range() };
  if (r < 50) return { mprotect: { ...range(), prot: pick(PROTS) } };
  if (r < 70) return { name: { ...range(), name: pick(NAMES) } };
  if (r < 82) return { touch: { ...range(), access: rnd(3) === 0 ? 'read' : 'write' } };
  if (r < 90) return { madvise: { ...range(), advice: pick(ADVICE) } };
  const region = pick(ids);
  return rnd(2) === 0 ? { mremap: { region, to: rnd(WINDOW - 4), pages: 1 + rnd(3) } } : { mremap: { region, pages: 1 + rnd(3) } };
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
let written = 0;
for (let c = 0; c < Number(n); c++) {
  const steps: Record<string, unknown>[] = [];
  const ids: string[] = [];
  const text = (): string => stringify({ title: `random ${seed}/${c}`, window: WINDOW, steps }, { lineWidth: 0 });
  for (let i = 0; i < 10; i++) {
    const s = step(ids, i);
    steps.push(s);
    const parsed = parseCase(text(), 'r.yaml', 'r');
    if (!parsed.case?.steps) {
      // A step the language rejects (e.g. an mremap running past the window): drop it.
      steps.pop();
      continue;
    }
    const sim = simulate(parsed.case.steps, k, { release, window: WINDOW }, WINDOW);
    const p = sim.steps.get(steps.length - 1);
    if (!p) {
      steps.pop();
      break;
    }
    const kind = Object.keys(s)[0] as string;
    if (p.errno) (s[kind] as Record<string, unknown>)['errno'] = p.errno;
    steps.push(p.expect);
  }
  if (steps.length === 0) continue;
  writeFileSync(path.join(out, `r${c}.yaml`), text());
  written++;
}
console.log(`${written} random cases in ${out}`);
