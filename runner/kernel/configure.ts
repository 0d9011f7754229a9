// The kernel's configuration: where it starts (`make tinyconfig`, or a developer's `.config`),
// the fragments of kernel-config/ merged on top by their role (runner/kernel/types.ts
// FragmentRole), olddefconfig, the check of what must survive, and, on a developer's
// `.config`, the report of every option vmaspec changed in it.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { VmaspecError } from '../errors.js';
import type { Logger } from '../log.js';
import { repoRoot } from '../qemu/arch.js';
import { writeFileAtomic } from '../util/atomic.js';
import { run } from '../util/exec.js';
import { toolVersion } from '../util/tool-answer.js';
import { contentKey } from './cache.js';
import { configChanges, droppedOptions, formatChange, fragmentRequests, mergeKconfig, parseKconfig, type KconfigChange, type KconfigRequest, type KconfigValues } from './kconfig.js';
import type { Fragment, FragmentRole, KernelRequest, SourceTree } from './types.js';

/** Bump when the build recipe changes, so old cache entries stop matching. */
const RECIPE = 'vmaspec-kernel-2';

/** What vmaspec did to a developer's `.config` (a ConfigReport), kept beside the kernel and printed on every use. */
export const CONFIG_REPORT = 'config-changes.json';

/**
 * What vmaspec changed in a developer's `.config`, and the options the cases use that it could
 * not set. Not the file's name: two `.config` files with one text share the kernel and this report.
 */
export interface ConfigReport {
  /** The options merged in that changed, then olddefconfig's consequences (runner/kernel/kconfig.ts configChanges). */
  changes: KconfigChange[];
  missing: (KconfigRequest & { got: string })[];
}

/** A fragment line, with the role of its fragment. */
type RoleRequest = KconfigRequest & { role: FragmentRole };

/** The requests of the fragments, in order, and their key (their names and texts). */
export interface Fragments {
  requests: RoleRequest[];
  key: string;
}

/** A fragment's name in messages: relative to the repository when it is one of its own. */
const shown = (path: string): string => (path.startsWith(repoRoot) ? relative(repoRoot, path) : path);

async function readFragments(fragments: Fragment[]): Promise<Fragments> {
  const texts = await Promise.all(
    fragments.map((f) =>
      readFile(f.path, 'utf8').catch((cause: unknown) => {
        throw new VmaspecError('E_USAGE', `cannot read the Kconfig fragment ${f.path} (${(cause as Error).message})`, { cause, details: ['give an existing file with --kconfig'] });
      }),
    ),
  );
  return {
    requests: texts.flatMap((text, i) => fragmentRequests(shown(fragments[i]!.path), text).map((r) => ({ ...r, role: fragments[i]!.role }))),
    key: contentKey(texts.flatMap((text, i) => [basename(fragments[i]!.path), fragments[i]!.role, text])),
  };
}

/** Where a kernel's configuration starts: `make tinyconfig`, or a developer's `.config` (its file and text). */
export type ConfigBase = { kind: 'tinyconfig' } | { kind: 'developer'; file: string; text: string };

/** A prebuilt image's `.config`; `--kernel-config`; the `.config` of the tree's build dir or of the tree configured in place; else tinyconfig. */
async function configBase(request: KernelRequest): Promise<ConfigBase> {
  const developer = async (file: string): Promise<ConfigBase> => ({ kind: 'developer', file, text: await readFile(file, 'utf8') });
  const source = request.source;
  if (source.kind === 'image') return developer(source.config);
  if (request.config) return developer(request.config);
  if (source.kind !== 'tree') return { kind: 'tinyconfig' };
  const own = join(source.build ?? source.path, '.config');
  if (existsSync(own)) return developer(own);
  if (source.build) throw new VmaspecError('E_KERNEL_SOURCE', `--kernel-build ${source.build} has no .config`, { details: [`configure it (make -C ${source.path} O=${source.build} defconfig), or give the .config with --kernel-config`] });
  return { kind: 'tinyconfig' };
}

/** A kernel's configuration as requested: the fragments, the base, and the key they make with the compiler. */
export interface ConfigPlan {
  fragments: Fragments;
  base: ConfigBase;
  /** Over the recipe, the architecture, the compiler, the fragments and the base. */
  configKey: string;
  /** Over the recipe, the architecture and the compiler: what `make tinyconfig` of one source depends on besides the source. */
  toolchainKey: string;
}

/** `gcc --version`'s first line (kept in the cache under gcc's identity unless `keep` is false: runner/util/tool-answer.ts). */
async function compilerIdentity(cacheDir: string, keep: boolean, log: Logger): Promise<string> {
  return (await toolVersion(cacheDir, { command: 'gcc', debianPackage: 'gcc' }, log, keep)).trim();
}

/** The configuration a request asks for (reads the fragments and the base; writes nothing but, when `keep`, the compiler's answer into the cache). */
export async function configPlan(request: KernelRequest, keep: boolean, log: Logger): Promise<ConfigPlan> {
  const [fragments, base, compiler] = await Promise.all([readFragments(request.fragments), configBase(request), compilerIdentity(request.cacheDir, keep, log)]);
  return {
    fragments,
    base,
    configKey: contentKey([RECIPE, request.arch, compiler, fragments.key, base.kind === 'developer' ? base.text : 'tinyconfig']),
    toolchainKey: contentKey([RECIPE, request.arch, compiler]),
  };
}

/** The requests merged onto the base: every fragment on tinyconfig; on a developer's `.config`, all but vmaspec's own small kernel's. */
export const mergedRequests = (plan: ConfigPlan): RoleRequest[] => plan.fragments.requests.filter((r) => plan.base.kind === 'tinyconfig' || r.role !== 'tiny');

/** The requests that must survive olddefconfig: every merged one on tinyconfig (it is ours), the needs on a developer's `.config`. */
export const requiredOptions = (plan: ConfigPlan): KconfigRequest[] => mergedRequests(plan).filter((r) => plan.base.kind === 'tinyconfig' || r.role === 'need');

/** Fails with the name, fragment line and final value of each required option that is not in `config`. */
export function checkConfig(required: KconfigRequest[], config: KconfigValues, where: string, prebuilt: boolean): void {
  const dropped = droppedOptions(required, config);
  if (dropped.length === 0) return;
  const what = prebuilt ? `${where} lacks ${dropped.length} required kernel option(s)` : `${dropped.length} requested kernel option(s) did not survive olddefconfig in ${where}`;
  const hint = prebuilt ? 'rebuild the image with it' : 'check its dependencies in Kconfig';
  throw new VmaspecError('E_KERNEL_CONFIG', what, {
    details: dropped.map((d) => `${d.file}:${d.line}: CONFIG_${d.name}=${d.value} requested, got ${d.got === 'n' ? 'not set' : d.got} (${hint})`),
  });
}

/** The options the cases use (the wants merged) that `config` lacks: their cases are skipped. */
export const missingWants = (plan: ConfigPlan, config: KconfigValues): ConfigReport['missing'] => droppedOptions(mergedRequests(plan).filter((r) => r.role === 'want'), config);

/** The lines on the options the cases use that the kernel lacks; none when it has them all. */
export function formatMissing(missing: ConfigReport['missing']): string[] {
  if (missing.length === 0) return [];
  return [
    `${missing.length} option(s) the cases use are not in the kernel; the cases that need them are skipped:`,
    ...missing.map((d) => `  CONFIG_${d.name}=${d.value} (${d.file}:${d.line}), got ${d.got === 'n' ? 'not set' : d.got}`),
  ];
}

/**
 * The report as printed: each option vmaspec merged in that changed (`CONFIG_ANON_VMA_NAME:
 * n → y, needed by kernel-config/vma.config:4`), the count of olddefconfig's consequences
 * (each listed in `kept`, the report's file), and the options the cases use that are missing.
 */
export function formatConfigReport(report: ConfigReport, file: string, kept: string): string[] {
  const asked = report.changes.filter((c) => c.request);
  const consequences = report.changes.length - asked.length;
  const changes =
    report.changes.length === 0
      ? [`${file} has every option the guest needs and the cases use; vmaspec changed nothing`]
      : [
          `vmaspec changed ${asked.length} option(s) of ${file} for the guest and the cases (kernel-config/README.md):`,
          ...asked.map((c) => `  ${formatChange(c)}`),
          ...(consequences > 0 ? [`  and ${consequences} option(s) olddefconfig set as their consequence (each in ${kept})`] : []),
        ];
  return [...changes, ...formatMissing(report.missing)];
}

/** Where make configures and builds, and where vmaspec keeps its logs and markers. */
export interface BuildDir {
  /** The source make runs in (`make -C`). */
  src: SourceTree;
  /** The build dir (`O=`, or the tree itself when it is built in place). */
  out: string;
  /** vmaspec's logs, markers and report for this build (the build dir itself, unless it is a developer's). */
  meta: string;
  makeArgs: string[];
  configKey: string;
  /**
   * Where `make tinyconfig`'s `.config` of this source is kept (tinyconfigFile), when `src` is
   * an immutable source as it is (Debian's, a git commit; no series applied); null: run it.
   */
  tinyconfig: string | null;
}

/**
 * The file `make tinyconfig`'s `.config` of a source is kept in: it depends on the source's
 * Kconfig files (its identity), the architecture and the compiler (Kconfig asks gcc what it
 * supports) and nothing else, and takes ~25 s of the ~35 s of a configuration here (conf
 * built, then run twice, each run asking gcc ~90 questions). Every other configuration of the source starts from it.
 */
export const tinyconfigFile = (cacheDir: string, src: SourceTree, plan: ConfigPlan): string => join(cacheDir, 'configs', `tinyconfig-${contentKey([src.identity, plan.toolchainKey])}`);

/** The first line of a kept tinyconfig: its text's key, so a damaged file is made again, never used. */
const keptHeader = (text: string): string => `# vmaspec: make tinyconfig, content ${contentKey([text])}\n`;

/** The kept `.config` of `make tinyconfig` in `file`; null when there is none or it is damaged. */
export async function keptTinyconfig(file: string): Promise<string | null> {
  const kept = await readFile(file, 'utf8').catch(() => null);
  const text = kept?.slice(kept.indexOf('\n') + 1);
  return kept !== null && text !== undefined && kept.startsWith(keptHeader(text)) ? text : null;
}

/** Keeps `text` as the `.config` of `make tinyconfig` in `file` (whole or not at all, with its key). */
export async function keepTinyconfig(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, keptHeader(text) + text);
}

/** `<out>/.config` as `make tinyconfig` makes it: the kept one when there is one, else made by make (and kept when `dir.tinyconfig` says where). */
async function tinyconfig(dir: BuildDir, make: (target: string) => Promise<string>, log: Logger): Promise<void> {
  const configPath = join(dir.out, '.config');
  const kept = dir.tinyconfig ? await keptTinyconfig(dir.tinyconfig) : null;
  if (kept !== null) {
    log.verbose(`kernel: make tinyconfig's .config from ${dir.tinyconfig}`);
    await mkdir(dir.out, { recursive: true });
    await writeFile(configPath, kept);
    return;
  }
  await make('tinyconfig');
  if (dir.tinyconfig) await keepTinyconfig(dir.tinyconfig, await readFile(configPath, 'utf8'));
}

/**
 * Makes `<out>/.config`: `make tinyconfig` with every fragment merged on top, or the developer's
 * `.config` (olddefconfig'd first, so what this tree's Kconfig itself changes is not counted
 * as vmaspec's) with the needs and wants merged on top; then olddefconfig and the check.
 * On a developer's `.config`, the report of what changed is written to `<meta>/config-changes.json`.
 * Skipped when the config key is unchanged since the last time.
 */
export async function configure(dir: BuildDir, plan: ConfigPlan, log: Logger): Promise<void> {
  const marker = join(dir.meta, '.vmaspec-config');
  if (existsSync(marker) && (await readFile(marker, 'utf8')) === dir.configKey) return;
  const configPath = join(dir.out, '.config');
  const logFile = join(dir.meta, 'config.log');
  const make = (target: string): Promise<string> => run('make', ['-C', dir.src.dir, ...dir.makeArgs, target], { log, logFile });
  const requests = mergedRequests(plan);
  const { base } = plan;
  const names = [...new Set(requests.map((r) => r.file))].join(', ');
  log.info(`kernel: configuring ${dir.src.label} (${base.kind === 'tinyconfig' ? 'tinyconfig' : base.file} + ${names})`);
  if (base.kind === 'tinyconfig') await tinyconfig(dir, make, log);
  else {
    await writeFile(configPath, base.text);
    await make('olddefconfig');
  }
  const before = await readFile(configPath, 'utf8');
  await writeFile(configPath, mergeKconfig(before, requests));
  await make('olddefconfig');
  const after = parseKconfig(await readFile(configPath, 'utf8'));
  checkConfig(requiredOptions(plan), after, configPath, false);
  if (base.kind === 'developer') {
    const report: ConfigReport = { changes: configChanges(parseKconfig(before), after, requests), missing: missingWants(plan, after) };
    await writeFile(join(dir.meta, CONFIG_REPORT), `${JSON.stringify(report, null, 1)}\n`);
  }
  await writeFile(marker, dir.configKey);
}

/** The printed report kept in `dir` on the kernel of a plan that starts from a developer's `.config`; empty for vmaspec's own configuration. */
export async function readConfigReport(dir: string, plan: ConfigPlan): Promise<string[]> {
  if (plan.base.kind !== 'developer') return [];
  const kept = join(dir, CONFIG_REPORT);
  const text = await readFile(kept, 'utf8').catch(() => null);
  return text === null ? [] : formatConfigReport(JSON.parse(text) as ConfigReport, plan.base.file, kept);
}
