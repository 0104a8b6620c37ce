import { describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/clients.js';
import { bootReportKey } from '../../src/boot/boot-report.js';
import { hostMain } from '../../src/cli/host-main.js';
import { clusterBucketName } from '../../src/provision/template/storage-names.js';
import { startImdsServer } from '../harness/imds.js';
import { writeTestSpec } from '../support/aws-spec.js';
import { capturingIo } from '../support/host-io.js';
import { withMotoCli } from '../support/moto-cli.js';

interface StatusJson {
  hosts: { id: string; group: string }[];
  bootFailures: { instanceId: string; role: string; group?: string; reason: string; at: string }[];
}

describe('a failed boot from user-data shows in tugboat status (moto, IMDSv2 stand-in)', () => {
  const { moto, dir, cli } = withMotoCli('boot-report');

  it('the boot leaves its reason in the cluster prefix; status shows it for that instance only', async () => {
    const spec = writeTestSpec(dir(), { name: 'bootfail', desired: 1 });
    const created = await cli('create', '-f', spec, '--no-bootstrap');
    expect(created.code, created.stderr).toBe(0);
    const before = JSON.parse((await cli('-o', 'json', 'status', 'bootfail')).stdout) as StatusJson;
    expect(before.bootFailures).toEqual([]);
    const worker = before.hosts.find((h) => h.group !== 'master')!;
    const master = before.hosts.find((h) => h.group === 'master')!;

    // create uploads the host bundle there (with --no-bootstrap it makes no bucket).
    const { s3 } = await createAwsClients({ env: moto().env });
    const ref = { bucket: clusterBucketName('123456789012', 'us-east-1'), owner: '123456789012' };
    await s3.ensurePrivateBucket(ref, {});
    const imds = await startImdsServer({
      instanceId: worker.id,
      region: 'us-east-1',
      availabilityZone: 'us-east-1a',
      instanceType: 't3.small',
      privateIp: '10.0.0.9',
      role: 'tugboat-bootfail-worker',
      accessKeyId: 'test',
      secretAccessKey: 'test',
      sessionToken: 'tok',
    });
    const { io, stderr } = capturingIo(
      {
        AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint,
        AWS_ENDPOINT_URL: moto().endpoint,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
      },
      dir(),
    );
    try {
      const code = await hostMain(
        [
          'boot',
          '--role',
          'worker',
          '--cluster',
          'bootfail',
          '--region',
          'us-east-1',
          '--group',
          worker.group,
          '--join-timeout',
          '1',
        ],
        io,
      );
      expect(code).not.toBe(0);
    } finally {
      await imds.close();
    }
    expect(stderr()).not.toContain('could not leave the failure');
    // Something that is no report, for another instance: skipped, not shown, not thrown.
    await s3.putBytes(ref, bootReportKey('bootfail', master.id), Buffer.from('not json'));

    const after = JSON.parse((await cli('-o', 'json', 'status', 'bootfail')).stdout) as StatusJson;
    expect(after.bootFailures).toHaveLength(1);
    expect(after.bootFailures[0]).toMatchObject({
      instanceId: worker.id,
      role: 'worker',
      group: worker.group,
    });
    // create stored the CA certificate and token; no master booted, so no API address was published.
    expect(after.bootFailures[0]!.reason).toContain(
      'cannot join: after 1 s SSM under /tugboat/bootfail/ still lacks the API address (/tugboat/bootfail/worker/api-server: no master has served yet)',
    );
    const text = (await cli('status', 'bootfail')).stdout;
    expect(text).toContain(`boot failed:\n  ${worker.id} (worker ${worker.group}) at `);

    // delete sweeps the reports with the cluster's other objects.
    const deleted = await cli('delete', 'bootfail', '--yes');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(await s3.listKeys(ref, 'bootfail/boot/')).toEqual([]);
  }, 180_000);
});
