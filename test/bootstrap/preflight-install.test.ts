import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureHostPrerequisites } from '../../src/bootstrap/host-prerequisites.js';
import { buildHostLayout } from '../../src/bootstrap/layout.js';
import { RemoteCommandError, type TugboatError } from '../../src/errors.js';
import { RecordingEvents } from '../../src/events.js';
import { connectSsh } from '../../src/ssh/connect.js';
import type { RemoteShell } from '../../src/ssh/remote-shell.js';
import { type Sshd, startSshd } from '../harness/sshd.js';
import { createPackageFixture, type PackageFixture } from './package-fixture.js';

// Real sshd hosts whose PATH is a directory the test fills; apt-get, dnf, sudo and docker there are
// STAND-INS (package-fixture.ts): nothing is ever installed on this machine.
let dir: string;
const hosts: { sshd: Sshd; fixture: PackageFixture; shell: RemoteShell; name: string }[] = [];
const layout = () => buildHostLayout({ root: join(dir, 'layout') });

async function startHost(name: string, osRelease?: string, hide: readonly string[] = []) {
  const fixture = createPackageFixture(join(dir, name));
  // A program hidden from the host's own /usr/sbin (which preflight also looks in): /dev/null over it.
  const binds = hide.map((target) => ({ source: '/dev/null', target }));
  if (osRelease) {
    writeFileSync(join(dir, name, 'os-release'), osRelease);
    binds.push({ source: join(dir, name, 'os-release'), target: '/etc/os-release' });
  }
  const sshd = await startSshd({ extraConfig: [fixture.sshdSetEnv], mountBinds: binds });
  const shell = await connectSsh({
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    privateKeyPath: sshd.clientKey.privateKeyPath,
    name,
    hostKeys: { knownHostsPath: join(dir, 'known_hosts'), pinnedHostKeys: [sshd.hostKey.publicKey] },
  });
  const host = { sshd, fixture, shell, name };
  hosts.push(host);
  return host;
}

let debian: Awaited<ReturnType<typeof startHost>>;
let amazon: Awaited<ReturnType<typeof startHost>>;
let bare: Awaited<ReturnType<typeof startHost>>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), `tugboat-pf-install-${process.pid}-`));
  debian = await startHost('deb1');
  amazon = await startHost('al1', 'NAME="Amazon Linux"\nID="amzn"\nID_LIKE="fedora"\nVERSION_ID="2023"\n');
  bare = await startHost('net1', undefined, ['/usr/sbin/conntrack']);
});
afterAll(async () => {
  for (const h of hosts) {
    await h.shell.close().catch(() => undefined);
    await h.sshd.stop();
  }
  rmSync(dir, { recursive: true, force: true });
});

const ensure = (
  host: { shell: RemoteShell },
  extra: {
    requireDocker?: boolean;
    requireNetworkTools?: boolean;
    install?: boolean;
    events?: RecordingEvents;
  } = {},
) => ensureHostPrerequisites(host.shell, { layout: layout(), minFreeDiskMb: 0, ...extra });

async function failure(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

describe('preflight installs what is missing (stand-in package managers, real sshd)', () => {
  it('Debian host without node: stand-in apt-get updates once and installs nodejs; as root, no sudo', async () => {
    debian.fixture.reset({ managers: ['apt-get'], sudo: 'ok' });
    const events = new RecordingEvents();
    const result = await ensure(debian, { events });
    expect(debian.fixture.calls()).toEqual([
      'apt-get update DEBIAN_FRONTEND=',
      'apt-get install -y nodejs DEBIAN_FRONTEND=noninteractive',
    ]);
    expect(result.installed).toEqual(['nodejs']);
    expect(result.facts.nodePath).toBe(join(debian.fixture.bin, 'node'));
    expect(result.facts.nodeVersion).toBe(process.version);
    expect(events.events.filter((e) => e.code === 'bootstrap.install')).toEqual([
      {
        code: 'bootstrap.install',
        level: 'info',
        message: 'deb1: installing nodejs with apt-get',
        data: { host: 'deb1', package: 'nodejs', manager: 'apt-get' },
      },
    ]);
  });

  it('a host that has everything installs nothing (the second run after the install)', async () => {
    debian.fixture.clearCalls();
    const result = await ensure(debian);
    expect(result.installed).toEqual([]);
    expect(result.problems).toEqual([]);
    expect(debian.fixture.calls()).toEqual([]);
  });

  it('docker runtime: installs docker.io (node already present) and the stand-in daemon answers', async () => {
    debian.fixture.reset({ node: true, managers: ['apt-get'] });
    const result = await ensure(debian, { requireDocker: true });
    expect(debian.fixture.calls()).toEqual([
      'apt-get update DEBIAN_FRONTEND=',
      'apt-get install -y docker.io DEBIAN_FRONTEND=noninteractive',
    ]);
    expect(result.installed).toEqual(['docker.io']);
    expect(result.facts.dockerVersion).toBe('24.0.7');
  });

  it('installed docker whose daemon is down without systemd: fails saying how to start it', async () => {
    debian.fixture.reset({ node: true, managers: ['apt-get'], docker: true });
    debian.fixture.setDockerDaemon(false);
    const err = await failure(ensure(debian, { requireDocker: true }));
    expect(err.message).toBe(
      'deb1: preflight failed:\n  docker is installed but no daemon answers and systemd is not PID 1: start dockerd under the init system in use (e.g. service docker start)',
    );
    expect(debian.fixture.calls()).toEqual([]);
  });

  it("distribution's node still too old after install (Debian 12 ships 18): fails with how to fix it", async () => {
    debian.fixture.reset({ managers: ['apt-get'] });
    debian.fixture.setInstallMode('old');
    const err = await failure(ensure(debian));
    expect((err as TugboatError).code).toBe('PREFLIGHT_FAILED');
    expect(err.message).toContain(
      'deb1: preflight failed:\n  node v18.19.0 after installing with apt-get: tugboat needs Node.js 20 or later',
    );
    expect(err.message).toContain('https://deb.nodesource.com/setup_20.x');
    expect(err.message).toContain('put a Node.js 20+ binary on PATH as node');
  });

  it('a failing stand-in apt-get: the error names host, step, exit code and the stderr tail', async () => {
    debian.fixture.reset({ managers: ['apt-get'] });
    debian.fixture.setInstallMode('fail');
    const err = await failure(ensure(debian));
    expect(err).toBeInstanceOf(RemoteCommandError);
    const e = err as RemoteCommandError;
    expect([e.host, e.step, e.remoteExitCode]).toEqual(['deb1', 'install nodejs (apt-get)', 100]);
    expect(e.stderrTail).toContain('E: Unable to locate package nodejs');
    expect(e.message).toMatch(/^deb1: install nodejs \(apt-get\) failed \(exit 100\)\n/);
  });

  it('non-root login (stand-in id reports uid 1000): every command goes through sudo -n', async () => {
    debian.fixture.reset({ managers: ['apt-get'], sudo: 'ok', nonRoot: true });
    const result = await ensure(debian);
    expect(debian.fixture.calls()).toEqual([
      'sudo -n true',
      'sudo -n apt-get update',
      'apt-get update DEBIAN_FRONTEND=',
      'sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs',
      'apt-get install -y nodejs DEBIAN_FRONTEND=noninteractive',
    ]);
    expect(result.facts.nodeVersion).toBe(process.version);
  });

  it('non-root login whose sudo wants a password: fails clearly before installing anything', async () => {
    debian.fixture.reset({ managers: ['apt-get'], sudo: 'password', nonRoot: true });
    const err = await failure(ensure(debian));
    expect(err.message).toContain(
      'deb1: the login user is not root and `sudo -n true` failed (exit 1: sudo: a password is required)',
    );
    expect(err.message).toContain('NOPASSWD');
    expect(debian.fixture.calls()).toEqual(['sudo -n true']);
  });

  it('non-root login without sudo, or no package manager at all: says what to install', async () => {
    debian.fixture.reset({ managers: ['apt-get'], nonRoot: true });
    const noSudo = await failure(ensure(debian));
    expect(noSudo.message).toContain(
      'the login user (uid 1000) is not root and sudo is not installed: log in as root or install sudo, or install Node.js 20 or later yourself',
    );
    debian.fixture.reset({});
    const noManager = await failure(ensure(debian));
    expect(noManager.message).toBe(
      'deb1: preflight failed:\n  node is not installed: install Node.js 20 or later\n  no dnf, yum or apt-get found on debian: install Node.js 20 or later yourself',
    );
    expect(debian.fixture.calls()).toEqual([]);
  });

  it('agent hosts: a missing conntrack is installed with the network tools, and only where asked', async () => {
    bare.fixture.reset({ node: true, managers: ['apt-get'] });
    await ensure(bare);
    expect(bare.fixture.calls()).toEqual([]);
    const refused = await failure(ensure(bare, { requireNetworkTools: true, install: false }));
    expect(refused.message).toContain(
      'conntrack is not installed: install it (the agent clears stale UDP flows with it when a Service changes)',
    );
    const result = await ensure(bare, { requireNetworkTools: true });
    expect(bare.fixture.calls()).toEqual([
      'apt-get update DEBIAN_FRONTEND=',
      'apt-get install -y conntrack DEBIAN_FRONTEND=noninteractive',
    ]);
    expect(result.installed).toEqual(['conntrack']);
    expect(result.facts.netTools).toEqual(['iptables', 'ip', 'conntrack']);
    bare.fixture.clearCalls();
    expect((await ensure(bare, { requireNetworkTools: true })).installed).toEqual([]);
    expect(bare.fixture.calls()).toEqual([]);
  });

  it('install: false only reports what is missing', async () => {
    debian.fixture.reset({ managers: ['apt-get'] });
    const err = await failure(ensure(debian, { install: false }));
    expect(err.message).toBe('deb1: preflight failed:\n  node is not installed: install Node.js 20 or later');
    expect(debian.fixture.calls()).toEqual([]);
  });

  it('Amazon Linux 2023 (os-release bind-mounted): stand-in dnf installs nodejs20 and docker; node-20 is used', async () => {
    amazon.fixture.reset({ managers: ['dnf'] });
    const result = await ensure(amazon, { requireDocker: true });
    expect(amazon.fixture.calls()).toEqual([
      'dnf install -y nodejs20 DEBIAN_FRONTEND=',
      'dnf install -y docker DEBIAN_FRONTEND=',
    ]);
    expect(result.facts.distro).toBe('amzn');
    expect(result.facts.nodePath).toBe(join(amazon.fixture.bin, 'node-20'));
    expect(result.installed).toEqual(['nodejs20', 'docker']);
    expect(result.problems).toEqual([]);
  });
});
