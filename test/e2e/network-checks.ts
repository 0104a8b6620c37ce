/**
 * Checks the network e2e runs from the runner: a `kubectl port-forward` it starts and stops, the
 * Service rules a worker's kernel holds, and a shell on a host over tugboat's SSH layer.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DEFAULT_HOST_LAYOUT, serviceStatus } from '../../src/bootstrap/index.js';
import { connectSsh, type SshShell } from '../../src/ssh/index.js';
import { savedRules } from '../harness/hosts/net-state.js';

/**
 * Runs `kubectl port-forward TARGET :PORT`, waits (bounded) for the local port it picked, calls
 * `body` with it and stops kubectl (by PID) whatever happens.
 */
export async function withPortForward<T>(
  kubeconfig: string,
  target: string,
  port: number,
  body: (localPort: number) => Promise<T>,
): Promise<T> {
  const child = spawn('kubectl', ['--kubeconfig', kubeconfig, 'port-forward', target, `:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const localPort = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`kubectl port-forward ${target}: no port in 30 s: ${out}`)),
        30_000,
      );
      const read = (chunk: Buffer) => {
        out += chunk.toString();
        const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout.on('data', read);
      child.stderr.on('data', read);
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`kubectl port-forward ${target} exited (${code}): ${out}`));
      });
    });
    return await body(localPort);
  } finally {
    if (child.exitCode === null && child.pid) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }
}

/** The endpoints (`ip:port`) a worker's kernel balances `servicePort` (`ns/name:port`) over. */
export function ruleEndpoints(netns: string, servicePort: string): string[] {
  const prefix = `--comment "${servicePort} -> `;
  const out = new Set<string>();
  for (const line of savedRules(netns)) {
    const at = line.indexOf(prefix);
    if (at < 0 || !/ -j TUGBOAT-SEP-/.test(line) || / -m recent /.test(line)) continue;
    out.add(line.slice(at + prefix.length, line.indexOf('"', at + prefix.length)));
  }
  return [...out].sort();
}

/** tugboat's rules that appear more than once in a worker's kernel (a resync that duplicated). */
export function duplicatedRules(netns: string): string[] {
  const seen = new Map<string, number>();
  let table = '';
  for (const line of savedRules(netns)) {
    if (line.startsWith('*')) table = line;
    if (!line.startsWith('-A ') || !/tugboat/i.test(line)) continue;
    const key = `${table} ${line}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([l, n]) => `${n}× ${l}`);
}

/** A shell on a host over tugboat's SSH layer, its host key checked against the cluster's known_hosts. */
export async function withHostShell<T>(
  stateDir: string,
  address: string,
  body: (shell: SshShell) => Promise<T>,
  username = 'ec2-user',
): Promise<T> {
  const shell = await connectSsh({
    host: address,
    username,
    privateKeyPath: join(stateDir, 'id_ed25519'),
    hostKeys: { knownHostsPath: join(stateDir, 'known_hosts') },
    retry: { attempts: 5 },
  });
  try {
    return await body(shell);
  } finally {
    await shell.close();
  }
}

/** The PID of the running agent process (the supervised child), or undefined. */
export async function agentPid(shell: SshShell): Promise<number | undefined> {
  const status = await serviceStatus(shell, 'tugboat-agent', {
    layout: DEFAULT_HOST_LAYOUT,
    mode: 'supervised',
  });
  return status.running ? status.childPid : undefined;
}
