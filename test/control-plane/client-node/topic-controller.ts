import * as k8s from '@kubernetes/client-node';
import { GROUP } from '../../fixtures/bundles/operator-crds.js';

/** The controller's field manager, as an operator names its own. */
export const MANAGER = 'stream-topic-controller';
const PLURAL = 'streamtopics';

interface Topic extends k8s.KubernetesObject {
  spec: { partitions: number; replicas?: number; retention?: number | string; topicName?: string };
  status?: { observedGeneration?: number; topicName?: string; conditions?: Record<string, unknown>[] };
}

/**
 * A small operator built the way client-go controllers are, with @kubernetes/client-node: an
 * informer on StreamTopics in one namespace feeds a queue of keys; each key is reconciled from the
 * informer's cache (level-triggered: the whole desired state each time) by server-side applying a
 * ConfigMap with the controller's field manager and writing `.status` through the status
 * subresource. A failed key is retried with back-off; errors never stop the loop.
 */
export class TopicController {
  private readonly informer: k8s.Informer<Topic> & k8s.ObjectCache<Topic>;
  private readonly core: k8s.CoreV1Api;
  private readonly custom: k8s.CustomObjectsApi;
  private readonly queue = new Set<string>();
  private readonly retries = new Map<string, number>();
  private working = false;
  private stopped = false;
  /** Reconcile errors seen (the test checks there are none). */
  readonly errors: string[] = [];

  constructor(
    kc: k8s.KubeConfig,
    private readonly namespace: string,
  ) {
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const path = `/apis/${GROUP}/v1/namespaces/${namespace}/${PLURAL}`;
    this.informer = k8s.makeInformer<Topic>(kc, path, () =>
      this.custom.listNamespacedCustomObject({ group: GROUP, version: 'v1', namespace, plural: PLURAL }),
    );
    for (const event of ['add', 'update', 'delete'] as const)
      this.informer.on(event, (t) => this.enqueue(t.metadata?.name ?? ''));
    this.informer.on('error', () => {
      if (!this.stopped) setTimeout(() => void this.informer.start().catch(() => {}), 500);
    });
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer.stop();
  }

  private enqueue(name: string): void {
    if (!name || this.stopped) return;
    this.queue.add(name);
    void this.work();
  }

  /** One key at a time; a key queued again while it runs is reconciled once more after. */
  private async work(): Promise<void> {
    if (this.working) return;
    this.working = true;
    try {
      for (const name of this.queue) {
        this.queue.delete(name);
        try {
          await this.reconcile(name);
          this.retries.delete(name);
        } catch (err) {
          const n = (this.retries.get(name) ?? 0) + 1;
          this.retries.set(name, n);
          this.errors.push(`${name}: ${String(err)}`);
          if (n <= 8)
            setTimeout(() => this.enqueue(name), Math.min(2000, 50 * 2 ** n) * (0.5 + Math.random()));
        }
      }
    } finally {
      this.working = false;
    }
  }

  private async reconcile(name: string): Promise<void> {
    const topic = this.informer.get(name, this.namespace);
    const cm = `topic-${name}`;
    if (!topic) {
      await this.core.deleteNamespacedConfigMap({ name: cm, namespace: this.namespace }).catch((err) => {
        if ((err as { code?: number }).code !== 404) throw err;
      });
      return;
    }
    const topicName = topic.spec.topicName ?? name;
    await this.core.patchNamespacedConfigMap(
      {
        name: cm,
        namespace: this.namespace,
        fieldManager: MANAGER,
        force: true,
        body: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: cm,
            namespace: this.namespace,
            labels: { [`${GROUP}/topic`]: name },
            ownerReferences: [
              {
                apiVersion: `${GROUP}/v1`,
                kind: 'StreamTopic',
                name,
                uid: topic.metadata!.uid!,
                controller: true,
              },
            ],
          },
          data: {
            'topic.name': topicName,
            partitions: String(topic.spec.partitions),
            'replication.factor': String(topic.spec.replicas ?? ''),
            'retention.ms': String(topic.spec.retention ?? ''),
          },
        },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply),
    );
    const generation = topic.metadata?.generation;
    if (topic.status?.observedGeneration === generation && topic.status?.topicName === topicName) return;
    await this.custom.patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: 'v1',
        namespace: this.namespace,
        plural: PLURAL,
        name,
        body: {
          status: {
            observedGeneration: generation,
            topicName,
            conditions: [
              {
                type: 'Ready',
                status: 'True',
                reason: 'Reconciled',
                message: `ConfigMap ${cm} holds the topic's settings`,
                lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
              },
            ],
          },
        },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  }
}
