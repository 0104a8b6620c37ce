import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingEvents } from '../../../src/events.js';
import type { RunningApiServer } from '../../support/api-server.js';
import { type ClientNodeServer, startClientNodeServer } from '../../support/client-node.js';

let srv: RunningApiServer;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
const events = new RecordingEvents();

const until = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(check(), what).toBe(true);
};

let server: ClientNodeServer;

beforeAll(async () => {
  server = await startClientNodeServer({ events });
  srv = server.srv;
  kc = server.kc;
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
});
afterAll(async () => {
  await server?.stop();
});

describe('@kubernetes/client-node 1.x', () => {
  it('creates, reads, patches and deletes', async () => {
    const created = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'cn-1' }, data: { a: '1' } },
    });
    expect(created.metadata?.uid).toBeTruthy();
    const read = await core.readNamespacedConfigMap({ name: 'cn-1', namespace: 'default' });
    expect(read.data).toEqual({ a: '1' });
    const patched = await core.patchNamespacedConfigMap(
      { name: 'cn-1', namespace: 'default', body: { data: { b: '2' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(patched.data).toEqual({ a: '1', b: '2' });
    const deploy = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'cn-web' },
        spec: {
          selector: { matchLabels: { app: 'cn-web' } },
          template: {
            metadata: { labels: { app: 'cn-web' } },
            spec: { containers: [{ name: 'web', image: 'nginx' }] },
          },
        },
      },
    });
    expect(deploy.spec?.replicas).toBe(1);
    const scale = await apps.replaceNamespacedDeploymentScale({
      name: 'cn-web',
      namespace: 'default',
      body: { metadata: { name: 'cn-web', namespace: 'default' }, spec: { replicas: 4 } },
    });
    expect(scale.spec?.replicas).toBe(4);
    await core.deleteNamespacedConfigMap({ name: 'cn-1', namespace: 'default' });
    await expect(core.readNamespacedConfigMap({ name: 'cn-1', namespace: 'default' })).rejects.toMatchObject({
      code: 404,
    });
    await expect(
      core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'Bad Name' } } }),
    ).rejects.toMatchObject({ code: 422 });
  });

  it('runs an informer that sees add, update and delete, and relists after 410 Gone', async () => {
    let lists = 0;
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/pods', () => {
      lists++;
      return core.listNamespacedPod({ namespace: 'default' });
    });
    const seen: string[] = [];
    informer.on('add', (p) => seen.push(`add:${p.metadata?.name}`));
    informer.on('update', (p) => seen.push(`update:${p.metadata?.name}`));
    informer.on('delete', (p) => seen.push(`delete:${p.metadata?.name}`));
    informer.on('error', (err) => seen.push(`error:${String(err)}`));
    await informer.start();
    try {
      const body = { metadata: { name: 'inf-1' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
      await core.createNamespacedPod({ namespace: 'default', body });
      await until(() => seen.includes('add:inf-1'), `add seen: ${seen}`);
      await core.patchNamespacedPod(
        { name: 'inf-1', namespace: 'default', body: { metadata: { labels: { x: 'y' } } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      await until(() => seen.includes('update:inf-1'), `update seen: ${seen}`);
      await core.deleteNamespacedPod({ name: 'inf-1', namespace: 'default' });
      await until(() => seen.includes('delete:inf-1'), `delete seen: ${seen}`);

      // Move the store past the informer's resourceVersion (other kinds only) and compact, so its
      // next watch (after the 1 s server timeout) gets ERROR 410 and must relist.
      const listsBefore = lists;
      for (let i = 0; i < 5; i++)
        await core.createNamespacedConfigMap({
          namespace: 'default',
          body: { metadata: { name: `pad-${i}` } },
        });
      await srv.store.compact(await srv.store.currentRevision());
      await until(() => lists > listsBefore, `relisted after 410 (lists=${lists})`);
      expect(events.codes()).toContain('api.watch.expired');
      await core.createNamespacedPod({
        namespace: 'default',
        body: { ...body, metadata: { name: 'inf-2' } },
      });
      await until(() => seen.includes('add:inf-2'), `add after relist: ${seen}`);
      expect(seen.filter((s) => s.startsWith('error:'))).toEqual([]);
    } finally {
      await informer.stop();
    }
  });
});
