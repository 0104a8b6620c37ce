/**
 * Files bind-mounted into pods are written only when their text changes: an in-place rewrite
 * truncates first, and a pod reading /etc/resolv.conf at that moment sees it empty.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { writeMountedFile } from '../../../src/agent/network/mounted-file.js';

const dir = mkdtempSync(join(tmpdir(), 'tugboat-probes-mounted-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('leaves an unchanged file alone, rewrites a changed one in place, creates a missing one', async () => {
  const file = join(dir, 'resolv.conf');
  await writeMountedFile(file, 'nameserver 10.244.3.1\n');
  expect(readFileSync(file, 'utf8')).toBe('nameserver 10.244.3.1\n');
  const inode = statSync(file).ino;
  const old = new Date('2020-01-01T00:00:00Z');
  utimesSync(file, old, old);
  await writeMountedFile(file, 'nameserver 10.244.3.1\n');
  expect(statSync(file).mtime.getTime()).toBe(old.getTime());
  await writeMountedFile(file, 'nameserver 10.244.3.1\nsearch default.svc.cluster.local\n');
  expect(readFileSync(file, 'utf8')).toBe('nameserver 10.244.3.1\nsearch default.svc.cluster.local\n');
  // The same inode: a bind mount of it sees the new text.
  expect(statSync(file).ino).toBe(inode);
  writeFileSync(file, 'garbage');
  await writeMountedFile(file, 'x\n');
  expect(readFileSync(file, 'utf8')).toBe('x\n');
});
