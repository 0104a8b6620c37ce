import { describe, expect, it } from 'vitest';
import {
  buildPrinterColumns,
  parseJsonPath,
} from '../../../src/control-plane/apiextensions/printer-columns.js';

const now = new Date('2026-01-01T00:00:10Z');
const obj = {
  metadata: {
    name: 'orders',
    creationTimestamp: '2026-01-01T00:00:00Z',
    labels: { 'stream.example.com/cluster': 'demo', plain: 'p' },
  },
  spec: {
    partitions: 12,
    brokers: [3, 4],
    ports: [
      { name: 'a', port: 1 },
      { name: 'b', port: 2 },
    ],
  },
  status: {
    conditions: [
      { type: 'Synced', status: 'False', observed: 1 },
      { type: 'Ready', status: 'True', observed: 3 },
    ],
  },
};

const cellsOf = (jsonPath: string, type: 'string' | 'integer' = 'string') =>
  buildPrinterColumns([{ name: 'X', type, jsonPath }]).cells(obj, now)[1];

describe('CRD printer column JSONPath', () => {
  it('reads the paths real operator CRDs use', () => {
    expect(cellsOf('.spec.partitions', 'integer')).toBe(12);
    expect(cellsOf('.metadata.labels.stream\\.example\\.com/cluster')).toBe('demo');
    expect(cellsOf(".metadata.labels['stream.example.com/cluster']")).toBe('demo');
    expect(cellsOf('.status.conditions[?(@.type=="Ready")].status')).toBe('True');
    expect(cellsOf(".status.conditions[?(@.type=='Synced')].status")).toBe('False');
    expect(cellsOf('.status.conditions[?(@.observed > 2)].type')).toBe('Ready');
    expect(cellsOf('.status.conditions[?(@.type!="Ready")].type')).toBe('Synced');
    // More than one result: the first, as upstream's table convertor prints.
    expect(cellsOf('.spec.ports[*].name')).toBe('a');
    expect(cellsOf('.spec.ports[-1].port', 'integer')).toBe(2);
    expect(cellsOf('{.spec.brokers}')).toBe('[3,4]');
  });

  it('prints nothing for a path that finds nothing or does not parse', () => {
    expect(cellsOf('.status.conditions[?(@.type=="Gone")].status')).toBeNull();
    expect(cellsOf('.metadata.labels.stream.example.com/cluster')).toBeNull();
    expect(cellsOf('.spec.partitions', 'string')).toBe('12');
    expect(parseJsonPath('.spec[')).toBeUndefined();
    expect(parseJsonPath('.status.conditions[?(@.type=="Ready"')).toBeUndefined();
    expect(parseJsonPath('')).toBeUndefined();
  });
});
