import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { KernelFirstSequencer } from './test/sequencer.js';

export default defineConfig({
  test: {
    testTimeout: 20_000,
    // Two files at a time, one per core: the integration files keep a core busy about half the
    // time (one vCPU per guest, one Node), the unit files one core. Measured on 2 cores: the
    // whole run 20-30 % shorter than one file at a time (197-239 s against 290 s). Files that harm
    // or park shared things (snapshots, the command server) use a cache of their own
    // (test/fixtures/linked-cache.ts); kernel builds wait on the cache's locks.
    maxWorkers: Math.min(2, availableParallelism()),
    sequence: { sequencer: KernelFirstSequencer },
    // GitHub's workflow validator (test/unit/ci-workflow.test.ts) imports its JSON schemas
    // without `with { type: 'json' }`, which Node refuses; bundled by esbuild first, it loads.
    deps: { optimizer: { ssr: { enabled: true, include: ['@actions/languageservice'] } } },
    projects: [
      // The host's files share one module graph per worker instead of importing the runner
      // again for each file: measured here, test/unit took 51 s of CPU instead of 111 s (31 s
      // against 63 s on 2 cores). They restore what they change of the process (PATH, TMPDIR).
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'] } },
    ],
  },
});
