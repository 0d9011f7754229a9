// Records a whole-suite run for the reference model's test (test/fixtures/model/<KERNEL_DIR>/,
// README there): runs `vmaspec run -j 1` with the given flags and keeps its result streams, the
// kernel's CONFIG_ lines and, per case index, its id and the hash of the plan it ran
// (`planHash`), so that the test can tell a case changed since the recording from a model bug.
// `--full-views`: every smaps line, since the test judges the model's claims of fields the cases do not read.
//   flock /tmp/vmaspec-heavy.lock npx tsx test/model/record-fixture.ts 6.12
//   flock /tmp/vmaspec-heavy.lock npx tsx test/model/record-fixture.ts 6.1 --kernel debian:6.1
import { execa } from 'execa';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { planHash } from './plan-hash.js';

const [dir, ...flags] = process.argv.slice(2);
if (!dir) throw new Error('usage: record-fixture.ts KERNEL_DIR [vmaspec run flags]');
const out = path.join('test/fixtures/model', dir);
const artifacts = mkdtempSync(path.join(tmpdir(), 'vmaspec-model-fixture-'));
const run = await execa('node', ['runner/bin/vmaspec.js', 'run', '-j', '1', '--full-views', '--no-color', '--artifacts', artifacts, ...flags], { reject: false, all: true });
process.stdout.write(`${run.all ?? ''}\n`);
// The run's own folder (artifacts/run-…), through the `latest` link.
const runDir = path.join(artifacts, 'latest');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const f of readdirSync(runDir).filter((n) => /^results-.*\.txt$/.test(n))) writeFileSync(path.join(out, f), readFileSync(path.join(runDir, f)));
const config = readFileSync(path.join(runDir, 'kernel.config'), 'utf8').split('\n');
writeFileSync(path.join(out, 'kernel.config'), `${config.filter((l) => /^# Linux\/\S+ \S+ Kernel Configuration/.test(l) || l.startsWith('CONFIG_')).join('\n')}\n`);
const lines = readdirSync(path.join(runDir, 'plans'))
  .filter((n) => /^\d+\.plan$/.test(n))
  .map((n) => Number.parseInt(n, 10))
  .sort((a, b) => a - b)
  .map((i) => {
    const [head = '', ...plan] = readFileSync(path.join(runDir, 'plans', `${i}.plan`), 'utf8').split('\n');
    return `${i} ${head.replace(/^# /, '')} ${planHash(plan.join('\n'))}`;
  });
writeFileSync(path.join(out, 'cases.txt'), `${lines.join('\n')}\n`);
rmSync(artifacts, { recursive: true, force: true });
process.stdout.write(`${out}: ${lines.length} cases recorded (vmaspec run exit ${run.exitCode})\n`);
