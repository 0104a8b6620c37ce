import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleHostFile, COMPRESS_MIN_BYTES, syncHostFiles } from '../../src/bootstrap/host-files.js';
import { buildHostLayout } from '../../src/bootstrap/layout.js';
import { RecordingEvents } from '../../src/events.js';
import { LocalShell } from '../../src/ssh/local-shell.js';

const root = mkdtempSync(join(tmpdir(), `tugboat-host-files-${process.pid}-`));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A host whose `dd` cannot cut a stream (no GNU iflag=fullblock) and that has no gzip. */
function minimalHostShell(): LocalShell {
  const bin = join(root, 'fake-bin');
  mkdirSync(bin, { recursive: true });
  for (const tool of ['dd', 'gzip']) {
    writeFileSync(join(bin, tool), '#!/bin/sh\necho "unsupported" >&2\nexit 1\n');
    chmodSync(join(bin, tool), 0o755);
  }
  return new LocalShell({ host: 'minimal', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
}

describe('syncHostFiles transports', () => {
  const content = Buffer.from(
    Array.from({ length: 5_000 }, (_, i) => `export const v${i} = ${i * 31};\n`).join(''),
  );

  it('streams every stale file in one command, the big one compressed, where dd and gzip exist', async () => {
    expect(content.length).toBeGreaterThan(COMPRESS_MIN_BYTES);
    const layout = buildHostLayout({ root: join(root, 'full') });
    const files = [
      bundleHostFile(layout, 'agent', content),
      { path: `${layout.etc}/pki/node.key`, content: 'KEY\n', mode: 0o600 },
      { path: `${layout.etc}/empty`, content: '', mode: 0o644 },
    ];
    const events = new RecordingEvents();
    const result = await syncHostFiles(new LocalShell({ host: 'full' }), files, { events });
    expect(result.uploaded).toHaveLength(3);
    expect(result.bytes).toBeLessThan(content.length / 3);
    expect(readFileSync(files[0]!.path).equals(content)).toBe(true);
    expect(statSync(files[0]!.path).mode & 0o777).toBe(0o755);
    expect(readFileSync(files[1]!.path, 'utf8')).toBe('KEY\n');
    expect(statSync(files[1]!.path).mode & 0o777).toBe(0o600);
    expect(readFileSync(files[2]!.path, 'utf8')).toBe('');
    expect(events.codes()).toEqual(['host.files']);
  });

  it('falls back to one SFTP-style upload per file, uncompressed, on a host without them', async () => {
    const layout = buildHostLayout({ root: join(root, 'minimal') });
    const files = [
      bundleHostFile(layout, 'agent', content),
      { path: `${layout.etc}/pki/node.key`, content: 'KEY\n', mode: 0o600 },
    ];
    const shell = minimalHostShell();
    const result = await syncHostFiles(shell, files);
    expect(result.bytes).toBe(content.length + 4);
    expect(readFileSync(files[0]!.path).equals(content)).toBe(true);
    expect(statSync(files[1]!.path).mode & 0o777).toBe(0o600);
    expect(await syncHostFiles(shell, files)).toMatchObject({ uploaded: [], bytes: 0 });
  });
});
