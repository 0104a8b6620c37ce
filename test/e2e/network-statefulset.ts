/**
 * The StatefulSet the network e2e runs (issue #14's acceptance): `web` in namespace `sts`, 3
 * replicas behind the headless Service `web`, one `local-path` claim per ordinal, each pod writing
 * its own file into its volume; and what the test reads back (pods, claims, files).
 */
import { expect } from 'vitest';
import { stringify } from 'yaml';
import { waitFor } from '../support/wait.js';
import { kubectlOk } from './kubectl.js';
import { webContainer } from './network-workloads.js';

/** The namespace of the StatefulSet, so its `web` does not meet the Deployment `web` in default. */
export const stsNamespace = 'sts';

/**
 * Namespace `sts`, the headless Service `web` and the StatefulSet `web` (OrderedReady, 3 replicas,
 * claim template `data` of the default class). Each pod writes `/data/<pod>.txt` once, with a
 * random token so a rewrite would show, and serves /data over HTTP on 8080.
 */
export function renderStatefulSet(): string {
  const labels = { app: 'web' };
  const objects = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: stsNamespace } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: stsNamespace },
      spec: { clusterIP: 'None', selector: labels, ports: [{ name: 'http', port: 8080 }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'web', namespace: stsNamespace },
      spec: {
        serviceName: 'web',
        replicas: 3,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                ...webContainer(
                  'f="/data/$POD_NAME.txt"; [ -f "$f" ] || echo "$POD_NAME $RANDOM$RANDOM" > "$f"; exec httpd -f -p 8080 -h /data',
                ),
                volumeMounts: [{ name: 'data', mountPath: '/data' }],
              },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '16Mi' } } },
          },
        ],
      },
    },
  ];
  return objects.map((o) => stringify(o)).join('---\n');
}

/** A pod of the set as the test compares it. */
export interface StsPod {
  name: string;
  uid: string;
  node: string;
  ip: string;
  ready: boolean;
}

/** A claim of the set: its identity and the volume it is bound to. */
export interface StsClaim {
  uid: string;
  volume: string;
  phase: string;
}

/** What the test reads of the StatefulSet through kubectl. */
export function statefulSetProbes(kubeconfig: string) {
  const ns = ['-n', stsNamespace];

  /** The set's pods that are not being deleted, by name. */
  async function pods(): Promise<Map<string, StsPod>> {
    const out = await kubectlOk(kubeconfig, ['get', 'pods', ...ns, '-l', 'app=web', '-o', 'json']);
    const items = (
      JSON.parse(out) as {
        items: {
          metadata: { name: string; uid: string; deletionTimestamp?: string };
          spec: { nodeName?: string };
          status?: { podIP?: string; conditions?: { type: string; status: string }[] };
        }[];
      }
    ).items;
    return new Map(
      items
        .filter((p) => !p.metadata.deletionTimestamp)
        .map((p) => [
          p.metadata.name,
          {
            name: p.metadata.name,
            uid: p.metadata.uid,
            node: p.spec.nodeName ?? '',
            ip: p.status?.podIP ?? '',
            ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
          },
        ]),
    );
  }

  /** The set's pods once exactly `names` exist and are Ready, else undefined. */
  async function readyPods(names: readonly string[]): Promise<Map<string, StsPod> | undefined> {
    const all = await pods();
    const ok = all.size === names.length && names.every((n) => all.get(n)?.ready && all.get(n)?.ip);
    return ok ? all : undefined;
  }

  /** Every claim of the namespace, by name. */
  async function claims(): Promise<Map<string, StsClaim>> {
    const out = await kubectlOk(kubeconfig, ['get', 'pvc', ...ns, '-o', 'json']);
    const items = (
      JSON.parse(out) as {
        items: {
          metadata: { name: string; uid: string };
          spec: { volumeName?: string };
          status?: { phase?: string };
        }[];
      }
    ).items;
    return new Map(
      items.map((c) => [
        c.metadata.name,
        { uid: c.metadata.uid, volume: c.spec.volumeName ?? '', phase: c.status?.phase ?? '' },
      ]),
    );
  }

  /** What pod `name` sees in its volume: the listing of /data and its own file. */
  async function volumeOf(name: string): Promise<{ files: string[]; content: string }> {
    const out = await kubectlOk(kubeconfig, [
      'exec',
      ...ns,
      name,
      '--',
      'sh',
      '-c',
      `ls /data; echo ---; cat /data/${name}.txt`,
    ]);
    const [listing = '', content = ''] = out.split('---\n');
    return { files: listing.split('\n').filter((l) => l.length > 0), content: content.trim() };
  }

  return { pods, readyPods, claims, volumeOf };
}

/**
 * Issue #14's StatefulSet acceptance, step by step with its assertions: the set comes up with a
 * bound claim and its own file per ordinal; pod 1 deleted comes back with its name, node, claim
 * and file; `web-1.web.sts.svc.cluster.local` resolves (through `lookup`, from another pod) to
 * its new IP; scaled to 1 and back to 3, the claims and files are the same.
 */
export async function checkStatefulSetAcceptance(
  kubeconfig: string,
  lookup: (name: string) => Promise<string[]>,
): Promise<void> {
  const sts = statefulSetProbes(kubeconfig);
  const all = ['web-0', 'web-1', 'web-2'];
  await kubectlOk(kubeconfig, ['apply', '-f', '-'], renderStatefulSet());
  const first = await waitFor(() => sts.readyPods(all), 'web-0..2 Ready', 240_000, 1_000);
  const claims = await sts.claims();
  expect([...claims.keys()].sort()).toEqual(all.map((p) => `data-${p}`));
  for (const c of claims.values()) expect(c.phase).toBe('Bound');
  // Each ordinal's volume holds its own file only.
  const files = new Map<string, string>();
  for (const pod of all) {
    const v = await sts.volumeOf(pod);
    expect(v.files, pod).toEqual([`${pod}.txt`]);
    expect(v.content, pod).toMatch(new RegExp(`^${pod} \\d+$`));
    files.set(pod, v.content);
  }
  const sameData = async (pods: readonly string[]) => {
    expect(await sts.claims()).toEqual(claims);
    for (const pod of pods) expect((await sts.volumeOf(pod)).content, pod).toBe(files.get(pod));
  };

  // Pod 1 deleted: it comes back under its name (a new pod), on its volume's node, with its claim and file.
  await kubectlOk(kubeconfig, ['delete', 'pod', '-n', stsNamespace, 'web-1', '--wait=false']);
  const again = await waitFor(
    async () => {
      const pods = await sts.readyPods(all);
      return pods && pods.get('web-1')?.uid !== first.get('web-1')?.uid ? pods : undefined;
    },
    'web-1 back and Ready',
    180_000,
    1_000,
  );
  expect(again.get('web-1')!.node).toBe(first.get('web-1')!.node);
  await sameData(all);

  // Its own DNS name through the governing headless Service, from a pod in another namespace.
  const web1 = again.get('web-1')!.ip;
  await waitFor(
    async () =>
      JSON.stringify(await lookup(`web-1.web.${stsNamespace}.svc.cluster.local`)) === JSON.stringify([web1]),
    `web-1.web.${stsNamespace}.svc.cluster.local resolving to ${web1}`,
    30_000,
    500,
  );

  // Scaled to 1 and back to 3: the claims stay (same UIDs, same volumes) and so do the files.
  await kubectlOk(kubeconfig, ['scale', 'statefulset', '-n', stsNamespace, 'web', '--replicas=1']);
  await waitFor(() => sts.readyPods(['web-0']), 'only web-0 left', 180_000, 1_000);
  expect(await sts.claims()).toEqual(claims);
  await kubectlOk(kubeconfig, ['scale', 'statefulset', '-n', stsNamespace, 'web', '--replicas=3']);
  await waitFor(() => sts.readyPods(all), 'web-0..2 Ready again', 240_000, 1_000);
  await sameData(all);
}
