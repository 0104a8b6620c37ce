import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './shell.js';

/** The directories tugboat may write on a host; each simulated host gets private copies of them. */
export const TUGBOAT_HOST_DIRS = [
  '/opt/tugboat',
  '/etc/tugboat',
  '/var/lib/tugboat',
  '/var/log/tugboat',
  '/run/tugboat',
] as const;

/** Where one simulated host keeps its files on this machine. */
export interface HostLayout {
  /** The host's directory; everything below is removed when the host goes. */
  readonly dir: string;
  /** Root of the private copies: `${root}/etc/tugboat` is the host's /etc/tugboat. */
  readonly root: string;
  readonly sshdConfig: string;
  readonly hostKeyFile: string;
  /** The host key's public half, `ssh-ed25519 AAAA… <instance>`. */
  readonly hostPublicKey: string;
  /** The host's /etc/passwd (the machine's, plus the login users mapped to root). */
  readonly passwdFile: string;
  /** Docker's data root (on disk, visible to the host's dockerd). */
  readonly dockerDataRoot: string;
  /** The host's Docker socket as the harness reaches it (the host itself uses /var/run/docker.sock). */
  readonly dockerSocket: string;
  /** Commands the host does not have (overlay mode): whited out of its /usr/bin and /usr/local/bin. @default [] */
  readonly hiddenCommands?: readonly string[];
}

/** Options for {@link buildHostLayout}. */
export interface HostLayoutOptions {
  readonly dir: string;
  readonly instanceId: string;
  /** Lines for authorized_keys (OpenSSH public keys). */
  readonly authorizedKeys: readonly string[];
  /** Login names that exist on the host as aliases of root, like ec2-user on an AMI. */
  readonly loginUsers: readonly string[];
  /** Prepare overlay copies instead of bind mounts (see {@link HostDirsMode}). @default 'bind' */
  readonly hostDirs?: HostDirsMode;
  /**
   * Names the host must not have on PATH, e.g. `node` and `nodejs` for a host with no Node.js
   * installed: whiteouts in copy-on-write overlays of /usr/bin and /usr/local/bin (overlay mode
   * only). @default []
   */
  readonly hiddenCommands?: readonly string[];
  /**
   * Environment every SSH session of the host gets (sshd's `SetEnv`), e.g. the emulator as the
   * instance's AWS endpoint, so a service restarted over SSH reaches the same AWS as one the boot
   * started. Names and values must not need quoting. @default none
   */
  readonly sessionEnv?: Readonly<Record<string, string>>;
}

/**
 * How a simulated host gets its own copies of tugboat's directories.
 * - `bind`: each directory is a bind mount of an empty private one. Cheap, but a mount point:
 *   the host cannot remove it (`rm -rf /etc/tugboat` fails with EBUSY).
 * - `overlay`: /etc, /opt, /var/lib and /var/log are copy-on-write overlays of the machine's, with
 *   the upper layer in `root` and tugboat's directories whited out, so the host starts without
 *   them, creates and removes them like a real machine, and nothing reaches the machine's own.
 */
export type HostDirsMode = 'bind' | 'overlay';

/**
 * Where a hidden command is whited out: every directory of the machine's PATH that can hold it
 * (CI's setup installs the pinned node as /usr/local/bin/node; Debian's is /usr/bin/node, and
 * /bin is /usr/bin).
 */
export function commandDirs(): string[] {
  return ['/usr/bin', '/usr/local/bin'].filter((d) => existsSync(d));
}

/** The machine directories a host in `overlay` mode sees through a copy-on-write overlay. */
export const OVERLAY_PARENTS = ['/etc', '/opt', '/var/lib', '/var/log'] as const;

/**
 * Creates a host's private directories, a fresh ed25519 host key, authorized_keys and an sshd
 * config (keys only, no PAM, sftp on). Login users other than root are added to a private copy of
 * /etc/passwd with uid 0, which stands in for an AMI's passwordless-sudo user (no sudo here).
 */
export function buildHostLayout(options: HostLayoutOptions): HostLayout {
  const { dir } = options;
  const root = join(dir, 'root');
  if (options.hostDirs === 'overlay') {
    mkdirSync(join(root, 'tmp'), { recursive: true });
    for (const parent of OVERLAY_PARENTS) {
      mkdirSync(join(root, parent), { recursive: true });
      mkdirSync(join(dir, 'overlay-work', parent), { recursive: true });
    }
    // A whiteout (character device 0:0 in the upper layer) hides the machine's directory.
    for (const d of TUGBOAT_HOST_DIRS)
      if (!d.startsWith('/run/')) run('mknod', [join(root, d), 'c', '0', '0']);
    if (options.hiddenCommands?.length) {
      for (const bin of commandDirs()) {
        mkdirSync(join(root, bin), { recursive: true });
        mkdirSync(join(dir, 'overlay-work', bin), { recursive: true });
        for (const c of options.hiddenCommands) run('mknod', [join(root, bin, c), 'c', '0', '0']);
      }
    }
  } else {
    if (options.hiddenCommands?.length) throw new Error('hiddenCommands needs hostDirs: overlay');
    for (const d of [...TUGBOAT_HOST_DIRS, '/tmp']) mkdirSync(join(root, d), { recursive: true });
  }
  chmodSync(join(root, 'tmp'), 0o1777);
  const ssh = join(dir, 'ssh');
  mkdirSync(ssh, { mode: 0o700 });
  const hostKeyFile = join(ssh, 'ssh_host_ed25519_key');
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', options.instanceId, '-f', hostKeyFile]);
  const hostPublicKey = readFileSync(`${hostKeyFile}.pub`, 'utf8').trim();
  const authorizedKeys = join(ssh, 'authorized_keys');
  writeFileSync(authorizedKeys, `${options.authorizedKeys.join('\n')}\n`, { mode: 0o600 });
  const passwdFile = join(ssh, 'passwd');
  writeFileSync(passwdFile, buildPasswd(readFileSync('/etc/passwd', 'utf8'), options.loginUsers));
  const sshdConfig = join(ssh, 'sshd_config');
  writeFileSync(
    sshdConfig,
    [
      'Port 22',
      `HostKey ${hostKeyFile}`,
      `PidFile ${join(ssh, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'AllowTcpForwarding yes',
      'MaxSessions 64',
      'MaxStartups 64:30:128',
      'Subsystem sftp /usr/lib/openssh/sftp-server',
      ...Object.entries(options.sessionEnv ?? {}).map(([k, v]) => {
        if (!/^[A-Z_][A-Z0-9_]*$/.test(k) || !/^[\w:/.@-]+$/.test(v))
          throw new Error(`sessionEnv ${k}=${v}: not a plain name and value`);
        return `SetEnv ${k}=${v}`;
      }),
      '',
    ].join('\n'),
  );
  const dockerDataRoot = join(dir, 'docker');
  mkdirSync(dockerDataRoot);
  return {
    dir,
    root,
    sshdConfig,
    hostKeyFile,
    hostPublicKey,
    passwdFile,
    dockerDataRoot,
    dockerSocket: join(dir, 'docker.sock'),
    ...(options.hiddenCommands?.length ? { hiddenCommands: options.hiddenCommands } : {}),
  };
}

/** /etc/passwd with each missing login user appended as uid 0 (home /root, bash). */
export function buildPasswd(passwd: string, users: readonly string[]): string {
  const known = new Set(passwd.split('\n').map((l) => l.split(':')[0]));
  const extra = users.filter((u) => !known.has(u)).map((u) => `${u}:x:0:0:${u}:/root:/bin/bash`);
  return `${passwd.replace(/\n*$/, '\n')}${extra.map((l) => `${l}\n`).join('')}`;
}

/** Single-quotes a value for the host's /bin/sh. */
export function shq(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * The script run as `nsenter --net=NS unshare --mount --uts --propagation private sh -c SCRIPT`:
 * gives the host its own /run (tmpfs: sshd privsep dir, dockerd state, /var/run/docker.sock), its
 * own /tmp, its private copies of tugboat's directories and /etc/passwd, an EC2-style hostname,
 * then becomes sshd. `hostDirs` picks bind mounts or copy-on-write overlays ({@link HostDirsMode}).
 */
export function renderHostInit(
  layout: HostLayout,
  hostname: string,
  hostDirs: HostDirsMode = 'bind',
): string {
  if (hostDirs === 'overlay') {
    const parents = layout.hiddenCommands?.length ? [...OVERLAY_PARENTS, ...commandDirs()] : OVERLAY_PARENTS;
    const overlays = parents.map((p) => {
      const opts = `lowerdir=${p},upperdir=${join(layout.root, p)},workdir=${join(layout.dir, 'overlay-work', p)}`;
      return `mount -t overlay tugboat-host -o ${shq(opts)} ${p}`;
    });
    return [
      'set -e',
      ...overlays,
      `mount --bind ${shq(layout.passwdFile)} /etc/passwd`,
      `mount --bind ${shq(join(layout.root, 'tmp'))} /tmp`,
      'mount -t tmpfs -o mode=0755 tugboat-host-run /run',
      'mkdir -p /run/sshd /run/lock',
      `hostname ${shq(hostname)}`,
      `exec /usr/sbin/sshd -D -e -f ${shq(layout.sshdConfig)}`,
    ].join('\n');
  }
  const binds = TUGBOAT_HOST_DIRS.filter((d) => d !== '/run/tugboat').map(
    (d) => `mount --bind ${shq(join(layout.root, d))} ${d}`,
  );
  return [
    'set -e',
    ...binds,
    `mount --bind ${shq(layout.passwdFile)} /etc/passwd`,
    `mount --bind ${shq(join(layout.root, 'tmp'))} /tmp`,
    'mount -t tmpfs -o mode=0755 tugboat-host-run /run',
    'mkdir -p /run/sshd /run/tugboat /run/lock',
    `mount --bind ${shq(join(layout.root, 'run/tugboat'))} /run/tugboat`,
    `hostname ${shq(hostname)}`,
    `exec /usr/sbin/sshd -D -e -f ${shq(layout.sshdConfig)}`,
  ].join('\n');
}
