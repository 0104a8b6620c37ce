import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Node, resources } from '../../src/client/index.js';
import type { KubeObject } from '../../src/kube/index.js';
import { loadCa } from '../../src/pki/index.js';
import { freePort, type StartedProcess, startProcess } from '../harness/process.js';
import { createBootstrapToken } from '../support/bootstrap-token.js';
import { makeTestPki, type TestPki } from '../support/certs.js';
import { runCli } from '../support/cli.js';
import { type ControlCluster, startControlCluster } from '../support/control-cluster.js';

// `tugboat agent --bootstrap-token-file` as its own process against a real API server with the
// CSR approver and signer: the node joins with a certificate it asked for itself.
describe('agent --bootstrap-token-file', () => {
  const node = 'i-0b00740e4a9e11';
  /** A node that joins while its configured master is down. */
  const movedNode = 'i-0b00740e4a9e13';
  let pki: TestPki;
  let c: ControlCluster;
  let tokenFile: string;
  const certFile = () => join(pki.dir, 'bw-node', 'node.crt');
  const keyFile = () => join(pki.dir, 'bw-node', 'node.key');

  beforeAll(async () => {
    pki = makeTestPki();
    c = await startControlCluster(pki);
    const token = await createBootstrapToken(c.api, 'bwagnt');
    tokenFile = join(pki.dir, 'bootstrap-token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    c.startLoops({
      certificates: {
        ca: loadCa(pki.ca.cert, pki.ca.key),
        verifier: {
          isRunningNode: async (n) => n === node || n === movedNode,
          instanceState: async () => 'unknown',
        },
      },
    });
  });
  afterAll(async () => {
    await c?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  const csrCount = async () =>
    (await c.api.list<KubeObject>(resources.certificateSigningRequests)).items.length;

  /** `tugboat agent` with TLS bootstrap files, a node name and the process runtime. */
  const agentArgs = (
    cert: string,
    key: string,
    token: string,
    name: string,
    server = c.server.url,
  ): string[] => [
    'agent',
    '--server',
    server,
    '--ca-file',
    join(pki.dir, 'ca.crt'),
    '--cert-file',
    cert,
    '--key-file',
    key,
    '--bootstrap-token-file',
    token,
    '--node-name',
    name,
    '--imds',
    'off',
    '--runtime',
    'process',
  ];

  /** Starts the agent; ready once it registered its Node again (which it does only with a certificate). */
  async function runAgent(
    name = node,
    server = c.server.url,
    cert = certFile(),
    key = keyFile(),
  ): Promise<StartedProcess> {
    await c.api.delete(resources.nodes, undefined, name).catch(() => undefined);
    return startProcess(
      process.execPath,
      [
        '--import',
        'tsx',
        'test/support/cli-entry.ts',
        ...agentArgs(cert, key, tokenFile, name, server),
        '--listen',
        '127.0.0.1:0',
        '--data-dir',
        join(pki.dir, `bw-data-${name}`),
      ],
      {
        ready: async () => {
          const got = await c.api.get<Node>(resources.nodes, undefined, name).catch(() => undefined);
          return Boolean(got);
        },
        timeoutMs: 60_000,
      },
    );
  }

  it('asks for its certificate with the token, writes it 0600 and registers as system:node:<name>', async () => {
    writeFileSync(join(pki.dir, 'ca.crt'), pki.ca.cert);
    const agent = await runAgent();
    try {
      const cert = new X509Certificate(readFileSync(certFile()));
      expect(cert.subject).toContain(`CN=system:node:${node}`);
      expect(cert.subject).toContain('O=system:nodes');
      expect(statSync(certFile()).mode & 0o777).toBe(0o600);
      expect(statSync(keyFile()).mode & 0o777).toBe(0o600);
      expect(await csrCount()).toBe(1);
      // The token is a secret: it is neither on the agent's command line nor in its output.
      expect(readFileSync(`/proc/${agent.pid}/cmdline`, 'utf8')).not.toContain('0123456789abcdef');
      expect(agent.output()).not.toContain('0123456789abcdef');
      expect(agent.output()).toContain('requesting a client certificate for system:node:');
    } finally {
      await agent.stop();
    }
  });

  it('keeps a usable certificate on restart and asks again for a half-written one', async () => {
    const first = readFileSync(certFile(), 'utf8');
    await (await runAgent()).stop();
    expect(await csrCount()).toBe(1);
    expect(readFileSync(certFile(), 'utf8')).toBe(first);

    // A crash while writing: the certificate cut short.
    writeFileSync(certFile(), first.slice(0, 200), { mode: 0o600 });
    const agent = await runAgent();
    try {
      expect(await csrCount()).toBe(2);
      const again = new X509Certificate(readFileSync(certFile()));
      expect(again.subject).toContain(`CN=system:node:${node}`);
      expect(again.toString()).not.toBe(new X509Certificate(first).toString());
    } finally {
      await agent.stop();
    }
  });

  it('joins through the masters saved in api-servers.json when its configured server is down', async () => {
    // A restarted node whose installed master was replaced: only the list it followed knows the cluster.
    const dataDir = join(pki.dir, `bw-data-${movedNode}`);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dataDir, 'api-servers.json'), JSON.stringify({ servers: [c.server.url] }));
    const cert = join(pki.dir, 'bw-moved', 'node.crt');
    const agent = await runAgent(movedNode, `https://127.0.0.1:${await freePort()}`, cert, `${cert}.key`);
    try {
      expect(new X509Certificate(readFileSync(cert)).subject).toContain(`CN=system:node:${movedNode}`);
      expect(agent.output()).toContain('requesting a client certificate for system:node:');
    } finally {
      await agent.stop();
    }
  });

  it('refuses a bootstrap token file without cert, key and CA files, naming them', async () => {
    const r = await runCli([
      'agent',
      '--server',
      'https://127.0.0.1:6443',
      '--imds',
      'off',
      '--bootstrap-token-file',
      tokenFile,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bootstrapTokenFile needs certFile, keyFile');
  });

  it('refuses a file that holds no bootstrap token before sending anything', async () => {
    const bad = join(pki.dir, 'bad-token');
    writeFileSync(bad, 'not a token\n', { mode: 0o600 });
    const before = await csrCount();
    const r = await runCli(
      agentArgs(join(pki.dir, 'none.crt'), join(pki.dir, 'none.key'), bad, 'i-0b00740e4a9e12'),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('does not hold a token of the form');
    expect(r.stderr).not.toContain('not a token');
    expect(await csrCount()).toBe(before);
  });
});
