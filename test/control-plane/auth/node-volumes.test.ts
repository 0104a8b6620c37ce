import { describe, expect, it } from 'vitest';
import { type Attributes, authorize, type NodeGraph } from '../../../src/control-plane/auth/authorize.js';

const nodeA = { name: 'node:node-a', groups: ['tugboat:nodes'] };
const get = (name: string): Attributes => ({
  verb: 'get',
  group: '',
  resource: 'persistentvolumes',
  subresource: undefined,
  namespace: undefined,
  name,
});

const onNode = (node: string) => ({
  required: {
    nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
  },
});

const volumes: Record<string, unknown> = {
  'local-a': { spec: { nodeAffinity: onNode('node-a') } },
  'local-b': { spec: { nodeAffinity: onNode('node-b') } },
  'wide-affinity': {
    spec: {
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-a', 'node-b'] }] },
          ],
        },
      },
    },
  },
  'used-here': { spec: { claimRef: { namespace: 'app', name: 'data' } } },
  'used-elsewhere': { spec: { claimRef: { namespace: 'app', name: 'other' } } },
};

const graph: NodeGraph = {
  podNode: async () => undefined,
  pods: async (ns) =>
    ns === 'app'
      ? [
          {
            spec: {
              nodeName: 'node-a',
              volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }],
            },
          },
          {
            spec: {
              nodeName: 'node-b',
              volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'other' } }],
            },
          },
        ]
      : [],
  volume: async (name) => volumes[name],
};

describe('node authorizer: persistent volumes', () => {
  it.each([
    ['its own local-path volume', 'local-a', true],
    ['a volume bound to a claim its pods use', 'used-here', true],
    ['a name no volume has (the answer is 404)', 'gone', true],
    ['another node local volume', 'local-b', false],
    ['a volume whose affinity also admits other nodes', 'wide-affinity', false],
    ['a volume used by pods of another node', 'used-elsewhere', false],
  ])('a node may get %s: %s', async (_what, name, allowed) => {
    expect(await authorize(nodeA, get(name), graph)).toBe(allowed);
  });

  it('never lists volumes, and reads none without the volume lookup', async () => {
    expect(await authorize(nodeA, { ...get('local-a'), verb: 'list', name: undefined }, graph)).toBe(false);
    expect(await authorize(nodeA, get('local-a'), { ...graph, volume: undefined })).toBe(false);
  });
});
