import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Agent, buildAgent } from '../../src/agent/agent.js';
import { ProcessRuntime } from '../../src/agent/runtime/process-runtime.js';
import { buildServiceEnv, expandEnvRefs, servicesForPod } from '../../src/agent/service-env.js';
import { KubeClient, type Pod, resources, type Service } from '../../src/client/index.js';
import { type RunningApiServer, startApiServer } from '../support/api-server.js';
import { waitFor } from '../support/wait.js';

const svc = (namespace: string, name: string, spec: Service['spec']): Service => ({
  metadata: { name, namespace },
  spec,
});
const pod = (namespace: string, enableServiceLinks?: boolean): Pod => ({
  metadata: { name: 'p', namespace },
  spec: { containers: [], ...(enableServiceLinks === undefined ? {} : { enableServiceLinks }) },
});
const asMap = (env: { name: string; value: string }[]) =>
  Object.fromEntries(env.map((e) => [e.name, e.value]));

describe('service environment variables (pure)', () => {
  const master = svc('default', 'kubernetes', {
    clusterIP: '10.96.0.1',
    ports: [{ name: 'https', port: 443, protocol: 'TCP' }],
  });
  const web = svc('shop', 'web-front', {
    clusterIP: '10.96.4.7',
    ports: [
      { name: 'http', port: 80, protocol: 'TCP' },
      { name: 'dns-udp', port: 53, protocol: 'UDP' },
    ],
  });
  const headless = svc('shop', 'db', { clusterIP: 'None', ports: [{ port: 5432 }] });
  const other = svc('elsewhere', 'cache', { clusterIP: '10.96.9.9', ports: [{ port: 6379 }] });

  it('renders kubelet’s docker-link variables', () => {
    expect(asMap(buildServiceEnv([web]))).toEqual({
      WEB_FRONT_SERVICE_HOST: '10.96.4.7',
      WEB_FRONT_SERVICE_PORT: '80',
      WEB_FRONT_SERVICE_PORT_HTTP: '80',
      WEB_FRONT_SERVICE_PORT_DNS_UDP: '53',
      WEB_FRONT_PORT: 'tcp://10.96.4.7:80',
      WEB_FRONT_PORT_80_TCP: 'tcp://10.96.4.7:80',
      WEB_FRONT_PORT_80_TCP_PROTO: 'tcp',
      WEB_FRONT_PORT_80_TCP_PORT: '80',
      WEB_FRONT_PORT_80_TCP_ADDR: '10.96.4.7',
      WEB_FRONT_PORT_53_UDP: 'udp://10.96.4.7:53',
      WEB_FRONT_PORT_53_UDP_PROTO: 'udp',
      WEB_FRONT_PORT_53_UDP_PORT: '53',
      WEB_FRONT_PORT_53_UDP_ADDR: '10.96.4.7',
    });
  });

  it('takes the pod’s namespace (not headless ones) and always the kubernetes Service', () => {
    const names = (p: Pod) => servicesForPod(p, [web, headless, other], master).map((s) => s.metadata.name);
    expect(names(pod('shop'))).toEqual(['kubernetes', 'web-front']);
    expect(names(pod('shop', false))).toEqual(['kubernetes']);
    const squatter = svc('shop', 'kubernetes', { clusterIP: '10.96.5.5', ports: [{ port: 1 }] });
    expect(servicesForPod(pod('shop'), [squatter], master)[0]?.spec.clusterIP).toBe('10.96.0.1');
  });

  it('expands $(VAR) as kubelet: $$ is a literal $, unknown references stay', () => {
    const defined = new Map([['A', 'x']]);
    expect(expandEnvRefs('$(A)-$(B)-$$(A)-$$-$(A', defined)).toBe('x-$(B)-$(A)-$-$(A');
  });
});

describe('service environment variables in a running container', () => {
  let srv: RunningApiServer;
  let client: KubeClient;
  let runtime: ProcessRuntime;
  let agent: Agent;
  let dataDir: string;

  beforeAll(async () => {
    srv = await startApiServer({ advertiseAddress: '127.0.0.1' });
    client = new KubeClient({ server: srv.url, allowInsecureLoopback: true });
    dataDir = mkdtempSync(join(tmpdir(), `tugboat-netsvc3-env-${process.pid}-`));
    runtime = new ProcessRuntime({ dataDir });
    agent = buildAgent({
      client,
      runtime,
      identity: { name: 'netsvc3-node', hostname: 'netsvc3-node', internalIP: '127.0.0.1' },
      dataDir,
      syncIntervalMs: 200,
      nodeStatusMs: 500,
    });
    await agent.start();
  });
  afterAll(async () => {
    await agent?.stop();
    await runtime?.close();
    client?.close();
    await srv?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function envOf(name: string, links: boolean, extra: { name: string; value: string }[] = []) {
    const file = join(dataDir, `${name}.env`);
    await client.create<Pod>(resources.pods, {
      metadata: { name, namespace: 'default' },
      spec: {
        nodeName: 'netsvc3-node',
        restartPolicy: 'Never',
        enableServiceLinks: links,
        containers: [
          {
            name: 'main',
            image: 'ignored',
            command: ['sh', '-c', `env > ${file}.tmp && mv ${file}.tmp ${file}`],
            env: extra,
          },
        ],
      },
    });
    const text = await waitFor(() => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return undefined;
      }
    }, `${name} wrote its environment`);
    return Object.fromEntries(
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    ) as Record<string, string>;
  }

  it('gives a container the Services of its namespace and KUBERNETES_*, and only KUBERNETES_* without links', async () => {
    await waitFor(
      () => client.get<Service>(resources.services, 'kubernetes', 'default'),
      'kubernetes Service',
    );
    const created = await client.create<Service>(resources.services, {
      metadata: { name: 'redis-main', namespace: 'default' },
      spec: { selector: { app: 'redis' }, ports: [{ name: 'redis', port: 6379 }] },
    });
    const ip = created.spec.clusterIP!;
    const env = await envOf('with-links', true, [
      { name: 'URL', value: 'redis://$(REDIS_MAIN_SERVICE_HOST):6379' },
    ]);
    expect(env.KUBERNETES_SERVICE_HOST).toBe('10.96.0.1');
    expect(env.KUBERNETES_SERVICE_PORT).toBe('443');
    expect(env.KUBERNETES_SERVICE_PORT_HTTPS).toBe('443');
    expect(env.KUBERNETES_PORT_443_TCP).toBe('tcp://10.96.0.1:443');
    expect(env.REDIS_MAIN_SERVICE_HOST).toBe(ip);
    expect(env.REDIS_MAIN_SERVICE_PORT_REDIS).toBe('6379');
    expect(env.REDIS_MAIN_PORT_6379_TCP_ADDR).toBe(ip);
    expect(env.URL).toBe(`redis://${ip}:6379`);

    const without = await envOf('without-links', false);
    expect(without.KUBERNETES_SERVICE_HOST).toBe('10.96.0.1');
    expect(without.REDIS_MAIN_SERVICE_HOST).toBeUndefined();
  });
});
