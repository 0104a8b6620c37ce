import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment, HorizontalPodAutoscaler, KubeClient, Pod } from '../../src/client/index.js';
import { resources } from '../../src/client/index.js';
import {
  type LocalKubectl,
  type LocalTestCluster,
  localKubectl,
  startLocalTestCluster,
} from '../support/local-cluster.js';
import { waitFor } from '../support/wait.js';

// Issue #14 acceptance: `kubectl top` tracks a busy pod, and an HPA made by `kubectl autoscale`
// scales a CPU-burning Deployment up and back down, on the real `local up` (control plane and two
// agents as processes, the process runtime; needs dist/: npm run build). The controller timing is
// shortened with the control-plane flags a user has for it, kube-controller-manager's names.

const WINDOW_SECONDS = 30;
let cluster: LocalTestCluster;
let admin: KubeClient;
/** The load switch: pods of the process runtime see the host's files, so a file turns the load on. */
let loadDir: string;

let kc: LocalKubectl;

beforeAll(async () => {
  loadDir = mkdtempSync(join(tmpdir(), 'tugboat-hpa-load-'));
  cluster = await startLocalTestCluster('tugboat-hpa-', {
    nodes: 2,
    runtime: 'process',
    timeoutMs: 120_000,
    controlPlaneFlags: [
      '--metric-resolution=5',
      '--horizontal-pod-autoscaler-sync-period=5s',
      `--horizontal-pod-autoscaler-downscale-stabilization=${WINDOW_SECONDS}s`,
    ],
  });
  admin = cluster.admin();
  kc = localKubectl(cluster.env);
}, 180_000);

afterAll(async () => {
  admin?.close();
  await cluster?.remove();
  if (loadDir) rmSync(loadDir, { recursive: true, force: true });
}, 180_000);

/** `kubectl top pods|nodes` rows as name → millicores (NaN for a node's `<unknown>`). */
async function top(kind: 'pods' | 'nodes'): Promise<Map<string, number>> {
  const out = await kc.ok('top', kind, '--no-headers');
  const rows = out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => l.trim().split(/\s+/));
  return new Map(rows.map((r) => [r[0] ?? '', Number.parseInt(r[1] ?? '', 10)]));
}
const topPods = () => top('pods');
const topNodes = () => top('nodes');

const running = async (name: string) =>
  (await admin.get<Pod>(resources.pods, name, 'default')).status?.phase === 'Running';

describe('kubectl top on local up (process runtime)', () => {
  it('shows a busy pod well above an idle one, and the busy pod within its node figures', async () => {
    await kc.ok('run', 'busy', '--image=busybox', '--restart=Never', '--', 'sh', '-c', 'while :; do :; done');
    await kc.ok('run', 'idle', '--image=busybox', '--restart=Never', '--', 'sleep', '3600');
    await waitFor(
      async () => (await running('busy')) && (await running('idle')),
      'both pods Running',
      120_000,
      500,
    );
    // The machine's two cores are shared with other suites: the busy pod gets what it can.
    const top = await waitFor(
      async () => {
        const rows = await topPods();
        return rows.has('idle') && (rows.get('busy') ?? 0) > 150 && rows;
      },
      'kubectl top pods with busy above 150m',
      120_000,
      1000,
    );
    expect(top.get('idle')).toBeLessThan(50);
    expect((top.get('busy') ?? 0) - (top.get('idle') ?? 0)).toBeGreaterThan(100);

    const busyNode = (await admin.get<Pod>(resources.pods, 'busy', 'default')).spec?.nodeName;
    expect(busyNode).toMatch(/^local-[12]$/);
    // Both agents of local up read the same host's /proc, so a node's CPU is the machine's: it
    // holds the busy pod's. Polled, since pod and node figures come from separate samples.
    const nodes = await waitFor(
      async () => {
        const [n, p] = [await topNodes(), await topPods()];
        const node = n.get(busyNode ?? '') ?? 0;
        return node >= 0.8 * (p.get('busy') ?? 0) && (p.get('busy') ?? 0) > 150 && n;
      },
      `kubectl top nodes: ${busyNode} holding the busy pod's CPU`,
      120_000,
      1000,
    );
    expect(nodes.get('local-1')).toBeGreaterThan(0);
    expect(nodes.get('local-2')).toBeGreaterThan(0);

    // A busy loop started with `kubectl exec` in the idle pod counts for that pod, as it would in a
    // container's cgroup; deleting the pod ends it (and so this kubectl).
    const exec = spawn('kubectl', ['exec', 'idle', '--', 'sh', '-c', 'while :; do :; done'], {
      env: cluster.env,
      stdio: 'ignore',
    });
    try {
      await waitFor(
        async () => ((await topPods()).get('idle') ?? 0) > 150,
        'kubectl top pods with idle above 150m from kubectl exec',
        120_000,
        1000,
      );
      await kc.ok('delete', 'pod', 'busy', 'idle', '--grace-period=0', '--force');
      await waitFor(
        () => exec.exitCode !== null || exec.signalCode !== null,
        'kubectl exec ending with its pod',
        60_000,
        500,
      );
    } finally {
      if (exec.exitCode === null && exec.signalCode === null) exec.kill();
    }
    await waitFor(
      async () => !(await topPods()).has('busy'),
      'busy gone from kubectl top pods',
      120_000,
      1000,
    );
  }, 400_000);
});

describe('HorizontalPodAutoscaler from kubectl autoscale on local up', () => {
  const deployment = (loadFile: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: busybox
        command: [sh, -c, 'while :; do if [ -e ${loadFile} ]; then i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; else sleep 1; fi; done']
        resources:
          requests: {cpu: 100m}
`;
  const hpa = () => admin.get<HorizontalPodAutoscaler>(resources.horizontalPodAutoscalers, 'web', 'default');
  const replicas = async () =>
    (await admin.get<Deployment>(resources.deployments, 'web', 'default')).spec?.replicas;
  /** Polls until the Deployment has `n` replicas and the HPA wants `n`. */
  const scaledTo = (n: number) =>
    waitFor(
      async () => {
        const h = await hpa();
        return (await replicas()) === n && h.status?.desiredReplicas === n && h;
      },
      `the HPA scaling web to ${n}`,
      300_000,
      1000,
    );
  const rescales = async () => {
    const out = await kc.ok(
      'get',
      'events',
      '--field-selector',
      'involvedObject.kind=HorizontalPodAutoscaler',
      '-o',
      'json',
    );
    return (JSON.parse(out).items as { reason: string; message: string }[])
      .filter((e) => e.reason === 'SuccessfulRescale')
      .map((e) => e.message);
  };

  it('scales up under load and back down after the shortened stabilization window', async () => {
    const loadFile = join(loadDir, 'burn');
    await kc.apply(deployment(loadFile));
    await kc.ok('rollout', 'status', 'deployment/web', '--timeout=120s');
    expect(await kc.ok('autoscale', 'deployment', 'web', '--cpu-percent=50', '--min=1', '--max=3')).toContain(
      'autoscaled',
    );

    // Idle: the autoscaler measures the pod and keeps one replica.
    const idle = await waitFor(
      async () => {
        const h = await hpa();
        const u = h.status?.currentMetrics?.[0]?.resource?.current.averageUtilization;
        return u !== undefined && h;
      },
      'the HPA measuring the idle pod',
      120_000,
      1000,
    );
    expect(idle.status?.currentMetrics?.[0]?.resource?.current.averageUtilization).toBeLessThan(50);
    expect(await replicas()).toBe(1);
    expect(idle.status?.conditions?.find((c) => c.type === 'ScalingActive')).toMatchObject({
      status: 'True',
      reason: 'ValidMetricFound',
    });

    writeFileSync(loadFile, 'on\n');
    const loadedAt = Date.now();
    const up = await scaledTo(3);
    const upMs = Date.now() - loadedAt;
    expect(up.status?.lastScaleTime).toBeDefined();
    expect(
      (await rescales()).some((m) =>
        /New size: [23]; reason: cpu resource utilization \(percentage of request\) above target/.test(m),
      ),
    ).toBe(true);
    // REPLICAS is status.currentReplicas: the count the pass started from (as upstream), so the
    // row shows 3 from the pass after the rescale on.
    await waitFor(
      async () =>
        /^web\s+Deployment\/web\s+cpu: \d+%\/50%\s+1\s+3\s+3\s/.test(
          await kc.ok('get', 'hpa', 'web', '--no-headers'),
        ),
      'kubectl get hpa showing 3 replicas',
      120_000,
      1000,
    );
    await kc.ok('rollout', 'status', 'deployment/web', '--timeout=180s');

    unlinkSync(loadFile);
    const unloadedAt = Date.now();
    await waitFor(
      async () => {
        const h = await hpa();
        const u = h.status?.currentMetrics?.[0]?.resource?.current.averageUtilization;
        return u !== undefined && u < 50;
      },
      'the HPA seeing the load gone',
      180_000,
      1000,
    );
    const down = await scaledTo(1);
    const downMs = Date.now() - unloadedAt;
    console.info(
      `hpa acceptance: 1 → 3 in ${upMs / 1000} s of load; 3 → 1 ${downMs / 1000} s after the load stopped (window ${WINDOW_SECONDS} s)`,
    );
    // The window keeps the high recommendations made while the load ran: not down before it ends.
    expect(downMs).toBeGreaterThanOrEqual(WINDOW_SECONDS * 1000);
    expect(down.status?.currentMetrics?.[0]?.resource?.current.averageUtilization).toBeLessThan(50);
    expect(await rescales()).toContain('New size: 1; reason: All metrics below target');
    await waitFor(
      async () =>
        (
          await admin.list<Pod>(resources.pods, { namespace: 'default', labelSelector: 'app=web' })
        ).items.filter((p) => !p.metadata.deletionTimestamp).length === 1,
      'web down to one pod',
      180_000,
      1000,
    );
  }, 900_000);
});
