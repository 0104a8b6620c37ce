import { type EventSink, silentEvents } from '../events.js';
import { quote } from '../ssh/quote.js';
import type { PreflightFacts } from './preflight.js';

/** A package manager tugboat knows how to drive. */
export type PackageManager = 'apt-get' | 'dnf' | 'yum';

/** What a host lacks that tugboat can install. */
export interface PackageNeeds {
  /** Node.js is missing or older than required. */
  readonly node: boolean;
  /** Docker is not installed (the host's runtime is docker). */
  readonly docker: boolean;
  /** Docker is installed (or about to be) but its daemon does not answer: start and enable it. */
  readonly startDocker: boolean;
  /** Network tools the host lacks (see NETWORK_TOOLS in preflight.ts); none when absent. */
  readonly networkTools?: readonly string[];
}

/** One command of an install plan. */
export interface InstallStep {
  /** Step name for errors, e.g. `install nodejs (apt-get)`. */
  readonly step: string;
  /** Packages this command installs (one `bootstrap.install` event each); [] for other commands. */
  readonly packages: readonly string[];
  /** The command line, with `sudo -n` when the login user is not root. */
  readonly command: string;
}

/** What to run on a host, in order. Empty `steps`: nothing to install. */
export interface InstallPlan {
  /** The package manager chosen, or undefined when none was needed or none was found. */
  readonly manager: PackageManager | undefined;
  /** True when the commands run through `sudo -n` (the login user is not root). */
  readonly sudo: boolean;
  readonly steps: readonly InstallStep[];
  /**
   * Why something needed cannot be installed (no package manager, no sudo); each says how to fix
   * it. The plan's steps are not run when this is non-empty.
   */
  readonly problems: readonly string[];
}

const family = (facts: PreflightFacts) => [facts.distro, ...facts.distroLike.split(/\s+/)].filter(Boolean);

/**
 * The package manager for a host: apt-get on Debian and Ubuntu (and their derivatives), dnf (else
 * yum) on Amazon Linux, Fedora and RHEL-likes, and otherwise whichever of them is on PATH. Pure.
 */
export function choosePackageManager(facts: PreflightFacts): PackageManager | undefined {
  const has = (m: PackageManager) => facts.packageManagers.includes(m);
  const fam = family(facts);
  const debianLike = fam.some((d) => d === 'debian' || d === 'ubuntu');
  const rpmLike = fam.some((d) => ['amzn', 'fedora', 'rhel', 'centos'].includes(d));
  if (debianLike && has('apt-get')) return 'apt-get';
  if (rpmLike && has('dnf')) return 'dnf';
  if (rpmLike && has('yum')) return 'yum';
  return (['dnf', 'yum', 'apt-get'] as const).find(has);
}

/**
 * The distribution's Node.js package. Amazon Linux 2023 names it by major (`nodejs20`, installed
 * as `node-20`); RHEL 8/9 and their rebuilds ship Node.js 20 as a module stream; Debian, Ubuntu and
 * Fedora call it `nodejs` (whose version the re-check verifies). Pure.
 */
export function nodePackageCommand(facts: PreflightFacts, manager: PackageManager): InstallStep {
  const major = Number(facts.distroVersion.split('.')[0]);
  const fam = family(facts);
  if (manager === 'dnf' && facts.distro === 'amzn') {
    return { step: 'install nodejs20 (dnf)', packages: ['nodejs20'], command: 'dnf install -y nodejs20' };
  }
  if (manager === 'dnf' && fam.includes('rhel') && (major === 8 || major === 9)) {
    return {
      step: 'install nodejs:20 (dnf module)',
      packages: ['nodejs:20'],
      command: 'dnf module install -y nodejs:20',
    };
  }
  return installCommand(manager, ['nodejs']);
}

/**
 * The packages that give each network tool: Debian and Ubuntu name them `iptables`, `iproute2`
 * and `conntrack`; the RPM family `iptables-nft` (Amazon Linux 2023 and Fedora; `iptables`
 * elsewhere), `iproute` and `conntrack-tools`. Pure.
 */
export function networkToolPackages(
  facts: PreflightFacts,
  manager: PackageManager,
  tools: readonly string[],
): string[] {
  const apt = manager === 'apt-get';
  const nft = ['amzn', 'fedora'].includes(facts.distro) && facts.distroVersion !== '2';
  const names: Record<string, string> = {
    iptables: apt ? 'iptables' : nft ? 'iptables-nft' : 'iptables',
    ip: apt ? 'iproute2' : 'iproute',
    conntrack: apt ? 'conntrack' : 'conntrack-tools',
  };
  return tools.map((t) => names[t] ?? t);
}

function installCommand(manager: PackageManager, packages: readonly string[]): InstallStep {
  const names = packages.map(quote).join(' ');
  const command =
    manager === 'apt-get'
      ? `env DEBIAN_FRONTEND=noninteractive apt-get install -y ${names}`
      : `${manager} install -y ${names}`;
  return { step: `install ${packages.join(' ')} (${manager})`, packages, command };
}

/**
 * The commands that give a host what it lacks, using its own package manager: `apt-get update`
 * once, then the installs; then `systemctl enable --now docker` where systemd runs. Pure.
 */
export function buildInstallPlan(facts: PreflightFacts, needs: PackageNeeds): InstallPlan {
  const none: InstallPlan = { manager: undefined, sudo: false, steps: [], problems: [] };
  const net = needs.networkTools ?? [];
  const installs = needs.node || needs.docker || net.length > 0;
  if (!installs && !needs.startDocker) return none;
  const sudo = facts.uid !== 0;
  const problems: string[] = [];
  if (sudo && !facts.sudo) {
    problems.push(
      `the login user (uid ${facts.uid}) is not root and sudo is not installed: log in as root or install sudo, or install ${wanted(needs)} yourself`,
    );
  }
  const steps: InstallStep[] = [];
  const manager = installs ? choosePackageManager(facts) : undefined;
  if (installs && !manager) {
    problems.push(
      `no dnf, yum or apt-get found on ${facts.distro || 'this host'}: install ${wanted(needs)} yourself`,
    );
  }
  if (manager) {
    if (manager === 'apt-get')
      steps.push({ step: 'apt-get update', packages: [], command: 'apt-get update' });
    if (needs.node) steps.push(nodePackageCommand(facts, manager));
    if (needs.docker) steps.push(installCommand(manager, [manager === 'apt-get' ? 'docker.io' : 'docker']));
    if (net.length > 0) steps.push(installCommand(manager, networkToolPackages(facts, manager, net)));
  }
  if (needs.startDocker && facts.systemd) {
    steps.push({ step: 'start docker', packages: [], command: 'systemctl enable --now docker' });
  }
  const withSudo = steps.map((s) => (sudo ? { ...s, command: `sudo -n ${s.command}` } : s));
  return { manager, sudo, steps: problems.length > 0 ? [] : withSudo, problems };
}

function wanted(needs: PackageNeeds): string {
  const parts = [
    needs.node ? 'Node.js 20 or later' : '',
    needs.docker ? 'Docker' : '',
    ...(needs.networkTools ?? []),
  ].filter(Boolean);
  if (parts.length <= 1) return parts[0] ?? 'Docker';
  return `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

/** How to get Node.js ≥ `minMajor` when the distribution's package is older. Pure. */
export function nodeTooOldHint(
  facts: PreflightFacts,
  manager: PackageManager | undefined,
  minMajor: number,
): string {
  const found = facts.nodeVersion ? `node ${facts.nodeVersion}` : 'no node';
  const how =
    manager === 'apt-get'
      ? `add NodeSource's repository (curl -fsSL https://deb.nodesource.com/setup_${minMajor}.x | sudo -E bash -) and run apt-get install -y nodejs`
      : manager
        ? `enable a newer stream (dnf module install -y nodejs:${minMajor}) or NodeSource's repository (https://rpm.nodesource.com/setup_${minMajor}.x) and install nodejs`
        : `install Node.js ${minMajor} from https://nodejs.org`;
  return `${found} after installing with ${manager ?? 'no package manager'}: tugboat needs Node.js ${minMajor} or later: ${how}, or put a Node.js ${minMajor}+ binary on PATH as node (e.g. /usr/local/bin/node), then re-run`;
}

/** Emits one `bootstrap.install` event per package of `step`. */
export function emitInstallEvents(
  events: EventSink | undefined,
  host: string,
  manager: PackageManager | undefined,
  step: InstallStep,
): void {
  for (const pkg of step.packages) {
    (events ?? silentEvents).emit({
      code: 'bootstrap.install',
      level: 'info',
      message: `${host}: installing ${pkg} with ${manager}`,
      data: { host, package: pkg, manager },
    });
  }
}
