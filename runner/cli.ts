// The `vmaspec` command line: parse arguments, run a stage, map errors to exit codes.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CaseError } from './cases/diagnostics.js';
import { EXIT, VmaspecError } from './errors.js';
import { buildKernel } from './kernel/build.js';
import { buildKernelRequest, type KernelOptions } from './kernel/request.js';
import { createLogger, type Logger } from './log.js';
import { loadArch, repoRoot } from './qemu/arch.js';
import { jsonReporter } from './report/json.js';
import { terminalReporter } from './report/terminal.js';
import { artifactsFolder, loadSuite, runSuite } from './run.js';
import { caseSchemaText, SCHEMA_FILE } from './schema/case-schema.js';
import { loadMutants } from './mutants/patches.js';
import { runMutants } from './mutants/run.js';
import { COVERAGE_FILE, renderCoverage, repoCoverage } from './coverage/coverage.js';

const USAGE = `usage: vmaspec <command> [options] [case files or folders]

commands:
  run             build the kernel, boot it and run the cases (default: every case under cases/)
  check           validate case files only (no build, no boot); a .md page checks its yaml examples
  schema          write schema/case.schema.json (the JSON Schema of case files) from the validator
  coverage        write docs/coverage.md: the cases of every key of docs/kernel-behaviour.md
  kernel build    build (or find in the cache) the kernel only
  mutants         build each kernel mutant of mutants/ (or those named) incrementally, run every case
                  on it and on the unpatched kernel; writes docs/mutants.md and docs/mutants.json

kernel options (run, kernel build):
  --patch FILE          apply a patch to a pristine copy of the source (repeatable, in order)
  --kernel-tree PATH    build a kernel tree of yours, out of tree (the tree stays clean)
  --kernel-image PATH   boot a prebuilt vmlinux (PVH); its .config must be beside it or given
  --kernel-config PATH  the .config of --kernel-image
  --kconfig FILE        an extra Kconfig fragment on top of kernel-config/ (repeatable)
  --profile NAME        a kernel profile: kernel-config/profiles/NAME.config on top (repeatable)
  --cache-dir DIR       cache for sources, builds and helpers (default: $XDG_CACHE_HOME/vmaspec)
  -j, --jobs N          make -j (default: cores + 1)

run options:
  --json FILE           write the JSON report (schema vmaspec-report/1)
  --artifacts DIR       where console logs, result streams and plans go (default: artifacts/)
  --arch ARCH           guest architecture, a file in qemu/ (default: x86_64)
  --color / --no-color  colour in the terminal report (default: when stdout is a terminal)
  -v, --verbose         print the exact make and QEMU command lines
  -h, --help            this text

exit status: 0 all cases passed (or skipped), 1 a case did not pass, 2 the run could not happen.`;

const OPTIONS = {
  patch: { type: 'string', multiple: true, default: [] },
  'kernel-tree': { type: 'string' },
  'kernel-image': { type: 'string' },
  'kernel-config': { type: 'string' },
  kconfig: { type: 'string', multiple: true, default: [] },
  profile: { type: 'string', multiple: true, default: [] },
  'cache-dir': { type: 'string' },
  jobs: { type: 'string', short: 'j' },
  json: { type: 'string' },
  artifacts: { type: 'string' },
  arch: { type: 'string', default: 'x86_64' },
  color: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function parse(argv: string[]): { command: string[]; paths: string[]; values: Values } {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (cause) {
    throw new VmaspecError('E_USAGE', (cause as Error).message, { cause });
  }
  const [first, ...rest] = parsed.positionals;
  if (first === 'kernel') {
    if (rest[0] !== 'build') throw new VmaspecError('E_USAGE', `unknown command "kernel ${rest[0] ?? ''}"; allowed: kernel build`);
    return { command: ['kernel', 'build'], paths: rest.slice(1), values: parsed.values };
  }
  return { command: first ? [first] : [], paths: rest, values: parsed.values };
}

/** The kernel options of the command line. */
function kernelOptions(values: Values): KernelOptions {
  const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
  return {
    patches: values.patch,
    tree: values['kernel-tree'],
    image: values['kernel-image'],
    imageConfig: values['kernel-config'],
    kconfig: values.kconfig,
    profiles: values.profile,
    cacheDir: values['cache-dir'],
    jobs,
  };
}

function report(error: unknown, log: Logger): number {
  log.done();
  if (error instanceof CaseError) {
    process.stderr.write(`${error.message}\n`);
    return EXIT.couldNotRun;
  }
  if (error instanceof VmaspecError) {
    process.stderr.write(`vmaspec: ${error.code}: ${error.message}\n${error.details.map((d) => `  ${d}\n`).join('')}`);
    if (error.code === 'E_USAGE') process.stderr.write(`run "vmaspec --help" for the options\n`);
    return error.code === 'E_INTERRUPTED' ? EXIT.interrupted : EXIT.couldNotRun;
  }
  process.stderr.write(`vmaspec: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return EXIT.couldNotRun;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let log = createLogger({ verbose: argv.includes('-v') || argv.includes('--verbose') });
  const abort = new AbortController();
  const onSigint = (): void => {
    log.info('vmaspec: interrupted; stopping QEMU and keeping the partial report');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const { command, paths, values } = parse(argv);
    log = createLogger({ verbose: values.verbose });
    if (values.help || command.length === 0) {
      process.stdout.write(`${USAGE}\n`);
      return command.length === 0 && !values.help ? EXIT.couldNotRun : EXIT.ok;
    }
    const casesRoot = join(repoRoot, 'cases');
    switch (command.join(' ')) {
      case 'check': {
        const cases = await loadSuite(casesRoot, paths);
        process.stdout.write(`${cases.length} case(s) valid\n`);
        return EXIT.ok;
      }
      case 'coverage': {
        if (paths.length > 0) throw new VmaspecError('E_USAGE', 'coverage takes no arguments');
        const cov = await repoCoverage(repoRoot);
        const out = join(repoRoot, COVERAGE_FILE);
        await writeFile(out, renderCoverage(cov));
        process.stdout.write(`${out}: ${cov.facts.length - cov.uncovered.length}/${cov.facts.length} keys covered; uncovered: ${cov.uncovered.map((u) => u.fact.key).join(' ') || 'none'}\n`);
        for (const u of cov.unknown) process.stderr.write(`vmaspec: key ${u.key} is not in docs/kernel-behaviour.md, cited by ${u.cases.join(', ')}\n`);
        return cov.unknown.length > 0 || cov.staleReasons.length > 0 ? EXIT.couldNotRun : EXIT.ok;
      }
      case 'schema': {
        if (paths.length > 0) throw new VmaspecError('E_USAGE', 'schema takes no arguments');
        const out = join(repoRoot, SCHEMA_FILE);
        await mkdir(dirname(out), { recursive: true });
        await writeFile(out, caseSchemaText());
        process.stdout.write(`${out}\n`);
        return EXIT.ok;
      }
      case 'kernel build': {
        const spec = await loadArch(values.arch);
        const kernel = await buildKernel(buildKernelRequest(kernelOptions(values), spec), log);
        process.stdout.write(`${kernel.image}\n`);
        log.info(`kernel: ${kernel.label} ${kernel.release}${kernel.cached ? ' (cached)' : ''}; config ${kernel.configPath}`);
        return EXIT.ok;
      }
      case 'run': {
        const cases = await loadSuite(casesRoot, paths); // validate before anything is built
        const spec = await loadArch(values.arch);
        const color = values['no-color'] ? false : (values.color ?? process.stdout.isTTY === true);
        const reporters = [terminalReporter({ color }), ...(values.json ? [jsonReporter(resolve(values.json))] : [])];
        const artifactsDir = artifactsFolder(resolve(values.artifacts ?? 'artifacts'));
        const result = await runSuite({ casesRoot, paths, kernel: buildKernelRequest(kernelOptions(values), spec), spec, artifactsDir, log, reporters, signal: abort.signal }, cases);
        log.info(`artifacts: ${artifactsDir}`);
        if (abort.signal.aborted) return EXIT.interrupted;
        const s = result.summary;
        return s.fail + s.crashed + s.broken > 0 ? EXIT.testsFailed : EXIT.ok;
      }
      case 'mutants': {
        const cases = await loadSuite(casesRoot, []);
        const dir = join(repoRoot, 'mutants');
        const [mutants, known] = await Promise.all([loadMutants(dir, paths), loadMutants(dir)]);
        const { cacheDir, jobs, kconfig, profiles, patches, tree, image } = kernelOptions(values);
        if (patches?.length || tree || image) throw new VmaspecError('E_USAGE', 'mutants builds its own working copy of Debian 6.12: --patch, --kernel-tree and --kernel-image do not apply');
        const spec = await loadArch(values.arch);
        const artifactsDir = artifactsFolder(resolve(values.artifacts ?? 'artifacts'), new Date()).replace(/run-([^/]*)$/, 'mutants-$1');
        const reportFile = join(repoRoot, 'docs', 'mutants.md');
        const result = await runMutants({ casesRoot, cases, mutants, known: known.map((m) => m.name), kernel: { cacheDir, jobs, kconfig, profiles }, spec, reportFile, artifactsDir, log, signal: abort.signal });
        log.info(`mutants: report ${reportFile}; artifacts ${artifactsDir}`);
        if (abort.signal.aborted) return EXIT.interrupted;
        const bad = (result.baseline?.failed.length ?? 0) + result.mutants.filter((m) => mutants.some((n) => n.name === m.name) && m.status !== 'caught').length;
        return bad > 0 ? EXIT.testsFailed : EXIT.ok;
      }
      default:
        throw new VmaspecError('E_USAGE', `unknown command "${command.join(' ')}"; allowed: run, check, schema, coverage, mutants, kernel build`);
    }
  } catch (error) {
    // Ctrl-C reaches make and QEMU too; their failure is the interruption, not a build or boot error.
    if (abort.signal.aborted) return report(new VmaspecError('E_INTERRUPTED', 'interrupted', { cause: error }), log);
    return report(error, log);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
