import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessRuntime } from '../../../src/agent/runtime/process-runtime.js';
import type { RuntimeContainer } from '../../../src/agent/runtime/types.js';
import { type AgentServer, buildAgentServer } from '../../../src/agent/server/agent-server.js';
import { buildSummaryCollector } from '../../../src/agent/stats/summary.js';
import {
  readCgroupUsage,
  readCgroupUsageOf,
  readNodeUsage,
  readProcessUsage,
  readSessionUsages,
} from '../../../src/agent/stats/usage-readers.js';
import type { Summary } from '../../../src/kube/index.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';
import { shellLaunch } from '../../support/shell-launch.js';
import { tlsCaller } from '../../support/tls-call.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('usage readers on this machine', () => {
  it('read the node from /proc and this process from its cgroup and /proc', async () => {
    const node = await readNodeUsage();
    expect(node?.cpuNanoSeconds).toBeGreaterThan(0);
    expect(node?.workingSetBytes).toBeGreaterThan(0);
    expect(node?.availableBytes).toBeGreaterThan(0);
    const cg = await readCgroupUsage(process.pid);
    expect(cg?.cpuNanoSeconds).toBeGreaterThan(0);
    expect(cg?.usageBytes).toBeGreaterThan(0);
    const own = await readProcessUsage(process.pid);
    expect(own?.workingSetBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(await readProcessUsage(2 ** 22 + 1)).toBeUndefined();
    expect(await readCgroupUsage(2 ** 22 + 1)).toBeUndefined();
  });
});

describe('session usage from a /proc tree', () => {
  const proc = mkdtempSync(join(tmpdir(), 'tugboat-metrics-proc-'));
  afterAll(() => rmSync(proc, { recursive: true, force: true }));
  /** A /proc/PID/stat line: utime, stime, cutime, cstime in ticks and rss in pages. */
  const stat = (
    pid: number,
    comm: string,
    session: number,
    cpu: [number, number, number, number],
    rss: number,
  ) => {
    mkdirSync(join(proc, String(pid)), { recursive: true });
    const f = [
      'S',
      '1',
      String(session),
      String(session),
      '0',
      '-1',
      '0',
      '0',
      '0',
      '0',
      '0',
      ...cpu.map(String),
    ];
    f.push('20', '0', '1', '0', '100', '1000', String(rss));
    writeFileSync(join(proc, String(pid), 'stat'), `${pid} (${comm}) ${f.join(' ')} 0 0\n`);
  };

  it("sums every process of a leader's session, and only those", async () => {
    stat(100, 'sh', 100, [1, 1, 2, 0], 10);
    stat(101, 'busy loop (child)', 100, [300, 50, 0, 0], 20);
    stat(102, 'grandchild', 100, [0, 0, 0, 0], 5);
    stat(200, 'other', 200, [1000, 0, 0, 0], 7);
    stat(300, 'left', 301, [500, 0, 0, 0], 7);
    mkdirSync(join(proc, 'self'), { recursive: true });
    const usages = await readSessionUsages(new Set([100, 999]), proc);
    expect([...usages.keys()]).toEqual([100]);
    expect(usages.get(100)).toEqual({
      cpuNanoSeconds: 354 * 1e7,
      usageBytes: 35 * 4096,
      workingSetBytes: 35 * 4096,
      rssBytes: 35 * 4096,
    });
    expect(await readSessionUsages(new Set(), proc)).toEqual(new Map());
    expect(await readSessionUsages(new Set([100]), join(proc, 'missing'))).toEqual(new Map());
  });
});

describe('the summary collector with fake readers', () => {
  const container = (id: string, pod: string, name: string): RuntimeContainer => ({
    id,
    podNamespace: 'ns',
    podName: pod,
    podUid: `uid-${pod}`,
    containerName: name,
    attempt: 0,
    image: 'x',
    imageId: 'x',
    state: 'running',
    pid: 1,
    startedAt: '2026-01-01T00:00:00.000Z',
  });
  it('rates CPU between samples, sums pods, skips sandboxes and drops samples of gone containers', async () => {
    let list = [container('a', 'p', 'one'), container('b', 'p', 'two'), container('s', 'p', 'POD')];
    let t = 1_000_000;
    const cpu: Record<string, number> = { a: 0, b: 0, s: 0 };
    const collector = buildSummaryCollector({
      runtime: { list: async () => list, isolated: true } as never,
      nodeName: 'n1',
      now: () => t,
      readContainer: async (c) => ({ cpuNanoSeconds: cpu[c.id]!, usageBytes: 100, workingSetBytes: 60 }),
      readNode: async () => ({
        cpuNanoSeconds: t * 1e6,
        usageBytes: 5,
        workingSetBytes: 4,
        availableBytes: 9,
      }),
    });
    const first = await collector.summary();
    expect(first.pods[0]!.containers.map((c) => c.name)).toEqual(['one', 'two']);
    expect(first.pods[0]!.cpu.usageNanoCores).toBeUndefined();
    t += 2000;
    cpu.a = 1e9; // half a core over 2 s
    cpu.b = 2e8;
    const second = await collector.summary();
    const pod = second.pods[0]!;
    expect(pod.containers.map((c) => c.cpu.usageNanoCores)).toEqual([5e8, 1e8]);
    expect(pod.cpu.usageNanoCores).toBe(6e8);
    expect(pod.memory.workingSetBytes).toBe(120);
    expect(second.node.cpu.usageNanoCores).toBe(1e9);
    expect(second.node.memory.availableBytes).toBe(9);
    expect(collector.cachedSamples()).toBe(3);
    list = [container('b', 'p', 'two')];
    await collector.summary();
    expect(collector.cachedSamples()).toBe(2);
    list = [];
    expect((await collector.summary()).pods).toEqual([]);
    expect(collector.cachedSamples()).toBe(1);
  });

  it('keeps the older sample inside the minimum window and restarts a counter that went back', async () => {
    let t = 0;
    let used = 0;
    const collector = buildSummaryCollector({
      runtime: { list: async () => [container('a', 'p', 'one')], isolated: true } as never,
      nodeName: 'n1',
      now: () => t,
      readContainer: async () => ({ cpuNanoSeconds: used, usageBytes: 1, workingSetBytes: 1 }),
      readNode: async () => ({ cpuNanoSeconds: 0, usageBytes: 1, workingSetBytes: 1 }),
    });
    await collector.summary();
    t = 1000;
    used = 1e9;
    await collector.summary();
    t = 1010; // 10 ms later: still rated against the sample at 1000 ms
    used = 1.01e9;
    expect((await collector.summary()).pods[0]!.cpu.usageNanoCores).toBe(1e9);
    t = 1500;
    used = 5; // a new container process under the same id
    expect((await collector.summary()).pods[0]!.cpu.usageNanoCores).toBeUndefined();
  });
});

describe('GET /stats/summary on the agent server with the process runtime', () => {
  let pki: TestPki;
  let dir: string;
  let runtime: ProcessRuntime;
  let server: AgentServer;
  let port: number;
  beforeAll(async () => {
    pki = makeTestPki();
    dir = mkdtempSync(join(tmpdir(), 'tugboat-metrics-summary-'));
    runtime = new ProcessRuntime({ dataDir: dir });
    const start = (pod: string, script: string) => runtime.start(shellLaunch(pod, script));
    await start('busy', 'while :; do :; done');
    await start('idle', 'exec sleep 600');
    // The loop runs in a forked subshell while the container's own process only waits.
    await start('forks', '(while :; do :; done) & wait');
    server = buildAgentServer({
      runtime,
      stats: buildSummaryCollector({ runtime, nodeName: 'metrics-node', minWindowMs: 500 }),
      tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
    });
    await new Promise<void>((r) => server.server.listen(0, '127.0.0.1', r));
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await server?.close();
    for (const c of (await runtime?.list()) ?? []) await runtime.stop(c.id, 0);
    await runtime?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(pki.dir, { recursive: true, force: true });
  });

  const call = tlsCaller(
    () => `https://127.0.0.1:${port}`,
    () => pki.ca.cert,
  );
  const get = (cn: string) => call('GET', '/stats/summary', { cert: pki.client(cn, []) });

  it('answers the API server with a Summary whose busy pod burns CPU and the idle one does not', async () => {
    expect((await get('tugboat-apiserver')).status).toBe(200);
    await sleep(1500);
    const reply = await get('tugboat-apiserver');
    expect(reply.status).toBe(200);
    const summary = reply.body as Summary;
    expect(summary.node.nodeName).toBe('metrics-node');
    expect(summary.node.cpu.usageNanoCores).toBeGreaterThan(0);
    const pod = (name: string) => summary.pods.find((p) => p.podRef.name === name)!;
    expect(pod('busy').podRef).toEqual({ name: 'busy', namespace: 'default', uid: 'uid-busy' });
    // Two busy pods share two cores with whatever else runs: each gets well above idle, not a core.
    expect(pod('busy').cpu.usageNanoCores).toBeGreaterThan(1e8);
    expect(pod('idle').cpu.usageNanoCores).toBeLessThan(5e7);
    expect(pod('idle').containers[0]!.memory.workingSetBytes).toBeGreaterThan(0);
    // Everything in the container's session counts, as it would in a cgroup.
    expect(pod('forks').cpu.usageNanoCores).toBeGreaterThan(1e8);
  });

  it('refuses other client certificates as it does for logs', async () => {
    expect((await get('someone-else')).status).toBe(403);
  });

  it('counts a busy loop started by exec in the container, and ends it with the container', async () => {
    const quiet = await runtime.start(shellLaunch('quiet', 'exec sleep 600'));
    const session = await runtime.exec(quiet.id, { command: ['sh', '-c', 'while :; do :; done'] });
    const execPid = (await runtime.list()).find((c) => c.id === quiet.id)?.execPids?.[0];
    expect(execPid).toBeGreaterThan(0);
    await get('tugboat-apiserver');
    await sleep(1500);
    const summary = (await get('tugboat-apiserver')).body as Summary;
    const pod = summary.pods.find((p) => p.podRef.name === 'quiet');
    expect(pod?.cpu.usageNanoCores).toBeGreaterThan(1e8);
    await runtime.stop(quiet.id, 1);
    // The exec'd loop ends with its container, as in a Docker container.
    expect(await session.exitCode).toBeGreaterThan(128);
    expect(await readProcessUsage(execPid ?? 0)).toBeUndefined();
  });
});

describe('cgroup files of both hierarchies', () => {
  const root = mkdtempSync(join(tmpdir(), 'tugboat-metrics-cgroup-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };

  it('reads cgroup v1 cpuacct and memory, working set without inactive file pages', async () => {
    write('cpuacct/docker/abc/cpuacct.usage', '5000000000\n');
    write('memory/docker/abc/memory.usage_in_bytes', '10485760\n');
    write(
      'memory/docker/abc/memory.stat',
      'cache 1\nrss 2\ntotal_rss 4194304\ntotal_inactive_file 2097152\n',
    );
    const membership = '12:pids:/docker/abc\n4:cpu,cpuacct:/docker/abc\n3:memory:/docker/abc\n0::/\n';
    expect(await readCgroupUsageOf(membership, root)).toEqual({
      cpuNanoSeconds: 5e9,
      usageBytes: 10485760,
      workingSetBytes: 8388608,
      rssBytes: 4194304,
    });
  });

  it('reads the cgroup v2 unified hierarchy (cpu.stat in microseconds)', async () => {
    write('system.slice/docker-abc.scope/cpu.stat', 'usage_usec 2500000\nuser_usec 2000000\n');
    write('system.slice/docker-abc.scope/memory.current', '8388608\n');
    write('system.slice/docker-abc.scope/memory.stat', 'anon 3145728\nfile 4194304\ninactive_file 1048576\n');
    expect(await readCgroupUsageOf('0::/system.slice/docker-abc.scope\n', root)).toEqual({
      cpuNanoSeconds: 2.5e9,
      usageBytes: 8388608,
      workingSetBytes: 7340032,
      rssBytes: 3145728,
    });
  });

  it('gives nothing for a cgroup whose files are gone or unreadable', async () => {
    expect(await readCgroupUsageOf('0::/gone\n', root)).toBeUndefined();
    expect(await readCgroupUsageOf('4:cpuacct:/gone\n3:memory:/gone\n', root)).toBeUndefined();
    write('bad/memory.current', 'not a number\n');
    write('bad/cpu.stat', 'usage_usec 1\n');
    expect(await readCgroupUsageOf('0::/bad\n', root)).toBeUndefined();
    expect(await readCgroupUsageOf('', root)).toBeUndefined();
  });
});
