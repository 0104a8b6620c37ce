import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/clients.js';
import { CONTROL_PLANE_SERVICE } from '../../src/bootstrap/control-plane-install.js';
import { buildHostLayout } from '../../src/bootstrap/layout.js';
import { serviceStatus, stopService } from '../../src/bootstrap/service.js';
import { backupEtcdOnMaster } from '../../src/cluster/backup-etcd.js';
import { restoreEtcdOnMasters } from '../../src/cluster/restore-etcd-masters.js';
import { RecordingEvents } from '../../src/events.js';
import { LocalShell } from '../../src/ssh/local-shell.js';
import { scratch, until } from '../control-plane/store/shipping/helpers.js';
import { type EtcdCluster, startEtcd } from '../harness/etcd.js';
import { type Moto, startMoto } from '../harness/moto.js';
import { freePort } from '../harness/process.js';
import { installTestControlPlane } from '../support/control-plane-service.js';
import { jsonCaller } from '../support/json-call.js';

const cms = '/api/v1/namespaces/default/configmaps';

describe('restoreEtcdOnMasters: every master stopped, the backup written into etcd from one, all started (LocalShell, real etcd, moto)', () => {
  let moto: Moto;
  let etcd: EtcdCluster;
  const tmp = scratch();
  const hosts = ['etcdbackup-m1', 'etcdbackup-m2'].map((name) => ({
    shell: new LocalShell({ host: name }),
    layout: buildHostLayout({ root: tmp.dir(name) }),
    port: 0,
  }));
  beforeAll(async () => {
    moto = await startMoto();
    etcd = await startEtcd();
    for (const h of hosts) h.port = await freePort();
  }, 60_000);
  afterAll(async () => {
    for (const h of hosts)
      await stopService(h.shell, CONTROL_PLANE_SERVICE, { layout: h.layout, mode: 'supervised' }).catch(
        () => undefined,
      );
    await etcd?.stop();
    await moto?.stop();
    tmp.cleanup();
  });

  /** A master's control plane as a supervised service of its simulated host. */
  async function install(h: (typeof hosts)[number], flags: string[]) {
    await installTestControlPlane(h.shell, h.layout, h.port, moto.endpoint, flags, 'host');
  }
  const ready = (h: (typeof hosts)[number]) =>
    until(
      async () => (await fetch(`http://127.0.0.1:${h.port}/readyz`).catch(() => undefined))?.ok === true,
      90_000,
      `${h.shell.host}'s API`,
    );

  it('backs up through a master, refuses unless every master runs on etcd, then restores exactly the backup for both API servers', async () => {
    const { s3, sts } = await createAwsClients({ env: moto.env });
    const ref = { bucket: 'etcdbackup-masters', owner: await sts.accountId() };
    await s3.ensurePrivateBucket(ref, {});
    const source = { ref, prefix: 'demo' };
    const etcdFlags = ['--store', 'etcd', '--etcd-endpoints', etcd.endpoints.join(',')];
    const [m1, m2] = hosts as [(typeof hosts)[number], (typeof hosts)[number]];
    await install(m1, etcdFlags);
    await install(m2, []);
    await Promise.all([ready(m1), ready(m2)]);
    const call1 = jsonCaller(() => `http://127.0.0.1:${m1.port}`);
    const call2 = jsonCaller(() => `http://127.0.0.1:${m2.port}`);
    for (const name of ['a', 'b', 'c'])
      expect((await call1('POST', cms, { metadata: { name }, data: { name } })).status).toBe(201);
    // Taken now through m1, as `tugboat backup create` does on an etcd cluster.
    const backup = await backupEtcdOnMaster({ shell: m1.shell, layout: m1.layout }, source, {
      mode: 'supervised',
    });
    expect(backup).toMatchObject({ store: 'etcd', generation: 0 });
    expect(backup.keys).toBeGreaterThanOrEqual(3);
    expect((await call1('DELETE', `${cms}/b`)).status).toBe(200);
    expect((await call1('POST', cms, { metadata: { name: 'd' } })).status).toBe(201);
    const options = {
      source,
      name: backup.name,
      mode: 'supervised' as const,
      waitReady: async () => {
        await Promise.all([ready(m1), ready(m2)]);
      },
    };

    // m2 keeps the embedded store: refused before anything stops.
    await expect(restoreEtcdOnMasters([m1, m2], options)).rejects.toThrow(
      /etcdbackup-m2: the control plane does not keep its objects in etcd .*Nothing was changed/,
    );
    expect(
      (await serviceStatus(m1.shell, CONTROL_PLANE_SERVICE, { layout: m1.layout, mode: 'supervised' }))
        .running,
    ).toBe(true);

    await install(m2, etcdFlags);
    await ready(m2);
    const events = new RecordingEvents();
    const done = await restoreEtcdOnMasters([m1, m2], { ...options, events });
    expect(done.output).toMatch(
      new RegExp(`restored ${backup.name} into etcd: \\d+ keys deleted, ${backup.keys} written`),
    );
    const names = async (call: typeof call1) =>
      ((await call('GET', cms)).body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name);
    expect(await names(call1)).toEqual(['a', 'b', 'c']);
    expect(await names(call2)).toEqual(['a', 'b', 'c']);
    expect(events.codes()).toEqual([
      'restore.master-stopped',
      'restore.master-stopped',
      'restore.etcd-written',
      'service.restarted',
      'service.restarted',
      'restore.done',
    ]);
  }, 300_000);
});
