// Boots the real kernel once (building it first if the cache is cold) and
// reports every YAML case under cases/, and every example of docs/cases.md
// (ids `docs/cases.md#<n>`), as its own test; and a case folder outside the
// repository (a custom probe beside its case), as a developer keeps one.
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKernelRequest } from '../../runner/kernel/request.js';
import { loadDocCases } from '../../runner/cases/doc-examples.js';
import type { Case } from '../../runner/cases/types.js';
import { createLogger } from '../../runner/log.js';
import { loadArch, repoRoot } from '../../runner/qemu/arch.js';
import { formatFailures } from '../../runner/report/terminal.js';
import type { CaseReport, RunReport } from '../../runner/report/types.js';
import { artifactsFolder, loadSuite, runSuite } from '../../runner/run.js';
import { SCHEMA_FILE } from '../../runner/schema/case-schema.js';

const casesRoot = join(repoRoot, 'cases');
const docPage = join(repoRoot, 'docs/cases.md');
const docCases: Case[] = await loadDocCases(docPage); // ids docs/cases.md#<n> (vitest runs in the repo root)
const elsewhere = await mkdtemp(join(tmpdir(), 'vmaspec-elsewhere-'));
const mine = join(elsewhere, 'mycases');
await mkdir(mine);
await copyFile(join(casesRoot, 'probes/anon-name.c'), join(mine, 'anon-name.c'));
// Its schema reference, rewritten as `vmaspec check` asks for from there.
const schemaRef = `$schema=${relative(mine, join(repoRoot, SCHEMA_FILE))}`;
await writeFile(join(mine, 'anon-name.yaml'), (await readFile(join(casesRoot, 'probes/anon-name.yaml'), 'utf8')).replace(/\$schema=\S+/, schemaRef));
const myCases = await loadSuite(casesRoot, [mine]); // ids mycases/<name>
const cases: Case[] = [...(await loadSuite(casesRoot, [])), ...docCases, ...myCases];

let report: RunReport | undefined;
let failure: unknown;

beforeAll(async () => {
  const spec = await loadArch('x86_64');
  // Progress (a cold kernel build takes minutes) goes straight to the terminal.
  const log = createLogger({ verbose: false, stream: process.stderr });
  const artifactsDir = artifactsFolder(join(repoRoot, 'artifacts'));
  try {
    report = await runSuite({ casesRoot, paths: [], kernel: buildKernelRequest({}, spec), spec, artifactsDir, log, reporters: [] }, cases);
  } catch (error) {
    failure = error;
  }
}, 20 * 60_000);

afterAll(async () => {
  await rm(elsewhere, { recursive: true, force: true });
  if (report) process.stderr.write(`vmaspec: ${report.summary.pass} passed, ${report.summary.skip} skipped of ${report.summary.total} on ${report.kernel.source} ${report.kernel.release}\n`);
});

describe('vmaspec suite on the default kernel', () => {
  it('ran: kernel built, guest booted, every case reported', () => {
    if (failure) throw failure;
    expect(report?.cases.map((c) => c.id)).toEqual(cases.map((c) => c.id));
    expect(myCases.map((c) => c.id)).toEqual(['mycases/anon-name']);
  });

  describe.each(cases.map((c) => [c.id, c] as const))('%s', (id, c) => {
    it(c.title, () => {
      const result: CaseReport | undefined = report?.cases.find((r) => r.id === id);
      expect(result, 'the run produced no result for this case').toBeDefined();
      if (result!.verdict === 'skip') {
        expect(result!.skipReason, 'a skip needs a reason').toBeTruthy();
        return;
      }
      const why = formatFailures(result!.failures, { color: false }).join('\n');
      expect(result!.verdict, `${result!.file}\n${why}`).toBe('pass');
    });
  });
});
