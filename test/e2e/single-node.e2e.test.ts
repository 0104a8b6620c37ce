import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { HostManager } from '../harness/hosts/host-manager.js';
import { run } from '../harness/hosts/shell.js';
import { type Moto, startMoto } from '../harness/moto.js';
import { runCli } from '../support/cli.js';
import { exampleText } from '../support/examples.js';
import { describeTagged } from '../support/tagged-resources.js';
import { waitFor } from '../support/wait.js';
import { reportFailure, tearDown } from './e2e-teardown.js';
import { kubectlOk, listPods } from './kubectl.js';

// A single-node cluster on AWS (examples/single-node.yaml, made reachable in the harness): no
// worker group, so the master runs the node agent too. `tugboat create` from the CLI against moto,
// the harness turning the one instance into an SSH + Docker host; the master registers as a Node
// without taints, a pod runs there, and `tugboat delete` proves nothing is left.
const cluster = 'solo';
let moto: Moto;
let manager: HostManager | undefined;
let dir: string;
let env: NodeJS.ProcessEnv;
let kubeconfig: string;
let masterId: string;

/** examples/single-node.yaml as the emulator needs it: private addresses inside the test's VPC. */
function writeSpec(): string {
  const doc = parseDocument(exampleText('single-node'));
  doc.set('name', cluster);
  doc.setIn(['network', 'vpcCidr'], '10.0.0.0/16');
  doc.setIn(['ssh', 'allowedCidrs'], ['10.0.0.0/16']);
  doc.setIn(['ssh', 'address'], 'private');
  doc.setIn(['master', 'ami'], 'ami-12c6146b');
  doc.setIn(['master', 'eip'], false);
  const file = join(dir, 'single-node.yaml');
  writeFileSync(file, doc.toString());
  return file;
}

async function tugboat<T>(...argv: string[]): Promise<T> {
  const res = await runCli(['-o', 'json', ...argv], { env, cwd: process.cwd() });
  expect(res.code, `tugboat ${argv.join(' ')}:\n${res.stderr}\n${res.stdout}`).toBe(0);
  return JSON.parse(res.stdout) as T;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tugboat-e2e-single-'));
  moto = await startMoto({ region: 'us-east-1' });
  env = { ...process.env, ...moto.env, TUGBOAT_STATE_DIR: join(dir, 'state'), HOME: dir };
  delete env.AWS_PROFILE;
  delete env.KUBECONFIG;
  manager = HostManager.start({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    cluster,
    knownHostsFile: join(dir, 'state', cluster, 'known_hosts'),
    log: (l) => process.stderr.write(`hosts: ${l}\n`),
  });
});

afterEach((context) => reportFailure(context.task.result?.state, manager, kubeconfig));

afterAll(() => tearDown(manager, moto, dir));

it('tugboat create of a spec without worker groups: one instance, the master, Ready as an untainted Node', async () => {
  const created = await tugboat<{
    bootstrapped: boolean;
    hosts: { id: string; group: string }[];
  }>('create', '-f', writeSpec(), '--yes');
  expect(created.bootstrapped).toBe(true);
  expect(created.hosts.map((h) => h.group)).toEqual(['master']);
  masterId = created.hosts[0]!.id;
  kubeconfig = join(dir, 'state', cluster, 'kubeconfig');
  const nodes = JSON.parse(await kubectlOk(kubeconfig, ['get', 'nodes', '-o', 'json'])) as {
    items: {
      metadata: { name: string };
      spec?: { taints?: unknown[] };
      status?: { conditions?: { type: string; status: string }[] };
    }[];
  };
  expect(nodes.items.map((n) => n.metadata.name)).toEqual([masterId]);
  const node = nodes.items[0]!;
  expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  expect(node.spec?.taints ?? []).toEqual([]);
});

it('a pod is scheduled on the master and runs there', async () => {
  await kubectlOk(kubeconfig, [
    'run',
    'solo',
    '--image=local/busybox:latest',
    '--image-pull-policy=Never',
    '--restart=Never',
    '--labels=app=solo',
    '--',
    'sleep',
    '3600',
  ]);
  const pod = await waitFor(
    async () => (await listPods(kubeconfig, 'app=solo')).find((p) => p.phase === 'Running'),
    'the pod Running',
    120_000,
    500,
  );
  expect(pod.node).toBe(masterId);
});

it('tugboat delete --yes leaves nothing tagged and the harness removes the host', async () => {
  const deleted = await tugboat<{ clean: boolean }>('delete', cluster, '--yes');
  expect(deleted.clean).toBe(true);
  expect(await describeTagged(moto.env, cluster)).toEqual([]);
  await manager!.waitFor((h) => h.length === 0, 'no hosts after delete', 120_000);
  await manager!.stop();
  manager = undefined;
  expect(run('ip', ['netns', 'list']).trim()).toBe('');
});
