import { KubeClient } from '../../src/client/client.js';
import type { ControllerApi } from '../../src/control-plane/controllers/api.js';
import { clientControllerApi } from '../../src/control-plane/controllers/client-api.js';
import {
  type ControlLoops,
  type StartControllersOptions,
  startControllers,
} from '../../src/control-plane/controllers/start.js';
import type { Store } from '../../src/control-plane/store/types.js';
import { type RunningApiServer, startApiServer } from './api-server.js';
import type { TestPki } from './certs.js';
import { SimNodes } from './sim-nodes.js';

/** An API server over TLS, a ControllerApi client for it, and simulated nodes. */
export interface ControlCluster {
  readonly server: RunningApiServer;
  readonly client: KubeClient;
  readonly api: ControllerApi;
  readonly sim: SimNodes;
  startLoops(options?: Partial<StartControllersOptions>): ControlLoops;
  stop(): Promise<void>;
}

/** A TLS client of `url` authenticated as an admin with a client certificate of the test CA. */
export function adminClient(pki: TestPki, url: string, user = 'admin'): KubeClient {
  const c = pki.client(user, ['system:masters']);
  return new KubeClient({ server: url, ca: pki.ca.cert, cert: c.cert, key: c.key });
}

/**
 * Starts an API server (its own embedded store, or `store`) with TLS and client-certificate
 * authentication on a free loopback port, plus simulated nodes talking to it through the API.
 */
export async function startControlCluster(pki: TestPki, store?: Store): Promise<ControlCluster> {
  const server = await startApiServer({
    tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
    ...(store ? { store } : {}),
  });
  const client = adminClient(pki, server.url);
  const api = clientControllerApi(client);
  const nodeClient = adminClient(pki, server.url, 'sim-nodes');
  const sim = new SimNodes(clientControllerApi(nodeClient), 100);
  const loops: ControlLoops[] = [];
  return {
    server,
    client,
    api,
    sim,
    startLoops(options = {}) {
      const l = startControllers({ api, leaderElection: false, ...options });
      loops.push(l);
      return l;
    },
    async stop() {
      sim.stop();
      for (const l of loops) await l.stop();
      client.close();
      nodeClient.close();
      await server.stop();
    },
  };
}
