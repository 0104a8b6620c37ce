// biome-ignore lint/suspicious/noExplicitAny: tests deliberately write ill-typed values into the spec.
export type Spec = Record<string, any>;

/** A small valid cluster spec as the user writes it; tests mutate a fresh copy. */
export const baseSpec = (): Spec => ({
  apiVersion: 'tugboat.dev/v1alpha1',
  kind: 'Cluster',
  name: 'demo',
  region: 'us-east-1',
  availabilityZones: ['us-east-1a', 'us-east-1b'],
  ssh: { allowedCidrs: ['203.0.113.0/24'] },
  workerGroups: [{ name: 'workers', min: 1, max: 3, desired: 2 }],
});
