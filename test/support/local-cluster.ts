import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../../src/client/client.js';
import { runLocalDown } from '../../src/local/down.js';
import { type LocalUpOptions, runLocalUp } from '../../src/local/up.js';

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
    const up = await runLocalUp({ ...options, env });
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
