import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceTypes } from '../../../src/control-plane/controllers/resources.js';
import type {
  DaemonSet,
  Deployment,
  Endpoints,
  Job,
  KubeEvent,
  KubeObject,
  Lease,
  Node,
  Pod,
  ReplicaSet,
} from '../../../src/control-plane/controllers/types.js';
import { writeKubeconfig } from '../../support/api-server.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';
import { type ControlCluster, startControlCluster } from '../../support/control-cluster.js';
import { makeDeployment, makePod } from '../../support/k8s-objects.js';
import { waitFor } from '../../support/sim-nodes.js';

const { pods: podsR, deployments, nodes: nodesR, replicasets, daemonsets, jobs, events } = resourceTypes;

/** Node grace period of these tests: long enough that a busy machine does not miss renewals. */
const grace = 3_000;

const ready = (p: Pod) =>
  !p.metadata.deletionTimestamp &&
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

describe('scheduler and controllers against the real API server', () => {
  let pki: TestPki;
  let c: ControlCluster;

  beforeAll(async () => {
    pki = makeTestPki();
    c = await startControlCluster(pki);
    for (const [i, zone] of ['zone-a', 'zone-b', 'zone-c'].entries()) await c.sim.add(`node-${i}`, { zone });
    c.sim.start();
    kubeEnv = {
      PATH: process.env.PATH,
      HOME: pki.dir,
      KUBECONFIG: writeKubeconfig(pki, c.server.url, pki.client('admin', ['system:masters'])),
    };
    c.startLoops({
      controllers: {
        nodeMonitorPeriodMs: 200,
        garbageCollectorPeriodMs: 500,
        nodeLifecycle: { nodeMonitorGracePeriodSeconds: grace / 1000, podEvictionTimeoutSeconds: 1 },
      },
    });
  });

  let kubeEnv: NodeJS.ProcessEnv;
  const kubectl = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile('kubectl', args, { env: kubeEnv, timeout: 90_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) || 1 : 0, stdout, stderr });
      });
    });

  afterAll(async () => {
    await c?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  const pods = async (prefix: string) =>
    (await c.api.list<Pod>(podsR)).items.filter((p) => p.metadata.name?.startsWith(prefix));

  it('spreads a 3-replica Deployment over 3 zones and reports it available', async () => {
    await c.api.create(deployments, makeDeployment('web', 3));
    const d = await waitFor('web available', async () => {
      const dep = await c.api.get<Deployment>(deployments, 'default', 'web');
      return dep?.status?.availableReplicas === 3 ? dep : undefined;
    });
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    const placed = await pods('web-');
    expect(placed).toHaveLength(3);
    const nodes = (await c.api.list<Node>(nodesR)).items;
    const zoneOf = (n: string | undefined) =>
      nodes.find((x) => x.metadata.name === n)?.metadata.labels?.['topology.kubernetes.io/zone'];
    expect(new Set(placed.map((p) => zoneOf(p.spec.nodeName))).size).toBe(3);
  });

  it('rolls from image a to b within maxUnavailable, rolls back with kubectl rollout undo, scales', async () => {
    const d0 = makeDeployment('roll', 3, 'busybox:a');
    d0.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } };
    await c.api.create(deployments, d0);
    await waitFor(
      'roll available',
      async () =>
        (await c.api.get<Deployment>(deployments, 'default', 'roll'))?.status?.availableReplicas === 3,
    );
    const status = await kubectl('rollout', 'status', 'deployment/roll', '--timeout=60s');
    expect(status.stdout).toContain('deployment "roll" successfully rolled out');

    let minReady = 3;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        minReady = Math.min(minReady, (await pods('roll-').catch(() => [])).filter(ready).length);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      const set = await kubectl('set', 'image', 'deployment/roll', 'c=busybox:b');
      expect(set.code, set.stderr).toBe(0);
      const done = await kubectl('rollout', 'status', 'deployment/roll', '--timeout=90s');
      expect(done.code, done.stderr).toBe(0);
      await waitFor('only b left', async () => {
        const ps = await pods('roll-');
        return ps.length === 3 && ps.every((p) => p.spec.containers[0]?.image === 'busybox:b' && ready(p));
      });
    } finally {
      watching = false;
      await watcher;
    }
    expect(minReady).toBeGreaterThanOrEqual(2);

    const undo = await kubectl('rollout', 'undo', 'deployment/roll');
    expect(undo.code, undo.stderr).toBe(0);
    expect((await kubectl('rollout', 'status', 'deployment/roll', '--timeout=90s')).code).toBe(0);
    await waitFor('back to a', async () => {
      const ps = await pods('roll-');
      return ps.length === 3 && ps.every((p) => p.spec.containers[0]?.image === 'busybox:a' && ready(p));
    });
    const d = await c.api.get<Deployment>(deployments, 'default', 'roll');
    expect(d?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    const history = await kubectl('rollout', 'history', 'deployment/roll');
    expect(history.stdout).toMatch(/2\s[\s\S]*3\s/);

    expect((await kubectl('scale', 'deployment/roll', '--replicas=5')).code).toBe(0);
    await waitFor('5 ready', async () => (await pods('roll-')).filter(ready).length === 5);
    const ev = await kubectl('get', 'events', '--field-selector', 'involvedObject.name=roll');
    expect(ev.stdout).toContain('ScalingReplicaSet');
  });

  it('runs one daemon pod per node and follows a node joining and leaving', async () => {
    await c.api.create(daemonsets, {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: {
          metadata: { labels: { app: 'agent' } },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        },
      },
    } as DaemonSet);
    const onNodes = async () =>
      (await pods('agent-'))
        .filter((p) => !p.metadata.deletionTimestamp)
        .map((p) => p.spec.nodeName)
        .sort()
        .join(',');
    await waitFor('one per node', async () => (await onNodes()) === 'node-0,node-1,node-2');
    await c.sim.add('node-3', { zone: 'zone-a' });
    await waitFor('joined', async () => (await onNodes()) === 'node-0,node-1,node-2,node-3');
    await c.sim.remove('node-3');
    await waitFor('left', async () => (await onNodes()) === 'node-0,node-1,node-2');
    const ds = await waitFor('status', async () => {
      const x = await c.api.get<DaemonSet>(daemonsets, 'default', 'agent');
      return x?.status?.desiredNumberScheduled === 3 && x.status.numberReady === 3 ? x : undefined;
    });
    expect(ds.status).toMatchObject({
      currentNumberScheduled: 3,
      numberMisscheduled: 0,
      updatedNumberScheduled: 3,
    });
  });

  it('leaves a pod that fits nowhere Pending with the kube-scheduler message and a FailedScheduling event', async () => {
    const huge = makePod('huge', { cpu: '100' });
    huge.metadata.uid = undefined;
    await c.api.create(podsR, huge);
    const pod = await waitFor('unschedulable', async () => {
      const p = await c.api.get<Pod>(podsR, 'default', 'huge');
      return p?.status?.conditions?.find((x) => x.type === 'PodScheduled' && x.status === 'False')
        ? p
        : undefined;
    });
    const cond = pod.status?.conditions?.find((x) => x.type === 'PodScheduled');
    expect(cond).toMatchObject({
      reason: 'Unschedulable',
      message: '0/3 nodes are available: 3 Insufficient cpu.',
    });
    const ev = await kubectl('get', 'events', '--field-selector', 'reason=FailedScheduling');
    expect(ev.stdout).toContain('0/3 nodes are available: 3 Insufficient cpu.');
    // Once a node with room joins, the pod is retried, bound and marked scheduled.
    await c.sim.add('big-node', { zone: 'zone-b', cpu: '128' });
    const placed = await waitFor('bound to the big node', async () => {
      const p = await c.api.get<Pod>(podsR, 'default', 'huge');
      return p?.spec.nodeName === 'big-node' && ready(p) ? p : undefined;
    });
    expect(placed.status?.conditions?.find((x) => x.type === 'PodScheduled')?.status).toBe('True');
    await c.api.delete(podsR, 'default', 'huge', { gracePeriodSeconds: 0 });
    await c.sim.remove('big-node');
  });

  it('follows kubectl rollout pause, resume and restart', async () => {
    await c.api.create(deployments, makeDeployment('paused', 2, 'busybox:a'));
    await waitFor(
      'available',
      async () =>
        (await c.api.get<Deployment>(deployments, 'default', 'paused'))?.status?.availableReplicas === 2,
    );
    expect((await kubectl('rollout', 'pause', 'deployment/paused')).code).toBe(0);
    expect((await kubectl('set', 'image', 'deployment/paused', 'c=busybox:b')).code).toBe(0);
    await waitFor('paused condition', async () => {
      const d = await c.api.get<Deployment>(deployments, 'default', 'paused');
      return d?.status?.conditions?.some((x) => x.type === 'Progressing' && x.reason === 'DeploymentPaused');
    });
    expect((await pods('paused-')).every((p) => p.spec.containers[0]?.image === 'busybox:a')).toBe(true);
    expect((await kubectl('rollout', 'resume', 'deployment/paused')).code).toBe(0);
    expect((await kubectl('rollout', 'status', 'deployment/paused', '--timeout=90s')).code).toBe(0);
    await waitFor('b after resume', async () => {
      const ps = (await pods('paused-')).filter((p) => !p.metadata.deletionTimestamp);
      return ps.length === 2 && ps.every((p) => p.spec.containers[0]?.image === 'busybox:b' && ready(p));
    });
    const before = new Set((await pods('paused-')).map((p) => p.metadata.name));
    expect((await kubectl('rollout', 'restart', 'deployment/paused')).code).toBe(0);
    expect((await kubectl('rollout', 'status', 'deployment/paused', '--timeout=90s')).code).toBe(0);
    await waitFor('all pods replaced', async () => {
      const ps = (await pods('paused-')).filter((p) => !p.metadata.deletionTimestamp);
      return ps.length === 2 && ps.every((p) => !before.has(p.metadata.name) && ready(p));
    });
    const d = await c.api.get<Deployment>(deployments, 'default', 'paused');
    expect(d?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
  });

  it('completes a Job of 5 completions at parallelism 2, retrying failures within backoffLimit', async () => {
    let failures = 0;
    c.sim.outcome = (p) => {
      if (!p.metadata.name?.startsWith('batch-')) return 'Running';
      if (failures < 2) {
        failures++;
        return 'Failed';
      }
      return 'Succeeded';
    };
    await c.api.create(jobs, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'batch', namespace: 'default' },
      spec: {
        completions: 5,
        parallelism: 2,
        backoffLimit: 3,
        template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Never' } },
      },
    } as Job);
    const job = await waitFor('job complete', async () => {
      const j = await c.api.get<Job>(jobs, 'default', 'batch');
      return j?.status?.conditions?.some((x) => x.type === 'Complete' && x.status === 'True') ? j : undefined;
    });
    expect(job.status).toMatchObject({ succeeded: 5, failed: 2 });
    c.sim.outcome = () => 'Running';
  });

  it('fails a Job whose pods keep failing once backoffLimit is exceeded', async () => {
    c.sim.outcome = (p) => (p.metadata.name?.startsWith('doomed-') ? 'Failed' : 'Running');
    await c.api.create(jobs, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'doomed', namespace: 'default' },
      spec: {
        backoffLimit: 2,
        template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Never' } },
      },
    } as Job);
    const job = await waitFor('job failed', async () => {
      const j = await c.api.get<Job>(jobs, 'default', 'doomed');
      return j?.status?.conditions?.find((x) => x.type === 'Failed' && x.status === 'True') ? j : undefined;
    });
    expect(job.status?.conditions?.find((x) => x.type === 'Failed')?.reason).toBe('BackoffLimitExceeded');
    expect(job.status?.failed).toBe(3);
    c.sim.outcome = () => 'Running';
  });

  it('marks a node whose heartbeat stops NotReady within grace + 10% and replaces its pods elsewhere', async () => {
    await c.api.create(deployments, makeDeployment('survivor', 3));
    await waitFor(
      'survivor available',
      async () =>
        (await c.api.get<Deployment>(deployments, 'default', 'survivor'))?.status?.availableReplicas === 3,
    );
    const victim = (await pods('survivor-'))[0]!.spec.nodeName!;
    c.sim.kill(victim);
    const detectedAt = await waitFor('node unknown', async () => {
      const n = await c.api.get<Node>(nodesR, undefined, victim);
      return n?.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'Unknown'
        ? Date.now()
        : undefined;
    });
    const lease = await c.api.get<Lease>(resourceTypes.leases, 'kube-node-lease', victim);
    const lastRenew = Date.parse(lease?.spec.renewTime ?? '');
    // NotReady within grace + 10% of the last renewal (plus the 50 ms this test polls at).
    expect(detectedAt - lastRenew).toBeGreaterThanOrEqual(grace);
    expect(detectedAt - lastRenew).toBeLessThanOrEqual(grace * 1.1 + 50);
    await waitFor('replaced', async () => {
      const ps = (await pods('survivor-')).filter((p) => !p.metadata.deletionTimestamp);
      return ps.length === 3 && ps.every((p) => p.spec.nodeName !== victim && ready(p));
    });
    const ev = (await c.api.list<KubeEvent>(events)).items.map((e) => e.reason);
    expect(ev).toContain('NodeNotReady');
    expect(ev).toContain('TaintManagerEviction');
  });

  it('deletes the ReplicaSets and pods of a deleted Deployment', async () => {
    await c.api.create(deployments, makeDeployment('doomed-web', 2));
    await waitFor('pods', async () => (await pods('doomed-web-')).length === 2);
    // The API server answers 409 when the object changes during the delete (here: a status
    // update by the controllers) and asks the client to retry.
    await waitFor('delete accepted', async () => {
      await c.api.delete(deployments, 'default', 'doomed-web');
      return true;
    });
    await waitFor('cascade', async () => {
      const sets = (await c.api.list<ReplicaSet>(replicasets)).items.filter((r) =>
        r.metadata.name?.startsWith('doomed-web-'),
      );
      return sets.length === 0 && (await pods('doomed-web-')).length === 0;
    });
  });

  it('kubectl delete --cascade=foreground removes dependents before the owner; --cascade=orphan keeps them', async () => {
    await c.api.create(deployments, makeDeployment('fg', 2));
    await c.api.create(deployments, makeDeployment('orph', 2));
    await waitFor('pods', async () => (await pods('fg-')).length === 2 && (await pods('orph-')).length === 2);
    const fg = await kubectl('delete', 'deployment', 'fg', '--cascade=foreground', '--timeout=60s');
    expect(fg.code, fg.stderr).toBe(0);
    // kubectl waited for the finalizer: by now the owner is gone, and so are its dependents.
    expect(await c.api.get(deployments, 'default', 'fg')).toBeUndefined();
    const fgSets = (await c.api.list<ReplicaSet>(replicasets)).items.filter((r) =>
      r.metadata.name?.startsWith('fg-'),
    );
    expect(fgSets).toEqual([]);
    expect(await pods('fg-')).toEqual([]);
    const orph = await kubectl('delete', 'deployment', 'orph', '--cascade=orphan', '--timeout=60s');
    expect(orph.code, orph.stderr).toBe(0);
    await waitFor('orph gone', async () => (await c.api.get(deployments, 'default', 'orph')) === undefined);
    const left = (await c.api.list<ReplicaSet>(replicasets)).items.filter((r) =>
      r.metadata.name?.startsWith('orph-'),
    );
    expect(left).toHaveLength(1);
    expect(left[0]?.metadata.ownerReferences ?? []).toEqual([]);
    expect((await pods('orph-')).filter(ready)).toHaveLength(2);
  });

  it('keeps the Endpoints of a Service at the ready pods matching its selector', async () => {
    await c.api.create(deployments, makeDeployment('svc', 2));
    await c.api.create(resourceTypes.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'svc', namespace: 'default' },
      spec: { selector: { app: 'svc' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    } as KubeObject);
    const ips = async () => {
      const ep = await c.api.get<Endpoints>(resourceTypes.endpoints, 'default', 'svc');
      return (ep?.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort();
    };
    await waitFor('two addresses', async () => (await ips()).length === 2);
    const podIps = (await pods('svc-')).map((p) => p.status?.podIP).sort();
    expect(await ips()).toEqual(podIps);
    const out = await kubectl('get', 'endpoints', 'svc');
    expect(out.stdout).toMatch(/svc\s+\S+:8080,\S+:8080/);
    expect((await kubectl('scale', 'deployment/svc', '--replicas=1')).code).toBe(0);
    await waitFor('one address', async () => (await ips()).length === 1);
  });
});
