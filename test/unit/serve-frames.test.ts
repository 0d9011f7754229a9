// The command server's wire format (runner/serve/frames.ts, docs/serve.md) and the
// socket name: the frames read back whole however the stream is cut, a request
// ends at `G`, and the checkout's id is what the C client computes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../runner/qemu/arch.js';
import { addToRequest, checkoutId, emptyRequest, frame, frameReader, type Frame } from '../../runner/serve/frames.js';

describe('frames', () => {
  it('read back whole, in order, whatever the chunks (a byte at a time, all at once, 1 MB payloads)', () => {
    const big = Buffer.alloc(1 << 20, 7);
    const sent = [frame('A', 'run'), frame('E', 'X=1=2'), frame('O', big), frame('G'), frame('X', '130')];
    const bytes = Buffer.concat(sent);
    for (const size of [1, 5, 4096, bytes.length]) {
      const got: Frame[] = [];
      const read = frameReader((f) => got.push({ type: f.type, payload: Buffer.from(f.payload) }));
      for (let at = 0; at < bytes.length; at += size) read(bytes.subarray(at, at + size));
      expect(got.map((f) => f.type)).toEqual(['A', 'E', 'O', 'G', 'X']);
      expect(got[1]!.payload.toString()).toBe('X=1=2');
      expect(got[2]!.payload.equals(big)).toBe(true);
      expect(got[3]!.payload.length).toBe(0);
      expect(got[4]!.payload.toString()).toBe('130');
    }
  });

  it('make a request of argv, environment, directory and terminal, whole at G', () => {
    const request = emptyRequest();
    const frames = [frame('A', 'run'), frame('A', 'cases/merge'), frame('E', 'NO_COLOR=1'), frame('E', 'EQ=a=b'), frame('C', '/src'), frame('T', '0 1 1 120 40')];
    const read = frameReader((f) => expect(addToRequest(request, f)).toBe(false));
    read(Buffer.concat(frames));
    expect(addToRequest(request, { type: 'G', payload: Buffer.alloc(0) })).toBe(true);
    expect(request).toEqual({ argv: ['run', 'cases/merge'], env: { NO_COLOR: '1', EQ: 'a=b' }, cwd: '/src', tty: [false, true, true], columns: 120, rows: 40 });
  });
});

describe("the checkout's id", () => {
  it('is FNV-1a 64 of the path, as the C client computes it for its socket', () => {
    expect(checkoutId('')).toBe('cbf29ce484222325');
    expect(checkoutId('a')).toBe('af63dc4c8601ec8c');
    // The client, asked for a socket that is not there, falls back to node: its error names nothing, so compile a probe of its hash.
    const dir = mkdtempSync(join(tmpdir(), 'vmaspec-client-'));
    try {
      const probe = join(dir, 'probe.c');
      execFileSync('sh', ['-c', `sed 's/^int main(/static int client_main(/' ${join(repoRoot, 'runner/serve/client.c')} > ${probe} && cat >> ${probe} <<'C'
int main(int argc, char **argv) { (void)argc; root = argv[1]; setenv("VMASPEC_CACHE", "/c", 1); if (socket_path()) return 1; puts(sock_path); (void)client_main; return 0; }
C
cc -O2 -w -o ${join(dir, 'probe')} ${probe}`]);
      for (const root of ['/work/main', '/home/dev/src/vmaspec']) {
        expect(execFileSync(join(dir, 'probe'), [root], { encoding: 'utf8' }).trim()).toBe(`/c/serve/${checkoutId(root)}.sock`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
