import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { EC2Client, ImportKeyPairCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  buildTemplate,
  type ClusterSpec,
  loadClusterSpec,
  REQUIRED_CAPABILITIES,
  renderTemplate,
  stackName,
  templateParameters,
} from '../../src/index.js';
import { HostManager } from '../harness/hosts/host-manager.js';
import { run } from '../harness/hosts/shell.js';
import { sshExec } from '../harness/hosts/ssh-exec.js';
import { type Moto, startMoto } from '../harness/moto.js';
import { PhaseClock } from './phases.js';

// The whole path on one machine, confined to the runner's network namespace: emulated AWS (moto)
// runs tugboat's own CloudFormation for examples/e2e.yaml, and the host harness turns each
// emulated instance into an SSH + Docker host on its private address. Phases are timed.
const clock = new PhaseClock();
let moto: Moto;
let spec: ClusterSpec;
let manager: HostManager | undefined;
let stateDir: string;
let privateKey: string;
let cfn: CloudFormationClient;
let ec2: EC2Client;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'tugboat-e2e-state-'));
  moto = await clock.run('moto', () => startMoto());
  const config = {
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  cfn = new CloudFormationClient(config);
  ec2 = new EC2Client(config);
  spec = await loadClusterSpec('examples/e2e.yaml');
});

afterAll(async () => {
  await manager?.stop().catch((err: Error) => process.stderr.write(`${err.message}\n`));
  cfn?.destroy();
  ec2?.destroy();
  await moto?.stop();
  rmSync(stateDir, { recursive: true, force: true });
  clock.print();
});

it('creates the stack of examples/e2e.yaml: a master and two worker groups', async () => {
  await clock.run('create', async () => {
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(stateDir, 'id_ed25519'), '-C', 'e2e']);
    privateKey = readFileSync(join(stateDir, 'id_ed25519'), 'utf8');
    const keyName = `tugboat-${spec.name}`;
    await ec2.send(
      new ImportKeyPairCommand({
        KeyName: keyName,
        PublicKeyMaterial: readFileSync(join(stateDir, 'id_ed25519.pub')),
      }),
    );
    await cfn.send(
      new CreateStackCommand({
        StackName: stackName(spec.name),
        TemplateBody: renderTemplate(buildTemplate(spec)),
        Parameters: templateParameters(spec, { keyName }),
        Capabilities: [...REQUIRED_CAPABILITIES],
      }),
    );
  });
  const stack = await cfn.send(new DescribeStacksCommand({ StackName: stackName(spec.name) }));
  expect(stack.Stacks?.[0]?.StackStatus).toBe('CREATE_COMPLETE');
});

it('makes every instance a reachable host on its private address', async () => {
  const expected = 1 + spec.workerGroups.reduce((n, g) => n + g.desired, 0);
  const hosts = await clock.run('hosts', async () => {
    manager = HostManager.start({ endpoint: moto.endpoint, cluster: spec.name });
    return manager.waitFor((h) => h.length === expected, `${expected} hosts`);
  });
  for (const host of hosts) {
    expect(host.privateIp).toMatch(/^10\.0\./);
    const res = await sshExec(
      { host: host.privateIp, user: spec.ssh.user, privateKey, hostPublicKey: host.hostPublicKey },
      'hostname; docker info --format "{{.Name}}"',
    );
    const name = `ip-${host.privateIp.replaceAll('.', '-')}`;
    expect(res).toMatchObject({ code: 0, stdout: `${name}\n${name}\n` });
  }
});

it('deletes the stack; the harness removes every host and proves nothing is left', async () => {
  await clock.run('delete', async () => {
    // moto deletes the groups (so the instances terminate) but may then stop at the VPC with
    // DependencyViolation: exactly the leftovers `tugboat delete` sweeps by tag.
    await cfn.send(new DeleteStackCommand({ StackName: stackName(spec.name) })).catch((err: Error) => {
      if (err.name !== 'DependencyViolation') throw err;
    });
    await manager!.waitFor((h) => h.length === 0, 'no hosts after delete', 120_000);
    await manager!.stop();
    manager = undefined;
  });
  expect(run('ip', ['netns', 'list']).trim()).toBe('');
});
