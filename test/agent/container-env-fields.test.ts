import { describe, expect, it } from 'vitest';
import { resolveEnv } from '../../src/agent/container-env.js';
import type { KubeClient } from '../../src/client/client.js';
import type { Pod } from '../../src/kube/index.js';

// Downward-API fields need nothing from the API; the client only answers the Service-variable
// look-ups (no Services, no default/kubernetes).
const noClient = {
  list: () => Promise.resolve({ items: [] }),
  get: () => Promise.reject(Object.assign(new Error('not found'), { status: 404 })),
} as unknown as KubeClient;

describe('resolveEnv downward API fields', () => {
  const pod: Pod = {
    metadata: {
      name: 'batch-2-abcde',
      namespace: 'jobs',
      labels: { app: 'batch' },
      annotations: { 'batch.kubernetes.io/job-completion-index': '2' },
    },
    spec: { containers: [] },
  };
  const env = (fieldPath: string) =>
    resolveEnv(
      pod,
      { name: 'c', image: 'i', env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath } } }] },
      noClient,
    );

  it('reads labels and annotations by key, empty when the key is missing', async () => {
    expect(await env("metadata.annotations['batch.kubernetes.io/job-completion-index']")).toEqual([
      { name: 'X', value: '2' },
    ]);
    expect(await env("metadata.labels['app']")).toEqual([{ name: 'X', value: 'batch' }]);
    expect(await env("metadata.annotations['absent']")).toEqual([{ name: 'X', value: '' }]);
  });

  it('refuses a field it does not serve, naming the ones it does', async () => {
    await expect(env('spec.serviceAccountName')).rejects.toThrow(
      /unsupported fieldRef "spec.serviceAccountName"/,
    );
  });
});
