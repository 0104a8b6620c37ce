import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import { apiServerParameterName } from '../../src/boot/master-endpoint.js';
import { createAwsClients } from '../../src/index.js';
import { renderKubeconfig } from '../../src/pki/kubeconfig.js';
import { secretsKeyAlias } from '../../src/provision/template/storage-names.js';
import { clusterSecrets } from '../../src/secrets/cluster-secrets.js';
import { parsePair } from '../../src/secrets/secrets-plan.js';
import type { HostManager } from '../harness/hosts/host-manager.js';
import type { BootExit } from '../harness/hosts/instance-boot.js';
import type { Moto } from '../harness/moto.js';
import { waitFor } from '../support/wait.js';

/** Runs the AWS CLI (`aws ARGV --output json`) with `env` (the emulator's); rejects unless it exits 0. */
export function awsCli<T>(env: NodeJS.ProcessEnv, ...argv: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(
      'aws',
      [...argv, '--output', 'json'],
      { env, encoding: 'utf8', timeout: 120_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`aws ${argv.join(' ')} failed: ${stderr.trim() || err.message}`));
        else resolve((stdout.trim() ? JSON.parse(stdout) : {}) as T);
      },
    );
  });
}

/**
 * Waits (bounded) until the instance's host ran its user-data to the end; fails with its console
 * output unless it exited 0.
 */
export async function waitBooted(
  manager: HostManager,
  instanceId: string,
  timeoutMs = 900_000,
): Promise<BootExit> {
  const boot = await waitFor(
    () => manager.boot(instanceId),
    `the host of ${instanceId} to boot`,
    timeoutMs,
    500,
  );
  const exit = await waitFor(() => boot.exit(), `the user-data of ${instanceId} to finish`, timeoutMs, 500);
  expect(
    exit.code,
    `boot of ${instanceId} (${exit.signal ?? `exit ${exit.code}`}):\n${boot.consoleOutput()}`,
  ).toBe(0);
  return exit;
}

/**
 * The cluster's admin kubeconfig as an administrator of the account gets it when the stack has no
 * API address output (e2e.yaml's master has no EIP or DNS name): the address the master published
 * for workers, the CA certificate and admin credential from the cluster's SecureStrings.
 */
export async function writeAdminKubeconfig(moto: Moto, cluster: string, file: string): Promise<void> {
  const aws = await createAwsClients({ env: moto.env });
  const store = clusterSecrets({ ssm: aws.ssm, kms: aws.kms, cluster, keyId: secretsKeyAlias(cluster) });
  const [server, admin, caPem] = await Promise.all([
    aws.ssm.getSecureString(apiServerParameterName(cluster)),
    store.get('admin'),
    store.get('caCert'),
  ]);
  if (!server || !admin || !caPem)
    throw new Error(`cluster ${cluster}: no published API address or admin credential in SSM`);
  writeFileSync(
    file,
    renderKubeconfig({ cluster, server, caPem, user: 'admin', ...parsePair('admin', admin) }),
    {
      mode: 0o600,
    },
  );
}

/**
 * A Deployment of `replicas` busybox pods that only sleep, on the image every harness host has
 * imported (no registry: imagePullPolicy Never), as kubectl applies it.
 */
export function buildSleeperDeployment(name: string, replicas: number): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [
            {
              name: 'main',
              image: 'local/busybox:latest',
              imagePullPolicy: 'Never',
              command: ['sh', '-c', 'while true; do sleep 5; done'],
            },
          ],
        },
      },
    },
  };
}
