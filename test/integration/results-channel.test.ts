// Every result channel of qemu/x86_64.yaml carries the stream both ways on the default kernel
// (which has them all): the supervisor opens the node VMASPEC_RESULTS names, parks, takes the
// host's `g` and writes a whole stream. The suite runs on the first channel; the second UART is
// what a kernel without a virtio console gets (a developer's, Debian's), checked here by booting
// the default kernel with it.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildHelpers } from '../../runner/guest/helpers.js';
import { cachedInitramfs, writePayload } from '../../runner/guest/initramfs.js';
import { buildKernel } from '../../runner/kernel/build.js';
import { buildKernelRequest } from '../../runner/kernel/request.js';
import { createLogger } from '../../runner/log.js';
import { loadArch, resultsChannel } from '../../runner/qemu/arch.js';
import { bootGuest } from '../../runner/qemu/boot.js';
import { parseResultStream } from '../../runner/results/stream.js';

const spec = await loadArch('x86_64');
const log = createLogger({ verbose: false, stream: process.stderr });
const scratch = await mkdtemp(join(tmpdir(), 'vmaspec-channel-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe('the result channels of qemu/x86_64.yaml', () => {
  it('the default kernel takes the first: a virtio console', async () => {
    const kernel = await buildKernel(buildKernelRequest({}, spec), log);
    expect(resultsChannel(kernel.machine, kernel.config)).toEqual(spec.results[0]);
    expect(spec.results[0]!.node).toBe('/dev/hvc0');
  }, 20 * 60_000);

  it.each(spec.results.map((c) => [c.node, c] as const))('%s carries a whole stream: park, the host’s g, the end', async (node, results) => {
    const request = buildKernelRequest({}, spec);
    const kernel = await buildKernel(request, log);
    const initrd = await cachedInitramfs(request.cacheDir, await buildHelpers(request.cacheDir, log));
    const name = node.replaceAll('/', '_');
    const payload = join(scratch, `${name}.cpio`);
    const consoleLog = join(scratch, `${name}.log`);
    await writePayload(payload, []);
    const outcome = await bootGuest(kernel.machine, { kernel: kernel.image, initrd, consoleLog, accel: 'tcg', append: [], results, payload }, { timeoutMs: 60_000, log });
    const console = await readFile(consoleLog, 'utf8');
    expect(outcome.timedOut, console).toBe(false);
    expect(parseResultStream(outcome.stream).complete, `${outcome.stream}\n${console}`).toBe(true);
    expect(console).not.toMatch(/init: cannot open/);
  }, 2 * 60_000);
});
