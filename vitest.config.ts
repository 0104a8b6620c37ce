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
    // Two test files at a time, also on 2 cores (vitest's default there is one): most tests wait on
    // real servers, timers or the wall clock (the CronJob acceptance waits out real minutes), so two
    // workers took the suite from 41 to 23 minutes with every test passing. Tests that bind fixed
    // addresses (multi-master's 127.0.26.x) are the only such file in this suite; the e2e suite,
    // which binds fixed addresses throughout, keeps one file at a time (vitest.e2e.config.ts).
    maxWorkers: 2,
    reporters: ['default'],
    // Tests reach no registry: a `create` on moto that uploads the hosts' Node.js runtime gets it
    // from the laptop cache or npm's own cache (`npm pack` offline), else warns and goes on.
    // The same for etcd's release (store etcd, etcd.source auto): its download is pointed at a
    // closed port on loopback, so it fails at once without leaving the machine, and warns.
    env: { npm_config_offline: 'true', TUGBOAT_ETCD_MIRROR: 'http://127.0.0.1:9/etcd-offline' },
  },
});
