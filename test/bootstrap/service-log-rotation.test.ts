import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildHostLayout } from '../../src/bootstrap/layout.js';
import { installService, removeService, serviceStatus } from '../../src/bootstrap/service.js';
import { renderSystemdUnit, type ServiceSpec, servicePaths } from '../../src/bootstrap/service-units.js';
import { LocalShell } from '../../src/ssh/local-shell.js';

// A supervised service (no systemd here) that writes about 40 KB/s, with a 16 KiB cap, 3 copies
// kept and a 1 s check: its log files stay bounded while it runs, and the rotation loop ends with
// the supervisor.
const root = mkdtempSync(join(tmpdir(), `tugboat-logrot-${process.pid}-`));
const shell = new LocalShell({ host: 'local-host' });
const layout = buildHostLayout({ root });
const paths = servicePaths(layout, 'tugboat-chatty');
const maxBytes = 16 * 1024;
afterAll(async () => {
  await removeService(shell, 'tugboat-chatty', { layout, mode: 'supervised' }).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

const script = join(root, 'chatty.sh');
writeFileSync(
  script,
  'n=0\nwhile :; do n=$((n+1)); printf "line %08d %s\\n" "$n" "................................................................................"; [ $((n % 40)) -eq 0 ] && sleep 0.1; done\n',
);
const spec: ServiceSpec = {
  name: 'tugboat-chatty',
  description: 'writes a lot',
  command: ['/bin/sh', script],
  logRotation: { maxBytes, keep: 3, checkSeconds: 1 },
};

const logFiles = () => readdirSync(layout.log).filter((f) => f.startsWith('tugboat-chatty.log'));
const processesRunning = (needle: string) =>
  execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(needle)).length;

describe('log rotation of a supervised service', () => {
  it('rotates at the cap, keeps 3 copies, and the service keeps writing to the emptied log', async () => {
    await installService(shell, spec, { layout, mode: 'supervised' });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !existsSync(`${paths.log}.3`))
      await new Promise((r) => setTimeout(r, 200));
    // Let it run a few more intervals: the number of files and their sizes stay bounded.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(logFiles().sort()).toEqual([
      'tugboat-chatty.log',
      'tugboat-chatty.log.1',
      'tugboat-chatty.log.2',
      'tugboat-chatty.log.3',
    ]);
    for (const n of [1, 2, 3]) {
      const size = statSync(`${paths.log}.${n}`).size;
      expect(size).toBeGreaterThanOrEqual(maxBytes);
      // At most what the service writes in about one interval past the cap (it writes ≤ 40 KB/s).
      expect(size).toBeLessThan(maxBytes + 200_000);
    }
    // The newest copy continues where the older one stopped (line numbers increase across files).
    const first = (f: string) => Number(/line (\d+)/.exec(readFileSync(f, 'utf8'))?.[1]);
    expect(first(`${paths.log}.2`)).toBeLessThan(first(`${paths.log}.1`));
    // Read the newest copy first: whenever the live log has a line, it is newer than all of .1.
    const last = (f: string) => Number([...readFileSync(f, 'utf8').matchAll(/line (\d+)/g)].at(-1)?.[1] ?? 0);
    let copied = 0;
    let live = 0;
    for (let i = 0; i < 50 && live === 0; i++) {
      copied = last(`${paths.log}.1`);
      live = last(paths.log);
      if (live === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(copied).toBeGreaterThan(0);
    expect(live).toBeGreaterThan(copied);
    expect(readFileSync(paths.log, 'utf8')).not.toContain('\0');
  }, 120_000);

  it('stopping the service also ends the rotation loop', async () => {
    const status = await serviceStatus(shell, 'tugboat-chatty', { layout, mode: 'supervised' });
    expect(status.running).toBe(true);
    expect(processesRunning(paths.supervisor)).toBeGreaterThanOrEqual(2);
    await removeService(shell, 'tugboat-chatty', { layout, mode: 'supervised' });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && processesRunning(paths.supervisor) > 0)
      await new Promise((r) => setTimeout(r, 100));
    expect(processesRunning(paths.supervisor)).toBe(0);
  }, 60_000);

  it('systemd hosts log to the journal instead (journald caps it)', () => {
    const unit = renderSystemdUnit(spec, layout);
    expect(unit).toContain('StandardOutput=journal');
    expect(unit).toContain('SyslogIdentifier=tugboat-chatty');
    expect(unit).not.toContain('append:');
  });

  it('refuses a rotation that would not bound anything', () => {
    expect(() =>
      renderSystemdUnit({ ...spec, logRotation: { maxBytes: 10, keep: 0, checkSeconds: 1 } }, layout),
    ).toThrow(/log rotation .* is invalid: maxBytes must be an integer of at least 1024, keep 1 to 100/);
  });
});
