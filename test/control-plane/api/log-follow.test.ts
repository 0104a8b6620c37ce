import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApiServer, startApiServer, writeKubeconfig } from '../../support/api-server.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';
import { startTestAgent, type TestAgent } from '../../support/test-agent.js';
import { waitFor } from '../../support/wait.js';

// The proxy used to drop a log stream after 30 s without output. Its connect timeout is now
// configurable and no longer applies once the agent answers: with a short one configured, a
// follow stream must outlive a much longer quiet gap.
const CONNECT_TIMEOUT_MS = 3_000;
const QUIET_GAP_MS = 7_000;
/** What the test agent writes first: five lines of container `main`. */
const FIRST = Array.from({ length: 5 }, (_, i) => `log line ${i + 1} of main\n`).join('');

const node = (name: string, port: number) => `apiVersion: v1
kind: Node
metadata: {name: ${name}}
status:
  addresses: [{type: InternalIP, address: 127.0.0.1}]
  daemonEndpoints: {kubeletEndpoint: {Port: ${port}}}
`;

const pod = (name: string, nodeName: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  nodeName: ${nodeName}
  containers:
  - {name: main, image: busybox:1.36}
`;

describe('kubectl logs -f through the API server proxy', () => {
  let pki: TestPki;
  let agent: TestAgent;
  let silent: net.Server;
  const silentSockets = new Set<net.Socket>();
  let srv: RunningApiServer;
  let env: NodeJS.ProcessEnv;
  const children: ChildProcess[] = [];

  const kubectl = (args: readonly string[], input?: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile('kubectl', [...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
        const code = (err as { code?: unknown } | null)?.code;
        resolve({ code: err ? (typeof code === 'number' ? code : 1) : 0, stdout, stderr });
      });
      if (input !== undefined) child.stdin?.end(input);
    });

  /** Starts `kubectl logs -f POD` and collects its output. */
  const follow = (podName: string) => {
    const child = spawn('kubectl', ['logs', '-f', podName], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const out = { stdout: '', stderr: '', exit: undefined as number | null | undefined };
    child.stdout.on('data', (d: Buffer) => {
      out.stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out.stderr += d.toString();
    });
    child.on('exit', (code) => {
      out.exit = code;
    });
    return { child, out };
  };

  beforeAll(async () => {
    pki = makeTestPki();
    agent = await startTestAgent(pki);
    // An "agent" that accepts connections and never says a word (no TLS, no headers).
    silent = net.createServer((socket) => {
      silentSockets.add(socket);
      socket.on('close', () => silentSockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const proxyClient = pki.client('tugboat-apiserver', ['tugboat:apiservers']);
    srv = await startApiServer({
      tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
      nodeProxy: {
        tls: { cert: proxyClient.cert, key: proxyClient.key, ca: pki.ca.cert },
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
        keepAliveMs: 1_000,
      },
    });
    env = {
      PATH: process.env.PATH,
      HOME: pki.dir,
      KUBECONFIG: writeKubeconfig(pki, srv.url, pki.client('admin', ['system:masters'])),
    };
    const silentPort = (silent.address() as AddressInfo).port;
    const manifests = [
      node('talker', agent.port),
      node('mute', silentPort),
      pod('quiet', 'talker'),
      pod('leaver', 'talker'),
      pod('stuck', 'mute'),
    ].join('---\n');
    const applied = await kubectl(['apply', '-f', '-'], manifests);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await srv?.stop();
    await agent?.stop();
    for (const s of silentSockets) s.destroy();
    await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  it('keeps following a quiet container far past the connect timeout, until the log ends', async () => {
    const { out } = follow('quiet');
    await waitFor(() => out.stdout === FIRST, 'the log so far', 60_000);
    const stream = agent.follows.at(-1);
    expect(stream).toBeDefined();
    // The quiet gap is the point of the test: nothing is written for longer than the timeout.
    await new Promise((r) => setTimeout(r, QUIET_GAP_MS));
    expect(out.exit, out.stderr).toBeUndefined();
    expect(stream?.closed).toBe(false);
    stream?.res.write('second\n');
    await waitFor(() => out.stdout === `${FIRST}second\n`, 'the line written after the gap', 60_000);
    stream?.res.end();
    await waitFor(() => out.exit !== undefined, 'kubectl to exit when the log ends', 60_000);
    expect(out.exit, out.stderr).toBe(0);
    expect(out.stdout).toBe(`${FIRST}second\n`);
  }, 180_000);

  it('closes the agent stream when the client goes away', async () => {
    const before = agent.follows.length;
    const { child, out } = follow('leaver');
    await waitFor(() => out.stdout === FIRST, 'the log so far', 60_000);
    const stream = agent.follows[before];
    expect(stream?.closed).toBe(false);
    child.kill('SIGTERM');
    await waitFor(() => stream?.closed, 'the proxied agent stream to close', 60_000);
  }, 180_000);

  it('gives up on an agent that never answers after the connect timeout', async () => {
    const r = await kubectl(['logs', '-f', 'stuck']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/cannot reach the agent of pod stuck at 127\.0\.0\.1:\d+: timed out/);
  }, 180_000);
});
