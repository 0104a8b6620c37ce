import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../../src/client/client.js';
import { resources } from '../../../src/client/types.js';
import { type RunningControlPlane, startControlPlane } from '../../../src/control-plane/main.js';
import { UsageError } from '../../../src/errors.js';
import type { KubeObject } from '../../../src/kube/index.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';
import { adminClient } from '../../support/control-cluster.js';
import { signingControlPlaneOptions, writeTestFile } from '../../support/control-plane-files.js';
import { waitFor } from '../../support/wait.js';

type Review = KubeObject & {
  status: { authenticated?: boolean; user?: { username?: string; groups?: string[] } };
};

// `control-plane --join-token-file`: the cluster's join token (the one workers read from SSM)
// gets its bootstrap token Secret from the API server itself, so a worker the auto-scaling group
// launched can authenticate to ask for its node certificate; a changed token replaces it.
describe('control plane with --join-token-file', () => {
  const dir = mkdtempSync(join(tmpdir(), `tugboat-cp-join-${process.pid}-`));
  let pki: TestPki;
  let cp: RunningControlPlane | undefined;
  let admin: KubeClient | undefined;
  const start = async (token: string) => {
    admin?.close();
    await cp?.stop();
    cp = await startControlPlane({
      ...signingControlPlaneOptions(join(dir, 'master'), pki),
      joinTokenFile: writeTestFile(dir, 'join-token', `${token}\n`),
    });
    admin = adminClient(pki, cp.url);
    return admin;
  };
  const review = async (client: KubeClient, token: string) =>
    (
      await client.create<Review>(resources.tokenReviews, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        metadata: {},
        spec: { token },
      } as never)
    ).status;

  beforeAll(() => {
    pki = makeTestPki();
  });
  afterAll(async () => {
    admin?.close();
    await cp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the bootstrap token Secret of the join token, and authenticates workers with it', async () => {
    const client = await start('abc123.0123456789abcdef');
    const secret = await waitFor(
      () =>
        client
          .get<KubeObject & { type: string; data: Record<string, string> }>(
            resources.secrets,
            'bootstrap-token-abc123',
            'kube-system',
          )
          .catch(() => undefined),
      'the join token Secret',
    );
    expect(secret.type).toBe('bootstrap.kubernetes.io/token');
    expect(secret.metadata.labels).toEqual({ 'tugboat.io/join-token': 'true' });
    const text = (k: string) => Buffer.from(secret.data[k] ?? '', 'base64').toString();
    expect([text('token-id'), text('token-secret'), text('usage-bootstrap-authentication')]).toEqual([
      'abc123',
      '0123456789abcdef',
      'true',
    ]);
    expect(secret.data.expiration).toBeUndefined();
    expect(await review(client, 'abc123.0123456789abcdef')).toMatchObject({
      authenticated: true,
      user: { username: 'system:bootstrap:abc123', groups: expect.arrayContaining(['system:bootstrappers']) },
    });
  });

  it('a new token with the same id replaces the secret at the next start; the old one stops working', async () => {
    const client = await start('abc123.fedcba9876543210');
    await waitFor(
      async () => (await review(client, 'abc123.fedcba9876543210')).authenticated === true,
      'the new token',
    );
    expect((await review(client, 'abc123.0123456789abcdef')).authenticated).not.toBe(true);
  });

  it('refuses a file that holds no bootstrap token, naming the flag, before it serves', async () => {
    admin?.close();
    admin = undefined;
    await cp?.stop();
    cp = undefined;
    const bad = startControlPlane({
      ...signingControlPlaneOptions(join(dir, 'bad'), pki),
      joinTokenFile: writeTestFile(dir, 'bad-token', 'not-a-token\n'),
    });
    await expect(bad).rejects.toBeInstanceOf(UsageError);
    await expect(bad).rejects.toThrow(/--join-token-file must hold one bootstrap token/);
  });
});
