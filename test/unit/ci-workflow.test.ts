// The GitHub Actions workflow of docs/ci.md (issue 16), kept there and only there: it passes
// GitHub's own workflow validator (@actions/languageservice, which a deliberately broken copy
// fails), its `npx vmaspec` lines are commands vmaspec takes, with the same kernels in the job
// that builds them, the key and the shards, its npm lines are the README's, and the shards
// restore the very cache entry the build job saves.
import { registerLogger, validate } from '@actions/languageservice';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseCommandLine, type Parsed } from '../../runner/cli/flags.js';
import { repoRoot } from '../../runner/qemu/arch.js';

const DOC = 'docs/ci.md';
/** The first line of the doc's workflow block: where a kernel tree keeps it. */
const HEAD = '# .github/workflows/';

/** The workflow block of the doc: the one yaml block that starts with HEAD. */
function workflowOf(markdown: string): string {
  const blocks = [...markdown.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1]!).filter((b) => b.startsWith(HEAD));
  expect(blocks, `${DOC}: yaml blocks that start with "${HEAD}"`).toHaveLength(1);
  return blocks[0]!;
}

/** What the language service logged as an error: a validator that crashed would otherwise report nothing. */
const serviceErrors: string[] = [];
registerLogger({ error: (m) => serviceErrors.push(m), warn: () => {}, info: () => {}, log: () => {} });

let lints = 0;

/** GitHub's validation of a workflow: errors and warnings (severity 1, 2 or none given) as `line:col message`. */
async function lint(text: string): Promise<string[]> {
  const before = serviceErrors.length;
  // The service caches what it parsed by the document's URI: each text gets its own.
  const doc = TextDocument.create(`file:///tree-${++lints}/.github/workflows/vmaspec.yml`, 'yaml', 1, text);
  const found = (await validate(doc)).filter((d) => d.severity === undefined || d.severity <= 2).map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${d.message}`);
  expect(serviceErrors.slice(before), 'the validator logged no error of its own').toEqual([]);
  return found;
}

/** A copy with `from` replaced by `to` (which must be there: a mutation that changes nothing proves nothing). */
function broken(text: string, from: string, to: string): string {
  expect(text, `the workflow contains ${from}`).toContain(from);
  return text.replace(from, to);
}

interface Step {
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string | boolean>;
}
interface Job {
  outputs?: Record<string, string>;
  steps: Step[];
}

/** The invocations of `prefix` in the workflow's shell steps, each with the job it is in; `${{ … }}` becomes a placeholder word. */
function invocations(jobs: Record<string, Job>, prefix: string): { job: string; argv: string[] }[] {
  return Object.entries(jobs).flatMap(([job, j]) =>
    j.steps.flatMap((s) =>
      [...(s.run ?? '').replace(/\$\{\{[^}]*\}\}/g, 'EXPR').matchAll(new RegExp(`${prefix} ([^\\n)|;&>]*)`, 'g'))].map((m) => ({ job, argv: m[1]!.trim().split(/\s+/) })),
    ),
  );
}

let text: string;
let jobs: Record<string, Job>;
let readme: string;

beforeAll(async () => {
  text = workflowOf(await readFile(join(repoRoot, DOC), 'utf8'));
  jobs = (parse(text) as { jobs: Record<string, Job> }).jobs;
  readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
});

describe(`the workflow of ${DOC}`, () => {
  it("passes GitHub's workflow validator", async () => {
    expect(await lint(text)).toEqual([]);
  });

  it('fails it when broken: a misspelt key, an unknown job, a bad expression, an unknown context', async () => {
    const mutants: [string, string, RegExp][] = [
      ['    runs-on: ubuntu-24.04', '    run-on: ubuntu-24.04', /Unexpected value 'run-on'/],
      ['    needs: kernels', '    needs: kernel', /unknown job 'kernel'/],
      ['${{ !cancelled() }}', '${{ !cancelled( }}', /Unexpected end of expression/],
      ['${{ matrix.shard }}/', '${{ matrix.shards }}/', /Context access might be invalid: shards/],
      ['fetch-depth: 0 }', 'fetch-depth: 0 ', /.+/],
    ];
    for (const [from, to, message] of mutants) {
      const found = await lint(broken(text, from, to));
      expect(found.some((d) => message.test(d)), `"${from}" → "${to}": ${found.join('; ') || 'no diagnostic'}`).toBe(true);
    }
  });

  it('runs vmaspec commands that vmaspec takes, each in the README, on the same kernels throughout', () => {
    const vmaspec = invocations(jobs, 'npx vmaspec').map((v) => ({ ...v, parsed: parseCommandLine(v.argv) }));
    expect(vmaspec.length).toBeGreaterThan(0);
    for (const v of vmaspec) expect(readme, `README names "vmaspec ${v.parsed.command}"`).toContain(`vmaspec ${v.parsed.command}`);
    const gates = vmaspec.filter((v) => v.parsed.command === 'gate').map((v) => v.parsed);
    const build = gates.filter((g) => g.values['build-only']);
    const shards = gates.filter((g) => g.values.shard !== undefined);
    expect([build.length, shards.length]).toEqual([1, 1]);
    const kernels = (g: Parsed): unknown[] => [g.values.git, g.values.base, g.values.head, g.values.series, g.values.kconfig, g.values.profile, g.values['kernel-tree']];
    expect(kernels(shards[0]!), 'the shards gate the kernels the build job built').toEqual(kernels(build[0]!));
    const key = vmaspec.filter((v) => v.parsed.command === 'kernel key');
    expect(key.map((k) => k.parsed.values.kernel), "the cache key is the base kernel's").toEqual([[`git:${build[0]!.values.git}@${build[0]!.values.base}`]]);
  });

  it("runs npm commands of the README and package.json's scripts", async () => {
    const scripts = Object.keys((JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);
    const npm = invocations(jobs, 'npm');
    expect(npm.length).toBeGreaterThan(0);
    for (const { argv } of npm) {
      const line = `npm ${argv.join(' ')}`;
      expect(['ci', 'test', ...scripts.map((s) => `run ${s}`)], line).toContain(argv.join(' '));
      expect(readme, `README names "${line}"`).toContain(line);
    }
  });

  it('restores in the shards the cache entry the build job saves: the same key, and the paths it printed', () => {
    const uses = (action: string): { job: string; step: Step }[] => Object.entries(jobs).flatMap(([job, j]) => j.steps.filter((s) => s.uses?.startsWith(`${action}@`)).map((step) => ({ job, step })));
    const saves = uses('actions/cache/save');
    const restores = uses('actions/cache/restore');
    expect([saves.length, restores.length]).toEqual([1, 1]);
    const [save, restore] = [saves[0]!, restores[0]!];
    expect(restore.step.with?.key).toBe(save.step.with?.key);
    expect(restore.step.with?.['fail-on-cache-miss']).toBe(true);
    // The shards name the paths through the build job's output, which is the step's that saves them.
    const output = /^\$\{\{ needs\.([\w-]+)\.outputs\.([\w-]+) \}\}$/.exec(String(restore.step.with?.path));
    expect(output?.[1]).toBe(save.job);
    expect(jobs[save.job]!.outputs?.[output![2]!]).toBe(save.step.with?.path);
  });
});
