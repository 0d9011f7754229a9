// JSON report file (schema `vmaspec-report/1`).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Reporter, RunReport } from './types.js';

/** The report as JSON text; bigints (none expected) become decimal strings. */
export function reportJson(report: RunReport): string {
  return JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n';
}

export async function writeJsonReport(file: string, report: RunReport): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, reportJson(report));
}

/** A reporter that writes the JSON report when the run is done. */
export function jsonReporter(file: string): Reporter {
  return { onRunDone: (report) => writeJsonReport(file, report) };
}
