import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildHostLayout } from '../../src/bootstrap/layout.js';
import { installService, removeService, serviceStatus, stopService } from '../../src/bootstrap/service.js';
import { type ServiceSpec, servicePaths } from '../../src/bootstrap/service-units.js';
import { RecordingEvents } from '../../src/events.js';
import type { RemoteShell } from '../../src/ssh/remote-shell.js';
import { isAlive, waitGone } from '../ssh/shell-contract.js';

async function until<T>(fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

/**
 * Supervised services (hosts without systemd, like this machine) installed, restarted, updated,
 * stopped and removed through a RemoteShell. `reconnect` (ssh only) proves the service outlives the
 * session that started it.
 */
export function describeSupervisedService(
  name: string,
  shell: () => RemoteShell,
  root: () => string,
  reconnect?: () => Promise<void>,
): void {
  describe(`${name}: supervised service`, () => {
    const layout = () => buildHostLayout({ root: root() });
    const spec = (version: string): ServiceSpec => {
      const script = join(root(), `fake-service-${version}.sh`);
      writeFileSync(script, `echo "fake ${version} started as $$"\nexec sleep 1000\n`);
      return { name: 'tugboat-fake', description: 'fake service', command: ['/bin/sh', script] };
    };
    afterAll(async () => {
      await stopService(shell(), 'tugboat-fake', { layout: layout(), mode: 'supervised' }).catch(
        () => undefined,
      );
    });

    it('installs and starts it detached, with pidfiles and a log', async () => {
      const events = new RecordingEvents();
      const result = await installService(shell(), spec('v1'), { layout: layout(), events });
      expect(result).toEqual({ mode: 'supervised', changed: true });
      expect(events.codes()).toContain('service.installed');
      const status = await serviceStatus(shell(), 'tugboat-fake', { layout: layout() });
      expect(status.running).toBe(true);
      expect(isAlive(status.pid!)).toBe(true);
      const paths = servicePaths(layout(), 'tugboat-fake');
      expect(statSync(paths.supervisor).mode & 0o777).toBe(0o700);
      expect(statSync(layout().etc).mode & 0o777).toBe(0o700);
      await until(() => (readFileSync(paths.log, 'utf8').includes('fake v1 started') ? true : undefined));
    });

    if (reconnect) {
      it('keeps running after the SSH session that started it has closed', async () => {
        const before = await serviceStatus(shell(), 'tugboat-fake', { layout: layout() });
        await reconnect();
        const after = await serviceStatus(shell(), 'tugboat-fake', { layout: layout() });
        expect(after.running).toBe(true);
        expect(after.pid).toBe(before.pid);
      });
    }

    it('is idempotent: the same definition again changes nothing', async () => {
      const before = await serviceStatus(shell(), 'tugboat-fake', { layout: layout() });
      const result = await installService(shell(), spec('v1'), { layout: layout() });
      expect(result.changed).toBe(false);
      const after = await serviceStatus(shell(), 'tugboat-fake', { layout: layout() });
      expect(after.pid).toBe(before.pid);
    });

    it('restarts the service when it dies', async () => {
      const before = await until(
        async () => (await serviceStatus(shell(), 'tugboat-fake', { layout: layout() })).childPid,
      );
      process.kill(before, 'SIGKILL');
      const next = await until(async () => {
        const s = await serviceStatus(shell(), 'tugboat-fake', { layout: layout() });
        return s.childPid !== undefined && s.childPid !== before ? s.childPid : undefined;
      });
      expect(isAlive(next)).toBe(true);
      const log = readFileSync(servicePaths(layout(), 'tugboat-fake').log, 'utf8');
      expect(log).toMatch(/tugboat-supervise: tugboat-fake exited with status 137; restarting in 1s/);
    });

    it('replaces a changed definition and restarts it', async () => {
      const before = await serviceStatus(shell(), 'tugboat-fake', { layout: layout() });
      const result = await installService(shell(), spec('v2'), { layout: layout() });
      expect(result.changed).toBe(true);
      const after = await serviceStatus(shell(), 'tugboat-fake', { layout: layout() });
      expect(after.pid).not.toBe(before.pid);
      expect(await waitGone(before.pid!)).toBe(true);
      expect(await waitGone(before.childPid!)).toBe(true);
      await until(() =>
        readFileSync(servicePaths(layout(), 'tugboat-fake').log, 'utf8').includes('fake v2 started')
          ? true
          : undefined,
      );
    });

    it('stops (supervisor and service gone, pidfiles removed) and removes its files', async () => {
      const before = await serviceStatus(shell(), 'tugboat-fake', { layout: layout() });
      await removeService(shell(), 'tugboat-fake', { layout: layout() });
      expect(await waitGone(before.pid!)).toBe(true);
      expect(await waitGone(before.childPid!)).toBe(true);
      const paths = servicePaths(layout(), 'tugboat-fake');
      expect(existsSync(paths.pidfile)).toBe(false);
      expect(existsSync(paths.supervisor)).toBe(false);
      expect((await serviceStatus(shell(), 'tugboat-fake', { layout: layout() })).running).toBe(false);
      await stopService(shell(), 'tugboat-fake', { layout: layout() });
    });
  });
}
