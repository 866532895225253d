import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // e2e files each start their own fleet and mostly wait on their nodes (about one core busy with
    // two workers): three keep the 2-core CI machine busier.
    pool: 'forks',
    maxWorkers: 3,
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
