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
    const podPids: number[] = [];
    afterAll(async () => {
      // Leave nothing running even when an assertion failed half-way.
      await uninstallHost(shell(), {
        layout: layout(),
        services: ['tugboat-fake-agent'],
        serviceRules: false,
        podNetwork: false,
      }).catch(() => undefined);
      if (strayPid && isAlive(strayPid)) process.kill(strayPid, 'SIGKILL');
      for (const pid of podPids) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
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

      // A pod of the process runtime whose agent was killed: its process group runs on, recorded
      // as `PID STARTTICKS`. A second record names a live process whose start time differs (a
      // reused pid): it must survive.
      const pod = spawn('/bin/sh', ['-c', 'sleep 300 & sleep 300; wait'], {
        detached: true,
        stdio: 'ignore',
      });
      const bystander = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
      // A `kubectl exec` session in that pod: its own process group, on the record's next line.
      const exec = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
      podPids.push(pod.pid!, bystander.pid!, exec.pid!);
      const ticks = (pid: number) =>
        Number(
          readFileSync(`/proc/${pid}/stat`, 'utf8')
            .replace(/^.*\) /s, '')
            .split(' ')[19],
        );
      for (const [id, lines] of [
        ['pod', `${pod.pid!} ${ticks(pod.pid!)}\n${exec.pid!} ${ticks(exec.pid!)}\n`],
        ['reused', `${bystander.pid!} ${ticks(bystander.pid!) + 1}\n`],
      ] as const) {
        mkdirSync(`${l.lib}/agent/process-runtime/${id}`, { recursive: true });
        writeFileSync(`${l.lib}/agent/process-runtime/${id}/process`, lines);
      }

      const result = await uninstallHost(shell(), {
        layout: l,
        services: ['tugboat-fake-agent'],
        serviceRules: false,
        podNetwork: false,
      });
      expect(result.podProcessesStopped).toBe(2);
      expect(await waitGone(pod.pid!)).toBe(true);
      expect(await waitGone(exec.pid!)).toBe(true);
      expect(isAlive(bystander.pid!)).toBe(true);
      expect(await waitGone(status.pid!)).toBe(true);
      expect(await waitGone(status.childPid!)).toBe(true);
      expect(await waitGone(strayPid)).toBe(true);
      expect(result.killedStragglers).toContain(strayPid);
      for (const dir of layoutDirectories(l)) expect(existsSync(dir)).toBe(false);
      await expect(
        uninstallHost(shell(), {
          layout: l,
          services: ['tugboat-fake-agent'],
          serviceRules: false,
          podNetwork: false,
        }),
      ).resolves.toEqual({
        killedStragglers: [],
        containersRemoved: 0,
        podProcessesStopped: 0,
        data: [],
        dataKept: false,
      });
      expect(isAlive(process.pid)).toBe(true);
    });

    it('lists the local-path volumes before removing them, and --keep-data keeps only them', {
      timeout: 180_000,
    }, async () => {
      const l = layout();
      const volumes = `${l.lib}/agent/volumes`;
      const write = (path: string, content: string) => {
        mkdirSync(path.slice(0, path.lastIndexOf('/')), { recursive: true });
        writeFileSync(path, content);
      };
      write(`${volumes}/pvc-a/data.txt`, 'x'.repeat(64 * 1024));
      write(`${volumes}/pvc-b/nested/f`, 'b');
      write(`${l.lib}/agent/state.json`, '{}');
      write(`${l.lib}/control-plane/store/log`, 'store');
      write(`${l.etc}/pki/node.key`, 'KEY');
      const messages: string[] = [];
      const events = {
        emit: (e: { code: string; message: string }) => void messages.push(`${e.code} ${e.message}`),
      };
      const kept = await uninstallHost(shell(), {
        layout: l,
        services: [],
        serviceRules: false,
        podNetwork: false,
        keepData: true,
        events,
      });
      expect(kept.dataKept).toBe(true);
      expect(kept.data.map((d) => d.path)).toEqual([`${volumes}/pvc-a`, `${volumes}/pvc-b`]);
      expect(kept.data[0]!.kib).toBeGreaterThanOrEqual(64);
      expect(messages.find((m) => m.startsWith('host.volume-data'))).toMatch(
        /keeping 2 local-path volume\(s\)/,
      );
      // The volumes stay byte for byte; everything else of tugboat's is gone.
      expect(readFileSync(`${volumes}/pvc-a/data.txt`, 'utf8')).toHaveLength(64 * 1024);
      expect(readFileSync(`${volumes}/pvc-b/nested/f`, 'utf8')).toBe('b');
      expect(existsSync(`${l.lib}/agent/state.json`)).toBe(false);
      expect(existsSync(`${l.lib}/control-plane`)).toBe(false);
      for (const dir of layoutDirectories(l).filter((d) => d !== l.lib)) expect(existsSync(dir)).toBe(false);

      // A plain uninstall afterwards says what it deletes, then deletes it.
      messages.length = 0;
      const removed = await uninstallHost(shell(), {
        layout: l,
        services: [],
        serviceRules: false,
        podNetwork: false,
        events,
      });
      expect(removed).toMatchObject({
        dataKept: false,
        data: [{ path: `${volumes}/pvc-a` }, { path: `${volumes}/pvc-b` }],
      });
      expect(messages.find((m) => m.startsWith('host.volume-data'))).toMatch(
        /removing 2 .*--keep-data keeps them/,
      );
      for (const dir of layoutDirectories(l)) expect(existsSync(dir)).toBe(false);
    });
  });
}
