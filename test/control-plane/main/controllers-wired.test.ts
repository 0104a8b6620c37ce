import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningControlPlane, startControlPlane } from '../../../src/control-plane/main.js';
import { RecordingEvents } from '../../../src/events.js';

const dataDir = mkdtempSync(join(tmpdir(), `tugboat-cp-loops-${process.pid}-`));
const events = new RecordingEvents();
let cp: RunningControlPlane;

beforeAll(async () => {
  cp = await startControlPlane({ dataDir, listen: '127.0.0.1:0', insecureLoopbackHttp: true, events });
});
afterAll(async () => {
  await cp?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function json(
  path: string,
  init?: RequestInit,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${cp.url}${path}`, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('control plane with its controllers', () => {
  it('turns a Deployment into a ReplicaSet and pods through the in-process controllers', async () => {
    const deploy = {
      metadata: { name: 'wired' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'wired' } },
        template: {
          metadata: { labels: { app: 'wired' } },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        },
      },
    };
    const created = await json('/apis/apps/v1/namespaces/default/deployments', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(deploy),
    });
    expect(created.status).toBe(201);
    let pods: unknown[] = [];
    for (let i = 0; i < 300 && pods.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      pods =
        ((await json('/api/v1/namespaces/default/pods?labelSelector=app%3Dwired')).body.items as unknown[]) ??
        [];
    }
    expect(pods).toHaveLength(2);
    const rs = (await json('/apis/apps/v1/namespaces/default/replicasets')).body.items as Array<{
      metadata: { ownerReferences: Array<{ name: string }> };
    }>;
    expect(rs[0]?.metadata.ownerReferences[0]?.name).toBe('wired');
    const lease = await json('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases');
    expect((lease.body.items as unknown[]).length).toBeGreaterThan(0);
  });

  it('runs the StatefulSet controller with the rights it needs (claims, revisions, pods)', async () => {
    const sts = {
      metadata: { name: 'wired-sts' },
      spec: {
        serviceName: 'wired-sts',
        selector: { matchLabels: { app: 'wired-sts' } },
        template: {
          metadata: { labels: { app: 'wired-sts' } },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        ],
      },
    };
    const created = await json('/apis/apps/v1/namespaces/default/statefulsets', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(sts),
    });
    expect(created.status).toBe(201);
    let pod = 0;
    for (let i = 0; i < 300 && pod !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      pod = (await fetch(`${cp.url}/api/v1/namespaces/default/pods/wired-sts-0`)).status;
    }
    expect(pod).toBe(200);
    const claim = await json('/api/v1/namespaces/default/persistentvolumeclaims/data-wired-sts-0');
    expect(claim.status).toBe(200);
    const revisions = await json('/apis/apps/v1/namespaces/default/controllerrevisions');
    expect((revisions.body.items as unknown[]).length).toBe(1);
  });
});
