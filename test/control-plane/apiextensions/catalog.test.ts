import { describe, expect, it } from 'vitest';
import { ResourceCatalog } from '../../../src/control-plane/registry/catalog.js';
import { allResources } from '../../../src/control-plane/registry/index.js';
import type { ResourceDef } from '../../../src/control-plane/registry/types.js';

function widget(version: string, plural = 'widgets'): ResourceDef {
  return {
    group: 'example.com',
    version,
    kind: 'Widget',
    plural,
    singular: 'widget',
    namespaced: true,
    shortNames: ['wd'],
    categories: [],
    subresources: [],
    columns: [],
    cells: () => [],
  };
}

describe('ResourceCatalog', () => {
  it('serves the built-ins and finds them by path and by kind', () => {
    const c = new ResourceCatalog(allResources);
    expect(c.all()).toEqual(allResources);
    expect(c.find('apps', 'v1', 'deployments')?.kind).toBe('Deployment');
    expect(c.findKind('v1', 'Pod')?.plural).toBe('pods');
    expect(c.find('example.com', 'v1', 'widgets')).toBeUndefined();
    expect(c.groups()[0]).toEqual({ group: '', versions: ['v1'] });
  });

  it('adds and removes a set at run time and tells its listeners each time', () => {
    const c = new ResourceCatalog(allResources);
    const seen: number[] = [];
    const stop = c.onChange(() => seen.push(c.all().length));
    expect(c.register('widgets.example.com', [widget('v1'), widget('v1beta1')])).toBeUndefined();
    expect(c.find('example.com', 'v1beta1', 'widgets')?.kind).toBe('Widget');
    expect(c.groups().at(-1)).toEqual({ group: 'example.com', versions: ['v1', 'v1beta1'] });
    expect(c.groupVersion('example.com', 'v1').map((r) => r.plural)).toEqual(['widgets']);
    c.register('widgets.example.com', [widget('v1')]);
    expect(c.find('example.com', 'v1beta1', 'widgets')).toBeUndefined();
    c.unregister('widgets.example.com');
    expect(c.find('example.com', 'v1', 'widgets')).toBeUndefined();
    expect(c.all()).toEqual(allResources);
    stop();
    c.register('widgets.example.com', [widget('v1')]);
    expect(seen).toEqual([allResources.length + 2, allResources.length + 1, allResources.length]);
  });

  it('refuses a set that would shadow a built-in or another owner', () => {
    const c = new ResourceCatalog(allResources);
    const pods = { ...widget('v1', 'pods'), group: '' };
    expect(c.register('evil', [pods])).toBe('/v1/pods');
    expect(c.find('', 'v1', 'pods')?.kind).toBe('Pod');
    c.register('a', [widget('v1')]);
    expect(c.register('b', [widget('v1')])).toBe('example.com/v1/widgets');
    expect(c.registered('b')).toBeUndefined();
  });
});
