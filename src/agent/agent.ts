import { ApiError } from '../client/api-error.js';
import type { KubeClient } from '../client/client.js';
import { type ListWatch, runListWatch } from '../client/list-watch.js';
import { resources } from '../client/types.js';
import { type EventSink, silentEvents } from '../events.js';
import type { Pod, Taint } from '../kube/index.js';
import { jitter, sleep } from '../timing.js';
import type { BackoffOptions } from './backoff.js';
import { collectLocalVolumes } from './local-volumes-gc.js';
import type { HostNetwork } from './network/host-network.js';
import type { PodSandboxes } from './network/pod-sandbox.js';
import type { NodeIdentity } from './node-object.js';
import { NodeRegistrar } from './node-registrar.js';
import { PodSync } from './pod-sync.js';
import type { Runtime } from './runtime/types.js';

/** Everything the agent needs; nothing is started until `start()`. */
export interface AgentOptions {
  readonly client: KubeClient;
  readonly runtime: Runtime;
  readonly identity: NodeIdentity;
  /** Pod volumes and runtime state live under `<dataDir>/pods`. */
  readonly dataDir: string;
  /** @default silentEvents */
  readonly events?: EventSink;
  /** Labels added to the well-known ones. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** @default [] */
  readonly taints?: readonly Taint[];
  /** Port of the agent's logs/exec server, published as daemonEndpoints. @default 10250 */
  readonly port?: number;
  /** @default 110 */
  readonly maxPods?: number;
  /** @default 40 */
  readonly leaseDurationSeconds?: number;
  /** @default 10_000 */
  readonly leaseRenewMs?: number;
  /** How often node conditions are re-evaluated (status is written only on change or each minute). @default 10_000 */
  readonly nodeStatusMs?: number;
  /** Period of the cleanup of deleted local-path volumes' directories. @default 30_000 */
  readonly volumeGcMs?: number;
  /** Period of the pod sync loop (watch events trigger it sooner). @default 1_000 */
  readonly syncIntervalMs?: number;
  /** Crash-loop and pull back-off. @default 10 s doubling to 5 min */
  readonly backoff?: BackoffOptions;
  /** @default 10 */
  readonly orphanGraceSeconds?: number;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  /** The pod network of this node (started after registration, stopped before the pod loop). @default none */
  readonly podNetwork?: { readonly host: HostNetwork; readonly sandboxes: PodSandboxes };
}

/** A node agent built by `buildAgent`. */
export interface Agent {
  readonly nodeName: string;
  /** Registers the node, then starts the lease, node status and pod loops. */
  start(): Promise<void>;
  /** Stops every loop; leaves containers running so a restarted agent adopts them. */
  stop(): Promise<void>;
  /** Runs one pod sync pass now (tests and the server use it). */
  syncNow(): Promise<void>;
  /** The pods this node currently runs (by namespace/name), for the logs/exec server. */
  readonly podSync: PodSync;
}

/** Builds a node agent from its dependencies (fastify-style: building starts nothing). */
export function buildAgent(options: AgentOptions): Agent {
  const events = options.events ?? silentEvents;
  const now = options.now ?? Date.now;
  const { client, runtime, identity } = options;
  const podSync = new PodSync({
    nodeName: identity.name,
    client,
    runtime,
    dataDir: options.dataDir,
    events,
    hostIP: () => identity.internalIP,
    backoff: options.backoff,
    orphanGraceSeconds: options.orphanGraceSeconds,
    now,
    podNetwork: options.podNetwork?.sandboxes,
  });
  const registrar = new NodeRegistrar({
    client,
    runtime,
    identity,
    dataDir: options.dataDir,
    events,
    now,
    labels: options.labels,
    taints: options.taints,
    port: options.port,
    maxPods: options.maxPods,
    leaseDurationSeconds: options.leaseDurationSeconds,
  });
  const timers: NodeJS.Timeout[] = [];
  let watch: ListWatch | undefined;
  let stopped = false;

  const sync = () =>
    podSync.sync().catch((err) => {
      events.emit({
        code: 'agent.sync.error',
        level: 'warn',
        message: `pod sync failed: ${(err as Error).message}`,
        data: {},
      });
    });

  const volumeCursor = { after: '' };
  const collectVolumes = async () => {
    try {
      const removed = await collectLocalVolumes({
        client,
        dataDir: options.dataDir,
        inUse: podSync.volumePathsInUse(),
        cursor: volumeCursor,
      });
      for (const path of removed)
        events.emit({
          code: 'agent.volume.removed',
          level: 'info',
          message: `removed ${path}: its local-path volume was deleted`,
          data: {},
        });
    } catch (err) {
      events.emit({
        code: 'agent.volume.gc-error',
        level: 'warn',
        message: `cleaning up local-path volumes failed: ${(err as Error).message}`,
        data: {},
      });
    }
  };

  const every = (ms: number, fn: () => Promise<unknown>) => {
    let busy = false;
    timers.push(
      setInterval(() => {
        if (busy || stopped) return;
        busy = true;
        fn().finally(() => {
          busy = false;
        });
      }, ms),
    );
  };

  return {
    nodeName: identity.name,
    podSync,
    async start() {
      // Like the kubelet, wait out an API server that is down or restarting (kill -9, upgrade):
      // retry with a capped back-off until it answers or stop() is called. An API answer (403,
      // 422, ...) is a configuration problem and fails at once.
      for (let attempt = 0; ; attempt++) {
        try {
          await registrar.register();
          break;
        } catch (err) {
          if (stopped || (err instanceof ApiError && err.status < 500 && err.status !== 429)) throw err;
          events.emit({
            code: 'agent.register.retry',
            level: 'warn',
            message: `registering node ${identity.name} failed, retrying: ${(err as Error).message}`,
            data: { attempt },
          });
          // Jittered: every agent of the cluster retries after the same API server restart.
          await sleep(jitter(Math.min(10_000, 500 * 2 ** Math.min(attempt, 5))));
          if (stopped) return;
        }
      }
      await registrar.renewLease();
      await options.podNetwork?.host.start();
      watch = runListWatch<Pod>(
        client,
        resources.pods,
        { fieldSelector: { 'spec.nodeName': identity.name } },
        {
          onReplace: (items) => {
            podSync.replacePods(items);
            void sync();
          },
          onEvent: (event) => {
            events.emit({
              code: 'agent.watch.event',
              level: 'debug',
              message: `${event.type} pod ${event.object.metadata.namespace}/${event.object.metadata.name}`,
              data: {},
            });
            podSync.applyEvent(event);
            void sync();
          },
          onError: (err) =>
            events.emit({
              code: 'agent.watch.error',
              level: 'warn',
              message: `watching pods failed: ${(err as Error).message}`,
              data: {},
            }),
        },
      );
      await watch.synced;
      // Once every pod listed has been synced, the sandboxes know all host ports, so the pod network
      // may rewrite their rules (until then it leaves them as a previous agent left them). Not
      // awaited: a first pass that pulls images must not hold up the lease and node status.
      void sync().then(() => options.podNetwork?.sandboxes.markHostPortsKnown());
      every(options.leaseRenewMs ?? 10_000, () => registrar.renewLease());
      every(options.nodeStatusMs ?? 10_000, () => registrar.updateStatus());
      every(options.syncIntervalMs ?? 1_000, sync);
      every(options.volumeGcMs ?? 30_000, collectVolumes);
      events.emit({
        code: 'agent.started',
        level: 'info',
        message: `agent for node ${identity.name} started`,
        data: { runtime: runtime.name },
      });
    },
    async stop() {
      stopped = true;
      for (const t of timers) clearInterval(t);
      podSync.close();
      await watch?.stop();
      await podSync.drain();
      await options.podNetwork?.host.stop();
    },
    syncNow: () => podSync.sync(),
  };
}
