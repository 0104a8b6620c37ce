import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootstrapHost, BootstrapHosts } from '../../src/bootstrap/bootstrap-hosts.js';
import {
  type BootstrapInventoryOptions,
  bootstrapInventory,
  uninstallInventory,
} from '../../src/bootstrap/bootstrap-inventory.js';
import type { HostBundle } from '../../src/bootstrap/control-plane-install.js';
import { ETCD_SERVICE } from '../../src/bootstrap/etcd-install.js';
import { etcdReleasePaths } from '../../src/bootstrap/etcd-release.js';
import { buildHostLayout } from '../../src/bootstrap/layout.js';
import { servicePaths } from '../../src/bootstrap/service-units.js';
import { LocalShell } from '../../src/ssh/local-shell.js';
import { freePort } from '../harness/process.js';
import { buildWrappedRelease, useTestEtcdRelease } from '../support/etcd-release.js';
import { loadSetupRuntime } from '../support/node-runtime.js';

// SSH bootstrap's path for etcd's release (issue 17): one master with `store: etcd` on a host
// whose package path is absent (as Amazon Linux), reached through a LocalShell on 127.0.119.1
// (this helper's range), its own host layout. The laptop's loader gives the test release; the
// master must get it over stdin, verify and unpack it, and run its member from there.
const dir = mkdtempSync(join(tmpdir(), `etcdrelease-bootstrap-${process.pid}-`));
const release = useTestEtcdRelease('bootstrap');
const master: BootstrapHost = { name: 'm1', address: '127.0.119.1', port: 22, user: 'root', role: 'master' };
const inventory: BootstrapHosts = {
  cluster: 'er119',
  runtime: 'process',
  master,
  masters: [master],
  workers: [],
};
const layout = buildHostLayout({ root: join(dir, 'hosts', 'm1') });
let bundle: HostBundle;
let apiPort: number;
const loads: string[] = [];

const options = (): BootstrapInventoryOptions => ({
  inventory,
  stateDir: join(dir, 'state'),
  openShell: async (h) => new LocalShell({ host: h.name }),
  layoutFor: () => layout,
  bundle,
  apiPort,
  apiListen: (h) => `${h.address}:${apiPort}`,
  readyTimeoutMs: 120_000,
  masterSchedulable: false,
  agentServiceProxy: false,
  loadRuntime: loadSetupRuntime,
  store: 'etcd',
  etcdPath: join(dir, 'no-package', 'etcd'),
  etcdPin: release.pin,
  loadEtcdRelease: async (arch) => {
    loads.push(arch);
    return release.tarball;
  },
});

beforeAll(async () => {
  const manifest = JSON.parse(
    execFileSync(process.execPath, ['scripts/bundle.mjs', '--outdir', join(dir, 'bundles')], {
      encoding: 'utf8',
    }),
  );
  bundle = { file: manifest.file, content: readFileSync(join(dir, 'bundles', manifest.file)) };
  apiPort = await freePort('127.0.119.1');
}, 120_000);

afterAll(async () => {
  if (bundle) await uninstallInventory(options()).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}, 300_000);

describe('bootstrap of a master on etcd without the etcd package', () => {
  it('sends the verified release, runs the member from its versioned directory, and the next run sends nothing', async () => {
    const first = await bootstrapInventory(options());
    const [outcome] = first.hosts;
    if (!outcome?.ok)
      throw new Error(`bootstrap failed: ${outcome?.ok === false ? outcome.error.message : 'no host'}`);
    const p = etcdReleasePaths(layout, release.version);
    expect(loads).toEqual(['amd64']);
    expect(outcome.value.bytesUploaded).toBeGreaterThan(release.tarball.length);
    const supervise = readFileSync(join(layout.opt, 'bin', `${ETCD_SERVICE}-supervise.sh`), 'utf8');
    expect(supervise).toContain(`${p.etcd} --name m1`);
    const pid = Number(readFileSync(servicePaths(layout, ETCD_SERVICE).childPidfile, 'utf8').trim());
    expect(readlinkSync(`/proc/${pid}/exe`)).toBe(p.etcd);
    // The control plane answered /readyz on it (bootstrap waited for that); the second run keeps all.
    const again = await bootstrapInventory(options());
    expect(
      again.hosts.map((h) => (h.ok ? [h.value.bytesUploaded, h.value.serviceChanged] : h.error.message)),
    ).toEqual([[0, false]]);
    expect(loads).toHaveLength(1);

    // A tugboat release with a new pin (what the upgrade roll's reinstall of this master runs):
    // the new version is sent and unpacked beside the old one, the member restarts on it with its
    // data, and the API server is ready again (bootstrap waits for /readyz).
    const next = buildWrappedRelease(release.dir, '3.4.98');
    const rolled = await bootstrapInventory({
      ...options(),
      etcdPin: next.pin,
      loadEtcdRelease: async () => next.tarball,
    });
    const [after] = rolled.hosts;
    if (!after?.ok) throw new Error(`roll failed: ${after?.ok === false ? after.error.message : 'no host'}`);
    expect(after.value.serviceChanged).toBe(true);
    const p2 = etcdReleasePaths(layout, '3.4.98');
    expect(readFileSync(join(layout.opt, 'bin', `${ETCD_SERVICE}-supervise.sh`), 'utf8')).toContain(
      `${p2.etcd} --name m1`,
    );
    expect(existsSync(p.etcd)).toBe(true);
    const pid2 = Number(readFileSync(servicePaths(layout, ETCD_SERVICE).childPidfile, 'utf8').trim());
    expect(pid2).not.toBe(pid);

    await uninstallInventory(options());
    expect(existsSync(p.root)).toBe(false);
  }, 300_000);
});
