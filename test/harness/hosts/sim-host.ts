import { mkdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { DockerApi } from '../../../src/agent/runtime/docker-api.js';
import { importBusybox } from '../dockerd.js';
import { type StartedProcess, startProcess } from '../process.js';
import { buildHostLayout, type HostLayout, renderHostInit, TUGBOAT_HOST_DIRS } from './host-layout.js';
import { cgroupDirs, namespaceOf, processesIn, removeCgroup, terminateAll } from './host-processes.js';
import { run, tryRun } from './shell.js';
import type { SubnetBridge } from './subnet-bridge.js';

/** Options for {@link startSimHost}. */
export interface SimHostOptions {
  readonly instanceId: string;
  readonly privateIp: string;
  readonly bridge: SubnetBridge;
  /** Network namespace name (unique: see names.ts). */
  readonly netns: string;
  /** Runner-side veth name. */
  readonly veth: string;
  /** Cgroup parent for the host's containers. */
  readonly cgroupParent: string;
  /** The host's own directory (created; removed by stop). */
  readonly dir: string;
  readonly authorizedKeys: readonly string[];
  /** @default ['ec2-user', 'admin', 'ubuntu'] */
  readonly loginUsers?: readonly string[];
  /** Run a dockerd on the host, with local/busybox imported. @default true */
  readonly docker?: boolean;
  /**
   * Called with the host's known_hosts line once its key exists and before sshd listens, so a
   * client can pin the key before it can first connect. @default none
   */
  readonly onHostKey?: (knownHostsLine: string) => void;
}

/** An emulated instance made reachable: its private IP answers SSH and runs containers. */
export interface SimHost {
  readonly instanceId: string;
  readonly privateIp: string;
  readonly netns: string;
  readonly layout: HostLayout;
  /** The host key (OpenSSH public key line) to pin; tugboat never trusts a host blindly. */
  readonly hostPublicKey: string;
  /** `IP ssh-ed25519 AAAA…`, ready for a known_hosts file. */
  readonly knownHostsLine: string;
  /** The host's Docker Engine, as the harness reaches it; undefined when started without docker. */
  readonly docker: DockerApi | undefined;
  /** Identities (`net:[…]`, `mnt:[…]`) of the host's network and mount namespaces. */
  readonly namespaces: readonly string[];
  /** PIDs of every live process in the host (sshd, dockerd, sessions, services they started). */
  processes(): number[];
  /** Stops every process of the host and removes its namespace, cgroups and files. */
  stop(): Promise<void>;
}

/**
 * Turns one emulated instance into a machine: a network namespace holding its private IP (veth
 * into the subnet's bridge, default route via the subnet's .1), a mount and UTS namespace with
 * private copies of tugboat's host directories, its own /run and /tmp, sshd on port 22, and a
 * dockerd whose socket is the host's /var/run/docker.sock.
 */
export async function startSimHost(options: SimHostOptions): Promise<SimHost> {
  const { netns, veth, bridge, privateIp } = options;
  mkdirSync(options.dir, { recursive: true });
  for (const d of TUGBOAT_HOST_DIRS) if (!d.startsWith('/run/')) mkdirSync(d, { recursive: true });
  const layout = buildHostLayout({
    dir: options.dir,
    instanceId: options.instanceId,
    authorizedKeys: options.authorizedKeys,
    loginUsers: options.loginUsers ?? ['ec2-user', 'admin', 'ubuntu'],
  });
  const knownHostsLine = `${privateIp} ${layout.hostPublicKey.split(' ').slice(0, 2).join(' ')}`;
  options.onHostKey?.(knownHostsLine);
  let sshd: StartedProcess | undefined;
  let dockerd: StartedProcess | undefined;
  let docker: DockerApi | undefined;
  let netnsId: string | undefined;
  let mntnsId: string | undefined;
  const processes = () => (netnsId ? processesIn(netnsId, mntnsId) : []);
  const stop = async () => {
    if (docker) await removeContainers(docker);
    docker?.close();
    await dockerd?.stop(20_000);
    const survivors = await terminateAll(processes, 10_000);
    await sshd?.stop(2_000);
    tryRun('ip', ['netns', 'del', netns]);
    tryRun('ip', ['link', 'del', veth]);
    for (const dir of cgroupDirs(options.cgroupParent)) removeCgroup(dir);
    rmSync(options.dir, { recursive: true, force: true });
    if (survivors.length > 0)
      throw new Error(`host ${options.instanceId}: processes ${survivors.join(', ')} survived SIGKILL`);
  };
  try {
    run('ip', ['netns', 'add', netns]);
    netnsId = readNetnsId(netns);
    run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
    run('ip', ['link', 'set', veth, 'master', bridge.name, 'up']);
    const inNs = (...args: string[]) => run('ip', ['-n', netns, ...args]);
    inNs('link', 'set', 'lo', 'up');
    inNs('addr', 'add', `${privateIp}/${bridge.prefix}`, 'dev', 'eth0');
    inNs('link', 'set', 'eth0', 'up');
    inNs('route', 'add', 'default', 'via', bridge.gateway);
    const hostname = `ip-${privateIp.replaceAll('.', '-')}`;
    sshd = await startProcess(
      'nsenter',
      [
        `--net=/run/netns/${netns}`,
        'unshare',
        '--mount',
        '--uts',
        '--propagation',
        'private',
        'sh',
        '-c',
        renderHostInit(layout, hostname),
      ],
      { ready: () => answersSsh(privateIp), timeoutMs: 60_000 },
    );
    mntnsId = namespaceOf(sshd.pid, 'mnt');
    if (options.docker ?? true) {
      const enter = [
        `--net=/run/netns/${netns}`,
        `--mount=/proc/${sshd.pid}/ns/mnt`,
        `--uts=/proc/${sshd.pid}/ns/uts`,
      ];
      const api = new DockerApi(layout.dockerSocket);
      docker = api;
      dockerd = await startProcess(
        'nsenter',
        [
          ...enter,
          'dockerd',
          '--data-root',
          layout.dockerDataRoot,
          '--exec-root',
          '/run/docker',
          '--pidfile',
          '/run/docker.pid',
          '-H',
          'unix:///run/docker.sock',
          '-H',
          `unix://${layout.dockerSocket}`,
          '--cgroup-parent',
          `/${options.cgroupParent}`,
        ],
        { ready: () => ping(api), timeoutMs: 90_000 },
      );
      await importBusybox(api, join(options.dir, 'busybox'));
    }
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
  return {
    instanceId: options.instanceId,
    privateIp,
    netns,
    layout,
    hostPublicKey: layout.hostPublicKey,
    knownHostsLine,
    docker,
    namespaces: [netnsId, mntnsId].filter((n): n is string => n !== undefined),
    processes,
    stop,
  };
}

/** The namespace identity (`net:[inode]`) behind /run/netns/NAME, read through a short-lived process. */
function readNetnsId(netns: string): string {
  return run('nsenter', [`--net=/run/netns/${netns}`, 'readlink', '/proc/self/ns/net']).trim();
}

/** True once something on IP:22 sends an SSH banner. */
function answersSsh(ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: ip, port: 22, timeout: 2_000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('data', (b) => done(b.toString().startsWith('SSH-')));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

async function ping(api: DockerApi): Promise<boolean> {
  const res = await api.stream('GET', '/_ping');
  res.resume();
  return res.statusCode === 200;
}

async function removeContainers(api: DockerApi): Promise<void> {
  const all = await api
    .json<{ Id: string }[]>('GET', '/containers/json', { query: { all: true } })
    .catch(() => []);
  for (const c of all)
    await api.json('DELETE', `/containers/${c.Id}`, { query: { force: true } }).catch(() => {});
}
