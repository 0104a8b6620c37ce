import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeImagesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseAgentConfig } from '../../src/agent/config.js';
import { fetchInstanceIdentity } from '../../src/agent/imds.js';
import { resolveNodeIdentity } from '../../src/agent/node-identity.js';
import { claimPoolAddress, createEipClaimEc2 } from '../../src/aws/eip-claim.js';
import { RecordingEvents } from '../../src/events.js';
import { type Moto, startMoto } from '../harness/moto.js';
import { allocatePoolAddress } from '../support/moto-ec2.js';

/** A loopback stand-in for IMDSv2: token PUT first, then token-authenticated GETs. */
async function startFakeImds(doc: Record<string, string>) {
  const tokens = new Set<string>();
  const server = http.createServer((req, res) => {
    if (
      req.method === 'PUT' &&
      req.url === '/latest/api/token' &&
      req.headers['x-aws-ec2-metadata-token-ttl-seconds']
    ) {
      const t = `tok-${tokens.size}-${doc.instanceId}`;
      tokens.add(t);
      return res.end(t);
    }
    if (!tokens.has(String(req.headers['x-aws-ec2-metadata-token']))) return res.writeHead(401).end();
    if (req.url === '/latest/dynamic/instance-identity/document') return res.end(JSON.stringify(doc));
    if (req.url === '/latest/meta-data/local-hostname')
      return res.end(`ip-${doc.privateIp?.replaceAll('.', '-')}.ec2.internal`);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let moto: Moto;
let ec2: EC2Client;
const imdsServers: { url: string; close: () => Promise<void> }[] = [];

beforeAll(async () => {
  moto = await startMoto();
  ec2 = new EC2Client({
    region: 'us-east-1',
    endpoint: moto.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});
afterAll(async () => {
  for (const s of imdsServers) await s.close();
  ec2?.destroy();
  await moto?.stop();
});

async function launch(count: number) {
  const images = await ec2.send(new DescribeImagesCommand({}));
  const out = await ec2.send(
    new RunInstancesCommand({
      ImageId: images.Images?.[0]?.ImageId,
      MinCount: count,
      MaxCount: count,
      InstanceType: 't3.small',
    }),
  );
  return (out.Instances ?? []).map((i) => ({
    id: i.InstanceId ?? '',
    ip: i.PrivateIpAddress ?? '',
    zone: i.Placement?.AvailabilityZone ?? '',
  }));
}

const allocate = (cluster: string, pool: string) => allocatePoolAddress(ec2, cluster, pool);

it('reads the identity through IMDSv2 and names the node after the instance', async () => {
  const [vm] = await launch(1);
  const imds = await startFakeImds({
    instanceId: vm?.id ?? '',
    region: 'us-east-1',
    availabilityZone: vm?.zone ?? '',
    instanceType: 't3.small',
    privateIp: vm?.ip ?? '',
  });
  imdsServers.push(imds);
  const { identity } = await resolveNodeIdentity(
    parseAgentConfig({
      server: 'https://127.0.0.1:6443',
      imds: 'on',
      imdsEndpoint: imds.url,
      group: 'workers',
    }),
  );
  expect(identity).toMatchObject({
    name: vm?.id,
    internalIP: vm?.ip,
    zone: vm?.zone,
    region: 'us-east-1',
    instanceType: 't3.small',
    group: 'workers',
  });
  expect(identity.providerID).toBe(`aws:///${vm?.zone}/${vm?.id}`);
});

it('fails clearly when the metadata service is unreachable', async () => {
  await expect(fetchInstanceIdentity({ endpoint: 'http://127.0.0.1:9', timeoutMs: 500 })).rejects.toThrow(
    /unreachable.*pass the node identity as flags/,
  );
});

it('two agents racing for one free EIP: exactly one wins, the other gets none; the claim survives a restart', async () => {
  const vms = await launch(2);
  const allocationId = await allocate('race', 'workers');
  await allocate('other-cluster', 'workers');
  const client = createEipClaimEc2('us-east-1', moto.env);
  const events = new RecordingEvents();
  const identities = await Promise.all(
    vms.map(async (vm) => {
      const imds = await startFakeImds({
        instanceId: vm.id,
        region: 'us-east-1',
        availabilityZone: vm.zone,
        instanceType: 't3.small',
        privateIp: vm.ip,
      });
      imdsServers.push(imds);
      return fetchInstanceIdentity({ endpoint: imds.url });
    }),
  );
  const results = await Promise.all(
    identities.map((id) =>
      claimPoolAddress({ ec2: client, cluster: 'race', pool: 'workers', instanceId: id.instanceId, events }),
    ),
  );
  const winners = results.filter((r) => r !== undefined);
  expect(winners).toHaveLength(1);
  expect(winners[0]?.allocationId).toBe(allocationId);
  const winner = identities[results.findIndex((r) => r !== undefined)];
  const again = await claimPoolAddress({
    ec2: client,
    cluster: 'race',
    pool: 'workers',
    instanceId: winner?.instanceId ?? '',
  });
  expect(again?.allocationId).toBe(allocationId);
  expect(events.codes()).toContain('eip.none-free');
});
