import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The integration suite boots one VM; unit tests are pure and fast.
    testTimeout: 20_000,
    // One file at a time: the VM's timing case (fork-cost) must not share the
    // two cores with other test workers.
    fileParallelism: false,
    // GitHub's workflow validator (test/unit/ci-workflow.test.ts) imports its JSON schemas
    // without `with { type: 'json' }`, which Node refuses; bundled by esbuild first, it loads.
    deps: { optimizer: { ssr: { enabled: true, include: ['@actions/languageservice'] } } },
  },
});
