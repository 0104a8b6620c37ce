import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Agent, buildAgent } from '../../src/agent/agent.js';
import { DockerRuntime } from '../../src/agent/runtime/docker-runtime.js';
import { cleanupVolumes } from '../../src/agent/volumes.js';
import { KubeClient, type Pod, resources } from '../../src/client/index.js';
import { type ControlLoops, startControllers } from '../../src/control-plane/controllers/start.js';
import { clientControllerApi } from '../../src/control-plane/machinery/client-api.js';
import type { PersistentVolume, PersistentVolumeClaim } from '../../src/kube/index.js';
import { type Dockerd, startDockerd } from '../harness/dockerd.js';
import { type RunningApiServer, startApiServer } from '../support/api-server.js';
import { makeTestPki, type TestPki } from '../support/certs.js';
import { waitFor } from '../support/wait.js';

// The default local-path class end to end: the real API server, scheduler and volume controller,
// and a real agent (node certificate, so the node authorizer decides what it reads) on dockerd.
const NODE = 'pv-node-a';
let pki: TestPki;
let srv: RunningApiServer;
let dockerd: Dockerd;
let admin: KubeClient;
let nodeClient: KubeClient;
let runtime: DockerRuntime;
let loops: ControlLoops;
let agent: Agent;
let dataDir: string;
let outside: string;

const makeAgent = () =>
  buildAgent({
    client: nodeClient,
    runtime,
    identity: { name: NODE, hostname: NODE, internalIP: '127.0.0.1', zone: 'zone-a' },
    dataDir,
    syncIntervalMs: 300,
    volumeGcMs: 300,
    backoff: { baseMs: 300, maxMs: 2_000 },
  });

beforeAll(async () => {
  pki = makeTestPki();
  srv = await startApiServer({ tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert } });
  admin = new KubeClient({ server: srv.url, ca: pki.ca.cert, ...pki.client('admin', ['system:masters']) });
  loops = startControllers({ api: clientControllerApi(admin), leaderElection: false });
  dockerd = await startDockerd();
  nodeClient = new KubeClient({
    server: srv.url,
    ca: pki.ca.cert,
    ...pki.client(`node:${NODE}`, ['tugboat:nodes']),
  });
  runtime = new DockerRuntime({ socketPath: dockerd.socketPath, nodeName: NODE });
  dataDir = mkdtempSync(join(tmpdir(), `tugboat-pv-agent-${process.pid}-`));
  outside = mkdtempSync(join(tmpdir(), `tugboat-pv-outside-${process.pid}-`));
  agent = makeAgent();
  await agent.start();
});

afterAll(async () => {
  await agent?.stop();
  await runtime?.close();
  nodeClient?.close();
  await loops?.stop();
  admin?.close();
  await srv?.stop();
  await dockerd?.stop();
  if (dataDir) {
    const pods = join(dataDir, 'pods');
    for (const uid of existsSync(pods) ? readdirSync(pods) : []) await cleanupVolumes(dataDir, uid);
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (outside) rmSync(outside, { recursive: true, force: true });
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

const claim = () =>
  admin.create<PersistentVolumeClaim>(resources.persistentVolumeClaims, {
    metadata: { name: 'data', namespace: 'default' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '16Mi' } } },
  });

const runPod = async (name: string, script: string) => {
  await admin.create<Pod>(resources.pods, {
    metadata: { name, namespace: 'default' },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'main',
          image: 'local/busybox:latest',
          command: ['sh', '-c', script],
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
      ],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
    },
  });
  const pod = await waitFor(
    async () => {
      const p = await admin.get<Pod>(resources.pods, name, 'default');
      return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p : undefined;
    },
    `pod ${name} finishes`,
    60_000,
  );
  await admin.delete(resources.pods, name, { namespace: 'default' });
  await waitFor(
    async () =>
      admin.get(resources.pods, name, 'default').then(
        () => false,
        () => true,
      ),
    `pod ${name} is gone`,
    30_000,
  );
  return pod;
};

describe('local-path volumes on a real agent', () => {
  it('provisions on first use, keeps the data across pods and an agent restart, and removes it with the claim', async () => {
    await claim();
    const writer = await runPod('writer', 'echo kept-data > /data/msg');
    expect(writer.status?.phase).toBe('Succeeded');
    expect(writer.spec.nodeName).toBe(NODE);

    const bound = await admin.get<PersistentVolumeClaim>(resources.persistentVolumeClaims, 'data', 'default');
    expect(bound.spec.storageClassName).toBe('local-path');
    expect(bound.status?.phase).toBe('Bound');
    const pvName = bound.spec.volumeName ?? '';
    const pv = await admin.get<PersistentVolume>(resources.persistentVolumes, pvName);
    const dir = join(dataDir, 'volumes', pvName);
    expect(pv.spec.local?.path).toBe(dir);
    expect(readFileSync(join(dir, 'msg'), 'utf8')).toBe('kept-data\n');

    expect((await runPod('reader', 'grep -qx kept-data /data/msg')).status?.phase).toBe('Succeeded');
    // The check can fail: a reader looking for other data does.
    expect((await runPod('wrong-reader', 'grep -qx other /data/msg')).status?.phase).toBe('Failed');

    await agent.stop();
    agent = makeAgent();
    await agent.start();
    expect((await runPod('after-restart', 'grep -qx kept-data /data/msg')).status?.phase).toBe('Succeeded');

    // Things in the volumes dir that are not volume directories are never touched.
    writeFileSync(join(outside, 'precious'), 'x');
    symlinkSync(outside, join(dataDir, 'volumes', 'pvc-link'));
    mkdirSync(join(dataDir, 'volumes', 'Not_A_Volume'));

    await admin.delete(resources.persistentVolumeClaims, 'data', { namespace: 'default' });
    await waitFor(
      async () =>
        admin.get(resources.persistentVolumes, pvName).then(
          () => false,
          () => true,
        ),
      'the Delete reclaim deletes the volume',
    );
    await waitFor(() => !existsSync(dir), 'the agent removes the directory');
    expect(readFileSync(join(outside, 'precious'), 'utf8')).toBe('x');
    expect(existsSync(join(dataDir, 'volumes', 'pvc-link'))).toBe(true);
    expect(existsSync(join(dataDir, 'volumes', 'Not_A_Volume'))).toBe(true);
  });

  it('mounts an administrator hostPath volume pre-bound to a claim, and keeps it on Retain', async () => {
    const hostDir = join(outside, 'managed');
    await admin.create(resources.persistentVolumes, {
      metadata: { name: 'managed' },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: '',
        hostPath: { path: hostDir, type: 'DirectoryOrCreate' },
        claimRef: { namespace: 'default', name: 'data' },
      },
    });
    await admin.create<PersistentVolumeClaim>(resources.persistentVolumeClaims, {
      metadata: { name: 'data', namespace: 'default' },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: '',
        resources: { requests: { storage: '1Gi' } },
      },
    });
    await waitFor(async () => {
      const c = await admin.get<PersistentVolumeClaim>(resources.persistentVolumeClaims, 'data', 'default');
      return c.status?.phase === 'Bound' && c.spec.volumeName === 'managed';
    }, 'the claim binds to the pre-bound volume');
    expect((await runPod('own-writer', 'echo mine > /data/own')).status?.phase).toBe('Succeeded');
    expect(readFileSync(join(hostDir, 'own'), 'utf8')).toBe('mine\n');
    await admin.delete(resources.persistentVolumeClaims, 'data', { namespace: 'default' });
    await waitFor(async () => {
      const v = await admin.get<PersistentVolume>(resources.persistentVolumes, 'managed');
      return v.status?.phase === 'Released';
    }, 'the volume is Released');
    expect(readFileSync(join(hostDir, 'own'), 'utf8')).toBe('mine\n');
  });

  it('keeps a pod whose claim is not bound ContainerCreating with the reason', async () => {
    await admin.create<PersistentVolumeClaim>(resources.persistentVolumeClaims, {
      metadata: { name: 'manual', namespace: 'default' },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: '',
        resources: { requests: { storage: '1Mi' } },
      },
    });
    await admin.create<Pod>(resources.pods, {
      metadata: { name: 'stuck', namespace: 'default' },
      spec: {
        nodeName: NODE,
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'main', image: 'local/busybox:latest', command: ['sleep', '60'] }],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'manual' } }],
      },
    });
    const waiting = await waitFor(async () => {
      const p = await admin.get<Pod>(resources.pods, 'stuck', 'default');
      return p.status?.containerStatuses?.[0]?.state?.waiting;
    }, 'the pod reports why it waits');
    expect(waiting).toEqual({
      reason: 'ContainerCreating',
      message:
        'persistentvolumeclaim "manual" of pod default/stuck is not bound yet (phase Pending): waiting for a volume',
    });
    // The node may not read a volume that is neither its own nor used by its pods.
    await admin.create(resources.persistentVolumes, {
      metadata: { name: 'elsewhere' },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        hostPath: { path: '/srv/elsewhere' },
      },
    });
    await expect(nodeClient.get(resources.persistentVolumes, 'elsewhere')).rejects.toMatchObject({
      status: 403,
    });
  });
});
