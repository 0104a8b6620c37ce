import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Agent, buildAgent } from '../../src/agent/agent.js';
import { ProcessRuntime } from '../../src/agent/runtime/process-runtime.js';
import { type AgentServer, buildAgentServer } from '../../src/agent/server/agent-server.js';
import { KubeClient, type Pod, resources } from '../../src/client/index.js';
import { type RunningApiServer, startAgentFacingApiServer, writeKubeconfig } from '../support/api-server.js';
import { makeTestPki, type TestPki } from '../support/certs.js';
import { waitFor } from '../support/wait.js';

let pki: TestPki;
let srv: RunningApiServer;
let admin: KubeClient;
let nodeClient: KubeClient;
let runtime: ProcessRuntime;
let agentServer: AgentServer;
let agent: Agent;
let dataDir: string;
let podPort: number;
const children: ChildProcess[] = [];

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

const envFor = (user: string, groups: string[]) => ({
  PATH: process.env.PATH,
  HOME: pki.dir,
  KUBECONFIG: writeKubeconfig(pki, srv.url, pki.client(user, groups)),
});

const kubectl = (env: NodeJS.ProcessEnv, args: readonly string[], input?: string) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile('kubectl', [...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });

/** Starts `kubectl port-forward`, resolving once it prints "Forwarding from 127.0.0.1:PORT". */
function portForward(env: NodeJS.ProcessEnv, args: readonly string[]) {
  const child = spawn('kubectl', ['port-forward', '--address', '127.0.0.1', ...args], { env });
  children.push(child);
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const listening = new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(stdout);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`kubectl port-forward exited ${code}: ${stderr}`)));
  });
  return { child, listening, stderr: () => stderr };
}

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

// kubectl 1.30 upgrades to SPDY/3.1 directly; 1.31+ tunnel SPDY in a WebSocket first.
describe.each(['30', '32', '33'])('kubectl 1.%s', (minor) => {
  beforeAll(async () => {
    pki = makeTestPki();
    srv = await startAgentFacingApiServer(pki, { minorVersion: minor });
    admin = new KubeClient({ server: srv.url, ca: pki.ca.cert, ...pki.client('admin', ['system:masters']) });
    nodeClient = new KubeClient({
      server: srv.url,
      ca: pki.ca.cert,
      ...pki.client('node:portfwd-node', ['tugboat:nodes']),
    });
    dataDir = mkdtempSync(join(tmpdir(), `tugboat-portfwd-${process.pid}-`));
    runtime = new ProcessRuntime({ dataDir });
    agentServer = buildAgentServer({
      runtime,
      tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
    });
    await new Promise<void>((r) => agentServer.server.listen(0, '127.0.0.1', r));
    agent = buildAgent({
      client: nodeClient,
      runtime,
      identity: { name: 'portfwd-node', hostname: 'portfwd-node', internalIP: '127.0.0.1' },
      dataDir,
      port: (agentServer.server.address() as AddressInfo).port,
      syncIntervalMs: 300,
      nodeStatusMs: 300,
    });
    await agent.start();
    podPort = await freePort();
    const server = `require('http').createServer((q, s) => s.end('hello from portfwd ' + q.url)).listen(${podPort}, '127.0.0.1')`;
    await admin.create<Pod>(resources.pods, {
      metadata: { name: 'web', namespace: 'default', labels: { app: 'portfwd-web' } },
      spec: {
        nodeName: 'portfwd-node',
        containers: [
          {
            name: 'web',
            image: 'ignored',
            command: [process.execPath, '-e', server],
            ports: [{ containerPort: podPort, name: 'http' }],
          },
        ],
      },
    });
    await waitFor(async () => {
      const p = await admin.get<Pod>(resources.pods, 'web', 'default');
      return p.status?.phase === 'Running';
    }, 'web Running');
    await waitFor(
      () =>
        new Promise<boolean>((resolve) => {
          const s = net.connect(podPort, '127.0.0.1', () => resolve(s.end() && true));
          s.once('error', () => resolve(false));
        }),
      'the pod listening',
    );
  }, 60_000);

  afterAll(async () => {
    for (const c of children) await stop(c);
    await agent?.stop();
    await agentServer?.close();
    await runtime?.close();
    nodeClient?.close();
    admin?.close();
    await srv?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  it('forwards a local port to a pod through the API server and the agent', async () => {
    const env = envFor('admin', ['system:masters']);
    const pf = portForward(env, ['pod/web', `:${podPort}`]);
    const local = await pf.listening;
    for (const path of ['/one', '/two']) {
      const res = await fetch(`http://127.0.0.1:${local}${path}`);
      expect(await res.text()).toBe(`hello from portfwd ${path}`);
    }
    // Several connections at once share the one session.
    const texts = await Promise.all(
      [1, 2, 3, 4].map(async (i) => (await fetch(`http://127.0.0.1:${local}/p${i}`)).text()),
    );
    expect(texts).toEqual([1, 2, 3, 4].map((i) => `hello from portfwd /p${i}`));
    await stop(pf.child);
  }, 60_000);

  it('still relays kubectl exec through the same WebSocket bridge', async () => {
    const env = envFor('admin', ['system:masters']);
    const r = await kubectl(env, ['exec', 'web', '--', 'sh', '-c', 'echo relayed; exit 4']);
    expect(r.stdout).toBe('relayed\n');
    expect(r.code).toBe(4);
  }, 60_000);

  it('forwards to a Service: kubectl resolves it to a pod and its target port', async () => {
    const env = envFor('admin', ['system:masters']);
    await admin.create(resources.services, {
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'portfwd-web' }, ports: [{ port: 80, targetPort: 'http' }] },
    });
    const pf = portForward(env, ['svc/web', ':80']);
    const local = await pf.listening;
    expect(await (await fetch(`http://127.0.0.1:${local}/svc`)).text()).toBe('hello from portfwd /svc');
    await stop(pf.child);
  }, 60_000);

  it('reports a port nobody listens on as kubectl does: an error forwarding it', async () => {
    const env = envFor('admin', ['system:masters']);
    const closed = await freePort();
    const pf = portForward(env, ['pod/web', `:${closed}`]);
    const local = await pf.listening;
    await expect(fetch(`http://127.0.0.1:${local}/`)).rejects.toThrow();
    await waitFor(async () => pf.stderr().includes('an error occurred forwarding'), 'the error printed');
    expect(pf.stderr()).toContain(`error forwarding port ${closed} to pod web`);
    expect(pf.stderr()).toContain('ECONNREFUSED');
    await stop(pf.child);
  }, 60_000);

  it('refuses users who may read pods but not create pods/portforward with 403', async () => {
    // RBAC: mallory is bound to a Role that reads pods only.
    const role = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: default}
rules: [{apiGroups: [""], resources: [pods], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: mallory-reads, namespace: default}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects: [{kind: User, name: mallory}]
`;
    const applied = await kubectl(envFor('admin', ['system:masters']), ['apply', '-f', '-'], role);
    expect(applied.code, applied.stderr).toBe(0);
    // A node identity may get pods (the node authorizer) but not open port-forwards either.
    for (const env of [envFor('mallory', []), envFor('node:portfwd-node', ['tugboat:nodes'])]) {
      await waitFor(async () => (await kubectl(env, ['get', 'pod', 'web'])).code === 0, 'pods readable');
      const denied = await kubectl(env, ['port-forward', 'pod/web', `:${podPort}`]);
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toMatch(/forbidden|403/i);
      expect(denied.stderr).toContain('pods/portforward');
    }
  }, 60_000);
});
