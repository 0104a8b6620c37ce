import { describe, expect, it } from 'vitest';
import { resourceTypes } from '../../../src/control-plane/machinery/resources.js';
import type { Deployment, KubeEvent, Pod, UntypedObject } from '../../../src/kube/index.js';
import { isReadyPod, useControlCluster } from '../../support/control-cluster.js';
import { makeDeployment } from '../../support/k8s-objects.js';
import { writeRaw } from '../../support/raw-store.js';
import { waitFor } from '../../support/wait.js';

// Issue #19 finding 2: a Pod or pod template with `cpu: "1 core"`, `tolerations: {}` or node
// affinity `values: {}` made the scheduler or a controller throw and the process exit. Written
// straight into the store (as the API now refuses them), they must cost only their own
// reconciles: Events on them, retries, and everything else keeps working.

/** The three malformed pod specs of the finding, by name. */
const badSpecs: Record<string, Record<string, unknown>> = {
  'bad-cpu': {
    containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '1 core' } } }],
  },
  'bad-tolerations': { containers: [{ name: 'c', image: 'busybox' }], tolerations: {} },
  'bad-affinity': {
    containers: [{ name: 'c', image: 'busybox' }],
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: {} }] }],
        },
      },
    },
  },
};

/** The field each malformed spec gets reported at. */
const badField: Record<string, string> = {
  'bad-cpu': 'spec.containers[0].resources.requests.cpu',
  'bad-tolerations': 'spec.tolerations',
  'bad-affinity':
    'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values',
};

function rawPod(name: string, spec: Record<string, unknown>): UntypedObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { schedulerName: 'default-scheduler', ...spec },
    status: { phase: 'Pending' },
  };
}

function rawDeployment(name: string, spec: Record<string, unknown>): UntypedObject {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', generation: 1 },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: { metadata: { labels }, spec },
    },
  };
}

describe('malformed objects in the store', () => {
  const f = useControlCluster();

  async function eventsFor(name: string, reason: string): Promise<KubeEvent[]> {
    const list = await f.c.api.list<KubeEvent>(resourceTypes.events, { namespace: 'default' });
    return list.items.filter((e) => e.involvedObject.name === name && e.reason === reason);
  }

  it('pods: FailedScheduling naming the field, no crash, good pods still scheduled', async () => {
    for (const [name, spec] of Object.entries(badSpecs)) await writeRaw(f.c.server.store, rawPod(name, spec));
    await f.c.api.create(resourceTypes.deployments, makeDeployment('good-after-pods', 2));
    for (const name of Object.keys(badSpecs)) {
      const events = await waitFor(async () => {
        const found = await eventsFor(name, 'FailedScheduling');
        return found.length > 0 ? found : undefined;
      }, `FailedScheduling for ${name}`);
      expect(events[0]?.type).toBe('Warning');
      expect(events[0]?.message).toContain(badField[name]);
      const pod = await f.c.api.get<Pod>(resourceTypes.pods, 'default', name);
      expect(pod?.spec.nodeName).toBeUndefined();
    }
    await waitFor(
      async () => (await f.pods('good-after-pods')).filter(isReadyPod).length === 2,
      'good deployment ready',
    );
  });

  it('deployments with a malformed template: FailedSync on the Deployment, others reconciled', async () => {
    for (const [name, spec] of Object.entries(badSpecs))
      await writeRaw(f.c.server.store, rawDeployment(`dep-${name}`, spec));
    await f.c.api.create(resourceTypes.deployments, makeDeployment('good-after-deps', 2));
    for (const name of Object.keys(badSpecs)) {
      const events = await waitFor(async () => {
        const found = await eventsFor(`dep-${name}`, 'FailedSync');
        return found.length > 0 ? found : undefined;
      }, `FailedSync for dep-${name}`);
      // The ReplicaSet the controller tries to create is refused by validation, naming the field.
      expect(events[0]?.message).toContain(badField[name]?.replace(/^spec\./, 'spec.template.spec.'));
    }
    await waitFor(
      async () =>
        (await f.c.api.get<Deployment>(resourceTypes.deployments, 'default', 'good-after-deps'))?.status
          ?.availableReplicas === 2,
      'good deployment available',
    );
  });
});
