import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { KubeClient } from '../../src/client/client.js';
import type { ApiServerOptions } from '../../src/control-plane/api/server.js';
import {
  type ControlLoops,
  type StartControllersOptions,
  startControllers,
} from '../../src/control-plane/controllers/start.js';
import type { ControllerApi } from '../../src/control-plane/machinery/api.js';
import { clientControllerApi } from '../../src/control-plane/machinery/client-api.js';
import { resourceTypes } from '../../src/control-plane/machinery/resources.js';
import type { Store } from '../../src/control-plane/store/types.js';
import type { Pod } from '../../src/kube/index.js';
import { type RunningApiServer, startApiServer, writeKubeconfig } from './api-server.js';
import { makeTestPki, type TestPki } from './certs.js';
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
export async function startControlCluster(
  pki: TestPki,
  store?: Store,
  options: Partial<ApiServerOptions> = {},
): Promise<ControlCluster> {
  const server = await startApiServer({
    ...options,
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

/** Node grace period of the integration suites: long enough that a busy machine does not miss renewals. */
export const testGraceMs = 3_000;

/** True for a pod that is Ready and not being deleted. */
export function isReadyPod(p: Pod): boolean {
  return (
    !p.metadata.deletionTimestamp &&
    (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

export interface KubectlRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs real kubectl with `env` (KUBECONFIG, HOME), `input` on its stdin when given; never rejects:
 * the exit code is in the result.
 */
export function runKubectl(
  env: NodeJS.ProcessEnv,
  args: readonly string[],
  timeout = 90_000,
  input?: string,
): Promise<KubectlRun> {
  return new Promise((resolve) => {
    const child = execFile('kubectl', args, { env, timeout }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) || 1 : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** What an integration suite works with; fields are set once `beforeAll` has run. */
export interface ClusterFixture {
  c: ControlCluster;
  kubectl(...args: string[]): Promise<KubectlRun>;
  /** Pods whose names start with `prefix`. */
  pods(prefix: string): Promise<Pod[]>;
}

/**
 * Registers beforeAll/afterAll hooks that start a TLS API server, three simulated nodes in zones
 * a/b/c, the scheduler and controllers (short node grace, eviction and GC periods) and a
 * kubeconfig for real kubectl; everything is stopped and the temp dir removed afterwards.
 */
export function useControlCluster(): ClusterFixture {
  let pki: TestPki | undefined;
  let env: NodeJS.ProcessEnv = {};
  const fixture: ClusterFixture = {
    c: undefined as unknown as ControlCluster,
    kubectl: (...args) => runKubectl(env, args),
    pods: async (prefix) =>
      (await fixture.c.api.list<Pod>(resourceTypes.pods)).items.filter((p) =>
        p.metadata.name?.startsWith(prefix),
      ),
  };
  beforeAll(async () => {
    pki = makeTestPki();
    const c = await startControlCluster(pki);
    fixture.c = c;
    for (const [i, zone] of ['zone-a', 'zone-b', 'zone-c'].entries()) await c.sim.add(`node-${i}`, { zone });
    c.sim.start();
    env = {
      PATH: process.env.PATH,
      HOME: pki.dir,
      KUBECONFIG: writeKubeconfig(pki, c.server.url, pki.client('admin', ['system:masters'])),
    };
    c.startLoops({
      controllers: {
        nodeMonitorPeriodMs: 200,
        garbageCollectorPeriodMs: 500,
        nodeLifecycle: { nodeMonitorGracePeriodSeconds: testGraceMs / 1000, podEvictionTimeoutSeconds: 1 },
      },
    });
  });
  afterAll(async () => {
    await fixture.c?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });
  return fixture;
}
