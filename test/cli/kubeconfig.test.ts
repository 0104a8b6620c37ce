import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createCluster } from '../../src/index.js';
import { createCa, issueAdminCertificate, renderKubeconfig, writeKeyFile } from '../../src/pki/index.js';
import { testDefinition } from '../support/aws-template.js';
import { runCli } from '../support/cli.js';
import { type MotoAws, startMotoAws } from '../support/moto-aws.js';

const dir = mkdtempSync(join(tmpdir(), `tugboat-cli-kubeconfig-${process.pid}-`));
let moto: MotoAws;
let env: NodeJS.ProcessEnv & { KUBECONFIG: string };
beforeAll(async () => {
  // Without local state the command asks AWS: moto stands in for it, so nothing leaves loopback.
  moto = await startMotoAws();
  env = {
    ...process.env,
    ...moto.moto.env,
    TUGBOAT_STATE_DIR: join(dir, 'state'),
    KUBECONFIG: join(dir, 'kube', 'config'),
  };
}, 60_000);
afterAll(async () => {
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('tugboat kubeconfig NAME', () => {
  it('merges the cluster context into $KUBECONFIG (0600) and makes it current', async () => {
    const ca = createCa({ cluster: 'lab' });
    const admin = issueAdminCertificate(ca);
    mkdirSync(join(dir, 'state', 'lab'), { recursive: true });
    writeKeyFile(
      join(dir, 'state', 'lab', 'kubeconfig'),
      renderKubeconfig({
        cluster: 'lab',
        server: 'https://127.0.0.1:6443',
        caPem: ca.certPem,
        user: 'admin',
        ...admin,
      }),
    );
    const r = await runCli(['kubeconfig', 'lab'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`context lab merged into ${env.KUBECONFIG}`);
    const merged = parse(readFileSync(env.KUBECONFIG, 'utf8'));
    expect(merged['current-context']).toBe('lab');
    expect(statSync(env.KUBECONFIG).mode & 0o777).toBe(0o600);
    const printed = await runCli(['kubeconfig', 'lab', '--print'], { env });
    expect(parse(printed.stdout).clusters[0].name).toBe('lab');
  });

  it('asks AWS for a cluster without local state, and names what is missing for an unknown one', async () => {
    const r = await runCli(['kubeconfig', 'nope'], { env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no stack tugboat-nope in us-east-1');
  });

  it('--from-aws fetches the admin credential from the SecureString that create stored', async () => {
    const definition = testDefinition('kc-awssec', { secretsKey: true });
    const template = definition.template as { Outputs: Record<string, unknown> };
    template.Outputs.ApiEndpoint = { Value: 'https://127.0.0.1:6443' };
    const stateRoot = join(dir, 'creator');
    await createCluster({
      aws: moto.aws,
      stateRoot,
      definition,
      bootstrap: false,
      pollIntervalMs: 200,
      timeoutMs: 60_000,
    });
    const r = await runCli(['kubeconfig', 'kc-awssec', '--from-aws', '--print'], { env });
    expect(r.code, r.stderr).toBe(0);
    const config = parse(r.stdout);
    expect(config.clusters[0].cluster.server).toBe('https://127.0.0.1:6443');
    const caPem = Buffer.from(config.clusters[0].cluster['certificate-authority-data'], 'base64').toString();
    expect(caPem).toBe(readFileSync(join(stateRoot, 'kc-awssec', 'pki', 'ca.crt'), 'utf8'));
    const cert = new X509Certificate(Buffer.from(config.users[0].user['client-certificate-data'], 'base64'));
    expect(cert.subject).toContain('CN=admin');
    expect(cert.checkIssued(new X509Certificate(caPem))).toBe(true);
    // No local kubeconfig for it on this machine: merging works the same way, without the flag.
    const merged = await runCli(['kubeconfig', 'kc-awssec'], { env });
    expect(merged.code, merged.stderr).toBe(0);
    expect(parse(readFileSync(env.KUBECONFIG, 'utf8'))['current-context']).toBe('kc-awssec');
  });
});
