// `vmaspec explore` and `gate --explore N`: generated sequences run in batches on two kernels
// (the base and the changed one, or one kernel twice), their normalised observations compared
// (Oracle 2); a sequence that differs is shrunk by fast-check, each candidate run on both
// kernels in restored guests, and written out as a regression case with its seed and the
// observation that differs.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Case } from '../cases/types.js';
import type { KernelRequest } from '../kernel/types.js';
import type { Logger } from '../log.js';
import type { CompiledCase } from '../plan/compiled.js';
import { repoRoot } from '../qemu/arch.js';
import type { Shard } from '../report/shard.js';
import type { Reporter, RunReport } from '../report/types.js';
import type { CaseRecord } from '../results/types.js';
import type { Failure } from '../verdict/types.js';
import { VmaspecError } from '../errors.js';
import { prepareArtifacts, runSuite, type GuestRunOptions } from '../run.js';
import { regressionCase } from './finding.js';
import type { ModelClaim, ModelOracle } from './oracle.js';
import { buildCase, caseDraw, caseText, loadGenerated, type Item, type RawCase, type RawStep } from './generate.js';
import { differences, observe, type Difference, type Observation } from './normalise.js';

export const EXPLORE_SCHEMA = 'vmaspec-explore/1';
/** Sequences per run of each kernel: one restored guest per share of them. */
export const DEFAULT_BATCH = 1000;
/** How long shrinking one finding may take. */
export const DEFAULT_SHRINK_MS = 10 * 60_000;

export interface ExploreRequest extends GuestRunOptions {
  seed: number;
  /** Sequences to generate (this shard's share of them); null: until timeMs is spent. */
  count: number | null;
  timeMs: number | null;
  shard: Shard | null;
  batch: number;
  /** The pristine kernel, and the change (null: none; the differential oracle then runs the base twice). */
  base: KernelRequest;
  change: KernelRequest | null;
  /**
   * Oracle 1: the model's claims are written into each case and judged on the kernel under test
   * (the change, else the base; `release` and `config`: its own); a finding's case must then pass
   * on the base. null: Oracle 2, the observations of the base and the change (or the base again) compared.
   */
  model: { oracle: ModelOracle; release: string; config: Map<string, string> } | null;
  /** Prints the regression case of each finding as it runs on the change (a failing case's table). */
  reporters: Reporter[];
  /** Stop generating after this many findings. */
  maxFindings: number;
  shrinkMs: number;
}

/** A sequence whose observations differ, shrunk, as a regression case. */
export interface ExploreFinding {
  sequence: number;
  /** The case file written (artifacts/…/explore/<id>.yaml). */
  file: string;
  /** Steps before and after shrinking (the `record` steps not counted). */
  steps: { generated: number; shrunk: number };
  shrinkRuns: number;
  difference: Difference;
  /** The regression case's verdicts by the normal judge: it should pass on the base and fail on the change. */
  verdicts: { base: string; change: string };
}

export interface ExploreReport {
  schema: typeof EXPLORE_SCHEMA;
  /** What judged the sequences: the model's claims on the kernel under test, or the difference between two runs. */
  oracle: 'model' | 'diff';
  seed: number;
  base: string;
  change: string;
  sequences: number;
  /** Sequences the model said nothing of (their first step is one it does not follow): not run. */
  unclaimed: number;
  /** Wall time of the batches (generation and runs; not builds and shrinking), and sequences judged per second in it. */
  batchMs: number;
  perSecond: number;
  /** Every sequence that failed (a model's claim, an observation that differs), with its first difference (the first maxFindings are shrunk into findings). */
  differing: { sequence: number; difference: Difference }[];
  /** Differing sequences that did not differ when run again (shrinking's first run): noise, not findings. */
  unrepeated: number[];
  findings: ExploreFinding[];
}

/** The fast-check seed of sequence k of an explore seed: each sequence can be drawn (and shrunk) alone. */
export const sequenceSeed = (seed: number, k: number): number => (seed + Math.imul(k, 0x9e3779b1)) | 0;

/** The draw of sequence k. */
export const drawSequence = (seed: number, k: number): Item[] => fc.sample(caseDraw(), { seed: sequenceSeed(seed, k), numRuns: 1 })[0] ?? [];

/** A generated case: its raw value, its text (JSON, which YAML reads: a third of the time of YAML text to write and load; a finding is written as YAML) and loaded case; with the model, the step paths its claims are on. */
export interface Generated {
  raw: RawCase;
  text: string;
  case: Case;
  /** Top-level step paths (`steps[3]`) whose errno or `expect` step is the model's: a failure under one is a model finding. */
  claims: string[];
}

/**
 * Raw steps with the model's claims written in: each claimed errno into its step, each claimed
 * `expect` step after its step (not after an `expect` step, which changes nothing), a fork child's
 * claimed first `expect` step at the head of its list, the steps after the last claim left out
 * (nothing judges them); and the paths of what it claims.
 */
function withClaims(steps: readonly RawStep[], claims: Map<number, ModelClaim>): { steps: RawStep[]; paths: string[] } {
  const out: RawStep[] = [];
  const paths: string[] = [];
  let judged = 0;
  for (const [i, step] of steps.entries()) {
    const claim = claims.get(i);
    const kind = Object.keys(step)[0] as string;
    const value = step[kind];
    const errno = claim?.errno;
    if (claim?.child && kind === 'fork') {
      const fork = value as { child: RawStep[] };
      out.push({ fork: { ...fork, child: [claim.child, ...fork.child] } });
      paths.push(`steps[${out.length - 1}].fork.child[0]`);
    } else if (typeof errno === 'string' && value !== null && typeof value === 'object') out.push({ [kind]: { ...value, errno } });
    else out.push(step);
    if (errno !== undefined) paths.push(`steps[${out.length - 1}]`);
    if (claim) judged = out.length;
    if (!claim || kind === 'expect') continue;
    out.push(claim.expect);
    paths.push(`steps[${out.length - 1}]`);
    judged = out.length;
  }
  return { steps: out.slice(0, judged), paths };
}

/**
 * Sequence k as a case (id `explore/s<seed>-<k>`), loaded by the normal loader; with a model, its
 * claims written in (withClaims) and no `record: all` steps. `claims` empty: the model says nothing
 * of it (its first step is one the model does not follow), so the model does not judge it.
 */
export function generated(seed: number, k: number, items: readonly Item[], dir: string, model: ExploreRequest['model'] = null): Generated {
  const id = `explore/s${seed}-${k}`;
  const file = join(dir, `${id}.yaml`);
  const title = `explore seed ${seed} sequence ${k}`;
  const bare = buildCase(items, title, model === null);
  // Without views a draw may build no step at all: then the case with them (the model claims nothing of it).
  const raw = bare.steps.length > 0 ? bare : buildCase(items, title);
  const text = JSON.stringify(raw);
  const c = loadGenerated(text, file, id);
  if (!model) return { raw, text, case: c, claims: [] };
  const claimed = withClaims(raw.steps, model.oracle.expectations(c.steps, { release: model.release, config: model.config, window: c.windowPages }));
  if (claimed.paths.length === 0) return { raw, text, case: c, claims: [] };
  const withModel = { ...raw, steps: claimed.steps };
  const claimedText = JSON.stringify(withModel);
  return { raw: withModel, text: claimedText, case: loadGenerated(claimedText, file, id), claims: claimed.paths };
}

/** Steps of a raw step list, fork branches counted in, `record` steps not. */
export function stepCount(steps: readonly Record<string, unknown>[]): number {
  return steps.reduce((n, s) => {
    if ('fork' in s) {
      const f = s['fork'] as { child: Record<string, unknown>[]; parent?: Record<string, unknown>[] };
      return n + 1 + stepCount(f.child) + stepCount(f.parent ?? []);
    }
    return n + ('expect' in s ? 0 : 1);
  }, 0);
}

/** One case's run on one kernel: its plan, its record and the normalised observation. */
interface Side {
  compiled: CompiledCase;
  record: CaseRecord | undefined;
  obs: Observation;
  verdict: string;
  failures: Failure[];
}

/** Quiet while batches run: the run's own messages go to --verbose. */
const quiet = (log: Logger): Logger => ({ ...log, info: (m) => log.verbose(m), progress: () => undefined });

/** Runs cases on one kernel (`vms` guests); each case's side. */
async function runOn(request: ExploreRequest, kernel: KernelRequest, cases: Case[], dir: string, reporters: Reporter[], vms: number): Promise<Map<string, Side>> {
  const sides = new Map<string, Side>();
  const report: RunReport = await runSuite(
    {
      casesRoot: join(repoRoot, 'cases'),
      paths: [],
      kernel,
      spec: request.spec,
      artifactsDir: dir,
      log: quiet(request.log),
      reporters,
      signal: request.signal,
      vms,
      snapshots: request.snapshots,
      saveDurations: false,
      onRecord: (c, compiled, record) => sides.set(c.id, { compiled, record, obs: observe(compiled, record), verdict: '', failures: [] }),
    },
    cases,
  );
  for (const c of report.cases) {
    const s = sides.get(c.id);
    if (s) Object.assign(s, { verdict: c.verdict, failures: c.failures });
  }
  return sides;
}

/** Runs cases on both kernels side by side (half the guests each; the change's run reported); each case's side on each. */
async function runPair(request: ExploreRequest, cases: Case[], dir: string, reporters: Reporter[] = []): Promise<{ base: Map<string, Side>; change: Map<string, Side> }> {
  const vms = Math.max(1, Math.floor((request.vms ?? 2) / 2));
  const [base, change] = await Promise.all([runOn(request, request.base, cases, join(dir, 'base'), [], vms), runOn(request, request.change ?? request.base, cases, join(dir, request.change ? 'change' : 'again'), reporters, vms)]);
  return { base, change };
}

/** The `what` of a difference that is a kernel report. */
const KERNEL_REPORT = 'kernel';

/** What a finding is, in a line: the kernel's report (its verdict; with `detail`, the report too), the model's failed claim, or the view that differs. */
function findingWhat(request: ExploreRequest, diff: Difference, detail = true): string {
  if (diff.what === KERNEL_REPORT) return `the kernel reports ${detail ? (diff.change ?? '') : (diff.change?.split(':')[0] ?? '')}`;
  return request.model ? `the model's claim at ${diff.what} fails` : `${diff.what} differs`;
}

/** A kernel report during a case (runner/health/: a splat, or the guest crashed): a finding whatever else the oracle sees. */
function kernelReport(side: Side): string | null {
  return side.verdict === 'splat' || side.verdict === 'crashed' ? `${side.verdict}: ${side.failures[0]?.message ?? ''}` : null;
}

/** The first difference of a case between its two sides (a case missing from one is one; a kernel report on the change only comes first). */
function firstDifference(base: Side | undefined, change: Side | undefined): Difference | null {
  if (!base || !change) return { what: 'end', step: null, base: base ? base.obs.end : 'not run', change: change ? change.obs.end : 'not run', baseLines: [], changeLines: [] };
  const report = kernelReport(change);
  if (report && !kernelReport(base)) return { what: KERNEL_REPORT, step: null, base: 'no kernel report', change: report, baseLines: [], changeLines: [] };
  return differences(base.obs, change.obs)[0] ?? null;
}

/** The first failure of a model's claim (an errno it wrote in, an `expect` step it inserted), as a difference: what the model said, what the kernel showed; a kernel report before all. */
function failedClaim(g: Generated, side: Side | undefined): Difference | null {
  if (!side) return { what: 'end', step: null, base: 'the model', change: 'not run', baseLines: [], changeLines: [] };
  const report = kernelReport(side);
  if (report) return { what: KERNEL_REPORT, step: null, base: 'no kernel report', change: report, baseLines: [], changeLines: [] };
  const f = side.failures.find((x) => g.claims.some((c) => x.path === c || x.path?.startsWith(`${c}.`)));
  return f ? { what: f.path ?? 'expect', step: f.step ?? null, base: 'the model', change: f.message, baseLines: [], changeLines: [] } : null;
}

/** The kernel the model's claims are judged on: the change, else the base. */
const underTest = (request: ExploreRequest): KernelRequest => request.change ?? request.base;

/** Judges generated cases by the request's oracle: for each, its first difference (null: none), and its run on the base (the model: on the kernel under test). */
async function judgeAll(request: ExploreRequest, gens: Generated[], dir: string, reporters: Reporter[] = []): Promise<Map<string, { diff: Difference | null; base: Side | undefined }>> {
  const cases = gens.map((g) => g.case);
  const out = new Map<string, { diff: Difference | null; base: Side | undefined }>();
  if (request.model) {
    const sides = await runOn(request, underTest(request), cases, join(dir, 'tested'), reporters, request.vms ?? 2);
    for (const g of gens) out.set(g.case.id, { diff: failedClaim(g, sides.get(g.case.id)), base: sides.get(g.case.id) });
    return out;
  }
  const pair = await runPair(request, cases, dir, reporters);
  for (const g of gens) out.set(g.case.id, { diff: firstDifference(pair.base.get(g.case.id), pair.change.get(g.case.id)), base: pair.base.get(g.case.id) });
  return out;
}

/** Whether the request's oracle judges a generated case: the differential one every case, the model those it claims something of. */
const judged = (request: ExploreRequest, g: Generated): boolean => !request.model || g.claims.length > 0;

/** The sequence numbers of this shard, from `from` on, `n` of them. */
function sequences(shard: Shard | null, from: number, n: number): number[] {
  const out: number[] = [];
  for (let k = from; out.length < n; k++) if (!shard || k % shard.count === shard.index - 1) out.push(k);
  return out;
}

/**
 * Shrinks sequence k with fast-check (its shrinker, on the sequence's own seed): each candidate
 * runs by the request's oracle in restored guests; the smallest that still differs is kept.
 */
async function shrink(request: ExploreRequest, k: number, dir: string): Promise<{ g: Generated; diff: Difference; base: Side; runs: number } | null> {
  let best: { g: Generated; diff: Difference; base: Side } | null = null;
  let runs = 0;
  const seen = new Map<string, boolean>();
  const property = fc.asyncProperty(caseDraw(), async (items) => {
    const g = generated(request.seed, k, items, dir, request.model);
    if (!judged(request, g)) return true;
    const known = seen.get(g.text);
    if (known !== undefined) return known;
    runs++;
    const verdict = (await judgeAll(request, [g], join(dir, `shrink-${k}-${runs}`))).get(g.case.id);
    const diff = verdict?.diff ?? null;
    const base = verdict?.base;
    // fast-check goes on from each candidate that still differs: the last one is the smallest so far.
    if (diff && base) best = { g, diff, base };
    request.log.progress(`explore: shrinking sequence ${k}: run ${runs}, ${best ? stepCount(best.g.raw.steps) : '?'} step(s)`);
    seen.set(g.text, diff === null);
    return diff === null;
  });
  await fc.check(property, { seed: sequenceSeed(request.seed, k), numRuns: 1, interruptAfterTimeLimit: request.shrinkMs, markInterruptAsFailure: false });
  // A difference that does not come again is reported, not shrunk (the oracle has noise to remove).
  const b = best as { g: Generated; diff: Difference; base: Side } | null;
  return b ? { ...b, runs } : null;
}

/** The comment lines of a finding's case file: where it came from and what differs. */
function findingHeader(request: ExploreRequest, k: number, diff: Difference, report: Pick<ExploreReport, 'base' | 'change'>, steps: ExploreFinding['steps'], runs: number): string[] {
  const head = [
    `vmaspec explore --seed ${request.seed}${request.model ? ' (the model oracle)' : ''}: sequence ${k} (fast-check seed ${sequenceSeed(request.seed, k)}), shrunk from ${steps.generated} to ${steps.shrunk} steps in ${runs} runs`,
    `base:   ${report.base}`,
    `change: ${report.change}`,
  ];
  if (diff.what === KERNEL_REPORT) return [...head, `${findingWhat(request, diff)} on ${request.change ? 'the change' : 'the base'}`];
  if (request.model) return [...head, `${findingWhat(request, diff)} on ${request.change ? 'the change' : 'the base'}: ${diff.change ?? ''}`];
  return [...head, `differs at ${diff.what}:`, `  base:   ${diff.base ?? '(nothing)'}`, `  change: ${diff.change ?? '(nothing)'}`];
}

/**
 * The regression case of a shrunk sequence. Differential: the base's errnos and view that differs
 * written in. The model: its claims as they are, and the errnos of the steps it makes no claim on
 * from a run on the base (the pristine kernel), so the case passes there unless the model is wrong.
 */
async function findingCase(request: ExploreRequest, shrunk: { g: Generated; diff: Difference; base: Side }, dir: string): Promise<RawCase> {
  if (!request.model) return regressionCase(shrunk.g.raw, shrunk.base.compiled, shrunk.base.record!, shrunk.diff.step === null ? null : { step: shrunk.diff.step, line: shrunk.diff.base });
  const pristine = request.change ? (await runOn(request, request.base, [shrunk.g.case], join(dir, 'base'), [], 1)).get(shrunk.g.case.id) : shrunk.base;
  if (!pristine?.record) throw new VmaspecError('E_BOOT', `explore: the finding's case ${shrunk.g.case.id} did not run on the base kernel`);
  return regressionCase(shrunk.g.raw, pristine.compiled, pristine.record, null, shrunk.g.claims);
}

/** A finding's case as committed, judged by the normal judge on the base and on the change (if any); the change's run (else the base's) goes to the reporters. */
async function checkFinding(request: ExploreRequest, c: Case, dir: string): Promise<ExploreFinding['verdicts']> {
  if (!request.change) {
    const base = await runOn(request, request.base, [c], join(dir, 'base'), request.reporters, 1);
    return { base: base.get(c.id)?.verdict ?? 'not run', change: 'no change' };
  }
  const check = await runPair(request, [c], dir, request.reporters);
  return { base: check.base.get(c.id)?.verdict ?? 'not run', change: check.change.get(c.id)?.verdict ?? 'not run' };
}

/** Generates, runs and compares sequences, then shrinks and writes each finding. */
export async function runExplore(request: ExploreRequest, labels: { base: string; change: string }): Promise<ExploreReport> {
  const { log, artifactsDir } = request;
  await prepareArtifacts(artifactsDir);
  const findingsDir = join(artifactsDir, 'explore');
  await mkdir(findingsDir, { recursive: true });
  const started = Date.now();
  let judgedCount = 0;
  let unclaimed = 0;
  let batchMs = 0;
  const findings: ExploreFinding[] = [];
  const differs: ExploreReport['differing'] = [];
  const unrepeated: number[] = [];
  const report = { schema: EXPLORE_SCHEMA, oracle: request.model ? 'model' : 'diff', seed: request.seed, base: labels.base, change: labels.change } as const;
  for (let b = 1, next = 0; ; b++) {
    if (request.signal?.aborted || findings.length >= request.maxFindings) break;
    const left = request.count === null ? request.batch : Math.min(request.batch, request.count - judgedCount - unclaimed);
    if (left <= 0 || (request.timeMs !== null && Date.now() - started >= request.timeMs)) break;
    const ks = sequences(request.shard, next, left);
    next = (ks[ks.length - 1] ?? next) + 1;
    const t0 = Date.now();
    const all = ks.map((k) => ({ k, g: generated(request.seed, k, drawSequence(request.seed, k), join(artifactsDir, 'batches'), request.model) }));
    const gens = all.filter(({ g }) => judged(request, g));
    const verdicts = await judgeAll(request, gens.map((x) => x.g), join(artifactsDir, `batch-${b}`));
    batchMs += Date.now() - t0;
    judgedCount += gens.length;
    unclaimed += all.length - gens.length;
    const differing = gens.flatMap(({ k, g }) => {
      const d = verdicts.get(g.case.id)?.diff;
      return d ? [{ k, g, d }] : [];
    });
    for (const { k, d } of differing) {
      differs.push({ sequence: k, difference: d });
      log.info(request.model ? `explore: sequence ${k}: the model's claim at ${d.what} fails: ${d.change ?? ''}` : `explore: sequence ${k} differs at ${d.what}: base ${JSON.stringify(d.base)}, change ${JSON.stringify(d.change)}`);
    }
    log.info(`explore: batch ${b}: ${gens.length} sequence(s) in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${differing.length} ${request.model ? 'fail' : 'differ'}; ${judgedCount} judged, ${(judgedCount / (batchMs / 1000)).toFixed(2)}/s${unclaimed ? ` (${unclaimed} the model says nothing of, not run)` : ''}`);
    for (const { k, g } of differing) {
      if (findings.length >= request.maxFindings) break;
      log.info(`explore: shrinking sequence ${k}`);
      const shrunk = await shrink(request, k, join(artifactsDir, 'shrink'));
      if (!shrunk) {
        log.info(`explore: sequence ${k} did not differ when run again: not a finding (noise the oracle does not yet remove)`);
        unrepeated.push(k);
        continue;
      }
      const steps = { generated: stepCount(g.raw.steps), shrunk: stepCount(shrunk.g.raw.steps) };
      const id = `s${request.seed}-${k}`;
      const regression = await findingCase(request, shrunk, join(artifactsDir, `finding-${id}`));
      regression.title = `explore: ${findingWhat(request, shrunk.diff, false)} (seed ${request.seed}, sequence ${k})`;
      const text = caseText(regression, findingHeader(request, k, shrunk.diff, report, steps, shrunk.runs));
      const file = join(findingsDir, `${id}.yaml`);
      await writeFile(file, text);
      // The case as it will be committed, judged by the normal judge on both kernels; the change's failure is printed.
      const c = loadGenerated(text, file, `explore/${id}`);
      const verdicts = await checkFinding(request, c, join(artifactsDir, `finding-${id}`, 'check'));
      const verb = (v: string): string => (v === 'pass' ? 'passes' : v === 'fail' ? 'fails' : `is ${v}`);
      log.info(`explore: ${file}: ${steps.shrunk} step(s); the case ${verb(verdicts.base)} on the base${request.change ? ` and ${verb(verdicts.change)} on the change` : ''}`);
      findings.push({ sequence: k, file, steps, shrinkRuns: shrunk.runs, difference: shrunk.diff, verdicts });
    }
  }
  const out: ExploreReport = { ...report, sequences: judgedCount, unclaimed, batchMs, perSecond: batchMs > 0 ? judgedCount / (batchMs / 1000) : 0, differing: differs, unrepeated, findings };
  await writeFile(join(artifactsDir, 'explore.json'), `${JSON.stringify(out, null, 2)}\n`);
  return out;
}

/** The summary lines of an explore run. */
export function formatExplore(r: ExploreReport): string {
  const lines = [`explore: seed ${r.seed}; base ${r.base}; change ${r.change}`, `explore: ${r.sequences} sequence(s) judged${r.unclaimed ? ` (and ${r.unclaimed} the model says nothing of)` : ''}, ${r.perSecond.toFixed(2)} per second; ${r.differing.length} ${r.oracle === 'model' ? "fail the model's claims" : 'differ'}; ${r.findings.length} finding(s) shrunk`];
  for (const f of r.findings) {
    lines.push(`  sequence ${f.sequence}: ${f.difference.what}: base ${JSON.stringify(f.difference.base)} / change ${JSON.stringify(f.difference.change)}`);
    lines.push(`    ${f.file} (${f.steps.shrunk} step(s), from ${f.steps.generated}; ${f.shrinkRuns} shrink run(s)); base ${f.verdicts.base}, change ${f.verdicts.change}`);
  }
  return `${lines.join('\n')}\n`;
}
