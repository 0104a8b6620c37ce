import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { HostManager } from '../harness/hosts/host-manager.js';
import { type Moto, startMoto } from '../harness/moto.js';
import { runCli } from '../support/cli.js';
import { seedRuntimeCache } from '../support/node-runtime.js';

/** What an e2e that drives the CLI as a user would needs: emulated AWS and the host harness. */
export interface CliCluster {
  readonly dir: string;
  readonly moto: Moto;
  /** The CLI's environment: the emulator, state and HOME in `dir`, no profile or KUBECONFIG of the runner. */
  readonly env: NodeJS.ProcessEnv;
  /** Undefined once a test stopped it. */
  manager: HostManager | undefined;
  /** `<dir>/state/<cluster>/kubeconfig`, which create writes. */
  readonly kubeconfig: string;
  /** Runs `tugboat -o json ARGV`, expects exit 0 and returns the parsed output. */
  tugboat<T>(...argv: string[]): Promise<T>;
}

/** Starts moto (us-east-1) and the host harness for `cluster`, in a fresh directory. */
export async function startCliCluster(cluster: string, prefix: string): Promise<CliCluster> {
  const dir = mkdtempSync(join(tmpdir(), `tugboat-e2e-${prefix}-`));
  const moto = await startMoto({ region: 'us-east-1' });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...moto.env,
    TUGBOAT_STATE_DIR: join(dir, 'state'),
    HOME: dir,
  };
  delete env.AWS_PROFILE;
  delete env.KUBECONFIG;
  // The hosts' Node.js runtime from the cache setup.sh filled, as a user's second cluster finds it.
  seedRuntimeCache(join(dir, 'state'));
  const manager = HostManager.start({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    cluster,
    knownHostsFile: join(dir, 'state', cluster, 'known_hosts'),
    log: (l) => process.stderr.write(`hosts: ${l}\n`),
  });
  return {
    dir,
    moto,
    env,
    manager,
    kubeconfig: join(dir, 'state', cluster, 'kubeconfig'),
    async tugboat<T>(...argv: string[]): Promise<T> {
      const res = await runCli(['-o', 'json', ...argv], { env, cwd: process.cwd() });
      expect(res.code, `tugboat ${argv.join(' ')}:\n${res.stderr}\n${res.stdout}`).toBe(0);
      return JSON.parse(res.stdout) as T;
    },
  };
}
