import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The integration suite boots one VM; unit tests are pure and fast.
    testTimeout: 20_000,
    // One file at a time: the VM's timing case (fork-cost) must not share the
    // two cores with other test workers.
    fileParallelism: false,
  },
});
