import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCsrPem } from '../../../src/pki/csr.js';
import { fromPem, generateKeyPair, toPem } from '../../../src/pki/index.js';
import { writeKubeconfig } from '../../support/api-server.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';
import { type ControlCluster, runKubectl, startControlCluster } from '../../support/control-cluster.js';

function csrManifest(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec,
  });
}

const request = (cn: string, groups: string[] = ['system:nodes']) =>
  Buffer.from(buildCsrPem(generateKeyPair().privateKey, { commonName: cn, organizations: groups })).toString(
    'base64',
  );

// The CSR API with real kubectl: create, table, approve/deny, validation as kube-apiserver.
describe('CertificateSigningRequests with kubectl', () => {
  let pki: TestPki;
  let c: ControlCluster;
  let env: NodeJS.ProcessEnv;
  const kubectl = (...args: string[]) => runKubectl(env, args);
  const ok = async (...args: string[]): Promise<string> => {
    const r = await kubectl(...args);
    expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const apply = (name: string, spec: Record<string, unknown>) => {
    const file = join(pki.dir, `${name}.json`);
    writeFileSync(file, csrManifest(name, spec));
    return kubectl('create', '-f', file);
  };

  beforeAll(async () => {
    pki = makeTestPki();
    c = await startControlCluster(pki);
    env = {
      PATH: process.env.PATH,
      HOME: pki.dir,
      KUBECONFIG: writeKubeconfig(pki, c.server.url, pki.client('csr-admin', ['system:masters'])),
    };
  });

  afterAll(async () => {
    await c?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  it('creates a request stamped with its requester, lists it, approves it once and refuses a denial after', async () => {
    const spec = {
      request: request('system:node:n1'),
      signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
      usages: ['digital signature', 'client auth'],
      username: 'someone-else',
      groups: ['system:masters'],
      expirationSeconds: 3600,
    };
    const created = await apply('csr-one', spec);
    expect(created.stderr).toBe('');
    expect(created.stdout).toContain('certificatesigningrequest.certificates.k8s.io/csr-one created');
    const json = JSON.parse(await ok('get', 'csr', 'csr-one', '-o', 'json'));
    expect(json.spec.username).toBe('csr-admin');
    expect(json.spec.groups).toEqual(['system:masters', 'system:authenticated']);

    const table = await ok('get', 'csr');
    expect(table.split('\n')[0]).toMatch(
      /^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION$/,
    );
    expect(table).toMatch(
      /csr-one\s+\d+s\s+kubernetes.io\/kube-apiserver-client-kubelet\s+csr-admin\s+60m\s+Pending/,
    );

    expect(await ok('certificate', 'approve', 'csr-one')).toContain('approved');
    expect(await ok('get', 'csr', 'csr-one')).toMatch(/csr-one\s.*\sApproved\s*$/m);
    const approved = JSON.parse(await ok('get', 'csr', 'csr-one', '-o', 'json'));
    expect(approved.status.conditions).toMatchObject([
      { type: 'Approved', status: 'True', reason: 'KubectlApprove' },
    ]);

    const deny = await kubectl('certificate', 'deny', 'csr-one');
    expect(deny.stderr).toContain('is already Approved');
    // The server refuses both, whoever asks.
    const both = await kubectl(
      'patch',
      'csr',
      'csr-one',
      '--subresource=approval',
      '--type=json',
      '-p',
      '[{"op":"add","path":"/status/conditions/-","value":{"type":"Denied","status":"True"}}]',
    );
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain('Approved and Denied conditions are mutually exclusive');

    // The main resource cannot touch the spec or the approval.
    await ok(
      'patch',
      'csr',
      'csr-one',
      '--type=merge',
      '-p',
      '{"spec":{"signerName":"example.com/x"},"status":{"conditions":[]}}',
    );
    const after = JSON.parse(await ok('get', 'csr', 'csr-one', '-o', 'json'));
    expect(after.spec.signerName).toBe('kubernetes.io/kube-apiserver-client-kubelet');
    expect(after.status.conditions).toHaveLength(1);
    // Nor can the status subresource remove the approval (it keeps it) or the approval subresource remove it.
    const removal = await kubectl(
      'patch',
      'csr',
      'csr-one',
      '--subresource=approval',
      '--type=merge',
      '-p',
      '{"status":{"conditions":[]}}',
    );
    expect(removal.code).not.toBe(0);
    expect(removal.stderr).toContain('updates may not remove a condition of type "Approved"');
    // A status write of garbage conditions cannot drop the approval or store a non-list.
    await kubectl(
      'patch',
      'csr',
      'csr-one',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"conditions":"yes"}}',
    );
    const kept = JSON.parse(await ok('get', 'csr', 'csr-one', '-o', 'json'));
    expect(kept.status.conditions).toMatchObject([{ type: 'Approved', status: 'True' }]);
  });

  it('denies a request', async () => {
    expect(
      (
        await apply('csr-deny', {
          request: request('x'),
          signerName: 'example.com/mine',
          usages: ['client auth'],
        })
      ).code,
    ).toBe(0);
    expect(await ok('certificate', 'deny', 'csr-deny')).toContain('denied');
    expect(await ok('get', 'csr', 'csr-deny')).toMatch(
      /csr-deny\s.*example.com\/mine\s.*<none>\s+Denied\s*$/m,
    );
  });

  it('refuses malformed requests with every field error, as kube-apiserver', async () => {
    const bad = await apply('csr-bad', {
      request: Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n').toString(
        'base64',
      ),
      usages: ['client auth', 'flying', 'client auth'],
      expirationSeconds: 60,
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(
      'spec.request: Invalid value: "[omitted]": PEM block type must be CERTIFICATE REQUEST',
    );
    expect(bad.stderr).toContain('spec.signerName: Required value');
    expect(bad.stderr).toContain('spec.usages[1]: Unsupported value: "flying"');
    expect(bad.stderr).toContain('spec.usages[2]: Duplicate value: "client auth"');
    expect(bad.stderr).toContain(
      'spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds',
    );

    const der = fromPem(Buffer.from(request('y'), 'base64').toString(), 'CERTIFICATE REQUEST');
    der.writeUInt8(der.readUInt8(der.length - 1) ^ 0x01, der.length - 1);
    const tampered = Buffer.from(toPem(der, 'CERTIFICATE REQUEST')).toString('base64');
    const sig = await apply('csr-sig', {
      request: tampered,
      signerName: 'example.com/x',
      usages: ['client auth'],
    });
    expect(sig.code).not.toBe(0);
    expect(sig.stderr).toMatch(/spec.request: Invalid value: "\[omitted\]"/);
    const noUsages = await apply('csr-nousage', { request: request('z'), signerName: 'nodomain' });
    expect(noUsages.stderr).toContain('spec.usages: Required value: usages must be provided');
    expect(noUsages.stderr).toContain(
      'spec.signerName: Invalid value: "nodomain": must be a fully qualified domain and path of the form \'example.com/signer-name\'',
    );
  });
});
