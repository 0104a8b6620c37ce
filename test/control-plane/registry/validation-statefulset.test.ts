import { describe, expect, it } from 'vitest';
import { controllerrevisions, statefulsets } from '../../../src/control-plane/registry/statefulsets.js';
import { persistentvolumeclaims } from '../../../src/control-plane/registry/storage.js';
import type { UntypedObject } from '../../../src/kube/index.js';

// StatefulSets, their claim templates, PersistentVolumeClaims and ControllerRevisions validated as
// kube-apiserver does, after the registry's defaulting (as the API server runs them).

function validated(def: typeof statefulsets, obj: UntypedObject) {
  def.defaults?.(obj);
  return def.validate?.(obj) ?? [];
}

const claimSpec = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } };

const sts = (spec: Record<string, unknown> = {}): UntypedObject => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    serviceName: 'web',
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    },
    ...spec,
  },
});

const cases: Array<[string, Record<string, unknown>, { reason: string; field: string; message: string }]> = [
  [
    'unknown pod management policy',
    { podManagementPolicy: 'Random' },
    {
      reason: 'FieldValueInvalid',
      field: 'spec.podManagementPolicy',
      message: `Invalid value: "Random": must be 'OrderedReady' or 'Parallel'`,
    },
  ],
  [
    'negative partition',
    { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: -1 } } },
    {
      reason: 'FieldValueInvalid',
      field: 'spec.updateStrategy.rollingUpdate.partition',
      message: 'Invalid value: -1: must be greater than or equal to 0',
    },
  ],
  [
    'maxUnavailable 0',
    { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 0 } } },
    {
      reason: 'FieldValueInvalid',
      field: 'spec.updateStrategy.rollingUpdate.maxUnavailable',
      message: 'Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: cannot be 0',
    },
  ],
  [
    'rollingUpdate with OnDelete',
    { updateStrategy: { type: 'OnDelete', rollingUpdate: { partition: 1 } } },
    {
      reason: 'FieldValueInvalid',
      field: 'spec.updateStrategy.rollingUpdate',
      message: `Invalid value: {"partition":1}: only allowed for updateStrategy 'RollingUpdate'`,
    },
  ],
  [
    'unknown retention policy',
    { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Keep' } },
    {
      reason: 'FieldValueNotSupported',
      field: 'spec.persistentVolumeClaimRetentionPolicy.whenDeleted',
      message: 'Unsupported value: "Keep": supported values: "Delete", "Retain"',
    },
  ],
  [
    'selector not matching the template',
    { selector: { matchLabels: { app: 'other' } } },
    {
      reason: 'FieldValueInvalid',
      field: 'spec.template.metadata.labels',
      message: 'Invalid value: {"app":"web"}: `selector` does not match template `labels`',
    },
  ],
  [
    'claim template without storage',
    { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } }] },
    {
      reason: 'FieldValueRequired',
      field: 'spec.volumeClaimTemplates[0].spec.resources[storage]',
      message: 'Required value',
    },
  ],
  [
    'claim template without access modes',
    {
      volumeClaimTemplates: [
        { metadata: { name: 'data' }, spec: { resources: { requests: { storage: '1Gi' } } } },
      ],
    },
    {
      reason: 'FieldValueRequired',
      field: 'spec.volumeClaimTemplates[0].spec.accessModes',
      message: 'Required value: at least 1 access mode is required',
    },
  ],
  [
    'service name not a DNS label',
    { serviceName: 'Web_Svc' },
    {
      reason: 'FieldValueInvalid',
      field: 'spec.serviceName',
      message: expect.stringContaining(
        'Invalid value: "Web_Svc": a lowercase RFC 1123 label',
      ) as unknown as string,
    },
  ],
];

describe('StatefulSet validation', () => {
  it('defaults as apps/v1 does and accepts the result', () => {
    const obj = sts({ volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: claimSpec }] });
    expect(validated(statefulsets, obj)).toEqual([]);
    expect(obj.spec).toMatchObject({
      replicas: 1,
      podManagementPolicy: 'OrderedReady',
      revisionHistoryLimit: 10,
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      volumeClaimTemplates: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          spec: { volumeMode: 'Filesystem' },
          status: { phase: 'Pending' },
        },
      ],
    });
  });

  for (const [name, spec, cause] of cases) {
    it(`refuses ${name}`, () => {
      expect(validated(statefulsets, sts(spec))).toContainEqual(cause);
    });
  }

  it('lets containers mount a claim template by name, as the controller gives each pod that volume', () => {
    const obj = sts({ volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: claimSpec }] });
    const template = (obj.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    template.containers = [
      { name: 'c', image: 'nginx', volumeMounts: [{ name: 'www', mountPath: '/usr/share/nginx/html' }] },
    ];
    expect(validated(statefulsets, obj)).toEqual([]);
    // Validation does not add the volume to the stored template.
    expect(template.volumes).toBeUndefined();
    // A template volume and a claim template side by side, both mounted.
    template.volumes = [{ name: 'conf', emptyDir: {} }];
    (template.containers as { volumeMounts: unknown[] }[])[0]!.volumeMounts.push({
      name: 'conf',
      mountPath: '/etc/c',
    });
    expect(validated(statefulsets, obj)).toEqual([]);
  });

  it('still refuses a mount that names neither a volume nor a claim template, and a bad volume at its index', () => {
    const obj = sts({ volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: claimSpec }] });
    const template = (obj.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    template.volumes = [{ name: 'Bad_Name', emptyDir: {} }];
    template.containers = [
      { name: 'c', image: 'nginx', volumeMounts: [{ name: 'data', mountPath: '/data' }] },
    ];
    const causes = validated(statefulsets, obj);
    expect(causes).toContainEqual({
      reason: 'FieldValueNotFound',
      field: 'spec.template.spec.containers[0].volumeMounts[0].name',
      message: 'Not found: "data"',
    });
    expect(causes.some((c) => c.field?.startsWith('spec.template.spec.volumes[0].name'))).toBe(true);
    expect(causes.some((c) => c.field?.startsWith('spec.template.spec.volumes[1]'))).toBe(false);
  });

  it('refuses a template with activeDeadlineSeconds', () => {
    const obj = sts();
    (obj.spec as { template: { spec: Record<string, unknown> } }).template.spec.activeDeadlineSeconds = 5;
    expect(validated(statefulsets, obj)).toContainEqual({
      reason: 'FieldValueForbidden',
      field: 'spec.template.spec.activeDeadlineSeconds',
      message: 'Forbidden: activeDeadlineSeconds in StatefulSet is not Supported',
    });
  });

  it('allows only the mutable spec fields to change', () => {
    const old = sts();
    statefulsets.defaults?.(old);
    const scaled = structuredClone(old);
    (scaled.spec as Record<string, unknown>).replicas = 5;
    expect(statefulsets.validateUpdate?.(scaled, old)).toEqual([]);
    const renamed = structuredClone(old);
    (renamed.spec as Record<string, unknown>).serviceName = 'other';
    expect(statefulsets.validateUpdate?.(renamed, old)).toEqual([
      {
        reason: 'FieldValueForbidden',
        field: 'spec',
        message:
          "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      },
    ]);
  });
});

describe('PersistentVolumeClaim and ControllerRevision validation', () => {
  const pvc = (spec: Record<string, unknown>): UntypedObject => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', namespace: 'default' },
    spec,
  });

  it('defaults a claim to Pending and checks its spec', () => {
    const ok = pvc(structuredClone(claimSpec));
    expect(validated(persistentvolumeclaims, ok)).toEqual([]);
    expect(ok.status).toEqual({ phase: 'Pending' });
    expect(
      validated(persistentvolumeclaims, pvc({ ...claimSpec, accessModes: ['ReadWriteSometimes'] })),
    ).toEqual([
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.accessModes',
        message:
          'Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
      },
    ]);
    expect(
      validated(persistentvolumeclaims, pvc({ ...claimSpec, resources: { requests: { storage: '0' } } })),
    ).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.resources[storage]',
        message: 'Invalid value: "0": must be greater than zero',
      },
    ]);
    const changed = pvc({ ...claimSpec, storageClassName: 'fast' });
    expect(persistentvolumeclaims.validateUpdate?.(changed, ok)).toHaveLength(1);
  });

  it('requires revision data and keeps it immutable', () => {
    const rev = (data: unknown): UntypedObject => ({
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: { name: 'web-1', namespace: 'default' },
      ...(data === undefined ? {} : { data }),
      revision: 1,
    });
    expect(validated(controllerrevisions, rev(undefined))).toEqual([
      { reason: 'FieldValueRequired', field: 'data', message: 'Required value: data is mandatory' },
    ]);
    expect(controllerrevisions.validateUpdate?.(rev({ a: 2 }), rev({ a: 1 }))).toEqual([
      { reason: 'FieldValueInvalid', field: 'data', message: 'Invalid value: {"a":2}: field is immutable' },
    ]);
  });
});
