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
    // Tests that call the AWS SDK directly would print its Node-version notice; tugboat itself
    // silences it in src/aws/clients.ts.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    reporters: ['default'],
  },
});
