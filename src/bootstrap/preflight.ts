import { quote } from '../ssh/quote.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import { runChecked } from '../ssh/remote-shell.js';
import type { HostLayout } from './layout.js';

/** What a host must offer before tugboat installs anything on it. */
export interface PreflightRequirements {
  /** @default 20 */
  readonly minNodeMajor?: number;
  /** A reachable Docker daemon (worker hosts with the docker runtime). @default false */
  readonly requireDocker?: boolean;
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
  /** `v20.11.1`, or '' when node is not on PATH. */
  readonly nodeVersion: string;
  /** Absolute path of node (what services run), or ''. */
  readonly nodePath: string;
  /** Docker daemon version, or '' when no daemon answers. */
  readonly dockerVersion: string;
  readonly freeDiskMb: number;
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
    'if [ -r /etc/os-release ]; then (. /etc/os-release; echo "distro=${ID:-}"; echo "distro_version=${VERSION_ID:-}"); fi',
    'if command -v node >/dev/null 2>&1; then echo "node=$(node --version 2>/dev/null)"; echo "node_path=$(command -v node)"; fi',
    'if command -v docker >/dev/null 2>&1; then echo "docker=$(docker version --format \'{{.Server.Version}}\' 2>/dev/null)"; fi',
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
  for (const line of stdout.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) kv.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  const get = (k: string) => kv.get(k) ?? '';
  const time = Number(get('time'));
  return {
    os: get('os'),
    arch: get('arch'),
    distro: get('distro'),
    distroVersion: get('distro_version'),
    nodeVersion: get('node'),
    nodePath: get('node_path'),
    dockerVersion: get('docker'),
    freeDiskMb: Math.floor(Number(get('free_kb') || 0) / 1024),
    systemd: get('systemd') === 'yes',
    clockSkewMs: Number.isFinite(time) && time > 0 ? time * 1000 - localMidpointMs : Number.NaN,
  };
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
  const major = Number(/^v(\d+)\./.exec(facts.nodeVersion)?.[1] ?? 0);
  if (!facts.nodeVersion) problems.push(`node is not installed: install Node.js ${minNode} or later`);
  else if (major < minNode) {
    problems.push(`node ${facts.nodeVersion} is too old: install Node.js ${minNode} or later`);
  }
  if (req.requireDocker && !facts.dockerVersion) {
    problems.push('no Docker daemon answers: install Docker and start it (systemctl enable --now docker)');
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
