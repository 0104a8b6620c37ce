import { describe, expect, it } from 'vitest';
import {
  buildInstallPlan,
  choosePackageManager,
  nodeTooOldHint,
} from '../../src/bootstrap/install-packages.js';
import type { PreflightFacts } from '../../src/bootstrap/preflight.js';

const debian: PreflightFacts = {
  os: 'Linux',
  arch: 'x86_64',
  distro: 'debian',
  distroVersion: '12',
  distroLike: '',
  uid: 0,
  packageManagers: ['apt-get'],
  sudo: true,
  nodeVersion: '',
  nodePath: '',
  dockerInstalled: false,
  dockerVersion: '',
  freeDiskMb: 20_000,
  tools: ['tar', 'gzip', 'sha512sum'],
  netTools: [],
  systemd: true,
  clockSkewMs: 0,
};
const rpm = (distro: string, version: string, like: string): PreflightFacts => ({
  ...debian,
  distro,
  distroVersion: version,
  distroLike: like,
  packageManagers: ['dnf', 'yum'],
});
const all = { node: true, docker: true, startDocker: true };
const commands = (facts: PreflightFacts, needs = all) =>
  buildInstallPlan(facts, needs).steps.map((s) => s.command);

describe('install plan (pure)', () => {
  it('chooses the manager by distribution family, else by what is on PATH', () => {
    expect(choosePackageManager(debian)).toBe('apt-get');
    expect(choosePackageManager({ ...debian, distro: 'linuxmint', distroLike: 'ubuntu debian' })).toBe(
      'apt-get',
    );
    expect(choosePackageManager(rpm('amzn', '2023', 'fedora'))).toBe('dnf');
    expect(
      choosePackageManager({ ...rpm('amzn', '2', 'centos rhel fedora'), packageManagers: ['yum'] }),
    ).toBe('yum');
    expect(choosePackageManager({ ...debian, distro: 'arch', packageManagers: ['dnf'] })).toBe('dnf');
    expect(choosePackageManager({ ...debian, packageManagers: [] })).toBeUndefined();
  });

  it('Debian/Ubuntu as root: apt-get update once, nodejs and docker.io, then systemctl enable --now docker', () => {
    expect(commands(debian)).toEqual([
      'apt-get update',
      'env DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs',
      'env DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io',
      'systemctl enable --now docker',
    ]);
  });

  it('names Node.js per distribution: nodejs20 on AL2023, the nodejs:20 stream on RHEL 9, nodejs on Fedora', () => {
    expect(commands(rpm('amzn', '2023', 'fedora'))).toEqual([
      'dnf install -y nodejs20',
      'dnf install -y docker',
      'systemctl enable --now docker',
    ]);
    expect(
      commands(rpm('rocky', '9.3', 'rhel centos fedora'), { ...all, docker: false, startDocker: false }),
    ).toEqual(['dnf module install -y nodejs:20']);
    expect(commands(rpm('fedora', '40', ''), { ...all, docker: false, startDocker: false })).toEqual([
      'dnf install -y nodejs',
    ]);
  });

  it("installs the missing network tools under each family's package names", () => {
    const net = {
      node: false,
      docker: false,
      startDocker: false,
      networkTools: ['iptables', 'ip', 'conntrack'],
    };
    expect(commands(debian, net)).toEqual([
      'apt-get update',
      'env DEBIAN_FRONTEND=noninteractive apt-get install -y iptables iproute2 conntrack',
    ]);
    expect(commands(rpm('amzn', '2023', 'fedora'), net)).toEqual([
      'dnf install -y iptables-nft iproute conntrack-tools',
    ]);
    expect(commands({ ...rpm('amzn', '2', 'centos rhel fedora'), packageManagers: ['yum'] }, net)).toEqual([
      'yum install -y iptables iproute conntrack-tools',
    ]);
    expect(
      buildInstallPlan({ ...debian, packageManagers: [] }, { ...all, networkTools: ['conntrack'] }).problems,
    ).toEqual([
      'no dnf, yum or apt-get found on debian: install Node.js 20 or later, Docker and conntrack yourself',
    ]);
  });

  it('prefixes sudo -n for a non-root login; without sudo or a manager it explains instead', () => {
    expect(commands({ ...debian, uid: 1000 }, { node: true, docker: false, startDocker: false })).toEqual([
      'sudo -n apt-get update',
      'sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs',
    ]);
    const noSudo = buildInstallPlan({ ...debian, uid: 1000, sudo: false }, all);
    expect(noSudo.steps).toEqual([]);
    expect(noSudo.problems).toEqual([
      'the login user (uid 1000) is not root and sudo is not installed: log in as root or install sudo, or install Node.js 20 or later and Docker yourself',
    ]);
    expect(buildInstallPlan({ ...debian, packageManagers: [] }, all).problems).toEqual([
      'no dnf, yum or apt-get found on debian: install Node.js 20 or later and Docker yourself',
    ]);
  });

  it('plans nothing for a host that has everything; only starts an installed Docker where systemd runs', () => {
    expect(buildInstallPlan(debian, { node: false, docker: false, startDocker: false })).toEqual({
      manager: undefined,
      sudo: false,
      steps: [],
      problems: [],
    });
    expect(commands(debian, { node: false, docker: false, startDocker: true })).toEqual([
      'systemctl enable --now docker',
    ]);
    expect(
      commands({ ...debian, systemd: false }, { node: false, docker: false, startDocker: true }),
    ).toEqual([]);
  });

  it('says how to get a newer Node.js when the distribution package is too old', () => {
    const hint = nodeTooOldHint({ ...rpm('rocky', '9', 'rhel'), nodeVersion: 'v16.20.2' }, 'dnf', 20);
    expect(hint).toContain('node v16.20.2 after installing with dnf: tugboat needs Node.js 20 or later');
    expect(hint).toContain('dnf module install -y nodejs:20');
    expect(hint).toContain('https://rpm.nodesource.com/setup_20.x');
  });
});
