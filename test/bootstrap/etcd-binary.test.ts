import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureEtcdBinary } from '../../src/bootstrap/etcd-binary.js';
import {
  DEFAULT_ETCD_PATH,
  ETCD_SERVICE,
  type EtcdMember,
  etcdClientUrls,
  installEtcd,
} from '../../src/bootstrap/etcd-install.js';
import { etcdReleasePaths } from '../../src/bootstrap/etcd-release.js';
import { buildHostLayout } from '../../src/bootstrap/layout.js';
import { stopService } from '../../src/bootstrap/service.js';
import { servicePaths } from '../../src/bootstrap/service-units.js';
import { uninstallHost } from '../../src/bootstrap/uninstall.js';
import type { TugboatError } from '../../src/errors.js';
import { RemoteCommandError } from '../../src/errors.js';
import { RecordingEvents } from '../../src/events.js';
import { createCa, issueEtcdClientCertificate, issueEtcdMemberCertificate } from '../../src/pki/index.js';
import { LocalShell } from '../../src/ssh/local-shell.js';
import { eventually } from '../support/etcd-members.js';
import { buildWrappedRelease, useTestEtcdRelease } from '../support/etcd-release.js';

const run = promisify(execFile);
const release = useTestEtcdRelease('host');
const shell = new LocalShell({ host: 'etcdrelease-host' });
const absent = join(release.dir, 'no-package', 'etcd');

/** A loader that counts calls and hands out `tarball`. */
function loader(tarball: Buffer) {
  const calls: string[] = [];
  return {
    calls,
    load: async (arch: string) => {
      calls.push(arch);
      return tarball;
    },
  };
}

describe('ensureEtcdBinary: which etcd a master runs', () => {
  it('auto takes the distribution package when the host has it, and loads nothing', async () => {
    const layout = buildHostLayout({ root: join(release.dir, 'auto-pkg') });
    const l = loader(release.tarball);
    const got = await ensureEtcdBinary(shell, { layout, pin: release.pin, loadRelease: l.load });
    expect(got).toEqual({
      source: 'package',
      etcdPath: DEFAULT_ETCD_PATH,
      etcdctlPath: '/usr/bin/etcdctl',
      bytesUploaded: 0,
    });
    expect(l.calls).toEqual([]);
  });

  it('package on a host without it fails saying how to fix it', async () => {
    const layout = buildHostLayout({ root: join(release.dir, 'pkg-missing') });
    const err = await ensureEtcdBinary(shell, {
      layout,
      source: 'package',
      packagePath: absent,
      pin: release.pin,
      loadRelease: loader(release.tarball).load,
    }).catch((e: unknown) => e);
    expect((err as TugboatError).code).toBe('ETCD_NOT_INSTALLED');
    expect((err as Error).message).toContain(`etcd.source is package but ${absent} is not there`);
    expect(existsSync(layout.opt)).toBe(false);
  });

  it('a tampered tarball is refused on the host: nothing unpacked', async () => {
    const layout = buildHostLayout({ root: join(release.dir, 'tampered') });
    const tampered = Buffer.from(release.tarball);
    tampered[tampered.length - 20] = (tampered[tampered.length - 20]! + 1) % 256;
    const err = await ensureEtcdBinary(shell, {
      layout,
      packagePath: absent,
      pin: release.pin,
      loadRelease: loader(tampered).load,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteCommandError);
    expect((err as Error).message).toContain(
      `differs from the pinned ${release.pin.archives.amd64.sha256}: refusing to install it`,
    );
    const p = etcdReleasePaths(layout, release.version);
    expect(existsSync(p.dir)).toBe(false);
    expect(readdirSync(p.root)).toEqual([]);
  });

  it('without the package (auto), unpacks the release into a versioned directory once; a real member runs from it; the next pin restarts it on the new path; uninstall removes them', async () => {
    const layout = buildHostLayout({ root: join(release.dir, 'release') });
    const p = etcdReleasePaths(layout, release.version);
    const l = loader(release.tarball);
    const events = new RecordingEvents();
    const got = await ensureEtcdBinary(shell, {
      layout,
      packagePath: absent,
      pin: release.pin,
      loadRelease: l.load,
      events,
    });
    expect(got).toEqual({
      source: 'release',
      etcdPath: p.etcd,
      etcdctlPath: p.etcdctl,
      version: release.version,
      bytesUploaded: release.tarball.length,
    });
    expect(l.calls).toEqual(['amd64']);
    expect(events.codes()).toContain('etcd-release.installed');
    expect(readFileSync(p.marker, 'utf8').trim()).toBe(
      `etcd-v${release.version}-linux-amd64.tar.gz ${release.pin.archives.amd64.sha256}`,
    );
    expect((await run(p.etcdctl, ['version'], { env: { ETCDCTL_API: '3' } })).stdout).toContain(
      'etcdctl version',
    );
    // The host has it now: nothing loaded or sent.
    const again = await ensureEtcdBinary(shell, {
      layout,
      packagePath: absent,
      pin: release.pin,
      loadRelease: l.load,
    });
    expect(again.bytesUploaded).toBe(0);
    expect(l.calls).toHaveLength(1);

    // A member of its own on 127.0.118.1, run from the unpacked binary.
    const ca = createCa({ cluster: 'etcdrel' });
    const member: EtcdMember = { name: 'm1', address: '127.0.118.1' };
    const install = (etcdPath: string) =>
      installEtcd(shell, {
        layout,
        mode: 'supervised',
        member,
        members: [member],
        pki: {
          caPem: ca.certPem,
          memberCert: issueEtcdMemberCertificate(ca, { altNames: [member.address] }),
        },
        clusterToken: 'tugboat-etcdrel',
        etcdPath,
      });
    await install(got.etcdPath);
    const child = servicePaths(layout, ETCD_SERVICE).childPidfile;
    afterAll(() => stopService(shell, ETCD_SERVICE, { layout, mode: 'supervised' }).catch(() => undefined));
    const client = issueEtcdClientCertificate(ca);
    writeFileSync(join(release.dir, 'ca.crt'), ca.certPem);
    writeFileSync(join(release.dir, 'client.crt'), client.certPem);
    writeFileSync(join(release.dir, 'client.key'), client.keyPem, { mode: 0o600 });
    const [endpoint] = etcdClientUrls([member]);
    // The unpacked etcdctl, as the documented recovery uses it.
    const etcdctl = (bin: string, args: string[]) =>
      run(
        bin,
        [
          `--endpoints=${endpoint}`,
          `--cacert=${join(release.dir, 'ca.crt')}`,
          `--cert=${join(release.dir, 'client.crt')}`,
          `--key=${join(release.dir, 'client.key')}`,
          ...args,
        ],
        { env: { ETCDCTL_API: '3' } },
      ).then((r) => r.stdout);
    await eventually('member healthy', () => etcdctl(p.etcdctl, ['endpoint', 'health']));
    const firstPid = Number(readFileSync(child, 'utf8').trim());
    expect(readlinkSync(`/proc/${firstPid}/exe`)).toBe(p.etcd);
    await etcdctl(p.etcdctl, ['put', 'etcdrelease/key', 'v1']);

    // The pin changes (an upgrade): a new versioned directory, so the service's command changes
    // and the member restarts on the new binary with its data; the old version is kept.
    const next = buildWrappedRelease(release.dir, '3.4.99');
    const upgraded = await ensureEtcdBinary(shell, {
      layout,
      packagePath: absent,
      pin: next.pin,
      loadRelease: loader(next.tarball).load,
    });
    const p2 = etcdReleasePaths(layout, '3.4.99');
    expect(upgraded.etcdPath).toBe(p2.etcd);
    const restarted = await install(upgraded.etcdPath);
    expect(restarted.serviceChanged).toBe(true);
    const supervise = readFileSync(join(layout.opt, 'bin', `${ETCD_SERVICE}-supervise.sh`), 'utf8');
    expect(supervise).toContain(p2.etcd);
    expect(supervise).not.toContain(p.etcd);
    await eventually('member back', async () => {
      const pid = Number(readFileSync(child, 'utf8').trim());
      if (pid === firstPid) throw new Error('not restarted yet');
      return etcdctl(p2.etcdctl, ['endpoint', 'health']);
    });
    expect((await etcdctl(p2.etcdctl, ['get', 'etcdrelease/key', '--print-value-only'])).trim()).toBe('v1');
    expect(existsSync(p.etcd)).toBe(true);

    await uninstallHost(shell, {
      layout,
      services: [ETCD_SERVICE],
      mode: 'supervised',
      serviceRules: false,
      podNetwork: false,
    });
    expect(existsSync(p.root)).toBe(false);
    expect(existsSync(layout.opt)).toBe(false);
  }, 180_000);
});
