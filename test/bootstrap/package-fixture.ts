import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

/**
 * A host whose PATH the test controls (sshd's `SetEnv PATH=<bin>`), with STAND-IN package managers:
 * no internet here, and a real `apt-get install` or `dnf install` would change this machine. The
 * stand-ins record their arguments and "install" Node.js by linking the real node (or a fake old
 * one) into the PATH directory, the way a package would put it on PATH.
 */
export interface PackageFixture {
  readonly dir: string;
  /** The directory that is the host's whole PATH. */
  readonly bin: string;
  /**
   * sshd_config line giving sessions exactly that PATH, and a HOME of the host's own (so this
   * machine's ~/.bashrc, which bash sources for SSH commands, does not reshape PATH).
   */
  readonly sshdSetEnv: string;
  /** Empties the PATH directory and links in the basic tools and what `has` lists. */
  reset(has?: {
    readonly node?: boolean;
    readonly managers?: readonly ('apt-get' | 'dnf')[];
    readonly sudo?: 'ok' | 'password';
    /** A stand-in `id` that reports uid 1000 (a non-root login) instead of the real `id`. */
    readonly nonRoot?: boolean;
    readonly docker?: boolean;
    readonly conntrack?: boolean;
  }): void;
  /** How the stand-in package managers behave: install the real node, an old one, or fail. */
  setInstallMode(mode: 'ok' | 'old' | 'fail'): void;
  /** Whether the stand-in docker finds a daemon. */
  setDockerDaemon(up: boolean): void;
  /** Every stand-in call so far, one line each: `apt-get install -y nodejs DEBIAN_FRONTEND=...`. */
  calls(): string[];
  clearCalls(): void;
}

// What a package would provide, or what the test replaces: never linked from the system.
const WITHHELD = /^(node|nodejs|npm|npx|corepack|apt|apt-get|dnf|yum|sudo|docker.*|id|conntrack)$/;

/** Every program of /usr/sbin and /usr/bin except the withheld ones: the host's base system. */
function systemPrograms(): Map<string, string> {
  const programs = new Map<string, string>();
  for (const dir of ['/usr/sbin', '/usr/bin']) {
    for (const name of readdirSync(dir)) {
      if (!WITHHELD.test(name) && !programs.has(name)) programs.set(name, join(dir, name));
    }
  }
  return programs;
}

function script(path: string, body: string): string {
  writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return path;
}

/** Creates the fixture's directories and stand-in programs under `dir`. */
export function createPackageFixture(dir: string): PackageFixture {
  const bin = join(dir, 'bin');
  const standins = join(dir, 'standins');
  const log = join(dir, 'calls.log');
  const mode = join(dir, 'install-mode');
  const daemon = join(dir, 'docker-daemon');
  const home = join(dir, 'home');
  mkdirSync(standins, { recursive: true });
  mkdirSync(home, { recursive: true });
  const system = systemPrograms();
  const realId = execFileSync('which', ['id'], { encoding: 'utf8' }).trim();
  const oldNode = script(join(standins, 'old-node'), 'echo v18.19.0');
  const docker = script(
    join(standins, 'docker'),
    `if [ -e ${daemon} ]; then echo 24.0.7; else echo 'Cannot connect to the Docker daemon' >&2; exit 1; fi`,
  );
  const conntrack = script(join(standins, 'conntrack'), 'echo "conntrack v1.4.7 (conntrack-tools)"');
  // apt-get puts `node` on PATH; Amazon Linux 2023's dnf package nodejs20 installs `node-20`.
  const manager = script(
    join(standins, 'package-manager'),
    [
      'me=$(basename "$0")',
      `echo "$me $* DEBIAN_FRONTEND=\${DEBIAN_FRONTEND:-}" >> ${log}`,
      `m=$(cat ${mode})`,
      '[ "$1" = install ] || exit 0',
      `if [ "$m" = fail ]; then echo "E: Unable to locate package $3" >&2; exit 100; fi`,
      'shift 2',
      'for p in "$@"; do case "$p" in',
      `  nodejs) target=${bin}/node ;;`,
      `  nodejs20) target=${bin}/node-20 ;;`,
      `  docker|docker.io) ln -sf ${docker} ${bin}/docker; continue ;;`,
      `  conntrack|conntrack-tools) ln -sf ${conntrack} ${bin}/conntrack; continue ;;`,
      '  *) continue ;;',
      'esac',
      `if [ "$m" = old ]; then ln -sf ${oldNode} "$target"; else ln -sf ${process.execPath} "$target"; fi`,
      'done',
    ].join('\n'),
  );
  const sudoOk = script(
    join(standins, 'sudo'),
    `echo "sudo $*" >> ${log}\n[ "$1" = -n ] && shift\nexec "$@"`,
  );
  const sudoPassword = script(
    join(standins, 'sudo-password'),
    `echo "sudo $*" >> ${log}\necho 'sudo: a password is required' >&2\nexit 1`,
  );
  const fakeId = script(
    join(standins, 'id'),
    `if [ "$1" = -u ]; then echo 1000; else exec ${realId} "$@"; fi`,
  );

  const fixture: PackageFixture = {
    dir,
    bin,
    sshdSetEnv: `SetEnv PATH=${bin} HOME=${home}`,
    reset(has = {}) {
      rmSync(bin, { recursive: true, force: true });
      mkdirSync(bin);
      for (const [name, path] of system) symlinkSync(path, join(bin, name));
      symlinkSync(has.nonRoot ? fakeId : realId, join(bin, 'id'));
      if (has.node) symlinkSync(process.execPath, join(bin, 'node'));
      for (const m of has.managers ?? []) symlinkSync(manager, join(bin, m));
      if (has.sudo) symlinkSync(has.sudo === 'ok' ? sudoOk : sudoPassword, join(bin, 'sudo'));
      if (has.docker) symlinkSync(docker, join(bin, 'docker'));
      if (has.conntrack) symlinkSync(conntrack, join(bin, 'conntrack'));
      fixture.setInstallMode('ok');
      fixture.setDockerDaemon(true);
      fixture.clearCalls();
    },
    setInstallMode(m) {
      writeFileSync(mode, m);
    },
    setDockerDaemon(up) {
      if (up) writeFileSync(daemon, '');
      else rmSync(daemon, { force: true });
    },
    calls() {
      return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
    },
    clearCalls() {
      writeFileSync(log, '');
    },
  };
  fixture.reset();
  return fixture;
}
