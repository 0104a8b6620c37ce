import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import { type CliCluster, startCliCluster } from './cli-cluster.js';
import { reportFailure, tearDown } from './e2e-teardown.js';
import { kubectl, kubectlOk, listPods } from './kubectl.js';
import { writeSingleNodeSpec } from './single-node-spec.js';

// Issue #13: a pod uses its mounted service-account token. busybox `wget` in a pod (busybox's own
// TLS: the image has no openssl) with the token as a bearer against
// https://kubernetes.default.svc, resolved by the cluster DNS and routed by the service proxy to
// the API server: 403 without a RoleBinding, 200 (the namespace's pods) with one, and 401 with the
// token of a pod that is gone, presented from a second pod. One single-node cluster
// (examples/single-node.yaml): the master runs the agent, the pods and the API server.
const cluster = 'podtoken';
const ns = 'podtoken';
const SA = '/var/run/secrets/kubernetes.io/serviceaccount';
let h: CliCluster;
let kubeconfig: string;

beforeAll(async () => {
  h = await startCliCluster(cluster, 'podtoken');
  kubeconfig = h.kubeconfig;
});

afterEach((context) => reportFailure(context.task.result?.state, h?.manager, kubeconfig));

afterAll(() => tearDown(h?.manager, h?.moto, h?.dir));

/** A busybox pod that sleeps, in `ns`, with its service-account token mounted (the default). */
function callerPod(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: 'caller' } },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'caller',
          image: 'local/busybox:latest',
          imagePullPolicy: 'Never',
          command: ['sleep', '3600'],
        },
      ],
    },
  });
}

async function startCaller(name: string): Promise<void> {
  await kubectlOk(kubeconfig, ['apply', '-f', '-'], callerPod(name));
  await waitFor(
    async () =>
      (await listPods(kubeconfig, 'app=caller', ns)).find((p) => p.name === name && p.phase === 'Running'),
    `pod ${name} Running`,
    180_000,
    1_000,
  );
}

/** What busybox wget in `pod` got: the body, its messages (stderr) and its exit code. */
interface PodCall {
  readonly body: string;
  readonly messages: string;
  readonly exit: number;
}

/**
 * `wget` of /api/v1/namespaces/<ns>/pods at https://kubernetes.default.svc from `pod`, with the
 * bearer token read from `tokenFrom` inside the pod (`-` is stdin, where `input` goes).
 */
async function listFromPod(pod: string, tokenFrom: string, input?: string): Promise<PodCall> {
  const script = [
    `t=$(cat ${tokenFrom})`,
    `wget -q -O /tmp/body --header "Authorization: Bearer $t" https://kubernetes.default.svc/api/v1/namespaces/$(cat ${SA}/namespace)/pods 2>/tmp/messages`,
    'e=$?',
    'cat /tmp/body 2>/dev/null',
    'echo "@@messages"',
    'cat /tmp/messages',
    'rm -f /tmp/body /tmp/messages',
    'echo "@@wget-exit=$e"',
  ].join('; ');
  const args = ['exec', ...(input === undefined ? [] : ['-i']), '-n', ns, pod, '--', 'sh', '-c', script];
  const out = await kubectlOk(kubeconfig, args, input);
  const m = /^([\s\S]*)@@messages\n([\s\S]*)@@wget-exit=(\d+)\s*$/.exec(out);
  expect(m, `not the script's output: ${out}`).not.toBeNull();
  return { body: m![1]!, messages: m![2]!, exit: Number(m![3]) };
}

it('tugboat create: a single-node cluster, a namespace and a busybox pod with its token mounted', async () => {
  await h.tugboat('create', '-f', writeSingleNodeSpec(h.dir, cluster), '--yes');
  await kubectlOk(kubeconfig, ['create', 'namespace', ns]);
  await waitFor(
    async () => (await kubectl(kubeconfig, ['get', 'serviceaccount', 'default', '-n', ns])).code === 0,
    'the default ServiceAccount',
    60_000,
    500,
  );
  await startCaller('first');
  const files = await kubectlOk(kubeconfig, ['exec', '-n', ns, 'first', '--', 'ls', SA]);
  expect(files.split(/\s+/).filter(Boolean).sort()).toEqual(['ca.crt', 'namespace', 'token']);
});

it('without a RoleBinding the pod gets 403 listing pods', async () => {
  const r = await listFromPod('first', `${SA}/token`);
  expect(r.messages).toContain('403 Forbidden');
  // busybox's own TLS said so: no openssl in the image took over.
  expect(r.messages).toContain('TLS certificate validation not implemented');
  expect(r.exit).not.toBe(0);
});

it('with a RoleBinding allowing list pods it gets its namespace’s pods (200)', async () => {
  await kubectlOk(kubeconfig, ['create', 'role', 'pod-lister', '-n', ns, '--verb=list', '--resource=pods']);
  await kubectlOk(kubeconfig, [
    'create',
    'rolebinding',
    'pod-lister',
    '-n',
    ns,
    '--role=pod-lister',
    `--serviceaccount=${ns}:default`,
  ]);
  const r = await waitFor(
    async () => {
      const call = await listFromPod('first', `${SA}/token`);
      return call.exit === 0 ? call : undefined;
    },
    'the pod allowed to list pods',
    60_000,
    1_000,
  );
  const list = JSON.parse(r.body) as { kind: string; items: { metadata: { name: string } }[] };
  expect(list.kind).toBe('PodList');
  expect(list.items.map((p) => p.metadata.name)).toContain('first');
});

it('the token of a deleted pod gets 401 from a second pod, whose own token still gets 200', async () => {
  const oldToken = await kubectlOk(kubeconfig, ['exec', '-n', ns, 'first', '--', 'cat', `${SA}/token`]);
  expect(oldToken.split('.')).toHaveLength(3);
  await startCaller('second');
  await kubectlOk(kubeconfig, ['delete', 'pod', 'first', '-n', ns, '--wait=true']);
  await waitFor(
    async () => (await kubectl(kubeconfig, ['get', 'pod', 'first', '-n', ns])).code !== 0,
    'pod first gone',
    120_000,
    1_000,
  );
  const stale = await listFromPod('second', '-', oldToken.trim());
  expect(stale.messages).toContain('401 Unauthorized');
  expect(stale.exit).not.toBe(0);
  const own = await listFromPod('second', `${SA}/token`);
  expect(own.exit, own.messages).toBe(0);
  expect(JSON.parse(own.body)).toMatchObject({ kind: 'PodList' });
});

it('tugboat delete --yes', async () => {
  const deleted = await h.tugboat<{ clean: boolean }>('delete', cluster, '--yes');
  expect(deleted.clean).toBe(true);
  await h.manager!.waitFor((hosts) => hosts.length === 0, 'no hosts after delete', 120_000);
  await h.manager!.stop();
  h.manager = undefined;
});
