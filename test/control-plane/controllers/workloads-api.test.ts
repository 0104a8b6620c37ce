import { describe, expect, it } from 'vitest';
import { resourceTypes } from '../../../src/control-plane/machinery/resources.js';
import type { Deployment, Endpoints, KubeObject, Node, Pod } from '../../../src/kube/index.js';
import { isReadyPod, useControlCluster } from '../../support/control-cluster.js';
import { makeDeployment, makePod } from '../../support/k8s-objects.js';
import { waitFor } from '../../support/sim-nodes.js';

const { pods: podsR, deployments, nodes: nodesR } = resourceTypes;

// Deployments, scheduling and Services on the real API server (TLS) with simulated nodes and real kubectl.
describe('workloads against the real API server', () => {
  const f = useControlCluster();

  it('spreads a 3-replica Deployment over 3 zones and reports it available', async () => {
    await f.c.api.create(deployments, makeDeployment('web', 3));
    const d = await waitFor('web available', async () => {
      const dep = await f.c.api.get<Deployment>(deployments, 'default', 'web');
      return dep?.status?.availableReplicas === 3 ? dep : undefined;
    });
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    const placed = await f.pods('web-');
    expect(placed).toHaveLength(3);
    const nodes = (await f.c.api.list<Node>(nodesR)).items;
    const zoneOf = (n: string | undefined) =>
      nodes.find((x) => x.metadata.name === n)?.metadata.labels?.['topology.kubernetes.io/zone'];
    expect(new Set(placed.map((p) => zoneOf(p.spec.nodeName))).size).toBe(3);
  });

  it('rolls from image a to b within maxUnavailable, rolls back with kubectl rollout undo, scales', async () => {
    const d0 = makeDeployment('roll', 3, 'busybox:a');
    d0.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } };
    await f.c.api.create(deployments, d0);
    await waitFor(
      'roll available',
      async () =>
        (await f.c.api.get<Deployment>(deployments, 'default', 'roll'))?.status?.availableReplicas === 3,
    );
    const status = await f.kubectl('rollout', 'status', 'deployment/roll', '--timeout=60s');
    expect(status.stdout).toContain('deployment "roll" successfully rolled out');

    let minReady = 3;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        minReady = Math.min(minReady, (await f.pods('roll-').catch(() => [])).filter(isReadyPod).length);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      const set = await f.kubectl('set', 'image', 'deployment/roll', 'c=busybox:b');
      expect(set.code, set.stderr).toBe(0);
      const done = await f.kubectl('rollout', 'status', 'deployment/roll', '--timeout=90s');
      expect(done.code, done.stderr).toBe(0);
      await waitFor('only b left', async () => {
        const ps = await f.pods('roll-');
        return (
          ps.length === 3 && ps.every((p) => p.spec.containers[0]?.image === 'busybox:b' && isReadyPod(p))
        );
      });
    } finally {
      watching = false;
      await watcher;
    }
    expect(minReady).toBeGreaterThanOrEqual(2);

    const undo = await f.kubectl('rollout', 'undo', 'deployment/roll');
    expect(undo.code, undo.stderr).toBe(0);
    expect((await f.kubectl('rollout', 'status', 'deployment/roll', '--timeout=90s')).code).toBe(0);
    await waitFor('back to a', async () => {
      const ps = await f.pods('roll-');
      return ps.length === 3 && ps.every((p) => p.spec.containers[0]?.image === 'busybox:a' && isReadyPod(p));
    });
    const d = await f.c.api.get<Deployment>(deployments, 'default', 'roll');
    expect(d?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    const history = await f.kubectl('rollout', 'history', 'deployment/roll');
    expect(history.stdout).toMatch(/2\s[\s\S]*3\s/);

    expect((await f.kubectl('scale', 'deployment/roll', '--replicas=5')).code).toBe(0);
    await waitFor('5 ready', async () => (await f.pods('roll-')).filter(isReadyPod).length === 5);
    const ev = await f.kubectl('get', 'events', '--field-selector', 'involvedObject.name=roll');
    expect(ev.stdout).toContain('ScalingReplicaSet');
  });

  it('leaves a pod that fits nowhere Pending with the kube-scheduler message and a FailedScheduling event', async () => {
    const huge = makePod('huge', { cpu: '100' });
    huge.metadata.uid = undefined;
    await f.c.api.create(podsR, huge);
    const pod = await waitFor('unschedulable', async () => {
      const p = await f.c.api.get<Pod>(podsR, 'default', 'huge');
      return p?.status?.conditions?.find((x) => x.type === 'PodScheduled' && x.status === 'False')
        ? p
        : undefined;
    });
    const cond = pod.status?.conditions?.find((x) => x.type === 'PodScheduled');
    expect(cond).toMatchObject({
      reason: 'Unschedulable',
      message: '0/3 nodes are available: 3 Insufficient cpu.',
    });
    const ev = await f.kubectl('get', 'events', '--field-selector', 'reason=FailedScheduling');
    expect(ev.stdout).toContain('0/3 nodes are available: 3 Insufficient cpu.');
    // Once a node with room joins, the pod is retried, bound and marked scheduled.
    await f.c.sim.add('big-node', { zone: 'zone-b', cpu: '128' });
    const placed = await waitFor('bound to the big node', async () => {
      const p = await f.c.api.get<Pod>(podsR, 'default', 'huge');
      return p?.spec.nodeName === 'big-node' && isReadyPod(p) ? p : undefined;
    });
    expect(placed.status?.conditions?.find((x) => x.type === 'PodScheduled')?.status).toBe('True');
    await f.c.api.delete(podsR, 'default', 'huge', { gracePeriodSeconds: 0 });
    await f.c.sim.remove('big-node');
  });

  it('follows kubectl rollout pause, resume and restart', async () => {
    await f.c.api.create(deployments, makeDeployment('paused', 2, 'busybox:a'));
    await waitFor(
      'available',
      async () =>
        (await f.c.api.get<Deployment>(deployments, 'default', 'paused'))?.status?.availableReplicas === 2,
    );
    expect((await f.kubectl('rollout', 'pause', 'deployment/paused')).code).toBe(0);
    expect((await f.kubectl('set', 'image', 'deployment/paused', 'c=busybox:b')).code).toBe(0);
    await waitFor('paused condition', async () => {
      const d = await f.c.api.get<Deployment>(deployments, 'default', 'paused');
      return d?.status?.conditions?.some((x) => x.type === 'Progressing' && x.reason === 'DeploymentPaused');
    });
    expect((await f.pods('paused-')).every((p) => p.spec.containers[0]?.image === 'busybox:a')).toBe(true);
    expect((await f.kubectl('rollout', 'resume', 'deployment/paused')).code).toBe(0);
    expect((await f.kubectl('rollout', 'status', 'deployment/paused', '--timeout=90s')).code).toBe(0);
    await waitFor('b after resume', async () => {
      const ps = (await f.pods('paused-')).filter((p) => !p.metadata.deletionTimestamp);
      return ps.length === 2 && ps.every((p) => p.spec.containers[0]?.image === 'busybox:b' && isReadyPod(p));
    });
    const before = new Set((await f.pods('paused-')).map((p) => p.metadata.name));
    expect((await f.kubectl('rollout', 'restart', 'deployment/paused')).code).toBe(0);
    expect((await f.kubectl('rollout', 'status', 'deployment/paused', '--timeout=90s')).code).toBe(0);
    await waitFor('all pods replaced', async () => {
      const ps = (await f.pods('paused-')).filter((p) => !p.metadata.deletionTimestamp);
      return ps.length === 2 && ps.every((p) => !before.has(p.metadata.name) && isReadyPod(p));
    });
    const d = await f.c.api.get<Deployment>(deployments, 'default', 'paused');
    expect(d?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
  });

  it('keeps the Endpoints of a Service at the ready pods matching its selector', async () => {
    await f.c.api.create(deployments, makeDeployment('svc', 2));
    await f.c.api.create(resourceTypes.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'svc', namespace: 'default' },
      spec: { selector: { app: 'svc' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    } as KubeObject);
    const ips = async () => {
      const ep = await f.c.api.get<Endpoints>(resourceTypes.endpoints, 'default', 'svc');
      return (ep?.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort();
    };
    await waitFor('two addresses', async () => (await ips()).length === 2);
    const podIps = (await f.pods('svc-')).map((p) => p.status?.podIP).sort();
    expect(await ips()).toEqual(podIps);
    const out = await f.kubectl('get', 'endpoints', 'svc');
    expect(out.stdout).toMatch(/svc\s+\S+:8080,\S+:8080/);
    expect((await f.kubectl('scale', 'deployment/svc', '--replicas=1')).code).toBe(0);
    await waitFor('one address', async () => (await ips()).length === 1);
  });
});
