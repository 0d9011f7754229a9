// `probe: file.c` — a case that runs a custom C probe (KTAP output) instead of steps.
// The validator reads the key (./validate.ts); the loader checks the file exists (./load.ts).

import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { YAMLMap } from 'yaml';
import type { Diagnostic } from './diagnostics.js';
import type { ProbeSource } from './types.js';
import type { Ctx, Fields } from './validate.js';

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
  const written = ctx.str(probeF, 'probe', ' (a C source file, relative to the case file, e.g. probes/anon-name.c)');
  if (written === undefined) return null;
  const where = ctx.where(probeF);
  if (path.isAbsolute(written) || written.includes('\\')) {
    ctx.error(where, 'probe', `invalid probe path ${JSON.stringify(written)}; give a path relative to the case file with / separators`);
    return null;
  }
  if (!written.endsWith(PROBE_EXT) || written.length === PROBE_EXT.length) {
    ctx.error(where, 'probe', `invalid probe path ${JSON.stringify(written)}; expected a C source file ending in ${PROBE_EXT}`);
    return null;
  }
  if (bad) return null;
  return { path: written, abs: path.resolve(path.dirname(ctx.file), written), pos: ctx.pos(where) };
}

/** The diagnostic for a probe source that is missing or not a file; none when it is there. */
export async function probeFileDiagnostics(probe: ProbeSource, source: string): Promise<Diagnostic[]> {
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
