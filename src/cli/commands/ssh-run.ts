import { StringDecoder } from 'node:string_decoder';
import { openHostShell, readClusterAccess, selectClusterHost, UsageError } from '../../index.js';
import type { CliIO, GlobalOptions } from '../support/context.js';
import { noOutputForm } from '../support/output-forms.js';
import { withCluster } from './cluster-hosts-run.js';
import type { SshFlags } from './ssh.js';

/** Where the session goes and what it runs, from the operands before and after `--`. */
function parseTarget(
  before: readonly string[],
  after: readonly string[],
  master: boolean,
): { which: string; command?: string } {
  const [first, ...extra] = before;
  const which = master || first === undefined ? 'master' : first;
  const words = [...(master ? before : extra), ...after];
  if (master && first !== undefined && after.length > 0) {
    throw new UsageError(`--master and instance "${first}" both given: pick one, then -- COMMAND`);
  }
  // Like OpenSSH: the words are joined with spaces and the remote login shell reads the line.
  return { which, ...(words.length > 0 ? { command: words.join(' ') } : {}) };
}

/**
 * `tugboat ssh NAME [INSTANCE | --master] [-- COMMAND...]`: the host found like bootstrap NAME
 * finds it (stack, then the spec's address), its host key checked against the cluster's
 * known_hosts. Exits with the remote command's exit code.
 */
export async function runSsh(
  io: CliIO,
  globals: GlobalOptions,
  name: string,
  before: readonly string[],
  after: readonly string[],
  flags: SshFlags,
): Promise<number> {
  // As `kubectl exec`: the session's streams and exit code are the result, unchanged.
  if (globals.output !== 'text')
    throw new UsageError(
      noOutputForm('ssh', "passes the remote command's output and exit code through", 'kubectl exec'),
    );
  const { which, command } = parseTarget(before, after, Boolean(flags.master));
  const { host, access } = await withCluster(io, globals, name, flags, async (s, options) => {
    const found = await readClusterAccess({ ...options, aws: s.aws });
    return { host: selectClusterHost(found.hosts, which), access: found };
  });
  const shell = await openHostShell(host, {
    inventory: access.hosts,
    stateDir: access.stateDir,
    trustNewHosts: Boolean(flags.trustNewHosts),
    connectAttempts: 3,
  });
  const stdin = io.stdin;
  // Like ssh: a terminal for an interactive shell only; a command's output stays plain, pipeable.
  const tty = command === undefined && Boolean(stdin?.isTTY && process.stdout.isTTY);
  const out = new StringDecoder('utf8');
  const err = new StringDecoder('utf8');
  if (tty) stdin?.setRawMode(true);
  try {
    return await shell.attach({
      ...(command !== undefined ? { command } : {}),
      ...(tty
        ? {
            pty: {
              rows: process.stdout.rows ?? 24,
              cols: process.stdout.columns ?? 80,
              term: io.env.TERM ?? 'xterm-256color',
            },
          }
        : {}),
      // Like ssh: our stdin goes to the session (without one, e.g. in-process, it sees end of input).
      ...(stdin ? { stdin } : {}),
      stdout: (c) => io.stdout(out.write(c)),
      stderr: (c) => io.stderr(err.write(c)),
    });
  } finally {
    if (tty) stdin?.setRawMode(false);
    io.stdout(out.end());
    io.stderr(err.end());
    await shell.close();
  }
}
