/**
 * Readiness → rotation: how long a pod whose readiness probe starts failing stays in the Service's
 * rules, stage by stage. Real parts in one Node process: an API server on loopback (embedded store),
 * the controller manager (Endpoints and EndpointSlice controllers), an agent with the process runtime
 * running P pods (each with an exec readiness probe `test -f FILE`, periodSeconds 1,
 * failureThreshold 1) and one Service per pod, and the agent's service proxy applying its rules with
 * `iptables-restore` in a network namespace this script creates (and deletes).
 *
 * Each iteration waits a random 0–1 s, removes one pod's file (t0) and stamps: the failing probe's exit (probe), the
 * watch seeing the pod's Ready=False (status), the watch seeing its EndpointSlice endpoint
 * not ready (slice), and the end of the first `iptables-restore` whose input rejects the Service
 * (rules). Then it puts the file back and waits for the pod to be in the rules again.
 *
 * `slowListMs` makes every container list of the runtime take that long, as the Docker runtime's
 * does under load (a list, then an inspect per container): each sync pass of the agent then takes
 * at least that long. Probes run on their own workers, so they should not notice.
 *
 * `docker` as a fourth argument runs the pods on the Docker runtime instead (a private dockerd from
 * test/harness/dockerd.ts: its own bridge, no iptables changes; busybox image): the probe is
 * `test -f /tmp/ready-I` inside the container, and t0 is when the exec of `rm` of that file starts
 * (so t0 → probe includes the exec's latency).
 *
 *   npx tsx bench/readiness.ts [pods=8] [iterations=30] [slowListMs=0] [process|docker]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAgent } from '../src/agent/agent.js';
import { commandIptables, type Iptables } from '../src/agent/network/service-proxy/iptables.js';
import { ServiceProxy } from '../src/agent/network/service-proxy/service-proxy.js';
import { removeServiceRules } from '../src/agent/network/service-proxy/sync-rules.js';
import { DockerRuntime } from '../src/agent/runtime/docker-runtime.js';
import { ProcessRuntime } from '../src/agent/runtime/process-runtime.js';
import type { ExecOptions, ExecSession, Runtime } from '../src/agent/runtime/types.js';
import { KubeClient } from '../src/client/client.js';
import { runListWatch } from '../src/client/list-watch.js';
import { resources } from '../src/client/types.js';
import { startControllers } from '../src/control-plane/controllers/start.js';
import { clientControllerApi } from '../src/control-plane/machinery/client-api.js';
import type { EndpointSlice, Pod, Service } from '../src/kube/index.js';
import { startDockerd } from '../test/harness/dockerd.js';
import { startApiServer } from '../test/support/api-server.js';
import { pct } from './support/stats.js';

const [P = 8, N = 30, SLOW_LIST_MS = 0] = process.argv.slice(2, 5).map(Number);
const DOCKER = process.argv[5] === 'docker';
const netns = `readiness-bench-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'readiness-bench-'));
const file = (i: number) => (DOCKER ? `/tmp/ready-${i}` : join(dir, `ready-${i}`));
const now = () => performance.now();

/** Stamps of the current iteration (ms, performance.now()). */
let target = -1;
let stamps: Record<string, number> = {};
const stamp = (stage: string, i: number) => {
  if (i === target && stamps[stage] === undefined) stamps[stage] = now();
};

/** A runtime stamping the first failing readiness probe of the pod under test (and slowed lists). */
function stamping<R extends Runtime>(inner: R): R {
  const list = inner.list.bind(inner);
  const exec = inner.exec.bind(inner);
  inner.list = async () => {
    if (SLOW_LIST_MS > 0) await new Promise((r) => setTimeout(r, SLOW_LIST_MS));
    return list();
  };
  inner.exec = async (id: string, options: ExecOptions): Promise<ExecSession> => {
    const session = await exec(id, options);
    const [cmd, , path = ''] = options.command;
    const i = Number(path.slice(path.lastIndexOf('-') + 1));
    void session.exitCode.then((code) => {
      if (cmd === 'test' && code !== 0) stamp('probe', i);
    });
    return session;
  };
  return inner;
}

/** Runs a command in pod `i`'s container (docker: the probe's file lives inside it). */
async function inPod(i: number, command: string[]): Promise<void> {
  const c = (await runtime.list()).find((x) => x.podName === `web-${i}` && x.state === 'running');
  if (!c) throw new Error(`web-${i} has no running container`);
  const session = await runtime.exec(c.id, { command });
  session.stdout.resume();
  session.stderr.resume();
  const code = await session.exitCode;
  if (code !== 0) throw new Error(`${command.join(' ')} in web-${i} exited with ${code}`);
}
const setReady = async (i: number, on: boolean) => {
  if (!DOCKER) return on ? writeFileSync(file(i), '') : rmSync(file(i));
  await inPod(i, on ? ['touch', file(i)] : ['rm', file(i)]);
};

/** Real iptables in the bench's namespace, stamping the restore that rejects the Service under test. */
function stampingIptables(inner: Iptables): Iptables {
  return {
    save: () => inner.save(),
    async restore(input) {
      await inner.restore(input);
      if (target >= 0 && input.includes(`"default/web-${target}:http has no endpoints"`))
        stamp('rules', target);
      for (const m of input.matchAll(/"default\/web-(\d+):http -> /g)) back.add(Number(m[1]));
    },
  };
}
const back = new Set<number>();

async function until(what: string, test: () => boolean, ms = 60_000): Promise<void> {
  for (let waited = 0; !test(); waited += 20) {
    if (waited > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

execFileSync('ip', ['netns', 'add', netns]);
const api = await startApiServer();
const admin = new KubeClient({ server: api.url, allowInsecureLoopback: true });
const loops = startControllers({ api: clientControllerApi(admin), leaderElection: false });
const dockerd = DOCKER ? await startDockerd() : undefined;
const runtime: Runtime = stamping(
  dockerd
    ? new DockerRuntime({ socketPath: dockerd.socketPath })
    : new ProcessRuntime({ dataDir: join(dir, 'runtime') }),
);
const agentClient = new KubeClient({ server: api.url, allowInsecureLoopback: true });
const agent = buildAgent({
  client: agentClient,
  runtime,
  identity: { name: 'bench-node', hostname: 'bench-node', internalIP: '127.0.0.1' },
  dataDir: join(dir, 'agent'),
});
const iptables = commandIptables({ prefix: ['nsenter', `--net=/run/netns/${netns}`] });
const proxy = new ServiceProxy({
  client: agentClient,
  iptables: stampingIptables(iptables),
  nodeIPs: ['127.0.0.1'],
});
const ready = new Set<number>();
const watches = [
  runListWatch<Pod>(
    admin,
    resources.pods,
    {},
    {
      onReplace: () => {},
      onEvent: (e) => {
        const i = Number(e.object.metadata.name?.split('-')[1]);
        const r = e.object.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
        if (r) ready.add(i);
        else {
          ready.delete(i);
          if (e.object.status?.conditions) stamp('status', i);
        }
      },
    },
  ),
  runListWatch<EndpointSlice>(
    admin,
    resources.endpointSlices,
    {},
    {
      onReplace: () => {},
      onEvent: (e) => {
        const i = Number(e.object.metadata.labels?.['kubernetes.io/service-name']?.split('-')[1]);
        if ((e.object.endpoints ?? []).some((ep) => ep.conditions?.ready === false)) stamp('slice', i);
      },
    },
  ),
];

const rows: Record<string, number>[] = [];
try {
  await agent.start();
  for (let i = 0; i < P; i++) {
    if (!DOCKER) writeFileSync(file(i), '');
    await admin.create<Service>(
      resources.services,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `web-${i}`, namespace: 'default' },
        spec: { selector: { app: `web-${i}` }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
      } as Service,
      'default',
    );
    await admin.create<Pod>(
      resources.pods,
      {
        metadata: { name: `web-${i}`, namespace: 'default', labels: { app: `web-${i}` } },
        spec: {
          nodeName: 'bench-node',
          containers: [
            {
              name: 'web',
              image: dockerd?.busyboxImage ?? 'ignored',
              command: DOCKER ? ['sh', '-c', `touch ${file(i)}; exec sleep 3600`] : ['sleep', '3600'],
              ports: [{ containerPort: 8080 }],
              readinessProbe: {
                exec: { command: ['test', '-f', file(i)] },
                periodSeconds: 1,
                failureThreshold: 1,
              },
            },
          ],
        },
      } as Pod,
      'default',
    );
  }
  await proxy.start();
  // Starting P containers one pass at a time takes a while on a loaded machine (Docker above all).
  await until('every pod ready', () => ready.size === P, 60_000 + P * 5_000);
  for (let n = 0; n < N; n++) {
    const i = n % P;
    // The pod turned ready on a probe: without a random pause, t0 would always fall just after one.
    await new Promise((r) => setTimeout(r, Math.random() * 1000));
    stamps = {};
    target = i;
    // Docker: t0 is before the exec'd rm starts, so t0 → probe includes the exec (an upper bound);
    // its return can come after the whole pipeline under load.
    const t0 = now();
    await setReady(i, false);
    await until(`web-${i} out of the rules`, () => stamps.rules !== undefined);
    const row: Record<string, number> = { load: loadavg()[0] ?? 0 };
    let prev = t0;
    for (const stage of ['probe', 'status', 'slice', 'rules']) {
      const t = stamps[stage] ?? prev;
      row[stage] = t - prev;
      prev = Math.max(prev, t);
    }
    row.total = (stamps.rules ?? t0) - t0;
    row.afterProbe = (stamps.rules ?? t0) - (stamps.probe ?? t0);
    rows.push(row);
    target = -1;
    back.delete(i);
    await setReady(i, true);
    await until(`web-${i} ready and in the rules again`, () => ready.has(i) && back.has(i));
  }
} finally {
  await proxy.stop();
  await Promise.all(watches.map((w) => w.stop()));
  await agent.stop();
  await runtime.close();
  await dockerd?.stop();
  await removeServiceRules(iptables).catch(() => {});
  await loops.stop();
  agentClient.close();
  admin.close();
  await api.stop();
  execFileSync('ip', ['netns', 'delete', netns]);
  rmSync(dir, { recursive: true, force: true });
}

const col = (k: string) => rows.map((r) => r[k] ?? 0);
const loads = col('load');
console.log(
  `pods ${P} (${DOCKER ? 'docker' : 'process'} runtime), iterations ${rows.length}, container list +${SLOW_LIST_MS} ms, load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`,
);
console.log('stage (ms since the previous one)     p50     p99     max');
for (const k of ['probe', 'status', 'slice', 'rules', 'afterProbe', 'total'])
  console.log(
    `${k.padEnd(36)}${[50, 99].map((p) => pct(col(k), p).toFixed(0).padStart(8)).join('')}${Math.max(
      ...col(k),
    )
      .toFixed(0)
      .padStart(8)}`,
  );
