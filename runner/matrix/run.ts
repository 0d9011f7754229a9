// `vmaspec run --kernel A --kernel B …`: the suite on each kernel in turn, then the matrix.
import { join } from 'node:path';
import type { Case } from '../cases/types.js';
import type { KernelRequest } from '../kernel/types.js';
import type { Reporter, RunReport } from '../report/types.js';
import { runSuite, type GuestRunOptions } from '../run.js';
import { buildMatrix, type MatrixReport } from './matrix.js';

export interface MatrixRequest extends GuestRunOptions {
  casesRoot: string;
  paths: string[];
  cases: Case[];
  kernels: { label: string; kernel: KernelRequest }[];
  /** The reporters of one kernel's run (each kernel's run goes into a folder of its own under artifactsDir). */
  reporters: (label: string) => Reporter[];
}

/** A folder name for a kernel label: `debian:6.1` → `debian-6.1`. */
export const artifactName = (label: string): string => label.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'kernel';

export async function runMatrix(request: MatrixRequest): Promise<MatrixReport> {
  const runs: RunReport[] = [];
  for (const { label, kernel } of request.kernels) {
    if (request.signal?.aborted) break;
    request.log.info(`matrix: ${label}`);
    runs.push(await runSuite({ casesRoot: request.casesRoot, paths: request.paths, kernel, spec: request.spec, artifactsDir: join(request.artifactsDir, artifactName(label)), log: request.log, reporters: request.reporters(label), signal: request.signal, vms: request.vms, snapshots: request.snapshots }, request.cases));
  }
  return buildMatrix(request.kernels.map((k) => k.label), runs);
}
