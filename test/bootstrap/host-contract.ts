import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFileName, bundleHostFile, syncHostFiles } from '../../src/bootstrap/host-files.js';
import { buildHostLayout, layoutDirectories } from '../../src/bootstrap/layout.js';
import { installService, serviceStatus } from '../../src/bootstrap/service.js';
import { uninstallHost } from '../../src/bootstrap/uninstall.js';
import type { RemoteShell } from '../../src/ssh/remote-shell.js';
import { isAlive, waitGone } from '../ssh/shell-contract.js';

/** File sync and uninstall through a RemoteShell, on a layout under a temporary root. */
export function describeHostFilesAndUninstall(
  name: string,
  shell: () => RemoteShell,
  root: () => string,
): void {
  describe(`${name}: host files and uninstall`, () => {
    const layout = () => buildHostLayout({ root: root() });
    let strayPid: number | undefined;
    afterAll(async () => {
      // Leave nothing running even when an assertion failed half-way.
      await uninstallHost(shell(), {
        layout: layout(),
        services: ['tugboat-fake-agent'],
        serviceRules: false,
      }).catch(() => undefined);
      if (strayPid && isAlive(strayPid)) process.kill(strayPid, 'SIGKILL');
    });

    it('uploads only what differs, with modes, and counts the bytes', async () => {
      const l = layout();
      const files = [
        { path: `${l.etc}/pki/node.key`, content: 'KEY\n', mode: 0o600 },
        { path: `${l.etc}/pki/ca.crt`, content: 'CERT\n', mode: 0o644 },
        bundleHostFile(l, 'agent', Buffer.from('console.log(1)\n')),
      ];
      const first = await syncHostFiles(shell(), files);
      expect(first.uploaded).toHaveLength(3);
      expect(first.bytes).toBe(4 + 5 + 15);
      expect(statSync(`${l.etc}/pki/node.key`).mode & 0o777).toBe(0o600);
      expect(
        readFileSync(`${l.opt}/bundles/${bundleFileName('agent', Buffer.from('console.log(1)\n'))}`, 'utf8'),
      ).toBe('console.log(1)\n');

      const second = await syncHostFiles(shell(), files);
      expect(second).toEqual({ uploaded: [], unchanged: files.map((f) => f.path), bytes: 0 });

      const changed = [{ ...files[0]!, mode: 0o640 }, { ...files[1]!, content: 'CERT2\n' }, files[2]!];
      const third = await syncHostFiles(shell(), changed);
      expect(third.uploaded).toEqual([files[0]!.path, files[1]!.path]);
      expect(statSync(`${l.etc}/pki/node.key`).mode & 0o777).toBe(0o640);
    });

    it('sends big files gzip-compressed and unpacks them byte for byte with their mode', async () => {
      const l = layout();
      // Compressible but not trivial: JavaScript-like text with a counter, about 200 KiB.
      const content = Buffer.from(
        Array.from({ length: 6_000 }, (_, i) => `export const value${i} = ${i * 7919};\n`).join(''),
      );
      const file = bundleHostFile(l, 'big', content);
      const first = await syncHostFiles(shell(), [file]);
      expect(first.uploaded).toEqual([file.path]);
      expect(first.bytes).toBeGreaterThan(0);
      expect(first.bytes).toBeLessThan(content.length / 3);
      expect(readFileSync(file.path).equals(content)).toBe(true);
      expect(statSync(file.path).mode & 0o777).toBe(0o755);
      expect(existsSync(`${file.path}.tugboat-upload.gz`)).toBe(false);
      expect(existsSync(`${file.path}.tugboat-upload`)).toBe(false);
      expect(await syncHostFiles(shell(), [file])).toMatchObject({ uploaded: [], bytes: 0 });
    });

    it('uninstall removes services, stray tugboat processes and every tugboat directory', async () => {
      const l = layout();
      mkdirSync(`${l.opt}/bin`, { recursive: true });
      const program = `${l.opt}/bin/fake-agent.sh`;
      writeFileSync(program, 'while :; do sleep 1; done\n');
      await installService(
        shell(),
        { name: 'tugboat-fake-agent', description: 'fake', command: ['/bin/sh', program] },
        { layout: l },
      );
      const status = await serviceStatus(shell(), 'tugboat-fake-agent', { layout: l });
      expect(status.running).toBe(true);
      mkdirSync(l.lib, { recursive: true });
      const strayScript = `${l.lib}/stray.sh`;
      writeFileSync(strayScript, 'while :; do sleep 1; done\n');
      // detached: node calls setsid(), so the stray process belongs to no test or shell process group.
      const stray = spawn('/bin/sh', [strayScript], { detached: true, stdio: 'ignore' });
      stray.unref();
      strayPid = await (async () => {
        for (let i = 0; i < 100; i++) {
          if (stray.pid && isAlive(stray.pid)) return stray.pid;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error('stray process did not start');
      })();

      const result = await uninstallHost(shell(), {
        layout: l,
        services: ['tugboat-fake-agent'],
        serviceRules: false,
      });
      expect(await waitGone(status.pid!)).toBe(true);
      expect(await waitGone(status.childPid!)).toBe(true);
      expect(await waitGone(strayPid)).toBe(true);
      expect(result.killedStragglers).toContain(strayPid);
      for (const dir of layoutDirectories(l)) expect(existsSync(dir)).toBe(false);
      await expect(
        uninstallHost(shell(), { layout: l, services: ['tugboat-fake-agent'], serviceRules: false }),
      ).resolves.toEqual({
        killedStragglers: [],
        containersRemoved: 0,
      });
      expect(isAlive(process.pid)).toBe(true);
    });
  });
}
