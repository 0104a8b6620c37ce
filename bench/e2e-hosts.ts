// Host harness timings: for each N, an auto-scaling group of N emulated instances on moto becomes
// N SSH + Docker hosts; measures until all are up, one `docker run` over SSH on every host (in
// parallel), and the teardown with its leftover proof. Must run confined (it creates namespaces):
//   sh scripts/e2e-confine.sh node_modules/.bin/tsx bench/e2e-hosts.ts 3 10

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoScalingClient, CreateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
  ImportKeyPairCommand,
} from '@aws-sdk/client-ec2';
import { checkConfinement } from '../test/e2e/confinement.js';
import { formatMs } from '../test/e2e/phases.js';
import { HostManager } from '../test/harness/hosts/host-manager.js';
import { run } from '../test/harness/hosts/shell.js';
import { sshExec } from '../test/harness/hosts/ssh-exec.js';
import { startMoto } from '../test/harness/moto.js';

checkConfinement();
const sizes = process.argv.slice(2).map(Number);
const rows: string[] = [];
const keyDir = mkdtempSync(join(tmpdir(), 'tugboat-bench-key-'));
run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keyDir, 'id'), '-C', 'bench']);
const privateKey = readFileSync(join(keyDir, 'id'), 'utf8');

for (const n of sizes.length > 0 ? sizes : [3, 10]) {
  const moto = await startMoto();
  const config = {
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const ec2 = new EC2Client(config);
  const asg = new AutoScalingClient(config);
  const cluster = `bench${n}`;
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.88.0.0/16' }));
  const subnet = await ec2.send(
    new CreateSubnetCommand({
      VpcId: vpc.Vpc?.VpcId,
      CidrBlock: '10.88.1.0/24',
      AvailabilityZone: 'us-east-1a',
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
  const t0 = performance.now();
  await asg.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: cluster,
      MinSize: n,
      MaxSize: n,
      DesiredCapacity: n,
      LaunchTemplate: { LaunchTemplateName: cluster },
      VPCZoneIdentifier: subnet.Subnet?.SubnetId,
      Tags: [{ Key: 'tugboat:cluster', Value: cluster, PropagateAtLaunch: true }],
    }),
  );
  const manager = HostManager.start({ endpoint: moto.endpoint, cluster, pollIntervalMs: 250 });
  const hosts = await manager.waitFor((h) => h.length === n, `${n} hosts`, 600_000);
  const up = performance.now() - t0;
  const t1 = performance.now();
  await Promise.all(
    hosts.map(async (h) => {
      const target = { host: h.privateIp, privateKey, hostPublicKey: h.hostPublicKey };
      const res = await sshExec(target, 'docker run --rm local/busybox true');
      if (res.code !== 0) throw new Error(`docker run on ${h.privateIp} failed: ${res.stderr}`);
    }),
  );
  const runMs = performance.now() - t1;
  const t2 = performance.now();
  await manager.stop();
  const down = performance.now() - t2;
  rows.push(`| ${n} | ${formatMs(up)} | ${formatMs(runMs)} | ${formatMs(down)} |`);
  ec2.destroy();
  asg.destroy();
  await moto.stop();
}
rmSync(keyDir, { recursive: true, force: true });
console.log(
  '| hosts | all hosts up (ASG create → sshd + dockerd + busybox) | docker run over SSH on all | teardown + proof |',
);
console.log('| --- | --- | --- | --- |');
for (const r of rows) console.log(r);
