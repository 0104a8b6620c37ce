import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostMain } from '../../src/cli/host-main.js';
import { type ImdsServer, startImdsServer } from '../harness/imds.js';
import { freePort } from '../harness/process.js';
import { capturingIo } from '../support/host-io.js';

let imds: ImdsServer;

beforeAll(async () => {
  imds = await startImdsServer({
    instanceId: 'i-0boot000000000001',
    region: 'us-east-1',
    availabilityZone: 'us-east-1b',
    instanceType: 't3.small',
    privateIp: '10.0.1.7',
    role: 'tugboat-c1-worker',
    accessKeyId: 'ASIATESTBOOT',
    secretAccessKey: 'test',
    sessionToken: 'tok',
  });
});

afterAll(() => imds?.close());

/** `<bundle> boot ...` in-process, as the user-data runs it. */
async function boot(args: readonly string[], endpoint = imds.endpoint) {
  // The failure report goes to a closed loopback port (test/boot/boot-report.test.ts sends it to moto).
  const { io, stderr } = capturingIo({
    AWS_EC2_METADATA_SERVICE_ENDPOINT: endpoint,
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_MAX_ATTEMPTS: '1',
  });
  const code = await hostMain(['boot', ...args], io);
  return { code, stderr: stderr() };
}

describe('host bundle `boot`', () => {
  it('reads its identity from IMDSv2, and a worker that cannot reach SSM stops saying so', async () => {
    const r = await boot(['--role', 'worker', '--cluster', 'c1', '--region', 'us-east-1', '--group', 'g1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'instance i-0boot000000000001 (t3.small, us-east-1b, 10.0.1.7) boots as worker of group g1 in cluster c1',
    );
    expect(r.stderr).toContain('ssm:GetParameter');
    expect(imds.requests[0]).toBe('PUT /latest/api/token');
  });

  it('a master that cannot reach SSM stops, naming the call that failed', async () => {
    const r = await boot(['--role', 'master', '--cluster', 'c1', '--region', 'us-east-1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('boots as master in cluster c1');
    expect(r.stderr).toMatch(/ssm:GetParameter/);
  });

  it('refuses user-data of another region', async () => {
    const r = await boot(['--role', 'worker', '--cluster', 'c1', '--region', 'eu-west-1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('runs in us-east-1, but its user-data is for cluster c1 in eu-west-1');
  });

  it('says the metadata service is unreachable when it is', async () => {
    const port = await freePort();
    const r = await boot(
      ['--role', 'worker', '--cluster', 'c1', '--region', 'us-east-1'],
      `http://127.0.0.1:${port}`,
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`instance metadata at http://127.0.0.1:${port} is unreachable`);
  });

  it('refuses a role it does not know', async () => {
    const r = await boot(['--role', 'bastion', '--cluster', 'c1', '--region', 'us-east-1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/bastion/);
  });

  it('refuses a join timeout that is no number of seconds', async () => {
    const r = await boot([
      '--role',
      'worker',
      '--cluster',
      'c1',
      '--region',
      'us-east-1',
      '--join-timeout',
      'soon',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--join-timeout "soon" is not a positive number of seconds');
  });
});
