// The processes of one case on the host, found through /proc, and their end. The guest's
// supervisor ends a case with kill(-1) from PID 1; on a host that would kill every process
// of the machine, so the supervisor kills exactly the case's own: those in the probe's
// session or process group (the probe leads both), and those that left them (setsid) but
// not the case's mount namespace, which holds the case's tmpfs (./sandbox.ts).
import { readdir, readFile, readlink } from 'node:fs/promises';
import { TAG_PREFIX } from './sandbox.js';

/** The fields of /proc/PID/stat the supervisor uses. */
export interface ProcStat {
  pid: number;
  /** R, S, D, Z, T … */
  state: string;
  pgrp: number;
  session: number;
}

/** Parses /proc/PID/stat (the command name may hold spaces and parentheses); null when it is not one. */
export function parseStat(text: string): ProcStat | null {
  const open = text.indexOf(' (');
  const close = text.lastIndexOf(') ');
  if (open < 0 || close < open) return null;
  const [state, , pgrp, session] = text.slice(close + 2).split(' ');
  const pid = Number(text.slice(0, open));
  if (!Number.isInteger(pid) || state === undefined || pgrp === undefined || session === undefined) return null;
  return { pid, state, pgrp: Number(pgrp), session: Number(session) };
}

/** The tmpfs sources of a mountinfo text (`… - tmpfs <source> <options>`). */
export function tmpfsSources(mountinfo: string): string[] {
  return [...mountinfo.matchAll(/ - tmpfs (\S+) /g)].map((m) => m[1]!);
}

const read = (file: string): Promise<string | null> => readFile(file, 'utf8').catch(() => null);

interface Proc {
  stat: ProcStat;
  /** The tmpfs sources its mount namespace has, when that is not this process's namespace; else empty. */
  tags: () => Promise<string[]>;
}

/** Every live (not zombie) process but this one. */
async function processes(): Promise<Proc[]> {
  const own = await readlink('/proc/self/ns/mnt').catch(() => null);
  const pids = (await readdir('/proc')).filter((n) => /^[0-9]+$/.test(n) && Number(n) !== process.pid);
  const found = await Promise.all(
    pids.map(async (pid): Promise<Proc | null> => {
      const text = await read(`/proc/${pid}/stat`);
      const stat = text === null ? null : parseStat(text);
      if (!stat || stat.state === 'Z') return null;
      const tags = async (): Promise<string[]> => {
        const ns = await readlink(`/proc/${pid}/ns/mnt`).catch(() => own);
        if (ns === own) return [];
        return tmpfsSources((await read(`/proc/${pid}/mountinfo`)) ?? '');
      };
      return { stat, tags };
    }),
  );
  return found.filter((p): p is Proc => p !== null);
}

/** The live processes of the case whose probe led session `sid` and whose /tmp is the tmpfs `tag`. */
export async function caseProcesses(sid: number, tag: string): Promise<ProcStat[]> {
  const out: ProcStat[] = [];
  for (const p of await processes()) {
    if (p.stat.session === sid || p.stat.pgrp === sid || (await p.tags()).includes(tag)) out.push(p.stat);
  }
  return out;
}

/** The vmaspec pid a case tag names (`vmaspec-host-<pid>-…`), or null. */
export function tagOwner(tag: string): number | null {
  const m = new RegExp(`^${TAG_PREFIX}([0-9]+)-`).exec(tag);
  return m ? Number(m[1]) : null;
}

/** Processes left by cases of a vmaspec that no longer runs (killed before it could end them): their tmpfs tag names a dead owner. */
export async function orphanedCaseProcesses(): Promise<ProcStat[]> {
  const all = await processes();
  const live = new Set(all.map((p) => p.stat.pid));
  const out: ProcStat[] = [];
  for (const p of all) {
    const owners = (await p.tags()).map(tagOwner).filter((o): o is number => o !== null);
    if (owners.length > 0 && owners.every((o) => o !== process.pid && !live.has(o))) out.push(p.stat);
  }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Kills what `find` returns (SIGKILL) until it returns nothing, or the deadline passes; then
 * returns what is left (processes the kernel will not let die: stuck in D state).
 */
export async function killUntilGone(find: () => Promise<ProcStat[]>, deadline: number): Promise<ProcStat[]> {
  for (;;) {
    const left = await find();
    if (left.length === 0 || Date.now() >= deadline) return left;
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    await sleep(5);
  }
}
