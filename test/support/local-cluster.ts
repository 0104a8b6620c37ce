import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { KubeClient } from '../../src/client/client.js';
import { runLocalDown } from '../../src/local/down.js';
import { type LocalUpOptions, runLocalUp } from '../../src/local/up.js';
import { type KubectlRun, runKubectl } from './control-cluster.js';

/** A `local up` cluster of a test, with its own HOME, state directory and kubeconfig. */
export interface LocalTestCluster {
  readonly env: NodeJS.ProcessEnv;
  /** The state directory (`$TUGBOAT_HOME/local`). */
  readonly dir: string;
  readonly server: string;
  /** The admin's TLS material (CA, client certificate and key). */
  readonly tls: { readonly ca: string; readonly cert: string; readonly key: string };
  /** A new admin client (the caller closes it). */
  admin(): KubeClient;
  /** `local down`, then removes the temporary HOME. */
  remove(): Promise<void>;
}

/** Runs the real `local up` (it starts bin/tugboat.js: needs dist/, `npm run build`). */
export async function startLocalTestCluster(
  prefix: string,
  options: Omit<LocalUpOptions, 'env'>,
): Promise<LocalTestCluster> {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const env = {
    ...process.env,
    HOME: home,
    TUGBOAT_HOME: join(home, '.tugboat'),
    KUBECONFIG: join(home, '.kube', 'config'),
  };
  const remove = async () => {
    try {
      await runLocalDown({ env });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  };
  try {
    // Tests share the runner's network namespace: no bridges or rules unless a test asks.
    const up = await runLocalUp({ podNetwork: false, ...options, env });
    const dir = join(home, '.tugboat', 'local');
    const pki = (name: string) => readFileSync(join(dir, 'pki', name), 'utf8');
    const tls = { ca: pki('ca.crt'), cert: pki('admin.crt'), key: pki('admin.key') };
    return {
      env,
      dir,
      server: up.server,
      tls,
      admin: () => new KubeClient({ server: up.server, ...tls }),
      remove,
    };
  } catch (err) {
    await remove();
    throw err;
  }
}

/** Real kubectl on a test cluster's kubeconfig. */
export interface LocalKubectl {
  /** Runs kubectl; never rejects (the exit code is in the result). */
  run(...args: string[]): Promise<KubectlRun>;
  /** Runs kubectl and returns its stdout; rejects with kubectl's stderr when it exits non-zero. */
  ok(...args: string[]): Promise<string>;
  /** `kubectl apply -f -` of `yaml`, as `ok`. */
  apply(yaml: string): Promise<string>;
}

/** kubectl with `env` (the cluster's KUBECONFIG and HOME), each call given `timeoutMs`. */
export function localKubectl(env: NodeJS.ProcessEnv, timeoutMs = 300_000): LocalKubectl {
  const checked = async (args: string[], input?: string) => {
    const r = await runKubectl(env, args, timeoutMs, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  return {
    run: (...args) => runKubectl(env, args, timeoutMs),
    ok: (...args) => checked(args),
    apply: (yaml) => checked(['apply', '-f', '-'], yaml),
  };
}

/** What {@link useLocalCluster} gives the tests of a file, once its `beforeAll` has run. */
export interface LocalClusterHandle {
  readonly cluster: LocalTestCluster;
  /** An admin client, closed after the file's tests. */
  readonly admin: KubeClient;
  readonly kubectl: LocalKubectl;
}

/**
 * Starts a `local up` cluster before the file's tests (`startLocalTestCluster`) and removes it
 * after them; the handle's fields are there from the first test on.
 */
export function useLocalCluster(prefix: string, options: Omit<LocalUpOptions, 'env'>): LocalClusterHandle {
  let handle: LocalClusterHandle | undefined;
  beforeAll(async () => {
    const cluster = await startLocalTestCluster(prefix, options);
    handle = { cluster, admin: cluster.admin(), kubectl: localKubectl(cluster.env) };
  }, 180_000);
  afterAll(async () => {
    handle?.admin.close();
    await handle?.cluster.remove();
  }, 180_000);
  const get = () => {
    if (!handle) throw new Error(`the ${prefix} cluster did not start`);
    return handle;
  };
  return {
    get cluster() {
      return get().cluster;
    },
    get admin() {
      return get().admin;
    },
    get kubectl() {
      return get().kubectl;
    },
  };
}
