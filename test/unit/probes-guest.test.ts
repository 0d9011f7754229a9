// Custom probes on the guest side: the build (real musl-gcc, cached by content), the
// initramfs layout and manifest lines, and the `O` records of the result stream.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { payloadEntries } from '../../runner/guest/initramfs.js';
import { probeBuilder } from '../../runner/guest/probes.js';
import type { Logger } from '../../runner/log.js';
import { repoRoot } from '../../runner/qemu/arch.js';
import { parseResultStream } from '../../runner/results/stream.js';
import { fixture } from '../fixtures/plans.js';

const commands: string[] = [];
const log: Logger = { info: () => undefined, verbose: (m) => void commands.push(m), progress: () => undefined, done: () => undefined };
const tmp = await mkdtemp(join(tmpdir(), 'vmaspec-probes-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('probeBuilder', () => {
  const build = probeBuilder(join(tmp, 'cache'), log);

  it('builds a static binary against c-helpers/ktap.h and reuses it for the same content', async () => {
    const source = join(repoRoot, 'cases/probes/anon-name.c');
    const first = await build(source);
    if (!first.ok) throw new Error(first.output.join('\n'));
    expect(execFileSync('file', [first.binary]).toString()).toMatch(/statically linked/);
    const again = await probeBuilder(join(tmp, 'cache'), log)(source);
    expect(again).toEqual(first);
    expect(commands.filter((c) => c.startsWith('probes: built'))).toHaveLength(1);
  });

  it('a compile error gives the compiler output, not an exception', async () => {
    const bad = join(tmp, 'bad.c');
    await writeFile(bad, '#include "ktap.h"\nint main(void) { return undeclared; }\n');
    const r = await build(bad);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toBe(`musl-gcc failed on ${bad}`);
      expect(r.output.join('\n')).toMatch(/undeclared/);
    }
  });
});

describe('payload with custom probes', () => {
  it('puts each probe at /vmaspec/probes/<index> and orders the manifest by index', () => {
    const plans = [0, 2].map((index) => ({ index, windowPages: 8, timeoutMs: 5000, ops: [] }));
    const entries = payloadEntries(plans, [{ index: 1, timeoutMs: 7000, data: Buffer.from('ELF') }], Buffer.alloc(32));
    const probe = entries.find((e) => e.path === 'vmaspec/probes/1');
    expect(probe).toMatchObject({ type: 'file', mode: 0o755 });
    const manifest = entries.find((e) => e.path === 'vmaspec/manifest');
    expect(manifest?.type === 'file' && Buffer.from(manifest.data).toString()).toBe(
      '0 5000 /vmaspec/cases/0.plan\n1 7000 exec /vmaspec/probes/1\n2 5000 /vmaspec/cases/2.plan\n',
    );
  });
});

describe('O records', () => {
  it('keep a probe output line verbatim, leading spaces and empty lines included', () => {
    const s = parseResultStream(fixture('streams/probes-fixtures.txt'));
    expect(s.garbage).toEqual([]);
    expect(s.cases[2]?.output.slice(7, 10)).toEqual(['  KTAP version 1', '  1..2', '  ok 1 inner_pass']);
    const t = parseResultStream('vmaspec-results 1\nT 0 begin 0\nO \nO\nO  x \nT 0 end exit:0 0 1\nD\n');
    expect(t.cases[0]?.output).toEqual(['', '', ' x ']);
  });

  it('the supervisor forwards stdout and stderr of the probe (real capture)', async () => {
    const text = await readFile(join(repoRoot, 'test/fixtures/streams/probes-fixtures.txt'), 'utf8');
    expect(text).toContain('O no-tap: something went wrong\n');
  });
});
