import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ETCD_SERVICE, type EtcdMember, etcdPaths, installEtcd } from '../../src/bootstrap/etcd-install.js';
import { buildHostLayout, type HostLayout } from '../../src/bootstrap/layout.js';
import { stopService } from '../../src/bootstrap/service.js';
import { servicePaths } from '../../src/bootstrap/service-units.js';
import type { CertificateAuthority } from '../../src/pki/authority.js';
import { issueEtcdClientCertificate, issueEtcdMemberCertificate } from '../../src/pki/cluster-certs.js';
import type { RemoteShell } from '../../src/ssh/remote-shell.js';

const run = promisify(execFile);

/** One member as `etcdctl member list -w simple` prints it (IDs in hex: its JSON loses their precision). */
export interface ListedMember {
  readonly ID: string;
  readonly name: string;
  readonly peerURLs: readonly string[];
}

/** etcdctl (v3 API) with a client certificate of the cluster CA, written under `dir`. */
export function etcdctlFor(ca: CertificateAuthority, dir: string) {
  const files = {
    ca: join(dir, 'etcdctl-ca.crt'),
    cert: join(dir, 'etcdctl.crt'),
    key: join(dir, 'etcdctl.key'),
  };
  const client = issueEtcdClientCertificate(ca);
  writeFileSync(files.ca, ca.certPem);
  writeFileSync(files.cert, client.certPem);
  writeFileSync(files.key, client.keyPem, { mode: 0o600 });
  const etcdctl = async (endpoints: readonly string[], args: readonly string[]): Promise<string> => {
    const { stdout } = await run(
      'etcdctl',
      [
        `--endpoints=${endpoints.join(',')}`,
        `--cacert=${files.ca}`,
        `--cert=${files.cert}`,
        `--key=${files.key}`,
        '--dial-timeout=3s',
        '--command-timeout=5s',
        ...args,
      ],
      { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 30_000 },
    );
    return stdout;
  };
  const memberList = async (endpoints: readonly string[]): Promise<ListedMember[]> =>
    (await etcdctl(endpoints, ['member', 'list', '-w', 'simple']))
      .trim()
      .split('\n')
      .map((line) => line.split(', '))
      .map(([id, , name, peers]) => ({ ID: id!, name: name ?? '', peerURLs: (peers ?? '').split(',') }));
  return { etcdctl, memberList };
}

/** etcd's decimal member ID (the JSON gateway's, in our events) as etcdctl prints it. */
export const hexMemberId = (decimal: string): string => BigInt(decimal).toString(16);

/** Polls `fn` every 500 ms until it resolves, at most `tries` times; the error names `what` and the last failure. */
export async function eventually<T>(what: string, fn: () => Promise<T>, tries = 120): Promise<T> {
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      return await fn();
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error(`${what}: ${String((last as { stderr?: string }).stderr ?? last)}`);
}

/** Forms a cluster of `members` as bootstrap does (installEtcd, supervised), each in its own layout. */
export async function installMembers(
  shell: RemoteShell,
  members: readonly EtcdMember[],
  layoutOf: (m: EtcdMember) => HostLayout,
  ca: CertificateAuthority,
  cluster: string,
): Promise<void> {
  for (const m of members)
    await installEtcd(shell, {
      layout: layoutOf(m),
      mode: 'supervised',
      member: m,
      members,
      pki: { caPem: ca.certPem, memberCert: issueEtcdMemberCertificate(ca, { altNames: [m.address] }) },
      clusterToken: `tugboat-${cluster}`,
    });
}

/** The instance is gone: its etcd supervisor and etcd get SIGKILL (by PID), its host directory is wiped. */
export function killEtcdHost(layout: HostLayout): void {
  const p = servicePaths(layout, ETCD_SERVICE);
  for (const file of [p.pidfile, p.childPidfile]) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (!(pid > 1)) throw new Error(`${file} holds no PID`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
  rmSync(layout.root, { recursive: true, force: true });
}

/** Simulated masters' host layouts under `root` (one directory per member name), supervised. */
export function etcdHosts(root: string, shell: RemoteShell) {
  const layoutOf = (m: EtcdMember): HostLayout => buildHostLayout({ root: join(root, m.name) });
  return {
    layoutOf,
    /** What of etcd a host has: a supervised service (its pidfile) and a member's data. */
    etcdOn(layout: HostLayout) {
      return {
        service: existsSync(servicePaths(layout, ETCD_SERVICE).pidfile),
        data: existsSync(join(etcdPaths(layout).dataDir, 'member')),
      };
    },
    /** Forms a cluster of `members` as bootstrap does. */
    form: (members: readonly EtcdMember[], ca: CertificateAuthority, cluster: string) =>
      installMembers(shell, members, layoutOf, ca, cluster),
    /** The member's instance is gone (see killEtcdHost). */
    kill: (m: EtcdMember) => killEtcdHost(layoutOf(m)),
    /** Stops etcd on every host of `members` that still exists (afterAll). */
    async stopAll(members: readonly EtcdMember[]): Promise<void> {
      for (const m of members)
        if (existsSync(layoutOf(m).root))
          await stopService(shell, ETCD_SERVICE, { layout: layoutOf(m), mode: 'supervised' }).catch(
            () => undefined,
          );
    },
  };
}
