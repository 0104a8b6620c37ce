import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parseDocument, stringify } from 'yaml';
import { renderNetworkWorkloads } from './network-workloads.js';

/** The parts of the network e2e's `web` Deployment this file changes. */
interface WebDeployment {
  kind: string;
  metadata: { name: string };
  spec: {
    replicas: number;
    template: { spec: { terminationGracePeriodSeconds?: number; containers: { lifecycle?: unknown }[] } };
  };
}

/**
 * examples/e2e.yaml as cluster `name` (one master, the blue and green workers, each group with
 * room for one more so `update` can surge), every worker group on `instanceType`; written to
 * `<dir>/<file>`. Returns the path.
 */
export function writeUpgradeSpec(dir: string, name: string, instanceType: string, file: string): string {
  const doc = parseDocument(readFileSync('examples/e2e.yaml', 'utf8'));
  doc.set('name', name);
  const groups = doc.get('workerGroups') as { items: { set(k: string, v: unknown): void }[] };
  for (const g of groups.items) g.set('instanceType', instanceType);
  const path = join(dir, file);
  writeFileSync(path, doc.toString());
  return path;
}

/**
 * What the upgrade e2e runs: the network e2e's `web` (busybox HTTP servers on 8080 answering with
 * their pod name, ready while GET /ready answers) with 3 replicas, each with a preStop sleep of
 * 2 s inside a 5 s grace period — the usual way to let every node's service proxy drop an
 * endpoint before its server stops —; a PodDisruptionBudget `web` with `minAvailable: 2`; and a
 * LoadBalancer Service `web-lb` (80 → 8080, served on every Ready node's address and on its
 * NodePort, as k3s's ServiceLB does).
 */
export function renderUpgradeWorkloads(): string {
  const web = parseAllDocuments(renderNetworkWorkloads())
    .map((d) => d.toJSON() as WebDeployment)
    .find((o) => o.kind === 'Deployment' && o.metadata.name === 'web');
  if (!web) throw new Error('renderNetworkWorkloads has no web Deployment');
  web.spec.replicas = 3;
  web.spec.template.spec.terminationGracePeriodSeconds = 5;
  for (const c of web.spec.template.spec.containers) c.lifecycle = { preStop: { sleep: { seconds: 2 } } };
  const pdb = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'web', namespace: 'default' },
    spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } },
  };
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web-lb', namespace: 'default' },
    spec: {
      type: 'LoadBalancer',
      selector: { app: 'web' },
      ports: [{ name: 'http', port: 80, targetPort: 8080 }],
    },
  };
  return [web, pdb, service].map((o) => stringify(o)).join('---\n');
}
