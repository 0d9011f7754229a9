// A working copy's build dir for a configuration that was never built starts as a copy of a
// completed build dir of the same copy (same source, another configuration) instead of empty:
// Kbuild records which CONFIG_ options each object depends on (fixdep, include/config/), so
// after configure only the objects that use a changed option are rebuilt. A build dir is a
// seed only while it holds a completed build (its marker, written after make succeeded and
// removed before make starts, and a whole vmlinux); the copy is filled under a partial name
// and renamed (runner/kernel/partial.ts), so a copy cut short is never taken for a build dir.
// A plain copy (reflinks where the file system has them), never hard links: the compiler
// truncates and rewrites its outputs, which would write into the seed through a shared inode.
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '../log.js';
import { run } from '../util/exec.js';
import { mergedRequests, type ConfigPlan } from './configure.js';
import { droppedOptions, parseKconfig } from './kconfig.js';
import { elfProblem } from './manifest.js';
import { fillAtomically } from './partial.js';
import { isWorkBuildDir, type WorkingCopy } from './series.js';

/** In a build dir of a working copy: the copy's root, written once make built its kernel. */
const BUILT = '.vmaspec-built';

/** Marks `out` as holding a completed build of `copy` (call after make succeeded). */
export const markBuilt = (out: string, copy: WorkingCopy): Promise<void> => writeFile(join(out, BUILT), `${copy.root}\n`);

/** Unmarks `out` before make writes into it: a build cut short or failed is no seed. */
export const unmarkBuilt = (out: string): Promise<void> => rm(join(out, BUILT), { force: true });

/** A completed build dir of `copy` other than `out`, with the plan's merged requests its `.config` lacks (`CONFIG_X=v`). */
interface Seed {
  dir: string;
  unmet: string[];
}

/** The completed build dirs of `copy` beside `out` (same source, other configurations), fewest unmet requests first. */
export async function seedsFor(out: string, copy: WorkingCopy, plan: ConfigPlan): Promise<Seed[]> {
  const parent = dirname(out);
  const names = (await readdir(parent).catch(() => [] as string[])).filter((n) => isWorkBuildDir(n) && n !== basename(out));
  const seeds: Seed[] = [];
  for (const name of names) {
    const dir = join(parent, name);
    if ((await readFile(join(dir, BUILT), 'utf8').catch(() => '')).trim() !== copy.root) continue;
    if (await elfProblem(join(dir, 'vmlinux'))) continue;
    const config = await readFile(join(dir, '.config'), 'utf8').catch(() => null);
    if (config === null) continue;
    seeds.push({ dir, unmet: droppedOptions(mergedRequests(plan), parseKconfig(config)).map((d) => `CONFIG_${d.name}=${d.value}`) });
  }
  return seeds.sort((a, b) => a.unmet.length - b.unmet.length || a.dir.localeCompare(b.dir));
}

/**
 * Seeds `out` (never built: missing or empty) from the completed build dir of `copy` whose
 * `.config` lacks the fewest of the options the plan asks for; nothing when `out` has content
 * (an earlier build there continues incrementally) or no sibling is complete. The caller holds
 * the copy's lock (no build of the copy runs meanwhile). Returns the seed's dir, or null.
 */
export async function seedBuildDir(out: string, copy: WorkingCopy, plan: ConfigPlan, log: Logger): Promise<string | null> {
  if (existsSync(out) && (await readdir(out)).length > 0) return null;
  const [seed] = await seedsFor(out, copy, plan);
  if (!seed) return null;
  const started = Date.now();
  await fillAtomically(out, async (partial) => {
    await run('cp', ['-a', '--reflink=auto', `${seed.dir}/.`, partial], { log });
    await unmarkBuilt(partial);
  });
  const differs = seed.unmet.length === 0 ? 'it has every option asked for' : `it differs in ${seed.unmet.length} option(s) asked for: ${seed.unmet.slice(0, 5).join(' ')}${seed.unmet.length > 5 ? ' …' : ''}`;
  log.info(`kernel: seeding ${out} from the build of another configuration, ${seed.dir} (${differs}; copied in ${((Date.now() - started) / 1000).toFixed(1)} s): make rebuilds what the changed options touch`);
  return seed.dir;
}
