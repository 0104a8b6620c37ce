import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerApi } from '../../src/agent/runtime/docker-api.js';
import { type StartedProcess, startProcess } from './process.js';

/** A private Docker daemon started by a test, with its own bridge, socket and directories. */
export interface Dockerd {
  readonly socketPath: string;
  readonly api: DockerApi;
  /** Environment that points the docker CLI and the agent at this daemon. */
  readonly env: NodeJS.ProcessEnv;
  /** The name of the imported busybox image. */
  readonly busyboxImage: string;
  stop(): Promise<void>;
}

let counter = 0;

/**
 * Starts dockerd with temp --data-root/--exec-root/--pidfile and a unix socket, on a bridge of its
 * own (so several test daemons on one machine do not fight over docker0) and without touching
 * iptables (so the machine's firewall stays as it was). Imports `local/busybox` built from the
 * busybox-static binary. Stops it by PID and removes everything it made.
 */
export async function startDockerd(): Promise<Dockerd> {
  const id = `${process.pid}-${counter++}`;
  const dir = mkdtempSync(join(tmpdir(), `tugboat-dockerd-${id}-`));
  const socketPath = join(dir, 'docker.sock');
  const bridge = `tb${process.pid % 100000}x${counter}`;
  const subnet = pickSubnet();
  execFileSync('ip', ['link', 'add', 'name', bridge, 'type', 'bridge']);
  let proc: StartedProcess | undefined;
  const api = new DockerApi(socketPath);
  const cleanup = () => {
    api.close();
    try {
      execFileSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    execFileSync('ip', ['addr', 'add', `${subnet}.1/24`, 'dev', bridge]);
    execFileSync('ip', ['link', 'set', bridge, 'up']);
    proc = await startProcess(
      'dockerd',
      [
        ...dockerdDirArgs(dir, socketPath),
        '--bridge',
        bridge,
        '--iptables=false',
        '--ip6tables=false',
        '--ip-masq=false',
        '--ip-forward=false',
      ],
      {
        ready: () => ping(api),
        timeoutMs: 60_000,
      },
    );
    // If the test process dies without afterAll, do not leave a daemon behind.
    const child = proc.child;
    process.once('exit', () => child.kill('SIGKILL'));
    await importBusybox(api, dir);
  } catch (err) {
    await proc?.stop(10_000);
    cleanup();
    throw err;
  }
  const started = proc;
  return {
    socketPath,
    api,
    env: { DOCKER_HOST: `unix://${socketPath}` },
    busyboxImage: 'local/busybox:latest',
    async stop() {
      const left = await api
        .json<{ Id: string }[]>('GET', '/containers/json', { query: { all: true } })
        .catch(() => []);
      for (const c of left)
        await api.json('DELETE', `/containers/${c.Id}`, { query: { force: true } }).catch(() => {});
      await started.stop(20_000);
      cleanup();
    },
  };
}

/** dockerd's data, exec and pid paths under `dir`, listening only on the unix socket. */
export function dockerdDirArgs(dir: string, socketPath: string): string[] {
  return [
    '--data-root',
    join(dir, 'data'),
    '--exec-root',
    join(dir, 'exec'),
    '--pidfile',
    join(dir, 'docker.pid'),
    '-H',
    `unix://${socketPath}`,
  ];
}

export async function ping(api: DockerApi): Promise<boolean> {
  const res = await api.stream('GET', '/_ping');
  res.resume();
  return res.statusCode === 200;
}

/** A /24 under 172.30.0.0/16 that no current route covers. */
function pickSubnet(): string {
  const routes = execFileSync('ip', ['-4', 'route'], { encoding: 'utf8' });
  for (let i = 0; i < 250; i++) {
    const third = (process.pid + counter * 7 + i) % 250;
    const net = `172.30.${third}`;
    if (!routes.includes(`${net}.`)) return net;
  }
  throw new Error('no free 172.30.x.0/24 subnet for a test bridge');
}

/** Builds a rootfs with /bin/busybox and its applet links and imports it as local/busybox. */
export async function importBusybox(api: DockerApi, dir: string): Promise<void> {
  const rootfs = join(dir, 'rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'www', 'proc', 'sys', 'dev'])
    mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
  const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const a of applets) if (a !== 'busybox') symlinkSync('busybox', join(rootfs, 'bin', a));
  writeFileSync(
    join(rootfs, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n',
  );
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  writeFileSync(join(rootfs, 'www/index.html'), 'hello from tugboat\n');
  const tar = spawn('tar', ['-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const res = await api.stream('POST', '/images/create', {
    query: { fromSrc: '-', repo: 'local/busybox', tag: 'latest', changes: 'ENV PATH=/bin' },
    stream: tar.stdout,
  });
  const text = await new Promise<string>((resolve) => {
    let s = '';
    res.on('data', (c) => {
      s += c;
    });
    res.on('end', () => resolve(s));
  });
  if (text.includes('"error"')) throw new Error(`busybox import failed: ${text}`);
}
