/**
 * The locally built pod sandbox image: the program runs and blocks on this machine, the tarball is
 * a valid archive, and a real dockerd imports it and keeps a sandbox from it running, no registry.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../../../src/agent/runtime/docker-runtime.js';
import { buildPauseBinary, buildSingleFileTar, PAUSE_IMAGE } from '../../../src/agent/runtime/pause-image.js';
import { type Dockerd, startDockerd } from '../../harness/dockerd.js';

const dir = mkdtempSync(join(tmpdir(), 'tugboat-pause-netdns-'));
let dockerd: Dockerd;
let runtime: DockerRuntime;

beforeAll(async () => {
  dockerd = await startDockerd();
  runtime = new DockerRuntime({ socketPath: dockerd.socketPath });
}, 120_000);

afterAll(async () => {
  await runtime?.close();
  await dockerd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('pod sandbox image built on the node', () => {
  it('is a static program that blocks until killed', async () => {
    const file = join(dir, 'pause');
    writeFileSync(file, buildPauseBinary());
    chmodSync(file, 0o755);
    expect(execFileSync('file', [file], { encoding: 'utf8' })).toMatch(
      /ELF 64-bit LSB executable, x86-64.*statically linked/,
    );
    expect(execFileSync('file', ['-'], { input: buildPauseBinary('arm64'), encoding: 'utf8' })).toMatch(
      /ELF 64-bit LSB executable, ARM aarch64/,
    );
    expect(() => buildPauseBinary('s390x')).toThrow(/only x64 and arm64/);
    const child = spawn(file, [], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_c, sig) => r(sig)));
    await new Promise((r) => setTimeout(r, 500));
    expect(child.exitCode).toBeNull();
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
  });

  it('makes a tarball tar itself reads', () => {
    const tarFile = join(dir, 'pause.tar');
    writeFileSync(tarFile, buildSingleFileTar('pause', buildPauseBinary()));
    expect(execFileSync('tar', ['-tvf', tarFile], { encoding: 'utf8' })).toMatch(
      /^-rwxr-xr-x .* 129 .*pause\n$/,
    );
  });

  it('is imported by dockerd on first use and keeps a sandbox running with no network', async () => {
    await expect(runtime.ensureImage(PAUSE_IMAGE, 'IfNotPresent')).resolves.toBeTruthy();
    // A second call finds it present and does not import again.
    const id = await runtime.ensureImage(PAUSE_IMAGE, 'Always');
    expect(id).toBe(await runtime.ensureImage(PAUSE_IMAGE, 'IfNotPresent'));
    const sandbox = await runtime.start({
      pod: { namespace: 'default', name: 'p', uid: 'uid-pause-netdns' },
      name: 'POD',
      attempt: 0,
      image: PAUSE_IMAGE,
      env: [],
      mounts: [],
      ports: [],
      network: { mode: 'none' },
      labels: {},
    });
    await new Promise((r) => setTimeout(r, 1000));
    const listed = (await runtime.list()).find((c) => c.id === sandbox.id);
    expect(listed?.state).toBe('running');
    await runtime.remove(sandbox.id);
    expect((await runtime.list()).some((c) => c.id === sandbox.id)).toBe(false);
  });
});
