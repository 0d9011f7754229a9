// The host programs a guest needs: the architecture's QEMU and setpriv (which
// ties QEMU's life to vmaspec's, runner/qemu/tether.ts). Checked before any
// kernel work, and again before each QEMU start: a missing one is
// E_TOOL_MISSING naming the program, its package and the setup.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { VmaspecError } from '../errors.js';
import type { ArchSpec } from './arch.js';
import { socketDir } from './sockets.js';
import { TETHER_TOOL } from './tether.js';

/** The executable a program name runs (searched in PATH unless absolute), or null. */
export async function findProgram(name: string): Promise<string | null> {
  const executable = (file: string): Promise<boolean> => access(file, constants.X_OK).then(() => true, () => false);
  if (isAbsolute(name)) return (await executable(name)) ? name : null;
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const file = join(dir, name);
    if (await executable(file)) return file;
  }
  return null;
}

async function required(name: string, pkg: string, why: string): Promise<string> {
  const file = await findProgram(name);
  if (file) return file;
  throw new VmaspecError('E_TOOL_MISSING', `${name} is not installed (not found as an executable in PATH); ${why}`, {
    details: [`install the package ${pkg}: npm run setup (as root it runs apt-get install), or apt-get install ${pkg}`],
  });
}

/** The QEMU binary of `spec`, resolved, once setpriv is known to be there too. */
export async function requireQemu(spec: ArchSpec): Promise<string> {
  await required(TETHER_TOOL, 'util-linux', 'it ties QEMU to vmaspec so that no QEMU outlives it');
  return required(spec.binary, spec.package, `it runs the ${spec.arch} guests`);
}

/** Before any kernel work: the programs a guest needs, and (for snapshots) the directory of QEMU's monitor sockets. */
export async function preflightQemu(spec: ArchSpec): Promise<void> {
  await requireQemu(spec);
  if (spec.snapshots) await socketDir();
}
