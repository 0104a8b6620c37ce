import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildHostLayout } from '../../src/bootstrap/layout.js';
import {
  checkPreflight,
  type PreflightFacts,
  parsePreflightOutput,
  renderPreflightScript,
  runPreflight,
} from '../../src/bootstrap/preflight.js';
import { LocalShell } from '../../src/ssh/local-shell.js';

const root = mkdtempSync(join(tmpdir(), `tugboat-preflight-${process.pid}-`));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const layout = buildHostLayout({ root });

const good: PreflightFacts = {
  os: 'Linux',
  arch: 'x86_64',
  distro: 'debian',
  distroVersion: '12',
  distroLike: '',
  uid: 0,
  packageManagers: ['apt-get'],
  sudo: false,
  nodeVersion: 'v20.11.1',
  nodePath: '/usr/bin/node',
  dockerInstalled: true,
  dockerVersion: '20.10.24',
  freeDiskMb: 20_000,
  tools: ['tar', 'gzip', 'sha512sum'],
  netTools: ['iptables', 'ip', 'conntrack'],
  systemd: true,
  clockSkewMs: 400,
};

describe('host layout', () => {
  it('puts everything under the five tugboat directories, below an optional root', () => {
    const real = buildHostLayout();
    expect([real.opt, real.etc, real.lib, real.log, real.run]).toEqual([
      '/opt/tugboat',
      '/etc/tugboat',
      '/var/lib/tugboat',
      '/var/log/tugboat',
      '/run/tugboat',
    ]);
    expect(layout.etc).toBe(join(root, 'etc/tugboat'));
    expect(() => buildHostLayout({ root: 'relative' })).toThrow(/must be an absolute path/);
  });
});

describe('preflight (pure parts)', () => {
  it('renders a deterministic script that quotes the layout', () => {
    const odd = buildHostLayout({ root: "/tmp/it's here" });
    const script = renderPreflightScript(odd);
    expect(script).toBe(renderPreflightScript(odd));
    expect(script).toContain(`d='/tmp/it'\\''s here/var/lib/tugboat'`);
  });

  it('parses key=value output and computes clock skew from the round-trip midpoint', () => {
    const facts = parsePreflightOutput(
      [
        'os=Linux',
        'arch=aarch64',
        'distro=amzn',
        'distro_version=2023',
        'distro_like=fedora',
        'uid=1000',
        'package_manager=dnf',
        'package_manager=yum',
        'sudo=yes',
        // Amazon Linux 2023: `node` may be 18 while nodejs20 installed node-20; the newest wins.
        'node_candidate=v18.20.4 /usr/bin/node',
        'node_candidate=v22.3.0 /usr/bin/node-22',
        'node_candidate=v20.11.1 /usr/bin/node-20',
        'tool=tar',
        'tool=sha512sum',
        'net_tool=iptables',
        'net_tool=ip',
        'docker_installed=yes',
        'docker=',
        'free_kb=2097152',
        'systemd=yes',
        'time=1000',
        '',
      ].join('\n'),
      990_500,
    );
    expect(facts).toEqual({
      os: 'Linux',
      arch: 'aarch64',
      distro: 'amzn',
      distroVersion: '2023',
      distroLike: 'fedora',
      uid: 1000,
      packageManagers: ['dnf', 'yum'],
      sudo: true,
      nodeVersion: 'v22.3.0',
      nodePath: '/usr/bin/node-22',
      dockerInstalled: true,
      dockerVersion: '',
      freeDiskMb: 2048,
      tools: ['tar', 'sha512sum'],
      netTools: ['iptables', 'ip'],
      systemd: true,
      clockSkewMs: 9_500,
    });
  });

  it('accepts a good host and explains every problem of a bad one', () => {
    expect(checkPreflight(good, { requireDocker: true })).toEqual([]);
    const problems = checkPreflight(
      {
        ...good,
        os: 'Darwin',
        arch: 'riscv64',
        nodeVersion: 'v18.19.0',
        dockerInstalled: false,
        dockerVersion: '',
        freeDiskMb: 10,
        clockSkewMs: -120_000,
      },
      { requireDocker: true },
    );
    expect(problems).toEqual([
      'operating system is "Darwin": tugboat hosts must run Linux',
      'architecture "riscv64" is not supported: use one of x86_64, aarch64',
      'node v18.19.0 is too old: install Node.js 20 or later',
      'docker is not installed: install Docker and start it (systemctl enable --now docker)',
      'only 10 MB free for /var/lib/tugboat: free at least 1024 MB',
      'host clock is 120 s behind ours: enable NTP (chrony or systemd-timesyncd)',
    ]);
    expect(checkPreflight({ ...good, nodeVersion: '' })).toEqual([
      'node is not installed: install Node.js 20 or later',
    ]);
  });

  it('needs no node on a host that gets the pinned runtime, but tar, gzip and sha512sum', () => {
    expect(checkPreflight({ ...good, nodeVersion: '', nodePath: '' }, { requireNode: false })).toEqual([]);
    expect(checkPreflight({ ...good, nodeVersion: '', tools: ['gzip'] }, { requireNode: false })).toEqual([
      'tar is not installed: install it (tugboat unpacks and checks its Node.js runtime with it)',
      'sha512sum is not installed: install it (tugboat unpacks and checks its Node.js runtime with it)',
    ]);
  });

  it('asks for iptables, ip and conntrack only where the agent programs the network', () => {
    const bare = { ...good, netTools: ['ip'] };
    expect(checkPreflight(bare)).toEqual([]);
    expect(checkPreflight(bare, { requireNetworkTools: true })).toEqual([
      'iptables is not installed: install it (the agent programs Services and the pod network with it)',
      'conntrack is not installed: install it (the agent clears stale UDP flows with it when a Service changes)',
    ]);
  });
});

describe('runPreflight on this machine', () => {
  const shell = new LocalShell();

  it('finds Linux, this node, free disk and no clock skew', async () => {
    const report = await runPreflight(shell, { layout });
    expect(report.facts.os).toBe('Linux');
    expect(report.facts.arch).toBe(process.arch === 'x64' ? 'x86_64' : 'aarch64');
    expect(report.facts.nodeVersion).toBe(process.version);
    expect(report.facts.nodePath).toMatch(/^\/.*node$/);
    expect(report.facts.freeDiskMb).toBeGreaterThan(0);
    expect(report.facts.tools).toEqual(['tar', 'gzip', 'sha512sum']);
    // scripts/setup.sh installs them; found in /usr/sbin even when PATH lacks it.
    expect(report.facts.netTools).toEqual(['iptables', 'ip', 'conntrack']);
    expect(Math.abs(report.facts.clockSkewMs)).toBeLessThan(5_000);
    expect(report.facts.systemd).toBe(false);
    expect(report.problems.filter((p) => !p.startsWith('only'))).toEqual([]);
  });

  it('reports a host clock that is off (our clock injected 10 minutes ahead)', async () => {
    const report = await runPreflight(shell, { layout, clock: () => Date.now() + 600_000 });
    expect(report.facts.clockSkewMs).toBeLessThan(-590_000);
    expect(report.problems.some((p) => /host clock is \d+ s behind ours/.test(p))).toBe(true);
  });
});
