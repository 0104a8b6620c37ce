import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
  ImportKeyPairCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HostManager } from '../harness/hosts/host-manager.js';
import { isAlive } from '../harness/hosts/host-processes.js';
import { run } from '../harness/hosts/shell.js';
import { sshExec } from '../harness/hosts/ssh-exec.js';
import { type Moto, startMoto } from '../harness/moto.js';

// The host harness on its own: two auto-scaling groups in two subnets (2 + 1 emulated instances)
// become three machines that answer SSH on their private IPs, each with private tugboat
// directories and its own Docker Engine; scaling in removes one; stop() leaves nothing behind.
const cluster = `hosts-${process.pid}`;
let moto: Moto;
let manager: HostManager | undefined;
let keyDir: string;
let privateKey: string;
const clients: { ec2?: EC2Client; asg?: AutoScalingClient } = {};

beforeAll(async () => {
  moto = await startMoto();
  const config = {
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const ec2 = new EC2Client(config);
  const asg = new AutoScalingClient(config);
  Object.assign(clients, { ec2, asg });
  keyDir = mkdtempSync(join(tmpdir(), 'tugboat-e2e-key-'));
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keyDir, 'id'), '-C', 'e2e']);
  privateKey = readFileSync(join(keyDir, 'id'), 'utf8');
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.77.0.0/16' }));
  const subnet = await ec2.send(
    new CreateSubnetCommand({
      VpcId: vpc.Vpc?.VpcId,
      CidrBlock: '10.77.1.0/24',
      AvailabilityZone: 'us-east-1a',
    }),
  );
  const other = await ec2.send(
    new CreateSubnetCommand({
      VpcId: vpc.Vpc?.VpcId,
      CidrBlock: '10.77.2.0/24',
      AvailabilityZone: 'us-east-1b',
    }),
  );
  await ec2.send(
    new ImportKeyPairCommand({ KeyName: cluster, PublicKeyMaterial: readFileSync(join(keyDir, 'id.pub')) }),
  );
  await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: cluster,
      LaunchTemplateData: { ImageId: 'ami-12c6146b', InstanceType: 't3.micro', KeyName: cluster },
    }),
  );
  await asg.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: cluster,
      MinSize: 0,
      MaxSize: 3,
      DesiredCapacity: 2,
      LaunchTemplate: { LaunchTemplateName: cluster },
      VPCZoneIdentifier: subnet.Subnet?.SubnetId,
      Tags: [{ Key: 'tugboat:cluster', Value: cluster, PropagateAtLaunch: true }],
    }),
  );
  await asg.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: `${cluster}-b`,
      MinSize: 1,
      MaxSize: 1,
      DesiredCapacity: 1,
      LaunchTemplate: { LaunchTemplateName: cluster },
      VPCZoneIdentifier: other.Subnet?.SubnetId,
      Tags: [{ Key: 'tugboat:cluster', Value: cluster, PropagateAtLaunch: true }],
    }),
  );
  manager = HostManager.start({
    endpoint: moto.endpoint,
    cluster,
    log: (l) => process.stderr.write(`hosts: ${l}\n`),
  });
});

afterAll(async () => {
  await manager?.stop().catch(() => {});
  clients.ec2?.destroy();
  clients.asg?.destroy();
  await moto?.stop();
  rmSync(keyDir, { recursive: true, force: true });
});

it('gives each running instance its private IP, sshd with a pinnable host key, and its own dockerd', async () => {
  const hosts = await manager!.waitFor((h) => h.length === 3, 'three hosts');
  expect(new Set(hosts.map((h) => h.privateIp)).size).toBe(3);
  expect(hosts.filter((h) => h.privateIp.startsWith('10.77.2.'))).toHaveLength(1);
  for (const host of hosts) {
    expect(host.privateIp).toMatch(/^10\.77\.[12]\.\d+$/);
    writeFileSync(join(host.layout.root, 'etc/tugboat/instance'), host.instanceId);
    const target = { host: host.privateIp, user: 'ec2-user', privateKey, hostPublicKey: host.hostPublicKey };
    const ip = await sshExec(target, 'hostname -I; ip -o -4 addr show dev eth0; hostname; id -u');
    expect(ip.code).toBe(0);
    // The host's own addresses: its private IP, plus its dockerd's bridge (172.17.0.1) as on EC2.
    const own = ip.stdout.split('\n')[0]?.trim().split(' ') ?? [];
    expect(own.filter((a) => a.startsWith('10.'))).toEqual([host.privateIp]);
    expect(ip.stdout).toContain(`inet ${host.privateIp}/24`);
    expect(ip.stdout).toContain(`ip-${host.privateIp.replaceAll('.', '-')}`);
    const view = await sshExec(target, 'cat /etc/tugboat/instance && echo written > /var/lib/tugboat/probe');
    expect(view).toMatchObject({ code: 0, stdout: host.instanceId });
    expect(readFileSync(join(host.layout.root, 'var/lib/tugboat/probe'), 'utf8')).toBe('written\n');
    expect(existsSync('/var/lib/tugboat/probe')).toBe(false);
    const docker = await sshExec(
      target,
      `docker info --format '{{.Name}}' && docker run --rm local/busybox echo hello from ${host.instanceId}`,
    );
    expect(docker.stderr).toBe('');
    expect(docker.stdout).toBe(`ip-${host.privateIp.replaceAll('.', '-')}\nhello from ${host.instanceId}\n`);
  }
});

it('pins host keys: a host presenting a different key is refused', async () => {
  const [a, b] = manager!.hosts();
  await expect(
    sshExec({ host: a!.privateIp, privateKey, hostPublicKey: b!.hostPublicKey }, 'true'),
  ).rejects.toThrow(/host|verif/i);
});

it('lets hosts reach each other within a subnet and across subnets, as instances in one VPC do', async () => {
  const first = manager!.hosts().filter((h) => h.privateIp.startsWith('10.77.1.'));
  const second = manager!.hosts().find((h) => h.privateIp.startsWith('10.77.2.'))!;
  const a = first[0]!;
  const target = { host: a.privateIp, privateKey, hostPublicKey: a.hostPublicKey };
  for (const peer of [first[1]!, second]) {
    const probe = `timeout 10 bash -c 'exec 3<>/dev/tcp/${peer.privateIp}/22; head -c 7 <&3'`;
    expect(await sshExec(target, probe)).toMatchObject({ code: 0, stdout: 'SSH-2.0' });
  }
});

it('removes the host of an instance the group scales in', async () => {
  const before = manager!.hosts();
  const pids = before.flatMap((h) => h.processes());
  await clients.asg!.send(
    new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: cluster, DesiredCapacity: 1 }),
  );
  const after = await manager!.waitFor((h) => h.length === 2, 'two hosts after scaling in');
  const kept = new Set(after.map((h) => h.instanceId));
  const removed = before.find((h) => !kept.has(h.instanceId))!;
  expect(removed.privateIp).toMatch(/^10\.77\.1\./);
  expect(run('ip', ['netns', 'list'])).not.toContain(`${removed.netns} `);
  expect(existsSync(removed.layout.dir)).toBe(false);
  const survivors = after.flatMap((h) => h.processes());
  expect(pids.filter((p) => isAlive(p) && !survivors.includes(p))).toEqual([]);
});

it('stops every host, including services a session left running, and proves nothing is left', async () => {
  const last = manager!.hosts()[0]!;
  // Like tugboat's supervised agent where there is no systemd: a detached process outliving its session.
  const started = await sshExec(
    { host: last.privateIp, privateKey, hostPublicKey: last.hostPublicKey },
    'setsid sleep 600 </dev/null >/dev/null 2>&1 & echo $!',
  );
  const service = Number(started.stdout.trim());
  expect(isAlive(service)).toBe(true);
  const pids = last.processes();
  expect(pids).toContain(service);
  await manager!.stop();
  manager = undefined;
  expect(run('ip', ['netns', 'list']).trim()).toBe('');
  expect(pids.filter(isAlive)).toEqual([]);
  expect(existsSync(last.layout.dir)).toBe(false);
});
