// spec: F9 — Documentation/filesystems/proc.rst's smaps example is stale; trust the code.
// The smaps field order the guest prints (case formats/f7-smaps-field-order, run here
// on the default kernel) against the example in proc.rst of the same source tree.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Case } from '../../runner/cases/types.js';
import { buildKernel } from '../../runner/kernel/build.js';
import { buildKernelRequest } from '../../runner/kernel/request.js';
import { createLogger } from '../../runner/log.js';
import { loadArch, repoRoot } from '../../runner/qemu/arch.js';
import type { RunReport } from '../../runner/report/types.js';
import { artifactsFolder, loadSuite, runSuite } from '../../runner/run.js';

const casesRoot = join(repoRoot, 'cases');
const caseFile = join(casesRoot, 'formats/f7-smaps-field-order.yaml');
const [f7] = (await loadSuite(casesRoot, [caseFile])) as [Case];

/** The field names of the smaps example of proc.rst: the indented `Name:` lines after `/bin/bash`'s maps line. */
function procRstSmapsExample(rst: string): string[] {
  const lines = rst.split('\n');
  const start = lines.findIndex((l) => /^\s+08048000-080bc000 r-xp .*\/bin\/bash$/.test(l));
  if (start < 0) return [];
  const fields: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.trim() === '') {
      if (fields.length > 0) break;
      continue;
    }
    const m = /^\s+([A-Za-z_]+):/.exec(l);
    if (!m) break;
    fields.push(m[1]!);
  }
  return fields;
}

/** The smaps_fields the case expects (and the guest, running it, confirms). */
function expectedOrder(c: Case): string[] {
  for (const s of c.steps) if (s.kind === 'expect' && s.expect.observe?.smapsFields) return s.expect.observe.smapsFields.names;
  return [];
}

let report: RunReport;
let rst: string;

beforeAll(async () => {
  const spec = await loadArch('x86_64');
  const log = createLogger({ verbose: false, stream: process.stderr });
  const kernel = buildKernelRequest({}, spec);
  const built = await buildKernel(kernel, log);
  if (!built.sourceDir) throw new Error('the default kernel has no source tree');
  rst = await readFile(join(built.sourceDir, 'Documentation/filesystems/proc.rst'), 'utf8');
  report = await runSuite({ casesRoot, paths: [caseFile], kernel, spec, artifactsDir: artifactsFolder(join(repoRoot, 'artifacts')), log, reporters: [] }, [f7]);
}, 20 * 60_000);

describe('F9: the smaps example of proc.rst against the kernel', () => {
  it('the kernel prints the order of formats/f7-smaps-field-order', () => {
    expect(report.cases[0]?.verdict).toBe('pass');
  });

  it("proc.rst's example is not that order (stale): it repeats some fields and lacks others", () => {
    const kernel = expectedOrder(f7);
    const doc = procRstSmapsExample(rst);
    expect(doc.length, 'the example was found').toBeGreaterThan(10);
    const repeated = doc.filter((f, i) => doc.indexOf(f) !== i);
    const missing = kernel.filter((f) => !doc.includes(f));
    const extra = doc.filter((f) => !kernel.includes(f));
    process.stderr.write(`proc.rst smaps example: repeats [${repeated.join(', ')}], lacks [${missing.join(', ')}], has extra [${extra.join(', ')}]\n`);
    expect(doc).not.toEqual(kernel);
    expect(repeated.length + missing.length + extra.length).toBeGreaterThan(0);
  });
});
