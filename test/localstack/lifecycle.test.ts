import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTestSpec } from '../support/aws-spec.js';
import { runCli } from '../support/cli.js';
import { describeTagged } from '../support/tagged-resources.js';

/**
 * The AWS lifecycle against the endpoint in AWS_ENDPOINT_URL (LocalStack, or moto_server). It
 * refuses to run without one, and refuses a non-loopback endpoint unless
 * TUGBOAT_LOCALSTACK_ALLOW_REMOTE=1, so it can never reach real AWS by accident.
 */
function endpointEnv(): NodeJS.ProcessEnv {
  const endpoint = process.env.AWS_ENDPOINT_URL;
  if (!endpoint)
    throw new Error('set AWS_ENDPOINT_URL (e.g. http://localhost:4566) to run the LocalStack suite');
  const host = new URL(endpoint).hostname;
  const loopback = host === 'localhost' || host.startsWith('127.') || host === '::1' || host === '[::1]';
  if (!loopback && process.env.TUGBOAT_LOCALSTACK_ALLOW_REMOTE !== '1') {
    throw new Error(
      `AWS_ENDPOINT_URL ${endpoint} is not loopback: set TUGBOAT_LOCALSTACK_ALLOW_REMOTE=1 if you mean it`,
    );
  }
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    ...process.env,
    AWS_ENDPOINT_URL: endpoint,
  };
}

describe(`tugboat lifecycle against ${process.env.AWS_ENDPOINT_URL ?? '(AWS_ENDPOINT_URL unset)'}`, () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const name = `ls${process.pid}`;
  const cli = (...argv: string[]) => runCli(argv, { env, cwd: dir });

  beforeAll(() => {
    env = endpointEnv();
    dir = mkdtempSync(join(tmpdir(), `tugboat-localstack-${process.pid}-`));
    env = { ...env, TUGBOAT_STATE_DIR: join(dir, 'state') };
  });
  afterAll(async () => {
    if (env && dir) await cli('delete', name, '--yes');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('create → status → eip assign → scale → update → delete, then nothing tagged is left', async () => {
    const region = env.AWS_REGION ?? 'us-east-1';
    const spec = writeTestSpec(dir, { name, desired: 1, region });
    const respec = writeTestSpec(dir, { name, desired: 2, region });
    const created = await cli('-o', 'json', 'create', '-f', spec, '--no-bootstrap');
    expect(created.code, created.stderr).toBe(0);
    const status = await cli('-o', 'json', 'status', name);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).hosts).toHaveLength(2);
    const assign = await cli('eip', 'assign', name, '--group', 'workers');
    expect(assign.code, assign.stderr).toBe(0);
    const scale = await cli('scale', name, '--group', 'workers', '--desired', '2', '--no-bootstrap');
    expect(scale.code, scale.stderr).toBe(0);
    const update = await cli('update', '-f', respec, '--yes', '--no-bootstrap');
    expect(update.code, update.stderr).toBe(0);
    const deleted = await cli('-o', 'json', 'delete', name, '--yes');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(JSON.parse(deleted.stdout).clean).toBe(true);
    expect(await describeTagged(env, name)).toEqual([]);
  });
});
