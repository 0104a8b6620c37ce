import { describe, expect, it } from 'vitest';
import { type Attributes, authorize, type NodeGraph } from '../../../src/control-plane/auth/authorize.js';
import type { Verb } from '../../../src/kube/index.js';

const node = { name: 'node:node-a', groups: ['tugboat:nodes'] };
const graph: NodeGraph = { podNode: async () => undefined, pods: async () => [] };
const slices = (verb: Verb, subresource?: string): Attributes => ({
  verb,
  group: 'discovery.k8s.io',
  resource: 'endpointslices',
  subresource,
  namespace: undefined,
  name: undefined,
});

describe('node rules for EndpointSlices', () => {
  it('lets a node read EndpointSlices (its service proxy and DNS watch them) and nothing more', async () => {
    for (const verb of ['get', 'list', 'watch'] as Verb[])
      expect(await authorize(node, slices(verb), graph)).toBe(true);
    for (const verb of ['create', 'update', 'patch', 'delete', 'deletecollection'] as Verb[])
      expect(await authorize(node, slices(verb), graph)).toBe(false);
    expect(await authorize(node, slices('get', 'status'), graph)).toBe(false);
    expect(await authorize({ name: 'someone', groups: [] }, slices('list'), graph)).toBe(false);
  });
});
