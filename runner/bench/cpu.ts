// The machine's CPU use over a stretch of work: how long its cores were busy (user, nice,
// system and interrupt time of every process, from the kernel's per-CPU counters), so the bench
// can say whether a figure is bound by the cores rather than by waiting.
import { cpus } from 'node:os';

/** Seconds the machine's cores have been busy since it booted, summed over the cores. */
export function busyCoreSeconds(): number {
  let ms = 0;
  for (const { times } of cpus()) ms += times.user + times.nice + times.sys + times.irq;
  return ms / 1000;
}

/** What `work` returns, its wall time in seconds (to 0.1 s) and the cores' busy time meanwhile (core-seconds, to 0.1). */
export async function measured<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number; coreSeconds: number }> {
  const busy = busyCoreSeconds();
  const t = performance.now();
  const value = await work();
  const seconds = Math.round((performance.now() - t) / 100) / 10;
  return { value, seconds, coreSeconds: Math.round((busyCoreSeconds() - busy) * 10) / 10 };
}
