// `probe: file.c` — a case that runs a custom C probe (KTAP output) instead of steps;
// `probe: { kernel_source: path }` — a program of the kernel tree under test (an upstream selftest).
// The validator reads the key (./validate.ts); the loader checks the file exists (./load.ts).

import { stat } from 'node:fs/promises';
import path from 'node:path';
import { isMap, type Node, type YAMLMap } from 'yaml';
import type { Diagnostic } from './diagnostics.js';
import type { ProbeSource } from './types.js';
import type { Ctx, Fields } from './read-context.js';

/** The file name a probe source must end with. */
export const PROBE_EXT = '.c';

/**
 * Reads `probe` and its conflicts with `steps` and `window`. Undefined: no `probe`
 * key (the case has steps; a case with neither is reported here). Null: reported.
 */
export function readProbe(ctx: Ctx, F: Fields, root: YAMLMap): ProbeSource | null | undefined {
  const probeF = F.get('probe');
  const stepsF = F.get('steps');
  if (!probeF) {
    if (!stepsF) ctx.error(root, '', 'missing required key "steps" or "probe"');
    return undefined;
  }
  let bad = false;
  if (stepsF) {
    ctx.error(stepsF.key, 'steps', 'give steps or probe, not both (a probe case runs its C program instead of steps)');
    bad = true;
  }
  const windowF = F.get('window');
  if (windowF) {
    ctx.error(windowF.key, 'window', 'window is only used with steps; a probe maps its own memory');
    bad = true;
  }
  const value = ctx.deref(probeF.value);
  if (value !== null && isMap(value)) {
    const kernel = readKernelSource(ctx, value);
    return bad || kernel === null ? null : kernel;
  }
  const written = ctx.str(probeF, 'probe', ' (a C source file, relative to the case file, e.g. probes/anon-name.c, or { kernel_source: … })');
  if (written === undefined) return null;
  const where = ctx.where(probeF);
  if (!checkPath(ctx, where, 'probe', written, 'the case file')) return null;
  if (bad) return null;
  return { from: 'case', path: written, abs: path.resolve(path.dirname(ctx.file), written), pos: ctx.pos(where) };
}

/** Keys of `probe: { … }`. */
export const PROBE_KEYS = ['kernel_source'] as const;

/** A relative path with / separators, no `..`, ending in .c; reported when not. */
function checkPath(ctx: Ctx, where: Node, at: string, written: string, base: string): boolean {
  if (path.isAbsolute(written) || written.includes('\\') || (base !== 'the case file' && written.split('/').includes('..'))) {
    ctx.error(where, at, `invalid probe path ${JSON.stringify(written)}; give a path relative to ${base} with / separators${base === 'the case file' ? '' : ' and no ..'}`);
    return false;
  }
  if (!written.endsWith(PROBE_EXT) || written.length === PROBE_EXT.length || written.endsWith(`/${PROBE_EXT}`)) {
    ctx.error(where, at, `invalid probe path ${JSON.stringify(written)}; expected a C source file ending in ${PROBE_EXT}`);
    return false;
  }
  return true;
}

/** `probe: { kernel_source: tools/testing/selftests/….c }`: a program of the kernel tree under test. */
function readKernelSource(ctx: Ctx, m: YAMLMap): ProbeSource | null {
  const F = ctx.fields(m, 'probe', PROBE_KEYS);
  const f = ctx.required(F, m, 'probe', 'kernel_source');
  if (!f) return null;
  const written = ctx.str(f, 'probe.kernel_source', ' (a C file of the kernel source tree, e.g. tools/testing/selftests/prctl/set-anon-vma-name-test.c)');
  if (written === undefined) return null;
  const where = ctx.where(f);
  if (!checkPath(ctx, where, 'probe.kernel_source', written, 'the top of the kernel source tree')) return null;
  return { from: 'kernel', path: written, pos: ctx.pos(where) };
}

/** The diagnostic for a probe source that is missing or not a file; none when it is there. */
export async function probeFileDiagnostics(probe: ProbeSource, source: string): Promise<Diagnostic[]> {
  if (probe.from === 'kernel') return []; // checked once the kernel tree is known (runner/run.ts)
  const st = await stat(probe.abs).catch(() => null);
  if (st?.isFile()) return [];
  const shown = path.relative(process.cwd(), probe.abs) || probe.abs;
  const what = st ? 'is not a file' : 'does not exist';
  const sourceLine = source.split('\n')[probe.pos.line - 1];
  return [
    {
      file: probe.pos.file,
      line: probe.pos.line,
      col: probe.pos.col,
      path: 'probe',
      message: `probe ${JSON.stringify(probe.path)} ${what} (looked for ${shown})`,
      ...(sourceLine === undefined ? {} : { sourceLine }),
    },
  ];
}
