import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HostManager } from '../harness/hosts/host-manager.js';
import { isAlive } from '../harness/hosts/host-processes.js';
import { run } from '../harness/hosts/shell.js';
import { waitFor } from '../support/wait.js';
import { type EmulatedGroups, startEmulatedGroups } from './emulated-groups.js';

// The host harness booting instances as EC2 does (bootFromUserData), on its own: an auto-scaling
// group whose launch template's user-data probes what an instance gets at boot — root, its EC2
// hostname, IMDSv2 at 169.254.169.254 (a GET without a token is refused), the emulator at
// AWS_ENDPOINT_URL, no AWS keys in its environment, its own /etc/tugboat — and one whose
// user-data fails. Its console output and exit code are kept; scaling in removes the host with
// the boot's relay and servers, and stop() proves nothing is left.
const cluster = `boots-${process.pid}`;
let aws: EmulatedGroups;
let manager: HostManager | undefined;

const PROBE = `#!/bin/sh
set -eu
imds=http://169.254.169.254
echo "uid: $(id -u)"
echo "hostname: $(hostname)"
tok=$(curl -fsS -X PUT -H 'x-aws-ec2-metadata-token-ttl-seconds: 60' "$imds/latest/api/token")
md() { printf 'x-aws-ec2-metadata-token: %s\\n' "$tok" | curl -fsS -H @- "$imds/latest/meta-data/$1"; }
echo "instance: $(md instance-id)"
echo "zone: $(md placement/availability-zone)"
echo "role: $(md iam/security-credentials/)"
echo "without a token: $(curl -sS -o /dev/null -w '%{http_code}' "$imds/latest/meta-data/instance-id")"
echo "endpoint: $AWS_ENDPOINT_URL"
echo "emulator: $(curl -sS -o /dev/null -w '%{http_code}' "$AWS_ENDPOINT_URL/moto-api/data.json")"
echo "aws keys in env: $(env | grep -c '^AWS_SECRET_ACCESS_KEY=' || true)"
echo booted > /etc/tugboat/booted-by-user-data
echo done
`;

beforeAll(async () => {
  aws = await startEmulatedGroups({
    cluster,
    vpcCidr: '10.78.0.0/16',
    subnetCidr: '10.78.1.0/24',
    groups: [
      { name: `${cluster}-probe`, desired: 1, userData: PROBE },
      { name: `${cluster}-fails`, desired: 1, userData: '#!/bin/sh\necho "about to fail"\nexit 3\n' },
    ],
  });
  manager = HostManager.start({
    endpoint: aws.moto.endpoint,
    cluster,
    docker: false,
    bootFromUserData: true,
    log: (l) => process.stderr.write(`hosts: ${l}\n`),
  });
});

afterAll(async () => {
  await manager?.stop().catch(() => {});
  await aws?.stop();
});

it('runs each instance its user-data as root in its namespaces, with IMDSv2 at 169.254.169.254 and the emulator as its endpoint', async () => {
  const hosts = await manager!.waitFor((h) => h.length === 2, 'two hosts');
  const exits = await Promise.all(
    hosts.map(async (h) => {
      const boot = await waitFor(() => manager!.boot(h.instanceId), `the boot of ${h.instanceId}`, 120_000);
      return { host: h, boot, exit: await boot.done };
    }),
  );
  const probe = exits.find((e) => e.boot.consoleOutput().includes('uid:'));
  expect(probe, exits.map((e) => e.boot.consoleOutput()).join('\n---\n')).toBeDefined();
  const { host, boot, exit } = probe!;
  const console = boot.consoleOutput();
  expect(exit.code, console).toBe(0);
  expect(console).toContain('uid: 0\n');
  expect(console).toContain(`hostname: ip-${host.privateIp.replaceAll('.', '-')}\n`);
  expect(console).toContain(`instance: ${host.instanceId}\n`);
  expect(console).toContain('zone: us-east-1a\n');
  expect(console).toContain(`role: tugboat-${cluster}-worker\n`);
  expect(console).toContain('without a token: 401\n');
  expect(console).toContain(`endpoint: http://127.0.0.1:${new URL(aws.moto.endpoint).port}\n`);
  expect(console).toContain('emulator: 200\n');
  expect(console).toContain('aws keys in env: 0\n');
  expect(console).toContain('done\n');
  expect(boot.imds.requests[0]).toBe('PUT /latest/api/token');
  // Its own /etc/tugboat, not the machine's.
  expect(existsSync(join(host.layout.root, 'etc/tugboat/booted-by-user-data'))).toBe(true);
  expect(existsSync('/etc/tugboat/booted-by-user-data')).toBe(false);

  const failed = exits.find((e) => e !== probe)!;
  expect(failed.exit.code).toBe(3);
  expect(failed.boot.consoleOutput()).toBe('about to fail\n');
});

it('scaling in removes the host with its boot; stop() proves nothing is left', async () => {
  const before = manager!.hosts();
  const pids = before.flatMap((h) => manager!.boot(h.instanceId)?.pids() ?? []);
  expect(pids.length).toBeGreaterThan(0);
  for (const name of [`${cluster}-probe`, `${cluster}-fails`]) await aws.scale(name, 0);
  await manager!.waitFor((h) => h.length === 0, 'no hosts after scaling in', 120_000);
  for (const h of before) expect(manager!.boot(h.instanceId)).toBeUndefined();
  expect(pids.filter(isAlive)).toEqual([]);
  await manager!.stop();
  manager = undefined;
  expect(run('ip', ['netns', 'list']).trim()).toBe('');
});
