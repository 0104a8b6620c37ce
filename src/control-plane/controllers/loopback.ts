import { randomBytes } from 'node:crypto';
import { KubeClient } from '../../client/client.js';
import { clientControllerApi } from '../machinery/client-api.js';
import { clientHpaApi } from './hpa-api.js';
import { type ControlLoops, type StartControllersOptions, startControllers } from './start.js';

/**
 * The identity the in-process scheduler and controllers authenticate as: not an admin, but the
 * user the default `system:kube-controller-manager` and `system:kube-scheduler` ClusterRoleBindings
 * name (control-plane/rbac/bootstrap-policy.ts), so they run with least privilege.
 */
export const loopbackUser = { name: 'system:kube-controller-manager', groups: [] as string[] } as const;

/**
 * A fresh random bearer token for the control plane's own scheduler and controllers (like
 * kube-apiserver's loopback token): it lives only in this process's memory, never on disk, on a
 * command line or in logs. Add it to the API server's token map with `loopbackUser`.
 */
export function createLoopbackToken(): string {
  return randomBytes(32).toString('base64url');
}

export interface LoopbackControllersOptions extends Omit<StartControllersOptions, 'api'> {
  /** Where this process's API server listens, e.g. `https://127.0.0.1:6443`. */
  readonly url: string;
  /** The loopback token the API server accepts. */
  readonly token: string;
  /** CA that signed the serving certificate; required for https. */
  readonly ca?: string | Buffer;
}

/**
 * Starts the scheduler and controllers against this process's own API server, through the same
 * REST API everything else uses (TLS verified against the cluster CA, bearer-token auth), with
 * leader election so several control-plane instances on one etcd run them only once.
 */
export function startLoopbackControllers(options: LoopbackControllersOptions): ControlLoops {
  const { url, token, ca, ...rest } = options;
  const client = new KubeClient({
    server: url,
    token,
    ...(ca ? { ca } : {}),
    allowInsecureLoopback: url.startsWith('http://'),
  });
  const loops = startControllers({
    ...rest,
    api: clientControllerApi(client),
    controllers: { ...rest.controllers, hpaApi: clientHpaApi(client) },
  });
  return {
    isLeader: () => loops.isLeader(),
    stop: async () => {
      await loops.stop();
      client.close();
    },
  };
}
