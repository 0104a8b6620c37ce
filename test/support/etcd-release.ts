import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { type EtcdReleasePin, etcdArchiveName, etcdReleaseName } from '../../src/bootstrap/etcd-release.js';
import { sha256Hex } from '../../src/bootstrap/etcd-release-cache.js';

/** The distribution's etcd on these machines (apt etcd-server), what the test release is made of. */
export const PACKAGE_ETCD = '/usr/bin/etcd';

/** The version /usr/bin/etcd reports (`etcd Version: X`). */
export function packageEtcdVersion(): string {
  const out = execFileSync(PACKAGE_ETCD, ['--version'], { encoding: 'utf8' });
  const m = /^etcd Version: (\d+\.\d+\.\d+)/m.exec(out);
  if (!m) throw new Error(`${PACKAGE_ETCD} --version said: ${out}`);
  return m[1]!;
}

/**
 * A release tarball in etcd's own layout (`etcd-vX-linux-amd64/{etcd,etcdctl}`) built from the
 * machine's /usr/bin/etcd and /usr/bin/etcdctl, with a pin whose version is theirs and whose
 * SHA-256 is the tarball's (both architectures point at it; these machines are amd64).
 */
export function useTestEtcdRelease(name: string) {
  const dir = mkdtempSync(join(tmpdir(), `etcdrelease-${name}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const version = packageEtcdVersion();
  const pinOf = (sha: string): EtcdReleasePin => ({
    version,
    archives: { amd64: { sha256: sha }, arm64: { sha256: sha } },
  });
  const top = etcdReleaseName({ version }, 'amd64');
  mkdirSync(join(dir, 'src', top), { recursive: true });
  for (const bin of ['etcd', 'etcdctl']) copyFileSync(`/usr/bin/${bin}`, join(dir, 'src', top, bin));
  const tarPath = join(dir, etcdArchiveName({ version }, 'amd64'));
  execFileSync('tar', ['-czf', tarPath, '-C', join(dir, 'src'), top]);
  const tarball = readFileSync(tarPath);
  return { dir, version, tarball, tarPath, pin: pinOf(sha256Hex(tarball)), pinOf };
}

/**
 * A release of another version (an upgrade's new pin): etcd's layout, whose `etcd` answers
 * `--version` with `version` and otherwise runs the machine's etcd (these machines have one etcd).
 */
export function buildWrappedRelease(dir: string, version: string) {
  const top = etcdReleaseName({ version }, 'amd64');
  const src = join(dir, `src-${version}`, top);
  mkdirSync(src, { recursive: true });
  writeFileSync(
    join(src, 'etcd'),
    `#!/bin/sh\nif [ "$1" = --version ]; then echo "etcd Version: ${version}"; exit 0; fi\nexec ${PACKAGE_ETCD} "$@"\n`,
    { mode: 0o755 },
  );
  copyFileSync('/usr/bin/etcdctl', join(src, 'etcdctl'));
  const tarPath = join(dir, etcdArchiveName({ version }, 'amd64'));
  execFileSync('tar', ['-czf', tarPath, '-C', join(dir, `src-${version}`), top]);
  const tarball = readFileSync(tarPath);
  const sha = sha256Hex(tarball);
  const pin: EtcdReleasePin = { version, archives: { amd64: { sha256: sha }, arm64: { sha256: sha } } };
  return { tarball, pin };
}

/**
 * An HTTP server on 127.0.0.1 serving `files` (path → bytes); counts requests per path. Paths in
 * `cut` promise the whole file, send half of it and close the connection (a download cut off).
 */
export async function serveFiles(files: Map<string, Buffer>, cut: ReadonlySet<string> = new Set()) {
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const body = files.get(path);
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': body.length });
    if (cut.has(path)) res.write(body.subarray(0, body.length / 2), () => res.socket?.destroy());
    else res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
