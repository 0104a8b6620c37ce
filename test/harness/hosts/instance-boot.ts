import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ImdsServer, startImdsServer } from '../imds.js';
import { type StartedProcess, startProcess } from '../process.js';
import type { InstanceView } from './ec2-view.js';
import { run } from './shell.js';
import type { SimHost } from './sim-host.js';
import { startUnixRelay, type UnixRelay } from './unix-relay.js';

/** The link-local address EC2 serves instance metadata on. */
export const IMDS_ADDRESS = '169.254.169.254';

/** The console output's file in a booted host's directory (`SimHost.layout.dir`). */
export const CONSOLE_OUTPUT_FILE = 'console-output.log';

const RELAY_SCRIPT = fileURLToPath(new URL('./netns-relay.mjs', import.meta.url));

/** How a boot ended: the user-data's exit code, or the signal that ended it. */
export interface BootExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Seconds from the start of the user-data to its end. */
  readonly seconds: number;
}

/** An instance's boot, as the host harness runs it. */
export interface InstanceBoot {
  readonly instanceId: string;
  /** Where the user-data's stdout and stderr go: the instance's console output. */
  readonly consoleFile: string;
  /** The IMDSv2 stand-in of this instance (its requests are recorded). */
  readonly imds: ImdsServer;
  /** When the user-data started (ms since the epoch). */
  readonly startedAt: number;
  /** The console output so far. */
  consoleOutput(): string;
  /** How the user-data ended; undefined while it runs. */
  exit(): BootExit | undefined;
  /** Resolves when the user-data has ended. */
  readonly done: Promise<BootExit>;
  /** PIDs the boot started (the relay in the namespace, the user-data's shell). */
  pids(): number[];
  /** Stops the relay and the user-data if still running, and closes the IMDS stand-in. */
  stop(): Promise<void>;
}

/** Options of {@link startInstanceBoot}. */
export interface InstanceBootOptions {
  readonly host: SimHost;
  readonly instance: InstanceView;
  /** The user-data the instance was launched with. */
  readonly userData: string;
  readonly region: string;
  /** The emulator on the runner's loopback, e.g. http://127.0.0.1:4566. */
  readonly endpoint: string;
  /** The instance profile's role name IMDS reports. @default `tugboat-<cluster>-<role>` from the tags */
  readonly role?: string;
  /**
   * The region IMDS reports, for a test that boots an instance somewhere its user-data was not
   * made for (a fault: boot must refuse and say so). @default `region`
   */
  readonly imdsRegion?: string;
}

/**
 * Boots a simulated host as EC2 boots an instance: gives its network namespace the metadata
 * service at 169.254.169.254:80 (the address on its loopback, and a relay inside the
 * namespace to an IMDSv2 stand-in the harness serves on a unix socket: instance id, zone, type,
 * private IP, the instance role's credentials, the user-data) and the emulator at the same
 * `127.0.0.1:<port>` URL as on the runner (relayed the same way), then runs the user-data as root
 * inside the host's network, mount and UTS namespaces, as cloud-init runs a script part: a clean
 * environment (no AWS keys: credentials come from IMDS), `AWS_ENDPOINT_URL` set to the emulator
 * (what the boot script and the SDK read; on EC2 it is unset). Its stdout and stderr are the
 * instance's console output ({@link InstanceBoot.consoleFile}, in the host's directory).
 */
export async function startInstanceBoot(options: InstanceBootOptions): Promise<InstanceBoot> {
  const { host, instance } = options;
  const url = new URL(options.endpoint);
  const motoPort = Number(url.port || 80);
  const dir = host.layout.dir;
  const cluster = instance.tags['tugboat:cluster'] ?? '';
  const role = options.role ?? `tugboat-${cluster}-${instance.tags['tugboat:role'] ?? 'worker'}`;
  const consoleFile = join(dir, CONSOLE_OUTPUT_FILE);
  let imds: ImdsServer | undefined;
  let aws: UnixRelay | undefined;
  let relay: StartedProcess | undefined;
  let child: ChildProcess | undefined;
  const cleanup = async () => {
    await relay?.stop(2_000);
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await aws?.close();
    await imds?.close();
  };
  try {
    imds = await startImdsServer(
      {
        instanceId: instance.instanceId,
        region: options.imdsRegion ?? options.region,
        availabilityZone: instance.availabilityZone || `${options.region}a`,
        instanceType: instance.instanceType || 't3.medium',
        privateIp: instance.privateIp,
        role,
        // The emulator checks no signature; the session token is per instance, as STS gives one.
        accessKeyId: `ASIA${instance.instanceId.slice(2, 18).toUpperCase()}`,
        secretAccessKey: randomBytes(20).toString('base64'),
        sessionToken: randomBytes(32).toString('base64'),
        userData: options.userData,
      },
      { path: join(dir, 'imds.sock') },
    );
    aws = await startUnixRelay(join(dir, 'aws.sock'), url.hostname, motoPort);
    // A local address of the namespace (on its loopback: this kernel has no dummy devices), so
    // traffic to it never leaves the instance, whatever its routes say.
    run('ip', ['-n', host.netns, 'addr', 'add', `${IMDS_ADDRESS}/32`, 'dev', 'lo']);
    const listeners = [`${IMDS_ADDRESS}:80=${join(dir, 'imds.sock')}`, `127.0.0.1:${motoPort}=${aws.path}`];
    const readyFile = join(dir, 'relay.ready');
    relay = await startProcess(
      'nsenter',
      [`--net=/run/netns/${host.netns}`, process.execPath, RELAY_SCRIPT, readyFile, ...listeners],
      { ready: async () => existsSync(readyFile), timeoutMs: 60_000 },
    );
  } catch (err) {
    await cleanup();
    throw err;
  }
  const script = join(dir, 'user-data');
  writeFileSync(script, options.userData, { mode: 0o700 });
  const consoleFd = openSync(consoleFile, 'a', 0o600);
  const started = Date.now();
  try {
    child = spawn('nsenter', [...host.enterArgs, script], {
      cwd: '/',
      env: {
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: '/root',
        LANG: 'C.UTF-8',
        AWS_ENDPOINT_URL: `http://127.0.0.1:${motoPort}`,
        // Nothing of the runner's: the instance role (IMDS) is the only source of credentials.
        AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
        AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
      },
      stdio: ['ignore', consoleFd, consoleFd],
    });
  } catch (err) {
    await cleanup();
    throw err;
  } finally {
    closeSync(consoleFd);
  }
  let ended: BootExit | undefined;
  const proc = child;
  const done = new Promise<BootExit>((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      ended ??= { code, signal, seconds: (Date.now() - started) / 1000 };
      resolve(ended);
    };
    proc.once('exit', finish);
    proc.once('error', (err) => {
      writeFileSync(consoleFile, `harness: could not start the user-data: ${err.message}\n`, { flag: 'a' });
      finish(127, null);
    });
  });
  const relayPid = relay.pid;
  return {
    instanceId: instance.instanceId,
    consoleFile,
    imds,
    startedAt: started,
    consoleOutput: () => (existsSync(consoleFile) ? readFileSync(consoleFile, 'utf8') : ''),
    exit: () => ended,
    done,
    pids: () => [relayPid, ...(proc.pid ? [proc.pid] : [])],
    stop: cleanup,
  };
}
