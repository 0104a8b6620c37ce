import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChangeResourceRecordSetsCommand,
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
  const recordSets = async () =>
    (await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? [];
  const records = async () => (await recordSets()).map((r) => `${r.Name} ${r.Type}`);

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
    // The user's own records, without tugboat's marker: delete must leave them alone.
    const userRecord = (Name: string, Type: 'A' | 'TXT', Value: string) => ({
      Action: 'CREATE' as const,
      ResourceRecordSet: { Name, Type, TTL: 60, ResourceRecords: [{ Value }] },
    });
    await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [
            userRecord('www.example.com', 'A', '203.0.113.7'),
            userRecord('www.example.com', 'TXT', '"v=spf1 -all"'),
            userRecord('route53-eip.example.com', 'A', '203.0.113.8'),
          ],
        },
      }),
    );
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
    // One pool address is still free; eip assign without flags keeps it from `workers` (no eip: true).
    const assign = await cli('-o', 'json', 'eip', 'assign', 'route53-eip');
    expect(assign.code, assign.stderr).toBe(0);
    expect(JSON.parse(assign.stdout)).toMatchObject({ assigned: [] });
    expect(JSON.parse(assign.stdout).alreadyAssigned).toHaveLength(3);
    const pool = await cli('-o', 'json', 'eip', 'list', 'route53-eip');
    const free = (JSON.parse(pool.stdout) as { eips: { instanceId?: string }[] }).eips.filter(
      (e) => !e.instanceId,
    );
    expect(free).toHaveLength(1);
    expect(await records()).toContain('api.route53-eip.example.com. A');
    const marker = (await recordSets()).find(
      (r) => r.Name === 'api.route53-eip.example.com.' && r.Type === 'TXT',
    );
    expect(marker?.ResourceRecords).toEqual([{ Value: '"tugboat:cluster=route53-eip"' }]);

    const deleted = await cli('-o', 'json', 'delete', 'route53-eip', '--yes');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(JSON.parse(deleted.stdout).clean).toBe(true);
    expect((await records()).sort()).toEqual([
      'example.com. NS',
      'example.com. SOA',
      'route53-eip.example.com. A',
      'www.example.com. A',
      'www.example.com. TXT',
    ]);
    expect(await describeTagged(moto.env, 'route53-eip')).toEqual([]);
  });
});
