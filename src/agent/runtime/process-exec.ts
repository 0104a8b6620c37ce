import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { UsageError } from '../../errors.js';
import { cookedTerminal } from './line-discipline.js';
import { type Entry, groupOf, signalNumber, writeRecord } from './process-entry.js';
import type { ContainerLaunch, ExecOptions, ExecSession } from './types.js';

/**
 * Runs `options.command` in a running container of the process runtime: the container's
 * environment and working directory, a session of its own (recorded, so that stopping the
 * container, or the next agent after a crash, ends it too).
 */
export function execInContainer(e: Entry, launch: ContainerLaunch, options: ExecOptions): ExecSession {
  const [file, ...rest] = options.command;
  if (!file) throw new UsageError('exec needs a command');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: e.dir };
  for (const v of launch.env) env[v.name] = v.value;
  // A session of its own: the container's figures count it, and stopping the container ends it.
  const child = spawn(file, rest, {
    cwd: launch.workingDir ?? e.dir,
    env,
    detached: true,
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  e.execs ??= new Map();
  const execs = e.execs;
  execs.set(child, groupOf(child));
  writeRecord(e);
  const ended = () => {
    if (execs.delete(child)) writeRecord(e);
  };
  child.once('exit', ended);
  child.once('error', ended);
  const stdout = child.stdout ?? new PassThrough().end();
  const stderr = child.stderr ?? new PassThrough().end();
  const exitCode = new Promise<number>((resolve) => {
    child.once('close', (code, signal) => resolve(code ?? 128 + signalNumber(signal)));
    child.once('error', () => resolve(127));
  });
  if (options.tty && child.stdin) {
    // No pseudo-terminal here: a line discipline in canonical mode stands in for one.
    const tty = cookedTerminal(child.stdin, stdout, stderr, () => child.kill('SIGINT'));
    const none = new PassThrough().end();
    return { stdin: tty.input, stdout: tty.output, stderr: none, exitCode, resize: async () => {} };
  }
  return { stdin: child.stdin ?? undefined, stdout, stderr, exitCode, resize: async () => {} };
}
