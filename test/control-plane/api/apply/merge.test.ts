import { describe, expect, it } from 'vitest';
import { ApplyError } from '../../../../src/control-plane/api/apply/errors.js';
import {
  allowedByLastApplied,
  LAST_APPLIED,
  updateLastApplied,
} from '../../../../src/control-plane/api/apply/last-applied.js';
import { mergeApplied } from '../../../../src/control-plane/api/apply/merge.js';
import { builtinType } from '../../../../src/control-plane/api/apply/type-node.js';
import { crType } from './schemas.js';

const ports = crType(['name']);

describe('mergeApplied', () => {
  it('merges by the schema: keyed items in place, sets as a union, atomic lists and maps replaced', () => {
    const live = {
      spec: {
        ports: [
          { name: 'a', port: 1, extra: true },
          { name: 'b', port: 2 },
        ],
        tags: ['x', 'y'],
        args: ['1', '2'],
        sel: { k: 'v', other: 'w' },
      },
    };
    const config = {
      spec: {
        ports: [
          { name: 'c', port: 3 },
          { name: 'a', port: 10 },
        ],
        tags: ['y', 'z'],
        args: ['3'],
        sel: { k: 'n' },
      },
    };
    expect(mergeApplied(live, config, ports)).toEqual({
      spec: {
        ports: [
          { name: 'a', port: 10, extra: true },
          { name: 'b', port: 2 },
          { name: 'c', port: 3 },
        ],
        tags: ['x', 'y', 'z'],
        args: ['3'],
        sel: { k: 'n' },
      },
    });
    // Neither input changed.
    expect(live.spec.ports[0]).toEqual({ name: 'a', port: 1, extra: true });
  });

  it('removes fields set to null and refuses items without their key', () => {
    expect(mergeApplied({ a: 1, b: 2 }, { a: null }, builtinType)).toEqual({ b: 2 });
    expect(() => mergeApplied({ spec: { ports: [] } }, { spec: { ports: [{ port: 1 }] } }, ports)).toThrow(
      ApplyError,
    );
  });

  it('keeps live items without keys rather than failing on them', () => {
    const live = { spec: { containers: [{ image: 'no-name' }] } };
    const out = mergeApplied(live, { spec: { containers: [{ name: 'web', image: 'x' }] } }, builtinType);
    expect(out).toEqual({ spec: { containers: [{ image: 'no-name' }, { name: 'web', image: 'x' }] } });
  });
});

describe('last-applied takeover (kubectl only)', () => {
  const writer = { manager: 'kubectl', apiVersion: 'v1', time: 't' };
  const last = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', annotations: {} },
    data: { a: '1' },
  };
  const live = {
    metadata: { name: 'c', annotations: { [LAST_APPLIED]: JSON.stringify(last) } },
    data: { a: '1', b: 'server' },
  };

  it('allows the last-applied fields while the live object still holds them', () => {
    expect(allowedByLastApplied(live, builtinType, writer)?.has(['f:data', 'f:a'])).toBe(true);
    expect(allowedByLastApplied({ ...live, data: { a: 'changed' } }, builtinType, writer)).toBeUndefined();
    expect(allowedByLastApplied(live, builtinType, { ...writer, manager: 'helm' })).toBeUndefined();
    const broken = { metadata: { annotations: { [LAST_APPLIED]: '{not json' } } };
    expect(allowedByLastApplied(broken, builtinType, writer)).toBeUndefined();
  });

  it('rewrites the annotation with the applied configuration', () => {
    const merged = structuredClone(live) as Record<string, unknown>;
    const config = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '2' } };
    updateLastApplied(merged, live, config, writer);
    const annotations = (merged.metadata as { annotations: Record<string, string> }).annotations;
    expect(JSON.parse(annotations[LAST_APPLIED]!)).toEqual(config);
  });
});
