import { resources } from '../../src/client/types.js';
import type { ControllerApi } from '../../src/control-plane/machinery/api.js';
import type { KubeObject } from '../../src/kube/index.js';

/** Creates the Secret of a bootstrap token `<id>.0123456789abcdef` valid for authentication; returns the token. */
export async function createBootstrapToken(api: ControllerApi, id: string): Promise<string> {
  const secret = '0123456789abcdef';
  await api.create(resources.secrets, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' },
    type: 'bootstrap.kubernetes.io/token',
    stringData: { 'token-id': id, 'token-secret': secret, 'usage-bootstrap-authentication': 'true' },
  } as KubeObject);
  return `${id}.${secret}`;
}
