import { describe, expect, it } from 'vitest';
import { resourceTypes } from '../../../src/control-plane/machinery/resources.js';
import type {
  ControllerRevision,
  DaemonSet,
  Endpoints,
  KubeObject,
  Pod,
  StatefulSet,
} from '../../../src/kube/index.js';
import { isReadyPod, useControlCluster } from '../../support/control-cluster.js';
import { waitFor } from '../../support/sim-nodes.js';

const { pods: podsR, statefulsets, controllerrevisions, persistentvolumeclaims, daemonsets } = resourceTypes;

function makeSet(name: string, replicas: number, extra: Partial<StatefulSet['spec']> = {}): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'busybox:a' }] },
      },
      ...extra,
    },
  };
}

const images = (ps: Pod[]) =>
  Object.fromEntries(ps.map((p) => [p.metadata.name, p.spec.containers[0]?.image]));

// StatefulSets and ControllerRevisions on the real API server (TLS) with the controllers, simulated
// nodes and real kubectl.
describe('StatefulSets against the real API server', () => {
  const f = useControlCluster();
  const live = async (prefix: string) => (await f.pods(prefix)).filter((p) => !p.metadata.deletionTimestamp);

  /** Marks a pod Running and Ready through the status subresource (what an agent would report). */
  const markReady = async (name: string) => {
    await waitFor(`${name} marked ready`, async () => {
      const p = await f.c.api.get<Pod>(podsR, 'default', name);
      if (!p) return false;
      const now = new Date().toISOString();
      p.status = {
        ...p.status,
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
      };
      return f.c.api.updateStatus(podsR, p).then(
        () => true,
        () => false,
      );
    });
  };

  it('creates pods in order, each after the previous is Ready, with a claim per ordinal', async () => {
    const set = makeSet('ord', 3, {
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      ],
    });
    // No node matches: the pods stay Pending until the test says they are ready.
    set.spec.template.spec.nodeSelector = { 'tugboat.test/none': 'sts' };
    await f.c.api.create(statefulsets, set);
    await waitFor('ord-0 created', async () => (await f.pods('ord-')).length === 1);
    await new Promise((r) => setTimeout(r, 500));
    expect((await f.pods('ord-')).map((p) => p.metadata.name)).toEqual(['ord-0']);
    const p0 = (await f.c.api.get<Pod>(podsR, 'default', 'ord-0'))!;
    expect(p0.spec.hostname).toBe('ord-0');
    expect(p0.spec.subdomain).toBe('ord');
    expect(p0.metadata.labels?.['statefulset.kubernetes.io/pod-name']).toBe('ord-0');
    expect(p0.spec.volumes).toContainEqual({
      name: 'data',
      persistentVolumeClaim: { claimName: 'data-ord-0' },
    });
    const pvc = await f.kubectl('get', 'pvc', 'data-ord-0');
    expect(pvc.code, pvc.stderr).toBe(0);
    expect(pvc.stdout).toMatch(/data-ord-0\s+Pending/);

    await markReady('ord-0');
    await waitFor('ord-1 created', async () => (await f.pods('ord-')).length === 2);
    await new Promise((r) => setTimeout(r, 500));
    expect((await f.pods('ord-')).map((p) => p.metadata.name).sort()).toEqual(['ord-0', 'ord-1']);
    await markReady('ord-1');
    await waitFor('ord-2 created', async () => (await f.pods('ord-')).length === 3);
    await markReady('ord-2');
    await waitFor('3/3 ready', async () => {
      const s = await f.c.api.get<StatefulSet>(statefulsets, 'default', 'ord');
      return s?.status?.readyReplicas === 3;
    });
    const get = await f.kubectl('get', 'sts', 'ord');
    expect(get.stdout).toMatch(/NAME\s+READY\s+AGE\s*\nord\s+3\/3\s/);
    const claims = await f.kubectl('get', 'pvc', '-o', 'name');
    expect(claims.stdout.split('\n').filter((l) => l.includes('data-ord-'))).toHaveLength(3);

    // Scale down: the highest ordinal goes first; the claims stay (whenScaled: Retain).
    expect((await f.kubectl('scale', 'sts/ord', '--replicas=1')).code).toBe(0);
    await waitFor('scaled to 1', async () => (await live('ord-')).length === 1);
    expect((await live('ord-')).map((p) => p.metadata.name)).toEqual(['ord-0']);
    expect(
      (await f.c.api.list(persistentvolumeclaims, { namespace: 'default' })).items.map(
        (c) => c.metadata.name,
      ),
    ).toEqual(expect.arrayContaining(['data-ord-0', 'data-ord-1', 'data-ord-2']));
    // Deleting the set removes its pods (garbage collector) and keeps the claims (whenDeleted: Retain).
    expect((await f.kubectl('delete', 'sts', 'ord')).code).toBe(0);
    await waitFor('pods gone', async () => (await live('ord-')).length === 0);
    expect((await f.c.api.get(persistentvolumeclaims, 'default', 'data-ord-0'))?.metadata.name).toBe(
      'data-ord-0',
    );
  });

  it('brings a deleted pod back under the same name', async () => {
    await f.c.api.create(statefulsets, makeSet('same', 3));
    await waitFor('3 ready', async () => (await live('same-')).filter(isReadyPod).length === 3);
    const before = (await f.c.api.get<Pod>(podsR, 'default', 'same-1'))!;
    expect((await f.kubectl('delete', 'pod', 'same-1', '--grace-period=0', '--force')).code).toBe(0);
    const after = await waitFor('same-1 back', async () => {
      const p = await f.c.api.get<Pod>(podsR, 'default', 'same-1');
      return p && p.metadata.uid !== before.metadata.uid && isReadyPod(p) ? p : undefined;
    });
    expect(after.spec.hostname).toBe('same-1');
    expect((await live('same-')).map((p) => p.metadata.name).sort()).toEqual(['same-0', 'same-1', 'same-2']);
    // The governing headless Service names each pod (what cluster DNS serves as same-1.same.default.svc).
    await f.c.api.create(resourceTypes.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'same', namespace: 'default' },
      spec: { clusterIP: 'None', selector: { app: 'same' }, ports: [{ name: 'http', port: 80 }] },
    } as KubeObject);
    const hostnames = await waitFor('endpoints with hostnames', async () => {
      const ep = await f.c.api.get<Endpoints>(resourceTypes.endpoints, 'default', 'same');
      const names = (ep?.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.hostname));
      return names.length === 3 ? names.sort() : undefined;
    });
    expect(hostnames).toEqual(['same-0', 'same-1', 'same-2']);
  });

  it('rolls out behind a partition, reports rollout status, keeps history and undoes', async () => {
    await f.c.api.create(statefulsets, makeSet('roll', 3));
    const first = await f.kubectl('rollout', 'status', 'sts/roll', '--timeout=60s');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('partitioned roll out complete: 3 new pods have been updated...');

    const part = await f.kubectl(
      'patch',
      'sts',
      'roll',
      '-p',
      '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}}}}',
    );
    expect(part.code, part.stderr).toBe(0);
    expect((await f.kubectl('set', 'image', 'sts/roll', 'c=busybox:b')).code).toBe(0);
    const partial = await f.kubectl('rollout', 'status', 'sts/roll', '--timeout=60s');
    expect(partial.code, partial.stderr).toBe(0);
    expect(partial.stdout).toContain('partitioned roll out complete: 1 new pods have been updated...');
    await waitFor('only roll-2 on b', async () => {
      const ps = await live('roll-');
      return ps.length === 3 && ps.every(isReadyPod) ? ps : undefined;
    });
    expect(images(await live('roll-'))).toEqual({
      'roll-0': 'busybox:a',
      'roll-1': 'busybox:a',
      'roll-2': 'busybox:b',
    });
    const mid = (await f.c.api.get<StatefulSet>(statefulsets, 'default', 'roll'))!;
    expect(mid.status?.currentRevision).not.toBe(mid.status?.updateRevision);

    // Partition 0: the rest follow, and the update revision becomes the current one.
    const all = await f.kubectl(
      'patch',
      'sts',
      'roll',
      '-p',
      '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}',
    );
    expect(all.code, all.stderr).toBe(0);
    await waitFor('all on b', async () => {
      const s = await f.c.api.get<StatefulSet>(statefulsets, 'default', 'roll');
      const ps = await live('roll-');
      return (
        s?.status?.currentRevision === s?.status?.updateRevision &&
        s?.status?.updatedReplicas === 3 &&
        ps.length === 3 &&
        ps.every((p) => isReadyPod(p) && p.spec.containers[0]?.image === 'busybox:b')
      );
    });
    const revs = (
      await f.c.api.list<ControllerRevision>(controllerrevisions, { namespace: 'default' })
    ).items.filter((r) => r.metadata.name?.startsWith('roll-'));
    expect(revs.map((r) => r.revision).sort()).toEqual([1, 2]);
    const table = await f.kubectl('get', 'controllerrevisions');
    expect(table.stdout).toMatch(/roll-\S+\s+statefulset\.apps\/roll\s+2\s/);
    const history = await f.kubectl('rollout', 'history', 'sts/roll');
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout).toMatch(/REVISION\s+CHANGE-CAUSE\s*\n1\s+<none>\s*\n2\s+<none>/);

    const undo = await f.kubectl('rollout', 'undo', 'sts/roll');
    expect(undo.code, undo.stderr).toBe(0);
    expect(undo.stdout).toContain('statefulset.apps/roll rolled back');
    await waitFor('back on a', async () => {
      const ps = await live('roll-');
      return ps.length === 3 && ps.every((p) => isReadyPod(p) && p.spec.containers[0]?.image === 'busybox:a');
    });
    const after = await f.kubectl('rollout', 'history', 'sts/roll');
    expect(after.stdout).toMatch(/\n2\s+<none>\s*\n3\s+<none>/);
    const done = await f.kubectl('rollout', 'status', 'sts/roll', '--timeout=60s');
    expect(done.code, done.stderr).toBe(0);
  });

  it('keeps ControllerRevisions for DaemonSets so kubectl rollout history and undo work', async () => {
    const ds: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: {
          metadata: { labels: { app: 'agent' } },
          spec: { containers: [{ name: 'c', image: 'busybox:a' }] },
        },
      },
    } as KubeObject;
    await f.c.api.create(daemonsets, ds);
    expect((await f.kubectl('rollout', 'status', 'ds/agent', '--timeout=60s')).code).toBe(0);
    expect((await f.kubectl('set', 'image', 'ds/agent', 'c=busybox:b')).code).toBe(0);
    const rolled = await f.kubectl('rollout', 'status', 'ds/agent', '--timeout=90s');
    expect(rolled.code, rolled.stderr).toBe(0);
    const history = await f.kubectl('rollout', 'history', 'ds/agent');
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout).toMatch(/REVISION\s+CHANGE-CAUSE\s*\n1\s+<none>\s*\n2\s+<none>/);
    const rev1 = await f.kubectl('rollout', 'history', 'ds/agent', '--revision=1');
    expect(rev1.stdout).toContain('busybox:a');
    const undo = await f.kubectl('rollout', 'undo', 'ds/agent');
    expect(undo.code, undo.stderr).toBe(0);
    await waitFor(
      'daemon pods back on a',
      async () => {
        const d = await f.c.api.get<DaemonSet>(daemonsets, 'default', 'agent');
        const ps = await live('agent-');
        return (
          d?.spec.template.spec.containers[0]?.image === 'busybox:a' &&
          ps.length === 3 &&
          ps.every((p) => isReadyPod(p) && p.spec.containers[0]?.image === 'busybox:a')
        );
      },
      60_000,
    );
    const after = await f.kubectl('rollout', 'history', 'ds/agent');
    expect(after.stdout).toMatch(/\n2\s+<none>\s*\n3\s+<none>/);
  });
});
