import { X509Certificate } from 'node:crypto';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureMasterSecrets } from '../../src/boot/master-secrets.js';
import { clusterSecrets, SECRET_ITEMS } from '../../src/secrets/cluster-secrets.js';
import { ensureClusterSecrets, parsePair } from '../../src/secrets/secrets-plan.js';
import { type MotoAws, startMotoAws } from '../support/moto-aws.js';

let env: MotoAws;
let keyId: string;

beforeAll(async () => {
  env = await startMotoAws();
  const kms = new KMSClient({
    region: 'us-east-1',
    endpoint: env.moto.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  keyId = (await kms.send(new CreateKeyCommand({ Description: 'bootmaster secrets' }))).KeyMetadata!.KeyId!;
  kms.destroy();
}, 60_000);
afterAll(() => env?.stop());

const boot = (cluster: string) =>
  ensureMasterSecrets({
    store: clusterSecrets({ ssm: env.aws.ssm, kms: env.aws.kms, cluster, keyId }),
    ssm: env.aws.ssm,
    keyId,
  });

describe("a booting master's secrets (moto SSM + KMS)", () => {
  it('two masters racing on an empty store agree on one CA and key, and every item is stored', async () => {
    const [a, b] = await Promise.all([boot('bmrace'), boot('bmrace')]);
    expect(a.ca.certPem).toBe(b.ca.certPem);
    expect(a.serviceAccountKeyPem).toBe(b.serviceAccountKeyPem);
    // moto checks and writes without a lock, so both may "create" an item; what both end up
    // using is the one value the store holds.
    const stored = clusterSecrets({ ssm: env.aws.ssm, kms: env.aws.kms, cluster: 'bmrace', keyId });
    expect(parsePair('ca', (await stored.get('ca'))!).certPem).toBe(a.ca.certPem);
    expect(await stored.get('serviceAccountKey')).toBe(a.serviceAccountKeyPem);
    expect(new Set([...a.created, ...b.created])).toEqual(new Set(Object.keys(SECRET_ITEMS)));
    // The admin credential is signed by that CA.
    const admin = parsePair('admin', (await stored.get('admin'))!);
    expect(new X509Certificate(admin.certPem).checkIssued(a.ca.cert)).toBe(true);
    // A later boot creates nothing.
    expect((await boot('bmrace')).created).toEqual([]);
  });

  it('after tugboat create stored the secrets, a master only reads them', async () => {
    const laptop = await ensureClusterSecrets(
      clusterSecrets({ ssm: env.aws.ssm, kms: env.aws.kms, cluster: 'bmcreate', keyId }),
    );
    const master = await boot('bmcreate');
    expect(master.created).toEqual([]);
    expect(master.ca.certPem).toBe(laptop.ca.certPem);
    expect(master.serviceAccountKeyPem).toBe(laptop.serviceAccountKeyPem);
  });
});
