import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBackups } from '../../../../src/control-plane/store/shipping/index.js';
import { startControlPlaneProcess } from '../../../harness/control-plane-process.js';
import { type Moto, startMoto } from '../../../harness/moto.js';
import { freePort, type StartedProcess } from '../../../harness/process.js';
import { runCli } from '../../../support/cli.js';
import { s3ForMoto, scratch, until } from './helpers.js';

describe('tugboat control-plane --backup-schedule', () => {
  let moto: Moto;
  const tmp = scratch();
  let proc: StartedProcess | undefined;
  beforeAll(async () => {
    moto = await startMoto();
  }, 60_000);
  afterAll(async () => {
    await proc?.stop(2_000);
    await moto?.stop();
    tmp.cleanup();
  });

  it('refuses a bad schedule or one without --state-bucket, naming the flag', async () => {
    const base = ['control-plane', '--insecure-loopback-http', '--listen', '127.0.0.1:1'];
    const noBucket = await runCli([...base, '--backup-schedule', '@daily']);
    expect(noBucket.code).toBe(2);
    expect(noBucket.stderr).toContain('--backup-schedule needs --state-bucket');
    const bad = await runCli([...base, '--state-bucket', 'b', '--backup-schedule', '61 * * * *']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      '--backup-schedule "61 * * * *" is not a cron schedule (minute: 61 is out of range',
    );
    const retain = await runCli([
      ...base,
      '--state-bucket',
      'b',
      '--backup-schedule',
      '@daily',
      '--backup-retain',
      '0',
    ]);
    expect(retain.code).toBe(2);
    expect(retain.stderr).toContain('--backup-retain "0" is not a whole number from 1 to 1000');
  });

  it('a shipping control plane takes a backup of its shipped state at the next whole minute', async () => {
    const { s3, target } = await s3ForMoto(moto, 's3ship-scheduled');
    const port = await freePort();
    proc = await startControlPlaneProcess(
      tmp.dir('master'),
      port,
      [
        '--no-controllers',
        '--state-bucket',
        target.ref.bucket,
        '--state-prefix',
        target.prefix,
        '--backup-schedule',
        '* * * * *',
        '--backup-retain',
        '1',
      ],
      { ...process.env, ...moto.env },
    );
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kept' } }),
    });
    expect(res.status).toBe(201);
    await until(async () => (await listBackups(s3, target)).length > 0, 75_000, 'a scheduled backup');
    const [backup] = await listBackups(s3, target);
    // At a whole minute, of the shipped state (the ConfigMap and the server's own objects).
    expect(backup!.name).toMatch(/^\d{8}T\d{4}00Z$/);
    expect(backup!.keys).toBeGreaterThanOrEqual(1);
    expect(proc.output()).toContain(`scheduled backup ${backup!.name}`);
  }, 120_000);
});
