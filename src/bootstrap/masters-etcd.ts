import { AbortError, TugboatError } from '../errors.js';
import { silentEvents } from '../events.js';
import type { IssuedCertificate } from '../pki/authority.js';
import { issueEtcdMemberCertificate } from '../pki/cluster-certs.js';
import { type ClusterPki, loadOrCreateEtcdClientCertificate, loadOrIssue } from '../pki/cluster-pki.js';
import { sh } from '../ssh/quote.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import { sleep } from '../timing.js';
import { type BootstrapHost, peerAddressOf } from './bootstrap-hosts.js';
import {
  buildEtcdFiles,
  DEFAULT_ETCD_PORTS,
  ETCD_SERVICE,
  type EtcdInstallOptions,
  type EtcdMember,
  etcdClientUrls,
  etcdPaths,
  installEtcd,
} from './etcd-install.js';
import { joinEtcdCluster, readEtcdMemberDisk } from './etcd-join.js';
import { syncHostFiles } from './host-files.js';
import type { HostInstallResult, HostServiceOptions } from './host-install.js';
import type { HostLayout } from './layout.js';
import { servicePaths } from './service-units.js';
import { timedStep } from './timed-step.js';

/** The etcd of a cluster's masters as bootstrap installs it: members, certificates, endpoints. */
export interface MastersEtcd {
  /** One member per master, in the inventory's order, named after the master. */
  readonly members: readonly EtcdMember[];
  /** Each member's certificate (its private address, its connect address and loopback). */
  readonly memberCerts: ReadonlyMap<string, IssuedCertificate>;
  /** The API servers' client certificate. */
  readonly clientCert: IssuedCertificate;
  /** `tugboat-<cluster>`: members of two clusters never join each other. */
  readonly clusterToken: string;
}

/**
 * The etcd members of an inventory's masters (each dialled on its private address) and their
 * certificates, kept in `<pkiDir>/etcd/` so a re-run reuses them (and uploads nothing).
 */
export function mastersEtcd(
  cluster: string,
  masters: readonly BootstrapHost[],
  pki: Pick<ClusterPki, 'ca'>,
  pkiDir: string,
): MastersEtcd {
  const members = masters.map((m) => ({ name: m.name, address: peerAddressOf(m) }));
  const memberCerts = new Map(
    masters.map((m) => {
      const altNames = [...new Set([peerAddressOf(m), m.address])];
      const issue = (now: Date) => issueEtcdMemberCertificate(pki.ca, { altNames, now });
      return [m.name, loadOrIssue(pki, pkiDir, `etcd/${m.name}`, {}, issue, altNames)] as const;
    }),
  );
  return {
    members,
    memberCerts,
    clientCert: loadOrCreateEtcdClientCertificate(pki, pkiDir),
    clusterToken: `tugboat-${cluster}`,
  };
}

/** The `--etcd-endpoints` of one master's API server: its own member first, then the others. Pure. */
export function etcdEndpointsFor(
  member: string,
  members: readonly EtcdMember[],
  ports: { readonly client: number } = DEFAULT_ETCD_PORTS,
): string[] {
  const own = members.filter((m) => m.name === member);
  return etcdClientUrls([...own, ...members.filter((m) => m.name !== member)], ports);
}

/**
 * Checks a member's `/health` from its own host (the client port is open to the masters only),
 * with the member's certificate (it has client usage): exit 0 and the body when etcd reports
 * `"health":"true"` (the member is up and the cluster has a leader), else exit 1 and the reason.
 */
const HEALTH_SCRIPT = `const https=require('https'),fs=require('fs');const [ca,cert,key,url]=process.argv.slice(1);
const fail=(e)=>{process.stdout.write(e.message);process.exit(1)};let tls;
try{tls={ca:fs.readFileSync(ca),cert:fs.readFileSync(cert),key:fs.readFileSync(key)}}catch(e){fail(e)}
const req=https.get(url,{...tls,timeout:3000},(res)=>{let b='';res.setEncoding('utf8');res.on('data',(c)=>{b+=c});res.on('end',()=>{process.stdout.write('HTTP '+res.statusCode+': '+b.slice(0,200));process.exit(res.statusCode===200&&/"health":\\s*"true"/.test(b)?0:1)})});
req.on('timeout',()=>req.destroy(new Error('no answer within 3 s')));req.on('error',fail);`;

/** Options for {@link waitEtcdMemberHealthy}. */
export interface EtcdHealthOptions {
  readonly member: EtcdMember;
  readonly layout: HostLayout;
  /** Node.js on the host (the runtime bootstrap installed). */
  readonly nodePath: string;
  /** @default DEFAULT_ETCD_PORTS */
  readonly ports?: { readonly client: number };
  /** @default 120000 */
  readonly timeoutMs?: number;
  /** @default 1000 */
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Waits until a member reports itself healthy on its own host (up, and its cluster has a leader,
 * which a new cluster has once a majority of members started). Bounded: fails naming the member
 * and the last answer.
 */
export async function waitEtcdMemberHealthy(shell: RemoteShell, options: EtcdHealthOptions): Promise<void> {
  const p = etcdPaths(options.layout);
  const [url] = etcdClientUrls([options.member], options.ports ?? DEFAULT_ETCD_PORTS);
  const timeoutMs = options.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  const command = sh`${options.nodePath} -e ${HEALTH_SCRIPT} ${p.ca} ${p.cert} ${p.key} ${`${url}/health`}`;
  let last = 'no attempt made';
  for (;;) {
    if (options.signal?.aborted) throw new AbortError();
    const result = await shell.exec(command, {
      timeoutMs: 10_000,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (result.code === 0) return;
    last = (result.stdout || result.stderr).trim().slice(0, 300) || `exit ${result.code}`;
    if (Date.now() + (options.intervalMs ?? 1_000) > deadline) break;
    await sleep(options.intervalMs ?? 1_000);
  }
  const { name, address } = options.member;
  throw new TugboatError(
    'ETCD_UNHEALTHY',
    `etcd member ${name} (${address}) was not healthy within ${timeoutMs} ms (last: ${last}): check ${servicePaths(options.layout, ETCD_SERVICE).log} (or journalctl -u ${ETCD_SERVICE}) on ${name}; a new cluster needs a majority of its members started`,
    { exitCode: 4 },
  );
}

/** See {@link etcdStartBarrier}. */
export interface EtcdStartBarrier {
  /** This master's member is installed (or was found running); resolves once every master's is. */
  started(name: string): Promise<void>;
  /** This master failed before starting its member. */
  failed(name: string, err: Error): void;
  /** Runs `fn` after every earlier call's `fn` ended: one membership change at a time. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * The point every master reaches once its etcd member is installed: a new cluster has no quorum
 * until a majority of members run, so no master waits for health before all have started theirs.
 * `failed` releases the waiting masters with the reason when a master cannot get there.
 */
export function etcdStartBarrier(names: readonly string[]): EtcdStartBarrier {
  const pending = new Set(names);
  let release: () => void = () => {};
  let reject: (err: Error) => void = () => {};
  const all = new Promise<void>((resolve, rej) => {
    release = resolve;
    reject = rej;
  });
  // A barrier nobody waits on (one master failed alone) must not be an unhandled rejection.
  all.catch(() => undefined);
  if (pending.size === 0) release();
  let queue: Promise<unknown> = Promise.resolve();
  return {
    exclusive<T>(fn: () => Promise<T>): Promise<T> {
      const run = queue.then(fn, fn);
      queue = run.catch(() => undefined);
      return run;
    },
    started(name: string): Promise<void> {
      pending.delete(name);
      if (pending.size === 0) release();
      return all;
    },
    failed(name: string, err: Error): void {
      if (pending.has(name))
        reject(new Error(`etcd on ${name} was not started (${err.message}): the other members wait for it`));
    },
  };
}

/** `promise`, or an AbortError as soon as `signal` aborts (Ctrl-C while waiting for the other masters). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new AbortError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Options for {@link startEtcdMember}. */
export interface EtcdMemberStartOptions extends HostServiceOptions {
  readonly etcd: MastersEtcd;
  /** The cluster CA certificate (PEM). */
  readonly caPem: string;
  readonly started: EtcdStartBarrier;
  /** Node.js on the host, for the health check. */
  readonly nodePath: string;
  /** @default DEFAULT_ETCD_PATH */
  readonly etcdPath?: string;
  /** Limit for the member to become healthy. @default 120000 */
  readonly timeoutMs?: number;
  /** Join a running cluster or fail; never form one (see EtcdJoinOptions.joinOnly). @default false */
  readonly joinOnly?: boolean;
  /** See EtcdJoinOptions.quorumWaitMs. @default 60000 */
  readonly quorumWaitMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * A master's part of forming etcd: installs its member (idempotent), waits until every master
 * started its own (no quorum before), then until this member is healthy. A master without etcd
 * data while the others run (a replaced master, or one whose data is gone) joins instead: dead
 * members removed, this one added, started with `--initial-cluster-state existing`
 * (see etcd-join.ts); healthy then means it has synced from the others.
 */
export async function startEtcdMember(
  shell: RemoteShell,
  host: BootstrapHost,
  options: EtcdMemberStartOptions,
): Promise<HostInstallResult> {
  const { etcd, started, nodePath, etcdPath, timeoutMs, signal, caPem, joinOnly, quorumWaitMs, ...service } =
    options;
  const events = options.events ?? silentEvents;
  const member = etcd.members.find((m) => m.name === host.name);
  const memberCert = etcd.memberCerts.get(host.name);
  if (!member || !memberCert) throw new Error(`${host.name} is not one of the etcd members`);
  const base: EtcdInstallOptions = {
    ...service,
    member,
    members: etcd.members,
    pki: { caPem, memberCert },
    clusterToken: etcd.clusterToken,
    ...(etcdPath ? { etcdPath } : {}),
  };
  const installed = await timedStep(events, host, 'etcd', async () => {
    const disk = await readEtcdMemberDisk(shell, options.layout);
    // With data, etcd ignores the initial flags: keep the recorded ones, so nothing restarts.
    if (disk.hasData)
      return installEtcd(shell, {
        ...base,
        ...(disk.recorded
          ? { initialClusterState: disk.recorded.state, initialCluster: disk.recorded.cluster }
          : {}),
      });
    // No data: a new cluster, or a replaced master joining a running one (the calls need the certificates).
    const certs = await syncHostFiles(shell, buildEtcdFiles(base), { events, force: service.force ?? false });
    const join = await started.exclusive(() =>
      joinEtcdCluster(shell, {
        self: member,
        members: etcd.members,
        layout: options.layout,
        nodePath,
        events,
        ...(joinOnly ? { joinOnly } : {}),
        ...(quorumWaitMs !== undefined ? { quorumWaitMs } : {}),
        ...(signal ? { signal } : {}),
      }),
    );
    const chosen: EtcdInstallOptions = {
      ...base,
      recordInitialFlags: true,
      ...(join ? { initialClusterState: join.state, initialCluster: join.cluster } : {}),
    };
    const rest = await syncHostFiles(shell, buildEtcdFiles(chosen), { events });
    return installEtcd(shell, {
      ...chosen,
      presynced: {
        uploaded: [...certs.uploaded, ...rest.uploaded],
        unchanged: rest.unchanged,
        bytes: certs.bytes + rest.bytes,
      },
    });
  });
  await timedStep(events, host, 'etcd-members', () => untilAborted(started.started(host.name), signal));
  await timedStep(events, host, 'etcd-healthy', () =>
    waitEtcdMemberHealthy(shell, {
      member,
      layout: options.layout,
      nodePath,
      ...(timeoutMs ? { timeoutMs } : {}),
      ...(signal ? { signal } : {}),
    }),
  );
  return installed;
}
