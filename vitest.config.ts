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
    reporters: ['default'],
    // Tests reach no registry: a `create` on moto that uploads the hosts' Node.js runtime gets it
    // from the laptop cache or npm's own cache (`npm pack` offline), else warns and goes on.
    // The same for etcd's release (store etcd, etcd.source auto): its download is pointed at a
    // closed port on loopback, so it fails at once without leaving the machine, and warns.
    env: { npm_config_offline: 'true', TUGBOAT_ETCD_MIRROR: 'http://127.0.0.1:9/etcd-offline' },
  },
});
