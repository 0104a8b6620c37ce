import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { DockerApi } from '../../../src/agent/runtime/docker-api.js';
import { importBusybox } from '../dockerd.js';
import { type StartedProcess, startProcess } from '../process.js';
import {
  buildHostLayout,
  type HostDirsMode,
  type HostLayout,
  renderHostInit,
  TUGBOAT_HOST_DIRS,
} from './host-layout.js';
import {
  cgroupDirs,
  namespaceOf,
  pidsInCgroupTree,
  processesIn,
  removeCgroup,
  terminateAll,
} from './host-processes.js';
import { acquireMountTargets, releaseMountTargets } from './mount-targets.js';
import { dockerRules, savedRules } from './net-state.js';
import { run, runAsync, sleep, tryRun } from './shell.js';
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
  /** How the host gets its own tugboat directories (see {@link HostDirsMode}). @default 'bind' */
  readonly hostDirs?: HostDirsMode;
  /** Commands of /usr/bin the host does not have (needs `hostDirs: 'overlay'`). @default [] */
  readonly hiddenCommands?: readonly string[];
  /**
   * Give the host a PID namespace of its own (sshd is its PID 1), so `ps`, /proc and anything
   * that scans processes on the host (like `tugboat uninstall`) see only the host's processes.
   * @default false
   */
  readonly pidNamespace?: boolean;
  /** Environment of every SSH session ({@link HostLayoutOptions.sessionEnv}). @default none */
  readonly sessionEnv?: Readonly<Record<string, string>>;
}

/** An emulated instance made reachable: its private IP answers SSH and runs containers. */
export interface SimHost {
  readonly instanceId: string;
  readonly privateIp: string;
  readonly netns: string;
  readonly layout: HostLayout;
  /** The host key it started with (OpenSSH public key line) to pin; tugboat never trusts a host blindly. */
  readonly hostPublicKey: string;
  /** `IP ssh-ed25519 AAAA…`, ready for a known_hosts file. */
  readonly knownHostsLine: string;
  /** The host's Docker Engine, as the harness reaches it; undefined when started without docker. */
  readonly docker: DockerApi | undefined;
  /** Docker's own iptables rules once its dockerd was ready (see net-state.ts); empty without docker. */
  readonly dockerRules: readonly string[];
  /** Identities (`net:[…]`, `mnt:[…]`) of the host's network and mount namespaces. */
  readonly namespaces: readonly string[];
  /** `nsenter` options that enter the host's network, mount and UTS (and PID) namespaces. */
  readonly enterArgs: readonly string[];
  /** PIDs of every live process in the host (sshd, dockerd, sessions, services they started). */
  processes(): number[];
  /**
   * Gives the host a fresh host key (as a reinstalled machine, or an impostor, would have): sshd
   * reloads and the call returns once the new key is served. Returns the new public key line.
   */
  rotateHostKey(): Promise<string>;
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
  // Bind mounts need their targets on the machine; overlays do not touch the machine's directories.
  const bindTargets = options.hostDirs !== 'overlay';
  if (bindTargets) acquireMountTargets(TUGBOAT_HOST_DIRS.filter((d) => !d.startsWith('/run/')));
  const layout = buildHostLayout({
    dir: options.dir,
    instanceId: options.instanceId,
    authorizedKeys: options.authorizedKeys,
    loginUsers: options.loginUsers ?? ['ec2-user', 'admin', 'ubuntu'],
    hostDirs: options.hostDirs,
    ...(options.hiddenCommands ? { hiddenCommands: options.hiddenCommands } : {}),
    ...(options.sessionEnv ? { sessionEnv: options.sessionEnv } : {}),
  });
  const knownHostsLine = `${privateIp} ${layout.hostPublicKey.split(' ').slice(0, 2).join(' ')}`;
  options.onHostKey?.(knownHostsLine);
  let sshd: StartedProcess | undefined;
  let dockerd: StartedProcess | undefined;
  let docker: DockerApi | undefined;
  let initialDockerRules: string[] = [];
  let netnsId: string | undefined;
  let mntnsId: string | undefined;
  // Held open until stop() is done: a namespace whose last process exits is freed and its inode
  // number reused by the next one made anywhere on the machine, and stop() (which finds processes
  // by namespace identity while waiting for them to go) would then kill a stranger's processes.
  let mntnsHold: number | undefined;
  let released = false;
  let enter: string[] = [];
  const processes = () => (netnsId ? processesIn(netnsId, mntnsId) : []);
  const stop = async () => {
    if (docker) await removeContainers(docker);
    docker?.close();
    await dockerd?.stop(20_000);
    const survivors = await terminateAll(processes, 10_000);
    await sshd?.stop(2_000);
    tryRun('ip', ['netns', 'del', netns]);
    tryRun('ip', ['link', 'del', veth]);
    // Container processes live in the host's cgroup parent: whatever is still there is ours.
    const inCgroups = () => cgroupDirs(options.cgroupParent).flatMap(pidsInCgroupTree);
    survivors.push(...(await terminateAll(inCgroups, 5_000)));
    for (let i = 0; i < 50 && cgroupDirs(options.cgroupParent).length > 0; i++) {
      for (const dir of cgroupDirs(options.cgroupParent)) removeCgroup(dir);
      await sleep(200);
    }
    rmSync(options.dir, { recursive: true, force: true });
    if (mntnsHold !== undefined) closeSync(mntnsHold);
    mntnsHold = undefined;
    if (bindTargets && !released) {
      released = true;
      releaseMountTargets();
    }
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
        ...(options.pidNamespace ? ['--pid', '--fork', '--mount-proc'] : []),
        '--propagation',
        'private',
        'sh',
        '-c',
        renderHostInit(layout, hostname, options.hostDirs),
      ],
      { ready: () => answersSsh(privateIp), timeoutMs: 60_000 },
    );
    mntnsHold = openSync(`/proc/${sshd.pid}/ns/mnt`, 'r');
    mntnsId = namespaceOf(sshd.pid, 'mnt');
    enter = [
      `--net=/run/netns/${netns}`,
      `--mount=/proc/${sshd.pid}/ns/mnt`,
      `--uts=/proc/${sshd.pid}/ns/uts`,
      // The host's /proc shows its own PID namespace: dockerd must live in it to find itself.
      ...(options.pidNamespace ? [`--pid=/proc/${sshd.pid}/ns/pid_for_children`] : []),
    ];
    if (options.docker ?? true) {
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
      initialDockerRules = dockerRules(savedRules(netns));
    }
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
  const started = sshd;
  if (!started) throw new Error(`host ${options.instanceId}: sshd did not start`);
  const rotateHostKey = async () => {
    rmSync(layout.hostKeyFile, { force: true });
    rmSync(`${layout.hostKeyFile}.pub`, { force: true });
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', options.instanceId, '-f', layout.hostKeyFile]);
    const fresh = readFileSync(`${layout.hostKeyFile}.pub`, 'utf8').trim();
    // sshd re-executes itself on SIGHUP (same PID) and reads its host keys again.
    process.kill(sshdPid(started.pid, options.pidNamespace ?? false), 'SIGHUP');
    const wanted = fresh.split(' ')[1] ?? '';
    for (let i = 0; i < 120; i++) {
      const served = await runAsync('ssh-keyscan', ['-T', '5', '-t', 'ed25519', privateIp]).catch(() => '');
      if (served.includes(wanted)) return fresh;
      await sleep(250);
    }
    throw new Error(`host ${options.instanceId}: sshd did not serve its new host key within 30 s`);
  };
  return {
    instanceId: options.instanceId,
    privateIp,
    netns,
    layout,
    hostPublicKey: layout.hostPublicKey,
    knownHostsLine,
    docker,
    dockerRules: initialDockerRules,
    namespaces: [netnsId, mntnsId].filter((n): n is string => n !== undefined),
    enterArgs: enter,
    processes,
    rotateHostKey,
    stop,
  };
}

/**
 * The sshd of a host: the process started (nsenter execs unshare, which execs sh, which execs
 * sshd), or, with a PID namespace, unshare's only child (unshare --fork stays as its parent).
 */
function sshdPid(startedPid: number, pidNamespace: boolean): number {
  if (!pidNamespace) return startedPid;
  const children = readFileSync(`/proc/${startedPid}/task/${startedPid}/children`, 'utf8').trim();
  const pid = Number(children.split(/\s+/)[0]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no sshd below unshare (pid ${startedPid})`);
  return pid;
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
