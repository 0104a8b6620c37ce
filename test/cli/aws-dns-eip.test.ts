import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Moto, startMoto } from '../harness/moto.js';
import { runCli } from '../support/cli.js';
import { describeTagged } from '../support/tagged-resources.js';

describe('examples/route53-eip.yaml on moto_server: EIP groups and the API record', () => {
  let moto: Moto;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let r53: Route53Client;
  let zoneId: string;
  const cli = (...argv: string[]) => runCli(argv, { env, cwd: dir });
  const records = async () =>
    (
      (await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? []
    ).map((r) => `${r.Name} ${r.Type}`);

  beforeAll(async () => {
    moto = await startMoto({ region: 'us-east-2' });
    dir = mkdtempSync(join(tmpdir(), `tugboat-dns-eip-${process.pid}-`));
    env = { ...process.env, ...moto.env, TUGBOAT_STATE_DIR: join(dir, 'state') };
    delete env.AWS_PROFILE;
    r53 = new Route53Client({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    // The user's own zone: tugboat adds a record to it and must never delete the zone.
    const zone = await r53.send(
      new CreateHostedZoneCommand({ Name: 'example.com', CallerReference: `t${process.pid}` }),
    );
    zoneId = (zone.HostedZone?.Id ?? '').replace('/hostedzone/', '');
    const spec = readFileSync('examples/route53-eip.yaml', 'utf8').replace('Z0123456789ABCDEFGHIJ', zoneId);
    writeFileSync(join(dir, 'cluster.yaml'), spec);
  });
  afterAll(async () => {
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gives the master and eip groups pool addresses, points the API record, and deletes only its own', async () => {
    const run = await cli('-o', 'json', 'create', '-f', 'cluster.yaml', '--no-bootstrap');
    expect(run.code, run.stderr).toBe(0);
    const created = JSON.parse(run.stdout) as {
      hosts: { group: string; eip?: { publicIp: string } }[];
      apiEndpoint: string;
    };
    const withEip = created.hosts
      .filter((h) => h.eip)
      .map((h) => h.group)
      .sort();
    expect(withEip).toEqual(['edge', 'edge', 'master']);
    expect(created.hosts.filter((h) => h.group === 'workers' && h.eip)).toEqual([]);
    expect(await records()).toContain('api.route53-eip.example.com. A');

    const deleted = await cli('-o', 'json', 'delete', 'route53-eip', '--yes');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(JSON.parse(deleted.stdout).clean).toBe(true);
    expect(await records()).not.toContain('api.route53-eip.example.com. A');
    expect(await records()).toEqual(expect.arrayContaining(['example.com. NS', 'example.com. SOA']));
    expect(await describeTagged(moto.env, 'route53-eip')).toEqual([]);
  });
});
