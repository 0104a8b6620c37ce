import { statfsSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import { ApiError, isNotFound } from '../client/api-error.js';
import type { KubeClient } from '../client/client.js';
import { type ListWatch, runListWatch } from '../client/list-watch.js';
import { resources } from '../client/types.js';
import { type EventSink, silentEvents } from '../events.js';
import type { Node, NodeStatus, Pod, Taint } from '../kube/index.js';
import { VOLUMES_DIR_ANNOTATION } from '../kube/local-path.js';
import { jitter, sleep } from '../timing.js';
import type { BackoffOptions } from './backoff.js';
import { volumesDirOf } from './claim-volume.js';
import { renewNodeLease } from './lease.js';
import { collectLocalVolumes } from './local-volumes-gc.js';
import type { HostNetwork } from './network/host-network.js';
import type { PodSandboxes } from './network/pod-sandbox.js';
import {
  buildNodeLabels,
  buildNodeObject,
  buildNodeStatus,
  type NodeCapacity,
  type NodeHealth,
  type NodeIdentity,
} from './node-object.js';
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
  const capacity: NodeCapacity = {
    cpus: cpus().length,
    memoryBytes: totalmem(),
    pods: options.maxPods ?? 110,
    reservedMemoryBytes: 100 * 2 ** 20,
  };
  const timers: NodeJS.Timeout[] = [];
  let watch: ListWatch | undefined;
  let node: Node | undefined;
  let lastStatus: { text: string; at: number } = { text: '', at: 0 };
  let stopped = false;

  const health = async (): Promise<{ health: NodeHealth; version: string }> => {
    let version = 'unknown';
    let runtimeOk = true;
    let runtimeMessage = 'tugboat agent is posting ready status';
    try {
      version = await runtime.version();
    } catch (err) {
      runtimeOk = false;
      runtimeMessage = `container runtime ${runtime.name} is unreachable: ${(err as Error).message}`;
    }
    let diskPressure = false;
    try {
      const fs = statfsSync(options.dataDir);
      diskPressure = fs.bavail / fs.blocks < 0.1;
    } catch {
      diskPressure = false;
    }
    return {
      health: { runtimeOk, runtimeMessage, memoryPressure: freemem() < 100 * 2 ** 20, diskPressure },
      version,
    };
  };

  const nodeStatus = async (previous?: NodeStatus): Promise<NodeStatus> => {
    const h = await health();
    return buildNodeStatus({
      identity,
      capacity,
      health: h.health,
      port: options.port ?? 10250,
      runtimeVersion: h.version,
      isolated: runtime.isolated,
      now: new Date(now()).toISOString(),
      previous,
    });
  };

  const register = async () => {
    const labels = buildNodeLabels(identity, options.labels);
    const status = await nodeStatus();
    try {
      const existing = await client.get<Node>(resources.nodes, identity.name);
      // Taints are set at registration only, as the kubelet does: after that they belong to the
      // cluster (kubectl taint, the node lifecycle), and NodeRestriction refuses a node changing them.
      node = await client.patch<Node>(resources.nodes, identity.name, {
        metadata: { labels, annotations: { [VOLUMES_DIR_ANNOTATION]: volumesDirOf(options.dataDir) } },
      });
      node = await client.patch<Node>(resources.nodes, identity.name, { status }, { subresource: 'status' });
      events.emit({
        code: 'agent.node.updated',
        level: 'info',
        message: `node ${identity.name} already registered; updated`,
        data: { uid: existing.metadata.uid },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      node = await client.create<Node>(
        resources.nodes,
        buildNodeObject({
          identity,
          labels,
          annotations: { [VOLUMES_DIR_ANNOTATION]: volumesDirOf(options.dataDir) },
          taints: options.taints ?? [],
          status,
        }),
      );
      node = await client.patch<Node>(resources.nodes, identity.name, { status }, { subresource: 'status' });
      events.emit({
        code: 'agent.node.registered',
        level: 'info',
        message: `registered node ${identity.name}`,
        data: {},
      });
    }
    lastStatus = { text: conditionsKey(status), at: now() };
  };

  const renewLease = async () => {
    try {
      await renewNodeLease(
        client,
        { name: identity.name, uid: node?.metadata.uid },
        options.leaseDurationSeconds ?? 40,
        now(),
      );
    } catch (err) {
      events.emit({
        code: 'agent.lease.error',
        level: 'warn',
        message: `renewing lease failed: ${(err as Error).message}`,
        data: {},
      });
    }
  };

  const updateStatus = async () => {
    try {
      const status = await nodeStatus(node?.status);
      const key = conditionsKey(status);
      if (key === lastStatus.text && now() - lastStatus.at < 60_000) return;
      node = await client.patch<Node>(resources.nodes, identity.name, { status }, { subresource: 'status' });
      lastStatus = { text: key, at: now() };
    } catch (err) {
      if (isNotFound(err)) {
        // The Node object is gone while this node runs (deleted by hand, or a backup restored
        // into the cluster that predates it): register again, so the node does not drop out of
        // the cluster until someone restarts the agent.
        events.emit({
          code: 'agent.node.gone',
          level: 'warn',
          message: `node ${identity.name} no longer exists in the API: registering it again`,
          data: {},
        });
        await register().catch((again: Error) =>
          events.emit({
            code: 'agent.node.status-error',
            level: 'warn',
            message: `registering node ${identity.name} again failed: ${again.message}`,
            data: {},
          }),
        );
        return;
      }
      events.emit({
        code: 'agent.node.status-error',
        level: 'warn',
        message: `updating node status failed: ${(err as Error).message}`,
        data: {},
      });
    }
  };

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
          await register();
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
      await renewLease();
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
      every(options.leaseRenewMs ?? 10_000, renewLease);
      every(options.nodeStatusMs ?? 10_000, updateStatus);
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

function conditionsKey(status: NodeStatus): string {
  return JSON.stringify([
    status.conditions?.map((c) => [c.type, c.status]),
    status.addresses,
    status.capacity,
  ]);
}
