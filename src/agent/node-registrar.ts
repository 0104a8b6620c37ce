/**
 * The agent's Node object: registration (create, or update one already there), the Lease, and
 * node status written when its conditions change (or each minute), registering again when the
 * Node was deleted while this node runs.
 */
import { statfsSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import { isNotFound } from '../client/api-error.js';
import type { KubeClient } from '../client/client.js';
import { resources } from '../client/types.js';
import type { EventSink } from '../events.js';
import type { Node, NodeStatus, Taint } from '../kube/index.js';
import { VOLUMES_DIR_ANNOTATION } from '../kube/local-path.js';
import { volumesDirOf } from './claim-volume.js';
import { renewNodeLease } from './lease.js';
import {
  buildNodeLabels,
  buildNodeObject,
  buildNodeStatus,
  type NodeCapacity,
  type NodeHealth,
  type NodeIdentity,
} from './node-object.js';
import type { Runtime } from './runtime/types.js';

export interface NodeRegistrarOptions {
  readonly client: KubeClient;
  readonly runtime: Runtime;
  readonly identity: NodeIdentity;
  readonly dataDir: string;
  readonly events: EventSink;
  readonly now: () => number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints?: readonly Taint[];
  readonly port?: number;
  readonly maxPods?: number;
  readonly leaseDurationSeconds?: number;
}

export class NodeRegistrar {
  private node: Node | undefined;
  private lastStatus: { text: string; at: number } = { text: '', at: 0 };
  private readonly capacity: NodeCapacity;

  constructor(private readonly options: NodeRegistrarOptions) {
    this.capacity = {
      cpus: cpus().length,
      memoryBytes: totalmem(),
      pods: options.maxPods ?? 110,
      reservedMemoryBytes: 100 * 2 ** 20,
    };
  }

  private get name(): string {
    return this.options.identity.name;
  }

  private async health(): Promise<{ health: NodeHealth; version: string }> {
    const { runtime } = this.options;
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
      const fs = statfsSync(this.options.dataDir);
      diskPressure = fs.bavail / fs.blocks < 0.1;
    } catch {
      diskPressure = false;
    }
    return {
      health: { runtimeOk, runtimeMessage, memoryPressure: freemem() < 100 * 2 ** 20, diskPressure },
      version,
    };
  }

  private async nodeStatus(previous?: NodeStatus): Promise<NodeStatus> {
    const h = await this.health();
    return buildNodeStatus({
      identity: this.options.identity,
      capacity: this.capacity,
      health: h.health,
      port: this.options.port ?? 10250,
      runtimeVersion: h.version,
      isolated: this.options.runtime.isolated,
      now: new Date(this.options.now()).toISOString(),
      previous,
    });
  }

  private async patchStatus(status: NodeStatus): Promise<void> {
    this.node = await this.options.client.patch<Node>(
      resources.nodes,
      this.name,
      { status },
      { subresource: 'status' },
    );
  }

  /** Creates the Node, or updates the labels and status of one already there. */
  async register(): Promise<void> {
    const { client, identity, events, dataDir } = this.options;
    const labels = buildNodeLabels(identity, this.options.labels);
    const annotations = { [VOLUMES_DIR_ANNOTATION]: volumesDirOf(dataDir) };
    const status = await this.nodeStatus();
    try {
      const existing = await client.get<Node>(resources.nodes, this.name);
      // Taints are set at registration only, as the kubelet does: after that they belong to the
      // cluster (kubectl taint, the node lifecycle), and NodeRestriction refuses a node changing them.
      this.node = await client.patch<Node>(resources.nodes, this.name, { metadata: { labels, annotations } });
      await this.patchStatus(status);
      events.emit({
        code: 'agent.node.updated',
        level: 'info',
        message: `node ${this.name} already registered; updated`,
        data: { uid: existing.metadata.uid },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.node = await client.create<Node>(
        resources.nodes,
        buildNodeObject({ identity, labels, annotations, taints: this.options.taints ?? [], status }),
      );
      await this.patchStatus(status);
      events.emit({
        code: 'agent.node.registered',
        level: 'info',
        message: `registered node ${this.name}`,
        data: {},
      });
    }
    this.lastStatus = { text: conditionsKey(status), at: this.options.now() };
  }

  /** Renews the node's Lease; a failure is reported, not thrown. */
  async renewLease(): Promise<void> {
    try {
      await renewNodeLease(
        this.options.client,
        { name: this.name, uid: this.node?.metadata.uid },
        this.options.leaseDurationSeconds ?? 40,
        this.options.now(),
      );
    } catch (err) {
      this.options.events.emit({
        code: 'agent.lease.error',
        level: 'warn',
        message: `renewing lease failed: ${(err as Error).message}`,
        data: {},
      });
    }
  }

  /** Writes node status when its conditions changed or a minute passed; never throws. */
  async updateStatus(): Promise<void> {
    const { events, now } = this.options;
    try {
      const status = await this.nodeStatus(this.node?.status);
      const key = conditionsKey(status);
      if (key === this.lastStatus.text && now() - this.lastStatus.at < 60_000) return;
      await this.patchStatus(status);
      this.lastStatus = { text: key, at: now() };
    } catch (err) {
      if (isNotFound(err)) {
        // The Node object is gone while this node runs (deleted by hand, or a backup restored
        // into the cluster that predates it): register again, so the node does not drop out of
        // the cluster until someone restarts the agent.
        events.emit({
          code: 'agent.node.gone',
          level: 'warn',
          message: `node ${this.name} no longer exists in the API: registering it again`,
          data: {},
        });
        await this.register().catch((again: Error) =>
          events.emit({
            code: 'agent.node.status-error',
            level: 'warn',
            message: `registering node ${this.name} again failed: ${again.message}`,
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
  }
}

function conditionsKey(status: NodeStatus): string {
  return JSON.stringify([
    status.conditions?.map((c) => [c.type, c.status]),
    status.addresses,
    status.capacity,
  ]);
}
