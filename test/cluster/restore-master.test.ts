import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/clients.js';
import { CONTROL_PLANE_SERVICE } from '../../src/bootstrap/control-plane-install.js';
import { buildHostLayout } from '../../src/bootstrap/layout.js';
import { serviceStatus, stopService } from '../../src/bootstrap/service.js';
import { restoreOnMaster } from '../../src/cluster/restore-master.js';
import { createBackup, prepareBackupRestore } from '../../src/control-plane/store/shipping/index.js';
import { RecordingEvents } from '../../src/events.js';
import { LocalShell } from '../../src/ssh/local-shell.js';
import { scratch, until } from '../control-plane/store/shipping/helpers.js';
import { type Moto, startMoto } from '../harness/moto.js';
import { freePort } from '../harness/process.js';
import { installTestControlPlane } from '../support/control-plane-service.js';

const cms = '/api/v1/namespaces/default/configmaps';

describe('restoreOnMaster: stop, restore as a new generation, set the data aside, start (LocalShell, moto)', () => {
  let moto: Moto;
  const tmp = scratch();
  const shell = new LocalShell({ host: 'backup-master' });
  const layout = buildHostLayout({ root: tmp.dir('host') });
  beforeAll(async () => {
    moto = await startMoto();
  }, 60_000);
  afterAll(async () => {
    await stopService(shell, CONTROL_PLANE_SERVICE, { layout, mode: 'supervised' }).catch(() => undefined);
    await moto?.stop();
    tmp.cleanup();
  });

  /** The control plane as a supervised service of the simulated host, shipping or not. */
  async function install(port: number, shipping: string[]) {
    await installTestControlPlane(shell, layout, port, moto.endpoint, shipping);
  }

  it('refuses a master that does not ship (nothing changed), then restores one that does', async () => {
    const { s3 } = await createAwsClients({ env: moto.env });
    const ref = { bucket: 'tugboat-backup-restore', owner: '123456789012' };
    await s3.ensurePrivateBucket(ref, {});
    const target = { ref, prefix: 'rm' };
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const ready = () =>
      until(
        async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.ok === true,
        60_000,
        'the API',
      );
    const put = (name: string) =>
      fetch(`${url}${cms}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } }),
      });
    const names = async () =>
      ((await (await fetch(`${url}${cms}`)).json()) as { items: { metadata: { name: string } }[] }).items
        .map((i) => i.metadata.name)
        .sort();

    await install(port, ['--state-bucket', ref.bucket, '--state-prefix', target.prefix]);
    await ready();
    for (const n of ['a', 'b', 'c']) expect((await put(n)).status).toBe(201);
    await new Promise((r) => setTimeout(r, 1000));
    const backup = await createBackup(s3, target);
    await fetch(`${url}${cms}/b`, { method: 'DELETE' });
    expect((await put('d')).status).toBe(201);
    const prepared = await prepareBackupRestore(s3, target, target, backup.name);

    const refusedRestore = () =>
      restoreOnMaster(shell, {
        s3,
        target,
        prepared,
        holder: 't',
        layout,
        mode: 'supervised',
        waitReady: ready,
      });
    // The same host without --state-bucket: refused before anything stops.
    await install(port, []);
    await ready();
    await expect(refusedRestore()).rejects.toThrow(
      /does not ship its store to s3:\/\/tugboat-backup-restore\/rm .*Nothing was changed/,
    );
    expect((await serviceStatus(shell, CONTROL_PLANE_SERVICE, { layout, mode: 'supervised' })).running).toBe(
      true,
    );

    // An etcd master whose bucket takes its backups: refused too (its store is not the shipped one).
    await install(port, [
      '--store',
      'etcd',
      '--etcd-endpoints',
      'http://127.0.0.1:1',
      '--state-bucket',
      ref.bucket,
      '--state-prefix',
      target.prefix,
    ]);
    await expect(refusedRestore()).rejects.toThrow(
      /keeps its objects in etcd \(--store etcd\), but the cluster's stack does not say store: etcd .* Nothing was changed/,
    );

    await install(port, ['--state-bucket', ref.bucket, '--state-prefix', target.prefix]);
    await ready();
    const again = await prepareBackupRestore(s3, target, target, backup.name);
    expect(again.plan.removed.keys).toContain('/registry/configmaps/default/d');
    const events = new RecordingEvents();
    const done = await restoreOnMaster(shell, {
      s3,
      target,
      prepared: again,
      holder: 'tugboat restore (test)',
      layout,
      mode: 'supervised',
      waitReady: ready,
      events,
      now: () => 42,
    });
    expect(done.setAside).toBe(`${join(layout.lib, 'control-plane')}.before-restore-${backup.name}-42`);
    expect(await names()).toEqual(['a', 'b', 'c']);
    expect(events.codes()).toEqual(['restore.master-stopped', 'service.restarted', 'restore.done']);
  }, 240_000);
});
