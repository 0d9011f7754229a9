// Writes a copy of every step case under cases/ with the reference model's expectations inserted
// after each top-level step it follows (runner/model/insert.ts), to run them in the VM: on the
// pristine kernel every one must pass (no false alarm), on a mutant some must fail.
//   npx tsx test/model/write-model-cases.ts OUT_DIR [RELEASE] [--model-only]   (RELEASE default 6.12.118)
// --model-only leaves out the cases' own top-level expect steps: what fails is the model's.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadCases } from '../../runner/cases/load.js';
import { insertExpectations } from '../../runner/model/insert.js';
import { referenceModel } from '../../runner/model/oracle.js';

const args = process.argv.slice(2);
const modelOnly = args.includes('--model-only');
const [out, release = '6.12.118'] = args.filter((a) => a !== '--model-only');
if (!out) throw new Error('usage: write-model-cases.ts OUT_DIR [RELEASE]');
rmSync(out, { recursive: true, force: true });
const model = referenceModel();
let written = 0;
let predictions = 0;
for (const c of await loadCases('cases')) {
  if (!c.steps) continue;
  const p = model.expectations(c.steps, { release, window: c.windowPages });
  if (p.size === 0) continue;
  const source = readFileSync(c.file, 'utf8').replace(/^# yaml-language-server: \$schema=.*\n/m, '');
  const file = path.join(out, `${c.id}.yaml`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, insertExpectations(source, p, modelOnly));
  written++;
  predictions += p.size;
}
console.log(`${written} cases, ${predictions} model expect steps, in ${out}`);
