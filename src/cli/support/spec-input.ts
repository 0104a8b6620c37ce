import { resolve } from 'node:path';
import type { ClusterSpec } from '../../config/types.js';
import { ConfigError } from '../../errors.js';
import type { CliIO } from './context.js';

/** Largest spec read from stdin: far above any real spec, low enough that a wrong pipe cannot fill memory. */
export const MAX_STDIN_SPEC_BYTES = 4 * 1024 * 1024;

/** The name a spec read from stdin goes by in messages. */
export const STDIN_NAME = '<stdin>';

/** True when `-f` names standard input (`-f -`, as kubectl and eksctl take it). */
export function isStdin(file: string): boolean {
  return file === '-';
}

/**
 * Reads all of standard input as text, up to {@link MAX_STDIN_SPEC_BYTES}. A terminal on stdin
 * is refused rather than waited on, since a user who typed `-f -` by mistake would see a hang.
 */
export async function readStdinText(io: CliIO): Promise<string> {
  const stdin = io.stdin;
  const refuse = (why: string) =>
    new ConfigError([{ path: '', message: `cannot read the spec from stdin (${why})` }], {
      file: STDIN_NAME,
    });
  if (!stdin) throw refuse('no standard input: pipe a spec in, e.g. `tugboat init | tugboat validate -f -`');
  if (stdin.isTTY) throw refuse('stdin is a terminal: pipe a spec in, or pass -f FILE');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > MAX_STDIN_SPEC_BYTES) {
      stdin.destroy();
      throw refuse(`more than ${MAX_STDIN_SPEC_BYTES} bytes: is this a cluster spec?`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The text of the spec `-f` names: stdin for `-`, else the file (relative to the working
 * directory); `label` is what messages call it. Reading errors are ConfigErrors naming the path.
 */
export async function readSpecArg(
  io: CliIO,
  file: string,
): Promise<{ text: string; label: string; path?: string }> {
  if (isStdin(file)) return { text: await readStdinText(io), label: STDIN_NAME };
  const path = resolve(io.cwd, file);
  const { readSpecFile } = await import('../../spec.js');
  return { text: await readSpecFile(path, file), label: file, path };
}

/**
 * Reads and validates the spec `-f` names (`-` for stdin). `path` is the file's absolute path,
 * absent for stdin (paths inside the spec are then relative to the working directory).
 */
export async function loadSpecArg(io: CliIO, file: string): Promise<{ spec: ClusterSpec; path?: string }> {
  const { parseClusterSpec } = await import('../../spec.js');
  const { text, label, path } = await readSpecArg(io, file);
  return { spec: parseClusterSpec(text, label), ...(path ? { path } : {}) };
}
