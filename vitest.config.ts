import { defineConfig } from 'vitest/config';

// Integration suites start real servers (moto_server, etcd, sshd, dockerd); they get generous
// timeouts because these machines are small and noisy. Speed is measured in bench/, not here.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'test/localstack/**', 'test/soak/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Tests that call the AWS SDK directly would print its Node-version notice; tugboat itself
    // silences it in src/aws/clients.ts.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    reporters: ['default'],
  },
});
