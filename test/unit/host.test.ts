// The pure parts of `--kernel host` (runner/host/): which cases the running kernel must not
// run and why, the sandbox's command line, /proc and /dev/kmsg parsing, the page size from
// the auxiliary vector, and the command line's spec and request.
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseCase } from '../../runner/cases/load.js';
import type { Case } from '../../runner/cases/types.js';
import { configCandidates, pageSizeFromAuxv, runningKernel } from '../../runner/host/kernel.js';
import { kmsgRecord } from '../../runner/host/kmsg.js';
import { HOST_FORBIDDEN_OPTIONS, hostSkipReason } from '../../runner/host/policy.js';
import { parseStat, tagOwner, tmpfsSources } from '../../runner/host/processes.js';
import { DROPPED_CAPABILITIES, NAMESPACE_TOOL, sandboxCommand, underTmp } from '../../runner/host/sandbox.js';
import { buildKernelRequest } from '../../runner/kernel/request.js';
import { parseKernelSpec } from '../../runner/kernel/spec.js';
import { loadArch } from '../../runner/qemu/arch.js';
import { TETHER_TOOL } from '../../runner/qemu/tether.js';

function load(text: string): Case {
  const r = parseCase(text, 'cases/x/host.yaml', 'x/host');
  if (!r.case) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.case;
}

const config = (...on: string[]): Map<string, string> => new Map(on.map((o) => [o, 'y']));
const at = (release: string, cfg: Map<string, string> | null = config('ANON_VMA_NAME')) => ({ release, config: cfg });

describe('hostSkipReason', () => {
  const plain = load('title: t\nsteps:\n  - map: { at: 2, pages: 1 }\n  - expect: { vmas: 1 }\n');

  it('lets a case that changes nothing outside its process run', () => {
    expect(hostSkipReason(plain, at('6.18.1'))).toBeNull();
  });

  it('skips a sysctl step, naming its key and path, also inside a fork', () => {
    const c = load('title: t\nsteps:\n  - map: { at: 2, pages: 3 }\n  - fork:\n      child:\n        - sysctl: { key: vm.max_map_count, value: 100 }\n      parent: []\n');
    expect(hostSkipReason(c, at('6.18.1'))).toMatch(/^writes the sysctl vm\.max_map_count \(steps\[1\]\.fork\.child\[0\]\): sysctls are global/);
  });

  it('ignores a sysctl step whose when leaves it out on this kernel', () => {
    const c = load('title: t\nsteps:\n  - map: { at: 2, pages: 3 }\n  - sysctl: { key: vm.max_map_count, value: 100 }\n    when: { kernel: "<6.2" }\n');
    expect(hostSkipReason(c, at('6.18.1'))).toBeNull();
    expect(hostSkipReason(c, at('6.1.5'))).toMatch(/^writes the sysctl/);
  });

  it('skips fault injection (fail_nth), with the step', () => {
    const c = load('title: t\nsteps:\n  - map: { id: a, at: 2, pages: 2 }\n  - name: { region: a, name: x, fail_nth: 1, errno: ENOMEM }\n');
    expect(hostSkipReason(c, at('6.18.1'))).toMatch(/^injects an allocation failure \(fail_nth, steps\[1\]\)/);
  });

  it('skips a case that requires LKDTM or a fault-injection option, not one that wants it off', () => {
    const lkdtm = load('title: t\nrequires: { kconfig: [LKDTM] }\nprobe: ../../cases/probes/anon-name.c\n');
    expect(hostSkipReason(lkdtm, at('6.18.1'))).toBe(`${HOST_FORBIDDEN_OPTIONS.get('LKDTM')} (requires CONFIG_LKDTM)`);
    const failslab = load('title: t\nrequires: { kconfig: [FAILSLAB] }\nsteps:\n  - map: { at: 2, pages: 1 }\n');
    expect(hostSkipReason(failslab, at('6.18.1'))).toMatch(/^injects faults: .*\(requires CONFIG_FAILSLAB\)$/);
    const off = load('title: t\nrequires: { kconfig: [LKDTM=n] }\nsteps:\n  - map: { at: 2, pages: 1 }\n');
    expect(hostSkipReason(off, at('6.18.1'))).toBeNull();
  });

  it('skips a probe from the kernel source tree', () => {
    const c = load('title: t\nprobe: { kernel_source: tools/testing/selftests/proc/proc-empty-vm.c }\n');
    expect(hostSkipReason(c, at('6.18.1'))).toBe('compiles tools/testing/selftests/proc/proc-empty-vm.c from the kernel source tree, and the running kernel has none here');
  });

  it('without a .config, skips every case with a Kconfig requirement or guard, and says where it looked', () => {
    const required = load('title: t\nrequires: { kconfig: [KSM] }\nsteps:\n  - map: { at: 2, pages: 1 }\n');
    expect(hostSkipReason(required, at('6.18.1', null))).toBe('needs CONFIG_KSM, and the running kernel\'s .config is unknown (no /boot/config-6.18.1, no /proc/config.gz)');
    const guarded = load('title: t\nsteps:\n  - map: { at: 2, pages: 1 }\n  - expect: { vmas: 1 }\n    when: { kconfig: [ANON_VMA_NAME=n] }\n');
    expect(hostSkipReason(guarded, at('6.18.1', null))).toMatch(/^steps\[1\] is guarded by CONFIG_ANON_VMA_NAME=n, and the running kernel's \.config is unknown/);
    expect(hostSkipReason(plain, at('6.18.1', null))).toBeNull();
  });

  it('without a .config, a sysctl step guarded by a Kconfig term still counts (it may run)', () => {
    const c = load('title: t\nsteps:\n  - map: { at: 2, pages: 3 }\n  - sysctl: { key: vm.max_map_count, value: 100 }\n    when: { kconfig: [ANON_VMA_NAME] }\n');
    expect(hostSkipReason(c, at('6.18.1', null))).toMatch(/^writes the sysctl/);
  });
});

describe('the sandbox command', () => {
  it('tethers the probe, drops the guest supervisor\'s capabilities and gives it a mount namespace', () => {
    const cmd = sandboxCommand({ argv: ['/cache/helpers/k/vmaprobe', '/proc/self/fd/0'], tag: 'vmaspec-host-1-host-0', mergeStderr: false, parent: 42 });
    expect(cmd.file).toBe(TETHER_TOOL);
    expect(cmd.args.slice(0, 5)).toEqual(['--pdeathsig', 'KILL', '--bounding-set', DROPPED_CAPABILITIES.map((c) => `-${c}`).join(','), '--']);
    expect(cmd.args.slice(5, 10)).toEqual([NAMESPACE_TOOL, '--mount', '--propagation', 'private', '--']);
    // sh -c SCRIPT sh <parent> <tag> <dir to bind back> <merge> <probe …>
    expect(cmd.args.slice(-7)).toEqual(['sh', '42', 'vmaspec-host-1-host-0', '', '-', '/cache/helpers/k/vmaprobe', '/proc/self/fd/0']);
    expect(cmd.args[cmd.args.length - 8]).toMatch(/mount -t tmpfs -o nosuid,noexec,mode=1777 "\$tag" \/tmp/);
  });

  it('binds back the directory of a probe that lies below /tmp, never /tmp itself', () => {
    expect(underTmp('/tmp/cache/probes/k/p')).toBe('/tmp/cache/probes/k');
    expect(underTmp('/tmp/p')).toBe('');
    expect(underTmp('/tmpx/p/q')).toBe('');
    expect(underTmp('/root/.cache/p')).toBe('');
    const cmd = sandboxCommand({ argv: ['/tmp/c/p'], tag: 't', mergeStderr: true, parent: 1 });
    expect(cmd.args.slice(-4)).toEqual(['t', '/tmp/c', 'merge', '/tmp/c/p']);
  });
});

describe('/proc and /dev/kmsg', () => {
  it('parses stat lines whose command holds spaces and parentheses', () => {
    expect(parseStat('123 (a) b (c)) S 1 456 789 0 -1')).toEqual({ pid: 123, state: 'S', pgrp: 456, session: 789 });
    expect(parseStat(readFileSync('/proc/self/stat', 'utf8'))?.pid).toBe(process.pid);
    expect(parseStat('garbage')).toBeNull();
  });

  it('finds tmpfs sources in mountinfo and the owner a tag names', () => {
    const info = '65 45 0:39 / /tmp rw,nosuid - tmpfs vmaspec-host-77-host-3 rw\n48 45 0:21 / /sys rw - sysfs sysfs rw\n';
    expect(tmpfsSources(info)).toEqual(['vmaspec-host-77-host-3']);
    expect(tagOwner('vmaspec-host-77-host-3')).toBe(77);
    expect(tagOwner('tmpfs')).toBeNull();
  });

  it('turns a /dev/kmsg record into a K record: level without facility, text without continuation lines', () => {
    expect(kmsgRecord('14,1234,567890,-;hello \\x0a world\n SUBSYSTEM=mem\n')).toBe('K 1234 6 567890 hello \\x0a world');
    expect(kmsgRecord('4,5,6,c,extra;text')).toBe('K 5 4 6 text');
    expect(kmsgRecord('no record')).toBeNull();
  });
});

describe('the running kernel', () => {
  it('reads AT_PAGESZ from an auxiliary vector', () => {
    const auxv = new BigUint64Array([33n, 0x7fffn, 6n, 16384n, 0n, 0n]);
    expect(pageSizeFromAuxv(new Uint8Array(auxv.buffer))).toBe(16384);
    expect(pageSizeFromAuxv(new Uint8Array(new BigUint64Array([0n, 0n]).buffer))).toBeNull();
  });

  it('looks for the .config where distributions and IKCONFIG_PROC keep it', () => {
    expect(configCandidates('6.18.4-x')).toEqual(['/boot/config-6.18.4-x', '/proc/config.gz']);
  });

  it('is uname -r of this machine, with a config when one of the candidates is there', async () => {
    const k = await runningKernel();
    expect(k.release).toBe(release());
    expect(k.pageSize % 4096).toBe(0);
    if (k.configSource === null) expect(k.config).toBeNull();
    else expect(k.config?.size).toBeGreaterThan(100);
  });
});

describe('--kernel host on the command line', () => {
  it('is a kernel spec of its own', () => {
    expect(parseKernelSpec('host')).toEqual({ label: 'host', options: { host: true } });
    expect(() => parseKernelSpec('hostx')).toThrow(/no kind/);
  });

  it('takes none of the options that build a kernel', async () => {
    const spec = await loadArch('x86_64');
    expect(buildKernelRequest({ host: true }, spec).source).toEqual({ kind: 'host' });
    expect(() => buildKernelRequest({ host: true, patches: ['a.patch'], kconfig: ['x.config'] }, spec)).toThrow('--kernel host runs the kernel this machine runs, as it is: --patch, --kconfig cannot apply to it');
  });
});
