import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeAddressesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/clients.js';
import { apiServerParameterName, readApiServer } from '../../src/boot/master-endpoint.js';
import { CONTROL_PLANE_SERVICE } from '../../src/bootstrap/control-plane-install.js';
import { serviceStatus } from '../../src/bootstrap/service.js';
import { fetchAdminKubeconfig } from '../../src/cluster/secrets-kubeconfig.js';
import { writeKeyFile } from '../../src/pki/pem.js';
import { clusterSecrets, SECRET_ITEMS, secretParameterName } from '../../src/secrets/cluster-secrets.js';
import { startMasterBootEnv } from '../support/master-boot-env.js';
import { tlsCaller } from '../support/tls-call.js';
import { waitFor } from '../support/wait.js';

// Issue 15, "master state survives the master": `boot --role master` on a host that AWS launched.
// moto stands in for SSM, KMS, S3 and EC2; an IMDSv2 stand-in gives each "instance" its identity
// and role credentials (no AWS keys in the environment: the SDK's default chain fetches them from
// IMDS, as on EC2). Each master is a real control-plane process from the real host bundle, under
// a layout of its own temp root, supervised as on a host without systemd.
const cluster = 'bm25';
let env: Awaited<ReturnType<typeof startMasterBootEnv>>;
beforeAll(async () => {
  env = await startMasterBootEnv(cluster);
}, 120_000);
afterAll(() => env?.stop(), 60_000);
// What the master launch template of a spec with api.dns and its own ranges passes (buildBootArgs).
const spec = {
  apiDns: 'api.bm25.example.com',
  serviceCidr: '10.123.0.0/16',
  podNetwork: { podCidr: '10.250.0.0/16', nodePodCidrPrefix: 26 },
};
const bootMaster = (name: string) => env.bootMaster(name, spec);
const adminOf = () => env.adminOf();

const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { n: name } });

describe('boot --role master (moto, IMDSv2 stand-in, real control-plane processes)', () => {
  it('the first master of a template-only cluster creates the secrets, serves, holds the EIP and publishes its address', async () => {
    const m1 = await bootMaster('m1');
    // The "no client" path: every item created by the master, under the stack's key.
    const aws = await createAwsClients({ env: env.moto.env });
    const listed = await aws.ssm.listParameters(`/tugboat/${cluster}/`);
    const secretNames = (Object.keys(SECRET_ITEMS) as (keyof typeof SECRET_ITEMS)[]).map((i) =>
      secretParameterName(cluster, i),
    );
    for (const n of secretNames) expect(listed.find((p) => p.name === n)?.type).toBe('SecureString');
    expect(m1.events.codes()).toContain('boot.secrets');
    expect(m1.events.events.find((e) => e.code === 'boot.secrets')?.message).toMatch(
      /this master created ca,/,
    );
    // Credentials came from the instance role through IMDSv2.
    expect(m1.imds.requests).toContain(
      `GET /latest/meta-data/iam/security-credentials/tugboat-${cluster}-master`,
    );

    const { cert, caPem } = await adminOf();
    const call = tlsCaller(
      () => `https://127.0.0.1:${m1.port}`,
      () => caPem,
    );
    for (const n of ['one', 'two', 'three'])
      expect(
        (await call('POST', '/api/v1/namespaces/default/configmaps', { cert, body: cm(n) })).status,
      ).toBe(201);

    // The master EIP is this instance's now, and the serving certificate names it.
    const addresses = await env.ec2.send(new DescribeAddressesCommand({}));
    const eip = addresses.Addresses!.find((a) => a.Tags?.some((t) => t.Key === 'tugboat:pool'))!;
    expect(eip.InstanceId).toBe(m1.instance.id);
    const served = new X509Certificate(readFileSync(join(m1.layout.etc, 'pki', 'apiserver.crt'), 'utf8'));
    expect(served.subjectAltName).toContain(`IP Address:${eip.PublicIp}`);
    expect(served.subjectAltName).toContain(`IP Address:${m1.instance.ip}`);
    // api.dns: kubeconfigs that use the DNS name verify against this certificate.
    expect(served.subjectAltName).toContain('DNS:api.bm25.example.com');
    expect(served.checkHost('api.bm25.example.com')).toBe('api.bm25.example.com');
    expect(await readApiServer(aws.ssm, cluster)).toBe(`https://${eip.PublicIp}:${m1.port}`);
    // The host layout is the SSH bootstrap's: same files, keys 0600, shipping on to the cluster prefix.
    const unit = readFileSync(join(m1.layout.opt, 'bin', `${CONTROL_PLANE_SERVICE}-supervise.sh`), 'utf8');
    expect(unit).toContain('--state-bucket');
    expect(unit).not.toContain('BEGIN');
    // The spec's ranges, passed as SSH bootstrap passes them.
    expect(unit).toContain('--service-cluster-ip-range 10.123.0.0/16');
    expect(unit).toContain('--cluster-cidr 10.250.0.0/16 --node-cidr-mask-size 26');
    const svc = await call('POST', '/api/v1/namespaces/default/services', {
      cert,
      body: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web' },
        spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
      },
    });
    expect(svc.status).toBe(201);
    expect(svc.body.spec.clusterIP).toMatch(/^10\.123\.\d+\.\d+$/);
    const kubernetes = await call('GET', '/api/v1/namespaces/default/services/kubernetes', { cert });
    expect(kubernetes.body.spec?.clusterIP).toBe('10.123.0.1');
    expect(apiServerParameterName(cluster)).toBe(`/tugboat/${cluster}/worker/api-server`);
    // Workers join by themselves: this master signs node certificates, only for running instances
    // of the cluster (EC2 through the instance role), and keeps the join token's Secret; the CA key
    // and the token reach it as files, never on its command line.
    expect(unit).toContain('--cluster-signing-key-file');
    expect(unit).toContain(`--cloud-provider aws --cluster-name ${cluster}`);
    const joinToken = (await aws.ssm.getSecureString(secretParameterName(cluster, 'bootstrapToken')))!;
    expect(unit).not.toContain(joinToken.split('.')[1]);
    const tokenSecret = await waitFor(async () => {
      const r = await call(
        'GET',
        `/api/v1/namespaces/kube-system/secrets/bootstrap-token-${joinToken.split('.')[0]}`,
        {
          cert,
        },
      );
      return r.status === 200 ? r.body : undefined;
    }, "the join token's Secret");
    expect(Buffer.from(String(tokenSecret.data?.['token-secret']), 'base64').toString()).toBe(
      joinToken.split('.')[1],
    );
    expect(
      (
        await call('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
          cert,
          body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: joinToken } },
        })
      ).body.status,
    ).toMatchObject({ authenticated: true });

    // "No client": nobody ran tugboat create; a laptop without local state gets the admin
    // credential the master stored (API address and key from the stack's outputs) and kubectl works.
    await aws.cloudFormation.createStack({
      stackName: `tugboat-${cluster}`,
      source: {
        templateBody: JSON.stringify({
          Resources: { Marker: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
          Outputs: {
            ApiEndpoint: { Value: `https://127.0.0.1:${m1.port}` },
            SecretsKeyId: { Value: `alias/tugboat-${cluster}` },
          },
        }),
      },
      parameters: {},
      tags: { 'tugboat:cluster': cluster },
    });
    const kubeconfig = join(env.dir, 'laptop-kubeconfig');
    writeKeyFile(kubeconfig, await fetchAdminKubeconfig({ aws, cluster }));
    const got = execFileSync(
      'kubectl',
      ['--kubeconfig', kubeconfig, 'get', 'configmaps', '-o', 'jsonpath={.items[*].metadata.name}'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(got.split(' ')).toEqual(expect.arrayContaining(['one', 'two', 'three']));
  }, 300_000);

  it('a replacement master restores what the first wrote, keeps the CA, takes the EIP and fences the first', async () => {
    const first = env.masters[0]!;
    const { cert, caPem } = await adminOf();
    const call1 = tlsCaller(
      () => `https://127.0.0.1:${first.port}`,
      () => caPem,
    );
    expect(
      (await call1('POST', '/api/v1/namespaces/default/configmaps', { cert, body: cm('last') })).status,
    ).toBe(201);
    // Within the documented RPO the write is in S3.
    await new Promise((r) => setTimeout(r, 1500));

    const m2 = await bootMaster('m2');
    expect(m2.events.events.find((e) => e.code === 'boot.secrets')?.message).toMatch(/read from SSM/);
    const call2 = tlsCaller(
      () => `https://127.0.0.1:${m2.port}`,
      () => caPem,
    );
    const list = await call2('GET', '/api/v1/namespaces/default/configmaps', { cert });
    expect(list.status).toBe(200);
    const names = (list.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name);
    expect(names.filter((n) => n !== 'kube-root-ca.crt').sort()).toEqual(['last', 'one', 'three', 'two']);
    // Fenced: the first master stops serving and does not come back (its data dir is superseded).
    await waitFor(
      async () => (await call1('GET', '/readyz').catch(() => ({ status: 0 }))).status !== 200,
      'the first master to stop serving',
      30_000,
    );
    await new Promise((r) => setTimeout(r, 3000));
    expect((await call1('GET', '/readyz').catch(() => ({ status: 0 }))).status).not.toBe(200);
    expect(
      (await serviceStatus(m2.shell, CONTROL_PLANE_SERVICE, { layout: m2.layout, mode: 'supervised' }))
        .running,
    ).toBe(true);
    const addresses = await env.ec2.send(new DescribeAddressesCommand({}));
    expect(addresses.Addresses!.find((a) => a.Tags?.some((t) => t.Key === 'tugboat:pool'))?.InstanceId).toBe(
      m2.instance.id,
    );
    const aws = await createAwsClients({ env: env.moto.env });
    const store = clusterSecrets({
      ssm: aws.ssm,
      kms: aws.kms,
      cluster,
      keyId: `alias/tugboat-${cluster}`,
    });
    expect(await store.get('caCert')).toBe(caPem);
  }, 300_000);
});
