import { X509Certificate } from 'node:crypto';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SsmApi } from '../../src/aws/ssm.js';
import { createCa } from '../../src/pki/authority.js';
import {
  clusterSecrets,
  SECRET_ITEMS,
  type SecretItem,
  secretParameterName,
  tierFor,
} from '../../src/secrets/cluster-secrets.js';
import { ensureClusterSecrets, generateBootstrapToken } from '../../src/secrets/secrets-plan.js';
import { type MotoAws, startMotoAws } from '../support/moto-aws.js';

let env: MotoAws;
let keyId: string;
let otherKeyId: string;

async function newKey(): Promise<string> {
  const kms = new KMSClient({
    region: env.moto.env.AWS_REGION!,
    endpoint: env.moto.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const out = await kms.send(new CreateKeyCommand({ Description: 'awssec test key' }));
  kms.destroy();
  return out.KeyMetadata!.KeyId!;
}

const store = (cluster: string, ssm: SsmApi = env.aws.ssm, key = keyId) =>
  clusterSecrets({ ssm, kms: env.aws.kms, cluster, keyId: key });

beforeAll(async () => {
  env = await startMotoAws();
  keyId = await newKey();
  otherKeyId = await newKey();
}, 60_000);
afterAll(() => env?.stop());

describe('cluster secrets in SSM SecureStrings on moto_server', () => {
  it('creates every item once under the key, reads the same values back, and creates nothing the second time', async () => {
    const first = await ensureClusterSecrets(store('awssec-a'));
    expect([...first.created].sort()).toEqual(Object.keys(SECRET_ITEMS).sort());
    expect(first.bootstrapToken).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    expect(new X509Certificate(first.admin.certPem).checkIssued(first.ca.cert)).toBe(true);
    const listed = await env.aws.ssm.listParameters('/tugboat/awssec-a/');
    expect(listed.map((p) => p.name).sort()).toEqual(
      (Object.keys(SECRET_ITEMS) as SecretItem[]).map((i) => secretParameterName('awssec-a', i)).sort(),
    );
    for (const p of listed) expect(p).toMatchObject({ type: 'SecureString', keyId });
    const again = await ensureClusterSecrets(store('awssec-a'));
    expect(again.created).toEqual([]);
    expect(again.ca.certPem).toBe(first.ca.certPem);
    expect(again.serviceAccountKeyPem).toBe(first.serviceAccountKeyPem);
    expect(again.bootstrapToken).toBe(first.bootstrapToken);
    expect(await store('awssec-a').get('caCert')).toBe(first.ca.certPem);
    expect(await store('awssec-a').get('admin')).toContain(JSON.stringify(first.admin.keyPem));
  });

  it('loses a creation race gracefully: the later creator reads and returns the winner value', async () => {
    const winner = store('awssec-race');
    const racingSsm: SsmApi = {
      ...env.aws.ssm,
      async createSecureString(name, value, options) {
        // Between the loser's read (nothing there) and its write, the winner creates the item.
        await winner.ensure('bootstrapToken', () => 'theirs.0123456789abcdef');
        return env.aws.ssm.createSecureString(name, value, options);
      },
    };
    const got = await store('awssec-race', racingSsm).ensure('bootstrapToken', generateBootstrapToken);
    expect(got).toEqual({ value: 'theirs.0123456789abcdef', created: false });
    expect(await winner.get('bootstrapToken')).toBe('theirs.0123456789abcdef');
  });

  it('lets two creators run at once: both end with the same secrets, each item created exactly once', async () => {
    const [a, b] = await Promise.all([
      ensureClusterSecrets(store('awssec-both')),
      ensureClusterSecrets(store('awssec-both')),
    ]);
    expect(b.ca.certPem).toBe(a.ca.certPem);
    expect(b.admin).toEqual(a.admin);
    expect(b.bootstrapToken).toBe(a.bootstrapToken);
    expect(b.serviceAccountKeyPem).toBe(a.serviceAccountKeyPem);
    const created = [...a.created, ...b.created].sort();
    expect(created).toEqual(Object.keys(SECRET_ITEMS).sort());
  });

  it('stores the local CA when there is none, and refuses a local CA that differs from the stored one', async () => {
    const local = createCa({ cluster: 'awssec-ca' });
    const got = await ensureClusterSecrets(store('awssec-ca'), { ca: local });
    expect(got.ca.certPem).toBe(local.certPem);
    await expect(
      ensureClusterSecrets(store('awssec-ca'), { ca: createCa({ cluster: 'awssec-ca' }) }),
    ).rejects.toMatchObject({ code: 'SECRET_CA_MISMATCH' });
  });

  it('refuses a parameter under another key instead of trusting it, and a key that does not exist', async () => {
    const name = secretParameterName('awssec-wrong', 'bootstrapToken');
    await env.aws.ssm.createSecureString(name, 'plant0.0123456789abcdef', { keyId: otherKeyId, tags: {} });
    await expect(store('awssec-wrong').get('bootstrapToken')).rejects.toThrow(
      /under key .* not under awssec-wrong's key/,
    );
    await expect(
      store('awssec-wrong').ensure('bootstrapToken', generateBootstrapToken),
    ).rejects.toMatchObject({
      code: 'SECRET_WRONG_KEY',
    });
    // The error names the parameter, never its value.
    await expect(store('awssec-wrong').get('bootstrapToken')).rejects.not.toThrow(/plant0/);
    await expect(
      store('awssec-wrong', env.aws.ssm, 'alias/nope').ensure('ca', () => '{}'),
    ).rejects.toMatchObject({
      code: 'SECRETS_KEY_MISSING',
    });
  });

  it('puts values above 4 KB in the Advanced tier and refuses above 8 KB before any call', async () => {
    expect(tierFor('admin', 'x'.repeat(4096))).toBe('Standard');
    expect(tierFor('admin', 'x'.repeat(4097))).toBe('Advanced');
    expect(() => tierFor('admin', 'x'.repeat(8193))).toThrow(/8193 bytes, above SSM's limit of 8192/);
    const big = await store('awssec-big').ensure('admin', () => 'y'.repeat(6000));
    expect(big.created).toBe(true);
    const [info] = await env.aws.ssm.listParameters('/tugboat/awssec-big/admin');
    expect(info?.tier).toBe('Advanced');
    expect(await store('awssec-big').get('admin')).toBe('y'.repeat(6000));
  });

  it('keeps every real item well inside the Standard tier', async () => {
    const values = await ensureClusterSecrets(store('awssec-size'));
    for (const item of Object.keys(SECRET_ITEMS) as SecretItem[]) {
      const text = (await store('awssec-size').get(item))!;
      expect(tierFor(item, text), item).toBe('Standard');
    }
    expect(values.created).toHaveLength(5);
  });
});
