import { describe, expect, it } from 'vitest';
import { applyEntries, type Writer } from '../../../../src/control-plane/api/apply/field-manager.js';
import { encodeFieldsV1 } from '../../../../src/control-plane/api/apply/field-set.js';
import { mergeApplied } from '../../../../src/control-plane/api/apply/merge.js';
import { toFieldSet } from '../../../../src/control-plane/api/apply/object-fields.js';
import { schemaType } from '../../../../src/control-plane/api/apply/type-node.js';
import { applyTypeOf } from '../../../../src/control-plane/api/field-tracking.js';
import { allResources } from '../../../../src/control-plane/registry/index.js';

const deployments = allResources.find((d) => d.plural === 'deployments' && d.group === 'apps')!;
const services = allResources.find((d) => d.plural === 'services' && d.group === '')!;
const type = applyTypeOf(deployments);

// biome-ignore lint/suspicious/noExplicitAny: fieldsV1 trees and objects are read by path
type FieldsTree = any;

const dns = (ports: unknown[], name = 'dns') => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'coredns' },
  spec: { template: { spec: { containers: [{ name, image: 'coredns:1', ports }] } } },
});
const writer = (manager: string): Writer => ({
  manager,
  apiVersion: 'apps/v1',
  time: '2026-01-01T00:00:00Z',
});

describe('apply types from upstream definitions', () => {
  it('keys container ports by containerPort and protocol, TCP when the item leaves it out', () => {
    const set = toFieldSet(dns([{ containerPort: 53 }, { containerPort: 53, protocol: 'UDP' }]), type);
    const ports = encodeFieldsV1(set)['f:spec'] as FieldsTree;
    const list = ports['f:template']['f:spec']['f:containers']['k:{"name":"dns"}']['f:ports'];
    expect(Object.keys(list)).toEqual([
      'k:{"containerPort":53,"protocol":"TCP"}',
      'k:{"containerPort":53,"protocol":"UDP"}',
    ]);
    // The defaulted key is part of the path, not a field the applier owns.
    expect(list['k:{"containerPort":53,"protocol":"TCP"}']).toEqual({ '.': {}, 'f:containerPort': {} });
  });

  it('merges a port without protocol into the stored TCP one and keeps the UDP one', () => {
    const live = dns([
      { containerPort: 53, protocol: 'TCP', name: 'dns-tcp' },
      { containerPort: 53, protocol: 'UDP', name: 'dns' },
    ]);
    const out = mergeApplied(live, dns([{ containerPort: 53, hostPort: 5353 }]), type) as FieldsTree;
    expect(out.spec.template.spec.containers[0].ports).toEqual([
      { containerPort: 53, protocol: 'TCP', name: 'dns-tcp', hostPort: 5353 },
      { containerPort: 53, protocol: 'UDP', name: 'dns' },
    ]);
  });

  it('refuses two items with the same keys, and reports conflicts with both keys in the path', () => {
    expect(() =>
      toFieldSet(dns([{ containerPort: 53 }, { containerPort: 53, protocol: 'TCP' }]), type),
    ).toThrow('duplicate entries for key {"containerPort":53,"protocol":"TCP"}');
    const first = applyEntries(
      [],
      undefined,
      dns([{ containerPort: 53, protocol: 'UDP', name: 'a' }]),
      type,
      writer('one'),
      false,
    );
    expect(() =>
      applyEntries(
        first.entries,
        first.object,
        dns([{ containerPort: 53, protocol: 'UDP', name: 'b' }]),
        type,
        writer('two'),
        false,
      ),
    ).toThrow(
      'Apply failed with 1 conflict: conflict with "one": .spec.template.spec.containers[name="dns"].ports[containerPort=53,protocol="UDP"].name',
    );
  });

  it('reads list types, atomic maps and service ports from the definitions', () => {
    const spec = type.field('spec');
    expect(spec.field('selector').atomic).toBe(true);
    expect(spec.field('template').field('spec').field('tolerations').atomic).toBe(true);
    expect(type.field('metadata').field('finalizers').listType).toBe('set');
    expect(type.field('metadata').field('ownerReferences').keys?.([])).toEqual(['uid']);
    const svcPorts = applyTypeOf(services).field('spec').field('ports');
    expect(svcPorts.keys?.([])).toEqual(['port', 'protocol']);
    expect(svcPorts.keyDefaults).toEqual({ protocol: 'TCP' });
    // Fields no schema declares are deduced: maps by field, lists whole.
    expect(spec.field('bogus').field('x').items().atomic).toBeFalsy();
  });

  it('takes a CRD key field’s own default into the item’s key', () => {
    const crdType = schemaType({
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            listeners: {
              type: 'array',
              'x-kubernetes-list-type': 'map',
              'x-kubernetes-list-map-keys': ['port', 'proto'],
              items: {
                type: 'object',
                required: ['port'],
                properties: { port: { type: 'integer' }, proto: { type: 'string', default: 'tcp' } },
              },
            },
          },
        },
      },
    });
    const set = encodeFieldsV1(
      toFieldSet({ spec: { listeners: [{ port: 1 }, { port: 1, proto: 'udp' }] } }, crdType),
    );
    expect(Object.keys((set['f:spec'] as FieldsTree)['f:listeners'])).toEqual([
      'k:{"port":1,"proto":"tcp"}',
      'k:{"port":1,"proto":"udp"}',
    ]);
    expect(crdType.field('metadata').field('finalizers').listType).toBe('set');
  });
});
