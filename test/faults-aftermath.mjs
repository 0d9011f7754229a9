#!/usr/bin/env node
// After the fault matrix (npm run test:faults): no QEMU or guest program of ours is left
// running, and the cache holds no partial directory (docs/reliability.md). Exit 1 when
// something is, with what it is.
import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const cache = process.env.VMASPEC_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'vmaspec');
const problems = [];

for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
  let cmdline = '';
  let stat = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ');
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    continue; // gone meanwhile
  }
  if (/^\d+ \(.*\) Z /.test(stat)) continue;
  if (/qemu-system-\S+ .*(vmaspec|payload-)/.test(cmdline)) problems.push(`QEMU left running: pid ${pid}: ${cmdline.slice(0, 160)}`);
  if (/vmaspec\.js (run|gate|kernel)/.test(cmdline)) problems.push(`vmaspec left running: pid ${pid}: ${cmdline.slice(0, 160)}`);
}

/** Every `*.partial-<pid>` below `dir`, two levels deep (the cache's layout). */
function partials(dir, depth) {
  let entries = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const path = join(dir, e.name);
    if (/\.partial-\d+$/.test(e.name)) return [path];
    return e.isDirectory() && depth > 0 && !e.isSymbolicLink() ? partials(path, depth - 1) : [];
  });
}
for (const p of partials(cache, 2)) problems.push(`partial dir left in the cache: ${p}`);

for (const p of problems) process.stderr.write(`faults-aftermath: ${p}\n`);
process.stdout.write(`faults-aftermath: ${problems.length === 0 ? 'no QEMU, vmaspec or partial dir of ours left' : `${problems.length} problem(s)`}\n`);
process.exit(problems.length === 0 ? 0 : 1);
