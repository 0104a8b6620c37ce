import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reconcileReplicationController } from '../../../src/control-plane/controllers/replicationcontroller-reconcile.js';
import { resourceTypes } from '../../../src/control-plane/machinery/resources.js';
import type { Pod, ReplicationController } from '../../../src/kube/index.js';
import { isReadyPod, useControlCluster } from '../../support/control-cluster.js';
import { waitFor } from '../../support/sim-nodes.js';

const rc: ReplicationController = {
  apiVersion: 'v1',
  kind: 'ReplicationController',
  metadata: { name: 'old', namespace: 'default', uid: 'uid-rc-old', generation: 1 },
  spec: {
    replicas: 2,
    selector: { app: 'old' },
    template: {
      metadata: { labels: { app: 'old' } },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    },
  },
};

describe('reconcileReplicationController', () => {
  it('creates pods owned by the ReplicationController and writes its own status', () => {
    const actions = reconcileReplicationController(rc, [], 0);
    const pods = actions
      .filter((a) => a.verb === 'create')
      .map((a) => ('object' in a ? (a.object as Pod) : undefined));
    expect(pods).toHaveLength(2);
    expect(pods[0]?.metadata.ownerReferences?.[0]).toMatchObject({
      apiVersion: 'v1',
      kind: 'ReplicationController',
      name: 'old',
      controller: true,
    });
    const status = actions.find((a) => a.verb === 'updateStatus');
    expect(status).toMatchObject({
      resource: 'replicationcontrollers',
      object: { spec: { selector: { app: 'old' } } },
    });
  });

  it('claims nothing without a selector', () => {
    expect(reconcileReplicationController({ ...rc, spec: { ...rc.spec, selector: {} } }, [], 0)).toEqual([]);
  });
});

// ReplicationControllers on the real API server with the controllers, simulated nodes and kubectl.
describe('ReplicationControllers against the real API server', () => {
  const f = useControlCluster();

  it('runs the replicas of a v1 manifest, scales with kubectl and shows the usual columns', async () => {
    const file = join(tmpdir(), `tugboat-sts-rc-${process.pid}.yaml`);
    // As older tutorials write it: no selector (defaulted from the template labels).
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: ReplicationController',
        'metadata: {name: nginx}',
        'spec:',
        '  replicas: 2',
        '  template:',
        '    metadata: {labels: {app: nginx}}',
        '    spec: {containers: [{name: nginx, image: busybox}]}',
        '',
      ].join('\n'),
    );
    const applied = await f.kubectl('apply', '-f', file);
    rmSync(file, { force: true });
    expect(applied.code, applied.stderr).toBe(0);
    const stored = await f.c.api.get<ReplicationController>(
      resourceTypes.replicationcontrollers,
      'default',
      'nginx',
    );
    expect(stored?.spec.selector).toEqual({ app: 'nginx' });
    await waitFor('2 ready', async () => (await f.pods('nginx-')).filter(isReadyPod).length === 2);
    const get = await f.kubectl('get', 'rc', 'nginx');
    expect(get.stdout).toMatch(/NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\s*\nnginx\s+2\s+2\s+2\s/);
    const scaled = await f.kubectl('scale', 'rc', 'nginx', '--replicas=3');
    expect(scaled.code, scaled.stderr).toBe(0);
    await waitFor('3 ready', async () => (await f.pods('nginx-')).filter(isReadyPod).length === 3);
    const bad = await f.kubectl(
      'patch',
      'rc',
      'nginx',
      '--type=merge',
      '-p',
      '{"spec":{"selector":{"app":"other"}}}',
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('spec.template.metadata.labels: Invalid value');
    expect(bad.stderr).toContain('selector does not match template labels');
    expect((await f.kubectl('delete', 'rc', 'nginx')).code).toBe(0);
    await waitFor(
      'pods gone',
      async () => (await f.pods('nginx-')).filter((p) => !p.metadata.deletionTimestamp).length === 0,
    );
  });
});
