import { quote } from '../ssh/quote.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import { runChecked } from '../ssh/remote-shell.js';
import type { HostLayout } from './layout.js';

/** What a host must offer before tugboat installs anything on it. */
export interface PreflightRequirements {
  /**
   * The host's own Node.js must be at least `minNodeMajor` (services run with it). False when
   * tugboat brings its pinned runtime: then `tar`, `gzip` and `sha512sum` must be there to unpack
   * and check it instead. @default true
   */
  readonly requireNode?: boolean;
  /** @default 20 */
  readonly minNodeMajor?: number;
  /** A reachable Docker daemon (worker hosts with the docker runtime). @default false */
  readonly requireDocker?: boolean;
  /**
   * `iptables`, `ip` and `conntrack` (hosts whose agent runs the service proxy or the pod
   * network). @default false
   */
  readonly requireNetworkTools?: boolean;
  /** Free space where /var/lib/tugboat lives. @default 1024 */
  readonly minFreeDiskMb?: number;
  /** Largest tolerated difference between the host's clock and ours. @default 30000 */
  readonly maxClockSkewMs?: number;
  /** @default ['x86_64', 'aarch64'] */
  readonly architectures?: readonly string[];
}

/** What the preflight script found on a host. */
export interface PreflightFacts {
  readonly os: string;
  readonly arch: string;
  readonly distro: string;
  readonly distroVersion: string;
  /** `ID_LIKE` of /etc/os-release, e.g. `fedora` or `rhel centos fedora` ('' when absent). */
  readonly distroLike: string;
  /** The login user's uid (0: root, no sudo needed to install packages). */
  readonly uid: number;
  /** Which of `dnf`, `yum`, `apt-get` are on PATH, in that order. */
  readonly packageManagers: readonly string[];
  /** True when `sudo` is on PATH. */
  readonly sudo: boolean;
  /**
   * The newest Node.js found: `node` on PATH or a versioned `node-NN` (Amazon Linux 2023 installs
   * `node-20`), e.g. `v20.11.1`; '' when there is none.
   */
  readonly nodeVersion: string;
  /** Absolute path of that node (what services run), or ''. */
  readonly nodePath: string;
  /** True when the `docker` command is installed (whether or not its daemon answers). */
  readonly dockerInstalled: boolean;
  /** Docker daemon version, or '' when no daemon answers. */
  readonly dockerVersion: string;
  readonly freeDiskMb: number;
  /** Which of the commands that unpack the pinned runtime (`tar`, `gzip`, `sha512sum`) are on PATH. */
  readonly tools: readonly string[];
  /**
   * Which of the commands the agent programs the network with (`iptables`, `ip`, `conntrack`) are
   * installed, on PATH or in /usr/sbin or /sbin (a non-root login's PATH often lacks them).
   */
  readonly netTools: readonly string[];
  /** True when systemd is PID 1 (services become units; otherwise supervised processes). */
  readonly systemd: boolean;
  /** Host clock minus ours, in ms (±1 s: the host reports whole seconds). */
  readonly clockSkewMs: number;
}

/** Facts and the problems found, each saying how to fix it. Empty `problems` means ready. */
export interface PreflightReport {
  readonly facts: PreflightFacts;
  readonly problems: readonly string[];
}

/** Node.js commands looked for: `node`, then the versioned names of Amazon Linux 2023's packages. */
const NODE_COMMANDS = ['node', 'node-26', 'node-24', 'node-22', 'node-20'];

/** Commands a host needs to receive the pinned runtime. */
const RUNTIME_TOOLS = ['tar', 'gzip', 'sha512sum'];

/**
 * Commands an agent that runs the service proxy or the pod network needs, as kubeadm's preflight
 * requires them for kube-proxy: rules (`iptables`), devices and routes (`ip`), and clearing stale
 * UDP flows after a Service's endpoints change (`conntrack`).
 */
export const NETWORK_TOOLS = ['iptables', 'ip', 'conntrack'] as const;

/** What each network tool is for, in a preflight problem. */
const NETWORK_TOOL_USE: Record<(typeof NETWORK_TOOLS)[number], string> = {
  iptables: 'the agent programs Services and the pod network with it',
  ip: 'the agent makes the pod network devices and routes with it',
  conntrack: 'the agent clears stale UDP flows with it when a Service changes',
};

/** The major version of `v20.11.1` (0 when unparsable). */
export function nodeMajor(version: string): number {
  return Number(/^v(\d+)\./.exec(version)?.[1] ?? 0);
}

/**
 * The preflight script: POSIX sh, read-only, one `key=value` line per fact. Pure: the same layout
 * gives the same text.
 */
export function renderPreflightScript(layout: HostLayout): string {
  return [
    'set -u',
    'echo "os=$(uname -s)"',
    'echo "arch=$(uname -m)"',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, safe under set -u
    'if [ -r /etc/os-release ]; then (. /etc/os-release; echo "distro=${ID:-}"; echo "distro_version=${VERSION_ID:-}"; echo "distro_like=${ID_LIKE:-}"); fi',
    'echo "uid=$(id -u)"',
    'for c in dnf yum apt-get; do if command -v "$c" >/dev/null 2>&1; then echo "package_manager=$c"; fi; done',
    'if command -v sudo >/dev/null 2>&1; then echo sudo=yes; fi',
    `for c in ${NODE_COMMANDS.join(' ')}; do if command -v "$c" >/dev/null 2>&1; then echo "node_candidate=$("$c" --version 2>/dev/null) $(command -v "$c")"; fi; done`,
    `for c in ${RUNTIME_TOOLS.join(' ')}; do if command -v "$c" >/dev/null 2>&1; then echo "tool=$c"; fi; done`,
    `for c in ${NETWORK_TOOLS.join(' ')}; do if command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || [ -x "/sbin/$c" ]; then echo "net_tool=$c"; fi; done`,
    'if command -v docker >/dev/null 2>&1; then echo docker_installed=yes; echo "docker=$(docker version --format \'{{.Server.Version}}\' 2>/dev/null)"; fi',
    // Free space of the nearest existing ancestor of the data directory.
    `d=${quote(layout.lib)}; while [ ! -d "$d" ]; do d=$(dirname "$d"); done`,
    'echo "free_kb=$(df -Pk "$d" | awk \'NR==2 {print $4}\')"',
    'if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then echo systemd=yes; else echo systemd=no; fi',
    'echo "time=$(date +%s)"',
    '',
  ].join('\n');
}

/** Parses the script's output. `localMidpointMs` is our clock halfway through the round trip. */
export function parsePreflightOutput(stdout: string, localMidpointMs: number): PreflightFacts {
  const kv = new Map<string, string>();
  const managers: string[] = [];
  const tools: string[] = [];
  const netTools: string[] = [];
  let node = { version: '', path: '' };
  for (const line of stdout.split('\n')) {
    const at = line.indexOf('=');
    if (at <= 0) continue;
    const key = line.slice(0, at);
    const value = line.slice(at + 1).trim();
    if (key === 'package_manager') managers.push(value);
    else if (key === 'tool') tools.push(value);
    else if (key === 'net_tool') netTools.push(value);
    else if (key === 'node_candidate') {
      // `v20.11.1 /usr/bin/node-20`: the newest wins, `node` itself on a tie (it comes first).
      const [version = '', path = ''] = value.split(' ');
      if (path && nodeMajor(version) > nodeMajor(node.version)) node = { version, path };
    } else kv.set(key, value);
  }
  const get = (k: string) => kv.get(k) ?? '';
  const time = Number(get('time'));
  return {
    os: get('os'),
    arch: get('arch'),
    distro: get('distro'),
    distroVersion: get('distro_version'),
    distroLike: get('distro_like'),
    uid: get('uid') === '' ? -1 : Number(get('uid')),
    packageManagers: managers,
    sudo: get('sudo') === 'yes',
    nodeVersion: node.version,
    nodePath: node.path,
    dockerInstalled: get('docker_installed') === 'yes',
    dockerVersion: get('docker'),
    freeDiskMb: Math.floor(Number(get('free_kb') || 0) / 1024),
    tools,
    netTools,
    systemd: get('systemd') === 'yes',
    clockSkewMs: Number.isFinite(time) && time > 0 ? time * 1000 - localMidpointMs : Number.NaN,
  };
}

/** The network tools a host lacks. Pure. */
export function missingNetworkTools(facts: PreflightFacts): (typeof NETWORK_TOOLS)[number][] {
  return NETWORK_TOOLS.filter((t) => !facts.netTools.includes(t));
}

/** Compares facts with requirements. Pure. */
export function checkPreflight(facts: PreflightFacts, req: PreflightRequirements = {}): string[] {
  const problems: string[] = [];
  const minNode = req.minNodeMajor ?? 20;
  const archs = req.architectures ?? ['x86_64', 'aarch64'];
  const minDisk = req.minFreeDiskMb ?? 1024;
  const maxSkew = req.maxClockSkewMs ?? 30_000;
  if (facts.os !== 'Linux') problems.push(`operating system is "${facts.os}": tugboat hosts must run Linux`);
  if (!archs.includes(facts.arch)) {
    problems.push(`architecture "${facts.arch}" is not supported: use one of ${archs.join(', ')}`);
  }
  const major = nodeMajor(facts.nodeVersion);
  if (req.requireNode === false) {
    for (const tool of RUNTIME_TOOLS.filter((t) => !facts.tools.includes(t))) {
      problems.push(
        `${tool} is not installed: install it (tugboat unpacks and checks its Node.js runtime with it)`,
      );
    }
  } else if (!facts.nodeVersion) problems.push(`node is not installed: install Node.js ${minNode} or later`);
  else if (major < minNode) {
    problems.push(`node ${facts.nodeVersion} is too old: install Node.js ${minNode} or later`);
  }
  if (req.requireDocker && !facts.dockerVersion) {
    if (!facts.dockerInstalled) {
      problems.push('docker is not installed: install Docker and start it (systemctl enable --now docker)');
    } else if (facts.systemd) {
      problems.push('docker is installed but no daemon answers: start it (systemctl enable --now docker)');
    } else {
      problems.push(
        'docker is installed but no daemon answers and systemd is not PID 1: start dockerd under the init system in use (e.g. service docker start)',
      );
    }
  }
  if (req.requireNetworkTools) {
    for (const tool of missingNetworkTools(facts)) {
      problems.push(`${tool} is not installed: install it (${NETWORK_TOOL_USE[tool]})`);
    }
  }
  if (facts.freeDiskMb < minDisk) {
    problems.push(`only ${facts.freeDiskMb} MB free for /var/lib/tugboat: free at least ${minDisk} MB`);
  }
  if (Number.isNaN(facts.clockSkewMs))
    problems.push('could not read the host clock: check that `date` works');
  else if (Math.abs(facts.clockSkewMs) > maxSkew) {
    const s = Math.round(facts.clockSkewMs / 1000);
    problems.push(
      `host clock is ${Math.abs(s)} s ${s > 0 ? 'ahead of' : 'behind'} ours: enable NTP (chrony or systemd-timesyncd)`,
    );
  }
  return problems;
}

/** Options for {@link runPreflight}. */
export interface RunPreflightOptions extends PreflightRequirements {
  readonly layout: HostLayout;
  /** Our clock. @default Date.now */
  readonly clock?: () => number;
  /** @default 60000 */
  readonly timeoutMs?: number;
}

/** Runs the preflight script on a host and checks what it found. Changes nothing on the host. */
export async function runPreflight(
  shell: RemoteShell,
  options: RunPreflightOptions,
): Promise<PreflightReport> {
  const clock = options.clock ?? Date.now;
  const sent = clock();
  const result = await runChecked(shell, 'exec /bin/sh -s', {
    step: 'preflight',
    stdin: renderPreflightScript(options.layout),
    timeoutMs: options.timeoutMs ?? 60_000,
  });
  const midpoint = (sent + clock()) / 2;
  const facts = parsePreflightOutput(result.stdout, midpoint);
  return { facts, problems: checkPreflight(facts, options) };
}
