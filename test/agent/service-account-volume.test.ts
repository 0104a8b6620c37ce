import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Agent, buildAgent } from '../../src/agent/agent.js';
import { ProcessRuntime } from '../../src/agent/runtime/process-runtime.js';
import { podDir } from '../../src/agent/volumes.js';
import { KubeClient, type Pod, resources } from '../../src/client/index.js';
import { loadServiceAccountKeys } from '../../src/control-plane/serviceaccounts/keys.js';
import { generateServiceAccountKeyPem } from '../../src/pki/service-account-key.js';
import { type RunningApiServer, startApiServer } from '../support/api-server.js';
import { makeTestPki, type TestPki } from '../support/certs.js';
import { waitFor } from '../support/wait.js';

// The agent (process runtime, its own node certificate, so the node authorizer and NodeRestriction
// apply) against the real API server with service-account tokens on.
const NODE = 'satoken-agent-node';
let pki: TestPki;
let srv: RunningApiServer;
let admin: KubeClient;
let agentClient: KubeClient;
let runtime: ProcessRuntime;
let agent: Agent;
let dataDir: string;
let agentClockOffset = 0;

beforeAll(async () => {
  pki = makeTestPki();
  const keys = loadServiceAccountKeys({ pem: generateServiceAccountKeyPem(), source: 'test' });
  srv = await startApiServer({
    tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
    serviceAccounts: { keys, issuer: 'https://kubernetes.default.svc.cluster.local', rootCa: pki.ca.cert },
  });
  const adminCert = pki.client('admin', ['system:masters']);
  admin = new KubeClient({ server: srv.url, ca: pki.ca.cert, cert: adminCert.cert, key: adminCert.key });
  const nodeCert = pki.client(`node:${NODE}`, ['tugboat:nodes']);
  agentClient = new KubeClient({ server: srv.url, ca: pki.ca.cert, cert: nodeCert.cert, key: nodeCert.key });
  dataDir = mkdtempSync(join(tmpdir(), `tugboat-satoken-agent-${process.pid}-`));
  runtime = new ProcessRuntime({ dataDir });
  agent = buildAgent({
    client: agentClient,
    runtime,
    identity: { name: NODE, hostname: NODE, internalIP: '127.0.0.1' },
    dataDir,
    syncIntervalMs: 200,
    nodeStatusMs: 1000,
    now: () => Date.now() + agentClockOffset,
  });
  await agent.start();
});

afterAll(async () => {
  await agent?.stop();
  await runtime?.close();
  agentClient?.close();
  admin?.close();
  await srv?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

it('writes the pod-bound token, ca.crt and namespace, and refreshes the token at 80% of its lifetime', async () => {
  const created = await admin.create<Pod>(
    resources.pods,
    {
      metadata: { name: 'uses-api', namespace: 'default' },
      spec: { nodeName: NODE, containers: [{ name: 'main', image: 'ignored', command: ['sleep', '60'] }] },
    },
    'default',
  );
  const volume = created.spec.volumes?.find((v) => v.name.startsWith('kube-api-access-'));
  expect(volume?.projected).toBeDefined();
  const dir = join(podDir(dataDir, created.metadata.uid!), 'volumes', volume!.name);
  const token = await waitFor(() => {
    try {
      return readFileSync(join(dir, 'token'), 'utf8');
    } catch {
      return undefined;
    }
  }, 'token file');
  expect(readFileSync(join(dir, 'ca.crt'), 'utf8')).toBe(pki.ca.cert);
  expect(readFileSync(join(dir, 'namespace'), 'utf8')).toBe('default');
  for (const f of ['token', 'ca.crt', 'namespace']) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o644);
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
  expect(claims.exp - claims.iat).toBe(3607);
  expect(claims['kubernetes.io'].pod).toEqual({ name: 'uses-api', uid: created.metadata.uid });
  expect(claims['kubernetes.io'].node.name).toBe(NODE);

  // The token works as the pod's service account.
  const asPod = new KubeClient({ server: srv.url, ca: pki.ca.cert, token });
  try {
    const review = await asPod.create(resources.selfSubjectReviews, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
      metadata: {},
    });
    expect(
      (review as unknown as { status: { userInfo: { username: string } } }).status.userInfo.username,
    ).toBe('system:serviceaccount:default:default');
  } finally {
    asPod.close();
  }

  // 80% of 3607 s later (on the agent's clock) a new token replaces the file.
  agentClockOffset = 2_900_000;
  const renewed = await waitFor(() => {
    const now = readFileSync(join(dir, 'token'), 'utf8');
    return now !== token && now;
  }, 'refreshed token');
  expect(JSON.parse(Buffer.from(renewed.split('.')[1]!, 'base64url').toString()).jti).not.toBe(claims.jti);
});
