import { isStatus } from '../../src/client/api-error.js';
import type { ControllerApi } from '../../src/control-plane/machinery/api.js';
import { resourceTypes } from '../../src/control-plane/machinery/resources.js';
import type { Lease, Node, Pod } from '../../src/kube/index.js';
import { waitFor as pollFor } from './wait.js';

export interface SimNodeOptions {
  readonly zone?: string;
  readonly labels?: Record<string, string>;
  readonly cpu?: string;
  readonly memory?: string;
}

/** What a simulated container does once started: run for ever (Running) or exit. */
export type PodOutcome = 'Running' | 'Succeeded' | 'Failed';

/**
 * Simulated node agents for controller tests: they register Nodes, renew their Leases in
 * kube-node-lease and report pod status through the API, as the real agent does — without
 * running containers. A node can be stopped (heartbeat stops) to test failure handling.
 */
export class SimNodes {
  private readonly nodes = new Map<string, { alive: boolean; ip: number }>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private ipSeq = 1;
  /** Decides each started pod's outcome. @default all Running */
  outcome: (pod: Pod) => PodOutcome = () => 'Running';

  constructor(
    private readonly api: ControllerApi,
    private readonly periodMs = 100,
  ) {}

  async add(name: string, opts: SimNodeOptions = {}): Promise<void> {
    const node: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          ...(opts.zone ? { 'topology.kubernetes.io/zone': opts.zone } : {}),
          ...opts.labels,
        },
      },
      spec: {},
      status: {
        capacity: { cpu: opts.cpu ?? '4', memory: opts.memory ?? '8Gi', pods: '110' },
        allocatable: { cpu: opts.cpu ?? '4', memory: opts.memory ?? '8Gi', pods: '110' },
        conditions: [
          { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'simulated agent is ready' },
        ],
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      },
    };
    const created = await this.api.create(resourceTypes.nodes, node);
    // Status is a subresource: a create may drop it, so report it like an agent does.
    await this.api.updateStatus(resourceTypes.nodes, { ...created, status: node.status });
    this.nodes.set(name, { alive: true, ip: this.ipSeq++ });
    await this.renew(name);
  }

  /** Stops a node's heartbeat and pod reports, as if its host died. */
  kill(name: string): void {
    const n = this.nodes.get(name);
    if (n) n.alive = false;
  }

  /** Removes the Node object (the agent left the cluster). */
  async remove(name: string): Promise<void> {
    this.nodes.delete(name);
    await this.api.delete(resourceTypes.nodes, undefined, name);
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.tick()
        .catch(() => undefined)
        .finally(() => {
          this.busy = false;
        });
    }, this.periodMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async renew(name: string): Promise<void> {
    const now = new Date().toISOString().replace('Z', '000Z');
    const current = await this.api.get<Lease>(resourceTypes.leases, 'kube-node-lease', name);
    if (!current) {
      await this.api.create<Lease>(resourceTypes.leases, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace: 'kube-node-lease' },
        spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: now },
      });
    } else {
      await this.api.update<Lease>(resourceTypes.leases, {
        ...current,
        spec: { ...current.spec, renewTime: now },
      });
    }
  }

  private async tick(): Promise<void> {
    for (const [name, n] of this.nodes) if (n.alive) await this.renew(name).catch(() => undefined);
    const { items } = await this.api.list<Pod>(resourceTypes.pods);
    for (const pod of items) {
      // Like an agent, one pod it cannot handle (a malformed one) must not stop the others.
      await this.tickPod(pod).catch(() => undefined);
    }
  }

  private async tickPod(pod: Pod): Promise<void> {
    const node = pod.spec.nodeName ? this.nodes.get(pod.spec.nodeName) : undefined;
    if (!node?.alive) return;
    if (pod.metadata.deletionTimestamp) {
      // The agent stopped the containers: confirm the graceful deletion.
      await this.api
        .delete(resourceTypes.pods, pod.metadata.namespace, pod.metadata.name ?? '', {
          gracePeriodSeconds: 0,
          ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}),
        })
        .catch(() => undefined);
      return;
    }
    const phase = pod.status?.phase;
    if (phase === 'Running' || phase === 'Succeeded' || phase === 'Failed') return;
    const outcome = this.outcome(pod);
    const now = new Date().toISOString();
    const ready = outcome === 'Running' ? 'True' : 'False';
    const status: Pod['status'] = {
      phase: outcome,
      hostIP: '127.0.0.1',
      podIP: `10.244.${node.ip}.${(Math.abs(hash(pod.metadata.name ?? '')) % 250) + 2}`,
      startTime: now,
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
        { type: 'Initialized', status: 'True', lastTransitionTime: now },
        { type: 'Ready', status: ready, lastTransitionTime: now },
        { type: 'ContainersReady', status: ready, lastTransitionTime: now },
      ],
      containerStatuses: pod.spec.containers.map((c) => ({
        name: c.name,
        ready: ready === 'True',
        restartCount: 0,
        image: c.image,
        imageID: '',
        state:
          outcome === 'Running'
            ? { running: { startedAt: now } }
            : { terminated: { exitCode: outcome === 'Succeeded' ? 0 : 1 } },
        lastState: {},
      })),
    };
    try {
      await this.api.updateStatus(resourceTypes.pods, { ...pod, status });
    } catch (err) {
      if (!isStatus(err, 409) && !isStatus(err, 404)) throw err;
    }
  }
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * `waitFor` with the subject first, polling every 50 ms: the controller tests sample fast enough
 * to see short-lived states (e.g. availability during a rolling update).
 */
export function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  return pollFor(check, what, timeoutMs, 50);
}
