import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP, streamTopicCrd } from '../../fixtures/bundles/operator-crds.js';
import { type ClientNodeServer, startClientNodeServer } from '../../support/client-node.js';
import { waitFor } from '../../support/wait.js';
import { MANAGER, TopicController } from './topic-controller.js';

const NS = 'default';
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let custom: k8s.CustomObjectsApi;
let controller: TopicController;

const topics = { group: GROUP, version: 'v1', namespace: NS, plural: 'streamtopics' };
const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const apply = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply);
const configMap = (name: string) =>
  core.readNamespacedConfigMap({ name, namespace: NS }).catch(() => undefined);

let server: ClientNodeServer;

beforeAll(async () => {
  server = await startClientNodeServer();
  kc = server.kc;
  core = kc.makeApiClient(k8s.CoreV1Api);
  custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  // loadYaml turns the manifest into client-node's typed model (its wire names become fields).
  const body = k8s.loadYaml<k8s.V1CustomResourceDefinition>(JSON.stringify(streamTopicCrd()));
  await ext.createCustomResourceDefinition({ body });
  await waitFor(async () => {
    const crd = await ext.readCustomResourceDefinition({ name: `streamtopics.${GROUP}` });
    return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
  }, 'the StreamTopic CRD to be established');
  controller = new TopicController(kc, NS);
  await controller.start();
});
afterAll(async () => {
  await controller?.stop();
  await server?.stop();
});

describe('a @kubernetes/client-node controller on a CRD', () => {
  it('follows creates, updates and deletes with status and a server-side applied ConfigMap', async () => {
    await custom.createNamespacedCustomObject({
      ...topics,
      body: {
        apiVersion: `${GROUP}/v1`,
        kind: 'StreamTopic',
        metadata: { name: 'orders' },
        spec: { partitions: 3 },
      },
    });
    const cm = await waitFor(async () => {
      const got = await configMap('topic-orders');
      return got?.data?.partitions === '3' && got;
    }, 'the controller to apply topic-orders');
    // The CRD's defaults reached the controller's cache, and its ConfigMap.
    expect(cm.data).toEqual({
      'topic.name': 'orders',
      partitions: '3',
      'replication.factor': '3',
      'retention.ms': '7d',
    });
    expect(cm.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'StreamTopic',
      name: 'orders',
      controller: true,
    });
    const applied = cm.metadata?.managedFields?.find((e) => e.manager === MANAGER);
    expect([applied?.operation, applied?.fieldsV1]).toEqual([
      'Apply',
      expect.objectContaining({ 'f:data': expect.objectContaining({ 'f:partitions': {} }) }),
    ]);

    const ready = await waitFor(async () => {
      const t = await custom.getNamespacedCustomObject({ ...topics, name: 'orders' });
      return t.status?.observedGeneration === 1 && t;
    }, 'the status of orders');
    expect(ready.status.conditions).toEqual([
      expect.objectContaining({ type: 'Ready', status: 'True', reason: 'Reconciled' }),
    ]);
    // The status write went to the status subresource: its manager's entry says so.
    expect(ready.metadata.managedFields).toContainEqual(
      expect.objectContaining({ operation: 'Update', subresource: 'status' }),
    );

    await custom.patchNamespacedCustomObject(
      { ...topics, name: 'orders', body: { spec: { partitions: 8, topicName: 'orders.v2' } } },
      merge,
    );
    await waitFor(
      async () => (await configMap('topic-orders'))?.data?.partitions === '8',
      'the ConfigMap to follow',
    );
    const updated = await waitFor(async () => {
      const t = await custom.getNamespacedCustomObject({ ...topics, name: 'orders' });
      return t.status?.observedGeneration === 2 && t;
    }, 'the status to follow generation 2');
    expect([updated.metadata.generation, updated.status.topicName]).toEqual([2, 'orders.v2']);

    // Once converged, the controller's writes are no-ops: the resourceVersions stay put.
    const settle = async () => [
      (await custom.getNamespacedCustomObject({ ...topics, name: 'orders' })).metadata.resourceVersion,
      (await configMap('topic-orders'))?.metadata?.resourceVersion,
    ];
    await new Promise((r) => setTimeout(r, 1500));
    const before = await settle();
    await new Promise((r) => setTimeout(r, 1500));
    expect(await settle()).toEqual(before);

    await custom.deleteNamespacedCustomObject({ ...topics, name: 'orders' });
    await waitFor(
      async () => (await configMap('topic-orders')) === undefined,
      'the ConfigMap to go with its topic',
    );
    expect(controller.errors).toEqual([]);
  });

  it('meets a conflict when another manager applies the fields the controller owns', async () => {
    await custom.createNamespacedCustomObject({
      ...topics,
      body: {
        apiVersion: `${GROUP}/v1`,
        kind: 'StreamTopic',
        metadata: { name: 'audit' },
        spec: { partitions: 2 },
      },
    });
    await waitFor(async () => (await configMap('topic-audit'))?.data?.partitions === '2', 'topic-audit');
    const body = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'topic-audit' },
      data: { partitions: '99' },
    };
    const clash = await core
      .patchNamespacedConfigMap({ name: 'topic-audit', namespace: NS, fieldManager: 'intruder', body }, apply)
      .then(
        () => undefined,
        (err: { code?: number; body?: string }) => err,
      );
    expect(clash?.code).toBe(409);
    const status = JSON.parse(String(clash?.body));
    expect([status.reason, status.message]).toEqual([
      'Conflict',
      `Apply failed with 1 conflict: conflict with "${MANAGER}": .data.partitions`,
    ]);
    expect(status.details.causes).toEqual([
      { reason: 'FieldManagerConflict', message: `conflict with "${MANAGER}"`, field: '.data.partitions' },
    ]);
    expect((await configMap('topic-audit'))?.data?.partitions).toBe('2');
    // A field nobody owns is the intruder's to apply; the controller's fields stay its own.
    await core.patchNamespacedConfigMap(
      {
        name: 'topic-audit',
        namespace: NS,
        fieldManager: 'intruder',
        body: { ...body, data: { note: 'hi' } },
      },
      apply,
    );
    const shared = await configMap('topic-audit');
    expect(shared?.data).toMatchObject({ partitions: '2', note: 'hi' });
    expect(shared?.metadata?.managedFields?.map((e) => e.manager).sort()).toEqual(['intruder', MANAGER]);
    expect(controller.errors).toEqual([]);
  });
});
