import { describe, expect, it } from 'vitest';
import { reconcileEndpoints } from '../../../src/control-plane/controllers/endpoints-reconcile.js';
import {
  collectGarbage,
  type OwnedObject,
} from '../../../src/control-plane/controllers/garbage-collector.js';
import type { Endpoints, KubeObject, Pod, Service } from '../../../src/kube/index.js';
import { makePod, ownerRef } from '../../support/k8s-objects.js';

function obj(
  resource: OwnedObject['resource'],
  name: string,
  owner?: KubeObject,
  extra: Partial<KubeObject['metadata']> = {},
): OwnedObject {
  const kind =
    { deployments: 'Deployment', replicasets: 'ReplicaSet', pods: 'Pod' }[resource as string] ?? 'Job';
  return {
    resource,
    object: {
      kind,
      metadata: {
        name,
        namespace: 'default',
        uid: `uid-${name}`,
        ...(owner
          ? { ownerReferences: [ownerRef(owner.kind ?? '', owner.metadata.name ?? '', owner.metadata.uid)] }
          : {}),
        ...extra,
      },
    },
  };
}

describe('collectGarbage', () => {
  it('deletes dependents whose owner is gone, checking the owner live first', () => {
    const deploy = obj('deployments', 'web');
    const rs = obj('replicasets', 'web-1', deploy.object);
    const pod = obj('pods', 'web-1-a', rs.object);
    expect(collectGarbage([deploy, rs, pod])).toEqual([]);
    const actions = collectGarbage([rs, pod]);
    expect(actions).toEqual([
      {
        verb: 'delete',
        resource: 'replicasets',
        namespace: 'default',
        name: 'web-1',
        uid: 'uid-web-1',
        propagationPolicy: 'Background',
        ifAbsent: { resource: 'deployments', namespace: 'default', name: 'web', uid: 'uid-web' },
      },
    ]);
  });

  it('treats an owner recreated under the same name (new uid) as gone', () => {
    const deploy = obj('deployments', 'web');
    const rs = obj('replicasets', 'web-1', deploy.object);
    const again = obj('deployments', 'web', undefined, { uid: 'uid-new' });
    expect(collectGarbage([again, rs]).map((a) => a.verb)).toEqual(['delete']);
  });

  it('foreground: deletes dependents first, then removes the finalizer', () => {
    const deploy = obj('deployments', 'web', undefined, {
      deletionTimestamp: 'x',
      finalizers: ['foregroundDeletion'],
    });
    const rs = obj('replicasets', 'web-1', deploy.object);
    expect(collectGarbage([deploy, rs])).toMatchObject([
      { verb: 'delete', name: 'web-1', propagationPolicy: 'Foreground' },
    ]);
    const [done] = collectGarbage([deploy]);
    expect(done).toMatchObject({ verb: 'update', resource: 'deployments' });
    expect(done && 'object' in done ? done.object.metadata.finalizers : undefined).toEqual([]);
  });

  it('orphan: removes the owner reference from dependents instead of deleting them', () => {
    const deploy = obj('deployments', 'web', undefined, { deletionTimestamp: 'x', finalizers: ['orphan'] });
    const rs = obj('replicasets', 'web-1', deploy.object);
    const [release] = collectGarbage([deploy, rs]);
    expect(release).toMatchObject({ verb: 'update', resource: 'replicasets' });
    expect(release && 'object' in release ? release.object.metadata.ownerReferences : undefined).toEqual([]);
  });

  it('leaves objects owned by kinds it does not watch alone', () => {
    const pod = obj('pods', 'p');
    pod.object.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'c', uid: 'uid-c' }];
    expect(collectGarbage([pod])).toEqual([]);
  });
});

describe('reconcileEndpoints', () => {
  const svc: Service = {
    metadata: { name: 'web', namespace: 'default' },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  };

  function pod(name: string, ip: string | undefined, ready: boolean, labels = { app: 'web' }): Pod {
    const p = makePod(name, { spec: { nodeName: 'n1' } });
    p.metadata.labels = labels;
    p.spec.containers[0]!.ports = [{ name: 'http', containerPort: 8080 }];
    p.status = {
      phase: 'Running',
      ...(ip ? { podIP: ip } : {}),
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    };
    return p;
  }

  it('lists ready pods as addresses and others as notReadyAddresses, resolving named ports', () => {
    const pods = [
      pod('a', '10.0.0.1', true),
      pod('b', '10.0.0.2', false),
      pod('c', undefined, true),
      pod('d', '10.0.0.4', true, { app: 'db' }),
    ];
    const [action] = reconcileEndpoints(svc, pods, undefined);
    expect(action?.verb).toBe('create');
    const ep = (action && 'object' in action ? action.object : undefined) as Endpoints;
    expect(ep.subsets).toEqual([
      {
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        addresses: [
          {
            ip: '10.0.0.1',
            nodeName: 'n1',
            targetRef: { kind: 'Pod', name: 'a', namespace: 'default', uid: 'uid-pod-a' },
          },
        ],
        notReadyAddresses: [
          {
            ip: '10.0.0.2',
            nodeName: 'n1',
            targetRef: { kind: 'Pod', name: 'b', namespace: 'default', uid: 'uid-pod-b' },
          },
        ],
      },
    ]);
    expect(reconcileEndpoints(svc, pods, ep)).toEqual([]);
    expect(reconcileEndpoints(svc, pods.slice(1), ep).map((a) => a.verb)).toEqual(['update']);
  });

  it('names an address by the pod hostname when its subdomain is the Service (for cluster DNS)', () => {
    const named = pod('a', '10.0.0.1', true);
    named.spec.hostname = 'web-0';
    named.spec.subdomain = 'web';
    const other = pod('b', '10.0.0.2', true);
    other.spec.hostname = 'web-1';
    other.spec.subdomain = 'elsewhere';
    const [action] = reconcileEndpoints(svc, [named, other], undefined);
    const ep = (action && 'object' in action ? action.object : undefined) as Endpoints;
    expect(ep.subsets?.[0]?.addresses?.map((a) => [a.ip, a.hostname])).toEqual([
      ['10.0.0.1', 'web-0'],
      ['10.0.0.2', undefined],
    ]);
  });

  it('leaves services without a selector alone', () => {
    expect(reconcileEndpoints({ ...svc, spec: { ports: [] } }, [], undefined)).toEqual([]);
  });
});
