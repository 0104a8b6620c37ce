import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCluster } from '../../src/index.js';
import { type RunningApiServer, startApiServer, writeKubeconfig } from '../support/api-server.js';
import { testDefinition } from '../support/aws-template.js';
import { makeTestPki, type TestPki } from '../support/certs.js';
import { type MotoAws, startMotoAws } from '../support/moto-aws.js';
import { waitFor } from '../support/wait.js';
import { dashboardRequest } from './dashboard-http.js';

/** Runs `tugboat dashboard ARGS` from source as its own process; resolves with it and its URL. */
async function runDashboardProcess(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; url: string; stderr: () => string; exit: Promise<number | null> }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/support/cli-entry.ts', 'dashboard', ...args],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await waitFor(
    () => /http:\/\/\S+\?token=\S+/.exec(out)?.[0],
    `the URL (stderr: ${err})`,
    60_000,
  );
  return { child, url, stderr: () => err, exit };
}

// `tugboat dashboard NAME` as a user runs it: a cluster created on moto_server (no bootstrap), the
// kubeconfig context NAME pointing at a real TLS API server, the AWS side read with the user's
// (moto's) credentials and relayed on the page's event stream; Ctrl-C (SIGINT) stops it cleanly.
describe('tugboat dashboard NAME (the command, with the AWS side on moto)', () => {
  let env: MotoAws;
  let pki: TestPki;
  let api: RunningApiServer;
  let kubeconfig: string;

  beforeAll(async () => {
    env = await startMotoAws();
    await createCluster({
      aws: env.aws,
      stateRoot: env.stateRoot,
      definition: testDefinition('dashaws'),
      bootstrap: false,
      pollIntervalMs: 200,
      timeoutMs: 60_000,
    });
    pki = makeTestPki();
    api = await startApiServer({
      tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
    });
    // The context, cluster and user entries are named after the cluster, as `create` writes them.
    kubeconfig = writeKubeconfig(pki, api.url, pki.client('admin', ['system:masters']));
    writeFileSync(kubeconfig, readFileSync(kubeconfig, 'utf8').replace(/: (test|admin)$/gm, ': dashaws'));
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
    await env?.stop();
  });

  it('serves the cluster with its stack, groups, instances and EIP pool, and stops on SIGINT', async () => {
    const cmd = await runDashboardProcess(['dashaws', '--kubeconfig', kubeconfig, '--no-open'], {
      ...process.env,
      ...env.moto.env,
      TUGBOAT_STATE_DIR: env.stateRoot,
    });
    try {
      expect(cmd.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}$/);
      expect(cmd.stderr()).toContain(`dashboard of dashaws (${api.url})`);
      const login = await dashboardRequest(cmd.url);
      const cookie = String(login.headers['set-cookie']).split(';')[0] as string;
      const stream = await dashboardRequest(`${new URL(cmd.url).origin}/api/stream`, {
        headers: { cookie },
        streamMs: 4000,
      });
      const aws = stream.body
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => JSON.parse(l.slice(6)))
        .find((m) => m.r === 'aws');
      expect(aws).toMatchObject({
        t: 'STATUS',
        status: { cluster: 'dashaws', stack: { status: 'CREATE_COMPLETE' } },
      });
      expect(
        aws.status.groups.map((g: { name: string; inService: number }) => [g.name, g.inService]),
      ).toEqual([
        ['master', 1],
        ['workers', 2],
      ]);
      expect(aws.status.hosts).toHaveLength(3);
      expect(aws.status.eips).toHaveLength(2);
      expect(aws.status.hosts[0].privateIp).toMatch(/^10\./);
      const deployments = stream.body.includes('"r":"deployments","t":"REPLACE"');
      expect(deployments).toBe(true);

      // eip assign from the page, with the user's (moto's) credentials: idempotent, and every page
      // then gets the AWS side read again.
      const origin = new URL(cmd.url).origin;
      const assign = (body: unknown, type = 'application/json') =>
        dashboardRequest(`${origin}/api/eip-assign`, {
          method: 'POST',
          headers: { cookie, origin, 'content-type': type },
          body: JSON.stringify(body),
        });
      expect((await assign({ group: 'Not A Group' })).status).toBe(422);
      expect((await assign({}, 'text/plain')).status).toBe(415);
      const first = await assign({ group: 'workers' });
      expect(first.status).toBe(200);
      const workers = aws.status.hosts
        .filter((x: { group: string }) => x.group === 'workers')
        .map((x: { id: string }) => x.id)
        .sort();
      const done = JSON.parse(first.body) as {
        assigned: { instanceId: string }[];
        alreadyAssigned: string[];
      };
      expect([...done.assigned.map((a) => a.instanceId), ...done.alreadyAssigned].sort()).toEqual(workers);
      const again = JSON.parse((await assign({ group: 'workers' })).body);
      expect(again.assigned).toEqual([]);
      expect([...again.alreadyAssigned].sort()).toEqual(workers);
      // The read the action started reaches a page that connects after it (a read may be in flight).
      const eipsSeen = async () => {
        const after = await dashboardRequest(`${origin}/api/stream`, { headers: { cookie }, streamMs: 1500 });
        const m = after.body
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => JSON.parse(l.slice(6)))
          .find((x) => x.r === 'aws');
        return (m?.status?.eips ?? [])
          .map((e: { instanceId?: string }) => e.instanceId ?? '')
          .sort()
          .join(',');
      };
      await waitFor(
        async () => (await eipsSeen()) === workers.join(','),
        'the page to see both EIPs assigned',
        30_000,
      );
    } finally {
      cmd.child.kill('SIGINT');
    }
    expect(await cmd.exit).toBe(0);
  });
});
