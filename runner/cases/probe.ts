// `probe: file.c` — a case that runs a custom C probe (KTAP output) instead of steps;
// `probe: { kernel_source: path }` — a program of the kernel tree under test (an upstream selftest).
// Its shape and resolve (./case.ts reads the key); the loader checks the file exists (./load.ts).
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { diagnosticAt, type Diagnostic } from './diagnostics.js';
import type { Resolver } from './resolve.js';
import { obj, says, str, type SourcePos } from './shapes.js';
import { describe, sub } from './tree.js';

/** The file name a probe source must end with. */
export const PROBE_EXT = '.c';

/**
 * The C source of a `probe:` case: a file beside the case (`probe: x.c`), or a file of the
 * kernel tree under test (`probe: { kernel_source: tools/testing/selftests/… .c }`).
 */
export type ProbeSource =
  /** `path` as written, relative to the case file; `abs` resolved. */
  | { from: 'case'; path: string; abs: string; pos: SourcePos }
  /** `path` as written, relative to the top of the kernel source tree; resolved when the kernel is known. */
  | { from: 'kernel'; path: string; pos: SourcePos };

/** A relative path with / separators (no `..` inside the kernel tree), ending in .c; why not, or null. */
function pathProblem(written: string, inKernel: boolean): string | null {
  const base = inKernel ? 'the top of the kernel source tree' : 'the case file';
  if (path.isAbsolute(written) || written.includes('\\') || (inKernel && written.split('/').includes('..'))) {
    return `invalid probe path ${JSON.stringify(written)}; give a path relative to ${base} with / separators${inKernel ? ' and no ..' : ''}`;
  }
  if (!written.endsWith(PROBE_EXT) || written.length === PROBE_EXT.length || written.endsWith(`/${PROBE_EXT}`)) {
    return `invalid probe path ${JSON.stringify(written)}; expected a C source file ending in ${PROBE_EXT}`;
  }
  return null;
}
const source = (inKernel: boolean, hint: string) =>
  str(hint)
    .refine((s) => pathProblem(s, inKernel) === null, says((v) => pathProblem(String(v), inKernel) ?? ''))
    .meta({ pattern: /^[^/\\].*\.c$/.source });

const PROBE = z
  .union(
    [
      source(false, '').describe('a C source file relative to the case file, run instead of steps (KTAP output, c-helpers/ktap.h)'),
      obj({
        kernel_source: source(true, ' (a C file of the kernel source tree, e.g. tools/testing/selftests/prctl/set-anon-vma-name-test.c)').describe(
          'a C file of the kernel tree under test, e.g. tools/testing/selftests/prctl/set-anon-vma-name-test.c (an upstream selftest)',
        ),
      }),
    ],
    says((v) => `expected a string (a C source file, relative to the case file, e.g. probes/anon-name.c, or { kernel_source: … }), got ${describe(v)}`),
  )
  .describe('a C program run instead of steps');
export { PROBE as PROBE_SHAPE };

/** `probe:` resolved against the case file; undefined once reported. */
export function resolveProbe(raw: unknown, r: Resolver): ProbeSource | undefined {
  const p = r.take(PROBE, raw, sub(null, 'probe'));
  if (p === undefined) return undefined;
  if (typeof p === 'string') return { from: 'case', path: p, abs: path.resolve(path.dirname(r.file), p), pos: r.pos(sub(null, 'probe')) };
  return { from: 'kernel', path: p.kernel_source, pos: r.pos(sub(null, 'probe', 'kernel_source')) };
}

/** The diagnostic for a probe source that is missing or not a file; none when it is there. */
export async function probeFileDiagnostics(probe: ProbeSource, text: string): Promise<Diagnostic[]> {
  if (probe.from === 'kernel') return []; // checked once the kernel tree is known (runner/run.ts)
  const st = await stat(probe.abs).catch(() => null);
  if (st?.isFile()) return [];
  const shown = path.relative(process.cwd(), probe.abs) || probe.abs;
  const { file, line, col } = probe.pos;
  return [diagnosticAt(file, text.split('\n'), line, col, 'probe', `probe ${JSON.stringify(probe.path)} ${st ? 'is not a file' : 'does not exist'} (looked for ${shown})`)];
}
