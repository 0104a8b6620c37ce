import { describe, expect, it } from 'vitest';
import { humanDuration } from '../../../src/control-plane/registry/columns.js';
import { podDisplayStatus } from '../../../src/control-plane/registry/core-nodes-pods.js';
import { allResources } from '../../../src/control-plane/registry/index.js';

const now = new Date('2026-01-01T12:00:00Z');
const sample = {
  metadata: {
    name: 'x',
    namespace: 'default',
    creationTimestamp: '2026-01-01T11:55:00Z',
    labels: { a: 'b' },
  },
  spec: {
    containers: [{ name: 'c', image: 'i' }],
    template: { spec: { containers: [{ name: 'c', image: 'i' }] } },
    ports: [{ port: 80 }],
  },
  status: {},
};

describe('table columns', () => {
  it.each(allResources.map((r) => [r.plural, r] as const))(
    '%s has one cell per column, Name formatted as a name',
    (_p, def) => {
      const cells = def.cells(structuredClone(sample), now);
      expect(cells).toHaveLength(def.columns.length);
      expect(def.columns.some((c) => c.format === 'name' || c.name === 'Last Seen')).toBe(true);
      for (const cell of cells) expect(['string', 'number', 'boolean']).toContain(typeof cell);
    },
  );

  it('prints ages the way kubectl does', () => {
    expect(
      [
        0,
        45_000,
        150_000,
        900_000,
        3 * 3600_000 + 60_000,
        30 * 3600_000,
        3 * 86400_000 + 3600_000,
        800 * 86400_000,
      ].map(humanDuration),
    ).toEqual(['0s', '45s', '2m30s', '15m', '3h1m', '30h', '3d1h', '2y70d']);
  });

  it('shows waiting reasons and Terminating in the pod STATUS column', () => {
    expect(
      podDisplayStatus({
        status: {
          phase: 'Pending',
          containerStatuses: [{ state: { waiting: { reason: 'ContainerCreating' } } }],
        },
      }),
    ).toBe('ContainerCreating');
    expect(
      podDisplayStatus({
        metadata: { deletionTimestamp: '2026-01-01T00:00:00Z' },
        status: { phase: 'Running' },
      }),
    ).toBe('Terminating');
    expect(podDisplayStatus({ status: { phase: 'Running' } })).toBe('Running');
  });
});
