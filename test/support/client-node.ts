import { rmSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import type { ApiServerOptions } from '../../src/control-plane/api/server.js';
import { renderKubeconfig } from '../../src/pki/index.js';
import { type RunningApiServer, startApiServer } from './api-server.js';
import { makeTestPki } from './certs.js';

/** An API server over TLS and a @kubernetes/client-node KubeConfig for a `system:masters` admin. */
export interface ClientNodeServer {
  readonly srv: RunningApiServer;
  readonly kc: k8s.KubeConfig;
  /** Stops the server and removes its certificates. */
  readonly stop: () => Promise<void>;
}

/**
 * Starts the server with a short server-side watch lifetime (1 s), so informers re-watch while a
 * test runs, unless `extra` says otherwise.
 */
export async function startClientNodeServer(
  extra: Partial<ApiServerOptions> = {},
): Promise<ClientNodeServer> {
  const pki = makeTestPki();
  const srv = await startApiServer({
    tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
    minWatchTimeoutSeconds: 1,
    ...extra,
  });
  const admin = pki.client('admin', ['system:masters']);
  const kc = new k8s.KubeConfig();
  kc.loadFromString(
    renderKubeconfig({
      cluster: 'test',
      server: srv.url,
      caPem: pki.ca.cert,
      user: 'admin',
      certPem: admin.cert,
      keyPem: admin.key,
    }),
  );
  return {
    srv,
    kc,
    stop: async () => {
      await srv.stop();
      rmSync(pki.dir, { recursive: true, force: true });
    },
  };
}
