import { describe, expect, it } from 'vitest';
import { decodeKubernetesProtobuf } from '../../../src/control-plane/api/protobuf.js';
import { ApiError } from '../../../src/control-plane/api/status.js';

// A tiny protobuf writer for building test envelopes (the decoder is the code under test).
const varint = (n: number): number[] => {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
};
const bytes = (field: number, data: Buffer | string): Buffer => {
  const b = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.from([...varint((field << 3) | 2), ...varint(b.length), ...b]);
};
const num = (field: number, n: number): Buffer => Buffer.from([...varint(field << 3), ...varint(n)]);
const msg = (...parts: Buffer[]) => Buffer.concat(parts);
const entry = (field: number, k: string, v: string) => bytes(field, msg(bytes(1, k), bytes(2, v)));
const envelope = (apiVersion: string, kind: string, raw: Buffer) =>
  Buffer.concat([
    Buffer.from('k8s\u0000', 'latin1'),
    bytes(1, msg(bytes(1, apiVersion), bytes(2, kind))),
    bytes(2, raw),
  ]);

describe('Kubernetes protobuf bodies', () => {
  it('decodes the TokenRequest of kubectl create token (audiences, expiration, bound object)', () => {
    const ref = msg(bytes(1, 'Pod'), bytes(2, 'v1'), bytes(3, 'web-0'), bytes(4, 'uid-1'));
    const spec = msg(bytes(1, 'vault'), bytes(1, 'sts'), bytes(3, ref), num(4, 600));
    const body = envelope(
      'authentication.k8s.io/v1',
      'TokenRequest',
      msg(bytes(1, bytes(1, 'robot')), bytes(2, spec)),
    );
    expect(decodeKubernetesProtobuf(body)).toEqual({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: { name: 'robot' },
      spec: {
        audiences: ['vault', 'sts'],
        boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web-0', uid: 'uid-1' },
        expirationSeconds: 600,
      },
    });
  });

  it('decodes an Eviction (a client-go eviction), keeping an explicit zero grace period', () => {
    const pre = msg(bytes(1, 'uid-9'));
    const opts = msg(num(1, 0), bytes(2, pre), bytes(4, 'Background'), bytes(5, 'All'));
    const meta = msg(bytes(1, 'web-0'), bytes(3, 'default'));
    const body = envelope('policy/v1', 'Eviction', msg(bytes(1, meta), bytes(2, opts)));
    expect(decodeKubernetesProtobuf(body)).toEqual({
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'web-0', namespace: 'default' },
      deleteOptions: {
        gracePeriodSeconds: 0,
        preconditions: { uid: 'uid-9' },
        propagationPolicy: 'Background',
        dryRun: ['All'],
      },
    });
  });

  it('decodes a ConfigMap with metadata, labels and data, ignoring zero values', () => {
    const meta = msg(bytes(1, 'cfg'), bytes(3, ''), entry(11, 'app', 'web'), bytes(8, Buffer.alloc(0)));
    const body = envelope('v1', 'ConfigMap', msg(bytes(1, meta), entry(2, 'a', 'b'), entry(3, 'bin', 'raw')));
    expect(decodeKubernetesProtobuf(body)).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', labels: { app: 'web' } },
      data: { a: 'b' },
      binaryData: { bin: Buffer.from('raw').toString('base64') },
    });
  });

  it('decodes a Deployment down to container ports and int-or-string fields, keeping explicit zero replicas', () => {
    const container = msg(
      bytes(1, 'web'),
      bytes(2, 'nginx'),
      bytes(6, num(3, 8080)),
      bytes(3, 'sh'),
      num(16, 0),
    );
    const template = msg(bytes(1, msg(entry(11, 'app', 'web'))), bytes(2, msg(bytes(2, container))));
    const strategy = msg(
      bytes(1, 'RollingUpdate'),
      bytes(2, msg(bytes(1, msg(num(1, 1), bytes(3, '25%'))), bytes(2, msg(num(2, 2))))),
    );
    const spec = msg(
      num(1, 0),
      bytes(2, msg(entry(1, 'app', 'web'))),
      bytes(3, template),
      bytes(4, strategy),
    );
    const out = decodeKubernetesProtobuf(
      envelope(
        'apps/v1',
        'Deployment',
        msg(bytes(1, msg(bytes(1, 'web'))), bytes(2, spec), bytes(3, Buffer.alloc(0))),
      ),
    );
    expect(out.spec).toEqual({
      replicas: 0,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 8080 }], command: ['sh'] }],
        },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 2 } },
    });
  });

  it('decodes managedFields (kubectl sends them back on get-modify-update), fieldsV1 as its JSON', () => {
    const fields = { 'f:data': { 'f:a': {} } };
    const managed = msg(
      bytes(1, 'kubectl-client-side-apply'),
      bytes(2, 'Update'),
      bytes(3, 'v1'),
      bytes(4, msg(num(1, 1_764_720_000))),
      bytes(6, 'FieldsV1'),
      bytes(7, msg(bytes(1, JSON.stringify(fields)))),
    );
    const body = envelope('v1', 'ConfigMap', msg(bytes(1, msg(bytes(1, 'cfg'), bytes(17, managed)))));
    expect(decodeKubernetesProtobuf(body)).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'cfg',
        managedFields: [
          {
            manager: 'kubectl-client-side-apply',
            operation: 'Update',
            apiVersion: 'v1',
            time: '2025-12-03T00:00:00Z',
            fieldsType: 'FieldsV1',
            fieldsV1: fields,
          },
        ],
      },
    });
    const broken = msg(bytes(7, msg(bytes(1, '{not json'))));
    const bad = envelope('v1', 'ConfigMap', msg(bytes(1, msg(bytes(1, 'cfg'), bytes(17, broken)))));
    expect(() => decodeKubernetesProtobuf(bad)).toThrow(ApiError);
  });

  it('refuses data it cannot represent with 415, never silently', () => {
    const volumes = msg(bytes(1, msg(bytes(1, 'v'))));
    const pod = envelope('v1', 'Pod', msg(bytes(1, msg(bytes(1, 'p')))));
    const withVolume = envelope(
      'apps/v1',
      'Deployment',
      msg(bytes(2, msg(bytes(3, msg(bytes(2, msg(bytes(1, volumes)))))))),
    );
    for (const body of [
      pod,
      withVolume,
      Buffer.from('k8s\u0000\u00ff', 'latin1'),
      Buffer.from('not protobuf'),
    ]) {
      let caught: unknown;
      try {
        decodeKubernetesProtobuf(body);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ApiError);
      expect((caught as ApiError).code).toBe(415);
    }
  });
});
