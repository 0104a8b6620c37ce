import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { publishApiServer } from '../../src/boot/master-endpoint.js';
import { fetchAdminKubeconfig } from '../../src/cluster/secrets-kubeconfig.js';
import { clusterSecrets } from '../../src/secrets/cluster-secrets.js';
import { ensureClusterSecrets } from '../../src/secrets/secrets-plan.js';
import { type MotoAws, startMotoAws } from '../support/moto-aws.js';

let env: MotoAws;
let kms: KMSClient;
let keyId: string;

const newKey = async () =>
  (await kms.send(new CreateKeyCommand({ Description: 'kubeconfig test key' }))).KeyMetadata!.KeyId!;

beforeAll(async () => {
  env = await startMotoAws();
  kms = new KMSClient({
    region: env.moto.env.AWS_REGION!,
    endpoint: env.moto.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  keyId = await newKey();
}, 60_000);
afterAll(async () => {
  kms?.destroy();
  await env?.stop();
});

/** A stack named as tugboat names it, with only the given outputs. */
async function stackWith(cluster: string, outputs: Record<string, string>): Promise<void> {
  await env.aws.cloudFormation.createStack({
    stackName: `tugboat-${cluster}`,
    source: {
      templateBody: JSON.stringify({
        Resources: { Marker: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
        Outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { Value: v }])),
      }),
    },
    parameters: {},
    tags: { 'tugboat:cluster': cluster },
  });
}

const serverOf = (text: string) =>
  (parse(text) as { clusters: { cluster: { server: string } }[] }).clusters[0]!.cluster.server;

describe('fetchAdminKubeconfig on moto_server', () => {
  it('a stack without an ApiEndpoint output (no master EIP or DNS name): the address the master published, else a clear error', async () => {
    const cluster = 'kcpriv';
    await ensureClusterSecrets(clusterSecrets({ ssm: env.aws.ssm, kms: env.aws.kms, cluster, keyId }));
    await stackWith(cluster, { SecretsKeyId: keyId });
    await expect(fetchAdminKubeconfig({ aws: env.aws, cluster })).rejects.toMatchObject({
      code: 'NO_API_ENDPOINT',
      message: expect.stringContaining(
        'no master has published its address yet (/tugboat/kcpriv/worker/api-server)',
      ),
    });
    await publishApiServer(env.aws.ssm, cluster, 'https://10.0.0.4:6443');
    expect(serverOf(await fetchAdminKubeconfig({ aws: env.aws, cluster }))).toBe('https://10.0.0.4:6443');
  });

  it('the ApiEndpoint output wins over the published private address', async () => {
    const cluster = 'kcpub';
    await ensureClusterSecrets(clusterSecrets({ ssm: env.aws.ssm, kms: env.aws.kms, cluster, keyId }));
    await stackWith(cluster, { SecretsKeyId: keyId, ApiEndpoint: 'https://203.0.113.7:6443' });
    await publishApiServer(env.aws.ssm, cluster, 'https://10.0.0.4:6443');
    expect(serverOf(await fetchAdminKubeconfig({ aws: env.aws, cluster }))).toBe('https://203.0.113.7:6443');
  });

  it("reads what the cluster's first master stored under the key's alias, given the stack's key id (the no-client path); an alias of another key stays refused", async () => {
    const cluster = 'kcalias';
    const alias = `alias/tugboat-${cluster}`;
    await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
    // The master knows only the alias (user-data carries no key id): SSM records that name.
    await ensureClusterSecrets(clusterSecrets({ ssm: env.aws.ssm, kms: env.aws.kms, cluster, keyId: alias }));
    await publishApiServer(env.aws.ssm, cluster, 'https://10.0.0.4:6443');
    await stackWith(cluster, { SecretsKeyId: keyId });
    expect(serverOf(await fetchAdminKubeconfig({ aws: env.aws, cluster }))).toBe('https://10.0.0.4:6443');

    const other = 'kcother';
    await kms.send(
      new CreateAliasCommand({ AliasName: `alias/tugboat-${other}`, TargetKeyId: await newKey() }),
    );
    await ensureClusterSecrets(
      clusterSecrets({ ssm: env.aws.ssm, kms: env.aws.kms, cluster: other, keyId: `alias/tugboat-${other}` }),
    );
    await publishApiServer(env.aws.ssm, other, 'https://10.0.0.4:6443');
    await stackWith(other, { SecretsKeyId: keyId });
    await expect(fetchAdminKubeconfig({ aws: env.aws, cluster: other })).rejects.toMatchObject({
      code: 'SECRET_WRONG_KEY',
    });
  });
});
