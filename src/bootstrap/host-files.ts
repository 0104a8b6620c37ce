import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type EventSink, silentEvents } from '../events.js';
import { quote } from '../ssh/quote.js';
import { type RemoteShell, runChecked } from '../ssh/remote-shell.js';
import type { HostLayout } from './layout.js';

/** A file tugboat places on a host (configuration, certificate, key, bundle). */
export interface HostFile {
  /** Absolute path on the host, inside the host layout. */
  readonly path: string;
  readonly content: string | Buffer;
  /** e.g. 0o600 for keys, 0o644 for certificates, 0o755 for programs. */
  readonly mode: number;
}

/** What {@link syncHostFiles} did. */
export interface SyncResult {
  readonly uploaded: readonly string[];
  readonly unchanged: readonly string[];
  /** Bytes sent to the host. */
  readonly bytes: number;
}

/** Options for {@link syncHostFiles}. */
export interface SyncHostFilesOptions {
  /** Upload every file even when the host already has it (`--force`). @default false */
  readonly force?: boolean;
  /** @default silentEvents */
  readonly events?: EventSink;
}

const digests = new WeakMap<Buffer, string>();
const gzipped = new WeakMap<Buffer, Buffer>();

/** SHA-256 of a file's content; a Buffer's (the bundle, the same for every host) is computed once. */
const sha256 = (content: string | Buffer) => {
  if (typeof content === 'string') return createHash('sha256').update(content).digest('hex');
  let digest = digests.get(content);
  if (digest === undefined) {
    digest = createHash('sha256').update(content).digest('hex');
    digests.set(content, digest);
  }
  return digest;
};

/** Files at least this big travel gzip-compressed when the host has gzip (the bundle: 2.9 MB → 0.75 MB). */
export const COMPRESS_MIN_BYTES = 64 * 1024;

function gzipOnce(data: Buffer): Buffer {
  let packed = gzipped.get(data);
  if (packed === undefined) {
    packed = gzipSync(data, { level: 6 });
    gzipped.set(data, packed);
  }
  return packed;
}

/**
 * Makes the host's files equal to `files`: a file whose content and mode already match is not
 * sent again (so a repeated bootstrap uploads nothing). Parent directories are created; content
 * travels over SFTP or stdin, never on a command line. Big files (≥ {@link COMPRESS_MIN_BYTES}) travel
 * gzip-compressed on stdin when the host has gzip, and are checked against their SHA-256 once unpacked.
 */
export async function syncHostFiles(
  shell: RemoteShell,
  files: readonly HostFile[],
  options: SyncHostFilesOptions = {},
): Promise<SyncResult> {
  if (files.length === 0) return { uploaded: [], unchanged: [], bytes: 0 };
  for (const f of files) {
    if (!posix.isAbsolute(f.path)) throw new Error(`host file path "${f.path}" must be absolute`);
  }
  const paths = files.map((f) => quote(f.path)).join(' ');
  // The parent directories are made in the same round trip (a no-op when they exist), and the
  // host says whether it can take every file in one stream (GNU dd) and compressed (gzip).
  const dirs = [...new Set(files.map((f) => posix.dirname(f.path)))];
  const probe = await runChecked(
    shell,
    `mkdir -p ${dirs.map(quote).join(' ')} && for p in ${paths}; do if [ -f "$p" ]; then printf '%s %s\\n' "$(stat -c %a "$p")" "$(sha256sum < "$p" | cut -d' ' -f1)"; else echo missing; fi; done; ` +
      `c=caps; command -v gzip >/dev/null 2>&1 && c="$c gzip"; dd if=/dev/null iflag=fullblock status=none 2>/dev/null && c="$c dd"; echo "$c"`,
    { step: 'create directories and compare files' },
  );
  const lines = probe.stdout.trim().split('\n');
  const caps = (lines[files.length] ?? '').split(' ');
  const stale = files.filter(
    (f, i) => options.force === true || lines[i] !== `${f.mode.toString(8)} ${sha256(f.content)}`,
  );
  let bytes = 0;
  if (caps.includes('dd')) {
    bytes = await streamFiles(shell, stale, caps.includes('gzip'));
  } else {
    for (const f of stale) {
      const data = typeof f.content === 'string' ? Buffer.from(f.content) : f.content;
      await shell.upload(data, f.path, f.mode);
      bytes += data.length;
    }
  }
  const uploaded = stale.map((f) => f.path);
  const unchanged = files.filter((f) => !stale.includes(f)).map((f) => f.path);
  (options.events ?? silentEvents).emit({
    code: 'host.files',
    level: 'debug',
    message: `${shell.host}: ${uploaded.length} file(s) uploaded (${bytes} bytes), ${unchanged.length} unchanged`,
    data: { host: shell.host, uploaded, unchanged: unchanged.length, bytes },
  });
  return { uploaded, unchanged, bytes };
}

/**
 * Sends `files` in one command: their bytes back to back on stdin (big ones gzip-compressed),
 * each cut off with `dd iflag=fullblock` into a private temporary file (umask 077), checked
 * against its SHA-256, given its mode and moved into place. One round trip for every file,
 * where SFTP needs several per file. Returns the bytes sent.
 */
async function streamFiles(shell: RemoteShell, files: readonly HostFile[], gzip: boolean): Promise<number> {
  if (files.length === 0) return 0;
  const payloads: Buffer[] = [];
  const script = ['umask 077', 'set -e'];
  for (const f of files) {
    const data = typeof f.content === 'string' ? Buffer.from(f.content) : f.content;
    const packed = gzip && data.length >= COMPRESS_MIN_BYTES;
    const payload = packed ? gzipOnce(data) : data;
    payloads.push(payload);
    const tmp = quote(`${f.path}.tugboat-upload`);
    const read = `dd bs=${payload.length} count=1 iflag=fullblock status=none`;
    script.push(
      payload.length === 0 ? `: > ${tmp}` : packed ? `${read} | gzip -dc > ${tmp}` : `${read} > ${tmp}`,
      `[ "$(sha256sum < ${tmp} | cut -d' ' -f1)" = ${sha256(data)} ] || { rm -f ${tmp}; echo ${quote(`${f.path}: content arrived damaged`)} >&2; exit 1; }`,
      `chmod ${f.mode.toString(8)} ${tmp}`,
      `mv -f ${tmp} ${quote(f.path)}`,
    );
  }
  const stdin = Buffer.concat(payloads);
  await runChecked(shell, script.join('\n'), {
    step: `upload ${files.length} file(s)`,
    stdin,
    timeoutMs: 300_000,
  });
  return stdin.length;
}

/** The file name of a bundle: its name and the first 16 hex digits of the SHA-256 of its content. */
export function bundleFileName(name: string, content: Buffer | string): string {
  return `${name}-${sha256(content).slice(0, 16)}.mjs`;
}

/** Where a bundle goes on a host: `/opt/tugboat/bundles/<name>-<hash>.mjs`, 0755. */
export function bundleHostFile(layout: HostLayout, name: string, content: Buffer): HostFile {
  return { path: posix.join(layout.opt, 'bundles', bundleFileName(name, content)), content, mode: 0o755 };
}
