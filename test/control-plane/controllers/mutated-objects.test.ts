import { describe, expect, it } from 'vitest';
import { resourceTypes } from '../../../src/control-plane/machinery/resources.js';
import type { Deployment, UntypedObject } from '../../../src/kube/index.js';
import { useControlCluster } from '../../support/control-cluster.js';
import { makeDeployment } from '../../support/k8s-objects.js';
import { prng } from '../../support/prng.js';
import { writeRaw } from '../../support/raw-store.js';
import { waitFor } from '../../support/wait.js';

// Property (issue #19): whatever the store holds, the scheduler and controllers keep running
// and keep reconciling good objects. Randomly mutated objects of every kind they watch are
// written straight into the store (bypassing validation) while they run; a good Deployment
// must still get its pods scheduled and Ready, and still follow a scale change. Any throw that
// escapes a loop fails the run as an unhandled error. A failure names its seed.

const SEED = Number(process.env.MUTATION_SEED ?? 19_2026);
const OBJECTS = 240;

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

/** Values that break naive readers: wrong types, bad quantities, huge and negative numbers. */
function junk(r: Rand): unknown {
  return pick(r, [
    {},
    [],
    null,
    '',
    '1 core',
    '-1',
    '1e308',
    'NaN',
    -1,
    1e308,
    0.5,
    true,
    '\u00ff\u{1F600}',
    [{}],
    [null],
    { a: { b: [] } },
    [{ key: {}, operator: 7, values: {} }],
    { cpu: '1 core', memory: {} },
  ]);
}

/** Replaces or deletes a random nested field (never the identity: kind, metadata, name, namespace). */
function mutate(obj: UntypedObject, r: Rand): void {
  const top = obj as Record<string, unknown>;
  let cur = top;
  for (let depth = 0; depth < 8; depth++) {
    const keys = Object.keys(cur).filter((k) =>
      cur === top
        ? k !== 'apiVersion' && k !== 'kind'
        : !(cur === obj.metadata && (k === 'name' || k === 'namespace')),
    );
    if (keys.length === 0) return;
    const k = pick(r, keys);
    const next = cur[k];
    const container = typeof next === 'object' && next !== null;
    if (!container || (r() < 0.25 && !(cur === top && k === 'metadata'))) {
      if (r() < 0.2) delete cur[k];
      else cur[k] = junk(r);
      return;
    }
    if (Array.isArray(next)) {
      if (next.length === 0) return;
      const i = Math.floor(r() * next.length);
      const item = next[i];
      if (typeof item !== 'object' || item === null || r() < 0.3) {
        next[i] = junk(r);
        return;
      }
      cur = item as Record<string, unknown>;
    } else cur = next as Record<string, unknown>;
  }
}

/** Fields the scheduler and controllers read, where a malformed value used to crash them. */
const hotPodPaths = [
  'containers.0.resources.requests.cpu',
  'containers.0.resources.requests',
  'containers',
  'tolerations',
  'tolerations.0',
  'affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchExpressions.0.values',
  'affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms',
  'nodeSelector',
  'nodeName',
];
const hotObjectPaths = [
  'metadata.ownerReferences',
  'metadata.ownerReferences.0',
  'metadata.finalizers',
  'metadata.labels',
  'status.conditions',
  'spec.selector',
  'spec.replicas',
  'spec.taints',
  'spec.taints.0',
  'status.allocatable.cpu',
  'spec.ports',
];

/** Sets a dotted path (creating objects on the way) to `value`. */
function setPath(obj: UntypedObject, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    if (typeof next !== 'object' || next === null) cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1] as string] = value;
}

/** Breaks one field a loop reads (a pod spec's, or a template's, or an object's own). */
function mutateHot(obj: UntypedObject, r: Rand): void {
  if (r() < 0.6) {
    const prefix = obj.kind === 'Pod' ? 'spec.' : 'spec.template.spec.';
    setPath(obj, prefix + pick(r, hotPodPaths), junk(r));
  } else setPath(obj, pick(r, hotObjectPaths), junk(r));
}

const template = (app: string) => ({
  metadata: { labels: { app } },
  spec: {
    containers: [
      {
        name: 'c',
        image: 'busybox',
        resources: { requests: { cpu: '10m', memory: '1Mi' } },
        ports: [{ containerPort: 80 }],
        env: [{ name: 'A', value: 'b' }],
      },
    ],
    tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }],
    nodeSelector: { fuzz: 'yes' },
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'fuzz', operator: 'In', values: ['yes'] }] }],
        },
      },
    },
    restartPolicy: 'Always',
  },
});

/** A well-formed object of a random kind the loops watch, in the `fuzz` namespace. */
function baseObject(r: Rand, i: number): UntypedObject {
  const name = `m${i}`;
  const meta = {
    name,
    namespace: 'fuzz',
    labels: { app: name },
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', uid: `u${i}`, controller: true },
    ],
  };
  const selector = { matchLabels: { app: name } };
  switch (
    pick(r, [
      'Pod',
      'Deployment',
      'ReplicaSet',
      'DaemonSet',
      'Job',
      'Service',
      'Endpoints',
      'Node',
      'Lease',
      'PodDisruptionBudget',
    ])
  ) {
    case 'Pod':
      return {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: meta,
        spec: template(name).spec,
        status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }] },
      };
    case 'Deployment':
      return {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { ...meta, generation: 1 },
        spec: {
          replicas: 1,
          selector,
          template: template(name),
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
        },
        status: { conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }] },
      };
    case 'ReplicaSet':
      return {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: meta,
        spec: { replicas: 1, minReadySeconds: 1, selector, template: template(name) },
      };
    case 'DaemonSet':
      return {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: meta,
        spec: { selector, template: template(name), updateStrategy: { type: 'RollingUpdate' } },
      };
    case 'Job':
      return {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: meta,
        spec: {
          completions: 1,
          activeDeadlineSeconds: 30,
          template: { ...template(name), spec: { ...template(name).spec, restartPolicy: 'Never' } },
        },
        status: { startTime: new Date().toISOString() },
      };
    case 'Service':
      return {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: meta,
        spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 80 }] },
      };
    case 'Endpoints':
      return {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: meta,
        subsets: [{ addresses: [{ ip: '10.0.0.1' }] }],
      };
    case 'PodDisruptionBudget':
      return {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { ...meta, generation: 1 },
        spec: { minAvailable: '50%', selector },
        status: {
          observedGeneration: 1,
          disruptionsAllowed: 1,
          currentHealthy: 1,
          desiredHealthy: 0,
          expectedPods: 1,
          disruptedPods: { [name]: new Date().toISOString() },
          conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods' }],
        },
      };
    case 'Node':
      // Fuzz nodes carry a taint the good pods do not tolerate (re-imposed after mutation).
      return {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: `fuzz-node-${i}`, labels: { fuzz: 'yes' } },
        spec: { taints: [] },
        status: {
          allocatable: { cpu: '4', memory: '8Gi', pods: 110 },
          conditions: [{ type: 'Ready', status: 'True' }],
        },
      };
    default:
      return {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { ...meta, namespace: 'kube-node-lease', name: `fuzz-node-${i}` },
        spec: { holderIdentity: 'x', leaseDurationSeconds: 40, renewTime: new Date().toISOString() },
      };
  }
}

describe('randomly mutated objects written into the store while the loops run', () => {
  const f = useControlCluster();

  it(`keeps the loops up and a good Deployment reconciled (seed ${SEED})`, { timeout: 240_000 }, async () => {
    const namespaces = {
      group: '',
      version: 'v1',
      resource: 'namespaces',
      namespaced: false,
      kind: 'Namespace',
    };
    await f.c.api.create(namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'fuzz' },
    });
    const r = prng(SEED);
    const writes: Promise<void>[] = [];
    for (let i = 0; i < OBJECTS; i++) {
      const obj = baseObject(r, i);
      const n = 1 + Math.floor(r() * 3);
      for (let m = 0; m < n; m++) mutate(obj, r);
      if (r() < 0.6) mutateHot(obj, r);
      if (obj.kind === 'Node') {
        const spec = (typeof obj.spec === 'object' && obj.spec !== null ? obj.spec : {}) as Record<
          string,
          unknown
        >;
        const taints = Array.isArray(spec.taints) ? spec.taints : [];
        obj.spec = { ...spec, taints: [{ key: 'fuzz', effect: 'NoSchedule' }, ...taints] };
      }
      writes.push(writeRaw(f.c.server.store, obj));
      if (i % 20 === 19) {
        await Promise.all(writes.splice(0));
        await new Promise((res) => setTimeout(res, 50));
      }
    }
    await Promise.all(writes);

    await f.c.api.create(resourceTypes.deployments, makeDeployment('survivor', 3));
    const available = (n: number) => async () =>
      (await f.c.api.get<Deployment>(resourceTypes.deployments, 'default', 'survivor'))?.status
        ?.availableReplicas === n;
    await waitFor(available(3), 'survivor available with 3 replicas', 60_000);
    const d = await f.c.api.get<Deployment>(resourceTypes.deployments, 'default', 'survivor');
    expect(d).toBeDefined();
    await f.c.api.update(resourceTypes.deployments, {
      ...(d as Deployment),
      spec: { ...(d as Deployment).spec, replicas: 4 },
    });
    await waitFor(available(4), 'survivor scaled to 4', 60_000);
  });
});
