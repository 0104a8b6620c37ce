import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorBundle } from '../../fixtures/bundles/operator-bundle.js';
import { operatorCrds } from '../../fixtures/bundles/operator-crds.js';
import { writeBundle } from '../../fixtures/bundles/write-bundle.js';
import { useKubectlServer } from '../../support/kubectl-server.js';

const G = 'stream.bundles.example.com';
const files = operatorBundle();
const objectCount = Object.values(files).reduce((n, objs) => n + objs.length, 0);

const cluster = (name: string, extra = '') => `apiVersion: ${G}/v1
kind: StreamCluster
metadata: {name: ${name}, namespace: stream-demo}
spec:
  listeners:
  - {name: plain, port: 9094, type: internal, tls: false}
  - {name: tls, port: 9095, type: route, tls: true, authentication: {type: tls}}
  storage: {type: jbod, volumes: [{id: 0, type: persistent-claim, size: 100Gi}, {id: 1, type: persistent-claim, size: 50Gi}]}
  config: {offsets.topic.replication.factor: 3, min.insync.replicas: 2}
  resources: {requests: {cpu: 500m, memory: 2Gi}, limits: {cpu: 2, memory: 2Gi}}
  template:
    pod:
      spec:
        containers:
        - name: broker
          env: [{name: HEAP_DUMP, value: "1"}]
          ports: [{containerPort: 9404, name: jmx}]
          resources: {limits: {memory: 4Gi}}
        tolerations: [{key: dedicated, operator: Equal, value: stream, effect: NoSchedule}]${extra}
`;

const others = `apiVersion: ${G}/v1
kind: StreamTopic
metadata: {name: orders, namespace: stream-demo, labels: {${G}/cluster: demo}}
spec: {partitions: 12, retention: 604800000, config: {segment.bytes: 1073741824, compression.type: zstd}}
---
apiVersion: ${G}/v1beta1
kind: StreamUser
metadata: {name: billing, namespace: stream-demo}
spec:
  authentication: {type: scram-sha-512}
  authorization:
    type: simple
    acls:
    - {resource: {type: topic, name: orders}, operations: [Read, Describe]}
    - {resource: {type: group, name: billing-, patternType: prefix}, operations: [Read]}
  quotas: {producerByteRate: 1048576, requestPercentage: 55.5}
---
apiVersion: ${G}/v1
kind: StreamConnector
metadata: {name: orders-sink, namespace: stream-demo}
spec: {class: org.example.SinkConnector, tasksMax: 2, bootstrapServers: "demo-bootstrap:9094,demo-b2:9094", config: {topics: orders}}
---
apiVersion: ${G}/v1
kind: StreamRebalance
metadata: {name: grow, namespace: stream-demo}
spec: {mode: add-brokers, brokers: [3, 4]}
---
apiVersion: ${G}/v1
kind: StreamQuotaPolicy
metadata: {name: small-teams}
spec:
  namespaceSelector: {matchExpressions: [{key: team-size, operator: In, values: [small]}]}
  limits: {brokers: 3, storage: 500Gi}
  defaultTopic: {apiVersion: ${G}/v1, kind: StreamTopic, metadata: {name: template}, spec: {partitions: 3}}
`;

// The kubectl minors issue #13's acceptance names (the dispatcher picks the binary by /version).
describe.each(['33', '30'])('kubectl %s and a CRD-heavy operator bundle', (minor) => {
  const { kubectl, ok } = useKubectlServer(minor, { maxBodyBytes: 3 * 1024 * 1024 });
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tugboat-bundles-'));
    writeBundle(join(dir, 'operator'), files);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const versions = async () =>
    ok([
      'get',
      '-f',
      join(dir, 'operator'),
      '-o',
      'jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion}{"\\n"}{end}',
    ]);

  it('applies the bundle server-side, twice, and its CRDs become established', async () => {
    const big = operatorCrds().filter((c) => JSON.stringify(c).length > 256 * 1024);
    expect(big.length).toBe(2);
    const first = await kubectl(['apply', '--server-side', '-f', join(dir, 'operator')]);
    expect(first.code, first.stderr).toBe(0);
    const lines = first.stdout.trim().split('\n');
    expect(lines.length).toBe(objectCount);
    expect(lines.every((l) => l.endsWith(' serverside-applied'))).toBe(true);
    await ok([
      'wait',
      '--for',
      'condition=established',
      '--timeout=30s',
      'crd',
      '-l',
      'app.kubernetes.io/part-of=stream',
    ]);
    const before = await versions();
    expect(before.trim().split('\n').length).toBe(objectCount);
    await ok(['apply', '--server-side', '-f', join(dir, 'operator')]);
    expect(await versions()).toBe(before);
  }, 240_000);

  it('serves custom resources with their printer columns, versions and scale', async () => {
    await ok(['create', 'namespace', 'stream-demo']);
    expect(await ok(['apply', '-f', '-'], cluster('demo'))).toBe(`streamcluster.${G}/demo created\n`);
    expect(await ok(['apply', '-f', '-'], others)).toBe(
      ['streamtopic', 'streamuser', 'streamconnector', 'streamrebalance', 'streamquotapolicy']
        .map(
          (k, i) => `${k}.${G}/${['orders', 'billing', 'orders-sink', 'grow', 'small-teams'][i]} created\n`,
        )
        .join(''),
    );
    // Status through the status subresource (kubectl patch --subresource, 1.24+) feeds the columns.
    await ok([
      'patch',
      'scl',
      'demo',
      '-n',
      'stream-demo',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"phase":"Ready","readyReplicas":3,"replicas":3,"selector":"app=demo-broker"}}',
    ]);
    await ok([
      'patch',
      'streamtopic',
      'orders',
      '-n',
      'stream-demo',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"conditions":[{"type":"Ready","status":"True","reason":"Created","message":"","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}',
    ]);
    const rows = (text: string) =>
      text
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s{2,}/));
    expect(rows(await ok(['get', 'streamclusters', '-n', 'stream-demo']))).toEqual([
      ['NAME', 'REPLICAS', 'READY', 'VERSION', 'PHASE', 'AGE'],
      ['demo', '3', '3', '3.7.0', 'Ready', expect.stringMatching(/^\d+s$/)],
    ]);
    expect(rows(await ok(['get', 'scl', '-n', 'stream-demo', '-o', 'wide']))[0]).toEqual([
      'NAME',
      'REPLICAS',
      'READY',
      'VERSION',
      'PHASE',
      'STORAGE',
      'AGE',
    ]);
    expect(rows(await ok(['get', 'st', '-n', 'stream-demo']))).toEqual([
      ['NAME', 'CLUSTER', 'PARTITIONS', 'REPLICATION FACTOR', 'READY'],
      ['orders', 'demo', '12', '3', 'True'],
    ]);
    // Created at v1beta1, read at either served version (conversion None); the retired version is gone.
    expect(rows(await ok(['get', 'streamusers', '-n', 'stream-demo']))).toEqual([
      ['NAME', 'AUTHENTICATION', 'AUTHORIZATION', 'READY'],
      ['billing', 'scram-sha-512', 'simple'],
    ]);
    const user = JSON.parse(
      await ok(['get', `streamusers.v1.${G}`, 'billing', '-n', 'stream-demo', '-o', 'json']),
    );
    expect([
      user.apiVersion,
      user.spec.authorization.acls[0].host,
      user.spec.authorization.acls[1].type,
    ]).toEqual([`${G}/v1`, '*', 'allow']);
    const old = await kubectl(['get', `streamclusters.v1beta2.${G}`, '-n', 'stream-demo']);
    expect(rows(old.stdout)[0]).toEqual(['NAME', 'DESIRED', 'PHASE', 'AGE']);
    expect(old.stderr).toBe(`Warning: ${G}/v1beta2 StreamCluster is deprecated; use ${G}/v1 StreamCluster\n`);
    const retired = await kubectl(['get', `streamclusters.v1beta1.${G}`, '-n', 'stream-demo']);
    expect(retired.stderr).toContain(`the server doesn't have a resource type "streamclusters"`);
    // The category lists every kind of the operator; a cluster-scoped kind and a JSON cell.
    const all = await ok(['get', 'stream', '-n', 'stream-demo', '-o', 'name']);
    expect(all.trim().split('\n').sort()).toEqual(
      [
        `streamcluster.${G}/demo`,
        `streamconnector.${G}/orders-sink`,
        `streamquotapolicy.${G}/small-teams`,
        `streamrebalance.${G}/grow`,
        `streamtopic.${G}/orders`,
        `streamuser.${G}/billing`,
      ].sort(),
    );
    expect(rows(await ok(['get', 'srb', '-n', 'stream-demo']))[1]!.slice(0, 3)).toEqual([
      'grow',
      'add-brokers',
      '[3,4]',
    ]);
    const sqp = JSON.parse(await ok(['get', 'sqp', 'small-teams', '-o', 'json']));
    expect([sqp.metadata.namespace, sqp.spec.priority, sqp.spec.defaultTopic.metadata.name]).toEqual([
      undefined,
      100,
      'template',
    ]);
    // Defaults from the schema (and nested list-map items), int-or-string kept as given.
    const sc = JSON.parse(await ok(['get', 'scl', 'demo', '-n', 'stream-demo', '-o', 'json']));
    expect(sc.spec.template.pod.spec.containers[0].ports[0]).toEqual({
      containerPort: 9404,
      name: 'jmx',
      protocol: 'TCP',
    });
    // A default inside an absent object does not apply (rack has none of its own), as upstream.
    expect([sc.spec.rack, sc.spec.storage.deleteClaim, sc.spec.resources.limits.cpu]).toEqual([
      undefined,
      false,
      2,
    ]);
    // The scale subresource, through both kinds' paths.
    expect(await ok(['scale', 'scl/demo', '-n', 'stream-demo', '--replicas=5'])).toBe(
      `streamcluster.${G}/demo scaled\n`,
    );
    expect(await ok(['get', 'scl', 'demo', '-n', 'stream-demo', '-o', 'jsonpath={.spec.replicas}'])).toBe(
      '5',
    );
    await ok(['scale', 'sctr/orders-sink', '-n', 'stream-demo', '--replicas=4']);
    expect(
      await ok(['get', 'sctr', 'orders-sink', '-n', 'stream-demo', '-o', 'jsonpath={.spec.tasksMax}']),
    ).toBe('4');
  }, 240_000);

  it('rejects invalid custom resources with the schema messages, and keeps the stored ones', async () => {
    const bad = await kubectl(
      ['apply', '-f', '-'],
      cluster('bad').replace('name: plain', 'name: Plain!').replace('port: 9095', 'port: 80'),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      'The StreamCluster "bad" is invalid: \n' +
        `* spec.listeners[0].name: Invalid value: "Plain!": spec.listeners[0].name in body should match '^[a-z0-9]{1,11}$'\n` +
        '* spec.listeners[1].port: Invalid value: 80: spec.listeners[1].port in body should be greater than or equal to 9094\n',
    );
    const topic = await kubectl(
      ['apply', '--server-side', '-f', '-'],
      others.split('---\n')[0]!.replace('partitions: 12', 'partitions: 0'),
    );
    expect(topic.stderr).toContain(
      `StreamTopic "orders" is invalid: spec.partitions: Invalid value: 0: spec.partitions in body should be greater than or equal to 1`,
    );
    const user = await kubectl(
      ['create', '-f', '-'],
      others.split('---\n')[1]!.replace('billing', 'other').replace('Read, Describe', 'Read, Fly'),
    );
    expect(user.stderr).toContain(
      'spec.authorization.acls[0].operations[1]: Unsupported value: "Fly": supported values: "Read", "Write", "Create"',
    );
    const conn = await kubectl(
      ['create', '-f', '-'],
      others.split('---\n')[2]!.replace('orders-sink', 'c2').replace('demo-b2:9094', 'demo b2'),
    );
    expect(conn.stderr).toContain('spec.bootstrapServers in body should match');
    const size = await kubectl(
      ['create', '-f', '-'],
      cluster('bad2').replace('size: 100Gi', 'size: ten gigs'),
    );
    expect(size.stderr).toContain('spec.storage.volumes[0].size in body should match');

    expect(await ok(['get', 'st', 'orders', '-n', 'stream-demo', '-o', 'jsonpath={.spec.partitions}'])).toBe(
      '12',
    );
    const names = await ok(['get', 'stream', '-n', 'stream-demo', '-o', 'name']);
    expect(names).not.toMatch(/\/(bad|bad2|other|c2)\n/);
  }, 240_000);
});
