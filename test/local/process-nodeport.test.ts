import { get } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useLocalCluster } from '../support/local-cluster.js';
import { waitFor } from '../support/wait.js';

// Issue #12: on the process runtime (pods share the host network), a Service is reached through
// its NodePort on 127.0.0.1, served by local-1's userspace proxy. A real `local up` (needs dist/:
// npm run build), a Deployment of 2 HTTP pods exposed with `kubectl expose --type NodePort`.

const local = useLocalCluster('tugboat-nodeports-', { nodes: 2, runtime: 'process', timeoutMs: 120_000 });
/** The pods' port: both bind it with SO_REUSEPORT, as pods sharing one address must. */
const podPort = 20000 + (process.pid % 5000);

/** One GET on a fresh connection; the body, or `error:<code>`. */
function ask(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve(body));
      res.on('error', (err: NodeJS.ErrnoException) => resolve(`error:${err.code}`));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(`error:${err.code ?? err.message}`));
  });
}

describe('NodePort Services on local up --runtime process', () => {
  it('answers on 127.0.0.1:<nodePort> from both pods of a Deployment', async () => {
    const kc = local.kubectl;
    const server = `require('http').createServer((q,r)=>r.end(process.env.POD_NAME)).listen({port:${podPort},host:'127.0.0.1',reusePort:true})`;
    await kc.apply(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: main
        image: node
        command: [node, -e, ${JSON.stringify(server)}]
        env:
        - name: POD_NAME
          valueFrom: {fieldRef: {fieldPath: metadata.name}}
        ports: [{name: http, containerPort: ${podPort}}]
`);
    await kc.ok('rollout', 'status', 'deployment/web', '--timeout=180s');
    await kc.ok('expose', 'deployment', 'web', '--type', 'NodePort', '--port', '80', '--target-port', 'http');
    const nodePort = Number(await kc.ok('get', 'service', 'web', '-o', 'jsonpath={.spec.ports[0].nodePort}'));
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    const pods = (await kc.ok('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}'))
      .trim()
      .split(/\s+/);
    expect(pods).toHaveLength(2);
    let seen = new Set<string>();
    await waitFor(
      async () => {
        const answers: string[] = [];
        for (let i = 0; i < 20; i++) answers.push(await ask(`http://127.0.0.1:${nodePort}/`));
        seen = new Set(answers);
        // Until the endpoints reach local-1's proxy the open port resets connections (as
        // kube-proxy rejects a Service with no endpoints), so a batch counts once all of it answers.
        return pods.every((p) => seen.has(p)) && answers.every((a) => pods.includes(a));
      },
      'answers from both pods through the node port',
      120_000,
      500,
    );
    expect([...seen].sort()).toEqual([...pods].sort());
    // Deleting the Service closes the port.
    await kc.ok('delete', 'service', 'web');
    await waitFor(
      async () => (await ask(`http://127.0.0.1:${nodePort}/`)) === 'error:ECONNREFUSED',
      'the node port closed',
      60_000,
      500,
    );
  }, 400_000);
});
