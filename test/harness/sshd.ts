import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectSsh } from '../../src/ssh/connect.js';
import type { SshShell } from '../../src/ssh/ssh-shell.js';
import { freePort, type StartedProcess, startProcess } from './process.js';

/** An SSH key pair made by ssh-keygen (OpenSSH format). */
export interface SshKeyPair {
  readonly privateKeyPath: string;
  readonly privateKey: string;
  /** `ssh-ed25519 AAAA... comment` */
  readonly publicKey: string;
}

/** Generates an ed25519 key pair with the real ssh-keygen, no passphrase. */
export function generateSshKey(dir: string, name: string): SshKeyPair {
  mkdirSync(dir, { recursive: true });
  const privateKeyPath = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', privateKeyPath]);
  return {
    privateKeyPath,
    privateKey: readFileSync(privateKeyPath, 'utf8'),
    publicKey: readFileSync(`${privateKeyPath}.pub`, 'utf8').trim(),
  };
}

/** Options for {@link startSshd}. */
export interface SshdOptions {
  /** @default '127.0.0.1' */
  readonly listenAddress?: string;
  /** @default a free port */
  readonly port?: number;
  /** Client key allowed to log in. @default a new key in the sshd's directory */
  readonly clientKey?: SshKeyPair;
  /** Host key to reuse (to restart "the same host"). @default a new ed25519 key */
  readonly hostKey?: SshKeyPair;
  /** sshd LogLevel (DEBUG1 shows forwarded channels). @default 'VERBOSE' */
  readonly logLevel?: string;
  /** Extra sshd_config lines. @default [] */
  readonly extraConfig?: readonly string[];
  /**
   * Files or directories bind-mounted over others for this sshd and its sessions only (a private
   * mount namespace), e.g. another distribution's `/etc/os-release`. @default []
   */
  readonly mountBinds?: readonly { readonly source: string; readonly target: string }[];
}

/** A running OpenSSH server for tests, non-daemonized, stopped by PID. */
export interface Sshd {
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  readonly username: string;
  readonly hostKey: SshKeyPair;
  readonly clientKey: SshKeyPair;
  readonly process: StartedProcess;
  stop(): Promise<void>;
}

function bannerSeen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(2_000, () => done(false));
    sock.once('data', (b) => done(b.toString('latin1').startsWith('SSH-2.0')));
    sock.once('error', () => done(false));
  });
}

const shq = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/** Starts /usr/sbin/sshd -D -e on a loopback address with generated keys and its own config. */
export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  mkdirSync('/run/sshd', { recursive: true });
  const host = options.listenAddress ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const dir = mkdtempSync(join(tmpdir(), `tugboat-sshd-${process.pid}-`));
  try {
    const hostKey = options.hostKey ?? generateSshKey(dir, 'host_ed25519_key');
    const clientKey = options.clientKey ?? generateSshKey(dir, 'client_key');
    const hostKeyPath = join(dir, 'host_key');
    writeFileSync(hostKeyPath, hostKey.privateKey, { mode: 0o600 });
    writeFileSync(join(dir, 'authorized_keys'), `${clientKey.publicKey}\n`, { mode: 0o600 });
    const config = join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `Port ${port}`,
        `ListenAddress ${host}`,
        `HostKey ${hostKeyPath}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'PermitRootLogin prohibit-password',
        'AllowTcpForwarding yes',
        `LogLevel ${options.logLevel ?? 'VERBOSE'}`,
        'Subsystem sftp /usr/lib/openssh/sftp-server',
        ...(options.extraConfig ?? []),
        '',
      ].join('\n'),
    );
    const binds = options.mountBinds ?? [];
    const sshdArgv = ['/usr/sbin/sshd', '-D', '-e', '-f', config];
    // unshare and sh exec into sshd, so the PID stopped is sshd's own.
    const [command, ...args] =
      binds.length === 0
        ? sshdArgv
        : [
            'unshare',
            '--mount',
            '--propagation',
            'private',
            '/bin/sh',
            '-c',
            `${binds.map((b) => `mount --bind ${shq(b.source)} ${shq(b.target)} && `).join('')}exec ${sshdArgv.map(shq).join(' ')}`,
          ];
    const proc = await startProcess(command!, args, {
      ready: () => bannerSeen(host, port),
      timeoutMs: 30_000,
    });
    return {
      host,
      port,
      dir,
      username: execFileSync('id', ['-un'], { encoding: 'utf8' }).trim(),
      hostKey,
      clientKey,
      process: proc,
      async stop() {
        await proc.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Connects tugboat's SshShell to `sshd` as its test client (the client key it accepts), with its
 * host key pinned; `knownHostsPath` is where the session records it.
 */
export function connectTestClient(sshd: Sshd, knownHostsPath: string, name?: string): Promise<SshShell> {
  return connectSsh({
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    privateKeyPath: sshd.clientKey.privateKeyPath,
    ...(name ? { name } : {}),
    hostKeys: { knownHostsPath, pinnedHostKeys: [sshd.hostKey.publicKey] },
  });
}
