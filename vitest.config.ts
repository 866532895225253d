import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // e2e files each start their own fleet and mostly wait on their nodes (about one core busy with
    // two workers): three keep the 2-core CI machine busier.
    pool: 'forks',
    maxWorkers: 3,
    // The suite keeps both cores busy, so its length is CPU: a fresh process per test file spent
    // 41 s of it re-importing the same modules (10 s when a worker's files share them). No test
    // changes process.env, the working directory or a module's state another file reads.
    isolate: false,
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
