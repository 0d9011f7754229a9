// Compares `expect.query` items (PROCMAP_QUERY, kernel-behaviour.md Q1–Q5) with the outcome
// of each ioctl: the errno, or the out fields of the struct.
import type { QueryExpect } from '../cases/expect-types.js';
import type { Expected } from '../plan/compiled.js';
import { errnoNumber, errnoText } from '../abi/errno.js';
import { queryName, vmaFlagWords, type QueryResult } from '../results/query.js';
import type { WindowInfo } from '../results/types.js';
import { quoted } from '../util/text.js';
import { runCheck } from './compare.js';
import { failer, type StepWhere } from './failure.js';
import type { Failure } from './types.js';

/** How the item's ioctl was issued, for messages: `PROCMAP_QUERY on maps at page 2 +0 flags [covering_or_next]`. */
export function queryLabel(q: QueryExpect): string {
  const parts = [`PROCMAP_QUERY on ${q.file} at page ${q.at}${q.offset ? ` +${q.offset}` : ''}`];
  if (q.flagWords.length) parts.push(`flags [${q.flagWords.join(', ')}]`);
  if (q.nameBuf !== 4096 || q.nameAddr !== 'buf') parts.push(`name buffer ${q.nameBuf}${q.nameAddr === 'buf' ? '' : ` at ${q.nameAddr}`}`);
  if (q.size !== 104 || q.tail) parts.push(`size ${q.size}${q.tail ? ' with a non-zero byte after the struct' : ''}`);
  if (q.buildIdSize) parts.push(`build_id_size ${q.buildIdSize}`);
  return parts.join(', ');
}

/** A window page number for an address, or the address when it is not on a page boundary of the window. */
function pageOf(addr: bigint, window: WindowInfo): string {
  const ps = BigInt(window.pageSize);
  const off = addr - window.base;
  return off % ps === 0n ? `page ${off / ps} (0x${addr.toString(16)})` : `0x${addr.toString(16)}`;
}

/** Failures of one query item, given the step's ioctl errno and its parsed `Q` record (null when it failed). */
export function judgeQuery(check: Expected<QueryExpect>, errno: number, result: QueryResult | null, window: WindowInfo, where: StepWhere): Failure[] {
  const fail = failer(where, check.pos);
  const { path: base, expect: q } = check;
  const label = queryLabel(q);
  if (q.errno !== null) {
    const want = errnoNumber(q.errno);
    if (errno === want) return [];
    return [fail('query', `${base}.errno`, `${label}: expected ${errnoText(want ?? -1)}, got ${errnoText(errno)}`, q.errno, errnoText(errno))];
  }
  if (errno !== 0 || result === null) return [fail('query', base, `${label}: expected success, got ${errnoText(errno)}`, null, errnoText(errno))];
  const out: Failure[] = [];
  const o = q.out;
  const ps = BigInt(window.pageSize);
  for (const key of ['start', 'end'] as const) {
    const want = o[key];
    if (want === undefined) continue;
    const got = key === 'start' ? result.start : result.end;
    const wantAddr = window.base + BigInt(want) * ps;
    if (got !== wantAddr) out.push(fail('query', `${base}.${key}`, `${label}: vma_${key}: expected page ${want} (0x${wantAddr.toString(16)}), got ${pageOf(got, window)}`, want, pageOf(got, window)));
  }
  const name = queryName(result);
  if (o.name !== undefined) {
    if (name.text !== o.name) out.push(fail('query', `${base}.name`, `${label}: name: expected ${quoted(o.name)}, got ${quoted(name.text)}`, o.name, name.text));
    else if (!name.terminated) out.push(fail('query', `${base}.name`, `${label}: name ${quoted(name.text)} is not NUL-terminated`, o.name, name.text));
  }
  const numeric: [string, 'nameSize' | 'offset' | 'inode' | 'pageSize', number][] = [
    ['name_size', 'nameSize', result.nameSize],
    ['offset', 'offset', Number(result.offset)],
    ['inode', 'inode', Number(result.inode)],
    ['page_size', 'pageSize', result.pageSize],
  ];
  for (const [key, field, actual] of numeric) {
    const check = o[field];
    if (!check) continue;
    const r = runCheck(check, actual);
    if (r.violated.length) out.push(fail('query', `${base}.${key}`, `${label}: ${key}: expected ${r.violated.join(' and ')}, got ${actual}`, r.violated.join(' and '), actual));
  }
  if (o.vmaFlags) {
    const got = vmaFlagWords(result.vmaFlags);
    const want = [...o.vmaFlags].sort();
    if (got.length !== want.length || [...got].sort().some((w, i) => w !== want[i])) {
      out.push(fail('query', `${base}.vma_flags`, `${label}: vma_flags: expected [${o.vmaFlags.join(', ')}], got [${got.join(', ')}] (0x${result.vmaFlags.toString(16)})`, o.vmaFlags.join(', '), got.join(', ')));
    }
  }
  if (o.dev !== undefined) {
    const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
    const got = `${hex2(result.devMajor)}:${hex2(result.devMinor)}`;
    if (got !== o.dev) out.push(fail('query', `${base}.dev`, `${label}: dev: expected ${o.dev}, got ${got}`, o.dev, got));
  }
  return out;
}
