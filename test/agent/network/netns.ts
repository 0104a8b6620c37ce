import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { type CommandRunner, spawnCommand } from '../../../src/agent/network/kernel.js';

/** Runs commands inside the named network namespace (one this test created). */
export function netnsRunner(ns: string): CommandRunner {
  return (argv, stdin) => spawnCommand(['nsenter', `--net=/run/netns/${ns}`, ...argv], stdin);
}

/** Runs a command in a namespace and returns its stdout (throws on failure). */
export function inNetns(ns: string, ...argv: string[]): string {
  return execFileSync('nsenter', [`--net=/run/netns/${ns}`, ...argv], { encoding: 'utf8' });
}

/**
 * Two "hosts" (network namespaces) with eth0 on a bridge inside a third namespace, addresses
 * 192.0.2.1 and 192.0.2.2: nothing can leave this machine from them. `remove()` deletes all three.
 */
export function makeTwoHosts(tag: string): { hosts: [string, string]; underlay: string[]; remove(): void } {
  const u = `${tag}u`;
  const hosts: [string, string] = [`${tag}a`, `${tag}b`];
  execFileSync('ip', ['netns', 'add', u]);
  const made = [u];
  try {
    inNetns(u, 'ip', 'link', 'add', 'br0', 'type', 'bridge');
    inNetns(u, 'ip', 'link', 'set', 'br0', 'up');
    hosts.forEach((h, i) => {
      execFileSync('ip', ['netns', 'add', h]);
      made.push(h);
      inNetns(u, 'ip', 'link', 'add', `v${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h);
      inNetns(u, 'ip', 'link', 'set', `v${i}`, 'master', 'br0', 'up');
      inNetns(h, 'ip', 'addr', 'add', `192.0.2.${i + 1}/24`, 'dev', 'eth0');
      inNetns(h, 'ip', 'link', 'set', 'eth0', 'up');
      inNetns(h, 'ip', 'link', 'set', 'lo', 'up');
    });
  } catch (err) {
    for (const ns of made) execFileSync('ip', ['netns', 'del', ns]);
    throw err;
  }
  return {
    hosts,
    underlay: ['192.0.2.1', '192.0.2.2'],
    remove() {
      for (const ns of made) execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    },
  };
}

/** A "pod": a process in a new network namespace of its own (killed by PID when done). */
export function startPodProcess(): ChildProcess {
  return spawn('unshare', ['--net', 'sleep', '600'], { stdio: 'ignore' });
}

/** One ping from a "pod" process's namespace to `ip` (busybox); its output, throws when none came back. */
export function pingFromPod(pod: ChildProcess, ip: string): string {
  return execFileSync('nsenter', ['-t', String(pod.pid), '-n', 'busybox', 'ping', '-c', '1', '-W', '2', ip], {
    encoding: 'utf8',
  });
}

/**
 * The agent's DNS server with a fixed zone, inside a namespace (see dns/serve-zone.ts). `ready`
 * resolves once it is bound; `stop()` closes its stdin and waits for it to exit.
 */
export function serveZoneInNetns(ns: string, zone: object): { ready: Promise<void>; stop(): Promise<void> } {
  const child: ChildProcess = spawn(
    'nsenter',
    [`--net=/run/netns/${ns}`, process.execPath, '--import', 'tsx', 'test/agent/network/dns/serve-zone.ts'],
    { env: { ...process.env, TUGBOAT_TEST_ZONE: JSON.stringify(zone) }, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (b: Buffer) => {
      if (b.toString().includes('serving')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`dns server exited with ${code} before serving`)));
  });
  return {
    ready,
    async stop() {
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
