import { defineConfig } from 'vitest/config';

// The end-to-end suite: run it with `npm run test:e2e`, which confines it to namespaces of its own
// (scripts/e2e-run.sh). The global setup refuses to run anywhere else. Files run one after another:
// each one stands up a fleet of sshd + dockerd hosts, and these machines have 2 shared cores.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/e2e/confinement-guard.ts'],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
