/** The one narrow interface to the kernel's iptables, and its implementation over the real tools. */
import { spawn } from 'node:child_process';

/** What the service proxy needs from iptables. */
export interface Iptables {
  /** `iptables-save` of the nat and filter tables. */
  save(): Promise<string>;
  /** `iptables-restore --noflush` of `input`: all of it is applied, or none (one kernel commit per table). */
  restore(input: string): Promise<void>;
}

/** Options of `commandIptables`. */
export interface CommandIptablesOptions {
  /** Words put before the command, e.g. `['nsenter', '--net=/run/netns/x']` in tests. @default [] */
  readonly prefix?: readonly string[];
  /** @default 'iptables-save' */
  readonly saveCommand?: string;
  /** @default 'iptables-restore' */
  readonly restoreCommand?: string;
  /** A run longer than this is killed and reported. @default 30_000 */
  readonly timeoutMs?: number;
}

/** Output of one child beyond this is an error, so a runaway tool cannot exhaust memory. */
const MAX_OUTPUT = 256 * 2 ** 20;

function run(argv: readonly string[], input: string | undefined, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd ?? '', args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    child.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_OUTPUT) child.kill('SIGKILL');
      else out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      if (err.length < 64) err.push(b);
    });
    child.on('error', (e) => reject(new Error(`cannot run ${argv.join(' ')}: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0 && size <= MAX_OUTPUT) return resolve(Buffer.concat(out).toString('utf8'));
      const why = signal ? `was killed (${signal})` : `exited with ${String(code)}`;
      const tail = Buffer.concat(err).toString('utf8').trim().split('\n').slice(-5).join('\n');
      reject(new Error(`${argv.join(' ')} ${why}${tail ? `: ${tail}` : ''}`));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/** iptables through `iptables-save` / `iptables-restore` (waiting for the xtables lock). */
export function commandIptables(options: CommandIptablesOptions = {}): Iptables {
  const prefix = options.prefix ?? [];
  const timeout = options.timeoutMs ?? 30_000;
  const save = options.saveCommand ?? 'iptables-save';
  const restore = options.restoreCommand ?? 'iptables-restore';
  return {
    async save() {
      const nat = await run([...prefix, save, '-t', 'nat'], undefined, timeout);
      const filter = await run([...prefix, save, '-t', 'filter'], undefined, timeout);
      return `${filter}\n${nat}`;
    },
    async restore(input) {
      await run([...prefix, restore, '--noflush', '--wait'], input, timeout);
    },
  };
}
