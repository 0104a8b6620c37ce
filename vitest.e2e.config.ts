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
    // No downloads: etcd's release (store etcd, source auto) is pointed at a closed loopback port,
    // so staging it warns at once; the hosts here run the distribution's etcd.
    env: { TUGBOAT_ETCD_MIRROR: 'http://127.0.0.1:9/etcd-offline' },
  },
});
