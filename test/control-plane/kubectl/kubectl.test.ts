import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApiServer, startApiServer, writeKubeconfig } from '../../support/api-server.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';
import { startTestAgent, type TestAgent } from '../../support/test-agent.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: ${image}
        ports: [{containerPort: 80}]
        env: [{name: MODE, value: "a"}]
`;

const node = (port: number) => `apiVersion: v1
kind: Node
metadata:
  name: node-1
  labels: {node-role.kubernetes.io/worker: ""}
status:
  addresses: [{type: InternalIP, address: 127.0.0.1}]
  daemonEndpoints: {kubeletEndpoint: {Port: ${port}}}
  conditions: [{type: Ready, status: "True", reason: AgentReady, message: ok}]
  nodeInfo: {kubeletVersion: v1.32.0-tugboat, osImage: Debian, kernelVersion: "6.1", containerRuntimeVersion: docker://24}
`;

const boundPod = `apiVersion: v1
kind: Pod
metadata:
  name: runner
  labels: {app: runner, tier: backend}
spec:
  nodeName: node-1
  containers:
  - {name: main, image: busybox:1.36}
`;

// kubectl picks its binary by the server's minor: test the current one and an older one.
describe.each(['32', '28'])('kubectl against minor %s over TLS', (minor) => {
  let pki: TestPki;
  let agent: TestAgent;
  let srv: RunningApiServer;
  let env: NodeJS.ProcessEnv;

  const kubectl = (args: readonly string[], input?: string): Promise<Run> =>
    new Promise((resolve) => {
      const child = execFile('kubectl', [...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout, stderr });
      });
      if (input !== undefined) child.stdin?.end(input);
    });

  const ok = async (args: readonly string[], input?: string): Promise<string> => {
    const r = await kubectl(args, input);
    expect(r.stderr, `kubectl ${args.join(' ')}`).toBe('');
    expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    pki = makeTestPki();
    agent = await startTestAgent(pki);
    const proxyClient = pki.client('tugboat-apiserver', ['tugboat:apiservers']);
    srv = await startApiServer({
      tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
      minorVersion: minor,
      nodeProxy: { tls: { cert: proxyClient.cert, key: proxyClient.key, ca: pki.ca.cert } },
    });
    const kubeconfig = writeKubeconfig(pki, srv.url, pki.client('admin', ['system:masters']));
    env = { PATH: process.env.PATH, HOME: pki.dir, KUBECONFIG: kubeconfig };
  });

  afterAll(async () => {
    await srv?.stop();
    await agent?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  it('reports the server version', async () => {
    expect(await ok(['version'])).toContain(`Server Version: v1.${minor}.0`);
  });

  it('shows nodes and pods, wide, with labels and selectors', async () => {
    expect(await ok(['apply', '-f', '-'], node(agent.port))).toContain('node/node-1 created');
    const nodes = await ok(['get', 'nodes', '-o', 'wide']);
    expect(nodes).toMatch(/node-1\s+Ready\s+worker\s+\S+\s+v1\.32\.0-tugboat\s+127\.0\.0\.1/);
    await ok(['apply', '-f', '-'], boundPod);
    await ok([
      'patch',
      'pod',
      'runner',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"phase":"Running","podIP":"10.244.0.7"}}',
    ]);
    const wide = await ok(['get', 'pods', '-A', '-o', 'wide']);
    expect(wide).toMatch(/default\s+runner\s+0\/1\s+Running\s+0\s+\S+\s+10\.244\.0\.7\s+node-1/);
    expect(await ok(['get', 'pods', '--show-labels'])).toMatch(/runner.*app=runner,tier=backend/);
    expect(await ok(['get', 'pods', '-l', 'tier=backend', '-o', 'name'])).toBe('pod/runner\n');
    expect(await ok(['get', 'pods', '-l', 'tier=frontend', '-o', 'name'])).toBe('');
    const json = JSON.parse(await ok(['get', 'pod', 'runner', '-o', 'json']));
    expect(json.spec.nodeName).toBe('node-1');
    expect(await ok(['get', 'pod', 'runner', '-o', 'yaml'])).toContain('nodeName: node-1');
    expect(await ok(['get', 'pod', 'runner', '-o', 'jsonpath={.status.podIP}'])).toBe('10.244.0.7');
    const described = await ok(['describe', 'pod', 'runner']);
    expect(described).toMatch(/Name:\s+runner/);
    expect(described).toMatch(/Node:\s+node-1/);
    expect(described).toMatch(/Status:\s+Running/);
  });

  it('applies a deployment, applies a change, scales it and deletes it', async () => {
    expect(await ok(['apply', '-f', '-'], deployment('nginx:1.25'))).toContain('deployment.apps/web created');
    expect(await ok(['apply', '-f', '-'], deployment('nginx:1.26'))).toContain(
      'deployment.apps/web configured',
    );
    const image = await ok([
      'get',
      'deploy',
      'web',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image} {.metadata.generation}',
    ]);
    expect(image).toBe('nginx:1.26 2');
    expect(await ok(['scale', 'deployment', 'web', '--replicas=4'])).toContain('scaled');
    expect(await ok(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}'])).toBe('4');
    const all = await ok(['get', 'all']);
    expect(all).toContain('pod/runner');
    expect(all).toContain('deployment.apps/web');
    const file = join(pki.dir, 'web.yaml');
    writeFileSync(file, deployment('nginx:1.26'));
    expect(await ok(['delete', '-f', file])).toContain('deployment.apps "web" deleted');
    const gone = await kubectl(['get', 'deploy', 'web']);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain('NotFound');
  });

  it('removes fields dropped from the applied file (last-applied three-way merge)', async () => {
    const cm = (data: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n${data}`;
    await ok(['apply', '-f', '-'], cm('  a: "1"\n  b: "2"\n'));
    await ok(['patch', 'configmap', 'applied', '--type=merge', '-p', '{"data":{"manual":"kept"}}']);
    await ok(['apply', '-f', '-'], cm('  a: "3"\n'));
    const data = JSON.parse(await ok(['get', 'configmap', 'applied', '-o', 'jsonpath={.data}']));
    expect(data).toEqual({ a: '3', manual: 'kept' });
  });

  it('creates objects with the generators (protobuf bodies from kubectl >= 1.32, JSON before)', async () => {
    expect(await ok(['create', 'namespace', 'gen'])).toContain('namespace/gen created');
    await ok(['-n', 'gen', 'create', 'configmap', 'cfg', '--from-literal=a=b']);
    await ok(['-n', 'gen', 'create', 'secret', 'generic', 'pw', '--from-literal=password=hunter2']);
    await ok([
      '-n',
      'gen',
      'create',
      'deployment',
      'api',
      '--image=nginx:1.25',
      '--replicas=3',
      '--port=8080',
    ]);
    await ok(['-n', 'gen', 'create', 'service', 'clusterip', 'api', '--tcp=80:8080']);
    await ok(['-n', 'gen', 'create', 'job', 'once', '--image=busybox:1.36', '--', 'echo', 'hi']);
    expect(await ok(['-n', 'gen', 'get', 'cm', 'cfg', '-o', 'jsonpath={.data.a}'])).toBe('b');
    const pw = await ok(['-n', 'gen', 'get', 'secret', 'pw', '-o', 'jsonpath={.data.password}']);
    expect(Buffer.from(pw, 'base64').toString()).toBe('hunter2');
    const d = await ok([
      '-n',
      'gen',
      'get',
      'deploy',
      'api',
      '-o',
      'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].ports[0].containerPort}',
    ]);
    expect(d).toBe('3 8080');
    expect(await ok(['-n', 'gen', 'get', 'svc', 'api', '-o', 'jsonpath={.spec.ports[0].targetPort}'])).toBe(
      '8080',
    );
    expect(
      await ok([
        '-n',
        'gen',
        'get',
        'job',
        'once',
        '-o',
        'jsonpath={.spec.template.spec.containers[0].command}',
      ]),
    ).toBe('["echo","hi"]');
    expect(await ok(['delete', 'namespace', 'gen'])).toContain('deleted');
  });

  it('watches pods and sees changes', async () => {
    const child: ChildProcess = spawn('kubectl', ['get', 'pods', '-w'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    const waitFor = async (pattern: RegExp) => {
      for (let i = 0; i < 300 && !pattern.test(out); i++) await new Promise((r) => setTimeout(r, 100));
      return pattern.test(out);
    };
    try {
      expect(await waitFor(/runner/)).toBe(true);
      await ok(['run', 'watched', '--image=busybox:1.36']);
      expect(await waitFor(/watched\s+0\/1\s+Pending/)).toBe(true);
      await ok(['delete', 'pod', 'watched', '--wait=false']);
      expect(await waitFor(/watched[^\n]*\n[\s\S]*watched/)).toBe(true);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('reads logs through the agent with the API server client certificate', async () => {
    const logs = await ok(['logs', 'runner']);
    expect(logs).toBe(Array.from({ length: 5 }, (_, i) => `log line ${i + 1} of main\n`).join(''));
    expect(await ok(['logs', 'runner', '--tail=2'])).toBe('log line 4 of main\nlog line 5 of main\n');
    expect(
      agent.requests.some(
        (r) => r.startsWith('/containerLogs/default/runner/main?') && r.includes('tailLines=2'),
      ),
    ).toBe(true);
    expect(agent.callers).toContain('tugboat-apiserver');
  });

  it('executes commands over WebSocket through the agent (kubectl >= 1.30; older ones speak SPDY)', async () => {
    if (Number(minor) >= 30) {
      expect(await ok(['exec', 'runner', '--', 'echo', 'hello', 'world'])).toBe('hello world\n');
      const failed = await kubectl(['exec', 'runner', '--', 'false']);
      expect(failed.code).toBe(3);
      expect(agent.requests.some((r) => r.startsWith('/exec/default/runner/main?'))).toBe(true);
    } else {
      const spdy = await kubectl(['exec', 'runner', '--', 'echo', 'hello']);
      expect(spdy.code).not.toBe(0);
      expect(spdy.stderr).toContain('v5.channel.k8s.io');
    }
  });
});
