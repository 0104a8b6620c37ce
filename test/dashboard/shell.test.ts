import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { KubeClient } from '../../src/client/client.js';
import { resources } from '../../src/client/types.js';
import { type RunningDashboard, startDashboard } from '../../src/dashboard/index.js';
import { MAX_SHELL_MESSAGE, MAX_SHELLS, type ShellNotice } from '../../src/dashboard/shell.js';
import type { KubeObject } from '../../src/kube/index.js';
import { type LocalTestCluster, startLocalTestCluster } from '../support/local-cluster.js';
import { waitFor } from '../support/wait.js';
import { dashboardRequest } from './dashboard-http.js';
import { busyboxDeployment, viewerKubeconfig } from './local-objects.js';

// The dashboard's shell relay (src/dashboard/shell.ts) against the real `tugboat local up` (one node,
// process runtime): a page socket opens `pods/exec` with stdin and a TTY as the user; keys, output,
// resize and the end travel both ways; refusals, bounds and clean-up.

let cluster: LocalTestCluster;
let admin: KubeClient;
let dashboard: RunningDashboard;
let cookie: string;
const pods: Record<string, string> = {};
const others: RunningDashboard[] = [];

async function login(d: RunningDashboard): Promise<string> {
  const res = await dashboardRequest(d.url);
  expect(res.status).toBe(303);
  return String(res.headers['set-cookie']).split(';')[0] as string;
}

/** A client of `/api/shell` as the page opens it, keeping what it is sent. */
class ShellClient {
  readonly ws: WebSocket;
  output = '';
  readonly notices: ShellNotice[] = [];
  closeCode: number | undefined;
  refused: { status: number; body: string } | undefined;

  constructor(
    d: RunningDashboard,
    query: Record<string, string>,
    headers: Record<string, string>,
    autoPong = true,
  ) {
    const origin = new URL(d.url).origin;
    this.ws = new WebSocket(`${origin.replace('http', 'ws')}/api/shell?${new URLSearchParams(query)}`, {
      headers: { origin, ...headers },
      autoPong,
    });
    this.ws.on('message', (data: Buffer, binary: boolean) => {
      if (binary) this.output += data.toString('utf8');
      else this.notices.push(JSON.parse(data.toString('utf8')) as ShellNotice);
    });
    this.ws.on('close', (code) => {
      this.closeCode = code;
    });
    this.ws.on('unexpected-response', (_r, res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      res.on('end', () => {
        this.refused = { status: res.statusCode ?? 0, body };
      });
    });
    this.ws.on('error', () => undefined);
  }

  type(text: string): void {
    this.ws.send(Buffer.from(text), { binary: true });
  }

  until<T>(check: () => T | undefined | false, what: string, ms = 30_000): Promise<T> {
    return waitFor(check, what, ms, 50);
  }

  closed(): Promise<number> {
    return this.until(() => this.closeCode, 'the socket to close');
  }
}

const open = (query: Record<string, string>, headers: Record<string, string> = {}, d = dashboard) =>
  new ShellClient(d, query, { cookie, ...headers });

beforeAll(async () => {
  cluster = await startLocalTestCluster('tugboat-shell-', {
    nodes: 1,
    runtime: 'process',
    timeoutMs: 120_000,
  });
  admin = cluster.admin();
  // A container without bash on its PATH (the process runtime runs on the host): the relay falls back to sh.
  const onlySh = join(cluster.env.HOME as string, 'only-sh');
  mkdirSync(onlySh);
  for (const tool of ['sh', 'sleep']) symlinkSync(`/bin/${tool}`, join(onlySh, tool));
  await admin.create(resources.deployments, busyboxDeployment('shell-web', ['sleep', '3600']) as never);
  await admin.create(
    resources.deployments,
    busyboxDeployment('shell-nobash', ['sleep', '3600'], [{ name: 'PATH', value: onlySh }]) as never,
  );
  for (const app of ['shell-web', 'shell-nobash']) {
    pods[app] = await waitFor(
      async () => {
        const pod = (await admin.list(resources.pods, { namespace: 'default', labelSelector: { app } }))
          .items[0] as (KubeObject & { status?: { phase?: string } }) | undefined;
        return pod?.status?.phase === 'Running' ? pod.metadata.name : undefined;
      },
      `${app} running`,
      90_000,
    );
  }
  dashboard = await startDashboard({
    kubeconfig: { env: cluster.env, home: cluster.env.HOME as string },
    context: 'tugboat-local',
  });
  cookie = await login(dashboard);
}, 240_000);

afterAll(async () => {
  for (const d of others) await d.close();
  await dashboard?.close();
  admin?.close();
  await cluster?.remove();
}, 120_000);

describe('tugboat dashboard: the shell relay against local up', () => {
  it('refuses a socket without the session, from another origin or Host, without Origin, or with bad names', async () => {
    const web = { namespace: 'default', pod: pods['shell-web'] as string, container: 'main' };
    const port = new URL(dashboard.url).port;
    const cases: [ShellClient, number, string][] = [
      [open(web, { cookie: 'tugboat_dashboard=forged' }), 401, 'no dashboard session'],
      [
        open(web, { origin: 'http://evil.example' }),
        403,
        'origin "http://evil.example" is not this dashboard',
      ],
      [open(web, { host: `evil.example:${port}` }), 403, 'is not this dashboard'],
      [open(web, { 'sec-fetch-site': 'cross-site' }), 403, 'cross-site request'],
      [open({ ...web, pod: '../nodes' }), 400, 'must be Kubernetes names'],
    ];
    const noOrigin = new WebSocket(`${new URL(dashboard.url).origin.replace('http', 'ws')}/api/shell`, {
      headers: { cookie },
    });
    const noOriginStatus = new Promise<number>((resolve) => {
      noOrigin.on('unexpected-response', (_r, res) => resolve(res.statusCode ?? 0));
      noOrigin.on('error', () => resolve(-1));
    });
    for (const [client, code, message] of cases) {
      const refused = await client.until(() => client.refused, `refusal ${code}`);
      expect(refused.status).toBe(code);
      expect(JSON.parse(refused.body)).toMatchObject({ kind: 'Status', code });
      expect(JSON.parse(refused.body).message).toContain(message);
    }
    expect(await noOriginStatus).toBe(403);
    expect(dashboard.shells.size).toBe(0);
  });

  it('runs bash with stdin: typed lines run, resize is taken, exit ends both sides with the code', async () => {
    const shell = open({ namespace: 'default', pod: pods['shell-web'] as string, container: 'main' });
    await shell.until(() => shell.notices.some((n) => 'shell' in n && n.shell === 'bash'), 'bash started');
    shell.ws.send(JSON.stringify({ resize: { cols: 120, rows: 40 } }));
    shell.type('echo hello-$((6*7)); echo to-$((1+1))-stderr >&2\n');
    await shell.until(() => shell.output.includes('hello-42'), 'the echo');
    await shell.until(() => shell.output.includes('to-2-stderr'), 'stderr on the terminal');
    shell.type('exit 3\n');
    expect(await shell.closed()).toBe(1000);
    expect(shell.notices.at(-1)).toMatchObject({ exit: { code: 3 } });
    await waitFor(() => dashboard.shells.size === 0, 'the relay to forget the shell');
  });

  it('falls back to sh when the container has no bash', async () => {
    const shell = open({ namespace: 'default', pod: pods['shell-nobash'] as string });
    await shell.until(() => shell.notices.some((n) => 'shell' in n && n.shell === 'sh'), 'sh started');
    // bash's exec opens, then ends at once with 127 (not found): the relay tries sh.
    expect(shell.notices.slice(0, 3)).toMatchObject([
      { shell: 'bash' },
      { notice: expect.stringMatching(/^bash did not start \(.*exit code 127\); trying sh$/) },
      { shell: 'sh' },
    ]);
    shell.type('echo fallback-$((2+3))\n');
    await shell.until(() => shell.output.includes('fallback-5'), 'the echo from sh');
    shell.type('exit\n');
    expect(await shell.closed()).toBe(1000);
    expect(shell.notices.at(-1)).toEqual({ exit: { code: 0 } });
  });

  it('ends the exec in the container when the page closes its socket', async () => {
    const shell = open({ namespace: 'default', pod: pods['shell-web'] as string });
    await shell.until(() => shell.notices.some((n) => 'shell' in n), 'the shell started');
    const pidFile = join(cluster.env.HOME as string, 'shell-pid');
    shell.type(`echo $$ > ${pidFile}; echo written\n`);
    await shell.until(() => shell.output.includes('written'), 'the pid written');
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(() => process.kill(pid, 0)).not.toThrow();
    shell.ws.close(1000);
    await waitFor(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 'the shell process to end');
    await waitFor(() => dashboard.shells.size === 0, 'the relay to forget the shell');
  });

  it('closes a socket that sends a malformed control message or one over the size bound', async () => {
    const bad = open({ namespace: 'default', pod: pods['shell-web'] as string });
    await bad.until(() => bad.notices.some((n) => 'shell' in n), 'the shell started');
    bad.ws.send('{"resize":{"cols":0,"rows":1e9}}');
    expect(await bad.closed()).toBe(1000);
    expect(bad.notices.at(-1)).toMatchObject({ error: expect.stringContaining('{"resize"') });
    const big = open({ namespace: 'default', pod: pods['shell-web'] as string });
    await big.until(() => big.notices.some((n) => 'shell' in n), 'the shell started');
    big.type('x'.repeat(MAX_SHELL_MESSAGE + 1));
    expect(await big.closed()).toBe(1009);
    await waitFor(() => dashboard.shells.size === 0, 'both shells forgotten');
  });

  it(`opens at most ${MAX_SHELLS} shells at once`, async () => {
    const query = { namespace: 'default', pod: pods['shell-web'] as string };
    const many = Array.from({ length: MAX_SHELLS }, () => open(query));
    for (const s of many) await s.until(() => s.notices.some((n) => 'shell' in n), 'a shell started');
    const oneMore = open(query);
    const refused = await oneMore.until(() => oneMore.refused, 'the refusal');
    expect(refused.status).toBe(429);
    for (const s of many) s.ws.close(1000);
    await waitFor(() => dashboard.shells.size === 0, 'all shells forgotten');
  });

  it('closes a shell idle past the limit, and drops a page that stops answering pings', async () => {
    const d = await startDashboard({
      kubeconfig: { env: cluster.env, home: cluster.env.HOME as string },
      context: 'tugboat-local',
      shellTimings: { idleMs: 1500, heartbeatMs: 400 },
    });
    others.push(d);
    const session = { cookie: await login(d) };
    const shell = new ShellClient(d, { namespace: 'default', pod: pods['shell-web'] as string }, session);
    await shell.until(() => shell.notices.some((n) => 'shell' in n), 'the shell started');
    expect(await shell.closed()).toBe(1000);
    expect(shell.notices.at(-1)).toMatchObject({ error: expect.stringContaining('without input or output') });
    expect(d.shells.size).toBe(0);
    // A page that went away without closing (no pong): terminated at the next ping, before idling out.
    const silent = new ShellClient(
      d,
      { namespace: 'default', pod: pods['shell-web'] as string },
      session,
      false,
    );
    await silent.until(() => silent.notices.some((n) => 'shell' in n), 'the shell started');
    expect(await silent.closed()).toBe(1006);
    expect(silent.notices.some((n) => 'error' in n)).toBe(false);
    expect(d.shells.size).toBe(0);
  });

  it('relays the API server refusing exec to a user bound to view (403)', async () => {
    const d = await startDashboard({
      kubeconfig: {
        explicit: await viewerKubeconfig(cluster, admin, 'shell-viewer'),
        env: {},
        home: cluster.env.HOME as string,
      },
    });
    others.push(d);
    const shell = new ShellClient(
      d,
      { namespace: 'default', pod: pods['shell-web'] as string },
      {
        cookie: await login(d),
      },
    );
    expect(await shell.closed()).toBe(1000);
    expect(shell.notices).toHaveLength(1);
    expect(shell.notices[0]).toMatchObject({ code: 403, error: expect.stringContaining('pods/exec') });
    expect(shell.output).toBe('');
  });
});
