import { describe, expect, it } from 'vitest';
import { ApplyError } from '../../../../src/control-plane/api/apply/errors.js';
import {
  applyEntries,
  updateEntries,
  type Writer,
} from '../../../../src/control-plane/api/apply/field-manager.js';
import { encodeFieldsV1 } from '../../../../src/control-plane/api/apply/field-set.js';
import {
  decodeManagedFields,
  encodeManagedFields,
  type ManagedEntry,
  startingEntries,
} from '../../../../src/control-plane/api/apply/managed-fields.js';
import { builtinType } from '../../../../src/control-plane/api/apply/type-node.js';

const writer = (manager: string, extra: Partial<Writer> = {}): Writer => ({
  manager,
  apiVersion: 'apps/v1',
  time: '2026-12-03T04:00:00Z',
  splitStatus: true,
  ...extra,
});

const config = (replicas: number, containers = [{ name: 'web', image: 'nginx:1' }]) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd', labels: { app: 'web' } },
  spec: { replicas, template: { spec: { containers } } },
});

function apply(
  entries: ManagedEntry[],
  live: Record<string, unknown> | undefined,
  cfg: object,
  who: string,
  force = false,
) {
  return applyEntries(entries, live, cfg as Record<string, unknown>, builtinType, writer(who), force);
}

describe('server-side apply ownership', () => {
  it('creates with an Apply entry that owns exactly the applied fields', () => {
    const r = apply([], undefined, config(2), 'alice');
    expect(r.entries).toHaveLength(1);
    expect(r.entries[0]).toMatchObject({ manager: 'alice', operation: 'Apply', apiVersion: 'apps/v1' });
    expect(encodeFieldsV1(r.entries[0]!.set)).toEqual({
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:template': {
          'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
        },
      },
    });
  });

  it('409s on a changed value another manager owns, with upstream message and causes; force takes it', () => {
    const first = apply([], undefined, config(2), 'alice');
    const err = (() => {
      try {
        apply(first.entries, first.object, config(3), 'bob');
      } catch (e) {
        return e as ApplyError;
      }
    })();
    expect(err).toBeInstanceOf(ApplyError);
    expect(err?.code).toBe(409);
    expect(err?.message).toBe('Apply failed with 1 conflict: conflict with "alice": .spec.replicas');
    expect(err?.causes).toEqual([
      { reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.spec.replicas' },
    ]);
    // The same value is shared ownership, not a conflict.
    const shared = apply(first.entries, first.object, config(2), 'bob');
    expect(shared.entries.map((e) => e.manager).sort()).toEqual(['alice', 'bob']);
    const forced = apply(first.entries, first.object, config(3), 'bob', true);
    expect((forced.object.spec as { replicas: number }).replicas).toBe(3);
    const alice = forced.entries.find((e) => e.manager === 'alice')!;
    expect(alice.set.has(['f:spec', 'f:replicas'])).toBe(false);
    expect(alice.set.has(['f:metadata', 'f:labels', 'f:app'])).toBe(true);
  });

  it('lists several conflicts by manager, Update managers with their apiVersion', () => {
    const first = apply([], undefined, config(2), 'alice');
    const edited = structuredClone(first.object) as { spec: { replicas: number } };
    edited.spec.replicas = 5;
    const entries = updateEntries(first.entries, first.object, edited, builtinType, writer('kubectl-edit'));
    const cfg = config(4, [{ name: 'web', image: 'nginx:2' }]);
    expect(() => apply(entries, edited as Record<string, unknown>, cfg, 'bob')).toThrow(
      'Apply failed with 2 conflicts: conflicts with "alice":\n- .spec.template.spec.containers[name="web"].image\nconflicts with "kubectl-edit" using apps/v1:\n- .spec.replicas',
    );
  });

  it('removes fields the manager stops applying, unless another manager owns them', () => {
    const two = config(2, [
      { name: 'web', image: 'nginx:1' },
      { name: 'side', image: 'busybox' },
    ]);
    const first = apply([], undefined, two, 'alice');
    const again = apply(first.entries, first.object, config(2), 'alice');
    const containers = (again.object.spec as { template: { spec: { containers: { name: string }[] } } })
      .template.spec.containers;
    expect(containers.map((c) => c.name)).toEqual(['web']);
    // Bob co-owns the sidecar: alice dropping it keeps it.
    const bob = apply(
      first.entries,
      first.object,
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        spec: { template: { spec: { containers: [{ name: 'side', image: 'busybox' }] } } },
      },
      'bob',
    );
    const kept = apply(bob.entries, bob.object, config(2), 'alice');
    const names = (
      kept.object.spec as { template: { spec: { containers: { name: string }[] } } }
    ).template.spec.containers.map((c) => c.name);
    expect(names).toEqual(['web', 'side']);
  });

  it('attributes an untracked object to before-first-apply', () => {
    const live = { ...config(2), metadata: { name: 'd', labels: { app: 'web' } } };
    expect(() => apply([], live, config(3), 'bob')).toThrow(
      'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas',
    );
  });

  it('updates: the writer owns what it changed, others lose it, status writes own only status', () => {
    const first = apply([], undefined, config(2), 'alice');
    const next = structuredClone(first.object) as Record<string, { replicas?: number }>;
    next.spec!.replicas = 7;
    const entries = updateEntries(first.entries, first.object, next, builtinType, writer('kubectl-scale'));
    const scale = entries.find((e) => e.manager === 'kubectl-scale')!;
    expect(encodeFieldsV1(scale.set)).toEqual({ 'f:spec': { 'f:replicas': {} } });
    expect(entries.find((e) => e.manager === 'alice')!.set.has(['f:spec', 'f:replicas'])).toBe(false);
    const withStatus = { ...next, status: { readyReplicas: 1 } };
    const st = updateEntries(
      entries,
      next,
      withStatus,
      builtinType,
      writer('ctrl', { subresource: 'status' }),
    );
    const ctrl = st.find((e) => e.manager === 'ctrl')!;
    expect(ctrl.subresource).toBe('status');
    expect(encodeFieldsV1(ctrl.set)).toEqual({ 'f:status': { 'f:readyReplicas': {} } });
  });
});

describe('managedFields from clients', () => {
  const stored = encodeManagedFields(apply([], undefined, config(2), 'alice').entries);

  it('round-trips the stored form', () => {
    expect(encodeManagedFields(decodeManagedFields(stored))).toEqual(stored);
    expect(stored[0]).toMatchObject({ manager: 'alice', operation: 'Apply', fieldsType: 'FieldsV1' });
  });

  it('resets on [] or [{}], keeps the stored entries when the sent ones are invalid or absent', () => {
    expect(startingEntries([], stored, undefined)).toEqual([]);
    expect(startingEntries([{}], stored, undefined)).toEqual([]);
    for (const bad of [
      'x',
      [{ manager: 'm', operation: 'Bogus', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: {} }],
      [{ manager: 'm', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV2', fieldsV1: {} }],
      [
        {
          manager: 'm',
          operation: 'Update',
          apiVersion: 'v1',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'q:x': {} },
        },
      ],
      undefined,
    ]) {
      expect(startingEntries(bad, stored, undefined).map((e) => e.manager)).toEqual(['alice']);
    }
    const sent = [
      {
        manager: 'm',
        operation: 'Update',
        apiVersion: 'v1',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:a': {} },
      },
    ];
    expect(startingEntries(sent, stored, undefined).map((e) => e.manager)).toEqual(['m']);
    // Status writes never take managedFields from the body.
    expect(startingEntries(sent, stored, 'status').map((e) => e.manager)).toEqual(['alice']);
  });
});
