import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../../../src/agent/runtime/docker-runtime.js';
import { type ContainerLaunch, ImagePullError } from '../../../src/agent/runtime/types.js';
import { type Dockerd, startDockerd } from '../../harness/dockerd.js';
import { freePort } from '../../harness/process.js';

let dockerd: Dockerd;
let runtime: DockerRuntime;
let dir: string;

beforeAll(async () => {
  dockerd = await startDockerd();
  runtime = new DockerRuntime({ socketPath: dockerd.socketPath });
  dir = mkdtempSync(join(tmpdir(), `tugboat-rt-${process.pid}-`));
});
afterAll(async () => {
  await runtime?.close();
  await dockerd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const launch = (name: string, overrides: Partial<ContainerLaunch> = {}): ContainerLaunch => ({
  pod: { namespace: 'default', name: `pod-${name}`, uid: `uid-${name}-0000` },
  name,
  attempt: 0,
  image: dockerd.busyboxImage,
  env: [],
  mounts: [],
  ports: [],
  network: { mode: 'bridge' },
  ...overrides,
});

function readAll(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    stream.on('data', (c) => {
      s += c;
    });
    stream.on('end', () => resolve(s));
    stream.on('error', reject);
  });
}

async function waitExited(id: string) {
  for (let i = 0; i < 100; i++) {
    const c = (await runtime.list()).find((x) => x.id === id);
    if (c?.state === 'exited') return c;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`container ${id} did not exit`);
}

describe('DockerRuntime with a real dockerd', () => {
  it('reports its version', async () => {
    expect(await runtime.version()).toMatch(/^docker:\/\/\d+\./);
  });

  it('uses the local image and fails a missing image with ImagePullError', async () => {
    expect(await runtime.ensureImage(dockerd.busyboxImage, 'IfNotPresent')).toMatch(/^sha256:/);
    await expect(runtime.ensureImage('nothing/here:1', 'Never')).rejects.toBeInstanceOf(ImagePullError);
    await expect(
      runtime.ensureImage(`127.0.0.1:${await freePort()}/nothing/here:1`, 'IfNotPresent'),
    ).rejects.toBeInstanceOf(ImagePullError);
  });

  it('runs command, args, env and a read-only mount, labelled with its pod, and keeps logs', async () => {
    writeFileSync(join(dir, 'greeting'), 'ahoy');
    const started = await runtime.start(
      launch('env', {
        command: ['sh', '-c'],
        args: ['echo "$GREETING $(cat /data/greeting)"; echo oops >&2; exit 4'],
        env: [{ name: 'GREETING', value: 'hello' }],
        mounts: [{ hostPath: dir, containerPath: '/data', readOnly: true }],
        memoryLimitBytes: 64 * 1024 * 1024,
        cpuLimitMillis: 500,
      }),
    );
    expect(started).toMatchObject({
      podName: 'pod-env',
      podUid: 'uid-env-0000',
      containerName: 'env',
      attempt: 0,
    });
    const done = await waitExited(started.id);
    expect(done.exitCode).toBe(4);
    const logs = await readAll(await runtime.logs(started.id, {}));
    expect(logs).toContain('hello ahoy\n');
    expect(logs).toContain('oops\n');
    const tail = await readAll(await runtime.logs(started.id, { tailLines: 1, timestamps: true }));
    expect(tail.trim().split('\n')).toHaveLength(1);
    expect(tail).toMatch(/^\d{4}-\d\d-\d\dT/);
    await runtime.remove(started.id);
    expect((await runtime.list()).some((c) => c.id === started.id)).toBe(false);
  });

  it('gives a bridge IP, execs with exit status and stops gracefully', async () => {
    const c = await runtime.start(launch('web', { command: ['httpd', '-f', '-p', '8080', '-h', '/www'] }));
    expect(c.state).toBe('running');
    expect(c.ip).toMatch(/^172\.30\./);
    const res = await fetch(`http://${c.ip}:8080/index.html`);
    expect(await res.text()).toBe('hello from tugboat\n');

    const session = await runtime.exec(c.id, { command: ['sh', '-c', 'ls /; exit 7'] });
    const [out, code] = await Promise.all([readAll(session.stdout), session.exitCode]);
    expect(out).toContain('www');
    expect(code).toBe(7);

    const withStdin = await runtime.exec(c.id, { command: ['cat'], stdin: true });
    const echoed = readAll(withStdin.stdout);
    withStdin.stdin?.write('ping\n');
    withStdin.stdin?.end();
    expect(await echoed).toBe('ping\n');

    await runtime.stop(c.id, 5);
    const stopped = await waitExited(c.id);
    await runtime.remove(c.id);
    expect(stopped.exitCode).not.toBe(0);
  });

  it('publishes a hostPort on the node', async () => {
    const hostPort = await freePort();
    const c = await runtime.start(
      launch('published', {
        command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
        ports: [{ containerPort: 8080, hostPort, hostIP: '127.0.0.1', protocol: 'tcp' }],
      }),
    );
    let body = '';
    for (let i = 0; i < 50 && !body; i++) {
      body = await fetch(`http://127.0.0.1:${hostPort}/index.html`).then(
        (r) => r.text(),
        () => '',
      );
      if (!body) await new Promise((r) => setTimeout(r, 100));
    }
    expect(body).toBe('hello from tugboat\n');
    await runtime.remove(c.id);
  });

  it('keeps containers of other nodes out of sight', async () => {
    const other = new DockerRuntime({ socketPath: dockerd.socketPath, nodeName: 'elsewhere' });
    const c = await other.start(launch('scoped', { command: ['sleep', '60'] }));
    expect((await other.list()).map((x) => x.id)).toEqual([c.id]);
    const scoped = new DockerRuntime({ socketPath: dockerd.socketPath, nodeName: 'here' });
    expect(await scoped.list()).toEqual([]);
    await other.remove(c.id);
    await other.close();
    await scoped.close();
  });

  it('removes what it stopped', async () => {
    const c = await runtime.start(launch('short', { command: ['sleep', '60'] }));
    await runtime.stop(c.id, 1);
    const stopped = await waitExited(c.id);
    expect(stopped.exitCode).not.toBe(0);
    await runtime.remove(c.id);
  });
});
