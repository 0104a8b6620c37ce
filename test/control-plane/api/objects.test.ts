import { describe, expect, it } from 'vitest';
import { decodeObject, encodeObject, objectJson } from '../../../src/control-plane/api/objects.js';
import type { KeyValue } from '../../../src/control-plane/store/types.js';

const kv = (value: string | Uint8Array, modRevision = 42): KeyValue => ({
  key: '/registry/x',
  value: typeof value === 'string' ? new TextEncoder().encode(value) : value,
  createRevision: 1,
  modRevision,
});

describe('stored object JSON', () => {
  it('splices resourceVersion into metadata and matches a full decode', () => {
    const objects = [
      {
        spec: { template: { metadata: { name: 'inner' } } },
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd', resourceVersion: '1' },
      },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} },
      { metadata: { name: 'no-type-meta' }, data: { s: 'has "metadata":{ inside' } },
      { apiVersion: 'v1', kind: 'We"ird', metadata: { name: 'escaped' } },
    ];
    for (const obj of objects) {
      const stored = kv(encodeObject(obj));
      expect(JSON.parse(objectJson(stored))).toEqual(decodeObject(stored));
      expect(JSON.parse(objectJson(stored, 77)).metadata.resourceVersion).toBe('77');
    }
  });

  it('falls back to a full decode for JSON written in another key order', () => {
    const stored = kv('{"spec":{"metadata":{"x":1}},"metadata":{"name":"late"}}');
    const parsed = JSON.parse(objectJson(stored));
    expect(parsed.metadata).toEqual({ name: 'late', resourceVersion: '42' });
    expect(parsed.spec.metadata).toEqual({ x: 1 });
  });
});
